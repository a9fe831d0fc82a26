/* multipart/form-data parsing (see multipart.h). */
#include "multipart.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "xalloc.h"

#define BOUNDARY_MAX 70
#define HEADER_BLOCK_MAX 8192

static int bchar_ok(int c)
{
	return isalnum(c) || strchr("'()+_,-./:=? ", c) != NULL;
}

int multipart_boundary(const char *ct, char *out, size_t outlen)
{
	if (!ct)
		return -1;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, "multipart/form-data", 19) != 0)
		return -1;
	const char *p = ct + 19;
	while (*p) {
		while (*p == ';' || *p == ' ' || *p == '\t')
			p++;
		const char *eq = strchr(p, '=');
		if (!eq)
			return -1;
		size_t klen = (size_t)(eq - p);
		while (klen && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
			klen--;
		const char *v = eq + 1;
		size_t vlen;
		const char *next;
		if (*v == '"') {
			v++;
			const char *q = strchr(v, '"');
			if (!q)
				return -1;
			vlen = (size_t)(q - v);
			next = q + 1;
		} else {
			vlen = strcspn(v, "; \t");
			next = v + vlen;
		}
		if (klen == 8 && strncasecmp(p, "boundary", 8) == 0) {
			if (vlen == 0 || vlen > BOUNDARY_MAX || vlen + 1 > outlen || v[vlen - 1] == ' ')
				return -1;
			for (size_t i = 0; i < vlen; i++)
				if (!bchar_ok((unsigned char)v[i]))
					return -1;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = next;
	}
	return -1;
}

/* memmem without relying on _GNU_SOURCE. */
static const unsigned char *find(const unsigned char *h, size_t hl, const unsigned char *n, size_t nl)
{
	if (nl == 0 || hl < nl)
		return NULL;
	for (size_t i = 0; i + nl <= hl; i++) {
		const unsigned char *c = memchr(h + i, n[0], hl - nl - i + 1);
		if (!c)
			return NULL;
		i = (size_t)(c - h);
		if (memcmp(c, n, nl) == 0)
			return c;
	}
	return NULL;
}

/* Copies the value of parameter key (quoted or token) from a
 * Content-Disposition value into out. 1 found, 0 absent, -1 malformed. */
static int disp_param(const char *v, size_t vl, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);
	size_t i = 0;
	/* Skip the disposition type. */
	while (i < vl && v[i] != ';')
		i++;
	while (i < vl) {
		i++; /* ';' */
		while (i < vl && (v[i] == ' ' || v[i] == '\t'))
			i++;
		size_t ks = i;
		while (i < vl && v[i] != '=' && v[i] != ';')
			i++;
		if (i >= vl || v[i] != '=')
			return i >= vl ? 0 : -1;
		size_t klen = i - ks;
		i++;
		char tmp[MULTIPART_FILENAME_MAX + 1];
		size_t tl = 0;
		if (i < vl && v[i] == '"') {
			i++;
			while (i < vl && v[i] != '"') {
				if (v[i] == '\\' && i + 1 < vl)
					i++;
				if (tl + 1 >= sizeof tmp)
					return -1;
				tmp[tl++] = v[i++];
			}
			if (i >= vl)
				return -1;
			i++;
		} else {
			while (i < vl && v[i] != ';' && v[i] != ' ') {
				if (tl + 1 >= sizeof tmp)
					return -1;
				tmp[tl++] = v[i++];
			}
		}
		while (i < vl && v[i] != ';')
			i++;
		tmp[tl] = '\0';
		if (klen == kl && strncasecmp(v + ks, key, kl) == 0) {
			if (tl + 1 > outlen)
				return -1;
			for (size_t j = 0; j < tl; j++)
				if ((unsigned char)tmp[j] < 0x20 || tmp[j] == 0x7f)
					return -1;
			memcpy(out, tmp, tl + 1);
			return 1;
		}
	}
	return 0;
}

static int fail(mp_form_t *form, char *err, size_t errlen, const char *msg)
{
	multipart_free(form);
	snprintf(err, errlen, "%s", msg);
	return -1;
}

/* Parses the header block [h, h+hl) of one part into p. */
static int part_headers(const unsigned char *h, size_t hl, mp_part_t *p, char *err, size_t errlen)
{
	int have_disp = 0;
	size_t i = 0;
	while (i < hl) {
		const unsigned char *eol = find(h + i, hl - i, (const unsigned char *)"\r\n", 2);
		size_t ll = eol ? (size_t)(eol - (h + i)) : hl - i;
		const char *line = (const char *)h + i;
		const char *colon = memchr(line, ':', ll);
		if (!colon) {
			snprintf(err, errlen, "%s", I18N("a part header has no colon"));
			return -1;
		}
		size_t nl = (size_t)(colon - line);
		const char *v = colon + 1;
		size_t vl = ll - nl - 1;
		while (vl && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		if (nl == 19 && strncasecmp(line, "Content-Disposition", 19) == 0) {
			if (vl < 9 || strncasecmp(v, "form-data", 9) != 0) {
				snprintf(err, errlen, "%s", I18N("a part is not form-data"));
				return -1;
			}
			if (disp_param(v, vl, "name", p->name, sizeof p->name) != 1 || !p->name[0]) {
				snprintf(err, errlen, "%s", I18N("a part has no valid name"));
				return -1;
			}
			if (disp_param(v, vl, "filename", p->filename, sizeof p->filename) < 0) {
				snprintf(err, errlen, "%s", I18N("a part has an invalid file name"));
				return -1;
			}
			have_disp = 1;
		} else if (nl == 12 && strncasecmp(line, "Content-Type", 12) == 0) {
			if (vl > MULTIPART_CTYPE_MAX) {
				snprintf(err, errlen, "%s", I18N("a part's content type is too long"));
				return -1;
			}
			for (size_t j = 0; j < vl; j++)
				if ((unsigned char)v[j] < 0x20 || v[j] == 0x7f) {
					snprintf(err, errlen, "%s", I18N("a part's content type is invalid"));
					return -1;
				}
			memcpy(p->ctype, v, vl);
			p->ctype[vl] = '\0';
		}
		i += ll + 2;
	}
	if (!have_disp) {
		snprintf(err, errlen, "%s", I18N("a part has no Content-Disposition"));
		return -1;
	}
	return 0;
}

int multipart_parse(const unsigned char *body, size_t len, const char *boundary, mp_form_t *form,
	char *err, size_t errlen)
{
	form->parts = NULL;
	form->n = 0;
	size_t bl = strlen(boundary);
	if (bl == 0 || bl > BOUNDARY_MAX)
		return fail(form, err, errlen, I18N("invalid boundary"));
	/* "\r\n--" boundary: the delimiter; the first may sit at offset 0. */
	unsigned char delim[BOUNDARY_MAX + 4];
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, bl);
	size_t dl = bl + 4;
	size_t pos;
	if (len >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0) {
		pos = dl - 2;
	} else {
		const unsigned char *d = find(body, len, delim, dl);
		if (!d)
			return fail(form, err, errlen, I18N("the body has no boundary"));
		pos = (size_t)(d - body) + dl;
	}
	int cap = 0;
	for (;;) {
		/* After a delimiter: "--" ends the body, else CRLF starts a part. */
		if (len - pos >= 2 && body[pos] == '-' && body[pos + 1] == '-')
			return 0;
		while (pos < len && (body[pos] == ' ' || body[pos] == '\t'))
			pos++;
		if (len - pos < 2 || body[pos] != '\r' || body[pos + 1] != '\n')
			return fail(form, err, errlen, I18N("malformed boundary line"));
		pos += 2;
		const unsigned char *hend;
		if (len - pos >= 2 && body[pos] == '\r' && body[pos + 1] == '\n')
			hend = body + pos; /* no headers */
		else
			hend = find(body + pos, len - pos < HEADER_BLOCK_MAX ? len - pos : HEADER_BLOCK_MAX,
				(const unsigned char *)"\r\n\r\n", 4);
		if (!hend)
			return fail(form, err, errlen, I18N("a part's headers do not end"));
		if (form->n == MULTIPART_PARTS_MAX)
			return fail(form, err, errlen, I18N("too many parts"));
		if (form->n == cap) {
			cap = cap ? cap * 2 : 8;
			form->parts = xrealloc(form->parts, (size_t)cap * sizeof *form->parts);
		}
		mp_part_t *p = &form->parts[form->n];
		memset(p, 0, sizeof *p);
		if (hend == body + pos) {
			multipart_free(form);
			snprintf(err, errlen, "%s", I18N("a part has no Content-Disposition"));
			return -1;
		}
		char perr[128];
		if (part_headers(body + pos, (size_t)(hend - (body + pos)), p, perr, sizeof perr) != 0)
			return fail(form, err, errlen, perr);
		pos = (size_t)(hend - body) + 4;
		const unsigned char *d = find(body + pos, len - pos, delim, dl);
		if (!d)
			return fail(form, err, errlen, I18N("a part does not end with the boundary"));
		p->data = body + pos;
		p->len = (size_t)(d - (body + pos));
		form->n++;
		pos = (size_t)(d - body) + dl;
	}
}

void multipart_free(mp_form_t *form)
{
	if (!form)
		return;
	free(form->parts);
	form->parts = NULL;
	form->n = 0;
}

const mp_part_t *multipart_get(const mp_form_t *form, const char *name)
{
	for (int i = 0; i < form->n; i++)
		if (strcmp(form->parts[i].name, name) == 0)
			return &form->parts[i];
	return NULL;
}
