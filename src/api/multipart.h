/* multipart/form-data (RFC 7578) parsing of a whole request body held in
 * memory. Untrusted input: pure, bounded, fuzzed (fuzz/api/multipart).
 *
 * Ownership: the parts point into the body (borrowed); only the array of
 * parts is owned by the caller (multipart_free). */
#ifndef FV_API_MULTIPART_H
#define FV_API_MULTIPART_H

#include <stddef.h>

#define MULTIPART_PARTS_MAX 128
#define MULTIPART_NAME_MAX 64
#define MULTIPART_FILENAME_MAX 255
#define MULTIPART_CTYPE_MAX 127

typedef struct mp_part {
	char name[MULTIPART_NAME_MAX + 1];         /* form field name */
	char filename[MULTIPART_FILENAME_MAX + 1]; /* "" for a plain field */
	char ctype[MULTIPART_CTYPE_MAX + 1];       /* "" when not given */
	const unsigned char *data;                 /* into the body */
	size_t len;
} mp_part_t;

typedef struct mp_form {
	mp_part_t *parts; /* owned */
	int n;
} mp_form_t;

/* Boundary from a Content-Type header value ("multipart/form-data;
 * boundary=..."), copied into out (at most 70 characters, RFC 2046). 0, or
 * -1 when the header is not multipart/form-data or has no valid boundary. */
int multipart_boundary(const char *content_type, char *out, size_t outlen);

/* Parses body with boundary into form. 0, or -1 with a reason for people in
 * err (the form is then empty). */
int multipart_parse(const unsigned char *body, size_t len, const char *boundary, mp_form_t *form,
	char *err, size_t errlen);

void multipart_free(mp_form_t *form);

/* The first part named name, or NULL. */
const mp_part_t *multipart_get(const mp_form_t *form, const char *name);

#endif
