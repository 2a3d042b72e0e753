/* SPDX-License-Identifier: MIT */
/*
 * cli_error.c - the one error line every program prints for bad input:
 * "PROG: what is wrong (see PROG --help)" on stderr, then the program's
 * own usage exit status (stunringd and stunprobe 64, stunctl and stunload
 * 2), named once by cli_init.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>

static const char *prog = "stunring";
static int usage_status = 64;	/* EX_USAGE until a program says otherwise */
/* Per thread: a configuration reader (or an embedded server checking its
 * options) catches its own errors without touching another thread's. */
static __thread cli_sink_fn sink;
static __thread void *sink_user;

void cli_init(const char *name, int status)
{
	prog = name;
	usage_status = status;
}

void cli_set_sink(cli_sink_fn fn, void *user)
{
	sink = fn;
	sink_user = user;
}

int cli_usage_verror(const char *fmt, va_list ap)
{
	if (sink) {
		char msg[512];
		vsnprintf(msg, sizeof(msg), fmt, ap);
		sink(sink_user, msg);
		return usage_status;
	}
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see %s --help)\n", prog);
	return usage_status;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = cli_usage_verror(fmt, ap);
	va_end(ap);
	return rc;
}

int cli_bad_value(const char *opt, const char *arg, const char *why,
		  const char *expected_fmt, ...)
{
	char expected[160];
	va_list ap;

	va_start(ap, expected_fmt);
	vsnprintf(expected, sizeof(expected), expected_fmt, ap);
	va_end(ap);
	return cli_usage_error("%s '%s': %s; expected %s", opt, arg, why, expected);
}

int cli_getopt_error(int c, char *const *argv)
{
	if (c == ':')
		return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
	if (optopt)
		return cli_usage_error("unknown option '-%c'", optopt);
	return cli_usage_error("unknown option '%s'", argv[optind - 1]);
}

int cli_error(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}
