/* SPDX-License-Identifier: MIT */
/* stats.c - summing and logging the per-worker counters (stats.h). */
#include "stats.h"
#include "log.h"

#include <stdio.h>

void stats_accumulate(struct worker_stats *sum, const struct worker_stats *w)
{
	const uint64_t *src = (const uint64_t *)w;
	uint64_t *dst = (uint64_t *)sum;

	/* The struct is nothing but uint64_t counters (and tail padding). */
	for (size_t i = 0; i < sizeof(*w) / sizeof(uint64_t); i++)
		dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

uint64_t stats_dropped_total(const struct worker_stats *s)
{
	uint64_t n = 0;

	for (int r = 0; r < STUN_DROP_REASON_COUNT; r++)
		n += s->dropped[r];
	for (int r = 0; r < LIMIT_REASON_COUNT; r++)
		n += s->limited[r];
	return n + s->truncated + s->bad_addr + s->no_source;
}

uint64_t stats_answered(const struct worker_stats *s)
{
	return s->answered[FAM_IPV4] + s->answered[FAM_IPV6];
}

uint64_t stats_errors(const struct worker_stats *s)
{
	return s->errors[FAM_IPV4] + s->errors[FAM_IPV6];
}

void stats_log(const char *what, const struct worker_stats *s,
	       const struct worker_stats *prev, double rate_interval, bool rfc5780)
{
	char reasons[768] = "";
	char r5780[256] = "";
	char rate[64] = "";
	size_t n = 0;

	for (int r = 1; r < STUN_DROP_REASON_COUNT && n < sizeof(reasons); r++)
		if (s->dropped[r])
			n += (size_t)snprintf(reasons + n, sizeof(reasons) - n, " %s=%llu",
					      stun_drop_reason_name((enum stun_drop_reason)r),
					      (unsigned long long)s->dropped[r]);
	for (int r = 0; r < LIMIT_REASON_COUNT && n < sizeof(reasons); r++)
		if (s->limited[r])
			n += (size_t)snprintf(reasons + n, sizeof(reasons) - n, " %s=%llu",
					      limit_reason_name((enum limit_reason)r),
					      (unsigned long long)s->limited[r]);
	if (prev && rate_interval > 0)
		snprintf(rate, sizeof(rate), " rate=%.0f/s",
			 (double)(s->rx - prev->rx) / rate_interval);
	if (s->no_source)
		n += (size_t)snprintf(reasons + n, n < sizeof(reasons) ? sizeof(reasons) - n : 0,
				      " no_source=%llu", (unsigned long long)s->no_source);
	if (rfc5780)
		snprintf(r5780, sizeof(r5780), " | from_a1p1=%llu from_a1p2=%llu "
			 "from_a2p1=%llu from_a2p2=%llu changed_port=%llu changed_ip=%llu "
			 "changed_both=%llu response_port=%llu",
			 (unsigned long long)s->from_role[0], (unsigned long long)s->from_role[1],
			 (unsigned long long)s->from_role[2], (unsigned long long)s->from_role[3],
			 (unsigned long long)s->changed[1], (unsigned long long)s->changed[2],
			 (unsigned long long)s->changed[3], (unsigned long long)s->response_port);
	char tcp[1024] = "";
	if (s->tcp_accepted) {
		uint64_t closed = 0;
		size_t t = 0;

		for (int r = 0; r < STREAM_CLOSE_COUNT; r++)
			closed += s->tcp_closed[r];
		t += (size_t)snprintf(tcp, sizeof(tcp), " | tcp_accepted=%llu tcp_open=%llu "
				      "tcp_requests=%llu tcp_answered=%llu tcp_errors=%llu "
				      "tcp_dropped=%llu tcp_paused=%llu",
				      (unsigned long long)s->tcp_accepted,
				      (unsigned long long)(s->tcp_accepted - closed),
				      (unsigned long long)(s->tcp_requests[0] + s->tcp_requests[1]),
				      (unsigned long long)(s->tcp_answered[0] + s->tcp_answered[1]),
				      (unsigned long long)(s->tcp_errors[0] + s->tcp_errors[1]),
				      (unsigned long long)s->tcp_dropped,
				      (unsigned long long)s->tcp_paused);
		if (s->tls_handshakes_ok + s->tls_handshakes_failed)
			t += (size_t)snprintf(tcp + t, sizeof(tcp) - t, " tls_handshakes_ok=%llu "
					      "tls_handshakes_failed=%llu tls_resumed=%llu",
					      (unsigned long long)s->tls_handshakes_ok,
					      (unsigned long long)s->tls_handshakes_failed,
					      (unsigned long long)s->tls_resumed);
		for (int r = 0; r < STREAM_CLOSE_COUNT && t < sizeof(tcp); r++)
			if (s->tcp_closed[r])
				t += (size_t)snprintf(tcp + t, sizeof(tcp) - t, " closed_%s=%llu",
						      stream_close_name((enum stream_close)r),
						      (unsigned long long)s->tcp_closed[r]);
		for (int r = 0; r < LIMIT_REASON_COUNT && t < sizeof(tcp); r++)
			if (s->tcp_limited[r])
				t += (size_t)snprintf(tcp + t, sizeof(tcp) - t, " tcp_limited_%s=%llu",
						      limit_reason_name((enum limit_reason)r),
						      (unsigned long long)s->tcp_limited[r]);
	}
	log_info("%s: requests=%llu answered=%llu errors=%llu dropped=%llu "
		 "send_failed=%llu%s | truncated=%llu%s%s | batches=%llu rearms=%llu "
		 "enobufs=%llu recv_errors=%llu sq_full=%llu%s",
		 what, (unsigned long long)s->rx, (unsigned long long)stats_answered(s),
		 (unsigned long long)stats_errors(s),
		 (unsigned long long)stats_dropped_total(s),
		 (unsigned long long)s->send_failed, rate,
		 (unsigned long long)s->truncated, reasons, r5780,
		 (unsigned long long)s->batches, (unsigned long long)s->rearms,
		 (unsigned long long)s->enobufs, (unsigned long long)s->recv_errors,
		 (unsigned long long)s->sq_full, tcp);
}
