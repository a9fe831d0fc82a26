/* Delivery status notifications read back (see smtp_dsn.h). */
#include "smtp_dsn.h"

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp_mime.h"

#define FIELDS_MAX (64u * 1024u) /* bytes of the delivery-status part read */

int smtp_dsn_status_valid(const char *s)
{
	if ((s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	s += 2;
	for (int part = 0; part < 2; part++) {
		int digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			s++;
			digits++;
		}
		if (digits < 1 || digits > 3)
			return 0;
		if (part == 0 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

/* One recipient's fields as read, before they are checked. */
struct group {
	char action[16], status[SMTP_DSN_STATUS_MAX + 1], recipient[SMTP_ADDR_MAX + 1];
	char diagnostic[SMTP_DSN_DIAG_MAX + 1];
	bool any;
};

/* The value after "type;" (or the whole value without one), blanks
 * trimmed, as printable ASCII (anything else a blank), cut to n - 1. */
static void typed_value(const char *v, size_t vl, char *out, size_t n, bool typed)
{
	const char *semi = typed ? memchr(v, ';', vl) : NULL;
	if (semi) {
		vl -= (size_t)(semi + 1 - v);
		v = semi + 1;
	}
	while (vl && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	size_t o = 0;
	for (size_t i = 0; i < vl && o + 1 < n; i++) {
		unsigned char c = (unsigned char)v[i];
		char w = c >= 0x20 && c < 0x7f ? (char)c : ' ';
		if (w == ' ' && (o == 0 || out[o - 1] == ' '))
			continue; /* runs of blanks (and the folding) as one */
		out[o++] = w;
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* The first word of s, lower-cased, into out (n bytes), or "" if longer. */
static void first_word(const char *s, char *out, size_t n)
{
	size_t i = 0;
	for (; s[i] && s[i] != ' ' && s[i] != '('; i++) {
		if (i + 1 >= n) {
			out[0] = '\0';
			return;
		}
		out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	}
	out[i] = '\0';
}

static void field(struct group *g, const char *name, size_t nl, const char *v, size_t vl)
{
	char tmp[SMTP_DSN_DIAG_MAX + 1];
	if (nl == 6 && strncasecmp(name, "Action", 6) == 0) {
		typed_value(v, vl, tmp, sizeof tmp, false);
		first_word(tmp, g->action, sizeof g->action);
	} else if (nl == 6 && strncasecmp(name, "Status", 6) == 0) {
		typed_value(v, vl, tmp, sizeof tmp, false);
		first_word(tmp, g->status, sizeof g->status);
	} else if (nl == 15 && strncasecmp(name, "Final-Recipient", 15) == 0) {
		typed_value(v, vl, tmp, sizeof tmp, true);
		first_word(tmp, g->recipient, sizeof g->recipient);
	} else if (nl == 15 && strncasecmp(name, "Diagnostic-Code", 15) == 0) {
		typed_value(v, vl, g->diagnostic, sizeof g->diagnostic, true);
	} else {
		return;
	}
	g->any = true;
}

/* How much a recipient's action counts: failed, delayed, then the others
 * of RFC 3464; 0 for an action it does not define (not taken). */
static int rank(const char *action)
{
	if (strcmp(action, "failed") == 0)
		return 3;
	if (strcmp(action, "delayed") == 0)
		return 2;
	return strcmp(action, "delivered") == 0 || strcmp(action, "relayed") == 0 ||
		strcmp(action, "expanded") == 0;
}

/* Keeps g in *best when it is valid and ranks above what *best holds. */
static void consider(const struct group *g, smtp_dsn_t *best, int *best_rank)
{
	if (!g->any || !g->action[0] || !smtp_dsn_status_valid(g->status))
		return;
	int r = rank(g->action);
	if (r == 0 || r <= *best_rank)
		return;
	*best_rank = r;
	snprintf(best->action, sizeof best->action, "%s", g->action);
	snprintf(best->status, sizeof best->status, "%s", g->status);
	snprintf(best->recipient, sizeof best->recipient, "%s", g->recipient);
	snprintf(best->diagnostic, sizeof best->diagnostic, "%s", g->diagnostic);
}

int smtp_dsn_fields(const char *p, size_t n, smtp_dsn_t *d)
{
	memset(d, 0, sizeof *d);
	struct group g;
	memset(&g, 0, sizeof g);
	int best = 0;
	/* The field being read: its name and its value (folded lines included). */
	const char *name = NULL, *val = NULL;
	size_t nl = 0, vl = 0;
	for (size_t i = 0;;) {
		bool last = i >= n;
		size_t e = i;
		while (e < n && p[e] != '\n')
			e++;
		const char *line = last ? p + n : p + i;
		size_t len = last ? 0 : e - i;
		if (len && line[len - 1] == '\r')
			len--;
		if (!last && len && (line[0] == ' ' || line[0] == '\t')) {
			if (name)
				vl = (size_t)(line + len - val);
			i = e + 1;
			continue;
		}
		if (name)
			field(&g, name, nl, val, vl);
		name = NULL;
		if (last || len == 0) {
			/* A blank line ends a group: the message's fields (no
			 * Action), then one per recipient. */
			consider(&g, d, &best);
			memset(&g, 0, sizeof g);
			if (last)
				break;
		} else {
			const char *colon = memchr(line, ':', len);
			if (colon && colon > line) {
				name = line;
				nl = (size_t)(colon - line);
				while (nl && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
					nl--;
				val = colon + 1;
				vl = (size_t)(line + len - val);
			}
		}
		i = e + 1;
	}
	if (!best) {
		memset(d, 0, sizeof *d);
		return -1;
	}
	return 0;
}

/* The bytes of the delivery-status part, decoded, at most FIELDS_MAX: a
 * leaf part's content, or (should GMime have read the fields as an
 * embedded message's header) that message written out again. */
static GByteArray *part_bytes(GMimeObject *o)
{
	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		char *txt = m ? g_mime_object_to_string(GMIME_OBJECT(m), NULL) : NULL;
		if (!txt)
			return NULL;
		size_t n = strlen(txt);
		GByteArray *ba = g_byte_array_new();
		g_byte_array_append(ba, (const guint8 *)txt, (guint)(n > FIELDS_MAX ? FIELDS_MAX : n));
		g_free(txt);
		return ba;
	}
	if (!GMIME_IS_PART(o))
		return NULL;
	GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(o));
	if (!dw)
		return NULL;
	GByteArray *ba = g_byte_array_new();
	GMimeStream *ms = g_mime_stream_mem_new_with_byte_array(ba);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(ms), FALSE);
	g_mime_data_wrapper_write_to_stream(dw, ms);
	g_object_unref(ms);
	if (ba->len > FIELDS_MAX)
		g_byte_array_set_size(ba, FIELDS_MAX);
	return ba;
}

int smtp_dsn_parse(const uint8_t *msg, size_t len, smtp_dsn_t *d)
{
	memset(d, 0, sizeof *d);
	if (len > SMTP_DSN_MAX_BYTES || smtp_mime_containers(msg, len) > SMTP_CONTAINERS_MAX)
		return -1;
	GMimeMessage *gm = smtp_mime_construct(msg, len);
	if (!gm)
		return -1;
	int rc = -1;
	GMimeObject *top = g_mime_message_get_mime_part(gm);
	GMimeContentType *ct = top ? g_mime_object_get_content_type(top) : NULL;
	const char *rt = ct ? g_mime_content_type_get_parameter(ct, "report-type") : NULL;
	if (top && GMIME_IS_MULTIPART(top) && g_mime_content_type_is_type(ct, "multipart", "report") &&
	    rt && strcasecmp(rt, "delivery-status") == 0) {
		GMimeMultipart *mp = GMIME_MULTIPART(top);
		int n = g_mime_multipart_get_count(mp);
		for (int i = 0; i < n && rc != 0; i++) {
			GMimeObject *c = g_mime_multipart_get_part(mp, i);
			GMimeContentType *cct = g_mime_object_get_content_type(c);
			if (!cct ||
			    !(g_mime_content_type_is_type(cct, "message", "delivery-status") ||
				    g_mime_content_type_is_type(cct, "message", "global-delivery-status")))
				continue;
			GByteArray *ba = part_bytes(c);
			if (ba) {
				rc = smtp_dsn_fields((const char *)ba->data, ba->len, d);
				g_byte_array_free(ba, TRUE);
			}
		}
	}
	g_object_unref(gm);
	if (rc != 0)
		memset(d, 0, sizeof *d);
	return rc;
}
