/* SPDX-License-Identifier: MIT */
/*
 * stunprobe_classic.c - the RFC 3489 section 10.1 NAT type (--classic):
 * the run is the library's (probe_classic.c), the report is stunprobe's.
 */
#include "stunprobe.h"

#include <string.h>

int probe_run_classic(const struct probe_opts *o)
{
	static struct classic_run c;
	struct probe_cfg cfg;
	const struct stun_addr *server = &o->servers[0].addr;
	char a[STUN_ADDR_STRLEN];
	int err, rc;

	probe_cfg_from_opts(&cfg, o);
	err = probe_classic_run(&c, &cfg, server);
	if (err) {
		fprintf(stderr, "stunprobe: socket for %s: %s\n", o->servers[0].arg,
			strerror(-err));
		return PROBE_EXIT_SYSTEM;
	}

	if (c.st.result == NAT_BLOCKED)
		rc = PROBE_EXIT_TIMEOUT;
	else if (c.st.result != NAT_UNKNOWN)
		rc = PROBE_EXIT_OK;
	else if (c.first.status != PROBE_OK)
		rc = probe_exit_of(c.first.status);
	else
		rc = PROBE_EXIT_INCOMPLETE;

	if (o->json) {
		struct jw j;
		bool ok = c.first.status == PROBE_OK;

		jw_begin(&j, stdout);
		jw_str(&j, "mode", "classic");
		jw_str(&j, "result", rc == PROBE_EXIT_OK ? "complete" :
		       c.st.result == NAT_BLOCKED ? "blocked" : "incomplete");
		jw_str(&j, "server_arg", o->servers[0].arg);
		jw_addr(&j, "server", server);
		jw_bool(&j, "classic_requests", o->classic_requests);
		jw_addr(&j, "changed_address", ok && c.first.info.has_other ? &c.first.info.other : NULL);
		jw_str(&j, "software", ok && c.first.info.software ? c.first.software : NULL);
		jw_addr(&j, "local", &c.st.local);
		jw_addr(&j, "mapped", ok ? &c.first.info.mapped : NULL);
		if (ok)
			jw_bool(&j, "nat", c.st.nat);
		else
			jw_str(&j, "nat", NULL);
		jw_str(&j, "nat_type", classic_name(c.st.result));
		jw_str(&j, "pystun", probe_pystun_name(&c.st));
		jw_str(&j, "note", c.st.why ? behav_why_text(c.st.why) : NULL);
		jw_end(&j);
		return rc;
	}
	printf("server        %s", probe_fmt(server, a));
	if (probe_is_name(o->servers[0].arg))
		printf(" (%s)", o->servers[0].arg);
	printf("\n");
	if (c.first.status == PROBE_OK) {
		printf("changed addr  %s\n", c.first.info.has_other ?
		       probe_fmt(&c.first.info.other, a) : "none (single-address server)");
		printf("software      %s\n", c.first.info.software ? c.first.software : "(none)");
		printf("local         %s\n", probe_fmt(&c.st.local, a));
		printf("mapped        %s\n", probe_fmt(&c.first.info.mapped, a));
		printf("nat           %s\n", c.st.nat ? "yes" : "no");
	} else if (c.st.result != NAT_BLOCKED) {
		fprintf(stderr, "stunprobe: %s: test I: %s\n", o->servers[0].arg,
			probe_status_text(c.first.status));
	}
	printf("nat type      %s\n", classic_name(c.st.result));
	if (c.st.why)
		printf("              (%s)\n", behav_why_text(c.st.why));
	if (probe_pystun_name(&c.st))
		printf("pystun name   %s\n", probe_pystun_name(&c.st));
	return rc;
}
