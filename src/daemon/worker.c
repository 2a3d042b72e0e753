/* SPDX-License-Identifier: MIT */
/*
 * worker.c - worker threads: pin, set up the engine inside the thread (an
 * io_uring with SINGLE_ISSUER must be created by the thread that uses it),
 * report to main through a barrier, serve, drain, tear down.
 */
#include "worker.h"
#include "cli/cli.h"
#include "log.h"
#include "stream_tls.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool worker_stopping(const struct worker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_RELAXED);
}

void worker_request_stop(struct worker *workers, unsigned int n, int stop_fd)
{
	uint64_t one = 1;

	/* Each worker's own flag: several servers in one process (the
	 * embedded server, stunring_server.h) stop one at a time. */
	for (unsigned int i = 0; i < n; i++)
		__atomic_store_n(&workers[i].stop, true, __ATOMIC_RELAXED);
	/* Never read: it stays readable and wakes every worker's wait. */
	if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
		log_error("cannot wake the workers: %s", strerror(errno));
}

void worker_log_drop(const struct worker *w, enum stun_drop_reason reason,
		     const struct stun_addr *peer)
{
	static struct log_limit limits[STUN_DROP_REASON_COUNT];
	char from[STUN_ADDR_STRLEN];

	stun_addr_format(peer, from, sizeof(from));
	log_limited(&limits[reason], LOG_LVL_DEBUG, "worker %u: no reply to %s: %s "
		    "(counted in dropped)", w->id, from, stun_drop_reason_name(reason));
}

/* Test-only (test_faults.c): main asked this worker to stall, to show
 * that /healthz notices a worker that makes no progress. */
void worker_test_stall(struct worker *w)
{
	uint32_t ms = __atomic_exchange_n(&w->test_stall_ms, 0, __ATOMIC_RELAXED);
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	log_warn("worker %u: test fault: stalling for %u ms", w->id, ms);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	log_warn("worker %u: test fault: stall over", w->id);
}

static void pin(struct worker *w)
{
	int err = cli_pin_thread(w->cpu);

	if (err)
		log_warn("worker %u: cannot pin to CPU %d: %s", w->id, w->cpu,
			 strerror(err));
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct engine_ops *ops = w->engine == ENGINE_URING ? &uring_engine
								 : &mmsg_engine;
	char name[16];
	void *ctx = NULL;

	/* Its server's log sink (the embedding program's callback); NULL:
	 * stderr, as stunringd logs. */
	if (w->log_sink)
		log_set_thread_sink(w->log_sink);
	snprintf(name, sizeof(name), "stunringd/%u", w->id);
	pthread_setname_np(pthread_self(), name);
	pin(w);
	/* Here, so that its pages are this CPU's (first touch). */
	if (limiter_init(&w->limiter)) {
		log_error("worker %u: out of memory for the rate-limit table", w->id);
		w->setup_failed = true;
		sem_post(w->started);
		return NULL;
	}
	if (w->ntcp && stream_pool_init(&w->tcp, w->cfg, w->nworkers)) {
		log_error("worker %u: cannot reserve memory for %u TCP connections",
			  w->id, (w->cfg->max_conns + w->nworkers - 1) / w->nworkers);
		limiter_free(&w->limiter);
		w->setup_failed = true;
		sem_post(w->started);
		return NULL;
	}
	if (w->ntcp && stream_tls_worker_init(w)) {
		stream_pool_free(&w->tcp);
		limiter_free(&w->limiter);
		w->setup_failed = true;
		sem_post(w->started);
		return NULL;
	}
	w->setup_failed = ops->setup(w, &ctx) != 0;
	sem_post(w->started);
	if (w->setup_failed) {
		ops->teardown(ctx);
		stream_tls_worker_free(w);
		stream_pool_free(&w->tcp);
		limiter_free(&w->limiter);
		return NULL;
	}
	log_debug("worker %u: %s engine on CPU %d", w->id, ops->name, w->cpu);
	worker_batch_start(w);
	if (ops->run(w, ctx)) {
		w->run_failed = true;
		/* Tell main (it waits for signals) that the daemon is broken;
		 * an embedded server is told through its callback instead. */
		if (w->on_failure)
			w->on_failure(w);
		else
			kill(getpid(), SIGUSR1);
	}
	ops->teardown(ctx);
	stream_tls_worker_free(w);
	stream_pool_free(&w->tcp);
	limiter_free(&w->limiter);
	return NULL;
}

int worker_start(struct worker *w)
{
	int err = pthread_create(&w->thread, NULL, worker_main, w);

	if (err) {
		log_error("cannot start worker %u: %s", w->id, strerror(err));
		return -1;
	}
	return 0;
}

/* stunringd's main and the embedded server (server.c) alike. */
unsigned int worker_start_all(struct worker *workers, unsigned int nw,
			      const struct daemon_config *cfg, const int *fds,
			      const int *tcp_fds, const int *cpus, unsigned int ncpu,
			      int stop_fd, sem_t *ready, bool *ok)
{
	unsigned int started = 0;

	for (unsigned int i = 0; i < nw; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->nworkers = nw;
		w->ntcp = cfg->n_tcp_listen;
		memcpy(w->tcp_fds, &tcp_fds[i * cfg->n_tcp_listen],
		       cfg->n_tcp_listen * sizeof(int));
		w->cpu = cfg->pin && cpus[0] >= 0 ? cpus[i % ncpu] : -1;
		w->cfg = cfg;
		w->nsock = cfg->n_listen;
		memcpy(w->fds, &fds[i * cfg->n_listen], cfg->n_listen * sizeof(int));
		for (unsigned int l = 0; l < cfg->n_listen; l++)
			w->wildcard[l] = addr_is_any(&cfg->listen[l].addr);
		w->stop_fd = stop_fd;
		w->engine = cfg->engine;
		w->started = ready;
		if (worker_start(w))
			break;
		started++;
	}
	for (unsigned int i = 0; i < started; i++)
		while (sem_wait(ready) && errno == EINTR)
			;
	*ok = started == nw;
	for (unsigned int i = 0; i < started; i++)
		if (workers[i].setup_failed)
			*ok = false;
	return started;
}
