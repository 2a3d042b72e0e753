/* SPDX-License-Identifier: MIT */
/*
 * options.c - the command line.  Every mistake gets one line on stderr
 * naming the option and what was expected; main exits 2.
 */
#include "stunload.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const req_kind_names[REQ_KIND_COUNT] = {
	[REQ_PLAIN] = "plain",
	[REQ_FINGERPRINT] = "fingerprint",
	[REQ_SOFTWARE] = "software",
	[REQ_CLASSIC] = "classic",
	[REQ_CHANGE] = "change-request",
};

static const char usage_text[] =
"Usage: stunload [options] HOST[:PORT]\n"
"Send STUN Binding Requests to HOST (IPv4, [IPv6] or a name; port 3478 by\n"
"default),\n"
"validate every answer and report rate, loss and latency.\n"
"\n"
"How long (one of them, or both: the first reached ends the run):\n"
"  -d, --duration S      send for S seconds (default 10; 500ms, 2m accepted)\n"
"  -n, --count N         send N requests in total (k, M suffixes accepted)\n"
"Load:\n"
"  -r, --rate R          open loop: R requests/s in total, paced\n"
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
"Validation:\n"
"  -T, --timeout S       a request unanswered after S is lost (1s)\n"
"      --expect-mapped A the mapped address to accept instead of the socket's\n"
"                        own: IP (any port, as behind a NAT), IP:PORT or any\n"
"      --max-loss PCT    fail (exit 4) when more than PCT%% are lost\n"
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
"Exit status: 0 all answers valid; 1 an invalid answer was seen; 2 usage\n"
"error; 3 runtime error; 4 nothing answered, or loss above --max-loss.\n";

enum {
	OPT_JSON = 256, OPT_CSV, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_EXPECT,
	OPT_MAX_LOSS, OPT_SOFTWARE, OPT_ENGINE, OPT_IFACE, OPT_NETNS,
	OPT_NO_GSO, OPT_ECHO,
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
	{ "max-loss", required_argument, NULL, OPT_MAX_LOSS },
	{ "software", required_argument, NULL, OPT_SOFTWARE },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "interface", required_argument, NULL, OPT_IFACE },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "no-gso", no_argument, NULL, OPT_NO_GSO },
	{ "echo", no_argument, NULL, OPT_ECHO },
	{ NULL, 0, NULL, 0 },
};

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("stunload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see stunload --help)\n", stderr);
	return -1;
}

/* A positive number with an optional k/M/G multiplier. */
static int parse_amount(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return -1;
	switch (*end) {
	case 'k': case 'K': v *= 1e3; end++; break;
	case 'M': v *= 1e6; end++; break;
	case 'G': v *= 1e9; end++; break;
	}
	if (*end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned *out)
{
	double v;

	if (parse_amount(s, &v) || v != floor(v) || v > (double)max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Seconds, with an optional unit: 1.5, 1.5s, 200ms, 2m. */
static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v <= 0)
		return -1;
	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (!strcmp(end, "m"))
		v *= 60;
	else if (*end && strcmp(end, "s"))
		return -1;
	*out = v;
	return 0;
}

static int parse_cpus(struct sl_config *cfg, const char *s)
{
	const char *p = s;

	cfg->n_cpus = 0;
	while (*p) {
		char *end;
		long a, b;

		a = strtol(p, &end, 10);
		if (end == p || a < 0 || a > 4095)
			return -1;
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a || b > 4095)
				return -1;
		}
		for (long c = a; c <= b; c++) {
			if (cfg->n_cpus == SL_MAX_THREADS)
				return -1;
			cfg->cpus[cfg->n_cpus++] = (int)c;
		}
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		p = end;
	}
	return cfg->n_cpus ? 0 : -1;
}

/* "plain=70,classic" : a name without a weight weighs 1. */
static int parse_mix(struct sl_config *cfg, const char *spec)
{
	char buf[256], *save = NULL, *tok;
	unsigned total = 0;

	if (strlen(spec) >= sizeof(buf))
		return fail("--mix: '%s' is too long", spec);
	strcpy(buf, spec);
	memset(cfg->mix, 0, sizeof(cfg->mix));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		unsigned w = 1;
		int k;

		if (eq) {
			*eq = 0;
			if (parse_uint(eq + 1, 1000, &w))
				return fail("--mix: weight of '%s' must be 1..1000", tok);
		}
		for (k = 0; k < REQ_KIND_COUNT; k++)
			if (!strcmp(tok, req_kind_names[k]) ||
			    (k == REQ_CHANGE && !strcmp(tok, "change")))
				break;
		if (k == REQ_KIND_COUNT)
			return fail("--mix: unknown request kind '%s' (plain, fingerprint, software, classic, change-request)", tok);
		cfg->mix[k] += w;
		total += w;
	}
	if (!total)
		return fail("--mix: no request kind in '%s'", spec);
	return 0;
}

static int parse_expect(struct sl_config *cfg, const char *s)
{
	if (!strcmp(s, "any")) {
		cfg->expect = MAP_ANY;
		return 0;
	}
	if (stun_addr_parse(&cfg->expect_addr, s, 0))
		return fail("--expect-mapped: '%s' is not IP, IP:PORT, [IPv6]:PORT or any", s);
	cfg->expect = cfg->expect_addr.port ? MAP_IP_PORT : MAP_IP;
	return 0;
}

/* An address literal, else a host name (first address getaddrinfo gives). */
static int parse_target(struct sl_config *cfg, const char *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	char host[256];
	const char *colon = strrchr(s, ':');
	unsigned port = STUN_DEFAULT_PORT;
	int r;

	if (!stun_addr_parse(&cfg->target, s, STUN_DEFAULT_PORT))
		return cfg->target.port ? 0 : -1;
	if (s[0] == '[' || strlen(s) >= sizeof(host))
		return -1;
	strcpy(host, s);
	if (colon) {
		if (parse_uint(colon + 1, 65535, &port))
			return -1;
		host[colon - s] = 0;
	}
	if (!host[0] || getaddrinfo(host, NULL, &hints, &res) || !res)
		return -1;
	r = stun_addr_from_sockaddr(&cfg->target, res->ai_addr,
				    (unsigned int)res->ai_addrlen);
	freeaddrinfo(res);
	cfg->target.port = (uint16_t)port;
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

int sl_parse_options(struct sl_config *cfg, int argc, char **argv)
{
	bool have_inflight = false;
	double v;
	int c;

	defaults(cfg);
	opterr = 0;	/* our own one-line messages */
	while ((c = getopt_long(argc, argv, ":d:n:r:i:s:t:c:m:T:qhV", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_seconds(optarg, &cfg->duration_s))
				return fail("--duration: '%s' is not a positive time (10, 1.5s, 500ms, 2m)", optarg);
			break;
		case 'n':
			if (parse_amount(optarg, &v) || v != floor(v) || v > 1e15)
				return fail("--count: '%s' is not a positive whole number", optarg);
			cfg->count = (uint64_t)v;
			break;
		case 'r':
			if (parse_amount(optarg, &v) || v > 1e9)
				return fail("--rate: '%s' is not a positive rate in requests/s", optarg);
			cfg->rate = v;
			break;
		case 'i':
			if (parse_uint(optarg, 65536, &cfg->inflight))
				return fail("--inflight: '%s' is not a number of requests 1..65536", optarg);
			have_inflight = true;
			break;
		case 's':
			if (parse_uint(optarg, SL_MAX_SOCKETS, &cfg->sockets))
				return fail("--sockets: '%s' is not 1..%d", optarg, SL_MAX_SOCKETS);
			break;
		case 't':
			if (parse_uint(optarg, SL_MAX_THREADS, &cfg->threads))
				return fail("--threads: '%s' is not 1..%d", optarg, SL_MAX_THREADS);
			break;
		case 'c':
			if (parse_cpus(cfg, optarg))
				return fail("--cpus: '%s' is not a CPU list like 0,2-3", optarg);
			break;
		case 'm':
			if (parse_mix(cfg, optarg))
				return -1;
			break;
		case 'T':
			if (parse_seconds(optarg, &v) || v > 3600)
				return fail("--timeout: '%s' is not a time up to 1 hour (1, 0.2s, 200ms)", optarg);
			cfg->timeout_ns = (uint64_t)(v * 1e9);
			break;
		case 'q':
			cfg->quiet = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 1;
		case 'V':
			printf("stunload %s\n", STUNRING_VERSION);
			return 1;
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
			if (parse_expect(cfg, optarg))
				return -1;
			break;
		case OPT_MAX_LOSS:
			{
				char *end;

				errno = 0;
				v = strtod(optarg, &end);
				if (end == optarg || *end || errno || !(v >= 0 && v <= 100))
					return fail("--max-loss: '%s' is not a percentage 0..100", optarg);
			}
			cfg->max_loss_pct = v;
			break;
		case OPT_SOFTWARE:
			if (strlen(optarg) > STUN_SOFTWARE_MAX)
				return fail("--software: longer than %d bytes", STUN_SOFTWARE_MAX);
			cfg->software = optarg;
			break;
		case OPT_ENGINE:
			if (!strcmp(optarg, "socket"))
				cfg->engine = ENGINE_SOCKET;
			else if (!strcmp(optarg, "xdp"))
				cfg->engine = ENGINE_XDP;
			else
				return fail("--engine: '%s' is not socket or xdp", optarg);
			break;
		case OPT_IFACE:
			cfg->xdp_ifname = optarg;
			break;
		case OPT_NETNS:
			cfg->xdp_netns = optarg;
			break;
		case OPT_NO_GSO:
			cfg->gso = false;
			break;
		case OPT_ECHO:
			cfg->echo = true;
			break;
		case ':':
			return fail("%s needs a value", argv[optind - 1]);
		case '?':
		default:
			if (optopt)
				return fail("unknown option '-%c'", optopt);
			return fail("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return fail("no target: give HOST[:PORT]");
	if (optind + 1 < argc)
		return fail("one target only, got '%s' too", argv[optind + 1]);
	if (parse_target(cfg, argv[optind]))
		return fail("target '%s' is not IP, IP:PORT, [IPv6]:PORT or a resolvable HOST[:PORT]",
			    argv[optind]);
	stun_addr_format(&cfg->target, cfg->target_str, sizeof(cfg->target_str));
	if (cfg->rate && have_inflight)
		return fail("--rate (open loop) and --inflight (closed loop) exclude each other");
	if (!cfg->duration_s && !cfg->count)
		cfg->duration_s = 10;
	if (cfg->count && cfg->count < cfg->threads)
		return fail("--count %llu is smaller than --threads %u",
			    (unsigned long long)cfg->count, cfg->threads);
	if (cfg->sockets < cfg->threads)
		return fail("--sockets %u is fewer than --threads %u: each thread needs a socket",
			    cfg->sockets, cfg->threads);
	if (cfg->expect != MAP_SELF && cfg->expect != MAP_ANY &&
	    cfg->expect_addr.family != cfg->target.family)
		return fail("--expect-mapped: address family differs from the target's");
	if (cfg->engine == ENGINE_SOCKET && (cfg->xdp_ifname || cfg->xdp_netns))
		return fail("--interface and --netns need --engine xdp");
	if (cfg->engine == ENGINE_SOCKET && cfg->echo)
		return fail("--echo needs --engine xdp: only the kernel-injection engine counts echoes");
	return 0;
}
