/* SPDX-License-Identifier: MIT */
/*
 * stun_test_responder.c - the smallest userspace STUN server on the codec,
 * standing in for stunringd in the XDP end-to-end test: whatever the XDP
 * program passes must still be answered by userspace.  Basic mode, classic
 * clients answered, as stunringd's defaults.
 *
 *   stun_test_responder [-s SOFTWARE] [-l SECONDS] BIND_IP:PORT
 *
 * Exits after SECONDS (default 30) so a failed test never leaves it behind;
 * prints how many requests it answered.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stunring.h"

int main(int argc, char **argv)
{
	struct stun_server_cfg cfg;
	struct stun_addr local;
	struct sockaddr_storage ss;
	long life = 30;
	int c, answered = 0;

	stun_server_cfg_init(&cfg);
	while ((c = getopt(argc, argv, "s:l:")) != -1) {
		switch (c) {
		case 's':
			if (stun_server_cfg_software(&cfg, optarg))
				return 2;
			break;
		case 'l': life = strtol(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || stun_addr_parse(&local, argv[optind], STUN_DEFAULT_PORT)) {
		fprintf(stderr, "usage: stun_test_responder [-s SOFTWARE] [-l SECONDS] IP:PORT\n");
		return 2;
	}
	int fd = socket(local.family == STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	socklen_t sl = stun_addr_to_sockaddr(&local, &ss);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl)) {
		perror("stun_test_responder: bind");
		return 1;
	}
	time_t end = time(NULL) + life;
	while (time(NULL) < end) {
		uint8_t buf[2048], out[2048 + STUN_RESPONSE_OVERHEAD];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		struct stun_addr peer;
		struct stun_reply rep;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 200) != 1)
			continue;
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0 || stun_addr_from_sockaddr(&peer, (struct sockaddr *)&from, fl))
			continue;
		if (stun_respond(buf, (size_t)n, &peer, &local, &cfg, out, sizeof(out), &rep) ==
		    STUN_VERDICT_DROP)
			continue;
		sl = stun_addr_to_sockaddr(&rep.dst, &ss);
		if (sendto(fd, out, rep.len, 0, (struct sockaddr *)&ss, sl) == (ssize_t)rep.len)
			answered++;
		printf("answered %d\n", answered);
		fflush(stdout);
	}
	return 0;
}
