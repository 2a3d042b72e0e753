/* SPDX-License-Identifier: MIT */
/*
 * log.h - leveled logging to stderr for stunringd.
 *
 * The daemon runs in the foreground (systemd style): stderr is the log.
 * Under systemd (JOURNAL_STREAM set) each line starts with a "<N>" syslog
 * priority prefix so journald keeps the level; on a terminal or a file each
 * line starts with a UTC timestamp and the level name instead.
 * Never called on the per-packet path.
 */
#ifndef STUNRINGD_LOG_H
#define STUNRINGD_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern enum log_level log_threshold;

void log_init(void);
/* "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
