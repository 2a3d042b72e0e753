/* SPDX-License-Identifier: MIT */
/*
 * test_xdp_prog.c - the XDP responder against the codec, through
 * bpf_prog_test_run_opts (nothing is attached), in the style of the
 * kernel's BPF selftests: one frame built per case, the verdict, the output
 * bytes and the counter that moved all checked.
 *
 * The oracle is stun_respond() in basic mode, configured as stunringd runs
 * by default (RFC 3489 clients answered).  The program must answer with
 * XDP_TX exactly when the codec answers with a modern success (classic
 * clients are deliberately left to the daemon; messages over
 * STUN_XDP_MAX_MSG too), and then the STUN payload must be byte-identical to
 * the codec's, with valid checksums and swapped addresses.  Otherwise
 * XDP_PASS, with the frame untouched.
 *
 * Needs root (CAP_BPF, CAP_PERFMON): without it every test SKIPs, saying so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stunring.h"
#include "stun_xdp.skel.h"
#include "stun_xdp_common.h"
#include "xdp_loader.h"

#define XDP_PASS_ 2
#define XDP_TX_ 3
#define XDP_DROP_ 1
#define MAX_FRAME 2048
#define MAX_CASES 1200

static const char *const SERVER4 = "198.51.100.1", *const CLIENT4 = "192.0.2.1";
static const char *const SERVER6 = "2001:db8::1", *const CLIENT6 = "2001:db8::42";
static const uint8_t MAC_SERVER[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_CLIENT[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const char *const SOFTWARE = "stunring xdp test";	/* 17: padded */

static struct stun_xdp *skel;
static const char *skip_reason;

/* Copies of the program loaded with a STUN_XDP_TEST_* flag (see
 * stun_xdp_common.h), to reach what bpf_prog_test_run frames never make
 * the production program do. */
enum { V_GENERAL, V_FAST_ONLY, V_TAIL, V_NO_ROOM, NVARIANTS };
static const uint32_t variant_flags[NVARIANTS] = {
	[V_GENERAL] = STUN_XDP_TEST_NO_FAST_PATH,	/* the general path alone */
	[V_FAST_ONLY] = STUN_XDP_TEST_FAST_ONLY,	/* ABORTED where the fast path declines */
	[V_TAIL] = STUN_XDP_TEST_NO_HEADROOM,		/* grow with adjust_tail */
	[V_NO_ROOM] = STUN_XDP_TEST_NO_HEADROOM | STUN_XDP_TEST_NO_TAILROOM,
};
static struct stun_xdp *variants[NVARIANTS];

/* ------------------------------------------------------------------------ */
/* Frames                                                                    */
/* ------------------------------------------------------------------------ */

enum csum_mode { CSUM_FULL, CSUM_ZERO, CSUM_PARTIAL, CSUM_BAD };

/* One request frame, described field by field so a case changes one. */
struct frame_spec {
	bool v6;
	uint16_t vlan_tpid;		/* 0: untagged */
	unsigned ip_opt_len;		/* IPv4 options, multiple of 4 */
	const char *src, *dst;		/* IP addresses */
	uint16_t sport, dport;
	enum csum_mode udp_csum;
	bool bad_ip_csum;
	uint16_t frag;			/* IPv4 frag_off field (host order) */
	uint8_t next_header;		/* IPv6 next header / IPv4 protocol; 0: UDP */
	unsigned trailer;		/* Ethernet padding after the packet */
	const uint8_t *mac_dst;		/* NULL: MAC_SERVER */
	const uint8_t *payload;
	size_t len;
};

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint32_t pseudo(bool v6, const uint8_t *src, const uint8_t *dst,
		       size_t ulen)
{
	uint32_t s = sum16(src, v6 ? 16 : 4, 0);
	s = sum16(dst, v6 ? 16 : 4, s);
	return s + IPPROTO_UDP + (uint32_t)ulen;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t build_frame(uint8_t *f, const struct frame_spec *s)
{
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	int af = s->v6 ? AF_INET6 : AF_INET;
	size_t off = 12, l3, ulen = 8 + s->len;

	assert_int_equal(inet_pton(af, s->src, src), 1);
	assert_int_equal(inet_pton(af, s->dst, dst), 1);
	memcpy(f, s->mac_dst ? s->mac_dst : MAC_SERVER, 6);
	memcpy(f + 6, MAC_CLIENT, 6);
	if (s->vlan_tpid) {
		put16(f + off, s->vlan_tpid);
		put16(f + off + 2, 0x0064);	/* VLAN 100 */
		off += 4;
	}
	put16(f + off, s->v6 ? ETH_P_IPV6 : ETH_P_IP);
	l3 = off + 2;
	uint8_t proto = s->next_header ? s->next_header : IPPROTO_UDP;
	size_t udp;
	if (s->v6) {
		uint8_t *ip = f + l3;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)ulen);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		udp = l3 + 40;
	} else {
		uint8_t *ip = f + l3;
		size_t hl = 20 + s->ip_opt_len;
		memset(ip, 0, hl);
		ip[0] = (uint8_t)(0x40 | hl / 4);
		put16(ip + 2, (uint16_t)(hl + ulen));
		put16(ip + 4, 0x1234);
		put16(ip + 6, s->frag);
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		memset(ip + 20, 1, s->ip_opt_len);	/* NOP options */
		put16(ip + 10, (uint16_t)~fold(sum16(ip, hl, 0)));
		if (s->bad_ip_csum)
			ip[10] ^= 0x40;
		udp = l3 + hl;
	}
	put16(f + udp, s->sport);
	put16(f + udp + 2, s->dport);
	put16(f + udp + 4, (uint16_t)ulen);
	put16(f + udp + 6, 0);
	if (s->len)
		memcpy(f + udp + 8, s->payload, s->len);
	uint32_t ph = pseudo(s->v6, src, dst, ulen);
	uint16_t c = 0;
	switch (s->udp_csum) {
	case CSUM_FULL:
	case CSUM_BAD:
		c = (uint16_t)~fold(sum16(f + udp, ulen, ph));
		if (c == 0)
			c = 0xffff;
		if (s->udp_csum == CSUM_BAD)
			c ^= 0x0101;
		break;
	case CSUM_PARTIAL:	/* what a local socket leaves for offload */
		c = fold(ph);
		break;
	case CSUM_ZERO:
		c = 0;
		break;
	}
	put16(f + udp + 6, c);
	memset(f + udp + ulen, 0xEE, s->trailer);
	return udp + ulen + s->trailer;
}

static struct frame_spec spec_default(bool v6, const uint8_t *msg, size_t len)
{
	struct frame_spec s = {
		.v6 = v6,
		.src = v6 ? CLIENT6 : CLIENT4,
		.dst = v6 ? SERVER6 : SERVER4,
		.sport = 32853,
		.dport = STUN_DEFAULT_PORT,
		.payload = msg,
		.len = len,
	};
	return s;
}

/* ------------------------------------------------------------------------ */
/* Running the program                                                       */
/* ------------------------------------------------------------------------ */

struct run {
	int ret;		/* XDP action */
	uint8_t out[MAX_FRAME];
	uint32_t out_len;
	uint64_t moved[STUN_XDP_COUNTER_COUNT];	/* counter deltas */
};

static void read_counters(const struct stun_xdp *s, uint64_t *v)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t per[ncpu];

	for (uint32_t k = 0; k < STUN_XDP_COUNTER_COUNT; k++) {
		assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(s->maps.counters),
						     &k, per), 0);
		v[k] = 0;
		for (int c = 0; c < ncpu; c++)
			v[k] += per[c];
	}
}

static void run_frame_on(const struct stun_xdp *s, const uint8_t *frame,
			 size_t len, struct run *r)
{
	assert_true(len >= ETH_HLEN);	/* test_run refuses shorter */
	uint64_t before[STUN_XDP_COUNTER_COUNT], after[STUN_XDP_COUNTER_COUNT];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
		    .data_size_in = (uint32_t)len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);

	read_counters(s, before);
	int err = bpf_prog_test_run_opts(bpf_program__fd(s->progs.stun_xdp_respond),
					 &opts);
	assert_int_equal(err, 0);
	read_counters(s, after);
	r->ret = (int)opts.retval;
	r->out_len = opts.data_size_out;
	for (int i = 0; i < STUN_XDP_COUNTER_COUNT; i++)
		r->moved[i] = after[i] - before[i];
}

static void run_frame(const uint8_t *frame, size_t len, struct run *r)
{
	run_frame_on(skel, frame, len, r);
}

/* Exactly one counter moved, by one: the one named. */
static void assert_counter(const struct run *r, int want)
{
	for (int i = 0; i < STUN_XDP_COUNTER_COUNT; i++)
		if (r->moved[i] != (i == want))
			fail_msg("counter %s moved by %llu (expected %s to move by 1)",
				 stun_xdp_counter_name(i),
				 (unsigned long long)r->moved[i],
				 stun_xdp_counter_name(want));
}

/* A pass: untouched frame, one pass_* counter (the named one if >= 0). */
static void assert_passed(const struct run *r, const uint8_t *frame, size_t len,
			  int want)
{
	if (r->ret != XDP_PASS_)
		fail_msg("verdict %d, expected XDP_PASS", r->ret);
	assert_int_equal(r->out_len, len);
	assert_memory_equal(r->out, frame, len);
	if (want >= 0) {
		assert_counter(r, want);
		return;
	}
	int moved = -1;
	for (int i = 0; i < STUN_XDP_COUNTER_COUNT; i++) {
		if (!r->moved[i])
			continue;
		assert_int_equal(r->moved[i], 1);
		assert_int_equal(moved, -1);
		moved = i;
	}
	assert_true(moved > STUN_XDP_ANSWERED_V6 && moved < STUN_XDP_DROPPED);
}

/* The answer frame: swapped MACs and addresses and ports, the request's
 * VLAN tag, valid IPv4 header and UDP checksums, and exactly want[]. */
static void assert_answer(const struct run *r, const struct frame_spec *s,
			  const uint8_t *want, size_t want_len)
{
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	size_t off = 12, alen = s->v6 ? 16 : 4;

	if (r->ret != XDP_TX_) {
		for (int i = 0; i < STUN_XDP_COUNTER_COUNT; i++)
			if (r->moved[i])
				print_message("counter %s moved\n", stun_xdp_counter_name(i));
		fail_msg("verdict %d, expected XDP_TX", r->ret);
	}
	assert_counter(r, s->v6 ? STUN_XDP_ANSWERED_V6 : STUN_XDP_ANSWERED_V4);
	inet_pton(s->v6 ? AF_INET6 : AF_INET, s->src, src);
	inet_pton(s->v6 ? AF_INET6 : AF_INET, s->dst, dst);
	const uint8_t *f = r->out;
	assert_memory_equal(f, MAC_CLIENT, 6);
	assert_memory_equal(f + 6, s->mac_dst ? s->mac_dst : MAC_SERVER, 6);
	if (s->vlan_tpid) {
		assert_int_equal(get16(f + 12), s->vlan_tpid);
		assert_int_equal(get16(f + 14), 0x0064);
		off += 4;
	}
	assert_int_equal(get16(f + off), s->v6 ? ETH_P_IPV6 : ETH_P_IP);
	const uint8_t *ip = f + off + 2, *udp;
	size_t ulen = 8 + want_len;
	if (s->v6) {
		assert_int_equal(ip[0] >> 4, 6);
		assert_int_equal(get16(ip + 4), ulen);
		assert_int_equal(ip[6], IPPROTO_UDP);
		assert_true(ip[7] > 0);
		udp = ip + 40;
	} else {
		assert_int_equal(ip[0], 0x45);	/* options are not echoed */
		assert_int_equal(get16(ip + 2), 20 + ulen);
		assert_int_equal(get16(ip + 6) & 0x3fff, 0);
		assert_int_equal(ip[9], IPPROTO_UDP);
		assert_true(ip[8] > 0);
		assert_int_equal(fold(sum16(ip, 20, 0)), 0xffff);
		udp = ip + 20;
	}
	assert_memory_equal(ip + (s->v6 ? 8 : 12), dst, alen);
	assert_memory_equal(ip + (s->v6 ? 24 : 16), src, alen);
	assert_int_equal(r->out_len, (size_t)(udp - f) + ulen);
	assert_int_equal(get16(udp), s->dport);
	assert_int_equal(get16(udp + 2), s->sport);
	assert_int_equal(get16(udp + 4), ulen);
	assert_int_not_equal(get16(udp + 6), 0);
	assert_int_equal(fold(sum16(udp, ulen, pseudo(s->v6, dst, src, ulen))), 0xffff);
	assert_memory_equal(udp + 8, want, want_len);
}

/* The server's addresses, as attach would find them on the interface. */
static void add_local_addrs(struct stun_xdp_config *c)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET, SERVER4, a), 1);
	assert_int_equal(stun_xdp_config_add_addr(c, STUN_FAMILY_IPV4, a), 1);
	assert_int_equal(stun_xdp_config_add_addr(c, STUN_FAMILY_IPV4, a), 0);
	assert_int_equal(inet_pton(AF_INET6, SERVER6, a), 1);
	assert_int_equal(stun_xdp_config_add_addr(c, STUN_FAMILY_IPV6, a), 1);
}

static void set_config(const struct stun_xdp_opts *o)
{
	struct stun_xdp_config c;
	char err[STUN_XDP_ERRLEN];
	uint32_t zero = 0;

	assert_int_equal(stun_xdp_config_init(&c, o, err, sizeof(err)), 0);
	add_local_addrs(&c);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero,
					     &c, BPF_ANY), 0);
	for (int v = 0; v < NVARIANTS; v++)
		assert_int_equal(bpf_map_update_elem(bpf_map__fd(variants[v]->maps.config),
						     &zero, &c, BPF_ANY), 0);
}

static void codec_cfg(struct stun_server_cfg *c, const struct stun_xdp_opts *o)
{
	stun_server_cfg_init(c);
	if (o->software)
		assert_int_equal(stun_server_cfg_software(c, o->software), 0);
	c->ice_aware = o->ice_aware;
	c->always_fingerprint = o->always_fingerprint;
}

/* The oracle: run the codec on the payload as the daemon would see it. */
static bool codec_answer(const struct frame_spec *s, const struct stun_xdp_opts *o,
			 uint8_t *out, size_t cap, struct stun_reply *rep)
{
	struct stun_server_cfg cfg;
	struct stun_addr peer, local;
	char a[64];

	codec_cfg(&cfg, o);
	snprintf(a, sizeof(a), s->v6 ? "[%s]:%u" : "%s:%u", s->src, s->sport);
	assert_int_equal(stun_addr_parse(&peer, a, 0), 0);
	snprintf(a, sizeof(a), s->v6 ? "[%s]:%u" : "%s:%u", s->dst, s->dport);
	assert_int_equal(stun_addr_parse(&local, a, 0), 0);
	stun_respond(s->payload, s->len, &peer, &local, &cfg, out, cap, rep);
	return rep->verdict == STUN_VERDICT_SUCCESS && !rep->classic &&
	       s->len <= STUN_XDP_MAX_MSG;
}

static void assert_same_run(const struct run *a, const struct run *b);

/* One request through both: the heart of every table case.  The general
 * path alone (a copy of the program without the fast path) must then do
 * exactly what the program did, byte for byte. */
static void check_agrees(const struct frame_spec *s, const struct stun_xdp_opts *o)
{
	uint8_t frame[MAX_FRAME], want[MAX_FRAME];
	struct stun_reply rep;
	static struct run r, general;

	set_config(o);
	size_t len = build_frame(frame, s);
	bool tx = codec_answer(s, o, want, sizeof(want), &rep);
	run_frame(frame, len, &r);
	if (tx)
		assert_answer(&r, s, want, rep.len);
	else
		assert_passed(&r, frame, len, -1);
	run_frame_on(variants[V_GENERAL], frame, len, &general);
	assert_same_run(&general, &r);
}

/* ------------------------------------------------------------------------ */
/* Every vector file, four framings, with and without SOFTWARE               */
/* ------------------------------------------------------------------------ */

struct vcase {
	char name[200];
	uint8_t msg[4096];
	size_t len;
	bool v6;
	uint16_t vlan;
	bool software;
};

static struct vcase *vcases;
static int nvcases;
static struct CMUnitTest tests[MAX_CASES];
static int ntests;

static void test_vector(void **state)
{
	const struct vcase *v = *state;
	struct stun_xdp_opts o = { .software = v->software ? SOFTWARE : NULL };
	struct frame_spec s = spec_default(v->v6, v->msg, v->len);

	if (skip_reason)
		skip();
	s.vlan_tpid = v->vlan;
	check_agrees(&s, &o);
}

static void add_vector_file(const char *path, const char *rel)
{
	static const uint16_t vlans[] = { 0, ETH_P_8021Q, ETH_P_8021AD };
	uint8_t msg[4096];
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	size_t n = fread(msg, 1, sizeof(msg), f);
	fclose(f);
	for (int v6 = 0; v6 < 2; v6++)
		for (int vl = 0; vl < 3; vl++)
			for (int sw = 0; sw < 2; sw++) {
				/* 802.1ad only once per file: it is parsed alike. */
				if (vl == 2 && (sw || v6))
					continue;
				if (nvcases >= MAX_CASES - 100)
					return;
				struct vcase *c = &vcases[nvcases++];
				memcpy(c->msg, msg, n);
				c->len = n;
				c->v6 = v6;
				c->vlan = vlans[vl];
				c->software = sw;
				snprintf(c->name, sizeof(c->name), "vector %.150s %s%s%s", rel,
					 v6 ? "ipv6" : "ipv4",
					 vl == 1 ? " vlan" : vl == 2 ? " 802.1ad" : "",
					 sw ? " software" : "");
				tests[ntests++] = (struct CMUnitTest){
					.name = c->name, .test_func = test_vector,
					.initial_state = c };
			}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.bin under dir (the expected/ responses are not requests). */
static void walk_vectors(const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	char *names[512];
	int n = 0;
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && n < 512)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		char path[1024], r[512];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", names[i]);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (strcmp(names[i], "expected"))
				walk_vectors(path, r);
		} else if (strlen(names[i]) > 4 &&
			   !strcmp(names[i] + strlen(names[i]) - 4, ".bin")) {
			add_vector_file(path, r);
		}
		free(names[i]);
	}
}

/* ------------------------------------------------------------------------ */
/* Cases beyond the vectors                                                  */
/* ------------------------------------------------------------------------ */

static const uint8_t tid[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
				 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };

static size_t request(uint8_t *buf, bool fp, const char *sw)
{
	struct stun_request_opts o = { .fingerprint = fp, .software = sw };
	size_t n = stun_build_request(buf, 1024, tid, &o);
	assert_int_not_equal(n, 0);
	return n;
}

#define SKIP_IF_NO_BPF() do { if (skip_reason) skip(); } while (0)

/* Requests our own client builds: SOFTWARE of every length 0..20 (every
 * padding), with and without FINGERPRINT, under every server config. */
static void generated_requests(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	char sw[32];
	uint8_t msg[1024];
	for (int cfg = 0; cfg < 4; cfg++) {
		struct stun_xdp_opts o = { .software = cfg & 1 ? SOFTWARE : NULL,
					   .always_fingerprint = cfg & 2 };
		for (int fp = 0; fp < 2; fp++)
			for (int l = 0; l <= 20; l++) {
				memset(sw, 'a' + l, (size_t)l);
				sw[l] = 0;
				size_t n = request(msg, fp, l ? sw : NULL);
				for (int v6 = 0; v6 < 2; v6++) {
					struct frame_spec s = spec_default(v6, msg, n);
					uint8_t want[256];
					struct stun_reply rep;
					assert_true(codec_answer(&s, &o, want, sizeof(want), &rep));
					check_agrees(&s, &o);
				}
			}
	}
}

/* Every prefix of a valid frame: never answered, never a crash.  Cut
 * frames whose headers still claim the full length are malformed; messages
 * cut with the headers fixed up are what the codec says (a drop). */
static void truncated_frames(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024], frame[MAX_FRAME];
	struct stun_xdp_opts o = { 0 };
	struct run r;

	set_config(&o);
	size_t n = request(msg, true, "client");
	for (int v6 = 0; v6 < 2; v6++)
		for (int vl = 0; vl < 2; vl++) {
			struct frame_spec s = spec_default(v6, msg, n);
			s.vlan_tpid = vl ? ETH_P_8021Q : 0;
			size_t len = build_frame(frame, &s);
			for (size_t cut = ETH_HLEN; cut < len; cut++) {
				run_frame(frame, cut, &r);
				assert_passed(&r, frame, cut, STUN_XDP_PASS_MALFORMED);
			}
			for (size_t cut = 0; cut < n; cut++) {
				s.len = cut;
				check_agrees(&s, &o);
			}
		}
}

static void run_expect_pass(const struct frame_spec *s, int counter)
{
	uint8_t frame[MAX_FRAME];
	struct run r;
	size_t len = build_frame(frame, s);

	run_frame(frame, len, &r);
	assert_passed(&r, frame, len, counter);
}

static void run_expect_tx(const struct frame_spec *s, const struct stun_xdp_opts *o)
{
	uint8_t want[256];
	struct stun_reply rep;

	assert_true(codec_answer(s, o, want, sizeof(want), &rep));
	check_agrees(s, o);
}

/* IPv4 options of every length: answered, and the answer has none. */
static void ip_options(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024];
	struct stun_xdp_opts o = { .software = SOFTWARE };
	size_t n = request(msg, true, NULL);
	for (unsigned opt = 0; opt <= 40; opt += 4) {
		struct frame_spec s = spec_default(false, msg, n);
		s.ip_opt_len = opt;
		run_expect_tx(&s, &o);
		s.vlan_tpid = ETH_P_8021Q;
		run_expect_tx(&s, &o);
	}
}

/* Fragments go to the kernel for reassembly. */
static void fragments(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024];
	struct stun_xdp_opts o = { 0 };
	set_config(&o);
	size_t n = request(msg, false, NULL);
	struct frame_spec s = spec_default(false, msg, n);
	s.frag = 0x2000;		/* MF */
	run_expect_pass(&s, STUN_XDP_PASS_FRAGMENT);
	s.frag = 0x0010;		/* offset 128 */
	run_expect_pass(&s, STUN_XDP_PASS_FRAGMENT);
	s.frag = 0x4000;		/* DF only: not a fragment */
	run_expect_tx(&s, &o);
}

/* Ports: only those configured. */
static void ports(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024];
	uint16_t list[] = { 3479, 5349 };
	struct stun_xdp_opts def = { 0 }, two = { .ports = list, .n_ports = 2 };
	size_t n = request(msg, false, NULL);
	for (int v6 = 0; v6 < 2; v6++) {
		struct frame_spec s = spec_default(v6, msg, n);
		set_config(&def);
		s.dport = 3479;
		run_expect_pass(&s, STUN_XDP_PASS_PORT);
		s.dport = 53;
		run_expect_pass(&s, STUN_XDP_PASS_PORT);
		set_config(&two);
		s.dport = 3478;
		run_expect_pass(&s, STUN_XDP_PASS_PORT);
		s.dport = 3479;
		run_expect_tx(&s, &two);
		s.dport = 5349;
		run_expect_tx(&s, &two);
	}
	uint16_t zero = 0;
	struct stun_xdp_config c;
	char err[STUN_XDP_ERRLEN];
	struct stun_xdp_opts bad = { .ports = &zero, .n_ports = 1 };
	assert_int_equal(stun_xdp_config_init(&c, &bad, err, sizeof(err)), -EINVAL);
}

/* Checksums on input: bad ones are the kernel's to drop; a missing IPv4
 * UDP checksum and a CHECKSUM_PARTIAL one (local sockets on veth) are
 * fine; IPv6 requires one. */
static void input_checksums(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024];
	struct stun_xdp_opts o = { 0 };
	set_config(&o);
	size_t n = request(msg, true, "x");
	for (int v6 = 0; v6 < 2; v6++) {
		struct frame_spec s = spec_default(v6, msg, n);
		s.udp_csum = CSUM_BAD;
		run_expect_pass(&s, STUN_XDP_PASS_BAD_CSUM);
		s.udp_csum = CSUM_PARTIAL;
		run_expect_tx(&s, &o);
		s.udp_csum = CSUM_ZERO;
		if (v6)
			run_expect_pass(&s, STUN_XDP_PASS_BAD_CSUM);
		else
			run_expect_tx(&s, &o);
	}
	struct frame_spec s = spec_default(false, msg, n);
	s.bad_ip_csum = true;
	run_expect_pass(&s, STUN_XDP_PASS_BAD_CSUM);
}

/* Sources no STUN server answers: the same set as
 * stun_addr_is_bogus_source(), checked against it, plus IPv4-mapped IPv6
 * sources (Linux drops those before the daemon could see them). */
static void bogus_sources(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	static const struct { const char *ip; uint16_t port; } bad[] = {
		{ "0.0.0.0", 1000 }, { "0.1.2.3", 1000 }, { "224.0.0.1", 1000 },
		{ "239.255.255.250", 1000 }, { "255.255.255.255", 1000 },
		{ "192.0.2.1", 0 }, { "ff02::1", 1000 }, { "ff0e::5", 1000 },
		{ "::", 1000 }, { "2001:db8::42", 0 },
	};
	uint8_t msg[1024];
	struct stun_xdp_opts o = { 0 };
	set_config(&o);
	size_t n = request(msg, false, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool v6 = strchr(bad[i].ip, ':') != NULL;
		struct frame_spec s = spec_default(v6, msg, n);
		uint8_t want[256];
		struct stun_reply rep;
		s.src = bad[i].ip;
		s.sport = bad[i].port;
		assert_false(codec_answer(&s, &o, want, sizeof(want), &rep));
		assert_int_equal(rep.reason, STUN_DROP_BOGUS_SOURCE);
		run_expect_pass(&s, STUN_XDP_PASS_BOGUS_SOURCE);
	}
	/* Neighbours of the bogus ranges are answered. */
	static const char *const good[] = { "1.0.0.0", "223.255.255.255",
					    "240.0.0.1", "255.255.255.254",
					    "fe80::1", "::2" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct frame_spec s = spec_default(strchr(good[i], ':'), msg, n);
		s.src = good[i];
		run_expect_tx(&s, &o);
	}
	struct frame_spec s = spec_default(true, msg, n);
	s.src = "::ffff:192.0.2.1";
	run_expect_pass(&s, STUN_XDP_PASS_BOGUS_SOURCE);
}

/* Only our own unicast addresses, never a group MAC. */
static void not_local(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t msg[1024];
	struct stun_xdp_opts o = { 0 };
	set_config(&o);
	size_t n = request(msg, false, NULL);
	struct frame_spec s = spec_default(false, msg, n);
	s.dst = "203.0.113.9";		/* routed through us to elsewhere */
	run_expect_pass(&s, STUN_XDP_PASS_NOT_LOCAL);
	s = spec_default(true, msg, n);
	s.dst = "2001:db8::99";
	run_expect_pass(&s, STUN_XDP_PASS_NOT_LOCAL);
	s = spec_default(false, msg, n);
	s.mac_dst = bcast;
	run_expect_pass(&s, STUN_XDP_PASS_NOT_LOCAL);

	/* A full table: the address in the last slot still matches; one
	 * more does not fit. */
	struct stun_xdp_config c;
	char err[STUN_XDP_ERRLEN];
	uint32_t zero = 0;
	assert_int_equal(stun_xdp_config_init(&c, &o, err, sizeof(err)), 0);
	for (int i = 0; i < STUN_XDP_MAX_LOCAL - 1; i++) {
		uint8_t v4[4] = { 10, 1, 2, (uint8_t)i };
		uint8_t v6[16] = { 0xfd, 0, [15] = (uint8_t)i };
		assert_int_equal(stun_xdp_config_add_addr(&c, STUN_FAMILY_IPV4, v4), 1);
		assert_int_equal(stun_xdp_config_add_addr(&c, STUN_FAMILY_IPV6, v6), 1);
	}
	add_local_addrs(&c);
	assert_int_equal(stun_xdp_config_add_addr(&c, STUN_FAMILY_IPV4, "\x0a\x09\x09\x09"),
			 -ENOSPC);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &c,
					     BPF_ANY), 0);
	for (int v6 = 0; v6 < 2; v6++) {
		uint8_t frame[MAX_FRAME], want[256];
		struct stun_reply rep;
		struct run r;
		s = spec_default(v6, msg, n);
		size_t len = build_frame(frame, &s);
		assert_true(codec_answer(&s, &o, want, sizeof(want), &rep));
		run_frame(frame, len, &r);
		assert_answer(&r, &s, want, rep.len);
	}
}

/* A prefix as stun_limits holds it: IPv4 mapped, masked to its length. */
static struct stun_prefix prefix(const char *addr, unsigned int len)
{
	struct stun_prefix p = { .len = len };

	if (strchr(addr, ':')) {
		assert_int_equal(inet_pton(AF_INET6, addr, p.addr), 1);
	} else {
		p.addr[10] = p.addr[11] = 0xFF;
		assert_int_equal(inet_pton(AF_INET, addr, p.addr + 12), 1);
		p.len += 96;
	}
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int keep = p.len >= 8 * (i + 1) ? 8 : p.len > 8 * i ? p.len - 8 * i : 0;
		p.addr[i] &= (uint8_t)(0xFF00u >> keep);
	}
	return p;
}

/* One ACL case: the lists (NULL-terminated "addr/len" strings) set in
 * the config and the tries of the program and of every variant (fast
 * path and general path), then CLIENT4's and CLIENT6's requests. */
static void acl_case(const char *const *allow, const char *const *deny, bool answered4,
		     bool answered6)
{
	static struct stun_limits l;
	uint8_t msg[1024];
	char a[64];

	memset(&l, 0, sizeof(l));
	for (int k = 0; k < 2; k++)
		for (const char *const *e = k ? deny : allow; e && *e; e++) {
			snprintf(a, sizeof(a), "%s", *e);
			char *slash = strchr(a, '/');
			*slash = 0;
			struct stun_prefix *p = k ? &l.deny[l.n_deny++] : &l.allow[l.n_allow++];
			*p = prefix(a, (unsigned int)atoi(slash + 1));
		}
	struct stun_xdp_opts o = { .limits = &l };
	set_config(&o);
	assert_int_equal(stun_xdp_acl_fill(bpf_map__fd(skel->maps.acl_allow),
					   bpf_map__fd(skel->maps.acl_deny), &l), 0);
	for (int v = 0; v < NVARIANTS; v++)
		assert_int_equal(stun_xdp_acl_fill(bpf_map__fd(variants[v]->maps.acl_allow),
						   bpf_map__fd(variants[v]->maps.acl_deny), &l), 0);
	size_t n = request(msg, false, NULL);
	for (int v6 = 0; v6 < 2; v6++) {
		uint8_t frame[MAX_FRAME];
		struct frame_spec s = spec_default(v6, msg, n);
		size_t len = build_frame(frame, &s);
		bool want = v6 ? answered6 : answered4;
		struct run r;
		for (int v = -1; v < NVARIANTS; v++) {
			if (v == V_NO_ROOM || v == V_FAST_ONLY)
				continue;	/* they pass or abort by design */
			run_frame_on(v < 0 ? skel : variants[v], frame, len, &r);
			if (want && r.ret != XDP_TX_)
				fail_msg("%s: variant %d: verdict %d, expected an answer",
					 v6 ? CLIENT6 : CLIENT4, v, r.ret);
			if (!want) {
				if (r.ret != XDP_DROP_)
					fail_msg("%s: variant %d: verdict %d, expected XDP_DROP",
						 v6 ? CLIENT6 : CLIENT4, v, r.ret);
				assert_counter(&r, STUN_XDP_DROP_ACL);
			}
		}
	}
}

/* The ACL's verdicts, deny winning over allow whichever prefix is the
 * longer (the allow trie's one lookup, STUN_XDP_ACL_*).  CLIENT4 is
 * 192.0.2.1, CLIENT6 2001:db8::42. */
static void acl_verdicts(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	const char *none[] = { NULL };
	const char *allow_c[] = { "10.0.0.0/8", "192.0.2.0/24", "2001:db8::/64", NULL };
	const char *allow_wide[] = { "192.0.0.0/16", "2001:db8::/32", NULL };
	const char *deny_wide[] = { "198.51.100.0/24", "192.0.0.0/16", "2001:db8::/32", NULL };
	const char *deny_c[] = { "192.0.2.0/24", "2001:db8::42/128", NULL };
	const char *deny_other[] = { "192.0.3.0/24", "2001:db8:1::/48", "10.0.0.0/8", NULL };

	acl_case(none, none, true, true);
	acl_case(allow_c, none, true, true);		/* on the allow list */
	acl_case(allow_wide, deny_other, true, true);	/* deny entries elsewhere */
	acl_case(allow_c, deny_wide, false, false);	/* allow inside a deny: deny wins */
	acl_case(allow_wide, deny_c, false, false);	/* deny inside an allow */
	acl_case(deny_c, deny_c, false, false);		/* the same prefix on both */
	acl_case(deny_other, none, false, false);	/* not on the allow list */
	acl_case(none, deny_c, false, false);		/* deny list only */
	acl_case(none, deny_other, true, true);
	acl_case(allow_c, none, true, true);		/* a changed list: stale entries gone */
	/* IPv6 prefixes that cover IPv4-mapped space decide IPv4 sources. */
	const char *allow_all[] = { "::/0", NULL }, *deny_v4[] = { "::ffff:0:0/96", NULL };
	acl_case(allow_all, none, true, true);
	acl_case(allow_all, deny_v4, false, true);

	/* IPv4 sources: scanned in the config while the lists are short,
	 * else the trie; the verdicts are the same. */
	static char big[STUN_XDP_ACL4_MAX + 2][24];
	const char *many[STUN_XDP_ACL4_MAX + 3];
	for (int i = 0; i <= STUN_XDP_ACL4_MAX; i++) {
		snprintf(big[i], sizeof(big[i]), "10.9.%d.0/24", i);
		many[i] = big[i];
	}
	many[STUN_XDP_ACL4_MAX + 1] = "192.0.2.1/32";
	many[STUN_XDP_ACL4_MAX + 2] = NULL;
	const char *many_v6[] = { "2001:db8::/64", NULL };
	acl_case(many, none, true, false);
	acl_case(many_v6, many, false, true);
	acl_case(deny_c, many + 1, false, true);	/* 192.0.2.1/32 denied, the rest allowed */
	acl_case(none, none, true, true);

	/* Which one decided: the config says. */
	struct stun_xdp_config c;
	static struct stun_limits l;
	memset(&l, 0, sizeof(l));
	l.n_allow = 2;
	l.allow[0] = prefix("192.0.2.0", 24);
	l.allow[1] = prefix("192.0.2.128", 25);
	l.n_deny = 1;
	l.deny[0] = prefix("2001:db8::", 32);
	stun_xdp_config_limits(&c, &l);
	assert_int_equal(c.acl_scan4, 1);
	assert_int_equal(c.acl_n4, 2);		/* the IPv6 prefix cannot match */
	assert_int_equal(c.acl4[0].mask, htonl(0xFFFFFF80u));	/* longest first */
	l.n_allow = STUN_XDP_ACL4_MAX + 1;
	for (unsigned i = 0; i < l.n_allow; i++) {
		snprintf(big[i], sizeof(big[i]), "10.8.%u.0", i);
		l.allow[i] = prefix(big[i], 24);
	}
	stun_xdp_config_limits(&c, &l);
	assert_int_equal(c.acl_scan4, 0);
}

/* One request from src (a literal address): the verdict. */
static int limited_run(const char *src, struct run *r)
{
	uint8_t msg[1024], frame[MAX_FRAME];
	size_t n = request(msg, false, NULL);
	struct frame_spec s = spec_default(strchr(src, ':') != NULL, msg, n);

	s.src = src;
	run_frame(frame, build_frame(frame, &s), r);
	return r->ret;
}

/* The bucket of the prefix of IPv4-mapped key k, or NULL. */
static bool find_bucket(const uint32_t k[4], struct stun_xdp_bucket *out)
{
	static struct stun_xdp_bucket_set set;
	int fd = bpf_map__fd(skel->maps.buckets);

	for (uint32_t i = 0; i < STUN_XDP_BUCKET_SETS; i++) {
		assert_int_equal(bpf_map_lookup_elem(fd, &i, &set), 0);
		for (int w = 0; w < STUN_XDP_BUCKET_WAYS; w++)
			if (set.way[w].tat && !memcmp(set.way[w].key.w, k, 16)) {
				*out = set.way[w];
				return true;
			}
	}
	return false;
}

/* The per-source buckets: exactly BURST answers to a prefix at once (the
 * rate is 1/s: no token comes back within the burst's microseconds), then
 * drops counted in the prefix's bucket; other prefixes untouched; and a
 * flood of new prefixes larger than the table recycles buckets without
 * forgetting the limited one (its time runs furthest ahead). */
static void source_buckets(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	/* BURST s ahead: the flood (seconds) cannot catch the limited bucket up. */
	enum { BURST = 50, FLOOD = 3 * STUN_XDP_BUCKETS / 2 };
	static struct stun_limits l;
	static struct stun_xdp_bucket_set zero_set;
	struct stun_xdp_opts o = { .limits = &l };
	struct stun_xdp_bucket b;
	struct run r;
	char a[64];

	memset(&l, 0, sizeof(l));
	l.rate = 1, l.burst = BURST, l.prefix4 = 24, l.prefix6 = 64;
	set_config(&o);
	for (uint32_t i = 0; i < STUN_XDP_BUCKET_SETS; i++)
		assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.buckets), &i,
						     &zero_set, BPF_ANY), 0);
	/* 192.0.2.1 and 192.0.2.77 share a /24; 2001:db8::42 and ::99 a /64. */
	const char *first[] = { "192.0.2.1", "2001:db8::42" };
	const char *same[] = { "192.0.2.77", "2001:db8::99" };
	const char *other[] = { "203.0.113.5", "2001:db8:1::1" };
	for (int v6 = 0; v6 < 2; v6++) {
		for (int i = 0; i < BURST; i++)
			if (limited_run(first[v6], &r) != XDP_TX_)
				fail_msg("%s: request %d of the burst: verdict %d", first[v6], i,
					 r.ret);
		assert_int_equal(limited_run(first[v6], &r), XDP_DROP_);
		assert_counter(&r, STUN_XDP_DROP_RATE);
		assert_int_equal(limited_run(same[v6], &r), XDP_DROP_);
		assert_counter(&r, STUN_XDP_DROP_RATE);
		assert_int_equal(limited_run(other[v6], &r), XDP_TX_);
	}
	const uint32_t k4[4] = { 0, 0, htonl(0xFFFF), htonl(0xC0000200) };
	assert_true(find_bucket(k4, &b));
	assert_int_equal(b.drops, 2);
	/* The flood: 98304 /64s, one request each, all answered. */
	for (int i = 0; i < FLOOD; i++) {
		snprintf(a, sizeof(a), "2001:db8:%x:%x::9", 0x100 + (i >> 16), i & 0xFFFF);
		if (limited_run(a, &r) != XDP_TX_)
			for (int c = 0; c < STUN_XDP_COUNTER_COUNT; c++)
				if (r.moved[c])
					fail_msg("flood source %s (%d): verdict %d, %s", a, i, r.ret,
						 stun_xdp_counter_name(c));
	}
	/* The limited prefix's bucket is still there, untouched (a token may
	 * have come back while the flood ran, so no request is sent now). */
	struct stun_xdp_bucket after;
	assert_true(find_bucket(k4, &after));
	assert_int_equal(after.drops, 2);
	assert_int_equal(after.tat, b.tat);
	/* Spread over the sets by the hash, and recycled: the table holds
	 * most of it, never all of it. */
	unsigned int used = 0;
	static struct stun_xdp_bucket_set set;
	for (uint32_t i = 0; i < STUN_XDP_BUCKET_SETS; i++) {
		assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.buckets), &i, &set), 0);
		for (int w = 0; w < STUN_XDP_BUCKET_WAYS; w++)
			used += set.way[w].tat != 0;
	}
	if (used < STUN_XDP_BUCKETS * 3 / 4 || used >= FLOOD)
		fail_msg("%u buckets in use after a flood of %d prefixes", used, FLOOD);
	struct stun_xdp_opts off = { 0 };
	set_config(&off);
}

/* The limits' clock, from the kernel's tick count (jiffies, with the
 * CONFIG_HZ that stun_xdp_kconfig() read) and where the tick rate is unknown
 * (CONFIG_HZ=0: the coarse clock): a source gets its burst, is refused, and
 * a token comes back once time passes (a stuck clock would refuse it for
 * ever), with and without the global cap. */
static void limits_clock(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	enum { RATE = 20, BURST = 20 };	/* a token every 50 ms */
	static struct stun_limits l;
	struct stun_xdp_opts o = { .limits = &l };
	struct stun_xdp *saved = skel;
	struct stun_xdp_config c;
	char err[STUN_XDP_ERRLEN], src[32];
	uint32_t zero = 0;
	struct run r;

	for (int k = 0; k < 4; k++) {
		const char *kconfig = k & 1 ? "CONFIG_HZ=0\n" : stun_xdp_kconfig();
		LIBBPF_OPTS(bpf_object_open_opts, oo, .kconfig = kconfig);
		struct stun_xdp *mine = stun_xdp__open_opts(&oo);
		const char *why = NULL;

		assert_non_null(mine);
		assert_int_equal(stun_xdp__load(mine), 0);
		memset(&l, 0, sizeof(l));
		l.rate = RATE, l.burst = BURST, l.prefix4 = 32, l.prefix6 = 64;
		l.max_rate = k & 2 ? 1000000 : 0;
		assert_int_equal(stun_xdp_config_init(&c, &o, err, sizeof(err)), 0);
		add_local_addrs(&c);
		assert_int_equal(bpf_map_update_elem(bpf_map__fd(mine->maps.config), &zero, &c,
						     BPF_ANY), 0);
		snprintf(src, sizeof(src), "192.0.2.%d", 20 + k);
		skel = mine;
		for (int i = 0; i < BURST && !why; i++)
			if (limited_run(src, &r) != XDP_TX_)
				why = "a request of the burst was refused";
		if (!why && (limited_run(src, &r) != XDP_DROP_ || !r.moved[STUN_XDP_DROP_RATE]))
			why = "the request past the burst was answered";
		usleep(200000);	/* about 4 tokens */
		if (!why && limited_run(src, &r) != XDP_TX_)
			why = "no token came back in 200 ms";
		skel = saved;
		stun_xdp__destroy(mine);
		if (why)
			fail_msg("%.*s%s: %s", (int)strcspn(kconfig, "\n"), kconfig,
				 k & 2 ? ", with the cap" : "", why);
	}
}

/* The enable flag, without reloading anything. */
static void enable_flag(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024];
	struct stun_xdp_opts off = { .disabled = true }, on = { 0 };
	size_t n = request(msg, false, NULL);
	struct frame_spec s = spec_default(false, msg, n);
	set_config(&off);
	run_expect_pass(&s, STUN_XDP_PASS_DISABLED);
	run_expect_tx(&s, &on);
}

/* Other traffic: not IP, not UDP, IPv6 extension headers, QinQ. */
static void other_traffic(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024], frame[MAX_FRAME];
	struct stun_xdp_opts o = { 0 };
	struct run r;
	set_config(&o);
	size_t n = request(msg, false, NULL);
	struct frame_spec s = spec_default(false, msg, n);
	s.next_header = IPPROTO_TCP;
	run_expect_pass(&s, STUN_XDP_PASS_NOT_UDP);
	s = spec_default(true, msg, n);
	s.next_header = IPPROTO_DSTOPTS;	/* an extension header */
	run_expect_pass(&s, STUN_XDP_PASS_NOT_UDP);
	s = spec_default(false, msg, n);
	size_t len = build_frame(frame, &s);
	put16(frame + 12, ETH_P_ARP);
	run_frame(frame, len, &r);
	assert_passed(&r, frame, len, STUN_XDP_PASS_NOT_IP);
	/* Two tags: the inner one is not parsed (one tag is the promise). */
	s.vlan_tpid = ETH_P_8021AD;
	len = build_frame(frame, &s);
	put16(frame + 16, ETH_P_8021Q);
	run_frame(frame, len, &r);
	assert_passed(&r, frame, len, STUN_XDP_PASS_NOT_IP);
}

/* Ethernet padding after the datagram: answered, and the answer is
 * exactly as long as it should be. */
static void trailer(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024];
	struct stun_xdp_opts o = { .software = SOFTWARE };
	size_t n = request(msg, true, NULL);
	for (int v6 = 0; v6 < 2; v6++) {
		struct frame_spec s = spec_default(v6, msg, n);
		s.trailer = 30;
		run_expect_tx(&s, &o);
	}
}

/* Bigger than STUN_XDP_MAX_MSG: a success for the codec, the daemon's. */
static void too_big(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024] = { 0 };
	struct stun_xdp_opts o = { 0 };
	set_config(&o);
	/* Header + optional attribute 0x8055 filling the rest. */
	for (size_t total = STUN_XDP_MAX_MSG - 8; total <= STUN_XDP_MAX_MSG + 8;
	     total += 4) {
		size_t n = request(msg, false, NULL);
		assert_int_equal(n, 20);
		put16(msg + 2, (uint16_t)(total - 20));
		put16(msg + 20, 0x8055);
		put16(msg + 22, (uint16_t)(total - 24));
		struct frame_spec s = spec_default(false, msg, total);
		if (total <= STUN_XDP_MAX_MSG)
			run_expect_tx(&s, &o);
		else
			run_expect_pass(&s, STUN_XDP_PASS_TOO_BIG);
	}
}

/* --ice-aware: PRIORITY and USE-CANDIDATE understood, as the codec's
 * ice_aware.  The browser seeds exercise it. */
static void ice_aware(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	struct stun_xdp_opts o = { .ice_aware = true, .software = SOFTWARE };
	char path[600];
	int answered = 0;
	for (int i = 1; i <= 5; i++) {
		static const char *const names[] = { "", "1_chrome55", "2_firefox50",
			"3_firefox51", "4_chrome55", "5_firefox51" };
		uint8_t msg[4096];
		const char *d = getenv("STUN_VECTORS");
		snprintf(path, sizeof(path), "%s/seeds/pion_frombrowsers_%s.bin",
			 d ? d : "tests/data/vectors", names[i]);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		size_t n = fread(msg, 1, sizeof(msg), f);
		fclose(f);
		for (int v6 = 0; v6 < 2; v6++) {
			struct frame_spec s = spec_default(v6, msg, n);
			uint8_t want[512];
			struct stun_reply rep;
			answered += codec_answer(&s, &o, want, sizeof(want), &rep);
			check_agrees(&s, &o);
		}
	}
	/* The table must actually have exercised answers. */
	assert_true(answered > 0);
}

/* Two FINGERPRINTs, the second valid over everything before it: the
 * codec checks the first one, which is not last, and drops. */
static void two_fingerprints(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024];
	struct stun_xdp_opts o = { 0 };
	set_config(&o);
	size_t n = request(msg, true, NULL);
	put16(msg + 2, (uint16_t)(n + 8 - 20));
	put16(msg + n, STUN_ATTR_FINGERPRINT);
	put16(msg + n + 2, 4);
	uint32_t fp = stun_fingerprint(msg, n);
	for (int i = 0; i < 4; i++)
		msg[n + 4 + i] = (uint8_t)(fp >> (24 - 8 * i));
	for (int v6 = 0; v6 < 2; v6++) {
		struct frame_spec s = spec_default(v6, msg, n + 8);
		uint8_t want[256];
		struct stun_reply rep;
		assert_false(codec_answer(&s, &o, want, sizeof(want), &rep));
		assert_int_equal(rep.reason, STUN_DROP_FP_NOT_LAST);
		run_expect_pass(&s, STUN_XDP_PASS_FINGERPRINT);
	}
}

/* SOFTWARE padding is zero even when the map holds garbage past the text
 * (another writer than stunctl): byte-identical to the codec still. */
static void software_padding(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024], frame[MAX_FRAME], want[256];
	struct stun_xdp_opts o = { .software = "abcde" };
	struct stun_xdp_config c;
	struct stun_reply rep;
	struct run r;
	char err[STUN_XDP_ERRLEN];
	uint32_t zero = 0;

	assert_int_equal(stun_xdp_config_init(&c, &o, err, sizeof(err)), 0);
	add_local_addrs(&c);
	memset(c.software + 5, 'X', sizeof(c.software) - 5);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &c,
					     BPF_ANY), 0);
	size_t n = request(msg, true, NULL);
	struct frame_spec s = spec_default(false, msg, n);
	size_t len = build_frame(frame, &s);
	assert_true(codec_answer(&s, &o, want, sizeof(want), &rep));
	run_frame(frame, len, &r);
	assert_answer(&r, &s, want, rep.len);
}

/* ------------------------------------------------------------------------ */
/* The fast path, and growing the frame                                      */
/* ------------------------------------------------------------------------ */

static void assert_same_run(const struct run *a, const struct run *b)
{
	assert_int_equal(a->ret, b->ret);
	assert_int_equal(a->out_len, b->out_len);
	assert_memory_equal(a->out, b->out, a->out_len);
	for (int i = 0; i < STUN_XDP_COUNTER_COUNT; i++)
		if (a->moved[i] != b->moved[i])
			fail_msg("counter %s moved by %llu, not %llu", stun_xdp_counter_name(i),
				 (unsigned long long)a->moved[i],
				 (unsigned long long)b->moved[i]);
}

/* One frame through the production program, the general path alone and the
 * fast path alone.  The production program must do exactly what the
 * general path does (verdict, every byte, the counter); the fast path must
 * answer exactly when want_fast, and then identically, or else decline
 * (XDP_ABORTED in that copy) with the frame untouched and no counter
 * moved.  Returns the verdict. */
static int check_fast(const struct frame_spec *s, const struct stun_xdp_opts *o,
		      bool want_fast)
{
	static struct run prod, gen, fast;
	uint8_t frame[MAX_FRAME];

	set_config(o);
	size_t len = build_frame(frame, s);
	run_frame(frame, len, &prod);
	run_frame_on(variants[V_GENERAL], frame, len, &gen);
	run_frame_on(variants[V_FAST_ONLY], frame, len, &fast);
	assert_same_run(&prod, &gen);
	if (want_fast) {
		if (fast.ret != XDP_TX_)
			fail_msg("the fast path declined a frame it should answer");
		assert_same_run(&fast, &prod);
	} else {
		if (fast.ret != 0)
			fail_msg("the fast path took a frame it must leave (verdict %d)",
				 fast.ret);
		assert_int_equal(fast.out_len, len);
		assert_memory_equal(fast.out, frame, len);
		for (int i = 0; i < STUN_XDP_COUNTER_COUNT; i++)
			assert_int_equal(fast.moved[i], 0);
	}
	return prod.ret;
}

/* Every branch of the fast path: IPv4 and IPv6, plain and FINGERPRINT
 * requests, full, partial (local sender) and absent UDP checksums, under
 * the configurations that allow it and those that send the request to the
 * general path (SOFTWARE; always_fingerprint for a plain request). */
static void fast_path_answers(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	static const enum csum_mode csums[] = { CSUM_FULL, CSUM_PARTIAL, CSUM_ZERO };
	uint8_t msg[1024];
	int fast = 0;

	for (int cfg = 0; cfg < 4; cfg++) {
		struct stun_xdp_opts o = { .software = cfg & 1 ? SOFTWARE : NULL,
					   .always_fingerprint = cfg & 2,
					   .ice_aware = cfg == 0 };
		for (int fp = 0; fp < 2; fp++) {
			size_t n = request(msg, fp, NULL);
			for (int v6 = 0; v6 < 2; v6++)
				for (size_t c = 0; c < 3; c++) {
					struct frame_spec s = spec_default(v6, msg, n);
					s.udp_csum = csums[c];
					bool zero6 = v6 && csums[c] == CSUM_ZERO;
					bool want = !o.software && (fp || !o.always_fingerprint) &&
						    !zero6;
					int ret = check_fast(&s, &o, want);
					assert_int_equal(ret, zero6 ? XDP_PASS_ : XDP_TX_);
					if (!zero6)
						check_agrees(&s, &o);
					fast += want;
				}
		}
	}
	/* No SOFTWARE: 2 x 2 x 3 requests, less the 2 IPv6 ones without a
	 * checksum; with always_fingerprint too, the 5 FINGERPRINT ones. */
	assert_int_equal(fast, 10 + 5);
}

/* Frames one check away from the fast path: each must go to the general
 * path, which answers or passes it as before. */
static void fast_path_declines(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t plain[1024], fp[1024], other[1024], badfp[1024], notreq[1024];
	struct stun_xdp_opts o = { 0 }, off = { .disabled = true };
	size_t np = request(plain, false, NULL), nf = request(fp, true, NULL);

	/* 28 bytes like a FINGERPRINT request, but another attribute. */
	memcpy(other, plain, np);
	put16(other + 2, 8);
	put16(other + 20, 0x8055);
	put16(other + 22, 4);
	memset(other + 24, 7, 4);
	memcpy(badfp, fp, nf);
	badfp[nf - 1] ^= 1;
	memcpy(notreq, plain, np);
	put16(notreq, 0x0011);			/* Binding Indication */

	for (int v6 = 0; v6 < 2; v6++) {
		struct frame_spec s = spec_default(v6, plain, np);
		s.vlan_tpid = ETH_P_8021Q;
		assert_int_equal(check_fast(&s, &o, false), XDP_TX_);
		s = spec_default(v6, plain, np);
		s.trailer = 8;			/* as long as a FINGERPRINT request */
		assert_int_equal(check_fast(&s, &o, false), XDP_TX_);
		s = spec_default(v6, other, np + 8);
		assert_int_equal(check_fast(&s, &o, false), XDP_TX_);
		s = spec_default(v6, badfp, nf);
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s = spec_default(v6, notreq, np);
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s = spec_default(v6, fp, np);	/* claims a body it does not have */
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s = spec_default(v6, plain, np);
		s.udp_csum = CSUM_BAD;
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s = spec_default(v6, plain, np);
		s.dport = 3479;
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s = spec_default(v6, plain, np);
		s.sport = 0;
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s = spec_default(v6, plain, np);
		s.src = v6 ? "ff02::1" : "224.0.0.1";
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s.src = v6 ? "::" : "0.1.2.3";
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s.src = v6 ? "::ffff:192.0.2.1" : "255.255.255.255";
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s = spec_default(v6, plain, np);
		s.dst = v6 ? "2001:db8::99" : "203.0.113.9";
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s = spec_default(v6, plain, np);
		s.mac_dst = bcast;
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s = spec_default(v6, plain, np);
		s.next_header = v6 ? IPPROTO_DSTOPTS : IPPROTO_TCP;
		assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
		s = spec_default(v6, plain, np);
		assert_int_equal(check_fast(&s, &off, false), XDP_PASS_);
	}
	/* IPv4 only: options (8 bytes: as long as a FINGERPRINT request),
	 * fragments, a bad header checksum. */
	struct frame_spec s = spec_default(false, plain, np);
	s.ip_opt_len = 8;
	assert_int_equal(check_fast(&s, &o, false), XDP_TX_);
	s = spec_default(false, plain, np);
	s.frag = 0x2000;
	assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
	s = spec_default(false, plain, np);
	s.bad_ip_csum = true;
	assert_int_equal(check_fast(&s, &o, false), XDP_PASS_);
}

/* No headroom: the frame grows at the tail instead, with the same answer,
 * on both paths. */
static void grow_at_tail(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024], frame[MAX_FRAME];
	static struct run prod, tail;

	for (int cfg = 0; cfg < 2; cfg++) {
		struct stun_xdp_opts o = { .software = cfg ? SOFTWARE : NULL };
		set_config(&o);
		for (int fp = 0; fp < 2; fp++)
			for (int v6 = 0; v6 < 2; v6++)
				for (int vl = 0; vl < 2; vl++) {
					size_t n = request(msg, fp, NULL);
					struct frame_spec s = spec_default(v6, msg, n);
					s.vlan_tpid = vl ? ETH_P_8021Q : 0;
					size_t len = build_frame(frame, &s);
					run_frame(frame, len, &prod);
					run_frame_on(variants[V_TAIL], frame, len, &tail);
					assert_int_equal(prod.ret, XDP_TX_);
					assert_same_run(&tail, &prod);
				}
	}
}

/* Neither headroom nor tailroom: passed to the daemon untouched, counted
 * as pass_no_room, by both paths.  A reply that is shorter than the frame
 * (Ethernet padding) needs no room and is still sent. */
static void no_room(void **st)
{
	(void)st;
	SKIP_IF_NO_BPF();
	uint8_t msg[1024], frame[MAX_FRAME];
	static struct run r;

	for (int cfg = 0; cfg < 2; cfg++) {
		struct stun_xdp_opts o = { .software = cfg ? SOFTWARE : NULL };
		set_config(&o);
		for (int fp = 0; fp < 2; fp++)
			for (int v6 = 0; v6 < 2; v6++) {
				size_t n = request(msg, fp, NULL);
				struct frame_spec s = spec_default(v6, msg, n);
				size_t len = build_frame(frame, &s);
				run_frame_on(variants[V_NO_ROOM], frame, len, &r);
				assert_passed(&r, frame, len, STUN_XDP_PASS_NO_ROOM);
				s.trailer = 60;
				uint8_t want[256];
				struct stun_reply rep;
				assert_true(codec_answer(&s, &o, want, sizeof(want), &rep));
				len = build_frame(frame, &s);
				run_frame_on(variants[V_NO_ROOM], frame, len, &r);
				assert_answer(&r, &s, want, rep.len);
			}
	}
}

static int group_setup(void **st)
{
	(void)st;
	libbpf_set_print(NULL);
	LIBBPF_OPTS(bpf_object_open_opts, oo, .kconfig = stun_xdp_kconfig());
	skel = stun_xdp__open_opts(&oo);
	if (skel && stun_xdp__load(skel)) {
		int e = errno;

		stun_xdp__destroy(skel);
		skel = NULL;
		errno = e;
	}
	if (!skel) {
		int e = errno;
		/* Only a missing privilege is a skip; as root, a program the
		 * verifier refuses is a failure. */
		if (geteuid() == 0 || (e != EPERM && e != EACCES)) {
			fprintf(stderr, "cannot load the XDP program: %s\n", strerror(e));
			return -1;
		}
		skip_reason = "cannot load BPF programs (needs root: CAP_BPF, CAP_PERFMON)";
		printf("# SKIP reason: %s (%s)\n", skip_reason, strerror(e));
		return 0;
	}
	for (int v = 0; v < NVARIANTS; v++) {
		variants[v] = stun_xdp__open_opts(&oo);
		if (!variants[v])
			return -1;
		variants[v]->rodata->stun_xdp_test_flags = variant_flags[v];
		if (stun_xdp__load(variants[v])) {
			fprintf(stderr, "cannot load the XDP program with test flags %#x: %s\n",
				variant_flags[v], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int group_teardown(void **st)
{
	(void)st;
	stun_xdp__destroy(skel);
	for (int v = 0; v < NVARIANTS; v++)
		stun_xdp__destroy(variants[v]);
	return 0;
}

int main(void)
{
	const char *d = getenv("STUN_VECTORS");
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(generated_requests),
		cmocka_unit_test(truncated_frames),
		cmocka_unit_test(ip_options),
		cmocka_unit_test(fragments),
		cmocka_unit_test(ports),
		cmocka_unit_test(input_checksums),
		cmocka_unit_test(bogus_sources),
		cmocka_unit_test(not_local),
		cmocka_unit_test(enable_flag),
		cmocka_unit_test(other_traffic),
		cmocka_unit_test(trailer),
		cmocka_unit_test(too_big),
		cmocka_unit_test(ice_aware),
		cmocka_unit_test(two_fingerprints),
		cmocka_unit_test(software_padding),
		cmocka_unit_test(fast_path_answers),
		cmocka_unit_test(fast_path_declines),
		cmocka_unit_test(grow_at_tail),
		cmocka_unit_test(no_room),
		cmocka_unit_test(acl_verdicts),
		cmocka_unit_test(source_buckets),
		cmocka_unit_test(limits_clock),
	};

	vcases = calloc(MAX_CASES, sizeof(*vcases));
	if (!vcases)
		return 1;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[ntests++] = fixed[i];
	walk_vectors(d ? d : "tests/data/vectors", "");
	if (nvcases < 40) {
		fprintf(stderr, "found only %d vector cases: wrong directory?\n", nvcases);
		return 1;
	}
	int rc = _cmocka_run_group_tests("test_xdp_prog", tests, (size_t)ntests,
					 group_setup, group_teardown);
	free(vcases);
	return rc;
}
