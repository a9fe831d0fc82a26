/* Fuzz target: what a user or a stored record hands the second factor —
 * base32 secrets, typed TOTP codes, typed recovery codes — with the
 * invariants each parser promises. The first byte picks the window and the
 * digit count; the rest is the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "totp.h"

static const char ALPHA[] = "abcdefghijkmnpqrstuvwxyz23456789";

static void check_base32(const char *s)
{
	uint8_t raw[256];
	int n = totp_base32_decode(s, raw, sizeof raw);
	if (n < -1 || n > (int)sizeof raw)
		abort();
	if (n < 0)
		return;
	/* A decodable input is canonical: it encodes back to itself without
	 * case, spaces and padding. */
	char enc[TOTP_BASE32_LEN(sizeof raw) + 1], norm[TOTP_BASE32_LEN(sizeof raw) + 1];
	size_t l = totp_base32_encode(raw, (size_t)n, enc, sizeof enc);
	size_t k = 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '=')
			continue;
		if (k + 1 >= sizeof norm)
			abort(); /* more characters than 256 bytes can need */
		norm[k++] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	norm[k] = '\0';
	if (l != k || strcmp(enc, norm) != 0)
		abort();
}

static void check_verify(const char *s, uint8_t sel)
{
	static const uint8_t key[] = "12345678901234567890";
	int window = sel % 4;
	int digits = 6 + (sel >> 2) % 3;
	uint64_t now = (sel & 0x80) ? (uint64_t)INT64_MAX - (sel & 3) + (uint64_t)((sel >> 6) & 1) * 4
		: (uint64_t)(sel & 7);
	int64_t step = totp_verify_digits(key, 20, s, now, window, digits);
	if (step < -1)
		abort();
	if (step >= 0) {
		/* A match lies in the window and the code is that step's. */
		uint64_t u = (uint64_t)step;
		uint64_t lo = now >= (uint64_t)window ? now - (uint64_t)window : 0;
		if (u < lo || u - lo > 2 * (uint64_t)window)
			abort();
		uint32_t c = totp_code(key, 20, u, digits), typed = 0;
		for (const char *p = s; *p; p++)
			if (*p != ' ')
				typed = typed * 10 + (uint32_t)(*p - '0');
		if (c != typed)
			abort();
	}
	if (totp_verify(key, 20, s, now, window) < -1)
		abort();
}

static void check_recovery(const char *s)
{
	char out[16];
	memset(out, 'X', sizeof out);
	if (totp_recovery_normalize(s, out, sizeof out) != 0) {
		if (out[0] != '\0')
			abort();
		return;
	}
	if (strlen(out) != TOTP_RECOVERY_CHARS)
		abort();
	for (int i = 0; i < TOTP_RECOVERY_CHARS; i++)
		if (!memchr(ALPHA, out[i], sizeof ALPHA - 1))
			abort();
	/* Normal forms are fixed points. */
	char again[16];
	if (totp_recovery_normalize(out, again, sizeof again) != 0 || strcmp(again, out) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 4096)
		return 0;
	uint8_t sel = data[0];
	char *s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	check_base32(s);
	check_verify(s, sel);
	check_recovery(s);
	free(s);
	return 0;
}
