/* Redaction of credentials in request targets (see redact.h). */
#include "redact.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Longest segment or value examined; a longer one is redacted whole. */
#define PART_MAX 256
/* A part this long, of token characters, in two or more character classes
 * and with this many distinct characters, reads as a credential. */
#define ENTROPIC_LEN 20
#define ENTROPIC_DISTINCT 10

/* Every prefix of a secret that faxvault issues: session tokens, API keys,
 * invitation and password-reset tokens (sec_new_token), SCIM tokens, webhook
 * secrets. */
static const char *const secret_prefixes[] = { "fvs_", "fvk_", "fvi_", "fvr_", "fvc_", "whsec_",
	NULL };

/* Query keys (lower case, without '-' and '_') whose value is a credential
 * whatever it looks like: exactly these, or containing one of the next. */
static const char *const secret_keys[] = { "key", "code", "pwd", "pass", "otp", "totp", "sig", "jwt",
	"bearer", "state", "nonce", NULL };
static const char *const secret_key_parts[] = { "token", "secret", "passw", "apikey", "signature",
	"credential", "session", "auth", "recovery", NULL };

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..len) into out (PART_MAX + 1). Length, or -1 when
 * longer than PART_MAX. */
static int decode(const char *s, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (o == PART_MAX)
			return -1;
		int h, l;
		if (s[i] == '%' && i + 2 < len && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(h * 16 + l);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* The known secret prefix that s starts with, or NULL. Its first
 * character is compared before the rest: holds_prefix asks at every
 * place of every part of every request's target, and the calls to
 * strlen and strncasecmp for each prefix there were about 3 % of the
 * service's CPU per request. */
static const char *known_prefix(const char *s, size_t len)
{
	if (len == 0)
		return NULL;
	int c0 = tolower((unsigned char)s[0]);
	for (int i = 0; secret_prefixes[i]; i++) {
		if (secret_prefixes[i][0] != c0)
			continue;
		size_t pl = strlen(secret_prefixes[i]);
		if (len >= pl && strncasecmp(s, secret_prefixes[i], pl) == 0)
			return secret_prefixes[i];
	}
	return NULL;
}

/* Whether a known secret prefix occurs anywhere in s[0..len). */
static bool holds_prefix(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (known_prefix(s + i, len - i))
			return true;
	return false;
}

static bool in_alpha32(int c)
{
	c = tolower(c);
	return (c >= 'a' && c <= 'z' && c != 'l' && c != 'o') || (c >= '2' && c <= '9');
}

/* "xxxx-xxxx-xxxx" over the recovery-code alphabet (totp_recovery_codes). */
static bool recovery_shape(const char *s, size_t len)
{
	if (len != 14 || s[4] != '-' || s[9] != '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (i != 4 && i != 9 && !in_alpha32((unsigned char)s[i]))
			return false;
	return true;
}

/* "abc_" + 20 characters of sec_new_id()'s alphabet: a record id, not a
 * secret (ids are not credentials and the log needs them). */
static bool id_shape(const char *s, size_t len)
{
	if (len != 24 || s[3] != '_')
		return false;
	for (size_t i = 0; i < 3; i++)
		if (!islower((unsigned char)s[i]))
			return false;
	for (size_t i = 4; i < len; i++)
		if (!in_alpha32((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

static bool entropic(const char *s, size_t len)
{
	if (len < ENTROPIC_LEN)
		return false;
	bool upper = false, lower = false, digit = false, seen[128] = { false };
	int distinct = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && (c == 0 || !strchr("-_.~+/=", c)))
			return false;
		upper |= isupper(c) != 0;
		lower |= islower(c) != 0;
		digit |= isdigit(c) != 0;
		if (!seen[c]) {
			seen[c] = true;
			distinct++;
		}
	}
	return (int)upper + (int)lower + (int)digit >= 2 && distinct >= ENTROPIC_DISTINCT;
}

bool redact_is_secret(const char *s, size_t len)
{
	char d[PART_MAX + 1];
	int n = decode(s, len, d);
	if (n < 0)
		return true;
	size_t dl = (size_t)n;
	/* The raw form too: "%4fvr_…" decodes to something else. */
	if (holds_prefix(s, len) || holds_prefix(d, dl) || recovery_shape(d, dl))
		return true;
	return !id_shape(d, dl) && entropic(d, dl);
}

static bool secret_key(const char *k, size_t len)
{
	char d[PART_MAX + 1], norm[PART_MAX + 1];
	int n = decode(k, len, d);
	if (n < 0)
		return true;
	size_t o = 0;
	for (int i = 0; i < n; i++)
		if (d[i] != '-' && d[i] != '_')
			norm[o++] = (char)tolower((unsigned char)d[i]);
	norm[o] = '\0';
	for (int i = 0; secret_keys[i]; i++)
		if (strcmp(norm, secret_keys[i]) == 0)
			return true;
	for (int i = 0; secret_key_parts[i]; i++)
		if (strstr(norm, secret_key_parts[i]))
			return true;
	return false;
}

struct out {
	char *p;
	size_t n, len;
};

static void put(struct out *o, const char *s, size_t len)
{
	if (o->n == 0)
		return;
	size_t room = o->n - 1 - o->len;
	if (len > room)
		len = room;
	memcpy(o->p + o->len, s, len);
	o->len += len;
	o->p[o->len] = '\0';
}

/* Copies one part, or its redacted form (the kind's prefix, when known, and
 * the mark); counts redactions in *count. */
static void part(struct out *o, const char *s, size_t len, bool force, int *count)
{
	if (!force && !redact_is_secret(s, len)) {
		put(o, s, len);
		return;
	}
	char d[PART_MAX + 1];
	int n = decode(s, len, d);
	const char *pre = n >= 0 ? known_prefix(d, (size_t)n) : NULL;
	if (pre)
		put(o, pre, strlen(pre));
	put(o, REDACT_MARK, strlen(REDACT_MARK));
	(*count)++;
}

/* Whether the pattern segment at pat (up to '/' or the end) is a parameter
 * that carries a credential, such as "{token}". */
static bool secret_param(const char *pat, size_t len)
{
	if (len < 2 || pat[0] != '{')
		return false;
	const char *end = memchr(pat, '}', len);
	return end && secret_key(pat + 1, (size_t)(end - pat - 1));
}

int redact_target(const char *target, const char *pattern, char *out, size_t outlen)
{
	struct out o = { out, outlen, 0 };
	if (outlen)
		out[0] = '\0';
	if (!target)
		return 0;
	int count = 0;
	size_t pathlen = strcspn(target, "?");
	/* The path, segment by segment. */
	for (size_t i = 0; i < pathlen;) {
		if (target[i] == '/') {
			put(&o, "/", 1);
			i++;
			if (pattern && *pattern == '/')
				pattern++;
			continue;
		}
		size_t seg = strcspn(target + i, "/?");
		bool force = false, literal = false;
		if (pattern) {
			/* The pattern segment at the same place as this one; the
			 * route's own words ("ServiceProviderConfig") are no secret. */
			size_t plen = strcspn(pattern, "/");
			force = secret_param(pattern, plen);
			literal = plen == seg && pattern[0] != '{' && strncmp(pattern, target + i, seg) == 0;
			pattern += plen;
		}
		if (literal)
			put(&o, target + i, seg);
		else
			part(&o, target + i, seg, force, &count);
		i += seg;
	}
	if (target[pathlen] != '?')
		return count;
	put(&o, "?", 1);
	/* The query, argument by argument: KEY[=VALUE], separated by & or ;. */
	const char *q = target + pathlen + 1;
	while (*q) {
		size_t arg = strcspn(q, "&;");
		size_t klen = strcspn(q, "=&;");
		bool hidden_key = redact_is_secret(q, klen);
		part(&o, q, klen, hidden_key, &count);
		if (klen < arg) {
			put(&o, "=", 1);
			const char *v = q + klen + 1;
			size_t vlen = arg - klen - 1;
			if (vlen)
				part(&o, v, vlen, hidden_key || secret_key(q, klen), &count);
		}
		q += arg;
		if (*q) {
			put(&o, q, 1);
			q++;
		}
	}
	return count;
}
