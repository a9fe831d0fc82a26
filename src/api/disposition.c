/* Content-Disposition header values (see disposition.h). */
#include "disposition.h"

#include <stdio.h>
#include <string.h>

static int plain_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '.' || c == '_' || c == '-';
}

/* RFC 8187 attr-char: ALPHA / DIGIT / "!" "#" "$" "&" "+" "-" "." "^" "_"
 * "`" "|" "~". */
static int attr_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		(c && strchr("!#$&+-.^_`|~", c));
}

int disposition_format(const char *type, const char *name, char *out, size_t outlen)
{
	if (!outlen)
		return -1;
	out[0] = '\0';
	if (!type || !name || !*name)
		return -1;
	int n = snprintf(out, outlen, "%s; filename=\"", type);
	if (n < 0 || (size_t)n >= outlen)
		goto full;
	size_t k = (size_t)n;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p & 0xc0) == 0x80)
			continue; /* the rest of a UTF-8 character already written as '_' */
		if (k + 1 >= outlen)
			goto full;
		out[k++] = plain_char(*p) ? (char)*p : '_';
	}
	static const char mid[] = "\"; filename*=UTF-8''";
	if (k + sizeof mid > outlen)
		goto full;
	memcpy(out + k, mid, sizeof mid);
	k += sizeof mid - 1;
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (attr_char(*p)) {
			if (k + 1 >= outlen)
				goto full;
			out[k++] = (char)*p;
		} else {
			if (k + 3 >= outlen)
				goto full;
			out[k++] = '%';
			out[k++] = hex[*p >> 4];
			out[k++] = hex[*p & 15];
		}
	}
	out[k] = '\0';
	return 0;
full:
	out[0] = '\0';
	return -1;
}
