/* The compact JSON text of an answer, byte for byte what jansson's
 * json_dumps(j, JSON_COMPACT) gives, written without its per-call costs
 * (a table of the containers being written, kept against cycles, and a
 * callback per piece of text): about an eighth of the service's CPU for a
 * small answer such as GET /v1/me went there. Reals, text that is not
 * UTF-8, a tree deeper than JSON_OUT_DEPTH and anything that is not an
 * object or an array are handed to json_dumps itself, so the result is
 * always json_dumps's. */
#ifndef FV_JSON_OUT_H
#define FV_JSON_OUT_H

#include <jansson.h>

#define JSON_OUT_DEPTH 512

/* The text (malloc'd), or NULL where json_dumps(j, JSON_COMPACT) gives NULL. */
char *json_out_compact(const json_t *j);

#endif
