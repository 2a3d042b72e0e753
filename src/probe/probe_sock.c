/* SPDX-License-Identifier: MIT */
/*
 * probe_sock.c - UDP sockets: opening one on a known local address,
 * sending, and reading the ICMP error queue.
 *
 * Sockets are unconnected (answers to CHANGE-REQUEST come from another
 * address on purpose); IP_RECVERR still lets a hard ICMP error about one
 * destination end its transaction early (RFC 8489 6.2.1).
 */
#include "probe/probe.h"

#include <errno.h>
#include <time.h>	/* before linux/errqueue.h, which needs struct timespec */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

int probe_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int af_of(const struct stun_addr *a)
{
	return a->family == STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET;
}

/* The local IP the kernel would use toward dst: connect() a throw-away UDP
 * socket (this sends nothing) and read its name. */
static int route_source(const struct stun_addr *dst, struct stun_addr *src)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, err = 0;

	fd = socket(af_of(dst), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sl = stun_addr_to_sockaddr(dst, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		err = -errno;
	} else {
		sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
		    stun_addr_from_sockaddr(src, (struct sockaddr *)&ss, sl))
			err = errno ? -errno : -EAFNOSUPPORT;
	}
	close(fd);
	return err;
}

int probe_sock_open(struct probe_sock *s, const struct stun_addr *server,
		    const struct stun_addr *bind_to)
{
	struct sockaddr_storage ss;
	struct stun_addr local;
	socklen_t sl;
	int one = 1, err;

	s->fd = -1;
	if (bind_to) {
		local = *bind_to;
		if (local.family != server->family)
			return -EAFNOSUPPORT;
	} else {
		err = route_source(server, &local);
		if (err)
			return err;
		local.port = 0;	/* a fresh port: item 98 */
	}
	s->fd = socket(af_of(server), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	if (server->family == STUN_FAMILY_IPV6) {
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	} else {
		setsockopt(s->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	}
	sl = stun_addr_to_sockaddr(&local, &ss);
	if (bind(s->fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	sl = sizeof(ss);
	if (getsockname(s->fd, (struct sockaddr *)&ss, &sl) < 0)
		goto fail;
	if (stun_addr_from_sockaddr(&s->local, (struct sockaddr *)&ss, sl)) {
		errno = EAFNOSUPPORT;
		goto fail;
	}
	return 0;
fail:
	err = -errno;
	close(s->fd);
	s->fd = -1;
	return err;
}

void probe_sock_close(struct probe_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int probe_sock_send(const struct probe_sock *s, const struct stun_addr *dst,
		    const uint8_t *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = stun_addr_to_sockaddr(dst, &ss);

	if (sendto(s->fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	return 0;
}

int probe_sock_error(const struct probe_sock *s, struct stun_addr *offender,
		     int *err)
{
	uint8_t data[64], control[512];
	struct sockaddr_storage name;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh;
	struct cmsghdr *c;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &name;
		mh.msg_namelen = sizeof(name);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		if (recvmsg(s->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return 0;
		/* msg_name is the destination of the datagram that failed. */
		if (stun_addr_from_sockaddr(offender, (struct sockaddr *)&name,
					    mh.msg_namelen))
			continue;
		*err = 0;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			const struct sock_extended_err *ee;
			if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
				continue;
			ee = (const struct sock_extended_err *)CMSG_DATA(c);
			if ((ee->ee_origin == SO_EE_ORIGIN_ICMP ||
			     ee->ee_origin == SO_EE_ORIGIN_ICMP6) && ee->ee_errno)
				*err = (int)ee->ee_errno;
		}
		return 1;
	}
}
