/* SPDX-License-Identifier: MIT */
/*
 * test_cli.c - libstunring_cli: the spellings every program accepts
 * (src/README.md, "Command-line conventions") and the ones all of them refuse,
 * the lists, the CPU helpers and the one error line.
 */
#include "test_util.h"

#include "cli/cli.h"

#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

static const char *why;

/* One good value: the parser says 0 and gives want. */
#define GOOD(call, var, want)                                      \
	do {                                                       \
		why = NULL;                                        \
		assert_int_equal((call), 0);                       \
		assert_true((var) == (want));                      \
	} while (0)
/* One refused value: the parser says -1 and why it refused. */
#define BAD(call, reason)                                          \
	do {                                                       \
		why = NULL;                                        \
		assert_int_equal((call), -1);                      \
		assert_non_null(why);                              \
		assert_non_null(strstr(why, (reason)));            \
	} while (0)

static void plain_numbers(void **state)
{
	uint64_t v;

	(void)state;
	GOOD(cli_parse_uint("0", 0, 10, &v, &why), v, 0);
	GOOD(cli_parse_uint("42", 0, 100, &v, &why), v, 42);
	GOOD(cli_parse_uint("007", 0, 100, &v, &why), v, 7);
	GOOD(cli_parse_uint("18446744073709551615", 0, UINT64_MAX, &v, &why), v, UINT64_MAX);
	/* What strtoul took and one program or another let through. */
	BAD(cli_parse_uint("", 0, 10, &v, &why), "empty");
	BAD(cli_parse_uint("-5", 0, 10, &v, &why), "negative");
	BAD(cli_parse_uint("+5", 0, 10, &v, &why), "not a number");
	BAD(cli_parse_uint(" 5", 0, 10, &v, &why), "not a number");
	BAD(cli_parse_uint("5 ", 0, 10, &v, &why), "digits only");
	BAD(cli_parse_uint("12abc", 0, 100, &v, &why), "digits only");
	BAD(cli_parse_uint("0x10", 0, 100, &v, &why), "digits only");
	BAD(cli_parse_uint("1.5", 0, 10, &v, &why), "digits only");
	BAD(cli_parse_uint("1k", 0, 10000, &v, &why), "digits only");
	BAD(cli_parse_uint("18446744073709551616", 0, UINT64_MAX, &v, &why), "too large");
	BAD(cli_parse_uint("99999999999999999999999", 0, UINT64_MAX, &v, &why), "too large");
	BAD(cli_parse_uint("11", 0, 10, &v, &why), "too large");
	BAD(cli_parse_uint("0", 1, 10, &v, &why), "too small");
}

static void counts(void **state)
{
	uint64_t v;

	(void)state;
	GOOD(cli_parse_count("1000", 1, UINT64_MAX, &v, &why), v, 1000);
	GOOD(cli_parse_count("1k", 1, UINT64_MAX, &v, &why), v, 1000);
	GOOD(cli_parse_count("200K", 1, UINT64_MAX, &v, &why), v, 200000);
	GOOD(cli_parse_count("1.5k", 1, UINT64_MAX, &v, &why), v, 1500);
	GOOD(cli_parse_count("1M", 1, UINT64_MAX, &v, &why), v, 1000000);
	GOOD(cli_parse_count("2G", 1, UINT64_MAX, &v, &why), v, 2000000000);
	GOOD(cli_parse_count("3.0", 1, UINT64_MAX, &v, &why), v, 3);
	BAD(cli_parse_count("1.5", 1, 100, &v, &why), "not a whole number");
	BAD(cli_parse_count("1.2345k", 1, UINT64_MAX, &v, &why), "not a whole number");
	BAD(cli_parse_count("1m", 1, UINT64_MAX, &v, &why), "unknown multiplier");
	BAD(cli_parse_count("1KiB", 1, UINT64_MAX, &v, &why), "unknown multiplier");
	BAD(cli_parse_count("1.", 1, 100, &v, &why), "not a number");
	BAD(cli_parse_count(".5k", 1, 10000, &v, &why), "not a number");
	BAD(cli_parse_count("0", 1, 100, &v, &why), "too small");
	BAD(cli_parse_count("20G", 1, UINT64_MAX / 1000000000 , &v, &why), "too large");
	BAD(cli_parse_count("99999999999G", 1, UINT64_MAX, &v, &why), "too large");
}

static void sizes(void **state)
{
	uint64_t v;

	(void)state;
	GOOD(cli_parse_size("4096", 0, UINT64_MAX, &v, &why), v, 4096);
	GOOD(cli_parse_size("4M", 0, UINT64_MAX, &v, &why), v, 4u << 20);
	GOOD(cli_parse_size("4m", 0, UINT64_MAX, &v, &why), v, 4u << 20);
	GOOD(cli_parse_size("4MiB", 0, UINT64_MAX, &v, &why), v, 4u << 20);
	GOOD(cli_parse_size("512k", 0, UINT64_MAX, &v, &why), v, 512u << 10);
	GOOD(cli_parse_size("64KiB", 0, UINT64_MAX, &v, &why), v, 64u << 10);
	GOOD(cli_parse_size("1G", 0, 1u << 30, &v, &why), v, 1u << 30);
	GOOD(cli_parse_size("1.5K", 0, UINT64_MAX, &v, &why), v, 1536);
	BAD(cli_parse_size("4MB", 0, UINT64_MAX, &v, &why), "unknown unit");
	BAD(cli_parse_size("4 M", 0, UINT64_MAX, &v, &why), "unknown unit");
	BAD(cli_parse_size("1.0001K", 0, UINT64_MAX, &v, &why), "not a whole number");
	BAD(cli_parse_size("2G", 0, 1u << 30, &v, &why), "too large");
	BAD(cli_parse_size("1K", 4096, UINT64_MAX, &v, &why), "too small");
	BAD(cli_parse_size("16777216T", 0, UINT64_MAX, &v, &why), "unknown unit");
	BAD(cli_parse_size("17179869184G", 0, UINT64_MAX, &v, &why), "too large");
}

static void durations(void **state)
{
	uint64_t v;

	(void)state;
	GOOD(cli_parse_duration("10", CLI_S, 0, UINT64_MAX, &v, &why), v, 10 * CLI_S);
	GOOD(cli_parse_duration("10s", CLI_S, 0, UINT64_MAX, &v, &why), v, 10 * CLI_S);
	GOOD(cli_parse_duration("500ms", CLI_S, 0, UINT64_MAX, &v, &why), v, 500 * CLI_MS);
	GOOD(cli_parse_duration("1.5s", CLI_S, 0, UINT64_MAX, &v, &why), v, 1500 * CLI_MS);
	GOOD(cli_parse_duration("0.1", CLI_S, 0, UINT64_MAX, &v, &why), v, 100 * CLI_MS);
	GOOD(cli_parse_duration("2m", CLI_S, 0, UINT64_MAX, &v, &why), v, 120 * CLI_S);
	GOOD(cli_parse_duration("1h", CLI_S, 0, UINT64_MAX, &v, &why), v, 3600 * CLI_S);
	/* A bare number is in the option's unit: --rto 500 is milliseconds. */
	GOOD(cli_parse_duration("500", CLI_MS, 0, UINT64_MAX, &v, &why), v, 500 * CLI_MS);
	GOOD(cli_parse_duration("0.5s", CLI_MS, 0, UINT64_MAX, &v, &why), v, 500 * CLI_MS);
	GOOD(cli_parse_duration("0", CLI_S, 0, UINT64_MAX, &v, &why), v, 0);
	BAD(cli_parse_duration("5x", CLI_S, 0, UINT64_MAX, &v, &why), "unknown unit");
	BAD(cli_parse_duration("5sec", CLI_S, 0, UINT64_MAX, &v, &why), "unknown unit");
	BAD(cli_parse_duration("s", CLI_S, 0, UINT64_MAX, &v, &why), "not a number");
	BAD(cli_parse_duration("-1", CLI_S, 0, UINT64_MAX, &v, &why), "negative");
	BAD(cli_parse_duration("0.0000000001s", CLI_S, 0, UINT64_MAX, &v, &why),
	    "not a whole number");
	BAD(cli_parse_duration("0.05", CLI_S, 100 * CLI_MS, 3600 * CLI_S, &v, &why), "too small");
	BAD(cli_parse_duration("2h", CLI_S, 100 * CLI_MS, 3600 * CLI_S, &v, &why), "too large");
	BAD(cli_parse_duration("9999999999h", CLI_S, 0, UINT64_MAX, &v, &why), "too large");
}

static void ports(void **state)
{
	uint16_t p[4];
	unsigned int n = 0;

	(void)state;
	GOOD(cli_parse_port("3478", &p[0], &why), p[0], 3478);
	GOOD(cli_parse_port("65535", &p[0], &why), p[0], 65535);
	BAD(cli_parse_port("0", &p[0], &why), "too small");
	BAD(cli_parse_port("65536", &p[0], &why), "too large");
	BAD(cli_parse_port("-1", &p[0], &why), "negative");
	/* Comma lists and repeated options add up. */
	GOOD(cli_parse_ports("3478,3479", p, &n, 4, &why), n, 2);
	GOOD(cli_parse_ports("5349", p, &n, 4, &why), n, 3);
	assert_int_equal(p[0], 3478);
	assert_int_equal(p[1], 3479);
	assert_int_equal(p[2], 5349);
	BAD(cli_parse_ports("1,2", p, &n, 4, &why), "too many ports");
	n = 0;
	BAD(cli_parse_ports("3478,,3479", p, &n, 4, &why), "empty list item");
	n = 0;
	BAD(cli_parse_ports("3478,", p, &n, 4, &why), "empty list item");
	n = 0;
	BAD(cli_parse_ports("", p, &n, 4, &why), "empty list item");
	n = 0;
	BAD(cli_parse_ports("3478,x", p, &n, 4, &why), "not a number");
}

static void items_and_addresses(void **state)
{
	struct stun_addr a[3];
	struct cli_items it;
	char longest[CLI_ITEM_MAX + 2];
	unsigned int n = 0;

	(void)state;
	cli_items_init(&it, "one,two");
	assert_int_equal(cli_items_next(&it, &why), 1);
	assert_string_equal(it.item, "one");
	assert_int_equal(cli_items_next(&it, &why), 1);
	assert_string_equal(it.item, "two");
	assert_int_equal(cli_items_next(&it, &why), 0);
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = 0;
	cli_items_init(&it, longest);
	BAD(cli_items_next(&it, &why), "too long");

	GOOD(cli_parse_addrs("127.0.0.1,[::1]:5000", 3478, a, &n, 3, &why), n, 2);
	assert_int_equal(a[0].port, 3478);
	assert_int_equal(a[1].family, STUN_FAMILY_IPV6);
	assert_int_equal(a[1].port, 5000);
	GOOD(cli_parse_addrs("10.0.0.1:1", 3478, a, &n, 3, &why), n, 3);
	BAD(cli_parse_addrs("10.0.0.2", 3478, a, &n, 3, &why), "too many addresses");
	n = 0;
	BAD(cli_parse_addrs("127.0.0.1,stun.example.org", 3478, a, &n, 3, &why),
	    "not an IP address");
}

static void cpu_lists(void **state)
{
	int cpus[8];
	unsigned int n = 99;

	(void)state;
	GOOD(cli_parse_cpus("0-3,6", cpus, &n, 8, &why), n, 5);
	assert_int_equal(cpus[3], 3);
	assert_int_equal(cpus[4], 6);
	GOOD(cli_parse_cpus("5", cpus, &n, 8, &why), n, 1);
	assert_int_equal(cpus[0], 5);
	BAD(cli_parse_cpus("3-1", cpus, &n, 8, &why), "range ends before");
	BAD(cli_parse_cpus("x", cpus, &n, 8, &why), "not a number");
	BAD(cli_parse_cpus("-1", cpus, &n, 8, &why), "empty");
	BAD(cli_parse_cpus("0-", cpus, &n, 8, &why), "empty");
	BAD(cli_parse_cpus("0-9", cpus, &n, 8, &why), "too many CPUs");
	BAD(cli_parse_cpus("99999", cpus, &n, 8, &why), "too large");
	BAD(cli_parse_cpus("1,,2", cpus, &n, 8, &why), "empty list item");
}

static void usable_cpus_and_pinning(void **state)
{
	static int cpus[CPU_SETSIZE];
	cpu_set_t set;
	unsigned int n;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	n = cli_usable_cpus(cpus, CPU_SETSIZE);
	assert_int_equal(n, (unsigned int)CPU_COUNT(&set));
	for (unsigned int i = 0; i < n; i++)
		assert_true(CPU_ISSET(cpus[i], &set));
	/* The cap is honoured. */
	assert_int_equal(cli_usable_cpus(cpus, 1), 1);

	assert_int_equal(cli_pin_thread(-1), 0);
	assert_int_equal(cli_pin_thread(cpus[0]), 0);
	assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(set), &set), 0);
	assert_int_equal(CPU_COUNT(&set), 1);
	assert_true(CPU_ISSET(cpus[0], &set));
	assert_int_not_equal(cli_pin_thread(CPU_SETSIZE - 1), 0);
}

/* What fn wrote on stderr, and its return value. */
static int capture_stderr(int (*fn)(void), char *buf, size_t cap)
{
	FILE *tmp = tmpfile();
	int saved = dup(2), rc;
	size_t len;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	rc = fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	len = fread(buf, 1, cap - 1, tmp);
	buf[len] = 0;
	fclose(tmp);
	return rc;
}

static int say_usage(void)
{
	return cli_usage_error("--frob '%s': no such thing", "x");
}

static int say_bad_value(void)
{
	return cli_bad_value("--workers", "0", "too small", "%d to %d", 1, 256);
}

static int say_error(void)
{
	return cli_error(1, "stats: %s", "not attached");
}

/* getopt_long over { "stunfoo", getopt_arg }, and its one error line. */
static char *getopt_arg;

static int say_getopt_error(void)
{
	char *argv[] = { "stunfoo", getopt_arg, NULL };
	static const struct option opts[] = { { "rate", required_argument, NULL, 'r' },
					      { NULL, 0, NULL, 0 } };

	optind = 0;
	opterr = 0;
	return cli_getopt_error(getopt_long(2, argv, ":r:", opts, NULL), argv);
}

static void error_lines(void **state)
{
	char out[256];

	(void)state;
	cli_init("stunfoo", 42);
	assert_int_equal(capture_stderr(say_usage, out, sizeof(out)), 42);
	assert_string_equal(out, "stunfoo: --frob 'x': no such thing (see stunfoo --help)\n");
	assert_int_equal(capture_stderr(say_bad_value, out, sizeof(out)), 42);
	assert_string_equal(out, "stunfoo: --workers '0': too small; expected 1 to 256 "
			    "(see stunfoo --help)\n");
	assert_int_equal(capture_stderr(say_error, out, sizeof(out)), 1);
	assert_string_equal(out, "stunfoo: stats: not attached\n");
	getopt_arg = "--frob";
	assert_int_equal(capture_stderr(say_getopt_error, out, sizeof(out)), 42);
	assert_string_equal(out, "stunfoo: unknown option '--frob' (see stunfoo --help)\n");
	getopt_arg = "--rate";
	assert_int_equal(capture_stderr(say_getopt_error, out, sizeof(out)), 42);
	assert_string_equal(out, "stunfoo: option '--rate' needs a value (see stunfoo --help)\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_numbers),
		cmocka_unit_test(counts),
		cmocka_unit_test(sizes),
		cmocka_unit_test(durations),
		cmocka_unit_test(ports),
		cmocka_unit_test(items_and_addresses),
		cmocka_unit_test(cpu_lists),
		cmocka_unit_test(usable_cpus_and_pinning),
		cmocka_unit_test(error_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
