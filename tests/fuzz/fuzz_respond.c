/* SPDX-License-Identifier: MIT */
/*
 * fuzz_respond.c - libFuzzer harness over the parser, the responder and the
 * client parser.
 *
 * Input: byte 0 picks the server configuration, byte 1 the peer, the rest
 * is the datagram.  Beyond "no crash, no sanitizer report", it checks the
 * invariants the daemon and the XDP program rely on:
 *  - a response fits the buffer, is well-formed STUN, and answers the
 *    request's transaction;
 *  - a success carries the peer's own address, except to classic peers;
 *  - answering in place gives the same bytes as answering into a copy;
 *  - the response is never larger than request + STUN_RESPONSE_OVERHEAD;
 *  - a PADDING response is never larger than its request, and an error
 *    larger than its request has an empty reason phrase (item 64, L).
 */
#include "stunring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, \
				__FILE__, __LINE__);                          \
			abort();                                              \
		}                                                             \
	} while (0)

static void pick_config(struct stun_server_cfg *cfg, uint8_t k, int v6)
{
	stun_server_cfg_init(cfg);
	cfg->mode = (k & 1) ? STUN_MODE_RFC5780 : STUN_MODE_BASIC;
	cfg->has_alt = k & 2;
	cfg->transport = (k & 4) ? STUN_TRANSPORT_TCP : STUN_TRANSPORT_UDP;
	cfg->classic = !(k & 8);
	cfg->response_port = !(k & 16);
	cfg->ice_aware = k & 32;
	cfg->always_fingerprint = k & 64;
	if (k & 128)
		stun_server_cfg_software(cfg, "stunring fuzz");
	stun_addr_parse(&cfg->primary, v6 ? "[2001:db8::1]:3478" : "198.51.100.1:3478", 0);
	stun_addr_parse(&cfg->alt, v6 ? "[2001:db8::2]:3479" : "198.51.100.2:3479", 0);
	if (k & 2 && k & 128)
		stun_addr_parse(&cfg->advertise_alt, v6 ? "2001:db8::99" : "203.0.113.2", 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536 + STUN_RESPONSE_OVERHEAD];
	static uint8_t inplace[65536 + STUN_RESPONSE_OVERHEAD];
	struct stun_server_cfg cfg;
	struct stun_reply rep, rep2;
	struct stun_addr peer, local;

	if (size < 2 || size > 65536 + 2)
		return 0;
	uint8_t k = data[0], p = data[1];
	const uint8_t *req = data + 2;
	size_t len = size - 2;
	int v6 = p & 1;

	pick_config(&cfg, k, v6);
	/* Peers include bogus ones (port 0, multicast) now and then. */
	stun_addr_parse(&peer, v6 ? ((p & 2) ? "[ff02::1]:5000" : "[2001:db8::42]:40000")
				  : ((p & 2) ? "224.0.0.1:5000" : "192.0.2.1:32853"), 0);
	if (p & 4)
		peer.port = 0;
	local = (p & 8) ? cfg.alt : cfg.primary;

	size_t cap = len + STUN_RESPONSE_OVERHEAD;
	enum stun_verdict v = stun_respond(req, len, &peer, &local, &cfg, out, cap, &rep);
	CHECK(v == rep.verdict);
	if (v == STUN_VERDICT_DROP) {
		CHECK(rep.len == 0);
		CHECK(rep.reason != STUN_DROP_NONE && rep.reason != STUN_DROP_NO_ROOM);
	} else {
		struct stun_msg m;
		CHECK(rep.len >= 20 && rep.len <= cap);
		CHECK(stun_parse(&m, out, rep.len, STUN_TRANSPORT_UDP,
				 rep.classic ? STUN_CLASSIC_RESPONSE : STUN_CLASSIC_NONE,
				 ~UINT64_C(0)) == STUN_DROP_NONE);
		CHECK(m.cls == (v == STUN_VERDICT_SUCCESS ? STUN_CLASS_SUCCESS : STUN_CLASS_ERROR));
		CHECK(!memcmp(out + 4, req + 4, 16));	/* cookie + ID copied */
		CHECK(!stun_addr_is_bogus_source(&rep.dst));
		CHECK(rep.dst.family == peer.family);
		struct stun_response_info info;
		enum stun_resp_status st = stun_parse_response(out, rep.len, req + (rep.classic ? 4 : 8),
							       rep.classic, &info);
		if (v == STUN_VERDICT_SUCCESS) {
			CHECK(st == STUN_RESP_OK);
			CHECK(stun_addr_equal(&info.mapped, &peer));
			CHECK(!rep.padding || (info.has_padding && rep.len <= len));
		} else {
			CHECK(st == STUN_RESP_ERROR);
			CHECK(info.error_code == rep.error_code);
			CHECK(rep.error_code == 400 || rep.error_code == 420);
			CHECK(rep.len <= len || info.reason_len == 0);
			CHECK(stun_addr_equal(&rep.dst, &peer));	/* item 37 */
		}
	}

	/* In place: same verdict, same bytes. */
	memcpy(inplace, req, len);
	stun_respond(inplace, len, &peer, &local, &cfg, inplace, cap, &rep2);
	CHECK(rep2.verdict == rep.verdict && rep2.len == rep.len);
	CHECK(!memcmp(inplace, out, rep.len));

	/* The client side and TCP framing on the raw bytes. */
	struct stun_response_info info;
	if (len >= STUN_HDR_LEN)
		stun_parse_response(req, len, req + ((k & 1) ? 4 : 8), k & 1, &info);
	long fl = stun_frame_len(req, len);
	CHECK(fl >= -1 && fl <= (long)len);
	return 0;
}
