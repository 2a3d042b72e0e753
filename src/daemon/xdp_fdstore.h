/* SPDX-License-Identifier: MIT */
/*
 * xdp_fdstore.h - the XDP program's fd in systemd's fd store, so that a
 * stunringd restarted after SIGKILL or a crash (Restart=on-failure) can
 * take off the program its predecessor left on the interface.  Under the
 * unit the daemon has no CAP_SYS_ADMIN: it cannot open a program by its
 * id, so the interface's program id alone cannot tell it "this one is
 * ours".  The stored fd can: same id, then detach through netlink with
 * that fd as the expected program (CAP_NET_ADMIN only).
 *
 * Needs FileDescriptorStoreMax= (tools/dist/stunringd-xdp.conf sets it);
 * outside systemd every call does nothing.
 */
#ifndef STUNRING_XDP_FDSTORE_H
#define STUNRING_XDP_FDSTORE_H

#include <stddef.h>

/* Before the attach: a program systemd kept for us that is still on
 * ifname is detached.  note: what was done ("" when nothing). */
void xdp_fdstore_take_orphan(const char *ifname, char *note, size_t notelen);
/* After the attach: hand prog_fd to systemd's store. */
void xdp_fdstore_save(int prog_fd);
/* After a clean detach: nothing to take over any more. */
void xdp_fdstore_forget(void);

#endif
