/* SPDX-License-Identifier: MIT */
/*
 * stunring_server.c - the embedded server (stunring_server.h): stunringd's
 * configuration rules (config.c, rfc5780.c) and stunringd's server itself
 * (server.c: sockets, workers, engines), with the application's log
 * callback as the sink of every thread it runs.
 *
 * What stays stunringd's (main.c): signals, privilege drop, XDP, metrics,
 * SIGHUP reload, TCP (its per-source table, stream_sources.c, is still
 * process-wide).
 */
#include "stunring_server.h"

#include "cli/cli.h"
#include "config.h"
#include "log.h"
#include "rfc5780.h"
#include "server.h"
#include "settings.h"
#include "stats.h"
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct stunring_server {
	struct daemon_config cfg;
	struct server srv;
	struct log_sink sink;
	bool opened, failed;
	struct settings *settings;
};

/* Options that belong to stunringd's process, not to an embedded server. */
static const char *const refused[] = {
	"user", "xdp", "xdp-mode", "metrics", "tcp-listen", "tls-listen", "tls-cert",
	"tls-key", "log-level", "stats-interval", "workers", "listen", "io-engine", NULL,
};

struct start_ctx {
	char *err;
	size_t errlen;
	const struct log_sink *app;
};

static void set_err(struct start_ctx *c, const char *msg)
{
	if (c->errlen && !c->err[0])
		snprintf(c->err, c->errlen, "%s", msg);
}

/* Usage errors of the option rules (cli_usage_error) while starting. */
static void cli_err(void *user, const char *msg)
{
	set_err(user, msg);
}

/* Log lines while starting, on the caller's thread: errors also become
 * err's line; all go to the application's callback. */
static void start_log(void *user, int level, const char *line)
{
	struct start_ctx *c = user;

	if (level == LOG_LVL_ERROR)
		set_err(c, line);
	if (c->app->fn && level <= c->app->threshold)
		c->app->fn(c->app->user, level, line);
}

static int apply(struct daemon_config *cfg, const char *name, const char *value)
{
	struct config_option o;

	if (config_option_find(name, &o) || (o.flags & CONFIG_OPT_CMDLINE_ONLY))
		return cli_usage_error("unknown option '%s'", name);
	if (o.flags & CONFIG_OPT_FLAG) {
		if (!value || !strcmp(value, "yes") || !strcmp(value, "true") ||
		    !strcmp(value, "1"))
			return config_option_apply(cfg, o.id, NULL);
		if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0"))
			return -1;
		return cli_usage_error("%s '%s': expected yes or no", name, value);
	}
	return config_option_apply(cfg, o.id, value);
}

/* "key=value" pairs from the application. */
static int apply_extra(struct daemon_config *cfg, const char *const *opts)
{
	char key[64];
	int rc;

	for (; opts && *opts; opts++) {
		const char *eq = strchr(*opts, '=');
		size_t kl = eq ? (size_t)(eq - *opts) : strlen(*opts);

		if (!kl || kl >= sizeof(key))
			return cli_usage_error("option '%s': expected key=value", *opts);
		memcpy(key, *opts, kl);
		key[kl] = 0;
		for (const char *const *r = refused; *r; r++)
			if (!strcmp(key, *r))
				return cli_usage_error("option '%s' is stunringd's (or a field of "
						       "struct stunring_server_config)", key);
		if ((rc = apply(cfg, key, eq ? eq + 1 : NULL)) >= 0)
			return rc;
	}
	return -1;
}

static int configure(struct daemon_config *cfg, const struct stunring_server_config *c)
{
	char n[16];
	int rc;

	config_defaults(cfg);
	cfg->pin = c->pin;
	if (c->listen && (rc = apply(cfg, "listen", c->listen)) >= 0)
		return rc;
	snprintf(n, sizeof(n), "%u", c->workers ? c->workers : 1);
	if ((rc = apply(cfg, "workers", n)) >= 0 ||
	    (c->engine && (rc = apply(cfg, "io-engine", c->engine)) >= 0) ||
	    (c->software && (rc = apply(cfg, "software", c->software)) >= 0) ||
	    (c->fingerprint && (rc = apply(cfg, "fingerprint", NULL)) >= 0) ||
	    (c->no_classic && (rc = apply(cfg, "no-classic", NULL)) >= 0) ||
	    (rc = apply_extra(cfg, c->options)) >= 0 ||
	    (rc = config_finish(cfg)) >= 0 || (rc = rfc5780_configure(cfg)) >= 0)
		return rc;
	return -1;
}

static int choose_engine(struct daemon_config *cfg)
{
	char why[160];
	bool fell_back;

	if (server_choose_engine(cfg, &fell_back, why, sizeof(why))) {
		log_error("engine uring: io_uring is not usable here: %s", why);
		return -1;
	}
	if (fell_back)
		log_info("io_uring is not usable here (%s): recvmmsg/sendmmsg engine", why);
	return 0;
}

static void on_failure(struct worker *w)
{
	struct stunring_server *s = w->owner;

	__atomic_store_n(&s->failed, true, __ATOMIC_RELAXED);
	log_error("worker %u: the engine failed; this worker no longer serves", w->id);
}

/* Everything start made, whatever it got to; s itself too. */
static void teardown(struct stunring_server *s)
{
	if (s->opened) {
		server_stop(&s->srv);
		server_close(&s->srv);
	}
	free(s->settings);
	free(s);
}

int stunring_server_start(const struct stunring_server_config *c,
			  struct stunring_server **out, char *err, size_t errlen)
{
	static const struct stunring_server_config defaults;
	struct start_ctx ctx = { .err = err, .errlen = errlen };
	struct log_sink start_sink = { .fn = start_log, .user = &ctx,
				       .threshold = LOG_LVL_DEBUG };
	const struct log_sink *old_sink;
	struct stunring_server *s;
	bool ok = false;

	*out = NULL;
	if (errlen)
		err[0] = 0;
	if (!c)
		c = &defaults;
	s = calloc(1, sizeof(*s));
	if (!s) {
		if (errlen)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	ctx.app = &s->sink;	/* silent until the callback is known */
	old_sink = log_set_thread_sink(&start_sink);
	cli_set_sink(cli_err, &ctx);
	/* In place: a daemon_config points into itself (its strings). */
	if (configure(&s->cfg, c) >= 0)
		goto out;
	s->sink = (struct log_sink){ .fn = c->log, .user = c->log_user,
				     .threshold = c->log_level };
	if (choose_engine(&s->cfg) || server_open(&s->srv, &s->cfg, s->cfg.workers))
		goto out;
	s->opened = true;
	s->settings = settings_new(&s->cfg, s->srv.nw, 0);
	if (!s->settings) {
		set_err(&ctx, "out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < s->srv.nw; i++) {
		struct worker *w = &s->srv.workers[i];

		w->log_sink = &s->sink;
		w->on_failure = on_failure;
		w->owner = s;
		w->next_settings = s->settings;
		worker_pick_settings(w);
	}
	{
		int cpus[CPU_SETSIZE] = { -1 };
		unsigned int ncpu = s->cfg.pin ? cli_usable_cpus(cpus, CPU_SETSIZE) : 1;

		sigset_t all, old;

		/* The workers are born with every signal blocked: the
		 * application's signals go to its own threads, and never
		 * interrupt a worker's batch. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		if (server_start(&s->srv, cpus, ncpu))
			set_err(&ctx, "a worker could not start");
		else
			ok = true;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
out:
	cli_set_sink(NULL, NULL);
	log_set_thread_sink(old_sink);
	if (!ok) {
		teardown(s);
		if (errlen && !err[0])
			snprintf(err, errlen, "cannot start");
		return -1;
	}
	*out = s;
	return 0;
}

uint16_t stunring_server_port(const struct stunring_server *s, unsigned int i)
{
	return s && i < s->cfg.n_listen ? s->cfg.listen[i].addr.port : 0;
}

int stunring_server_stats(const struct stunring_server *s,
			  struct stunring_server_stats *st)
{
	struct worker_stats sum;

	memset(st, 0, sizeof(*st));
	if (!s)
		return -1;
	memset(&sum, 0, sizeof(sum));
	for (unsigned int i = 0; i < s->srv.started; i++)
		stats_accumulate(&sum, &s->srv.workers[i].stats);
	st->received = sum.rx;
	for (unsigned int f = 0; f < FAM_COUNT; f++) {
		st->requests += sum.requests[f];
		st->answered += sum.answered[f];
		st->errors += sum.errors[f];
	}
	st->dropped = stats_dropped_total(&sum);
	for (unsigned int r = 0; r < LIMIT_REASON_COUNT; r++)
		st->limited += sum.limited[r];
	st->send_failed = sum.send_failed;
	st->failed = __atomic_load_n(&s->failed, __ATOMIC_RELAXED);
	return 0;
}

void stunring_server_stop(struct stunring_server *s)
{
	if (s)
		teardown(s);
}
