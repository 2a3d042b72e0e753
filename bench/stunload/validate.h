/* SPDX-License-Identifier: MIT */
/*
 * validate.h - judge one received datagram: is it the right answer to a
 * request this socket has outstanding?
 */
#ifndef STUNLOAD_VALIDATE_H
#define STUNLOAD_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "stunload.h"
#include "txtable.h"

enum verdict {
	V_VALID,		/* answered a request correctly */
	V_INVALID,		/* see *bad */
	V_LATE,			/* answer to a request already given up on */
	V_UNSUPPORTED,		/* 420 to CHANGE-REQUEST: no RFC 5780 */
};

struct expect {
	enum map_expect mode;
	struct stun_addr addr;	/* MAP_IP, MAP_IP_PORT */
	struct stun_addr self;	/* the socket's own address (MAP_SELF) */
};

/* oversize: the kernel truncated the datagram (MSG_TRUNC).  When the
 * answer matched an outstanding request, that request is marked answered
 * and *matched points to it (its sent time gives the latency). */
enum verdict sl_validate(const uint8_t *buf, size_t len, bool oversize,
			 struct txtable *t, const struct expect *x,
			 struct tx_entry **matched, enum bad_kind *bad);

#endif
