/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_opts.c - the command line: flags, server names and addresses.
 *
 * Every bad input ends here with one error line and PROBE_EXIT_USAGE, so
 * the runners only ever see a valid configuration.
 */
#include "stunprobe.h"
#include "cli/cli.h"
#include "tls_client.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: stunprobe [OPTIONS] HOST[:PORT] [HOST[:PORT] ...]\n"
	"       stunprobe --behavior [--hairpin] [OPTIONS] HOST[:PORT]\n"
	"       stunprobe --classic [OPTIONS] HOST[:PORT]\n"
	"       stunprobe --tcp | --tls [TLS OPTIONS] [OPTIONS] HOST[:PORT] ...\n"
	"\n"
	"Without a mode: one Binding Request to each server in turn until one\n"
	"answers; prints the mapped address, the server's SOFTWARE and the RTT.\n"
	"HOST is an IPv4 address, [IPv6] or IPv6, or a host name; PORT 3478\n"
	"(5349 with --tls).\n"
	"\n"
	"Streams (the plain probe only; the behaviour tests need UDP):\n"
	"      --tcp             over TCP (RFC 8489 6.2.2): one connection, one\n"
	"                        request, no retransmission\n"
	"      --tls             over TLS 1.2 or 1.3 (RFC 8489 6.2.3), ALPN\n"
	"                        stun.nat-discovery offered (RFC 7443); the\n"
	"                        certificate is verified against the system's\n"
	"                        trusted CAs and must name HOST\n"
	"      --ca FILE         trust only the PEM certificates in FILE\n"
	"      --insecure        do not verify the certificate (testing only)\n"
	"      --sni NAME        send NAME as SNI and check the certificate\n"
	"                        against it instead of HOST\n"
	"      --timeout TIME    give up on a server after TIME: connecting, the\n"
	"                        TLS handshake and the answer together (5s; 39.5s\n"
	"                        with --rfc-timers); a bare number is ms\n"
	"\n"
	"  -b, --behavior        RFC 5780 NAT behaviour discovery: filtering\n"
	"                        and mapping tests, at the same time, each from\n"
	"                        its own fresh port\n"
	"      --hairpin         with --behavior: also test hairpinning\n"
	"  -c, --classic         RFC 3489 NAT type (decision tree of section 10.1,\n"
	"                        with classic requests: no magic cookie)\n"
	"      --modern          with --classic: send RFC 8489 requests instead\n"
	"      --classic-requests  without a mode: send an RFC 3489 request\n"
	"  -j, --json            one JSON object on stdout\n"
	"  -4, -6                use only IPv4 / IPv6 addresses of host names\n"
	"  -B, --bind IP[:PORT]  local address (default: the routed source\n"
	"                        address and a fresh port)\n"
	"\n"
	"Timers: a silent test is a verdict here, so the default is NOT RFC\n"
	"8489's: RTO 250 ms, Rc 4, Rm 4 (sends at 0, .25, .75, 1.75 s; no answer\n"
	"after 2.75 s), the RTO then shrunk to the measured RTT (RFC 6298, not\n"
	"below 100 ms).  Independent tests run at the same time.\n"
	"\n"
	"      --rfc-timers      RFC 8489's timers: RTO 500 ms, Rc 7, Rm 16, not\n"
	"                        adapted (a silent test costs 39.5 s)\n"
	"  -f, --fast            the default timers (kept for old scripts)\n"
	"      --rto TIME        initial retransmission timeout: ms, or with a\n"
	"                        unit: 250ms, 0.25s (250; 500 with --rfc-timers);\n"
	"                        fixed: no RTT adaptation\n"
	"      --rc N            requests per transaction (4; 7)\n"
	"      --rm N            wait N x RTO after the last request (4; 16)\n"
	"      --software TEXT   SOFTWARE in requests (default \"stunprobe VERSION\",\n"
	"                        padded to a multiple of 4 bytes: RFC 3489\n"
	"                        servers (stund) drop requests with unaligned ones)\n"
	"      --no-software     no SOFTWARE attribute\n"
	"      --no-fingerprint  no FINGERPRINT attribute\n"
	"  -v, --verbose         log every test on stderr\n"
	"  -h, --help            this text\n"
	"  -V, --version\n"
	"\n"
	"On a terminal, a progress line on stderr names the tests waiting and\n"
	"for how long (not with --json, nor when stderr is not a terminal).\n"
	"\n"
	"Exit status: 0 success; 1 no answer (timeout, ICMP error; --classic:\n"
	"Blocked); 2 error response; 3 discovery incomplete (the server lacks\n"
	"an alternate address, ignored CHANGE-REQUEST, ...); 4 unusable\n"
	"response; 5 local error; 6 TLS handshake or certificate check failed;\n"
	"64 bad flag, address or host name.\n";


/* A count (src/cli/cli.h) in lo..hi, or a bad value line. */
static int parse_count(const char *opt, const char *s, unsigned int lo,
		       unsigned int hi, unsigned int *out)
{
	const char *why;
	uint64_t v;

	if (cli_parse_count(s, lo, hi, &v, &why))
		return cli_bad_value(opt, s, why, "%u to %u", lo, hi);
	*out = (unsigned int)v;
	return 0;
}

/* --rto: a duration, bare numbers in milliseconds, 1ms to 60s. */
static int parse_rto(const char *s, unsigned int *ms)
{
	const char *why;
	uint64_t ns;

	if (cli_parse_duration(s, CLI_MS, CLI_MS, 60 * CLI_S, &ns, &why) ||
	    ((ns % CLI_MS) && (why = "not whole milliseconds")))
		return cli_bad_value("--rto", s, why, "1ms to 60s (a bare number is ms)");
	*ms = (unsigned int)(ns / CLI_MS);
	return 0;
}

/* --timeout: a duration, bare numbers in milliseconds, 1ms to 10 min. */
static int parse_timeout(const char *s, unsigned int *ms)
{
	const char *why;
	uint64_t ns;

	if (cli_parse_duration(s, CLI_MS, CLI_MS, 600 * CLI_S, &ns, &why) ||
	    ((ns % CLI_MS) && (why = "not whole milliseconds")))
		return cli_bad_value("--timeout", s, why, "1ms to 10m (a bare number is ms)");
	*ms = (unsigned int)(ns / CLI_MS);
	return 0;
}

/* The port when a server argument names none: 5349 for --tls. */
static uint16_t default_port = STUN_DEFAULT_PORT;

static bool family_ok(const struct probe_opts *o, uint8_t fam)
{
	return !o->family || (o->family == 4) == (fam == STUN_FAMILY_IPV4);
}

static int add_server(struct probe_opts *o, const char *arg,
		      const struct stun_addr *a)
{
	for (unsigned int i = 0; i < o->n_servers; i++)
		if (stun_addr_equal(&o->servers[i].addr, a))
			return 0;
	if (o->n_servers == PROBE_MAX_SERVERS)
		return cli_usage_error("too many server addresses (at most %d)",
			   PROBE_MAX_SERVERS);
	o->servers[o->n_servers].arg = arg;
	o->servers[o->n_servers].addr = *a;
	o->n_servers++;
	return 0;
}

/* HOST[:PORT]: a numeric address, or a name resolved with getaddrinfo,
 * every address of it added in the resolver's order (probe_resolve, the
 * library's: the client API resolves the same way). */
static int parse_server(struct probe_opts *o, const char *arg)
{
	struct stun_addr a[PROBE_MAX_SERVERS];
	const char *colon = strchr(arg, ':'), *why;
	uint16_t port;
	int n, err;

	n = probe_resolve(arg, default_port, o->family, a, PROBE_MAX_SERVERS, &why);
	switch (n) {
	case PROBE_RESOLVE_PORT_0:
		return cli_usage_error("bad server address '%s': port 0", arg);
	case PROBE_RESOLVE_WRONG_FAMILY:
		return cli_usage_error("server address '%s' is not IPv%d", arg, o->family);
	case PROBE_RESOLVE_BAD:
		return cli_usage_error("bad server address '%s'", arg);
	case PROBE_RESOLVE_BAD_PORT:
		if (!cli_parse_port(colon + 1, &port, &why))
			why = "not a port";
		return cli_usage_error("bad port in '%s': %s (1-65535)", arg, why);
	case PROBE_RESOLVE_FAILED:
		return cli_usage_error("cannot resolve '%.*s': %s",
				       (int)(colon ? colon - arg : (int)strlen(arg)), arg, why);
	case PROBE_RESOLVE_NONE:
		return cli_usage_error("'%.*s' has no usable address",
				       (int)(colon ? colon - arg : (int)strlen(arg)), arg);
	}
	for (int i = 0; i < n; i++)
		if ((err = add_server(o, arg, &a[i])))
			return err;
	return 0;
}

enum {
	OPT_HAIRPIN = 256,
	OPT_MODERN,
	OPT_CLASSIC_REQ,
	OPT_RTO,
	OPT_RC,
	OPT_RM,
	OPT_SOFTWARE,
	OPT_NO_SOFTWARE,
	OPT_NO_FP,
	OPT_RFC_TIMERS,
	OPT_TCP,
	OPT_TLS,
	OPT_CA,
	OPT_INSECURE,
	OPT_SNI,
	OPT_TIMEOUT,
};

static const struct option long_opts[] = {
	{ "behavior", no_argument, NULL, 'b' },
	{ "behaviour", no_argument, NULL, 'b' },
	{ "hairpin", no_argument, NULL, OPT_HAIRPIN },
	{ "classic", no_argument, NULL, 'c' },
	{ "modern", no_argument, NULL, OPT_MODERN },
	{ "classic-requests", no_argument, NULL, OPT_CLASSIC_REQ },
	{ "json", no_argument, NULL, 'j' },
	{ "bind", required_argument, NULL, 'B' },
	{ "rto", required_argument, NULL, OPT_RTO },
	{ "rc", required_argument, NULL, OPT_RC },
	{ "rm", required_argument, NULL, OPT_RM },
	{ "fast", no_argument, NULL, 'f' },
	{ "rfc-timers", no_argument, NULL, OPT_RFC_TIMERS },
	{ "software", required_argument, NULL, OPT_SOFTWARE },
	{ "no-software", no_argument, NULL, OPT_NO_SOFTWARE },
	{ "no-fingerprint", no_argument, NULL, OPT_NO_FP },
	{ "tcp", no_argument, NULL, OPT_TCP },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "sni", required_argument, NULL, OPT_SNI },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static char default_software[STUN_SOFTWARE_MAX + 1];

int probe_parse_args(struct probe_opts *o, int argc, char **argv)
{
	const struct probe_rto def = PROBE_RTO_DEFAULT, rfc = PROBE_RTO_RFC;
	unsigned int rto = 0, rc = 0, rm = 0;
	bool is_fast = false, rfc_timers = false, modern = false, classic_req = false;
	bool behavior = false, classic = false, tcp = false, tls = false;
	unsigned int timeout_ms = 0;
	const char *bind_arg = NULL;
	int c, err;

	cli_init("stunprobe", PROBE_EXIT_USAGE);
	memset(o, 0, sizeof(*o));
	o->fingerprint = true;
	/* Padded with spaces to a multiple of 4 bytes: RFC 3489 servers (stund)
	 * step over attributes by their length alone and silently drop a
	 * request whose SOFTWARE is not aligned (conformance item 47). */
	snprintf(default_software, sizeof(default_software), "%-*s",
		 (int)((sizeof("stunprobe " STUNRING_VERSION) - 1 + 3) & ~3u),
		 "stunprobe " STUNRING_VERSION);
	o->software = default_software;
	opterr = 0;	/* our own one-line messages */
	while ((c = getopt_long(argc, argv, ":bcj46B:fvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			behavior = true;
			break;
		case 'c':
			classic = true;
			break;
		case OPT_HAIRPIN:
			o->hairpin = true;
			break;
		case OPT_MODERN:
			modern = true;
			break;
		case OPT_CLASSIC_REQ:
			classic_req = true;
			break;
		case 'j':
			o->json = true;
			break;
		case '4':
		case '6':
			o->family = c - '0';
			break;
		case 'B':
			bind_arg = optarg;
			break;
		case OPT_RTO:
			if ((err = parse_rto(optarg, &rto)))
				return err;
			break;
		case OPT_RC:
			if ((err = parse_count("--rc", optarg, 1, 20, &rc)))
				return err;
			break;
		case OPT_RM:
			if ((err = parse_count("--rm", optarg, 1, 100, &rm)))
				return err;
			break;
		case 'f':
			is_fast = true;
			break;
		case OPT_RFC_TIMERS:
			rfc_timers = true;
			break;
		case OPT_SOFTWARE:
			if (strlen(optarg) > STUN_SOFTWARE_MAX)
				return cli_usage_error("--software is longer than %d bytes",
					   STUN_SOFTWARE_MAX);
			o->software = optarg;
			break;
		case OPT_NO_SOFTWARE:
			o->software = NULL;
			break;
		case OPT_NO_FP:
			o->fingerprint = false;
			break;
		case OPT_TCP:
			tcp = true;
			break;
		case OPT_TLS:
			tls = true;
			break;
		case OPT_CA:
			o->tls_ca = optarg;
			break;
		case OPT_INSECURE:
			o->tls_insecure = true;
			break;
		case OPT_SNI:
			if (!*optarg || strlen(optarg) > 253)
				return cli_usage_error("--sni: '%s' is not a host name", optarg);
			o->tls_sni = optarg;
			break;
		case OPT_TIMEOUT:
			if ((err = parse_timeout(optarg, &timeout_ms)))
				return err;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case 'V':
			printf("stunprobe %s\n", STUNRING_VERSION);
			return -1;
		default:
			return cli_getopt_error(c, argv);
		}
	}

	if (behavior && classic)
		return cli_usage_error("--behavior and --classic are exclusive");
	if (o->hairpin && !behavior)
		return cli_usage_error("--hairpin needs --behavior");
	if (modern && !classic)
		return cli_usage_error("--modern needs --classic");
	if (classic_req && (behavior || classic))
		return cli_usage_error("--classic-requests is for the plain probe only");
	o->mode = behavior ? PROBE_MODE_BEHAVIOR :
		  classic ? PROBE_MODE_CLASSIC : PROBE_MODE_BINDING;
	o->classic_requests = classic ? !modern : classic_req;

	if (tcp && tls)
		return cli_usage_error("--tcp and --tls are exclusive");
	o->transport = tls ? PROBE_TLS : tcp ? PROBE_TCP : PROBE_UDP;
	if ((o->tls_ca || o->tls_insecure || o->tls_sni) && !tls)
		return cli_usage_error("--%s needs --tls", o->tls_ca ? "ca" :
				       o->tls_insecure ? "insecure" : "sni");
	if (o->tls_ca && o->tls_insecure)
		return cli_usage_error("--ca and --insecure are exclusive: --insecure verifies nothing");
	if (o->transport != PROBE_UDP) {
		const char *t = tls ? "--tls" : "--tcp";

		if (behavior || classic)
			return cli_usage_error("--%s runs over UDP only: its tests need datagrams "
					       "from fresh ports, not %s",
					       behavior ? "behavior" : "classic", t);
		if (classic_req)
			return cli_usage_error("--classic-requests needs UDP: RFC 3489 requests lack "
					       "the magic cookie that %s framing needs", t);
		if (rto || rc || rm || is_fast)
			return cli_usage_error("--%s is for UDP: %s has no retransmission, use --timeout",
					       rto ? "rto" : rc ? "rc" : rm ? "rm" : "fast", t);
		o->stream_timeout_ms = timeout_ms ? timeout_ms :
				       rfc_timers ? PROBE_STREAM_TIMEOUT_RFC_MS :
						    PROBE_STREAM_TIMEOUT_MS;
		if (tls)
			default_port = STUN_TLS_DEFAULT_PORT;
	} else if (timeout_ms) {
		return cli_usage_error("--timeout is for --tcp and --tls (UDP: --rto, --rc, --rm)");
	}
	if (is_fast && rfc_timers)
		return cli_usage_error("--fast and --rfc-timers are exclusive");
	o->rto = rfc_timers ? rfc : def;
	/* An RTO given or RFC 8489's is used as it is. */
	o->adapt_rto = !rfc_timers && !rto;
	/* A terminal watching gets a progress line; JSON readers and logs do
	 * not. */
	o->progress = !o->json && isatty(STDERR_FILENO);
	if (rto)
		o->rto.rto_ms = rto;
	if (rc)
		o->rto.rc = rc;
	if (rm)
		o->rto.rm = rm;

	if (bind_arg) {
		if (stun_addr_parse(&o->bind, bind_arg, 0))
			return cli_usage_error("bad --bind address '%s' (IP or IP:PORT)", bind_arg);
		if (o->family && !family_ok(o, o->bind.family))
			return cli_usage_error("--bind '%s' is not IPv%d", bind_arg, o->family);
		/* The --bind family decides which server addresses apply. */
		o->family = o->bind.family == STUN_FAMILY_IPV4 ? 4 : 6;
		o->has_bind = true;
		if (behavior && o->bind.port)
			return cli_usage_error("--behavior needs fresh local ports: give --bind an IP only");
	}

	if (optind >= argc)
		return cli_usage_error("no server given");
	if (o->mode != PROBE_MODE_BINDING && argc - optind != 1)
		return cli_usage_error("--%s takes exactly one server",
			   behavior ? "behavior" : "classic");
	for (; optind < argc; optind++) {
		err = parse_server(o, argv[optind]);
		if (err)
			return err;
	}
	return 0;
}
