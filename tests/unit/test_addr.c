/* SPDX-License-Identifier: MIT */
/* test_addr.c - text and sockaddr forms of transport addresses. */
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static void parse_and_format(void **s)
{
	(void)s;
	const char *round[] = { "192.0.2.1:32853", "0.0.0.0:0", "255.255.255.255:65535",
				"[::1]:3478", "[2001:db8::1]:1" };
	char buf[STUN_ADDR_STRLEN];
	struct stun_addr a;

	for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		assert_int_equal(stun_addr_parse(&a, round[i], 0), 0);
		assert_string_equal(stun_addr_format(&a, buf, sizeof(buf)), round[i]);
	}
	assert_int_equal(stun_addr_parse(&a, "10.1.2.3", 3478), 0);
	assert_int_equal(a.port, 3478);
	assert_int_equal(stun_addr_parse(&a, "2001:db8::5", 3478), 0);
	assert_int_equal(a.family, STUN_FAMILY_IPV6);
	assert_int_equal(a.port, 3478);
	assert_int_equal(stun_addr_parse(&a, "[::]", 9), 0);
	assert_int_equal(a.port, 9);

	const char *bad[] = { "", ":", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:-1",
			      "1.2.3.4:+5", "1.2.3.4:5x", "1.2.3", "host:80", "[::1",
			      "[::1]x", "[::1]:99999", "[1.2.3.4:5", "1.2.3.4.5:6",
			      "[]:5", "fe80::1%eth0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (stun_addr_parse(&a, bad[i], 1) == 0)
			fail_msg("accepted '%s'", bad[i]);
	/* A too-small output buffer truncates, never overflows. */
	char tiny[6];
	assert_int_equal(stun_addr_parse(&a, "192.0.2.1:32853", 0), 0);
	assert_string_equal(stun_addr_format(&a, tiny, sizeof(tiny)), "192.0");
	a.family = 7;
	assert_string_equal(stun_addr_format(&a, buf, sizeof(buf)), "?");
}

static void sockaddr_conversions(void **s)
{
	(void)s;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(4000) };
	struct sockaddr_storage ss;
	struct stun_addr a, b;

	/* ::ffff:192.0.2.7 is reported as IPv4 (item 19). */
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
	assert_int_equal(stun_addr_from_sockaddr(&a, (struct sockaddr *)&s6, sizeof(s6)), 0);
	assert_true(addr_is(&a, "192.0.2.7:4000"));
	inet_pton(AF_INET6, "2001:db8::7", &s6.sin6_addr);
	assert_int_equal(stun_addr_from_sockaddr(&a, (struct sockaddr *)&s6, sizeof(s6)), 0);
	assert_true(addr_is(&a, "[2001:db8::7]:4000"));
	assert_int_equal(stun_addr_to_sockaddr(&a, &ss), sizeof(struct sockaddr_in6));
	assert_int_equal(stun_addr_from_sockaddr(&b, (struct sockaddr *)&ss, sizeof(ss)), 0);
	assert_true(stun_addr_equal(&a, &b));

	a = addr_of("198.51.100.1:3478");
	assert_int_equal(stun_addr_to_sockaddr(&a, &ss), sizeof(struct sockaddr_in));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	assert_int_equal(s4->sin_family, AF_INET);
	assert_int_equal(ntohs(s4->sin_port), 3478);
	assert_int_equal(stun_addr_from_sockaddr(&b, (struct sockaddr *)&ss, sizeof(*s4)), 0);
	assert_true(stun_addr_equal(&a, &b));
	/* Short length or another family. */
	assert_int_equal(stun_addr_from_sockaddr(&b, (struct sockaddr *)&ss, 4), -1);
	ss.ss_family = AF_UNIX;
	assert_int_equal(stun_addr_from_sockaddr(&b, (struct sockaddr *)&ss, sizeof(ss)), -1);
}

static void equality(void **s)
{
	(void)s;
	struct stun_addr a = addr_of("10.0.0.1:1"), b = addr_of("10.0.0.1:2");
	assert_true(stun_addr_ip_equal(&a, &b));
	assert_false(stun_addr_equal(&a, &b));
	b = addr_of("[::a00:1]:1");
	assert_false(stun_addr_ip_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_and_format),
		cmocka_unit_test(sockaddr_conversions),
		cmocka_unit_test(equality),
	};
	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
