/* SPDX-License-Identifier: MIT */
/*
 * probe_resolve.c - a server argument (HOST[:PORT], [V6]:PORT, numeric or
 * a name) into the addresses to try, in the resolver's order.
 *
 * getaddrinfo allocates inside and freeaddrinfo gives it back before this
 * returns: the caller's array is all that stays.
 */
#include "probe/probe.h"

#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

static bool family_ok(int family, uint8_t fam)
{
	return !family || (family == 4) == (fam == STUN_FAMILY_IPV4);
}

/* "1-65535" into *port. */
static bool parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return false;
	}
	if (!v)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Add a unless it is there already: a name may list an address twice. */
static unsigned int add(struct stun_addr *out, unsigned int n,
			unsigned int max, const struct stun_addr *a)
{
	for (unsigned int i = 0; i < n; i++)
		if (stun_addr_equal(&out[i], a))
			return n;
	if (n < max)
		out[n++] = *a;
	return n;
}

int probe_resolve(const char *arg, uint16_t default_port, int family,
		  struct stun_addr *out, unsigned int max, const char **why)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res, *ai;
	struct stun_addr a;
	char host[256];
	const char *colon;
	uint16_t port = default_port;
	unsigned int n = 0;
	size_t hl;
	int err;

	*why = "";
	if (!max)
		return PROBE_RESOLVE_NONE;
	if (!stun_addr_parse(&a, arg, default_port)) {
		if (a.port == 0)
			return PROBE_RESOLVE_PORT_0;
		if (!family_ok(family, a.family))
			return PROBE_RESOLVE_WRONG_FAMILY;
		out[0] = a;
		return 1;
	}
	/* Not numeric.  '[' or two colons can only be a broken IPv6 form. */
	colon = strchr(arg, ':');
	if (arg[0] == '[' || (colon && strchr(colon + 1, ':')))
		return PROBE_RESOLVE_BAD;
	hl = colon ? (size_t)(colon - arg) : strlen(arg);
	if (hl == 0 || hl >= sizeof(host))
		return PROBE_RESOLVE_BAD;
	if (colon && !parse_port(colon + 1, &port))
		return PROBE_RESOLVE_BAD_PORT;
	memcpy(host, arg, hl);
	host[hl] = 0;

	hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
	err = getaddrinfo(host, NULL, &hints, &res);
	if (err) {
		*why = gai_strerror(err);
		return PROBE_RESOLVE_FAILED;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (stun_addr_from_sockaddr(&a, ai->ai_addr, ai->ai_addrlen) ||
		    !family_ok(family, a.family))
			continue;
		a.port = port;
		n = add(out, n, max, &a);
	}
	freeaddrinfo(res);
	return n ? (int)n : PROBE_RESOLVE_NONE;
}
