/* OpenID Connect: discovery documents and ID tokens judged (see oidc.h). */
#include "identity.h"

#include <cjose/cjose.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "notify/notify.h"
#include "xalloc.h"

void oidc_b64url(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	sodium_bin2base64(out, outlen, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int endpoint(const json_t *doc, const char *key, char *out, const char **why)
{
	const char *v = json_string_value(json_object_get(doc, key));
	ssrf_url_t u;
	const char *w;
	if (!v || strlen(v) > OIDC_URL_MAX || ssrf_url_parse(v, strlen(v), &u, &w) != 0) {
		*why = strcmp(key, "jwks_uri") == 0 ? "discovery_bad_jwks_uri"
			: strcmp(key, "token_endpoint") == 0 ? "discovery_bad_token_endpoint"
			: "discovery_bad_authorization_endpoint";
		return -1;
	}
	snprintf(out, OIDC_URL_MAX + 1, "%s", v);
	return 0;
}

int oidc_discovery_parse(const char *doc, size_t len, const char *issuer, oidc_meta_t *m,
	const char **why)
{
	memset(m, 0, sizeof *m);
	if (len > OIDC_DOC_MAX) {
		*why = "discovery_too_large";
		return -1;
	}
	json_t *d = json_loadb(doc, len, JSON_REJECT_DUPLICATES, NULL);
	int rc = -1;
	if (!json_is_object(d))
		*why = "discovery_not_json";
	else if (!json_is_string(json_object_get(d, "issuer")) ||
		 strcmp(json_string_value(json_object_get(d, "issuer")), issuer) != 0)
		*why = "discovery_issuer_mismatch";
	else if (endpoint(d, "authorization_endpoint", m->authorization_endpoint, why) == 0 &&
		 endpoint(d, "token_endpoint", m->token_endpoint, why) == 0 &&
		 endpoint(d, "jwks_uri", m->jwks_uri, why) == 0) {
		m->iss_parameter_supported =
			json_is_true(json_object_get(d, "authorization_response_iss_parameter_supported"));
		rc = 0;
	}
	json_decref(d);
	return rc;
}

int oidc_response_iss_check(const oidc_meta_t *m, const char *issuer, const char *iss,
	const char **why)
{
	if (iss) {
		/* Compared as given (RFC 9207 2.4: simple string comparison). */
		if (strcmp(iss, issuer) != 0) {
			*why = "iss_mismatch";
			return -1;
		}
		return 0;
	}
	if (m->iss_parameter_supported) {
		*why = "iss_missing";
		return -1;
	}
	return 0;
}

/* The JSON of the first segment of a compact JWS, decoded. */
static json_t *jws_header(const char *tok, size_t len)
{
	const char *dot = memchr(tok, '.', len);
	if (!dot || dot == tok)
		return NULL;
	size_t n = (size_t)(dot - tok);
	uint8_t *raw = xmalloc(n);
	size_t rawlen = 0;
	json_t *h = NULL;
	if (sodium_base642bin(raw, n, tok, n, NULL, &rawlen, NULL,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0)
		h = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (h && !json_is_object(h)) {
		json_decref(h);
		h = NULL;
	}
	return h;
}

/* The key of jwks for kid (NULL: the only key of kty) whose type is kty,
 * imported; NULL when there is none. *unknown tells "no such kid" apart
 * from "not usable". */
static cjose_jwk_t *jwks_find(const json_t *jwks, const char *kid, const char *kty, bool *unknown)
{
	const json_t *keys = json_object_get(jwks, "keys");
	*unknown = true;
	if (!json_is_array(keys))
		return NULL;
	const json_t *pick = NULL;
	int candidates = 0;
	size_t i;
	json_t *k;
	json_array_foreach(keys, i, k) {
		const char *use = json_string_value(json_object_get(k, "use"));
		const char *kk = json_string_value(json_object_get(k, "kid"));
		if (use && strcmp(use, "sig") != 0)
			continue;
		if (kid ? (kk && strcmp(kk, kid) == 0) : true) {
			*unknown = false;
			const char *t = json_string_value(json_object_get(k, "kty"));
			if (t && strcmp(t, kty) == 0) {
				pick = k;
				candidates++;
			}
		}
	}
	/* Without a kid, only a single candidate is unambiguous. */
	if (!pick || candidates != 1)
		return NULL;
	char *txt = json_dumps(pick, JSON_COMPACT);
	cjose_err err;
	cjose_jwk_t *jwk = txt ? cjose_jwk_import(txt, strlen(txt), &err) : NULL;
	free(txt);
	return jwk;
}

static bool aud_ok(const json_t *claims, const char *client_id)
{
	const json_t *aud = json_object_get(claims, "aud");
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), client_id) == 0;
	if (!json_is_array(aud) || json_array_size(aud) == 0)
		return false;
	bool found = false;
	size_t i;
	json_t *a;
	json_array_foreach(aud, i, a) {
		if (!json_is_string(a))
			return false;
		if (strcmp(json_string_value(a), client_id) == 0)
			found = true;
	}
	if (!found)
		return false;
	/* Several audiences: the token must say it was issued to us. */
	if (json_array_size(aud) > 1) {
		const char *azp = json_string_value(json_object_get(claims, "azp"));
		return azp && strcmp(azp, client_id) == 0;
	}
	return true;
}

static int claims_check(const json_t *cl, const oidc_expect_t *x, const char **why)
{
	const json_t *iss = json_object_get(cl, "iss");
	const json_t *exp = json_object_get(cl, "exp");
	const json_t *iat = json_object_get(cl, "iat");
	const json_t *nonce = json_object_get(cl, "nonce");
	const json_t *azp = json_object_get(cl, "azp");
	if (!json_is_string(iss) || strcmp(json_string_value(iss), x->issuer) != 0)
		*why = "wrong_issuer";
	else if (!aud_ok(cl, x->client_id))
		*why = "wrong_audience";
	else if (azp && (!json_is_string(azp) || strcmp(json_string_value(azp), x->client_id) != 0))
		*why = "wrong_azp";
	else if (!json_is_integer(exp) && !json_is_real(exp))
		*why = "no_exp";
	else if (json_number_value(exp) <= (double)(x->now_s - OIDC_SKEW_SECONDS))
		*why = "expired";
	else if (!json_is_integer(iat) && !json_is_real(iat))
		*why = "no_iat";
	else if (json_number_value(iat) > (double)(x->now_s + OIDC_SKEW_SECONDS))
		*why = "issued_in_future";
	else if (json_number_value(iat) < (double)(x->now_s - OIDC_IAT_MAX_AGE_SECONDS))
		*why = "issued_too_long_ago";
	else if (!x->nonce || !json_is_string(nonce) ||
		 strcmp(json_string_value(nonce), x->nonce) != 0)
		*why = "wrong_nonce";
	else if (!json_is_string(json_object_get(cl, "sub")) ||
		 !*json_string_value(json_object_get(cl, "sub")))
		*why = "no_subject";
	else
		return 0;
	return -1;
}

int oidc_id_token_check(const char *tok, size_t len, const char *jwks_txt, size_t jwks_len,
	const oidc_expect_t *x, json_t **claims, const char **why)
{
	*claims = NULL;
	if (len == 0 || len > OIDC_TOKEN_MAX || jwks_len > OIDC_DOC_MAX) {
		*why = len == 0 ? "no_id_token" : "id_token_too_large";
		return OIDC_REFUSED;
	}
	for (size_t i = 0; i < len; i++)
		if (!(tok[i] == '.' || tok[i] == '-' || tok[i] == '_' ||
			    (tok[i] >= '0' && tok[i] <= '9') || (tok[i] >= 'a' && tok[i] <= 'z') ||
			    (tok[i] >= 'A' && tok[i] <= 'Z'))) {
			*why = "malformed_id_token";
			return OIDC_REFUSED;
		}
	json_t *hdr = jws_header(tok, len);
	if (!hdr) {
		*why = "malformed_id_token";
		return OIDC_REFUSED;
	}
	const char *alg = json_string_value(json_object_get(hdr, "alg"));
	const json_t *kidj = json_object_get(hdr, "kid");
	const char *kty = NULL;
	/* The allow-list: "none", HS* (a shared secret that the public JWKS
	 * would stand in for) and everything else are refused. */
	if (alg && strcmp(alg, "RS256") == 0)
		kty = "RSA";
	else if (alg && strcmp(alg, "ES256") == 0)
		kty = "EC";
	int rc = OIDC_REFUSED;
	json_t *jwks = NULL;
	cjose_jwk_t *jwk = NULL;
	cjose_jws_t *jws = NULL;
	if (!kty) {
		*why = "alg_not_allowed";
		goto out;
	}
	if (kidj && !json_is_string(kidj)) {
		*why = "malformed_id_token";
		goto out;
	}
	if (json_object_get(hdr, "crit") || json_object_get(hdr, "jku") ||
	    json_object_get(hdr, "jwk") || json_object_get(hdr, "x5u")) {
		*why = "header_not_allowed";
		goto out;
	}
	jwks = json_loadb(jwks_txt, jwks_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(jwks)) {
		*why = "jwks_not_json";
		goto out;
	}
	bool unknown;
	jwk = jwks_find(jwks, json_string_value(kidj), kty, &unknown);
	if (!jwk) {
		*why = unknown ? "unknown_kid" : "no_usable_key";
		rc = unknown ? OIDC_UNKNOWN_KID : OIDC_REFUSED;
		goto out;
	}
	cjose_err err;
	jws = cjose_jws_import(tok, len, &err);
	if (!jws) {
		*why = "malformed_id_token";
		goto out;
	}
	if (!cjose_jws_verify(jws, jwk, &err)) {
		*why = "bad_signature";
		goto out;
	}
	uint8_t *plain = NULL;
	size_t plen = 0;
	if (!cjose_jws_get_plaintext(jws, &plain, &plen, &err)) {
		*why = "malformed_id_token";
		goto out;
	}
	json_t *cl = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(cl)) {
		json_decref(cl);
		*why = "malformed_claims";
		goto out;
	}
	if (claims_check(cl, x, why) != 0) {
		json_decref(cl);
		goto out;
	}
	*claims = cl;
	rc = OIDC_OK;
out:
	if (jws)
		cjose_jws_release(jws);
	if (jwk)
		cjose_jwk_release(jwk);
	json_decref(jwks);
	json_decref(hdr);
	return rc;
}
