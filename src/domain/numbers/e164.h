/* E.164 telephone numbers and the table of countries the service can
 * assign numbers in. Pure functions over untrusted input (fuzzed by
 * fuzz/domain/e164). */
#ifndef FV_DOMAIN_E164_H
#define FV_DOMAIN_E164_H

#include <stddef.h>

#define E164_MAX 16 /* "+" and at most 15 digits */

/* 1 when s is a valid E.164 number (+ and 8..15 digits, first digit not 0). */
int e164_valid(const char *s);

/* Copies the E.164 number in s[0..len) into out (E164_MAX + 1 bytes),
 * dropping the separators people write (spaces, '-', '.', '(', ')') and
 * surrounding blanks. 0, or -1 when what remains is not valid E.164. */
int e164_normalize(const char *s, size_t len, char out[E164_MAX + 1]);

typedef struct e164_country {
	const char *iso;  /* ISO 3166 alpha-2 */
	const char *cc;   /* country calling code, digits */
	const char *name; /* English name */
} e164_country_t;

/* The country of an ISO 3166 alpha-2 code (case-insensitive; "UK" is taken
 * for GB), or NULL when the table does not have it. */
const e164_country_t *e164_country_by_iso(const char *iso);
/* The country of a valid E.164 number: its calling code and, in the North
 * American plan (+1), its area code; NULL when the table has none. */
const e164_country_t *e164_country_of(const char *number);
/* 1 when the number belongs to country and, when area is non-empty, its
 * digits after the calling code start with area. */
int e164_in_area(const char *number, const e164_country_t *country, const char *area);

#endif
