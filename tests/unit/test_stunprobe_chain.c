/* SPDX-License-Identifier: MIT */
/*
 * test_stunprobe_chain.c - the decision-tree driver behind stunprobe's
 * concurrency, with the engine replaced by a script: which transactions
 * it starts and cancels, and that the tree records results in its own
 * order however they arrive, so concurrency cannot change a verdict.
 * Results become outcomes through the real outcome_from_result().
 */
#include "test_util.h"
#include "stunprobe.h"

/* ---- the engine, replaced -------------------------------------------- */

static int started[8], n_started, cancelled[8], n_cancelled;

void probe_txn_start(struct probe_engine *e, struct probe_txn *t)
{
	(void)e;
	assert_true(n_started < 8);
	started[n_started++] = t->test;
	t->running = true;
}

void probe_txn_cancel(struct probe_engine *e, struct probe_txn *t)
{
	(void)e;
	assert_true(n_cancelled < 8);
	if (t->running)
		cancelled[n_cancelled++] = t->test;
	t->running = false;
}

/* The chain logs each result as it records it: the order the tree saw. */
static const char *logged[8];
static int n_logged;

static void log_test(const struct probe_cfg *cfg, const char *name,
		     const struct probe_result *r)
{
	(void)cfg;
	(void)r;
	assert_true(n_logged < 8);
	logged[n_logged++] = name;
}

/* ---- a filtering tree; the "server" answers as the script says --------- */

#define SERVER "198.18.0.2:3478"
#define OTHER "198.18.0.3:3479"
static const char *const names[] = { "I", "II", "III" };
static const uint32_t change[] = { 0, STUN_CHANGE_IP | STUN_CHANGE_PORT,
				   STUN_CHANGE_PORT };
/* Where an honest server answers each test from. */
static const char *const answer_from[] = { SERVER, OTHER, "198.18.0.2:3479" };

struct run {
	struct filter_state fs;
	struct probe_result first;
	bool answers[FT_DONE];
};

static int r_next(void *ctx)
{
	return filter_next(&((struct run *)ctx)->fs);
}

static int r_ahead(void *ctx, int t)
{
	return filter_ahead(&((struct run *)ctx)->fs, (enum filter_test)t);
}

static void r_prepare(void *ctx, int t, struct probe_txn *x)
{
	(void)ctx;
	x->dst = addr_of(SERVER);
	x->req.change = change[t];
}

static const struct probe_chain_ops ops = {
	.next = r_next, .ahead = r_ahead, .prepare = r_prepare,
};

static struct run run;
static struct probe_chain c;

/* A fresh run whose Tests II and III answer or not; the chain begins. */
static void begin(bool t2, bool t3)
{
	static const struct probe_cfg cfg = { .log_test = log_test };

	memset(&run, 0, sizeof(run));
	run.fs.local = addr_of("10.0.1.2:40000");
	run.answers[FT_I] = true;
	run.answers[FT_II] = t2;
	run.answers[FT_III] = t3;
	n_started = n_cancelled = n_logged = 0;
	probe_chain_init(&c, &ops, &run, &(struct probe_chain_tests){
		names, change, run.fs.t, &run.first }, FT_DONE, &cfg);
	probe_chain_begin(NULL, &c);
}

/* The engine hands test's transaction back: answered or silent. */
static void done(int test)
{
	struct probe_result *r = &c.txn[test].res;

	c.txn[test].running = false;
	r->to = c.txn[test].dst;
	r->status = run.answers[test] ? PROBE_OK : PROBE_TIMEOUT;
	r->from = addr_of(answer_from[test]);
	r->info.mapped = addr_of("198.18.0.1:40000");
	r->info.has_other = true;
	r->info.other = addr_of(OTHER);
	probe_chain_done(NULL, &c, &c.txn[test]);
}

/* Port-restricted: Test III runs beside Test II and ends first; it is
 * recorded only after Test II, as the sequential tree would. */
static void early_result_held(void **state)
{
	(void)state;

	begin(false, false);
	assert_int_equal(n_started, 1);
	assert_int_equal(started[0], FT_I);
	done(FT_I);
	/* The tree asks for II; III starts beside it. */
	assert_int_equal(n_started, 3);
	assert_int_equal(started[1], FT_II);
	assert_int_equal(started[2], FT_III);
	done(FT_III);
	/* Held back: the tree has not seen it. */
	assert_int_equal(n_logged, 1);
	assert_int_equal(run.fs.t[FT_III].kind, OUT_NOT_RUN);
	assert_false(c.finished);
	done(FT_II);
	assert_true(c.finished);
	assert_int_equal(n_logged, 3);
	assert_string_equal(logged[1], "II");
	assert_string_equal(logged[2], "III");
	assert_int_equal(run.fs.result, FILT_APD);
	/* Test I's result is kept for the report. */
	assert_int_equal(run.first.status, PROBE_OK);
	assert_int_equal(n_cancelled, 0);
	assert_int_equal(n_started, 3);		/* nothing started twice */
}

/* Endpoint-independent: Test II answers, the verdict is known, and
 * Test III, still running, is cancelled and never recorded. */
static void unneeded_cancelled(void **state)
{
	(void)state;

	begin(true, true);
	done(FT_I);
	done(FT_II);
	assert_true(c.finished);
	assert_int_equal(run.fs.result, FILT_EI);
	assert_int_equal(n_cancelled, 1);
	assert_int_equal(cancelled[0], FT_III);
	assert_int_equal(n_logged, 2);
}

/* Address-dependent, results in the tree's order: same verdict. */
static void in_order(void **state)
{
	(void)state;

	begin(false, true);
	done(FT_I);
	done(FT_II);
	assert_false(c.finished);
	done(FT_III);
	assert_true(c.finished);
	assert_int_equal(run.fs.result, FILT_AD);
}

/* A test that is not ready is not started, not even ahead; resume starts
 * it once it is. */
static bool gate_open;

static bool r_ready(void *ctx, int t)
{
	(void)ctx;
	return t == FT_I || gate_open;
}

static const struct probe_chain_ops gated_ops = {
	.next = r_next, .ahead = r_ahead, .prepare = r_prepare, .ready = r_ready,
};

static void started_when_ready(void **state)
{
	(void)state;

	gate_open = false;
	begin(false, false);
	c.ops = &gated_ops;
	done(FT_I);
	assert_int_equal(n_started, 1);
	probe_chain_resume(NULL, &c);
	assert_int_equal(n_started, 1);
	gate_open = true;
	probe_chain_resume(NULL, &c);
	assert_int_equal(n_started, 3);
	assert_int_equal(started[1], FT_II);
	assert_int_equal(started[2], FT_III);
	probe_chain_resume(NULL, &c);
	assert_int_equal(n_started, 3);		/* nothing twice */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(early_result_held),
		cmocka_unit_test(unneeded_cancelled),
		cmocka_unit_test(in_order),
		cmocka_unit_test(started_when_ready),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
