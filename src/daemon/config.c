/* SPDX-License-Identifier: MIT */
/*
 * config.c - stunringd's options: the help text, the table of names
 * (each is a command-line flag and a configuration-file key), the getopt
 * pass over argv, and the one function that applies one option's value to
 * a configuration.  Every bad value ends in exactly one error line and
 * EXIT_USAGE (cli_usage_error: on stderr for the command line, through a
 * sink that adds FILE:LINE for the file, see config_load.c); numbers,
 * sizes, durations and lists are spelt as in every stunring program
 * (src/cli/cli.h).
 */
#include "config.h"
#include "cli/cli.h"
#include "log.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SOCKBUF (4 << 20)	/* net.core.rmem_max on stock Debian is 208k */
/* Buffers a burst may fill before the multishot receive ends (-ENOBUFS) and
 * is re-armed; the rest waits in the socket's receive buffer, not lost.  A
 * buffer returns to the ring as soon as its reply is queued, so a batch
 * rarely holds more than ~64 of them.  Few buffers keep the lines the
 * kernel writes hot in cache: 128 answered with less CPU than 1024 (the
 * datagram copy cost half as much; bench/compare.sh). */
#define DEFAULT_RING_BUFFERS 128
/* TCP (stream_conn.h). */
#define DEFAULT_MAX_CONNS 10000
#define DEFAULT_MAX_CONNS_PER_SOURCE 32
#define DEFAULT_TCP_IDLE_S 30
#define DEFAULT_TCP_FIRST_S 5
#define DEFAULT_TCP_MAX_MSG 2048
#define DEFAULT_TLS_PORT 5349
#define DEFAULT_TLS_HANDSHAKE_S 5
#define DEFAULT_TLS_MAX_HANDSHAKES 1024

static const char usage_text[] =
"Usage: stunringd [OPTION]...\n"
"Answer STUN Binding requests (RFC 8489, RFC 3489 classic clients) over UDP.\n"
"Runs in the foreground and logs to stderr; SIGTERM or SIGINT stops it after\n"
"the replies in flight are sent; SIGHUP re-reads the configuration file.\n"
"\n"
"  -c, --config FILE          read options from FILE (default\n"
"                             " CONFIG_DEFAULT_PATH " when it exists;\n"
"                             every long option is a key: listen = IP:PORT);\n"
"                             flags given here override the file\n"
"      --check-config         check the configuration file and the flags, print\n"
"                             'FILE: ok' or one 'FILE:LINE: problem' line each,\n"
"                             exit 0 or 64\n"
"  -l, --listen IP[:PORT],... listen on these addresses (repeatable; default\n"
"                             0.0.0.0:3478 and [::]:3478; IPv6 as [ADDR]:PORT;\n"
"                             port 0 picks a free port, logged at start)\n"
"  -w, --workers N            worker threads (default: one per usable CPU)\n"
"      --no-pin               do not pin worker i to the i-th usable CPU\n"
"  -e, --io-engine ENGINE     auto (default), uring or mmsg (recvmmsg/sendmmsg)\n"
"  -s, --software TEXT        add SOFTWARE to responses (default: none)\n"
"      --fingerprint          FINGERPRINT in every response (default: only\n"
"                             when the request had one)\n"
"      --no-classic           ignore RFC 3489 requests (no magic cookie)\n"
"      --rcvbuf SIZE          socket receive buffer to ask for, 4K to 1G\n"
"                             (default 4M; K, M, G are binary, as KiB, MiB, GiB)\n"
"      --sndbuf SIZE          socket send buffer to ask for (default 4M)\n"
"      --ring-buffers N       io_uring receive buffers per worker, a power of\n"
"                             two (default 128)\n"
"  -i, --stats-interval TIME  log a counters line every TIME: seconds, or with\n"
"                             a unit: 500ms, 10s, 5m, 1h (0: off, the default)\n"
"      --metrics IP:PORT      serve Prometheus /metrics, /healthz and /readyz\n"
"                             over HTTP there (default port 9478; off unless\n"
"                             given)\n"
"  -L, --log-level LEVEL      error, warn, info (default) or debug\n"
"  -h, --help                 show this help and exit\n"
"  -V, --version              show the version and exit\n"
"\n"
"RFC 5780 NAT behaviour discovery (and RFC 3489 CHANGE-REQUEST):\n"
"      --alt-ip IP            the alternate address A2 (one per family, same\n"
"                             family as its --listen, local, not a wildcard):\n"
"                             listen on A1:P1, A1:P2, A2:P1 and A2:P2 and answer\n"
"                             CHANGE-REQUEST from the right one\n"
"      --alt-port PORT        the alternate port P2 (default: P1 + 1); needs\n"
"                             --alt-ip\n"
"      --rfc5780              RFC 5780 attributes without an alternate address\n"
"                             (single-address mode: 420 to CHANGE-REQUEST)\n"
"      --advertise-ip IP      behind a 1:1 NAT: the public address to report\n"
"                             for the --listen address of that family\n"
"      --advertise-alt-ip IP  the public address to report for --alt-ip\n"
"      --no-response-port     answer RESPONSE-PORT with 420 (not supported)\n"
"\n"
"STUN over TCP (RFC 8489 section 6.2.2; nothing listens on TCP unless asked):\n"
"      --tcp-listen IP[:PORT],...  accept TCP connections on these addresses\n"
"                             (repeatable; default port 3478)\n"
"      --max-connections N    open TCP connections in all, split evenly over\n"
"                             the workers (default 10000)\n"
"      --max-connections-per-source N\n"
"                             open TCP connections from one IP address\n"
"                             (default 32; 0: no limit)\n"
"      --tcp-idle-timeout TIME  close a connection without a complete request\n"
"                             for TIME (default 30s)\n"
"      --tcp-first-message-timeout TIME\n"
"                             close a connection whose first request is not\n"
"                             complete TIME after it was accepted (default 5s)\n"
"      --tcp-max-message SIZE  largest request; a larger one (or bytes that\n"
"                             cannot be STUN) closes the connection (default\n"
"                             2048, 128 to 64K)\n"
"\n"
"STUN over TLS (RFC 8489 section 6.2.3, stuns:; the TCP limits apply too):\n"
"      --tls-listen IP[:PORT],...  accept TLS connections on these addresses\n"
"                             (repeatable; default port 5349); needs\n"
"                             --tls-cert and --tls-key\n"
"      --tls-cert FILE        the certificate (PEM, chain after it), re-read\n"
"                             on SIGHUP\n"
"      --tls-key FILE         its private key (PEM, RSA or ECDSA)\n"
"      --tls-handshake-timeout TIME\n"
"                             close a connection whose handshake is not done\n"
"                             TIME after it was accepted (default 5s)\n"
"      --tls-max-handshakes N  handshakes in progress at once; a connection\n"
"                             over it is closed at once (default 1024)\n"
"\n"
"Privileges:\n"
"  -u, --user NAME            once the sockets are bound (and XDP attached),\n"
"                             run as user NAME and its group, without\n"
"                             supplementary groups or capabilities (with --xdp:\n"
"                             CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON, to detach at\n"
"                             exit), with no_new_privs\n"
"Abuse protection (here and in the XDP program; SIGHUP changes them):\n"
"      --allow CIDR,...       answer only these sources (repeatable; default:\n"
"                             every source)\n"
"      --deny CIDR,...        never answer these sources (repeatable; deny wins)\n"
"      --rate-limit RATE[/BURST]\n"
"                             responses per second per source prefix (token\n"
"                             bucket; BURST default RATE; 0: off, the default)\n"
"      --error-rate-limit RATE[/BURST]\n"
"                             the same for error, classic, RESPONSE-PORT and\n"
"                             PADDING responses (default 0: off)\n"
"      --rate-limit-prefix4 LEN  source prefix of a bucket (default 32)\n"
"      --rate-limit-prefix6 LEN  (default 64)\n"
"      --max-response-rate N  responses per second per worker, and per CPU in\n"
"                             XDP (default 0: off)\n"
"\n"
"XDP fast path (basic mode only; needs CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON):\n"
"      --xdp IFACE            attach the XDP responder to IFACE at start (it\n"
"                             answers plain Binding Requests in the kernel and\n"
"                             passes the rest here) and detach it at exit\n"
"      --xdp-mode MODE        auto (default: native, else generic), native or\n"
"                             generic\n"
"\n"
"Numbers take no sign; counts (N) also k, M, G (x1000).\n"
"\n"
"Exit status: 0 after SIGTERM/SIGINT, 64 bad usage, 68 address not on this\n"
"host, 69 address in use, 77 missing privilege, 71 other setup failure,\n"
"1 runtime failure.\n";

enum {
	OPT_NO_PIN = 256, OPT_FINGERPRINT, OPT_NO_CLASSIC, OPT_RCVBUF,
	OPT_SNDBUF, OPT_RING_BUFFERS, OPT_ALT_IP, OPT_ALT_PORT, OPT_RFC5780,
	OPT_ADV_IP, OPT_ADV_ALT_IP, OPT_NO_RESPONSE_PORT, OPT_XDP, OPT_XDP_MODE,
	OPT_CHECK_CONFIG, OPT_METRICS,
	/* The abuse limits (cli_limits.c): their names say what they are. */
	OPT_ALLOW, OPT_DENY, OPT_RATE_LIMIT, OPT_ERROR_RATE_LIMIT, OPT_RATE_PREFIX4,
	OPT_RATE_PREFIX6, OPT_MAX_RESPONSE_RATE,
	/* TCP (stream_conn.h) */
	OPT_TCP_LISTEN, OPT_MAX_CONNS, OPT_MAX_CONNS_PER_SOURCE, OPT_TCP_IDLE_TIMEOUT,
	OPT_TCP_FIRST_TIMEOUT, OPT_TCP_MAX_MESSAGE,
	/* TLS (stream_tls.h) */
	OPT_TLS_LISTEN, OPT_TLS_CERT, OPT_TLS_KEY, OPT_TLS_HANDSHAKE_TIMEOUT,
	OPT_TLS_MAX_HANDSHAKES,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "workers", required_argument, NULL, 'w' },
	{ "no-pin", no_argument, NULL, OPT_NO_PIN },
	{ "io-engine", required_argument, NULL, 'e' },
	{ "software", required_argument, NULL, 's' },
	{ "fingerprint", no_argument, NULL, OPT_FINGERPRINT },
	{ "no-classic", no_argument, NULL, OPT_NO_CLASSIC },
	{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
	{ "sndbuf", required_argument, NULL, OPT_SNDBUF },
	{ "ring-buffers", required_argument, NULL, OPT_RING_BUFFERS },
	{ "alt-ip", required_argument, NULL, OPT_ALT_IP },
	{ "alt-port", required_argument, NULL, OPT_ALT_PORT },
	{ "rfc5780", no_argument, NULL, OPT_RFC5780 },
	{ "advertise-ip", required_argument, NULL, OPT_ADV_IP },
	{ "advertise-alt-ip", required_argument, NULL, OPT_ADV_ALT_IP },
	{ "no-response-port", no_argument, NULL, OPT_NO_RESPONSE_PORT },
	{ "xdp", required_argument, NULL, OPT_XDP },
	{ "xdp-mode", required_argument, NULL, OPT_XDP_MODE },
	{ "stats-interval", required_argument, NULL, 'i' },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "user", required_argument, NULL, 'u' },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "deny", required_argument, NULL, OPT_DENY },
	{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
	{ "error-rate-limit", required_argument, NULL, OPT_ERROR_RATE_LIMIT },
	{ "rate-limit-prefix4", required_argument, NULL, OPT_RATE_PREFIX4 },
	{ "rate-limit-prefix6", required_argument, NULL, OPT_RATE_PREFIX6 },
	{ "max-response-rate", required_argument, NULL, OPT_MAX_RESPONSE_RATE },
	{ "tcp-listen", required_argument, NULL, OPT_TCP_LISTEN },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONNS },
	{ "max-connections-per-source", required_argument, NULL, OPT_MAX_CONNS_PER_SOURCE },
	{ "tcp-idle-timeout", required_argument, NULL, OPT_TCP_IDLE_TIMEOUT },
	{ "tcp-first-message-timeout", required_argument, NULL, OPT_TCP_FIRST_TIMEOUT },
	{ "tcp-max-message", required_argument, NULL, OPT_TCP_MAX_MESSAGE },
	{ "tls-listen", required_argument, NULL, OPT_TLS_LISTEN },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "tls-handshake-timeout", required_argument, NULL, OPT_TLS_HANDSHAKE_TIMEOUT },
	{ "tls-max-handshakes", required_argument, NULL, OPT_TLS_MAX_HANDSHAKES },
	{ "log-level", required_argument, NULL, 'L' },
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* What the file may say about an option, and how often. */
static unsigned int option_flags(int id)
{
	switch (id) {
	case 'l': case OPT_ALT_IP: case OPT_ADV_IP: case OPT_ADV_ALT_IP:
	case OPT_ALLOW: case OPT_DENY: case OPT_TCP_LISTEN: case OPT_TLS_LISTEN:
		return CONFIG_OPT_LIST;
	case 'c': case OPT_CHECK_CONFIG: case 'h': case 'V':
		return CONFIG_OPT_CMDLINE_ONLY;
	default:
		return 0;
	}
}

static bool is_limit(int id)
{
	return id >= OPT_ALLOW && id <= OPT_MAX_RESPONSE_RATE;
}

/* The long name of option id ("" for none). */
static const char *option_name(int id)
{
	for (const struct option *lo = long_opts; lo->name; lo++)
		if (lo->val == id)
			return lo->name;
	return "";
}

int config_option_find(const char *name, struct config_option *o)
{
	for (const struct option *lo = long_opts; lo->name; lo++) {
		if (strcmp(lo->name, name))
			continue;
		o->name = lo->name;
		o->id = lo->val;
		o->flags = option_flags(lo->val) |
			   (lo->has_arg == no_argument ? CONFIG_OPT_FLAG : 0);
		return 0;
	}
	return -1;
}

void config_option_reset(struct daemon_config *cfg, int id)
{
	switch (id) {
	case 'l': cfg->n_listen = 0; break;
	case OPT_TCP_LISTEN: cfg->n_tcp_listen = 0; break;
	case OPT_TLS_LISTEN: cfg->n_tls_listen = 0; break;
	case OPT_ALT_IP: memset(cfg->alt_ip, 0, sizeof(cfg->alt_ip)); break;
	case OPT_ADV_IP: memset(cfg->adv, 0, sizeof(cfg->adv)); break;
	case OPT_ADV_ALT_IP: memset(cfg->adv_alt, 0, sizeof(cfg->adv_alt)); break;
	case OPT_ALLOW: case OPT_DENY: cli_limits_reset(&cfg->limits, option_name(id)); break;
	default: break;
	}
}

const char *engine_name(enum io_engine e)
{
	switch (e) {
	case ENGINE_URING: return "uring";
	case ENGINE_MMSG: return "mmsg";
	default: return "auto";
	}
}

/* --listen or --tcp-listen LIST (repeatable): each address once,
 * MAX_LISTEN in all. */
static int add_addrs(struct listen_spec *ls, unsigned int *nls, const char *opt,
		     const char *list, bool implicit)
{
	struct stun_addr addrs[MAX_LISTEN];
	unsigned int n = 0;
	const char *why;
	bool tls = !strcmp(opt, "--tls-listen");

	if (cli_parse_addrs(list, tls ? DEFAULT_TLS_PORT : STUN_DEFAULT_PORT, addrs, &n,
			    MAX_LISTEN - *nls, &why))
		return cli_bad_value(opt, list, why, "IP[:PORT] items, at most %d "
				     "in all", MAX_LISTEN);
	for (unsigned int k = 0; k < n; k++) {
		struct listen_spec *l = &ls[*nls];

		l->addr = addrs[k];
		l->role = ROLE_PRIMARY;
		l->implicit = implicit;
		l->what = tls ? "TLS" : strcmp(opt, "--tcp-listen") ? NULL : "TCP";
		l->tls = tls;
		stun_addr_format(&l->addr, l->text, sizeof(l->text));
		for (unsigned int i = 0; i < *nls; i++)
			if (stun_addr_equal(&ls[i].addr, &l->addr) && l->addr.port)
				return cli_usage_error("%s '%s' given twice", opt, l->text);
		(*nls)++;
	}
	return -1;
}

static int add_listen(struct daemon_config *cfg, const char *list, bool implicit)
{
	return add_addrs(cfg->listen, &cfg->n_listen, "--listen", list, implicit);
}

/* --alt-ip / --advertise-ip / --advertise-alt-ip: a bare IP, at most one
 * per family (the port comes from --listen and --alt-port). */
static int set_ip(struct stun_addr *slots, const char *opt, const char *text)
{
	struct stun_addr a;

	if (stun_addr_parse(&a, text, 0) || a.port)
		return cli_usage_error("--%s '%s': expected an IP address without a port "
				    "(1.2.3.4 or ::1)", opt, text);
	if (slots[fam_index(&a)].family)
		return cli_usage_error("--%s '%s': given twice for IPv%c (at most one "
				    "per family)", opt, text,
				    a.family == STUN_FAMILY_IPV6 ? '6' : '4');
	slots[fam_index(&a)] = a;
	return -1;
}

/* A copy of a value from the file that outlives the file's line buffer,
 * in cfg itself (so a configuration owns its strings). */
static const char *keep(struct daemon_config *cfg, const char *s)
{
	size_t n = strlen(s) + 1;

	if (s >= cfg->strings && s < cfg->strings + sizeof(cfg->strings))
		return s;
	if (n > sizeof(cfg->strings) - cfg->strings_used)
		return NULL;
	char *p = memcpy(cfg->strings + cfg->strings_used, s, n);
	cfg->strings_used += n;
	return p;
}

void config_defaults(struct daemon_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_LVL_INFO;
	cfg->pin = true;
	cfg->engine = ENGINE_AUTO;
	cfg->rcvbuf = DEFAULT_SOCKBUF;
	cfg->sndbuf = DEFAULT_SOCKBUF;
	cfg->ring_buffers = DEFAULT_RING_BUFFERS;
	stun_server_cfg_init(&cfg->stun);
	cli_limits_defaults(&cfg->limits);
	cfg->max_conns = DEFAULT_MAX_CONNS;
	cfg->max_conns_per_source = DEFAULT_MAX_CONNS_PER_SOURCE;
	cfg->tcp_idle_ns = DEFAULT_TCP_IDLE_S * CLI_S;
	cfg->tcp_first_ns = DEFAULT_TCP_FIRST_S * CLI_S;
	cfg->tcp_max_msg = DEFAULT_TCP_MAX_MSG;
	cfg->tls_handshake_ns = DEFAULT_TLS_HANDSHAKE_S * CLI_S;
	cfg->tls_max_handshakes = DEFAULT_TLS_MAX_HANDSHAKES;
}

int config_cmdline(int argc, char **argv, struct config_cmdline *cl)
{
	int c;

	cli_init("stunringd", EXIT_USAGE);
	memset(cl, 0, sizeof(*cl));
	opterr = 0;	/* our own single error line instead of getopt's */
	while ((c = getopt_long(argc, argv, ":l:w:e:s:i:L:c:u:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("stunringd %s\n", STUNRING_VERSION);
			return 0;
		case 'c':
			cl->config_path = optarg;
			break;
		case OPT_CHECK_CONFIG:
			cl->check_only = true;
			break;
		case ':':
		case '?':
			return cli_getopt_error(c, argv);
		default:
			if (cl->n == CONFIG_MAX_CMDLINE)
				return cli_usage_error("more than %d options", CONFIG_MAX_CMDLINE);
			cl->opt[cl->n].id = c;
			cl->opt[cl->n].arg = optarg;
			cl->n++;
			break;
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	return -1;
}

int config_option_apply(struct daemon_config *cfg, int c, const char *optarg)
{
	const char *why;
	uint64_t v;
	int rc;

	switch (c) {
	case 'l':
		if ((rc = add_listen(cfg, optarg, false)) >= 0)
			return rc;
		break;
	case 'w':
		if (cli_parse_count(optarg, 1, MAX_WORKERS, &v, &why))
			return cli_bad_value("--workers", optarg, why, "1 to %d",
					     MAX_WORKERS);
		cfg->workers = (unsigned)v;
		break;
	case OPT_NO_PIN:
		cfg->pin = false;
		break;
	case 'e':
		if (!strcmp(optarg, "auto"))
			cfg->engine = ENGINE_AUTO;
		else if (!strcmp(optarg, "uring") || !strcmp(optarg, "io_uring"))
			cfg->engine = ENGINE_URING;
		else if (!strcmp(optarg, "mmsg"))
			cfg->engine = ENGINE_MMSG;
		else
			return cli_usage_error("--io-engine '%s': expected auto, uring or mmsg",
					   optarg);
		break;
	case 's':
		if (!(optarg = keep(cfg, optarg)) ||
		    stun_server_cfg_software(&cfg->stun, optarg))
			return cli_usage_error("--software: at most %d bytes of valid UTF-8",
					   STUN_SOFTWARE_MAX);
		break;
	case OPT_FINGERPRINT:
		cfg->stun.always_fingerprint = true;
		break;
	case OPT_NO_CLASSIC:
		cfg->stun.classic = false;
		break;
	case OPT_RCVBUF:
	case OPT_SNDBUF:
		if (cli_parse_size(optarg, 4096, 1u << 30, &v, &why))
			return cli_bad_value(c == OPT_RCVBUF ? "--rcvbuf" : "--sndbuf",
					     optarg, why, "a size from 4K to 1G");
		*(c == OPT_RCVBUF ? &cfg->rcvbuf : &cfg->sndbuf) = (int)v;
		break;
	case OPT_RING_BUFFERS:
		if (cli_parse_count(optarg, 16, 32768, &v, &why) ||
		    ((v & (v - 1)) && (why = "not a power of two")))
			return cli_bad_value("--ring-buffers", optarg, why,
					     "a power of two from 16 to 32768");
		cfg->ring_buffers = (unsigned)v;
		break;
	case OPT_ALT_IP:
		if ((rc = set_ip(cfg->alt_ip, "alt-ip", optarg)) >= 0)
			return rc;
		cfg->rfc5780 = true;
		break;
	case OPT_ADV_IP:
		if ((rc = set_ip(cfg->adv, "advertise-ip", optarg)) >= 0)
			return rc;
		break;
	case OPT_ADV_ALT_IP:
		if ((rc = set_ip(cfg->adv_alt, "advertise-alt-ip", optarg)) >= 0)
			return rc;
		break;
	case OPT_ALT_PORT:
		if (cli_parse_port(optarg, &cfg->alt_port, &why))
			return cli_bad_value("--alt-port", optarg, why, "a port, 1 to 65535");
		cfg->rfc5780 = true;
		break;
	case OPT_RFC5780:
		cfg->rfc5780 = true;
		break;
	case OPT_NO_RESPONSE_PORT:
		cfg->stun.response_port = false;
		break;
	case OPT_XDP:
		if (!*optarg || strlen(optarg) >= 16)
			return cli_usage_error("--xdp '%s': expected an interface name", optarg);
		cfg->xdp_ifname = keep(cfg, optarg);
		break;
	case OPT_XDP_MODE:
		if (!strcmp(optarg, "auto"))
			cfg->xdp_mode = XDP_AUTO;
		else if (!strcmp(optarg, "native"))
			cfg->xdp_mode = XDP_NATIVE;
		else if (!strcmp(optarg, "generic"))
			cfg->xdp_mode = XDP_GENERIC;
		else
			return cli_usage_error("--xdp-mode '%s': expected auto, native or generic",
					    optarg);
		break;
	case 'i':
		/* Faster than 10 lines a second only floods the log. */
		if (cli_parse_duration(optarg, CLI_S, 0, 24 * 3600 * CLI_S, &v, &why) ||
		    (v && v < 100 * CLI_MS && (why = "too small")))
			return cli_bad_value("--stats-interval", optarg, why,
					     "0 (off) or 100ms to 24h");
		cfg->stats_interval_ms = (unsigned int)(v / CLI_MS);
		break;
	case OPT_METRICS:
		if (stun_addr_parse(&cfg->metrics, optarg, 9478))
			return cli_usage_error("--metrics '%s': expected IP:PORT (127.0.0.1:9478 "
					       "or [::1]:9478)", optarg);
		break;
	case 'u':
		/* Checked here so that --check-config and a SIGHUP re-read
		 * catch a typo too; privdrop.c looks the name up again. */
		if (!*optarg || !getpwnam(optarg))
			return cli_usage_error("--user '%s': no such user", optarg);
		if (!(cfg->user = keep(cfg, optarg)))
			return cli_usage_error("--user '%s': name too long", optarg);
		break;
	case OPT_TCP_LISTEN:
		if ((rc = add_addrs(cfg->tcp_listen, &cfg->n_tcp_listen, "--tcp-listen",
				    optarg, false)) >= 0)
			return rc;
		break;
	case OPT_MAX_CONNS:
		if (cli_parse_count(optarg, 1, 1u << 24, &v, &why))
			return cli_bad_value("--max-connections", optarg, why, "1 to 16M");
		cfg->max_conns = (unsigned int)v;
		break;
	case OPT_MAX_CONNS_PER_SOURCE:
		if (cli_parse_count(optarg, 0, 1u << 24, &v, &why))
			return cli_bad_value("--max-connections-per-source", optarg, why,
					     "0 (no limit) to 16M");
		cfg->max_conns_per_source = (unsigned int)v;
		break;
	case OPT_TCP_IDLE_TIMEOUT:
	case OPT_TCP_FIRST_TIMEOUT:
		if (cli_parse_duration(optarg, CLI_S, 100 * CLI_MS, 24 * 3600 * CLI_S, &v, &why))
			return cli_bad_value(c == OPT_TCP_IDLE_TIMEOUT ? "--tcp-idle-timeout"
					     : "--tcp-first-message-timeout", optarg, why,
					     "100ms to 24h");
		*(c == OPT_TCP_IDLE_TIMEOUT ? &cfg->tcp_idle_ns : &cfg->tcp_first_ns) = v;
		break;
	case OPT_TCP_MAX_MESSAGE:
		if (cli_parse_size(optarg, 128, 65536, &v, &why))
			return cli_bad_value("--tcp-max-message", optarg, why,
					     "a size from 128 to 64K");
		cfg->tcp_max_msg = (unsigned int)v;
		break;
	case OPT_TLS_LISTEN:
		if ((rc = add_addrs(cfg->tls_listen, &cfg->n_tls_listen, "--tls-listen",
				    optarg, false)) >= 0)
			return rc;
		break;
	case OPT_TLS_CERT:
	case OPT_TLS_KEY:
		if (!*optarg)
			return cli_usage_error("--%s: expected a file name", option_name(c));
		if (!(*(c == OPT_TLS_CERT ? &cfg->tls_cert : &cfg->tls_key) = keep(cfg, optarg)))
			return cli_usage_error("--%s '%s': name too long", option_name(c), optarg);
		break;
	case OPT_TLS_HANDSHAKE_TIMEOUT:
		if (cli_parse_duration(optarg, CLI_S, 100 * CLI_MS, 3600 * CLI_S, &v, &why))
			return cli_bad_value("--tls-handshake-timeout", optarg, why, "100ms to 1h");
		cfg->tls_handshake_ns = v;
		break;
	case OPT_TLS_MAX_HANDSHAKES:
		if (cli_parse_count(optarg, 1, 1u << 24, &v, &why))
			return cli_bad_value("--tls-max-handshakes", optarg, why, "1 to 16M");
		cfg->tls_max_handshakes = (unsigned int)v;
		break;
	case 'L':
		if ((rc = log_level_parse(optarg)) < 0)
			return cli_usage_error("--log-level '%s': expected error, warn, info "
					   "or debug", optarg);
		cfg->log_level = (enum log_level)rc;
		break;
	default:
		if (is_limit(c))
			return cli_limits_option(&cfg->limits, option_name(c), optarg);
		return cli_usage_error("option %d cannot be set here", c);
	}
	return -1;
}

int config_finish(struct daemon_config *cfg)
{
	if (!cfg->n_listen)
		add_listen(cfg, "0.0.0.0:3478,[::]:3478", true);
	/* The XDP program answers as basic mode does: with RFC 5780 it would
	 * send answers lacking MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS. */
	if (cfg->xdp_ifname && cfg->rfc5780)
		return cli_usage_error("--xdp answers in basic mode only; it cannot be combined "
				    "with --rfc5780, --alt-ip or --alt-port");
	if (cfg->xdp_mode != XDP_AUTO && !cfg->xdp_ifname)
		return cli_usage_error("--xdp-mode needs --xdp IFACE");
	if (cfg->n_tls_listen && (!cfg->tls_cert || !cfg->tls_key))
		return cli_usage_error("--tls-listen needs --tls-cert FILE and --tls-key FILE");
	/* The TLS listeners join the TCP ones: the engines accept on both
	 * alike, the filter (stream_tls.h) goes by listen_spec.tls. */
	if (cfg->n_tcp_listen + cfg->n_tls_listen > MAX_LISTEN)
		return cli_usage_error("--tcp-listen and --tls-listen: at most %d addresses "
				       "in all", MAX_LISTEN);
	for (unsigned int k = 0; k < cfg->n_tls_listen; k++) {
		const struct listen_spec *t = &cfg->tls_listen[k];

		for (unsigned int i = 0; i < cfg->n_tcp_listen; i++)
			if (t->addr.port && stun_addr_equal(&cfg->tcp_listen[i].addr, &t->addr))
				return cli_usage_error("'%s' given to both --tcp-listen and "
						       "--tls-listen", t->text);
		cfg->tcp_listen[cfg->n_tcp_listen++] = *t;
	}
	return -1;
}

/* addrs (one per family) as text: "1.2.3.4,::1", "" for none. */
static void fam_addrs_text(const struct stun_addr *a, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = 0;
	for (unsigned int f = 0; f < FAM_COUNT; f++) {
		char t[STUN_ADDR_STRLEN];
		if (!a[f].family)
			continue;
		stun_addr_format(&a[f], t, sizeof(t));
		used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? "," : "", t);
		if (used >= n)
			return;
	}
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* An option's value in cfg as text, to compare two configurations. */
static void option_text(const struct daemon_config *cfg, int id, char *buf, size_t n)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	size_t used = 0;

	buf[0] = 0;
	switch (id) {
	case 'l':
		for (unsigned int i = 0; i < cfg->n_listen && used < n; i++)
			if (cfg->listen[i].role == ROLE_PRIMARY)
				used += (size_t)snprintf(buf + used, n - used, "%s%s",
							 used ? "," : "", cfg->listen[i].text);
		break;
	case 'w':
		if (cfg->workers)
			snprintf(buf, n, "%u", cfg->workers);
		else
			snprintf(buf, n, "one per CPU");
		break;
	case OPT_NO_PIN: snprintf(buf, n, "%s", yes_no(!cfg->pin)); break;
	case 'e': snprintf(buf, n, "%s", engine_name(cfg->engine)); break;
	case 's':
		snprintf(buf, n, "\"%.*s\"", (int)cfg->stun.software_len,
			 cfg->stun.software ? cfg->stun.software : "");
		break;
	case OPT_FINGERPRINT: snprintf(buf, n, "%s", yes_no(cfg->stun.always_fingerprint)); break;
	case OPT_NO_CLASSIC: snprintf(buf, n, "%s", yes_no(!cfg->stun.classic)); break;
	case OPT_NO_RESPONSE_PORT: snprintf(buf, n, "%s", yes_no(!cfg->stun.response_port)); break;
	case OPT_RCVBUF: snprintf(buf, n, "%d", cfg->rcvbuf); break;
	case OPT_SNDBUF: snprintf(buf, n, "%d", cfg->sndbuf); break;
	case OPT_RING_BUFFERS: snprintf(buf, n, "%u", cfg->ring_buffers); break;
	case OPT_ALT_IP: fam_addrs_text(cfg->alt_ip, buf, n); break;
	case OPT_ADV_IP: fam_addrs_text(cfg->adv, buf, n); break;
	case OPT_ADV_ALT_IP: fam_addrs_text(cfg->adv_alt, buf, n); break;
	case OPT_ALT_PORT: snprintf(buf, n, "%u", cfg->alt_port); break;
	case OPT_RFC5780: snprintf(buf, n, "%s", yes_no(cfg->rfc5780)); break;
	case OPT_XDP: snprintf(buf, n, "%s", cfg->xdp_ifname ? cfg->xdp_ifname : ""); break;
	case OPT_XDP_MODE:
		snprintf(buf, n, "%s", cfg->xdp_mode == XDP_NATIVE ? "native" :
			 cfg->xdp_mode == XDP_GENERIC ? "generic" : "auto");
		break;
	case 'i': snprintf(buf, n, "%ums", cfg->stats_interval_ms); break;
	case OPT_METRICS:
		if (cfg->metrics.family)
			stun_addr_format(&cfg->metrics, buf, n);
		break;
	case 'u': snprintf(buf, n, "%s", cfg->user ? cfg->user : ""); break;
	case OPT_TCP_LISTEN:
		for (unsigned int i = 0; i < cfg->n_tcp_listen && used < n; i++)
			if (!cfg->tcp_listen[i].tls)
				used += (size_t)snprintf(buf + used, n - used, "%s%s",
							 used ? "," : "", cfg->tcp_listen[i].text);
		break;
	case OPT_TLS_LISTEN:
		for (unsigned int i = 0; i < cfg->n_tls_listen && used < n; i++)
			used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? "," : "",
						 cfg->tls_listen[i].text);
		break;
	case OPT_TLS_CERT: snprintf(buf, n, "%s", cfg->tls_cert ? cfg->tls_cert : ""); break;
	case OPT_TLS_KEY: snprintf(buf, n, "%s", cfg->tls_key ? cfg->tls_key : ""); break;
	case OPT_TLS_HANDSHAKE_TIMEOUT:
		snprintf(buf, n, "%llums", (unsigned long long)(cfg->tls_handshake_ns / CLI_MS));
		break;
	case OPT_TLS_MAX_HANDSHAKES: snprintf(buf, n, "%u", cfg->tls_max_handshakes); break;
	case OPT_MAX_CONNS: snprintf(buf, n, "%u", cfg->max_conns); break;
	case OPT_MAX_CONNS_PER_SOURCE: snprintf(buf, n, "%u", cfg->max_conns_per_source); break;
	case OPT_TCP_IDLE_TIMEOUT:
		snprintf(buf, n, "%llums", (unsigned long long)(cfg->tcp_idle_ns / CLI_MS));
		break;
	case OPT_TCP_FIRST_TIMEOUT:
		snprintf(buf, n, "%llums", (unsigned long long)(cfg->tcp_first_ns / CLI_MS));
		break;
	case OPT_TCP_MAX_MESSAGE: snprintf(buf, n, "%u", cfg->tcp_max_msg); break;
	case 'L':
		snprintf(buf, n, "%s", cfg->log_level >= 0 && cfg->log_level < 4
					       ? levels[cfg->log_level] : "?");
		break;
	default:
		if (is_limit(id))
			cli_limits_text(&cfg->limits, option_name(id), buf, n);
		break;
	}
}

/* What SIGHUP may change without a restart (settings.h, main's loop). */
static bool reloadable(int id)
{
	switch (id) {
	case 's': case OPT_FINGERPRINT: case OPT_NO_CLASSIC: case OPT_NO_RESPONSE_PORT:
	case 'i': case 'L':
	case OPT_TLS_CERT: case OPT_TLS_KEY:	/* re-read on every SIGHUP (stream_tls.h) */
		return true;
	default:
		return is_limit(id);
	}
}

void config_diff(const struct daemon_config *a, const struct daemon_config *b,
		 config_diff_fn fn, void *user)
{
	for (const struct option *lo = long_opts; lo->name; lo++) {
		char ta[4096], tb[4096];	/* an ACL list: up to ~3 KiB */

		if (option_flags(lo->val) & CONFIG_OPT_CMDLINE_ONLY)
			continue;
		option_text(a, lo->val, ta, sizeof(ta));
		option_text(b, lo->val, tb, sizeof(tb));
		if (strcmp(ta, tb))
			fn(user, lo->name, reloadable(lo->val), ta, tb);
	}
}
