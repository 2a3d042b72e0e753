/* SPDX-License-Identifier: MIT */
/* test_util.h - helpers shared by the codec unit tests. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stunring.h"

/* Where the copied spec vectors live (make test runs from the top). */
static inline const char *vectors_dir(void)
{
	const char *d = getenv("STUN_VECTORS");
	return d ? d : "tests/data/vectors";
}

/* Read a vector file relative to vectors_dir(); returns its size. */
static inline size_t load_vector(const char *rel, uint8_t *buf, size_t cap)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", vectors_dir(), rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static inline size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (hex[0] && hex[1] && n < cap) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static inline struct stun_addr addr_of(const char *s)
{
	struct stun_addr a;
	if (stun_addr_parse(&a, s, 0))
		fail_msg("bad test address %s", s);
	return a;
}

static inline bool addr_is(const struct stun_addr *a, const char *s)
{
	struct stun_addr b = addr_of(s);
	return stun_addr_equal(a, &b);
}

/* The reference configuration of vectors/README.txt section 3. */
#define REF_CLIENT "192.0.2.1:32853"
#define REF_A1 "198.51.100.1:3478"
#define REF_A2 "198.51.100.2:3479"

static inline void ref_config(struct stun_server_cfg *c, const char *name)
{
	stun_server_cfg_init(c);
	c->primary = addr_of(REF_A1);
	c->alt = addr_of(REF_A2);
	if (!strncmp(name, "basic/", 6))
		return;
	c->mode = STUN_MODE_RFC5780;
	c->has_alt = !strncmp(name, "dual-ip/", 8);
	if (strstr(name, "/tcp"))
		c->transport = STUN_TRANSPORT_TCP;
	if (strstr(name, "no-response-port"))
		c->response_port = false;
	if (strstr(name, "ice-aware"))
		c->ice_aware = true;
}

#endif
