/* SPDX-License-Identifier: MIT */
/*
 * fuzz_check.h - CHECK(cond, fmt, ...): a harness's invariant.  When it
 * fails, libFuzzer must see a crash (abort) so that it saves the input;
 * the message says which invariant and the values involved.
 */
#ifndef STUNRING_FUZZ_CHECK_H
#define STUNRING_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c, ...)                                                         \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "invariant failed: %s (%s:%d): ", #c, \
				__FILE__, __LINE__);                          \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			abort();                                              \
		}                                                             \
	} while (0)

#endif
