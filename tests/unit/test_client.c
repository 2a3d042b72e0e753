/* SPDX-License-Identifier: MIT */
/*
 * test_client.c - the client helpers: build requests, read responses (the
 * RFC 5769 samples, classic answers, errors), and reject what does not
 * answer our transaction.
 */
#include "test_util.h"

static const uint8_t tid5769[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
				     0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };

static void rfc5769_responses(void **s)
{
	(void)s;
	uint8_t buf[256];
	struct stun_response_info info;
	size_t n = load_vector("rfc5769_sample_ipv4_response.bin", buf, sizeof(buf));

	assert_int_equal(stun_parse_response(buf, n, tid5769, false, &info), STUN_RESP_OK);
	assert_true(addr_is(&info.mapped, "192.0.2.1:32853"));
	assert_true(info.has_fingerprint);
	assert_int_equal(info.software_len, 11);
	assert_memory_equal(info.software, "test vector", 11);

	n = load_vector("rfc5769_sample_ipv6_response.bin", buf, sizeof(buf));
	assert_int_equal(stun_parse_response(buf, n, tid5769, false, &info), STUN_RESP_OK);
	assert_true(addr_is(&info.mapped, "[2001:db8:1234:5678:11:2233:4455:6677]:32853"));
	assert_true(info.has_xor_mapped);
	assert_false(info.has_mapped);
}

static void rejects_what_is_not_ours(void **s)
{
	(void)s;
	uint8_t buf[256];
	struct stun_response_info info;
	uint8_t other[12];
	size_t n = load_vector("rfc5769_sample_ipv4_response.bin", buf, sizeof(buf));

	memcpy(other, tid5769, 12);
	other[11] ^= 1;
	assert_int_equal(stun_parse_response(buf, n, other, false, &info), STUN_RESP_WRONG_TID);
	buf[n - 1] ^= 1;
	assert_int_equal(stun_parse_response(buf, n, tid5769, false, &info),
			 STUN_RESP_BAD_FINGERPRINT);
	assert_int_equal(stun_parse_response(buf, n - 1, tid5769, false, &info),
			 STUN_RESP_NOT_STUN);
	n = load_vector("rfc5769_sample_request.bin", buf, sizeof(buf));
	assert_int_equal(stun_parse_response(buf, n, tid5769, false, &info),
			 STUN_RESP_NOT_RESPONSE);
	/* A classic answer when we asked a modern question, and vice versa. */
	n = load_vector("expected/10_classic_binding_request.response.bin", buf, sizeof(buf));
	assert_int_equal(stun_parse_response(buf, n, tid5769, false, &info), STUN_RESP_NOT_STUN);
}

static void classic_response(void **s)
{
	(void)s;
	uint8_t buf[256];
	struct stun_response_info info;
	static const uint8_t ctid[16] = { 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18,
					  0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x90 };
	size_t n = load_vector("expected/10_classic_binding_request.response.bin", buf, sizeof(buf));

	assert_int_equal(stun_parse_response(buf, n, ctid, true, &info), STUN_RESP_OK);
	assert_true(info.classic);
	assert_false(info.has_xor_mapped);
	assert_true(addr_is(&info.mapped, "192.0.2.1:32853"));
	assert_true(info.has_origin && addr_is(&info.origin, "198.51.100.1:3478"));
	assert_true(info.has_other && addr_is(&info.other, "198.51.100.2:3479"));
}

/* The response to a CHANGE-REQUEST comes from elsewhere; only the ID counts. */
static void rfc5780_response(void **s)
{
	(void)s;
	uint8_t buf[256];
	struct stun_response_info info;
	static const uint8_t tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	size_t n = load_vector("expected/60_change_request_ip_and_port.response.bin", buf,
			       sizeof(buf));

	assert_int_equal(stun_parse_response(buf, n, tid, false, &info), STUN_RESP_OK);
	assert_true(addr_is(&info.mapped, "192.0.2.1:32853"));
	assert_true(addr_is(&info.plain_mapped, "192.0.2.1:32853"));
	assert_true(addr_is(&info.origin, "198.51.100.2:3479"));
	assert_true(addr_is(&info.other, "198.51.100.2:3479"));
}

static void error_420(void **s)
{
	(void)s;
	uint8_t buf[256], want[128];
	struct stun_response_info info;
	static const uint8_t tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	/* The dual-ip/udp answer to edge/40 from expected.tsv. */
	size_t n = load_vector("expected/40_unknown_comprehension_required.response.bin", buf,
			       sizeof(buf));

	(void)want;
	assert_int_equal(stun_parse_response(buf, n, tid, false, &info), STUN_RESP_ERROR);
	assert_int_equal(info.error_code, 420);
	assert_int_equal(info.reason_len, 0);	/* no larger than its request */
	assert_int_equal(info.n_unknown, 2);
	assert_int_equal(info.unknown[0], 0x0031);
	assert_int_equal(info.unknown[1], 0x7fff);

	/* The 108-byte RFC 5769 request's 420 has room for the phrase. */
	n = load_vector("expected/rfc5769_sample_request.response.bin", buf, sizeof(buf));
	assert_int_equal(stun_parse_response(buf, n, tid5769, false, &info), STUN_RESP_ERROR);
	assert_int_equal(info.error_code, 420);
	assert_int_equal(info.reason_len, 17);
	assert_memory_equal(info.reason, "Unknown Attribute", 17);
	assert_int_equal(info.n_unknown, 1);
	assert_int_equal(info.unknown[0], 0x0024);
}

/* Item 87: unknown required attributes fail a success response, except
 * the RFC 3489 leftovers a client may see. */
static void unknown_required_in_success(void **s)
{
	(void)s;
	uint8_t buf[128];
	struct stun_writer w;
	struct stun_response_info info;
	static const uint8_t tid[12] = { 9 };
	struct stun_addr a = addr_of("192.0.2.9:9");

	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING_SUCCESS, tid, false);
	stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &a);
	stun_w_addr(&w, STUN_ATTR_SOURCE_ADDRESS, &a);
	stun_w_attr(&w, STUN_ATTR_REFLECTED_FROM, "\0\1\0\1\1\2\3\4", 8);
	size_t n = stun_w_finish(&w);
	assert_int_equal(stun_parse_response(buf, n, tid, false, &info), STUN_RESP_OK);
	assert_true(addr_is(&info.mapped, "192.0.2.9:9"));

	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING_SUCCESS, tid, false);
	stun_w_xor_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &a);
	stun_w_attr(&w, 0x0031, NULL, 0);
	n = stun_w_finish(&w);
	assert_int_equal(stun_parse_response(buf, n, tid, false, &info), STUN_RESP_UNKNOWN_ATTR);

	/* No address at all, and a malformed one. */
	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING_SUCCESS, tid, false);
	n = stun_w_finish(&w);
	assert_int_equal(stun_parse_response(buf, n, tid, false, &info), STUN_RESP_NO_ADDRESS);
	stun_w_init(&w, buf, sizeof(buf), STUN_BINDING_SUCCESS, tid, false);
	stun_w_attr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, "\0\1\0\1", 4);
	n = stun_w_finish(&w);
	assert_int_equal(stun_parse_response(buf, n, tid, false, &info), STUN_RESP_BAD_ATTR);
}

/* Requests with every option parse as the server expects them. */
static void build_request_options(void **s)
{
	(void)s;
	uint8_t buf[256];
	struct stun_msg m;
	uint16_t len;
	static const uint8_t tid[12] = { 7 };
	struct stun_request_opts o = {
		.fingerprint = true, .software = "stunprobe", .change_request = true,
		.change_flags = STUN_CHANGE_IP, .response_port = 5000, .padding = 10,
	};
	size_t n = stun_build_request(buf, sizeof(buf), tid, &o);

	assert_int_equal(n, 20 + 8 + 8 + 16 + 16 + 8);
	assert_int_equal(stun_parse(&m, buf, n, STUN_TRANSPORT_UDP, STUN_CLASSIC_NONE,
				    ~UINT64_C(0)), STUN_DROP_NONE);
	assert_int_equal(m.type, STUN_BINDING_REQUEST);
	assert_true(m.fp_present);
	assert_non_null(stun_attr_value(&m, STUN_SLOT_CHANGE_REQUEST, &len));
	assert_non_null(stun_attr_value(&m, STUN_SLOT_RESPONSE_PORT, &len));
	assert_non_null(stun_attr_value(&m, STUN_SLOT_PADDING, &len));
	assert_int_equal(len, 10);
	assert_memory_equal(stun_attr_value(&m, STUN_SLOT_SOFTWARE, &len), "stunprobe", 9);

	/* Classic: no cookie, 16-byte ID, no FINGERPRINT even if asked. */
	uint8_t ctid[16];
	memset(ctid, 0x11, sizeof(ctid));
	struct stun_request_opts c = { .classic = true, .fingerprint = true };
	n = stun_build_request(buf, sizeof(buf), ctid, &c);
	assert_int_equal(n, 20);
	assert_memory_equal(buf + 4, ctid, 16);
	/* Classic SOFTWARE must be a multiple of 4 long (item 47). */
	c.software = "abc";
	assert_int_equal(stun_build_request(buf, sizeof(buf), ctid, &c), 0);
	/* Too small a buffer. */
	assert_int_equal(stun_build_request(buf, 19, tid, &o), 0);
	assert_int_equal(stun_build_request(buf, 40, tid, &o), 0);
}

static void status_names(void **s)
{
	(void)s;
	for (int i = STUN_RESP_OK; i <= STUN_RESP_BAD_ATTR; i++)
		assert_string_not_equal(stun_resp_status_name(i), "invalid");
	assert_string_equal(stun_resp_status_name(99), "invalid");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc5769_responses),
		cmocka_unit_test(rejects_what_is_not_ours),
		cmocka_unit_test(classic_response),
		cmocka_unit_test(rfc5780_response),
		cmocka_unit_test(error_420),
		cmocka_unit_test(unknown_required_in_success),
		cmocka_unit_test(build_request_options),
		cmocka_unit_test(status_names),
	};
	return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
