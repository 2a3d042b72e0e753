/* SPDX-License-Identifier: MIT */
/*
 * announce_probe.c - the two health checks (announce.h).
 *
 * /healthz is stunringd's own verdict: 200 while every worker's heartbeat
 * is fresh, 503 with the stale workers named otherwise, and nothing at all
 * when the process is gone.  The Binding Request checks the path a client
 * takes (socket, ring, codec, send) to the service address on this node:
 * the address lives on the node itself, so the request never leaves it.
 * Each check is one short blocking exchange bounded by the timeout; the
 * announcer does nothing else meanwhile.
 */
#include "announce.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wait for events on fd until deadline: > 0 ready, 0 timed out, -1 error
 * or a signal (EINTR: only SIGTERM and SIGINT have handlers, and then the
 * announcer is stopping, so the check ends at once and is not counted). */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	uint64_t now = now_ns();
	struct pollfd p = { .fd = fd, .events = events };

	if (now >= deadline)
		return 0;
	return poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
}

static bool fail(char *why, size_t cap, const char *fmt, const char *arg)
{
	snprintf(why, cap, fmt, arg);
	return false;
}

bool ann_probe_healthz(const struct stun_addr *metrics, uint64_t timeout_ns,
		       char *why, size_t cap)
{
	static const char req[] = "GET /healthz HTTP/1.0\r\nConnection: close\r\n\r\n";
	uint64_t deadline = now_ns() + timeout_ns;
	struct sockaddr_storage ss;
	unsigned int sl = stun_addr_to_sockaddr(metrics, &ss);
	char buf[512], *line_end;
	size_t len = 0;
	int fd, err = 0, status;
	socklen_t el = sizeof(err);
	bool ok = false;

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(why, cap, "/healthz: socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		fail(why, cap, "/healthz: %s", strerror(errno));
		goto out;
	}
	if (wait_fd(fd, POLLOUT, deadline) <= 0) {
		fail(why, cap, "/healthz: %s", "connect timed out");
		goto out;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		fail(why, cap, "/healthz: %s", strerror(err));
		goto out;
	}
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
		fail(why, cap, "/healthz: send: %s", strerror(errno));
		goto out;
	}
	/* The whole answer (status line and the short body) until the server
	 * closes, or the buffer is full. */
	while (len < sizeof(buf) - 1) {
		ssize_t n;

		if (wait_fd(fd, POLLIN, deadline) <= 0) {
			fail(why, cap, "/healthz: %s", "no answer in time");
			goto out;
		}
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
		fail(why, cap, "/healthz: %s", "not an HTTP answer");
		goto out;
	}
	if (status == 200) {
		ok = true;
		goto out;
	}
	/* 503's body names the stale workers: its first line says why. */
	line_end = strstr(buf, "\r\n\r\n");
	if (line_end) {
		char *body = line_end + 4, *nl = strchr(body, '\n');

		if (nl)
			*nl = 0;
		snprintf(why, cap, "/healthz: HTTP %d: %s", status, body);
	} else {
		snprintf(why, cap, "/healthz: HTTP %d", status);
	}
out:
	close(fd);
	return ok;
}

bool ann_probe_stun(const struct stun_addr *service, uint64_t timeout_ns,
		    char *why, size_t cap)
{
	struct stun_request_opts o = { .fingerprint = true, .software = "stunring-announce" };
	uint64_t start = now_ns(), deadline = start + timeout_ns;
	struct sockaddr_storage ss;
	unsigned int sl = stun_addr_to_sockaddr(service, &ss);
	struct stun_response_info info;
	uint8_t tid[12], req[128], buf[1500];
	char addr[STUN_ADDR_STRLEN];
	size_t rlen;
	bool ok = false, resent = false;
	int fd;

	stun_addr_format(service, addr, sizeof(addr));
	if (getrandom(tid, sizeof(tid), 0) != (ssize_t)sizeof(tid))
		return fail(why, cap, "Binding Request: getrandom: %s", strerror(errno));
	rlen = stun_build_request(req, sizeof(req), tid, &o);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(why, cap, "Binding Request: socket: %s", strerror(errno));
	/* Connected: the kernel filters other sources and reports ICMP port
	 * unreachable (no stunringd) as ECONNREFUSED. */
	if (connect(fd, (struct sockaddr *)&ss, sl) || send(fd, req, rlen, 0) < 0) {
		snprintf(why, cap, "Binding Request to %s: %s", addr, strerror(errno));
		goto out;
	}
	for (;;) {
		uint64_t wait_until = resent ? deadline : start + timeout_ns / 2;
		ssize_t n;
		int r = wait_fd(fd, POLLIN, wait_until);

		if (r == 0 && !resent) {
			resent = true;
			send(fd, req, rlen, 0);
			continue;
		}
		if (r <= 0) {
			snprintf(why, cap, "Binding Request to %s: no answer in time", addr);
			break;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(why, cap, "Binding Request to %s: %s", addr, strerror(errno));
			break;
		}
		enum stun_resp_status st = stun_parse_response(buf, (size_t)n, tid, false, &info);
		if (st == STUN_RESP_WRONG_TID)
			continue;	/* not ours (both copies share the ID) */
		if (st == STUN_RESP_OK) {
			ok = true;
		} else {
			snprintf(why, cap, "Binding Request to %s: %s", addr,
				 stun_resp_status_name(st));
		}
		break;
	}
out:
	close(fd);
	return ok;
}
