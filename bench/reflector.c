/* SPDX-License-Identifier: MIT */
/*
 * reflector.c - stun-reflector, the smallest correct STUN server: one UDP
 * socket per thread (SO_REUSEPORT), recvmmsg a batch, answer each request
 * in place with stun_respond (XOR-MAPPED-ADDRESS), sendmmsg the batch.
 * Nothing else: no config file, no logging, no RFC 5780.  It stands for
 * "the kernel's own limit" in benchmarks: a server slower than this is
 * losing time in its own code.
 *
 *   stun-reflector [--threads N|auto] [--pin] [ADDR[:PORT]]   (0.0.0.0:3478)
 *
 * Prints "listening on ADDR:PORT" once every socket is bound (port 0 picks
 * a free port), runs until SIGINT/SIGTERM, then prints how many it answered.
 */
#include "cli/cli.h"
#include "stunring.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH	64
#define BUFSZ	(1500 + STUN_RESPONSE_OVERHEAD)
#define MAX_THREADS 64

struct reflector {
	int fd;
	int cpu;		/* -1: not pinned */
	struct stun_addr local;
	const struct stun_server_cfg *cfg;
	uint64_t answered;	/* read by main at exit */
	pthread_t th;
	/* one batch */
	uint8_t buf[BATCH][BUFSZ];
	struct sockaddr_storage peer[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec oiov[BATCH];
};

static int open_socket(const struct stun_addr *a)
{
	struct sockaddr_storage ss;
	unsigned int len = stun_addr_to_sockaddr(a, &ss);
	int one = 1, big = 4 << 20;
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Answer one received batch in place; returns how many replies. */
static unsigned answer(struct reflector *r, unsigned n)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		struct stun_addr peer;
		struct stun_reply rep;
		struct msghdr *h = &r->in[i].msg_hdr;

		if (stun_addr_from_sockaddr(&peer, h->msg_name, h->msg_namelen))
			continue;
		if (stun_respond(r->buf[i], r->in[i].msg_len, &peer, &r->local,
				 r->cfg, r->buf[i], BUFSZ, &rep) ==
		    STUN_VERDICT_DROP)
			continue;
		r->oiov[k].iov_base = r->buf[i];
		r->oiov[k].iov_len = rep.len;
		r->out[k].msg_hdr = (struct msghdr){
			.msg_name = h->msg_name,
			.msg_namelen = h->msg_namelen,
			.msg_iov = &r->oiov[k],
			.msg_iovlen = 1,
		};
		k++;
	}
	return k;
}

static void *serve(void *arg)
{
	struct reflector *r = arg;

	cli_pin_thread(r->cpu);	/* best effort: a benchmark peer */
	for (unsigned i = 0; i < BATCH; i++) {
		r->iov[i] = (struct iovec){ r->buf[i], 1500 };
		r->in[i].msg_hdr.msg_iov = &r->iov[i];
		r->in[i].msg_hdr.msg_iovlen = 1;
		r->in[i].msg_hdr.msg_name = &r->peer[i];
	}
	for (;;) {
		int n, k, sent = 0;

		for (unsigned i = 0; i < BATCH; i++)
			r->in[i].msg_hdr.msg_namelen = sizeof(r->peer[i]);
		n = recvmmsg(r->fd, r->in, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("stun-reflector: recvmmsg");
			exit(1);
		}
		k = (int)answer(r, (unsigned)n);
		while (sent < k) {
			int s = sendmmsg(r->fd, r->out + sent, (unsigned)(k - sent), 0);

			if (s <= 0)
				break;	/* a reply lost under overload is loss */
			sent += s;
		}
		__atomic_store_n(&r->answered, r->answered + (uint64_t)sent,
				 __ATOMIC_RELAXED);
	}
	return NULL;
}

static void usage(FILE *f)
{
	fputs("Usage: stun-reflector [--threads N|auto] [--pin] [ADDR[:PORT]]\n"
	      "Minimal recvmmsg/sendmmsg STUN server (default 0.0.0.0:3478).\n"
	      "  -t, --threads N   N threads, one SO_REUSEPORT socket each (1);\n"
	      "                    auto: one per usable CPU, pinned\n"
	      "  -p, --pin         pin thread k to the k-th usable CPU\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "pin", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stun_server_cfg cfg;
	struct stun_addr addr;
	struct reflector *r;
	char text[STUN_ADDR_STRLEN];
	static int cpus[CPU_SETSIZE];
	unsigned ncpu = cli_usable_cpus(cpus, CPU_SETSIZE);
	unsigned threads = 1;
	uint64_t total = 0, n;
	const char *why;
	bool pin = false;
	sigset_t sigs;
	int c, sig;

	cli_init("stun-reflector", 2);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:ph", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!strcmp(optarg, "auto")) {	/* one per usable CPU, pinned */
				threads = ncpu < MAX_THREADS ? ncpu : MAX_THREADS;
				pin = true;
				break;
			}
			if (cli_parse_count(optarg, 1, MAX_THREADS, &n, &why))
				return cli_bad_value("--threads", optarg, why, "1 to %d or auto",
						     MAX_THREADS);
			threads = (unsigned)n;
			break;
		case 'p':
			pin = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli_getopt_error(c, argv);
		}
	}
	if (optind + 1 < argc ||
	    stun_addr_parse(&addr, optind < argc ? argv[optind] : "0.0.0.0",
			    STUN_DEFAULT_PORT)) {
		return cli_usage_error("expected one ADDR[:PORT], got '%s'",
				       optind < argc ? argv[optind] : "");
	}
	stun_server_cfg_init(&cfg);

	/* Workers inherit a mask without these, so main alone takes them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	r = calloc(threads, sizeof(*r));
	if (!r) {
		fputs("stun-reflector: out of memory\n", stderr);
		return 1;
	}
	for (unsigned i = 0; i < threads; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);

		r[i].fd = open_socket(&addr);
		if (r[i].fd < 0 ||
		    getsockname(r[i].fd, (struct sockaddr *)&ss, &len) < 0) {
			fprintf(stderr, "stun-reflector: bind %s: %s\n",
				stun_addr_format(&addr, text, sizeof(text)),
				strerror(errno));
			return 1;
		}
		/* Port 0: the others join the port the first one got. */
		stun_addr_from_sockaddr(&addr, (struct sockaddr *)&ss, len);
		r[i].local = addr;
		r[i].cfg = &cfg;
		r[i].cpu = pin ? cpus[i % ncpu] : -1;
	}
	for (unsigned i = 0; i < threads; i++) {
		int err = pthread_create(&r[i].th, NULL, serve, &r[i]);

		if (err) {
			fprintf(stderr, "stun-reflector: thread: %s\n", strerror(err));
			return 1;
		}
	}
	printf("stun-reflector: listening on %s (%u thread%s)\n",
	       stun_addr_format(&addr, text, sizeof(text)), threads,
	       threads == 1 ? "" : "s");
	fflush(stdout);
	sigwait(&sigs, &sig);
	for (unsigned i = 0; i < threads; i++)
		total += __atomic_load_n(&r[i].answered, __ATOMIC_RELAXED);
	printf("stun-reflector: answered %llu\n", (unsigned long long)total);
	fflush(stdout);
	return 0;	/* exit ends the threads blocked in recvmmsg */
}
