/* SPDX-License-Identifier: MIT */
/*
 * log.h - leveled logging to stderr for stunringd.
 *
 * The daemon runs in the foreground (systemd style): stderr is the log.
 * Under systemd (JOURNAL_STREAM names our stderr) each line starts with a
 * "<N>" syslog priority prefix and no timestamp, as journald wants; on a
 * terminal or a file each line starts with a UTC timestamp and the level
 * name instead.
 *
 * Never called per packet: a problem that can recur per packet (a refused
 * send, a flood of malformed datagrams) goes through log_limited, so a
 * flood cannot become a disk or journald flood.
 */
#ifndef STUNRINGD_LOG_H
#define STUNRINGD_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern enum log_level log_threshold;

void log_init(void);
/* "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* At most one line per second per kind (one struct log_limit, static at
 * the call site, shared by every thread); the next line that gets through
 * says how many were suppressed meanwhile: "... (N similar suppressed)".
 * Thread-safe; a suppressed call costs a clock read and an atomic add. */
struct log_limit {
	uint64_t next_ns;	/* CLOCK_MONOTONIC_COARSE: next line allowed */
	uint64_t suppressed;	/* since the last line */
};
void log_limited(struct log_limit *lim, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Where a thread's lines go instead of stderr: the embedded server
 * (stunring_server.h) sets its application's callback in the threads it
 * runs, so two servers in one process log apart, and a server without a
 * callback (fn NULL) logs nothing.  Lines below threshold are dropped;
 * they come without timestamp or level prefix. */
struct log_sink {
	void (*fn)(void *user, int level, const char *line);
	void *user;
	int threshold;		/* enum log_level */
};
/* For the calling thread; NULL: stderr again.  Returns the previous. */
const struct log_sink *log_set_thread_sink(const struct log_sink *s);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
