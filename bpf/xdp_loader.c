/* SPDX-License-Identifier: MIT */
/*
 * xdp_loader.c - attach the XDP responder with libxdp, pin it, find it
 * again, detach it.
 *
 * libxdp first tries its multi-program dispatcher, which lets our program
 * share the interface with others; kernels that refuse the dispatcher's
 * extension programs (this project's lockdown-enabled test machines do) get
 * a single program instead, and we say which happened.  Everything later
 * commands need is pinned in bpffs (see xdp_loader.h), never kept in a
 * process.
 */
#include "xdp_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include "stun_xdp.skel.h"
#include "xdp_find.h"
#include "xdp_held.h"

#define BPFFS "/sys/fs/bpf"
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const char *const pin_names[] = { "prog", "counters", "config" };

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

int stun_xdp_check_privileges(char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	static const int need[] = { CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON };

	if (syscall(SYS_capget, &h, d))
		return fail(err, errlen, -errno, "cannot read capabilities: %s",
			    strerror(errno));
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!(d[need[i] / 32].effective & (1u << (need[i] % 32))))
			return fail(err, errlen, -EPERM,
				    "not privileged: XDP needs CAP_BPF, CAP_NET_ADMIN and "
				    "CAP_PERFMON (run as root; under systemd, add the "
				    "drop-in stunringd-xdp.conf)");
	return 0;
}

/* "@ns<inode>" outside the initial network namespace, "" inside it: the
 * same interface name can exist in many namespaces, bpffs is shared. */
static void netns_suffix(char *buf, size_t n)
{
	struct stat self, init;

	buf[0] = 0;
	if (stat("/proc/self/ns/net", &self))
		return;
	if (stat("/proc/1/ns/net", &init) == 0 && init.st_ino == self.st_ino)
		return;
	snprintf(buf, n, "@ns%lu", (unsigned long)self.st_ino);
}

static void pin_dir(const char *ifname, char *dir, size_t n)
{
	char sfx[32];

	netns_suffix(sfx, sizeof(sfx));
	snprintf(dir, n, "%s/%s%s", STUN_XDP_PIN_ROOT, ifname, sfx);
}

static int pin_path(char *buf, size_t n, const char *dir, const char *name)
{
	return snprintf(buf, n, "%s/%s", dir, name) < (int)n ? 0 : -ENAMETOOLONG;
}

/* bpffs at /sys/fs/bpf (mounted when absent: ip netns exec hides it) and
 * our directory in it.  *mounted: this process had to mount it (now or in
 * an earlier call), so the pins live only as long as this mount namespace.
 * A negative errno with err set when either is impossible: attach then
 * goes on without pins (see no_pins_reason). */
static int ensure_bpffs(bool *mounted, char *err, size_t errlen)
{
	static bool mounted_here;
	struct statfs st;

	if (statfs(BPFFS, &st) || st.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", BPFFS, "bpf", 0, "mode=0700"))
			return fail(err, errlen, -errno, "cannot mount bpffs on %s: %s",
				    BPFFS, strerror(errno));
		mounted_here = true;
	}
	*mounted = mounted_here;
	if (mkdir(STUN_XDP_PIN_ROOT, 0700) && errno != EEXIST)
		return fail(err, errlen, -errno, "cannot create %s: %s",
			    STUN_XDP_PIN_ROOT, strerror(errno));
	return 0;
}

/* Pins are a fast path only (status, stats and detach find the program
 * from the interface, xdp_find.h), so a bpffs this process may not use is
 * no reason to refuse the attach: under the systemd unit /sys is
 * read-only (ProtectKernelTunables=, ProtectSystem=) and /sys/fs/bpf is
 * root's 0700 while the daemon runs as its own user with capabilities.
 * Those errors only; anything else is a real failure. */
static bool pins_impossible(int err)
{
	return err == -EACCES || err == -EPERM || err == -EROFS || err == -ENOENT ||
	       err == -ENOTDIR;
}

/* Everything in our directory, not only today's pin names: pins left by
 * another stunctl version must not keep the directory (or maps) alive. */
static void remove_pins(const char *dir)
{
	char p[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && !pin_path(p, sizeof(p), dir, e->d_name))
			unlink(p);
	closedir(d);
	rmdir(dir);
}

bool stun_xdp_remove_pins(const char *ifname)
{
	char dir[256];
	struct stat st;

	pin_dir(ifname, dir, sizeof(dir));
	remove_pins(dir);
	return stat(dir, &st) != 0 && errno == ENOENT;
}

static int open_pin(const char *dir, const char *name)
{
	char p[512];

	if (pin_path(p, sizeof(p), dir, name))
		return -ENAMETOOLONG;
	int fd = bpf_obj_get(p);
	return fd < 0 ? -errno : fd;
}

/* Ours on ifname, found from the interface (pins only as a fast path):
 * 0 with f filled and f->prog_id set, or -ENOENT / -ENODEV with err set
 * (f closed).  A foreign program there is named in the message. */
static int find_ours(const char *ifname, struct xdp_found *f, char *err,
		     size_t errlen)
{
	char dir[256];
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex) {
		memset(f, 0, sizeof(*f));
		f->counters_fd = f->config_fd = -1;
		return fail(err, errlen, -ENODEV, "no network interface named %s", ifname);
	}
	pin_dir(ifname, dir, sizeof(dir));
	int ret = xdp_find(ifindex, dir, f, err, errlen);
	if (ret)
		return ret;
	if (f->prog_id)
		return 0;
	if (f->foreign_id)
		return fail(err, errlen, -ENOENT, "stunring XDP is not attached to %s "
			    "(its XDP program, %s id %u, is not stunring's: left alone)",
			    ifname, f->foreign_name, f->foreign_id);
	return fail(err, errlen, -ENOENT, "stunring XDP is not attached to %s", ifname);
}

/* libxdp explains its fallbacks at info/debug level: keep the last lines
 * so attach can say why it used a single program. */
static char libxdp_log[1024];

static int capture_libxdp(enum libxdp_print_level level, const char *fmt,
			  va_list ap)
{
	char line[512];

	if (level == LIBXDP_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	const char *msg = !strncmp(line, "libxdp: ", 8) ? line + 8 : line;
	if (!msg[0])
		return 0;
	size_t used = strlen(libxdp_log);
	snprintf(libxdp_log + used, sizeof(libxdp_log) - used, "%s%s",
		 used ? "; " : "", msg);
	return 0;
}

static int quiet_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* libbpf's own complaints while libxdp probes the dispatcher (a refused
 * load is expected on locked-down kernels) would only confuse operators. */
static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Refuse to stack on someone else's single program (the kernel would
 * replace or refuse it); a libxdp dispatcher can take one more. */
static int check_other_program(int ifindex, const char *ifname, char *err,
			       size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	if (q.attach_mode == XDP_ATTACHED_NONE)
		return 0;
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	bool dispatcher = !libxdp_get_error(mp) && !xdp_multiprog__is_legacy(mp);
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	if (dispatcher)
		return 0;

	uint32_t id = q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
	}
	return fail(err, errlen, -EBUSY,
		    "%s already has an XDP program attached (%s, id %u); stunring will "
		    "not replace it: remove it first (ip link set dev %s xdp off)",
		    ifname, info.name[0] ? info.name : "unnamed", id, ifname);
}

/* auto: native, else generic.  *native_err: why native failed. */
static int try_attach(struct xdp_program *prog, int ifindex,
		      enum stun_xdp_mode want, enum stun_xdp_mode *got,
		      int *native_err)
{
	int ret = -EINVAL;

	*native_err = 0;
	if (want != STUN_XDP_MODE_GENERIC) {
		ret = xdp_program__attach(prog, ifindex, XDP_MODE_NATIVE, 0);
		*got = STUN_XDP_MODE_NATIVE;
		if (!ret || want == STUN_XDP_MODE_NATIVE)
			return ret;
		*native_err = ret;
		libxdp_log[0] = 0;	/* keep what the generic attempt says */
	}
	*got = STUN_XDP_MODE_GENERIC;
	return xdp_program__attach(prog, ifindex, XDP_MODE_SKB, 0);
}

static int configure(const struct stun_xdp *skel, struct stun_xdp_config *cfg,
		     int ifindex, const struct stun_limits *limits)
{
	uint32_t zero = 0;
	int n = stun_xdp_config_set_addrs(cfg, ifindex);

	if (n < 0)
		return n;
	/* The tries before the configuration that puts them in force. */
	if (limits) {
		int ret = stun_xdp_acl_fill(bpf_map__fd(skel->maps.acl_allow),
					    bpf_map__fd(skel->maps.acl_deny), limits);
		if (ret)
			return ret;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, cfg, BPF_ANY))
		return -errno;
	return n;
}

static int pin_all(const struct stun_xdp *skel, struct xdp_program *prog,
		   const char *dir)
{
	int fds[] = { xdp_program__fd(prog), bpf_map__fd(skel->maps.counters),
		      bpf_map__fd(skel->maps.config) };
	char p[512];

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (pin_path(p, sizeof(p), dir, pin_names[i]))
			return -ENAMETOOLONG;
		if (bpf_obj_pin(fds[i], p))
			return -errno;
	}
	return 0;
}

/* Take program id off ifindex: out of libxdp's dispatcher, or the
 * single program. */
static int detach_id(int ifindex, uint32_t id)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	int ret = (int)libxdp_get_error(mp);

	if (ret)
		return ret;
	if (!xdp_multiprog__is_legacy(mp)) {
		struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp);
		for (; p && xdp_program__id(p) != id; p = xdp_multiprog__next_prog(p, mp))
			;
		ret = p ? xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0)
			: -ENOENT;
	} else {
		ret = xdp_multiprog__detach(mp);
	}
	xdp_multiprog__close(mp);
	return ret;
}

static int read_config(int fd, struct stun_xdp_config *c)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(fd, &zero, c) ? -errno : 0;
}

/* Our program already on ifindex: refuse, unless a stunringd asks and the
 * stunringd that attached it is gone (killed with SIGKILL: nothing ran its
 * detach), in which case take it off.  note: what was replaced. */
static int replace_orphan(const struct stun_xdp_opts *o, int ifindex,
			  const char *dir, char *note, size_t notelen, char *err,
			  size_t errlen)
{
	struct stun_xdp_config old = { 0 };
	struct xdp_found f;

	if (find_ours(o->ifname, &f, err, errlen)) {
		err[0] = 0;
		return 0;
	}
	read_config(f.config_fd, &old);
	xdp_found_close(&f);
	bool orphan = old.owner_pid && !stun_xdp_owner_alive(&old);
	if (!o->daemon_owned || !orphan) {
		char who[64];
		stun_xdp_owner_text(&old, who, sizeof(who));
		return fail(err, errlen, -EEXIST,
			    "stunring XDP is already attached to %s (prog id %u, by %s; "
			    "run 'stunctl xdp detach %s' first)", o->ifname, f.prog_id,
			    who, o->ifname);
	}
	int ret = detach_id(ifindex, f.prog_id);
	if (ret)
		return fail(err, errlen, ret, "cannot detach the program stunringd pid "
			    "%u left on %s: %s", old.owner_pid, o->ifname, strerror(-ret));
	remove_pins(dir);
	snprintf(note, notelen, "; replaced prog id %u, left by stunringd pid %u "
		 "(no longer running)", f.prog_id, old.owner_pid);
	return 0;
}

static int dup_fd(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* The attach's own fds, duplicated before the skeleton is destroyed.
 * Whether libxdp used its dispatcher: the interface then runs another
 * program id than ours (netlink, no CAP_SYS_ADMIN needed). */
static void hold_from_attach(struct stun_xdp_held *h, const char *ifname, int ifindex,
			     const struct stun_xdp *skel, struct xdp_program *prog,
			     enum stun_xdp_mode mode, bool pinned)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	memset(h, 0, sizeof(*h));
	snprintf(h->ifname, sizeof(h->ifname), "%s", ifname);
	h->ifindex = ifindex;
	h->mode = mode;
	h->pinned = pinned;
	h->prog_fd = dup_fd(xdp_program__fd(prog));
	h->counters_fd = dup_fd(bpf_map__fd(skel->maps.counters));
	h->config_fd = dup_fd(bpf_map__fd(skel->maps.config));
	h->acl_allow_fd = dup_fd(bpf_map__fd(skel->maps.acl_allow));
	h->acl_deny_fd = dup_fd(bpf_map__fd(skel->maps.acl_deny));
	if (!bpf_xdp_query(ifindex, 0, &q)) {
		uint32_t id = mode == STUN_XDP_MODE_GENERIC ? q.skb_prog_id : q.drv_prog_id;
		h->dispatcher = id && id != xdp_program__id(prog);
	}
}

int stun_xdp_attach(const struct stun_xdp_opts *o, char *how, size_t howlen,
		    char *err, size_t errlen)
{
	struct stun_xdp_config cfg;
	struct stun_xdp *skel = NULL;
	struct xdp_program *prog = NULL;
	enum stun_xdp_mode mode;
	char dir[256];
	char replaced[128] = "";
	int ret, ifindex, naddrs, native_err;
	bool mounted = false;

	ret = stun_xdp_check_privileges(err, errlen);
	if (ret)
		return ret;
	ifindex = (int)if_nametoindex(o->ifname);
	if (!ifindex)
		return fail(err, errlen, -ENODEV, "no network interface named %s",
			    o->ifname);
	ret = stun_xdp_config_init(&cfg, o, err, errlen);
	if (ret)
		return ret;
	char nopins[STUN_XDP_ERRLEN] = "";
	ret = ensure_bpffs(&mounted, nopins, sizeof(nopins));
	if (ret && !pins_impossible(ret))
		return fail(err, errlen, ret, "%s", nopins);
	if (!ret)
		nopins[0] = 0;

	pin_dir(o->ifname, dir, sizeof(dir));
	ret = replace_orphan(o, ifindex, dir, replaced, sizeof(replaced), err, errlen);
	if (ret)
		return ret;
	remove_pins(dir);	/* stale pins of a program no longer attached */
	ret = check_other_program(ifindex, o->ifname, err, errlen);
	if (ret)
		return ret;

	LIBBPF_OPTS(bpf_object_open_opts, oo, .kconfig = stun_xdp_kconfig());
	skel = stun_xdp__open_opts(&oo);
	if (!skel)
		return fail(err, errlen, -errno, "cannot open the XDP program: %s",
			    strerror(errno));
	prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
	ret = (int)libxdp_get_error(prog);
	if (ret) {
		prog = NULL;
		fail(err, errlen, ret, "libxdp cannot use the XDP program: %s",
		     strerror(-ret));
		goto out;
	}

	libxdp_log[0] = 0;
	libxdp_print_fn_t old_print = libxdp_set_print(capture_libxdp);
	libbpf_print_fn_t old_bpf_print = libbpf_set_print(quiet_libbpf);
	ret = try_attach(prog, ifindex, o->mode, &mode, &native_err);
	libbpf_set_print(old_bpf_print);
	libxdp_set_print(old_print);
	if (ret) {
		if (ret == -EOPNOTSUPP && mode == STUN_XDP_MODE_NATIVE)
			fail(err, errlen, ret, "%s does not support native XDP; use "
			     "--mode generic (or --mode auto)", o->ifname);
		else if (ret == -EBUSY || ret == -EEXIST)
			fail(err, errlen, ret, "%s already has an XDP program attached in "
			     "another mode; remove it first", o->ifname);
		else
			fail(err, errlen, ret, "cannot attach to %s in %s mode: %s%s%s",
			     o->ifname, stun_xdp_mode_name(mode), strerror(-ret),
			     libxdp_log[0] ? " (libxdp: " : "",
			     libxdp_log[0] ? libxdp_log : "");
		if (libxdp_log[0] && ret != -EOPNOTSUPP)
			strncat(err, ")", errlen - strlen(err) - 1);
		goto out;
	}

	naddrs = configure(skel, &cfg, ifindex, o->limits);
	ret = naddrs < 0 ? naddrs : nopins[0] ? 0 : pin_all(skel, prog, dir);
	if (ret && naddrs >= 0 && pins_impossible(ret)) {
		snprintf(nopins, sizeof(nopins), "cannot pin under %s: %s", dir,
			 strerror(-ret));
		remove_pins(dir);	/* whatever part of them was made */
		ret = 0;
	}
	if (ret) {
		fail(err, errlen, ret, "attached to %s but cannot configure or pin it "
		     "under %s: %s (detached again)", o->ifname, dir, strerror(-ret));
		xdp_program__detach(prog, ifindex,
				    mode == STUN_XDP_MODE_GENERIC ? XDP_MODE_SKB
								  : XDP_MODE_NATIVE, 0);
		remove_pins(dir);
		goto out;
	}

	/* What the kernel now runs: libxdp may have used its dispatcher.
	 * Without CAP_SYS_ADMIN (the unit's daemon) libxdp cannot look the
	 * program up by id and would print that to stderr: quiet. */
	struct xdp_found now;
	old_print = libxdp_set_print(quiet_libxdp);
	bool found = find_ours(o->ifname, &now, err, errlen) == 0 &&
		     now.prog_id == xdp_program__id(prog);
	libxdp_set_print(old_print);
	if (found)
		mode = now.mode;
	xdp_found_close(&now);
	err[0] = 0;
	char why[sizeof(libxdp_log) + 32];
	if (found && now.dispatcher)
		snprintf(why, sizeof(why), "through libxdp's dispatcher (other XDP "
			 "programs can share the interface)");
	else
		snprintf(why, sizeof(why), "as a single program, without libxdp's "
			 "dispatcher (%s)", libxdp_log[0] ? libxdp_log : "not available");
	char pinned[sizeof(nopins) + 320];
	if (nopins[0])
		snprintf(pinned, sizeof(pinned), "not pinned: %s; stunctl finds it from "
			 "the interface", nopins);
	else
		snprintf(pinned, sizeof(pinned), "pinned under %s%s", dir,
			 mounted ? " (bpffs was not mounted, so stunctl mounted it: the "
				   "pins last only as long as this mount namespace; status, "
				   "stats and detach find the program from the interface "
				   "without them)" : "");
	snprintf(how, howlen, "attached to %s (ifindex %d) in %s mode%s %s; %d local "
		 "address%s%s; %s", o->ifname, ifindex, stun_xdp_mode_name(mode),
		 native_err ? " (native XDP not supported by the driver)" : "", why,
		 naddrs, naddrs == 1 ? "" : "es", replaced, pinned);
	if (o->hold)
		hold_from_attach(o->hold, o->ifname, ifindex, skel, prog, mode, !nopins[0]);
	ret = 0;
out:
	xdp_program__close(prog);
	stun_xdp__destroy(skel);
	return ret;
}

int stun_xdp_detach(const char *ifname, char *err, size_t errlen)
{
	struct xdp_found f;
	struct stat st;
	char dir[256];
	int ret = stun_xdp_check_privileges(err, errlen);

	if (ret)
		return ret;
	pin_dir(ifname, dir, sizeof(dir));
	bool had_pins = stat(dir, &st) == 0;
	ret = find_ours(ifname, &f, err, errlen);
	if (ret) {
		remove_pins(dir);
		/* Pins of a program that is gone: nothing left to detach. */
		if (had_pins && !f.foreign_id) {
			err[0] = 0;
			return 0;
		}
		return ret;
	}
	xdp_found_close(&f);
	ret = detach_id((int)if_nametoindex(ifname), f.prog_id);
	if (ret)
		return fail(err, errlen, ret, "cannot detach from %s: %s", ifname,
			    strerror(-ret));
	remove_pins(dir);
	return 0;
}


static bool listed(const struct stun_xdp_info *out, int n, int cap, const char *ifname)
{
	for (int i = 0; i < n && i < cap; i++)
		if (!strcmp(out[i].ifname, ifname))
			return true;
	return false;
}

/* Pin directories of this network namespace whose program is not on its
 * interface any more (detached by hand, interface gone): stale. */
static int list_stale_pins(struct stun_xdp_info *out, int n, int cap)
{
	char sfx[32];
	struct dirent *e;
	DIR *d = opendir(STUN_XDP_PIN_ROOT);

	if (!d)
		return n;
	netns_suffix(sfx, sizeof(sfx));
	while ((e = readdir(d))) {
		const char *at = strchr(e->d_name, '@');
		char ifname[64];
		if (e->d_name[0] == '.' || strcmp(at ? at : "", sfx))
			continue;
		size_t nl = at ? (size_t)(at - e->d_name) : strlen(e->d_name);
		snprintf(ifname, sizeof(ifname), "%.*s", (int)nl, e->d_name);
		if (listed(out, n, cap, ifname))
			continue;
		if (n < cap) {
			struct stun_xdp_info *i = &out[n];
			char dir[256];
			memset(i, 0, sizeof(*i));
			snprintf(i->key, sizeof(i->key), "%s", e->d_name);
			snprintf(i->ifname, sizeof(i->ifname), "%s", ifname);
			i->ifindex = (int)if_nametoindex(ifname);
			pin_dir(ifname, dir, sizeof(dir));
			int fd = open_pin(dir, "config");
			if (fd >= 0) {
				read_config(fd, &i->cfg);
				close(fd);
			}
		}
		n++;
	}
	closedir(d);
	return n;
}

int stun_xdp_list(struct stun_xdp_info *out, int cap, char *err, size_t errlen)
{
	struct if_nameindex *ifs = if_nameindex();
	int n = 0;

	if (!ifs)
		return fail(err, errlen, -errno, "cannot list network interfaces: %s",
			    strerror(errno));
	for (struct if_nameindex *it = ifs; it->if_index; it++) {
		struct xdp_found f;
		char dir[256];
		pin_dir(it->if_name, dir, sizeof(dir));
		if (xdp_find((int)it->if_index, dir, &f, err, errlen) || !f.prog_id)
			continue;
		if (n < cap) {
			struct stun_xdp_info *i = &out[n];
			memset(i, 0, sizeof(*i));
			snprintf(i->ifname, sizeof(i->ifname), "%s", it->if_name);
			snprintf(i->key, sizeof(i->key), "%s", strrchr(dir, '/') + 1);
			i->ifindex = (int)it->if_index;
			i->prog_id = f.prog_id;
			i->attached = true;
			i->pinned = f.via_pins;
			i->dispatcher = f.dispatcher;
			i->mode = f.mode;
			read_config(f.config_fd, &i->cfg);
		}
		xdp_found_close(&f);
		n++;
	}
	if_freenameindex(ifs);
	err[0] = 0;
	return list_stale_pins(out, n, cap);
}

int stun_xdp_counters_fd(int counters_fd, const char *ifname,
			 uint64_t out[STUN_XDP_COUNTER_COUNT], char *err, size_t errlen)
{
	int ncpu = libbpf_num_possible_cpus();
	int ret = 0;

	if (ncpu <= 0)
		return fail(err, errlen, -EINVAL, "cannot count CPUs");
	uint64_t *per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return fail(err, errlen, -ENOMEM, "out of memory");
	for (uint32_t k = 0; k < STUN_XDP_COUNTER_COUNT && !ret; k++) {
		if (bpf_map_lookup_elem(counters_fd, &k, per)) {
			ret = fail(err, errlen, -errno, "cannot read counters of %s: %s",
				   ifname, strerror(errno));
			break;
		}
		out[k] = 0;
		for (int c = 0; c < ncpu; c++)
			out[k] += per[c];
	}
	free(per);
	return ret;
}

int stun_xdp_counters(const char *ifname, uint64_t out[STUN_XDP_COUNTER_COUNT],
		      char *err, size_t errlen)
{
	struct xdp_found f;
	int ret = find_ours(ifname, &f, err, errlen);

	if (ret)
		return ret;
	ret = stun_xdp_counters_fd(f.counters_fd, ifname, out, err, errlen);
	xdp_found_close(&f);
	return ret;
}

typedef int (*config_edit_fn)(struct stun_xdp_config *, const void *, char *, size_t);

/* Read-modify-write of the config entry behind config_fd (one writer at
 * a time: stunctl, or the daemon that attached it). */
static int update_config_fd(int config_fd, const char *ifname, config_edit_fn edit,
			    const void *arg, char *err, size_t errlen)
{
	struct stun_xdp_config c;
	uint32_t zero = 0;
	int ret = read_config(config_fd, &c);

	if (!ret)
		ret = edit(&c, arg, err, errlen);
	if (!ret && bpf_map_update_elem(config_fd, &zero, &c, BPF_ANY))
		ret = -errno;
	if (ret && !err[0])
		fail(err, errlen, ret, "cannot update the configuration of %s: %s",
		     ifname, strerror(-ret));
	return ret;
}

static int update_config(const char *ifname, config_edit_fn edit, const void *arg,
			 char *err, size_t errlen)
{
	int ret = stun_xdp_check_privileges(err, errlen);

	if (ret)
		return ret;
	struct xdp_found f;
	ret = find_ours(ifname, &f, err, errlen);
	if (ret)
		return ret;
	ret = update_config_fd(f.config_fd, ifname, edit, arg, err, errlen);
	xdp_found_close(&f);
	return ret;
}

static int edit_enabled(struct stun_xdp_config *c, const void *arg, char *err,
			size_t errlen)
{
	(void)err;
	(void)errlen;
	c->enabled = *(const bool *)arg;
	return 0;
}

static int edit_software(struct stun_xdp_config *c, const void *arg, char *err,
			 size_t errlen)
{
	struct stun_xdp_config fresh;
	struct stun_xdp_opts o = { .software = arg };
	int ret = stun_xdp_config_init(&fresh, &o, err, errlen);

	if (ret)
		return ret;
	c->software_len = fresh.software_len;
	memcpy(c->software, fresh.software, sizeof(c->software));
	return 0;
}

struct policy {
	const char *software;
	bool always_fingerprint;
};

static int edit_policy(struct stun_xdp_config *c, const void *arg, char *err,
		       size_t errlen)
{
	const struct policy *p = arg;
	int ret = edit_software(c, p->software ? p->software : "", err, errlen);

	if (!ret)
		c->always_fingerprint = p->always_fingerprint;
	return ret;
}

int stun_xdp_set_policy_fd(int config_fd, const char *ifname, const char *software,
			   bool always_fingerprint, char *err, size_t errlen)
{
	struct policy p = { software, always_fingerprint };

	err[0] = 0;
	return update_config_fd(config_fd, ifname, edit_policy, &p, err, errlen);
}

static int edit_limits(struct stun_xdp_config *c, const void *arg, char *err,
		       size_t errlen)
{
	(void)err;
	(void)errlen;
	stun_xdp_config_limits(c, arg);
	return 0;
}

int stun_xdp_set_limits_fd(int config_fd, const char *ifname, const struct stun_limits *l,
			   char *err, size_t errlen)
{
	err[0] = 0;
	return update_config_fd(config_fd, ifname, edit_limits, l, err, errlen);
}

static void close_limits(const int acl[2])
{
	for (int i = 0; i < 2; i++)
		if (acl[i] >= 0)
			close(acl[i]);
}

/* Ours on ifname with its ACL tries open in acl[0] (allow) and acl[1]
 * (deny), and its configuration in c (when not NULL): 0, or a negative
 * errno with err set and nothing left open.  what: for the message. */
static int open_limits(const char *ifname, int acl[2], struct stun_xdp_config *c,
		       const char *what, char *err, size_t errlen)
{
	struct xdp_found f;
	int ret;

	err[0] = 0;
	if ((ret = stun_xdp_check_privileges(err, errlen)) ||
	    (ret = find_ours(ifname, &f, err, errlen)))
		return ret;
	ret = c ? read_config(f.config_fd, c) : 0;
	acl[0] = xdp_find_map(f.prog_id, "acl_allow");
	acl[1] = xdp_find_map(f.prog_id, "acl_deny");
	xdp_found_close(&f);
	if (!ret && (acl[0] < 0 || acl[1] < 0))
		ret = -ENOENT;
	if (!ret)
		return 0;
	close_limits(acl);
	return fail(err, errlen, ret, "cannot %s the limits of %s: %s", what, ifname,
		    ret == -ENOENT ? "the program on it has no ACL maps (attached by "
		    "an older stunring: detach and attach again)" : strerror(-ret));
}

int stun_xdp_set_limits(const char *ifname, const struct stun_limits *l, char *err,
			size_t errlen)
{
	int acl[2];
	int ret = open_limits(ifname, acl, NULL, "update", err, errlen);

	if (ret)
		return ret;
	ret = stun_xdp_acl_fill(acl[0], acl[1], l);
	close_limits(acl);
	if (ret)
		return fail(err, errlen, ret, "cannot update the ACL of %s: %s", ifname,
			    strerror(-ret));
	return update_config(ifname, edit_limits, l, err, errlen);
}

/* The prefixes in an acl trie whose value has a bit of mask (acl_allow
 * also holds the deny list: STUN_XDP_ACL_*), at most STUN_ACL_MAX. */
static uint32_t acl_read(int fd, uint8_t mask, struct stun_prefix *out)
{
	struct stun_xdp_acl_key k, next;
	void *prev = NULL;
	uint32_t n = 0;
	uint8_t v;

	while (n < STUN_ACL_MAX && !bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &v) && (v & mask)) {
			out[n].len = next.prefixlen;
			memcpy(out[n].addr, next.addr, 16);
			n++;
		}
		k = next;
		prev = &k;
	}
	return n;
}

/* rate/s back from the GCRA interval (ns); 0: off. */
static uint32_t gcra_rate(uint64_t t)
{
	return t ? (uint32_t)((1000000000ull + t / 2) / t) : 0;
}

int stun_xdp_get_limits(const char *ifname, struct stun_limits *l, char *err, size_t errlen)
{
	struct stun_xdp_config c;
	int acl[2];

	memset(l, 0, sizeof(*l));
	int ret = open_limits(ifname, acl, &c, "read", err, errlen);
	if (ret)
		return ret;
	l->n_allow = acl_read(acl[0], STUN_XDP_ACL_LISTED, l->allow);
	l->n_deny = acl_read(acl[1], 0xFF, l->deny);
	close_limits(acl);
	l->rate = gcra_rate(c.rate_t);
	l->burst = c.rate_t ? (uint32_t)(c.rate_tau / c.rate_t) : 0;
	l->max_rate = gcra_rate(c.cap_t);
	l->prefix4 = (uint8_t)__builtin_popcount(c.kmask4);
	unsigned int len6 = 0;
	for (int w = 0; w < 4; w++)
		len6 += (unsigned int)__builtin_popcount(c.kmask[w]);
	l->prefix6 = (uint8_t)len6;
	return 0;
}

/* Keep the cap largest, by insertion into drops[] sorted down. */
static int top_insert(struct stun_prefix *keys, uint64_t *drops, int n, int cap,
		      const struct stun_xdp_bucket *b, unsigned int len4, unsigned int len6)
{
	int i;

	if (n < cap)
		i = n++;
	else if (drops[cap - 1] >= b->drops)
		return n;
	else
		i = cap - 1;
	for (; i > 0 && drops[i - 1] < b->drops; i--) {
		keys[i] = keys[i - 1];
		drops[i] = drops[i - 1];
	}
	memcpy(keys[i].addr, b->key.w, 16);
	keys[i].len = b->key.w[0] == 0 && b->key.w[1] == 0 && b->key.w[2] == htonl(0xFFFF) ?
			      len4 : len6;
	drops[i] = b->drops;
	return n;
}

int stun_xdp_top_limited(const char *ifname, struct stun_prefix *keys, uint64_t *drops,
			 int cap, char *err, size_t errlen)
{
	static struct stun_xdp_bucket_set set;
	struct stun_xdp_config c;
	struct xdp_found f;
	int n = 0, ret;

	err[0] = 0;
	if ((ret = stun_xdp_check_privileges(err, errlen)) ||
	    (ret = find_ours(ifname, &f, err, errlen)))
		return ret;
	int fd = xdp_find_map(f.prog_id, "buckets");
	ret = read_config(f.config_fd, &c);
	xdp_found_close(&f);
	unsigned int len6 = 0, len4 = 96 + (unsigned int)__builtin_popcount(c.kmask4);
	for (int w = 0; w < 4; w++)
		len6 += (unsigned int)__builtin_popcount(c.kmask[w]);
	if (fd >= 0 && ret) {
		close(fd);
		return fail(err, errlen, ret, "cannot read the configuration of %s", ifname);
	}
	if (fd < 0)
		return fail(err, errlen, -ENOENT, "the program on %s has no rate-limit buckets",
			    ifname);
	/* 16384 lookups of 128 bytes: a few milliseconds, by hand only. */
	for (uint32_t s = 0; s < STUN_XDP_BUCKET_SETS; s++) {
		if (bpf_map_lookup_elem(fd, &s, &set))
			break;
		for (int i = 0; i < STUN_XDP_BUCKET_WAYS; i++)
			if (set.way[i].tat && set.way[i].drops)
				n = top_insert(keys, drops, n, cap, &set.way[i], len4, len6);
	}
	close(fd);
	return n;
}

int stun_xdp_set_enabled(const char *ifname, bool on, char *err, size_t errlen)
{
	err[0] = 0;
	return update_config(ifname, edit_enabled, &on, err, errlen);
}

int stun_xdp_set_software(const char *ifname, const char *software, char *err,
			  size_t errlen)
{
	err[0] = 0;
	return update_config(ifname, edit_software, software, err, errlen);
}

static int edit_addrs(struct stun_xdp_config *c, const void *arg, char *err,
		      size_t errlen)
{
	int n = stun_xdp_config_set_addrs(c, *(const int *)arg);

	if (n < 0)
		return fail(err, errlen, n, "cannot read the interface's addresses: %s",
			    strerror(-n));
	return 0;
}

int stun_xdp_sync_addrs(const char *ifname, char *err, size_t errlen)
{
	struct stun_xdp_info info;
	int ifindex = (int)if_nametoindex(ifname);

	err[0] = 0;
	if (!ifindex)
		return fail(err, errlen, -ENODEV, "no network interface named %s", ifname);
	int ret = update_config(ifname, edit_addrs, &ifindex, err, errlen);
	if (ret)
		return ret;
	/* Report what the program now has. */
	struct xdp_found f;
	ret = find_ours(ifname, &f, err, errlen);
	if (ret)
		return ret;
	ret = read_config(f.config_fd, &info.cfg);
	xdp_found_close(&f);
	return ret ? ret : (int)(info.cfg.n_local4 + info.cfg.n_local6);
}
