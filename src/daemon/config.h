/* SPDX-License-Identifier: MIT */
/*
 * config.h - stunringd's configuration: what the command line asks for.
 *
 * Listening addresses carry a role so that RFC 5780 mode (--alt-ip /
 * --alt-port: four sockets per family, the answer sent from the one
 * stun_respond picks in rep.src) needs nothing special in the workers:
 * every worker opens one socket per listener and sends each reply from the
 * listener whose address matches rep.src.  Basic mode only has primary
 * listeners.  The role bits say how a socket differs from A1:P1 (bit 0:
 * the other port, bit 1: the other address), so rx role ^ tx role is the
 * change a reply made.
 */
#ifndef STUNRINGD_CONFIG_H
#define STUNRINGD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "stunring.h"
#include "stun_limits.h"

#define MAX_LISTEN 16
#define MAX_WORKERS 256

/* Exit statuses (sysexits.h values, so scripts can tell them apart). */
#define EXIT_USAGE	64	/* bad flag or value (EX_USAGE) */
#define EXIT_OSERR	71	/* setup failed: sockets, io_uring, threads */
#define EXIT_NOADDR	68	/* address not on this host (EX_NOHOST) */
#define EXIT_INUSE	69	/* address already in use (EX_UNAVAILABLE) */
#define EXIT_NOPERM	77	/* missing privilege (EX_NOPERM) */

enum listen_role {
	ROLE_PRIMARY = 0,	/* A1:P1, the only role in basic mode */
	ROLE_ALT_PORT = 1,	/* A1:P2 (RFC 5780 mode) */
	ROLE_ALT_IP = 2,	/* A2:P1 */
	ROLE_ALT_BOTH = 3,	/* A2:P2 */
};
#define ROLE_COUNT 4

/* Per-family settings (index: FAM_IPV4, FAM_IPV6): RFC 5780's A1/A2 are
 * addresses of one family, so each family has its own stun_server_cfg. */
enum { FAM_IPV4 = 0, FAM_IPV6 = 1, FAM_COUNT = 2 };
static inline unsigned int fam_index(const struct stun_addr *a)
{
	return a->family == STUN_FAMILY_IPV6 ? FAM_IPV6 : FAM_IPV4;
}

struct listen_spec {
	struct stun_addr addr;	/* port 0: any free port (tests) */
	enum listen_role role;
	bool implicit;		/* a default, not asked for: may be skipped when
				 * the host has no IPv6 */
	char text[STUN_ADDR_STRLEN];	/* formatted, for messages */
	const char *what;	/* NULL, or which RFC 5780 socket (messages) */
	bool tls;		/* a --tls-listen address (in tcp_listen[]) */
	/* What stun_respond is told for datagrams received here: one of
	 * daemon_config.fam[] (set by config_parse). */
	const struct stun_server_cfg *stun;
};

enum io_engine { ENGINE_AUTO = 0, ENGINE_URING, ENGINE_MMSG };

struct daemon_config {
	struct listen_spec listen[MAX_LISTEN];
	unsigned int n_listen;
	unsigned int workers;		/* 0: one per CPU we may run on */
	bool pin;			/* pin worker i to the i-th allowed CPU */
	enum io_engine engine;
	unsigned int stats_interval_ms;	/* 0: off */
	int rcvbuf, sndbuf;		/* bytes asked for each socket */
	unsigned int ring_buffers;	/* io_uring provided buffers per worker */
	struct stun_server_cfg stun;	/* options common to every family */
	/* RFC 5780 (rfc5780.c): asked with --rfc5780, --alt-ip or --alt-port. */
	bool rfc5780;
	struct stun_addr alt_ip[FAM_COUNT];	/* family 0: none */
	uint16_t alt_port;			/* 0: primary port + 1 */
	struct stun_addr adv[FAM_COUNT];	/* --advertise-ip */
	struct stun_addr adv_alt[FAM_COUNT];	/* --advertise-alt-ip */
	/* stun plus each family's mode, primary, alternate, advertised. */
	struct stun_server_cfg fam[FAM_COUNT];
	/* --xdp: attach the XDP responder at start, detach at exit. */
	const char *xdp_ifname;
	enum { XDP_AUTO = 0, XDP_NATIVE, XDP_GENERIC } xdp_mode;
	int log_level;			/* enum log_level */
	/* The strings above point here (or into argv): a configuration owns
	 * what it read from a file.  Copying a daemon_config copies pointers
	 * into the original: keep each one where config_load built it. */
	char strings[1024];
	size_t strings_used;
	/* --user NAME (privdrop.c): NULL, stay who we were started as. */
	const char *user;
	/* --metrics IP:PORT (metrics_http.c); family 0: off. */
	struct stun_addr metrics;
	/* --allow, --deny, --rate-limit...: the workers' (limiter.h) and the
	 * XDP program's (xdp.c) alike. */
	struct stun_limits limits;
	/* --tcp-listen and the connection limits (stream_conn.h); nothing
	 * listens on TCP unless asked. */
	struct listen_spec tcp_listen[MAX_LISTEN];
	unsigned int n_tcp_listen;
	unsigned int max_conns;		/* in total, split over the workers */
	unsigned int max_conns_per_source;	/* 0: no limit */
	uint64_t tcp_idle_ns;		/* no complete message for this long */
	uint64_t tcp_first_ns;		/* no first message this long after accept */
	unsigned int tcp_max_msg;	/* largest STUN message, header included */
	/* --tls-listen (stream_tls.h): as given in tls_listen[]; config_finish
	 * appends them to tcp_listen[] (tls set), so that the engines accept
	 * on them like any TCP listener and only the filter differs. */
	struct listen_spec tls_listen[MAX_LISTEN];
	unsigned int n_tls_listen;
	const char *tls_cert, *tls_key;	/* PEM files; read at start and on SIGHUP */
	uint64_t tls_handshake_ns;	/* no finished handshake this long after accept */
	unsigned int tls_max_handshakes;	/* in progress at once, in the daemon */
};

#define CONFIG_DEFAULT_PATH "/etc/stunring/stunringd.conf"
#define CONFIG_MAX_CMDLINE 256

/* The options given on the command line, in order, as config_cmdline read
 * them (argv's strings): applied after the file, so they override it. */
struct config_cmdline {
	const char *config_path;	/* -c/--config; NULL: the default */
	bool check_only;		/* --check-config */
	unsigned int n;
	struct {
		int id;
		const char *arg;	/* NULL for a flag */
	} opt[CONFIG_MAX_CMDLINE];
};

/* One option, as a file key sees it. */
#define CONFIG_OPT_FLAG		1u	/* takes no value on the command line;
					 * yes/no in the file */
#define CONFIG_OPT_LIST		2u	/* may be given more than once */
#define CONFIG_OPT_CMDLINE_ONLY	4u	/* --config, --help...: not a key */
struct config_option {
	const char *name;
	int id;
	unsigned int flags;
};

/* Read argv.  Returns -1 to go on, or the exit status for main to return
 * right away (0 after --help/--version, EXIT_USAGE after one error line). */
int config_cmdline(int argc, char **argv, struct config_cmdline *cl);
/* The option called name (a long option without "--"): 0, or -1. */
int config_option_find(const char *name, struct config_option *o);
/* Everything at its default. */
void config_defaults(struct daemon_config *cfg);
/* Apply one option (arg NULL for a flag).  -1 on success, or EXIT_USAGE
 * after one error through cli_usage_error (cli/cli.h). */
int config_option_apply(struct daemon_config *cfg, int id, const char *arg);
/* Forget what the file said for a list option, before the command line's
 * first value of it: a flag overrides the key, lists included. */
void config_option_reset(struct daemon_config *cfg, int id);
/* After every option: the default listeners, checks across options.  -1,
 * or EXIT_USAGE after one error.  rfc5780_configure (rfc5780.h) follows. */
int config_finish(struct daemon_config *cfg);
const char *engine_name(enum io_engine e);
/* For each option whose value differs between a and b: fn(its name,
 * whether SIGHUP may change it, its value in a, in b), as text. */
typedef void (*config_diff_fn)(void *user, const char *name, bool reloadable,
			       const char *was, const char *now);
void config_diff(const struct daemon_config *a, const struct daemon_config *b,
		 config_diff_fn fn, void *user);

/* xdp.c: --xdp.  Attach the XDP responder to cfg->xdp_ifname for the
 * listening ports, with the same SOFTWARE and FINGERPRINT policy; one log
 * line says how.  Returns 0, or the exit status after one error line. */
int xdp_start(const struct daemon_config *cfg);
/* Log the XDP counters and detach (quietly when nothing is attached). */
void xdp_stop(const struct daemon_config *cfg);
/* Close what xdp_start held, once nothing reads the counters any more
 * (after metrics_http_stop). */
void xdp_release(void);
/* SIGHUP: give the attached program cfg's SOFTWARE and FINGERPRINT policy. */
void xdp_update(const struct daemon_config *cfg);
/* SIGHUP: give the attached program cfg's ACL and limits. */
void xdp_update_limits(const struct daemon_config *cfg);
/* The attached program's counters (summed over CPUs) for the metrics: up
 * to cap names and values; how many, 0 without --xdp or when unreadable. */
unsigned int xdp_read_counters(const struct daemon_config *cfg, const char **names,
			       uint64_t *values, unsigned int cap);

#endif
