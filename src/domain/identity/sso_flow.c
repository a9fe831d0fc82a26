/* Single sign-on: the browser's OpenID Connect sign-in (see sso.h): the
 * start, the callback with every check, and the handoff of the session.
 * Every request to the provider is made with no transaction held. */
#include "identity.h"
#include "identity_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "dom_util.h"
#include "log.h"
#include "access/access.h"
#include "sec.h"
#include "store_sso.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define SSO_FETCH_MS 10000
#define SSO_CODE_MAX 2048
#define B64_MAX SSO_B64_MAX
/* A JWKS is kept this long; an unknown kid refetches it at once. */
#define JWKS_TTL_MS ((int64_t)3600 * 1000)
#define JWKS_SLOTS 16

/* ---- the providers' keys, kept between sign-ins ---- */

static struct jwks_slot {
	char uri[OIDC_URL_MAX + 1];
	char *text;
	int64_t at;
} jwks_cache[JWKS_SLOTS];
static pthread_mutex_t jwks_mu = PTHREAD_MUTEX_INITIALIZER;

/* A copy of the cached JWKS of uri (caller frees), or NULL. */
static char *jwks_cached(const char *uri, int64_t now)
{
	char *t = NULL;
	pthread_mutex_lock(&jwks_mu);
	for (int i = 0; i < JWKS_SLOTS; i++)
		if (jwks_cache[i].text && strcmp(jwks_cache[i].uri, uri) == 0 &&
		    now - jwks_cache[i].at < JWKS_TTL_MS)
			t = xstrdup(jwks_cache[i].text);
	pthread_mutex_unlock(&jwks_mu);
	return t;
}

static void jwks_keep(const char *uri, const char *text, int64_t now)
{
	pthread_mutex_lock(&jwks_mu);
	int slot = 0;
	for (int i = 0; i < JWKS_SLOTS; i++) {
		if (strcmp(jwks_cache[i].uri, uri) == 0) {
			slot = i;
			break;
		}
		if (jwks_cache[i].at < jwks_cache[slot].at)
			slot = i;
	}
	free(jwks_cache[slot].text);
	snprintf(jwks_cache[slot].uri, sizeof jwks_cache[slot].uri, "%s", uri);
	jwks_cache[slot].text = xstrdup(text);
	jwks_cache[slot].at = now;
	pthread_mutex_unlock(&jwks_mu);
}

/* ---- helpers ---- */

void sso_random_b64(char out[B64_MAX])
{
	uint8_t r[SSO_RANDOM_BYTES];
	sec_random(r, sizeof r);
	oidc_b64url(r, sizeof r, out, B64_MAX);
	sodium_memzero(r, sizeof r);
}

/* HMAC(bind, label ":" state) as base64url: the nonce and the PKCE
 * verifier of a sign-in, which need not be stored. */
void sso_derive(const char *bind, const char *label, const char *state, char out[B64_MAX])
{
	char msg[SSO_STATE_MAX + 16];
	snprintf(msg, sizeof msg, "%s:%s", label, state);
	uint8_t mac[SEC_SHA256_LEN];
	sec_hmac_sha256(bind, strlen(bind), msg, strlen(msg), mac);
	oidc_b64url(mac, sizeof mac, out, B64_MAX);
	sodium_memzero(mac, sizeof mac);
}

void sso_cookie_set(char *dst, const char *name, const char *value, int max_age,
	const char *same_site, bool secure)
{
	snprintf(dst, 256, "%s=%s; Path=/v1/sso/; Max-Age=%d; HttpOnly; SameSite=%s%s", name, value,
		max_age, same_site, secure ? "; Secure" : "");
}

/* A value of a query or cookie that we issued: base64url, bounded. */
bool sso_token_ok(const char *s, size_t max)
{
	if (!s || !*s || strlen(s) > max)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '-' || *p == '_'))
			return false;
	return true;
}

/* The provider's discovery document, fetched for issuer. 0, or -1 with *why. */
static int discover(const dom_ctx_t *c, const char *issuer, oidc_meta_t *m, const char **why)
{
	char url[OIDC_URL_MAX + 64];
	size_t n = strlen(issuer);
	while (n > 0 && issuer[n - 1] == '/')
		n--;
	snprintf(url, sizeof url, "%.*s/.well-known/openid-configuration", (int)n, issuer);
	buf_t b;
	buf_init(&b, OIDC_DOC_MAX);
	long st;
	oidc_req_t r = { .url = url, .allow = c->cfg->sso_allow, .timeout_ms = SSO_FETCH_MS };
	int rc = oidc_fetch(&r, &b, &st, why);
	if (rc == 0)
		rc = oidc_discovery_parse(b.data ? b.data : "", b.len, issuer, m, why);
	else
		*why = "discovery_unreachable";
	buf_free(&b);
	return rc;
}

static char *redirect_uri(const dom_ctx_t *c)
{
	return xasprintf("%s/v1/sso/callback", c->cfg->web_url ? c->cfg->web_url : "");
}

/* ---- the start ---- */

int dom_sso_start(dom_ctx_t *c, const char *account_id, const char *idp_id, bool secure,
	sso_web_t *w, dom_err_t *e)
{
	memset(w, 0, sizeof *w);
	json_t *acc = store_account_get(c->tx, account_id, NULL);
	json_t *idp = acc && strcmp(rec_str(acc, "status"), "active") == 0
		? store_idp_get(c->tx, account_id, idp_id) : NULL;
	json_decref(acc);
	if (!idp || strcmp(rec_str(idp, "status"), "active") != 0) {
		json_decref(idp);
		return dom_fail(e, "not-found", "", "no such identity provider");
	}
	if (strcmp(rec_str(idp, "type"), "saml") == 0) {
		int src = sso_saml_start(c, idp, secure, w, e);
		json_decref(idp);
		return src;
	}
	oidc_meta_t m;
	const char *why = NULL;
	if (dom_tx_pause(c, e) != 0) {
		json_decref(idp);
		return -1;
	}
	int drc = discover(c, rec_str(idp, "issuer"), &m, &why);
	if (dom_tx_resume(c, e) != 0) {
		json_decref(idp);
		return -1;
	}
	if (drc != 0) {
		log_event(LOG_WARN, "sso.discovery_failed", "idp=%s reason=%s", idp_id, why);
		json_decref(idp);
		return dom_fail(e, "idp-unavailable", "",
			"the identity provider cannot be reached or answered wrongly: try again later");
	}
	char state[B64_MAX], bind[B64_MAX], nonce[B64_MAX], verifier[B64_MAX], challenge[B64_MAX];
	sso_random_b64(state);
	sso_random_b64(bind);
	sso_derive(bind, "nonce", state, nonce);
	sso_derive(bind, "pkce", state, verifier);
	uint8_t h[SEC_SHA256_LEN];
	sec_sha256(verifier, strlen(verifier), h);
	oidc_b64url(h, sizeof h, challenge, sizeof challenge);
	char sh[SEC_SHA256_HEX], bh[SEC_SHA256_HEX];
	sec_token_hash(state, sh);
	sec_token_hash(bind, bh);
	int64_t now = time_now_ms();
	json_t *flow = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "value_hash", sh, "kind",
		"auth", "account_id", account_id, "idp_id", idp_id, "browser_hash", bh, "created_at",
		(json_int_t)now, "expires_at", (json_int_t)(now + (int64_t)SSO_FLOW_SECONDS * 1000));
	int rc = store_sso_flow_insert(c->tx, flow);
	json_decref(flow);
	if (rc != STORE_OK) {
		json_decref(idp);
		return dom_fail(e, "internal", "", "the sign-in could not be started");
	}
	buf_t loc;
	buf_init(&loc, OIDC_URL_MAX * 4);
	char *ru = redirect_uri(c);
	buf_puts(&loc, m.authorization_endpoint);
	buf_puts(&loc, strchr(m.authorization_endpoint, '?') ? "&" : "?");
	buf_puts(&loc, "response_type=code&client_id=");
	oidc_form_put(&loc, rec_str(idp, "client_id"));
	buf_puts(&loc, "&redirect_uri=");
	oidc_form_put(&loc, ru);
	buf_puts(&loc, "&scope=");
	oidc_form_put(&loc, rec_str(idp, "scopes"));
	buf_printf(&loc, "&state=%s&nonce=%s&code_challenge=%s&code_challenge_method=S256", state,
		nonce, challenge);
	free(ru);
	json_decref(idp);
	w->location = buf_steal(&loc);
	sso_cookie_set(w->cookie[0], SSO_BIND_COOKIE, bind, SSO_FLOW_SECONDS, "Lax", secure);
	sodium_memzero(verifier, sizeof verifier);
	sodium_memzero(bind, sizeof bind);
	return 0;
}

/* ---- the callback ---- */

/* A refused sign-in: audited with its reason, kept, and answered. */
int sso_refuse(dom_ctx_t *c, const char *account_id, const char *idp_id, const char *reason,
	dom_err_t *e)
{
	c->keep_on_error = true;
	if (c->tx) {
		json_t *d = json_pack("{s:s, s:s}", "reason", reason, "idp", idp_id ? idp_id : "");
		dom_audit(c, "sso.signin", idp_id ? idp_id : "", account_id, "failure", d);
		json_decref(d);
	}
	log_event(LOG_INFO, "sso.refused", "account=%s idp=%s reason=%s",
		account_id ? account_id : "-", idp_id ? idp_id : "-", reason);
	return dom_fail(e, "sso-failed", "", "the sign-in was refused (%s)", reason);
}

/* The reason in the English detail of sso_refuse's answer ("the sign-in was
 * refused (REASON)"), checked to be a word of [a-z0-9_]. */
const char *sso_refusal_word(const dom_err_t *e, char *buf, size_t n)
{
	static const char pre[] = "the sign-in was refused (";
	const char *w = NULL;
	size_t len = 0;
	if (strcmp(e->kind, "idp-unavailable") == 0) {
		w = "idp_unavailable";
		len = strlen(w);
	} else if (strcmp(e->kind, "not-found") == 0) {
		w = "unknown_provider";
		len = strlen(w);
	} else if (strcmp(e->kind, "sso-failed") == 0 &&
		   strncmp(e->detail, pre, sizeof pre - 1) == 0) {
		w = e->detail + sizeof pre - 1;
		len = strcspn(w, ")");
		if (w[len] != ')' || w[len + 1] != '\0')
			len = 0;
		for (size_t i = 0; i < len; i++)
			if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9') ||
			      w[i] == '_'))
				len = 0;
		if (len == 0) {
			w = "refused";
			len = strlen(w);
		}
	}
	if (!w || len + 1 > n)
		return NULL;
	memcpy(buf, w, len);
	buf[len] = '\0';
	return buf;
}

/* Exchanges the code at the token endpoint and checks the ID token. Runs
 * with no transaction. OIDC_OK with *claims, or a reason in *why. */
static int exchange(const dom_ctx_t *c, const json_t *idp, const char *secret, const char *code,
	const char *verifier, const char *nonce, const char *iss, json_t **claims, const char **why)
{
	*claims = NULL;
	oidc_meta_t m;
	if (discover(c, rec_str(idp, "issuer"), &m, why) != 0)
		return OIDC_REFUSED;
	/* RFC 9207, before the code goes anywhere: an answer from another
	 * provider (mix-up) is refused. */
	if (oidc_response_iss_check(&m, rec_str(idp, "issuer"), iss, why) != 0)
		return OIDC_REFUSED;
	bool post = strcmp(rec_str(idp, "token_auth"), "client_secret_post") == 0;
	char *ru = redirect_uri(c);
	buf_t form, user, pass, ans;
	buf_init(&form, 16384);
	buf_init(&user, 2048);
	buf_init(&pass, 2048);
	buf_init(&ans, OIDC_DOC_MAX);
	buf_puts(&form, "grant_type=authorization_code&code=");
	oidc_form_put(&form, code);
	buf_puts(&form, "&redirect_uri=");
	oidc_form_put(&form, ru);
	buf_printf(&form, "&code_verifier=%s", verifier);
	free(ru);
	if (post) {
		buf_puts(&form, "&client_id=");
		oidc_form_put(&form, rec_str(idp, "client_id"));
		buf_puts(&form, "&client_secret=");
		oidc_form_put(&form, secret);
	} else {
		/* RFC 6749 2.3.1: both form-encoded before Basic. */
		oidc_form_put(&user, rec_str(idp, "client_id"));
		oidc_form_put(&pass, secret);
	}
	long st;
	oidc_req_t r = { .url = m.token_endpoint, .allow = c->cfg->sso_allow, .form = form.data,
		.user = post ? NULL : user.data, .password = post ? NULL : pass.data,
		.timeout_ms = SSO_FETCH_MS };
	int rc = oidc_fetch(&r, &ans, &st, why);
	sodium_memzero(form.data, form.len);
	if (pass.data)
		sodium_memzero(pass.data, pass.len);
	buf_free(&form);
	buf_free(&user);
	buf_free(&pass);
	if (rc != 0) {
		*why = st ? "token_exchange_refused" : "token_endpoint_unreachable";
		buf_free(&ans);
		return OIDC_REFUSED;
	}
	json_t *tj = json_loadb(ans.data ? ans.data : "", ans.len, 0, NULL);
	if (ans.data)
		sodium_memzero(ans.data, ans.len);
	buf_free(&ans);
	const char *idt = json_string_value(json_object_get(tj, "id_token"));
	if (!idt) {
		json_decref(tj);
		*why = "no_id_token";
		return OIDC_REFUSED;
	}
	oidc_expect_t x = { .issuer = rec_str(idp, "issuer"), .client_id = rec_str(idp, "client_id"),
		.nonce = nonce, .now_s = time_now_ms() / 1000 };
	int64_t now = time_now_ms();
	char *keys = jwks_cached(m.jwks_uri, now);
	bool fresh = false;
	for (int round = 0; round < 2; round++) {
		if (!keys) {
			buf_t kb;
			buf_init(&kb, OIDC_DOC_MAX);
			if (oidc_fetch(&(oidc_req_t){ .url = m.jwks_uri, .allow = c->cfg->sso_allow,
				    .timeout_ms = SSO_FETCH_MS }, &kb, &st, why) != 0) {
				buf_free(&kb);
				*why = "jwks_unreachable";
				rc = OIDC_REFUSED;
				break;
			}
			keys = buf_steal(&kb);
			if (!keys)
				keys = xstrdup("");
			jwks_keep(m.jwks_uri, keys, now);
			fresh = true;
		}
		rc = oidc_id_token_check(idt, strlen(idt), keys, strlen(keys), &x, claims, why);
		/* A kid we do not know: the provider may have rotated its keys.
		 * Fetch them again, once. */
		if (rc != OIDC_UNKNOWN_KID || fresh)
			break;
		free(keys);
		keys = NULL;
	}
	free(keys);
	json_decref(tj);
	return rc == OIDC_OK ? OIDC_OK : OIDC_REFUSED;
}

/* The strongest role that role_map gives one of the claim's values, else
 * the default, into out (n bytes): admin, then a named custom role (the
 * first the claim's values map to), then billing, then user. A custom role
 * is named by its id. */
static void mapped_role(const json_t *idp, const json_t *claims, char *out, size_t n)
{
	static const char *const strength[] = { "admin", "", "billing", "user", NULL };
	const char *claim = rec_str(idp, "role_claim");
	json_t *map = json_loads(rec_str(idp, "role_map"), 0, NULL);
	const json_t *v = *claim ? json_object_get(claims, claim) : NULL;
	int best = -1;
	const char *custom = NULL;
	for (size_t i = 0; json_is_object(map) && v && i < (json_is_array(v) ? json_array_size(v) : 1); i++) {
		const json_t *it = json_is_array(v) ? json_array_get(v, i) : v;
		const char *role = json_is_string(it) ? json_string_value(json_object_get(map,
			json_string_value(it))) : NULL;
		int k = 0;
		while (role && strength[k] && (!*strength[k] || strcmp(role, strength[k]) != 0))
			k++;
		if (role && !strength[k]) { /* a custom role's id */
			k = 1;
			if (!custom)
				custom = role;
		}
		if (role && (best < 0 || k < best))
			best = k;
	}
	snprintf(out, n, "%s", best == 1 ? custom : best >= 0 ? strength[best] :
		rec_str(idp, "default_role"));
	json_decref(map);
}

/* The member whom verified claims name in account_id: found (activated if
 * invited), or made when the provider provisions just in time. A new
 * reference, or NULL with *why. */
static json_t *member_for(dom_ctx_t *c, const json_t *idp, const char *account_id,
	const json_t *claims, const char **why)
{
	const json_t *ev = json_object_get(claims, "email_verified");
	const char *em = json_string_value(json_object_get(claims, "email"));
	char email[EMAIL_MAX + 1];
	if (!em) {
		*why = "no_email";
		return NULL;
	}
	if (!json_is_true(ev)) {
		*why = "email_not_verified";
		return NULL;
	}
	size_t n = strlen(em);
	if (n > EMAIL_MAX || !valid_email(em, n)) {
		*why = "email_not_valid";
		return NULL;
	}
	for (size_t i = 0; i <= n; i++)
		email[i] = (char)(em[i] >= 'A' && em[i] <= 'Z' ? em[i] + 32 : em[i]);
	json_t *p = store_principal_by_email(c->tx, email);
	if (p && (strcmp(rec_str(p, "kind"), "account") != 0 ||
		     strcmp(rec_str(p, "account_id"), account_id) != 0)) {
		json_decref(p);
		*why = "email_of_another_principal";
		return NULL;
	}
	if (!p && strcmp(rec_str(idp, "provisioning"), "jit") != 0) {
		*why = "not_a_member";
		return NULL;
	}
	if (!p) {
		const char *name = json_string_value(json_object_get(claims, "name"));
		char role[ID_MAX + 16];
		mapped_role(idp, claims, role, sizeof role);
		/* A named custom role (by id); one deleted since gives user. */
		json_t *named = perm_role("account", role) ? NULL : role_find(c, account_id, role);
		if (!named && !perm_role("account", role))
			snprintf(role, sizeof role, "user");
		dom_err_t e2;
		char nm[EMAIL_MAX + 1];
		snprintf(nm, sizeof nm, "%s", name && *name && strlen(name) <= 100 ? name : email);
		char *id = person_insert(c, "account", account_id, NULL, email, nm,
			named ? "custom" : role, named ? role_perms(named) : 0, &e2);
		if (!id) {
			json_decref(named);
			*why = "provisioning_failed";
			return NULL;
		}
		json_t *upd = named ? json_pack("{s:s, s:s}", "status", "active", "role_id",
			rec_str(named, "id")) : json_pack("{s:s}", "status", "active");
		store_principal_update(c->tx, id, upd);
		json_decref(upd);
		json_t *d = json_pack("{s:s, s:s, s:s}", "idp", rec_str(idp, "id"), "email", email,
			"role", named ? "custom" : role);
		if (named)
			json_object_set_new(d, "custom_role_id", json_string(rec_str(named, "id")));
		json_decref(named);
		dom_audit(c, "user.provision_sso", id, account_id, "success", d);
		json_decref(d);
		p = store_principal_get(c->tx, id);
		free(id);
		return p;
	}
	if (strcmp(rec_str(p, "status"), "invited") == 0) {
		json_t *upd = json_pack("{s:s, s:I}", "status", "active", "updated_at",
			(json_int_t)time_now_ms());
		store_principal_update(c->tx, rec_str(p, "id"), upd);
		json_decref(upd);
		json_t *d = json_pack("{s:s}", "idp", rec_str(idp, "id"));
		dom_audit(c, "invitation.accept", rec_str(p, "id"), account_id, "success", d);
		json_decref(d);
		json_t *fresh = store_principal_get(c->tx, rec_str(p, "id"));
		json_decref(p);
		p = fresh;
	}
	if (!p || strcmp(rec_str(p, "status"), "active") != 0) {
		json_decref(p);
		*why = "member_not_active";
		return NULL;
	}
	return p;
}

int sso_signin_finish(dom_ctx_t *c, const json_t *idp, const char *account_id,
	const char *idp_id, const json_t *claims, bool secure, sso_web_t *w, dom_err_t *e)
{
	const char *why = "refused";
	json_t *person = member_for(c, idp, account_id, claims, &why);
	if (!person)
		return sso_refuse(c, account_id, idp_id, why, e);
	sec_policy_t pol;
	dom_policy(c->tx, c->cfg, account_id, &pol);
	if (c->source && !policy_ip_allowed(&pol, c->source)) {
		json_decref(person);
		return sso_refuse(c, account_id, idp_id, "ip_not_allowed", e);
	}
	char handoff[B64_MAX], hh[SEC_SHA256_HEX];
	sso_random_b64(handoff);
	sec_token_hash(handoff, hh);
	int64_t now = time_now_ms();
	json_t *hf = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "value_hash", hh, "kind",
		"handoff", "account_id", account_id, "idp_id", idp_id, "principal_id",
		rec_str(person, "id"), "created_at", (json_int_t)now, "expires_at",
		(json_int_t)(now + (int64_t)SSO_HANDOFF_SECONDS * 1000));
	int src = store_sso_flow_insert(c->tx, hf);
	json_decref(hf);
	principal_t who;
	dom_principal_from_record(c->tx, person, &who);
	const principal_t *prev = c->who;
	c->who = &who;
	json_t *d = json_pack("{s:s}", "idp", idp_id);
	if (src == STORE_OK)
		src = dom_audit(c, "sso.signin", idp_id, account_id, "success", d);
	json_decref(d);
	c->who = prev;
	json_decref(person);
	if (src != 0)
		return dom_fail(e, "internal", "", "the sign-in could not be recorded");
	w->location = xstrdup("/?sso=1");
	sso_cookie_set(w->cookie[0], SSO_HANDOFF_COOKIE, handoff, SSO_HANDOFF_SECONDS, "Strict", secure);
	sso_cookie_set(w->cookie[1], SSO_BIND_COOKIE, "", 0, "Lax", secure);
	sodium_memzero(handoff, sizeof handoff);
	return 0;
}

int dom_sso_callback(dom_ctx_t *c, const json_t *query, const char *bind, bool secure,
	sso_web_t *w, dom_err_t *e)
{
	memset(w, 0, sizeof *w);
	const char *state = json_string_value(json_object_get(query, "state"));
	const char *code = json_string_value(json_object_get(query, "code"));
	const char *err = json_string_value(json_object_get(query, "error"));
	const char *iss = json_string_value(json_object_get(query, "iss"));
	if (!sso_token_ok(state, SSO_STATE_MAX))
		return sso_refuse(c, NULL, NULL, "no_state", e);
	char sh[SEC_SHA256_HEX], bh[SEC_SHA256_HEX];
	sec_token_hash(state, sh);
	/* Single use from here: a replayed or expired state finds nothing. */
	json_t *flow = store_sso_flow_take(c->tx, "auth", sh, time_now_ms());
	if (!flow)
		return sso_refuse(c, NULL, NULL, "unknown_or_used_state", e);
	char account_id[64], idp_id[64];
	snprintf(account_id, sizeof account_id, "%s", rec_str(flow, "account_id"));
	snprintf(idp_id, sizeof idp_id, "%s", rec_str(flow, "idp_id"));
	bool bound = sso_token_ok(bind, B64_MAX);
	if (bound) {
		sec_token_hash(bind, bh);
		bound = sodium_memcmp(bh, rec_str(flow, "browser_hash"), SEC_SHA256_HEX - 1) == 0;
	}
	json_decref(flow);
	if (!bound)
		return sso_refuse(c, account_id, idp_id, "other_browser", e);
	if (err)
		return sso_refuse(c, account_id, idp_id, "provider_error", e);
	if (!code || !*code || strlen(code) > SSO_CODE_MAX)
		return sso_refuse(c, account_id, idp_id, "no_code", e);
	json_t *idp = store_idp_get(c->tx, account_id, idp_id);
	if (!idp || strcmp(rec_str(idp, "status"), "active") != 0) {
		json_decref(idp);
		return sso_refuse(c, account_id, idp_id, "provider_disabled", e);
	}
	if (strcmp(rec_str(idp, "type"), "oidc") != 0) {
		json_decref(idp);
		return sso_refuse(c, account_id, idp_id, "not_an_oidc_provider", e);
	}
	char *secret = dom_secret_open(c, account_id, "idp", idp_id, rec_str(idp, "client_secret"));
	if (!secret) {
		json_decref(idp);
		return sso_refuse(c, account_id, idp_id, "secret_unavailable", e);
	}
	char nonce[B64_MAX], verifier[B64_MAX];
	sso_derive(bind, "nonce", state, nonce);
	sso_derive(bind, "pkce", state, verifier);
	json_t *claims = NULL;
	const char *why = "refused";
	int rc = dom_tx_pause(c, e);
	if (rc == 0) {
		rc = exchange(c, idp, secret, code, verifier, nonce, iss, &claims, &why);
		if (dom_tx_resume(c, e) != 0) {
			json_decref(claims);
			claims = NULL;
			rc = -2;
		}
	}
	sodium_memzero(secret, strlen(secret));
	free(secret);
	sodium_memzero(verifier, sizeof verifier);
	if (rc == -2 || !c->tx) {
		json_decref(idp);
		return -1;
	}
	if (rc != OIDC_OK) {
		json_decref(idp);
		return sso_refuse(c, account_id, idp_id, why, e);
	}
	rc = sso_signin_finish(c, idp, account_id, idp_id, claims, secure, w, e);
	json_decref(claims);
	json_decref(idp);
	return rc;
}

int dom_sso_session(dom_ctx_t *c, const char *handoff, bool secure, sso_web_t *w, json_t **out,
	dom_err_t *e)
{
	memset(w, 0, sizeof *w);
	if (!sso_token_ok(handoff, B64_MAX))
		return dom_fail(e, "sso-failed", "", "the sign-in was refused (%s)", "no_handoff");
	char hh[SEC_SHA256_HEX];
	sec_token_hash(handoff, hh);
	json_t *f = store_sso_flow_take(c->tx, "handoff", hh, time_now_ms());
	json_t *person = f ? store_principal_get(c->tx, rec_str(f, "principal_id")) : NULL;
	json_t *acc = person ? store_account_get(c->tx, rec_str(person, "account_id"), NULL) : NULL;
	bool usable = person && acc && strcmp(rec_str(person, "status"), "active") == 0 &&
		strcmp(rec_str(acc, "status"), "active") == 0;
	json_decref(acc);
	int rc;
	if (!usable) {
		c->keep_on_error = true;
		rc = dom_fail(e, "sso-failed", "", "the sign-in was refused (%s)", "unknown_or_used_handoff");
	} else {
		json_t *d = json_pack("{s:s, s:s}", "method", "sso", "idp", rec_str(f, "idp_id"));
		rc = session_open(c, person, d, out, e);
		json_decref(d);
	}
	json_decref(person);
	json_decref(f);
	if (rc == 0)
		sso_cookie_set(w->cookie[0], SSO_HANDOFF_COOKIE, "", 0, "Strict", secure);
	return rc;
}
