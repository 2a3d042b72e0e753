/* SPDX-License-Identifier: MIT */
/*
 * announce_main.c - stunring-announce: announce this node's anycast service
 * addresses while its stunringd is healthy (announce.h, stunring-announce(8)).
 *
 * Every interval it checks /healthz and, when asked, sends a Binding
 * Request to each service address; announce_state.c decides, and the
 * addresses are added to or removed from the interface BIRD exports.  It
 * starts withdrawn (removing what an announcer killed by SIGKILL may have
 * left) and, on SIGTERM or SIGINT, withdraws first and then waits --drain
 * before exiting, so that the routers move the flows away while this
 * node's stunringd still answers them.  Each change is one log line.
 *
 * Exit status: 0 after a clean stop, 1 when the interface or the
 * addresses cannot be managed at start, 2 for a usage error.
 */
#include "announce.h"
#include "cli/cli.h"
#include "daemon/log.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define MAX_ADDRS 16
#define DEFAULT_METRICS_PORT 9478
#define STUN_PORT 3478

struct opts {
	const char *ifname;
	struct stun_addr addrs[MAX_ADDRS];	/* the service addresses */
	unsigned int n_addrs;
	struct stun_addr healthz;
	struct stun_addr stun[MAX_ADDRS];	/* Binding Request targets */
	unsigned int n_stun;
	uint64_t interval_ns, timeout_ns, hold_down_ns, drain_ns;
	unsigned int rise, fall;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep until deadline, or until a signal sets stop_signal (once = the
 * value it had when we started: a second signal ends a drain early). */
static void sleep_until(uint64_t deadline, sig_atomic_t once)
{
	while (stop_signal == once) {
		uint64_t now = now_ns();
		struct timespec ts;

		if (now >= deadline)
			return;
		ts.tv_sec = (time_t)((deadline - now) / 1000000000ull);
		ts.tv_nsec = (long)((deadline - now) % 1000000000ull);
		nanosleep(&ts, NULL);	/* EINTR on a signal: checked above */
	}
}

static int usage(FILE *f, int status)
{
	fprintf(f,
		"usage: stunring-announce --address IP,... [--interface NAME]\n"
		"                         [--healthz IP[:PORT]] [--stun IP[:PORT],...]\n"
		"                         [--interval TIME] [--timeout TIME] [--rise N] [--fall N]\n"
		"                         [--hold-down TIME] [--drain TIME]\n"
		"       stunring-announce --help | --version\n"
		"\n"
		"Adds the service addresses (--address, /32 and /128) to the interface\n"
		"(default anycast0) while stunringd is healthy, for BIRD to export, and\n"
		"removes them when it is not, and on SIGTERM or SIGINT.  Healthy: GET\n"
		"/healthz at --healthz (stunringd's metrics address; default\n"
		"127.0.0.1:9478) answers 200 and, with --stun, each address (default port\n"
		"3478) answers a Binding Request.  Announced after --rise healthy checks\n"
		"in a row (default 3), withdrawn after --fall failed ones (default 2), and\n"
		"withdrawn at least --hold-down (default 10s).  Checks every --interval\n"
		"(default 1s), each waiting at most --timeout (default 500ms).  On stop\n"
		"it withdraws, then waits --drain (default 2s) before exiting.\n"
		"TIME: seconds, or with a unit: 200ms, 1.5s, 1m.\n");
	return status;
}

static int parse_duration(const char *opt, const char *arg, uint64_t lo, uint64_t hi,
			  uint64_t *out)
{
	const char *why;

	if (cli_parse_duration(arg, CLI_S, lo, hi, out, &why))
		return cli_bad_value(opt, arg, why, "a time from %gs to %gs",
				     (double)lo / 1e9, (double)hi / 1e9);
	return 0;
}

static int parse_count(const char *opt, const char *arg, unsigned int *out)
{
	const char *why;
	uint64_t v;

	if (cli_parse_uint(arg, 1, 100, &v, &why))
		return cli_bad_value(opt, arg, why, "a number from 1 to 100");
	*out = (unsigned int)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "interface", required_argument, NULL, 'i' },
		{ "healthz", required_argument, NULL, 'H' },
		{ "stun", required_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'I' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rise", required_argument, NULL, 'r' },
		{ "fall", required_argument, NULL, 'f' },
		{ "hold-down", required_argument, NULL, 'D' },
		{ "drain", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 } };
	const char *why;
	int c;

	*o = (struct opts){ .ifname = "anycast0", .interval_ns = CLI_S,
			    .timeout_ns = 500 * CLI_MS, .hold_down_ns = 10 * CLI_S,
			    .drain_ns = 2 * CLI_S, .rise = 3, .fall = 2 };
	stun_addr_parse(&o->healthz, "127.0.0.1", DEFAULT_METRICS_PORT);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", lopts, NULL)) != -1) {
		int err = 0;

		switch (c) {
		case 'a':
			if (cli_parse_addrs(optarg, 0, o->addrs, &o->n_addrs, MAX_ADDRS, &why))
				return cli_bad_value("--address", optarg, why, "IP addresses");
			break;
		case 'i':
			o->ifname = optarg;
			break;
		case 'H':
			if (stun_addr_parse(&o->healthz, optarg, DEFAULT_METRICS_PORT))
				return cli_bad_value("--healthz", optarg, "not an address",
						     "IP[:PORT] (stunringd --metrics)");
			break;
		case 's':
			if (cli_parse_addrs(optarg, STUN_PORT, o->stun, &o->n_stun, MAX_ADDRS, &why))
				return cli_bad_value("--stun", optarg, why, "IP[:PORT] addresses");
			break;
		case 'I': err = parse_duration("--interval", optarg, 50 * CLI_MS, 3600 * CLI_S,
					       &o->interval_ns); break;
		case 't': err = parse_duration("--timeout", optarg, 10 * CLI_MS, 60 * CLI_S,
					       &o->timeout_ns); break;
		case 'D': err = parse_duration("--hold-down", optarg, 0, 3600 * CLI_S,
					       &o->hold_down_ns); break;
		case 'd': err = parse_duration("--drain", optarg, 0, 600 * CLI_S,
					       &o->drain_ns); break;
		case 'r': err = parse_count("--rise", optarg, &o->rise); break;
		case 'f': err = parse_count("--fall", optarg, &o->fall); break;
		case 'h': exit(usage(stdout, 0));
		case 'V': printf("stunring-announce %s\n", STUNRING_VERSION); exit(0);
		default: return cli_getopt_error(c, argv);
		}
		if (err)
			return err;
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->n_addrs)
		return cli_usage_error("--address is required: the anycast service addresses");
	for (unsigned int i = 0; i < o->n_addrs; i++)
		if (o->addrs[i].port)
			return cli_usage_error("--address takes addresses without a port");
	/* One check must end before the next one starts. */
	if (o->timeout_ns > o->interval_ns)
		return cli_usage_error("--timeout must not exceed --interval");
	return 0;
}

/* "192.0.2.1/32, 2001:db8::1/128" */
static const char *addrs_text(const struct opts *o, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = 0;
	for (unsigned int i = 0; i < o->n_addrs && len < cap; i++) {
		char a[STUN_ADDR_STRLEN], *p = a;
		bool v6 = o->addrs[i].family == STUN_FAMILY_IPV6;

		stun_addr_format(&o->addrs[i], a, sizeof(a));
		if (v6) {	/* "[IP]:0" */
			p++;
			*strrchr(p, ']') = 0;
		} else {	/* "IP:0" */
			*strrchr(p, ':') = 0;
		}
		len += (size_t)snprintf(buf + len, cap - len, "%s%s/%d", i ? ", " : "", p,
					v6 ? 128 : 32);
	}
	return buf;
}

/* One round of checks: healthy, or false with the first failure in why. */
static bool check(const struct opts *o, char *why, size_t cap)
{
	if (!ann_probe_healthz(&o->healthz, o->timeout_ns, why, cap))
		return false;
	for (unsigned int i = 0; i < o->n_stun; i++)
		if (!ann_probe_stun(&o->stun[i], o->timeout_ns, why, cap))
			return false;
	return true;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	char why[ANN_WHY_LEN], last_why[ANN_WHY_LEN] = "", err[ANN_WHY_LEN];
	char addrs[MAX_ADDRS * 48], hz[STUN_ADDR_STRLEN];
	struct ann_route *route;
	struct ann_state st;
	struct opts o;
	bool stale = false, held = false, last_ok = true;
	int ret;

	cli_init("stunring-announce", EXIT_USAGE);
	log_init();
	ret = parse_opts(argc, argv, &o);
	if (ret)
		return ret;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	addrs_text(&o, addrs, sizeof(addrs));
	stun_addr_format(&o.healthz, hz, sizeof(hz));

	route = ann_route_open(o.ifname, err, sizeof(err));
	if (!route) {
		log_error("%s", err);
		return EXIT_FAIL;
	}
	if (!ann_route_link_up(route))
		log_warn("interface %s is down: BIRD exports nothing from it until it is up",
			 o.ifname);
	/* Start withdrawn: an announcer killed by SIGKILL leaves its addresses. */
	if (ann_route_del(route, o.addrs, o.n_addrs, err, sizeof(err))) {
		log_error("%s", err);
		ann_route_close(route);
		return EXIT_FAIL;
	}
	ann_state_init(&st, o.rise, o.fall, o.hold_down_ns);
	log_info("started: %s on %s withdrawn until healthy; checking http://%s/healthz%s "
		 "every %.3g s (timeout %.3g s, rise %u, fall %u, hold-down %.3g s)",
		 addrs, o.ifname, hz, o.n_stun ? " and Binding Requests" : "",
		 (double)o.interval_ns / 1e9, (double)o.timeout_ns / 1e9, o.rise, o.fall,
		 (double)o.hold_down_ns / 1e9);

	while (!stop_signal) {
		uint64_t start = now_ns();
		bool ok = check(&o, why, sizeof(why));

		if (stop_signal)
			break;
		/* A failed check is logged when it starts failing or the reason
		 * changes, not every interval. */
		if (!ok && (last_ok || strcmp(why, last_why)))
			log_warn("check failed: %s", why);
		else if (ok && !last_ok)
			log_info("check ok again");
		last_ok = ok;
		snprintf(last_why, sizeof(last_why), "%s", ok ? "" : why);

		switch (ann_state_step(&st, ok, start)) {
		case ANN_ANNOUNCE:
			held = false;
			if (ann_route_add(route, o.addrs, o.n_addrs, err, sizeof(err))) {
				log_error("announce failed: %s", err);
				ann_state_announce_failed(&st);
				stale = true;	/* some may have been added */
			} else {
				stale = false;
				log_info("announced %s on %s: %u checks ok", addrs, o.ifname, o.rise);
			}
			break;
		case ANN_WITHDRAW:
			stale = true;
			log_info("withdrawing %s from %s: %u checks failed (%s); hold-down %.3g s",
				 addrs, o.ifname, o.fall, why, (double)o.hold_down_ns / 1e9);
			break;
		case ANN_HELD:
			if (!held)
				log_info("healthy again; held down for %.3g s more",
					 (double)(st.hold_until_ns - start) / 1e9);
			held = true;
			break;
		case ANN_NONE:
			break;
		}
		/* Withdrawn but maybe still on the interface: retried each round. */
		if (stale && !st.announced) {
			if (ann_route_del(route, o.addrs, o.n_addrs, err, sizeof(err)))
				log_error("withdraw failed (retrying): %s", err);
			else
				stale = false;
		}
		sleep_until(start + o.interval_ns, 0);
	}

	/* Stop: withdraw first, drain after. */
	sig_atomic_t sig = stop_signal;
	if (st.announced || stale) {
		if (ann_route_del(route, o.addrs, o.n_addrs, err, sizeof(err)))
			log_error("withdraw failed: %s", err);
		else
			log_info("stopping (%s): withdrew %s from %s; draining %.3g s",
				 strsignal(sig), addrs, o.ifname, (double)o.drain_ns / 1e9);
		sleep_until(now_ns() + o.drain_ns, sig);
	} else {
		log_info("stopping (%s): nothing announced", strsignal(sig));
	}
	ann_route_close(route);
	log_info("stopped");
	return 0;
}
