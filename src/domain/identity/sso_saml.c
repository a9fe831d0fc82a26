/* Single sign-on: the browser's SAML 2.0 sign-in (see sso.h, saml.h and
 * docs/sso.md): the SP metadata, the start (a signed AuthnRequest by the
 * HTTP-Redirect binding) and the assertion consumer service. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "dom_util.h"
#include "log.h"
#include "identity.h"
#include "sec.h"
#include "identity_int.h"
#include "store_sso.h"
#include "timeutil.h"
#include "xalloc.h"

/* The ID of our AuthnRequest: derived from the browser's binding cookie
 * and the RelayState, so that it is never stored and an answer to another
 * browser's request does not match. An NCName. */
static void request_id(const char *bind, const char *relay, char out[SSO_B64_MAX + 2])
{
	char d[SSO_B64_MAX];
	sso_derive(bind, "saml-request", relay, d);
	snprintf(out, SSO_B64_MAX + 2, "_%s", d);
}

/* SAML SP keys: the long secrets of secrets.h (purpose "saml"). */
char *sso_key_seal(dom_ctx_t *c, const char *account_id, const char *idp_id, const char *pem)
{
	return secret_seal_long_tx(c->tx, c->cfg ? c->cfg->fax : NULL, account_id, "saml", idp_id, pem);
}

char *sso_key_open(dom_ctx_t *c, const char *account_id, const char *idp_id, const char *sealed)
{
	return secret_open_long_tx(c->tx, c->cfg ? c->cfg->fax : NULL, account_id, "saml", idp_id, sealed);
}

static void sp_of(const json_t *saml, const char *key, saml_sp_t *sp)
{
	*sp = (saml_sp_t){ .entity_id = rec_str(saml, "sp_entity_id"),
		.acs_url = rec_str(saml, "acs_url"), .key_pem = key,
		.cert_pem = rec_str(saml, "sp_cert"),
		.email_attribute = rec_str(saml, "email_attribute"),
		.allow_sha1 = json_integer_value(json_object_get(saml, "allow_sha1")) != 0 };
}

/* The live SAML provider of an active account (new references), or -1. */
static int provider_of(dom_ctx_t *c, const char *account_id, const char *idp_id, json_t **idp,
	json_t **saml)
{
	json_t *acc = store_account_get(c->tx, account_id, NULL);
	*idp = acc && strcmp(rec_str(acc, "status"), "active") == 0
		? store_idp_get(c->tx, account_id, idp_id) : NULL;
	json_decref(acc);
	*saml = *idp && strcmp(rec_str(*idp, "type"), "saml") == 0
		? store_saml_get(c->tx, account_id, idp_id) : NULL;
	if (!*saml) {
		json_decref(*idp);
		*idp = NULL;
		return -1;
	}
	return 0;
}

int dom_saml_metadata(dom_ctx_t *c, const char *account_id, const char *idp_id, char **xml,
	dom_err_t *e)
{
	json_t *idp, *saml;
	*xml = NULL;
	if (provider_of(c, account_id, idp_id, &idp, &saml) != 0)
		return dom_fail(e, "not-found", "", "no such identity provider");
	saml_sp_t sp;
	sp_of(saml, NULL, &sp);
	*xml = saml_sp_metadata(&sp);
	json_decref(idp);
	json_decref(saml);
	return *xml ? 0 : dom_fail(e, "internal", "", "the metadata could not be made");
}

int sso_saml_start(dom_ctx_t *c, const json_t *idp, bool secure, sso_web_t *w, dom_err_t *e)
{
	const char *account_id = rec_str(idp, "account_id"), *idp_id = rec_str(idp, "id");
	json_t *saml = store_saml_get(c->tx, account_id, idp_id);
	char *key = saml ? sso_key_open(c, account_id, idp_id, rec_str(saml, "sp_key"))
			 : NULL;
	if (!key) {
		json_decref(saml);
		return dom_fail(e, "internal", "", "the sign-in could not be started");
	}
	char state[SSO_B64_MAX], bind[SSO_B64_MAX], rid[SSO_B64_MAX + 2];
	sso_random_b64(state);
	sso_random_b64(bind);
	request_id(bind, state, rid);
	char sh[SEC_SHA256_HEX], bh[SEC_SHA256_HEX];
	sec_token_hash(state, sh);
	sec_token_hash(bind, bh);
	int64_t now = time_now_ms();
	json_t *flow = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "value_hash", sh, "kind",
		"auth", "account_id", account_id, "idp_id", idp_id, "browser_hash", bh, "created_at",
		(json_int_t)now, "expires_at", (json_int_t)(now + (int64_t)SSO_FLOW_SECONDS * 1000));
	int rc = store_sso_flow_insert(c->tx, flow);
	json_decref(flow);
	saml_sp_t sp;
	sp_of(saml, key, &sp);
	char *url = NULL;
	const char *why = "store";
	if (rc == STORE_OK)
		rc = saml_authn_request(&sp, rec_str(saml, "idp_metadata"), rid, state, &url, &why);
	sodium_memzero(key, strlen(key));
	free(key);
	json_decref(saml);
	if (rc != 0) {
		log_event(LOG_WARN, "sso.saml_start_failed", "idp=%s reason=%s", idp_id, why);
		return dom_fail(e, "internal", "", "the sign-in could not be started");
	}
	w->location = url;
	/* The IdP posts the answer from its own site: a SameSite=Lax cookie
	 * would not come with it. SameSite=None needs Secure (HTTPS); over
	 * plain HTTP the browser's default applies. */
	snprintf(w->cookie[0], sizeof w->cookie[0], "%s=%s; Path=/v1/sso/; Max-Age=%d; HttpOnly%s",
		SSO_BIND_COOKIE, bind, SSO_FLOW_SECONDS, secure ? "; SameSite=None; Secure" : "");
	sodium_memzero(bind, sizeof bind);
	return 0;
}

int dom_saml_acs(dom_ctx_t *c, const char *account_id, const char *idp_id,
	const char *saml_response, const char *relay_state, const char *bind, bool secure,
	sso_web_t *w, dom_err_t *e)
{
	memset(w, 0, sizeof *w);
	json_t *idp, *saml;
	if (provider_of(c, account_id, idp_id, &idp, &saml) != 0)
		return dom_fail(e, "not-found", "", "no such identity provider");
	int rc = -1;
	char *key = NULL;
	const char *why = NULL;
	saml_result_t res = { .claims = NULL };
	/* An answer to no request of ours (IdP-initiated) is refused. */
	if (!sso_token_ok(relay_state, SSO_STATE_MAX))
		why = "unsolicited";
	else if (!sso_token_ok(bind, SSO_B64_MAX))
		why = "other_browser";
	else if (strcmp(rec_str(idp, "status"), "active") != 0)
		why = "provider_disabled";
	else if (!(key = sso_key_open(c, account_id, idp_id, rec_str(saml, "sp_key"))))
		why = "secret_unavailable";
	if (!why) {
		char rid[SSO_B64_MAX + 2];
		request_id(bind, relay_state, rid);
		saml_sp_t sp;
		sp_of(saml, key, &sp);
		saml_expect_t x = { .request_id = rid, .now_s = time_now_ms() / 1000 };
		const char *r = saml_response ? saml_response : "";
		if (saml_response_check(&sp, rec_str(saml, "idp_metadata"), r, strlen(r), &x, &res,
			    &why) == 0)
			why = NULL;
	}
	if (key) {
		sodium_memzero(key, strlen(key));
		free(key);
	}
	/* Each assertion is accepted once, whatever happens next. */
	if (!why) {
		int64_t now = time_now_ms();
		int src = store_saml_assertion_use(c->tx, idp_id, res.assertion_id,
			res.not_on_or_after_s * 1000, now);
		if (src == STORE_CONFLICT)
			why = "replayed_assertion";
		else if (src != STORE_OK)
			why = "store";
	}
	/* Then the sign-in under way, single use, and this browser's. */
	if (!why) {
		char sh[SEC_SHA256_HEX], bh[SEC_SHA256_HEX];
		sec_token_hash(relay_state, sh);
		json_t *flow = store_sso_flow_take(c->tx, "auth", sh, time_now_ms());
		sec_token_hash(bind, bh);
		if (!flow)
			why = "unknown_or_used_state";
		else if (strcmp(rec_str(flow, "idp_id"), idp_id) != 0 ||
			 strcmp(rec_str(flow, "account_id"), account_id) != 0)
			why = "other_provider";
		else if (sodium_memcmp(bh, rec_str(flow, "browser_hash"), SEC_SHA256_HEX - 1) != 0)
			why = "other_browser";
		json_decref(flow);
	}
	if (why)
		rc = sso_refuse(c, account_id, idp_id, why, e);
	else
		rc = sso_signin_finish(c, idp, account_id, idp_id, res.claims, secure, w, e);
	json_decref(res.claims);
	json_decref(idp);
	json_decref(saml);
	return rc;
}
