/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_output.c - the verbose test log and a minimal JSON writer.
 *
 * The JSON needed is one flat object with a few string arrays, so a small
 * writer with correct escaping is enough (no JSON -dev package is part of
 * the build dependencies).  Strings from the network (SOFTWARE, reason
 * phrases) are escaped, and bytes that are not valid UTF-8 become U+FFFD.
 */
#include "stunprobe.h"

#include <string.h>

/* The library's hooks: -v lines and the progress line on stderr. */
static void log_test_hook(const struct probe_cfg *c, const char *name,
			  const struct probe_result *r)
{
	probe_log_test(c->user, name, r);
}

static void log_note_hook(const struct probe_cfg *c, const char *text)
{
	const struct probe_opts *o = c->user;

	if (o->verbose)
		fprintf(stderr, "stunprobe: %s\n", text);
}

void probe_cfg_from_opts(struct probe_cfg *c, const struct probe_opts *o)
{
	*c = (struct probe_cfg){
		.rto = o->rto,
		.adapt_rto = o->adapt_rto,
		.classic_requests = o->classic_requests,
		.fingerprint = o->fingerprint,
		.hairpin = o->hairpin,
		.software = o->software,
		.bind = o->has_bind ? &o->bind : NULL,
		.log_test = log_test_hook,
		.log_note = log_note_hook,
		.progress_draw = o->progress ? probe_progress_draw : NULL,
		.progress_clear = o->progress ? probe_progress_clear : NULL,
		.user = o,
	};
}

void probe_log_test(const struct probe_opts *o, const char *name,
		    const struct probe_result *r)
{
	char to[STUN_ADDR_STRLEN], from[STUN_ADDR_STRLEN], mapped[STUN_ADDR_STRLEN];

	if (!o->verbose)
		return;
	probe_fmt(&r->to, to);
	/* A stream has one request and no RTO: say how it ended. */
	if (o->transport != PROBE_UDP) {
		if (r->status == PROBE_OK)
			fprintf(stderr, "stunprobe: %-22s to %s over %s: mapped %s, %.3f ms\n",
				name, to, o->transport == PROBE_TLS ? "TLS" : "TCP",
				probe_fmt(&r->info.mapped, mapped), r->rtt_ms);
		else
			fprintf(stderr, "stunprobe: %-22s to %s over %s: %s\n", name, to,
				o->transport == PROBE_TLS ? "TLS" : "TCP",
				probe_status_text(r->status));
		return;
	}
	switch (r->status) {
	case PROBE_OK:
		fprintf(stderr, "stunprobe: %-22s to %s: mapped %s, answer from %s, "
			"%.3f ms, %u request(s), RTO %u ms%s\n", name, to,
			probe_fmt(&r->info.mapped, mapped), probe_fmt(&r->from, from),
			r->rtt_ms, r->sent, r->rto_ms,
			r->info.has_other ? "" : ", no OTHER-ADDRESS");
		break;
	case PROBE_ERROR_RESPONSE:
		fprintf(stderr, "stunprobe: %-22s to %s: error %d %s from %s\n", name,
			to, r->info.error_code, r->reason, probe_fmt(&r->from, from));
		break;
	default:
		fprintf(stderr, "stunprobe: %-22s to %s: %s after %u request(s), "
			"RTO %u ms\n", name, to, probe_status_text(r->status), r->sent,
			r->rto_ms);
	}
}

/* ---- JSON ---------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		len = 2, cp = p[0] & 0x1F;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		len = 3, cp = p[0] & 0x0F;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return len;
}

static void put_string(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (n) {
		size_t l = utf8_len(p, n);
		if (l == 0) {
			fputs("\\ufffd", f);
			l = 1;
		} else if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7F) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fwrite(p, 1, l, f);
		}
		p += l;
		n -= l;
	}
	fputc('"', f);
}

static void key(struct jw *j, const char *k)
{
	if (!j->first)
		fputc(',', j->f);
	j->first = false;
	if (k) {
		put_string(j->f, k, strlen(k));
		fputc(':', j->f);
	}
}

void jw_begin(struct jw *j, FILE *f)
{
	j->f = f;
	j->depth = 1;
	j->first = true;
	fputc('{', f);
}

void jw_end(struct jw *j)
{
	fputs("}\n", j->f);
	fflush(j->f);
}

void jw_strn(struct jw *j, const char *k, const char *val, size_t n)
{
	key(j, k);
	if (val)
		put_string(j->f, val, n);
	else
		fputs("null", j->f);
}

void jw_str(struct jw *j, const char *k, const char *val)
{
	jw_strn(j, k, val, val ? strlen(val) : 0);
}

void jw_int(struct jw *j, const char *k, long long v)
{
	key(j, k);
	fprintf(j->f, "%lld", v);
}

void jw_num(struct jw *j, const char *k, double v)
{
	key(j, k);
	fprintf(j->f, "%.3f", v);
}

void jw_bool(struct jw *j, const char *k, bool v)
{
	key(j, k);
	fputs(v ? "true" : "false", j->f);
}

void jw_addr(struct jw *j, const char *k, const struct stun_addr *a)
{
	char buf[STUN_ADDR_STRLEN];

	jw_str(j, k, a ? probe_fmt(a, buf) : NULL);
}

void jw_array_begin(struct jw *j, const char *k)
{
	key(j, k);
	fputc('[', j->f);
	j->first = true;
}

void jw_array_str(struct jw *j, const char *val)
{
	jw_str(j, NULL, val);
}

void jw_array_end(struct jw *j)
{
	fputc(']', j->f);
	j->first = false;
}
