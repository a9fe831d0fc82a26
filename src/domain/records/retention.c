/* Retention policies, legal holds and the sweep (see retention.h). */
#include "records.h"

#include <string.h>

#include "audit/audit.h"
#include "records_int.h"
#include "dom_util.h"
#include "fax/fax.h"
#include "safebox/safebox.h"
#include "log.h"
#include "tenancy/tenancy.h"
#include "store_fax.h"
#include "store_retention.h"
#include "store_safebox.h"
#include "timeutil.h"

static const char *const day_keys[] = { "inbound_fax_days", "outbound_fax_days", "safebox_days" };

/* The sweep acting on its own. */
static const audit_ctx_t sweeper = { .who = NULL, .actor = "system:retention", .source = "",
	.request_id = "" };

bool dom_retention_held(store_tx_t *tx, const json_t *f)
{
	if (*rec_str(f, "legal_hold_reason"))
		return true;
	json_t *p = store_retention_get(tx, rec_str(f, "account_id"));
	bool held = p && json_integer_value(json_object_get(p, "legal_hold")) != 0;
	json_decref(p);
	return held;
}

static json_t *policy_json(const dom_ctx_t *c, const char *account_id, const json_t *p)
{
	json_t *o = json_pack("{s:s}", "account_id", account_id);
	for (size_t i = 0; i < sizeof day_keys / sizeof day_keys[0]; i++) {
		const json_t *v = json_object_get(p, day_keys[i]);
		json_object_set_new(o, day_keys[i], v ? json_integer(json_integer_value(v)) : json_null());
	}
	bool held = p && json_integer_value(json_object_get(p, "legal_hold")) != 0;
	json_object_set_new(o, "legal_hold", json_pack("{s:b, s:o}", "held", held, "reason",
		held ? json_string(rec_str(p, "legal_hold_reason")) : json_null()));
	int min = c->cfg ? c->cfg->retention_min_days : 0, max = c->cfg ? c->cfg->retention_max_days : 0;
	json_object_set_new(o, "bounds", json_pack("{s:o, s:o}", "min_days",
		min > 0 ? json_integer(min) : json_null(), "max_days",
		max > 0 ? json_integer(max) : json_null()));
	json_object_set_new(o, "updated_at", p ? time_json(json_object_get(p, "updated_at"))
					       : json_null());
	return o;
}

int dom_retention_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e)
{
	const char *id = rec_str(account, "id");
	json_t *p = store_retention_get(c->tx, id);
	*out = policy_json(c, id, p);
	json_decref(p);
	if (dom_audit(c, "retention.read", id, id, "success", NULL) != STORE_OK) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the retention policy could not be read");
	}
	return 0;
}

/* Checks the days of key in body against the provider's bounds and sets
 * them in p (null: keep, removed). 0 / -1. */
static int take_days(const dom_ctx_t *c, const json_t *account, const json_t *body,
	const char *key, json_t *p, dom_err_t *e)
{
	const json_t *v = json_object_get(body, key);
	if (!v)
		return 0;
	/* The account's regulatory profile first: its ceiling is the reason. */
	const reg_profile_t *rp = regprofile_find(rec_str(account, "regulatory_profile"));
	i18n_msg_t why;
	if (regprofile_check_days(rp, key, json_is_integer(v) ? (long long)json_integer_value(v)
		: json_is_null(v) ? -1 : 0, &why) != 0)
		return dom_fail_msg(e, "regulatory-floor", key, &why);
	int min = c->cfg ? c->cfg->retention_min_days : 0, max = c->cfg ? c->cfg->retention_max_days : 0;
	if (json_is_null(v)) {
		if (max > 0)
			return dom_fail(e, "validation-failed", key, "%s cannot be null (keep): this "
				"provider keeps faxes at most %d days", key, max);
		json_object_del(p, key);
		return 0;
	}
	json_int_t d = json_is_integer(v) ? json_integer_value(v) : -1;
	if (d < 1 || d > RETENTION_DAYS_MAX)
		return dom_fail(e, "validation-failed", key, "%s must be a number of days from 1 to %d, "
			"or null to keep", key, RETENTION_DAYS_MAX);
	if (min > 0 && d < min)
		return dom_fail(e, "validation-failed", key, "%s must be at least %d days (the provider's "
			"minimum)", key, min);
	if (max > 0 && d > max)
		return dom_fail(e, "validation-failed", key, "%s must be at most %d days (the provider's "
			"maximum)", key, max);
	json_object_set_new(p, key, json_integer(d));
	return 0;
}

/* A hold's reason: 1 to RETENTION_REASON_MAX characters, no control
 * characters. */
static int reason_ok(const char *r)
{
	size_t n = r ? strlen(r) : 0;
	if (n == 0 || n > RETENTION_REASON_MAX)
		return 0;
	for (const unsigned char *s = (const unsigned char *)r; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int dom_retention_update(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "inbound_fax_days", "outbound_fax_days",
		"safebox_days", "legal_hold", "legal_hold_reason", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	const char *id = rec_str(account, "id");
	json_t *before = store_retention_get(c->tx, id);
	json_t *p = before ? json_deep_copy(before) : json_pack("{s:s, s:i}", "account_id", id,
		"legal_hold", 0);
	int rc = 0;
	for (size_t i = 0; i < sizeof day_keys / sizeof day_keys[0] && rc == 0; i++)
		rc = take_days(c, account, body, day_keys[i], p, e);
	const json_t *hold = json_object_get(body, "legal_hold");
	const char *reason = NULL;
	if (rc == 0 && body_str(body, "legal_hold_reason", false, &reason, e) != 0)
		rc = -1;
	if (rc == 0 && hold && !json_is_boolean(hold))
		rc = dom_fail(e, "validation-failed", "legal_hold", "legal_hold must be true or false");
	if (rc == 0 && hold) {
		if (json_is_true(hold) && !reason_ok(reason))
			rc = dom_fail(e, "validation-failed", "legal_hold_reason", "a legal hold needs a "
				"legal_hold_reason of 1 to %d characters without control characters",
				RETENTION_REASON_MAX);
		json_object_set_new(p, "legal_hold", json_integer(json_is_true(hold)));
		json_object_set_new(p, "legal_hold_reason", json_is_true(hold) ? json_string(reason)
									 : json_null());
	} else if (rc == 0 && reason) {
		rc = dom_fail(e, "validation-failed", "legal_hold_reason", "legal_hold_reason goes with "
			"legal_hold");
	}
	if (rc == 0) {
		json_object_set_new(p, "updated_at", json_integer(time_now_ms()));
		json_t *detail = json_pack("{s:o, s:o}", "before", policy_json(c, id, before), "after",
			policy_json(c, id, p));
		if (store_retention_put(c->tx, p) != STORE_OK ||
		    dom_audit(c, "retention.update", id, id, "success", detail) != STORE_OK)
			rc = dom_fail(e, "internal", "", "the retention policy could not be saved");
		json_decref(detail);
	}
	if (rc == 0)
		*out = policy_json(c, id, p);
	json_decref(before);
	json_decref(p);
	return rc;
}

int dom_fax_hold(dom_ctx_t *c, const json_t *account, const char *fax_id, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "reason", NULL };
	const char *id = rec_str(account, "id"), *reason = NULL;
	if (body && (body_only(body, allowed, e) != 0 || body_str(body, "reason", true, &reason, e) != 0))
		return -1;
	if (body && !reason_ok(reason))
		return dom_fail(e, "validation-failed", "reason", "reason must be 1 to %d characters "
			"without control characters", RETENTION_REASON_MAX);
	int rc = store_fax_hold_set(c->tx, id, fax_id, reason);
	if (rc == STORE_NOTFOUND)
		return dom_fail(e, "not-found", "", "no such fax");
	json_t *detail = body ? json_pack("{s:s}", "reason", reason) : NULL;
	if (rc == STORE_OK)
		rc = dom_audit(c, body ? "fax.legal_hold" : "fax.legal_hold_lifted", fax_id, id,
			"success", detail);
	json_decref(detail);
	json_t *f = rc == STORE_OK ? store_fax_get(c->tx, id, fax_id) : NULL;
	if (!f)
		return dom_fail(e, "internal", "", "the legal hold could not be saved");
	*out = json_pack("{s:s, s:b, s:o}", "fax_id", fax_id, "held", reason != NULL, "reason",
		reason ? json_string(reason) : json_null());
	json_decref(f);
	return 0;
}

/* Deletes one due fax in a transaction of its own: 1 deleted, 0 no longer
 * due (deleted, held or changed meanwhile), -1 store failure. */
static int sweep_one(store_t *st, const fax_env_t *env, const json_t *due, int64_t now)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	const char *fax_id = rec_str(due, "id"), *account_id = rec_str(due, "account_id");
	json_t *f = store_fax_get(tx, account_id, fax_id);
	int rc = 0;
	if (f && !dom_retention_held(tx, f)) {
		const char *dir = rec_str(f, "direction");
		json_int_t days = json_integer_value(json_object_get(due, "days"));
		json_t *detail = json_pack("{s:s, s:I, s:o, s:o}", "rule", strcmp(dir, "inbound") == 0
			? "inbound_fax_days" : "outbound_fax_days", "days", (json_int_t)days, "created_at",
			time_json(json_object_get(f, "created_at")), "completed_at",
			time_json(json_object_get(f, "completed_at")));
		rc = fax_destroy_tx(tx, env, &sweeper, f, "fax.retention_delete", detail, now) == 0 ? 1 : -1;
	}
	json_decref(f);
	if (rc >= 0 && store_commit(tx) == STORE_OK)
		return rc;
	if (rc < 0)
		store_rollback(tx);
	return -1;
}

/* Deletes each item of due with one (a fax: sweep_one; a SafeBox:
 * dom_safebox_sweep_one), adding to *n and *failed. */
static void sweep_each(store_t *st, const fax_env_t *env, const json_t *due, int64_t now,
	int (*one)(store_t *, const fax_env_t *, const json_t *, int64_t), const char *what, int *n,
	int *failed)
{
	size_t i;
	json_t *d;
	json_array_foreach(due, i, d) {
		int rc = one(st, env, d, now);
		if (rc < 0) {
			(*failed)++;
			log_event(LOG_ERROR, "retention.delete_failed", "%s=%s", what, rec_str(d, "id"));
		} else {
			*n += rc;
		}
	}
}

struct key_sweep {
	store_t *st;
	int failed;
};

/* A backup key destroyed (and the backup removed, or why not): recorded in
 * the provider's audit chain. */
static void key_destroyed(void *arg, const backup_expired_t *b)
{
	struct key_sweep *k = arg;
	char c[40], x[40];
	const char *id = b->id;
	json_t *detail = json_pack("{s:s, s:s, s:s, s:o, s:b, s:o}", "backup_id", id, "created_at",
		time_format_rfc3339(b->created_ms, c, sizeof c), "expired_at",
		time_format_rfc3339(b->expires_ms, x, sizeof x), "location",
		b->location ? json_string(b->location) : json_null(), "backup_removed", b->removed,
		"kept", b->kept ? json_string(b->kept) : json_null());
	store_tx_t *tx = store_begin(k->st, true);
	if (!tx || audit_record(tx, &sweeper, "backup.key_destroyed", id, NULL, "success", detail) != 0 ||
	    store_commit(tx) != STORE_OK) {
		if (tx)
			store_rollback(tx);
		k->failed++;
	}
	json_decref(detail);
	log_event(LOG_INFO, "retention.backup_key_destroyed", "backup=%s removed=%d kept=%s", id,
		b->removed, b->kept ? b->kept : "-");
}

/* Destroys the keys of expired backups: the number destroyed. */
static int sweep_backup_keys(store_t *st, const fax_env_t *env, int64_t now)
{
	if (!env || !env->backup_key_dir || !*env->backup_key_dir)
		return 0;
	struct key_sweep k = { .st = st };
	int n = backup_keys_expire(env->backup_key_dir, env->backup_root, now,
		env->backup_retention_days, key_destroyed, &k);
	if (n < 0 || k.failed)
		log_event(LOG_WARN, "retention.backup_keys_failed", "dir=%s audit_failed=%d",
			env->backup_key_dir, k.failed);
	return n > 0 ? n : 0;
}

int dom_retention_sweep(store_t *st, const fax_env_t *env, int64_t now, int limit)
{
	sweep_backup_keys(st, env, now);
	/* Documents an erasure left to draw again (docrewrite.h). */
	if (dom_doc_rewrites_run(st, env, &sweeper, NULL, limit) < 0)
		log_event(LOG_WARN, "retention.rewrites_failed", "retry=next_sweep");
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	json_t *due = store_retention_due(tx, now, limit);
	json_t *boxes = store_safebox_due(tx, now, limit);
	store_rollback(tx);
	if (!due || !boxes) {
		json_decref(due);
		json_decref(boxes);
		return -1;
	}
	int n = 0, failed = 0;
	sweep_each(st, env, due, now, sweep_one, "fax", &n, &failed);
	sweep_each(st, env, boxes, now, dom_safebox_sweep_one, "safebox", &n, &failed);
	json_decref(due);
	json_decref(boxes);
	if (n || failed)
		log_event(failed ? LOG_WARN : LOG_INFO, "retention.swept", "deleted=%d failed=%d", n,
			failed);
	return failed && !n ? -1 : n;
}
