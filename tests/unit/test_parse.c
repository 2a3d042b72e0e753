/* SPDX-License-Identifier: MIT */
/*
 * test_parse.c - stun_parse, stun_frame_len and the attribute decoders on
 * the RFC 5769 vectors and on hand-made messages.
 */
#include "test_util.h"

#define SERVER_MASK                                                           \
	(STUN_BIT(STUN_ATTR_MAPPED_ADDRESS) | STUN_BIT(STUN_ATTR_USERNAME) |  \
	 STUN_BIT(STUN_ATTR_MESSAGE_INTEGRITY) | STUN_BIT(STUN_ATTR_REALM) |  \
	 STUN_BIT(STUN_ATTR_NONCE) | STUN_BIT(STUN_ATTR_XOR_MAPPED_ADDRESS) | \
	 STUN_BIT(STUN_ATTR_ERROR_CODE) | STUN_BIT(STUN_ATTR_USERHASH) |      \
	 STUN_BIT(STUN_ATTR_PASSWORD_ALGORITHM) |                             \
	 STUN_BIT(STUN_ATTR_MESSAGE_INTEGRITY_SHA256))

static enum stun_drop_reason parse_file(const char *rel, struct stun_msg *m,
					uint8_t *buf, size_t cap)
{
	size_t n = load_vector(rel, buf, cap);
	return stun_parse(m, buf, n, STUN_TRANSPORT_UDP, STUN_CLASSIC_REQUEST,
			  SERVER_MASK);
}

/* RFC 5769 2.1: SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME (padded with
 * spaces), MESSAGE-INTEGRITY, FINGERPRINT. */
static void rfc5769_sample_request(void **s)
{
	(void)s;
	uint8_t buf[512];
	struct stun_msg m;
	uint16_t len;

	assert_int_equal(parse_file("rfc5769_sample_request.bin", &m, buf, sizeof(buf)),
			 STUN_DROP_NONE);
	assert_int_equal(m.len, 108);
	assert_int_equal(m.type, STUN_BINDING_REQUEST);
	assert_int_equal(m.method, STUN_METHOD_BINDING);
	assert_int_equal(m.cls, STUN_CLASS_REQUEST);
	assert_false(m.classic);
	assert_int_equal(m.n_attrs, 6);
	assert_true(m.fp_present);
	static const uint8_t tid[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
					 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };
	assert_memory_equal(stun_tid(&m), tid, 12);

	const uint8_t *v = stun_attr_value(&m, STUN_SLOT_SOFTWARE, &len);
	assert_non_null(v);
	assert_int_equal(len, 16);
	assert_memory_equal(v, "STUN test client", 16);
	v = stun_attr_value(&m, STUN_SLOT_USERNAME, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(v, "evtj:h6vY", 9);
	v = stun_attr_value(&m, STUN_SLOT_MESSAGE_INTEGRITY, &len);
	assert_int_equal(len, 20);
	assert_int_equal(v[0], 0x9a);
	v = stun_attr_value(&m, STUN_SLOT_FINGERPRINT, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(v, "\xe5\x7a\x3b\xcf", 4);
	/* PRIORITY is comprehension-required and not in the mask. */
	assert_int_equal(m.n_unknown, 1);
	assert_int_equal(m.unknown[0], STUN_ATTR_PRIORITY);
	v = stun_find_attr(&m, STUN_ATTR_ICE_CONTROLLED, &len);
	assert_non_null(v);
	assert_int_equal(len, 8);
	assert_null(stun_find_attr(&m, STUN_ATTR_REALM, &len));
}

/* RFC 5769 2.4: long-term credentials, no FINGERPRINT. */
static void rfc5769_long_term(void **s)
{
	(void)s;
	uint8_t buf[512];
	struct stun_msg m;
	uint16_t len;

	assert_int_equal(parse_file("rfc5769_sample_request_long_term.bin", &m, buf,
				    sizeof(buf)), STUN_DROP_NONE);
	assert_false(m.fp_present);
	assert_int_equal(m.n_unknown, 0);
	const uint8_t *v = stun_attr_value(&m, STUN_SLOT_USERNAME, &len);
	assert_int_equal(len, 18);
	assert_memory_equal(v, "\xe3\x83\x9e\xe3\x83\x88", 6);
	v = stun_find_attr(&m, STUN_ATTR_NONCE, &len);
	assert_int_equal(len, 28);
	assert_memory_equal(v, "f//499k954d6OL34oL9FSTvy64sA", 28);
	v = stun_find_attr(&m, STUN_ATTR_REALM, &len);
	assert_int_equal(len, 11);
	assert_memory_equal(v, "example.org", 11);
	v = stun_attr_value(&m, STUN_SLOT_MESSAGE_INTEGRITY, &len);
	assert_int_equal(len, 20);
	assert_memory_equal(v, "\xf6\x70\x24\x65", 4);
}

/* RFC 8489 B.1 (erratum 6268): MESSAGE-INTEGRITY-SHA256 located. */
static void rfc8489_b1(void **s)
{
	(void)s;
	uint8_t buf[512];
	struct stun_msg m;
	uint16_t len;

	assert_int_equal(parse_file("rfc8489_b1_sha256_request_errata6268.bin", &m,
				    buf, sizeof(buf)), STUN_DROP_NONE);
	const uint8_t *v = stun_attr_value(&m, STUN_SLOT_MESSAGE_INTEGRITY_SHA256, &len);
	assert_non_null(v);
	assert_int_equal(len, 32);
	assert_int_equal(v[0], 0xb5);
	assert_null(stun_attr_value(&m, STUN_SLOT_MESSAGE_INTEGRITY, &len));
}

/* Every FINGERPRINT in the RFC 5769 vectors verifies. */
static void rfc5769_fingerprints(void **s)
{
	(void)s;
	const char *files[] = { "rfc5769_sample_request.bin",
				"rfc5769_sample_ipv4_response.bin",
				"rfc5769_sample_ipv6_response.bin" };
	const uint32_t crc[] = { 0xe57a3bcf, 0xc07d4c96, 0xc8fb0b4c };
	for (int i = 0; i < 3; i++) {
		uint8_t buf[512];
		struct stun_msg m;
		size_t n = load_vector(files[i], buf, sizeof(buf));
		assert_int_equal(stun_parse(&m, buf, n, STUN_TRANSPORT_UDP,
					    STUN_CLASSIC_NONE, ~UINT64_C(0)),
				 STUN_DROP_NONE);
		assert_true(m.fp_present);
		assert_int_equal(stun_fingerprint(buf, n - 8), crc[i]);
		/* Any flipped bit before the CRC is caught. */
		buf[n / 2] ^= 0x10;
		assert_int_equal(stun_parse(&m, buf, n, STUN_TRANSPORT_UDP,
					    STUN_CLASSIC_NONE, ~UINT64_C(0)),
				 STUN_DROP_FP_CRC);
	}
}

static void crc32_known_values(void **s)
{
	(void)s;
	assert_int_equal(stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
	assert_int_equal(stun_crc32((const uint8_t *)"", 0), 0);
	/* Every length around the 8-byte stride agrees with a bitwise CRC. */
	uint8_t b[40];
	for (int i = 0; i < 40; i++)
		b[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(b); n++) {
		uint32_t c = 0xFFFFFFFF;
		for (size_t i = 0; i < n; i++) {
			c ^= b[i];
			for (int k = 0; k < 8; k++)
				c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
		}
		assert_int_equal(stun_crc32(b, n), ~c);
	}
}

struct drop_case {
	const char *file;
	enum stun_drop_reason why;
};

static void edge_drop_reasons(void **s)
{
	(void)s;
	const struct drop_case cases[] = {
		{ "edge/20_truncated_header_19_bytes.bin", STUN_DROP_SHORT },
		{ "edge/21_empty_datagram.bin", STUN_DROP_SHORT },
		{ "edge/22_length_not_multiple_of_4.bin", STUN_DROP_LEN_ALIGN },
		{ "edge/23_length_field_shorter_than_datagram.bin", STUN_DROP_LEN_MISMATCH },
		{ "edge/24_length_field_longer_than_datagram.bin", STUN_DROP_LEN_MISMATCH },
		{ "edge/25_attribute_overruns_message.bin", STUN_DROP_ATTR_OVERRUN },
		{ "edge/26_attribute_padding_missing.bin", STUN_DROP_LEN_MISMATCH },
		{ "edge/27_top_two_bits_set.bin", STUN_DROP_TOP_BITS },
		{ "edge/28_huge_length_field.bin", STUN_DROP_LEN_MISMATCH },
		{ "edge/14_classic_shared_secret_request.bin", STUN_DROP_CLASSIC_TYPE },
		{ "edge/50_bad_fingerprint.bin", STUN_DROP_FP_CRC },
		{ "edge/51_fingerprint_not_last.bin", STUN_DROP_FP_NOT_LAST },
		{ "edge/52_fingerprint_wrong_length.bin", STUN_DROP_FP_LEN },
		{ "edge/70_tcp_two_requests_back_to_back.bin", STUN_DROP_LEN_MISMATCH },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[512];
		struct stun_msg m;
		enum stun_drop_reason r = parse_file(cases[i].file, &m, buf, sizeof(buf));
		if (r != cases[i].why)
			fail_msg("%s: got %s, want %s", cases[i].file,
				 stun_drop_reason_name(r),
				 stun_drop_reason_name(cases[i].why));
	}
}

static void classic_admission(void **s)
{
	(void)s;
	uint8_t buf[512];
	struct stun_msg m;
	size_t n = load_vector("edge/10_classic_binding_request.bin", buf, sizeof(buf));

	assert_int_equal(stun_parse(&m, buf, n, STUN_TRANSPORT_UDP,
				    STUN_CLASSIC_REQUEST, 0), STUN_DROP_NONE);
	assert_true(m.classic);
	assert_memory_equal(stun_tid(&m),
			    "\xa1\xb2\xc3\xd4\xe5\xf6\x07\x18\x29\x3a\x4b\x5c\x6d\x7e\x8f\x90", 16);
	assert_int_equal(stun_parse(&m, buf, n, STUN_TRANSPORT_UDP,
				    STUN_CLASSIC_NONE, 0), STUN_DROP_NO_COOKIE);
	assert_int_equal(stun_parse(&m, buf, n, STUN_TRANSPORT_TCP,
				    STUN_CLASSIC_REQUEST, 0), STUN_DROP_NO_COOKIE);
	/* A server never admits a classic response, a client never a request. */
	assert_int_equal(stun_parse(&m, buf, n, STUN_TRANSPORT_UDP,
				    STUN_CLASSIC_RESPONSE, 0), STUN_DROP_CLASSIC_TYPE);
	n = load_vector("expected/10_classic_binding_request.response.bin", buf, sizeof(buf));
	assert_int_equal(stun_parse(&m, buf, n, STUN_TRANSPORT_UDP,
				    STUN_CLASSIC_RESPONSE, ~UINT64_C(0)), STUN_DROP_NONE);
	assert_int_equal(stun_parse(&m, buf, n, STUN_TRANSPORT_UDP,
				    STUN_CLASSIC_REQUEST, ~UINT64_C(0)), STUN_DROP_CLASSIC_TYPE);
}

/* Duplicates: the first instance wins, unknown types are listed once in
 * order of appearance, and the list is capped. */
static void duplicates_and_unknown_cap(void **s)
{
	(void)s;
	uint8_t buf[1024];
	struct stun_writer w;
	static const uint8_t tid[12];
	struct stun_msg m;
	uint16_t len;

	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING_REQUEST, tid, false);
	stun_w_attr(&w, STUN_ATTR_SOFTWARE, "one", 3);
	stun_w_attr(&w, STUN_ATTR_SOFTWARE, "second", 6);
	for (int i = 0; i < 40; i++)
		stun_w_attr(&w, (uint16_t)(0x4000 + i % 36), NULL, 0);
	size_t n = stun_w_finish(&w);
	assert_int_not_equal(n, 0);
	assert_int_equal(stun_parse(&m, buf, n, STUN_TRANSPORT_UDP,
				    STUN_CLASSIC_NONE, 0), STUN_DROP_NONE);
	const uint8_t *v = stun_attr_value(&m, STUN_SLOT_SOFTWARE, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "one", 3);
	assert_int_equal(m.n_attrs, 42);
	assert_int_equal(m.n_unknown, STUN_MAX_UNKNOWN);
	for (int i = 0; i < STUN_MAX_UNKNOWN; i++)
		assert_int_equal(m.unknown[i], 0x4000 + i);
}

/* A zero-length attribute is legal; an attribute header cut short is not. */
static void attribute_walk_bounds(void **s)
{
	(void)s;
	uint8_t buf[64] = { 0x00, 0x01, 0x00, 0x04, 0x21, 0x12, 0xa4, 0x42 };
	struct stun_msg m;

	/* 0x8FFF with length 0. */
	buf[20] = 0x8f, buf[21] = 0xff;
	assert_int_equal(stun_parse(&m, buf, 24, STUN_TRANSPORT_UDP,
				    STUN_CLASSIC_NONE, 0), STUN_DROP_NONE);
	/* Length 1 needs 4 bytes of value+padding: 24 + 4 > 24. */
	buf[23] = 1;
	assert_int_equal(stun_parse(&m, buf, 24, STUN_TRANSPORT_UDP,
				    STUN_CLASSIC_NONE, 0), STUN_DROP_ATTR_OVERRUN);
	/* Huge attribute length inside a small message. */
	buf[22] = 0xff, buf[23] = 0xfc;
	assert_int_equal(stun_parse(&m, buf, 24, STUN_TRANSPORT_UDP,
				    STUN_CLASSIC_NONE, 0), STUN_DROP_ATTR_OVERRUN);
}

/* TCP framing: nothing until the whole message is there, then exactly it. */
static void tcp_framing(void **s)
{
	(void)s;
	uint8_t buf[128];
	size_t n = load_vector("edge/70_tcp_two_requests_back_to_back.bin", buf, sizeof(buf));

	assert_int_equal(n, 60);
	for (size_t i = 0; i < 20; i++)
		assert_int_equal(stun_frame_len(buf, i), 0);
	assert_int_equal(stun_frame_len(buf, 20), 20);
	assert_int_equal(stun_frame_len(buf, n), 20);
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(stun_frame_len(buf + 20, i), 0);
	assert_int_equal(stun_frame_len(buf + 20, 40), 40);
	/* Unframeable: top bits, odd length, no cookie. */
	uint8_t bad[20];
	memcpy(bad, buf, 20);
	bad[0] = 0x80;
	assert_int_equal(stun_frame_len(bad, 20), -1);
	assert_int_equal(stun_frame_len(bad, 4), -1);
	memcpy(bad, buf, 20);
	bad[3] = 2;
	assert_int_equal(stun_frame_len(bad, 20), -1);
	memcpy(bad, buf, 20);
	bad[4] = 0;
	assert_int_equal(stun_frame_len(bad, 20), -1);
}

static void decoders(void **s)
{
	(void)s;
	struct stun_addr a;
	uint32_t flags;
	uint16_t port, list[4];
	unsigned n;
	int code;
	const char *reason;
	uint16_t rl;

	assert_int_equal(stun_decode_addr(&a, (const uint8_t *)"\0\1\x80\x55\xc0\0\2\1", 8), 0);
	assert_int_equal(a.port, 32853);
	assert_int_equal(stun_decode_addr(&a, (const uint8_t *)"\0\1\x80\x55\xc0\0\2\1", 7), -1);
	assert_int_equal(stun_decode_addr(&a, (const uint8_t *)"\0\3\x80\x55\xc0\0\2\1", 8), -1);
	assert_int_equal(stun_decode_addr(&a, (const uint8_t *)"\0\2\x80\x55\xc0\0\2\1", 8), -1);
	assert_int_equal(stun_decode_addr(&a, (const uint8_t *)"\0\1", 2), -1);
	assert_int_equal(stun_decode_change_request((const uint8_t *)"\0\0\0\6", 4, &flags), 0);
	assert_int_equal(flags, 6);
	assert_int_equal(stun_decode_change_request((const uint8_t *)"\0\6", 2, &flags), -1);
	assert_int_equal(stun_decode_response_port((const uint8_t *)"\x9c\x40", 2, &port), 0);
	assert_int_equal(port, 40000);
	assert_int_equal(stun_decode_response_port((const uint8_t *)"\x9c\x40\0\0", 4, &port), 0);
	assert_int_equal(stun_decode_response_port((const uint8_t *)"\x9c\x40\0", 3, &port), -1);
	assert_int_equal(stun_decode_unknown((const uint8_t *)"\0\x24\0\x31", 4, list, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[1], 0x31);
	assert_int_equal(stun_decode_unknown((const uint8_t *)"\0\x24\0", 3, list, 4, &n), -1);
	assert_int_equal(stun_decode_error((const uint8_t *)"\0\0\4\x14Unknown", 11, &code,
					   &reason, &rl), 0);
	assert_int_equal(code, 420);
	assert_int_equal(rl, 7);
	assert_int_equal(stun_decode_error((const uint8_t *)"\0\0\7\x14", 4, &code, &reason, &rl), -1);
	assert_int_equal(stun_decode_error((const uint8_t *)"\0\0\4\x64", 4, &code, &reason, &rl), -1);
	assert_int_equal(stun_decode_error((const uint8_t *)"\0\0\4", 3, &code, &reason, &rl), -1);
}

static void drop_reason_names(void **s)
{
	(void)s;
	for (int r = 0; r < STUN_DROP_REASON_COUNT; r++) {
		const char *n = stun_drop_reason_name(r);
		assert_non_null(n);
		assert_true(strlen(n) > 0);
		for (int q = 0; q < r; q++)
			assert_string_not_equal(n, stun_drop_reason_name(q));
	}
	assert_string_equal(stun_drop_reason_name(STUN_DROP_REASON_COUNT), "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc5769_sample_request),
		cmocka_unit_test(rfc5769_long_term),
		cmocka_unit_test(rfc8489_b1),
		cmocka_unit_test(rfc5769_fingerprints),
		cmocka_unit_test(crc32_known_values),
		cmocka_unit_test(edge_drop_reasons),
		cmocka_unit_test(classic_admission),
		cmocka_unit_test(duplicates_and_unknown_cap),
		cmocka_unit_test(attribute_walk_bounds),
		cmocka_unit_test(tcp_framing),
		cmocka_unit_test(decoders),
		cmocka_unit_test(drop_reason_names),
	};
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
