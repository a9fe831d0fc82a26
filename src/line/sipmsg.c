/* SIP message parser (see sipmsg.h). */
#include "sipmsg.h"

#include <ctype.h>
#include <string.h>

#include "numparse.h"

static int lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int sip_str_eq(sip_str_t s, const char *z)
{
	size_t n = strlen(z);
	if (n != s.n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)s.p[i]) != lc((unsigned char)z[i]))
			return 0;
	return 1;
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static sip_str_t trim(sip_str_t s)
{
	while (s.n && is_ws((unsigned char)s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_ws((unsigned char)s.p[s.n - 1]))
		s.n--;
	return s;
}

static int is_token_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-.!%*_+`'~", c) != NULL;
}

/* Finds the end of the line starting at i: index of the CR (or LF). */
static size_t line_end(const char *p, size_t len, size_t i)
{
	while (i < len && p[i] != '\r' && p[i] != '\n')
		i++;
	return i;
}

static size_t skip_eol(const char *p, size_t len, size_t i)
{
	if (i < len && p[i] == '\r')
		i++;
	if (i < len && p[i] == '\n')
		i++;
	return i;
}

static int parse_start(sip_str_t line, sip_msg_t *m)
{
	const char *sp1 = memchr(line.p, ' ', line.n);
	if (!sp1)
		return -1;
	size_t a = (size_t)(sp1 - line.p);
	if (line.n >= 8 && memcmp(line.p, "SIP/2.0 ", 8) == 0) {
		/* SIP/2.0 NNN reason */
		if (line.n < 11)
			return -1;
		int64_t st;
		if (parse_i64(line.p + 8, 3, 100, 699, &st) != 0)
			return -1;
		if (line.n > 11 && line.p[11] != ' ')
			return -1;
		m->is_request = 0;
		m->status = (int)st;
		m->reason.p = line.p + (line.n > 12 ? 12 : line.n);
		m->reason.n = line.n > 12 ? line.n - 12 : 0;
		return 0;
	}
	if (a == 0)
		return -1;
	for (size_t i = 0; i < a; i++)
		if (!is_token_char((unsigned char)line.p[i]))
			return -1;
	const char *rest = sp1 + 1;
	size_t rn = line.n - a - 1;
	const char *sp2 = memchr(rest, ' ', rn);
	if (!sp2 || sp2 == rest)
		return -1;
	size_t un = (size_t)(sp2 - rest);
	sip_str_t ver = {sp2 + 1, rn - un - 1};
	if (!sip_str_eq(ver, "SIP/2.0"))
		return -1;
	for (size_t i = 0; i < un; i++)
		if ((unsigned char)rest[i] <= ' ' || (unsigned char)rest[i] >= 127)
			return -1;
	m->is_request = 1;
	m->method = (sip_str_t){line.p, a};
	m->uri = (sip_str_t){rest, un};
	return 0;
}

int sip_msg_parse(const uint8_t *data, size_t len, sip_msg_t *m)
{
	memset(m, 0, sizeof *m);
	if (!data || len == 0 || len > SIP_MSG_MAX)
		return -1;
	m->raw = data;
	m->raw_len = len;
	const char *p = (const char *)data;
	size_t i = 0;
	/* RFC 3261 §7.5: ignore CRLFs before the start line (keep-alives). */
	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		i++;
	size_t e = line_end(p, len, i);
	if (e == len)
		return -1;
	if (parse_start((sip_str_t){p + i, e - i}, m) != 0)
		return -1;
	i = skip_eol(p, len, e);
	for (;;) {
		if (i >= len)
			return -1; /* no empty line ending the headers */
		if (p[i] == '\r' || p[i] == '\n') {
			i = skip_eol(p, len, i);
			break;
		}
		if (p[i] == ' ' || p[i] == '\t')
			return -1; /* continuation without a header */
		size_t ls = i;
		e = line_end(p, len, i);
		/* Folding: the value continues on lines starting with SP/HT. */
		for (;;) {
			size_t nx = skip_eol(p, len, e);
			if (nx < len && (p[nx] == ' ' || p[nx] == '\t'))
				e = line_end(p, len, nx);
			else
				break;
		}
		const char *colon = memchr(p + ls, ':', e - ls);
		if (!colon)
			return -1;
		sip_str_t name = trim((sip_str_t){p + ls, (size_t)(colon - (p + ls))});
		if (name.n == 0)
			return -1;
		for (size_t k = 0; k < name.n; k++)
			if (!is_token_char((unsigned char)name.p[k]))
				return -1;
		if (m->nhdrs == SIP_HDR_MAX)
			return -1;
		sip_hdr_t *h = &m->hdrs[m->nhdrs++];
		h->name = name;
		h->value = trim((sip_str_t){colon + 1, (size_t)(p + e - colon - 1)});
		if (e == len)
			return -1;
		i = skip_eol(p, len, e);
	}
	size_t avail = len - i;
	const sip_str_t *cl = sip_msg_header(m, "Content-Length");
	if (cl) {
		uint64_t n;
		if (parse_u64(cl->p, cl->n, SIP_MSG_MAX, &n) != 0 || n > avail)
			return -1;
		m->body = (sip_str_t){p + i, (size_t)n};
	} else {
		m->body = (sip_str_t){p + i, avail};
	}
	return 0;
}

static const struct {
	const char *full;
	const char *compact;
} compact_forms[] = {
	{"Via", "v"}, {"From", "f"}, {"To", "t"}, {"Call-ID", "i"},
	{"Contact", "m"}, {"Content-Length", "l"}, {"Content-Type", "c"},
	{"Supported", "k"}, {"Subject", "s"}, {"Session-Expires", "x"},
};

const sip_str_t *sip_msg_header(const sip_msg_t *m, const char *name)
{
	const char *alt = NULL;
	for (size_t k = 0; k < sizeof compact_forms / sizeof compact_forms[0]; k++) {
		sip_str_t f = {compact_forms[k].full, strlen(compact_forms[k].full)};
		if (sip_str_eq(f, name))
			alt = compact_forms[k].compact;
	}
	for (size_t k = 0; k < m->nhdrs; k++) {
		if (sip_str_eq(m->hdrs[k].name, name) || (alt && sip_str_eq(m->hdrs[k].name, alt)))
			return &m->hdrs[k].value;
	}
	return NULL;
}

int sip_cseq(const sip_msg_t *m, uint32_t *num, sip_str_t *method)
{
	const sip_str_t *v = sip_msg_header(m, "CSeq");
	if (!v)
		return -1;
	size_t k = 0;
	while (k < v->n && v->p[k] >= '0' && v->p[k] <= '9')
		k++;
	uint64_t n;
	if (k == 0 || parse_u64(v->p, k, 0x7fffffffu, &n) != 0)
		return -1;
	sip_str_t rest = trim((sip_str_t){v->p + k, v->n - k});
	if (rest.n == 0 || k == v->n || !is_ws((unsigned char)v->p[k]))
		return -1;
	for (size_t j = 0; j < rest.n; j++)
		if (!is_token_char((unsigned char)rest.p[j]))
			return -1;
	*num = (uint32_t)n;
	if (method)
		*method = rest;
	return 0;
}

int sip_msg_check(const sip_msg_t *m)
{
	static const char *const need[] = {"Via", "From", "To", "Call-ID", "CSeq"};
	for (size_t k = 0; k < 5; k++) {
		const sip_str_t *v = sip_msg_header(m, need[k]);
		if (!v || v->n == 0)
			return -1;
	}
	uint32_t n;
	sip_str_t meth;
	if (sip_cseq(m, &n, &meth) != 0)
		return -1;
	if (m->is_request && !(meth.n == m->method.n && memcmp(meth.p, m->method.p, meth.n) == 0))
		return -1;
	return 0;
}

int sip_param(sip_str_t hv, const char *name, sip_str_t *out)
{
	size_t nl = strlen(name);
	int in_angle = 0, in_quote = 0;
	for (size_t i = 0; i < hv.n; i++) {
		char c = hv.p[i];
		if (in_quote) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_quote = 0;
			continue;
		}
		if (c == '"') {
			in_quote = 1;
			continue;
		}
		if (c == '<')
			in_angle = 1;
		else if (c == '>')
			in_angle = 0;
		if (in_angle || (c != ';' && c != ',' && !(c == ' ' && i == 0)))
			continue;
		size_t j = i + 1;
		while (j < hv.n && is_ws((unsigned char)hv.p[j]))
			j++;
		if (j + nl > hv.n)
			continue;
		sip_str_t cand = {hv.p + j, nl};
		if (!sip_str_eq(cand, name))
			continue;
		size_t k = j + nl;
		while (k < hv.n && is_ws((unsigned char)hv.p[k]))
			k++;
		if (k == hv.n || hv.p[k] == ';' || hv.p[k] == ',') {
			*out = (sip_str_t){hv.p + k, 0};
			return 0;
		}
		if (hv.p[k] != '=')
			continue;
		k++;
		while (k < hv.n && is_ws((unsigned char)hv.p[k]))
			k++;
		size_t s = k;
		if (k < hv.n && hv.p[k] == '"') {
			s = ++k;
			while (k < hv.n && hv.p[k] != '"')
				k += (hv.p[k] == '\\' && k + 1 < hv.n) ? 2 : 1;
			if (k > hv.n)
				k = hv.n;
			*out = (sip_str_t){hv.p + s, k - s};
			return 0;
		}
		while (k < hv.n && hv.p[k] != ';' && hv.p[k] != ',' && !is_ws((unsigned char)hv.p[k]))
			k++;
		*out = (sip_str_t){hv.p + s, k - s};
		return 0;
	}
	return -1;
}

sip_str_t sip_addr_uri(sip_str_t hv)
{
	const char *lt = memchr(hv.p, '<', hv.n);
	if (lt) {
		size_t off = (size_t)(lt - hv.p) + 1;
		const char *gt = memchr(lt + 1, '>', hv.n - off);
		if (!gt)
			return (sip_str_t){hv.p + off, 0};
		return (sip_str_t){lt + 1, (size_t)(gt - lt - 1)};
	}
	size_t k = 0;
	while (k < hv.n && hv.p[k] != ';' && !is_ws((unsigned char)hv.p[k]))
		k++;
	return (sip_str_t){hv.p, k};
}

int sip_uri_parse(sip_str_t uri, sip_str_t *user, sip_str_t *host, uint16_t *port)
{
	if (uri.n < 5 || !sip_str_eq((sip_str_t){uri.p, 4}, "sip:"))
		return -1;
	sip_str_t r = {uri.p + 4, uri.n - 4};
	size_t end = 0;
	while (end < r.n && r.p[end] != ';' && r.p[end] != '?' && r.p[end] != '>')
		end++;
	r.n = end;
	const char *at = memchr(r.p, '@', r.n);
	if (at) {
		*user = (sip_str_t){r.p, (size_t)(at - r.p)};
		r.n -= (size_t)(at - r.p) + 1;
		r.p = at + 1;
	} else {
		*user = (sip_str_t){r.p, 0};
	}
	/* An IPv6 reference keeps its brackets in host (RFC 3261 §25.1:
	 * "[" IPv6address "]"); the port's colon is the one after "]". */
	size_t skip = 0;
	if (r.n && r.p[0] == '[') {
		const char *close = memchr(r.p, ']', r.n);
		if (!close || close - r.p < 3)
			return -1;
		skip = (size_t)(close - r.p) + 1;
		for (size_t i = 1; i + 1 < skip; i++)
			if (!(isxdigit((unsigned char)r.p[i]) || r.p[i] == ':' || r.p[i] == '.'))
				return -1;
		if (skip < r.n && r.p[skip] != ':')
			return -1;
	}
	const char *colon = memchr(r.p + skip, ':', r.n - skip);
	*port = 5060;
	if (colon) {
		size_t hn = (size_t)(colon - r.p);
		uint64_t pv;
		if (parse_u64(colon + 1, r.n - hn - 1, 65535, &pv) != 0 || pv == 0)
			return -1;
		*port = (uint16_t)pv;
		r.n = hn;
	}
	if (r.n == 0)
		return -1;
	*host = r;
	return 0;
}
