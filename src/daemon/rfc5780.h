/* SPDX-License-Identifier: MIT */
/*
 * rfc5780.h - RFC 5780 mode's half of the configuration.  It builds on
 * what config_parse read (config.h) and config.c does not know about it:
 * main calls rfc5780_configure right after config_parse.
 */
#ifndef STUNRINGD_RFC5780_H
#define STUNRINGD_RFC5780_H

#include "config.h"

/* Check the RFC 5780 options against the --listen addresses, add the
 * alternate listeners (A1:P2, A2:P1, A2:P2) and fill cfg->fam[] and every
 * listener's stun (also in basic mode).  -1 to go on, or EXIT_USAGE after
 * one error line. */
int rfc5780_configure(struct daemon_config *cfg);
/* One info line per family saying what RFC 5780 mode does there. */
void rfc5780_log(const struct daemon_config *cfg);

#endif
