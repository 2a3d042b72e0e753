/* SPDX-License-Identifier: MIT */
/*
 * server.c - one STUN server's sockets and workers (server.h).
 */
#include "server.h"
#include "listener.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int server_choose_engine(struct daemon_config *cfg, bool *fell_back, char *why, size_t n)
{
	*fell_back = false;
	if (cfg->engine == ENGINE_MMSG)
		return 0;
	if (uring_probe(why, n) == 0) {
		cfg->engine = ENGINE_URING;
		return 0;
	}
	if (cfg->engine == ENGINE_URING)
		return -1;
	*fell_back = true;
	cfg->engine = ENGINE_MMSG;
	return 0;
}

int server_open(struct server *s, struct daemon_config *cfg, unsigned int nw)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->nw = nw;
	s->stop_fd = -1;
	s->fds = calloc((size_t)nw * (cfg->n_listen ? cfg->n_listen : 1), sizeof(int));
	s->tcp_fds = calloc((size_t)nw * (cfg->n_tcp_listen ? cfg->n_tcp_listen : 1),
			    sizeof(int));
	s->workers = calloc(nw, sizeof(*s->workers));
	if (!s->fds || !s->tcp_fds || !s->workers || sem_init(&s->ready, 0, 0)) {
		log_error("cannot set up: out of memory");
		free(s->fds);
		free(s->tcp_fds);
		free(s->workers);
		return EXIT_OSERR;
	}
	if ((rc = listeners_open(cfg, nw, s->fds))) {
		free(s->fds);
		s->fds = NULL;
		goto fail;
	}
	if ((rc = tcp_listeners_open(cfg, nw, s->tcp_fds))) {
		free(s->tcp_fds);
		s->tcp_fds = NULL;
		goto fail;
	}
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0) {
		log_error("cannot set up: %s", strerror(errno));
		rc = EXIT_OSERR;
		goto fail;
	}
	for (unsigned int i = 0; i < nw; i++) {
		s->workers[i].cfg = cfg;
		s->workers[i].nsock = cfg->n_listen;
	}
	return 0;
fail:
	server_close(s);
	return rc;
}

int server_start(struct server *s, const int *cpus, unsigned int ncpu)
{
	bool ok;

	s->started = worker_start_all(s->workers, s->nw, s->cfg, s->fds, s->tcp_fds,
				      cpus, ncpu, s->stop_fd, &s->ready, &ok);
	return ok ? 0 : EXIT_OSERR;
}

bool server_stop(struct server *s)
{
	bool failed = false;

	if (s->started)
		worker_request_stop(s->workers, s->nw, s->stop_fd);
	for (unsigned int i = 0; i < s->started; i++) {
		pthread_join(s->workers[i].thread, NULL);
		failed |= s->workers[i].run_failed;
	}
	s->started = 0;
	return failed;
}

void server_close(struct server *s)
{
	if (s->fds)
		listeners_close(s->fds, s->nw * s->cfg->n_listen);
	if (s->tcp_fds)
		listeners_close(s->tcp_fds, s->nw * s->cfg->n_tcp_listen);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	sem_destroy(&s->ready);
	free(s->fds);
	free(s->tcp_fds);
	free(s->workers);
	s->fds = s->tcp_fds = NULL;
	s->workers = NULL;
	s->stop_fd = -1;
}
