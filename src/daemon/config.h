/* SPDX-License-Identifier: MIT */
/*
 * config.h - stunringd's configuration: what the command line asks for.
 *
 * Listening addresses carry a role so that RFC 5780 mode (--alt-ip /
 * --alt-port: four sockets, the answer sent from the one stun_respond picks
 * in rep.src) slots in without changing the workers: every worker opens one
 * socket per listener and sends each reply from the listener whose address
 * matches rep.src.  Basic mode only has primary listeners.
 */
#ifndef STUNRINGD_CONFIG_H
#define STUNRINGD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "stunring.h"

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
	ROLE_ALT_PORT,		/* A1:P2 (RFC 5780, not implemented yet) */
	ROLE_ALT_IP,		/* A2:P1 */
	ROLE_ALT_BOTH,		/* A2:P2 */
};

struct listen_spec {
	struct stun_addr addr;	/* port 0: any free port (tests) */
	enum listen_role role;
	bool implicit;		/* a default, not asked for: may be skipped when
				 * the host has no IPv6 */
	char text[STUN_ADDR_STRLEN];	/* formatted, for messages */
};

enum io_engine { ENGINE_AUTO = 0, ENGINE_URING, ENGINE_MMSG };

struct daemon_config {
	struct listen_spec listen[MAX_LISTEN];
	unsigned int n_listen;
	unsigned int workers;		/* 0: one per CPU we may run on */
	bool pin;			/* pin worker i to the i-th allowed CPU */
	enum io_engine engine;
	unsigned int stats_interval;	/* seconds; 0: off */
	int rcvbuf, sndbuf;		/* bytes asked for each socket */
	unsigned int ring_buffers;	/* io_uring provided buffers per worker */
	struct stun_server_cfg stun;	/* what stun_respond is told */
};

/* Parse argv into cfg.  Returns -1 to continue, or the exit status for
 * main to return right away (0 after --help/--version, EXIT_USAGE after
 * one error line on stderr). */
int config_parse(struct daemon_config *cfg, int argc, char **argv);
const char *engine_name(enum io_engine e);

#endif
