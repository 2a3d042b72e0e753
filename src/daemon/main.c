/* SPDX-License-Identifier: MIT */
/*
 * main.c - stunringd: read the configuration (command line and file), pick
 * the engine, open the sockets, start one worker per CPU, then wait for
 * signals (log the counters every --stats-interval, re-read the file on
 * SIGHUP) until SIGTERM/SIGINT; drain, print the totals and exit 0.
 *
 * Signals are blocked in every thread and taken synchronously here with
 * sigtimedwait, so no handler ever runs in the middle of a worker's batch.
 *
 * Order matters for the privilege drop (privdrop.h): everything that needs
 * privilege (the sockets, the metrics socket, the XDP attach) happens on
 * this thread before any other thread exists; then the drop; then the
 * threads are started by a helper thread that holds no capability at all,
 * so every thread serving the network is born without any.  systemd
 * (libsystemd's sd_notify) hears READY=1 once all of that is done.
 */
#include "config.h"
#include "config_load.h"
#include "cli/cli.h"
#include "log.h"
#include "metrics_http.h"
#include "privdrop.h"
#include "reload.h"
#include "rfc5780.h"
#include "server.h"
#include "stats.h"
#include "stream_sources.h"
#include "stream_tls.h"
#include "test_faults.h"
#include "watchdog.h"
#include "worker.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

static int choose_engine(struct daemon_config *cfg)
{
	char why[160];
	bool fell_back;

	if (server_choose_engine(cfg, &fell_back, why, sizeof(why))) {
		log_error("--io-engine uring: io_uring is not usable here: %s "
			  "(kernel.io_uring_disabled, seccomp, or a kernel older than 6.0; "
			  "try --io-engine mmsg)", why);
		return EXIT_OSERR;
	}
	if (fell_back)
		log_warn("io_uring is not usable here (%s): falling back to the "
			 "recvmmsg/sendmmsg engine", why);
	return 0;
}

/* Every TCP connection is a descriptor: raise the soft limit on open files
 * (often 1024) towards the hard one, and say so when even that cannot hold
 * --max-connections (accept would then fail with EMFILE). */
static void raise_nofile(const struct daemon_config *cfg, unsigned int nw)
{
	rlim_t want = (rlim_t)cfg->max_conns + (rlim_t)nw * (cfg->n_listen + cfg->n_tcp_listen + 8) + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want)
		log_warn("TCP: the open files limit (%llu) is below what --max-connections %u "
			 "needs (%llu): raise LimitNOFILE / ulimit -Hn", (unsigned long long)rl.rlim_cur,
			 cfg->max_conns, (unsigned long long)want);
}

static void sum_stats(const struct worker *w, unsigned int n, struct worker_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int i = 0; i < n; i++)
		stats_accumulate(sum, &w[i].stats);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for a stop signal, logging the counters every stats interval,
 * re-reading the configuration on SIGHUP and feeding systemd's watchdog
 * meanwhile.  Returns 0 for SIGTERM/SIGINT, 1 when a worker failed (it
 * raised SIGUSR1). */
static int wait_for_stop(const sigset_t *sigs, struct reload_ctx *r)
{
	struct worker_stats prev, cur;
	double t_prev = now_s();
	bool collecting = false;

	sum_stats(r->workers, r->n, &prev);
	for (;;) {
		/* SIGHUP may change the interval: read it every time. */
		unsigned int interval_ms = r->running->stats_interval_ms;
		double wait = interval_ms ? t_prev + interval_ms / 1000.0 - now_s() : -1;
		if (collecting && (wait < 0 || wait > 1))
			wait = 1;	/* old settings blocks to free */
		if (interval_ms && wait < 0)
			wait = 0;
		double wd = watchdog_wait_s();
		if (wd >= 0 && (wait < 0 || wd < wait))
			wait = wd;
		struct timespec ts = { .tv_sec = (time_t)wait,
				       .tv_nsec = (long)((wait - (time_t)wait) * 1e9) };
		siginfo_t si;
		int sig = sigtimedwait(sigs, &si, wait >= 0 ? &ts : NULL);

		collecting = reload_collect(r);
		watchdog_tick(r->workers, r->n);
		if (sig < 0) {
			double t = now_s();
			if (errno == EAGAIN && interval_ms && t >= t_prev + interval_ms / 1000.0) {
				sum_stats(r->workers, r->n, &cur);
				stats_log("stats", &cur, &prev, t - t_prev, r->running->rfc5780);
				prev = cur;
				t_prev = t;
			}
			continue;
		}
		switch (sig) {
		case SIGTERM:
		case SIGINT:
			log_info("%s received: draining and stopping",
				 sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return 0;
		case SIGUSR1:
			log_error("a worker failed: stopping");
			return 1;
		case SIGHUP:
			/* systemd's reload protocol: done when READY=1 follows. */
			sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
				   (unsigned long long)(now_s() * 1e6));
			reload_run(r);
			sd_notify(0, "READY=1");
			collecting = true;
			break;
		case SIGUSR2:	/* only taken when test faults are armed */
			test_faults_fire(r->workers, r->n);
			break;
		default:
			break;
		}
	}
}

/* What the unprivileged helper thread starts, and what came of it. */
struct spawn {
	struct server *srv;
	unsigned int ncpu;
	const int *cpus;
	int rc;
};

/* The helper: first rid itself of every capability (threads inherit their
 * creator's), then start the metrics thread and the workers. */
static void *spawn_threads(void *arg)
{
	struct spawn *sp = arg;

	if (privdrop_thread_none()) {
		sp->rc = EXIT_OSERR;
		return NULL;
	}
	if ((sp->rc = metrics_http_start(sp->srv->cfg, sp->srv->workers, sp->srv->nw)))
		return NULL;
	sp->rc = server_start(sp->srv, sp->cpus, sp->ncpu);
	return NULL;
}

static void log_totals(const struct worker *workers, unsigned int n, bool rfc5780)
{
	struct worker_stats total;

	for (unsigned int i = 0; i < n && n > 1 && log_threshold >= LOG_LVL_DEBUG; i++) {
		char what[32];

		snprintf(what, sizeof(what), "worker %u", i);
		stats_log(what, &workers[i].stats, NULL, 0, rfc5780);
	}
	sum_stats(workers, n, &total);
	stats_log("totals", &total, NULL, 0, rfc5780);
}

int main(int argc, char **argv)
{
	static struct daemon_config cfg;
	static int cpus[CPU_SETSIZE];
	static struct server srv;
	struct worker *workers;
	unsigned int nw, ncpu, started;
	sigset_t sigs;
	bool ok, faults, bad_faults;
	int rc;

	log_init();
	rc = config_load(&cfg, argc, argv);
	if (rc >= 0)
		return rc;
	log_threshold = (enum log_level)cfg.log_level;
	/* As asked, before choose_engine resolves "auto": what SIGHUP
	 * compares a re-read file with. */
	static struct daemon_config boot;
	boot = cfg;
	/* Worker i is pinned to the i-th CPU we may run on (mod their number). */
	ncpu = cli_usable_cpus(cpus, CPU_SETSIZE);
	faults = test_faults_init(&bad_faults);
	if (bad_faults)
		return EXIT_USAGE;
	nw = cfg.workers ? cfg.workers : ncpu;
	if (nw > MAX_WORKERS)
		nw = MAX_WORKERS;
	if ((rc = choose_engine(&cfg)))
		return rc;
	/* The certificate before anything else: its error is the only line. */
	if ((rc = stream_tls_start(&cfg)))
		return rc;

	/* Before any thread exists, so every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	if (faults)
		sigaddset(&sigs, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The server's sockets, workers' array and stop descriptor (server.c,
	 * as the embedded server has them); the privileged steps around it
	 * are stunringd's own. */
	if ((rc = privdrop_check(&cfg)) || (rc = server_open(&srv, &cfg, nw)))
		return rc;
	workers = srv.workers;
	if (cfg.n_tcp_listen) {
		raise_nofile(&cfg, nw);
		if (stream_sources_init(cfg.max_conns, cfg.max_conns_per_source)) {
			log_error("cannot set up: out of memory");
			return EXIT_OSERR;
		}
		log_info("TCP: at most %u connections (%u per worker), %u per source, "
			 "%zu bytes each (--tcp-max-message %u)", cfg.max_conns,
			 (cfg.max_conns + nw - 1) / nw, cfg.max_conns_per_source,
			 stream_conn_bytes(cfg.tcp_max_msg), cfg.tcp_max_msg);
	}
	rfc5780_log(&cfg);
	struct reload_ctx reload = { .running = &cfg, .boot = &boot, .workers = workers,
				     .n = nw };
	if (reload_init(&reload)) {
		log_error("cannot set up: out of memory");
		return EXIT_OSERR;
	}
	/* Everything privileged, then the drop, on this thread alone.  The
	 * XDP program goes on before the workers exist: what it passes waits
	 * in the bound sockets' buffers until they read it. */
	bool attached = false;
	if ((rc = metrics_http_open(&cfg)) || (rc = xdp_start(&cfg)) ||
	    ((attached = true), (rc = privdrop_apply(&cfg)))) {
		if (attached)	/* xdp_start cleans up after itself */
			xdp_stop(&cfg);
		xdp_release();
		metrics_http_close();
		server_close(&srv);
		return rc;
	}
	/* Its threads inherit the blocked signals; /readyz says 503 until
	 * the workers are set up. */
	struct spawn sp = { .srv = &srv, .ncpu = ncpu, .cpus = cpus };
	pthread_t spawner;
	if (pthread_create(&spawner, NULL, spawn_threads, &sp)) {
		log_error("cannot start a thread: %s", strerror(errno));
		sp.rc = EXIT_OSERR;
	} else {
		pthread_join(spawner, NULL);
	}
	started = srv.started;
	ok = sp.rc == 0;
	rc = sp.rc;
	if (ok) {
		metrics_http_set_ready(true);
		log_info("stunringd %s ready: %u worker%s, %s engine, %s mode, software %s",
			 STUNRING_VERSION, nw, nw == 1 ? "" : "s",
			 cfg.engine == ENGINE_URING ? "io_uring" : "recvmmsg/sendmmsg",
			 cfg.stun.mode == STUN_MODE_BASIC ? "basic" : "rfc5780",
			 cfg.stun.software ? cfg.stun.software : "(none)");
		sd_notifyf(0, "READY=1\nSTATUS=serving: %u worker%s, %u listener%s%s",
			   nw, nw == 1 ? "" : "s", cfg.n_listen, cfg.n_listen == 1 ? "" : "s",
			   cfg.xdp_ifname ? ", XDP" : "");
		watchdog_init();
		if (wait_for_stop(&sigs, &reload))
			rc = 1;
		sd_notify(0, "STOPPING=1");
		metrics_http_set_ready(false);
	}
	/* Off before the workers drain: nothing goes unanswered. */
	privdrop_raise_xdp();
	xdp_stop(&cfg);
	if (server_stop(&srv))
		rc = 1;
	metrics_http_stop();
	metrics_http_close();	/* when the start failed before serving */
	xdp_release();
	if (ok)
		log_totals(workers, started, cfg.rfc5780);
	stream_sources_free();
	server_close(&srv);
	if (rc == 0)
		log_info("stopped");
	return rc;
}
