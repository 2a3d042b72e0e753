/* SPDX-License-Identifier: MIT */
/*
 * config.c - command line of stunringd (getopt_long).  Every bad flag or
 * value ends in exactly one error line and EXIT_USAGE.
 */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
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

static const char usage_text[] =
"Usage: stunringd [OPTION]...\n"
"Answer STUN Binding requests (RFC 8489, RFC 3489 classic clients) over UDP.\n"
"Runs in the foreground and logs to stderr; SIGTERM or SIGINT stops it after\n"
"the replies in flight are sent.\n"
"\n"
"  -l, --listen IP[:PORT]     listen on this address (repeatable; default\n"
"                             0.0.0.0:3478 and [::]:3478; IPv6 as [ADDR]:PORT;\n"
"                             port 0 picks a free port, logged at start)\n"
"  -w, --workers N            worker threads (default: one per usable CPU)\n"
"      --no-pin               do not pin worker i to the i-th usable CPU\n"
"  -e, --io-engine ENGINE     auto (default), uring or mmsg (recvmmsg/sendmmsg)\n"
"  -s, --software TEXT        add SOFTWARE to responses (default: none)\n"
"      --fingerprint          FINGERPRINT in every response (default: only\n"
"                             when the request had one)\n"
"      --no-classic           ignore RFC 3489 requests (no magic cookie)\n"
"      --rcvbuf BYTES         socket receive buffer to ask for (default 4M)\n"
"      --sndbuf BYTES         socket send buffer to ask for (default 4M)\n"
"      --ring-buffers N       io_uring receive buffers per worker, a power of\n"
"                             two (default 128)\n"
"  -i, --stats-interval S     log a counters line every S seconds (0: off)\n"
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
"XDP fast path (basic mode only; needs CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON):\n"
"      --xdp IFACE            attach the XDP responder to IFACE at start (it\n"
"                             answers plain Binding Requests in the kernel and\n"
"                             passes the rest here) and detach it at exit\n"
"      --xdp-mode MODE        auto (default: native, else generic), native or\n"
"                             generic\n"
"\n"
"Exit status: 0 after SIGTERM/SIGINT, 64 bad usage, 68 address not on this\n"
"host, 69 address in use, 77 missing privilege, 71 other setup failure,\n"
"1 runtime failure.\n";

enum {
	OPT_NO_PIN = 256, OPT_FINGERPRINT, OPT_NO_CLASSIC, OPT_RCVBUF,
	OPT_SNDBUF, OPT_RING_BUFFERS, OPT_ALT_IP, OPT_ALT_PORT, OPT_RFC5780,
	OPT_ADV_IP, OPT_ADV_ALT_IP, OPT_NO_RESPONSE_PORT, OPT_XDP, OPT_XDP_MODE,
	OPT_METRICS,
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
	{ "log-level", required_argument, NULL, 'L' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

const char *engine_name(enum io_engine e)
{
	switch (e) {
	case ENGINE_URING: return "uring";
	case ENGINE_MMSG: return "mmsg";
	default: return "auto";
	}
}

/* The one error line for a bad command line. */
int config_error(const char *fmt, ...)
{
	va_list ap;

	fputs("stunringd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see stunringd --help)\n", stderr);
	return EXIT_USAGE;
}

/* Unsigned decimal with an optional K/M/G suffix (binary multiples). */
static int parse_uint(const char *s, unsigned long max, bool suffix,
		      unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno)
		return -1;
	if (suffix && *end) {
		unsigned shift = *end == 'K' || *end == 'k' ? 10 :
				 *end == 'M' || *end == 'm' ? 20 :
				 *end == 'G' || *end == 'g' ? 30 : 0;
		if (!shift || end[1] || v > (ULONG_MAX >> shift))
			return -1;
		v <<= shift;
		end++;
	}
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int add_listen(struct daemon_config *cfg, const char *text, bool implicit)
{
	struct listen_spec *l;

	if (cfg->n_listen == MAX_LISTEN)
		return config_error("too many --listen addresses (at most %d)", MAX_LISTEN);
	l = &cfg->listen[cfg->n_listen];
	if (stun_addr_parse(&l->addr, text, STUN_DEFAULT_PORT))
		return config_error("--listen '%s': not an IP address with an optional port "
				   "(IPv4 as 1.2.3.4:3478, IPv6 as [::1]:3478)", text);
	for (unsigned i = 0; i < cfg->n_listen; i++)
		if (stun_addr_equal(&cfg->listen[i].addr, &l->addr) && l->addr.port)
			return config_error("--listen '%s' given twice", text);
	l->role = ROLE_PRIMARY;
	l->implicit = implicit;
	stun_addr_format(&l->addr, l->text, sizeof(l->text));
	cfg->n_listen++;
	return -1;
}

/* --alt-ip / --advertise-ip / --advertise-alt-ip: a bare IP, at most one
 * per family (the port comes from --listen and --alt-port). */
static int set_ip(struct stun_addr *slots, const char *opt, const char *text)
{
	struct stun_addr a;

	if (stun_addr_parse(&a, text, 0) || a.port)
		return config_error("--%s '%s': expected an IP address without a port "
				    "(1.2.3.4 or ::1)", opt, text);
	if (slots[fam_index(&a)].family)
		return config_error("--%s '%s': given twice for IPv%c (at most one "
				    "per family)", opt, text,
				    a.family == STUN_FAMILY_IPV6 ? '6' : '4');
	slots[fam_index(&a)] = a;
	return -1;
}

static void defaults(struct daemon_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pin = true;
	cfg->engine = ENGINE_AUTO;
	cfg->rcvbuf = DEFAULT_SOCKBUF;
	cfg->sndbuf = DEFAULT_SOCKBUF;
	cfg->ring_buffers = DEFAULT_RING_BUFFERS;
	stun_server_cfg_init(&cfg->stun);
}

int config_parse(struct daemon_config *cfg, int argc, char **argv)
{
	unsigned long v;
	int c, rc;

	defaults(cfg);
	opterr = 0;	/* our own single error line instead of getopt's */
	while ((c = getopt_long(argc, argv, ":l:w:e:s:i:L:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if ((rc = add_listen(cfg, optarg, false)) >= 0)
				return rc;
			break;
		case 'w':
			if (parse_uint(optarg, MAX_WORKERS, false, &v) || v == 0)
				return config_error("--workers '%s': expected 1..%d", optarg,
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
				return config_error("--io-engine '%s': expected auto, uring or mmsg",
						   optarg);
			break;
		case 's':
			if (stun_server_cfg_software(&cfg->stun, optarg))
				return config_error("--software: at most %d bytes of valid UTF-8",
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
			if (parse_uint(optarg, INT_MAX / 2, true, &v) || v < 4096)
				return config_error("--%s '%s': expected a size from 4K to 1G",
						   c == OPT_RCVBUF ? "rcvbuf" : "sndbuf", optarg);
			*(c == OPT_RCVBUF ? &cfg->rcvbuf : &cfg->sndbuf) = (int)v;
			break;
		case OPT_RING_BUFFERS:
			if (parse_uint(optarg, 32768, false, &v) || v < 16 || (v & (v - 1)))
				return config_error("--ring-buffers '%s': expected a power of two "
						   "from 16 to 32768", optarg);
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
			if (parse_uint(optarg, 65535, false, &v) || v == 0)
				return config_error("--alt-port '%s': expected a port, 1 to 65535",
						    optarg);
			cfg->alt_port = (uint16_t)v;
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
				return config_error("--xdp '%s': expected an interface name", optarg);
			cfg->xdp_ifname = optarg;
			break;
		case OPT_XDP_MODE:
			if (!strcmp(optarg, "auto"))
				cfg->xdp_mode = XDP_AUTO;
			else if (!strcmp(optarg, "native"))
				cfg->xdp_mode = XDP_NATIVE;
			else if (!strcmp(optarg, "generic"))
				cfg->xdp_mode = XDP_GENERIC;
			else
				return config_error("--xdp-mode '%s': expected auto, native or generic",
						    optarg);
			break;
		case 'i':
			if (parse_uint(optarg, 86400, false, &v))
				return config_error("--stats-interval '%s': expected seconds, "
						   "0 to 86400", optarg);
			cfg->stats_interval = (unsigned)v;
			break;
		case OPT_METRICS:
			if (stun_addr_parse(&cfg->metrics, optarg, 9478))
				return config_error("--metrics '%s': expected IP:PORT (127.0.0.1:9478 "
						    "or [::1]:9478)", optarg);
			break;
		case 'L':
			if ((rc = log_level_parse(optarg)) < 0)
				return config_error("--log-level '%s': expected error, warn, info "
						   "or debug", optarg);
			log_threshold = (enum log_level)rc;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("stunringd %s\n", STUNRING_VERSION);
			return 0;
		case ':':
			return config_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return config_error("unknown option '-%c'", optopt);
			return config_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return config_error("unexpected argument '%s'", argv[optind]);
	if (!cfg->n_listen) {
		add_listen(cfg, "0.0.0.0:3478", true);
		add_listen(cfg, "[::]:3478", true);
	}
	/* The XDP program answers as basic mode does: with RFC 5780 it would
	 * send answers lacking MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS. */
	if (cfg->xdp_ifname && cfg->rfc5780)
		return config_error("--xdp answers in basic mode only; it cannot be combined "
				    "with --rfc5780, --alt-ip or --alt-port");
	if (cfg->xdp_mode != XDP_AUTO && !cfg->xdp_ifname)
		return config_error("--xdp-mode needs --xdp IFACE");
	return rfc5780_configure(cfg);
}
