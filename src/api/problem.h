/* RFC 9457 problem details: one stable `type` per kind of error, with its
 * HTTP status and its title in English and French. */
#ifndef FV_PROBLEM_H
#define FV_PROBLEM_H

#include <jansson.h>

#define PROBLEM_TYPE_PREFIX "urn:faxvault:problem:"

struct problem_kind {
	const char *kind;  /* e.g. "not-found"; type is PROBLEM_TYPE_PREFIX kind */
	int status;
	const char *title_en;
	const char *title_fr;
};

/* The entry for kind; unknown kinds map to "internal". */
const struct problem_kind *problem_lookup(const char *kind);
/* Every kind, terminated by an entry with kind NULL (for docs and tests). */
const struct problem_kind *problem_table(void);
/* {type, title, status[, detail], request_id[, field]} (new reference), in
 * lang ("fr": French, else English). detail is English text from the
 * catalogue (src/common/i18n_fr.c), replaced by its French for lang "fr",
 * or text already in lang (left as it is); it is left out when NULL, empty
 * or the title itself. */
json_t *problem_json(const char *kind, const char *detail, const char *field,
	const char *request_id, const char *lang);

#endif
