/* SPDX-License-Identifier: MIT */
/*
 * reload.h - SIGHUP: re-read the configuration, change at once what may
 * change while serving (settings.h, the log level, the stats interval, the
 * XDP program's SOFTWARE and FINGERPRINT policy), warn once per key about
 * what needs a restart and keep its old value; a file with a problem
 * changes nothing.
 */
#ifndef STUNRINGD_RELOAD_H
#define STUNRINGD_RELOAD_H

#include "config.h"
#include "worker.h"

struct reload_ctx {
	struct daemon_config *running;		/* what serves, updated in place */
	const struct daemon_config *boot;	/* as loaded at start */
	struct worker *workers;
	unsigned int n;
};

/* Before the workers start: give each the first settings block.  0, or
 * -1 when out of memory. */
int reload_init(struct reload_ctx *r);
/* SIGHUP (main thread). */
void reload_run(struct reload_ctx *r);
/* Free the blocks no worker uses any more; true while some wait. */
bool reload_collect(struct reload_ctx *r);

#endif
