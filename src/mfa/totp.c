/* HOTP/TOTP codes and their constant-time verification; see totp.h. */
#include "totp.h"

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "sec.h"

static const uint32_t POW10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
	100000000 };

uint32_t totp_code(const uint8_t *key, size_t keylen, uint64_t step, int digits)
{
	if (digits < 6 || digits > 8)
		digits = 6;
	static const uint8_t empty[1];
	uint8_t khash[EVP_MAX_MD_SIZE];
	if (!key || keylen == 0) {
		key = empty;
		keylen = 0;
	} else if (keylen > INT_MAX) {
		/* HMAC hashes any key longer than its block; doing it here first
		 * gives the same MAC and fits OpenSSL's int length. */
		unsigned int hl = 0;
		if (!EVP_Digest(key, keylen, khash, &hl, EVP_sha1(), NULL))
			return TOTP_CODE_ERROR;
		key = khash;
		keylen = hl;
	}
	uint8_t msg[8];
	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(step & 0xff);
		step >>= 8;
	}
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof msg, md, &mdlen) || mdlen != 20)
		return TOTP_CODE_ERROR;
	/* RFC 4226 5.3 dynamic truncation. */
	unsigned off = md[19] & 0x0f;
	uint32_t bin = ((uint32_t)(md[off] & 0x7f) << 24) | ((uint32_t)md[off + 1] << 16) |
		((uint32_t)md[off + 2] << 8) | md[off + 3];
	return bin % POW10[digits];
}

/* The number typed: exactly `digits` digits, spaces anywhere. -1 if not. */
static int64_t parse_code(const char *code, int digits)
{
	if (!code)
		return -1;
	uint32_t v = 0;
	int n = 0;
	size_t i = 0;
	for (; code[i]; i++) {
		if (i >= TOTP_CODE_INPUT_MAX)
			return -1;
		char c = code[i];
		if (c == ' ')
			continue;
		if (c < '0' || c > '9' || n == digits)
			return -1;
		v = v * 10 + (uint32_t)(c - '0');
		n++;
	}
	return n == digits ? (int64_t)v : -1;
}

int64_t totp_verify_digits(const uint8_t *key, size_t keylen, const char *code,
	uint64_t now_step, int window, int digits)
{
	if (digits < 6 || digits > 8 || window < 0 || window > TOTP_WINDOW_MAX)
		return -1;
	int64_t typed = parse_code(code, digits);
	if (typed < 0)
		return -1;
	uint8_t want[4] = { (uint8_t)(typed >> 24), (uint8_t)(typed >> 16), (uint8_t)(typed >> 8),
		(uint8_t)typed };
	int64_t found = -1;
	for (int d = -window; d <= window; d++) {
		/* Steps before 0 or past INT64_MAX do not exist for us. */
		uint64_t step, dist = (uint64_t)(d < 0 ? -d : d);
		if (d < 0 ? now_step < dist : now_step > UINT64_MAX - dist)
			continue;
		step = d < 0 ? now_step - dist : now_step + dist;
		if (step > (uint64_t)INT64_MAX)
			continue;
		uint32_t c = totp_code(key, keylen, step, digits);
		uint8_t got[4] = { (uint8_t)(c >> 24), (uint8_t)(c >> 16), (uint8_t)(c >> 8),
			(uint8_t)c };
		int eq = sec_equal(got, want, sizeof got) & (c != TOTP_CODE_ERROR);
		if (eq && found < 0)
			found = (int64_t)step;
	}
	return found;
}

int64_t totp_verify(const uint8_t *key, size_t keylen, const char *code, uint64_t now_step,
	int window)
{
	return totp_verify_digits(key, keylen, code, now_step, window, TOTP_DIGITS);
}
