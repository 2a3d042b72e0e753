/* SPDX-License-Identifier: MIT */
/*
 * metrics_http.c - see metrics_http.h.  libmicrohttpd runs one internal
 * thread (it inherits main's blocked signals); each request takes a
 * snapshot of the workers' counters with relaxed loads, so a scrape costs
 * the workers nothing but a few shared cache lines.  We bind the socket
 * ourselves, so that port 0 works (tests) and a bind error gets the same
 * exit statuses as the STUN listeners.
 */
#include "metrics_http.h"
#include "health_workers.h"
#include "log.h"
#include "metrics.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct {
	struct MHD_Daemon *mhd;
	const struct daemon_config *cfg;
	const struct worker *workers;
	unsigned int n;
	double start_time;
	bool ready;
	int fd;				/* the listening socket, -1: none */
	char text[STUN_ADDR_STRLEN];	/* --metrics as given, for messages */
} srv = { .fd = -1 };

/* libmicrohttpd's messages end in a newline; ours add their own. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t len;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = 0;
	log_warn("metrics: %s", msg);
}

/* The /metrics body, malloc'ed (MHD frees it); NULL when out of memory. */
static char *render_metrics(size_t *len)
{
	struct worker_stats *snap = calloc(srv.n, sizeof(*snap));
	double *age = calloc(srv.n, sizeof(*age));
	const char *xdp_names[64];
	uint64_t xdp_values[64];
	uint64_t now = monotime_coarse_ns();
	char *buf = NULL;
	FILE *f;

	if (snap && age && (f = open_memstream(&buf, len))) {
		struct metrics_input in = {
			.version = STUNRING_VERSION,
			.start_time = srv.start_time,
			.rfc5780 = srv.cfg->rfc5780,
			.nworkers = srv.n,
			.workers = snap,
			.progress_age = age,
			.xdp_names = xdp_names,
			.xdp_values = xdp_values,
		};

		for (unsigned int i = 0; i < srv.n; i++) {
			uint64_t hb = __atomic_load_n(&srv.workers[i].heartbeat_ns,
						      __ATOMIC_RELAXED);

			stats_accumulate(&snap[i], &srv.workers[i].stats);
			age[i] = hb && hb < now ? (double)(now - hb) / 1e9 : 0;
		}
		if (__atomic_load_n(&srv.ready, __ATOMIC_RELAXED))
			in.n_xdp = xdp_read_counters(srv.cfg, xdp_names, xdp_values, 64);
		metrics_write(f, &in);
		if (fclose(f)) {
			free(buf);
			buf = NULL;
		}
	}
	free(snap);
	free(age);
	return buf;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *type, void *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_size, void **state)
{
	static const char text[] = "text/plain; charset=utf-8";
	char body[MAX_WORKERS * 48 + 64];

	(void)cls, (void)version, (void)upload, (void)upload_size, (void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text,
			     "only GET and HEAD\n", 18, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/metrics")) {
		size_t len = 0;
		char *m = render_metrics(&len);

		if (!m)
			return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text,
				     "out of memory\n", 14, MHD_RESPMEM_PERSISTENT);
		return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
			     m, len, MHD_RESPMEM_MUST_FREE);
	}
	if (!strcmp(url, "/healthz")) {
		unsigned int stale = health_workers(srv.workers, srv.n, body, sizeof(body));

		return reply(conn, stale ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, text,
			     body, strlen(body), MHD_RESPMEM_MUST_COPY);
	}
	if (!strcmp(url, "/readyz")) {
		bool ready = __atomic_load_n(&srv.ready, __ATOMIC_RELAXED);

		return reply(conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, text,
			     ready ? "ready\n" : "not ready\n", ready ? 6 : 10,
			     MHD_RESPMEM_PERSISTENT);
	}
	return reply(conn, MHD_HTTP_NOT_FOUND, text,
		     "not found: try /metrics, /healthz or /readyz\n", 45,
		     MHD_RESPMEM_PERSISTENT);
}

static int bind_failed(const char *text, int err)
{
	log_error("--metrics %s: cannot listen: %s", text, strerror(err));
	return err == EADDRINUSE ? EXIT_INUSE :
	       err == EACCES || err == EPERM ? EXIT_NOPERM :
	       err == EADDRNOTAVAIL || err == EAFNOSUPPORT ? EXIT_NOADDR : EXIT_OSERR;
}

static int open_socket(const struct stun_addr *a, const char *text)
{
	struct sockaddr_storage ss;
	socklen_t sl = (socklen_t)stun_addr_to_sockaddr(a, &ss);
	int one = 1, fd, err;

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -bind_failed(text, errno);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 64)) {
		err = errno;
		close(fd);
		return -bind_failed(text, err);
	}
	return fd;
}

int metrics_http_open(const struct daemon_config *cfg)
{
	srv.fd = -1;
	if (!cfg->metrics.family)
		return 0;
	stun_addr_format(&cfg->metrics, srv.text, sizeof(srv.text));
	srv.fd = open_socket(&cfg->metrics, srv.text);
	return srv.fd < 0 ? -srv.fd : 0;
}

int metrics_http_start(const struct daemon_config *cfg, const struct worker *workers,
		       unsigned int nworkers)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct stun_addr bound;
	char text[STUN_ADDR_STRLEN];
	struct timespec ts;

	if (srv.fd < 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	srv.start_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	srv.cfg = cfg;
	srv.workers = workers;
	srv.n = nworkers;
	srv.mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
				   MHD_USE_ERROR_LOG |
				   (cfg->metrics.family == STUN_FAMILY_IPV6 ? MHD_USE_IPv6 : 0),
				   0, NULL, NULL, handle, NULL,
				   MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				   MHD_OPTION_LISTEN_SOCKET, srv.fd,
				   MHD_OPTION_CONNECTION_LIMIT, 64u,
				   MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				   MHD_OPTION_END);
	if (!srv.mhd) {
		metrics_http_close();
		log_error("--metrics %s: cannot start the HTTP server (libmicrohttpd)", srv.text);
		return EXIT_OSERR;
	}
	snprintf(text, sizeof(text), "%s", srv.text);
	if (!getsockname(srv.fd, (struct sockaddr *)&ss, &sl) &&
	    !stun_addr_from_sockaddr(&bound, (struct sockaddr *)&ss, sl))
		stun_addr_format(&bound, text, sizeof(text));
	log_info("metrics: http://%s/metrics, /healthz and /readyz", text);
	return 0;
}

void metrics_http_close(void)
{
	if (!srv.mhd && srv.fd >= 0)
		close(srv.fd);
	srv.fd = -1;
}

void metrics_http_set_ready(bool ready)
{
	__atomic_store_n(&srv.ready, ready, __ATOMIC_RELAXED);
}

void metrics_http_stop(void)
{
	if (srv.mhd) {
		MHD_stop_daemon(srv.mhd);	/* closes the listening socket too */
		srv.mhd = NULL;
		srv.fd = -1;
	}
}
