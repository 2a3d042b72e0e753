/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_behavior.c - RFC 5780 NAT behaviour discovery (--behavior).
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
#include "stunprobe.h"

#include <string.h>

struct behav_run {
	const struct probe_opts *o;
	struct stun_addr server;
	struct probe_sock fsock, msock, hsock;
	struct filter_state fs;
	struct map_state ms;
	struct probe_result first;	/* mapping Test I, for its details */
	struct probe_result ffirst;	/* filtering Test I */
	int hairpin;			/* 1 yes, 0 no, -1 not tested */
	struct probe_engine eng;
	struct probe_chain fchain, mchain;
	struct probe_txn htxn;
	bool hairpin_started;
};

static struct probe_req behav_req(const struct probe_opts *o, uint32_t change)
{
	return (struct probe_req){
		.fingerprint = o->fingerprint,
		.software = o->software,
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
	x->req = behav_req(b->o, filter_change[t]);
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
	x->req = behav_req(b->o, 0);
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
	if (b->o->verbose)
		fprintf(stderr, "stunprobe: hairpin test: %s\n",
			b->hairpin ? "request arrived" : "request did not arrive");
	return 0;
}

static int open_sockets(struct behav_run *b)
{
	const struct stun_addr *bind = b->o->has_bind ? &b->o->bind : NULL;
	int err;

	err = probe_sock_open(&b->fsock, &b->server, bind);
	if (!err)
		err = probe_sock_open(&b->msock, &b->server, bind);
	if (!err && b->o->hairpin)
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
	probe_engine_init(&b->eng, b->o);
	probe_chain_init(&b->fchain, &filter_ops, b, &(struct probe_chain_tests){
		filter_names, filter_change, b->fs.t, &b->ffirst }, FT_DONE, b->o);
	probe_chain_init(&b->mchain, &map_ops, b, &(struct probe_chain_tests){
		map_names, NULL, b->ms.t, &b->first }, MT_DONE, b->o);
	probe_chain_begin(&b->eng, &b->fchain);
	probe_chain_begin(&b->eng, &b->mchain);
	while ((t = probe_engine_wait(&b->eng))) {
		if (t->owner == &b->fchain || t->owner == &b->mchain)
			probe_chain_done(&b->eng, t->owner, t);
		else if (t == &b->htxn && !err)
			err = end_hairpin(b, t);
		probe_chain_resume(&b->eng, &b->mchain);
		if (b->o->hairpin && !b->hairpin_started &&
		    b->ms.t[MT_I].kind == OUT_ANSWER)
			start_hairpin(b);
	}
	return err;
}

static bool alg_seen(const struct probe_result *r)
{
	const struct stun_response_info *in = &r->info;

	return r->status == PROBE_OK && in->has_xor_mapped && in->has_mapped &&
	       !stun_addr_equal(&in->xor_mapped, &in->plain_mapped);
}

static const char *hairpin_text(int h)
{
	return h < 0 ? NULL : h ? "yes" : "no";
}

/* The Test I answer to report details from: the mapping test's (its port
 * is the one mapped), else the filtering test's. */
static const struct probe_result *first_result(const struct behav_run *b)
{
	return b->ms.t[MT_I].kind == OUT_ANSWER ? &b->first : &b->ffirst;
}

static void print_text(const struct behav_run *b, enum classic_type ct,
		       bool nat_known, bool nat)
{
	const struct probe_result *f = first_result(b);
	char a[STUN_ADDR_STRLEN];

	printf("server        %s", probe_fmt(&b->server, a));
	if (probe_is_name(b->o->servers[0].arg))
		printf(" (%s)", b->o->servers[0].arg);
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
	if (alg_seen(f))
		printf("warning       MAPPED-ADDRESS differs from XOR-MAPPED-ADDRESS: "
		       "an ALG rewrites addresses\n");
	if (b->ms.why == WHY_NO_OTHER && nat_known)
		printf("note          without OTHER-ADDRESS this server can only tell "
		       "that %s; use an RFC 5780 server for mapping/filtering\n",
		       nat ? "there is a NAT (mapped != local address)"
			   : "there is no NAT (mapped == local address)");
}

static void print_json(const struct behav_run *b, enum classic_type ct,
		       bool nat_known, bool nat, const char *result)
{
	const struct probe_result *f = first_result(b);
	bool ok = f->status == PROBE_OK;
	struct jw j;

	jw_begin(&j, stdout);
	jw_str(&j, "mode", "behavior");
	jw_str(&j, "result", result);
	jw_str(&j, "server_arg", b->o->servers[0].arg);
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
	jw_bool(&j, "alg", alg_seen(f));
	jw_end(&j);
}

int probe_run_behavior(const struct probe_opts *o)
{
	static struct behav_run b;
	enum classic_type ct;
	bool nat_known, nat;
	const char *result;
	int err, rc;

	b.o = o;
	b.server = o->servers[0].addr;
	b.fsock.fd = b.msock.fd = b.hsock.fd = -1;
	b.hairpin = -1;

	err = open_sockets(&b);
	if (!err)
		err = run_tests(&b);
	probe_sock_close(&b.hsock);
	if (err) {
		fprintf(stderr, "stunprobe: socket for %s: %s\n", o->servers[0].arg,
			strerror(-err));
		probe_sock_close(&b.fsock);
		probe_sock_close(&b.msock);
		return PROBE_EXIT_SYSTEM;
	}

	nat_known = b.ms.t[MT_I].kind == OUT_ANSWER || b.fs.t[FT_I].kind == OUT_ANSWER;
	nat = b.ms.t[MT_I].kind == OUT_ANSWER ? b.ms.nat : b.fs.nat;
	ct = classic_from_behavior(nat, b.ms.result, b.fs.result);

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
		print_json(&b, ct, nat_known, nat, result);
	else
		print_text(&b, ct, nat_known, nat);
	probe_sock_close(&b.fsock);
	probe_sock_close(&b.msock);
	return rc;
}
