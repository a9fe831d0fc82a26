/* Unit tests of src/mfa: RFC 4226/6238 vectors, base32 (RFC 4648), verify
 * windows and malformed codes, otpauth URIs, recovery codes, QR PNGs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <png.h>
#include <qrencode.h>

#include "qr.h"
#include "sec.h"
#include "totp.h"

static const uint8_t RFC_KEY[] = "12345678901234567890";
#define RFC_KEYLEN 20

static void test_rfc6238_sha1(void **state)
{
	(void)state;
	static const struct {
		uint64_t t;
		uint32_t code;
	} v[] = {
		{ 59, 94287082 },
		{ 1111111109, 7081804 },
		{ 1111111111, 14050471 },
		{ 1234567890, 89005924 },
		{ 2000000000, 69279037 },
		{ 20000000000ULL, 65353130 },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_int_equal(totp_code(RFC_KEY, RFC_KEYLEN, v[i].t / TOTP_PERIOD, 8), v[i].code);
		/* The same code, typed with its leading zero, verifies at that step. */
		char typed[16];
		snprintf(typed, sizeof typed, "%08u", (unsigned)v[i].code);
		assert_int_equal(totp_verify_digits(RFC_KEY, RFC_KEYLEN, typed, v[i].t / TOTP_PERIOD,
			0, 8), (int64_t)(v[i].t / TOTP_PERIOD));
	}
}

static void test_rfc4226_hotp(void **state)
{
	(void)state;
	static const uint32_t hotp[] = { 755224, 287082, 359152, 969429, 338314, 254676, 287922,
		162583, 399871, 520489 };
	for (uint64_t c = 0; c < 10; c++)
		assert_int_equal(totp_code(RFC_KEY, RFC_KEYLEN, c, 6), hotp[c]);
	/* Unsupported digit counts fall back to 6. */
	assert_int_equal(totp_code(RFC_KEY, RFC_KEYLEN, 0, 5), 755224);
	assert_int_equal(totp_code(RFC_KEY, RFC_KEYLEN, 0, 9), 755224);
	/* An empty key is still a key (HMAC pads it), never a crash. */
	assert_true(totp_code(NULL, 0, 1, 6) < 1000000);
}

static void test_base32_rfc4648(void **state)
{
	(void)state;
	static const struct {
		const char *raw, *b32;
	} v[] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
		{ "12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = strlen(v[i].raw);
		char enc[64];
		assert_int_equal(totp_base32_encode((const uint8_t *)v[i].raw, n, enc, sizeof enc),
			strlen(v[i].b32));
		assert_string_equal(enc, v[i].b32);
		assert_int_equal(TOTP_BASE32_LEN(n), strlen(v[i].b32));
		uint8_t dec[64];
		assert_int_equal(totp_base32_decode(v[i].b32, dec, sizeof dec), (int)n);
		assert_memory_equal(dec, v[i].raw, n);
	}
	/* Padding, lower case and spaces are accepted. */
	uint8_t dec[16];
	assert_int_equal(totp_base32_decode("MZXW6YTBOI======", dec, sizeof dec), 6);
	assert_memory_equal(dec, "foobar", 6);
	assert_int_equal(totp_base32_decode("mzxw 6ytb oi", dec, sizeof dec), 6);
	assert_memory_equal(dec, "foobar", 6);
	assert_int_equal(totp_base32_decode("MY======", dec, sizeof dec), 1);
	assert_int_equal(dec[0], 'f');
}

static void test_base32_invalid(void **state)
{
	(void)state;
	uint8_t dec[16];
	assert_int_equal(totp_base32_decode(NULL, dec, sizeof dec), -1);
	assert_int_equal(totp_base32_decode("MZXW1", dec, sizeof dec), -1);  /* '1' */
	assert_int_equal(totp_base32_decode("MZXW8", dec, sizeof dec), -1);  /* '8' */
	assert_int_equal(totp_base32_decode("MZ-XW", dec, sizeof dec), -1);
	assert_int_equal(totp_base32_decode("M", dec, sizeof dec), -1);      /* 1 char */
	assert_int_equal(totp_base32_decode("MZX", dec, sizeof dec), -1);    /* 3 chars */
	assert_int_equal(totp_base32_decode("MZXW6Y", dec, sizeof dec), -1); /* 6 chars */
	assert_int_equal(totp_base32_decode("MZ", dec, sizeof dec), -1);     /* bits left */
	assert_int_equal(totp_base32_decode("MZ\xc3\xa9", dec, sizeof dec), -1);
	/* Too small an output is refused, not truncated. */
	assert_int_equal(totp_base32_decode("MZXW6YTBOI", dec, 5), -1);
	assert_int_equal(totp_base32_decode("MZXW6YTBOI", dec, 6), 6);
	/* Encoding into too small a buffer yields "". */
	char enc[8];
	assert_int_equal(totp_base32_encode((const uint8_t *)"foobar", 6, enc, 10), 0);
	assert_int_equal(totp_base32_encode((const uint8_t *)"fooba", 5, enc, 8), 0);
	assert_string_equal(enc, "");
	assert_int_equal(totp_base32_encode((const uint8_t *)"foob", 4, enc, 8), 7);
}

static void test_base32_roundtrip(void **state)
{
	(void)state;
	for (size_t n = 0; n <= 64; n++) {
		uint8_t raw[64], dec[64];
		char enc[TOTP_BASE32_LEN(64) + 1];
		sec_random(raw, n);
		size_t l = totp_base32_encode(raw, n, enc, sizeof enc);
		assert_int_equal(l, TOTP_BASE32_LEN(n));
		assert_int_equal(strlen(enc), l);
		assert_int_equal(totp_base32_decode(enc, dec, sizeof dec), (int)n);
		assert_memory_equal(dec, raw, n);
	}
}

static void code_str(uint32_t c, char out[16])
{
	snprintf(out, 16, "%06u", (unsigned)c);
}

static void test_verify_window(void **state)
{
	(void)state;
	uint8_t key[TOTP_SECRET_LEN];
	sec_random(key, sizeof key);
	const uint64_t now = 1700000000 / TOTP_PERIOD;
	char c[16];
	for (int d = -3; d <= 3; d++) {
		uint64_t step = now + (uint64_t)(int64_t)d;
		uint32_t want = totp_code(key, sizeof key, step, 6);
		code_str(want, c);
		int64_t got = totp_verify(key, sizeof key, c, now, 1);
		/* ±1 accepted at its own step, anything further refused; a match
		 * elsewhere may only be a collision of 6-digit codes (10^-6). */
		if (d >= -1 && d <= 1)
			assert_true(got == (int64_t)step || (got >= 0 && got < (int64_t)step));
		if (got >= 0 && got != (int64_t)step)
			assert_int_equal(totp_code(key, sizeof key, (uint64_t)got, 6), want);
	}
	/* Deterministic with the RFC key: the step-1 code at 59 s. */
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287082", 1, 1), 1);
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287082", 2, 1), 1);
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287082", 0, 1), 1);
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287082", 3, 1), -1);
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287082", 3, 2), 1);
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287082", 2, 0), -1);
	/* Step 0 with a window: no negative steps tried. */
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "755224", 0, 1), 0);
	/* Windows out of range. */
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287082", 1, -1), -1);
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287082", 1, TOTP_WINDOW_MAX + 1), -1);
	/* Near the top of the range nothing wraps. */
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287082", UINT64_MAX, TOTP_WINDOW_MAX),
		-1);
	code_str(totp_code(RFC_KEY, RFC_KEYLEN, (uint64_t)INT64_MAX, 6), c);
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, c, (uint64_t)INT64_MAX, 1), INT64_MAX);
}

static void test_verify_spaces_and_malformed(void **state)
{
	(void)state;
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287 082", 1, 1), 1);
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, " 2 8 7 0 8 2 ", 1, 1), 1);
	assert_int_equal(totp_verify_digits(RFC_KEY, RFC_KEYLEN, "9428 7082", 1, 0, 8), 1);
	static const char *bad[] = {
		"", "      ", "28708", "2870822", "287-082", "28708a", "+287082", "287082\n",
		"２８７０８２", "287\t082", "-287082",
		/* Leading spaces past the input limit. */
		"                                                                  287082",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, bad[i], 1, 1), -1);
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, NULL, 1, 1), -1);
	/* 8 digits are not accepted where 6 are expected, nor 6 for 8. */
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "94287082", 1, 1), -1);
	assert_int_equal(totp_verify_digits(RFC_KEY, RFC_KEYLEN, "287082", 1, 1, 8), -1);
	assert_int_equal(totp_verify_digits(RFC_KEY, RFC_KEYLEN, "287082", 1, 1, 5), -1);
	/* A wrong code. */
	assert_int_equal(totp_verify(RFC_KEY, RFC_KEYLEN, "287083", 1, 1), -1);
}

static void test_otpauth_uri(void **state)
{
	(void)state;
	char *u = totp_otpauth_uri("ACME Fax & Co", "alice+fax@example.com",
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_non_null(u);
	assert_string_equal(u,
		"otpauth://totp/ACME%20Fax%20%26%20Co:alice%2Bfax%40example.com"
		"?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Fax%20%26%20Co"
		"&algorithm=SHA1&digits=6&period=30");
	free(u);
	/* A colon in either part cannot split the label; UTF-8 is byte-encoded. */
	u = totp_otpauth_uri("faxvault", "a:b é", "MZXW6");
	assert_string_equal(u,
		"otpauth://totp/faxvault:a%3Ab%20%C3%A9?secret=MZXW6&issuer=faxvault"
		"&algorithm=SHA1&digits=6&period=30");
	free(u);
	u = totp_otpauth_uri(NULL, "bob@example.org", "MZXW6");
	assert_string_equal(u,
		"otpauth://totp/bob%40example.org?secret=MZXW6&algorithm=SHA1&digits=6&period=30");
	free(u);
	u = totp_otpauth_uri("", "bob", "MZXW6");
	assert_string_equal(u, "otpauth://totp/bob?secret=MZXW6&algorithm=SHA1&digits=6&period=30");
	free(u);
	assert_null(totp_otpauth_uri("x", NULL, "MZXW6"));
	assert_null(totp_otpauth_uri("x", "y", NULL));
	char *big = malloc(TOTP_URI_MAX);
	memset(big, '@', TOTP_URI_MAX - 1);
	big[TOTP_URI_MAX - 1] = '\0';
	assert_null(totp_otpauth_uri("x", big, "MZXW6"));
	free(big);
}

static int in_alphabet(char c)
{
	return c && strchr("abcdefghijkmnpqrstuvwxyz23456789", c) != NULL;
}

static void test_recovery_codes(void **state)
{
	(void)state;
	char codes[10][16];
	memset(codes, 'X', sizeof codes);
	totp_recovery_codes(codes, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(strlen(codes[i]), TOTP_RECOVERY_LEN);
		for (int k = 0; k < TOTP_RECOVERY_LEN; k++) {
			if (k == 4 || k == 9)
				assert_int_equal(codes[i][k], '-');
			else
				assert_true(in_alphabet(codes[i][k]));
		}
		char n[16];
		assert_int_equal(totp_recovery_normalize(codes[i], n, sizeof n), 0);
		assert_int_equal(strlen(n), TOTP_RECOVERY_CHARS);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(codes[i], codes[j]);
	}
	totp_recovery_codes(codes, 0);
	totp_recovery_codes(codes, -1);
}

static void test_recovery_normalize(void **state)
{
	(void)state;
	char out[13];
	assert_int_equal(totp_recovery_normalize("abcd-efgh-jkmn", out, sizeof out), 0);
	assert_string_equal(out, "abcdefghjkmn");
	assert_int_equal(totp_recovery_normalize(" ABCD EFGH-JKMN ", out, sizeof out), 0);
	assert_string_equal(out, "abcdefghjkmn");
	assert_int_equal(totp_recovery_normalize("a-b-c-d-2-3-4-5-6-7-8-9", out, sizeof out), 0);
	assert_string_equal(out, "abcd23456789");
	static const char *bad[] = {
		"", "abcd-efgh-jkm", "abcd-efgh-jkmnp", "abcd-efgh-jkm0", "abcd-efgh-jkm1",
		"abcd-efgh-jkml", "abcd-efgh-jkmo", "abcd_efgh_jkmn", "abcd-efgh-jkm\xc3\xa9",
		"abcd\tefgh-jkmn",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(totp_recovery_normalize(bad[i], out, sizeof out), -1);
		assert_string_equal(out, "");
	}
	assert_int_equal(totp_recovery_normalize(NULL, out, sizeof out), -1);
	assert_int_equal(totp_recovery_normalize("abcd-efgh-jkmn", out, 12), -1);
	assert_int_equal(totp_recovery_normalize("abcd-efgh-jkmn", NULL, 13), -1);
}

/* Reads a PNG from memory (libpng), as an independent check of our writer. */
struct rd {
	const uint8_t *p;
	size_t len, off;
};

static void rd_fn(png_structp png, png_bytep out, png_size_t n)
{
	struct rd *r = png_get_io_ptr(png);
	if (n > r->len - r->off)
		png_error(png, "short");
	memcpy(out, r->p + r->off, n);
	r->off += n;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_qr(const char *text, int scale)
{
	uint8_t *png = NULL;
	size_t len = 0;
	assert_int_equal(qr_png(text, scale, &png, &len), 0);
	assert_non_null(png);
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	assert_true(len > 33);
	assert_memory_equal(png, sig, 8);
	assert_memory_equal(png + 12, "IHDR", 4);
	int modules = qr_modules(text);
	assert_true(modules >= 21 && modules <= 177 && (modules - 17) % 4 == 0);
	uint32_t side = (uint32_t)(modules + 8) * (uint32_t)scale;
	assert_int_equal(be32(png + 16), side);
	assert_int_equal(be32(png + 20), side);

	/* Decode it and compare every pixel with libqrencode's own matrix. */
	QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	assert_non_null(q);
	assert_int_equal(q->width, modules);
	png_structp rp = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop ri = png_create_info_struct(rp);
	struct rd r = { png, len, 0 };
	png_set_read_fn(rp, &r, rd_fn);
	png_read_info(rp, ri);
	assert_int_equal(png_get_bit_depth(rp, ri), 1);
	assert_int_equal(png_get_color_type(rp, ri), PNG_COLOR_TYPE_GRAY);
	png_set_packing(rp); /* one byte per pixel */
	png_read_update_info(rp, ri);
	uint8_t *row = malloc(side);
	for (uint32_t y = 0; y < side; y++) {
		png_read_row(rp, row, NULL);
		for (uint32_t x = 0; x < side; x++) {
			int mx = (int)(x / (uint32_t)scale) - 4, my = (int)(y / (uint32_t)scale) - 4;
			int dark = mx >= 0 && my >= 0 && mx < modules && my < modules &&
				(q->data[my * modules + mx] & 1);
			assert_int_equal(row[x] != 0, !dark);
		}
	}
	png_read_end(rp, NULL);
	png_destroy_read_struct(&rp, &ri, NULL);
	free(row);
	QRcode_free(q);
	free(png);
}

static void test_qr_png(void **state)
{
	(void)state;
	char *u = totp_otpauth_uri("faxvault", "alice@example.com",
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	check_qr(u, 4);
	check_qr(u, 1);
	check_qr("x", 3);
	free(u);
	/* Refusals leave *png NULL. */
	uint8_t *png = (uint8_t *)"sentinel";
	size_t len = 99;
	assert_int_equal(qr_png("x", 0, &png, &len), -1);
	assert_null(png);
	assert_int_equal(len, 0);
	assert_int_equal(qr_png("x", QR_SCALE_MAX + 1, &png, &len), -1);
	assert_int_equal(qr_png("", 4, &png, &len), -1);
	assert_int_equal(qr_png(NULL, 4, &png, &len), -1);
	assert_int_equal(qr_modules(""), -1);
	char *big = malloc(QR_TEXT_MAX + 2);
	memset(big, 'a', QR_TEXT_MAX + 1);
	big[QR_TEXT_MAX + 1] = '\0';
	assert_int_equal(qr_png(big, 4, &png, &len), -1);
	/* The largest text accepted still fits a version-40 symbol. */
	big[QR_TEXT_MAX] = '\0';
	assert_int_equal(qr_png(big, 1, &png, &len), 0);
	assert_int_equal(be32(png + 16), (uint32_t)(qr_modules(big) + 8));
	free(png);
	free(big);
}

int main(void)
{
	if (sec_init() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_sha1),
		cmocka_unit_test(test_rfc4226_hotp),
		cmocka_unit_test(test_base32_rfc4648),
		cmocka_unit_test(test_base32_invalid),
		cmocka_unit_test(test_base32_roundtrip),
		cmocka_unit_test(test_verify_window),
		cmocka_unit_test(test_verify_spaces_and_malformed),
		cmocka_unit_test(test_otpauth_uri),
		cmocka_unit_test(test_recovery_codes),
		cmocka_unit_test(test_recovery_normalize),
		cmocka_unit_test(test_qr_png),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
