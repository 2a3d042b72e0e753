/* SPDX-License-Identifier: MIT */
/*
 * config_ini.c - libinih does the INI parsing; this file feeds it one line
 * at a time through ini_parse_stream so that we always know the line
 * number (Debian's libinih is built without INI_HANDLER_LINENO), and keeps
 * from it the lines it would accept in ways an operator would not expect:
 * sections, `key: value`, continuation lines, lines longer than its buffer.
 * Those become problems with their line number instead.
 */
#include "config_ini.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	FILE *f;
	char *buf;		/* getline's: any length */
	size_t cap;
	unsigned int line;	/* of the line last handed to inih */
	const struct config_ini_ops *ops;
	void *user;
	int stopped;
	int read_errno;
};

/* A line inih would misread: the problem, or NULL when it is fine. */
static const char *odd_line(const char *s)
{
	if (!*s || *s == '#' || *s == ';')
		return NULL;
	if (*s == '[')
		return "sections are not used: write key = value lines only";
	const char *eq = strchr(s, '=');
	const char *colon = strchr(s, ':');
	if (!eq)
		return "expected key = value";
	if (colon && colon < eq)
		return "expected key = value (not key: value)";
	if (eq == s)
		return "a key is missing before '='";
	return NULL;
}

/* ini_reader: the next line, as inih should see it. */
static char *next_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	ssize_t n = getline(&r->buf, &r->cap, r->f);

	if (n < 0) {
		if (ferror(r->f))
			r->read_errno = errno ? errno : EIO;
		return NULL;
	}
	r->line++;
	while (n > 0 && (r->buf[n - 1] == '\n' || r->buf[n - 1] == '\r'))
		r->buf[--n] = 0;
	char *s = r->buf + strspn(r->buf, " \t");
	const char *why = odd_line(s);
	if (!why && strlen(s) + 2 > (size_t)num)
		why = "line too long";
	if (why) {
		r->ops->problem(r->user, r->line, why);
		s = "";
	}
	snprintf(str, (size_t)num, "%s\n", s);
	return str;
}

static int on_entry(void *user, const char *section, const char *name,
		    const char *value)
{
	struct reader *r = user;

	(void)section;	/* always "": section lines never reach inih */
	if (r->stopped)
		return 1;
	r->stopped = r->ops->entry(r->user, r->line, name, value);
	return 1;	/* never an inih error: entry reports its own */
}

int config_ini_read_stream(FILE *f, const struct config_ini_ops *ops, void *user)
{
	struct reader r = { .f = f, .ops = ops, .user = user };

	ini_parse_stream(next_line, &r, on_entry, &r);
	free(r.buf);
	if (r.read_errno)
		return -r.read_errno;
	return r.stopped ? 1 : 0;
}

int config_ini_read(const char *path, const struct config_ini_ops *ops, void *user)
{
	FILE *f = fopen(path, "re");
	int rc;

	if (!f)
		return -errno;
	rc = config_ini_read_stream(f, ops, user);
	fclose(f);
	return rc;
}
