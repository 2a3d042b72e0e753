/* SPDX-License-Identifier: MIT */
/*
 * rfc5780.c - RFC 5780 mode's configuration: check --alt-ip, --alt-port,
 * --rfc5780 and --advertise-* against the --listen addresses, derive the
 * four sockets of each family (conformance.md item 56) and the
 * stun_server_cfg stun_respond gets for each family.
 *
 * Nothing here runs per packet: the workers only see more listeners, each
 * pointing at its family's stun_server_cfg, and send every reply from the
 * listener whose address is rep.src (worker.h).
 *
 * Why the refusals (each one ends in one error line and EXIT_USAGE):
 *  - a wildcard primary: stun_respond derives the other address from the
 *    one a request arrived on, and RESPONSE-ORIGIN / OTHER-ADDRESS must be
 *    real addresses (items 58-60); A1 and A2 must be named;
 *  - --alt-port without --alt-ip: one address and two ports is what RFC
 *    5780 section 6 calls single-address mode (item 57), which must answer
 *    420 to every CHANGE-REQUEST and never send OTHER-ADDRESS, so the
 *    second port could never be used.  Saying so beats silently ignoring
 *    the option; --rfc5780 is the way to ask for single-address mode;
 *  - alternate equal to the primary, of the other family, or on the same
 *    port: not two addresses, or not four distinct sockets.
 * An alternate address that is not on this host is caught when its socket
 * is bound (listener.c: "address not assigned", EXIT_NOADDR).
 */
#include "rfc5780.h"
#include "cli/cli.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static const char *fam_name(unsigned int f)
{
	return f == FAM_IPV6 ? "IPv6" : "IPv4";
}

static bool is_any(const struct stun_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->ip, zero, a->family == STUN_FAMILY_IPV6 ? 16 : 4);
}

static const char *ip_text(const struct stun_addr *a, char *buf, size_t cap)
{
	struct stun_addr ip = *a;
	char *colon;

	/* stun_addr_format always adds the port: take it off again. */
	stun_addr_format(&ip, buf, cap);
	colon = strrchr(buf, ':');
	if (colon)
		*colon = 0;
	if (buf[0] == '[') {
		memmove(buf, buf + 1, strlen(buf));
		buf[strlen(buf) - 1] = 0;
	}
	return buf;
}

static int add_alt_listener(struct daemon_config *cfg, const struct stun_addr *ip,
			    uint16_t port, enum listen_role role)
{
	static const char *const what[ROLE_COUNT] = {
		NULL,
		"RFC 5780 A1:P2, --alt-port",
		"RFC 5780 A2:P1, --alt-ip",
		"RFC 5780 A2:P2, --alt-ip and --alt-port",
	};
	struct listen_spec *l;

	if (cfg->n_listen == MAX_LISTEN)
		return cli_usage_error("too many listening addresses with RFC 5780 mode "
				    "(at most %d sockets)", MAX_LISTEN);
	l = &cfg->listen[cfg->n_listen++];
	memset(l, 0, sizeof(*l));
	l->addr = *ip;
	l->addr.port = port;
	l->role = role;
	l->what = what[role];
	stun_addr_format(&l->addr, l->text, sizeof(l->text));
	return -1;
}

/* The primary of family f: its only --listen address.  Returns the index,
 * or -2 when there is none, -3 when there are several. */
static int primary_of(const struct daemon_config *cfg, unsigned int f)
{
	int found = -2;

	for (unsigned int i = 0; i < cfg->n_listen; i++) {
		if (fam_index(&cfg->listen[i].addr) != f)
			continue;
		if (found >= 0)
			return -3;
		found = (int)i;
	}
	return found;
}

/* Family f with --alt-ip: check it, add A1:P2, A2:P1, A2:P2. */
static int configure_alt(struct daemon_config *cfg, unsigned int f,
			 struct stun_server_cfg *sc)
{
	const struct stun_addr *alt = &cfg->alt_ip[f];
	char a2[STUN_ADDR_STRLEN];
	int p = primary_of(cfg, f);
	int rc;

	ip_text(alt, a2, sizeof(a2));
	if (p == -2)
		return cli_usage_error("--alt-ip %s: no %s --listen address to pair it with (the "
				    "alternate address must be of the primary's family)",
				    a2, fam_name(f));
	if (p == -3)
		return cli_usage_error("--alt-ip %s: give exactly one %s --listen address, the "
				    "primary A1:P1 (RFC 5780 pairs it with the alternate)",
				    a2, fam_name(f));

	const struct listen_spec *l = &cfg->listen[p];
	struct stun_addr a1 = l->addr;
	uint16_t p2 = cfg->alt_port ? cfg->alt_port : (uint16_t)(a1.port + 1);

	if (l->implicit)
		return cli_usage_error("RFC 5780 mode with --alt-ip needs --listen with the %s "
				    "primary address (a concrete IP, not the default "
				    "wildcard)", fam_name(f));
	if (is_any(&a1))
		return cli_usage_error("--listen %s: RFC 5780 mode needs a concrete primary "
				    "address, not a wildcard (the server must know which of "
				    "its two addresses answers)", l->text);
	if (is_any(alt))
		return cli_usage_error("--alt-ip %s: the alternate address must be a concrete "
				    "address, not a wildcard", a2);
	if (stun_addr_ip_equal(alt, &a1))
		return cli_usage_error("--alt-ip %s is the primary address itself: RFC 5780 "
				    "needs two different addresses", a2);
	if (a1.port == 0)
		return cli_usage_error("--listen %s: RFC 5780 mode needs an explicit port "
				    "(the same two ports are opened on both addresses)", l->text);
	if (!cfg->alt_port && a1.port == 65535)
		return cli_usage_error("--listen %s: the default --alt-port would be 65536; "
				    "give --alt-port", l->text);
	if (p2 == a1.port)
		return cli_usage_error("--alt-port %u is the primary port of %s: the two "
				    "ports must differ", p2, l->text);

	sc->has_alt = true;
	sc->primary = a1;
	sc->alt = *alt;
	sc->alt.port = p2;
	if ((rc = add_alt_listener(cfg, &a1, p2, ROLE_ALT_PORT)) >= 0 ||
	    (rc = add_alt_listener(cfg, alt, a1.port, ROLE_ALT_IP)) >= 0 ||
	    (rc = add_alt_listener(cfg, alt, p2, ROLE_ALT_BOTH)) >= 0)
		return rc;
	return -1;
}

/* --advertise-ip / --advertise-alt-ip of family f. */
static int configure_advertise(struct daemon_config *cfg, unsigned int f,
			       struct stun_server_cfg *sc)
{
	char ip[STUN_ADDR_STRLEN];

	if (cfg->adv_alt[f].family && !cfg->alt_ip[f].family)
		return cli_usage_error("--advertise-alt-ip %s: no %s --alt-ip to stand for",
				    ip_text(&cfg->adv_alt[f], ip, sizeof(ip)), fam_name(f));
	if (cfg->adv_alt[f].family) {
		if (is_any(&cfg->adv_alt[f]))
			return cli_usage_error("--advertise-alt-ip %s: not a wildcard",
					    ip_text(&cfg->adv_alt[f], ip, sizeof(ip)));
		sc->advertise_alt = cfg->adv_alt[f];
	}
	if (!cfg->adv[f].family)
		return -1;
	ip_text(&cfg->adv[f], ip, sizeof(ip));
	if (is_any(&cfg->adv[f]))
		return cli_usage_error("--advertise-ip %s: not a wildcard", ip);
	if (!sc->has_alt) {
		/* Single-address mode: the primary is the --listen address. */
		int p = primary_of(cfg, f);

		if (p < 0 || is_any(&cfg->listen[p].addr))
			return cli_usage_error("--advertise-ip %s: needs exactly one concrete %s "
					    "--listen address to stand for", ip, fam_name(f));
		sc->primary = cfg->listen[p].addr;
	}
	sc->advertise_primary = cfg->adv[f];
	return -1;
}

int rfc5780_configure(struct daemon_config *cfg)
{
	bool any_alt = cfg->alt_ip[FAM_IPV4].family || cfg->alt_ip[FAM_IPV6].family;
	bool any_adv = false;
	int rc;

	for (unsigned int f = 0; f < FAM_COUNT; f++) {
		cfg->fam[f] = cfg->stun;
		any_adv |= cfg->adv[f].family || cfg->adv_alt[f].family;
	}
	if (cfg->alt_port && !any_alt)
		return cli_usage_error("--alt-port without --alt-ip: one address with two ports "
				    "is RFC 5780 single-address mode, which must answer 420 to "
				    "CHANGE-REQUEST, so P2 would never be used; add --alt-ip, or "
				    "use --rfc5780 for single-address mode");
	if (any_adv && !cfg->rfc5780)
		return cli_usage_error("--advertise-ip/--advertise-alt-ip only apply in RFC 5780 "
				    "mode (--alt-ip or --rfc5780)");
	if (cfg->rfc5780) {
		for (unsigned int f = 0; f < FAM_COUNT; f++) {
			struct stun_server_cfg *sc = &cfg->fam[f];

			sc->mode = STUN_MODE_RFC5780;
			if (cfg->alt_ip[f].family && (rc = configure_alt(cfg, f, sc)) >= 0)
				return rc;
			if ((rc = configure_advertise(cfg, f, sc)) >= 0)
				return rc;
		}
		cfg->stun.mode = STUN_MODE_RFC5780;
	}
	for (unsigned int i = 0; i < cfg->n_listen; i++)
		cfg->listen[i].stun = &cfg->fam[fam_index(&cfg->listen[i].addr)];
	return -1;
}

void rfc5780_log(const struct daemon_config *cfg)
{
	bool has[FAM_COUNT] = { false, false };

	if (!cfg->rfc5780)
		return;
	for (unsigned int i = 0; i < cfg->n_listen; i++)
		has[fam_index(&cfg->listen[i].addr)] = true;
	for (unsigned int f = 0; f < FAM_COUNT; f++) {
		const struct stun_server_cfg *sc = &cfg->fam[f];
		char a1[STUN_ADDR_STRLEN], a2[STUN_ADDR_STRLEN];
		char adv1[STUN_ADDR_STRLEN + 24] = "", adv2[STUN_ADDR_STRLEN + 24] = "";

		if (!has[f])
			continue;
		if (!sc->has_alt) {
			log_info("RFC 5780 %s: single-address mode (no --alt-ip of this family): "
				 "420 to CHANGE-REQUEST, no OTHER-ADDRESS%s", fam_name(f),
				 sc->response_port ? "" : ", RESPONSE-PORT not supported");
			continue;
		}
		if (sc->advertise_primary.family)
			snprintf(adv1, sizeof(adv1), " (advertised as %s)",
				 ip_text(&sc->advertise_primary, a1, sizeof(a1)));
		if (sc->advertise_alt.family)
			snprintf(adv2, sizeof(adv2), " (advertised as %s)",
				 ip_text(&sc->advertise_alt, a2, sizeof(a2)));
		log_info("RFC 5780 %s: A1=%s%s A2=%s%s P1=%u P2=%u: four sockets, CHANGE-REQUEST "
			 "honoured, OTHER-ADDRESS in every answer%s", fam_name(f),
			 ip_text(&sc->primary, a1, sizeof(a1)), adv1,
			 ip_text(&sc->alt, a2, sizeof(a2)), adv2, sc->primary.port,
			 sc->alt.port, sc->response_port ? "" : ", RESPONSE-PORT not supported");
	}
}
