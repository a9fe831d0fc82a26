/* Second factor (C07): TOTP enrolment with a QR code, confirmation with a
 * first code that returns single-use recovery codes (stored hashed), and
 * removal. Login-time checks live in auth.c. */
#include <sodium.h>
#include <string.h>

#include "dom_util.h"
#include "notify/notify.h"
#include "qr.h"
#include "identity.h"
#include "sec.h"
#include "timeutil.h"
#include "totp.h"
#include "xalloc.h"

static int mfa_notice(dom_ctx_t *c, const char *kind);

#define TOTP_KEY_BYTES 20
#define RECOVERY_CODES 10
#define TOTP_ISSUER "faxvault"

static int need_person(dom_ctx_t *c, dom_err_t *e)
{
	if (!authz_in_person(c->who))
		return dom_fail(e, "forbidden", "", "a second factor is enrolled by a person, not an API key");
	return 0;
}

int dom_mfa_begin(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	if (need_person(c, e))
		return -1;
	json_t *p = store_principal_get(c->tx, c->who->person_id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such person");
	if (json_is_integer(json_object_get(p, "totp_confirmed_at"))) {
		json_decref(p);
		return dom_fail(e, "conflict", "", "a second factor is enrolled already; remove it first");
	}
	uint8_t key[TOTP_KEY_BYTES];
	sec_random(key, sizeof key);
	char b32[64];
	totp_base32_encode(key, sizeof key, b32, sizeof b32);
	sodium_memzero(key, sizeof key);
	/* A new enrolment replaces an unconfirmed one. The seed is stored
	 * sealed (under the account's key for a member, the provider's for
	 * staff): reading the database does not give the second factor. */
	char *sealed = dom_secret_seal(c, secret_totp_scope(p), "totp", c->who->person_id, b32);
	if (!sealed) {
		json_decref(p);
		sodium_memzero(b32, sizeof b32);
		return dom_fail(e, "unavailable", "", "second factors cannot be enrolled: the service has no master key");
	}
	json_t *upd = json_pack("{s:s, s:n, s:n}", "totp_secret", sealed, "totp_confirmed_at", "totp_last_step");
	free(sealed);
	int rc = store_principal_update(c->tx, c->who->person_id, upd);
	json_decref(upd);
	char *uri = totp_otpauth_uri(TOTP_ISSUER, rec_str(p, "email"), b32);
	json_decref(p);
	if (rc == STORE_OK)
		rc = dom_audit(c, "mfa.enrol.begin", c->who->person_id, c->who->account_id, "success", NULL);
	if (rc == 0)
		*out = json_pack("{s:s, s:s, s:s}", "secret", b32, "otpauth_uri", uri, "qr_png",
			"/v1/me/mfa/totp/qr.png");
	sodium_memzero(uri, strlen(uri));
	free(uri);
	sodium_memzero(b32, sizeof b32);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the enrolment could not be stored");
}

int dom_mfa_qr(dom_ctx_t *c, unsigned char **png, size_t *len, dom_err_t *e)
{
	if (need_person(c, e))
		return -1;
	json_t *p = store_principal_get(c->tx, c->who->person_id);
	if (!p || !json_is_string(json_object_get(p, "totp_secret")) ||
	    json_is_integer(json_object_get(p, "totp_confirmed_at"))) {
		json_decref(p);
		return dom_fail(e, "not-found", "", "no enrolment in progress: POST /v1/me/mfa/totp first");
	}
	char *b32 = dom_secret_open(c, secret_totp_scope(p), "totp", c->who->person_id,
		rec_str(p, "totp_secret"));
	if (!b32) {
		json_decref(p);
		return dom_fail(e, "unavailable", "", "the enrolment's secret cannot be opened");
	}
	char *uri = totp_otpauth_uri(TOTP_ISSUER, rec_str(p, "email"), b32);
	vault_secret_free(b32);
	json_decref(p);
	int rc = qr_png(uri, 6, png, len);
	sodium_memzero(uri, strlen(uri));
	free(uri);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the QR code could not be drawn");
}

/* Checks a code against the person's secret; the matched step or -1. */
static int64_t check_code(dom_ctx_t *c, const json_t *p, const char *code)
{
	uint8_t key[64];
	int klen = dom_totp_key(c, p, key, sizeof key);
	int64_t step = klen > 0 ? totp_verify(key, (size_t)klen, code,
		(uint64_t)(time_now_ms() / 1000 / 30), 1) : -1;
	sodium_memzero(key, sizeof key);
	const json_t *last = json_object_get(p, "totp_last_step");
	if (step >= 0 && json_is_integer(last) && step <= json_integer_value(last))
		return -1; /* a code is good once */
	return step;
}

int dom_mfa_confirm(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "code", NULL };
	const char *code;
	if (need_person(c, e) || body_only(body, allowed, e) || body_str(body, "code", true, &code, e))
		return -1;
	json_t *p = store_principal_get(c->tx, c->who->person_id);
	if (!p || !json_is_string(json_object_get(p, "totp_secret")) ||
	    json_is_integer(json_object_get(p, "totp_confirmed_at"))) {
		json_decref(p);
		return dom_fail(e, "not-found", "", "no enrolment in progress: POST /v1/me/mfa/totp first");
	}
	int64_t step = check_code(c, p, code);
	json_decref(p);
	if (step < 0)
		return dom_fail(e, "invalid-mfa-code", "code", "the code is wrong or was used already");
	char codes[RECOVERY_CODES][16];
	totp_recovery_codes(codes, RECOVERY_CODES);
	char hashes[RECOVERY_CODES][SEC_SHA256_HEX];
	const char *hp[RECOVERY_CODES];
	json_t *list = json_array();
	for (int i = 0; i < RECOVERY_CODES; i++) {
		char norm[32];
		totp_recovery_normalize(codes[i], norm, sizeof norm);
		sec_token_hash(norm, hashes[i]);
		hp[i] = hashes[i];
		json_array_append_new(list, json_string(codes[i]));
	}
	sodium_memzero(codes, sizeof codes);
	int64_t now = time_now_ms();
	json_t *upd = json_pack("{s:I, s:I}", "totp_confirmed_at", (json_int_t)now, "totp_last_step",
		(json_int_t)step);
	int rc = store_principal_update(c->tx, c->who->person_id, upd);
	json_decref(upd);
	if (rc == STORE_OK)
		rc = store_recovery_replace(c->tx, c->who->person_id, hp, RECOVERY_CODES);
	if (rc == STORE_OK)
		rc = dom_audit(c, "mfa.enrol", c->who->person_id, c->who->account_id, "success", NULL);
	if (rc == 0)
		rc = mfa_notice(c, MAIL_KIND_MFA_ENROLLED);
	if (rc != 0) {
		json_decref(list);
		return dom_fail(e, "internal", "", "the enrolment could not be stored");
	}
	*out = json_pack("{s:o, s:s}", "recovery_codes", list, "note",
		"Each recovery code works once. They are shown only now: store them safely.");
	return 0;
}

/* Tells the person their second factor changed (kind: enrolled or
 * removed), in the request's transaction. 0, or -1 when the outbox could
 * not be written. */
static int mfa_notice(dom_ctx_t *c, const char *kind)
{
	json_t *p = store_principal_get(c->tx, c->who->person_id);
	if (!p)
		return -1;
	char at[40];
	json_t *mp = json_pack("{s:s, s:s, s:s}", "name", rec_str(p, "name"), "at",
		time_format_rfc3339(time_now_ms(), at, sizeof at), "source",
		c->source && *c->source ? c->source : "-");
	int rc = dom_mail_queue(c, kind, p, NULL, mp, NULL);
	json_decref(mp);
	json_decref(p);
	return rc;
}

int dom_mfa_remove(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "code", NULL };
	const char *code;
	*out = NULL;
	if (need_person(c, e) || body_only(body, allowed, e) || body_str(body, "code", true, &code, e))
		return -1;
	json_t *p = store_principal_get(c->tx, c->who->person_id);
	if (!p || !json_is_integer(json_object_get(p, "totp_confirmed_at"))) {
		json_decref(p);
		return dom_fail(e, "not-found", "", "no second factor is enrolled");
	}
	int64_t step = check_code(c, p, code);
	json_decref(p);
	if (step < 0)
		return dom_fail(e, "invalid-mfa-code", "code", "the code is wrong or was used already");
	json_t *upd = json_pack("{s:n, s:n, s:n}", "totp_secret", "totp_confirmed_at", "totp_last_step");
	int rc = store_principal_update(c->tx, c->who->person_id, upd);
	json_decref(upd);
	if (rc == STORE_OK)
		rc = store_recovery_replace(c->tx, c->who->person_id, NULL, 0);
	if (rc == STORE_OK)
		rc = dom_audit(c, "mfa.remove", c->who->person_id, c->who->account_id, "success", NULL);
	if (rc == 0)
		rc = mfa_notice(c, MAIL_KIND_MFA_REMOVED);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the second factor could not be removed");
}

int dom_mfa_recheck(dom_ctx_t *c, const char *code, bool *checked, dom_err_t *e)
{
	*checked = false;
	json_t *p = store_principal_get(c->tx, c->who->person_id);
	if (!p)
		return dom_fail(e, "internal", "", "the person could not be read");
	if (!json_is_integer(json_object_get(p, "totp_confirmed_at"))) {
		json_decref(p);
		return 0;
	}
	if (!code || !*code) {
		json_decref(p);
		return dom_fail(e, "validation-failed", "mfa_code",
			"you have a second factor: send a current code as \"mfa_code\"");
	}
	int64_t step = check_code(c, p, code);
	json_decref(p);
	if (step < 0)
		return dom_fail(e, "invalid-mfa-code", "mfa_code", "the code is wrong or was used already");
	json_t *upd = json_pack("{s:I}", "totp_last_step", (json_int_t)step);
	int rc = store_principal_update(c->tx, c->who->person_id, upd);
	json_decref(upd);
	if (rc != STORE_OK)
		return dom_fail(e, "internal", "", "the second-factor check could not be stored");
	*checked = true;
	return 0;
}
