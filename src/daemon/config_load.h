/* SPDX-License-Identifier: MIT */
/*
 * config_load.h - stunringd's configuration from its three sources, in
 * order: the defaults, the configuration file (--config FILE, or
 * /etc/stunring/stunringd.conf when it exists), the command line (which
 * overrides the file, lists included).  Also --check-config, and the
 * re-read that SIGHUP asks for.
 */
#ifndef STUNRINGD_CONFIG_LOAD_H
#define STUNRINGD_CONFIG_LOAD_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* Build cfg (RFC 5780 part included) from argv and the file.  Returns -1 to
 * go on, or the exit status for main to return: 0 after --help, --version
 * or a clean --check-config; EXIT_USAGE after one error line (for the file
 * "FILE:LINE: problem", the first of them, with how many more). */
int config_load(struct daemon_config *cfg, int argc, char **argv);

/* SIGHUP: the same again, into fresh, with the command line config_load
 * kept.  0 when fresh is good; -1 with the problem in err (one line, the
 * first problem and how many more), fresh then meaningless. */
int config_reload(struct daemon_config *fresh, char *err, size_t errlen);

/* --check-config on a file already open, without a command line (the fuzz
 * harness): defaults, the file read from in and named name in messages,
 * the checks across options.  Each problem is one line on out: "NAME:LINE:
 * problem", or "NAME: problem" for one that belongs to the file as a
 * whole.  -1 when the file is good, else EXIT_USAGE. */
int config_check_stream(struct daemon_config *cfg, const char *name, FILE *in,
			FILE *out);

/* The file in use, or NULL when there is none. */
const char *config_load_path(void);

#endif
