/* Second factor by time-based one-time passwords (RFC 6238 over RFC 4226,
 * HMAC-SHA1, 30-second steps), the base32 secrets and otpauth:// URIs that
 * authenticator apps read, and single-use recovery codes.
 *
 * Every function is pure over its arguments (no I/O, no globals) except
 * totp_recovery_codes(), which draws from sec_random(). Nothing here keeps
 * state: replay protection is the caller's (store the step totp_verify()
 * returned and refuse any step not above it). */
#ifndef FV_TOTP_H
#define FV_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_PERIOD 30          /* seconds per step */
#define TOTP_DIGITS 6           /* what faxvault enrols */
#define TOTP_SECRET_LEN 20      /* bytes of a new secret (RFC 4226 4: 160 bits) */
#define TOTP_WINDOW_MAX 10      /* largest window totp_verify() accepts */
#define TOTP_CODE_INPUT_MAX 64  /* longest typed code (spaces included) */
#define TOTP_URI_MAX 4096       /* longest otpauth URI built */
/* totp_code()'s answer when HMAC-SHA1 is unavailable: never a valid code. */
#define TOTP_CODE_ERROR UINT32_MAX

#define TOTP_RECOVERY_CHARS 12  /* significant characters of a recovery code */
#define TOTP_RECOVERY_LEN 14    /* formatted "xxxx-xxxx-xxxx", NUL excluded */

/* Base32 length (no padding, NUL excluded) of n bytes. */
#define TOTP_BASE32_LEN(n) (((n) * 8 + 4) / 5)

/* RFC 4648 base32 without padding, upper case, into out (outlen bytes, which
 * must hold TOTP_BASE32_LEN(n) + 1). Returns the length written, NUL
 * excluded; when out is too small it writes "" (if outlen > 0) and returns 0. */
size_t totp_base32_encode(const uint8_t *in, size_t n, char *out, size_t outlen);

/* Decodes base32: case-insensitive; spaces, tabs, CR, LF and '=' are ignored
 * wherever they are. Returns the bytes written to out, or -1 when in is NULL,
 * holds another character, ends with a partial group no encoder produces
 * (1, 3 or 6 characters) or with non-zero unused bits, or when the result
 * would not fit in outlen bytes. */
int totp_base32_decode(const char *in, uint8_t *out, size_t outlen);

/* RFC 4226 HOTP / RFC 6238 TOTP with HMAC-SHA1: the code for counter `step`
 * (for TOTP, unix_seconds / TOTP_PERIOD), `digits` digits. digits must be 6,
 * 7 or 8; any other value is taken as 6. Returns the code as a number (print
 * it with leading zeros, "%0*u"), or TOTP_CODE_ERROR if HMAC failed. */
uint32_t totp_code(const uint8_t *key, size_t keylen, uint64_t step, int digits);

/* Checks a typed TOTP_DIGITS-digit code (digits, with any spaces) against the
 * steps now_step-window .. now_step+window (window 0..TOTP_WINDOW_MAX). Each
 * candidate is compared in constant time and every candidate is computed.
 * Returns the earliest matching step (>= 0), or -1 when nothing matches, the
 * code is malformed (other characters, wrong number of digits, longer than
 * TOTP_CODE_INPUT_MAX) or the window is out of range. */
int64_t totp_verify(const uint8_t *key, size_t keylen, const char *code, uint64_t now_step,
	int window);
/* The same for codes of `digits` digits (6, 7 or 8; else -1). */
int64_t totp_verify_digits(const uint8_t *key, size_t keylen, const char *code,
	uint64_t now_step, int window, int digits);

/* "otpauth://totp/ISSUER:ACCOUNT?secret=S&issuer=ISSUER&algorithm=SHA1&digits=6&period=30"
 * (Google Authenticator key URI format). Issuer and account are
 * percent-encoded: every byte but RFC 3986 unreserved ones (A-Z a-z 0-9 - . _ ~)
 * becomes %XX, so ':' '@' '&' and spaces (%20) cannot be misread. A NULL or
 * empty issuer leaves out both the label prefix and the parameter. Returns a
 * new string owned by the caller (free()), or NULL when account or secret_b32
 * is NULL or the URI would pass TOTP_URI_MAX bytes. */
char *totp_otpauth_uri(const char *issuer, const char *account, const char *secret_b32);

/* Fills codes[0..n-1] with random recovery codes "xxxx-xxxx-xxxx" over the
 * 32-letter alphabet "abcdefghijkmnpqrstuvwxyz23456789" (no l, o, 0, 1):
 * 60 bits each. Store only a hash of totp_recovery_normalize()'s form. n <= 0
 * does nothing. */
void totp_recovery_codes(char (*codes)[16], int n);

/* Normalizes a typed recovery code: lower-cases it and drops spaces and
 * dashes; what remains must be TOTP_RECOVERY_CHARS characters of the
 * alphabet above. Writes them, NUL-terminated, to out (outlen >= 13).
 * Returns 0, or -1 when malformed, longer than TOTP_CODE_INPUT_MAX, or out is
 * too small (out then holds "" if outlen > 0). */
int totp_recovery_normalize(const char *in, char *out, size_t outlen);

#endif
