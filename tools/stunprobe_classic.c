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
 * The tree is sequential by nature; only Test III may start alongside
 * Test II (classic_ahead), which saves one silent wait behind a
 * port-restricted NAT.
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

static const uint32_t test_change[] = {
	[CT_I] = 0,
	[CT_II] = STUN_CHANGE_IP | STUN_CHANGE_PORT,
	[CT_I_CHANGED] = 0,
	[CT_III] = STUN_CHANGE_PORT,
};

struct classic_run {
	const struct probe_opts *o;
	struct probe_sock sock;
	struct classic_state st;
	struct probe_result first;	/* Test I */
};

static int c_next(void *ctx)
{
	return classic_next(&((struct classic_run *)ctx)->st);
}

static int c_ahead(void *ctx, int t)
{
	return classic_ahead(&((struct classic_run *)ctx)->st, (enum classic_test)t);
}

static void c_prepare(void *ctx, int t, struct probe_txn *x)
{
	struct classic_run *c = ctx;
	const struct probe_opts *o = c->o;

	x->sock = &c->sock;
	x->dst = t == CT_I_CHANGED ? c->st.t[CT_I].other : o->servers[0].addr;
	x->req = (struct probe_req){
		.classic = o->classic_requests,
		.fingerprint = o->fingerprint && !o->classic_requests,
		.software = o->classic_requests ? NULL : o->software,
		.change = test_change[t],
	};
}

static const struct probe_chain_ops classic_ops = {
	.next = c_next, .ahead = c_ahead, .prepare = c_prepare,
};

int probe_run_classic(const struct probe_opts *o)
{
	static struct classic_run c;
	static struct probe_engine eng;
	static struct probe_chain chain;
	const struct stun_addr *server = &o->servers[0].addr;
	struct probe_txn *t;
	char a[STUN_ADDR_STRLEN];
	int err, rc;

	c.o = o;
	err = probe_sock_open(&c.sock, server, o->has_bind ? &o->bind : NULL);
	if (err) {
		fprintf(stderr, "stunprobe: socket for %s: %s\n", o->servers[0].arg,
			strerror(-err));
		return PROBE_EXIT_SYSTEM;
	}
	c.st.local = c.sock.local;
	c.first.status = PROBE_TIMEOUT;
	probe_engine_init(&eng, o);
	probe_chain_init(&chain, &classic_ops, &c, &(struct probe_chain_tests){
		test_names, test_change, c.st.t, &c.first }, CT_DONE, o);
	probe_chain_begin(&eng, &chain);
	while ((t = probe_engine_wait(&eng)))
		probe_chain_done(&eng, &chain, t);
	probe_sock_close(&c.sock);

	if (c.st.result == NAT_BLOCKED)
		rc = PROBE_EXIT_TIMEOUT;
	else if (c.st.result != NAT_UNKNOWN)
		rc = PROBE_EXIT_OK;
	else if (c.first.status != PROBE_OK)
		rc = probe_exit_of(c.first.status);
	else
		rc = PROBE_EXIT_INCOMPLETE;

	if (o->json) {
		struct jw j;
		bool ok = c.first.status == PROBE_OK;

		jw_begin(&j, stdout);
		jw_str(&j, "mode", "classic");
		jw_str(&j, "result", rc == PROBE_EXIT_OK ? "complete" :
		       c.st.result == NAT_BLOCKED ? "blocked" : "incomplete");
		jw_str(&j, "server_arg", o->servers[0].arg);
		jw_addr(&j, "server", server);
		jw_bool(&j, "classic_requests", o->classic_requests);
		jw_addr(&j, "changed_address", ok && c.first.info.has_other ? &c.first.info.other : NULL);
		jw_str(&j, "software", ok && c.first.info.software ? c.first.software : NULL);
		jw_addr(&j, "local", &c.st.local);
		jw_addr(&j, "mapped", ok ? &c.first.info.mapped : NULL);
		if (ok)
			jw_bool(&j, "nat", c.st.nat);
		else
			jw_str(&j, "nat", NULL);
		jw_str(&j, "nat_type", classic_name(c.st.result));
		jw_str(&j, "pystun", pystun_name(&c.st));
		jw_str(&j, "note", c.st.why ? behav_why_text(c.st.why) : NULL);
		jw_end(&j);
		return rc;
	}
	printf("server        %s", probe_fmt(server, a));
	if (probe_is_name(o->servers[0].arg))
		printf(" (%s)", o->servers[0].arg);
	printf("\n");
	if (c.first.status == PROBE_OK) {
		printf("changed addr  %s\n", c.first.info.has_other ?
		       probe_fmt(&c.first.info.other, a) : "none (single-address server)");
		printf("software      %s\n", c.first.info.software ? c.first.software : "(none)");
		printf("local         %s\n", probe_fmt(&c.st.local, a));
		printf("mapped        %s\n", probe_fmt(&c.first.info.mapped, a));
		printf("nat           %s\n", c.st.nat ? "yes" : "no");
	} else if (c.st.result != NAT_BLOCKED) {
		fprintf(stderr, "stunprobe: %s: test I: %s\n", o->servers[0].arg,
			probe_status_text(c.first.status));
	}
	printf("nat type      %s\n", classic_name(c.st.result));
	if (c.st.why)
		printf("              (%s)\n", behav_why_text(c.st.why));
	if (pystun_name(&c.st))
		printf("pystun name   %s\n", pystun_name(&c.st));
	return rc;
}
