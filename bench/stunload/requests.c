/* SPDX-License-Identifier: MIT */
/*
 * requests.c - see requests.h.
 */
#include "requests.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

void sl_request_opts(const struct sl_config *cfg,
		     struct stun_request_opts opts[REQ_KIND_COUNT])
{
	memset(opts, 0, sizeof(*opts) * REQ_KIND_COUNT);
	opts[REQ_FINGERPRINT].fingerprint = true;
	opts[REQ_SOFTWARE].software = cfg->software;
	opts[REQ_SOFTWARE].fingerprint = true;
	opts[REQ_CLASSIC].classic = true;
	/* No flags: the answer comes from the address we sent to, so a
	 * connected socket receives it; a basic server answers 420. */
	opts[REQ_CHANGE].change_request = true;
}

unsigned sl_build_mix(const struct sl_config *cfg, uint8_t mix[MIX_MAX])
{
	int cur[REQ_KIND_COUNT] = { 0 };
	int total = 0;

	for (int k = 0; k < REQ_KIND_COUNT; k++)
		total += (int)cfg->mix[k];
	for (int i = 0; i < total; i++) {
		int best = -1;

		for (int k = 0; k < REQ_KIND_COUNT; k++) {
			if (!cfg->mix[k])
				continue;
			cur[k] += (int)cfg->mix[k];
			if (best < 0 || cur[k] > cur[best])
				best = k;
		}
		cur[best] -= total;
		mix[i] = (uint8_t)best;
	}
	return (unsigned)total;
}

void sl_count_answer(struct sl_worker *w, struct txtable *tx,
		     const struct expect *x, const uint8_t *buf, size_t len,
		     bool trunc, uint64_t now)
{
	struct sl_counters *c = &w->c;
	struct tx_entry *e;
	enum bad_kind bad = BAD_MALFORMED;

	switch (sl_validate(buf, len, trunc, tx, x, &e, &bad)) {
	case V_VALID:
		CNT_ADD(c->answered, 1);
		CNT_ADD(c->valid, 1);
		hist_record(&w->h, now > e->sent_ns ? now - e->sent_ns : 0);
		break;
	case V_INVALID:
		if (e)
			CNT_ADD(c->answered, 1);
		CNT_ADD(c->invalid[bad], 1);
		break;
	case V_LATE:
		CNT_ADD(c->late, 1);
		break;
	case V_UNSUPPORTED:
		CNT_ADD(c->answered, 1);
		CNT_ADD(c->unsupported, 1);
		break;
	}
}

int sl_bind_nth(int fd, const struct stun_prefix *p, int fam, unsigned int k)
{
	unsigned int host = 128 - p->len >= 16 ? 1u << 16 : 1u << (128 - p->len);
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t a[16];

	/* Neither the network nor (IPv4) the broadcast address. */
	host = host > 2 ? 1 + k % (host - 2) : 0;
	memcpy(a, p->addr, 16);
	a[15] = (uint8_t)(a[15] | host);
	a[14] = (uint8_t)(a[14] | host >> 8);
	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a + 12, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		sl = sizeof(*s6);
	}
	return bind(fd, (struct sockaddr *)&ss, sl);
}
