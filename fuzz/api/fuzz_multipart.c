/* Fuzz target: multipart/form-data bodies (multipart.h). The first line of
 * the input is the Content-Type header value, the rest the body. Checks that
 * every part lies inside the body and that names are NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size < 512 ? size : 512);
	if (!nl)
		return 0;
	size_t hl = (size_t)(nl - data);
	char ct[513];
	memcpy(ct, data, hl);
	ct[hl] = '\0';
	char boundary[80];
	if (multipart_boundary(ct, boundary, sizeof boundary) != 0)
		return 0;
	const uint8_t *body = nl + 1;
	size_t blen = size - hl - 1;
	/* A copy of exactly the body's size, so reads past it are caught. */
	uint8_t *copy = malloc(blen ? blen : 1);
	if (!copy)
		return 0;
	memcpy(copy, body, blen);
	mp_form_t form;
	char err[160];
	if (multipart_parse(copy, blen, boundary, &form, err, sizeof err) == 0) {
		for (int i = 0; i < form.n; i++) {
			const mp_part_t *p = &form.parts[i];
			if (p->data < copy || p->data + p->len > copy + blen)
				abort();
			if (strlen(p->name) > MULTIPART_NAME_MAX || !p->name[0])
				abort();
			if (strlen(p->filename) > MULTIPART_FILENAME_MAX || strlen(p->ctype) > MULTIPART_CTYPE_MAX)
				abort();
		}
		(void)multipart_get(&form, "file");
		multipart_free(&form);
	} else if (form.n != 0 || form.parts != NULL) {
		abort();
	}
	free(copy);
	return 0;
}
