/* SPDX-License-Identifier: MIT */
/*
 * engine_xdp.c - --engine xdp: inject Binding Requests into an interface
 * with the kernel's XDP live-frame generator and validate the answers in an
 * XDP program on the same interface (xdp_gen.bpf.c).  A socket client
 * cannot go faster than the kernel's UDP stack; this one never touches it.
 *
 * Setup, in the network namespace given by --netns:
 *  1. load the programs, attach slx_count to the interface (first: an XDP
 *     responder's XDP_TX only reaches a veth end with a program on it);
 *  2. one real Binding Request through a socket bound to --interface: the
 *     server must answer it, and it fills the neighbour table, which gives
 *     the destination MAC address of the frames (--echo: only the
 *     neighbour entry is awaited, see warm_up());
 *  3. a thread calls BPF_PROG_TEST_RUN(slx_gen, BPF_F_TEST_XDP_LIVE_FRAMES)
 *     over and over; --rate, --count and --duration are enforced inside
 *     slx_gen, because each call costs milliseconds of setup, far too
 *     coarse to pace with from here;
 *  4. wait up to --timeout for the last answers, read the counters and
 *     the histogram, detach, report.
 * IPv4 only; plain and FINGERPRINT requests (--mix); one injecting
 * thread.  Source ports are 10000 .. 10000 + --sockets - 1; nothing may
 * listen on them.
 */
#include "engine.h"
#include "report.h"
#include "xdp_shared.h"
#include "stunload_xdp.skel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PORT_BASE	10000	/* source ports PORT_BASE .. + --sockets */

struct xdp_run {
	const struct sl_config *cfg;
	int ifindex;
	uint32_t our_ip, server_ip;	/* network order */
	uint8_t our_mac[6], peer_mac[6];
	uint16_t nports;
	struct stunload_xdp *skel;
	bool attached;
	uint32_t attach_flags;
	int ncpus;
	uint64_t *vals;		/* ncpus values of one per-CPU slot */
	uint8_t frame[SLX_FRAME_LEN];		/* plain request */
	uint8_t frame_fp[SLX_FRAME_FP_LEN];	/* with FINGERPRINT */
	bool fp;		/* the mix has FINGERPRINT requests */
	uint64_t stopped_ns;	/* when the injector finished */
	int inject_err;
	int inject_done;	/* atomic */
};

static volatile int xdp_stop;

static void on_signal(int sig)
{
	(void)sig;
	xdp_stop++;
}

static int refuse(const char *fmt, ...)
{
	va_list ap;

	fputs("stunload: --engine xdp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 3;
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd, r;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return refuse("--netns %s: %s", name, strerror(errno));
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	if (r)
		return refuse("--netns %s: setns: %s", name, strerror(errno));
	return 0;
}

static int iface_info(struct xdp_run *x, const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	x->ifindex = (int)if_nametoindex(ifname);
	if (!x->ifindex || fd < 0) {
		if (fd >= 0)
			close(fd);
		return refuse("--interface %s: %s", ifname, strerror(errno));
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 ||
	    ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		close(fd);
		return refuse("--interface %s is not an Ethernet interface", ifname);
	}
	memcpy(x->our_mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFADDR, &ifr) < 0) {
		close(fd);
		return refuse("--interface %s has no IPv4 address", ifname);
	}
	x->our_ip = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
	close(fd);
	return 0;
}

/* The target's MAC address, once the neighbour table has a complete entry
 * for it.  Returns 0 when it has. */
static int neighbour(const char *ifname, uint32_t ip, uint8_t mac[6])
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = ip };
	struct arpreq arp;
	int fd, r;

	memset(&arp, 0, sizeof(arp));
	memcpy(&arp.arp_pa, &sin, sizeof(sin));
	snprintf(arp.arp_dev, sizeof(arp.arp_dev), "%s", ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	r = ioctl(fd, SIOCGARP, &arp) < 0 || !(arp.arp_flags & ATF_COM) ? -1 : 0;
	close(fd);
	if (!r)
		memcpy(mac, arp.arp_ha.sa_data, 6);
	return r;
}

/* --echo: poll the neighbour table for up to ms milliseconds. */
static int await_neighbour(struct xdp_run *x, const char *ifname, int ms)
{
	for (int waited = 0; waited <= ms; waited += 10) {
		struct timespec ts = { 0, 10000000 };

		if (!neighbour(ifname, x->server_ip, x->peer_mac))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* One real request through the kernel: proves the server answers on this
 * path and leaves the server's MAC address in the neighbour table.  With
 * --echo only the neighbour entry counts: a bare reflector sends back the
 * request as it came, and a socket's request carries only the partial UDP
 * checksum of CHECKSUM_PARTIAL on a veth, so the kernel drops the echo. */
static int warm_up(struct xdp_run *x, const char *ifname)
{
	const struct sl_config *cfg = x->cfg;
	struct stun_request_opts o = { 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct stun_response_info info;
	uint8_t req[64], resp[1500], tid[12];
	int fd, ok = 0, wait_ms = (int)(cfg->timeout_ns / 1000000);
	size_t len;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
				 (socklen_t)strlen(ifname)) < 0) {
		if (fd >= 0)
			close(fd);
		return refuse("binding a socket to %s: %s", ifname, strerror(errno));
	}
	/* From a port below the run's range, or slx_count would take the
	 * answer for its own. */
	for (int port = PORT_BASE - 1; port > PORT_BASE - 1000; port--) {
		sin.sin_addr.s_addr = x->our_ip;
		sin.sin_port = htons((uint16_t)port);
		if (!bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
			break;
	}
	sin.sin_addr.s_addr = x->server_ip;
	sin.sin_port = htons(cfg->target.port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return refuse("%s unreachable through %s: %s", cfg->target_str,
			      ifname, strerror(errno));
	}
	for (int attempt = 0; attempt < 3 && !ok; attempt++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (getrandom(tid, sizeof(tid), 0) != sizeof(tid))
			memset(tid, attempt + 1, sizeof(tid));
		len = stun_build_request(req, sizeof(req), tid, &o);
		if (send(fd, req, len, 0) < 0)
			continue;
		if (cfg->echo) {
			ok = !await_neighbour(x, ifname, wait_ms);
			continue;
		}
		if (poll(&p, 1, wait_ms) <= 0)
			continue;
		n = recv(fd, resp, sizeof(resp), 0);
		ok = n > 0 && stun_parse_response(resp, (size_t)n, tid, false,
						   &info) == STUN_RESP_OK;
	}
	close(fd);
	if (!ok && cfg->echo)
		return refuse("no neighbour entry for %s on %s after 3 requests: the target must be on the interface's own link",
			      cfg->target_str, ifname);
	if (!ok)
		return refuse("no valid answer from %s through %s to a first request: is the server running? (a bare reflector needs --echo)",
			      cfg->target_str, ifname);
	if (neighbour(ifname, x->server_ip, x->peer_mac))
		return refuse("no neighbour entry for %s on %s: the target must be on the interface's own link",
			      cfg->target_str, ifname);
	return 0;
}

static uint16_t ip_checksum(const void *hdr, size_t len)
{
	const uint8_t *p = hdr;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* A template frame; slx_gen writes the source port, the ID and, with
 * FINGERPRINT, the CRC.  The UDP checksum is 0, "none", which IPv4
 * allows. */
static void build_frame(struct xdp_run *x, uint8_t *f, bool fp)
{
	struct iphdr *ip = (struct iphdr *)(f + SLX_ETH_LEN);
	struct udphdr *udp = (struct udphdr *)(f + SLX_ETH_LEN + SLX_IP_LEN);
	struct stun_request_opts o = { .fingerprint = fp };
	uint8_t tid[12] = { 0 };
	uint16_t msg_len = 20 + (fp ? SLX_FP_LEN : 0);

	memset(f, 0, SLX_STUN_OFF + msg_len);
	memcpy(f, x->peer_mac, 6);
	memcpy(f + 6, x->our_mac, 6);
	f[12] = ETH_P_IP >> 8;
	f[13] = ETH_P_IP & 0xFF;
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(SLX_IP_LEN + SLX_UDP_LEN + msg_len);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = x->our_ip;
	ip->daddr = x->server_ip;
	ip->check = ip_checksum(ip, SLX_IP_LEN);
	udp->source = htons(PORT_BASE);
	udp->dest = htons(x->cfg->target.port);
	udp->len = htons(SLX_UDP_LEN + msg_len);
	stun_build_request(f + SLX_STUN_OFF, msg_len, tid, &o);
}

static int load(struct xdp_run *x)
{
	const struct sl_config *cfg = x->cfg;
	struct stunload_xdp *s;
	double planned;
	uint32_t words = 1024, salt;
	int err;

	s = stunload_xdp__open();
	if (!s)
		return refuse("opening the BPF object: %s", strerror(errno));
	x->skel = s;
	if (getrandom(&salt, sizeof(salt), 0) != sizeof(salt))
		salt = (uint32_t)sl_now_ns();
	s->rodata->out_ifindex = (uint32_t)x->ifindex;
	s->rodata->our_ip = x->our_ip;
	s->rodata->server_ip = x->server_ip;
	s->rodata->server_port = htons(cfg->target.port);
	s->rodata->port_base = PORT_BASE;
	s->rodata->port_count = x->nports;
	s->rodata->salt = salt;
	s->rodata->echo_mode = cfg->echo;
	s->rodata->mix_plain = cfg->mix[REQ_PLAIN];
	s->rodata->mix_fp = cfg->mix[REQ_FINGERPRINT];
	if (cfg->rate > 0) {
		s->rodata->interval_ps = (uint64_t)(1e12 / cfg->rate);
		if (!s->rodata->interval_ps)
			s->rodata->interval_ps = 1;
		s->rodata->bank = (uint64_t)(cfg->rate / 1000) + 64;
	}
	s->rodata->timeout_ns = (uint32_t)(cfg->timeout_ns > 4000000000u ?
					   4000000000u : cfg->timeout_ns);
	/* One bit per request of the run, so duplicates are caught exactly
	 * (up to 2^28 requests; beyond that the bitmap wraps). */
	planned = cfg->count ? (double)cfg->count :
		  (cfg->rate ? cfg->rate : 4e6) * cfg->duration_s;
	while (words < planned / 64 && words < (1u << 22))
		words <<= 1;
	s->rodata->seen_mask = words - 1;
	bpf_map__set_max_entries(s->maps.seen, words);
	err = stunload_xdp__load(s);
	if (err)
		return refuse("loading the BPF programs: %s (needs root: CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON)",
			      strerror(-err));
	return 0;
}

static int attach(struct xdp_run *x)
{
	int fd = bpf_program__fd(x->skel->progs.slx_count);
	int err;

	/* Native mode: XDP_TX/redirect from the veth peer only arrives
	 * when this end runs a native program. */
	x->attach_flags = XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST;
	err = bpf_xdp_attach(x->ifindex, fd, x->attach_flags, NULL);
	if (err == -EOPNOTSUPP) {
		x->attach_flags = XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST;
		err = bpf_xdp_attach(x->ifindex, fd, x->attach_flags, NULL);
	}
	if (err == -EBUSY || err == -EEXIST)
		return refuse("%s already has an XDP program attached: stunload needs the interface to itself",
			      x->cfg->xdp_ifname);
	if (err)
		return refuse("attaching the counting program to %s: %s",
			      x->cfg->xdp_ifname, strerror(-err));
	x->attached = true;
	return 0;
}

static uint64_t percpu_sum(struct xdp_run *x, int map_fd, uint32_t key)
{
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(map_fd, &key, x->vals))
		return 0;
	for (int i = 0; i < x->ncpus; i++)
		sum += x->vals[i];
	return sum;
}

static void read_counters(struct xdp_run *x, struct sl_counters *c)
{
	static const struct { int slot; int bad; } bad_map[] = {
		{ SLX_TRUNCATED, BAD_TRUNCATED },
		{ SLX_MALFORMED, BAD_MALFORMED },
		{ SLX_OVERSIZE, BAD_OVERSIZE },
		{ SLX_WRONG_TID, BAD_WRONG_TID },
		{ SLX_DUPLICATE, BAD_DUPLICATE },
		{ SLX_WRONG_TYPE, BAD_WRONG_TYPE },
		{ SLX_ERROR_RESPONSE, BAD_ERROR_RESPONSE },
		{ SLX_BAD_FINGERPRINT, BAD_FINGERPRINT },
		{ SLX_NO_MAPPED, BAD_NO_MAPPED },
		{ SLX_WRONG_MAPPED, BAD_WRONG_MAPPED },
	};
	int fd = bpf_map__fd(x->skel->maps.counters);

	memset(c, 0, sizeof(*c));
	c->sent = __atomic_load_n(&x->skel->bss->gen_seq, __ATOMIC_RELAXED);
	c->pace_dropped = __atomic_load_n(&x->skel->bss->gen_skipped, __ATOMIC_RELAXED);
	c->answered = percpu_sum(x, fd, SLX_ANSWERED);
	c->valid = percpu_sum(x, fd, SLX_VALID);
	c->echoed = percpu_sum(x, fd, SLX_ECHOED);
	c->late = percpu_sum(x, fd, SLX_LATE);
	for (size_t i = 0; i < sizeof(bad_map) / sizeof(bad_map[0]); i++)
		c->invalid[bad_map[i].bad] = percpu_sum(x, fd, (uint32_t)bad_map[i].slot);
}

/* The BPF histogram has the same buckets as histogram.h; the exact max
 * and sum are not kept there, so both come from bucket bounds. */
static void read_hist(struct xdp_run *x, struct hist *h)
{
	int fd = bpf_map__fd(x->skel->maps.hist);

	hist_reset(h);
	for (unsigned i = 0; i < SLX_HIST_BUCKETS && i < HIST_BUCKETS; i++) {
		uint64_t n = percpu_sum(x, fd, i);

		if (!n)
			continue;
		h->counts[i] = n;
		h->total += n;
		h->sum += n * ((hist_lowest(i) + hist_highest(i)) / 2);
		h->max = hist_highest(i);
	}
}

/* One BPF_PROG_TEST_RUN call: n iterations of slx_gen, each of which
 * sends a request or, when none is due, drops its copy. */
static int inject(struct xdp_run *x, uint32_t n)
{
	/* With FINGERPRINT requests in the mix the copies are sized for
	 * them; slx_gen trims a plain one. */
	uint32_t len = x->fp ? SLX_FRAME_FP_LEN : SLX_FRAME_LEN;
	struct xdp_md md = { .data = 0, .data_end = len };
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = x->fp ? x->frame_fp : x->frame,
		.data_size_in = len,
		.ctx_in = &md,
		.ctx_size_in = sizeof(md),
		.repeat = n,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		.batch_size = 64,
	);

	return bpf_prog_test_run_opts(bpf_program__fd(x->skel->progs.slx_gen), &o);
}

/* The injecting thread: calls the generator until it has nothing left to
 * do.  The schedule, the deadline and the count are enforced in the
 * program itself (each call is a few milliseconds of setup, far too
 * coarse to pace with). */
static void *injector(void *arg)
{
	struct xdp_run *x = arg;
	struct stunload_xdp__bss *b = x->skel->bss;

	for (;;) {
		int err = inject(x, 1u << 21);

		if (err && err != -EINTR) {
			x->inject_err = err;
			break;
		}
		if (__atomic_load_n(&b->gen_seq, __ATOMIC_RELAXED) >=
			    __atomic_load_n(&b->gen_limit, __ATOMIC_RELAXED) ||
		    sl_now_ns() >= __atomic_load_n(&b->gen_end_ns, __ATOMIC_RELAXED))
			break;
	}
	x->stopped_ns = sl_now_ns();
	__atomic_store_n(&x->inject_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct ticker {
	FILE *csv;
	uint64_t start, last, next;
	struct sl_counters prev;
	struct hist *h;		/* [0] last second's total, [1] now, [2] delta */
	bool shown;
};

static void tick(struct xdp_run *x, struct ticker *t, uint64_t now)
{
	struct sl_interval iv;
	struct sl_counters cur;

	read_counters(x, &cur);
	read_hist(x, &t->h[1]);
	hist_sub(&t->h[2], &t->h[1], &t->h[0]);
	t->h[0] = t->h[1];
	for (size_t i = 0; i < sizeof(cur) / 8; i++)
		((uint64_t *)&iv.d)[i] = ((uint64_t *)&cur)[i] - ((uint64_t *)&t->prev)[i];
	iv.total = cur;
	iv.h = &t->h[2];
	iv.t_s = (double)(now - t->start) / 1e9;
	iv.len_s = (double)(now - t->last) / 1e9;
	if (t->csv)
		sl_csv_row(t->csv, &iv);
	if (x->cfg->progress && !x->cfg->quiet) {
		sl_progress(stderr, &iv);
		t->shown = true;
	}
	t->prev = cur;
	t->last = now;
}

static void maybe_tick(struct xdp_run *x, struct ticker *t)
{
	uint64_t now = sl_now_ns();

	if (now >= t->next) {
		tick(x, t, now);
		t->next += 1000000000u;
	}
}

static int run(struct xdp_run *x, struct ticker *t)
{
	const struct sl_config *cfg = x->cfg;
	struct stunload_xdp__bss *b = x->skel->bss;
	pthread_t th;
	int err;

	b->gen_seq = 0;
	b->gen_skipped = 0;
	b->gen_limit = cfg->count ? cfg->count : UINT64_MAX;
	b->gen_start_ns = t->start;
	b->gen_end_ns = cfg->duration_s > 0 ?
			t->start + (uint64_t)(cfg->duration_s * 1e9) : UINT64_MAX;
	err = pthread_create(&th, NULL, injector, x);
	if (err)
		return refuse("starting the injecting thread: %s", strerror(err));
	while (!__atomic_load_n(&x->inject_done, __ATOMIC_ACQUIRE)) {
		struct timespec ts = { 0, 20000000 };

		nanosleep(&ts, NULL);
		if (xdp_stop)	/* the program stops generating at once */
			__atomic_store_n(&b->gen_end_ns, 0, __ATOMIC_RELAXED);
		maybe_tick(x, t);
	}
	pthread_join(th, NULL);
	if (x->inject_err)
		return refuse("BPF_PROG_TEST_RUN with live frames: %s (kernel 5.18 or later needed)",
			      strerror(-x->inject_err));
	return 0;
}

/* Wait for the last answers: until every request is accounted for, or
 * --timeout after the last one was sent. */
static void drain(struct xdp_run *x, struct ticker *t)
{
	uint64_t until = sl_now_ns() + x->cfg->timeout_ns;

	while (sl_now_ns() < until && xdp_stop < 2) {
		struct timespec ts = { 0, 10000000 };
		struct sl_counters c;

		read_counters(x, &c);
		if (c.answered + c.late >= c.sent) {
			/* As the socket engine: a little longer for the
			 * duplicates of the last answers (--timeout/10,
			 * 2..100 ms). */
			uint64_t linger = x->cfg->timeout_ns / 10;

			linger = linger < 2000000 ? 2000000 :
				 linger > 100000000 ? 100000000 : linger;
			ts.tv_nsec = (long)linger;
			nanosleep(&ts, NULL);
			break;
		}
		nanosleep(&ts, NULL);
		maybe_tick(x, t);
	}
}

static void teardown(struct xdp_run *x)
{
	if (x->attached)
		bpf_xdp_detach(x->ifindex, x->attach_flags & ~XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	x->attached = false;
	stunload_xdp__destroy(x->skel);
	x->skel = NULL;
	free(x->vals);
}

int sl_xdp_run(const struct sl_config *cfg)
{
	struct xdp_run x = { .cfg = cfg };
	struct ticker t = { 0 };
	struct sl_result res = { .cfg = cfg };
	struct hist *h;
	struct sigaction sa;
	uint64_t stopped = 0;
	int r;

	if (cfg->target.family != STUN_FAMILY_IPV4)
		return refuse("IPv4 targets only for now");
	if (!cfg->xdp_ifname)
		return refuse("--interface IF is required: the interface the target is reached through");
	for (int k = 0; k < REQ_KIND_COUNT; k++)
		if (cfg->mix[k] && k != REQ_PLAIN && k != REQ_FINGERPRINT)
			return refuse("--mix %s: only plain and fingerprint requests are generated in the kernel",
				      req_kind_names[k]);
	x.fp = cfg->mix[REQ_FINGERPRINT] > 0;
	if (cfg->threads != 1 || cfg->n_cpus)
		return refuse("one injecting thread only (--threads and --cpus do not apply)");
	if (cfg->expect != MAP_SELF)
		return refuse("--expect-mapped is not supported: the target must be on the same link");
	if (cfg->sockets > 65535 - PORT_BASE)
		return refuse("--sockets: at most %d source ports", 65535 - PORT_BASE);
	x.nports = (uint16_t)cfg->sockets;
	if (cfg->xdp_netns && (r = enter_netns(cfg->xdp_netns)))
		return r;
	if ((r = iface_info(&x, cfg->xdp_ifname)))
		return r;
	memcpy(&x.server_ip, cfg->target.ip, 4);
	x.ncpus = libbpf_num_possible_cpus();
	x.vals = calloc(x.ncpus > 0 ? (size_t)x.ncpus : 1, sizeof(uint64_t));
	h = calloc(4, sizeof(*h));	/* the result, then the ticker's three */
	if (x.ncpus <= 0 || !x.vals || !h) {
		free(x.vals);
		free(h);
		return refuse("out of memory");
	}
	t.h = h + 1;
	if (cfg->csv_path) {
		t.csv = fopen(cfg->csv_path, "w");
		if (!t.csv) {
			free(x.vals);
			free(h);
			return refuse("--csv %s: %s", cfg->csv_path, strerror(errno));
		}
		sl_csv_header(t.csv);
	}
	if (!getenv("STUNLOAD_BPF_DEBUG"))
		libbpf_set_print(NULL);	/* our own one-line errors */
	/* Attach before the first request: an XDP responder's XDP_TX only
	 * reaches a veth end that runs an XDP program itself. */
	r = load(&x);
	if (!r)
		r = attach(&x);
	if (!r)
		r = warm_up(&x, cfg->xdp_ifname);
	if (!r) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		build_frame(&x, x.frame, false);
		build_frame(&x, x.frame_fp, true);
		/* The generator rewrites every copy from the templates. */
		memcpy(x.skel->bss->tmpl, x.frame, SLX_FRAME_LEN);
		memcpy(x.skel->bss->tmpl_fp, x.frame_fp, SLX_FRAME_FP_LEN);
		t.start = t.last = sl_now_ns();
		t.next = t.start + 1000000000u;
		r = run(&x, &t);
		stopped = x.stopped_ns;
		drain(&x, &t);
		if (t.shown)
			sl_progress_clear(stderr);
		read_counters(&x, &res.c);
		read_hist(&x, h);
		if (getenv("STUNLOAD_BPF_DEBUG"))	/* the tests check it */
			fprintf(stderr, "stunload: --engine xdp: %llu of %llu frames through the general path\n",
				(unsigned long long)x.skel->bss->general_frames,
				(unsigned long long)percpu_sum(&x, bpf_map__fd(x.skel->maps.counters),
							       SLX_RECEIVED));
		res.c.lost = res.c.sent > res.c.answered ? res.c.sent - res.c.answered : 0;
		res.h = h;
		res.send_s = (double)(stopped - t.start) / 1e9;
		res.total_s = (double)(sl_now_ns() - t.start) / 1e9;
	}
	teardown(&x);
	if (t.csv)
		fclose(t.csv);
	if (r) {
		free(h);
		return r;
	}
	if (invalid_total(&res.c)) {
		res.verdict = "FAIL: invalid answers";
		res.status = 1;
	} else if (res.c.sent && !res.c.answered) {
		res.verdict = "FAIL: no answer at all";
		res.status = 4;
	} else if (cfg->max_loss_pct >= 0 &&
		   100.0 * (double)res.c.lost / (double)(res.c.sent ? res.c.sent : 1) >
			   cfg->max_loss_pct) {
		res.verdict = "FAIL: loss above --max-loss";
		res.status = 4;
	} else {
		res.verdict = "ok";
	}
	if (cfg->json)
		sl_report_json(stdout, &res);
	else if (!cfg->quiet)
		sl_report_text(stdout, &res);
	free(h);
	return res.status;
}
