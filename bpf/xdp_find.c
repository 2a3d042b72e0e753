/* SPDX-License-Identifier: MIT */
/*
 * xdp_find.c - recognise stunring's XDP responder among the programs an
 * interface runs (see xdp_find.h for why the interface, not the pins).
 */
#include "xdp_find.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#define MAX_ATTACHED 16		/* programs in one libxdp dispatcher: 10 */
#define MAX_MAPS 32

/* One of our two maps, told apart from any other map by name, type and
 * sizes: a program that merely shares our name is not ours. */
struct map_want {
	const char *name;
	uint32_t type, value_size, max_entries;
};

static const struct map_want want_counters = {
	"counters", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(uint64_t), STUN_XDP_COUNTER_COUNT
};
static const struct map_want want_config = {
	"config", BPF_MAP_TYPE_ARRAY, sizeof(struct stun_xdp_config), 1
};

static bool map_matches(const struct bpf_map_info *m, const struct map_want *w)
{
	return !strcmp(m->name, w->name) && m->type == w->type &&
	       m->value_size == w->value_size && m->max_entries == w->max_entries &&
	       m->key_size == sizeof(uint32_t);
}

/* An fd of map id when it is w, else -1. */
static int open_map_if(uint32_t id, const struct map_want *w)
{
	struct bpf_map_info m = { 0 };
	uint32_t len = sizeof(m);
	int fd = bpf_map_get_fd_by_id(id);

	if (fd < 0)
		return -1;
	if (bpf_obj_get_info_by_fd(fd, &m, &len) || !map_matches(&m, w)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Is program id ours?  Then its maps' fds in f (and true).  name: what
 * the kernel calls it, for messages about foreign programs. */
static bool open_if_ours(uint32_t id, struct xdp_found *f, char name[16])
{
	uint32_t map_ids[MAX_MAPS];
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	name[0] = 0;
	if (fd < 0)
		return false;
	info.nr_map_ids = MAX_MAPS;
	info.map_ids = (uint64_t)(unsigned long)map_ids;
	int ret = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (ret)
		return false;
	snprintf(name, 16, "%s", info.name);
	if (strncmp(info.name, STUN_XDP_PROG_NAME, sizeof(info.name) - 1))
		return false;
	uint32_t n = info.nr_map_ids < MAX_MAPS ? info.nr_map_ids : MAX_MAPS;
	for (uint32_t i = 0; i < n; i++) {
		if (f->counters_fd < 0)
			f->counters_fd = open_map_if(map_ids[i], &want_counters);
		if (f->config_fd < 0)
			f->config_fd = open_map_if(map_ids[i], &want_config);
	}
	if (f->counters_fd >= 0 && f->config_fd >= 0)
		return true;
	xdp_found_close(f);
	return false;
}

/* The programs on ifindex: ids[] (up to MAX_ATTACHED), how many. */
static int attached_ids(int ifindex, uint32_t *ids, bool *dispatcher,
			enum stun_xdp_mode *mode)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	int n = 0;

	if (libxdp_get_error(mp))
		return 0;	/* nothing attached (or nothing readable) */
	enum xdp_attach_mode m = xdp_multiprog__attach_mode(mp);
	*mode = m == XDP_MODE_SKB ? STUN_XDP_MODE_GENERIC : STUN_XDP_MODE_NATIVE;
	*dispatcher = !xdp_multiprog__is_legacy(mp);
	if (*dispatcher) {
		for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp);
		     p && n < MAX_ATTACHED; p = xdp_multiprog__next_prog(p, mp))
			ids[n++] = xdp_program__id(p);
	} else if (xdp_multiprog__main_prog(mp)) {
		ids[n++] = xdp_program__id(xdp_multiprog__main_prog(mp));
	}
	xdp_multiprog__close(mp);
	return n;
}

/* Fast path: valid pins of a program that is id. */
static bool open_pins(const char *dir, uint32_t id, struct xdp_found *f)
{
	char p[512];
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd;

	if (!dir || snprintf(p, sizeof(p), "%s/prog", dir) >= (int)sizeof(p))
		return false;
	fd = bpf_obj_get(p);
	if (fd < 0)
		return false;
	int ret = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (ret || info.id != id)
		return false;
	snprintf(p, sizeof(p), "%s/counters", dir);
	f->counters_fd = bpf_obj_get(p);
	snprintf(p, sizeof(p), "%s/config", dir);
	f->config_fd = bpf_obj_get(p);
	if (f->counters_fd >= 0 && f->config_fd >= 0)
		return true;
	xdp_found_close(f);
	return false;
}

int xdp_find(int ifindex, const char *pin_dir, struct xdp_found *f, char *err,
	     size_t errlen)
{
	uint32_t ids[MAX_ATTACHED];
	char name[16];

	memset(f, 0, sizeof(*f));
	f->counters_fd = f->config_fd = -1;
	if (ifindex <= 0) {
		snprintf(err, errlen, "no such interface");
		return -ENODEV;
	}
	int n = attached_ids(ifindex, ids, &f->dispatcher, &f->mode);
	for (int i = 0; i < n; i++) {
		if (open_pins(pin_dir, ids[i], f)) {
			f->via_pins = true;
			f->prog_id = ids[i];
			return 0;
		}
	}
	for (int i = 0; i < n; i++) {
		if (open_if_ours(ids[i], f, name)) {
			f->prog_id = ids[i];
			return 0;
		}
		if (!f->foreign_id) {
			f->foreign_id = ids[i];
			snprintf(f->foreign_name, sizeof(f->foreign_name), "%s",
				 name[0] ? name : "unnamed");
		}
	}
	return 0;
}

int xdp_find_map(uint32_t prog_id, const char *name)
{
	uint32_t map_ids[MAX_MAPS];
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);

	if (fd < 0)
		return -1;
	info.nr_map_ids = MAX_MAPS;
	info.map_ids = (uint64_t)(unsigned long)map_ids;
	int ret = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (ret)
		return -1;
	for (uint32_t i = 0; i < info.nr_map_ids && i < MAX_MAPS; i++) {
		struct bpf_map_info m = { 0 };
		uint32_t mlen = sizeof(m);
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &m, &mlen) && !strcmp(m.name, name))
			return mfd;
		close(mfd);
	}
	return -1;
}

void xdp_found_close(struct xdp_found *f)
{
	if (f->counters_fd >= 0)
		close(f->counters_fd);
	if (f->config_fd >= 0)
		close(f->config_fd);
	f->counters_fd = f->config_fd = -1;
}
