/* Received mail to fax parts with GMime (see smtp_mime.h). */
#include "smtp_mime.h"

#include <gmime/gmime.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* The character sets mail is written in that GMime converts to UTF-8
 * through iconv: ISO 8859, Windows, KOI8, Mac, the Unicode forms, and the
 * Chinese, Japanese and Korean ones. */
static const char *const mail_charsets[] = { "ISO-8859-1", "ISO-8859-2", "ISO-8859-3",
	"ISO-8859-4", "ISO-8859-5", "ISO-8859-6", "ISO-8859-7", "ISO-8859-8", "ISO-8859-9",
	"ISO-8859-10", "ISO-8859-13", "ISO-8859-14", "ISO-8859-15", "ISO-8859-16", "CP1250",
	"CP1251", "CP1252", "CP1253", "CP1254", "CP1255", "CP1256", "CP1257", "CP1258", "KOI8-R",
	"KOI8-U", "MACINTOSH", "CP850", "CP866", "UTF-7", "UTF-16", "UTF-16BE", "UTF-16LE",
	"UTF-32", "SHIFT_JIS", "CP932", "EUC-JP", "ISO-2022-JP", "GB2312", "GBK", "GB18030",
	"BIG5", "BIG5-HKSCS", "EUC-KR", "ISO-2022-KR", "CP949", "EUC-TW", "TIS-620", "VISCII",
	"ARMSCII-8", "GEORGIAN-PS" };

int smtp_mime_preload_charsets(void)
{
	/* Opened once and never closed: glibc keeps a gconv module loaded
	 * while a descriptor uses it, and finds it again by name, so GMime's
	 * own iconv_open for these sets reads no file afterwards (the SMTP
	 * front end's root is then empty, and its filter refuses opening
	 * files). The configuration of the modules is read once, here. */
	static iconv_t open_cd[sizeof mail_charsets / sizeof mail_charsets[0]];
	int n = 0;
	for (size_t i = 0; i < sizeof mail_charsets / sizeof mail_charsets[0]; i++) {
		if (open_cd[i] && open_cd[i] != (iconv_t)-1) {
			n++;
			continue;
		}
		open_cd[i] = iconv_open("UTF-8", mail_charsets[i]);
		if (open_cd[i] != (iconv_t)-1)
			n++;
	}
	return n;
}

void smtp_mime_init(void)
{
	g_mime_init();
}

void smtp_mail_free(smtp_mail_t *m)
{
	free(m->subject);
	free(m->body);
	for (int i = 0; i < m->nparts; i++)
		free(m->parts[i].data);
	memset(m, 0, sizeof *m);
}

/* How many multipart containers and embedded messages msg declares, by
 * counting, without case, the header parameters that open one: a bound on
 * the depth GMime will recurse to, known before it starts. */
size_t smtp_mime_containers(const uint8_t *msg, size_t len)
{
	static const char *const keys[] = { "boundary=", "message/rfc822", "message/global" };
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = msg[i] | 0x20;
		if (c != 'b' && c != 'm')
			continue;
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			size_t kl = strlen(keys[k]);
			if (len - i >= kl && strncasecmp((const char *)msg + i, keys[k], kl) == 0)
				n++;
		}
	}
	return n;
}

/* Copies s into out as valid UTF-8 without control characters (each
 * becomes a space; invalid sequences are dropped). New string. */
static char *clean_text(const char *s, size_t max, bool keep_newlines)
{
	size_t n = strlen(s);
	if (n > max)
		n = max;
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t l = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		if (l == 0 || i + l > n) {
			i++;
			continue;
		}
		if (l > 1 && !g_utf8_validate(s + i, (gssize)l, NULL)) {
			i++;
			continue;
		}
		if (l == 1 && (c < 0x20 || c == 0x7f)) {
			if (keep_newlines && c == '\n')
				out[o++] = '\n';
			else if (c != '\r')
				out[o++] = ' ';
			i++;
			continue;
		}
		memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	return out;
}

static void copy_lower(char *out, size_t cap, const char *s)
{
	size_t i = 0;
	for (; s && s[i] && i + 1 < cap; i++)
		out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i]);
	out[i] = '\0';
}

/* The last path component of a file name, printable ASCII only. */
static void clean_filename(char *out, size_t cap, const char *s)
{
	const char *b = s ? s : "";
	for (const char *p = b; *p; p++)
		if (*p == '/' || *p == '\\')
			b = p + 1;
	size_t o = 0;
	for (; *b && o + 1 < cap; b++)
		out[o++] = (*b > 0x20 && *b < 0x7f) ? *b : '_';
	out[o] = '\0';
}

struct walk {
	smtp_mail_t *m;
	bool too_many;
};

static void visit(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	(void)parent;
	struct walk *w = data;
	if (!GMIME_IS_PART(part) || w->too_many)
		return;
	GMimeContentType *ct = g_mime_object_get_content_type(part);
	const char *type = ct ? g_mime_content_type_get_media_type(ct) : "text";
	const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";
	bool text = type && strcasecmp(type, "text") == 0;
	bool attachment = g_mime_part_is_attachment(GMIME_PART(part)) ||
		g_mime_part_get_filename(GMIME_PART(part)) != NULL;
	if (text && !attachment) {
		/* The first plain text is the body; HTML alternatives are left. */
		if (!w->m->body && sub && strcasecmp(sub, "plain") == 0 && GMIME_IS_TEXT_PART(part)) {
			char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
			if (t) {
				w->m->body = clean_text(t, 1 << 20, true);
				g_free(t);
			}
		}
		return;
	}
	if (w->m->nparts == SMTP_PARTS_MAX) {
		w->too_many = true;
		return;
	}
	GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(part));
	GByteArray *ba = g_byte_array_new();
	GMimeStream *ms = g_mime_stream_mem_new_with_byte_array(ba);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(ms), FALSE);
	if (dw)
		g_mime_data_wrapper_write_to_stream(dw, ms);
	g_object_unref(ms);
	smtp_part_t *p = &w->m->parts[w->m->nparts++];
	p->len = ba->len;
	p->data = xmalloc(ba->len ? ba->len : 1);
	if (ba->len)
		memcpy(p->data, ba->data, ba->len);
	g_byte_array_free(ba, TRUE);
	char t[64];
	snprintf(t, sizeof t, "%s/%s", type ? type : "application", sub ? sub : "octet-stream");
	copy_lower(p->type, sizeof p->type, t);
	clean_filename(p->filename, sizeof p->filename, g_mime_part_get_filename(GMIME_PART(part)));
}

/* The single From: mailbox into m->from; 0 / -1. */
static int take_from(GMimeMessage *msg, smtp_mail_t *m)
{
	InternetAddressList *l = g_mime_message_get_from(msg);
	if (!l || internet_address_list_length(l) != 1)
		return -1;
	InternetAddress *a = internet_address_list_get_address(l, 0);
	if (!INTERNET_ADDRESS_IS_MAILBOX(a))
		return -1;
	const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
	if (!addr || !*addr || strlen(addr) > SMTP_ADDR_MAX)
		return -1;
	const char *at = strchr(addr, '@');
	if (!at || at == addr || !at[1] || strchr(at + 1, '@'))
		return -1;
	for (const char *p = addr; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return -1;
	copy_lower(m->from, sizeof m->from, addr);
	return 0;
}

GMimeMessage *smtp_mime_construct(const uint8_t *msg, size_t len)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer((const char *)msg, len);
	GMimeParser *ps = g_mime_parser_new_with_stream(st);
	g_object_unref(st);
	GMimeMessage *gm = g_mime_parser_construct_message(ps, NULL);
	g_object_unref(ps);
	return gm;
}

enum smtp_mime_fail smtp_mime_parse(const uint8_t *msg, size_t len, smtp_mail_t *m)
{
	memset(m, 0, sizeof *m);
	if (smtp_mime_containers(msg, len) > SMTP_CONTAINERS_MAX)
		return SMTP_MIME_TOO_DEEP;
	GMimeMessage *gm = smtp_mime_construct(msg, len);
	if (!gm)
		return SMTP_MIME_MALFORMED;
	enum smtp_mime_fail rc = SMTP_MIME_OK;
	if (take_from(gm, m) != 0) {
		rc = SMTP_MIME_NO_FROM;
	} else {
		const char *s = g_mime_message_get_subject(gm);
		if (s)
			m->subject = clean_text(s, SMTP_SUBJECT_MAX, false);
		struct walk w = { .m = m };
		g_mime_message_foreach(gm, visit, &w);
		if (w.too_many)
			rc = SMTP_MIME_TOO_MANY;
	}
	g_object_unref(gm);
	if (rc != SMTP_MIME_OK)
		smtp_mail_free(m);
	return rc;
}
