/* SCIM filters, attribute paths and PATCH operations (see scim_filter.h).
 * A filter is parsed by recursive descent into a small array of nodes
 * (or < and < not/atom), bounded in size and depth, then evaluated against
 * a JSON resource. */
#include "identity.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "xalloc.h"

#define CORE_URN "urn:ietf:params:scim:schemas:core:2.0:"

enum node_kind { N_AND, N_OR, N_NOT, N_CMP, N_PR, N_VALUE };
enum cmp_op { OP_EQ, OP_NE, OP_CO, OP_SW, OP_EW, OP_GT, OP_LT, OP_GE, OP_LE };

typedef struct node {
	enum node_kind kind;
	enum cmp_op op;
	scim_attr_t attr;
	json_t *value; /* N_CMP: the comparison value (owned) */
	int a, b;      /* children: N_AND/N_OR a, b; N_NOT a; N_VALUE a (filter), b (tail or -1) */
} node_t;

struct scim_filter {
	node_t n[SCIM_FILTER_NODES];
	int count;
	int root;
};

typedef struct parser {
	const char *s;
	size_t len, pos;
	int depth;
	scim_filter_t *f;
	i18n_msg_t *err;
	bool failed;
} parser_t;

static int fail(parser_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser_t *p, const char *fmt, ...)
{
	if (!p->failed) {
		va_list ap;
		va_start(ap, fmt);
		i18n_msg_vset(p->err, fmt, ap);
		va_end(ap);
		p->failed = true;
	}
	return -1;
}

static void skip_ws(parser_t *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

static bool at_end(parser_t *p)
{
	skip_ws(p);
	return p->pos >= p->len;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '$' || c == ':' || c == '.';
}

/* Whether the next word is kw (any case) followed by a non-name byte. */
static bool peek_word(parser_t *p, const char *kw)
{
	skip_ws(p);
	size_t n = strlen(kw);
	if (p->len - p->pos < n || strncasecmp(p->s + p->pos, kw, n) != 0)
		return false;
	return p->pos + n == p->len || !name_char(p->s[p->pos + n]);
}

static int new_node(parser_t *p, enum node_kind k)
{
	if (p->f->count >= SCIM_FILTER_NODES)
		return fail(p, I18N("the filter has more than %d terms"), SCIM_FILTER_NODES);
	int i = p->f->count++;
	memset(&p->f->n[i], 0, sizeof p->f->n[i]);
	p->f->n[i].kind = k;
	p->f->n[i].a = p->f->n[i].b = -1;
	return i;
}

/* Splits a token "[urn:…:]name[.sub]" into a. */
static int attr_from(parser_t *p, const char *t, size_t n, scim_attr_t *a)
{
	memset(a, 0, sizeof *a);
	size_t start = 0;
	if (n > 4 && strncasecmp(t, "urn:", 4) == 0) {
		/* The URN ends at the last ':' before the attribute's name. */
		size_t colon = 0;
		for (size_t i = 0; i < n; i++)
			if (t[i] == ':')
				colon = i;
		if (colon + 1 >= n)
			return fail(p, I18N("an attribute path ends with its schema URN"));
		if (colon > SCIM_URN_MAX)
			return fail(p, I18N("a schema URN is longer than %d bytes"), SCIM_URN_MAX);
		/* The core schemas hold the resource's top-level attributes. */
		bool core = colon > strlen(CORE_URN) - 1 && strncasecmp(t, CORE_URN, strlen(CORE_URN)) == 0;
		if (!core)
			memcpy(a->urn, t, colon);
		start = colon + 1;
	}
	const char *nm = t + start;
	size_t nl = n - start;
	const char *dot = memchr(nm, '.', nl);
	size_t first = dot ? (size_t)(dot - nm) : nl;
	size_t rest = dot ? nl - first - 1 : 0;
	if (first == 0 || first > SCIM_NAME_MAX || (dot && (rest == 0 || rest > SCIM_NAME_MAX)))
		return fail(p, I18N("an attribute name is empty or longer than %d bytes"), SCIM_NAME_MAX);
	if (!isalpha((unsigned char)nm[0]) && nm[0] != '$')
		return fail(p, I18N("an attribute name must start with a letter"));
	if (dot && memchr(dot + 1, '.', rest))
		return fail(p, I18N("an attribute path has at most one sub-attribute"));
	for (size_t i = start; i < n; i++)
		if (t[i] == ':' && i >= start)
			return fail(p, I18N("a ':' inside an attribute name"));
	memcpy(a->name, nm, first);
	if (dot)
		memcpy(a->sub, dot + 1, rest);
	return 0;
}

/* Reads an attribute path token (stops at a space, '[', ']', '(' or ')'). */
static int read_attr(parser_t *p, scim_attr_t *a)
{
	skip_ws(p);
	size_t b = p->pos;
	while (p->pos < p->len && name_char(p->s[p->pos]))
		p->pos++;
	if (p->pos == b)
		return fail(p, I18N("an attribute path was expected at byte %zu"), b + 1);
	return attr_from(p, p->s + b, p->pos - b, a);
}

/* Reads a sub-attribute after ']' ("." name). */
static int read_sub(parser_t *p, char *sub)
{
	if (p->pos >= p->len || p->s[p->pos] != '.')
		return 0;
	p->pos++;
	size_t b = p->pos;
	while (p->pos < p->len && (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '-' ||
				     p->s[p->pos] == '_' || p->s[p->pos] == '$'))
		p->pos++;
	size_t n = p->pos - b;
	if (n == 0 || n > SCIM_NAME_MAX)
		return fail(p, I18N("a sub-attribute name was expected after ']'"));
	memcpy(sub, p->s + b, n);
	sub[n] = '\0';
	return 0;
}

/* A comparison value: a JSON string, number, true, false or null. */
static int read_value(parser_t *p, json_t **out)
{
	skip_ws(p);
	size_t b = p->pos;
	if (p->pos < p->len && p->s[p->pos] == '"') {
		p->pos++;
		while (p->pos < p->len && p->s[p->pos] != '"') {
			if (p->s[p->pos] == '\\')
				p->pos++;
			p->pos++;
		}
		if (p->pos >= p->len)
			return fail(p, I18N("a string value is not closed"));
		p->pos++;
	} else {
		while (p->pos < p->len && p->s[p->pos] != ' ' && p->s[p->pos] != ')' &&
		       p->s[p->pos] != ']' && p->s[p->pos] != '\t')
			p->pos++;
	}
	if (p->pos == b)
		return fail(p, I18N("a comparison value was expected at byte %zu"), b + 1);
	json_error_t je;
	json_t *v = json_loadb(p->s + b, p->pos - b, JSON_DECODE_ANY, &je);
	if (!v || json_is_object(v) || json_is_array(v)) {
		json_decref(v);
		return fail(p, I18N("the value at byte %zu is not a string, number, true, false or null"), b + 1);
	}
	*out = v;
	return 0;
}

static int read_op(parser_t *p, int node)
{
	static const char *const ops[] = { "eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le" };
	if (peek_word(p, "pr")) {
		p->pos += 2;
		p->f->n[node].kind = N_PR;
		return 0;
	}
	for (int i = 0; i < 9; i++) {
		if (peek_word(p, ops[i])) {
			p->pos += 2;
			p->f->n[node].kind = N_CMP;
			p->f->n[node].op = (enum cmp_op)i;
			json_t *v = NULL;
			if (read_value(p, &v) != 0)
				return -1;
			p->f->n[node].value = v;
			if ((i == OP_CO || i == OP_SW || i == OP_EW) && !json_is_string(v))
				return fail(p, I18N("co, sw and ew compare with a string"));
			if (i >= OP_GT && (json_is_boolean(v) || json_is_null(v)))
				return fail(p, I18N("gt, lt, ge and le compare with a string or a number"));
			return 0;
		}
	}
	return fail(p, I18N("an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr) was expected at byte %zu"),
		p->pos + 1);
}

static int parse_or(parser_t *p);

static int parse_unary(parser_t *p)
{
	if (++p->depth > SCIM_FILTER_DEPTH)
		return fail(p, I18N("the filter nests deeper than %d levels"), SCIM_FILTER_DEPTH);
	int r;
	skip_ws(p);
	if (peek_word(p, "not")) {
		size_t save = p->pos;
		p->pos += 3;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == '(') {
			p->pos++;
			int in = parse_or(p);
			skip_ws(p);
			if (in < 0)
				return -1;
			if (p->pos >= p->len || p->s[p->pos] != ')')
				return fail(p, I18N("a ')' is missing"));
			p->pos++;
			r = new_node(p, N_NOT);
			if (r >= 0)
				p->f->n[r].a = in;
			p->depth--;
			return r;
		}
		p->pos = save;
	}
	if (p->pos < p->len && p->s[p->pos] == '(') {
		p->pos++;
		r = parse_or(p);
		skip_ws(p);
		if (r < 0)
			return -1;
		if (p->pos >= p->len || p->s[p->pos] != ')')
			return fail(p, I18N("a ')' is missing"));
		p->pos++;
		p->depth--;
		return r;
	}
	scim_attr_t a;
	if (read_attr(p, &a) != 0)
		return -1;
	if (p->pos < p->len && p->s[p->pos] == '[') {
		if (a.sub[0])
			return fail(p, I18N("a value path's attribute has no sub-attribute before '['"));
		p->pos++;
		int in = parse_or(p);
		skip_ws(p);
		if (in < 0)
			return -1;
		if (p->pos >= p->len || p->s[p->pos] != ']')
			return fail(p, I18N("a ']' is missing"));
		p->pos++;
		r = new_node(p, N_VALUE);
		if (r < 0)
			return -1;
		p->f->n[r].attr = a;
		p->f->n[r].a = in;
		/* Entra ID's form: emails[type eq "work"].value eq "…" */
		char sub[SCIM_NAME_MAX + 1] = "";
		if (read_sub(p, sub) != 0)
			return -1;
		if (sub[0]) {
			int t = new_node(p, N_CMP);
			if (t < 0)
				return -1;
			snprintf(p->f->n[t].attr.name, sizeof p->f->n[t].attr.name, "%s", sub);
			if (read_op(p, t) != 0)
				return -1;
			p->f->n[r].b = t;
		}
		p->depth--;
		return r;
	}
	r = new_node(p, N_CMP);
	if (r < 0)
		return -1;
	p->f->n[r].attr = a;
	if (read_op(p, r) != 0)
		return -1;
	p->depth--;
	return r;
}

static int parse_and(parser_t *p)
{
	int l = parse_unary(p);
	while (l >= 0 && peek_word(p, "and")) {
		p->pos += 3;
		int r = parse_unary(p);
		if (r < 0)
			return -1;
		int n = new_node(p, N_AND);
		if (n < 0)
			return -1;
		p->f->n[n].a = l;
		p->f->n[n].b = r;
		l = n;
	}
	return l;
}

static int parse_or(parser_t *p)
{
	int l = parse_and(p);
	while (l >= 0 && peek_word(p, "or")) {
		p->pos += 2;
		int r = parse_and(p);
		if (r < 0)
			return -1;
		int n = new_node(p, N_OR);
		if (n < 0)
			return -1;
		p->f->n[n].a = l;
		p->f->n[n].b = r;
		l = n;
	}
	return l;
}

/* Checks the bytes: UTF-8 is the JSON decoder's business, control bytes
 * and NULs are refused here. */
static int check_bytes(const char *s, size_t len, i18n_msg_t *err)
{
	if (len == 0) {
		i18n_msg_text(err, I18N("the filter is empty"));
		return -1;
	}
	if (len > SCIM_FILTER_MAX) {
		i18n_msg_set(err, "the filter is longer than %d bytes", SCIM_FILTER_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t') {
			i18n_msg_set(err, "a control character at byte %zu", i + 1);
			return -1;
		}
	}
	return 0;
}

int scim_filter_parse(const char *s, size_t len, scim_filter_t **out, i18n_msg_t *err)
{
	*out = NULL;
	if (check_bytes(s, len, err) != 0)
		return -1;
	scim_filter_t *f = xcalloc(1, sizeof *f);
	parser_t p = { .s = s, .len = len, .f = f, .err = err };
	f->root = parse_or(&p);
	if (f->root >= 0 && !at_end(&p))
		fail(&p, I18N("unexpected text at byte %zu"), p.pos + 1);
	if (p.failed || f->root < 0) {
		if (!p.failed)
			i18n_msg_text(err, I18N("the filter is malformed"));
		scim_filter_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

void scim_filter_free(scim_filter_t *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->count; i++)
		json_decref(f->n[i].value);
	free(f);
}

bool scim_filter_simple_eq(const scim_filter_t *f, const char **name, const char **value)
{
	if (!f || f->root < 0)
		return false;
	const node_t *n = &f->n[f->root];
	if (n->kind != N_CMP || n->op != OP_EQ || !json_is_string(n->value) || n->attr.urn[0] ||
	    n->attr.sub[0])
		return false;
	*name = n->attr.name;
	*value = json_string_value(n->value);
	return true;
}

json_t *scim_get_ci(const json_t *obj, const char *key)
{
	if (!json_is_object(obj))
		return NULL;
	json_t *v = json_object_get(obj, key);
	if (v)
		return v;
	const char *k;
	json_object_foreach((json_t *)obj, k, v)
		if (strcasecmp(k, key) == 0)
			return v;
	return NULL;
}

/* ---- evaluation ---- */

static bool ci_contains(const char *h, const char *n)
{
	size_t hl = strlen(h), nl = strlen(n);
	for (size_t i = 0; i + nl <= hl; i++)
		if (strncasecmp(h + i, n, nl) == 0)
			return true;
	return false;
}

/* One value against the comparison; an absent value is NULL. */
static bool compare(const node_t *n, const json_t *v)
{
	const json_t *c = n->value;
	if (json_is_null(c))
		return n->op == OP_EQ ? (!v || json_is_null(v)) : n->op == OP_NE ? (v && !json_is_null(v)) : false;
	if (!v || json_is_null(v))
		return false;
	int cmp;
	if (json_is_string(c)) {
		if (!json_is_string(v))
			return false;
		const char *a = json_string_value(v), *b = json_string_value(c);
		size_t al = strlen(a), bl = strlen(b);
		switch (n->op) {
		case OP_CO: return ci_contains(a, b);
		case OP_SW: return al >= bl && strncasecmp(a, b, bl) == 0;
		case OP_EW: return al >= bl && strcasecmp(a + al - bl, b) == 0;
		default: cmp = strcasecmp(a, b);
		}
	} else if (json_is_boolean(c)) {
		if (!json_is_boolean(v))
			return false;
		cmp = json_is_true(v) == json_is_true(c) ? 0 : 1;
	} else if (json_is_number(c)) {
		if (!json_is_number(v))
			return false;
		double a = json_number_value(v), b = json_number_value(c);
		cmp = a < b ? -1 : a > b ? 1 : 0;
	} else {
		return false;
	}
	switch (n->op) {
	case OP_EQ: return cmp == 0;
	case OP_NE: return cmp != 0;
	case OP_GT: return cmp > 0;
	case OP_LT: return cmp < 0;
	case OP_GE: return cmp >= 0;
	case OP_LE: return cmp <= 0;
	default: return false;
	}
}

static bool present(const json_t *v)
{
	return v && !json_is_null(v) && !(json_is_string(v) && !*json_string_value(v)) &&
	       !(json_is_array(v) && json_array_size(v) == 0) &&
	       !(json_is_object(v) && json_object_size(v) == 0);
}

/* The attribute's value in res: a sub-attribute of each element of a
 * multi-valued attribute, and "value" of complex elements when no
 * sub-attribute is named. Calls fn for each; true when one answers true. */
static bool each_value(const node_t *n, const json_t *res, bool (*fn)(const node_t *, const json_t *))
{
	const json_t *base = n->attr.urn[0] ? scim_get_ci(res, n->attr.urn) : res;
	const json_t *v = scim_get_ci(base, n->attr.name);
	if (json_is_array(v)) {
		size_t i;
		const json_t *el;
		bool any = false;
		json_array_foreach(v, i, el) {
			const json_t *x = n->attr.sub[0] ? scim_get_ci(el, n->attr.sub)
				: json_is_object(el) ? scim_get_ci(el, "value") : el;
			if (fn(n, x))
				any = true;
		}
		return any;
	}
	if (n->attr.sub[0])
		v = scim_get_ci(v, n->attr.sub);
	return fn(n, v);
}

static bool fn_present(const node_t *n, const json_t *v)
{
	(void)n;
	return present(v);
}

static bool fn_compare(const node_t *n, const json_t *v)
{
	return compare(n, v);
}

static bool match(const scim_filter_t *f, int i, const json_t *res)
{
	const node_t *n = &f->n[i];
	switch (n->kind) {
	case N_AND: return match(f, n->a, res) && match(f, n->b, res);
	case N_OR: return match(f, n->a, res) || match(f, n->b, res);
	case N_NOT: return !match(f, n->a, res);
	case N_PR: return each_value(n, res, fn_present);
	case N_CMP:
		/* ne: no value of the attribute equals the operand. */
		if (n->op == OP_NE && !json_is_null(n->value)) {
			node_t eq = *n;
			eq.op = OP_EQ;
			return !each_value(&eq, res, fn_compare);
		}
		return each_value(n, res, fn_compare);
	case N_VALUE: {
		const json_t *base = n->attr.urn[0] ? scim_get_ci(res, n->attr.urn) : res;
		const json_t *v = scim_get_ci(base, n->attr.name);
		if (json_is_object(v))
			return match(f, n->a, v) && (n->b < 0 || match(f, n->b, v));
		size_t k;
		const json_t *el;
		json_array_foreach(v, k, el)
			if (json_is_object(el) && match(f, n->a, el) && (n->b < 0 || match(f, n->b, el)))
				return true;
		return false;
	}
	}
	return false;
}

bool scim_filter_match(const scim_filter_t *f, const json_t *resource)
{
	return f && f->root >= 0 && match(f, f->root, resource);
}

/* ---- PATCH paths ---- */

int scim_path_parse(const char *s, size_t len, scim_path_t *out, i18n_msg_t *err)
{
	memset(out, 0, sizeof *out);
	if (check_bytes(s, len, err) != 0)
		return -1;
	scim_filter_t *f = xcalloc(1, sizeof *f);
	parser_t p = { .s = s, .len = len, .f = f, .err = err };
	if (read_attr(&p, &out->attr) != 0)
		goto bad;
	if (p.pos < p.len && p.s[p.pos] == '[') {
		if (out->attr.sub[0]) {
			fail(&p, I18N("a value path's attribute has no sub-attribute before '['"));
			goto bad;
		}
		p.pos++;
		f->root = parse_or(&p);
		skip_ws(&p);
		if (f->root < 0)
			goto bad;
		if (p.pos >= p.len || p.s[p.pos] != ']') {
			fail(&p, I18N("a ']' is missing"));
			goto bad;
		}
		p.pos++;
		if (read_sub(&p, out->attr.sub) != 0)
			goto bad;
		out->filter = f;
		f = NULL;
	}
	if (p.pos != p.len) {
		fail(&p, I18N("unexpected text at byte %zu"), p.pos + 1);
		goto bad;
	}
	scim_filter_free(f);
	return 0;
bad:
	if (!p.failed)
		i18n_msg_text(err, I18N("the path is malformed"));
	scim_filter_free(f);
	scim_filter_free(out->filter);
	memset(out, 0, sizeof *out);
	return -1;
}

void scim_path_free(scim_path_t *p)
{
	if (p) {
		scim_filter_free(p->filter);
		p->filter = NULL;
	}
}

/* ---- PATCH operations ---- */

enum patch_op { P_ADD, P_REPLACE, P_REMOVE };

typedef struct patch_err {
	i18n_msg_t *err;
	const char **type;
} patch_err_t;

static int perr(patch_err_t *pe, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int perr(patch_err_t *pe, const char *type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	i18n_msg_vset(pe->err, fmt, ap);
	va_end(ap);
	*pe->type = type;
	return -1;
}

/* The key of obj that names key in any case, else key itself. */
static const char *key_ci(const json_t *obj, const char *key)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)obj, k, v)
		if (strcasecmp(k, key) == 0)
			return k;
	return key;
}

/* Sets obj[key] (existing name kept) to a copy of v. */
static void set_ci(json_t *obj, const char *key, const json_t *v)
{
	char *k = xstrdup(key_ci(obj, key));
	json_object_set_new(obj, k, json_deep_copy(v));
	free(k);
}

static void del_ci(json_t *obj, const char *key)
{
	char *k = xstrdup(key_ci(obj, key));
	json_object_del(obj, k);
	free(k);
}

/* obj[key] as an object, made when absent (NULL when it holds another type). */
static json_t *obj_at(json_t *obj, const char *key, bool make)
{
	json_t *v = scim_get_ci(obj, key);
	if (!v && make) {
		v = json_object();
		json_object_set_new(obj, key, v);
	}
	return json_is_object(v) ? v : NULL;
}

/* Merges the members of src into dst (copies). */
static void merge(json_t *dst, const json_t *src)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)src, k, v)
		set_ci(dst, k, v);
}

static bool same_value(const json_t *el, const json_t *v)
{
	const json_t *a = json_is_object(el) ? scim_get_ci(el, "value") : el;
	const json_t *b = json_is_object(v) ? scim_get_ci(v, "value") : v;
	return a && b && json_equal(a, b);
}

static int apply_path(json_t *res, enum patch_op op, const scim_path_t *path, const json_t *value,
	patch_err_t *pe)
{
	json_t *base = res;
	if (path->attr.urn[0]) {
		base = obj_at(res, path->attr.urn, op != P_REMOVE);
		if (!base)
			return op == P_REMOVE ? 0 : perr(pe, "invalidPath", I18N("the schema's attributes are not an object"));
	}
	const char *name = path->attr.name, *sub = path->attr.sub;
	json_t *cur = scim_get_ci(base, name);
	if (!path->filter) {
		if (!sub[0]) {
			if (op == P_REMOVE) {
				if (json_is_array(cur) && json_is_array(value)) {
					/* Entra ID removes members by value: {path: "members", value: [{value}]} */
					for (size_t i = json_array_size(cur); i-- > 0;) {
						size_t k;
						const json_t *v;
						json_array_foreach(value, k, v)
							if (same_value(json_array_get(cur, i), v)) {
								json_array_remove(cur, i);
								break;
							}
					}
					return 0;
				}
				del_ci(base, name);
				return 0;
			}
			if (!value)
				return perr(pe, "invalidSyntax", I18N("add and replace need a value"));
			if (op == P_ADD && json_is_array(cur)) {
				if (json_is_array(value)) {
					size_t k;
					const json_t *v;
					json_array_foreach(value, k, v)
						json_array_append_new(cur, json_deep_copy(v));
				} else {
					json_array_append_new(cur, json_deep_copy(value));
				}
				return 0;
			}
			if (op == P_ADD && json_is_object(cur) && json_is_object(value)) {
				merge(cur, value);
				return 0;
			}
			set_ci(base, name, value);
			return 0;
		}
		if (json_is_array(cur))
			return perr(pe, "invalidPath", I18N("a sub-attribute of a multi-valued attribute needs a filter: %.64s[…].%.64s"),
				name, sub);
		json_t *o = obj_at(base, name, op != P_REMOVE);
		if (!o)
			return op == P_REMOVE ? 0 : perr(pe, "invalidPath", I18N("%.64s is not a complex attribute"), name);
		if (op == P_REMOVE)
			del_ci(o, sub);
		else if (!value)
			return perr(pe, "invalidSyntax", I18N("add and replace need a value"));
		else
			set_ci(o, sub, value);
		return 0;
	}
	if (cur && !json_is_array(cur))
		return perr(pe, "invalidPath", I18N("%.64s is not multi-valued"), name);
	if (op != P_REMOVE && !value)
		return perr(pe, "invalidSyntax", I18N("add and replace need a value"));
	if (op != P_REMOVE && !sub[0] && !json_is_object(value))
		return perr(pe, "invalidValue", I18N("the value for a filtered path is an object"));
	size_t matched = 0;
	for (size_t i = cur ? json_array_size(cur) : 0; i-- > 0;) {
		json_t *el = json_array_get(cur, i);
		if (!json_is_object(el) || !scim_filter_match(path->filter, el))
			continue;
		matched++;
		if (op == P_REMOVE) {
			if (sub[0])
				del_ci(el, sub);
			else
				json_array_remove(cur, i);
		} else if (sub[0]) {
			set_ci(el, sub, value);
		} else {
			merge(el, value);
		}
	}
	if (matched)
		return 0;
	/* Nothing matched: a replace or add through `attr[x eq "v"]` makes the
	 * element (what Entra ID expects of emails[type eq "work"].value). */
	const char *fname, *fval;
	if (op == P_REMOVE || !scim_filter_simple_eq(path->filter, &fname, &fval))
		return perr(pe, "noTarget", I18N("no value of %.64s matches the path's filter"), name);
	json_t *el = json_object();
	json_object_set_new(el, fname, json_string(fval));
	if (sub[0])
		set_ci(el, sub, value);
	else
		merge(el, value);
	if (!cur) {
		cur = json_array();
		json_object_set_new(base, name, cur);
	}
	json_array_append_new(cur, el);
	return 0;
}

static int apply_str(json_t *res, enum patch_op op, const char *ps, const json_t *value,
	patch_err_t *pe)
{
	scim_path_t path;
	if (scim_path_parse(ps, strlen(ps), &path, pe->err) != 0) {
		*pe->type = "invalidPath";
		return -1;
	}
	int rc = apply_path(res, op, &path, value, pe);
	scim_path_free(&path);
	return rc;
}

int scim_patch_apply(json_t *res, const json_t *ops, i18n_msg_t *err, const char **scim_type)
{
	patch_err_t pe = { err, scim_type };
	if (!json_is_array(ops) || json_array_size(ops) == 0)
		return perr(&pe, "invalidSyntax", I18N("Operations must be a non-empty array"));
	if (json_array_size(ops) > SCIM_PATCH_OPS_MAX)
		return perr(&pe, "invalidSyntax", I18N("at most %d operations in one request"), SCIM_PATCH_OPS_MAX);
	size_t i;
	const json_t *o;
	json_array_foreach(ops, i, o) {
		if (!json_is_object(o))
			return perr(&pe, "invalidSyntax", I18N("operation %zu is not an object"), i + 1);
		const char *ops_ = json_string_value(scim_get_ci(o, "op"));
		const json_t *pathv = scim_get_ci(o, "path");
		const json_t *value = scim_get_ci(o, "value");
		enum patch_op op;
		if (ops_ && strcasecmp(ops_, "add") == 0)
			op = P_ADD;
		else if (ops_ && strcasecmp(ops_, "replace") == 0)
			op = P_REPLACE;
		else if (ops_ && strcasecmp(ops_, "remove") == 0)
			op = P_REMOVE;
		else
			return perr(&pe, "invalidSyntax", I18N("operation %zu: op must be add, replace or remove"), i + 1);
		if (pathv && !json_is_string(pathv))
			return perr(&pe, "invalidPath", I18N("operation %zu: path must be a string"), i + 1);
		const char *ps = json_string_value(pathv);
		if (ps && !*ps)
			ps = NULL;
		if (ps) {
			if (apply_str(res, op, ps, value, &pe) != 0)
				return -1;
			continue;
		}
		if (op == P_REMOVE)
			return perr(&pe, "noTarget", I18N("operation %zu: remove needs a path"), i + 1);
		if (!json_is_object(value))
			return perr(&pe, "invalidSyntax", I18N("operation %zu: without a path the value is an object"), i + 1);
		/* Each key is an attribute path (Entra ID sends "name.givenName"),
		 * or an extension's URN with an object of its attributes. */
		const char *k;
		const json_t *v;
		json_object_foreach((json_t *)value, k, v) {
			if (strncasecmp(k, "urn:", 4) == 0 && json_is_object(v) &&
			    strncasecmp(k, CORE_URN, strlen(CORE_URN)) != 0) {
				json_t *ext = obj_at(res, k, true);
				if (!ext)
					return perr(&pe, "invalidValue", I18N("the schema's attributes are not an object"));
				if (op == P_REPLACE) {
					merge(ext, v);
				} else {
					const char *k2;
					const json_t *v2;
					json_object_foreach((json_t *)v, k2, v2) {
						scim_path_t pp = { 0 };
						snprintf(pp.attr.name, sizeof pp.attr.name, "%s", k2);
						snprintf(pp.attr.urn, sizeof pp.attr.urn, "%s", k);
						if (strlen(k2) > SCIM_NAME_MAX || strlen(k) > SCIM_URN_MAX)
							return perr(&pe, "invalidPath", I18N("an attribute name is too long"));
						if (apply_path(res, op, &pp, v2, &pe) != 0)
							return -1;
					}
				}
				continue;
			}
			if (apply_str(res, op, k, v, &pe) != 0)
				return -1;
		}
	}
	return 0;
}
