/* SPDX-License-Identifier: MIT */
/*
 * metrics_http.h - `--metrics IP:PORT`: GET /metrics (Prometheus text
 * format, metrics.c), /healthz (every worker making progress, health.c) and
 * /readyz (listeners bound, workers set up, XDP attached when asked),
 * served by libmicrohttpd in its own thread, never on a worker.
 */
#ifndef STUNRINGD_METRICS_HTTP_H
#define STUNRINGD_METRICS_HTTP_H

#include "config.h"
#include "worker.h"

/* Bind cfg->metrics (nothing when --metrics was not given): before the
 * privilege drop, as the STUN listeners are.  Returns 0, or an exit
 * status after one log line. */
int metrics_http_open(const struct daemon_config *cfg);
/* Start serving on it, in libmicrohttpd's own thread.  The workers are
 * only read (relaxed loads), never stopped.  Returns 0, or an exit status
 * after one log line (the socket is then closed). */
int metrics_http_start(const struct daemon_config *cfg, const struct worker *workers,
		       unsigned int nworkers);
/* Close the socket of an open that was never started. */
void metrics_http_close(void);
/* /readyz answers 200 from set_ready(true) on, 503 before and after. */
void metrics_http_set_ready(bool ready);
void metrics_http_stop(void);

#endif
