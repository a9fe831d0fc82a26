/* libcurl client, status mapping and problem+json rendering (see cli_http.h). */
#include "cli_http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "cli_out.h"
#include "cli_msg.h"
#include "xalloc.h"

struct sink {
	struct cli_http_resp *resp;
	int overflow;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	if (buf_append(&s->resp->body, p, n) != 0) {
		s->overflow = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

long cli_http_seconds(const char *v, size_t n)
{
	long secs = 0;
	if (n == 0 || n > 6)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		secs = secs * 10 + (v[i] - '0');
	}
	return secs <= 86400 ? secs : -1;
}

/* Copies the value v[0..n) into out (outlen bytes with the NUL), cut. */
static void header_copy(const char *v, size_t n, char *out, size_t outlen)
{
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	const char *colon = memchr(p, ':', n);
	if (!colon)
		return n;
	size_t klen = (size_t)(colon - p);
	const char *v = colon + 1, *e = p + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && isspace((unsigned char)e[-1]))
		e--;
	size_t len = (size_t)(e - v);
	struct cli_http_resp *r = s->resp;
	if (klen == 12 && strncasecmp(p, "x-request-id", klen) == 0) {
		header_copy(v, len, r->request_id, sizeof r->request_id);
	} else if (klen == 11 && strncasecmp(p, "retry-after", klen) == 0) {
		r->retry_after = cli_http_seconds(v, len);
	} else if (klen == 15 && strncasecmp(p, "ratelimit-reset", klen) == 0) {
		r->ratelimit_reset = cli_http_seconds(v, len);
	} else if (klen == 12 && strncasecmp(p, "content-type", klen) == 0) {
		const char *semi = memchr(v, ';', len);
		size_t tl = semi ? (size_t)(semi - v) : len;
		while (tl && isspace((unsigned char)v[tl - 1]))
			tl--;
		header_copy(v, tl, r->content_type, sizeof r->content_type);
		for (char *c = r->content_type; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	return n;
}

int cli_http_url_insecure(const char *url)
{
	static const char scheme[] = "http://";
	if (strncasecmp(url, scheme, sizeof scheme - 1) != 0)
		return 0;
	const char *host = url + sizeof scheme - 1;
	const char *at = NULL;
	for (const char *p = host; *p && *p != '/' && *p != '?' && *p != '#'; p++)
		if (*p == '@')
			at = p;
	if (at)
		host = at + 1;
	size_t n = 0;
	if (host[0] == '[') {
		while (host[n] && host[n] != ']')
			n++;
		char after = host[n] == ']' ? host[n + 1] : 'x';
		int end = after == '\0' || after == ':' || after == '/' || after == '?' || after == '#';
		return !(n == 4 && memcmp(host, "[::1", 4) == 0 && end);
	}
	while (host[n] && host[n] != ':' && host[n] != '/' && host[n] != '?' && host[n] != '#')
		n++;
	if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
		return 0;
	if (n >= 4 && memcmp(host, "127.", 4) == 0) {
		for (size_t i = 4; i < n; i++)
			if (!(host[i] == '.' || (host[i] >= '0' && host[i] <= '9')))
				return 1;
		return 0;
	}
	return 1;
}

int cli_http_header_ok(const char *value, size_t max)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++, n++)
		if (*p < 0x20 || *p == 0x7f || n >= max)
			return -1;
	return 0;
}

/* The multipart/form-data body of parts, or NULL with a message in err
 * (a file that cannot be read). Released with curl_mime_free(). */
static curl_mime *mime_build(CURL *c, const struct cli_http_part *parts, size_t n, buf_t *err)
{
	if (n > CLI_HTTP_PARTS_MAX) {
		buf_printf(err, cli_tr("more than %d form fields"), CLI_HTTP_PARTS_MAX);
		return NULL;
	}
	curl_mime *m = curl_mime_init(c);
	if (!m) {
		buf_puts(err, cli_tr("cannot build the form"));
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct cli_http_part *p = &parts[i];
		curl_mimepart *part = curl_mime_addpart(m);
		CURLcode rc = part ? curl_mime_name(part, p->name) : CURLE_OUT_OF_MEMORY;
		if (rc == CURLE_OK && p->file) {
			rc = curl_mime_filedata(part, p->file);
			if (rc == CURLE_OK)
				rc = curl_mime_type(part, p->type ? p->type : "application/octet-stream");
		} else if (rc == CURLE_OK) {
			rc = curl_mime_data(part, p->value ? p->value : "", CURL_ZERO_TERMINATED);
		}
		if (rc != CURLE_OK) {
			if (p->file)
				buf_printf(err, cli_tr("cannot read %s: %s"), p->file, curl_easy_strerror(rc));
			else
				buf_printf(err, cli_tr("cannot build the form field %s"), p->name);
			curl_mime_free(m);
			return NULL;
		}
	}
	return m;
}

int cli_http_request(const struct cli_http_req *req, struct cli_http_resp *resp, buf_t *err)
{
	const char *base_url = req->base_url, *method = req->method, *path = req->path;
	const char *json_body = req->json_body, *token = req->token, *lang = req->lang;
	memset(resp, 0, sizeof *resp);
	resp->retry_after = resp->ratelimit_reset = -1;
	buf_init(&resp->body, CLI_HTTP_BODY_MAX);

	size_t bl = strlen(base_url);
	while (bl && base_url[bl - 1] == '/')
		bl--;
	char *url = xasprintf("%.*s%s", (int)bl, base_url, path);
	CURL *c = curl_easy_init();
	if (!c) {
		buf_puts(err, cli_tr("cannot start the HTTP client"));
		free(url);
		return -1;
	}
	struct sink sink = { resp, 0 };
	struct curl_slist *hdr = NULL;
	char *auth = NULL, *accept_lang = NULL, *idem = NULL, *accept = NULL;
	if (req->accept && cli_http_header_ok(req->accept, 200) == 0) {
		accept = xasprintf("Accept: %s, application/problem+json", req->accept);
		hdr = curl_slist_append(hdr, accept);
	} else {
		hdr = curl_slist_append(hdr, "Accept: application/json, application/problem+json");
	}
	if (json_body && req->nparts == 0)
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (lang && lang[0]) {
		accept_lang = xasprintf("Accept-Language: %s", lang);
		hdr = curl_slist_append(hdr, accept_lang);
	}
	if (req->idempotency_key && cli_http_header_ok(req->idempotency_key, CLI_HTTP_IDEM_MAX) == 0) {
		idem = xasprintf("Idempotency-Key: %s", req->idempotency_key);
		hdr = curl_slist_append(hdr, idem);
	}
	if (token) {
		auth = xasprintf("Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	/* No "Expect: 100-continue" round trip for bodies. */
	hdr = curl_slist_append(hdr, "Expect:");

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "faxvault/" FV_VERSION);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CLI_HTTP_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, req->timeout_s > 0 ? req->timeout_s : CLI_HTTP_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
	curl_mime *mime = NULL;
	int ret = 0;
	if (req->nparts > 0) {
		mime = mime_build(c, req->parts, req->nparts, err);
		if (!mime) {
			ret = -1;
			goto out;
		}
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	} else if (json_body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json_body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json_body));
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0) {
		/* POST without a body: an empty one, and no form content type
		 * (curl would add one). */
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		hdr = curl_slist_append(hdr, "Content-Type:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	}

	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (sink.overflow)
			buf_printf(err, cli_tr("answer from %s is larger than %u bytes"), url, CLI_HTTP_BODY_MAX);
		else if (mime && rc == CURLE_READ_ERROR)
			buf_puts(err, cli_tr("a file to upload could not be read while sending"));
		else
			buf_printf(err, cli_tr("cannot reach %s: %s"), url, curl_easy_strerror(rc));
		resp->status = 0;
		ret = -1;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	}
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	curl_mime_free(mime);
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	free(accept_lang);
	free(accept);
	free(idem);
	free(url);
	return ret;
}

void cli_http_resp_free(struct cli_http_resp *resp)
{
	if (!resp)
		return;
	buf_free(&resp->body);
}

static int unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

char *cli_http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = xmalloc(n * 3 + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

char *cli_http_path(const char *fmt, ...)
{
	buf_t b;
	buf_init(&b, (size_t)1 << 20);
	va_list ap;
	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			buf_append(&b, p, 1);
			continue;
		}
		p++;
		if (*p == 's') {
			char *e = cli_http_escape(va_arg(ap, const char *));
			buf_puts(&b, e);
			free(e);
		} else if (*p == '%') {
			buf_append(&b, "%", 1);
		} else {
			/* A programming error in a literal format: stop here. */
			break;
		}
	}
	va_end(ap);
	return buf_steal(&b);
}

void cli_http_query_add(buf_t *path, const char *key, const char *value)
{
	if (!value || !value[0])
		return;
	char *e = cli_http_escape(value);
	int has_q = path->data && strchr(path->data, '?');
	buf_printf(path, "%c%s=%s", has_q ? '&' : '?', key, e);
	free(e);
}

int cli_http_exit_code(long status)
{
	if (status >= 200 && status < 300)
		return CLI_EXIT_OK;
	switch (status) {
	case 0:
		return CLI_EXIT_SERVER;
	case 401:
		return CLI_EXIT_UNAUTH;
	case 403:
		return CLI_EXIT_FORBIDDEN;
	case 404:
	case 410:
		return CLI_EXIT_NOTFOUND;
	case 400:
	case 409:
	case 413:
	case 415:
	case 422:
		return CLI_EXIT_INVALID;
	case 429:
		return CLI_EXIT_RATELIMIT;
	default:
		break;
	}
	if (status >= 500 && status < 600)
		return CLI_EXIT_SERVER;
	return CLI_EXIT_ERROR;
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && s[0] ? s : NULL;
}

void cli_http_problem_format(long status, const char *body, size_t n,
	const char *request_id, buf_t *out)
{
	json_t *j = n ? json_loadb(body, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *title = j ? jstr(j, "title") : NULL;
	const char *detail = j ? jstr(j, "detail") : NULL;
	const char *type = j ? jstr(j, "type") : NULL;
	const char *rid = j ? jstr(j, "request_id") : NULL;
	if (!rid && request_id && request_id[0])
		rid = request_id;

	/* "error: title: detail (type)", the frame in the client's language. */
	buf_t text;
	buf_init(&text, (size_t)1 << 20);
	if (title && detail) {
		buf_t t, d;
		buf_init(&t, (size_t)1 << 20);
		buf_init(&d, (size_t)1 << 20);
		cli_out_sanitize(title, &t);
		cli_out_sanitize(detail, &d);
		buf_printf(&text, cli_tr("%s: %s"), cli_buf_str(&t), cli_buf_str(&d));
		buf_free(&t);
		buf_free(&d);
	} else if (title || detail) {
		cli_out_sanitize(title ? title : detail, &text);
	} else {
		buf_printf(&text, "HTTP %ld", status);
		if (n && !j) {
			/* Not JSON: show the start of the first line, it often says why. */
			size_t k = 0;
			while (k < n && k < 120 && body[k] != '\n' && body[k] != '\r')
				k++;
			if (k) {
				char *first = xstrndup(body, k);
				buf_t f;
				buf_init(&f, 4096);
				cli_out_sanitize(first, &f);
				char *head = buf_steal(&text);
				buf_printf(&text, cli_tr("%s: %s"), head ? head : "", cli_buf_str(&f));
				free(head);
				buf_free(&f);
				free(first);
			}
		}
	}
	if (type) {
		buf_puts(&text, " (");
		cli_out_sanitize(type, &text);
		buf_puts(&text, ")");
	}
	buf_printf(out, cli_tr("error: %s"), text.data ? text.data : "");
	buf_puts(out, "\n");
	buf_free(&text);
	if (rid) {
		buf_t r;
		buf_init(&r, 4096);
		cli_out_sanitize(rid, &r);
		buf_printf(out, cli_tr("request id: %s\n"), r.data ? r.data : "");
		buf_free(&r);
	}
	json_decref(j);
}
