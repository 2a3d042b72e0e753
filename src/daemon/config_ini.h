/* SPDX-License-Identifier: MIT */
/*
 * config_ini.h - read stunringd.conf with libinih, line by line, so that
 * every problem can be reported as FILE:LINE.
 *
 * The file is flat: `key = value` lines, `#` or `;` comments, no sections
 * (a `[section]` line is a problem).  Leading white space is ignored, so a
 * continuation line is never glued to the key above it.
 */
#ifndef STUNRINGD_CONFIG_INI_H
#define STUNRINGD_CONFIG_INI_H

#include <stdio.h>

struct config_ini_ops {
	/* One `key = value`.  Return 0 to go on, anything else to stop. */
	int (*entry)(void *user, unsigned int line, const char *key, const char *value);
	/* A line that is not a `key = value` (message without FILE:LINE). */
	void (*problem)(void *user, unsigned int line, const char *msg);
};

/* Read path.  Returns 0 when the whole file was read (entry and problem
 * having been called for each line that needs it), 1 when entry asked to
 * stop, or -errno when the file cannot be opened or read. */
int config_ini_read(const char *path, const struct config_ini_ops *ops, void *user);
/* The same over an open stream, read to its end (not closed): the fuzz
 * harness hands in an fmemopen() buffer. */
int config_ini_read_stream(FILE *f, const struct config_ini_ops *ops, void *user);

#endif
