/* SPDX-License-Identifier: MIT */
/*
 * options.c - the command line.  Every mistake gets one line on stderr
 * naming the option and what was expected, and exit status 2; numbers,
 * durations and lists are spelt as in every stunring program
 * (src/cli/cli.h).
 */
#include "stunload.h"
#include "cli/cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/prov_ssl.h>	/* TLS1_2_VERSION, TLS1_3_VERSION: macros only */

const char *const req_kind_names[REQ_KIND_COUNT] = {
	[REQ_PLAIN] = "plain",
	[REQ_FINGERPRINT] = "fingerprint",
	[REQ_SOFTWARE] = "software",
	[REQ_CLASSIC] = "classic",
	[REQ_CHANGE] = "change-request",
};

const char *const sl_transport_names[3] = {
	[TRANSPORT_UDP] = "udp",
	[TRANSPORT_TCP] = "tcp",
	[TRANSPORT_TLS] = "tls",
};

static const char usage_text[] =
"Usage: stunload [options] HOST[:PORT]\n"
"Send STUN Binding Requests to HOST (IPv4, [IPv6] or a name; port 3478 by\n"
"default, 5349 with --transport tls),\n"
"validate every answer and report rate, loss and latency.\n"
"\n"
"How long (one of them, or both: the first reached ends the run):\n"
"  -d, --duration TIME   send for TIME: seconds, or 500ms, 2m, 1h (default 10)\n"
"  -n, --count N         send N requests in total (1k, 2.5M accepted)\n"
"Load:\n"
"  -r, --rate R          open loop: R requests/s in total, paced (50k)\n"
"  -i, --inflight N      closed loop (default): N outstanding per socket (8)\n"
"  -s, --sockets N       N sockets, i.e. distinct source ports (16)\n"
"  -t, --threads T       T sending threads (1)\n"
"  -c, --cpus LIST       pin thread k to the k-th CPU of LIST (0,2-3)\n"
"  -m, --mix SPEC        request kinds with weights (plain):\n"
"                        plain,fingerprint,software,classic,change-request\n"
"                        e.g. plain=70,fingerprint=20,classic=10\n"
"      --software TEXT   SOFTWARE text of software requests (stunload)\n"
"      --no-gso          one send per request (default: equal-size requests\n"
"                        of a batch leave as one UDP GSO send, cheaper)\n"
"      --bind IP[/LEN]   bind socket (connection) k to the k-th address of\n"
"                        the prefix\n"
"                        (they must be local: ip route add local PREFIX dev lo)\n"
"Transport:\n"
"      --transport P     udp (default), tcp or tls (RFC 8489 6.2.2, 6.2.3):\n"
"                        requests pipelined on each connection up to\n"
"                        --inflight, answers framed and validated as for UDP\n"
"      --connections N   tcp/tls: N connections at once (16); instead of\n"
"                        --sockets\n"
"      --requests-per-connection K\n"
"                        tcp/tls: close each connection after K requests\n"
"                        and their answers and open a new one (connection\n"
"                        churn; with tls: handshakes/s).  Default: each\n"
"                        connection lasts the whole run\n"
"      --ca FILE         tls: trust only the PEM certificates in FILE\n"
"                        (default: the system's trusted CAs; the\n"
"                        certificate must name HOST)\n"
"      --tls-insecure    tls: do not verify the server's certificate\n"
"      --sni NAME        tls: send NAME as SNI and check the certificate\n"
"                        against it instead of HOST\n"
"      --tls-resume      tls: offer each connection's last session (ticket)\n"
"      --tls-max-version V  tls: 1.2 or 1.3 (default: the newest the server\n"
"                        speaks): compare servers at the same version\n"
"                        to its successor: resumed handshakes under churn\n"
"Validation:\n"
"  -T, --timeout TIME    a request unanswered after TIME is lost (1s)\n"
"      --expect-mapped A the mapped address to accept instead of the socket's\n"
"                        own: IP (any port, as behind a NAT), IP:PORT or any\n"
"      --max-loss PCT    fail (exit 4) when more than PCT% are lost\n"
"Output:\n"
"      --json            print the result as JSON instead of text\n"
"      --csv FILE        write a per-second time series to FILE\n"
"      --progress        one-line live display on stderr (default on a TTY)\n"
"      --no-progress\n"
"  -q, --quiet           no summary (exit status only)\n"
"Engine:\n"
"      --engine E        socket (default) or xdp\n"
"      --interface IF    xdp: inject into IF\n"
"      --netns NAME      xdp: IF lives in network namespace NAME\n"
"      --echo            xdp: the target is a bare reflector that sends each\n"
"                        request back; count those echoes as answers\n"
"  -h, --help, -V, --version\n"
"\n"
"Numbers take no sign; counts (N, R) also k, M, G (x1000).\n"
"\n"
"Exit status: 0 all answers valid; 1 an invalid answer was seen; 2 usage\n"
"error; 3 runtime error; 4 nothing answered, or loss above --max-loss.\n";

enum {
	OPT_JSON = 256, OPT_CSV, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_EXPECT, OPT_BIND,
	OPT_MAX_LOSS, OPT_SOFTWARE, OPT_ENGINE, OPT_IFACE, OPT_NETNS,
	OPT_NO_GSO, OPT_ECHO, OPT_TRANSPORT, OPT_CONNECTIONS, OPT_RPC, OPT_CA,
	OPT_TLS_INSECURE, OPT_TLS_RESUME, OPT_TLS_MAX_VERSION, OPT_SNI,
};

static const struct option long_opts[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "count", required_argument, NULL, 'n' },
	{ "rate", required_argument, NULL, 'r' },
	{ "inflight", required_argument, NULL, 'i' },
	{ "sockets", required_argument, NULL, 's' },
	{ "threads", required_argument, NULL, 't' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "mix", required_argument, NULL, 'm' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "expect-mapped", required_argument, NULL, OPT_EXPECT },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "max-loss", required_argument, NULL, OPT_MAX_LOSS },
	{ "software", required_argument, NULL, OPT_SOFTWARE },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "interface", required_argument, NULL, OPT_IFACE },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "no-gso", no_argument, NULL, OPT_NO_GSO },
	{ "echo", no_argument, NULL, OPT_ECHO },
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "connections", required_argument, NULL, OPT_CONNECTIONS },
	{ "requests-per-connection", required_argument, NULL, OPT_RPC },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "tls-insecure", no_argument, NULL, OPT_TLS_INSECURE },
	{ "tls-resume", no_argument, NULL, OPT_TLS_RESUME },
	{ "tls-max-version", required_argument, NULL, OPT_TLS_MAX_VERSION },
	{ "sni", required_argument, NULL, OPT_SNI },
	{ NULL, 0, NULL, 0 },
};

/* "plain=70,classic" : a name without a weight weighs 1. */
static int parse_mix(struct sl_config *cfg, const char *spec)
{
	struct cli_items it;
	const char *why;
	unsigned total = 0;
	int r;

	memset(cfg->mix, 0, sizeof(cfg->mix));
	cli_items_init(&it, spec);
	while ((r = cli_items_next(&it, &why)) > 0) {
		char *tok = it.item, *eq = strchr(tok, '=');
		uint64_t w = 1;
		int k;

		if (eq) {
			*eq = 0;
			if (cli_parse_count(eq + 1, 1, 1000, &w, &why))
				return cli_usage_error("--mix: weight of '%s': %s; expected 1 to 1000",
						       tok, why);
		}
		for (k = 0; k < REQ_KIND_COUNT; k++)
			if (!strcmp(tok, req_kind_names[k]) ||
			    (k == REQ_CHANGE && !strcmp(tok, "change")))
				break;
		if (k == REQ_KIND_COUNT)
			return cli_usage_error("--mix: unknown request kind '%s' (plain, fingerprint, software, classic, change-request)", tok);
		cfg->mix[k] += (unsigned)w;
		total += (unsigned)w;
	}
	if (r < 0)
		return cli_bad_value("--mix", spec, why, "KIND[=WEIGHT],...");
	return -1;
}

static int parse_expect(struct sl_config *cfg, const char *s)
{
	if (!strcmp(s, "any")) {
		cfg->expect = MAP_ANY;
		return 0;
	}
	if (stun_addr_parse(&cfg->expect_addr, s, 0))
		return cli_usage_error("--expect-mapped: '%s' is not IP, IP:PORT, [IPv6]:PORT or any", s);
	cfg->expect = cfg->expect_addr.port ? MAP_IP_PORT : MAP_IP;
	return -1;
}

/* An address literal, else a host name (first address getaddrinfo gives). */
static int parse_target(struct sl_config *cfg, const char *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	char host[256];
	const char *colon = strrchr(s, ':'), *why;
	uint16_t port = cfg->transport == TRANSPORT_TLS ? SL_TLS_PORT : STUN_DEFAULT_PORT;
	int r;

	if (!stun_addr_parse(&cfg->target, s, cfg->transport == TRANSPORT_TLS ?
			     SL_TLS_PORT : STUN_DEFAULT_PORT)) {
		/* The IP literal is what a certificate must name. */
		inet_ntop(cfg->target.family == STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET,
			  cfg->target.ip, cfg->target_host, sizeof(cfg->target_host));
		return cfg->target.port ? 0 : -1;
	}
	if (s[0] == '[' || strlen(s) >= sizeof(host))
		return -1;
	strcpy(host, s);
	if (colon) {
		if (cli_parse_port(colon + 1, &port, &why))
			return -1;
		host[colon - s] = 0;
	}
	if (!host[0] || getaddrinfo(host, NULL, &hints, &res) || !res)
		return -1;
	snprintf(cfg->target_host, sizeof(cfg->target_host), "%s", host);
	r = stun_addr_from_sockaddr(&cfg->target, res->ai_addr,
				    (unsigned int)res->ai_addrlen);
	freeaddrinfo(res);
	cfg->target.port = port;
	return r;
}

static void defaults(struct sl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->inflight = 8;
	cfg->sockets = 16;
	cfg->threads = 1;
	cfg->mix[REQ_PLAIN] = 1;
	cfg->timeout_ns = 1000000000ull;
	cfg->max_loss_pct = -1;
	cfg->progress = isatty(STDERR_FILENO);
	cfg->software = "stunload";
	cfg->gso = true;
}

/* One count option in lo..hi into *out, or its error line. */
static int count_opt(const char *opt, const char *arg, uint64_t lo, uint64_t hi,
		     uint64_t *out)
{
	const char *why;

	if (cli_parse_count(arg, lo, hi, out, &why))
		return cli_bad_value(opt, arg, why, "%llu to %llu", (unsigned long long)lo,
				     (unsigned long long)hi);
	return -1;
}

/* One duration option (bare numbers are seconds) in lo..hi, or its line. */
static int time_opt(const char *opt, const char *arg, uint64_t lo_ns, uint64_t hi_ns,
		    const char *range, uint64_t *ns)
{
	const char *why;

	if (cli_parse_duration(arg, CLI_S, lo_ns, hi_ns, ns, &why))
		return cli_bad_value(opt, arg, why, "%s (10, 1.5s, 500ms, 2m)", range);
	return -1;
}

int sl_parse_options(struct sl_config *cfg, int argc, char **argv)
{
	bool have_inflight = false, have_sockets = false, have_conns = false;
	bool have_gso = false;
	const char *why, *sni = NULL;
	uint64_t n = 0;
	double v;
	int c, rc = -1;

	cli_init("stunload", SL_EXIT_USAGE);
	defaults(cfg);
	opterr = 0;	/* our own one-line messages */
	while ((c = getopt_long(argc, argv, ":d:n:r:i:s:t:c:m:T:qhV", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			rc = time_opt("--duration", optarg, CLI_MS, 366 * 24 * 3600 * CLI_S,
				      "1ms to 366 days", &n);
			cfg->duration_s = (double)n / 1e9;
			break;
		case 'n':
			rc = count_opt("--count", optarg, 1, 1000000000000000ull, &cfg->count);
			break;
		case 'r':
			rc = count_opt("--rate", optarg, 1, 1000000000, &n);
			cfg->rate = (double)n;
			break;
		case 'i':
			rc = count_opt("--inflight", optarg, 1, 65536, &n);
			cfg->inflight = (unsigned)n;
			have_inflight = true;
			break;
		case 's':
			rc = count_opt("--sockets", optarg, 1, SL_MAX_SOCKETS, &n);
			cfg->sockets = (unsigned)n;
			have_sockets = true;
			break;
		case 't':
			rc = count_opt("--threads", optarg, 1, SL_MAX_THREADS, &n);
			cfg->threads = (unsigned)n;
			break;
		case 'c':
			if (cli_parse_cpus(optarg, cfg->cpus, &cfg->n_cpus, SL_MAX_THREADS, &why))
				rc = cli_bad_value("--cpus", optarg, why, "a CPU list like 0,2-3 "
						   "(at most %d CPUs)", SL_MAX_THREADS);
			break;
		case 'm':
			rc = parse_mix(cfg, optarg);
			break;
		case 'T':
			rc = time_opt("--timeout", optarg, CLI_MS, 3600 * CLI_S, "1ms to 1h",
				      &cfg->timeout_ns);
			break;
		case 'q':
			cfg->quiet = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("stunload %s\n", STUNRING_VERSION);
			return 0;
		case OPT_JSON:
			cfg->json = true;
			break;
		case OPT_CSV:
			cfg->csv_path = optarg;
			break;
		case OPT_PROGRESS:
			cfg->progress = true;
			break;
		case OPT_NO_PROGRESS:
			cfg->progress = false;
			break;
		case OPT_EXPECT:
			rc = parse_expect(cfg, optarg);
			break;
		case OPT_BIND:
			{
				const char *bad;

				if (cli_parse_prefix(optarg, &cfg->bind, &bad))
					return cli_bad_value("--bind", optarg, bad, "IP or IP/LEN");
			}
			break;
		case OPT_MAX_LOSS:
			{
				char *end;

				errno = 0;
				v = strtod(optarg, &end);
				if (end == optarg || *end || errno || !(v >= 0 && v <= 100))
					return cli_usage_error("--max-loss: '%s' is not a percentage 0..100", optarg);
			}
			cfg->max_loss_pct = v;
			break;
		case OPT_SOFTWARE:
			if (strlen(optarg) > STUN_SOFTWARE_MAX)
				return cli_usage_error("--software: longer than %d bytes", STUN_SOFTWARE_MAX);
			cfg->software = optarg;
			break;
		case OPT_ENGINE:
			if (!strcmp(optarg, "socket"))
				cfg->engine = ENGINE_SOCKET;
			else if (!strcmp(optarg, "xdp"))
				cfg->engine = ENGINE_XDP;
			else
				return cli_usage_error("--engine: '%s' is not socket or xdp", optarg);
			break;
		case OPT_IFACE:
			cfg->xdp_ifname = optarg;
			break;
		case OPT_NETNS:
			cfg->xdp_netns = optarg;
			break;
		case OPT_NO_GSO:
			cfg->gso = false;
			have_gso = true;
			break;
		case OPT_TRANSPORT:
			if (!strcmp(optarg, "udp"))
				cfg->transport = TRANSPORT_UDP;
			else if (!strcmp(optarg, "tcp"))
				cfg->transport = TRANSPORT_TCP;
			else if (!strcmp(optarg, "tls"))
				cfg->transport = TRANSPORT_TLS;
			else
				return cli_usage_error("--transport: '%s' is not udp, tcp or tls", optarg);
			break;
		case OPT_CONNECTIONS:
			rc = count_opt("--connections", optarg, 1, SL_MAX_SOCKETS, &n);
			cfg->sockets = (unsigned)n;
			have_conns = true;
			break;
		case OPT_RPC:
			rc = count_opt("--requests-per-connection", optarg, 1,
				       1000000000000ull, &cfg->requests_per_conn);
			break;
		case OPT_CA:
			cfg->tls_ca = optarg;
			break;
		case OPT_TLS_INSECURE:
			cfg->tls_insecure = true;
			break;
		case OPT_TLS_RESUME:
			cfg->tls_resume = true;
			break;
		case OPT_TLS_MAX_VERSION:
			if (!strcmp(optarg, "1.2"))
				cfg->tls_max_version = TLS1_2_VERSION;
			else if (!strcmp(optarg, "1.3"))
				cfg->tls_max_version = TLS1_3_VERSION;
			else
				return cli_usage_error("--tls-max-version: '%s' is not 1.2 or 1.3", optarg);
			break;
		case OPT_SNI:
			if (!*optarg || strlen(optarg) > 253)
				return cli_usage_error("--sni: '%s' is not a host name", optarg);
			sni = optarg;
			break;
		case OPT_ECHO:
			cfg->echo = true;
			break;
		default:
			return cli_getopt_error(c, argv);
		}
		if (rc >= 0)
			return rc;
	}
	if (cfg->transport == TRANSPORT_UDP) {
		if (have_conns || cfg->requests_per_conn)
			return cli_usage_error("--%s needs --transport tcp or tls (UDP: --sockets)",
					       have_conns ? "connections" : "requests-per-connection");
	} else {
		const char *t = sl_transport_names[cfg->transport];

		if (have_sockets)
			return cli_usage_error("--sockets is for UDP: with --transport %s give --connections", t);
		if (cfg->engine == ENGINE_XDP)
			return cli_usage_error("--engine xdp is UDP only: --transport %s uses sockets", t);
		if (have_gso)
			return cli_usage_error("--no-gso is for UDP only, not --transport %s", t);
		if (cfg->mix[REQ_CLASSIC])
			return cli_usage_error("--mix classic needs UDP: RFC 3489 requests lack the magic cookie %s framing needs", t);
	}
	if ((cfg->tls_ca || cfg->tls_insecure || cfg->tls_resume || cfg->tls_max_version || sni) &&
	    cfg->transport != TRANSPORT_TLS)
		return cli_usage_error("--%s needs --transport tls", cfg->tls_ca ? "ca" :
				       cfg->tls_insecure ? "tls-insecure" :
				       cfg->tls_resume ? "tls-resume" :
				       cfg->tls_max_version ? "tls-max-version" : "sni");
	if (cfg->tls_ca && cfg->tls_insecure)
		return cli_usage_error("--ca and --tls-insecure are exclusive: --tls-insecure verifies nothing");
	if (optind == argc)
		return cli_usage_error("no target: give HOST[:PORT]");
	if (optind + 1 < argc)
		return cli_usage_error("one target only, got '%s' too", argv[optind + 1]);
	if (parse_target(cfg, argv[optind]))
		return cli_usage_error("target '%s' is not IP, IP:PORT, [IPv6]:PORT or a resolvable HOST[:PORT]",
			    argv[optind]);
	stun_addr_format(&cfg->target, cfg->target_str, sizeof(cfg->target_str));
	if (sni)	/* what the certificate must name, sent as SNI */
		snprintf(cfg->target_host, sizeof(cfg->target_host), "%s", sni);
	if (cfg->rate && have_inflight)
		return cli_usage_error("--rate (open loop) and --inflight (closed loop) exclude each other");
	if (!cfg->duration_s && !cfg->count)
		cfg->duration_s = 10;
	if (cfg->count && cfg->count < cfg->threads)
		return cli_usage_error("--count %llu is smaller than --threads %u",
			    (unsigned long long)cfg->count, cfg->threads);
	if (cfg->sockets < cfg->threads)
		return cli_usage_error("--sockets %u is fewer than --threads %u: each thread needs a socket",
			    cfg->sockets, cfg->threads);
	if (cfg->expect != MAP_SELF && cfg->expect != MAP_ANY &&
	    cfg->expect_addr.family != cfg->target.family)
		return cli_usage_error("--expect-mapped: address family differs from the target's");
	if (cfg->engine == ENGINE_SOCKET && (cfg->xdp_ifname || cfg->xdp_netns))
		return cli_usage_error("--interface and --netns need --engine xdp");
	if (cfg->engine == ENGINE_SOCKET && cfg->echo)
		return cli_usage_error("--echo needs --engine xdp: only the kernel-injection engine counts echoes");
	return -1;
}
