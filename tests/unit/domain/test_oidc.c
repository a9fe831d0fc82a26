/* OpenID Connect checks (oidc.c) with crafted ID tokens: signed here with
 * keys made by cjose, published in a JWKS the check is given. Each attack
 * of docs/sso.md is refused with its reason; the discovery document's
 * issuer must match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjose/cjose.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "identity/identity.h"

#define ISS "https://idp.example"
#define CLIENT "faxvault"
#define NONCE "n-0S6_WzA2Mj"
#define NOW 1800000000

static cjose_jwk_t *rsa, *ec, *rogue;
static char *jwks;

static void add_key(json_t *keys, cjose_jwk_t *k, const char *kid)
{
	cjose_err err;
	cjose_jwk_set_kid(k, kid, strlen(kid), &err);
	char *pub = cjose_jwk_to_json(k, false, &err);
	json_array_append_new(keys, json_loads(pub, 0, NULL));
	free(pub);
}

static int setup(void **state)
{
	(void)state;
	cjose_err err;
	static const uint8_t e[] = { 1, 0, 1 };
	rsa = cjose_jwk_create_RSA_random(2048, e, sizeof e, &err);
	rogue = cjose_jwk_create_RSA_random(2048, e, sizeof e, &err);
	ec = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
	json_t *keys = json_array();
	add_key(keys, rsa, "rsa-1");
	add_key(keys, ec, "ec-1");
	cjose_jwk_set_kid(rogue, "rogue", 5, &err);
	json_t *set = json_pack("{s:o}", "keys", keys);
	jwks = json_dumps(set, JSON_COMPACT);
	json_decref(set);
	return rsa && ec && rogue && jwks ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	cjose_jwk_release(rsa);
	cjose_jwk_release(ec);
	cjose_jwk_release(rogue);
	free(jwks);
	return 0;
}

/* The claims of a good token, to be spoiled by each test. */
static json_t *good_claims(void)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:s, s:s, s:b}", "iss", ISS, "sub", "248289761001",
		"aud", CLIENT, "exp", NOW + 300, "iat", NOW - 10, "nonce", NONCE, "email",
		"u@clinic.example", "email_verified", 1);
}

/* A compact JWS of claims signed by k with alg and kid (kid NULL: none). */
static char *sign(cjose_jwk_t *k, const char *alg, const char *kid, json_t *claims)
{
	cjose_err err;
	cjose_header_t *h = cjose_header_new(&err);
	cjose_header_set(h, CJOSE_HDR_ALG, alg, &err);
	if (kid)
		cjose_header_set(h, CJOSE_HDR_KID, kid, &err);
	char *body = json_dumps(claims, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(claims);
	cjose_jws_t *jws = cjose_jws_sign(k, h, (const uint8_t *)body, strlen(body), &err);
	free(body);
	cjose_header_release(h);
	const char *ser = NULL;
	char *out = jws && cjose_jws_export(jws, &ser, &err) ? strdup(ser) : NULL;
	cjose_jws_release(jws);
	return out;
}

static int check(const char *tok, const char **why)
{
	oidc_expect_t x = { .issuer = ISS, .client_id = CLIENT, .nonce = NONCE, .now_s = NOW };
	json_t *claims = NULL;
	int rc = oidc_id_token_check(tok, strlen(tok), jwks, strlen(jwks), &x, &claims, why);
	assert_true((rc == OIDC_OK) == (claims != NULL));
	json_decref(claims);
	return rc;
}

static void refused(char *tok, int want_rc, const char *want_why)
{
	const char *why = "";
	assert_non_null(tok);
	int rc = check(tok, &why);
	free(tok);
	assert_int_equal(rc, want_rc);
	assert_string_equal(why, want_why);
}

static void test_good_tokens(void **state)
{
	(void)state;
	const char *why;
	char *t = sign(rsa, "RS256", "rsa-1", good_claims());
	assert_int_equal(check(t, &why), OIDC_OK);
	free(t);
	t = sign(ec, "ES256", "ec-1", good_claims());
	assert_int_equal(check(t, &why), OIDC_OK);
	free(t);
	/* Several audiences with azp naming us. */
	json_t *c = good_claims();
	json_object_set_new(c, "aud", json_pack("[s, s]", "other", CLIENT));
	json_object_set_new(c, "azp", json_string(CLIENT));
	t = sign(rsa, "RS256", "rsa-1", c);
	assert_int_equal(check(t, &why), OIDC_OK);
	free(t);
	/* Within the skew. */
	c = good_claims();
	json_object_set_new(c, "exp", json_integer(NOW - OIDC_SKEW_SECONDS + 5));
	t = sign(rsa, "RS256", "rsa-1", c);
	assert_int_equal(check(t, &why), OIDC_OK);
	free(t);
}

static char *spoiled(const char *key, json_t *value)
{
	json_t *c = good_claims();
	if (value)
		json_object_set_new(c, key, value);
	else
		json_object_del(c, key);
	return sign(rsa, "RS256", "rsa-1", c);
}

static void test_claims_refused(void **state)
{
	(void)state;
	refused(spoiled("aud", json_string("another-client")), OIDC_REFUSED, "wrong_audience");
	refused(spoiled("aud", json_pack("[s, s]", "other", CLIENT)), OIDC_REFUSED, "wrong_audience");
	refused(spoiled("aud", NULL), OIDC_REFUSED, "wrong_audience");
	refused(spoiled("azp", json_string("other")), OIDC_REFUSED, "wrong_azp");
	refused(spoiled("iss", json_string("https://evil.example")), OIDC_REFUSED, "wrong_issuer");
	refused(spoiled("exp", json_integer(NOW - OIDC_SKEW_SECONDS - 1)), OIDC_REFUSED, "expired");
	refused(spoiled("exp", NULL), OIDC_REFUSED, "no_exp");
	refused(spoiled("iat", json_integer(NOW + OIDC_SKEW_SECONDS + 1)), OIDC_REFUSED, "issued_in_future");
	refused(spoiled("iat", json_integer(NOW - OIDC_IAT_MAX_AGE_SECONDS - 1)), OIDC_REFUSED,
		"issued_too_long_ago");
	refused(spoiled("nonce", json_string("replayed")), OIDC_REFUSED, "wrong_nonce");
	refused(spoiled("nonce", NULL), OIDC_REFUSED, "wrong_nonce");
	refused(spoiled("sub", json_string("")), OIDC_REFUSED, "no_subject");
}

/* base64url of s, no padding. */
static void b64(const char *s, char *out, size_t n)
{
	oidc_b64url((const uint8_t *)s, strlen(s), out, n);
}

static void test_algorithms_refused(void **state)
{
	(void)state;
	/* alg none: an unsigned token. */
	char h[256], c[1024], tok[1400];
	b64("{\"alg\":\"none\",\"kid\":\"rsa-1\"}", h, sizeof h);
	json_t *gc = good_claims();
	char *cl = json_dumps(gc, JSON_COMPACT);
	json_decref(gc);
	b64(cl, c, sizeof c);
	free(cl);
	snprintf(tok, sizeof tok, "%s.%s.", h, c);
	refused(strdup(tok), OIDC_REFUSED, "alg_not_allowed");
	/* HS256 keyed with the RSA public modulus (key confusion). */
	cjose_err err;
	json_t *pub = json_loads(jwks, 0, NULL);
	const char *n = json_string_value(json_object_get(json_array_get(json_object_get(pub, "keys"), 0), "n"));
	cjose_jwk_t *oct = cjose_jwk_create_oct_spec((const uint8_t *)n, strlen(n), &err);
	refused(sign(oct, "HS256", "rsa-1", good_claims()), OIDC_REFUSED, "alg_not_allowed");
	cjose_jwk_release(oct);
	json_decref(pub);
	refused(sign(rsa, "PS256", "rsa-1", good_claims()), OIDC_REFUSED, "alg_not_allowed");
	/* An alg of another key type than the key of that kid. */
	refused(sign(rsa, "RS256", "ec-1", good_claims()), OIDC_REFUSED, "no_usable_key");
	/* A key that is not in the JWKS: the caller refetches it once. */
	refused(sign(rogue, "RS256", "rogue", good_claims()), OIDC_UNKNOWN_KID, "unknown_kid");
	/* The right kid, signed by another key. */
	refused(sign(rogue, "RS256", "rsa-1", good_claims()), OIDC_REFUSED, "bad_signature");
	/* A key named by the header itself is never trusted. */
	b64("{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"jku\":\"https://evil.example/jwks\"}", h, sizeof h);
	snprintf(tok, sizeof tok, "%s.%s.AAAA", h, c);
	refused(strdup(tok), OIDC_REFUSED, "header_not_allowed");
}

static void test_malformed(void **state)
{
	(void)state;
	refused(strdup("not a token"), OIDC_REFUSED, "malformed_id_token");
	refused(strdup(".."), OIDC_REFUSED, "malformed_id_token");
	refused(strdup("eyJhbGciOiJSUzI1NiJ9"), OIDC_REFUSED, "malformed_id_token");
	refused(strdup("e30.e30.e30"), OIDC_REFUSED, "alg_not_allowed");
	/* A signature over bytes that are not a JSON object. */
	char *t = sign(rsa, "RS256", "rsa-1", json_string("x"));
	refused(t, OIDC_REFUSED, "malformed_claims");
}

static void test_discovery(void **state)
{
	(void)state;
	oidc_meta_t m;
	const char *why = "";
	const char *good = "{\"issuer\":\"" ISS "\",\"authorization_endpoint\":\"" ISS "/auth\","
		"\"token_endpoint\":\"" ISS "/token\",\"jwks_uri\":\"" ISS "/jwks\"}";
	assert_int_equal(oidc_discovery_parse(good, strlen(good), ISS, &m, &why), 0);
	assert_string_equal(m.token_endpoint, ISS "/token");
	assert_int_equal(oidc_discovery_parse(good, strlen(good), ISS "/other", &m, &why), -1);
	assert_string_equal(why, "discovery_issuer_mismatch");
	const char *bad = "{\"issuer\":\"" ISS "\",\"authorization_endpoint\":\"" ISS "/auth\","
		"\"token_endpoint\":\"file:///etc/passwd\",\"jwks_uri\":\"" ISS "/jwks\"}";
	assert_int_equal(oidc_discovery_parse(bad, strlen(bad), ISS, &m, &why), -1);
	assert_string_equal(why, "discovery_bad_token_endpoint");
	assert_int_equal(oidc_discovery_parse("[]", 2, ISS, &m, &why), -1);
	assert_string_equal(why, "discovery_not_json");
}

/* A discovery document of ISS with extra members (each starting with ","). */
#define DISCOVERY(extra)                                                                        \
	"{\"issuer\":\"" ISS "\",\"authorization_endpoint\":\"" ISS "/auth\","                     \
	"\"token_endpoint\":\"" ISS "/token\",\"jwks_uri\":\"" ISS "/jwks\"" extra "}"

/* RFC 9207: the authorization response's iss, advertised or not. */
static void test_response_iss(void **state)
{
	(void)state;
	oidc_meta_t m;
	const char *why = "";
	const char *plain = DISCOVERY("");
	assert_int_equal(oidc_discovery_parse(plain, strlen(plain), ISS, &m, &why), 0);
	assert_false(m.iss_parameter_supported);
	assert_int_equal(oidc_response_iss_check(&m, ISS, NULL, &why), 0);
	assert_int_equal(oidc_response_iss_check(&m, ISS, ISS, &why), 0);
	assert_int_equal(oidc_response_iss_check(&m, ISS, ISS "/", &why), -1);
	assert_string_equal(why, "iss_mismatch");
	const char *adv = DISCOVERY(",\"authorization_response_iss_parameter_supported\":true");
	assert_int_equal(oidc_discovery_parse(adv, strlen(adv), ISS, &m, &why), 0);
	assert_true(m.iss_parameter_supported);
	assert_int_equal(oidc_response_iss_check(&m, ISS, ISS, &why), 0);
	assert_int_equal(oidc_response_iss_check(&m, ISS, NULL, &why), -1);
	assert_string_equal(why, "iss_missing");
	assert_int_equal(oidc_response_iss_check(&m, ISS, "https://evil.example", &why), -1);
	assert_string_equal(why, "iss_mismatch");
	/* "true" as a string is not true. */
	const char *str = DISCOVERY(",\"authorization_response_iss_parameter_supported\":\"true\"");
	assert_int_equal(oidc_discovery_parse(str, strlen(str), ISS, &m, &why), 0);
	assert_false(m.iss_parameter_supported);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_tokens),
		cmocka_unit_test(test_claims_refused),
		cmocka_unit_test(test_algorithms_refused),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_response_iss),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
