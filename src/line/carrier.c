/* Screening an INVITE from a carrier (see carrier.h). */
#include "carrier.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int parse_bits(const char *s, int max)
{
	int v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > max)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v > max ? -1 : v;
}

/* Address text to family and 16 bytes (IPv4 in the first 4; mapped IPv6
 * taken as IPv4). */
static int addr_parse(const char *s, int *family, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = 4;
		return 0;
	}
	uint8_t a6[16];
	if (inet_pton(AF_INET6, s, a6) != 1)
		return -1;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a6, mapped, sizeof mapped) == 0) {
		memcpy(out, a6 + 12, 4);
		*family = 4;
		return 0;
	}
	memcpy(out, a6, 16);
	*family = 6;
	return 0;
}

static int prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

int carrier_cidr_parse(const char *s, carrier_cidr_t *out)
{
	char host[64];
	if (!s || !out)
		return -1;
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	if (hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(out, 0, sizeof *out);
	/* A mapped IPv6 network is written as IPv4: only plain forms here. */
	if (inet_pton(AF_INET, host, out->addr) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = 6;
	else
		return -1;
	int max = out->family == 4 ? 32 : 128;
	out->bits = slash ? parse_bits(slash + 1, max) : max;
	if (out->bits < 0)
		return -1;
	/* Host bits set: refuse rather than guess what was meant. */
	uint8_t masked[16];
	memcpy(masked, out->addr, sizeof masked);
	for (int i = out->bits; i < max; i++)
		masked[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	if (memcmp(masked, out->addr, 16) != 0)
		return -1;
	return 0;
}

int carrier_cidr_contains(const carrier_cidr_t *c, const char *ip)
{
	int fam;
	uint8_t a[16];
	if (!c || !ip || addr_parse(ip, &fam, a) != 0 || fam != c->family)
		return 0;
	return prefix_eq(a, c->addr, c->bits);
}

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
