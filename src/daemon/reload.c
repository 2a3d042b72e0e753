/* SPDX-License-Identifier: MIT */
/*
 * reload.c - SIGHUP (reload.h).  Runs in main's thread only, so its
 * state needs no lock; the workers see nothing but a new settings block.
 */
#include "reload.h"
#include "config_load.h"
#include "log.h"
#include "settings.h"
#include "stream_tls.h"

#include <stdlib.h>
#include <string.h>

#define MAX_RETIRED 64

static struct settings *current;
static struct settings *retired[MAX_RETIRED];
static unsigned int n_retired;
static unsigned int generation;

/* A reloaded configuration must outlive the next re-read (the running one
 * points at its strings): two buffers, the one not in use is filled. */
static struct daemon_config fresh[2];
static unsigned int spare;
static const struct daemon_config *applied;	/* last good file, or boot */

static void publish(struct reload_ctx *r, struct settings *s)
{
	for (unsigned int i = 0; i < r->n; i++)
		__atomic_store_n(&r->workers[i].next_settings, s, __ATOMIC_RELEASE);
	if (current && n_retired < MAX_RETIRED)
		retired[n_retired++] = current;
	/* With MAX_RETIRED blocks still in use (64 SIGHUPs while a worker
	 * is stuck) the oldest is leaked rather than freed under a reader. */
	current = s;
}

int reload_init(struct reload_ctx *r)
{
	struct settings *s = settings_new(r->running, r->n, generation);

	if (!s)
		return -1;
	applied = r->boot;
	for (unsigned int i = 0; i < r->n; i++) {
		r->workers[i].next_settings = s;
		r->workers[i].used_settings = NULL;
		worker_pick_settings(&r->workers[i]);
	}
	current = s;
	return 0;
}

bool reload_collect(struct reload_ctx *r)
{
	unsigned int kept = 0;

	for (unsigned int k = 0; k < n_retired; k++) {
		bool used = false;
		for (unsigned int i = 0; i < r->n && !used; i++)
			used = __atomic_load_n(&r->workers[i].used_settings,
					       __ATOMIC_ACQUIRE) == retired[k];
		if (used)
			retired[kept++] = retired[k];
		else
			settings_free(retired[k]);
	}
	n_retired = kept;
	return n_retired > 0;
}

struct tally {
	unsigned int applied, restart;
};

static void warn_restart(void *user, const char *name, bool can_reload,
			 const char *was, const char *now)
{
	struct tally *t = user;

	if (can_reload)
		return;
	log_warn("SIGHUP: %s changed (%s -> %s) but needs a restart; it stays %s",
		 name, was[0] ? was : "unset", now[0] ? now : "unset", was[0] ? was : "unset");
	t->restart++;
}

static void note_change(void *user, const char *name, bool can_reload,
			const char *was, const char *now)
{
	struct tally *t = user;

	if (!can_reload)
		return;
	log_info("SIGHUP: %s: %s -> %s", name, was, now);
	t->applied++;
}

/* The fields SIGHUP may change, from f into the running configuration. */
static void take_reloadable(struct daemon_config *run, const struct daemon_config *f)
{
	run->stun.software = f->stun.software;
	run->stun.software_len = f->stun.software_len;
	run->stun.always_fingerprint = f->stun.always_fingerprint;
	run->stun.classic = f->stun.classic;
	run->stun.response_port = f->stun.response_port;
	for (unsigned int i = 0; i < FAM_COUNT; i++) {
		run->fam[i].software = f->fam[i].software;
		run->fam[i].software_len = f->fam[i].software_len;
		run->fam[i].always_fingerprint = f->fam[i].always_fingerprint;
		run->fam[i].classic = f->fam[i].classic;
		run->fam[i].response_port = f->fam[i].response_port;
	}
	run->limits = f->limits;
	run->stats_interval_ms = f->stats_interval_ms;
	run->tls_cert = f->tls_cert;
	run->tls_key = f->tls_key;
	run->log_level = f->log_level;
}

/* SIGHUP without a configuration file: only the certificate (a renewal
 * replaces the files the command line names). */
static void reload_certificate(struct reload_ctx *r)
{
	char err[700];
	struct settings *s;

	if (stream_tls_reload(r->running, r->running, err, sizeof(err))) {
		log_error("SIGHUP: %s; the old certificate keeps serving", err);
		return;
	}
	if (!(s = settings_new(r->running, r->n, generation + 1))) {
		log_error("SIGHUP: out of memory; nothing changed");
		return;
	}
	generation++;
	publish(r, s);
}

void reload_run(struct reload_ctx *r)
{
	struct daemon_config *f = &fresh[spare];
	struct tally t = { 0 };
	char err[700];

	if (!config_load_path() && r->running->n_tls_listen) {
		reload_certificate(r);
		return;
	}
	if (config_reload(f, err, sizeof(err))) {
		log_error("SIGHUP: %s; nothing changed", err);
		return;
	}
	/* The certificate is re-read on every SIGHUP (a renewal changes the
	 * file, not its name); a bad one changes nothing, the old one serves. */
	if (stream_tls_reload(r->running, f, err, sizeof(err))) {
		log_error("SIGHUP: %s; nothing changed, the old certificate keeps serving", err);
		return;
	}
	config_diff(r->boot, f, warn_restart, &t);
	config_diff(applied, f, note_change, &t);
	bool xdp_policy = r->running->xdp_ifname &&
		(r->running->stun.software_len != f->stun.software_len ||
		 (f->stun.software_len && memcmp(r->running->stun.software, f->stun.software,
						 f->stun.software_len)) ||
		 r->running->stun.always_fingerprint != f->stun.always_fingerprint);
	bool xdp_limits = r->running->xdp_ifname &&
		memcmp(&r->running->limits, &f->limits, sizeof(f->limits));
	struct daemon_config next = *r->running;
	take_reloadable(&next, f);
	struct settings *s = settings_new(&next, r->n, generation + 1);
	if (!s) {
		log_error("SIGHUP: out of memory; nothing changed");
		return;
	}
	generation++;
	/* Only the reloadable fields: the metrics thread reads others. */
	take_reloadable(r->running, f);
	applied = f;
	spare ^= 1;
	__atomic_store_n(&log_threshold, (enum log_level)f->log_level, __ATOMIC_RELAXED);
	publish(r, s);
	if (xdp_policy)
		xdp_update(r->running);
	if (xdp_limits)
		xdp_update_limits(r->running);
	log_info("SIGHUP: %s re-read (generation %u): %u change%s applied, %u key%s "
		 "need%s a restart", config_load_path(), generation, t.applied,
		 t.applied == 1 ? "" : "s", t.restart, t.restart == 1 ? "" : "s",
		 t.restart == 1 ? "s" : "");
}
