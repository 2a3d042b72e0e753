/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_progress.c - one status line on stderr while tests wait.
 *
 * A silent test is a verdict that takes seconds (minutes with
 * --rfc-timers); without this line stunprobe looks hung.  It is drawn only
 * when stderr is a terminal and there is no --json (probe_parse_args
 * decides), redrawn in place with \r and erased before anything else is
 * printed, so logs and results never contain it.
 */
#include "stunprobe.h"

#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define REDRAW_US 250000

/* Terminal width, so the line never wraps (a wrapped line cannot be
 * redrawn with \r). */
static size_t columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		return ws.ws_col;
	return 80;
}

void probe_progress_draw(struct probe_engine *e, int64_t now_us)
{
	char line[512];
	size_t len, width = columns() - 1;
	int n;

	if (now_us < e->progress_next_us)
		return;
	/* Armed, not drawn: a wait shorter than one tick shows nothing. */
	if (!e->progress_next_us) {
		e->progress_next_us = now_us + REDRAW_US;
		return;
	}
	e->progress_next_us = now_us + REDRAW_US;
	n = snprintf(line, sizeof(line), "stunprobe: waiting:");
	for (unsigned int i = 0; i < e->n && n > 0 && (size_t)n < sizeof(line); i++) {
		const struct probe_txn *t = e->txn[i];
		double waited = t->start_us < now_us ?
				(double)(now_us - t->start_us) / 1e6 : 0;

		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s %s %.1f s",
			      i ? "," : "", t->name ? t->name : "test", waited);
	}
	len = strnlen(line, sizeof(line));
	if (len > width)
		len = width;
	/* \r, the text, erase to the end of the line. */
	fprintf(stderr, "\r%.*s\033[K", (int)len, line);
	fflush(stderr);
	e->progress_drawn = true;
}

void probe_progress_clear(struct probe_engine *e)
{
	e->progress_next_us = 0;	/* re-armed for the next wait */
	if (!e->progress_drawn)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	e->progress_drawn = false;
}
