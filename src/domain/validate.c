/* Input validation (see validate.h). */
#include "validate.h"

#include <string.h>

bool valid_utf8(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			min = 0x80;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			min = 0x800;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			min = 0x10000;
			c &= 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

bool valid_name(const char *s, size_t n)
{
	if (!s || n == 0 || n > NAME_MAX_BYTES || !valid_utf8(s, n))
		return false;
	size_t blank = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		blank += c == ' ';
	}
	return blank < n;
}

static bool domain_ok(const char *d, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	size_t label = 0, dots = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
			dots++;
			continue;
		}
		if (c == '-' && label == 0)
			return false;
		if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && dots >= 1 && d[n - 1] != '-';
}

bool valid_email(const char *s, size_t n)
{
	if (!s || n < 3 || n > EMAIL_MAX || !valid_utf8(s, n))
		return false;
	const char *at = memchr(s, '@', n);
	if (!at || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return false;
	size_t local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return false;
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || strchr("\"(),:;<>[\\]", c))
			return false;
		if (c == '.' && i + 1 < local && s[i + 1] == '.')
			return false;
	}
	return domain_ok(at + 1, n - local - 1);
}

const char *password_problem(const char *pw)
{
	size_t n = pw ? strlen(pw) : 0;
	if (n < PASSWORD_MIN)
		return "password must be at least 12 characters";
	if (n > PASSWORD_MAX)
		return "password must be at most 256 characters";
	if (!valid_utf8(pw, n))
		return "password must be valid UTF-8";
	return NULL;
}
