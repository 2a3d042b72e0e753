/* SPDX-License-Identifier: MIT */
/*
 * mapped_address.c - this host's public address from a list of STUN
 * servers, with libstunring's client API.  Build against the installed
 * library:  cc mapped_address.c $(pkg-config --cflags --libs stunring)
 *
 *   ./mapped_address stun.example.org 192.0.2.7:3478
 */
#include <stdio.h>
#include <stunring_probe.h>

int main(int argc, char **argv)
{
	struct stunring_mapped m;

	if (stunring_mapped_address((const char *const *)argv + 1, (unsigned)argc - 1,
				    NULL, &m) == 0) {
		printf("%s %u (from %s, %.1f ms)\n", m.mapped.ip, m.mapped.port,
		       argv[1 + m.server_index], m.rtt_ms);
		return 0;
	}
	for (unsigned int i = 0; i < m.n_failures && i < STUNRING_PROBE_MAX_FAILURES; i++)
		fprintf(stderr, "%s: %s\n", argv[1 + m.failures[i].server_index],
			m.failures[i].detail);
	return 1;
}
