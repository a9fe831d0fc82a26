/* RFC 4648 base32 (the alphabet TOTP secrets are exchanged in); see totp.h. */
#include "totp.h"

#include <limits.h>

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t totp_base32_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	if (!out || outlen == 0)
		return 0;
	/* TOTP_BASE32_LEN(n) without overflow: n * 8 / 5 rounded up. */
	if (n > (SIZE_MAX - 4) / 8 || TOTP_BASE32_LEN(n) >= outlen || (n && !in)) {
		out[0] = '\0';
		return 0;
	}
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = B32[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = B32[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return o;
}

/* Value of a base32 letter (either case), -1 for skippable, -2 for invalid. */
static int b32_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '=')
		return -1;
	return -2;
}

int totp_base32_decode(const char *in, uint8_t *out, size_t outlen)
{
	if (!in)
		return -1;
	size_t o = 0, chars = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		int v = b32_value(*p);
		if (v == -1)
			continue;
		if (v < 0)
			return -1;
		chars++;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outlen || o >= INT_MAX)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* A final group of 1, 3 or 6 characters cannot come from any byte
	 * string; unused low bits must be zero, so each input has one decoding
	 * and encodes back to itself. */
	switch (chars % 8) {
	case 1: case 3: case 6:
		return -1;
	}
	if (acc != 0)
		return -1;
	return (int)o;
}
