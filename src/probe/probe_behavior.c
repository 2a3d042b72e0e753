/* SPDX-License-Identifier: MIT */
/*
 * probe_behavior.c - RFC 5780 NAT behaviour discovery (stunprobe --behavior,
 * stunring_nat_behavior).
 *
 * The filtering tests (4.4) and the mapping tests (4.3) run at the same
 * time, each from its own fresh local port.  The filtering tests are only
 * valid while the NAT holds no binding from their port toward the
 * alternate address or port (conformance item 98); the mapping tests open
 * exactly those, but from another port, and only once the filtering
 * verdict is in (m_ready).  A full discovery then costs about one silent
 * wait, not the sum.
 * Hairpinning (4.5) sends from a third port to the mapped address of the
 * mapping port, as soon as mapping Test I has given that address.
 */
#include "probe/probe.h"

#include <string.h>

static struct probe_req behav_req(const struct probe_cfg *cfg, uint32_t change)
{
	return (struct probe_req){
		.fingerprint = cfg->fingerprint,
		.software = cfg->software,
		.change = change,
	};
}

/* ---- filtering: every test to the primary address A1:P1 -------------- */

static const char *const filter_names[] = { "filtering test I",
	"filtering test II", "filtering test III" };
static const uint32_t filter_change[] = { 0, STUN_CHANGE_IP | STUN_CHANGE_PORT,
					  STUN_CHANGE_PORT };

static int f_next(void *ctx)
{
	return filter_next(&((struct behav_run *)ctx)->fs);
}

static int f_ahead(void *ctx, int t)
{
	return filter_ahead(&((struct behav_run *)ctx)->fs, (enum filter_test)t);
}

static void f_prepare(void *ctx, int t, struct probe_txn *x)
{
	struct behav_run *b = ctx;

	x->sock = &b->fsock;
	x->dst = b->server;
	x->req = behav_req(b->cfg, filter_change[t]);
}

static const struct probe_chain_ops filter_ops = {
	.next = f_next, .ahead = f_ahead, .prepare = f_prepare,
};

/* ---- mapping: A1:P1, then A2:P1, then A2:P2 ---------------------------- */

static const char *const map_names[] = { "mapping test I",
	"mapping test II", "mapping test III" };

static int m_next(void *ctx)
{
	return map_next(&((struct behav_run *)ctx)->ms);
}

static int m_ahead(void *ctx, int t)
{
	(void)ctx;
	(void)t;
	return MT_DONE;	/* each test needs the mapped address before it */
}

static void m_prepare(void *ctx, int t, struct probe_txn *x)
{
	struct behav_run *b = ctx;
	const struct stun_addr *other = &b->ms.t[MT_I].other;

	x->sock = &b->msock;
	x->dst = b->server;
	if (t == MT_II)			/* A2:P1 */
		memcpy(x->dst.ip, other->ip, sizeof(x->dst.ip));
	else if (t == MT_III)		/* A2:P2 */
		x->dst = *other;
	x->req = behav_req(b->cfg, 0);
}

/* Mapping Tests II and III are the first to contact the alternate address.
 * From their own port they cannot spoil the filtering tests on a NAT that
 * keeps state per port (RFC 4787), but one that keeps it per internal host
 * would let the alternate address in for the filtering port too.  Waiting
 * for the filtering verdict costs two round trips, not a silent wait. */
static bool m_ready(void *ctx, int t)
{
	const struct behav_run *b = ctx;

	return t == MT_I || b->fchain.finished;
}

static const struct probe_chain_ops map_ops = {
	.next = m_next, .ahead = m_ahead, .prepare = m_prepare, .ready = m_ready,
};

/* ---- hairpinning -------------------------------------------------------- */

static void start_hairpin(struct behav_run *b)
{
	b->htxn = (struct probe_txn){
		.kind = TXN_HAIRPIN,
		.name = "hairpin test",
		.sock = &b->hsock,
		.listen = &b->msock,
		.dst = b->ms.t[MT_I].mapped,
	};
	b->hairpin_started = true;
	probe_txn_start(&b->eng, &b->htxn);
}

static int end_hairpin(struct behav_run *b, const struct probe_txn *t)
{
	if (t->res.status == PROBE_SYSERR)
		return -t->res.sys_errno;
	/* An ICMP error about it is as good as a no. */
	b->hairpin = t->res.status == PROBE_OK;
	if (b->cfg->log_note)
		b->cfg->log_note(b->cfg, b->hairpin ? "hairpin test: request arrived"
					     : "hairpin test: request did not arrive");
	return 0;
}

static int open_sockets(struct behav_run *b)
{
	const struct stun_addr *bind = b->cfg->bind;
	int err;

	err = probe_sock_open(&b->fsock, &b->server, bind);
	if (!err)
		err = probe_sock_open(&b->msock, &b->server, bind);
	if (!err && b->cfg->hairpin)
		err = probe_sock_open(&b->hsock, &b->server, bind);
	return err;
}

/* Both chains and the hairpin test, until all are done. */
static int run_tests(struct behav_run *b)
{
	struct probe_txn *t;
	int err = 0;

	b->fs.local = b->fsock.local;
	b->ms.local = b->msock.local;
	probe_engine_init(&b->eng, b->cfg);
	probe_chain_init(&b->fchain, &filter_ops, b, &(struct probe_chain_tests){
		filter_names, filter_change, b->fs.t, &b->ffirst }, FT_DONE, b->cfg);
	probe_chain_init(&b->mchain, &map_ops, b, &(struct probe_chain_tests){
		map_names, NULL, b->ms.t, &b->first }, MT_DONE, b->cfg);
	probe_chain_begin(&b->eng, &b->fchain);
	probe_chain_begin(&b->eng, &b->mchain);
	while ((t = probe_engine_wait(&b->eng))) {
		if (t->owner == &b->fchain || t->owner == &b->mchain)
			probe_chain_done(&b->eng, t->owner, t);
		else if (t == &b->htxn && !err)
			err = end_hairpin(b, t);
		probe_chain_resume(&b->eng, &b->mchain);
		if (b->cfg->hairpin && !b->hairpin_started &&
		    b->ms.t[MT_I].kind == OUT_ANSWER)
			start_hairpin(b);
	}
	return err;
}

bool probe_alg_seen(const struct probe_result *r)
{
	const struct stun_response_info *in = &r->info;

	return r->status == PROBE_OK && in->has_xor_mapped && in->has_mapped &&
	       !stun_addr_equal(&in->xor_mapped, &in->plain_mapped);
}

/* The Test I answer to report details from: the mapping test's (its port
 * is the one mapped), else the filtering test's. */
const struct probe_result *probe_behavior_first(const struct behav_run *b)
{
	return b->ms.t[MT_I].kind == OUT_ANSWER ? &b->first : &b->ffirst;
}

void probe_behavior_close(struct behav_run *b)
{
	probe_sock_close(&b->fsock);
	probe_sock_close(&b->msock);
	probe_sock_close(&b->hsock);
}

int probe_behavior_run(struct behav_run *b, const struct probe_cfg *cfg,
		       const struct stun_addr *server)
{
	int err;

	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
	b->server = *server;
	b->fsock.fd = b->msock.fd = b->hsock.fd = -1;
	b->hairpin = -1;

	err = open_sockets(b);
	if (!err)
		err = run_tests(b);
	probe_sock_close(&b->hsock);
	if (err) {
		probe_behavior_close(b);
		return err;
	}
	b->nat_known = b->ms.t[MT_I].kind == OUT_ANSWER ||
		       b->fs.t[FT_I].kind == OUT_ANSWER;
	b->nat = b->ms.t[MT_I].kind == OUT_ANSWER ? b->ms.nat : b->fs.nat;
	b->classic = classic_from_behavior(b->nat, b->ms.result, b->fs.result);
	return 0;
}
