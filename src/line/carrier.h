/* Screening an INVITE from a carrier: source address lists (CIDR) and the
 * called number's normalization to E.164 by a trunk's rewrite rules. Pure
 * functions, no allocation; the inputs are peer or operator text.
 *
 * Normalization (carrier_number_normalize): the raw user part loses what
 * follows ';' (tel URI parameters) and the visual separators - . ( ) and
 * space; a leading "%2B" is read as "+". The rule whose `match` is the
 * longest prefix of what is left replaces that prefix with its `replace`
 * (e.g. "0" -> "+33", "00" -> "+", "" -> "+1" for bare national numbers).
 * The result must be E.164: "+" then 2 to 15 digits, the first not 0. */
#ifndef FV_LINE_CARRIER_H
#define FV_LINE_CARRIER_H

#include <stddef.h>
#include <stdint.h>

#define CARRIER_NUMBER_MAX 16  /* "+" and 15 digits */
#define CARRIER_RULE_MAX 16    /* longest match / replace text */

typedef struct carrier_rewrite {
	const char *match;    /* "" or digits, optionally "+"-led */
	const char *replace;  /* "+" and digits, or "" */
} carrier_rewrite_t;

/* 0 when a rule may be stored: match is at most CARRIER_RULE_MAX
 * characters of digits (a leading "+" allowed), replace is "" or "+"
 * then at most CARRIER_RULE_MAX - 1 digits. */
int carrier_rule_valid(const char *match, const char *replace);

/* Normalizes raw into out (cap bytes, at least CARRIER_NUMBER_MAX + 1)
 * by rules[0..n). 0, or -1 (out "") when the result is not E.164. */
int carrier_number_normalize(const char *raw, const carrier_rewrite_t *rules, size_t n, char *out,
	size_t cap);

#endif
