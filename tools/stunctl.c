/* SPDX-License-Identifier: MIT */
/*
 * stunctl - attach, inspect and remove stunring's XDP fast path.
 *
 *   stunctl xdp attach IFACE [--mode native|generic|auto] [--port N]...
 *                            [--software TEXT] [--ice-aware]
 *                            [--always-fingerprint] [--disabled]
 *                            [--allow CIDR,...] [--deny CIDR,...]
 *                            [--rate-limit RATE[/BURST]] [--max-response-rate N]
 *                            [--rate-limit-prefix4 LEN] [--rate-limit-prefix6 LEN]
 *   stunctl xdp detach IFACE
 *   stunctl xdp status [--json]
 *   stunctl xdp enable|disable IFACE
 *   stunctl xdp software IFACE TEXT      ("" removes SOFTWARE)
 *   stunctl xdp sync-addrs IFACE         (after the addresses changed)
 *   stunctl stats [IFACE] [--json] [--watch [--interval TIME] [--count N]]
 *   stunctl limits [IFACE] [--json] [--top N]
 *
 * Every command finds the program from the interface it runs on
 * (bpf/xdp_find.h), so each works from a fresh process, even in a fresh
 * mount namespace (ip netns exec) where the pins attach made are gone.
 * Errors: one line on stderr, exit status 1; usage errors (one line too,
 * src/cli/cli.h) exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "stunring.h"
#include "xdp_loader.h"

#define MAX_PORTS 64
#define MAX_IFACES 64
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define LIMIT_OPT 1000	/* getopt codes of the limit options */
#define TOP_MAX 1000	/* stunctl limits --top */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(FILE *f, int status)
{
	fprintf(f,
		"usage: stunctl xdp attach IFACE [--mode native|generic|auto] [--port N,...]...\n"
		"                           [--software TEXT] [--ice-aware]\n"
		"                           [--always-fingerprint] [--disabled]\n"
		"                           [--allow CIDR,...] [--deny CIDR,...]\n"
		"                           [--rate-limit RATE[/BURST]] [--max-response-rate N]\n"
		"                           [--rate-limit-prefix4 LEN] [--rate-limit-prefix6 LEN]\n"
		"       stunctl xdp detach IFACE\n"
		"       stunctl xdp status [--json]\n"
		"       stunctl xdp enable|disable IFACE\n"
		"       stunctl xdp software IFACE TEXT\n"
		"       stunctl xdp sync-addrs IFACE\n"
		"       stunctl stats [IFACE] [--json] [--watch [--interval TIME] [--count N]]\n"
		"       stunctl limits [IFACE] [--json] [--top N]\n"
		"       stunctl --version\n"
		"\n"
		"--interval: seconds (default 1), or with a unit: 500ms, 2s, 1m (0.1s to 1h).\n"
		"Ports: a comma list and/or repeated --port, 1 to 65535 (default 3478).\n"
		"Limits (off by default): --allow/--deny repeatable, deny wins; RATE in\n"
		"responses/s per source prefix (/32, /64 unless --rate-limit-prefix4/6);\n"
		"--max-response-rate per CPU.  limits --top: the N prefixes with the most\n"
		"refused requests (default 10).\n");
	return status;
}

static int die(const char *what, const char *err)
{
	return cli_error(EXIT_FAIL, "%s: %s", what, err);
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "port", required_argument, NULL, 'p' },
		{ "software", required_argument, NULL, 's' },
		{ "ice-aware", no_argument, NULL, 'i' },
		{ "always-fingerprint", no_argument, NULL, 'f' },
		{ "disabled", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		/* The limit options (cli_limits.c), as LIMIT_OPT + index. */
		{ "allow", required_argument, NULL, LIMIT_OPT + 0 },
		{ "deny", required_argument, NULL, LIMIT_OPT + 1 },
		{ "rate-limit", required_argument, NULL, LIMIT_OPT + 2 },
		{ "rate-limit-prefix4", required_argument, NULL, LIMIT_OPT + 4 },
		{ "rate-limit-prefix6", required_argument, NULL, LIMIT_OPT + 5 },
		{ "max-response-rate", required_argument, NULL, LIMIT_OPT + 6 },
		{ 0 } };
	struct stun_xdp_opts o = { 0 };
	static struct stun_limits limits;
	uint16_t ports[MAX_PORTS];
	char how[STUN_XDP_ERRLEN * 2], err[STUN_XDP_ERRLEN];
	const char *why;
	int c, ret;

	cli_limits_defaults(&limits);
	while ((c = getopt_long(argc, argv, ":m:p:s:h", opts, NULL)) != -1) {
		if (c >= LIMIT_OPT && c < LIMIT_OPT + 7) {
			/* --error-rate-limit (index 3) is the daemon's only:
			 * XDP passes errors and classic to it. */
			if ((ret = cli_limits_option(&limits, cli_limit_options[c - LIMIT_OPT],
						     optarg)) >= 0)
				return ret;
			continue;
		}
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "native"))
				o.mode = STUN_XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "generic") || !strcmp(optarg, "skb"))
				o.mode = STUN_XDP_MODE_GENERIC;
			else if (!strcmp(optarg, "auto"))
				o.mode = STUN_XDP_MODE_AUTO;
			else
				return cli_usage_error("--mode '%s': expected native, generic "
						       "or auto", optarg);
			break;
		case 'p':
			/* --port 3478 --port 3479, or --port 3478,3479 */
			if (cli_parse_ports(optarg, ports, &o.n_ports, MAX_PORTS, &why))
				return cli_bad_value("--port", optarg, why, "ports 1 to 65535, "
						     "at most %d in all", MAX_PORTS);
			break;
		case 's': o.software = optarg; break;
		case 'i': o.ice_aware = true; break;
		case 'f': o.always_fingerprint = true; break;
		case 'd': o.disabled = true; break;
		case 'h': return usage(stdout, 0);
		default: return cli_getopt_error(c, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("xdp attach needs exactly one interface");
	o.ifname = argv[optind];
	o.ports = ports;
	o.limits = &limits;
	if (stun_xdp_attach(&o, how, sizeof(how), err, sizeof(err)))
		return die("xdp attach", err);
	printf("stunctl: %s\n", how);
	return 0;
}

/* Commands taking exactly one IFACE (and, for software, one TEXT). */
static int need_args(int argc, int want, const char *cmd)
{
	if (argc == want)
		return 0;
	return cli_usage_error("xdp %s: wrong number of arguments", cmd);
}

static void print_json_string(const uint8_t *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			printf("\\%c", s[i]);
		else if (s[i] < 0x20)
			printf("\\u%04x", s[i]);
		else
			putchar(s[i]);
	}
	putchar('"');
}

static void ports_text(const struct stun_xdp_config *c, char *buf, size_t cap)
{
	size_t used = 0;

	buf[0] = 0;
	for (unsigned p = 1; p < 65536 && used + 8 < cap; p++)
		if (c->ports[p / 8] & (1u << (p % 8)))
			used += (size_t)snprintf(buf + used, cap - used, "%s%u",
						 used ? "," : "", p);
}

static int cmd_status(int argc, char **argv)
{
	struct stun_xdp_info info[MAX_IFACES];
	char err[STUN_XDP_ERRLEN] = "", ports[512];
	bool json = argc > 1 && !strcmp(argv[1], "--json");

	if (argc > 1 + json)
		return cli_usage_error("xdp status: unexpected argument '%s'", argv[1 + json]);
	int n = stun_xdp_list(info, MAX_IFACES, err, sizeof(err));
	if (n < 0)
		return die("xdp status", err);
	if (n > MAX_IFACES)
		n = MAX_IFACES;
	if (json)
		printf("{\"attachments\":[");
	else if (!n)
		printf("stunring XDP: not attached to any interface in this network namespace\n");
	for (int i = 0; i < n; i++) {
		const struct stun_xdp_info *x = &info[i];
		const char *state = !x->ifindex ? "interface gone"
				    : !x->attached ? "not attached (stale pins)"
				    : x->cfg.enabled ? "answering" : "disabled (passing all)";
		ports_text(&x->cfg, ports, sizeof(ports));
		if (json) {
			printf("%s{\"interface\":", i ? "," : "");
			print_json_string((const uint8_t *)x->ifname, strlen(x->ifname));
			printf(",\"ifindex\":%d,\"prog_id\":%u,\"attached\":%s,"
			       "\"mode\":\"%s\",\"dispatcher\":%s,\"pinned\":%s,\"enabled\":%s,"
			       "\"ports\":[%s],\"software\":",
			       x->ifindex, x->prog_id, x->attached ? "true" : "false",
			       x->attached ? stun_xdp_mode_name(x->mode) : "none",
			       x->dispatcher ? "true" : "false",
			       x->pinned ? "true" : "false",
			       x->cfg.enabled ? "true" : "false", ports);
			print_json_string(x->cfg.software, x->cfg.software_len);
			if (x->cfg.owner_pid)
				printf(",\"owner_pid\":%u,\"owner_running\":%s",
				       x->cfg.owner_pid,
				       stun_xdp_owner_alive(&x->cfg) ? "true" : "false");
			printf("}");
			continue;
		}
		printf("%s: %s, prog id %u", x->ifname, state, x->prog_id);
		if (x->attached) {
			char who[64];
			stun_xdp_owner_text(&x->cfg, who, sizeof(who));
			printf(", attached by %s", who);
		}
		if (x->attached && !x->pinned)
			printf(", not pinned here (found from the interface)");
		if (x->attached)
			printf(", %s mode, %s", stun_xdp_mode_name(x->mode),
			       x->dispatcher ? "libxdp dispatcher" : "single program");
		printf(", ports %s", ports);
		if (x->cfg.software_len)
			printf(", SOFTWARE \"%.*s\"", (int)x->cfg.software_len,
			       (const char *)x->cfg.software);
		printf("\n");
	}
	if (json)
		printf("]}\n");
	return 0;
}

static int cmd_xdp(int argc, char **argv)
{
	char err[STUN_XDP_ERRLEN] = "";
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "attach"))
		return cmd_attach(argc - 1, argv + 1);
	if (!strcmp(sub, "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(sub, "detach")) {
		if (need_args(argc, 3, sub))
			return 2;
		if (stun_xdp_detach(argv[2], err, sizeof(err)))
			return die("xdp detach", err);
		printf("stunctl: detached from %s\n", argv[2]);
		return 0;
	}
	if (!strcmp(sub, "enable") || !strcmp(sub, "disable")) {
		if (need_args(argc, 3, sub))
			return 2;
		if (stun_xdp_set_enabled(argv[2], sub[0] == 'e', err, sizeof(err)))
			return die(sub, err);
		printf("stunctl: XDP responder on %s %sd\n", argv[2], sub);
		return 0;
	}
	if (!strcmp(sub, "software")) {
		if (need_args(argc, 4, sub))
			return 2;
		if (stun_xdp_set_software(argv[2], argv[3], err, sizeof(err)))
			return die("xdp software", err);
		return 0;
	}
	if (!strcmp(sub, "sync-addrs")) {
		if (need_args(argc, 3, sub))
			return 2;
		int n = stun_xdp_sync_addrs(argv[2], err, sizeof(err));
		if (n < 0)
			return die("xdp sync-addrs", err);
		printf("stunctl: %d local address%s on %s\n", n, n == 1 ? "" : "es", argv[2]);
		return 0;
	}
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help"))
		return usage(stdout, 0);
	return cli_usage_error("unknown xdp command '%s'", sub);
}

struct iface_counters {
	char ifname[64];
	uint64_t v[STUN_XDP_COUNTER_COUNT];
};

static int collect(const char *only, struct iface_counters *out, int *n, char *err,
		   size_t errlen)
{
	struct stun_xdp_info info[MAX_IFACES];
	int total = stun_xdp_list(info, MAX_IFACES, err, errlen);

	*n = 0;
	if (total < 0)
		return total;
	if (total > MAX_IFACES)
		total = MAX_IFACES;
	for (int i = 0; i < total; i++) {
		if (only && strcmp(only, info[i].ifname))
			continue;
		snprintf(out[*n].ifname, sizeof(out[*n].ifname), "%.63s", info[i].ifname);
		int ret = stun_xdp_counters(info[i].ifname, out[*n].v, err, errlen);
		if (ret)
			return ret;
		(*n)++;
	}
	if (only && !*n) {
		snprintf(err, errlen, "stunring XDP is not attached to %s", only);
		return -ENOENT;
	}
	return 0;
}

static void print_stats(const struct iface_counters *now,
			const struct iface_counters *before, int n, bool json,
			double secs)
{
	if (json)
		printf("{\"interfaces\":[");
	for (int i = 0; i < n; i++) {
		const uint64_t *v = now[i].v;
		if (json) {
			printf("%s{\"interface\":", i ? "," : "");
			print_json_string((const uint8_t *)now[i].ifname, strlen(now[i].ifname));
			printf(",\"counters\":{");
			for (int k = 0; k < STUN_XDP_COUNTER_COUNT; k++)
				printf("%s\"%s\":%" PRIu64, k ? "," : "",
				       stun_xdp_counter_name(k), v[k]);
			printf("}");
			if (before) {
				printf(",\"per_second\":{");
				for (int k = 0; k < STUN_XDP_COUNTER_COUNT; k++)
					printf("%s\"%s\":%.0f", k ? "," : "",
					       stun_xdp_counter_name(k),
					       (double)(v[k] - before[i].v[k]) / secs);
				printf("}");
			}
			printf("}");
			continue;
		}
		printf("%s:\n", now[i].ifname);
		for (int k = 0; k < STUN_XDP_COUNTER_COUNT; k++) {
			printf("  %-26s %14" PRIu64, stun_xdp_counter_name(k), v[k]);
			if (before)
				printf("  %12.0f/s", (double)(v[k] - before[i].v[k]) / secs);
			printf("\n");
		}
	}
	if (json)
		printf("]}\n");
	else if (!n)
		printf("stunring XDP: not attached to any interface in this network namespace\n");
	fflush(stdout);
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 } };
	static struct iface_counters now[MAX_IFACES], before[MAX_IFACES];
	char err[STUN_XDP_ERRLEN] = "";
	bool json = false, watch = false;
	uint64_t interval_ns = CLI_S, count = 0;	/* count 0: until stopped */
	const char *why;
	int c, n, nb;

	while ((c = getopt_long(argc, argv, ":jwi:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'w': watch = true; break;
		case 'i':
			if (cli_parse_duration(optarg, CLI_S, 100 * CLI_MS, 3600 * CLI_S,
					       &interval_ns, &why))
				return cli_bad_value("--interval", optarg, why, "0.1s to 1h");
			break;
		case 'c':
			if (cli_parse_count(optarg, 1, UINT32_MAX, &count, &why))
				return cli_bad_value("--count", optarg, why, "1 or more");
			break;
		case 'h': return usage(stdout, 0);
		default: return cli_getopt_error(c, argv);
		}
	}
	const char *only = optind < argc ? argv[optind++] : NULL;
	if (optind < argc)
		return cli_usage_error("stats: unexpected argument '%s'", argv[optind]);
	if (collect(only, now, &n, err, sizeof(err)))
		return die("stats", err);
	if (!watch) {
		print_stats(now, NULL, n, json, 0);
		return 0;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (uint64_t i = 0; !stop && (!count || i < count); i++) {
		struct timespec ts = { (time_t)(interval_ns / CLI_S),
				       (long)(interval_ns % CLI_S) };
		memcpy(before, now, sizeof(now));
		nb = n;
		nanosleep(&ts, NULL);
		if (collect(only, now, &n, err, sizeof(err)))
			return die("stats", err);
		if (n != nb)	/* attachments came or went: no rates this time */
			print_stats(now, NULL, n, json, 0);
		else
			print_stats(now, before, n, json, (double)interval_ns / 1e9);
	}
	return 0;
}

static void prefix_list_json(const struct stun_prefix *p, uint32_t n)
{
	char t[64];

	putchar('[');
	for (uint32_t i = 0; i < n; i++) {
		cli_format_prefix(&p[i], t, sizeof(t));
		printf("%s\"%s\"", i ? "," : "", t);
	}
	putchar(']');
}

static int cmd_limits(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 } };
	static struct stun_xdp_info info[MAX_IFACES];
	static struct stun_prefix keys[TOP_MAX];
	static uint64_t drops[TOP_MAX];
	char err[STUN_XDP_ERRLEN] = "", t[64], text[STUN_ACL_MAX * 48];
	struct stun_limits l;
	uint64_t top = 10;
	bool json = false;
	const char *why;
	int c, shown = 0;

	while ((c = getopt_long(argc, argv, ":jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 't':
			if (cli_parse_count(optarg, 0, TOP_MAX, &top, &why))
				return cli_bad_value("--top", optarg, why, "0 to %d", TOP_MAX);
			break;
		case 'h': return usage(stdout, 0);
		default: return cli_getopt_error(c, argv);
		}
	}
	const char *only = optind < argc ? argv[optind++] : NULL;
	if (optind < argc)
		return cli_usage_error("limits: unexpected argument '%s'", argv[optind]);
	int n = stun_xdp_list(info, MAX_IFACES, err, sizeof(err));
	if (n < 0)
		return die("limits", err);
	if (n > MAX_IFACES)
		n = MAX_IFACES;
	if (json)
		printf("{\"interfaces\":[");
	for (int i = 0; i < n; i++) {
		const char *ifname = info[i].ifname;
		if (!info[i].attached || (only && strcmp(only, ifname)))
			continue;
		if (stun_xdp_get_limits(ifname, &l, err, sizeof(err)))
			return die("limits", err);
		int nt = top ? stun_xdp_top_limited(ifname, keys, drops, (int)top, err,
						    sizeof(err)) : 0;
		if (nt < 0)
			return die("limits", err);
		if (json) {
			printf("%s{\"interface\":", shown ? "," : "");
			print_json_string((const uint8_t *)ifname, strlen(ifname));
			printf(",\"limits\":{\"allow\":");
			prefix_list_json(l.allow, l.n_allow);
			printf(",\"deny\":");
			prefix_list_json(l.deny, l.n_deny);
			printf(",\"rate_limit\":%u,\"burst\":%u,\"rate_limit_prefix4\":%u,"
			       "\"rate_limit_prefix6\":%u,\"max_response_rate\":%u},"
			       "\"top_limited\":[", l.rate, l.burst, l.prefix4, l.prefix6,
			       l.max_rate);
			for (int k = 0; k < nt; k++) {
				cli_format_prefix(&keys[k], t, sizeof(t));
				printf("%s{\"prefix\":\"%s\",\"drops\":%" PRIu64 "}",
				       k ? "," : "", t, drops[k]);
			}
			printf("]}");
		} else {
			printf("%s:\n", ifname);
			for (int k = 0; cli_limit_options[k]; k++) {
				if (!strcmp(cli_limit_options[k], "error-rate-limit"))
					continue;	/* the daemon's, not XDP's */
				cli_limits_text(&l, cli_limit_options[k], text, sizeof(text));
				printf("  %-20s %s\n", cli_limit_options[k],
				       text[0] ? text : !strcmp(cli_limit_options[k], "allow")
				       ? "(every source)" : !strcmp(cli_limit_options[k], "deny")
				       ? "(none)" : "0");
			}
			if (top)
				printf("  top limited prefixes:%s\n", nt ? "" : " none");
			for (int k = 0; k < nt; k++) {
				cli_format_prefix(&keys[k], t, sizeof(t));
				printf("    %-43s %14" PRIu64 " refused\n", t, drops[k]);
			}
		}
		shown++;
	}
	if (json)
		printf("]}\n");
	else if (!shown && !only)
		printf("stunring XDP: not attached to any interface in this network namespace\n");
	if (only && !shown) {
		snprintf(err, sizeof(err), "stunring XDP is not attached to %s", only);
		return die("limits", err);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	cli_init("stunctl", EXIT_USAGE);
	opterr = 0;	/* cli_getopt_error's one line instead of getopt's */
	if (!strcmp(cmd, "xdp"))
		return cmd_xdp(argc - 1, argv + 1);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(cmd, "limits"))
		return cmd_limits(argc - 1, argv + 1);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("stunctl (stunring) %s\n", STUNRING_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
		return usage(stdout, 0);
	if (cmd[0])
		return cli_usage_error("unknown command '%s'", cmd);
	return cli_usage_error("no command (xdp, stats or limits)");
}
