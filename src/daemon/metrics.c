/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - see metrics.h.  The per-family and per-reason totals are the
 * sums of the workers' own counters; every label set is written even when
 * its value is 0, so that rate() and absent() behave from the first scrape.
 */
#include "metrics.h"

#include <stddef.h>
#include <string.h>

static const char *const family_label[FAM_COUNT] = { "ipv4", "ipv6" };
static const char *const role_label[ROLE_COUNT] = { "a1p1", "a1p2", "a2p1", "a2p2" };
/* stats.changed[] index: rx role ^ tx role. */
static const char *const change_label[ROLE_COUNT] = { NULL, "port", "address", "both" };

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the text format requires. */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void counter_line(FILE *f, const char *name, const char *labels, uint64_t v)
{
	fprintf(f, "%s%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		(unsigned long long)v);
}

/* name{<fixed>key="labels[i]"} values[i], for i in [from, to). */
static void series(FILE *f, const char *name, const char *fixed, const char *key,
		   const char *const *labels, const uint64_t *values, int from, int to)
{
	char lbl[160];

	for (int i = from; i < to; i++) {
		snprintf(lbl, sizeof(lbl), "%s%s=\"%s\"", fixed, key, labels[i]);
		counter_line(f, name, lbl, values[i]);
	}
}

static void write_traffic(FILE *f, const struct worker_stats *s)
{
	static const char *const class_label[] = { "success", "error" };
	const char *reasons[STUN_DROP_REASON_COUNT];

	header(f, "stunring_requests_total", "counter",
	       "UDP: datagrams that reached the STUN codec (truncated ones and ones "
	       "without a usable peer address are only in stunring_dropped_total); "
	       "TCP: messages framed on a connection.");
	series(f, "stunring_requests_total", "transport=\"udp\",", "family", family_label,
	       s->requests, 0, FAM_COUNT);
	series(f, "stunring_requests_total", "transport=\"tcp\",", "family", family_label,
	       s->tcp_requests, 0, FAM_COUNT);
	header(f, "stunring_responses_total", "counter",
	       "Responses the kernel accepted (UDP) or queued on their connection (TCP), "
	       "by class: success (Binding success) or error (400, 420).");
	for (int t = 0; t < 2; t++) {
		for (int fam = 0; fam < FAM_COUNT; fam++) {
			const uint64_t by_class[] = {
				t ? s->tcp_answered[fam] : s->answered[fam],
				t ? s->tcp_errors[fam] : s->errors[fam],
			};
			char fixed[64];

			snprintf(fixed, sizeof(fixed), "transport=\"%s\",family=\"%s\",",
				 t ? "tcp" : "udp", family_label[fam]);
			series(f, "stunring_responses_total", fixed, "class", class_label,
			       by_class, 0, 2);
		}
	}
	header(f, "stunring_dropped_total", "counter",
	       "Datagrams that got no response, by reason (the codec's drop reasons, "
	       "truncated, bad_address, no_source; the abuse limits: acl, rate_limit, "
	       "error_rate_limit, global_cap).");
	for (int r = 0; r < STUN_DROP_REASON_COUNT; r++)
		reasons[r] = stun_drop_reason_name((enum stun_drop_reason)r);
	series(f, "stunring_dropped_total", "", "reason", reasons, s->dropped, 1,
	       STUN_DROP_REASON_COUNT);
	counter_line(f, "stunring_dropped_total", "reason=\"truncated\"", s->truncated);
	counter_line(f, "stunring_dropped_total", "reason=\"bad_address\"", s->bad_addr);
	counter_line(f, "stunring_dropped_total", "reason=\"no_source\"", s->no_source);
	for (int r = 0; r < LIMIT_REASON_COUNT; r++) {
		char lbl[48];

		snprintf(lbl, sizeof(lbl), "reason=\"%s\"", limit_reason_name((enum limit_reason)r));
		counter_line(f, "stunring_dropped_total", lbl, s->limited[r]);
	}
	header(f, "stunring_send_failed_total", "counter",
	       "Responses the kernel refused to send (socket buffer full, no route, ...).");
	counter_line(f, "stunring_send_failed_total", "", s->send_failed);
}

/* TCP (stream_conn.h), beside the transport="tcp" series of requests and
 * responses: written whether or not TCP is configured, so a dashboard
 * sees zeros rather than nothing. */
static void write_tcp(FILE *f, const struct worker_stats *s)
{
	uint64_t closed = 0;

	header(f, "stunring_tcp_dropped_total", "counter",
	       "STUN messages framed on TCP connections that got no response "
	       "(indications, responses, other methods).");
	counter_line(f, "stunring_tcp_dropped_total", "", s->tcp_dropped);
	header(f, "stunring_tcp_accepted_total", "counter",
	       "TCP connections accepted (refused ones included: they are closed at once).");
	counter_line(f, "stunring_tcp_accepted_total", "", s->tcp_accepted);
	header(f, "stunring_tcp_closed_total", "counter",
	       "TCP connections closed, by reason (max_connections, per_source and acl: "
	       "refused at once).");
	for (int r = 0; r < STREAM_CLOSE_COUNT; r++) {
		char lbl[64];

		closed += s->tcp_closed[r];
		snprintf(lbl, sizeof(lbl), "reason=\"%s\"", stream_close_name((enum stream_close)r));
		counter_line(f, "stunring_tcp_closed_total", lbl, s->tcp_closed[r]);
	}
	header(f, "stunring_tcp_connections", "gauge", "TCP connections open now.");
	fprintf(f, "stunring_tcp_connections %llu\n",
		(unsigned long long)(s->tcp_accepted - closed));
	header(f, "stunring_tcp_paused_total", "counter",
	       "Times a TCP peer was no longer read because its unsent responses "
	       "reached the bound (backpressure).");
	counter_line(f, "stunring_tcp_paused_total", "", s->tcp_paused);
	header(f, "stunring_tcp_limited_total", "counter",
	       "Framed TCP requests refused by the abuse limits (the UDP buckets), by "
	       "limit: acl, rate_limit, error_rate_limit, global_cap; each closed its "
	       "connection.");
	for (int r = 0; r < LIMIT_REASON_COUNT; r++) {
		char lbl[48];

		snprintf(lbl, sizeof(lbl), "reason=\"%s\"", limit_reason_name((enum limit_reason)r));
		counter_line(f, "stunring_tcp_limited_total", lbl, s->tcp_limited[r]);
	}
	header(f, "stunring_tls_handshakes_total", "counter",
	       "TLS handshakes on --tls-listen connections, by result (failed: an error, "
	       "the handshake timeout, or the peer left; refusals by --tls-max-handshakes "
	       "are only counted as closes).");
	counter_line(f, "stunring_tls_handshakes_total", "result=\"ok\"", s->tls_handshakes_ok);
	counter_line(f, "stunring_tls_handshakes_total", "result=\"failed\"",
		     s->tls_handshakes_failed);
	header(f, "stunring_tls_resumed_total", "counter",
	       "TLS handshakes that resumed a session (a session ticket).");
	counter_line(f, "stunring_tls_resumed_total", "", s->tls_resumed);
}

static void write_rfc5780(FILE *f, const struct worker_stats *s)
{
	header(f, "stunring_rfc5780_responses_total", "counter",
	       "RFC 5780 mode: responses by the socket they left from (A1/A2 address, "
	       "P1/P2 port).");
	series(f, "stunring_rfc5780_responses_total", "", "socket", role_label, s->from_role,
	       0, ROLE_COUNT);
	header(f, "stunring_rfc5780_changed_total", "counter",
	       "RFC 5780 mode: responses sent from another port, address or both "
	       "than the request came to (CHANGE-REQUEST).");
	series(f, "stunring_rfc5780_changed_total", "", "change", change_label, s->changed,
	       1, ROLE_COUNT);
	header(f, "stunring_rfc5780_response_port_total", "counter",
	       "RFC 5780 mode: responses sent to a RESPONSE-PORT.");
	counter_line(f, "stunring_rfc5780_response_port_total", "", s->response_port);
}

/* The engine counters exported per worker. */
static const struct {
	const char *name, *help;
	size_t offset;		/* in struct worker_stats */
} worker_counters[] = {
	{ "stunring_worker_datagrams_total", "Datagrams this worker received.",
	  offsetof(struct worker_stats, rx) },
	{ "stunring_worker_batches_total",
	  "Completion batches (io_uring) or recvmmsg calls with data.",
	  offsetof(struct worker_stats, batches) },
	{ "stunring_worker_rearms_total", "io_uring multishot receives re-armed.",
	  offsetof(struct worker_stats, rearms) },
	{ "stunring_worker_enobufs_total", "io_uring provided-buffer ring ran dry.",
	  offsetof(struct worker_stats, enobufs) },
	{ "stunring_worker_recv_errors_total", "Receive errors other than a dry buffer ring.",
	  offsetof(struct worker_stats, recv_errors) },
	{ "stunring_worker_sq_full_total", "io_uring submission queue filled up mid-batch.",
	  offsetof(struct worker_stats, sq_full) },
};

/* One counter per worker, taken from the snapshot at offset off. */
static void per_worker(FILE *f, const struct metrics_input *in, const char *name,
		       const char *help, size_t off)
{
	char lbl[32];

	header(f, name, "counter", help);
	for (unsigned int i = 0; i < in->nworkers; i++) {
		uint64_t v;

		memcpy(&v, (const char *)&in->workers[i] + off, sizeof(v));
		snprintf(lbl, sizeof(lbl), "worker=\"%u\"", i);
		counter_line(f, name, lbl, v);
	}
}

static void write_workers(FILE *f, const struct metrics_input *in)
{
	header(f, "stunring_workers", "gauge", "Worker threads serving the listeners.");
	fprintf(f, "stunring_workers %u\n", in->nworkers);
	for (size_t c = 0; c < sizeof(worker_counters) / sizeof(worker_counters[0]); c++)
		per_worker(f, in, worker_counters[c].name, worker_counters[c].help,
			   worker_counters[c].offset);
	header(f, "stunring_worker_progress_age_seconds", "gauge",
	       "Seconds since the worker's loop last went round (idle workers wake "
	       "every second; /healthz fails above 5).");
	for (unsigned int i = 0; i < in->nworkers; i++)
		fprintf(f, "stunring_worker_progress_age_seconds{worker=\"%u\"} %.3f\n", i,
			in->progress_age[i]);
}

/* "answered_v4" -> family ipv4, outcome answered; "pass_port" -> family
 * unknown (the program does not count passes by family), outcome
 * pass_port. */
static void write_xdp(FILE *f, const struct metrics_input *in)
{
	header(f, "stunring_xdp_packets_total", "counter",
	       "Packets the XDP responder saw, by outcome: answered in the kernel, "
	       "pass_<reason> (left to the daemon) or dropped.");
	for (unsigned int i = 0; i < in->n_xdp; i++) {
		const char *name = in->xdp_names[i];
		size_t len = strlen(name);
		const char *fam = "unknown";

		if (len > 3 && !strcmp(name + len - 3, "_v4"))
			fam = "ipv4", len -= 3;
		else if (len > 3 && !strcmp(name + len - 3, "_v6"))
			fam = "ipv6", len -= 3;
		fprintf(f, "stunring_xdp_packets_total{family=\"%s\",outcome=\"%.*s\"} %llu\n",
			fam, (int)len, name, (unsigned long long)in->xdp_values[i]);
	}
}

void metrics_write(FILE *f, const struct metrics_input *in)
{
	struct worker_stats sum;

	memset(&sum, 0, sizeof(sum));
	for (unsigned int i = 0; i < in->nworkers; i++)
		stats_accumulate(&sum, &in->workers[i]);
	header(f, "stunring_build_info", "gauge", "Always 1; the version is a label.");
	fputs("stunring_build_info{version=\"", f);
	label_value(f, in->version);
	fputs("\"} 1\n", f);
	header(f, "process_start_time_seconds", "gauge",
	       "Start time of the process since the Unix epoch, in seconds.");
	fprintf(f, "process_start_time_seconds %.3f\n", in->start_time);
	write_traffic(f, &sum);
	write_tcp(f, &sum);
	if (in->rfc5780)
		write_rfc5780(f, &sum);
	write_workers(f, in);
	if (in->n_xdp)
		write_xdp(f, in);
}
