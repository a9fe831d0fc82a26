/* Screening an INVITE from a carrier (see carrier.h). */
#include "carrier.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int all_digits(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int carrier_rule_valid(const char *match, const char *replace)
{
	if (!match || !replace || strlen(match) > CARRIER_RULE_MAX || strlen(replace) > CARRIER_RULE_MAX)
		return -1;
	if (!all_digits(match[0] == '+' ? match + 1 : match))
		return -1;
	if (replace[0] && (replace[0] != '+' || !all_digits(replace + 1)))
		return -1;
	return 0;
}

static int is_e164(const char *s)
{
	size_t n = strlen(s);
	return n >= 3 && n <= CARRIER_NUMBER_MAX && s[0] == '+' && s[1] != '0' && all_digits(s + 1);
}

int carrier_number_normalize(const char *raw, const carrier_rewrite_t *rules, size_t n, char *out,
	size_t cap)
{
	if (!out || cap < CARRIER_NUMBER_MAX + 1)
		return -1;
	out[0] = '\0';
	if (!raw)
		return -1;
	char clean[64];
	size_t k = 0;
	const char *p = raw;
	if (strncmp(p, "%2B", 3) == 0 || strncmp(p, "%2b", 3) == 0) {
		clean[k++] = '+';
		p += 3;
	}
	for (; *p && *p != ';'; p++) {
		if (*p == '-' || *p == '.' || *p == '(' || *p == ')' || *p == ' ')
			continue;
		if (k >= sizeof clean - 1)
			return -1;
		clean[k++] = *p;
	}
	clean[k] = '\0';
	const carrier_rewrite_t *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; rules && i < n; i++) {
		const char *m = rules[i].match ? rules[i].match : "";
		size_t ml = strlen(m);
		if (strncmp(clean, m, ml) == 0 && (!best || ml > best_len)) {
			best = &rules[i];
			best_len = ml;
		}
	}
	char res[96];
	if (best)
		snprintf(res, sizeof res, "%s%s", best->replace ? best->replace : "", clean + best_len);
	else
		snprintf(res, sizeof res, "%s", clean);
	if (!is_e164(res))
		return -1;
	memcpy(out, res, strlen(res) + 1);
	return 0;
}
