/* SPDX-License-Identifier: MIT */
/*
 * privdrop.h - give up what the running daemon no longer needs, once its
 * sockets are bound and XDP attached, and before any thread exists (uids,
 * groups and capabilities are per thread on Linux, and capset does not
 * reach other threads: every thread started later inherits the result).
 *
 *   --user NAME: switch to NAME's uid and primary gid, drop supplementary
 *   groups, empty the bounding and ambient sets, and keep no capability,
 *   or with --xdp only CAP_NET_ADMIN, CAP_BPF and CAP_PERFMON (the detach
 *   at exit), permitted but not effective (raised around the detach).
 *
 *   No --user, not root, but holding capabilities (systemd User= with
 *   AmbientCapabilities=): the same capability trim, without the switch.
 *
 *   Root without --user: nothing changes.
 *
 * Then PR_SET_NO_NEW_PRIVS whenever something was dropped.  Capabilities
 * through libcap-ng.
 */
#ifndef STUNRINGD_PRIVDROP_H
#define STUNRINGD_PRIVDROP_H

#include "config.h"

/* Before binding anything: can --user happen at all (the user exists, we
 * are root or already that user)?  0, or an exit status after one error
 * line. */
int privdrop_check(const struct daemon_config *cfg);

/* Drop as described above and log what is kept.  Returns 0, or an exit
 * status (EXIT_NOPERM, EXIT_OSERR, EXIT_USAGE) after one error line; the
 * caller must then stop before serving. */
int privdrop_apply(const struct daemon_config *cfg);

/* In the calling thread only: no capability at all (its permitted set
 * emptied).  For the thread that starts the workers and the metrics
 * thread, so that they are born with none even when main keeps the XDP
 * ones.  0, or -1 after a log line. */
int privdrop_thread_none(void);

/* Main, around the XDP detach: make the kept capabilities effective. */
void privdrop_raise_xdp(void);

#endif
