/* SPDX-License-Identifier: MIT */
/*
 * test_vectors.c - every row of vectors/expected.tsv through stun_respond:
 * the verdict, the exact response bytes and where the response goes.
 *
 * expected.tsv lists a configuration only where its outcome differs from
 * dual-ip/udp, so each vector is also checked under basic/udp and
 * single-ip/udp against the dual-ip/udp row when those are not listed.
 */
#include "test_util.h"

#define MAX_CASES 256

struct vcase {
	char file[128];
	char config[48];
	char verdict[32];
	char src[64], dst[64];
	char hex[2048];
	int msg_index;		/* TCP stream rows: which framed message */
	char name[200];
};

static struct vcase cases[MAX_CASES];
static int ncases;

static void split_tabs(char *line, char **f, int nf)
{
	for (int i = 0; i < nf; i++) {
		f[i] = line;
		char *t = line ? strchr(line, '\t') : NULL;
		if (t) {
			*t = 0;
			line = t + 1;
		} else {
			line = NULL;
		}
	}
}

static void add_case(const char *file, const char *config, char **f, int msg)
{
	struct vcase *c = &cases[ncases++];
	snprintf(c->file, sizeof(c->file), "%s", file);
	snprintf(c->config, sizeof(c->config), "%s", config);
	snprintf(c->verdict, sizeof(c->verdict), "%s", f[2]);
	snprintf(c->src, sizeof(c->src), "%s", f[4]);
	snprintf(c->dst, sizeof(c->dst), "%s", f[5]);
	snprintf(c->hex, sizeof(c->hex), "%s", f[6]);
	c->msg_index = msg;
	snprintf(c->name, sizeof(c->name), "%s%s%.0d [%s]", file,
		 msg ? "#msg" : "", msg, config);
}

static int find_case(const char *file, const char *config)
{
	for (int i = 0; i < ncases; i++)
		if (!strcmp(cases[i].file, file) && !strcmp(cases[i].config, config) &&
		    !cases[i].msg_index)
			return i;
	return -1;
}

static void load_table(void)
{
	char path[512], line[4096];
	snprintf(path, sizeof(path), "%s/expected.tsv", vectors_dir());
	FILE *fp = fopen(path, "r");
	if (!fp) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	while (fgets(line, sizeof(line), fp) && ncases < MAX_CASES - 4) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || !line[0])
			continue;
		char *f[7];
		split_tabs(line, f, 7);
		if (!f[6])
			continue;
		char file[128];
		int msg = 0;
		snprintf(file, sizeof(file), "%s", f[0]);
		char *hash = strstr(file, "#msg");
		if (hash) {
			msg = atoi(hash + 4);
			*hash = 0;
		}
		add_case(file, f[1], f, msg);
	}
	fclose(fp);
	/* Configurations not listed behave as dual-ip/udp (make_expected.py). */
	int n = ncases;
	for (int i = 0; i < n; i++) {
		if (strcmp(cases[i].config, "dual-ip/udp"))
			continue;
		const char *others[] = { "basic/udp", "single-ip/udp" };
		for (int k = 0; k < 2; k++) {
			if (find_case(cases[i].file, others[k]) >= 0)
				continue;
			struct vcase *c = &cases[ncases];
			*c = cases[i];
			snprintf(c->config, sizeof(c->config), "%s", others[k]);
			char file[sizeof(c->file)];
			memcpy(file, c->file, sizeof(file));
			snprintf(c->name, sizeof(c->name), "%s [%s, as dual-ip/udp]",
				 file, others[k]);
			ncases++;
		}
	}
}

static void run_case(void **state)
{
	const struct vcase *c = *state;
	uint8_t req[4096], out[4096 + STUN_RESPONSE_OVERHEAD], want[2048];
	struct stun_server_cfg cfg;
	struct stun_reply rep;
	struct stun_addr peer = addr_of(REF_CLIENT), local = addr_of(REF_A1);
	size_t len = load_vector(c->file, req, sizeof(req));
	const uint8_t *msg = req;

	ref_config(&cfg, c->config);
	if (c->msg_index) {
		/* A TCP stream: frame it and take the wanted message. */
		size_t off = 0;
		long fl = 0;
		for (int i = 1; i <= c->msg_index; i++) {
			fl = stun_frame_len(req + off, len - off);
			assert_true(fl > 0);
			if (i < c->msg_index)
				off += (size_t)fl;
		}
		msg = req + off;
		len = (size_t)fl;
	}

	enum stun_verdict v = stun_respond(msg, len, &peer, &local, &cfg, out,
					   sizeof(out), &rep);
	if (!strncmp(c->verdict, "DROP", 4) || !strcmp(c->verdict, "NO RESPONSE") ||
	    !strcmp(c->verdict, "DISCARD")) {
		assert_int_equal(v, STUN_VERDICT_DROP);
		assert_int_equal(rep.len, 0);
		assert_int_not_equal(rep.reason, STUN_DROP_NONE);
		if (!strcmp(c->verdict, "NO RESPONSE"))
			assert_int_equal(rep.reason, STUN_DROP_INDICATION);
		if (!strcmp(c->verdict, "DISCARD"))
			assert_int_equal(rep.reason, STUN_DROP_INDICATION_UNKNOWN);
		return;
	}
	if (!strncmp(c->verdict, "SUCCESS", 7)) {
		assert_int_equal(v, STUN_VERDICT_SUCCESS);
		assert_int_equal(rep.classic, strstr(c->verdict, "classic") != NULL);
	} else {
		assert_int_equal(v, STUN_VERDICT_ERROR);
		assert_int_equal(rep.error_code, atoi(c->verdict + 6));
	}
	size_t wl = unhex(c->hex, want, sizeof(want));
	assert_int_equal(rep.len, wl);
	assert_memory_equal(out, want, wl);

	char s[STUN_ADDR_STRLEN];
	assert_string_equal(stun_addr_format(&rep.src, s, sizeof(s)), c->src);
	assert_string_equal(stun_addr_format(&rep.dst, s, sizeof(s)), c->dst);
}

int main(void)
{
	static struct CMUnitTest tests[MAX_CASES];

	load_table();
	for (int i = 0; i < ncases; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = &cases[i];
	}
	return _cmocka_run_group_tests("expected.tsv", tests, (size_t)ncases,
				       NULL, NULL);
}
