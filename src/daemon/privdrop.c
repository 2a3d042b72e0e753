/* SPDX-License-Identifier: MIT */
/* privdrop.c - see privdrop.h. */
#include "privdrop.h"
#include "log.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <linux/capability.h>	/* CAP_BPF, CAP_PERFMON (Linux 5.8) */

/* (libcap-ng: capng_have_capabilities looks at the effective set only;
 * what a thread could still raise is its permitted set.) */
static bool keep_xdp;

/* What the running daemon keeps, into libcap-ng's (thread-local) state:
 * nothing, or with --xdp the detach's three, permitted only. */
static void plan_caps(bool xdp)
{
	capng_clear(CAPNG_SELECT_ALL);
	if (xdp)
		capng_updatev(CAPNG_ADD, CAPNG_PERMITTED, CAP_NET_ADMIN, CAP_BPF,
			      CAP_PERFMON, -1);
}

/* NAME's entry, or NULL after one error line (*rc: the exit status). */
static struct passwd *lookup(const char *name, int *rc)
{
	struct passwd *pw;

	errno = 0;
	if (!(pw = getpwnam(name))) {
		log_error("--user %s: %s", name, errno ? strerror(errno) : "no such user");
		*rc = EXIT_USAGE;
		return NULL;
	}
	if (getuid() != 0 && getuid() != pw->pw_uid) {
		log_error("--user %s: cannot switch user: running as uid %u, not root",
			  name, (unsigned)getuid());
		*rc = EXIT_NOPERM;
		return NULL;
	}
	return pw;
}

int privdrop_check(const struct daemon_config *cfg)
{
	int rc = 0;

	if (cfg->user)
		lookup(cfg->user, &rc);
	return rc;
}

/* The switch to NAME; capabilities as plan_caps said. */
static int change_user(const char *name)
{
	struct passwd *pw;
	int rc = 0;

	if (!(pw = lookup(name, &rc)))
		return rc;
	/* Sets keep-caps, clears the bounding set while it still may, then
	 * the gids, groups and uids, and applies the planned capabilities. */
	rc = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
			     CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT);
	if (rc) {
		log_error("--user %s: cannot switch to uid %u gid %u (libcap-ng "
			  "capng_change_id %d: %s)", name, (unsigned)pw->pw_uid,
			  (unsigned)pw->pw_gid, rc, strerror(errno));
		return EXIT_NOPERM;
	}
	return 0;
}

/* Never trust the calls alone: read back what the kernel says. */
static int verify(const char *name, uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) || getresgid(&rg, &eg, &sg) ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid ||
	    getgroups(0, NULL) != 0) {
		log_error("--user %s: the switch did not take (uid %u/%u/%u gid %u/%u/%u, "
			  "%d groups)", name, (unsigned)ru, (unsigned)eu, (unsigned)su,
			  (unsigned)rg, (unsigned)eg, (unsigned)sg, getgroups(0, NULL));
		return EXIT_OSERR;
	}
	capng_get_caps_process();
	if (capng_have_permitted_capabilities() != CAPNG_NONE && !keep_xdp) {
		log_error("--user %s: capabilities are left after the drop", name);
		return EXIT_OSERR;
	}
	return 0;
}

static int no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		log_error("cannot set no_new_privs: %s", strerror(errno));
		return EXIT_OSERR;
	}
	return 0;
}

static void log_kept(const char *how)
{
	char *caps = NULL;

	capng_get_caps_process();
	if (capng_have_permitted_capabilities() != CAPNG_NONE)
		caps = capng_print_caps_text(CAPNG_PRINT_BUFFER, CAPNG_PERMITTED);
	log_info("privileges: %s uid %u gid %u, %d supplementary groups; capabilities "
		 "kept: %s%s; no_new_privs", how, (unsigned)getuid(), (unsigned)getgid(),
		 getgroups(0, NULL), caps ? caps : "none",
		 caps ? " (permitted, effective only for the XDP detach at exit)" : "");
	free(caps);
}

int privdrop_apply(const struct daemon_config *cfg)
{
	char how[160];
	int rc;

	keep_xdp = cfg->xdp_ifname != NULL;
	if (cfg->user) {
		plan_caps(keep_xdp);
		if ((rc = change_user(cfg->user)) ||
		    (rc = verify(cfg->user, getuid(), getgid())) || (rc = no_new_privs()))
			return rc;
		snprintf(how, sizeof(how), "running as %s,", cfg->user);
	} else if (getuid() != 0) {
		capng_get_caps_process();
		if (capng_have_permitted_capabilities() == CAPNG_NONE)
			return 0;	/* an ordinary user: nothing to give up */
		plan_caps(keep_xdp);
		/* Lowering needs no privilege; the bounding set would need
		 * CAP_SETPCAP, but no_new_privs keeps it from mattering. */
		if (capng_apply(CAPNG_SELECT_CAPS) || capng_apply(CAPNG_SELECT_AMBIENT)) {
			log_error("cannot drop capabilities: %s", strerror(errno));
			return EXIT_OSERR;
		}
		if ((rc = no_new_privs()))
			return rc;
		snprintf(how, sizeof(how), "started unprivileged with capabilities, now");
	} else {
		/* Quietly: tests and make run start it so on purpose. */
		log_debug("running as root: --user NAME (or systemd's User=) drops the "
			  "privileges once the sockets are bound");
		return 0;
	}
	log_kept(how);
	return 0;
}

int privdrop_thread_none(void)
{
	capng_get_caps_process();
	if (capng_have_permitted_capabilities() == CAPNG_NONE)
		return 0;
	/* Only when a drop happened: a root daemon without --user keeps
	 * root's threads as they always were. */
	if (getuid() == 0)
		return 0;
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_apply(CAPNG_SELECT_CAPS)) {
		log_error("cannot drop this thread's capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void privdrop_raise_xdp(void)
{
	if (!keep_xdp || getuid() == 0)
		return;
	capng_get_caps_process();
	capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE, CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON, -1);
	if (capng_apply(CAPNG_SELECT_CAPS))
		log_warn("cannot raise CAP_NET_ADMIN for the XDP detach: %s", strerror(errno));
}
