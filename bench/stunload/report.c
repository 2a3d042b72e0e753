/* SPDX-License-Identifier: MIT */
/*
 * report.c - the live display, the CSV time series and the summary.
 * Latencies are kept in ns and shown in microseconds.
 */
#include "report.h"

#include <string.h>

const char *const bad_kind_names[BAD_KIND_COUNT] = {
	[BAD_TRUNCATED] = "truncated",
	[BAD_MALFORMED] = "malformed",
	[BAD_OVERSIZE] = "oversize",
	[BAD_WRONG_TID] = "wrong_tid",
	[BAD_DUPLICATE] = "duplicate",
	[BAD_WRONG_TYPE] = "wrong_type",
	[BAD_ERROR_RESPONSE] = "error_response",
	[BAD_FINGERPRINT] = "bad_fingerprint",
	[BAD_NO_MAPPED] = "no_mapped_address",
	[BAD_WRONG_MAPPED] = "wrong_mapped_address",
	[BAD_ATTRIBUTE] = "bad_attribute",
};

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* 1234567 -> "1.23M" for the narrow live display. */
static const char *human(char *buf, size_t cap, double v)
{
	if (v >= 1e6)
		snprintf(buf, cap, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, cap, "%.1fk", v / 1e3);
	else
		snprintf(buf, cap, "%.0f", v);
	return buf;
}

void sl_progress(FILE *f, const struct sl_interval *iv)
{
	char a[16], b[16];
	bool echo = iv->total.echoed > iv->total.valid;	/* --echo run */

	fprintf(f, "\r[%5.0fs] sent %s/s  %s %s/s  lost %.3f%%  p99 %.0fus  invalid %llu\033[K",
		iv->t_s, human(a, sizeof(a), (double)iv->d.sent / iv->len_s),
		echo ? "echoed" : "valid",
		human(b, sizeof(b), (double)(echo ? iv->d.echoed : iv->d.valid) / iv->len_s),
		pct(iv->total.lost, iv->total.sent),
		us(hist_percentile(iv->h, 99)),
		(unsigned long long)invalid_total(&iv->total));
	fflush(f);
}

void sl_progress_clear(FILE *f)
{
	fputs("\r\033[K", f);
	fflush(f);
}

int sl_csv_header(FILE *f)
{
	fputs("time_s,sent,answered,valid,invalid,lost,late,sent_per_s,"
	      "valid_per_s,p50_us,p90_us,p99_us,max_us,echoed\n", f);
	return fflush(f);
}

int sl_csv_row(FILE *f, const struct sl_interval *iv)
{
	const struct sl_counters *d = &iv->d;

	fprintf(f, "%.3f,%llu,%llu,%llu,%llu,%llu,%llu,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%llu\n",
		iv->t_s, (unsigned long long)d->sent,
		(unsigned long long)d->answered, (unsigned long long)d->valid,
		(unsigned long long)invalid_total(d), (unsigned long long)d->lost,
		(unsigned long long)d->late, (double)d->sent / iv->len_s,
		(double)d->valid / iv->len_s, us(hist_percentile(iv->h, 50)),
		us(hist_percentile(iv->h, 90)), us(hist_percentile(iv->h, 99)),
		us(iv->h->max), (unsigned long long)d->echoed);
	return fflush(f);
}

static void describe_load(FILE *f, const struct sl_config *cfg)
{
	if (cfg->engine == ENGINE_XDP) {
		fprintf(f, "xdp engine on %s", cfg->xdp_ifname);
		if (cfg->rate > 0)
			fprintf(f, ", open loop at %.0f requests/s", cfg->rate);
		else
			fprintf(f, ", as fast as the kernel injects");
		fprintf(f, ", %u source ports", cfg->sockets);
		if (cfg->echo)
			fprintf(f, ", echoes counted");
		return;
	}
	const char *unit = cfg->transport == TRANSPORT_UDP ? "socket" : "connection";

	if (cfg->transport != TRANSPORT_UDP)
		fprintf(f, "%s, ", sl_transport_names[cfg->transport]);
	if (cfg->rate > 0)
		fprintf(f, "open loop at %.0f requests/s", cfg->rate);
	else
		fprintf(f, "closed loop, %u in flight per %s", cfg->inflight, unit);
	fprintf(f, ", %u %s%s, %u thread%s", cfg->sockets, unit,
		cfg->sockets == 1 ? "" : "s", cfg->threads,
		cfg->threads == 1 ? "" : "s");
	if (cfg->requests_per_conn)
		fprintf(f, ", %llu request%s per connection",
			(unsigned long long)cfg->requests_per_conn,
			cfg->requests_per_conn == 1 ? "" : "s");
}

void sl_report_text(FILE *f, const struct sl_result *r)
{
	const struct sl_counters *c = &r->c;
	const struct hist *h = r->h;
	uint64_t inv = invalid_total(c);
	double s = r->send_s > 0 ? r->send_s : 1e-9;

	fprintf(f, "stunload %s: %s, ", STUNRING_VERSION, r->cfg->target_str);
	describe_load(f, r->cfg);
	fprintf(f, "\n");
	fprintf(f, "  duration   %.3f s sending, %.3f s in all\n", r->send_s, r->total_s);
	fprintf(f, "  sent       %12llu  %12.0f/s\n", (unsigned long long)c->sent,
		(double)c->sent / s);
	fprintf(f, "  answered   %12llu  %12.0f/s\n", (unsigned long long)c->answered,
		(double)c->answered / s);
	fprintf(f, "  valid      %12llu  %12.0f/s\n", (unsigned long long)c->valid,
		(double)c->valid / s);
	if (r->cfg->echo || c->echoed)
		fprintf(f, "  echoed     %12llu  %12.0f/s  (our requests sent back)\n",
			(unsigned long long)c->echoed, (double)c->echoed / s);
	fprintf(f, "  invalid    %12llu\n", (unsigned long long)inv);
	for (int k = 0; k < BAD_KIND_COUNT; k++)
		if (c->invalid[k])
			fprintf(f, "    %-22s %llu\n", bad_kind_names[k],
				(unsigned long long)c->invalid[k]);
	fprintf(f, "  lost       %12llu  %11.3f%%\n", (unsigned long long)c->lost,
		pct(c->lost, c->sent));
	if (c->late)
		fprintf(f, "  late       %12llu  (answers after --timeout)\n",
			(unsigned long long)c->late);
	if (c->unsupported)
		fprintf(f, "  420 to CHANGE-REQUEST %llu  (server without RFC 5780)\n",
			(unsigned long long)c->unsupported);
	if (c->refused)
		fprintf(f, "  refused    %12llu  (ICMP port unreachable)\n",
			(unsigned long long)c->refused);
	if (c->send_errors)
		fprintf(f, "  send errors %11llu\n", (unsigned long long)c->send_errors);
	if (c->pace_dropped)
		fprintf(f, "  behind     %12llu  requests not sent on schedule: the generator fell behind --rate\n",
			(unsigned long long)c->pace_dropped);
	if (c->table_full)
		fprintf(f, "  table full %12llu  sends skipped: too many requests outstanding\n",
			(unsigned long long)c->table_full);
	if (r->cfg->transport != TRANSPORT_UDP) {
		fprintf(f, "  connections %11llu  %12.0f/s  (%llu attempted, %llu replaced after their requests)\n",
			(unsigned long long)c->conn_established,
			(double)c->conn_established / s,
			(unsigned long long)c->conn_attempts,
			(unsigned long long)c->conn_recycled);
		if (r->cfg->transport == TRANSPORT_TLS)
			fprintf(f, "  handshakes %12llu  %12.0f/s  (%llu resumed a session)\n",
				(unsigned long long)c->handshakes, (double)c->handshakes / s,
				(unsigned long long)c->handshakes_resumed);
		if (c->conn_errors)
			fprintf(f, "  connect errors %8llu\n", (unsigned long long)c->conn_errors);
		if (c->handshake_errors)
			fprintf(f, "  handshake errors %6llu\n",
				(unsigned long long)c->handshake_errors);
		if (c->conn_closed_by_peer)
			fprintf(f, "  closed by server %6llu\n",
				(unsigned long long)c->conn_closed_by_peer);
		if (r->conn_error)
			fprintf(f, "  first error  %s\n", r->conn_error);
	}
	if (h->total)
		fprintf(f, "  latency    p50 %.1f us  p90 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us  mean %.1f us\n",
			us(hist_percentile(h, 50)), us(hist_percentile(h, 90)),
			us(hist_percentile(h, 99)), us(hist_percentile(h, 99.9)),
			us(h->max), hist_mean(h) / 1000.0);
	fprintf(f, "  result     %s\n", r->verdict);
}

/* Interface names may hold any byte but '/', ':' and blanks. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void sl_report_json(FILE *f, const struct sl_result *r)
{
	const struct sl_config *cfg = r->cfg;
	const struct sl_counters *c = &r->c;
	const struct hist *h = r->h;
	double s = r->send_s > 0 ? r->send_s : 1e-9;

	fprintf(f, "{\n  \"tool\": \"stunload\",\n  \"version\": \"%s\",\n", STUNRING_VERSION);
	fprintf(f, "  \"target\": \"%s\",\n  \"engine\": \"%s\",\n", cfg->target_str,
		cfg->engine == ENGINE_XDP ? "xdp" : "socket");
	if (cfg->engine == ENGINE_XDP) {
		fprintf(f, "  \"interface\": ");
		json_string(f, cfg->xdp_ifname);
		fprintf(f, ",\n");
	}
	fprintf(f, "  \"transport\": \"%s\",\n", sl_transport_names[cfg->transport]);
	fprintf(f, "  \"mode\": \"%s\",\n  \"rate_target\": %.1f,\n  \"inflight\": %u,\n",
		cfg->rate > 0 ? "open" : "closed", cfg->rate,
		cfg->rate > 0 ? 0 : cfg->inflight);
	fprintf(f, "  \"sockets\": %u,\n  \"threads\": %u,\n  \"timeout_s\": %.3f,\n",
		cfg->sockets, cfg->threads, (double)cfg->timeout_ns / 1e9);
	fprintf(f, "  \"mix\": {");
	for (int k = 0; k < REQ_KIND_COUNT; k++)
		fprintf(f, "%s\"%s\": %u", k ? ", " : "", req_kind_names[k], cfg->mix[k]);
	fprintf(f, "},\n");
	fprintf(f, "  \"duration_s\": %.6f,\n  \"total_s\": %.6f,\n", r->send_s, r->total_s);
	fprintf(f, "  \"sent\": %llu,\n  \"answered\": %llu,\n  \"valid\": %llu,\n  \"echoed\": %llu,\n",
		(unsigned long long)c->sent, (unsigned long long)c->answered,
		(unsigned long long)c->valid, (unsigned long long)c->echoed);
	fprintf(f, "  \"invalid\": %llu,\n  \"invalid_by_kind\": {",
		(unsigned long long)invalid_total(c));
	for (int k = 0; k < BAD_KIND_COUNT; k++)
		fprintf(f, "%s\n    \"%s\": %llu", k ? "," : "", bad_kind_names[k],
			(unsigned long long)c->invalid[k]);
	fprintf(f, "\n  },\n");
	fprintf(f, "  \"lost\": %llu,\n  \"loss_pct\": %.6f,\n  \"late\": %llu,\n",
		(unsigned long long)c->lost, pct(c->lost, c->sent),
		(unsigned long long)c->late);
	fprintf(f, "  \"change_request_unsupported\": %llu,\n  \"refused\": %llu,\n",
		(unsigned long long)c->unsupported, (unsigned long long)c->refused);
	fprintf(f, "  \"send_errors\": %llu,\n  \"behind_schedule\": %llu,\n  \"table_full\": %llu,\n",
		(unsigned long long)c->send_errors, (unsigned long long)c->pace_dropped,
		(unsigned long long)c->table_full);
	fprintf(f, "  \"sent_per_s\": %.1f,\n  \"answered_per_s\": %.1f,\n  \"valid_per_s\": %.1f,\n",
		(double)c->sent / s, (double)c->answered / s, (double)c->valid / s);
	if (cfg->transport != TRANSPORT_UDP) {
		fprintf(f, "  \"connections\": %u,\n  \"requests_per_connection\": %llu,\n",
			cfg->sockets, (unsigned long long)cfg->requests_per_conn);
		fprintf(f, "  \"connections_attempted\": %llu,\n  \"connections_established\": %llu,\n",
			(unsigned long long)c->conn_attempts,
			(unsigned long long)c->conn_established);
		fprintf(f, "  \"connections_per_s\": %.1f,\n  \"connections_replaced\": %llu,\n",
			(double)c->conn_established / s, (unsigned long long)c->conn_recycled);
		fprintf(f, "  \"handshakes\": %llu,\n  \"handshakes_per_s\": %.1f,\n",
			(unsigned long long)c->handshakes, (double)c->handshakes / s);
		fprintf(f, "  \"handshakes_resumed\": %llu,\n",
			(unsigned long long)c->handshakes_resumed);
		fprintf(f, "  \"connect_errors\": %llu,\n  \"handshake_errors\": %llu,\n",
			(unsigned long long)c->conn_errors,
			(unsigned long long)c->handshake_errors);
		fprintf(f, "  \"closed_by_server\": %llu,\n  \"first_connection_error\": ",
			(unsigned long long)c->conn_closed_by_peer);
		if (r->conn_error)
			json_string(f, r->conn_error);
		else
			fputs("null", f);
		fputs(",\n", f);
	}
	fprintf(f, "  \"latency_us\": {\"count\": %llu, \"p50\": %.3f, \"p90\": %.3f, "
		"\"p99\": %.3f, \"p99_9\": %.3f, \"max\": %.3f, \"mean\": %.3f},\n",
		(unsigned long long)h->total, us(hist_percentile(h, 50)),
		us(hist_percentile(h, 90)), us(hist_percentile(h, 99)),
		us(hist_percentile(h, 99.9)), us(h->max), hist_mean(h) / 1000.0);
	fprintf(f, "  \"result\": \"%s\",\n  \"exit_status\": %d\n}\n", r->verdict,
		r->status);
}
