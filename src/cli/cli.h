/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what every stunring program's command line needs: numbers with
 * size, count and duration suffixes, port, address and CPU lists, pinning
 * a thread, and the one-line error convention.  libstunring_cli.a; it uses
 * the codec (libstunring) for addresses and adds nothing to it.
 *
 * The spellings (src/README.md, "Command-line conventions"):
 *   number    decimal digits only: no sign, space, 0x or empty string
 *   count     a number, optionally with k, K (x1000), M (x10^6), G (x10^9);
 *             a fraction is allowed when the result is whole: 1.5k
 *   size      bytes, optionally with K, M, G (binary: x1024, any case) or
 *             KiB, MiB, GiB: 4M = 4MiB = 4194304
 *   duration  a number with ms, s, m or h (fractions allowed: 1.5s); a bare
 *             number is in the option's documented unit
 *   list      comma-separated items, and the option may be repeated
 *
 * Parsers never print: they return 0, or -1 with *why set to a short static
 * phrase ("out of range", "unknown unit (ms, s, m, h)") that the caller
 * puts after the option name or, in a config file, after FILE:LINE.
 */
#ifndef STUNRING_CLI_H
#define STUNRING_CLI_H

#include <stdarg.h>
#include <stdint.h>

#include "stunring.h"
#include "stun_limits.h"

/* ---- errors (cli_error.c) ------------------------------------------------ */

/* Name the program and its usage exit status once, before any parsing. */
void cli_init(const char *prog, int usage_status);
/* "PROG: message (see PROG --help)" on stderr; returns the usage status. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_verror(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* The usage error for a bad value: "PROG: OPT 'ARG': WHY; expected ...". */
int cli_bad_value(const char *opt, const char *arg, const char *why,
		  const char *expected_fmt, ...) __attribute__((format(printf, 4, 5)));
/* The usage error for what getopt_long refused: c is ':' (a value is
 * missing; the optstring must start with ':') or '?' (unknown option).
 * Set opterr = 0 so that getopt prints nothing itself. */
int cli_getopt_error(int c, char *const *argv);
/* Send usage errors to fn instead of stderr (NULL: back to stderr), bare:
 * no "PROG: " before and no "(see PROG --help)" after.  A configuration
 * file reader uses it to put FILE:LINE in front of the same messages. */
typedef void (*cli_sink_fn)(void *user, const char *msg);
void cli_set_sink(cli_sink_fn fn, void *user);
/* "PROG: message" on stderr; returns status (a failure that is not usage). */
int cli_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- numbers (cli_number.c) ---------------------------------------------- */

#define CLI_MS	1000000ull	/* nanoseconds: the units a bare duration has */
#define CLI_S	1000000000ull

int cli_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
		   const char **why);
int cli_parse_count(const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
		    const char **why);
int cli_parse_size(const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
		   const char **why);
/* *ns in nanoseconds; bare_unit: CLI_S, CLI_MS, ... for a bare number. */
int cli_parse_duration(const char *s, uint64_t bare_unit, uint64_t lo_ns,
		       uint64_t hi_ns, uint64_t *ns, const char **why);
/* A UDP port, 1 to 65535. */
int cli_parse_port(const char *s, uint16_t *out, const char **why);

/* ---- lists (cli_list.c) -------------------------------------------------- */

#define CLI_ITEM_MAX 64		/* longest item: an IPv6 address with a port */

/* Walks "a,b,c": while (cli_items_next(&it, &why) > 0) use it.item. */
struct cli_items {
	const char *next;	/* NULL at the end */
	char item[CLI_ITEM_MAX];
};
void cli_items_init(struct cli_items *it, const char *list);
/* 1: it->item is the next item; 0: the end; -1: an empty or too long
 * item (*why). */
int cli_items_next(struct cli_items *it, const char **why);

/* Append the ports (cli_parse_port) of list to ports[*n], at most max in
 * all: --port 3478,3479 --port 5349. */
int cli_parse_ports(const char *list, uint16_t *ports, unsigned int *n,
		    unsigned int max, const char **why);
/* Append the addresses of list (IP, IP:PORT, [IPv6]:PORT; default_port
 * where none is given) to addrs[*n], at most max in all. */
int cli_parse_addrs(const char *list, uint16_t default_port,
		    struct stun_addr *addrs, unsigned int *n, unsigned int max,
		    const char **why);

/* ---- CPUs (cli_cpus.c) --------------------------------------------------- */

/* A CPU list, "0-3,6": cpus[] in the order given, *n of them (at most max). */
int cli_parse_cpus(const char *list, int *cpus, unsigned int *n, unsigned int max,
		   const char **why);
/* The CPUs this process may run on (its affinity mask), in order; at least
 * one entry: cpus[0] = -1 when the mask cannot be read. */
unsigned int cli_usable_cpus(int *cpus, unsigned int cap);
/* Pin the calling thread to cpu (nothing when cpu < 0).  0 or an errno. */
int cli_pin_thread(int cpu);

/* ---- abuse limits (cli_limits.c) ----------------------------------------- */

/* The option names cli_limits_option takes (without "--"), NULL-ended. */
extern const char *const cli_limit_options[];
void cli_limits_defaults(struct stun_limits *l);
/* Apply --NAME ARG (allow, deny, rate-limit, error-rate-limit,
 * rate-limit-prefix4/6, max-response-rate) to l: -1, or the usage status
 * after one error line. */
int cli_limits_option(struct stun_limits *l, const char *name, const char *arg);
/* A list option given again on the command line replaces the file's. */
void cli_limits_reset(struct stun_limits *l, const char *name);
/* The option's value in l as text ("" for an empty list). */
void cli_limits_text(const struct stun_limits *l, const char *name, char *buf, size_t n);
/* IP/LEN or a bare IP (IPv4 kept mapped, stun_limits.h); 0 or -1 (*why). */
int cli_parse_prefix(const char *s, struct stun_prefix *p, const char **why);
void cli_format_prefix(const struct stun_prefix *p, char *buf, size_t n);
/* Clear the bits of addr past len. */
void cli_prefix_mask(uint8_t addr[16], unsigned int len);

#endif
