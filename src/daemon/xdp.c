/* SPDX-License-Identifier: MIT */
/*
 * xdp.c - `stunringd --xdp IFACE`: the operator's one command for the fast
 * path.  The daemon attaches the XDP responder (bpf/xdp_loader.c, the same
 * code stunctl uses) after its sockets are open, so anything the program
 * passes is answered from the first packet on, and detaches it before the
 * workers drain, so no request is left without a responder.  Both find
 * the program from the interface (bpf/xdp_find.h), so a daemon restarted
 * after SIGKILL replaces what its predecessor left, pins or no pins (the
 * program records its owner; one attached by stunctl, or by a daemon still
 * running, is refused).  Right after the attach, still privileged, it
 * holds fds to the program and its maps (bpf/xdp_held.h): the counters,
 * SIGHUP's policy and limits updates and the detach then work after
 * --user too.
 */
#include "config.h"
#include "log.h"

#include "xdp_held.h"
#include "xdp_loader.h"

#include <errno.h>
#include <string.h>

static struct stun_xdp_held held = { .prog_fd = -1, .counters_fd = -1, .config_fd = -1,
				     .allow_fd = -1, .deny_fd = -1 };

int xdp_start(const struct daemon_config *cfg)
{
	struct stun_xdp_opts o = {
		.ifname = cfg->xdp_ifname,
		.mode = cfg->xdp_mode == XDP_NATIVE ? STUN_XDP_MODE_NATIVE :
			cfg->xdp_mode == XDP_GENERIC ? STUN_XDP_MODE_GENERIC :
						       STUN_XDP_MODE_AUTO,
		.software = cfg->stun.software,
		.ice_aware = cfg->stun.ice_aware,
		.always_fingerprint = cfg->stun.always_fingerprint,
		.daemon_owned = true,
		.limits = &cfg->limits,
	};
	uint16_t ports[MAX_LISTEN];
	char how[STUN_XDP_ERRLEN], err[STUN_XDP_ERRLEN];
	int ret;

	if (!cfg->xdp_ifname)
		return 0;
	/* The program answers the ports we listen on, each once. */
	for (unsigned int i = 0; i < cfg->n_listen; i++) {
		uint16_t p = cfg->listen[i].addr.port;
		unsigned int k;

		for (k = 0; k < o.n_ports && ports[k] != p; k++)
			;
		if (k == o.n_ports)
			ports[o.n_ports++] = p;
	}
	o.ports = ports;
	if ((ret = stun_xdp_check_privileges(err, sizeof(err)))) {
		log_error("--xdp %s: %s", cfg->xdp_ifname, err);
		return EXIT_NOPERM;
	}
	ret = stun_xdp_attach(&o, how, sizeof(how), err, sizeof(err));
	if (ret) {
		log_error("--xdp %s: %s", cfg->xdp_ifname, err);
		return ret == -ENODEV ? EXIT_NOADDR : ret == -EPERM ? EXIT_NOPERM : EXIT_OSERR;
	}
	log_info("xdp: %s", how);
	if ((ret = stun_xdp_hold(cfg->xdp_ifname, &held, err, sizeof(err)))) {
		log_error("--xdp %s: %s", cfg->xdp_ifname, err);
		xdp_stop(cfg);
		return EXIT_OSERR;
	}
	return 0;
}

void xdp_stop(const struct daemon_config *cfg)
{
	uint64_t c[STUN_XDP_COUNTER_COUNT];
	char err[STUN_XDP_ERRLEN];
	uint64_t passed = 0;

	bool pins_left = false;

	if (!cfg->xdp_ifname)
		return;
	if (held.prog_fd < 0) {	/* the hold failed: by name, as stunctl does */
		if (stun_xdp_detach(cfg->xdp_ifname, err, sizeof(err)))
			log_warn("--xdp %s: detach: %s", cfg->xdp_ifname, err);
		return;
	}
	if (stun_xdp_counters_fd(held.counters_fd, cfg->xdp_ifname, c, err, sizeof(err)) == 0) {
		for (int i = 0; i < STUN_XDP_COUNTER_COUNT; i++)
			if (!strncmp(stun_xdp_counter_name(i), "pass_", 5))
				passed += c[i];
		log_info("xdp %s totals: answered_v4=%llu answered_v6=%llu passed=%llu",
			 cfg->xdp_ifname, (unsigned long long)c[STUN_XDP_ANSWERED_V4],
			 (unsigned long long)c[STUN_XDP_ANSWERED_V6],
			 (unsigned long long)passed);
	}
	if (stun_xdp_held_detach(&held, &pins_left, err, sizeof(err)))
		log_warn("--xdp %s: detach: %s", cfg->xdp_ifname, err);
	else
		log_info("xdp: detached from %s%s", cfg->xdp_ifname, pins_left ?
			 " (its pins stay: bpffs is root's; the next start or 'stunctl "
			 "xdp detach' removes them)" : "");
}

void xdp_update(const struct daemon_config *cfg)
{
	char err[STUN_XDP_ERRLEN] = "not held";

	if (!cfg->xdp_ifname)
		return;
	if (held.config_fd < 0 ||
	    stun_xdp_set_policy_fd(held.config_fd, cfg->xdp_ifname, cfg->stun.software,
				   cfg->stun.always_fingerprint, err, sizeof(err)))
		log_error("SIGHUP: --xdp %s: cannot update the program: %s", cfg->xdp_ifname, err);
	else
		log_info("xdp %s: SOFTWARE and FINGERPRINT policy updated", cfg->xdp_ifname);
}

void xdp_release(void)
{
	stun_xdp_held_close(&held);
}

/* Through the held fds, like xdp_update: after --user the daemon can no
 * longer find the program by name (bpffs, ids), but its fds still work. */
void xdp_update_limits(const struct daemon_config *cfg)
{
	char err[STUN_XDP_ERRLEN] = "not held";

	if (!cfg->xdp_ifname)
		return;
	if (held.config_fd < 0 ||
	    stun_xdp_set_limits_fd(held.config_fd, held.allow_fd, held.deny_fd,
				   cfg->xdp_ifname, &cfg->limits, err, sizeof(err)))
		log_error("SIGHUP: --xdp %s: cannot update the limits: %s", cfg->xdp_ifname, err);
	else
		log_info("xdp %s: ACL and rate limits updated", cfg->xdp_ifname);
}

unsigned int xdp_read_counters(const struct daemon_config *cfg, const char **names,
			       uint64_t *values, unsigned int cap)
{
	uint64_t c[STUN_XDP_COUNTER_COUNT];
	char err[STUN_XDP_ERRLEN];
	unsigned int n = 0;

	if (!cfg->xdp_ifname || held.counters_fd < 0 ||
	    stun_xdp_counters_fd(held.counters_fd, cfg->xdp_ifname, c, err, sizeof(err)))
		return 0;
	for (int i = 0; i < STUN_XDP_COUNTER_COUNT && n < cap; i++, n++) {
		names[n] = stun_xdp_counter_name(i);
		values[n] = c[i];
	}
	return n;
}
