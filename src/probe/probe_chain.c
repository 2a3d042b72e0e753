/* SPDX-License-Identifier: MIT */
/*
 * probe_chain.c - one decision tree driven through the engine.
 *
 * The trees in stunprobe_decide.c are sequential: each verdict decides the
 * next test.  Run literally, a port-restricted NAT costs two silent waits
 * in a row (filtering Test II, then III).  Here the test that *_ahead()
 * names starts alongside the one the tree asked for; its result is held
 * back until the tree asks for it, so the tree still sees its tests in its
 * own order and decides exactly as before, only sooner.
 */
#include "probe/probe.h"

enum chain_state {
	CS_IDLE = 0,	/* not started */
	CS_RUNNING,
	CS_HELD,	/* done, the tree has not asked for it yet */
	CS_USED,	/* recorded into the tree */
};

void probe_chain_init(struct probe_chain *c, const struct probe_chain_ops *ops,
		      void *ctx, const struct probe_chain_tests *tests,
		      int n_tests, const struct probe_cfg *cfg)
{
	*c = (struct probe_chain){ .ops = ops, .ctx = ctx, .tests = *tests,
				   .cfg = cfg, .n_tests = n_tests };
}

/* The tree asked for it: log it, turn it into the tree's outcome. */
static void record(struct probe_chain *c, int test)
{
	const struct probe_result *r = &c->txn[test].res;

	if (c->cfg->log_test)
		c->cfg->log_test(c->cfg, c->tests.names[test], r);
	outcome_from_result(&c->tests.outcomes[test], r,
			    c->tests.change ? c->tests.change[test] : 0);
	if (test == 0)
		*c->tests.first = *r;
}

static void start(struct probe_engine *e, struct probe_chain *c, int test)
{
	struct probe_txn *t = &c->txn[test];

	*t = (struct probe_txn){ .kind = TXN_BINDING, .owner = c, .test = test,
				 .name = c->tests.names[test] };
	c->ops->prepare(c->ctx, test, t);
	c->state[test] = CS_RUNNING;
	probe_txn_start(e, t);
}

static void advance(struct probe_engine *e, struct probe_chain *c)
{
	for (;;) {
		int test = c->ops->next(c->ctx), ahead;

		if (test == c->n_tests) {
			/* Verdict known: what ran ahead is not needed. */
			for (int i = 0; i < c->n_tests; i++)
				if (c->state[i] == CS_RUNNING)
					probe_txn_cancel(e, &c->txn[i]);
			c->finished = true;
			return;
		}
		if (c->state[test] == CS_HELD) {
			c->state[test] = CS_USED;
			record(c, test);
			continue;
		}
		if (c->state[test] == CS_IDLE) {
			if (c->ops->ready && !c->ops->ready(c->ctx, test))
				return;
			start(e, c, test);
		}
		ahead = c->ops->ahead(c->ctx, test);
		if (ahead != c->n_tests && c->state[ahead] == CS_IDLE)
			start(e, c, ahead);
		return;
	}
}

void probe_chain_begin(struct probe_engine *e, struct probe_chain *c)
{
	advance(e, c);
}

void probe_chain_resume(struct probe_engine *e, struct probe_chain *c)
{
	if (!c->finished)
		advance(e, c);
}

void probe_chain_done(struct probe_engine *e, struct probe_chain *c,
		      struct probe_txn *t)
{
	c->state[t->test] = CS_HELD;
	advance(e, c);
}
