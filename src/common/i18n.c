/* Catalogue lookup and two-language messages (see i18n.h). */
#include "i18n.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* The entries sorted by English text, built once, for bsearch. */
static const struct i18n_entry **sorted;
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;

static int by_en(const void *a, const void *b)
{
	const struct i18n_entry *const *x = a, *const *y = b;
	return strcmp((*x)->en, (*y)->en);
}

static void sort_entries(void)
{
	/* Sorted once, kept for the life of the process. */
	const struct i18n_entry **idx = xcalloc(i18n_fr_count + 1, sizeof *idx);
	for (size_t i = 0; i < i18n_fr_count; i++)
		idx[i] = &i18n_fr_entries[i];
	qsort(idx, i18n_fr_count, sizeof idx[0], by_en);
	sorted = idx;
}

int i18n_is_fr(const char *lang)
{
	return lang && strncasecmp(lang, "fr", 2) == 0 &&
		(lang[2] == '\0' || lang[2] == '-' || lang[2] == '_' || lang[2] == '.' || lang[2] == '@');
}

/* Length of the conversion specification at s (s[0] == '%'), 0 when it is
 * not one we accept ("%%" has length 2 and is text). */
static size_t conv_len(const char *s)
{
	size_t i = 1;
	if (s[i] == '%')
		return 2;
	while (s[i] && strchr("-+ #0'", s[i]))
		i++;
	if (s[i] == '*')
		i++;
	else
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	if (s[i] == '.') {
		i++;
		if (s[i] == '*')
			i++;
		else
			while (s[i] >= '0' && s[i] <= '9')
				i++;
	}
	static const char *const lengths[] = { "hh", "ll", "h", "l", "j", "z", "t", "L" };
	for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
		size_t n = strlen(lengths[k]);
		if (strncmp(s + i, lengths[k], n) == 0) {
			i += n;
			break;
		}
	}
	if (s[i] && strchr("diouxXeEfFgGaAcsp", s[i]))
		return i + 1;
	return 0;
}

/* The next conversion of s at or after *pos: its start, length in *len;
 * NULL at the end. A malformed one counts as a one-byte conversion "%",
 * which matches nothing but itself. */
static const char *next_conv(const char *s, size_t *pos, size_t *len)
{
	for (;;) {
		const char *p = strchr(s + *pos, '%');
		if (!p)
			return NULL;
		size_t n = conv_len(p);
		if (n == 2 && p[1] == '%') {
			*pos = (size_t)(p - s) + 2;
			continue;
		}
		*len = n ? n : 1;
		*pos = (size_t)(p - s) + *len;
		return p;
	}
}

int i18n_same_conversions(const char *a, const char *b)
{
	size_t pa = 0, pb = 0, la = 0, lb = 0;
	for (;;) {
		const char *x = next_conv(a, &pa, &la);
		const char *y = next_conv(b, &pb, &lb);
		if (!x || !y)
			return !x && !y;
		if (la != lb || memcmp(x, y, la) != 0 || (la == 1))
			return 0;
	}
}

const char *i18n_fr(const char *en)
{
	if (!en)
		return NULL;
	pthread_once(&sorted_once, sort_entries);
	struct i18n_entry key = { en, NULL };
	const struct i18n_entry *kp = &key;
	const struct i18n_entry **hit = bsearch(&kp, sorted, i18n_fr_count, sizeof sorted[0], by_en);
	if (!hit || !(*hit)->fr || !(*hit)->fr[0] || !i18n_same_conversions(en, (*hit)->fr))
		return NULL;
	return (*hit)->fr;
}

const char *i18n_fmt(const char *lang, const char *en)
{
	const char *fr = i18n_is_fr(lang) ? i18n_fr(en) : NULL;
	return fr ? fr : en;
}

void i18n_msg_vset(i18n_msg_t *m, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	vsnprintf(m->en, sizeof m->en, fmt, ap);
	vsnprintf(m->fr, sizeof m->fr, i18n_fmt("fr", fmt), ap2);
	va_end(ap2);
}

void i18n_msg_set(i18n_msg_t *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	i18n_msg_vset(m, fmt, ap);
	va_end(ap);
}

void i18n_msg_pair(i18n_msg_t *m, const char *en, const char *fr)
{
	snprintf(m->en, sizeof m->en, "%s", en ? en : "");
	snprintf(m->fr, sizeof m->fr, "%s", fr ? fr : m->en);
}

void i18n_msg_text(i18n_msg_t *m, const char *en)
{
	i18n_msg_pair(m, en, i18n_fr(en));
}

/* s with its one "%s" conversion (precision allowed) replaced by arg, into
 * out; s as plain text when it has another shape. */
static void fill_one(char *out, size_t n, const char *s, const char *arg)
{
	size_t pos = 0, len = 0;
	const char *c = next_conv(s, &pos, &len);
	size_t p2 = pos, l2;
	if (!c || c[len - 1] != 's' || len > 8 || next_conv(s, &p2, &l2)) {
		snprintf(out, n, "%s", s);
		return;
	}
	char spec[9];
	memcpy(spec, c, len);
	spec[len] = '\0';
	/* The text around the conversion is copied as it is, with "%%" made "%". */
	size_t o = 0;
	for (const char *p = s; *p && o + 1 < n; p++) {
		if (p == c) {
			int k;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			/* spec is one checked "%[.N]s" conversion. */
			k = snprintf(out + o, n - o, spec, arg);
#pragma GCC diagnostic pop
			if (k < 0)
				break;
			o += (size_t)k < n - o ? (size_t)k : n - o - 1;
			p += len - 1;
		} else if (p[0] == '%' && p[1] == '%') {
			out[o++] = '%';
			p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o < n ? o : n - 1] = '\0';
}

void i18n_msg_sub(i18n_msg_t *m, const char *fmt, const char *key)
{
	const char *fr = i18n_fr(key);
	fill_one(m->en, sizeof m->en, fmt, key ? key : "");
	fill_one(m->fr, sizeof m->fr, i18n_fmt("fr", fmt), fr ? fr : key ? key : "");
}

const char *i18n_msg_get(const i18n_msg_t *m, const char *lang)
{
	return i18n_is_fr(lang) && m->fr[0] ? m->fr : m->en;
}
