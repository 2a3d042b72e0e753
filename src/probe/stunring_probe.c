/* SPDX-License-Identifier: MIT */
/*
 * stunring_probe.c - the public client API (stunring_probe.h) over the
 * runners stunprobe uses: the same transactions, trees and verdicts, with
 * the results copied into the caller's plain structs.
 *
 * The work state (engine, chains, transactions: some tens of KiB) lives on
 * the caller's stack for the length of the call.
 */
#include "probe/probe.h"
#include "stunring_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 2750
/* Sends at 0, 1, 3, 7 RTO, failure at 11 RTO (Rc 4, Rm 4). */
#define TIMEOUT_RTOS 11

static int cfg_init(struct probe_cfg *cfg, struct stun_addr *bind,
		    const struct stunring_probe_opts *o)
{
	unsigned int t = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;

	*cfg = (struct probe_cfg){
		.rto = { t / TIMEOUT_RTOS, 4, 4 },
		.adapt_rto = true,
		.fingerprint = !o->no_fingerprint,
		.hairpin = o->hairpin,
		.software = o->software,
	};
	if (cfg->rto.rto_ms < 1)
		cfg->rto.rto_ms = 1;
	if (o->bind) {
		if (stun_addr_parse(bind, o->bind, 0))
			return -EINVAL;
		cfg->bind = bind;
	}
	return 0;
}

static void endpoint(struct stunring_endpoint *e, const struct stun_addr *a)
{
	memset(e, 0, sizeof(*e));
	if (!a || !a->family)
		return;
	inet_ntop(a->family == STUN_FAMILY_IPV4 ? AF_INET : AF_INET6, a->ip,
		  e->ip, sizeof(e->ip));
	e->port = a->port;
	e->family = a->family == STUN_FAMILY_IPV4 ? 4 : 6;
}

static int status_of(enum probe_status s)
{
	switch (s) {
	case PROBE_OK:
		return STUNRING_PROBE_OK;
	case PROBE_TIMEOUT:
		return STUNRING_PROBE_TIMEOUT;
	case PROBE_UNREACHABLE:
		return STUNRING_PROBE_UNREACHABLE;
	case PROBE_ERROR_RESPONSE:
		return STUNRING_PROBE_ERROR_RESPONSE;
	case PROBE_BAD_RESPONSE:
		return STUNRING_PROBE_BAD_RESPONSE;
	default:
		return STUNRING_PROBE_LOCAL_ERROR;
	}
}

/* In words, as stunprobe reports a failed server. */
static void describe(char *d, size_t n, const struct probe_result *r)
{
	switch (r->status) {
	case PROBE_OK:
		d[0] = 0;
		break;
	case PROBE_ERROR_RESPONSE:
		snprintf(d, n, "error response %d %.120s", r->info.error_code, r->reason);
		break;
	case PROBE_BAD_RESPONSE:
		snprintf(d, n, "unusable response (%s)", stun_resp_status_name(r->bad_why));
		break;
	case PROBE_TIMEOUT:
		snprintf(d, n, "no answer after %u request(s)", r->sent);
		break;
	default:
		snprintf(d, n, "%s: %s", probe_status_text(r->status),
			 strerror(r->sys_errno));
	}
}

static void copy_software(char *d, size_t n, const struct probe_result *r)
{
	snprintf(d, n, "%s", r->status == PROBE_OK && r->info.software ?
		 r->software : "");
}

static void add_failure(struct stunring_mapped *out, unsigned int idx,
			const struct stun_addr *server, int status,
			int error_code, const char *detail)
{
	struct stunring_probe_failure *f;

	if (out->n_failures++ >= STUNRING_PROBE_MAX_FAILURES)
		return;
	f = &out->failures[out->n_failures - 1];
	f->server_index = idx;
	endpoint(&f->server, server);
	f->status = status;
	f->error_code = error_code;
	snprintf(f->detail, sizeof(f->detail), "%s", detail);
}

static const char *resolve_text(int r, const char *why, char *buf, size_t n)
{
	switch (r) {
	case PROBE_RESOLVE_BAD_PORT:
		return "bad port (1-65535)";
	case PROBE_RESOLVE_FAILED:
		snprintf(buf, n, "cannot resolve: %s", why);
		return buf;
	case PROBE_RESOLVE_NONE:
		return "no usable address";
	case PROBE_RESOLVE_WRONG_FAMILY:
		return "not of the family asked for";
	case PROBE_RESOLVE_PORT_0:
		return "port 0";
	default:
		return "not HOST[:PORT]";
	}
}

/* One address: a fresh socket, one Binding transaction.  0 with out's
 * answer filled, else -1 with a failure added. */
static int try_one(const struct probe_cfg *cfg, unsigned int idx,
		   const struct stun_addr *srv, struct stunring_mapped *out)
{
	struct probe_engine eng;
	struct probe_txn txn;
	struct probe_sock s = { .fd = -1 };
	struct probe_req req = {
		.fingerprint = cfg->fingerprint,
		.software = cfg->software,
	};
	const struct probe_result *r = &txn.res;
	char detail[STUNRING_TEXT_LEN];
	int err;

	/* RTT estimates are per server (RFC 8489 6.2.1). */
	probe_engine_init(&eng, cfg);
	err = probe_sock_open(&s, srv, cfg->bind);
	if (err) {
		snprintf(detail, sizeof(detail), "socket: %s", strerror(-err));
		add_failure(out, idx, srv, STUNRING_PROBE_LOCAL_ERROR, 0, detail);
		return -1;
	}
	probe_transact(&eng, &s, srv, &req, "binding", &txn);
	probe_sock_close(&s);
	if (r->status != PROBE_OK) {
		describe(detail, sizeof(detail), r);
		add_failure(out, idx, srv, status_of(r->status),
			    r->status == PROBE_ERROR_RESPONSE ? r->info.error_code : 0,
			    detail);
		return -1;
	}
	endpoint(&out->mapped, &r->info.mapped);
	endpoint(&out->local, &s.local);
	endpoint(&out->server, srv);
	out->server_index = idx;
	out->rtt_ms = r->rtt_ms;
	out->requests_sent = r->sent;
	copy_software(out->software, sizeof(out->software), r);
	return 0;
}

int stunring_mapped_address(const char *const *servers, unsigned int n_servers,
			    const struct stunring_probe_opts *opts,
			    struct stunring_mapped *out)
{
	static const struct stunring_probe_opts defaults;
	struct probe_cfg cfg;
	struct stun_addr bind, addrs[PROBE_MAX_SERVERS];
	char buf[STUNRING_TEXT_LEN];
	const char *why;

	memset(out, 0, sizeof(*out));
	if (cfg_init(&cfg, &bind, opts ? opts : &defaults)) {
		add_failure(out, 0, NULL, STUNRING_PROBE_LOCAL_ERROR, 0,
			    "bad bind address (IP[:PORT])");
		return -1;
	}
	for (unsigned int i = 0; i < n_servers; i++) {
		int n = probe_resolve(servers[i] ? servers[i] : "", STUN_DEFAULT_PORT,
				      opts ? opts->family : 0, addrs, PROBE_MAX_SERVERS,
				      &why);

		if (n < 0) {
			add_failure(out, i, NULL, STUNRING_PROBE_BAD_SERVER, 0,
				    resolve_text(n, why, buf, sizeof(buf)));
			continue;
		}
		for (int k = 0; k < n; k++)
			if (!try_one(&cfg, i, &addrs[k], out))
				return 0;
	}
	if (!n_servers)
		add_failure(out, 0, NULL, STUNRING_PROBE_BAD_SERVER, 0, "no servers given");
	return -1;
}

/* One server for a discovery: its first address. */
static int resolve_one(const char *server, const struct stunring_probe_opts *o,
		       struct stun_addr *a, char *detail, size_t n)
{
	char buf[STUNRING_TEXT_LEN];
	const char *why;
	int r = probe_resolve(server ? server : "", STUN_DEFAULT_PORT, o->family,
			      a, 1, &why);

	if (r < 0) {
		snprintf(detail, n, "%s", resolve_text(r, why, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

static int dependence(int v)
{
	/* enum mapping and enum filtering share these values. */
	switch (v) {
	case MAP_EI:
		return STUNRING_ENDPOINT_INDEPENDENT;
	case MAP_AD:
		return STUNRING_ADDRESS_DEPENDENT;
	case MAP_APD:
		return STUNRING_ADDRESS_PORT_DEPENDENT;
	default:
		return STUNRING_UNKNOWN;
	}
}

static int nat_type_of(enum classic_type t)
{
	switch (t) {
	case NAT_BLOCKED:
		return STUNRING_NAT_BLOCKED;
	case NAT_OPEN:
		return STUNRING_NAT_OPEN;
	case NAT_FULL_CONE:
		return STUNRING_NAT_FULL_CONE;
	case NAT_RESTRICTED:
		return STUNRING_NAT_RESTRICTED;
	case NAT_PORT_RESTRICTED:
		return STUNRING_NAT_PORT_RESTRICTED;
	case NAT_SYMMETRIC:
		return STUNRING_NAT_SYMMETRIC;
	case NAT_SYM_FIREWALL:
		return STUNRING_NAT_SYMMETRIC_FIREWALL;
	default:
		return STUNRING_NAT_UNKNOWN;
	}
}

static void why_text(char *d, size_t n, enum behav_why w)
{
	snprintf(d, n, "%s", w ? behav_why_text(w) : "");
}

int stunring_nat_behavior(const char *server,
			  const struct stunring_probe_opts *opts,
			  struct stunring_behavior *out)
{
	static const struct stunring_probe_opts defaults;
	const struct stunring_probe_opts *o = opts ? opts : &defaults;
	struct behav_run b;
	struct probe_cfg cfg;
	struct stun_addr bind, srv;
	const struct probe_result *f;
	int err;

	memset(out, 0, sizeof(*out));
	out->nat = -1;
	out->hairpin = -1;
	out->status = STUNRING_PROBE_LOCAL_ERROR;
	if (cfg_init(&cfg, &bind, o)) {
		snprintf(out->detail, sizeof(out->detail), "bad bind address (IP[:PORT])");
		return -1;
	}
	if (resolve_one(server, o, &srv, out->detail, sizeof(out->detail))) {
		out->status = STUNRING_PROBE_BAD_SERVER;
		return -1;
	}
	endpoint(&out->server, &srv);
	err = probe_behavior_run(&b, &cfg, &srv);
	if (err) {
		snprintf(out->detail, sizeof(out->detail), "socket: %s", strerror(-err));
		return -1;
	}
	f = probe_behavior_first(&b);
	out->status = status_of(b.ffirst.status);
	if (b.fs.t[FT_I].kind != OUT_ANSWER)
		describe(out->detail, sizeof(out->detail), &b.ffirst);
	if (b.ffirst.status == PROBE_OK && b.fs.t[FT_I].kind != OUT_ANSWER)
		snprintf(out->detail, sizeof(out->detail), "answer from the wrong source");
	out->nat = b.nat_known ? b.nat : -1;
	out->mapping = dependence(b.ms.result);
	out->filtering = dependence(b.fs.result);
	out->hairpin = b.hairpin;
	out->nat_type = nat_type_of(b.classic);
	out->alg = probe_alg_seen(f);
	if (f->status == PROBE_OK) {
		endpoint(&out->mapped, &f->info.mapped);
		if (f->info.has_other)
			endpoint(&out->other, &f->info.other);
		copy_software(out->software, sizeof(out->software), f);
	}
	endpoint(&out->local_filtering, &b.fs.local);
	if (b.msock.fd >= 0)
		endpoint(&out->local_mapping, &b.ms.local);
	why_text(out->mapping_note, sizeof(out->mapping_note), b.ms.why);
	why_text(out->filtering_note, sizeof(out->filtering_note), b.fs.why);
	probe_behavior_close(&b);
	return b.ms.result != MAP_UNKNOWN && b.fs.result != FILT_UNKNOWN ? 0 : -1;
}

int stunring_nat_type(const char *server, const struct stunring_probe_opts *opts,
		      struct stunring_classic *out)
{
	static const struct stunring_probe_opts defaults;
	const struct stunring_probe_opts *o = opts ? opts : &defaults;
	struct classic_run c;
	struct probe_cfg cfg;
	struct stun_addr bind, srv;
	int err;

	memset(out, 0, sizeof(*out));
	out->nat = -1;
	out->status = STUNRING_PROBE_LOCAL_ERROR;
	if (cfg_init(&cfg, &bind, o)) {
		snprintf(out->detail, sizeof(out->detail), "bad bind address (IP[:PORT])");
		return -1;
	}
	cfg.classic_requests = !o->modern_requests;
	if (resolve_one(server, o, &srv, out->detail, sizeof(out->detail))) {
		out->status = STUNRING_PROBE_BAD_SERVER;
		return -1;
	}
	endpoint(&out->server, &srv);
	err = probe_classic_run(&c, &cfg, &srv);
	if (err) {
		snprintf(out->detail, sizeof(out->detail), "socket: %s", strerror(-err));
		return -1;
	}
	out->status = status_of(c.first.status);
	out->nat_type = nat_type_of(c.st.result);
	endpoint(&out->local, &c.st.local);
	if (c.first.status == PROBE_OK) {
		out->nat = c.st.nat;
		endpoint(&out->mapped, &c.first.info.mapped);
		if (c.first.info.has_other)
			endpoint(&out->changed, &c.first.info.other);
		copy_software(out->software, sizeof(out->software), &c.first);
	} else {
		describe(out->detail, sizeof(out->detail), &c.first);
	}
	why_text(out->note, sizeof(out->note), c.st.why);
	return c.st.result != NAT_UNKNOWN ? 0 : -1;
}

const char *stunring_nat_type_name(int t)
{
	switch (t) {
	case STUNRING_NAT_BLOCKED:
		return "Blocked";
	case STUNRING_NAT_OPEN:
		return "Open Internet";
	case STUNRING_NAT_FULL_CONE:
		return "Full Cone";
	case STUNRING_NAT_RESTRICTED:
		return "Restricted Cone";
	case STUNRING_NAT_PORT_RESTRICTED:
		return "Port Restricted Cone";
	case STUNRING_NAT_SYMMETRIC:
		return "Symmetric";
	case STUNRING_NAT_SYMMETRIC_FIREWALL:
		return "Symmetric UDP Firewall";
	default:
		return "unknown";
	}
}

const char *stunring_dependence_name(int d)
{
	/* The same words as RFC 5780 and stunprobe. */
	return mapping_name((enum mapping)(d >= STUNRING_ENDPOINT_INDEPENDENT &&
					   d <= STUNRING_ADDRESS_PORT_DEPENDENT ? d : 0));
}

const char *stunring_probe_status_name(int s)
{
	switch (s) {
	case STUNRING_PROBE_OK:
		return "answered";
	case STUNRING_PROBE_TIMEOUT:
		return "no answer (timeout)";
	case STUNRING_PROBE_UNREACHABLE:
		return "unreachable (ICMP error)";
	case STUNRING_PROBE_ERROR_RESPONSE:
		return "error response";
	case STUNRING_PROBE_BAD_RESPONSE:
		return "unusable response";
	case STUNRING_PROBE_BAD_SERVER:
		return "bad server name or address";
	default:
		return "local error";
	}
}
