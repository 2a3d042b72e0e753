/* SPDX-License-Identifier: MIT */
/* fuzz_addr.c - libFuzzer harness over stun_addr_parse / stun_addr_format:
 * whatever parses must format back to text that parses to the same value. */
#include "stunring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[128], text[STUN_ADDR_STRLEN];
	struct stun_addr a, b;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (stun_addr_parse(&a, s, 3478))
		return 0;
	stun_addr_format(&a, text, sizeof(text));
	if (stun_addr_parse(&b, text, 0) || !stun_addr_equal(&a, &b)) {
		fprintf(stderr, "round trip failed: '%s' -> '%s'\n", s, text);
		abort();
	}
	return 0;
}
