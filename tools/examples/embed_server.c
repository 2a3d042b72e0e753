/* SPDX-License-Identifier: MIT */
/*
 * embed_server.c - stunringd's server inside a program: serve STUN on
 * ADDR:PORT (port 0: any) for SECONDS, then print the counters.
 *
 *   cc embed_server.c $(pkg-config --cflags --libs stunring)
 *   ./embed_server 0.0.0.0:3478 60
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <stunring_server.h>

int main(int argc, char **argv)
{
	struct stunring_server_config cfg = { .listen = argc > 1 ? argv[1] : NULL,
					      .software = "embed_server" };
	struct stunring_server *srv;
	struct stunring_server_stats st;
	char err[256];

	if (stunring_server_start(&cfg, &srv, err, sizeof(err))) {
		fprintf(stderr, "embed_server: %s\n", err);
		return 1;
	}
	printf("serving on port %u\n", stunring_server_port(srv, 0));
	fflush(stdout);
	sleep(argc > 2 ? (unsigned)atoi(argv[2]) : 10);
	stunring_server_stats(srv, &st);
	stunring_server_stop(srv);
	printf("answered %llu of %llu requests\n", (unsigned long long)st.answered,
	       (unsigned long long)st.requests);
	return 0;
}
