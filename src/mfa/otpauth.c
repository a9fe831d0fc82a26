/* otpauth:// key URIs that authenticator apps import; see totp.h. */
#include "totp.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int put_encoded(buf_t *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		int unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
		if (unreserved ? buf_append(b, p, 1) : buf_append(b, esc, sizeof esc))
			return -1;
	}
	return 0;
}

char *totp_otpauth_uri(const char *issuer, const char *account, const char *secret_b32)
{
	if (!account || !secret_b32)
		return NULL;
	int has_issuer = issuer && issuer[0];
	buf_t b;
	buf_init(&b, TOTP_URI_MAX);
	int rc = buf_puts(&b, "otpauth://totp/");
	if (has_issuer)
		rc |= put_encoded(&b, issuer) | buf_puts(&b, ":");
	rc |= put_encoded(&b, account) | buf_puts(&b, "?secret=") | put_encoded(&b, secret_b32);
	if (has_issuer)
		rc |= buf_puts(&b, "&issuer=") | put_encoded(&b, issuer);
	rc |= buf_printf(&b, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS, TOTP_PERIOD);
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}
