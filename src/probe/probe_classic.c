/* SPDX-License-Identifier: MIT */
/*
 * probe_classic.c - the RFC 3489 section 10.1 NAT type (stunprobe --classic,
 * stunring_nat_type).
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
#include "probe/probe.h"

#include <string.h>

static const char *const test_names[] = {
	[CT_I] = "test I",
	[CT_II] = "test II (change IP+port)",
	[CT_I_CHANGED] = "test I (changed addr)",
	[CT_III] = "test III (change port)",
};

const char *probe_pystun_name(const struct classic_state *st)
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
	const struct probe_cfg *cfg = c->cfg;

	x->sock = &c->sock;
	x->dst = t == CT_I_CHANGED ? c->st.t[CT_I].other : c->server;
	x->req = (struct probe_req){
		.classic = cfg->classic_requests,
		.fingerprint = cfg->fingerprint && !cfg->classic_requests,
		.software = cfg->classic_requests ? NULL : cfg->software,
		.change = test_change[t],
	};
}

static const struct probe_chain_ops classic_ops = {
	.next = c_next, .ahead = c_ahead, .prepare = c_prepare,
};

int probe_classic_run(struct classic_run *c, const struct probe_cfg *cfg,
		      const struct stun_addr *server)
{
	struct probe_txn *t;
	int err;

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->server = *server;
	err = probe_sock_open(&c->sock, server, cfg->bind);
	if (err)
		return err;
	c->st.local = c->sock.local;
	c->first.status = PROBE_TIMEOUT;
	probe_engine_init(&c->eng, cfg);
	probe_chain_init(&c->chain, &classic_ops, c, &(struct probe_chain_tests){
		test_names, test_change, c->st.t, &c->first }, CT_DONE, cfg);
	probe_chain_begin(&c->eng, &c->chain);
	while ((t = probe_engine_wait(&c->eng)))
		probe_chain_done(&c->eng, &c->chain, t);
	probe_sock_close(&c->sock);
	return 0;
}
