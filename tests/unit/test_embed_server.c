/* SPDX-License-Identifier: MIT */
/*
 * test_embed_server.c - the embedded server (stunring_server.h) and the
 * client (stunring_probe.h) in one process, built under ASan+UBSan: three
 * servers at once on loopback, each answering with its own SOFTWARE, one
 * stopped while the others serve, counters, start errors, and a start and
 * stop cycle repeated (leaks and use-after-free show up here).  Prints TAP.
 */
#include "stunring_probe.h"
#include "stunring_server.h"

#include <stdio.h>
#include <string.h>

static int n_test, n_failed;

static void check(int ok, const char *name)
{
	n_test++;
	if (!ok)
		n_failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", n_test, name);
}

static int ask(const struct stunring_server *s, const char *software)
{
	struct stunring_probe_opts o = { .timeout_ms = 1000 };
	struct stunring_mapped m;
	char addr[32];
	const char *list[] = { addr };

	snprintf(addr, sizeof(addr), "127.0.0.1:%u", stunring_server_port(s, 0));
	return stunring_mapped_address(list, 1, &o, &m) == 0 &&
	       !strcmp(m.software, software) && !strcmp(m.mapped.ip, "127.0.0.1") &&
	       m.mapped.port == m.local.port;
}

int main(void)
{
	static const char *const names[3] = { "one", "two", "three" };
	static const char *const engines[3] = { "auto", "mmsg", "auto" };
	struct stunring_server *s[3] = { NULL };
	struct stunring_server_stats st;
	char err[256];
	int ok = 1;

	for (int i = 0; i < 3; i++) {
		struct stunring_server_config c = { .listen = "127.0.0.1:0",
			.software = names[i], .workers = (unsigned)i + 1,
			.engine = engines[i] };

		ok &= stunring_server_start(&c, &s[i], err, sizeof(err)) == 0;
	}
	check(ok, "three servers start in one process");
	ok = 1;
	for (int i = 0; i < 3; i++)
		ok &= ask(s[i], names[i]) && ask(s[i], names[i]);
	check(ok, "each answers with its own SOFTWARE");
	stunring_server_stop(s[1]);
	check(ask(s[0], "one") && ask(s[2], "three"), "the others answer after one stops");
	stunring_server_stats(s[2], &st);
	check(st.requests == 3 && st.answered == 3 && !st.failed,
	      "counters: 3 requests, 3 answered");
	stunring_server_stop(s[0]);
	stunring_server_stop(s[2]);

	ok = 1;
	for (int i = 0; i < 20 && ok; i++) {
		struct stunring_server_config c = { .listen = "127.0.0.1:0,[::1]:0",
			.workers = 2, .software = "cycle" };
		struct stunring_server *x;

		ok = stunring_server_start(&c, &x, err, sizeof(err)) == 0 && ask(x, "cycle");
		stunring_server_stop(x);
	}
	check(ok, "20 start / answer / stop cycles");

	{
		struct stunring_server_config c = { .listen = "192.0.2.1:3478" };
		struct stunring_server *x = (void *)1;

		check(stunring_server_start(&c, &x, err, sizeof(err)) == -1 && !x &&
		      strstr(err, "192.0.2.1"), "a foreign address: -1 and one line naming it");
	}
	{
		const char *const opts[] = { "rate-limit=fast", NULL };
		struct stunring_server_config c = { .listen = "127.0.0.1:0", .options = opts };
		struct stunring_server *x;

		check(stunring_server_start(&c, &x, err, sizeof(err)) == -1 &&
		      strstr(err, "rate-limit"), "a bad option value: -1 and the option's error");
	}
	for (int i = 0; i < 2; i++) {
		/* The stream listeners are stunringd's: refused, never half set up. */
		const char *const opts[] = { i ? "tls-listen=127.0.0.1:0" : "tcp-listen=127.0.0.1:0",
					     NULL };
		struct stunring_server_config c = { .listen = "127.0.0.1:0", .options = opts };
		struct stunring_server *x;

		err[0] = 0;
		check(stunring_server_start(&c, &x, err, sizeof(err)) == -1 &&
		      strstr(err, i ? "tls-listen" : "tcp-listen"),
		      i ? "tls-listen: refused with one line naming it"
			: "tcp-listen: refused with one line naming it");
	}
	printf("1..%d\n", n_test);
	return n_failed != 0;
}
