/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_classic.c - the RFC 3489 section 10.1 NAT type (--classic).
 *
 * One fresh local port for the whole tree (the tests build on each
 * other's bindings).  Classic requests (no magic cookie) by default, so an
 * RFC 3489-only server answers, with CHANGED-ADDRESS read from Test I.
 * Done as conformance.md section N says, not as pystun does: Test III goes
 * to the primary address, and "no NAT" means IP *and* port equal the real
 * local address (the socket is bound to a specific IP for that).
 */
#include "stunprobe.h"

#include <string.h>

static const char *const test_names[] = {
	[CT_I] = "test I",
	[CT_II] = "test II (change IP+port)",
	[CT_I_CHANGED] = "test I (changed addr)",
	[CT_III] = "test III (change port)",
};

/* pystun's strings, for scripts that parse its output (item 94). */
static const char *pystun_name(const struct classic_state *st)
{
	switch (st->result) {
	case NAT_BLOCKED:
		return "Blocked";
	case NAT_OPEN:
		return "Open Internet";
	case NAT_FULL_CONE:
		return "Full Cone";
	case NAT_RESTRICTED:
		return "Restric NAT";
	case NAT_PORT_RESTRICTED:
		return "Restric Port NAT";
	case NAT_SYMMETRIC:
		return "Symmetric NAT";
	case NAT_SYM_FIREWALL:
		return "Symmetric UDP Firewall";
	default:
		if (st->t[CT_I_CHANGED].kind == OUT_SILENT)
			return "Meet an error, when do Test1 on Changed IP and Port";
		return NULL;
	}
}

int probe_run_classic(const struct probe_opts *o)
{
	static struct classic_state st;
	static struct probe_result r, first;
	const struct stun_addr *server = &o->servers[0].addr;
	struct probe_sock s;
	enum classic_test t;
	char a[STUN_ADDR_STRLEN];
	int err, rc;

	err = probe_sock_open(&s, server, o->has_bind ? &o->bind : NULL);
	if (err) {
		fprintf(stderr, "stunprobe: socket for %s: %s\n", o->servers[0].arg,
			strerror(-err));
		return PROBE_EXIT_SYSTEM;
	}
	st.local = s.local;
	first.status = PROBE_TIMEOUT;
	while ((t = classic_next(&st)) != CT_DONE) {
		static const uint32_t change[] = {
			[CT_I] = 0,
			[CT_II] = STUN_CHANGE_IP | STUN_CHANGE_PORT,
			[CT_I_CHANGED] = 0,
			[CT_III] = STUN_CHANGE_PORT,
		};
		struct probe_req req = {
			.classic = o->classic_requests,
			.fingerprint = o->fingerprint && !o->classic_requests,
			.software = o->classic_requests ? NULL : o->software,
			.change = change[t],
		};
		const struct stun_addr *dst =
			t == CT_I_CHANGED ? &st.t[CT_I].other : server;

		probe_transact(&s, dst, &req, &o->rto, &r);
		probe_log_test(o, test_names[t], &r);
		outcome_from_result(&st.t[t], &r, change[t]);
		if (t == CT_I)
			first = r;
	}
	probe_sock_close(&s);

	if (st.result == NAT_BLOCKED)
		rc = PROBE_EXIT_TIMEOUT;
	else if (st.result != NAT_UNKNOWN)
		rc = PROBE_EXIT_OK;
	else if (first.status != PROBE_OK)
		rc = probe_exit_of(first.status);
	else
		rc = PROBE_EXIT_INCOMPLETE;

	if (o->json) {
		struct jw j;
		bool ok = first.status == PROBE_OK;

		jw_begin(&j, stdout);
		jw_str(&j, "mode", "classic");
		jw_str(&j, "result", rc == PROBE_EXIT_OK ? "complete" :
		       st.result == NAT_BLOCKED ? "blocked" : "incomplete");
		jw_str(&j, "server_arg", o->servers[0].arg);
		jw_addr(&j, "server", server);
		jw_bool(&j, "classic_requests", o->classic_requests);
		jw_addr(&j, "changed_address", ok && first.info.has_other ? &first.info.other : NULL);
		jw_str(&j, "software", ok && first.info.software ? first.software : NULL);
		jw_addr(&j, "local", &st.local);
		jw_addr(&j, "mapped", ok ? &first.info.mapped : NULL);
		if (ok)
			jw_bool(&j, "nat", st.nat);
		else
			jw_str(&j, "nat", NULL);
		jw_str(&j, "nat_type", classic_name(st.result));
		jw_str(&j, "pystun", pystun_name(&st));
		jw_str(&j, "note", st.why ? behav_why_text(st.why) : NULL);
		jw_end(&j);
		return rc;
	}
	printf("server        %s", probe_fmt(server, a));
	if (probe_is_name(o->servers[0].arg))
		printf(" (%s)", o->servers[0].arg);
	printf("\n");
	if (first.status == PROBE_OK) {
		printf("changed addr  %s\n", first.info.has_other ?
		       probe_fmt(&first.info.other, a) : "none (single-address server)");
		printf("software      %s\n", first.info.software ? first.software : "(none)");
		printf("local         %s\n", probe_fmt(&st.local, a));
		printf("mapped        %s\n", probe_fmt(&first.info.mapped, a));
		printf("nat           %s\n", st.nat ? "yes" : "no");
	} else if (st.result != NAT_BLOCKED) {
		fprintf(stderr, "stunprobe: %s: test I: %s\n", o->servers[0].arg,
			probe_status_text(first.status));
	}
	printf("nat type      %s\n", classic_name(st.result));
	if (st.why)
		printf("              (%s)\n", behav_why_text(st.why));
	if (pystun_name(&st))
		printf("pystun name   %s\n", pystun_name(&st));
	return rc;
}
