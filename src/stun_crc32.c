/* SPDX-License-Identifier: MIT */
/*
 * stun_crc32.c - CRC-32 (ITU V.42 / zlib polynomial, reflected) for
 * FINGERPRINT (RFC 8489 section 14.7).
 *
 * Slicing-by-16 over tables built once at load time.  FINGERPRINT is on the
 * per-packet path of every client that uses it, and a STUN message is only
 * 20-100 bytes, so what matters is the length of the dependency chain: 16
 * independent table loads per step, then one 4-byte step for the tail
 * (STUN messages are multiples of 4 bytes), then bytes only for odd sizes.
 */
#include "stunring.h"

#include <string.h>

#define CRC32_POLY_REFLECTED 0xEDB88320u
#define SLICES 16

static uint32_t crc_table[SLICES][256];

__attribute__((constructor)) static void crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (CRC32_POLY_REFLECTED & (0u - (c & 1)));
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < SLICES; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
					  crc_table[0][crc_table[t - 1][i] & 0xff];
}

static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Table lookups for one 32-bit word that sits `pos` words before the end
 * of the current block. */
#define WORD(w, t) (crc_table[(t) + 3][(w) & 0xff] ^ crc_table[(t) + 2][((w) >> 8) & 0xff] ^ \
		    crc_table[(t) + 1][((w) >> 16) & 0xff] ^ crc_table[(t)][(w) >> 24])

uint32_t stun_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	while (n >= 16) {
		uint32_t w0 = load_le32(p) ^ c, w1 = load_le32(p + 4);
		uint32_t w2 = load_le32(p + 8), w3 = load_le32(p + 12);

		c = WORD(w0, 12) ^ WORD(w1, 8) ^ WORD(w2, 4) ^ WORD(w3, 0);
		p += 16;
		n -= 16;
	}
	while (n >= 4) {
		uint32_t w = load_le32(p) ^ c;

		c = WORD(w, 0);
		p += 4;
		n -= 4;
	}
	while (n--)
		c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
	return c ^ 0xFFFFFFFFu;
}
