/* SPDX-License-Identifier: MIT */
/*
 * listener.c - socket setup for stunringd (listener.h).
 *
 * A wildcard-bound socket gets the local address of each datagram
 * (IP_PKTINFO / IPV6_RECVPKTINFO) so the daemon can answer from the address
 * the client asked; a socket bound to one address already knows it, and
 * skips that control message (building and copying it cost ~2% of the
 * kernel's time per datagram).  Every socket gets large buffers so bursts
 * are absorbed rather than dropped.  IPv6 sockets are IPv6-only so 0.0.0.0 and :: bind side by side.
 */
#include "listener.h"
#include "log.h"
#include "worker.h"	/* addr_is_any */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

static int get_int(int fd, int level, int opt)
{
	int v = 0;
	socklen_t len = sizeof(v);

	getsockopt(fd, level, opt, &v, &len);
	return v;
}

/* SO_*BUFFORCE goes past net.core.[rw]mem_max but needs CAP_NET_ADMIN. */
static int set_buffer(int fd, int force_opt, int opt, int bytes, bool *forced)
{
	*forced = set_int(fd, SOL_SOCKET, force_opt, bytes) == 0;
	if (!*forced)
		set_int(fd, SOL_SOCKET, opt, bytes);
	return get_int(fd, SOL_SOCKET, opt);
}

/* Map a bind/socket errno to one operator-facing line and an exit status. */
static int bind_error(const struct listen_spec *l, const char *what, int err)
{
	char name[STUN_ADDR_STRLEN + 64];

	/* RFC 5780's extra sockets say which option they come from. */
	snprintf(name, sizeof(name), "%s%s%s%s", l->text, l->what ? " (" : "",
		 l->what ? l->what : "", l->what ? ")" : "");
	switch (err) {
	case EADDRINUSE:
		log_error("cannot listen on %s: address already in use (another STUN "
			  "server running? stop it or pick another --%slisten IP:PORT)",
			  name, l->tls ? "tls-" : l->what && !strcmp(l->what, "TCP") ? "tcp-" : "");
		return EXIT_INUSE;
	case EACCES:
	case EPERM:
		log_error("cannot listen on %s: permission denied (ports below 1024 need "
			  "root or CAP_NET_BIND_SERVICE; use a port >= 1024)", name);
		return EXIT_NOPERM;
	case EADDRNOTAVAIL:
		log_error("cannot listen on %s: address not assigned to any interface "
			  "of this host", name);
		return EXIT_NOADDR;
	case EAFNOSUPPORT:
		log_error("cannot listen on %s: address family not supported by this "
			  "kernel (IPv6 disabled?)", name);
		return EXIT_NOADDR;
	default:
		log_error("cannot listen on %s: %s: %s", name, what, strerror(err));
		return EXIT_OSERR;
	}
}

/* A TCP listener (tcp): SO_REUSEADDR, so that connections of a previous
 * run in TIME_WAIT do not hold the port; TCP_NODELAY, which accepted
 * sockets inherit: a reply goes out at once, not after the peer's ACK. */
static int new_socket(const struct listen_spec *l, bool reuseport, bool tcp)
{
	bool v6 = l->addr.family == STUN_FAMILY_IPV6;
	int pktinfo = !tcp && addr_is_any(&l->addr);
	int fd = socket(v6 ? AF_INET6 : AF_INET,
			(tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if ((v6 && (set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) ||
		    (pktinfo && set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)))) ||
	    (!v6 && pktinfo && set_int(fd, IPPROTO_IP, IP_PKTINFO, 1)) ||
	    (tcp && (set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) ||
		     set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1))) ||
	    (reuseport && set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1))) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static int bind_to(int fd, const struct stun_addr *a)
{
	struct sockaddr_in6 ss;
	socklen_t len = stun_addr_to_sockaddr(a, &ss);

	return bind(fd, (struct sockaddr *)&ss, len);
}

/* A port another process holds must be an error, not a silent share: our
 * sockets use SO_REUSEPORT, which would join a group another process of the
 * same user opened with it.  A plain bind first tells us the port is free.
 * "In use" is retried for a moment: after a crash (SIGKILL) the kernel
 * closes an io_uring's registered sockets asynchronously, ~100 ms later,
 * and a supervisor restarting us at once must not fail on our own ghost. */
#define PROBE_TRIES 20
#define PROBE_WAIT_US 50000

static int probe_free(const struct listen_spec *l, bool tcp)
{
	int rc = 0;

	for (int i = 0; i < PROBE_TRIES; i++) {
		int fd = new_socket(l, false, tcp);
		int err;

		if (fd < 0)
			return bind_error(l, "socket", errno);
		err = bind_to(fd, &l->addr) ? errno : 0;
		close(fd);
		if (err != EADDRINUSE)
			return err ? bind_error(l, "bind", err) : 0;
		if (i == 0)
			log_debug("%s: in use, retrying for %d ms", l->text,
				  PROBE_TRIES * PROBE_WAIT_US / 1000);
		usleep(PROBE_WAIT_US);
		rc = EADDRINUSE;
	}
	return bind_error(l, "bind", rc);
}

static void log_buffers(const struct listen_spec *l, int r, bool rforced, int s,
			bool sforced, const struct daemon_config *cfg,
			unsigned int workers, bool picked)
{
	/* The kernel reports twice the size asked for (bookkeeping overhead). */
	log_info("listening on %s%s: %u socket%s (SO_REUSEPORT), receive buffer %d "
		 "bytes granted for %d asked (%s), send buffer %d for %d (%s)%s%s%s",
		 l->text, picked ? " (port picked by the kernel)" : "", workers,
		 workers == 1 ? "" : "s", r, cfg->rcvbuf,
		 rforced ? "SO_RCVBUFFORCE" : "SO_RCVBUF", s, cfg->sndbuf,
		 sforced ? "SO_SNDBUFFORCE" : "SO_SNDBUF", l->what ? " [" : "",
		 l->what ? l->what : "", l->what ? "]" : "");
	if (r < cfg->rcvbuf)
		log_warn("%s: receive buffer capped at %d bytes by net.core.rmem_max; "
			 "run with CAP_NET_ADMIN or raise the sysctl to absorb bursts",
			 l->text, r);
}

static int open_one(struct daemon_config *cfg, unsigned int li, unsigned int workers,
		    int *fds)
{
	struct listen_spec *l = &cfg->listen[li];
	unsigned int nl = cfg->n_listen;
	bool picked = l->addr.port == 0;

	for (unsigned int w = 0; w < workers; w++) {
		int fd = new_socket(l, true, false);
		bool rf, sf;
		int r, s;

		if (fd < 0)
			return bind_error(l, "socket", errno);
		fds[w * nl + li] = fd;
		r = set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, cfg->rcvbuf, &rf);
		s = set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, cfg->sndbuf, &sf);
		if (bind_to(fd, &l->addr))
			return bind_error(l, "bind", errno);
		if (l->addr.port == 0) {
			/* Port 0: the first socket picks, the others join it. */
			struct sockaddr_in6 ss;
			socklen_t len = sizeof(ss);
			struct stun_addr got;

			if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
			    stun_addr_from_sockaddr(&got, (struct sockaddr *)&ss, len))
				return bind_error(l, "getsockname", errno);
			l->addr.port = got.port;
			stun_addr_format(&l->addr, l->text, sizeof(l->text));
		}
		if (w == 0)
			log_buffers(l, r, rf, s, sf, cfg, workers, picked);
	}
	return 0;
}

/* A default [::] listener on a host without IPv6 is dropped, not fatal. */
static bool ipv6_missing(const struct listen_spec *l)
{
	int fd;

	if (!l->implicit || l->addr.family != STUN_FAMILY_IPV6)
		return false;
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EAFNOSUPPORT;
}

int listeners_open(struct daemon_config *cfg, unsigned int workers, int *fds)
{
	for (unsigned int li = 0; li < cfg->n_listen;) {
		if (ipv6_missing(&cfg->listen[li])) {
			log_warn("IPv6 is not available on this host: not listening on %s",
				 cfg->listen[li].text);
			memmove(&cfg->listen[li], &cfg->listen[li + 1],
				(cfg->n_listen - li - 1) * sizeof(cfg->listen[0]));
			cfg->n_listen--;
			continue;
		}
		li++;
	}
	for (unsigned int i = 0; i < workers * cfg->n_listen; i++)
		fds[i] = -1;
	/* Every address is checked before any socket is opened or logged, so
	 * a bad one (not local, in use: RFC 5780's A2 in particular) ends in
	 * exactly one error line. */
	for (unsigned int li = 0; li < cfg->n_listen; li++) {
		int rc = cfg->listen[li].addr.port ? probe_free(&cfg->listen[li], false) : 0;
		if (rc)
			return rc;
	}
	for (unsigned int li = 0; li < cfg->n_tcp_listen; li++) {
		int rc = cfg->tcp_listen[li].addr.port ? probe_free(&cfg->tcp_listen[li], true) : 0;
		if (rc)
			return rc;
	}
	for (unsigned int li = 0; li < cfg->n_listen; li++) {
		int rc = open_one(cfg, li, workers, fds);
		if (rc) {
			listeners_close(fds, workers * cfg->n_listen);
			return rc;
		}
	}
	return 0;
}

void listeners_close(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* Connections a listener may have waiting for accept: the kernel caps it
 * at net.core.somaxconn. */
#define TCP_BACKLOG 4096

int tcp_listeners_open(struct daemon_config *cfg, unsigned int workers, int *fds)
{
	unsigned int nl = cfg->n_tcp_listen;

	/* listeners_open checked every port first. */
	for (unsigned int i = 0; i < workers * nl; i++)
		fds[i] = -1;
	for (unsigned int li = 0; li < nl; li++) {
		struct listen_spec *l = &cfg->tcp_listen[li];
		bool picked = l->addr.port == 0;

		for (unsigned int w = 0; w < workers; w++) {
			int fd = new_socket(l, true, true), rc = 0;

			if (fd < 0)
				rc = bind_error(l, "socket", errno);
			else if ((fds[w * nl + li] = fd), bind_to(fd, &l->addr))
				rc = bind_error(l, "bind", errno);
			else if (listen(fd, TCP_BACKLOG))
				rc = bind_error(l, "listen", errno);
			if (!rc && l->addr.port == 0) {
				/* Port 0: the first socket picks, the others join it. */
				struct sockaddr_in6 ss;
				socklen_t len = sizeof(ss);
				struct stun_addr got;

				if (getsockname(fd, (struct sockaddr *)&ss, &len) ||
				    stun_addr_from_sockaddr(&got, (struct sockaddr *)&ss, len))
					rc = bind_error(l, "getsockname", errno);
				l->addr.port = got.port;
				stun_addr_format(&l->addr, l->text, sizeof(l->text));
			}
			if (rc) {
				listeners_close(fds, workers * nl);
				return rc;
			}
		}
		/* Not "listening on": that line names the UDP sockets. */
		log_info("accepting %s on %s%s: %u socket%s (SO_REUSEPORT)", l->tls ? "TLS" : "TCP",
			 l->text,
			 picked ? " (port picked by the kernel)" : "", workers,
			 workers == 1 ? "" : "s");
	}
	return 0;
}
