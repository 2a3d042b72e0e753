/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c - libFuzzer harness over stunringd's configuration file
 * reader: the input is the file (fmemopen), read by config_check_stream,
 * which is --check-config without a command line: libinih line by line
 * (config_ini.c), every key through config_option_apply, then the checks
 * across options and RFC 5780's.
 *
 * Beyond "no crash, no leak" (ASan's leak check runs after every input
 * that allocated), it checks what an operator is promised:
 *  - a file is refused exactly when at least one problem line was printed,
 *    and accepted with none;
 *  - every problem is one line "NAME:LINE: text", LINE a line of the input
 *    (1 to the number of lines), or a single "NAME: text" line for a
 *    problem of the file as a whole (the checks across options, which only
 *    run when no line had a problem);
 *  - an accepted configuration is within its documented ranges.
 */
#include "daemon/config_load.h"
#include "fuzz_check.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "fuzz.conf"

/* `user = NAME` looks the name up (config.c).  The host's user database is
 * not under test, and through nss_systemd an unknown name costs ~1.5 ms,
 * a hundred inputs' time: this lookup knows root, nobody and stunring.
 * Defined here, it takes the place of libc's (and ASan's) for the harness. */
struct passwd *getpwnam(const char *name)
{
	static const char *const known[] = { "root", "nobody", "stunring" };
	static struct passwd pw;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (!strcmp(name, known[i])) {
			pw.pw_name = (char *)known[i];
			pw.pw_uid = pw.pw_gid = (uid_t)(i ? 65534 - i : 0);
			return &pw;
		}
	}
	return NULL;
}

/* Lines as getline sees them: each '\n' ends one, and a last line without
 * one still counts. */
static unsigned long count_lines(const uint8_t *data, size_t size)
{
	unsigned long n = 0;

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size && data[size - 1] != '\n');
}

/* One problem line: its line number (0 for the file as a whole). */
static unsigned long problem_line(const char *s, size_t len)
{
	size_t nl = strlen(NAME);
	char *end;

	CHECK(len > nl + 2 && !memcmp(s, NAME ":", nl + 1), "'%.*s'", (int)len, s);
	s += nl + 1;
	if (*s == ' ')
		return 0;	/* "NAME: text", text not empty (checked above) */
	CHECK(*s >= '1' && *s <= '9', "no line number: '%.*s'", (int)len, s);
	unsigned long line = strtoul(s, &end, 10);
	CHECK(end[0] == ':' && end[1] == ' ' && end[2] && end[2] != '\n',
	      "not 'LINE: text': '%.*s'", (int)len, s);
	return line;
}

static void check_ranges(const struct daemon_config *c)
{
	CHECK(c->n_listen >= 1 && c->n_listen <= MAX_LISTEN, "%u listeners", c->n_listen);
	CHECK(c->workers <= MAX_WORKERS, "%u workers", c->workers);
	CHECK(c->rcvbuf >= 4096 && c->rcvbuf <= (1 << 30), "rcvbuf %d", c->rcvbuf);
	CHECK(c->sndbuf >= 4096 && c->sndbuf <= (1 << 30), "sndbuf %d", c->sndbuf);
	CHECK(c->ring_buffers >= 16 && c->ring_buffers <= 32768 &&
	      !(c->ring_buffers & (c->ring_buffers - 1)), "ring-buffers %u", c->ring_buffers);
	CHECK(!c->stats_interval_ms ||
	      (c->stats_interval_ms >= 100 && c->stats_interval_ms <= 24 * 3600 * 1000u),
	      "stats-interval %u ms", c->stats_interval_ms);
	CHECK(c->strings_used <= sizeof(c->strings), "strings %zu", c->strings_used);
	CHECK(!c->xdp_ifname || (*c->xdp_ifname && strlen(c->xdp_ifname) < 16), "xdp");
	CHECK(!(c->xdp_ifname && c->rfc5780), "xdp with rfc5780");
	const struct stun_limits *l = &c->limits;
	CHECK(l->n_allow <= STUN_ACL_MAX && l->n_deny <= STUN_ACL_MAX, "acl");
	CHECK(l->prefix4 >= 1 && l->prefix4 <= 32 && l->prefix6 >= 1 && l->prefix6 <= 128,
	      "prefix %u %u", l->prefix4, l->prefix6);
	CHECK(l->rate <= 100000000u && (l->rate ? l->burst >= 1 : !l->burst), "rate");
	CHECK(l->err_rate <= 100000000u && (l->err_rate ? l->err_burst >= 1 : !l->err_burst),
	      "error rate");
	for (unsigned i = 0; i < l->n_allow; i++)
		CHECK(l->allow[i].len <= 128, "allow len %u", l->allow[i].len);
	for (unsigned i = 0; i < l->n_deny; i++)
		CHECK(l->deny[i].len <= 128, "deny len %u", l->deny[i].len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Static buffers: no allocation per input beyond the reader's own
	 * (getline's line buffer, the FILEs), which keeps the leak check
	 * about the code under test and the harness fast. */
	static struct daemon_config cfg;
	static char inbuf[4096], text[1 << 20];
	FILE *in, *out;
	long text_len;
	int rc;

	if (size > 4096)
		return 0;
	/* fmemopen of 0 bytes fails; an empty file is "" with one NUL. */
	in = fmemopen(size ? (void *)data : "", size ? size : 1, "r");
	out = fmemopen(text, sizeof(text) - 1, "w");
	if (!in || !out)
		abort();
	setvbuf(in, inbuf, _IOFBF, sizeof(inbuf));
	setvbuf(out, NULL, _IONBF, 0);
	if (!size)
		fgetc(in);	/* at the end: nothing to read */
	rc = config_check_stream(&cfg, NAME, in, out);
	fclose(in);
	text_len = ftell(out);
	fclose(out);
	CHECK(text_len >= 0 && text_len < (long)sizeof(text) - 1, "%ld bytes of problems", text_len);
	text[text_len] = 0;

	unsigned long lines = count_lines(data, size), n = 0, whole = 0;
	for (char *s = text, *nl; *s; s = nl + 1) {
		nl = strchr(s, '\n');
		CHECK(nl, "problem line not ended: '%s'", s);
		unsigned long line = problem_line(s, (size_t)(nl - s));
		CHECK(line <= lines, "line %lu of a %lu-line file: '%.*s'", line, lines,
		      (int)(nl - s), s);
		whole += !line;
		n++;
	}
	CHECK(rc == -1 || rc == EXIT_USAGE, "rc %d", rc);
	CHECK((rc == -1) == (n == 0), "rc %d with %lu problem lines", rc, n);
	CHECK(!whole || (whole == 1 && n == 1), "%lu whole-file problems among %lu", whole, n);
	if (rc == -1)
		check_ranges(&cfg);
	return 0;
}
