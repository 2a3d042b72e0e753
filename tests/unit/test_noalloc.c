/* SPDX-License-Identifier: MIT */
/*
 * test_noalloc.c - the hot path never allocates.
 *
 * Linked with -Wl,--wrap=malloc,... so that every call the library (or
 * this file) makes to an allocator lands in a counting wrapper.  The test
 * first proves the wrappers catch a call, then answers every vector under
 * every configuration many times, builds and parses client messages, and
 * asserts the counters stayed at zero.
 */
#include "test_util.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__real_aligned_alloc(size_t a, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
char *__real_strdup(const char *s);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_aligned_alloc(size_t a, size_t n);
int __wrap_posix_memalign(void **p, size_t a, size_t n);
char *__wrap_strdup(const char *s);

static volatile bool armed;
static volatile unsigned long alloc_calls;

#define COUNT() do { if (armed) alloc_calls++; } while (0)
void *__wrap_malloc(size_t n) { COUNT(); return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { COUNT(); return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { COUNT(); return __real_realloc(p, n); }
void __wrap_free(void *p) { COUNT(); __real_free(p); }
void *__wrap_aligned_alloc(size_t a, size_t n) { COUNT(); return __real_aligned_alloc(a, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { COUNT(); return __real_posix_memalign(p, a, n); }
char *__wrap_strdup(const char *s) { COUNT(); return __real_strdup(s); }

/* The interposition works: a call made while armed is counted. */
static void wrappers_count(void **s)
{
	(void)s;
	armed = true;
	void *p = malloc(16);
	free(p);
	armed = false;
	assert_int_equal(alloc_calls, 2);
	alloc_calls = 0;
}

static const char *files[] = {
	"edge/01_minimal_binding_request.bin", "edge/02_binding_request_software_fingerprint.bin",
	"edge/03_binding_request_unknown_optional_only.bin", "edge/10_classic_binding_request.bin",
	"edge/11_classic_change_request_ip_and_port.bin", "edge/13_classic_response_address.bin",
	"edge/25_attribute_overruns_message.bin", "edge/30_binding_indication.bin",
	"edge/40_unknown_comprehension_required.bin", "edge/50_bad_fingerprint.bin",
	"edge/60_change_request_ip_and_port.bin", "edge/64_response_port.bin",
	"edge/65_response_port_with_padding.bin", "edge/66_padding_64.bin",
	"rfc5769_sample_request.bin", "rfc5769_sample_ipv4_response.bin",
	"rfc5769_sample_request_long_term.bin", "seeds/pion_frombrowsers_3_firefox51.bin",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static void respond_never_allocates(void **s)
{
	(void)s;
	static uint8_t req[NFILES][1024];
	size_t len[NFILES];
	const char *configs[] = { "basic/udp", "single-ip/udp", "dual-ip/udp", "dual-ip/tcp" };
	struct stun_server_cfg cfg[4];
	struct stun_addr peer = addr_of(REF_CLIENT), local = addr_of(REF_A1);
	struct stun_addr peer6 = addr_of("[2001:db8::2]:5000"), local6 = addr_of("[2001:db8::1]:3478");
	unsigned long answered = 0;

	for (size_t f = 0; f < NFILES; f++)
		len[f] = load_vector(files[f], req[f], sizeof(req[f]));
	for (int c = 0; c < 4; c++) {
		ref_config(&cfg[c], configs[c]);
		stun_server_cfg_software(&cfg[c], "stunring test");
	}

	armed = true;
	for (int round = 0; round < 2000; round++)
		for (size_t f = 0; f < NFILES; f++)
			for (int c = 0; c < 4; c++) {
				uint8_t out[1024 + STUN_RESPONSE_OVERHEAD];
				struct stun_reply rep;
				bool v6 = round & 1;
				if (stun_respond(req[f], len[f], v6 ? &peer6 : &peer,
						 v6 ? &local6 : &local, &cfg[c], out,
						 sizeof(out), &rep) != STUN_VERDICT_DROP)
					answered++;
			}
	armed = false;
	assert_int_equal(alloc_calls, 0);
	assert_true(answered > 2000 * 20);	/* it did real work */
}

static void client_never_allocates(void **s)
{
	(void)s;
	uint8_t buf[256], out[512];
	struct stun_server_cfg cfg;
	struct stun_addr peer = addr_of(REF_CLIENT), local = addr_of(REF_A1);
	char text[STUN_ADDR_STRLEN];
	unsigned long ok = 0;

	ref_config(&cfg, "dual-ip/udp");
	armed = true;
	for (int i = 0; i < 20000; i++) {
		uint8_t tid[16];
		struct stun_request_opts o = { .fingerprint = i & 1, .software = "x",
					       .change_request = i & 2,
					       .change_flags = (uint32_t)(i & 6) };
		struct stun_reply rep;
		struct stun_response_info info;
		struct stun_addr parsed;
		memset(tid, i & 0xff, sizeof(tid));
		size_t n = stun_build_request(buf, sizeof(buf), tid, &o);
		stun_respond(buf, n, &peer, &local, &cfg, out, sizeof(out), &rep);
		if (stun_parse_response(out, rep.len, tid, false, &info) == STUN_RESP_OK)
			ok++;
		stun_addr_format(&info.mapped, text, sizeof(text));
		stun_addr_parse(&parsed, text, 0);
	}
	armed = false;
	assert_int_equal(alloc_calls, 0);
	assert_int_equal(ok, 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrappers_count),
		cmocka_unit_test(respond_never_allocates),
		cmocka_unit_test(client_never_allocates),
	};
	return cmocka_run_group_tests_name("noalloc", tests, NULL, NULL);
}
