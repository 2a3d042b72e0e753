/* SPDX-License-Identifier: MIT */
/*
 * xdp_config.c - the XDP responder's configuration and counter names, and
 * the local-address map: what the program is told, independent of how it
 * is attached (the unit tests use this without attaching anything).
 */
#include "xdp_loader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "stunring.h"

static const char *const counter_names[STUN_XDP_COUNTER_COUNT] = {
	[STUN_XDP_ANSWERED_V4] = "answered_v4",
	[STUN_XDP_ANSWERED_V6] = "answered_v6",
	[STUN_XDP_PASS_NOT_IP] = "pass_not_ip",
	[STUN_XDP_PASS_NOT_UDP] = "pass_not_udp",
	[STUN_XDP_PASS_PORT] = "pass_port",
	[STUN_XDP_PASS_MALFORMED] = "pass_malformed",
	[STUN_XDP_PASS_FRAGMENT] = "pass_fragment",
	[STUN_XDP_PASS_DISABLED] = "pass_disabled",
	[STUN_XDP_PASS_BOGUS_SOURCE] = "pass_bogus_source",
	[STUN_XDP_PASS_NOT_LOCAL] = "pass_not_local",
	[STUN_XDP_PASS_BAD_CSUM] = "pass_bad_checksum",
	[STUN_XDP_PASS_TOO_BIG] = "pass_too_big",
	[STUN_XDP_PASS_NOT_STUN] = "pass_not_stun",
	[STUN_XDP_PASS_CLASSIC] = "pass_classic",
	[STUN_XDP_PASS_NOT_REQUEST] = "pass_not_binding_request",
	[STUN_XDP_PASS_UNKNOWN_ATTR] = "pass_unknown_attribute",
	[STUN_XDP_PASS_FINGERPRINT] = "pass_fingerprint",
	[STUN_XDP_PASS_NO_ROOM] = "pass_no_room",
	[STUN_XDP_DROPPED] = "dropped",
	[STUN_XDP_DROP_ACL] = "drop_acl",
	[STUN_XDP_DROP_RATE] = "drop_rate_limit",
	[STUN_XDP_DROP_CAP] = "drop_global_cap",
};

const char *stun_xdp_counter_name(int i)
{
	if (i < 0 || i >= STUN_XDP_COUNTER_COUNT || !counter_names[i])
		return "invalid";
	return counter_names[i];
}

const char *stun_xdp_mode_name(enum stun_xdp_mode m)
{
	switch (m) {
	case STUN_XDP_MODE_NATIVE: return "native";
	case STUN_XDP_MODE_GENERIC: return "generic";
	default: return "auto";
	}
}

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot), 0
 * when the process does not exist.  The command name (field 2) may hold
 * spaces and parentheses: count from its last ')'. */
static uint64_t proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')');
	/* The space after ')' opens field 3; move to the one opening 22. */
	for (int field = 3; p && field <= 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &start);
	return start;
}

bool stun_xdp_owner_alive(const struct stun_xdp_config *c)
{
	uint64_t now = c->owner_pid ? proc_start_time((pid_t)c->owner_pid) : 0;

	return now && now == c->owner_start;
}

void stun_xdp_owner_text(const struct stun_xdp_config *c, char *buf, size_t n)
{
	if (!c->owner_pid)
		snprintf(buf, n, "stunctl");
	else
		snprintf(buf, n, "stunringd pid %u, %s", c->owner_pid,
			 stun_xdp_owner_alive(c) ? "running" : "no longer running");
}

const char *stun_xdp_kconfig(void)
{
	static char text[32];
	char path[128 + sizeof(((struct utsname *)0)->release)], line[256];
	unsigned int hz = 0;
	struct utsname u;
	FILE *f;

	if (text[0])
		return text;
	if (uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		f = fopen(path, "r");
		if (f) {
			while (fgets(line, sizeof(line), f))
				if (sscanf(line, "CONFIG_HZ=%u", &hz) == 1)
					break;
			fclose(f);
		}
	}
	snprintf(text, sizeof(text), "CONFIG_HZ=%u\n", hz);
	return text;
}

int stun_xdp_config_init(struct stun_xdp_config *c,
			 const struct stun_xdp_opts *o, char *err, size_t errlen)
{
	struct stun_server_cfg probe;

	memset(c, 0, sizeof(*c));
	c->enabled = !o->disabled;
	/* Keys the buckets' hash (stun_xdp.bpf.c bucket_set): unknown to a
	 * flooder, who could otherwise fill one set with prefixes of his
	 * choice.  Without entropy the table still works, only aimable. */
	if (getrandom(c->bucket_seed, sizeof(c->bucket_seed), GRND_NONBLOCK) !=
	    sizeof(c->bucket_seed))
		c->bucket_seed[0] = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
	c->always_fingerprint = o->always_fingerprint;
	/* The program answers what the daemon answers in basic mode: the
	 * codec's own mask and its own rule for SOFTWARE (length, UTF-8). */
	stun_server_cfg_init(&probe);
	probe.ice_aware = o->ice_aware;
	c->understood = stun_understood_mask(&probe);
	if (o->daemon_owned) {
		c->owner_pid = (uint32_t)getpid();
		c->owner_start = proc_start_time(getpid());
	}
	if (o->software && stun_server_cfg_software(&probe, o->software)) {
		snprintf(err, errlen, "SOFTWARE must be valid UTF-8 of at most %d bytes",
			 STUN_SOFTWARE_MAX);
		return -EINVAL;
	}
	if (probe.software_len) {
		c->software_len = probe.software_len;
		memcpy(c->software, probe.software, probe.software_len);
	}
	if (o->limits)
		stun_xdp_config_limits(c, o->limits);
	if (!o->n_ports) {
		c->ports[STUN_DEFAULT_PORT / 8] |= 1u << (STUN_DEFAULT_PORT % 8);
		return 0;
	}
	for (unsigned i = 0; i < o->n_ports; i++) {
		uint16_t p = o->ports[i];
		if (p == 0) {
			snprintf(err, errlen, "port 0 cannot be served");
			return -EINVAL;
		}
		c->ports[p / 8] |= (uint8_t)(1u << (p % 8));
	}
	return 0;
}

/* One prefix of a trie and its value. */
struct acl_entry {
	struct stun_xdp_acl_key key;
	uint8_t value;
};

/* Make the trie at fd hold exactly the n entries of e: add them, then
 * remove the others (so a changed list never passes through an empty
 * one). */
static int acl_fill(int fd, const struct acl_entry *e, uint32_t n)
{
	struct stun_xdp_acl_key k, next, stale[STUN_ACL_MAX * 4];
	unsigned int nstale = 0;
	void *prev = NULL;

	for (uint32_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &e[i].key, &e[i].value, BPF_ANY))
			return -errno;
	while (nstale < STUN_ACL_MAX * 4 && !bpf_map_get_next_key(fd, prev, &next)) {
		bool keep = false;
		for (uint32_t i = 0; i < n && !keep; i++)
			keep = next.prefixlen == e[i].key.prefixlen &&
			       !memcmp(next.addr, e[i].key.addr, 16);
		if (!keep)
			stale[nstale++] = next;
		k = next;
		prev = &k;
	}
	for (unsigned int i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	return 0;
}

/* Does prefix a lie inside prefix d (every address of a is in d)?  Both
 * are masked to their lengths. */
static bool prefix_inside(const struct stun_prefix *a, const struct stun_prefix *d)
{
	uint8_t m[16];

	if (d->len > a->len)
		return false;
	memcpy(m, a->addr, 16);
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int keep = d->len >= 8 * (i + 1) ? 8 : d->len > 8 * i ? d->len - 8 * i : 0;
		m[i] &= (uint8_t)(0xFF00u >> keep);
	}
	return !memcmp(m, d->addr, 16);
}

static void acl_entry_set(struct acl_entry *e, const struct stun_prefix *p, uint8_t value)
{
	memset(e, 0, sizeof(*e));
	e->key.prefixlen = p->len;
	memcpy(e->key.addr, p->addr, 16);
	e->value = value;
}

/* Both lists as one, each prefix with its verdict (STUN_XDP_ACL_*): an
 * allow prefix inside a deny prefix is denied, a deny prefix also on the
 * allow list is one entry.  The longest match in it gives the ACL's
 * verdict.  e: room for 2 * STUN_ACL_MAX; returns the count. */
static uint32_t acl_merged(const struct stun_limits *l, struct acl_entry *e)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < l->n_allow; i++) {
		uint8_t v = STUN_XDP_ACL_LISTED;
		for (uint32_t j = 0; j < l->n_deny; j++)
			if (prefix_inside(&l->allow[i], &l->deny[j]))
				v |= STUN_XDP_ACL_DENIED;
		acl_entry_set(&e[n++], &l->allow[i], v);
	}
	for (uint32_t j = 0; j < l->n_deny; j++) {
		bool listed = false;
		for (uint32_t i = 0; i < l->n_allow && !listed; i++)
			listed = l->allow[i].len == l->deny[j].len &&
				 !memcmp(l->allow[i].addr, l->deny[j].addr, 16);
		if (!listed)	/* else: marked denied above */
			acl_entry_set(&e[n++], &l->deny[j], STUN_XDP_ACL_DENIED);
	}
	return n;
}

/* The ACL for IPv4 sources as config.acl4[]: the merged entries that can
 * match an IPv4-mapped address, longest first.  A prefix of at least 96
 * bits matches when it is itself IPv4-mapped; a shorter one matches every
 * IPv4 source or none.  More than STUN_XDP_ACL4_MAX: the trie decides. */
static void acl_scan4(struct stun_xdp_config *c, const struct stun_limits *l)
{
	static const uint8_t mapped[12] = { [10] = 0xFF, [11] = 0xFF };
	static struct acl_entry e[2 * STUN_ACL_MAX];
	const struct stun_prefix v4space = { .addr = { [10] = 0xFF, [11] = 0xFF }, .len = 96 };
	uint32_t n = acl_merged(l, e), k = 0;
	uint32_t len[STUN_XDP_ACL4_MAX];

	c->acl_scan4 = 0;
	c->acl_n4 = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct stun_prefix p = { .len = e[i].key.prefixlen };
		uint32_t mask = 0, net = 0;

		memcpy(p.addr, e[i].key.addr, 16);
		if (p.len >= 96) {
			if (memcmp(p.addr, mapped, 12))
				continue;
			mask = p.len > 96 ? htonl(~0u << (128 - p.len)) : 0;
			memcpy(&net, p.addr + 12, 4);
			net &= mask;
		} else if (!prefix_inside(&v4space, &p)) {
			continue;
		}
		if (k == STUN_XDP_ACL4_MAX)
			return;		/* too many: acl_scan4 stays 0 */
		/* Insert, longest first (stable: equal lengths never overlap
		 * unless equal, and acl_merged makes equal ones one entry). */
		uint32_t at = k;
		while (at && len[at - 1] < p.len) {
			c->acl4[at] = c->acl4[at - 1];
			len[at] = len[at - 1];
			at--;
		}
		c->acl4[at].net = net;
		c->acl4[at].mask = mask;
		c->acl4[at].deny = e[i].value != STUN_XDP_ACL_ALLOWED;
		len[at] = p.len;
		k++;
	}
	c->acl_n4 = k;
	c->acl_scan4 = 1;
}

/* GCRA interval and tolerance (ns) of rate/s with burst (src/daemon/limiter.h). */
static void gcra_params(uint32_t rate, uint32_t burst, __u64 *t, __u64 *tau)
{
	*t = rate ? 1000000000ull / rate : 0;
	if (rate && !*t)
		*t = 1;
	*tau = (uint64_t)(burst ? burst : 1) * *t;
}

/* The bits of a 16-byte address kept by a len-bit prefix, as 4 words. */
static void prefix_words(unsigned int len, uint32_t w[4])
{
	uint8_t b[16];

	memset(b, 0xFF, sizeof(b));
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
		b[i] &= (uint8_t)(0xFF00u >> keep);
	}
	memcpy(w, b, 16);
}

void stun_xdp_config_limits(struct stun_xdp_config *c, const struct stun_limits *l)
{
	uint32_t m4[4];

	c->acl_allow = l->n_allow;
	c->acl_deny = l->n_deny;
	acl_scan4(c, l);
	/* Only success responses are answered here, so --error-rate-limit
	 * is the daemon's alone (errors and classic are passed to it). */
	gcra_params(l->rate, l->burst, &c->rate_t, &c->rate_tau);
	gcra_params(l->max_rate, l->max_rate / 10, &c->cap_t, &c->cap_tau);
	prefix_words(l->prefix6, c->kmask);
	prefix_words(96 + l->prefix4, m4);
	c->kmask4 = m4[3];
}

int stun_xdp_acl_fill(int allow_fd, int deny_fd, const struct stun_limits *l)
{
	static struct acl_entry e[2 * STUN_ACL_MAX];
	uint32_t n = 0;
	int ret;

	/* acl_allow, when there is an allow list: both lists, each prefix
	 * with its verdict (STUN_XDP_ACL_* in stun_xdp_common.h). */
	if (l->n_allow)
		n = acl_merged(l, e);
	if ((ret = acl_fill(allow_fd, e, n)))
		return ret;
	n = 0;
	for (uint32_t j = 0; j < l->n_deny; j++)
		acl_entry_set(&e[n++], &l->deny[j], 1);
	return acl_fill(deny_fd, e, n);
}

int stun_xdp_config_add_addr(struct stun_xdp_config *c, int family,
			     const void *addr)
{
	if (family == STUN_FAMILY_IPV4) {
		for (uint32_t i = 0; i < c->n_local4; i++)
			if (!memcmp(c->local4[i], addr, 4))
				return 0;
		if (c->n_local4 >= STUN_XDP_MAX_LOCAL)
			return -ENOSPC;
		memcpy(c->local4[c->n_local4++], addr, 4);
		return 1;
	}
	for (uint32_t i = 0; i < c->n_local6; i++)
		if (!memcmp(c->local6[i], addr, 16))
			return 0;
	if (c->n_local6 >= STUN_XDP_MAX_LOCAL)
		return -ENOSPC;
	memcpy(c->local6[c->n_local6++], addr, 16);
	return 1;
}

int stun_xdp_config_set_addrs(struct stun_xdp_config *c, int ifindex)
{
	struct ifaddrs *ifa, *i;
	char name[IF_NAMESIZE];
	int n = 0;

	if (!if_indextoname((unsigned)ifindex, name))
		return -errno;
	if (getifaddrs(&ifa))
		return -errno;
	c->n_local4 = c->n_local6 = 0;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, name))
			continue;
		int r = 0;
		if (i->ifa_addr->sa_family == AF_INET)
			r = stun_xdp_config_add_addr(c, STUN_FAMILY_IPV4,
				&((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			r = stun_xdp_config_add_addr(c, STUN_FAMILY_IPV6,
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
		n += r > 0;
	}
	freeifaddrs(ifa);
	return n;
}
