/* Content-Disposition (RFC 6266) for the files the API answers: a fax's
 * PDF, its page images, the CDRs as CSV. */
#ifndef FV_DISPOSITION_H
#define FV_DISPOSITION_H

#include <stddef.h>

/* Writes into out (outlen bytes, NUL-terminated) the header value
 * `TYPE; filename="ASCII"; filename*=UTF-8''ENCODED` for the file name
 * name (UTF-8): the quoted form keeps [A-Za-z0-9._-] and puts '_' for any
 * other character (one per UTF-8 character), so no quote, backslash,
 * separator or control character reaches it; the extended form
 * percent-encodes every byte outside RFC 8187's attr-char. type is
 * "attachment" or "inline". Returns 0, or -1 (out "") when name is empty
 * or the value does not fit. Pure. */
int disposition_format(const char *type, const char *name, char *out, size_t outlen);

#endif
