/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cli.c - libFuzzer harness over the command-line value parsers
 * (src/cli/): numbers, counts, sizes, durations, ports, port, address and
 * CPU lists, CIDR prefixes and the abuse-limit options (--allow, --deny,
 * --rate-limit RATE[/BURST], ...), which stunringd's config file and every
 * program's flags go through.
 *
 * Input: byte 0 picks the parser, byte 1 its range or option, the rest is
 * the text (up to its first NUL, as argv would have it).  Beyond "no
 * crash, no write past a buffer" (lists write into heap arrays of exactly
 * the size they are given), it checks:
 *  - numbers against an independent reading of the spelling in cli.h
 *    (DIGITS[.DIGITS][UNIT], exact, in lo..hi): accepted exactly when the
 *    oracle accepts, with the same value;
 *  - every refusal sets *why (or prints exactly one error line);
 *  - lists: accepted items in range, as many as the list has, nothing
 *    before the caller's count or past max touched;
 *  - addresses and prefixes round-trip through their text form; a prefix
 *    has no bit set past its length;
 *  - a limit option's value in range, and its text applies back to the
 *    same value.
 */
#include "cli/cli.h"
#include "fuzz_check.h"

#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the oracle for numbers ---------------------------------------------- */

struct unit {
	const char *name;
	uint64_t mult;
};
static const struct unit no_units[] = { { NULL, 0 } };
static const struct unit count_units[] = {
	{ "k", 1000 }, { "K", 1000 }, { "M", 1000000 }, { "G", 1000000000 }, { NULL, 0 } };
static const struct unit size_units[] = {
	{ "k", 1024 }, { "K", 1024 }, { "KiB", 1024 }, { "m", 1 << 20 }, { "M", 1 << 20 },
	{ "MiB", 1 << 20 }, { "g", 1 << 30 }, { "G", 1 << 30 }, { "GiB", 1 << 30 }, { NULL, 0 } };
static const struct unit duration_units[] = {
	{ "ms", CLI_MS }, { "s", CLI_S }, { "m", 60 * CLI_S }, { "h", 3600 * CLI_S }, { NULL, 0 } };

/* What cli.h promises for s: 0 and *v, or -1. */
static int oracle(const char *s, const struct unit *units, bool fractions,
		  uint64_t bare, uint64_t lo, uint64_t hi, uint64_t *v)
{
	unsigned __int128 whole = 0, frac = 0, den = 1, mult = bare, r;
	size_t nd = strspn(s, "0123456789"), nf = 0;
	const char *p = s + nd;

	if (!nd)
		return -1;
	for (size_t i = 0; i < nd; i++) {	/* leading zeros are fine */
		whole = whole * 10 + (unsigned)(s[i] - '0');
		if (whole > UINT64_MAX)
			return -1;
	}
	if (*p == '.' && fractions) {
		nf = strspn(p + 1, "0123456789");
		if (!nf || nf > 18)
			return -1;
		for (size_t i = 1; i <= nf; i++) {
			frac = frac * 10 + (unsigned)(p[i] - '0');
			den *= 10;
		}
		p += 1 + nf;
	}
	if (*p) {
		const struct unit *u = units;
		while (u->name && strcmp(u->name, p))
			u++;
		if (!u->name)
			return -1;
		mult = u->mult;
	}
	if (frac * mult % den)
		return -1;
	r = whole * mult + frac * mult / den;
	if (r > hi || r < lo)
		return -1;
	*v = (uint64_t)r;
	return 0;
}

static const struct {
	uint64_t lo, hi;
} ranges[] = {
	{ 0, UINT64_MAX }, { 1, 65535 }, { 16, 32768 }, { 4096, 1u << 30 },
	{ 0, 24 * 3600 * CLI_S }, { 1, 256 }, { 0, 100000000 }, { 1, 1 },
};

static void check_number(int kind, const char *s, uint8_t r)
{
	uint64_t lo = ranges[r % 8].lo, hi = ranges[r % 8].hi, v = 0xdeadbeef, want = 0;
	uint64_t bare = (r & 8) ? CLI_MS : CLI_S;
	const char *why = NULL;
	int rc, orc;

	switch (kind) {
	case 0:
		rc = cli_parse_uint(s, lo, hi, &v, &why);
		orc = oracle(s, no_units, false, 1, lo, hi, &want);
		break;
	case 1:
		rc = cli_parse_count(s, lo, hi, &v, &why);
		orc = oracle(s, count_units, true, 1, lo, hi, &want);
		break;
	case 2:
		rc = cli_parse_size(s, lo, hi, &v, &why);
		orc = oracle(s, size_units, true, 1, lo, hi, &want);
		break;
	case 3:
		rc = cli_parse_duration(s, bare, lo, hi, &v, &why);
		orc = oracle(s, duration_units, true, bare, lo, hi, &want);
		break;
	default: {
		uint16_t port = 0xbeef;
		rc = cli_parse_port(s, &port, &why);
		orc = oracle(s, no_units, false, 1, 1, 65535, &want);
		v = port;
		break;
	}
	}
	CHECK(rc == orc, "parser %d '%s' [%llu, %llu]: %d, oracle %d (%s)", kind, s,
	      (unsigned long long)lo, (unsigned long long)hi, rc, orc, why ? why : "-");
	if (!rc)
		CHECK(v == want, "parser %d '%s': %llu, oracle %llu", kind, s,
		      (unsigned long long)v, (unsigned long long)want);
	else
		CHECK(why && *why && rc == -1, "parser %d '%s': no reason", kind, s);
}

/* ---- lists --------------------------------------------------------------- */

static unsigned int count_items(const char *s)
{
	unsigned int n = 1;

	for (; *s; s++)
		n += *s == ',';
	return n;
}

static void check_ports(const char *s, uint8_t r)
{
	unsigned int max = 1 + r % 16, n0 = (r >> 4) % (max + 1), n = n0;
	uint16_t *ports = malloc(max * sizeof(*ports));
	const char *why = NULL;

	for (unsigned int i = 0; i < max; i++)
		ports[i] = 0;
	int rc = cli_parse_ports(s, ports, &n, max, &why);
	CHECK(n >= n0 && n <= max, "n %u of %u (from %u)", n, max, n0);
	for (unsigned int i = 0; i < n0; i++)
		CHECK(!ports[i], "port %u before the count written", i);
	for (unsigned int i = n0; i < n; i++)
		CHECK(ports[i] >= 1, "port 0 accepted");
	if (rc)
		CHECK(rc == -1 && why && *why, "'%s': no reason", s);
	else
		CHECK(n - n0 == count_items(s), "'%s': %u ports", s, n - n0);
	free(ports);
}

static void check_addrs(const char *s, uint8_t r)
{
	unsigned int max = 1 + r % 16, n0 = (r >> 4) % (max + 1), n = n0;
	struct stun_addr *a = calloc(max, sizeof(*a)), b;
	const char *why = NULL;
	char text[STUN_ADDR_STRLEN];

	int rc = cli_parse_addrs(s, 3478, a, &n, max, &why);
	CHECK(n >= n0 && n <= max, "n %u of %u (from %u)", n, max, n0);
	for (unsigned int i = 0; i < n0; i++)
		CHECK(!a[i].family, "address %u before the count written", i);
	for (unsigned int i = n0; i < n; i++) {
		stun_addr_format(&a[i], text, sizeof(text));
		CHECK(!stun_addr_parse(&b, text, 0) && stun_addr_equal(&a[i], &b),
		      "'%s' item %u does not round-trip: '%s'", s, i - n0, text);
	}
	if (rc)
		CHECK(rc == -1 && why && *why, "'%s': no reason", s);
	else
		CHECK(n - n0 == count_items(s), "'%s': %u addresses", s, n - n0);
	free(a);
}

static void check_cpus(const char *s, uint8_t r)
{
	unsigned int max = 1 + r, n = 12345, want = 0;
	int *cpus = malloc(max * sizeof(*cpus));
	const char *why = NULL;

	int rc = cli_parse_cpus(s, cpus, &n, max, &why);
	CHECK(n <= max, "n %u of %u", n, max);
	for (unsigned int i = 0; i < n; i++)
		CHECK(cpus[i] >= 0 && cpus[i] < CPU_SETSIZE, "cpu %d", cpus[i]);
	if (rc) {
		CHECK(rc == -1 && why && *why, "'%s': no reason", s);
	} else {
		/* Each item N or N-M, in order. */
		struct cli_items it;
		const char *w;
		unsigned int k = 0;
		cli_items_init(&it, s);
		while (cli_items_next(&it, &w) > 0) {
			unsigned long a = strtoul(it.item, NULL, 10), b = a;
			char *dash = strchr(it.item, '-');
			if (dash)
				b = strtoul(dash + 1, NULL, 10);
			CHECK(a <= b, "'%s' range %lu-%lu", s, a, b);
			for (unsigned long c = a; c <= b; c++, k++)
				CHECK(k < n && (unsigned long)cpus[k] == c, "'%s': cpu %u", s, k);
			want += (unsigned int)(b - a + 1);
		}
		CHECK(n == want, "'%s': %u CPUs, expected %u", s, n, want);
	}
	free(cpus);
}

/* ---- prefixes and limits ------------------------------------------------- */

static void check_prefix(const char *s)
{
	static const uint8_t mapped[12] = { [10] = 0xFF, [11] = 0xFF };
	struct stun_prefix p, q;
	const char *why = NULL;
	char text[64];

	memset(&p, 0xA5, sizeof(p));
	if (cli_parse_prefix(s, &p, &why)) {
		CHECK(why && *why, "'%s': no reason", s);
		return;
	}
	CHECK(p.len <= 128, "'%s': length %u", s, p.len);
	for (unsigned int bit = p.len; bit < 128; bit++)
		CHECK(!(p.addr[bit / 8] & (0x80 >> bit % 8)), "'%s': bit %u set", s, bit);
	/* A dotted IPv4 address without ':' is kept mapped. */
	const char *slash = strchr(s, '/');
	if (!memchr(s, ':', slash ? (size_t)(slash - s) : strlen(s)))
		CHECK(p.len >= 96 && !memcmp(p.addr, mapped, 12), "'%s' not mapped", s);
	cli_format_prefix(&p, text, sizeof(text));
	CHECK(!cli_parse_prefix(text, &q, &why) && q.len == p.len &&
	      !memcmp(q.addr, p.addr, 16), "'%s' -> '%s' does not round-trip", s, text);
}

struct sink_msgs {
	unsigned int n;
	char first[600];
};

static void sink(void *user, const char *msg)
{
	struct sink_msgs *m = user;

	if (!m->n++)
		snprintf(m->first, sizeof(m->first), "%s", msg);
}

static void check_limit(const char *s, uint8_t r)
{
	unsigned int k = r % 7;
	const char *name = cli_limit_options[k];
	struct stun_limits l, l2;
	struct sink_msgs msgs = { 0 };
	char text[64 * 64], text2[64 * 64], opt[48];

	cli_limits_defaults(&l);
	cli_set_sink(sink, &msgs);
	int rc = cli_limits_option(&l, name, s);
	cli_set_sink(NULL, NULL);
	if (rc != -1) {
		snprintf(opt, sizeof(opt), "--%s '", name);
		CHECK(rc == 64 && msgs.n == 1 && !strncmp(msgs.first, opt, strlen(opt)),
		      "--%s '%s': rc %d, %u lines, first '%s'", name, s, rc, msgs.n, msgs.first);
		return;
	}
	CHECK(!msgs.n, "--%s '%s' accepted with a message '%s'", name, s, msgs.first);
	CHECK(l.n_allow <= STUN_ACL_MAX && l.n_deny <= STUN_ACL_MAX, "acl");
	CHECK(l.rate <= 100000000u && (l.rate ? l.burst >= 1 && l.burst <= 100000000u : !l.burst),
	      "--%s '%s': rate %u/%u", name, s, l.rate, l.burst);
	CHECK(l.err_rate <= 100000000u &&
	      (l.err_rate ? l.err_burst >= 1 && l.err_burst <= 100000000u : !l.err_burst),
	      "--%s '%s': error rate %u/%u", name, s, l.err_rate, l.err_burst);
	CHECK(l.prefix4 >= 1 && l.prefix4 <= 32 && l.prefix6 >= 1 && l.prefix6 <= 128,
	      "--%s '%s': prefixes %u %u", name, s, l.prefix4, l.prefix6);
	CHECK(l.max_rate <= 100000000u, "max rate %u", l.max_rate);
	if (k == 2) {	/* rate-limit: RATE[/BURST] by the number oracle */
		const char *slash = strchr(s, '/');
		char rate[64];
		uint64_t v, b;
		snprintf(rate, sizeof(rate), "%.*s", (int)(slash ? slash - s : 63), s);
		CHECK(!oracle(rate, count_units, true, 1, 0, 100000000, &v) && v == l.rate,
		      "'%s': rate %u", s, l.rate);
		b = v;
		CHECK(!slash || (!oracle(slash + 1, count_units, true, 1, 1, 100000000, &b)),
		      "'%s': burst refused by the oracle", s);
		CHECK(l.burst == (v ? b : 0), "'%s': burst %u, expected %llu", s, l.burst,
		      (unsigned long long)(v ? b : 0));
	}
	/* What stunctl and config_diff show applies back to the same. */
	cli_limits_text(&l, name, text, sizeof(text));
	if (!*text)
		return;	/* an empty list: nothing to apply */
	cli_limits_defaults(&l2);
	cli_set_sink(sink, &msgs);
	rc = cli_limits_option(&l2, name, text);
	cli_set_sink(NULL, NULL);
	CHECK(rc == -1, "--%s '%s': its text '%s' is refused: %s", name, s, text, msgs.first);
	cli_limits_text(&l2, name, text2, sizeof(text2));
	CHECK(!strcmp(text, text2), "--%s '%s': '%s' then '%s'", name, s, text, text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[4096];

	if (size < 2 || size - 2 >= sizeof(s))
		return 0;
	memcpy(s, data + 2, size - 2);
	s[size - 2] = 0;	/* argv stops at the first NUL too */
	switch (data[0] % 10) {
	case 0: case 1: case 2: case 3: case 4:
		check_number(data[0] % 10, s, data[1]);
		break;
	case 5:
		check_ports(s, data[1]);
		break;
	case 6:
		check_addrs(s, data[1]);
		break;
	case 7:
		check_cpus(s, data[1]);
		break;
	case 8:
		check_prefix(s);
		break;
	default:
		check_limit(s, data[1]);
		break;
	}
	return 0;
}
