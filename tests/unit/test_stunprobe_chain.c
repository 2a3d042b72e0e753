/* SPDX-License-Identifier: MIT */
/*
 * test_stunprobe_chain.c - the decision-tree driver behind stunprobe's
 * concurrency, with the engine replaced by a script: which transactions
 * it starts and cancels, and that the tree records results in its own
 * order however they arrive, so concurrency cannot change a verdict.
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

/* ---- a filtering tree fed from a script --------------------------------- */

struct run {
	struct filter_state fs;
	struct outcome script[FT_DONE];
	int recorded[8], n_recorded;
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
	x->name = "test";
	x->test = t;
}

static void r_record(void *ctx, int t, const struct probe_result *r)
{
	struct run *run = ctx;

	(void)r;
	run->fs.t[t] = run->script[t];
	run->recorded[run->n_recorded++] = t;
}

static const struct probe_chain_ops ops = { r_next, r_ahead, r_prepare, r_record };

static struct outcome answer(void)
{
	struct outcome o = { .kind = OUT_ANSWER, .has_other = true };
	o.mapped = addr_of("198.18.0.1:40000");
	o.other = addr_of("198.18.0.3:3479");
	return o;
}

static void setup_run(struct run *run, struct probe_chain *c, struct outcome t2,
		      struct outcome t3)
{
	memset(run, 0, sizeof(*run));
	run->fs.local = addr_of("10.0.1.2:40000");
	run->script[FT_I] = answer();
	run->script[FT_II] = t2;
	run->script[FT_III] = t3;
	n_started = n_cancelled = 0;
	probe_chain_init(c, &ops, run, FT_DONE);
}

static void done(struct probe_chain *c, int test)
{
	c->txn[test].running = false;
	probe_chain_done(NULL, c, &c->txn[test]);
}

/* Port-restricted: Test III runs beside Test II and ends first; it is
 * recorded only after Test II, as the sequential tree would. */
static void early_result_held(void **state)
{
	static struct run run;
	static struct probe_chain c;
	(void)state;

	setup_run(&run, &c, (struct outcome){ .kind = OUT_SILENT },
		  (struct outcome){ .kind = OUT_SILENT });
	probe_chain_begin(NULL, &c);
	assert_int_equal(n_started, 1);
	assert_int_equal(started[0], FT_I);
	done(&c, FT_I);
	/* The tree asks for II; III starts beside it. */
	assert_int_equal(n_started, 3);
	assert_int_equal(started[1], FT_II);
	assert_int_equal(started[2], FT_III);
	done(&c, FT_III);
	assert_int_equal(run.n_recorded, 1);	/* held back */
	assert_false(c.finished);
	done(&c, FT_II);
	assert_true(c.finished);
	assert_int_equal(run.n_recorded, 3);
	assert_int_equal(run.recorded[1], FT_II);
	assert_int_equal(run.recorded[2], FT_III);
	assert_int_equal(run.fs.result, FILT_APD);
	assert_int_equal(n_cancelled, 0);
	assert_int_equal(n_started, 3);		/* nothing started twice */
}

/* Endpoint-independent: Test II answers, the verdict is known, and
 * Test III, still running, is cancelled and never recorded. */
static void unneeded_cancelled(void **state)
{
	static struct run run;
	static struct probe_chain c;
	(void)state;

	setup_run(&run, &c, answer(), (struct outcome){ .kind = OUT_ANSWER });
	probe_chain_begin(NULL, &c);
	done(&c, FT_I);
	done(&c, FT_II);
	assert_true(c.finished);
	assert_int_equal(run.fs.result, FILT_EI);
	assert_int_equal(n_cancelled, 1);
	assert_int_equal(cancelled[0], FT_III);
	assert_int_equal(run.n_recorded, 2);
}

/* Address-dependent, results in the tree's order: same verdict. */
static void in_order(void **state)
{
	static struct run run;
	static struct probe_chain c;
	(void)state;

	setup_run(&run, &c, (struct outcome){ .kind = OUT_SILENT }, answer());
	probe_chain_begin(NULL, &c);
	done(&c, FT_I);
	done(&c, FT_II);
	assert_false(c.finished);
	done(&c, FT_III);
	assert_true(c.finished);
	assert_int_equal(run.fs.result, FILT_AD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(early_result_held),
		cmocka_unit_test(unneeded_cancelled),
		cmocka_unit_test(in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
