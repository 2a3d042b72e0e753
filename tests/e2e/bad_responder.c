/* SPDX-License-Identifier: MIT */
/*
 * bad_responder.c - a STUN server that answers wrongly on purpose, to prove
 * stunload notices.  It builds the correct answer with the codec
 * (stun_respond), then breaks it in one way:
 *
 *   good             the correct answer
 *   wrong-tid        one bit of the transaction ID flipped
 *   wrong-port       XOR-MAPPED-ADDRESS names the client's port + 1
 *   bad-fingerprint  FINGERPRINT added, its CRC off by one bit
 *   duplicate        the correct answer, sent twice
 *   truncated        the last 4 bytes cut off (length field unchanged)
 *   short            only the first 12 bytes
 *   error            a 400 error response instead of success
 *   wrong-type       the success answer with a request's type
 *   drop             no answer at all (loss)
 *   mapped-ip        mapped address 192.0.2.1 with the right port (a NAT)
 *   late             the correct answer, but --delay MS (500) later
 *
 * --every N breaks only every N-th request and answers the rest correctly.
 *
 *   bad_responder MODE [--every N] [--delay MS] [ADDR:PORT]   (127.0.0.1:0)
 *
 * Prints "listening on ADDR:PORT" once bound; runs until killed.  Test
 * helper only: single-threaded, no batching.
 */
#include "stunring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode {
	M_GOOD, M_WRONG_TID, M_WRONG_PORT, M_BAD_FP, M_DUPLICATE, M_TRUNCATED,
	M_SHORT, M_ERROR, M_WRONG_TYPE, M_DROP, M_MAPPED_IP, M_LATE, M_COUNT
};

static const char *const mode_names[M_COUNT] = {
	"good", "wrong-tid", "wrong-port", "bad-fingerprint", "duplicate",
	"truncated", "short", "error", "wrong-type", "drop", "mapped-ip",
	"late",
};

/* Answers held back by "late" mode, sent when due. */
#define MAX_HELD 1024
struct held {
	uint64_t due_ms;
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len;
	uint8_t buf[1500 + STUN_RESPONSE_OVERHEAD];
};
static struct held held[MAX_HELD];
static unsigned n_held;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Send what is due; returns ms until the next one (-1: none). */
static int send_held(int fd)
{
	uint64_t now = now_ms();
	int wait = -1;

	for (unsigned i = 0; i < n_held;) {
		if (held[i].due_ms <= now) {
			sendto(fd, held[i].buf, held[i].len, 0,
			       (struct sockaddr *)&held[i].to, held[i].tolen);
			held[i] = held[--n_held];
			continue;
		}
		if (wait < 0 || held[i].due_ms - now < (uint64_t)wait)
			wait = (int)(held[i].due_ms - now);
		i++;
	}
	return wait;
}

/* After a deliberate change, make a trailing FINGERPRINT right again so
 * the answer has exactly one fault. */
static void refix_fingerprint(uint8_t *msg, size_t len)
{
	uint8_t *fp = msg + len - STUN_FINGERPRINT_ATTR_LEN;
	uint32_t crc;

	if (len < STUN_HDR_LEN + STUN_FINGERPRINT_ATTR_LEN ||
	    fp[0] != (STUN_ATTR_FINGERPRINT >> 8) ||
	    fp[1] != (STUN_ATTR_FINGERPRINT & 0xFF))
		return;
	crc = stun_fingerprint(msg, len - STUN_FINGERPRINT_ATTR_LEN);
	fp[4] = (uint8_t)(crc >> 24), fp[5] = (uint8_t)(crc >> 16);
	fp[6] = (uint8_t)(crc >> 8), fp[7] = (uint8_t)crc;
}

/* Build the (possibly broken) answer to req; returns its length, 0 for
 * none.  *copies: how many times to send it. */
static size_t respond(enum mode m, const uint8_t *req, size_t len,
		      const struct stun_addr *peer, const struct stun_addr *local,
		      uint8_t *out, size_t cap, int *copies)
{
	struct stun_server_cfg cfg;
	struct stun_addr mapped = *peer;
	struct stun_reply rep;

	*copies = 1;
	stun_server_cfg_init(&cfg);
	if (m == M_BAD_FP)
		cfg.always_fingerprint = true;
	if (m == M_WRONG_PORT)
		mapped.port = (uint16_t)(peer->port + 1);
	if (m == M_MAPPED_IP) {
		memset(mapped.ip, 0, sizeof(mapped.ip));
		if (mapped.family == STUN_FAMILY_IPV4) {
			mapped.ip[0] = 192, mapped.ip[2] = 2, mapped.ip[3] = 1;
		} else {	/* 2001:db8::1 */
			mapped.ip[0] = 0x20, mapped.ip[1] = 0x01;
			mapped.ip[2] = 0x0d, mapped.ip[3] = 0xb8, mapped.ip[15] = 1;
		}
	}
	if (m == M_DROP)
		return 0;
	if (m == M_LATE)
		*copies = -1;	/* hold it back */
	if (m == M_ERROR) {
		struct stun_writer w;

		if (len < STUN_HDR_LEN)
			return 0;
		bool classic = !(req[4] == 0x21 && req[5] == 0x12 &&
				 req[6] == 0xA4 && req[7] == 0x42);

		stun_w_init(&w, out, cap, STUN_BINDING_ERROR,
			    req + (classic ? 4 : 8), classic);
		stun_w_error(&w, 400, "Bad Request (on purpose)");
		return stun_w_finish(&w);
	}
	/* The codec answers as if the request came from "mapped". */
	if (stun_respond(req, len, &mapped, local, &cfg, out, cap, &rep) !=
	    STUN_VERDICT_SUCCESS)
		return 0;
	switch (m) {
	case M_WRONG_TID:
		out[19] ^= 0x01;
		refix_fingerprint(out, rep.len);
		break;
	case M_BAD_FP:
		if (!rep.classic)
			out[rep.len - 1] ^= 0x01;
		break;
	case M_DUPLICATE:
		*copies = 2;
		break;
	case M_TRUNCATED:
		return rep.len - 4;
	case M_SHORT:
		return 12;
	case M_WRONG_TYPE:
		out[0] = 0x00, out[1] = 0x01;	/* Binding Request */
		refix_fingerprint(out, rep.len);
		break;
	default:
		break;
	}
	return rep.len;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct stun_addr local;
	const char *where = "127.0.0.1:0";
	char text[STUN_ADDR_STRLEN];
	unsigned long every = 1, n = 0, delay = 500;
	socklen_t sl;
	int mode = -1, fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--delay") && i + 1 < argc) {
			delay = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--every") && i + 1 < argc) {
			every = strtoul(argv[++i], NULL, 10);
			if (!every)
				every = 1;
		} else if (mode < 0) {
			for (mode = 0; mode < M_COUNT; mode++)
				if (!strcmp(argv[i], mode_names[mode]))
					break;
			if (mode == M_COUNT) {
				fprintf(stderr, "bad_responder: unknown mode '%s'\n", argv[i]);
				return 2;
			}
		} else {
			where = argv[i];
		}
	}
	if (mode < 0 || stun_addr_parse(&local, where, 0)) {
		fprintf(stderr, "usage: bad_responder MODE [--every N] [--delay MS] [ADDR:PORT]\n");
		return 2;
	}
	sl = stun_addr_to_sockaddr(&local, &ss);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd >= 0) {
		int big = 4 << 20;	/* ride out a busy test machine */

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		perror("bad_responder: bind");
		return 1;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	stun_addr_from_sockaddr(&local, (struct sockaddr *)&ss, sl);
	printf("bad_responder: listening on %s mode %s\n",
	       stun_addr_format(&local, text, sizeof(text)), mode_names[mode]);
	fflush(stdout);

	for (;;) {
		uint8_t req[1500], out[1500 + STUN_RESPONSE_OVERHEAD];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		struct stun_addr peer;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t got;
		size_t len;
		int copies;

		if (poll(&p, 1, send_held(fd)) == 0)
			continue;
		got = recvfrom(fd, req, sizeof(req), MSG_DONTWAIT,
			       (struct sockaddr *)&from, &fl);

		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("bad_responder: recvfrom");
			return 1;
		}
		if (stun_addr_from_sockaddr(&peer, (struct sockaddr *)&from, fl))
			continue;
		len = respond(++n % every ? M_GOOD : (enum mode)mode, req,
			      (size_t)got, &peer, &local, out, sizeof(out), &copies);
		if (len && copies < 0 && n_held < MAX_HELD) {
			struct held *h = &held[n_held++];

			h->due_ms = now_ms() + delay;
			h->to = from;
			h->tolen = fl;
			h->len = len;
			memcpy(h->buf, out, len);
			continue;
		}
		for (int c = 0; len && c < copies; c++)
			sendto(fd, out, len, 0, (struct sockaddr *)&from, fl);
	}
}
