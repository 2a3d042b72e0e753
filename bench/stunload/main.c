/* SPDX-License-Identifier: MIT */
/*
 * main.c - stunload: open the sockets, start the workers, show progress
 * every second, then add up and report.  See stunload --help.
 */
#include "engine.h"
#include "report.h"
#include "stunload.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_USAGE = SL_EXIT_USAGE, EXIT_RUNTIME = 3,
       EXIT_LOSS = 4 };

static volatile int stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested++;	/* first: stop sending; second: stop waiting */
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Thousands of sockets need more than the default 1024 descriptors. */
static int raise_nofile(unsigned need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need)
		return -1;
	rl.rlim_cur = need;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* Room for every request that can be outstanding on one socket: what
 * --inflight allows, or --timeout's worth of its share of --rate. */
static uint32_t table_entries(const struct sl_config *cfg)
{
	double need;
	uint32_t n = 64;

	if (cfg->rate > 0)
		need = cfg->rate / cfg->sockets * ((double)cfg->timeout_ns / 1e9) * 2 +
		       4 * SL_BATCH;
	else
		need = cfg->inflight * 4.0;
	while (n < need && n < (1u << 20))
		n <<= 1;
	return n;
}

static uint64_t seed64(void)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), 0) != sizeof(s))
		s = sl_now_ns() ^ (uint64_t)getpid() << 32;
	return s;
}

static void sum_counters(struct sl_counters *t, const struct sl_worker *w,
			 unsigned n)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < n; i++) {
		const struct sl_counters *c = &w[i].c;

		t->sent += CNT_LOAD(c->sent);
		t->answered += CNT_LOAD(c->answered);
		t->valid += CNT_LOAD(c->valid);
		t->lost += CNT_LOAD(c->lost);
		t->late += CNT_LOAD(c->late);
		t->unsupported += CNT_LOAD(c->unsupported);
		t->refused += CNT_LOAD(c->refused);
		t->send_errors += CNT_LOAD(c->send_errors);
		t->pace_dropped += CNT_LOAD(c->pace_dropped);
		t->table_full += CNT_LOAD(c->table_full);
		for (int k = 0; k < BAD_KIND_COUNT; k++)
			t->invalid[k] += CNT_LOAD(c->invalid[k]);
		t->conn_attempts += CNT_LOAD(c->conn_attempts);
		t->conn_established += CNT_LOAD(c->conn_established);
		t->conn_errors += CNT_LOAD(c->conn_errors);
		t->handshakes += CNT_LOAD(c->handshakes);
		t->handshakes_resumed += CNT_LOAD(c->handshakes_resumed);
		t->handshake_errors += CNT_LOAD(c->handshake_errors);
		t->conn_closed_by_peer += CNT_LOAD(c->conn_closed_by_peer);
		t->conn_recycled += CNT_LOAD(c->conn_recycled);
	}
}

static void sub_counters(struct sl_counters *d, const struct sl_counters *a,
			 const struct sl_counters *b)
{
	const uint64_t *pa = (const uint64_t *)a, *pb = (const uint64_t *)b;
	uint64_t *pd = (uint64_t *)d;

	for (size_t i = 0; i < sizeof(*d) / sizeof(uint64_t); i++)
		pd[i] = pa[i] - pb[i];
}

static bool all_done(const struct sl_worker *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!__atomic_load_n(&w[i].done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* The per-second loop of the main thread: live display and CSV. */
struct monitor {
	const struct sl_config *cfg;
	struct sl_worker *w;
	FILE *csv;
	uint64_t start_ns, last_ns;
	struct sl_counters prev;
	struct hist *prev_h, *cur_h, *iv_h;
	bool shown;
};

static void tick(struct monitor *m, uint64_t now)
{
	struct sl_interval iv;
	struct sl_counters cur;
	struct hist *t;

	if (now <= m->last_ns)
		return;
	sum_counters(&cur, m->w, m->cfg->threads);
	hist_reset(m->cur_h);
	for (unsigned i = 0; i < m->cfg->threads; i++)
		hist_add(m->cur_h, &m->w[i].h);
	hist_sub(m->iv_h, m->cur_h, m->prev_h);
	sub_counters(&iv.d, &cur, &m->prev);
	iv.total = cur;
	iv.h = m->iv_h;
	iv.t_s = (double)(now - m->start_ns) / 1e9;
	iv.len_s = (double)(now - m->last_ns) / 1e9;
	if (m->csv)
		sl_csv_row(m->csv, &iv);
	if (m->cfg->progress && !m->cfg->quiet) {
		sl_progress(stderr, &iv);
		m->shown = true;
	}
	m->prev = cur;
	t = m->prev_h;
	m->prev_h = m->cur_h;
	m->cur_h = t;
	m->last_ns = now;
}

static void monitor(struct monitor *m)
{
	uint64_t next = m->start_ns + 1000000000u;

	while (!all_done(m->w, m->cfg->threads)) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		uint64_t now;

		nanosleep(&ts, NULL);
		now = sl_now_ns();
		if (now >= next) {
			tick(m, now);
			next += 1000000000u;
			if (next <= now)
				next = now + 1000000000u;
		}
	}
	/* The last, partial second (at least 10 ms of it). */
	if (sl_now_ns() > m->last_ns + 10000000u)
		tick(m, sl_now_ns());
	if (m->shown)
		sl_progress_clear(stderr);
}

static int verdict(struct sl_result *r)
{
	const struct sl_counters *c = &r->c;
	double loss = c->sent ? 100.0 * (double)c->lost / (double)c->sent : 0;

	if (invalid_total(c)) {
		r->verdict = "FAIL: invalid answers";
		return EXIT_INVALID;
	}
	/* Streams: failed connections are counted, not fatal, unless none
	 * ever worked. */
	if (r->cfg->transport != TRANSPORT_UDP &&
	    (!c->conn_established ||
	     (r->cfg->transport == TRANSPORT_TLS && !c->handshakes))) {
		r->verdict = r->cfg->transport == TRANSPORT_TLS && c->conn_established ?
			     "FAIL: no TLS handshake succeeded" : "FAIL: no connection succeeded";
		return EXIT_LOSS;
	}
	if (c->sent && !c->answered) {
		r->verdict = "FAIL: no answer at all";
		return EXIT_LOSS;
	}
	if (r->cfg->max_loss_pct >= 0 && loss > r->cfg->max_loss_pct) {
		r->verdict = "FAIL: loss above --max-loss";
		return EXIT_LOSS;
	}
	r->verdict = "ok";
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct sl_config cfg;
	struct sl_worker *w = NULL;
	struct sl_sock *socks = NULL;
	struct hist *hists = NULL, total_h;
	struct monitor mon;
	struct sl_result res;
	unsigned opened = 0, started = 0;
	uint64_t seed, start, last_stop = 0;
	int status = EXIT_RUNTIME, r;

	r = sl_parse_options(&cfg, argc, argv);
	if (r >= 0)
		return r;
	if (cfg.engine == ENGINE_XDP)
		return sl_xdp_run(&cfg);

	if (raise_nofile(cfg.sockets + 64)) {
		fprintf(stderr, "stunload: --%s %u needs more open files than RLIMIT_NOFILE allows (ulimit -n)\n",
			cfg.transport == TRANSPORT_UDP ? "sockets" : "connections", cfg.sockets);
		return EXIT_RUNTIME;
	}
	if (sl_stream_init(&cfg))
		return EXIT_USAGE;	/* e.g. an unreadable --ca file */
	memset(&mon, 0, sizeof(mon));
	if (cfg.csv_path) {
		mon.csv = fopen(cfg.csv_path, "w");
		if (!mon.csv) {
			fprintf(stderr, "stunload: --csv %s: %s\n", cfg.csv_path,
				strerror(errno));
			return EXIT_USAGE;
		}
		sl_csv_header(mon.csv);
	}
	w = calloc(cfg.threads, sizeof(*w));
	socks = calloc(cfg.sockets, sizeof(*socks));
	hists = calloc(3, sizeof(*hists));
	if (!w || !socks || !hists) {
		fprintf(stderr, "stunload: out of memory\n");
		goto out;
	}
	seed = seed64();
	/* The stream engine's workers open their connections themselves. */
	for (; cfg.transport == TRANSPORT_UDP && opened < cfg.sockets; opened++) {
		r = sl_sock_open(&socks[opened], &cfg, table_entries(&cfg),
				 seed + opened * UINT64_C(0x9E3779B97F4A7C15));
		if (r < 0) {
			fprintf(stderr, "stunload: socket %u to %s: %s\n", opened + 1,
				cfg.target_str, strerror(-r));
			goto out;
		}
	}

	install_signals();
	start = sl_now_ns() + 1000000u;	/* all workers start together */
	for (unsigned i = 0; i < cfg.threads; i++) {
		struct sl_worker *x = &w[i];
		unsigned first = cfg.sockets * i / cfg.threads;
		unsigned last = cfg.sockets * (i + 1) / cfg.threads;

		x->id = i;
		x->cfg = &cfg;
		x->socks = cfg.transport == TRANSPORT_UDP ? &socks[first] : NULL;
		x->nsocks = last - first;
		x->tx_entries = table_entries(&cfg);
		x->seed = seed + first * UINT64_C(0x9E3779B97F4A7C15);
		x->first = first;
		x->cpu = cfg.n_cpus ? cfg.cpus[i % cfg.n_cpus] : -1;
		x->quota = cfg.count ? cfg.count * (i + 1) / cfg.threads -
				       cfg.count * i / cfg.threads : 0;
		x->start_ns = start;
		x->end_ns = cfg.duration_s > 0 ?
			    start + (uint64_t)(cfg.duration_s * 1e9) : UINT64_MAX;
		x->rate = cfg.rate / cfg.threads;
		x->stop = &stop_requested;
		r = pthread_create(&x->th, NULL, cfg.transport == TRANSPORT_UDP ?
				   sl_socket_worker : sl_stream_worker, x);
		if (r) {
			fprintf(stderr, "stunload: starting thread %u: %s\n", i + 1,
				strerror(r));
			stop_requested = 2;
			goto join;
		}
		started++;
	}

	mon.cfg = &cfg;
	mon.w = w;
	mon.start_ns = start;
	mon.last_ns = start;
	mon.prev_h = &hists[0];
	mon.cur_h = &hists[1];
	mon.iv_h = &hists[2];
	monitor(&mon);
join:
	for (unsigned i = 0; i < started; i++)
		pthread_join(w[i].th, NULL);
	if (started < cfg.threads)
		goto out;

	memset(&res, 0, sizeof(res));
	res.cfg = &cfg;
	sum_counters(&res.c, w, cfg.threads);
	hist_reset(&total_h);
	for (unsigned i = 0; i < cfg.threads; i++) {
		hist_add(&total_h, &w[i].h);
		if (w[i].stopped_ns > last_stop)
			last_stop = w[i].stopped_ns;
	}
	res.h = &total_h;
	for (unsigned i = 0; i < cfg.threads && !res.conn_error; i++)
		if (w[i].conn_error[0])
			res.conn_error = w[i].conn_error;
	res.send_s = last_stop > start ? (double)(last_stop - start) / 1e9 : 0;
	res.total_s = (double)(sl_now_ns() - start) / 1e9;
	status = verdict(&res);
	for (unsigned i = 0; i < cfg.threads; i++) {
		if (w[i].error) {
			fprintf(stderr, "stunload: thread %u: %s: %s\n", i + 1,
				w[i].error_what, strerror(w[i].error));
			res.verdict = "FAIL: runtime error";
			status = EXIT_RUNTIME;
		}
	}
	res.status = status;
	if (cfg.json)
		sl_report_json(stdout, &res);
	else if (!cfg.quiet)
		sl_report_text(stdout, &res);
	fflush(stdout);
out:
	if (mon.csv && fclose(mon.csv)) {
		fprintf(stderr, "stunload: --csv %s: %s\n", cfg.csv_path, strerror(errno));
		status = EXIT_RUNTIME;
	}
	for (unsigned i = 0; i < opened; i++)
		sl_sock_close(&socks[i]);
	free(socks);
	free(w);
	free(hists);
	sl_stream_fini();
	return status;
}
