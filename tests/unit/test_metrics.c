/* SPDX-License-Identifier: MIT */
/*
 * test_metrics.c - stunringd's Prometheus exposition (src/daemon/metrics.c)
 * and health verdict (src/daemon/health.c): counters in, text out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/health.h"
#include "daemon/metrics.h"

static char *render(const struct metrics_input *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	metrics_write(f, in);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The value on the line that starts with series (name{labels}), -1 if none. */
static long long value_of(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, series, n) && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}

/* Two workers' counters and what metrics_write is given about them. */
struct fixture {
	struct worker_stats w[2];
	double age[2];
	struct metrics_input in;
};

static void two_workers(struct fixture *fx)
{
	struct worker_stats *w = fx->w;
	double *age = fx->age;
	struct metrics_input *in = &fx->in;

	memset(w, 0, 2 * sizeof(*w));
	w[0].requests[FAM_IPV4] = 10, w[1].requests[FAM_IPV4] = 5;
	w[0].requests[FAM_IPV6] = 7;
	w[0].answered[FAM_IPV4] = 8, w[1].answered[FAM_IPV4] = 4;
	w[1].answered[FAM_IPV6] = 6;
	w[0].errors[FAM_IPV6] = 1;
	w[1].dropped[STUN_DROP_TOP_BITS] = 3;
	w[0].truncated = 2;
	w[1].send_failed = 9;
	w[0].batches = 100, w[1].batches = 200;
	age[0] = 0.25, age[1] = 7.5;
	memset(in, 0, sizeof(*in));
	in->version = "1.2\"x";
	in->start_time = 1700000000.5;
	in->nworkers = 2;
	in->workers = w;
	in->progress_age = age;
}

static void sums_by_family_class_and_reason(void **state)
{
	struct fixture fx;
	char *t;

	(void)state;
	two_workers(&fx);
	t = render(&fx.in);
	assert_int_equal(value_of(t, "stunring_requests_total{transport=\"udp\",family=\"ipv4\"}"), 15);
	assert_int_equal(value_of(t, "stunring_requests_total{transport=\"udp\",family=\"ipv6\"}"), 7);
	assert_int_equal(value_of(t, "stunring_responses_total{transport=\"udp\",family=\"ipv4\",class=\"success\"}"), 12);
	assert_int_equal(value_of(t, "stunring_responses_total{transport=\"udp\",family=\"ipv6\",class=\"success\"}"), 6);
	assert_int_equal(value_of(t, "stunring_responses_total{transport=\"udp\",family=\"ipv6\",class=\"error\"}"), 1);
	assert_int_equal(value_of(t, "stunring_responses_total{transport=\"udp\",family=\"ipv4\",class=\"error\"}"), 0);
	assert_int_equal(value_of(t, "stunring_dropped_total{reason=\"not_stun\"}"), 3);
	assert_int_equal(value_of(t, "stunring_dropped_total{reason=\"truncated\"}"), 2);
	assert_int_equal(value_of(t, "stunring_dropped_total{reason=\"short\"}"), 0);
	assert_int_equal(value_of(t, "stunring_send_failed_total"), 9);
	assert_int_equal(value_of(t, "stunring_worker_batches_total{worker=\"1\"}"), 200);
	assert_int_equal(value_of(t, "stunring_workers"), 2);
	assert_non_null(strstr(t, "stunring_worker_progress_age_seconds{worker=\"1\"} 7.500\n"));
	assert_non_null(strstr(t, "process_start_time_seconds 1700000000.500\n"));
	/* The version label is escaped. */
	assert_non_null(strstr(t, "stunring_build_info{version=\"1.2\\\"x\"} 1\n"));
	/* Every series has its TYPE; no XDP or RFC 5780 series unless asked. */
	assert_non_null(strstr(t, "# TYPE stunring_responses_total counter\n"));
	assert_null(strstr(t, "stunring_xdp_packets_total"));
	assert_null(strstr(t, "stunring_rfc5780"));
	free(t);
}

static void xdp_counters_get_family_and_outcome(void **state)
{
	static const char *const names[] = { "answered_v4", "answered_v6", "pass_port", "dropped" };
	static const uint64_t values[] = { 11, 22, 33, 44 };
	struct fixture fx;
	char *t;

	(void)state;
	two_workers(&fx);
	fx.in.n_xdp = 4;
	fx.in.xdp_names = names;
	fx.in.xdp_values = values;
	fx.in.rfc5780 = true;
	fx.w[0].from_role[2] = 5;
	fx.w[1].changed[3] = 2;
	t = render(&fx.in);
	assert_int_equal(value_of(t, "stunring_xdp_packets_total{family=\"ipv4\",outcome=\"answered\"}"), 11);
	assert_int_equal(value_of(t, "stunring_xdp_packets_total{family=\"ipv6\",outcome=\"answered\"}"), 22);
	assert_int_equal(value_of(t, "stunring_xdp_packets_total{family=\"unknown\",outcome=\"pass_port\"}"), 33);
	assert_int_equal(value_of(t, "stunring_xdp_packets_total{family=\"unknown\",outcome=\"dropped\"}"), 44);
	assert_int_equal(value_of(t, "stunring_rfc5780_responses_total{socket=\"a2p1\"}"), 5);
	assert_int_equal(value_of(t, "stunring_rfc5780_changed_total{change=\"both\"}"), 2);
	assert_int_equal(value_of(t, "stunring_rfc5780_changed_total{change=\"port\"}"), 0);
	free(t);
}

static void health_names_stale_workers(void **state)
{
	const uint64_t s = 1000000000ull, now = 100 * s;
	uint64_t hb[3] = { now - s / 2, now - 7200000000ull, now + 1000 };
	char out[256];

	(void)state;
	assert_int_equal(health_report(hb, 3, now, out, sizeof(out)), 1);
	assert_string_equal(out, "worker 1: no progress for 7.2 s\n");
	hb[1] = now - HEALTH_STALE_NS;	/* exactly at the limit: still fine */
	assert_int_equal(health_report(hb, 3, now, out, sizeof(out)), 0);
	assert_string_equal(out, "ok\n");
	hb[0] = 0;
	hb[2] = now - 10 * s;
	assert_int_equal(health_report(hb, 3, now, out, sizeof(out)), 2);
	assert_string_equal(out, "worker 0: never started\nworker 2: no progress for 10.0 s\n");
	/* A short buffer is cut, still terminated. */
	assert_int_equal(health_report(hb, 3, now, out, 10), 2);
	assert_int_equal(strlen(out), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sums_by_family_class_and_reason),
		cmocka_unit_test(xdp_counters_get_family_and_outcome),
		cmocka_unit_test(health_names_stale_workers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
