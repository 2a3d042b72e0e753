/* SPDX-License-Identifier: MIT */
/*
 * test_respond.c - stun_respond beyond the vector table: IPv6, SOFTWARE,
 * the RFC 5780 source table from every local address, advertised addresses,
 * answering in place, short output buffers and sources never answered.
 */
#include "test_util.h"

static const uint8_t tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static size_t request(uint8_t *buf, size_t cap, const struct stun_request_opts *o)
{
	size_t n = stun_build_request(buf, cap, tid, o);
	assert_int_not_equal(n, 0);
	return n;
}

static void check_mapped(const uint8_t *resp, size_t len, const struct stun_addr *want)
{
	struct stun_response_info info;
	assert_int_equal(stun_parse_response(resp, len, tid, false, &info), STUN_RESP_OK);
	assert_true(info.has_xor_mapped);
	assert_true(stun_addr_equal(&info.mapped, want));
}

/* Basic mode over IPv6: a 44-byte answer with the peer's address. */
static void basic_ipv6(void **s)
{
	(void)s;
	uint8_t req[64], out[256];
	struct stun_request_opts o = { 0 };
	struct stun_server_cfg cfg;
	struct stun_reply rep;
	struct stun_addr peer = addr_of("[2001:db8::42]:50000");
	struct stun_addr local = addr_of("[2001:db8::1]:3478");

	stun_server_cfg_init(&cfg);
	size_t n = request(req, sizeof(req), &o);
	assert_int_equal(stun_respond(req, n, &peer, &local, &cfg, out, sizeof(out), &rep),
			 STUN_VERDICT_SUCCESS);
	assert_int_equal(rep.len, STUN_BASIC_RESP_V6_LEN);
	assert_true(stun_addr_equal(&rep.src, &local));
	assert_true(stun_addr_equal(&rep.dst, &peer));
	check_mapped(out, rep.len, &peer);

	o.fingerprint = true;
	n = request(req, sizeof(req), &o);
	assert_int_equal(stun_respond(req, n, &peer, &local, &cfg, out, sizeof(out), &rep),
			 STUN_VERDICT_SUCCESS);
	assert_int_equal(rep.len, STUN_BASIC_RESP_V6_LEN + 8);
	check_mapped(out, rep.len, &peer);
}

static void software_and_always_fingerprint(void **s)
{
	(void)s;
	uint8_t req[64], out[256];
	struct stun_request_opts o = { 0 };
	struct stun_server_cfg cfg;
	struct stun_reply rep;
	struct stun_response_info info;
	struct stun_addr peer = addr_of("192.0.2.1:32853"), local = addr_of("198.51.100.1:3478");

	stun_server_cfg_init(&cfg);
	assert_int_equal(stun_server_cfg_software(&cfg, "stunring 0.1"), 0);
	cfg.always_fingerprint = true;
	size_t n = request(req, sizeof(req), &o);
	assert_int_equal(stun_respond(req, n, &peer, &local, &cfg, out, sizeof(out), &rep),
			 STUN_VERDICT_SUCCESS);
	assert_int_equal(rep.len, 32 + 4 + 12 + 8);
	assert_int_equal(stun_parse_response(out, rep.len, tid, false, &info), STUN_RESP_OK);
	assert_true(info.has_fingerprint);
	assert_int_equal(info.software_len, 12);
	assert_memory_equal(info.software, "stunring 0.1", 12);
}

static void software_validation(void **s)
{
	(void)s;
	struct stun_server_cfg cfg;
	char long_text[STUN_SOFTWARE_MAX + 2];

	stun_server_cfg_init(&cfg);
	memset(long_text, 'a', sizeof(long_text));
	long_text[STUN_SOFTWARE_MAX] = 0;
	assert_int_equal(stun_server_cfg_software(&cfg, long_text), 0);
	long_text[STUN_SOFTWARE_MAX] = 'a';
	long_text[STUN_SOFTWARE_MAX + 1] = 0;
	assert_int_equal(stun_server_cfg_software(&cfg, long_text), -1);
	assert_int_equal(stun_server_cfg_software(&cfg, "caf\xc3\xa9"), 0);
	assert_int_equal(stun_server_cfg_software(&cfg, "bad \xc3"), -1);
	assert_int_equal(stun_server_cfg_software(&cfg, "\xc0\x80"), -1);	/* overlong */
	assert_int_equal(stun_server_cfg_software(&cfg, "\xed\xa0\x80"), -1);	/* surrogate */
	assert_int_equal(stun_server_cfg_software(&cfg, "\xf4\x90\x80\x80"), -1); /* > U+10FFFF */
	assert_int_equal(stun_server_cfg_software(&cfg, ""), 0);
	assert_null(cfg.software);
}

static void dual_config(struct stun_server_cfg *cfg)
{
	stun_server_cfg_init(cfg);
	cfg->mode = STUN_MODE_RFC5780;
	cfg->has_alt = true;
	cfg->primary = addr_of("198.51.100.1:3478");
	cfg->alt = addr_of("198.51.100.2:3479");
}

/* RFC 5780 Table 1 from each of the four local (address, port) pairs. */
static void source_table_all_sockets(void **s)
{
	(void)s;
	const char *locals[4] = { "198.51.100.1:3478", "198.51.100.1:3479",
				  "198.51.100.2:3478", "198.51.100.2:3479" };
	struct stun_server_cfg cfg;
	struct stun_addr peer = addr_of("192.0.2.1:32853");

	dual_config(&cfg);
	for (int l = 0; l < 4; l++) {
		struct stun_addr local = addr_of(locals[l]);
		for (uint32_t flags = 0; flags <= 6; flags += 2) {
			uint8_t req[64], out[256];
			struct stun_request_opts o = { .change_request = true, .change_flags = flags };
			struct stun_reply rep;
			struct stun_response_info info;
			size_t n = request(req, sizeof(req), &o);
			assert_int_equal(stun_respond(req, n, &peer, &local, &cfg, out,
						      sizeof(out), &rep), STUN_VERDICT_SUCCESS);
			/* Expected: swap the IP and/or the port as asked. */
			struct stun_addr want = local, other;
			other.family = local.family;
			memcpy(other.ip, local.ip[3] == 1 ? cfg.alt.ip : cfg.primary.ip, 16);
			other.port = local.port == 3478 ? 3479 : 3478;
			if (flags & STUN_CHANGE_IP)
				memcpy(want.ip, other.ip, 16);
			if (flags & STUN_CHANGE_PORT)
				want.port = other.port;
			assert_true(stun_addr_equal(&rep.src, &want));
			assert_true(stun_addr_equal(&rep.dst, &peer));
			assert_int_equal(stun_parse_response(out, rep.len, tid, false, &info),
					 STUN_RESP_OK);
			assert_true(info.has_origin && stun_addr_equal(&info.origin, &want));
			assert_true(info.has_other && stun_addr_equal(&info.other, &other));
			assert_true(info.has_mapped && stun_addr_equal(&info.plain_mapped, &peer));
		}
	}
}

/* Behind a 1:1 NAT the advertised IPs replace the local ones. */
static void advertised_addresses(void **s)
{
	(void)s;
	uint8_t req[64], out[256];
	struct stun_server_cfg cfg;
	struct stun_reply rep;
	struct stun_response_info info;
	struct stun_addr peer = addr_of("192.0.2.1:32853"), local = addr_of("198.51.100.1:3478");
	struct stun_request_opts o = { .change_request = true, .change_flags = STUN_CHANGE_PORT };

	dual_config(&cfg);
	cfg.advertise_primary = addr_of("203.0.113.1");
	cfg.advertise_alt = addr_of("203.0.113.2");
	size_t n = request(req, sizeof(req), &o);
	assert_int_equal(stun_respond(req, n, &peer, &local, &cfg, out, sizeof(out), &rep),
			 STUN_VERDICT_SUCCESS);
	assert_true(addr_is(&rep.src, "198.51.100.1:3479"));
	assert_int_equal(stun_parse_response(out, rep.len, tid, false, &info), STUN_RESP_OK);
	assert_true(addr_is(&info.origin, "203.0.113.1:3479"));
	assert_true(addr_is(&info.other, "203.0.113.2:3479"));

	/* Classic: SOURCE-ADDRESS and CHANGED-ADDRESS likewise. */
	uint8_t ctid[16];
	memset(ctid, 0x5a, sizeof(ctid));
	struct stun_request_opts co = { .classic = true };
	n = stun_build_request(req, sizeof(req), ctid, &co);
	assert_int_equal(stun_respond(req, n, &peer, &local, &cfg, out, sizeof(out), &rep),
			 STUN_VERDICT_SUCCESS);
	assert_int_equal(stun_parse_response(out, rep.len, ctid, true, &info), STUN_RESP_OK);
	assert_true(info.classic);
	assert_true(stun_addr_equal(&info.mapped, &peer));
	assert_true(addr_is(&info.origin, "203.0.113.1:3478"));
	assert_true(addr_is(&info.other, "203.0.113.2:3479"));
}

/* PADDING fills the response up to the request's size and never further
 * (conformance item 64, project policy); a request too small to hold the
 * answer's address attributes plus an empty PADDING gets none. */
static void padding_never_amplifies(void **s)
{
	(void)s;
	struct stun_server_cfg cfg;
	struct stun_addr peer = addr_of("192.0.2.1:32853"), local = addr_of("198.51.100.1:3478");
	unsigned answered = 0, dropped = 0;

	dual_config(&cfg);
	for (uint16_t pad = 1; pad <= 1400; pad += 7) {
		uint8_t req[1500], out[1500 + STUN_RESPONSE_OVERHEAD];
		struct stun_request_opts o = { .padding = pad, .fingerprint = pad & 1 };
		struct stun_reply rep;
		struct stun_response_info info;
		size_t n = request(req, sizeof(req), &o);
		/* 20 + XOR-MAPPED, MAPPED, RESPONSE-ORIGIN, OTHER-ADDRESS (48)
		 * + PADDING header (4) + FINGERPRINT when the request has it. */
		size_t fixed = 20 + 48 + 4 + (o.fingerprint ? 8 : 0);
		enum stun_verdict v = stun_respond(req, n, &peer, &local, &cfg, out, sizeof(out), &rep);

		if (n < fixed) {
			assert_int_equal(v, STUN_VERDICT_DROP);
			assert_int_equal(rep.reason, STUN_DROP_PADDING_SMALL);
			dropped++;
			continue;
		}
		assert_int_equal(v, STUN_VERDICT_SUCCESS);
		assert_int_equal(stun_parse_response(out, rep.len, tid, false, &info), STUN_RESP_OK);
		assert_true(info.has_padding);
		assert_int_equal(info.padding_len, n - fixed);
		assert_int_equal(rep.len, n);
		answered++;
	}
	assert_true(answered > 100 && dropped > 3);
}

/* Every vector, every configuration: answering over the request itself
 * gives the same bytes as answering into a separate buffer. */
static void in_place_equals_copy(void **s)
{
	(void)s;
	const char *files[] = { "edge/01_minimal_binding_request.bin",
				"edge/02_binding_request_software_fingerprint.bin",
				"edge/10_classic_binding_request.bin",
				"edge/11_classic_change_request_ip_and_port.bin",
				"edge/40_unknown_comprehension_required.bin",
				"edge/60_change_request_ip_and_port.bin",
				"edge/65_response_port_with_padding.bin",
				"edge/66_padding_64.bin",
				"rfc5769_sample_request.bin",
				"seeds/pion_frombrowsers_2_firefox50.bin" };
	const char *configs[] = { "basic/udp", "single-ip/udp", "dual-ip/udp" };
	struct stun_addr peer = addr_of(REF_CLIENT), local = addr_of(REF_A1);

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		for (int c = 0; c < 3; c++) {
			uint8_t a[1024], b[1024], out[1024];
			struct stun_server_cfg cfg;
			struct stun_reply r1, r2;
			size_t n = load_vector(files[f], a, sizeof(a));
			memcpy(b, a, n);
			ref_config(&cfg, configs[c]);
			stun_respond(a, n, &peer, &local, &cfg, out, sizeof(out), &r1);
			stun_respond(b, n, &peer, &local, &cfg, b, sizeof(b), &r2);
			assert_int_equal(r1.verdict, r2.verdict);
			assert_int_equal(r1.len, r2.len);
			assert_memory_equal(out, b, r1.len);
		}
}

/* Too small an output buffer: a drop with no_room, no byte past cap. */
static void short_output_buffer(void **s)
{
	(void)s;
	uint8_t req[256];
	struct stun_server_cfg cfg;
	struct stun_addr peer = addr_of(REF_CLIENT), local = addr_of(REF_A1);
	size_t n = load_vector("edge/40_unknown_comprehension_required.bin", req, sizeof(req));

	ref_config(&cfg, "dual-ip/udp");
	for (size_t cap = 0; cap < 64; cap++) {
		uint8_t out[128];
		struct stun_reply rep;
		memset(out, 0xEE, sizeof(out));
		enum stun_verdict v = stun_respond(req, n, &peer, &local, &cfg, out, cap, &rep);
		if (cap < 36) {
			assert_int_equal(v, STUN_VERDICT_DROP);
			assert_int_equal(rep.reason, STUN_DROP_NO_ROOM);
		} else {
			assert_int_equal(v, STUN_VERDICT_ERROR);
			assert_int_equal(rep.len, 36);	/* 24-byte request: no phrase */
		}
		for (size_t i = cap; i < sizeof(out); i++)
			assert_int_equal(out[i], 0xEE);
	}
}

/* Item 79: unspecified, multicast, broadcast sources and port 0. */
static void bogus_sources_dropped(void **s)
{
	(void)s;
	const char *bogus[] = { "0.0.0.0:1000", "0.1.2.3:1000", "224.0.0.1:1000",
				"239.255.255.250:1900", "255.255.255.255:1000",
				"192.0.2.1:0", "[::]:1000", "[ff02::1]:1000",
				"[2001:db8::1]:0" };
	const char *fine[] = { "192.0.2.1:1", "10.0.0.1:65535", "127.0.0.1:5000",
			       "[::1]:5000", "[fe80::1]:5000", "223.255.255.255:9" };
	uint8_t req[64], out[256];
	struct stun_request_opts o = { 0 };
	struct stun_server_cfg cfg;
	struct stun_reply rep;
	size_t n = request(req, sizeof(req), &o);

	stun_server_cfg_init(&cfg);
	for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		struct stun_addr p = addr_of(bogus[i]);
		struct stun_addr l = addr_of(p.family == STUN_FAMILY_IPV6 ? "[::1]:3478" : "127.0.0.1:3478");
		assert_int_equal(stun_respond(req, n, &p, &l, &cfg, out, sizeof(out), &rep),
				 STUN_VERDICT_DROP);
		assert_int_equal(rep.reason, STUN_DROP_BOGUS_SOURCE);
	}
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		struct stun_addr p = addr_of(fine[i]);
		struct stun_addr l = addr_of(p.family == STUN_FAMILY_IPV6 ? "[::1]:3478" : "127.0.0.1:3478");
		assert_int_equal(stun_respond(req, n, &p, &l, &cfg, out, sizeof(out), &rep),
				 STUN_VERDICT_SUCCESS);
	}
}

static void classic_disabled(void **s)
{
	(void)s;
	uint8_t req[64], out[256];
	struct stun_server_cfg cfg;
	struct stun_reply rep;
	struct stun_addr peer = addr_of(REF_CLIENT), local = addr_of(REF_A1);
	size_t n = load_vector("edge/10_classic_binding_request.bin", req, sizeof(req));

	stun_server_cfg_init(&cfg);
	cfg.classic = false;
	assert_int_equal(stun_respond(req, n, &peer, &local, &cfg, out, sizeof(out), &rep),
			 STUN_VERDICT_DROP);
	assert_int_equal(rep.reason, STUN_DROP_NO_COOKIE);
}

/* Errors never follow RESPONSE-PORT or CHANGE-REQUEST (item 37). */
static void errors_go_back_to_source(void **s)
{
	(void)s;
	uint8_t req[64], out[256];
	struct stun_server_cfg cfg;
	struct stun_reply rep;
	struct stun_addr peer = addr_of(REF_CLIENT), local = addr_of(REF_A1);
	struct stun_request_opts o = { .response_port = 40000, .padding = 8 };
	size_t n = request(req, sizeof(req), &o);

	dual_config(&cfg);
	assert_int_equal(stun_respond(req, n, &peer, &local, &cfg, out, sizeof(out), &rep),
			 STUN_VERDICT_ERROR);
	assert_int_equal(rep.error_code, 400);
	assert_true(stun_addr_equal(&rep.dst, &peer));
	assert_true(stun_addr_equal(&rep.src, &local));
}

/* Over TCP, a changed source or port is impossible: 400. */
static void tcp_rejects_changes(void **s)
{
	(void)s;
	uint8_t req[64], out[256];
	struct stun_server_cfg cfg;
	struct stun_reply rep;
	struct stun_addr peer = addr_of(REF_CLIENT), local = addr_of(REF_A1);
	struct stun_request_opts o = { .change_request = true, .change_flags = 0 };

	dual_config(&cfg);
	cfg.transport = STUN_TRANSPORT_TCP;
	size_t n = request(req, sizeof(req), &o);
	assert_int_equal(stun_respond(req, n, &peer, &local, &cfg, out, sizeof(out), &rep),
			 STUN_VERDICT_SUCCESS);	/* no flags: fine on TCP */
	o.change_flags = STUN_CHANGE_PORT;
	n = request(req, sizeof(req), &o);
	assert_int_equal(stun_respond(req, n, &peer, &local, &cfg, out, sizeof(out), &rep),
			 STUN_VERDICT_ERROR);
	assert_int_equal(rep.error_code, 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_ipv6),
		cmocka_unit_test(software_and_always_fingerprint),
		cmocka_unit_test(software_validation),
		cmocka_unit_test(source_table_all_sockets),
		cmocka_unit_test(advertised_addresses),
		cmocka_unit_test(padding_never_amplifies),
		cmocka_unit_test(in_place_equals_copy),
		cmocka_unit_test(short_output_buffer),
		cmocka_unit_test(bogus_sources_dropped),
		cmocka_unit_test(classic_disabled),
		cmocka_unit_test(errors_go_back_to_source),
		cmocka_unit_test(tcp_rejects_changes),
	};
	return cmocka_run_group_tests_name("respond", tests, NULL, NULL);
}
