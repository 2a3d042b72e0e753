/* SPDX-License-Identifier: MIT */
/*
 * test_amplification.c - byte amplification (response bytes / request
 * bytes, STUN payload) of every request shape the server answers, through
 * the real codec (stun_respond), in each mode: basic (the default, classic
 * on), basic without classic, RFC 5780 single-IP and dual-IP, over IPv4 and
 * IPv6.  Shapes: every vector in tests/data/vectors (expected.tsv's files)
 * plus generated worst cases (shortest request with 1..40 unknown
 * comprehension-required attributes, with and without FINGERPRINT, CHANGE-
 * REQUEST, RESPONSE-PORT, PADDING of every length up to 1500, classic
 * requests, malformed RFC 5780 attributes).
 *
 * Prints the table (README "Abuse protection") and fails when:
 *  - the default configuration's worst modern IPv4 ratio is over 1.6x (or
 *    under it: then the measurement missed the 20 -> 32 floor);
 *  - its worst modern IPv6 ratio is over the IPv6 floor, 20 -> 44 (a
 *    XOR-MAPPED-ADDRESS holding 16 bytes of address is the least answer);
 *  - its worst classic ratio is over what RFC 3489 requires, 20 -> 44
 *    (MAPPED-ADDRESS and SOURCE-ADDRESS) over IPv4;
 *  - any PADDING response, in any mode, is larger than its request;
 *  - any error larger than its request carries a reason phrase.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_util.h"

enum { N_CFG = 5, N_FAM = 2 };
static const char *const cfg_names[N_CFG] = {
	"basic (default)", "basic, --no-classic", "rfc5780 single-ip",
	"rfc5780 dual-ip", "rfc5780 dual-ip, --no-classic",
};

struct worst {
	unsigned answered;
	uint32_t req, resp;	/* the worst ratio's sizes (0: none yet) */
	char shape[96];
};

/* [config][family][modern, classic, modern errors] */
static struct worst table[N_CFG][N_FAM][3];
static unsigned padding_answers, padding_over, errors_over_with_phrase;
static unsigned shapes;

static void config(struct stun_server_cfg *c, int k, int v6)
{
	stun_server_cfg_init(c);
	c->primary = addr_of(v6 ? "[2001:db8::1]:3478" : REF_A1);
	c->alt = addr_of(v6 ? "[2001:db8::2]:3479" : REF_A2);
	c->classic = k != 1 && k != 4;
	if (k >= 2) {
		c->mode = STUN_MODE_RFC5780;
		c->has_alt = k >= 3;
	}
}

static void keep(struct worst *w, const char *shape, size_t n, const struct stun_reply *rep);

static void measure(const char *shape, const uint8_t *req, size_t n)
{
	shapes++;
	for (int k = 0; k < N_CFG; k++) {
		for (int v6 = 0; v6 < N_FAM; v6++) {
			struct stun_server_cfg cfg;
			struct stun_addr peer = addr_of(v6 ? "[2001:db8::42]:40000" : REF_CLIENT);
			uint8_t out[2048 + STUN_RESPONSE_OVERHEAD];
			struct stun_reply rep;

			config(&cfg, k, v6);
			if (stun_respond(req, n, &peer, &cfg.primary, &cfg, out,
					 sizeof(out), &rep) == STUN_VERDICT_DROP)
				continue;
			if (rep.padding) {
				padding_answers++;
				if (rep.len > n) {
					padding_over++;
					print_message("# PADDING over: %s %s IPv%d %zu -> %u\n",
						      shape, cfg_names[k], v6 ? 6 : 4, n, rep.len);
				}
			}
			if (rep.verdict == STUN_VERDICT_ERROR && rep.len > n) {
				struct stun_response_info info;
				const uint8_t *tid = req + (rep.classic ? 4 : 8);
				assert_int_equal(stun_parse_response(out, rep.len, tid, rep.classic,
								     &info), STUN_RESP_ERROR);
				if (info.reason_len)
					errors_over_with_phrase++;
			}
			struct worst *w = &table[k][v6][rep.classic];
			if (rep.verdict == STUN_VERDICT_ERROR && !rep.classic)
				keep(&table[k][v6][2], shape, n, &rep);
			keep(w, shape, n, &rep);
		}
	}
}

static void keep(struct worst *w, const char *shape, size_t n, const struct stun_reply *rep)
{
	{
		{
			w->answered++;
			/* rep.len / n > w->resp / w->req, without division */
			if (!w->req || (uint64_t)rep->len * w->req > (uint64_t)w->resp * n) {
				w->req = (uint32_t)n;
				w->resp = rep->len;
				snprintf(w->shape, sizeof(w->shape), "%s%s", shape,
					 rep->verdict == STUN_VERDICT_ERROR
						 ? (rep->error_code == 420 ? " (420)" : " (400)") : "");
			}
		}
	}
}

/* --- generated requests ------------------------------------------------ */

struct gen {
	uint8_t b[2048];
	size_t n;
	bool classic;
};

static void g_start(struct gen *g, bool classic)
{
	memset(g, 0, sizeof(*g));
	g->classic = classic;
	g->b[1] = 0x01;		/* Binding request */
	for (int i = 4; i < 20; i++)
		g->b[i] = (uint8_t)(0xA0 + i);
	if (!classic) {
		g->b[4] = 0x21; g->b[5] = 0x12; g->b[6] = 0xA4; g->b[7] = 0x42;
	}
	g->n = 20;
}

static void g_attr(struct gen *g, uint16_t type, const void *val, uint16_t len)
{
	uint8_t *p = g->b + g->n;
	p[0] = (uint8_t)(type >> 8);
	p[1] = (uint8_t)type;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memset(p + 4, 0, (len + 3u) & ~3u);
	if (val)
		memcpy(p + 4, val, len);
	g->n += 4 + ((len + 3u) & ~3u);
}

static void g_end(struct gen *g, bool fp)
{
	size_t body = g->n - 20 + (fp ? 8 : 0);
	g->b[2] = (uint8_t)(body >> 8);
	g->b[3] = (uint8_t)body;
	if (fp) {
		uint32_t crc = stun_fingerprint(g->b, g->n);
		uint8_t v[4] = { (uint8_t)(crc >> 24), (uint8_t)(crc >> 16),
				 (uint8_t)(crc >> 8), (uint8_t)crc };
		g_attr(g, STUN_ATTR_FINGERPRINT, v, 4);
	}
}

static void generated(void)
{
	static const uint8_t cr_both[4] = { 0, 0, 0, 6 }, cr_none[4] = { 0 };
	static const uint8_t rport[2] = { 0x9c, 0x40 }, rport0[2] = { 0 };
	/* RFC 5780 attributes, well formed or not, one per request. */
	static const struct {
		const char *name;
		uint16_t type, len;
		const uint8_t *val;
		bool with_padding;
	} one[] = {
		{ "CHANGE-REQUEST ip+port", STUN_ATTR_CHANGE_REQUEST, 4, cr_both, false },
		{ "CHANGE-REQUEST no flags", STUN_ATTR_CHANGE_REQUEST, 4, cr_none, false },
		{ "empty CHANGE-REQUEST", STUN_ATTR_CHANGE_REQUEST, 0, NULL, false },
		{ "RESPONSE-PORT", STUN_ATTR_RESPONSE_PORT, 2, rport, false },
		{ "RESPONSE-PORT 0", STUN_ATTR_RESPONSE_PORT, 2, rport0, false },
		{ "RESPONSE-PORT + PADDING", STUN_ATTR_RESPONSE_PORT, 2, rport, true },
	};
	struct gen g;
	char name[96];

	for (int fp = 0; fp < 2; fp++) {
		const char *f = fp ? " + FINGERPRINT" : "";

		g_start(&g, false); g_end(&g, fp);
		snprintf(name, sizeof(name), "plain%s", f);
		measure(name, g.b, g.n);

		g_start(&g, false); g_attr(&g, 0x8030, NULL, 0); g_end(&g, fp);
		snprintf(name, sizeof(name), "empty unknown optional attribute%s", f);
		measure(name, g.b, g.n);

		for (uint16_t u = 1; u <= 40; u++) {
			g_start(&g, false);
			for (uint16_t i = 0; i < u; i++)
				g_attr(&g, (uint16_t)(0x7f00 + i), NULL, 0);
			g_end(&g, fp);
			snprintf(name, sizeof(name), "%u empty unknown required attribute(s)%s", u, f);
			measure(name, g.b, g.n);
		}

		for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
			g_start(&g, false);
			g_attr(&g, one[i].type, one[i].val, one[i].len);
			if (one[i].with_padding)
				g_attr(&g, STUN_ATTR_PADDING, NULL, 0);
			g_end(&g, fp);
			snprintf(name, sizeof(name), "%s%s", one[i].name, f);
			measure(name, g.b, g.n);
		}

		for (uint16_t pad = 0; pad <= 1500; pad++) {
			g_start(&g, false); g_attr(&g, STUN_ATTR_PADDING, NULL, pad); g_end(&g, fp);
			snprintf(name, sizeof(name), "PADDING %u%s", pad, f);
			measure(name, g.b, g.n);
		}
	}
	g_start(&g, true); g_end(&g, false);
	measure("classic plain", g.b, g.n);
	g_start(&g, true); g_attr(&g, STUN_ATTR_CHANGE_REQUEST, cr_both, 4); g_end(&g, false);
	measure("classic CHANGE-REQUEST", g.b, g.n);
	for (uint16_t u = 1; u <= 40; u++) {
		g_start(&g, true);
		for (uint16_t i = 0; i < u; i++)
			g_attr(&g, (uint16_t)(0x7f00 + i), NULL, 0);
		g_end(&g, false);
		snprintf(name, sizeof(name), "classic, %u empty unknown required attribute(s)", u);
		measure(name, g.b, g.n);
	}
}

/* --- every vector ------------------------------------------------------ */

static void vectors(void)
{
	char path[512], line[4096], last[208] = "";
	snprintf(path, sizeof(path), "%s/expected.tsv", vectors_dir());
	FILE *fp = fopen(path, "r");
	unsigned files = 0;

	if (!fp)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), fp)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\t")] = 0;
		/* TCP streams (#msgN): no reflection over TCP. */
		if (strchr(line, '#') || strlen(line) > 200 || !strcmp(line, last))
			continue;
		memcpy(last, line, strlen(line) + 1);
		uint8_t req[2048];
		size_t n = load_vector(last, req, sizeof(req));
		measure(last, req, n);
		files++;
	}
	fclose(fp);
	assert_true(files >= 40);
}

static void ratio_row(const char *cfg, int v6, const char *kind, const struct worst *w)
{
	unsigned hdr = v6 ? 48 : 28;	/* IP + UDP headers */

	if (!w->req) {
		print_message("# | %s | IPv%d | %s | 0 | - | - | - |\n", cfg, v6 ? 6 : 4, kind);
		return;
	}
	print_message("# | %s | IPv%d | %s | %u | %.2fx | %.2fx | %s, %u -> %u B |\n",
		      cfg, v6 ? 6 : 4, kind, w->answered, (double)w->resp / w->req,
		      (double)(w->resp + hdr) / (w->req + hdr), w->shape, w->req, w->resp);
}

static void measure_all(void **s)
{
	(void)s;
	vectors();
	generated();
	print_message("# %u request shapes\n", shapes);
	print_message("# | configuration | family | answers to | answered | worst (STUN bytes) | "
		      "on the wire (IP+UDP) | worst shape |\n");
	print_message("# |---|---|---|---|---|---|---|\n");
	for (int k = 0; k < N_CFG; k++)
		for (int v6 = 0; v6 < N_FAM; v6++)
			for (int c = 0; c < 3; c++)
				if (c != 1 || table[k][v6][1].answered)
					ratio_row(cfg_names[k], v6,
						  c == 2 ? "modern errors" : c ? "classic" : "modern",
						  &table[k][v6][c]);
	print_message("# PADDING answers: %u, larger than their request: %u\n",
		      padding_answers, padding_over);
	assert_true(shapes > 3000);
}

/* worst == num/den exactly (cross-multiplied). */
static bool ratio_is(const struct worst *w, uint32_t num, uint32_t den)
{
	return (uint64_t)w->resp * den == (uint64_t)num * w->req;
}

static void default_modern_ipv4_at_most_1_6(void **s)
{
	(void)s;
	const struct worst *w = &table[0][0][0];
	assert_true(w->answered > 1000);
	/* 20 -> 32 (XOR-MAPPED-ADDRESS only) is the floor and the target. */
	assert_true(ratio_is(w, 8, 5));
}

static void default_modern_ipv6_at_its_floor(void **s)
{
	(void)s;
	const struct worst *w = &table[0][1][0];
	assert_true(w->answered > 1000);
	assert_true(ratio_is(w, 44, 20));
}

static void default_classic_as_rfc3489_requires(void **s)
{
	(void)s;
	const struct worst *w = &table[0][0][1];
	assert_true(w->answered >= 3);
	assert_true(ratio_is(w, 44, 20));	/* MAPPED + SOURCE-ADDRESS */
}

static void padding_never_larger(void **s)
{
	(void)s;
	assert_true(padding_answers > 1000);
	assert_int_equal(padding_over, 0);
}

static void errors_over_have_no_phrase(void **s)
{
	(void)s;
	assert_int_equal(errors_over_with_phrase, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(measure_all),
		cmocka_unit_test(default_modern_ipv4_at_most_1_6),
		cmocka_unit_test(default_modern_ipv6_at_its_floor),
		cmocka_unit_test(default_classic_as_rfc3489_requires),
		cmocka_unit_test(padding_never_larger),
		cmocka_unit_test(errors_over_have_no_phrase),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
