/* SPDX-License-Identifier: MIT */
/*
 * xdp_bench.c - requests/s through an XDP responder, with the kernel's
 * live-frame generator as the client (BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES, as xdp-trafficgen does): no socket, no UDP
 * stack on either side, so the number is the responder's and veth's.
 *
 *   xdp_bench --interface IF --src IP --dst IP --dst-mac MAC
 *             [--port N] [--count N] [--fingerprint] [--generic]
 *
 * Run in the client's namespace: IF is the client end of a veth whose
 * other end runs the program under test.  Attaches bench_count to IF,
 * sends --count Binding Requests (20 bytes; 28 with FINGERPRINT, as
 * browsers send them, with --fingerprint), waits for stragglers, detaches,
 * and prints one line: sent, returned, Binding successes, seconds,
 * answers/s.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stunring.h"
#include "xdp_bench.skel.h"

#define NCOUNT 3

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time spent by ksoftirqd threads (ns, from schedstat): softirq work
 * the kernel defers out of our context under load. */
static double ksoftirqd_cpu(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	double ns = 0;

	while (d && (e = readdir(d))) {
		char path[300], comm[32] = "";
		unsigned long long run = 0;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strncmp(comm, "ksoftirqd/", 10))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/schedstat", e->d_name);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%llu", &run) == 1)
				ns += (double)run;
			fclose(f);
		}
	}
	if (d)
		closedir(d);
	return ns / 1e9;
}

/* CPU time of this process - the generator and, run in its context, both
 * veth ends' NAPI polls and the programs under test - plus what ksoftirqd
 * ran meanwhile.  Unlike wall time, it leaves out the time other tenants of
 * a shared machine take (their own softirq work in ksoftirqd aside). */
static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6 + ksoftirqd_cpu();
}

static void sum_counts(int fd, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t per[ncpu];

	for (uint32_t k = 0; k < NCOUNT; k++) {
		out[k] = 0;
		if (!bpf_map_lookup_elem(fd, &k, per))
			for (int c = 0; c < ncpu; c++)
				out[k] += per[c];
	}
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 + UDP + a Binding Request, checksums valid. */
static size_t build_frame(uint8_t *f, const uint8_t *smac, const uint8_t *dmac,
			  struct in_addr src, struct in_addr dst, uint16_t port,
			  bool fingerprint)
{
	uint8_t tid[12], *ip = f + 14, *udp = ip + 20, *stun = udp + 8;
	struct stun_request_opts o = { .fingerprint = fingerprint };

	getrandom(tid, sizeof(tid), 0);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08, f[13] = 0x00;
	size_t sl = stun_build_request(stun, 64, tid, &o);
	size_t ulen = 8 + sl;
	memset(ip, 0, 20);
	ip[0] = 0x45, ip[8] = 64, ip[9] = 17;
	ip[2] = (uint8_t)((20 + ulen) >> 8), ip[3] = (uint8_t)(20 + ulen);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	uint16_t c = csum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	udp[0] = 0x9c, udp[1] = 0x40;	/* 40000 */
	udp[2] = (uint8_t)(port >> 8), udp[3] = (uint8_t)port;
	udp[4] = (uint8_t)(ulen >> 8), udp[5] = (uint8_t)ulen;
	udp[6] = udp[7] = 0;
	uint32_t ph = 17 + (uint32_t)ulen;
	for (int i = 12; i < 20; i += 2)
		ph += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	c = csum(udp, ulen, ph);
	udp[6] = (uint8_t)(c >> 8), udp[7] = (uint8_t)c;
	return 14 + 20 + ulen;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "generic", no_argument, NULL, 'g' },
		{ "fingerprint", no_argument, NULL, 'f' },
		{ 0 } };
	const char *ifname = NULL;
	struct in_addr src = { 0 }, dst = { 0 };
	uint8_t dmac[6] = { 0 }, smac[6], frame[128];
	unsigned long count = 5000000;
	uint16_t port = STUN_DEFAULT_PORT;
	uint32_t flags = XDP_FLAGS_DRV_MODE;
	int c, have_mac = 0;
	bool fingerprint = false;

	while ((c = getopt_long(argc, argv, "i:s:d:m:p:n:gf", opts, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 's': inet_pton(AF_INET, optarg, &src); break;
		case 'd': inet_pton(AF_INET, optarg, &dst); break;
		case 'm':
			have_mac = sscanf(optarg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0],
					  &dmac[1], &dmac[2], &dmac[3], &dmac[4], &dmac[5]) == 6;
			break;
		case 'p': port = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'g': flags = XDP_FLAGS_SKB_MODE; break;
		case 'f': fingerprint = true; break;
		default: return 2;
		}
	}
	int ifindex = ifname ? (int)if_nametoindex(ifname) : 0;
	if (!ifindex || !src.s_addr || !dst.s_addr || !have_mac || !count ||
	    count > 1000000000UL) {
		fprintf(stderr, "usage: xdp_bench --interface IF --src IP --dst IP "
				"--dst-mac MAC [--port N] [--count N] [--fingerprint] [--generic]\n");
		return 2;
	}
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr)) {
		perror("xdp_bench: SIOCGIFHWADDR");
		return 1;
	}
	close(s);
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);

	size_t len = build_frame(frame, smac, dmac, src, dst, port, fingerprint);
	struct xdp_bench *skel = xdp_bench__open();
	if (!skel) {
		fprintf(stderr, "xdp_bench: cannot open the BPF object\n");
		return 1;
	}
	skel->rodata->server_port = port;
	skel->rodata->tmpl_len = (uint32_t)len;
	memcpy((void *)skel->rodata->tmpl, frame, len);
	if (xdp_bench__load(skel)) {
		fprintf(stderr, "xdp_bench: cannot load the BPF programs: %s\n",
			strerror(errno));
		return 1;
	}
	int gen = bpf_program__fd(skel->progs.bench_gen);
	int cnt = bpf_program__fd(skel->progs.bench_count);
	int map = bpf_map__fd(skel->maps.bench_counts);
	if (bpf_xdp_attach(ifindex, cnt, flags, NULL)) {
		fprintf(stderr, "xdp_bench: cannot attach the counter to %s: %s\n", ifname,
			strerror(errno));
		return 1;
	}

	struct xdp_md ctx_in = { .data_end = (uint32_t)len, .ingress_ifindex = (uint32_t)ifindex };
	uint64_t before[NCOUNT], after[NCOUNT];
	int ret = 0;

	sum_counts(map, before);
	double t0 = now(), c0 = cpu_now();
	/* Chunks of a million keep each syscall short. */
	for (unsigned long done = 0; done < count && !ret;) {
		unsigned long n = count - done < 1000000 ? count - done : 1000000;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
			    .data_size_in = (uint32_t)len, .ctx_in = &ctx_in,
			    .ctx_size_in = sizeof(ctx_in), .repeat = (uint32_t)n,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
		ret = bpf_prog_test_run_opts(gen, &o);
		done += n;
	}
	double t1 = now(), c1 = cpu_now();
	usleep(200000);		/* answers still in the rings */
	sum_counts(map, after);
	bpf_xdp_detach(ifindex, flags, NULL);
	xdp_bench__destroy(skel);
	if (ret) {
		fprintf(stderr, "xdp_bench: BPF_PROG_TEST_RUN: %s\n", strerror(-ret));
		return 1;
	}
	uint64_t back = after[0] - before[0], ok = after[1] - before[1];
	printf("sent %lu returned %llu binding_success %llu in %.3f s: %.0f returned/s, "
	       "%.0f answers/s; cpu %.3f s: %.0f returned/cpu-s, %.0f answers/cpu-s\n",
	       count, (unsigned long long)back, (unsigned long long)ok, t1 - t0,
	       (double)back / (t1 - t0), (double)ok / (t1 - t0), c1 - c0,
	       (double)back / (c1 - c0), (double)ok / (c1 - c0));
	return 0;
}
