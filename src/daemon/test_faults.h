/* SPDX-License-Identifier: MIT */
/*
 * test_faults.h - TEST-ONLY fault injection, never active in production:
 * it does nothing unless the environment variable STUNRINGD_TEST_FAULTS is
 * set when the daemon starts.  STUNRINGD_TEST_FAULTS=stall=W:S makes every
 * SIGUSR2 stall worker W for S seconds between two batches (no heartbeat
 * meanwhile), which is how tests/e2e/test_daemon_metrics.sh shows /healthz
 * turning 503 and back.  Without the variable SIGUSR2 keeps its default
 * action.
 */
#ifndef STUNRINGD_TEST_FAULTS_H
#define STUNRINGD_TEST_FAULTS_H

#include <stdbool.h>

#include "worker.h"

/* Read STUNRINGD_TEST_FAULTS.  True when faults are armed (main then takes
 * SIGUSR2); false when unset.  A malformed value is one error line and
 * *bad set (main exits EXIT_USAGE). */
bool test_faults_init(bool *bad);
/* SIGUSR2 arrived: inject the configured fault. */
void test_faults_fire(struct worker *workers, unsigned int n);

#endif
