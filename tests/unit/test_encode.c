/* SPDX-License-Identifier: MIT */
/*
 * test_encode.c - the writer and every attribute encoder: exact bytes where
 * an RFC gives them, round trips through the parser otherwise, and no byte
 * written past the caller's buffer.
 */
#include "test_util.h"

static const uint8_t tid5769[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
				     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };

/* XOR-MAPPED-ADDRESS bytes of RFC 5769 2.2 and 2.3. */
static void xor_mapped_rfc5769(void **s)
{
	(void)s;
	uint8_t buf[128];
	struct stun_writer w;
	struct stun_addr v4 = addr_of("192.0.2.1:32853");
	struct stun_addr v6 = addr_of("[2001:db8:1234:5678:11:2233:4455:6677]:32853");

	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING_SUCCESS, tid5769, false);
	stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &v4);
	stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &v6);
	assert_int_equal(stun_w_finish(&w), 20 + 12 + 24);
	assert_memory_equal(buf + 20, "\x00\x20\x00\x08\x00\x01\xa1\x47\xe1\x12\xa6\x43", 12);
	assert_memory_equal(buf + 32,
			    "\x00\x20\x00\x14\x00\x02\xa1\x47\x01\x13\xa9\xfa\xa5\xd3\xf1\x79"
			    "\xbc\x25\xf4\xb5\xbe\xd2\xb9\xd9", 24);
	/* Header: type, length, cookie, transaction ID. */
	assert_memory_equal(buf, "\x01\x01\x00\x24\x21\x12\xa4\x42", 8);
	assert_memory_equal(buf + 8, tid5769, 12);
}

/* Every encoder, then the parser and the decoders read the same values. */
static void round_trip_all_attributes(void **s)
{
	(void)s;
	uint8_t buf[512];
	struct stun_writer w;
	struct stun_msg m;
	struct stun_addr a4 = addr_of("203.0.113.7:1234"), a6 = addr_of("[2001:db8::1]:65535");
	struct stun_addr got;
	uint16_t len, port, list[8];
	uint32_t flags;
	unsigned n;
	int code;
	const char *reason;
	const uint16_t unk[3] = { 0x0031, 0x7fff, 0x0024 };

	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING_ERROR, tid5769, false);
	stun_w_addr(&w, STUN_ATTR_MAPPED_ADDRESS, &a4);
	stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &a6);
	stun_w_addr(&w, STUN_ATTR_RESPONSE_ORIGIN, &a6);
	stun_w_addr(&w, STUN_ATTR_OTHER_ADDRESS, &a4);
	stun_w_addr(&w, STUN_ATTR_SOURCE_ADDRESS, &a4);
	stun_w_addr(&w, STUN_ATTR_CHANGED_ADDRESS, &a6);
	stun_w_error(&w, 420, "Unknown Attribute");
	stun_w_unknown(&w, unk, 3);
	stun_w_change_request(&w, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	stun_w_response_port(&w, 40000);
	stun_w_padding(&w, 7);
	stun_w_attr(&w, STUN_ATTR_SOFTWARE, "stunring", 8);
	stun_w_fingerprint(&w);
	size_t total = stun_w_finish(&w);
	assert_int_not_equal(total, 0);
	assert_int_equal(total % 4, 0);

	assert_int_equal(stun_parse(&m, buf, total, STUN_TRANSPORT_UDP,
				    STUN_CLASSIC_NONE, ~UINT64_C(0)), STUN_DROP_NONE);
	assert_true(m.fp_present);
	assert_int_equal(m.cls, STUN_CLASS_ERROR);
	const uint8_t *v = stun_attr_value(&m, STUN_SLOT_MAPPED_ADDRESS, &len);
	assert_int_equal(stun_decode_addr(&got, v, len), 0);
	assert_true(stun_addr_equal(&got, &a4));
	v = stun_attr_value(&m, STUN_SLOT_XOR_MAPPED_ADDRESS, &len);
	assert_int_equal(stun_decode_xor_addr(&got, v, len, stun_tid(&m)), 0);
	assert_true(stun_addr_equal(&got, &a6));
	v = stun_attr_value(&m, STUN_SLOT_RESPONSE_ORIGIN, &len);
	assert_int_equal(stun_decode_addr(&got, v, len), 0);
	assert_true(stun_addr_equal(&got, &a6));
	v = stun_attr_value(&m, STUN_SLOT_OTHER_ADDRESS, &len);
	assert_int_equal(stun_decode_addr(&got, v, len), 0);
	assert_true(stun_addr_equal(&got, &a4));
	v = stun_attr_value(&m, STUN_SLOT_SOURCE_ADDRESS, &len);
	assert_int_equal(stun_decode_addr(&got, v, len), 0);
	assert_true(stun_addr_equal(&got, &a4));
	v = stun_attr_value(&m, STUN_SLOT_CHANGED_ADDRESS, &len);
	assert_int_equal(stun_decode_addr(&got, v, len), 0);
	assert_true(stun_addr_equal(&got, &a6));
	v = stun_attr_value(&m, STUN_SLOT_ERROR_CODE, &len);
	assert_int_equal(stun_decode_error(v, len, &code, &reason, &len), 0);
	assert_int_equal(code, 420);
	assert_int_equal(len, 17);
	assert_memory_equal(reason, "Unknown Attribute", 17);
	v = stun_attr_value(&m, STUN_SLOT_UNKNOWN_ATTRIBUTES, &len);
	assert_int_equal(len, 6);	/* modern: odd count, normal padding */
	assert_int_equal(stun_decode_unknown(v, len, list, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(list, unk, sizeof(unk));
	assert_memory_equal(v + 6, "\0\0", 2);
	v = stun_attr_value(&m, STUN_SLOT_CHANGE_REQUEST, &len);
	assert_int_equal(stun_decode_change_request(v, len, &flags), 0);
	assert_int_equal(flags, 6);
	v = stun_attr_value(&m, STUN_SLOT_RESPONSE_PORT, &len);
	assert_int_equal(len, 2);
	assert_int_equal(stun_decode_response_port(v, len, &port), 0);
	assert_int_equal(port, 40000);
	v = stun_attr_value(&m, STUN_SLOT_PADDING, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(v, "\0\0\0\0\0\0\0\0", 8);	/* value + pad all zero */
	v = stun_attr_value(&m, STUN_SLOT_SOFTWARE, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(v, "stunring", 8);
}

/* RFC 3489 peers: reason padded with spaces, unknown list made even. */
static void classic_error_padding(void **s)
{
	(void)s;
	uint8_t buf[128];
	uint8_t tid16[16];
	struct stun_writer w;
	const uint16_t unk[1] = { 0x0003 };

	memset(tid16, 0xab, sizeof(tid16));
	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING_ERROR, tid16, true);
	stun_w_error(&w, 420, "Unknown Attribute");
	stun_w_unknown(&w, unk, 1);
	size_t n = stun_w_finish(&w);
	assert_int_equal(n, 20 + 4 + 24 + 4 + 4);
	assert_memory_equal(buf + 4, tid16, 16);
	assert_memory_equal(buf + 20, "\x00\x09\x00\x18\x00\x00\x04\x14Unknown Attribute   ", 28);
	assert_memory_equal(buf + 48, "\x00\x0a\x00\x04\x00\x03\x00\x03", 8);
}

/* Nothing is ever written past cap, and overflow is reported once. */
static void writer_never_overflows(void **s)
{
	(void)s;
	struct stun_addr a6 = addr_of("[2001:db8::1]:3478");

	for (size_t cap = 0; cap <= 120; cap++) {
		uint8_t buf[160];
		struct stun_writer w;
		memset(buf, 0xEE, sizeof(buf));
		stun_w_init(&w, buf, cap, STUN_BINDING_SUCCESS, tid5769, false);
		stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &a6);
		stun_w_attr(&w, STUN_ATTR_SOFTWARE, "abcde", 5);
		stun_w_error(&w, 400, "Bad Request");
		stun_w_fingerprint(&w);
		size_t n = stun_w_finish(&w);
		const size_t need = 20 + 24 + 12 + 20 + 8;
		if (cap >= need)
			assert_int_equal(n, need);
		else
			assert_int_equal(n, 0);
		for (size_t i = cap; i < sizeof(buf); i++)
			if (buf[i] != 0xEE)
				fail_msg("cap %zu: byte %zu written", cap, i);
	}
}

static void fingerprint_counts_itself(void **s)
{
	(void)s;
	uint8_t buf[64];
	struct stun_writer w;

	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING_REQUEST, tid5769, false);
	stun_w_fingerprint(&w);
	size_t n = stun_w_finish(&w);
	assert_int_equal(n, 28);
	assert_int_equal(buf[3], 8);	/* length includes FINGERPRINT */
	/* CRC over the 20-byte header as sent (length 8), XOR "STUN". */
	uint32_t want = stun_crc32(buf, 20) ^ 0x5354554E;
	assert_int_equal(((uint32_t)buf[24] << 24 | buf[25] << 16 | buf[26] << 8 | buf[27]), want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(xor_mapped_rfc5769),
		cmocka_unit_test(round_trip_all_attributes),
		cmocka_unit_test(classic_error_padding),
		cmocka_unit_test(writer_never_overflows),
		cmocka_unit_test(fingerprint_counts_itself),
	};
	return cmocka_run_group_tests_name("encode", tests, NULL, NULL);
}
