/* The portal's browser session: cookie and CSRF token (see websession.h). */
#include "websession.h"

#include <stdio.h>
#include <string.h>

#include "sec.h"

#define SESSION_PREFIX "fvs_"
/* What the CSRF token is an HMAC of, under the session token as key. */
#define CSRF_LABEL "faxvault csrf token v1"

static bool token_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		ch == '_' || ch == '-';
}

int websession_cookie_token(const char *cookie_header, char *out, size_t outlen)
{
	static const char name[] = WEBSESSION_COOKIE;
	size_t nl = sizeof name - 1;
	if (!cookie_header || outlen == 0)
		return -1;
	for (const char *p = cookie_header; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		size_t n = strcspn(p, ";");
		if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			const char *v = p + nl + 1;
			size_t vl = n - nl - 1;
			while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl <= strlen(SESSION_PREFIX) || vl > WEBSESSION_TOKEN_MAX || vl + 1 > outlen ||
			    strncmp(v, SESSION_PREFIX, strlen(SESSION_PREFIX)) != 0)
				return -1;
			for (size_t i = 0; i < vl; i++)
				if (!token_char(v[i]))
					return -1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		p += n;
	}
	return -1;
}

void websession_csrf(const char *token, char out[WEBSESSION_CSRF_LEN])
{
	uint8_t mac[SEC_SHA256_LEN];
	sec_hmac_sha256(token, strlen(token), CSRF_LABEL, sizeof CSRF_LABEL - 1, mac);
	memcpy(out, "fvc_", 4);
	sec_hex(mac, sizeof mac, out + 4);
}

bool websession_changes_state(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 && strcmp(method, "OPTIONS") != 0;
}

bool websession_csrf_ok(const char *token, const char *header)
{
	if (!header || strlen(header) != WEBSESSION_CSRF_LEN - 1)
		return false;
	char want[WEBSESSION_CSRF_LEN];
	websession_csrf(token, want);
	return sec_equal(want, header, WEBSESSION_CSRF_LEN - 1);
}

void websession_set_cookie(const char *token, bool secure, char *out, size_t outlen)
{
	if (token)
		snprintf(out, outlen, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s", WEBSESSION_COOKIE, token,
			secure ? "; Secure" : "");
	else
		snprintf(out, outlen, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s", WEBSESSION_COOKIE,
			secure ? "; Secure" : "");
}

int websession_login_request(json_t *body, bool *want, dom_err_t *e)
{
	*want = false;
	json_t *v = body ? json_object_get(body, "cookie") : NULL;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return dom_fail(e, "validation-failed", "cookie", "cookie must be true or false");
	*want = json_is_true(v);
	json_object_del(body, "cookie");
	return 0;
}

void websession_login_answer(json_t *result, bool secure, char *set_cookie)
{
	const char *tok = json_string_value(json_object_get(result, "token"));
	if (!tok)
		return;
	char csrf[WEBSESSION_CSRF_LEN];
	websession_csrf(tok, csrf);
	websession_set_cookie(tok, secure, set_cookie, WEBSESSION_SET_COOKIE_MAX);
	json_object_del(result, "token");
	json_object_set_new(result, "csrf_token", json_string(csrf));
}
