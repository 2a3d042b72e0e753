/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_main.c - entry point and the plain Binding probe: ask each
 * server in turn until one answers, print the mapped address.
 */
#include "stunprobe.h"

#include <string.h>

/* Which failure the exit status reports when no server answered well:
 * an error response says more than silence. */
static int exit_rank(enum probe_status s)
{
	switch (s) {
	case PROBE_ERROR_RESPONSE:
		return 4;
	case PROBE_BAD_RESPONSE:
		return 3;
	case PROBE_TLS_FAILED:
		return 5;
	case PROBE_SYSERR:
		return 2;
	default:
		return 1;	/* timeout, unreachable */
	}
}

static const char *status_key(enum probe_status s)
{
	switch (s) {
	case PROBE_OK:
		return "ok";
	case PROBE_TIMEOUT:
		return "timeout";
	case PROBE_UNREACHABLE:
		return "unreachable";
	case PROBE_ERROR_RESPONSE:
		return "error_response";
	case PROBE_BAD_RESPONSE:
		return "bad_response";
	case PROBE_CONNECT_FAILED:
		return "connect_failed";
	case PROBE_CLOSED:
		return "closed";
	case PROBE_TLS_FAILED:
		return "tls_failed";
	default:
		return "local_error";
	}
}

/* One line on stderr for a server that did not give a mapped address. */
static void report_failure(const struct probe_opts *o, const struct probe_server *srv,
			   const struct probe_result *r)
{
	char a[STUN_ADDR_STRLEN];

	probe_fmt(&srv->addr, a);
	switch (r->status) {
	case PROBE_ERROR_RESPONSE:
		fprintf(stderr, "stunprobe: %s: error response %d %s\n", a,
			r->info.error_code, r->reason);
		break;
	case PROBE_BAD_RESPONSE:
		fprintf(stderr, "stunprobe: %s: unusable response (%s)\n", a,
			stun_resp_status_name(r->bad_why));
		break;
	case PROBE_SYSERR:
	case PROBE_UNREACHABLE:
	case PROBE_CONNECT_FAILED:
		fprintf(stderr, "stunprobe: %s: %s: %s\n", a,
			probe_status_text(r->status), strerror(r->sys_errno));
		break;
	case PROBE_CLOSED:
		fprintf(stderr, "stunprobe: %s: %s\n", a, probe_status_text(r->status));
		break;
	case PROBE_TLS_FAILED:
		fprintf(stderr, "stunprobe: %s: TLS: %s\n", a, r->reason);
		break;
	default:
		if (o->transport != PROBE_UDP) {
			fprintf(stderr, "stunprobe: %s: no answer within %.1f s (--timeout)\n",
				a, o->stream_timeout_ms / 1000.0);
			break;
		}
		fprintf(stderr, "stunprobe: %s: no answer after %u request(s)\n",
			a, r->sent);
	}
}

static const char *transport_name(enum probe_transport t)
{
	return t == PROBE_TLS ? "tls" : t == PROBE_TCP ? "tcp" : "udp";
}

static void print_text(const struct probe_opts *o, const struct probe_server *srv,
		       const struct stun_addr *local, const struct probe_stream_info *si,
		       const struct probe_result *r)
{
	const struct stun_response_info *in = &r->info;
	char a[STUN_ADDR_STRLEN];

	printf("server    %s", probe_fmt(&srv->addr, a));
	if (probe_is_name(srv->arg))
		printf(" (%s)", srv->arg);
	printf("\n");
	if (o->transport != PROBE_UDP) {
		printf("transport %s", transport_name(o->transport));
		if (si->tls)
			printf(" (%s, %s, ALPN %s, certificate %s)", si->tls_version,
			       si->cipher, si->alpn[0] ? si->alpn : "none",
			       si->verified ? "verified" : "NOT verified (--insecure)");
		printf("\n");
	}
	printf("local     %s\n", probe_fmt(local, a));
	printf("mapped    %s (%s)\n", probe_fmt(&in->mapped, a),
	       in->has_xor_mapped ? "XOR-MAPPED-ADDRESS" : "MAPPED-ADDRESS");
	/* RFC 5780 3.4: a rewritten MAPPED-ADDRESS betrays an ALG. */
	if (in->has_xor_mapped && in->has_mapped &&
	    !stun_addr_equal(&in->xor_mapped, &in->plain_mapped))
		printf("warning   MAPPED-ADDRESS %s differs: an ALG on the path "
		       "rewrites addresses\n", probe_fmt(&in->plain_mapped, a));
	printf("software  %s\n", in->software ? r->software : "(none)");
	if (in->has_other)
		printf("other     %s\n", probe_fmt(&in->other, a));
	printf("rtt       %.3f ms", r->rtt_ms);
	if (r->sent > 1)
		printf(" (after %u requests: includes retransmission waits)", r->sent);
	if (o->transport != PROBE_UDP) {
		printf(" (connect %.3f ms", si->connect_ms);
		if (si->tls)
			printf(", TLS handshake %.3f ms", si->handshake_ms);
		printf(")");
	}
	printf("\n");
}

static void print_json(const struct probe_opts *o, const struct probe_server *srv,
		       const struct stun_addr *local, const struct probe_stream_info *si,
		       const struct probe_result *r, unsigned int tried)
{
	const struct stun_response_info *in = &r->info;
	struct jw j;

	jw_begin(&j, stdout);
	jw_str(&j, "mode", "binding");
	jw_str(&j, "result", status_key(r->status));
	jw_int(&j, "servers_tried", tried);
	jw_str(&j, "server_arg", srv ? srv->arg : NULL);
	jw_addr(&j, "server", srv ? &srv->addr : NULL);
	jw_addr(&j, "local", local);
	jw_str(&j, "transport", transport_name(o->transport));
	jw_bool(&j, "classic_request", o->classic_requests);
	if (o->transport != PROBE_UDP && si && si->connected)
		jw_num(&j, "connect_ms", si->connect_ms);
	if (si && si->tls && (si->tls_version[0] || r->status == PROBE_TLS_FAILED)) {
		jw_str(&j, "tls_version", si->tls_version[0] ? si->tls_version : NULL);
		jw_str(&j, "tls_cipher", si->cipher[0] ? si->cipher : NULL);
		jw_str(&j, "alpn", si->alpn[0] ? si->alpn : NULL);
		jw_bool(&j, "certificate_verified", si->verified);
		if (si->tls_version[0])
			jw_num(&j, "handshake_ms", si->handshake_ms);
	}
	if (r->status == PROBE_TLS_FAILED)
		jw_str(&j, "tls_error", r->reason);
	if (r->status == PROBE_OK) {
		jw_addr(&j, "mapped", &in->mapped);
		jw_str(&j, "mapped_attribute",
		       in->has_xor_mapped ? "XOR-MAPPED-ADDRESS" : "MAPPED-ADDRESS");
		jw_addr(&j, "plain_mapped", in->has_mapped ? &in->plain_mapped : NULL);
		jw_addr(&j, "response_origin", in->has_origin ? &in->origin : NULL);
		jw_addr(&j, "other_address", in->has_other ? &in->other : NULL);
		jw_addr(&j, "answer_from", &r->from);
		jw_str(&j, "software", in->software ? r->software : NULL);
		jw_num(&j, "rtt_ms", r->rtt_ms);
	}
	if (r->status == PROBE_ERROR_RESPONSE) {
		jw_int(&j, "error_code", r->info.error_code);
		jw_str(&j, "error_reason", r->reason);
	}
	if (r->status == PROBE_BAD_RESPONSE)
		jw_str(&j, "bad_response", stun_resp_status_name(r->bad_why));
	if (r->status == PROBE_CONNECT_FAILED || r->status == PROBE_SYSERR ||
	    r->status == PROBE_UNREACHABLE)
		jw_str(&j, "error", strerror(r->sys_errno));
	jw_int(&j, "requests_sent", r->sent);
	jw_end(&j);
}

int probe_run_binding(const struct probe_opts *o)
{
	struct probe_req req = {
		.classic = o->classic_requests,
		.fingerprint = o->fingerprint && !o->classic_requests,
		/* RFC 3489 has no SOFTWARE; classic peers would choke. */
		.software = o->classic_requests ? NULL : o->software,
	};
	static struct probe_result res, worst;
	static struct probe_txn txn;
	static struct probe_engine eng;
	struct probe_cfg cfg;
	static struct probe_stream_info si, worst_si;
	struct probe_sock s = { .fd = -1 };
	struct stun_addr worst_local;
	bool worst_has_local = false;
	const struct probe_server *worst_srv = NULL;
	unsigned int i;
	int err;

	probe_cfg_from_opts(&cfg, o);
	err = probe_stream_init(o);
	if (err)
		return err;
	for (i = 0; i < o->n_servers; i++) {
		const struct probe_server *srv = &o->servers[i];
		const struct stun_addr *local = NULL;

		if (o->transport != PROBE_UDP) {
			probe_stream_transact(o, srv, &req, &si, &res);
			probe_log_test(o, "binding", &res);
			if (si.connected)
				local = &si.local;
		} else {
			/* RTT estimates are per server (RFC 8489 6.2.1). */
			probe_engine_init(&eng, &cfg);
			err = probe_sock_open(&s, &srv->addr, o->has_bind ? &o->bind : NULL);
			if (err) {
				res = (struct probe_result){ .status = PROBE_SYSERR,
							     .sys_errno = -err };
			} else {
				probe_transact(&eng, &s, &srv->addr, &req, "binding", &txn);
				/* A copy: its info pointers still refer to txn.res.buf,
				 * which stays. */
				res = txn.res;
				probe_log_test(o, "binding", &res);
				local = &s.local;
			}
		}
		if (res.status == PROBE_OK) {
			if (o->json)
				print_json(o, srv, local, &si, &res, i + 1);
			else
				print_text(o, srv, local, &si, &res);
			probe_sock_close(&s);
			probe_stream_fini();
			return PROBE_EXIT_OK;
		}
		if (!o->json)
			report_failure(o, srv, &res);
		if (!worst_srv || exit_rank(res.status) > exit_rank(worst.status)) {
			worst = res;
			worst_si = si;
			worst_srv = srv;
			worst_has_local = local != NULL;
			if (local)
				worst_local = *local;
		}
		probe_sock_close(&s);
	}
	if (o->json)
		print_json(o, worst_srv, worst_has_local ? &worst_local : NULL, &worst_si,
			   &worst, i);
	probe_stream_fini();
	return probe_exit_of(worst.status);
}

int main(int argc, char **argv)
{
	static struct probe_opts opts;
	int r;

	r = probe_parse_args(&opts, argc, argv);
	if (r < 0)
		return PROBE_EXIT_OK;	/* --help, --version */
	if (r)
		return r;
	/* Results go to a pipe as often as to a terminal. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	switch (opts.mode) {
	case PROBE_MODE_BEHAVIOR:
		return probe_run_behavior(&opts);
	case PROBE_MODE_CLASSIC:
		return probe_run_classic(&opts);
	default:
		return probe_run_binding(&opts);
	}
}
