/* SPDX-License-Identifier: MIT */
/*
 * stun_addr.c - transport addresses: conversion to and from sockaddr,
 * text form, and the "never answer this source" check.
 */
#include "stunring.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int stun_addr_from_sockaddr(struct stun_addr *a, const struct sockaddr *sa,
			    unsigned int salen)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		a->family = STUN_FAMILY_IPV4;
		a->port = ntohs(s4->sin_port);
		memcpy(a->ip, &s4->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		a->port = ntohs(s6->sin6_port);
		if (!memcmp(&s6->sin6_addr, v4mapped_prefix, 12)) {
			a->family = STUN_FAMILY_IPV4;
			memcpy(a->ip, (const uint8_t *)&s6->sin6_addr + 12, 4);
		} else {
			a->family = STUN_FAMILY_IPV6;
			memcpy(a->ip, &s6->sin6_addr, 16);
		}
		return 0;
	}
	return -1;
}

unsigned int stun_addr_to_sockaddr(const struct stun_addr *a, void *ss)
{
	if (a->family == STUN_FAMILY_IPV6) {
		struct sockaddr_in6 *s6 = ss;
		memset(s6, 0, sizeof(*s6));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = ss;
	memset(s4, 0, sizeof(*s4));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(a->port);
	memcpy(&s4->sin_addr, a->ip, 4);
	return sizeof(*s4);
}

char *stun_addr_format(const struct stun_addr *a, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	bool v6 = a->family == STUN_FAMILY_IPV6;

	if (cap == 0)
		return buf;
	if ((a->family != STUN_FAMILY_IPV4 && !v6) ||
	    !inet_ntop(v6 ? AF_INET6 : AF_INET, a->ip, ip, sizeof(ip))) {
		snprintf(buf, cap, "?");
		return buf;
	}
	snprintf(buf, cap, v6 ? "[%s]:%u" : "%s:%u", ip, a->port);
	return buf;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int stun_addr_parse(struct stun_addr *a, const char *s, uint16_t default_port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	size_t hl;

	memset(a, 0, sizeof(*a));
	a->port = default_port;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return -1;
		hl = (size_t)(close - s - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return -1;
		s++;
	} else {
		const char *colon = strchr(s, ':');
		/* Two colons or more: a bare IPv6 address, no port. */
		if (colon && !strchr(colon + 1, ':')) {
			hl = (size_t)(colon - s);
			port = colon + 1;
		} else {
			hl = strlen(s);
		}
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (port && parse_port(port, &a->port))
		return -1;
	if (inet_pton(AF_INET, host, a->ip) == 1) {
		a->family = STUN_FAMILY_IPV4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, a->ip) == 1) {
		a->family = STUN_FAMILY_IPV6;
		return 0;
	}
	return -1;
}

bool stun_addr_ip_equal(const struct stun_addr *a, const struct stun_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->ip, b->ip, a->family == STUN_FAMILY_IPV6 ? 16 : 4);
}

bool stun_addr_equal(const struct stun_addr *a, const struct stun_addr *b)
{
	return a->port == b->port && stun_addr_ip_equal(a, b);
}

bool stun_addr_is_bogus_source(const struct stun_addr *a)
{
	static const uint8_t zero[16];

	if (a->port == 0)
		return true;
	if (a->family == STUN_FAMILY_IPV4) {
		uint8_t b0 = a->ip[0];
		/* 0.0.0.0/8 "this network", 224/4 multicast, 255.255.255.255. */
		if (b0 == 0 || (b0 & 0xF0) == 0xE0)
			return true;
		return a->ip[0] == 255 && a->ip[1] == 255 && a->ip[2] == 255 &&
		       a->ip[3] == 255;
	}
	if (a->family == STUN_FAMILY_IPV6)
		return a->ip[0] == 0xFF || !memcmp(a->ip, zero, 16);
	return true;
}
