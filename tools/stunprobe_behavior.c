/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_behavior.c - RFC 5780 NAT behaviour discovery (--behavior):
 * the run is the library's (probe_behavior.c), the report is stunprobe's.

 */
#include "stunprobe.h"

#include <string.h>

static const char *hairpin_text(int h)
{
	return h < 0 ? NULL : h ? "yes" : "no";
}

static void print_text(const struct probe_opts *o, const struct behav_run *b,
		       enum classic_type ct, bool nat_known, bool nat)
{
	const struct probe_result *f = probe_behavior_first(b);
	char a[STUN_ADDR_STRLEN];

	printf("server        %s", probe_fmt(&b->server, a));
	if (probe_is_name(o->servers[0].arg))
		printf(" (%s)", o->servers[0].arg);
	printf("\n");
	if (f->status == PROBE_OK && f->info.has_other)
		printf("other address %s\n", probe_fmt(&f->info.other, a));
	else if (f->status == PROBE_OK)
		printf("other address none (not an RFC 5780 server)\n");
	if (f->status == PROBE_OK) {
		printf("software      %s\n", f->info.software ? f->software : "(none)");
		printf("local         %s", probe_fmt(&b->fs.local, a));
		printf(" (filtering tests), %s (mapping tests)\n",
		       b->msock.fd >= 0 ? probe_fmt(&b->ms.local, a) : "-");
		printf("mapped        %s\n", probe_fmt(&f->info.mapped, a));
	}
	printf("nat           %s\n", !nat_known ? "unknown" : nat ? "yes" : "no");
	printf("mapping       %s%s\n", mapping_name(b->ms.result),
	       b->ms.result != MAP_UNKNOWN && !b->ms.nat ? " (no NAT)" : "");
	if (b->ms.why && b->ms.why != b->fs.why)
		printf("              (%s)\n", behav_why_text(b->ms.why));
	printf("filtering     %s\n", filtering_name(b->fs.result));
	if (b->fs.why)
		printf("              (%s)\n", behav_why_text(b->fs.why));
	printf("hairpinning   %s\n", b->hairpin < 0 ? "not tested (--hairpin)" :
	       hairpin_text(b->hairpin));
	printf("classic name  %s\n", classic_name(ct));
	if (probe_alg_seen(f))
		printf("warning       MAPPED-ADDRESS differs from XOR-MAPPED-ADDRESS: "
		       "an ALG rewrites addresses\n");
	if (b->ms.why == WHY_NO_OTHER && nat_known)
		printf("note          without OTHER-ADDRESS this server can only tell "
		       "that %s; use an RFC 5780 server for mapping/filtering\n",
		       nat ? "there is a NAT (mapped != local address)"
			   : "there is no NAT (mapped == local address)");
}

static void print_json(const struct probe_opts *o, const struct behav_run *b,
		       enum classic_type ct, bool nat_known, bool nat,
		       const char *result)
{
	const struct probe_result *f = probe_behavior_first(b);
	bool ok = f->status == PROBE_OK;
	struct jw j;

	jw_begin(&j, stdout);
	jw_str(&j, "mode", "behavior");
	jw_str(&j, "result", result);
	jw_str(&j, "server_arg", o->servers[0].arg);
	jw_addr(&j, "server", &b->server);
	jw_addr(&j, "other_address", ok && f->info.has_other ? &f->info.other : NULL);
	jw_str(&j, "software", ok && f->info.software ? f->software : NULL);
	jw_addr(&j, "local_filtering", &b->fs.local);
	jw_addr(&j, "local_mapping", b->msock.fd >= 0 ? &b->ms.local : NULL);
	jw_addr(&j, "mapped", ok ? &f->info.mapped : NULL);
	if (nat_known)
		jw_bool(&j, "nat", nat);
	else
		jw_str(&j, "nat", NULL);
	jw_str(&j, "mapping", mapping_name(b->ms.result));
	jw_str(&j, "mapping_note", b->ms.why ? behav_why_text(b->ms.why) : NULL);
	jw_str(&j, "filtering", filtering_name(b->fs.result));
	jw_str(&j, "filtering_note", b->fs.why ? behav_why_text(b->fs.why) : NULL);
	jw_str(&j, "hairpinning", hairpin_text(b->hairpin));
	jw_str(&j, "classic", classic_name(ct));
	jw_bool(&j, "alg", probe_alg_seen(f));
	jw_end(&j);
}

int probe_run_behavior(const struct probe_opts *o)
{
	static struct behav_run b;
	struct probe_cfg cfg;
	const char *result;
	int err, rc;

	probe_cfg_from_opts(&cfg, o);
	err = probe_behavior_run(&b, &cfg, &o->servers[0].addr);
	if (err) {
		fprintf(stderr, "stunprobe: socket for %s: %s\n", o->servers[0].arg,
			strerror(-err));
		return PROBE_EXIT_SYSTEM;
	}

	if (b.fs.t[FT_I].kind != OUT_ANSWER) {
		rc = probe_exit_of(b.ffirst.status);
		result = "no_answer";
		if (rc == PROBE_EXIT_OK)	/* answered, but wrongly */
			rc = PROBE_EXIT_INCOMPLETE;
		else if (rc != PROBE_EXIT_TIMEOUT)
			result = "failed";
		if (!o->json)
			fprintf(stderr, "stunprobe: %s: %s\n", o->servers[0].arg,
				probe_status_text(b.ffirst.status));
	} else if (b.ms.result == MAP_UNKNOWN || b.fs.result == FILT_UNKNOWN) {
		rc = PROBE_EXIT_INCOMPLETE;
		result = "incomplete";
	} else {
		rc = PROBE_EXIT_OK;
		result = "complete";
	}
	if (o->json)
		print_json(o, &b, b.classic, b.nat_known, b.nat, result);
	else
		print_text(o, &b, b.classic, b.nat_known, b.nat);
	probe_behavior_close(&b);
	return rc;
}
