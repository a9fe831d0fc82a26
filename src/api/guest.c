/* The guests' pages of SafeBoxes (see guest.h). */
#include "guest.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "multipart.h"
#include "problem.h"
#include "safebox/safebox.h"
#include "timeutil.h"
#include "xalloc.h"

#define TOKEN_MAX 64    /* a link token's length, at most */
#define SESSION_MAX 128 /* a session cookie's value, at most */
#define PAGE_MAX (8u << 20)

/* ---- pure parsers ---- */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int guest_form_value(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < len && outlen > 0;) {
		size_t end = i;
		while (end < len && body[end] != '&')
			end++;
		if (end - i > nl && memcmp(body + i, name, nl) == 0 && body[i + nl] == '=') {
			size_t o = 0;
			for (size_t k = i + nl + 1; k < end; k++) {
				int ch = (unsigned char)body[k];
				if (ch == '+') {
					ch = ' ';
				} else if (ch == '%') {
					int h = k + 2 < end ? hexval(body[k + 1]) : -1;
					int l = h >= 0 ? hexval(body[k + 2]) : -1;
					if (l < 0)
						return -1;
					ch = h * 16 + l;
					k += 2;
				}
				if (ch == 0 || o + 1 >= outlen)
					return -1;
				out[o++] = (char)ch;
			}
			out[o] = '\0';
			return 0;
		}
		i = end + 1;
	}
	return -1;
}

int guest_cookie_value(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	for (const char *p = header; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t n = strcspn(p, ";");
		if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t vl = n - nl - 1;
			if (vl + 1 > outlen)
				return -1;
			memcpy(out, p + nl + 1, vl);
			out[vl] = '\0';
			return 0;
		}
		p += n;
	}
	return -1;
}

/* ---- paths ---- */

bool guest_path(const char *path)
{
	return path && strncmp(path, "/g/", 3) == 0;
}

/* Splits /g/TOKEN[/ACTION[/ID]] into its parts (token copied). 0 / -1. */
static int split(const char *path, char token[TOKEN_MAX + 1], const char **action,
	const char **id)
{
	const char *t = path + 3;
	size_t n = strcspn(t, "/");
	if (n == 0 || n > TOKEN_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", t[i]))
			return -1;
	memcpy(token, t, n);
	token[n] = '\0';
	*action = t[n] == '/' ? t + n + 1 : "";
	*id = NULL;
	if (strncmp(*action, "files/", 6) == 0) {
		*id = *action + 6;
		*action = "files/";
	}
	return 0;
}

bool guest_upload(const char *method, const char *path)
{
	char token[TOKEN_MAX + 1];
	const char *action, *id;
	return guest_path(path) && strcmp(method, "POST") == 0 &&
		split(path, token, &action, &id) == 0 && strcmp(action, "files") == 0;
}

/* ---- texts ---- */

enum txt {
	T_TITLE, T_ASK, T_SEND_CODE, T_CODE_SENT, T_CODE_LABEL, T_OPEN, T_FROM, T_UNTIL, T_MESSAGES,
	T_NONE, T_FILES, T_NO_FILES, T_DOWNLOAD, T_REPLY, T_SEND, T_UPLOAD, T_UPLOAD_BTN,
	T_VIEW_ONLY, T_BACK, T_ERROR, T_BYTES, T_YOU,
	T_COUNT
};

static const char *const texts[T_COUNT][2] = {
	[T_TITLE] = { "SafeBox", "SafeBox" },
	[T_ASK] = { "To open this SafeBox, confirm that this address is yours: we send a one-time "
		    "code to",
		"Pour ouvrir cette SafeBox, confirmez que cette adresse est la vôtre\u00a0: nous "
		"envoyons un code à usage unique à" },
	[T_SEND_CODE] = { "Send me a code", "M'envoyer un code" },
	[T_CODE_SENT] = { "A code was sent to your address. Enter it below (it works once, for a "
			  "few minutes).",
		"Un code a été envoyé à votre adresse. Saisissez-le ci-dessous (il ne sert qu'une "
		"fois, pendant quelques minutes)." },
	[T_CODE_LABEL] = { "Code", "Code" },
	[T_OPEN] = { "Open", "Ouvrir" },
	[T_FROM] = { "From", "De" },
	[T_UNTIL] = { "Open until (UTC)", "Ouverte jusqu'au (UTC)" },
	[T_MESSAGES] = { "Messages", "Messages" },
	[T_NONE] = { "No message.", "Aucun message." },
	[T_FILES] = { "Files", "Fichiers" },
	[T_NO_FILES] = { "No file.", "Aucun fichier." },
	[T_DOWNLOAD] = { "download", "télécharger" },
	[T_REPLY] = { "Reply", "Répondre" },
	[T_SEND] = { "Send", "Envoyer" },
	[T_UPLOAD] = { "Add a file", "Ajouter un fichier" },
	[T_UPLOAD_BTN] = { "Upload", "Envoyer le fichier" },
	[T_VIEW_ONLY] = { "(view only)", "(consultation seule)" },
	[T_BACK] = { "Back to the SafeBox", "Retour à la SafeBox" },
	[T_ERROR] = { "This did not work", "Cela n'a pas fonctionné" },
	[T_BYTES] = { "bytes", "octets" },
	[T_YOU] = { "You are", "Vous êtes" },
};

static const char *tx(const char *lang, enum txt t)
{
	return texts[t][lang && strcmp(lang, "fr") == 0];
}

/* ---- pages ---- */

static void page_begin(buf_t *b, const char *lang, const char *title)
{
	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
		lang && strcmp(lang, "fr") == 0 ? "fr" : "en");
	buf_put_html(b, title);
	buf_puts(b, "</title>\n</head>\n<body>\n<main>\n<h1>");
	buf_put_html(b, title);
	buf_puts(b, "</h1>\n");
}

static void page_end(buf_t *b, guest_ans_t *a, int status)
{
	buf_puts(b, "</main>\n</body>\n</html>\n");
	a->status = status;
	a->raw.len = b->len;
	a->raw.data = (unsigned char *)buf_steal(b);
	a->raw.ctype = "text/html; charset=utf-8";
}

/* A form posting to /g/TOKEN/action with one button (and, for the code, a
 * field). */
static void form(buf_t *b, const char *token, const char *action, const char *field,
	const char *label, const char *button)
{
	buf_printf(b, "<form method=\"post\" action=\"/g/%s/%s\">\n", token, action);
	if (field)
		buf_printf(b, "<label>%s <input name=\"%s\" inputmode=\"numeric\" "
			"autocomplete=\"one-time-code\" maxlength=\"6\" required></label>\n", label, field);
	buf_printf(b, "<button type=\"submit\">%s</button>\n</form>\n", button);
}

static void page_ask(guest_ans_t *a, const char *lang, const char *token, const char *email,
	bool sent)
{
	buf_t b;
	buf_init(&b, PAGE_MAX);
	page_begin(&b, lang, tx(lang, T_TITLE));
	if (sent) {
		buf_puts(&b, "<p>");
		buf_put_html(&b, tx(lang, T_CODE_SENT));
		buf_puts(&b, "</p>\n");
		form(&b, token, "verify", "code", tx(lang, T_CODE_LABEL), tx(lang, T_OPEN));
	} else {
		buf_puts(&b, "<p>");
		buf_put_html(&b, tx(lang, T_ASK));
		buf_puts(&b, " <strong>");
		buf_put_html(&b, email);
		buf_puts(&b, "</strong>.</p>\n");
		form(&b, token, "code", NULL, NULL, tx(lang, T_SEND_CODE));
		form(&b, token, "verify", "code", tx(lang, T_CODE_LABEL), tx(lang, T_OPEN));
	}
	page_end(&b, a, 200);
}

static void page_error(guest_ans_t *a, const char *lang, const char *token, const dom_err_t *e,
	bool back)
{
	buf_t b;
	buf_init(&b, PAGE_MAX);
	const struct problem_kind *k = problem_lookup(e->kind);
	page_begin(&b, lang, tx(lang, T_ERROR));
	buf_puts(&b, "<p>");
	buf_put_html(&b, lang && strcmp(lang, "fr") == 0 ? k->title_fr : k->title_en);
	buf_puts(&b, "</p>\n<p>");
	buf_put_html(&b, dom_err_detail(e, lang));
	buf_puts(&b, "</p>\n");
	if (back && token)
		buf_printf(&b, "<p><a href=\"/g/%s\">%s</a></p>\n", token, tx(lang, T_BACK));
	page_end(&b, a, k->status);
}

static void when(buf_t *b, const json_t *v)
{
	const char *s = json_string_value(v);
	char t[20];
	snprintf(t, sizeof t, "%s", s ? s : "");
	if (strlen(t) >= 16) {
		t[10] = ' ';
		t[16] = '\0';
	}
	buf_put_html(b, t);
}

static void page_box(guest_ans_t *a, const char *lang, const char *token, const json_t *v)
{
	buf_t b;
	buf_init(&b, PAGE_MAX);
	const char *subject = json_string_value(json_object_get(v, "subject"));
	page_begin(&b, lang, subject ? subject : tx(lang, T_TITLE));
	buf_printf(&b, "<p>%s ", tx(lang, T_FROM));
	buf_put_html(&b, json_string_value(json_object_get(v, "owner")));
	buf_printf(&b, ". %s ", tx(lang, T_YOU));
	buf_put_html(&b, json_string_value(json_object_get(v, "email")));
	buf_printf(&b, ". %s: ", tx(lang, T_UNTIL));
	when(&b, json_object_get(v, "expires_at"));
	buf_printf(&b, "</p>\n<h2>%s</h2>\n", tx(lang, T_MESSAGES));
	const json_t *msgs = json_object_get(v, "messages"), *files = json_object_get(v, "files");
	if (json_array_size(msgs) == 0)
		buf_printf(&b, "<p>%s</p>\n", tx(lang, T_NONE));
	size_t i;
	const json_t *m;
	json_array_foreach(msgs, i, m) {
		buf_puts(&b, "<article>\n<p><strong>");
		buf_put_html(&b, json_string_value(json_object_get(json_object_get(m, "author"), "email")));
		buf_puts(&b, "</strong>, ");
		when(&b, json_object_get(m, "created_at"));
		buf_puts(&b, "</p>\n<pre>");
		const char *body = json_string_value(json_object_get(m, "body"));
		buf_put_html(&b, body ? body : "");
		buf_puts(&b, "</pre>\n</article>\n");
	}
	bool dl = json_is_true(json_object_get(v, "guest_download"));
	buf_printf(&b, "<h2>%s</h2>\n", tx(lang, T_FILES));
	if (json_array_size(files) == 0)
		buf_printf(&b, "<p>%s</p>\n", tx(lang, T_NO_FILES));
	else
		buf_puts(&b, "<ul>\n");
	json_array_foreach(files, i, m) {
		buf_puts(&b, "<li>");
		buf_put_html(&b, json_string_value(json_object_get(m, "filename")));
		buf_printf(&b, " (%lld %s) ", (long long)json_integer_value(json_object_get(m, "size")),
			tx(lang, T_BYTES));
		if (dl)
			buf_printf(&b, "<a href=\"/g/%s/files/%s\" download>%s</a>", token,
				json_string_value(json_object_get(m, "id")), tx(lang, T_DOWNLOAD));
		else
			buf_put_html(&b, tx(lang, T_VIEW_ONLY));
		buf_puts(&b, "</li>\n");
	}
	if (json_array_size(files))
		buf_puts(&b, "</ul>\n");
	if (json_is_true(json_object_get(v, "guest_reply")) &&
	    strcmp(json_string_value(json_object_get(v, "status")), "open") == 0) {
		buf_printf(&b, "<h2>%s</h2>\n<form method=\"post\" action=\"/g/%s/messages\">\n"
			"<textarea name=\"message\" rows=\"6\" cols=\"60\" maxlength=\"%d\" required>"
			"</textarea>\n<button type=\"submit\">%s</button>\n</form>\n", tx(lang, T_REPLY),
			token, SAFEBOX_MESSAGE_MAX, tx(lang, T_SEND));
		buf_printf(&b, "<h2>%s</h2>\n<form method=\"post\" action=\"/g/%s/files\" "
			"enctype=\"multipart/form-data\">\n<input type=\"file\" name=\"file\" required>\n"
			"<button type=\"submit\">%s</button>\n</form>\n", tx(lang, T_UPLOAD), token,
			tx(lang, T_UPLOAD_BTN));
	}
	page_end(&b, a, 200);
}

/* ---- serving ---- */

static const char *email_of(const json_t *part)
{
	const char *s = json_string_value(json_object_get(part, "email"));
	return s ? s : "";
}

static void finish_tx(dom_ctx_t *c, int rc)
{
	if (!c->tx)
		return;
	if (rc == 0 || c->keep_on_error)
		store_commit(c->tx);
	else
		store_rollback(c->tx);
	c->tx = NULL;
}

/* The route pattern of a request, for logs and metrics. */
static const char *pattern_of(const char *action)
{
	if (!*action)
		return "/g/{token}";
	if (strcmp(action, "code") == 0)
		return "/g/{token}/code";
	if (strcmp(action, "verify") == 0)
		return "/g/{token}/verify";
	if (strcmp(action, "messages") == 0)
		return "/g/{token}/messages";
	if (strcmp(action, "files") == 0)
		return "/g/{token}/files";
	if (strcmp(action, "files/") == 0)
		return "/g/{token}/files/{file_id}";
	return "/g/{token}/{unknown}";
}

/* The method each action takes. */
static bool method_ok(const char *method, const char *action)
{
	bool get = !*action || strcmp(action, "files/") == 0;
	return strcmp(method, get ? "GET" : "POST") == 0 ||
		(get && strcmp(method, "HEAD") == 0);
}

static int upload(dom_ctx_t *c, sb_guest_t *g, const guest_req_t *q, dom_err_t *e)
{
	char boundary[80], err[160];
	mp_form_t f = { 0 };
	if (multipart_boundary(q->ctype, boundary, sizeof boundary) != 0)
		return dom_fail(e, "unsupported-media-type", "", "send multipart/form-data with a boundary");
	if (multipart_parse(q->body ? q->body : (const unsigned char *)"", q->len, boundary, &f, err,
		    sizeof err) != 0)
		return dom_fail_text(e, "invalid-multipart", "", err);
	const mp_part_t *file = f.n == 1 ? multipart_get(&f, "file") : NULL;
	int rc = file ? dom_sb_guest_upload(c, g, file->data, file->len, file->filename, file->ctype, e)
		: dom_fail(e, "validation-failed", "file", "send exactly one part, named \"file\"");
	multipart_free(&f);
	return rc;
}

void guest_serve(store_t *st, const dom_config_t *cfg, const guest_req_t *q, guest_ans_t *a)
{
	memset(a, 0, sizeof *a);
	const char *lang = q->lang ? q->lang : "en";
	char token[TOKEN_MAX + 1], session[SESSION_MAX + 1] = "";
	const char *action = "", *file_id = NULL;
	dom_err_t e = { 0 };
	a->route = "/g/{token}";
	if (split(q->path, token, &action, &file_id) != 0) {
		dom_fail(&e, "not-found", "", "this SafeBox link is unknown or no longer valid");
		page_error(a, lang, NULL, &e, false);
		return;
	}
	a->route = pattern_of(action);
	if (strcmp(a->route, "/g/{token}/{unknown}") == 0) {
		dom_fail(&e, "not-found", "", "no such path");
		page_error(a, lang, token, &e, true);
		return;
	}
	if (q->too_large) {
		dom_fail(&e, "payload-too-large", "", "this request's body may be at most %zu bytes",
			q->too_large);
		page_error(a, lang, token, &e, true);
		return;
	}
	if (!method_ok(q->method, action)) {
		dom_fail(&e, "method-not-allowed", "", "this path does not take %.16s", q->method);
		page_error(a, lang, token, &e, true);
		return;
	}
	if (q->cookie)
		guest_cookie_value(q->cookie, GUEST_COOKIE, session, sizeof session);
	store_tx_t *tx = store_begin(st, true);
	if (!tx) {
		dom_fail(&e, "unavailable", "", "the database is not reachable");
		page_error(a, lang, token, &e, false);
		return;
	}
	dom_ctx_t c = { .store = st, .tx = tx, .source = q->peer, .request_id = q->rid, .lang = lang,
		.cfg = cfg };
	sb_guest_t g = { 0 };
	int rc = dom_sb_guest_open(&c, token, session, &g, &e);
	json_t *view = NULL;
	bool back = true;
	if (rc == 0 && !*action) {
		if (g.verified) {
			rc = dom_sb_guest_view(&c, &g, &view, &e);
		} else {
			finish_tx(&c, 0);
			page_ask(a, lang, token, email_of(g.part), false);
			sb_guest_clear(&g);
			return;
		}
	} else if (rc == 0 && strcmp(action, "code") == 0) {
		rc = dom_sb_guest_code(&c, &g, &e);
		if (rc == 0) {
			finish_tx(&c, 0);
			page_ask(a, lang, token, email_of(g.part), true);
			sb_guest_clear(&g);
			return;
		}
	} else if (rc == 0 && strcmp(action, "verify") == 0) {
		char code[16] = "";
		char *tok = NULL;
		guest_form_value((const char *)q->body, q->len, "code", code, sizeof code);
		rc = dom_sb_guest_verify(&c, &g, code, &tok, &e);
		if (rc == 0) {
			snprintf(a->set_cookie, sizeof a->set_cookie, "%s=%s; Path=/g/; Max-Age=%d; HttpOnly; "
				"SameSite=Strict%s", GUEST_COOKIE, tok, SAFEBOX_GUEST_SESSION_MINUTES * 60,
				q->secure ? "; Secure" : "");
			free(tok);
			g.verified = true;
			rc = dom_sb_guest_view(&c, &g, &view, &e);
		}
	} else if (rc == 0 && strcmp(action, "messages") == 0) {
		char *text = xmalloc(SAFEBOX_MESSAGE_MAX + 1);
		if (guest_form_value((const char *)q->body, q->len, "message", text,
			    SAFEBOX_MESSAGE_MAX + 1) != 0)
			text[0] = '\0';
		rc = dom_sb_guest_reply(&c, &g, text, &e);
		free(text);
		if (rc == 0)
			rc = dom_sb_guest_view(&c, &g, &view, &e);
	} else if (rc == 0 && strcmp(action, "files") == 0) {
		rc = upload(&c, &g, q, &e);
		if (rc == 0)
			rc = dom_sb_guest_view(&c, &g, &view, &e);
	} else if (rc == 0) { /* files/ID */
		char name[sizeof a->raw.filename];
		rc = dom_sb_guest_download(&c, &g, file_id, &a->raw.data, &a->raw.len, name,
			sizeof name, &e);
		if (rc == 0) {
			finish_tx(&c, 0);
			a->status = 200;
			a->raw.ctype = "application/octet-stream";
			a->raw.disposition = "attachment";
			snprintf(a->raw.filename, sizeof a->raw.filename, "%s", name);
			sb_guest_clear(&g);
			return;
		}
	}
	if (rc != 0 && strcmp(e.kind, "unauthenticated") == 0 && g.part) {
		/* Not verified (or the session ended): the page that asks for a code. */
		finish_tx(&c, -1);
		page_ask(a, lang, token, email_of(g.part), false);
		a->status = 401;
		sb_guest_clear(&g);
		return;
	}
	back = g.part != NULL;
	finish_tx(&c, rc);
	if (rc == 0)
		page_box(a, lang, token, view);
	else
		page_error(a, lang, back ? token : NULL, &e, back);
	json_decref(view);
	sb_guest_clear(&g);
}
