/* SPDX-License-Identifier: MIT */
/*
 * cli_number.c - numbers on command lines and, later, in config files:
 * plain, counts (k, M, G), sizes (K, M, G binary; KiB, MiB, GiB) and
 * durations (ms, s, m, h).  One scanner for all of them, so that every
 * program rejects the same things the same way: signs, spaces, empty
 * strings, hex, trailing junk, overflow.  strtoul is not used because it
 * takes "-5" (as a huge number), " 5" and "+5".
 */
#include "cli/cli.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct unit {
	const char *name;
	uint64_t mult;
};

/* How one kind of number is written. */
struct number_kind {
	const struct unit *units;	/* NULL-terminated; bare numbers apart */
	const char *bad_unit;		/* *why for an unknown suffix */
	bool fractions;			/* 1.5k: allowed if the result is whole */
};

static const struct unit no_units[] = { { NULL, 0 } };
static const struct unit count_units[] = {
	{ "k", 1000 }, { "K", 1000 }, { "M", 1000000 }, { "G", 1000000000 },
	{ NULL, 0 },
};
/* Sizes are binary in every case: 4M has always meant 4 MiB to stunringd. */
static const struct unit size_units[] = {
	{ "k", 1ull << 10 }, { "K", 1ull << 10 }, { "KiB", 1ull << 10 },
	{ "m", 1ull << 20 }, { "M", 1ull << 20 }, { "MiB", 1ull << 20 },
	{ "g", 1ull << 30 }, { "G", 1ull << 30 }, { "GiB", 1ull << 30 },
	{ NULL, 0 },
};
static const struct unit duration_units[] = {
	{ "ms", CLI_MS }, { "s", CLI_S }, { "m", 60 * CLI_S }, { "h", 3600 * CLI_S },
	{ NULL, 0 },
};

static const struct number_kind plain = {
	no_units, "not a whole number (digits only)", false };
static const struct number_kind count = {
	count_units, "unknown multiplier (k, M or G)", true };
static const struct number_kind size = {
	size_units, "unknown unit (K, M, G or KiB, MiB, GiB)", true };
static const struct number_kind duration = {
	duration_units, "unknown unit (ms, s, m or h)", true };

/* DIGITS[.DIGITS][UNIT] times the unit (bare: bare_mult), in lo..hi. */
static int scan(const char *s, const struct number_kind *k, uint64_t bare_mult,
		uint64_t lo, uint64_t hi, uint64_t *out, const char **why)
{
	unsigned __int128 whole = 0, frac = 0, den = 1, v;
	uint64_t mult = bare_mult;
	const char *p = s;

	if (!*s)
		return *why = "empty", -1;
	if (*s == '-')
		return *why = "negative", -1;
	if (*s < '0' || *s > '9')
		return *why = "not a number", -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (unsigned)(*p - '0');
		if (whole > UINT64_MAX)
			return *why = "too large", -1;
	}
	if (*p == '.' && k->fractions) {
		if (p[1] < '0' || p[1] > '9')
			return *why = "not a number", -1;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (den >= 1000000000000000000ull)	/* 18 digits */
				return *why = "too many decimals", -1;
			frac = frac * 10 + (unsigned)(*p - '0');
			den *= 10;
		}
	}
	if (*p) {
		const struct unit *u = k->units;

		while (u->name && strcmp(u->name, p))
			u++;
		if (!u->name)
			return *why = k->bad_unit, -1;
		mult = u->mult;
	}
	if (frac * mult % den)
		return *why = "not a whole number", -1;
	v = whole * mult + frac * mult / den;
	if (v > UINT64_MAX || v > hi)
		return *why = "too large", -1;
	if (v < lo)
		return *why = "too small", -1;
	*out = (uint64_t)v;
	return 0;
}

int cli_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
		   const char **why)
{
	return scan(s, &plain, 1, lo, hi, out, why);
}

int cli_parse_count(const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
		    const char **why)
{
	return scan(s, &count, 1, lo, hi, out, why);
}

int cli_parse_size(const char *s, uint64_t lo, uint64_t hi, uint64_t *out,
		   const char **why)
{
	return scan(s, &size, 1, lo, hi, out, why);
}

int cli_parse_duration(const char *s, uint64_t bare_unit, uint64_t lo_ns,
		       uint64_t hi_ns, uint64_t *ns, const char **why)
{
	return scan(s, &duration, bare_unit, lo_ns, hi_ns, ns, why);
}

int cli_parse_port(const char *s, uint16_t *out, const char **why)
{
	uint64_t v;

	if (scan(s, &plain, 1, 1, 65535, &v, why))
		return -1;
	*out = (uint16_t)v;
	return 0;
}
