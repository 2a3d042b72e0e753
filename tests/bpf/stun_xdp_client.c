/* SPDX-License-Identifier: MIT */
/*
 * stun_xdp_client.c - a test client for the XDP end-to-end test: sends
 * Binding Requests built by the codec and checks every answer with
 * stun_parse_response(): right transaction, and a mapped address equal to
 * the socket's own address (no NAT between the test namespaces).
 *
 *   stun_xdp_client [-n COUNT] [-f] [-s SOFTWARE] [-c] [-r RESPONSE_PORT]
 *                   [-t TIMEOUT_MS] [-b BIND_IP] SERVER_IP:PORT
 *
 * -c: RFC 3489 (classic) requests, -r: a RESPONSE-PORT attribute (the XDP
 * program passes both to userspace).  Prints one summary line; exit 0 only
 * when every request got a correct answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stunring.h"

static int usage(void)
{
	fprintf(stderr, "usage: stun_xdp_client [-n COUNT] [-f] [-s SOFTWARE] [-c] "
			"[-r PORT] [-t TIMEOUT_MS] [-b BIND_IP] SERVER_IP:PORT\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct stun_request_opts ro = { 0 };
	struct stun_addr server, self, bind_addr = { 0 };
	struct sockaddr_storage ss;
	socklen_t sl;
	long count = 1, timeout_ms = 1000;
	int c, ok = 0, bad = 0, lost = 0;
	const char *want_sw = NULL;

	while ((c = getopt(argc, argv, "n:fs:cr:t:b:")) != -1) {
		switch (c) {
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'f': ro.fingerprint = true; break;
		case 's': want_sw = optarg; break;
		case 'c': ro.classic = true; break;
		case 'r': ro.response_port = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 't': timeout_ms = strtol(optarg, NULL, 10); break;
		case 'b':
			if (stun_addr_parse(&bind_addr, optarg, 0))
				return usage();
			break;
		default: return usage();
		}
	}
	if (optind != argc - 1 || stun_addr_parse(&server, argv[optind], STUN_DEFAULT_PORT) ||
	    count < 1 || count > 100000 || timeout_ms < 1)
		return usage();

	int fd = socket(server.family == STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET,
			SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (bind_addr.family) {
		sl = stun_addr_to_sockaddr(&bind_addr, &ss);
		if (bind(fd, (struct sockaddr *)&ss, sl)) {
			perror("bind");
			return 1;
		}
	}
	sl = stun_addr_to_sockaddr(&server, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl)) {
		perror("connect");
		return 1;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	stun_addr_from_sockaddr(&self, (struct sockaddr *)&ss, sl);

	/* One request at a time: each answer is matched to its own ID. */
	for (long i = 0; i < count; i++) {
		uint8_t tid[16], req[256], resp[1500];
		struct stun_response_info info;
		getrandom(tid, sizeof(tid), 0);
		size_t n = stun_build_request(req, sizeof(req), tid, &ro);
		if (send(fd, req, n, 0) != (ssize_t)n) {
			perror("send");
			return 1;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)timeout_ms) != 1) {
			lost++;
			continue;
		}
		ssize_t r = recv(fd, resp, sizeof(resp), 0);
		enum stun_resp_status st = r > 0 ? stun_parse_response(resp, (size_t)r, tid,
								      ro.classic, &info)
						 : STUN_RESP_NOT_STUN;
		bool good = st == STUN_RESP_OK && stun_addr_equal(&info.mapped, &self) &&
			    (!want_sw || (info.software_len == strlen(want_sw) &&
					  !memcmp(info.software, want_sw, info.software_len))) &&
			    (ro.classic || ro.fingerprint == info.has_fingerprint);
		if (good) {
			ok++;
		} else {
			char a[STUN_ADDR_STRLEN];
			if (bad++ < 3)
				fprintf(stderr, "bad answer: %s, mapped %s, software %.*s, fp %d\n",
					stun_resp_status_name(st),
					st == STUN_RESP_OK ? stun_addr_format(&info.mapped, a, sizeof(a)) : "-",
					st == STUN_RESP_OK ? (int)info.software_len : 1,
					st == STUN_RESP_OK && info.software ? info.software : "-",
					st == STUN_RESP_OK && info.has_fingerprint);
		}
	}
	printf("sent %ld answered-correctly %d bad %d lost %d\n", count, ok, bad, lost);
	close(fd);
	return ok == count ? 0 : 1;
}
