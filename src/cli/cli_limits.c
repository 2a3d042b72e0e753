/* SPDX-License-Identifier: MIT */
/*
 * cli_limits.c - the abuse-limit options (stun_limits.h) as stunringd and
 * `stunctl xdp attach` spell them, parsed and printed by one piece of code
 * so both accept and show exactly the same things:
 *
 *   --allow CIDR,...  --deny CIDR,...       (repeatable; 10.0.0.0/8, ::1)
 *   --rate-limit RATE[/BURST]               (0: off; BURST default RATE)
 *   --error-rate-limit RATE[/BURST]
 *   --rate-limit-prefix4 LEN  --rate-limit-prefix6 LEN
 *   --max-response-rate N                   (0: off)
 */
#include "cli/cli.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define RATE_MAX 100000000u	/* 100 M/s: more than any NIC answers */

const char *const cli_limit_options[] = {
	"allow", "deny", "rate-limit", "error-rate-limit", "rate-limit-prefix4",
	"rate-limit-prefix6", "max-response-rate", NULL,
};

void cli_limits_defaults(struct stun_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->prefix4 = STUN_LIMITS_PREFIX4_DEFAULT;
	l->prefix6 = STUN_LIMITS_PREFIX6_DEFAULT;
}

void cli_prefix_mask(uint8_t addr[16], unsigned int len)
{
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int keep = len >= 8 * (i + 1) ? 8 : len > 8 * i ? len - 8 * i : 0;
		addr[i] &= (uint8_t)(0xFF00u >> keep);
	}
}

int cli_parse_prefix(const char *s, struct stun_prefix *p, const char **why)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	struct in_addr a4;
	uint64_t len;

	*why = "expected IP/LEN (10.0.0.0/8, 2001:db8::/32) or an IP";
	if (!n || n >= sizeof(ip))
		return -1;
	memcpy(ip, s, n);
	ip[n] = 0;
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		p->addr[10] = p->addr[11] = 0xFF;
		memcpy(p->addr + 12, &a4, 4);
		if (slash && cli_parse_uint(slash + 1, 0, 32, &len, why))
			return *why = "prefix length: 0 to 32 for IPv4", -1;
		p->len = 96 + (unsigned int)(slash ? len : 32);
	} else if (inet_pton(AF_INET6, ip, p->addr) == 1) {
		if (slash && cli_parse_uint(slash + 1, 0, 128, &len, why))
			return *why = "prefix length: 0 to 128 for IPv6", -1;
		p->len = (unsigned int)(slash ? len : 128);
	} else {
		return -1;
	}
	cli_prefix_mask(p->addr, p->len);
	return 0;
}

void cli_format_prefix(const struct stun_prefix *p, char *buf, size_t n)
{
	static const uint8_t mapped[12] = { [10] = 0xFF, [11] = 0xFF };
	char ip[INET6_ADDRSTRLEN];

	if (p->len >= 96 && !memcmp(p->addr, mapped, 12)) {
		inet_ntop(AF_INET, p->addr + 12, ip, sizeof(ip));
		snprintf(buf, n, "%s/%u", ip, p->len - 96);
	} else {
		inet_ntop(AF_INET6, p->addr, ip, sizeof(ip));
		snprintf(buf, n, "%s/%u", ip, p->len);
	}
}

/* RATE[/BURST]: BURST defaults to RATE (one second's worth). */
static int parse_rate(const char *s, uint32_t *rate, uint32_t *burst, const char **why)
{
	char r[32];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t v, b;

	*why = "expected RATE or RATE/BURST";
	if (n >= sizeof(r))
		return -1;
	memcpy(r, s, n);
	r[n] = 0;
	if (cli_parse_count(r, 0, RATE_MAX, &v, why))
		return -1;
	b = v;
	if (slash && cli_parse_count(slash + 1, 1, RATE_MAX, &b, why))
		return -1;
	*rate = (uint32_t)v;
	*burst = v ? (uint32_t)b : 0;
	return 0;
}

static int add_prefixes(struct stun_prefix *list, uint32_t *n, const char *opt,
			const char *arg)
{
	struct cli_items it;
	const char *why = NULL;
	int r;

	cli_items_init(&it, arg);
	while ((r = cli_items_next(&it, &why)) > 0) {
		if (*n >= STUN_ACL_MAX)
			return cli_bad_value(opt, arg, "too many prefixes", "at most %d per list",
					     STUN_ACL_MAX);
		if (cli_parse_prefix(it.item, &list[*n], &why))
			return cli_bad_value(opt, it.item, why, "IP/LEN or IP");
		(*n)++;
	}
	if (r < 0)
		return cli_bad_value(opt, arg, why, "a list of IP/LEN");
	return -1;
}

int cli_limits_option(struct stun_limits *l, const char *name, const char *arg)
{
	char opt[48];
	const char *why = NULL;
	uint64_t v;

	snprintf(opt, sizeof(opt), "--%s", name);
	if (!strcmp(name, "allow"))
		return add_prefixes(l->allow, &l->n_allow, opt, arg);
	if (!strcmp(name, "deny"))
		return add_prefixes(l->deny, &l->n_deny, opt, arg);
	if (!strcmp(name, "rate-limit") || !strcmp(name, "error-rate-limit")) {
		bool err = name[0] == 'e';
		if (parse_rate(arg, err ? &l->err_rate : &l->rate,
			       err ? &l->err_burst : &l->burst, &why))
			return cli_bad_value(opt, arg, why, "RATE[/BURST] per second, 0 (off) "
					     "to %u", RATE_MAX);
		return -1;
	}
	if (!strcmp(name, "rate-limit-prefix4") || !strcmp(name, "rate-limit-prefix6")) {
		bool v6 = name[17] == '6';
		if (cli_parse_uint(arg, 1, v6 ? 128 : 32, &v, &why))
			return cli_bad_value(opt, arg, why, "a prefix length, 1 to %d",
					     v6 ? 128 : 32);
		*(v6 ? &l->prefix6 : &l->prefix4) = (uint8_t)v;
		return -1;
	}
	if (!strcmp(name, "max-response-rate")) {
		if (cli_parse_count(arg, 0, RATE_MAX, &v, &why))
			return cli_bad_value(opt, arg, why, "responses per second, 0 (off) "
					     "to %u", RATE_MAX);
		l->max_rate = (uint32_t)v;
		return -1;
	}
	return cli_usage_error("%s: not a limit option", opt);
}

void cli_limits_reset(struct stun_limits *l, const char *name)
{
	if (!strcmp(name, "allow"))
		l->n_allow = 0;
	else if (!strcmp(name, "deny"))
		l->n_deny = 0;
}

static void prefixes_text(const struct stun_prefix *p, uint32_t n, char *buf, size_t cap)
{
	size_t used = 0;

	buf[0] = 0;
	for (uint32_t i = 0; i < n && used + 1 < cap; i++) {
		char t[64];
		cli_format_prefix(&p[i], t, sizeof(t));
		used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", t);
	}
}

static void rate_text(uint32_t rate, uint32_t burst, char *buf, size_t n)
{
	if (rate)
		snprintf(buf, n, "%u/%u", rate, burst);
	else
		snprintf(buf, n, "0");
}

void cli_limits_text(const struct stun_limits *l, const char *name, char *buf, size_t n)
{
	buf[0] = 0;
	if (!strcmp(name, "allow"))
		prefixes_text(l->allow, l->n_allow, buf, n);
	else if (!strcmp(name, "deny"))
		prefixes_text(l->deny, l->n_deny, buf, n);
	else if (!strcmp(name, "rate-limit"))
		rate_text(l->rate, l->burst, buf, n);
	else if (!strcmp(name, "error-rate-limit"))
		rate_text(l->err_rate, l->err_burst, buf, n);
	else if (!strcmp(name, "rate-limit-prefix4"))
		snprintf(buf, n, "%u", l->prefix4);
	else if (!strcmp(name, "rate-limit-prefix6"))
		snprintf(buf, n, "%u", l->prefix6);
	else if (!strcmp(name, "max-response-rate"))
		snprintf(buf, n, "%u", l->max_rate);
}
