/* SCIM 2.0 filters, attribute paths and PATCH operations (RFC 7644
 * §3.4.2.2 and §3.5.2), as pure functions on JSON resources: no I/O, no
 * globals (fuzzed by fuzz/domain/fuzz_scim_filter.c).
 *
 * Filters: `attrPath op value`, `attrPath pr`, `and`, `or`, `not (…)`,
 * parentheses, value paths `emails[type eq "work"]`, and the form Entra ID
 * sends, `emails[type eq "work"].value eq "…"`. Operators and keywords are
 * case-insensitive, and so are attribute names and string comparisons (no
 * attribute faxvault serves is caseExact). An attribute path may carry its
 * schema URN (`urn:ietf:params:scim:schemas:core:2.0:User:userName`); the
 * core schemas' URNs are dropped, an extension's names the object of the
 * resource holding the attribute. */
#ifndef FV_SCIM_FILTER_H
#define FV_SCIM_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "i18n.h"

#define SCIM_FILTER_MAX 1024   /* bytes of a filter or path */
#define SCIM_FILTER_NODES 64   /* comparisons and operators in one filter */
#define SCIM_FILTER_DEPTH 12   /* nesting of parentheses, not and brackets */
#define SCIM_NAME_MAX 64       /* an attribute's or sub-attribute's name */
#define SCIM_URN_MAX 96        /* a schema URN */
#define SCIM_PATCH_OPS_MAX 64  /* operations in one PATCH request */

typedef struct scim_filter scim_filter_t;

/* An attribute path: [urn:] name [. sub]. urn is "" for a core schema. */
typedef struct scim_attr {
	char urn[SCIM_URN_MAX + 1];
	char name[SCIM_NAME_MAX + 1];
	char sub[SCIM_NAME_MAX + 1];
} scim_attr_t;

/* A PATCH path: attr, and for a value path the filter on the elements of
 * the multi-valued attribute (owned, NULL when none); attr.sub is then the
 * sub-attribute after the brackets ("" for none). */
typedef struct scim_path {
	scim_attr_t attr;
	scim_filter_t *filter;
} scim_path_t;

/* Parses len bytes of s. 0 with *out (owned: scim_filter_free); -1 with the
 * reason in err (English and French, for the SCIM error's detail). */
int scim_filter_parse(const char *s, size_t len, scim_filter_t **out, i18n_msg_t *err);
/* Whether resource (a JSON object) matches f. */
bool scim_filter_match(const scim_filter_t *f, const json_t *resource);
/* When f is `name eq "string"` alone (any case), points *name and *value at
 * its parts (borrowed from f) and answers true. */
bool scim_filter_simple_eq(const scim_filter_t *f, const char **name, const char **value);
void scim_filter_free(scim_filter_t *f);

/* Parses a PATCH path. 0 with *p filled (scim_path_free releases it); -1
 * with err. */
int scim_path_parse(const char *s, size_t len, scim_path_t *p, i18n_msg_t *err);
void scim_path_free(scim_path_t *p);

/* Applies the Operations array of a PATCH request (RFC 7644 §3.5.2) to
 * resource, in place: op add, replace or remove (any case), with or
 * without path; without a path the value is an object whose keys are
 * attribute paths. 0; -1 with err and *scim_type ("invalidSyntax",
 * "invalidPath", "noTarget", "invalidValue"), resource then partly
 * changed (the caller drops it). Attributes a resource may not change
 * (id, meta, schemas) are the caller's to restore. */
int scim_patch_apply(json_t *resource, const json_t *operations, i18n_msg_t *err,
	const char **scim_type);

/* The member of obj whose name equals key in any case (borrowed), or NULL. */
json_t *scim_get_ci(const json_t *obj, const char *key);

#endif
