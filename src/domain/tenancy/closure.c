/* Account closure: grace period, cancellation and destruction (see
 * closure.h). */
#include "tenancy.h"

#include <stdio.h>
#include <string.h>

#include "records/records.h"
#include "fax/fax.h"
#include "dom_util.h"
#include "log.h"
#include "notify/notify.h"
#include "numbers/numbers.h"
#include "access/access.h"
#include "sec.h"
#include "store_closure.h"
#include "store_numbers.h"
#include "timeutil.h"

#define DAY_MS 86400000LL

/* The pass acting on its own. */
static const audit_ctx_t destroyer = { .who = NULL, .actor = "system:closure", .source = "",
	.request_id = "" };

static json_t *str_or_null(const json_t *k, const char *key)
{
	return *rec_str(k, key) ? json_string(rec_str(k, key)) : json_null();
}

static json_t *closure_view(store_tx_t *tx, const char *acc, const json_t *k)
{
	const char *state = k ? rec_str(k, "state") : "none";
	json_t *cert = *rec_str(k, "certificate") ? json_loads(rec_str(k, "certificate"), 0, NULL)
		: NULL;
	bool held = strcmp(state, "closing") == 0 && store_closure_holds(tx, acc) > 0;
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o}", "account_id", acc,
		"state", state, "requested_at", time_json(json_object_get(k, "requested_at")),
		"requested_by", str_or_null(k, "requested_by"), "destroy_at",
		time_json(json_object_get(k, "destroy_at")), "reason", str_or_null(k, "reason"),
		"cancelled_at", time_json(json_object_get(k, "cancelled_at")), "destroyed_at",
		time_json(json_object_get(k, "destroyed_at")), "cancelled_by",
		str_or_null(k, "cancelled_by"), "held", held, "certificate",
		cert ? cert : json_null());
}

const char *dom_closure_status(store_tx_t *tx, const json_t *a)
{
	const char *st = rec_str(a, "status");
	if (strcmp(st, "closed") != 0)
		return strcmp(st, "active") == 0 ? "active" : strcmp(st, "suspended") == 0 ? "suspended"
											   : "closed";
	json_t *k = store_closure_get(tx, rec_str(a, "id"));
	const char *s = !k ? "closed" : strcmp(rec_str(k, "state"), "closing") == 0 ? "closing"
		: strcmp(rec_str(k, "state"), "destroyed") == 0 ? "destroyed" : "closed";
	json_decref(k);
	return s;
}

bool dom_closure_closing(store_tx_t *tx, const char *account_id)
{
	json_t *k = store_closure_get(tx, account_id);
	bool closing = k && strcmp(rec_str(k, "state"), "closing") == 0;
	json_decref(k);
	return closing;
}

int dom_closure_get(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	const char *acc = rec_str(a, "id");
	json_t *k = store_closure_get(c->tx, acc);
	*out = closure_view(c->tx, acc, k);
	json_decref(k);
	return dom_read_audited(c, "account.closure.read", acc, acc, out, e);
}

static bool owner_in_person(const dom_ctx_t *c)
{
	authz_resource_t r = { .kind = AUTHZ_RES_ACCOUNT };
	return authz_resource(c->who, AUTHZ_OWN, &r, NULL) == AUTHZ_ALLOW;
}

/* The owner in person, or provider staff who manage accounts. */
static int may_close(const dom_ctx_t *c, dom_err_t *e)
{
	authz_resource_t r = { .kind = AUTHZ_RES_ACCOUNT };
	if (authz_resource(c->who, AUTHZ_DELETE, &r, NULL) == AUTHZ_ALLOW)
		return 0;
	return dom_fail(e, "owner-only", "", "only the account owner in person, or the provider, "
		"can close an account or cancel its closure");
}

/* Mails the account's owner (when it has one) a mail of kind with params
 * (borrowed; gains name and account). 0 / -1. */
static int mail_owner(store_tx_t *tx, const dom_config_t *cfg, const json_t *a,
	const json_t *owner, const char *kind, json_t *params)
{
	if (!owner || !cfg)
		return 0;
	json_object_set_new(params, "name", json_string(rec_str(owner, "name")));
	json_object_set_new(params, "account", json_string(rec_str(a, "name")));
	return mail_queue_tx(tx, cfg->fax, cfg->mail_on, kind, owner, NULL, params, NULL);
}

int dom_closure_start(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "reason", "mfa_code", NULL };
	const char *reason = NULL, *code = NULL, *acc = rec_str(a, "id");
	if (body && (body_only(body, allowed, e) || body_str(body, "mfa_code", false, &code, e) ||
		    body_text(body, false, "reason", CLOSURE_REASON_MAX, &reason, e)))
		return -1;
	if (may_close(c, e) != 0)
		return -1;
	json_t *k = store_closure_get(c->tx, acc);
	const char *state = k ? rec_str(k, "state") : "none";
	int rc = 0;
	if (strcmp(state, "closing") == 0)
		rc = dom_fail(e, "conflict", "", "the account is already closing: cancel the closure "
			"or wait for its end");
	else if (strcmp(state, "destroyed") == 0)
		rc = dom_fail(e, "conflict", "", "the account has been destroyed");
	json_decref(k);
	if (rc != 0)
		return -1;
	/* The owner's own decision is re-confirmed, as for a consent. */
	bool mfa = false;
	if (owner_in_person(c) && dom_mfa_recheck(c, code, &mfa, e) != 0)
		return -1;
	int grace = c->cfg && c->cfg->closure_grace_days > 0 ? c->cfg->closure_grace_days
		: CLOSURE_GRACE_DAYS_DEFAULT;
	int64_t now = time_now_ms(), at = now + (int64_t)grace * DAY_MS;
	const char *by = c->who ? c->who->person_id : dom_actor_id(c);
	k = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o}", "account_id", acc, "state", "closing",
		"prior_status", rec_str(a, "status"), "requested_by", by, "requested_at",
		(json_int_t)now, "destroy_at", (json_int_t)at, "reason",
		reason ? json_string(reason) : json_null());
	json_t *upd = json_pack("{s:s, s:I}", "status", "closed", "updated_at", (json_int_t)now);
	char when[40];
	time_format_rfc3339(at, when, sizeof when);
	json_t *detail = json_pack("{s:s, s:i, s:o, s:s, s:b}", "destroy_at", when, "grace_days",
		grace, "reason", reason ? json_string(reason) : json_null(), "prior_status",
		rec_str(a, "status"), "mfa_checked", mfa);
	json_t *owner = store_principal_get(c->tx, rec_str(a, "owner_id"));
	json_t *params = json_pack("{s:s, s:i}", "destroy_at", when, "grace_days", grace);
	rc = store_closure_put(c->tx, k) == STORE_OK && store_account_update(c->tx, acc, upd) ==
		STORE_OK && dom_audit(c, "account.closure.start", acc, acc, "success", detail) == 0 &&
		mail_owner(c->tx, c->cfg, a, owner, MAIL_KIND_ACCOUNT_CLOSING, params) == 0 ? 0 : -1;
	json_decref(params);
	json_decref(owner);
	json_decref(detail);
	json_decref(upd);
	if (rc == 0)
		*out = closure_view(c->tx, acc, k);
	json_decref(k);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the account could not be closed");
}

int dom_closure_cancel(dom_ctx_t *c, const json_t *a, json_t **out, dom_err_t *e)
{
	const char *acc = rec_str(a, "id");
	json_t *k = store_closure_get(c->tx, acc);
	if (!k || strcmp(rec_str(k, "state"), "closing") != 0) {
		json_decref(k);
		return dom_fail(e, "conflict", "", "the account is not closing: there is no closure to "
			"cancel");
	}
	if (may_close(c, e) != 0) {
		json_decref(k);
		return -1;
	}
	int64_t now = time_now_ms();
	const char *prior = rec_str(k, "prior_status");
	json_t *upd = json_pack("{s:s, s:I}", "status", *prior ? prior : "active", "updated_at",
		(json_int_t)now);
	json_object_set_new(k, "state", json_string("cancelled"));
	json_object_set_new(k, "cancelled_by", json_string(c->who ? c->who->person_id
								  : dom_actor_id(c)));
	json_object_set_new(k, "cancelled_at", json_integer(now));
	json_t *detail = json_pack("{s:o, s:s}", "destroy_at",
		time_json(json_object_get(k, "destroy_at")), "status", *prior ? prior : "active");
	/* The owner hears of it whoever cancelled: named as the owner
	 * themself, or as the provider. */
	char when[40];
	time_format_rfc3339(now, when, sizeof when);
	json_t *owner = store_principal_get(c->tx, rec_str(a, "owner_id"));
	bool by_owner = owner_in_person(c);
	const char *name = owner ? rec_str(owner, "name") : "";
	json_t *params = json_pack("{s:s, s:s, s:s}", "cancelled_at", when, "by_en", by_owner
		? name : "the provider", "by_fr", by_owner ? name : "le fournisseur");
	int rc = store_closure_put(c->tx, k) == STORE_OK && store_account_update(c->tx, acc, upd) ==
		STORE_OK && dom_audit(c, "account.closure.cancel", acc, acc, "success", detail) == 0 &&
		mail_owner(c->tx, c->cfg, a, owner, MAIL_KIND_ACCOUNT_CLOSURE_CANCELLED, params) == 0
		? 0 : -1;
	json_decref(params);
	json_decref(owner);
	json_decref(detail);
	json_decref(upd);
	if (rc == 0)
		*out = closure_view(c->tx, acc, k);
	json_decref(k);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the closure could not be cancelled");
}

/* ---- destruction ---- */

/* The deletion certificate of account a, destroyed at now. */
static json_t *certificate(const json_t *a, const json_t *k, int64_t now, const char *key_hex,
	const store_destroyed_t *d, const json_t *numbers, int64_t quarantine_until)
{
	char key_id[SEC_SHA256_HEX] = "";
	if (*key_hex)
		sec_sha256_hex(key_hex, strlen(key_hex), key_id);
	char t0[40], t1[40], t2[40], tq[40];
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:{s:o, s:b}, s:{s:I, s:I, s:I,"
		" s:I, s:I, s:I, s:I, s:I, s:I}, s:O, s:o}",
		"account_id", rec_str(a, "id"), "account_name", rec_str(a, "name"), "method",
		"crypto-shredding", "requested_at", time_format_rfc3339(json_integer_value(
			json_object_get(k, "requested_at")), t0, sizeof t0), "destroy_at",
		time_format_rfc3339(json_integer_value(json_object_get(k, "destroy_at")), t1,
			sizeof t1), "requested_by", rec_str(k, "requested_by"), "reason",
		str_or_null(k, "reason"), "destroyed_at", time_format_rfc3339(now, t2, sizeof t2),
		"account_key", "id", *key_id ? json_string(key_id) : json_null(), "destroyed",
		*key_hex != '\0',
		"counts", "documents", (json_int_t)d->documents, "faxes", (json_int_t)d->faxes,
		"safeboxes", (json_int_t)d->safeboxes, "sealed_secrets", (json_int_t)d->secrets,
		"sessions", (json_int_t)d->sessions, "api_keys", (json_int_t)d->api_keys,
		"scim_tokens", (json_int_t)d->scim_tokens, "members", (json_int_t)d->members,
		"numbers", (json_int_t)json_array_size(numbers), "numbers_quarantined", numbers,
		"quarantine_until", json_array_size(numbers) ? json_string(time_format_rfc3339(
			quarantine_until, tq, sizeof tq)) : json_null());
}

/* Destroys the account of due in a transaction of its own, then removes
 * its blobs: 1 destroyed, 0 not due or held, -1 on failure. */
static int destroy_one(store_t *st, const dom_config_t *cfg, const json_t *due, int64_t now)
{
	const char *acc = rec_str(due, "account_id");
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *k = store_closure_get(tx, acc);
	json_t *a = store_account_get(tx, acc, NULL);
	json_t *owner = NULL, *numbers = NULL, *docs = NULL, *cert = NULL, *n;
	size_t i;
	int rc = 0;
	if (!k || !a || strcmp(rec_str(k, "state"), "closing") != 0 ||
	    json_integer_value(json_object_get(k, "destroy_at")) > now)
		goto out;
	int holds = store_closure_holds(tx, acc);
	if (holds != 0) {
		rc = holds < 0 ? -1 : 0;
		if (holds > 0)
			log_event(LOG_INFO, "account.destroy_held", "account=%s holds=%d", acc, holds);
		goto out;
	}
	owner = store_principal_get(tx, rec_str(a, "owner_id"));
	numbers = store_closure_numbers(tx, acc);
	rc = numbers ? 0 : -1;
	const fax_env_t *env = cfg ? cfg->fax : NULL;
	int days = env ? env->number_quarantine_days : 0;
	int64_t until = numbers_quarantine_until(now, days > 0 ? days : 0);
	json_array_foreach(numbers, i, n)
		if (rc == 0 && store_number_release(tx, acc, json_string_value(n), now, until) !=
		    STORE_OK)
			rc = -1;
	char key_hex[2 * 128 + 1];
	store_destroyed_t d = { 0 };
	if (rc == 0 && store_closure_destroy(tx, acc, now, &docs, key_hex, sizeof key_hex, &d) !=
	    STORE_OK)
		rc = -1;
	if (rc != 0)
		goto out;
	cert = certificate(a, k, now, key_hex, &d, numbers, until);
	/* Like every deletion certificate: until when older backups may still
	 * hold the account (their keys are destroyed by then). */
	backup_note_until(cert, env, now);
	char *text = json_dumps(cert, JSON_COMPACT | JSON_SORT_KEYS);
	json_object_set_new(k, "state", json_string("destroyed"));
	json_object_set_new(k, "destroyed_at", json_integer(now));
	json_object_set_new(k, "certificate", json_string(text ? text : "{}"));
	free(text);
	json_t *upd = json_pack("{s:I}", "updated_at", (json_int_t)now);
	json_t *params = json_pack("{s:O, s:I, s:I, s:I, s:I, s:O}", "destroyed_at",
		json_object_get(cert, "destroyed_at"), "documents", (json_int_t)d.documents, "faxes",
		(json_int_t)d.faxes, "safeboxes", (json_int_t)d.safeboxes, "numbers",
		(json_int_t)json_array_size(numbers), "key_id", json_object_get(json_object_get(cert,
			"account_key"), "id"));
	if (json_is_null(json_object_get(params, "key_id")))
		json_object_set_new(params, "key_id", json_string("-"));
	rc = store_closure_put(tx, k) == STORE_OK && store_account_update(tx, acc, upd) ==
		STORE_OK && audit_record(tx, &destroyer, "account.destroy", acc, acc, "success",
			cert) == 0 && mail_owner(tx, cfg, a, owner, MAIL_KIND_ACCOUNT_DESTROYED,
			params) == 0 ? 0 : -1;
	json_decref(params);
	json_decref(upd);
out:
	if (rc == 0 && cert && store_commit(tx) == STORE_OK) {
		/* The keys are gone for good: now the encrypted files. A crash
		 * here leaves blobs without rows, which the orphan sweep
		 * (dom_docs_sweep_orphans, at start and hourly) removes once
		 * they are an hour old. */
		int left = 0;
		json_array_foreach(docs, i, n)
			if (cfg && cfg->fax && doc_blob_remove(cfg->fax, json_string_value(n)) != 0)
				left++;
		log_event(LOG_INFO, "account.destroyed", "account=%s documents=%lld blobs_left=%d", acc,
			(long long)json_array_size(docs), left);
		rc = 1;
	} else if (rc == 0 && !cert) {
		store_rollback(tx);
	} else {
		if (rc == 0)
			rc = -1; /* the commit failed */
		else
			store_rollback(tx);
	}
	json_decref(cert);
	json_decref(docs);
	json_decref(numbers);
	json_decref(owner);
	json_decref(a);
	json_decref(k);
	return rc;
}

int dom_closure_sweep(store_t *st, const dom_config_t *cfg, int64_t now, int limit)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	json_t *due = store_closure_due(tx, now, limit);
	store_rollback(tx);
	if (!due)
		return -1;
	int n = 0, failed = 0;
	size_t i;
	json_t *d;
	json_array_foreach(due, i, d) {
		int rc = destroy_one(st, cfg, d, now);
		if (rc < 0) {
			failed++;
			log_event(LOG_ERROR, "account.destroy_failed", "account=%s",
				rec_str(d, "account_id"));
		} else {
			n += rc;
		}
	}
	json_decref(due);
	return failed && !n ? -1 : n;
}
