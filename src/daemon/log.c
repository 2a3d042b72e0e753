/* SPDX-License-Identifier: MIT */
/* log.c - see log.h. */
#include "log.h"
#include "monotime.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

enum log_level log_threshold = LOG_LVL_INFO;
static bool journal;
static __thread const struct log_sink *thread_sink;

static const char *const level_names[] = { "error", "warn", "info", "debug" };
/* syslog priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */
static const int level_prio[] = { 3, 4, 6, 7 };

/* systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected
 * to stderr; a child whose stderr was redirected elsewhere inherits the
 * variable, so only a match means journald reads our lines. */
void log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	journal = js && sscanf(js, "%llu:%llu%n", &dev, &ino, &end) == 2 && !js[end] &&
		  !fstat(2, &st) && (unsigned long long)st.st_dev == dev &&
		  (unsigned long long)st.st_ino == ino;
}

int log_level_parse(const char *name)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(name, level_names[i]))
			return (int)i;
	return -1;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

const struct log_sink *log_set_thread_sink(const struct log_sink *s)
{
	const struct log_sink *old = thread_sink;

	thread_sink = s;
	return old;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[1024];
	int n = 0;

	if (thread_sink) {
		if ((int)lvl > thread_sink->threshold || !thread_sink->fn)
			return;
		vsnprintf(line, sizeof(line), fmt, ap);
		thread_sink->fn(thread_sink->user, (int)lvl, line);
		return;
	}
	if (lvl > log_threshold)
		return;
	if (journal) {
		n = snprintf(line, sizeof(line), "<%d>", level_prio[lvl]);
	} else {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
		n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ldZ %s: ",
			      ts.tv_nsec / 1000000, level_names[lvl]);
	}
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line, so lines from different threads never mix. */
	fwrite(line, 1, (size_t)n, stderr);
	fflush(stderr);
}

void log_limited(struct log_limit *lim, enum log_level lvl, const char *fmt, ...)
{
	uint64_t now, next, suppressed;
	char msg[896];
	va_list ap;

	if (lvl > log_threshold)
		return;
	now = monotime_coarse_ns();
	next = __atomic_load_n(&lim->next_ns, __ATOMIC_RELAXED);
	/* The one thread that moves next_ns on writes the line. */
	if (now < next || !__atomic_compare_exchange_n(&lim->next_ns, &next,
						       now + 1000000000u, false,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_fetch_add(&lim->suppressed, 1, __ATOMIC_RELAXED);
		return;
	}
	suppressed = __atomic_exchange_n(&lim->suppressed, 0, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (suppressed)
		log_msg(lvl, "%s (%llu similar suppressed)", msg, (unsigned long long)suppressed);
	else
		log_msg(lvl, "%s", msg);
}
