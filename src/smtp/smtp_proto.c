/* SMTP command parsing (see smtp_proto.h). */
#include "smtp_proto.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "numparse.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", SMTP_HELO }, { "EHLO", SMTP_EHLO }, { "MAIL", SMTP_MAIL }, { "RCPT", SMTP_RCPT },
	{ "DATA", SMTP_DATA }, { "RSET", SMTP_RSET }, { "NOOP", SMTP_NOOP }, { "QUIT", SMTP_QUIT },
	{ "VRFY", SMTP_VRFY }, { "HELP", SMTP_HELP }, { "LHLO", SMTP_LHLO },
};

int smtp_cmd_parse(const char *line, size_t len, smtp_cmd_t *c)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return -1;
	}
	size_t v = 0;
	while (v < len && line[v] != ' ')
		v++;
	c->verb = SMTP_UNKNOWN;
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (v == 4 && strncasecmp(line, verbs[i].name, 4) == 0)
			c->verb = verbs[i].verb;
	size_t a = v;
	while (a < len && line[a] == ' ')
		a++;
	size_t end = len;
	while (end > a && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	c->arg = line + a;
	c->arglen = end - a;
	return 0;
}

/* A mailbox character we keep: printable ASCII but the specials that have
 * no business in the plain addresses we take (no quoted local parts, no
 * source routes). */
static int addr_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && !strchr("<>()[]\\,;:\"", ch);
}

int smtp_path_parse(const char *arg, size_t len, const char *prefix, char addr[SMTP_ADDR_MAX + 1],
	uint64_t *size)
{
	size_t pl = strlen(prefix);
	*size = 0;
	addr[0] = '\0';
	if (len < pl || strncasecmp(arg, prefix, pl) != 0)
		return -1;
	size_t i = pl;
	while (i < len && arg[i] == ' ')
		i++; /* some clients put a blank after the colon */
	if (i >= len || arg[i] != '<')
		return -1;
	i++;
	while (i < len && arg[i] == ' ')
		i++; /* "< addr >", as some clients write it and Postfix takes it */
	size_t start = i;
	while (i < len && arg[i] != '>' && arg[i] != ' ') {
		if (!addr_char((unsigned char)arg[i]))
			return -1;
		i++;
	}
	size_t n = i - start;
	while (i < len && arg[i] == ' ')
		i++;
	if (i >= len || arg[i] != '>')
		return -1;
	if (n > SMTP_ADDR_MAX)
		return -1;
	if (n > 0) {
		const char *at = memchr(arg + start, '@', n);
		if (!at || at == arg + start || at == arg + start + n - 1 ||
		    memchr(at + 1, '@', (size_t)(arg + start + n - at - 1)))
			return -1;
	}
	for (size_t k = 0; k < n; k++) {
		char ch = arg[start + k];
		addr[k] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
	}
	addr[n] = '\0';
	i++; /* '>' */
	/* Parameters: blank-separated keyword[=value]. */
	while (i < len) {
		if (arg[i] != ' ')
			return -1;
		while (i < len && arg[i] == ' ')
			i++;
		size_t ks = i;
		while (i < len && arg[i] != ' ')
			i++;
		const char *kw = arg + ks;
		size_t kl = i - ks;
		if (kl == 0)
			break;
		const char *eq = memchr(kw, '=', kl);
		size_t namel = eq ? (size_t)(eq - kw) : kl;
		bool from = strcasecmp(prefix, "FROM:") == 0;
		if (from && namel == 4 && strncasecmp(kw, "SIZE", 4) == 0 && eq) {
			char num[24];
			size_t vl = kl - namel - 1;
			if (vl == 0 || vl >= sizeof num)
				return -1;
			memcpy(num, eq + 1, vl);
			num[vl] = '\0';
			int64_t v;
			if (parse_i64z(num, 0, INT64_MAX, &v) != 0)
				return -1;
			*size = (uint64_t)v;
		} else if (from && namel == 4 && strncasecmp(kw, "BODY", 4) == 0 && eq) {
			/* 7BIT or 8BITMIME: the message is read as bytes either way. */
			size_t vl = kl - namel - 1;
			if (!((vl == 4 && strncasecmp(eq + 1, "7BIT", 4) == 0) ||
			      (vl == 8 && strncasecmp(eq + 1, "8BITMIME", 8) == 0)))
				return -2;
		} else {
			return -2;
		}
	}
	return 0;
}

int smtp_rcpt_number(const char *addr, const char *domain, char number[SMTP_NUMBER_MAX + 1])
{
	const char *at = strrchr(addr, '@');
	number[0] = '\0';
	if (!at || strcasecmp(at + 1, domain) != 0)
		return -1;
	size_t n = (size_t)(at - addr);
	if (n == 3 && strncasecmp(addr, "fax", 3) == 0)
		return 1;
	if (n < 9 || n > SMTP_NUMBER_MAX || addr[0] != '+' || addr[1] == '0')
		return -2;
	for (size_t i = 1; i < n; i++)
		if (addr[i] < '0' || addr[i] > '9')
			return -2;
	memcpy(number, addr, n);
	number[n] = '\0';
	return 0;
}

int smtp_rcpt_bounce(const char *addr, const char *domain, char id[SMTP_BOUNCE_ID_MAX + 1])
{
	const char *at = strrchr(addr, '@');
	id[0] = '\0';
	if (!at || strcasecmp(at + 1, domain) != 0 || strncasecmp(addr, "bounce+", 7) != 0)
		return -1;
	size_t n = (size_t)(at - addr) - 7;
	if (n < 1 || n > SMTP_BOUNCE_ID_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = addr[7 + i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return -1;
	}
	memcpy(id, addr + 7, n);
	id[n] = '\0';
	return 0;
}

int smtp_subject_numbers(const char *subject, char out[][SMTP_NUMBER_MAX + 1], int max)
{
	int found = 0;
	const char *p = subject ? subject : "";
	while (*p && found < max) {
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == ';')
			p++;
		const char *w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ',' && *p != ';')
			p++;
		size_t n = (size_t)(p - w);
		bool ok = n >= 9 && n <= SMTP_NUMBER_MAX && w[0] == '+' && w[1] != '0';
		for (size_t i = 1; ok && i < n; i++)
			ok = w[i] >= '0' && w[i] <= '9';
		for (int i = 0; ok && i < found; i++)
			ok = !(strlen(out[i]) == n && memcmp(out[i], w, n) == 0);
		if (ok) {
			memcpy(out[found], w, n);
			out[found++][n] = '\0';
		}
	}
	return found;
}
