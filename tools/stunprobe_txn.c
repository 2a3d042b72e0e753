/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_txn.c - one STUN transaction.
 *
 * RFC 8489 6.2.1 retransmission: requests at 0, RTO, 3 RTO, 7 RTO ...
 * (the interval doubles), Rc in all, then failure Rm x RTO after the last.
 * Answers are matched by transaction ID only (conformance item 87): with
 * CHANGE-REQUEST they come from another address on purpose.
 */
#include "stunprobe.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* RFC 5780 section 5: at most 10 new transactions per second, staggered.
 * The behaviour tests run one after another and each answer takes well
 * under a millisecond on a LAN, so without this they would burst. */
#define TXN_GAP_US 100000

static void pace_new_transaction(void)
{
	static int64_t last;
	int64_t now = now_us();

	if (last && now - last < TXN_GAP_US) {
		struct timespec ts = { 0, (long)(TXN_GAP_US - (now - last)) * 1000 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	last = now_us();
}

/* Microseconds to a poll() timeout, rounded up, in a safe range. */
static int poll_ms(int64_t us)
{
	if (us <= 0)
		return 0;
	return us > 60000000 ? 60000 : (int)((us + 999) / 1000);
}

/* Drain the error queue.  Returns the errno of a hard ICMP error about a
 * datagram sent to dst (ECONNREFUSED, EHOSTUNREACH ...), else 0. */
static int read_icmp_error(const struct probe_sock *s, const struct stun_addr *dst)
{
	struct stun_addr offender;
	int err, hard = 0;

	while (probe_sock_error(s, &offender, &err))
		if (err && stun_addr_equal(&offender, dst))
			hard = err;
	return hard;
}

static void copy_text(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	if (src && n)
		memcpy(dst, src, n);
	dst[src ? n : 0] = 0;
}

/* Read one datagram; 1 when it answers our transaction (res filled),
 * 0 when it is someone else's or garbage, -errno on a socket error. */
static int read_answer(int fd, const uint8_t *tid, bool classic,
		       struct probe_result *res)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	enum stun_resp_status st;
	ssize_t n;

	n = recvfrom(fd, res->buf, sizeof(res->buf), MSG_DONTWAIT,
		     (struct sockaddr *)&ss, &sl);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	st = stun_parse_response(res->buf, (size_t)n, tid, classic, &res->info);
	switch (st) {
	case STUN_RESP_NOT_STUN:
	case STUN_RESP_BAD_FINGERPRINT:
	case STUN_RESP_NOT_RESPONSE:
	case STUN_RESP_WRONG_TID:
		return 0;	/* not ours: drop and keep waiting (item 87) */
	case STUN_RESP_OK:
		res->status = PROBE_OK;
		break;
	case STUN_RESP_ERROR:
		res->status = PROBE_ERROR_RESPONSE;
		break;
	default:
		res->status = PROBE_BAD_RESPONSE;
		res->bad_why = st;
		break;
	}
	stun_addr_from_sockaddr(&res->from, (struct sockaddr *)&ss, sl);
	copy_text(res->software, sizeof(res->software), res->info.software,
		  res->info.software_len);
	copy_text(res->reason, sizeof(res->reason), res->info.reason,
		  res->info.reason_len);
	return 1;
}

enum probe_status probe_transact(struct probe_sock *s,
				 const struct stun_addr *dst,
				 const struct probe_req *req,
				 const struct probe_rto *rto,
				 struct probe_result *res)
{
	struct stun_request_opts ro = {
		.classic = req->classic,
		.fingerprint = req->fingerprint,
		.software = req->software,
		.change_request = req->change != 0,
		.change_flags = req->change,
	};
	uint8_t tid[STUN_CLASSIC_TID_LEN], msg[512];
	int64_t start, next_send, deadline, interval;
	size_t len;
	int err;

	memset(res, 0, offsetof(struct probe_result, buf));
	res->to = *dst;
	err = probe_random(tid, sizeof(tid));
	if (err)
		goto syserr;
	/* A modern ID could, by chance, make a classic request look modern
	 * (item 50); a classic one must not start with the cookie. */
	if (req->classic && tid[0] == 0x21 && tid[1] == 0x12 && tid[2] == 0xA4 &&
	    tid[3] == 0x42)
		tid[0] ^= 0xff;
	len = stun_build_request(msg, sizeof(msg), tid, &ro);
	if (!len) {
		err = -EMSGSIZE;
		goto syserr;
	}

	pace_new_transaction();
	start = now_us();
	interval = (int64_t)rto->rto_ms * 1000;
	next_send = start;
	deadline = 0;
	for (;;) {
		int64_t now = now_us(), wake;
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int r;

		if (!deadline && now >= next_send) {
			err = probe_sock_send(s, dst, msg, len);
			/* With IP_RECVERR an ICMP error about an earlier
			 * destination of this socket also fails the next send:
			 * only one about dst counts, else send again. */
			if (err == -ECONNREFUSED && !read_icmp_error(s, dst))
				err = probe_sock_send(s, dst, msg, len);
			/* A failed send (no route, ICMP reported on a previous
			 * send) ends the transaction like a hard ICMP error. */
			if (err == -EHOSTUNREACH || err == -ENETUNREACH ||
			    err == -ECONNREFUSED) {
				res->status = PROBE_UNREACHABLE;
				res->sys_errno = -err;
				return res->status;
			}
			if (err)
				goto syserr;
			res->sent++;
			if (res->sent >= rto->rc)
				deadline = now + (int64_t)rto->rm * rto->rto_ms * 1000;
			else
				next_send = now + interval;
			interval *= 2;
		}
		wake = deadline ? deadline : next_send;
		if (now >= wake && deadline) {
			res->status = PROBE_TIMEOUT;
			return res->status;
		}
		r = poll(&pfd, 1, poll_ms(wake - now));
		if (r < 0 && errno != EINTR) {
			err = -errno;
			goto syserr;
		}
		if (r <= 0)
			continue;
		if (pfd.revents & POLLERR) {
			int icmp = read_icmp_error(s, dst);
			if (icmp) {
				res->status = PROBE_UNREACHABLE;
				res->sys_errno = icmp;
				return res->status;
			}
		}
		if (pfd.revents & POLLIN) {
			r = read_answer(s->fd, tid, req->classic, res);
			if (r < 0 && r != -ECONNREFUSED) {
				err = r;
				goto syserr;
			}
			if (r == 1) {
				res->rtt_ms = (double)(now_us() - start) / 1000.0;
				return res->status;
			}
		}
	}
syserr:
	res->status = PROBE_SYSERR;
	res->sys_errno = -err;
	return res->status;
}

/* Is this datagram our own hairpinned Binding Request? */
static bool is_our_request(const uint8_t *buf, size_t n, const uint8_t *tid)
{
	struct stun_msg m;

	if (stun_parse(&m, buf, n, STUN_TRANSPORT_UDP, STUN_CLASSIC_NONE,
		       ~UINT64_C(0)) != STUN_DROP_NONE)
		return false;
	return m.cls == STUN_CLASS_REQUEST && m.method == STUN_METHOD_BINDING &&
	       !m.classic && !memcmp(stun_tid(&m), tid, STUN_TID_LEN);
}

int probe_hairpin(struct probe_sock *from, struct probe_sock *listen,
		  const struct stun_addr *target, const struct probe_rto *rto)
{
	struct stun_request_opts ro = { .fingerprint = true };
	uint8_t tid[STUN_TID_LEN], msg[64], in[2048];
	int64_t next_send, deadline = 0, interval;
	unsigned int sent = 0;
	size_t len;
	int err;

	err = probe_random(tid, sizeof(tid));
	if (err)
		return err;
	len = stun_build_request(msg, sizeof(msg), tid, &ro);
	if (!len)
		return -EMSGSIZE;
	pace_new_transaction();
	interval = (int64_t)rto->rto_ms * 1000;
	next_send = now_us();
	for (;;) {
		int64_t now = now_us(), wake;
		struct pollfd pfd[2] = {
			{ .fd = listen->fd, .events = POLLIN },
			{ .fd = from->fd, .events = POLLIN },
		};
		ssize_t n;

		if (!deadline && now >= next_send) {
			err = probe_sock_send(from, target, msg, len);
			if (err == -EHOSTUNREACH || err == -ENETUNREACH ||
			    err == -ECONNREFUSED)
				return 0;
			if (err)
				return err;
			if (++sent >= rto->rc)
				deadline = now + (int64_t)rto->rm * rto->rto_ms * 1000;
			else
				next_send = now + interval;
			interval *= 2;
		}
		wake = deadline ? deadline : next_send;
		if (deadline && now >= deadline)
			return 0;
		if (poll(pfd, 2, poll_ms(wake - now)) <= 0)
			continue;
		/* Errors and stray datagrams on the sending socket: drain. */
		if (pfd[1].revents & POLLERR)
			read_icmp_error(from, target);
		if (pfd[1].revents & POLLIN)
			(void)!recv(from->fd, in, sizeof(in), MSG_DONTWAIT);
		if (pfd[0].revents & POLLERR)
			read_icmp_error(listen, target);
		if (pfd[0].revents & POLLIN) {
			n = recv(listen->fd, in, sizeof(in), MSG_DONTWAIT);
			if (n > 0 && is_our_request(in, (size_t)n, tid))
				return 1;
		}
	}
}
