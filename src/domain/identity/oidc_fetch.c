/* Requests to an OpenID Connect provider (see oidc_fetch.h). */
#include "identity_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "notify/notify.h"

static size_t keep(char *p, size_t sz, size_t n, void *arg)
{
	buf_t *b = arg;
	/* Past the ceiling: a short count makes curl stop with an error. */
	return buf_append(b, p, sz * n) == 0 ? sz * n : 0;
}

int oidc_form_put(buf_t *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			rc = buf_append(out, p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			rc = buf_append(out, e, 3);
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

int oidc_fetch(const oidc_req_t *r, buf_t *out, long *status, const char **why)
{
	*status = 0;
	ssrf_url_t u;
	if (ssrf_url_parse(r->url, strlen(r->url), &u, why) != 0)
		return -1;
	char addr[64];
	if (ssrf_resolve(&u, r->allow, addr, sizeof addr, why) != 0)
		return -1;
	CURL *h = curl_easy_init();
	if (!h) {
		*why = "no HTTP client";
		return -1;
	}
	struct curl_slist *pin = NULL;
	if (!u.literal) {
		char pr[SSRF_HOST_MAX + 80];
		snprintf(pr, sizeof pr, strchr(addr, ':') ? "%s:%d:[%s]" : "%s:%d:%s", u.host, u.port,
			addr);
		pin = curl_slist_append(NULL, pr);
		curl_easy_setopt(h, CURLOPT_RESOLVE, pin);
	}
	struct curl_slist *hl = curl_slist_append(NULL, "Accept: application/json");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "faxvault-sso");
	if (r->form) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->form);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(r->form));
	}
	if (r->user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, r->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, r->password ? r->password : "");
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	CURLcode rc = curl_easy_perform(h);
	int ok = -1;
	if (rc == CURLE_WRITE_ERROR) {
		*why = "answer too large";
	} else if (rc != CURLE_OK) {
		*why = "provider not reachable";
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		if (*status >= 200 && *status < 300)
			ok = 0;
		else
			*why = "provider answered an error";
	}
	curl_slist_free_all(hl);
	curl_slist_free_all(pin);
	curl_easy_cleanup(h);
	return ok;
}
