/* The operation runner (see ops.h): the steps every ingress takes, in one
 * place, so that HTTP, SCIM, mail and faxvaultd's commands authenticate,
 * limit, gate, authorize, commit and audit alike. */
#include "ops.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "access/access.h"
#include "operations/operations.h"
#include "i18n.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

static bool unavailable_if_so(op_run_t *r);

int op_begin(op_run_t *r, store_t *st, const dom_config_t *cfg, const op_spec_t *spec,
	const char *source, const char *request_id, const char *lang, bool lang_fixed)
{
	memset(r, 0, sizeof *r);
	r->spec = spec;
	r->lang_fixed = lang_fixed;
	r->c = (dom_ctx_t){ .store = st, .source = source, .request_id = request_id,
		.lang = lang ? lang : "en", .cfg = cfg };
	store_unavailable_clear();
	/* An operation that writes nothing runs in a read transaction, beside
	 * the writer; its audit event and last_seen_at go through the store's
	 * group commit (audit_record, dom_authenticate). */
	if (spec->flags & OP_OWN_TX)
		return 0;
	r->c.tx = store_begin(st, !(spec->flags & OP_READONLY));
	if (!r->c.tx)
		return dom_fail(&r->e, "unavailable", "", "the database is not reachable");
	return 0;
}

void op_as_actor(op_run_t *r, const char *actor)
{
	r->c.who = NULL;
	r->c.actor = actor;
}

int op_authenticate(op_run_t *r, const char *credential, op_auth_fn auth)
{
	if (!auth)
		auth = dom_authenticate;
	if (auth(r->c.tx, r->c.cfg, credential, r->c.source, time_now_ms(), &r->who, &r->e) != 0) {
		if (!r->e.kind)
			dom_fail(&r->e, "unauthenticated", "", "use Authorization: Bearer <token>");
		/* The credential could not be read (the database went away):
		 * neither a refusal of the caller nor a failed attempt. */
		if (unavailable_if_so(r))
			return -1;
		/* Refused for its address: the person is known, and the
		 * refusal belongs in their account's log. */
		if (strcmp(r->e.kind, "ip-not-allowed") == 0)
			r->c.who = &r->who;
		else
			r->auth_failed = true;
		return -1;
	}
	r->c.who = &r->who;
	if (!r->lang_fixed && strcmp(r->who.lang, "fr") == 0)
		r->c.lang = "fr";
	return 0;
}

void op_limit_key(const op_run_t *r, char *key, size_t n)
{
	const principal_t *who = r->c.who;
	if (!who)
		snprintf(key, n, "src:%s", r->c.source ? r->c.source : "");
	else if (strcmp(who->type, "api_key") == 0)
		snprintf(key, n, "key:%s", who->id);
	else if (strcmp(who->type, "scim") == 0)
		snprintf(key, n, "%s", who->id); /* "scim:ID": each token its own */
	else if (who->account_id[0])
		snprintf(key, n, "acc:%s", who->account_id);
	else
		snprintf(key, n, "usr:%s", who->person_id);
}

int op_limit(op_run_t *r, const char *key, int anon_rpm, int anon_burst, rl_result_t *rl)
{
	const principal_t *w = r->c.who;
	ratelimit_take(key, w ? w->rpm : anon_rpm, w ? w->burst : anon_burst, time_now_ms(), rl);
	if (rl->allowed)
		return 0;
	/* Still refused from an announced penetration test's sources (C15):
	 * the limits protect the service; the refusal is labelled (metrics,
	 * log), not alerted. */
	if (r->c.tx) {
		r->announced = dom_announced(r->c.tx, w && w->account_id[0] ? w->account_id : NULL,
			r->c.source, time_now_ms(), r->pentest);
		if (r->announced)
			log_event(LOG_INFO, "http.rate_limited_announced", "rid=%s peer=%s pentest=%s",
				r->c.request_id, r->c.source, r->pentest);
	}
	return dom_fail(&r->e, "rate-limited", "", "retry in %d s", rl->retry_after);
}

/* Whether the operation may run on a closed or closing account: it reads,
 * or it is marked for a closing account (the closure itself, legal holds). */
static bool closing_allows(const op_spec_t *s)
{
	return (s->flags & (OP_READS | OP_READONLY | OP_WHILE_CLOSING)) != 0;
}

/* The gate a caller must pass first, as a problem kind, or NULL. */
static const char *gate_kind(unsigned gates)
{
	if (gates & PRINCIPAL_GATE_TERMS)
		return "terms-not-accepted";
	if (gates & PRINCIPAL_GATE_MFA)
		return "mfa-enrolment-required";
	if (gates & PRINCIPAL_GATE_PASSWORD)
		return "password-expired";
	return NULL;
}

int op_gate(op_run_t *r)
{
	const op_spec_t *s = r->spec;
	unsigned gates = r->c.who ? r->who.gates : 0;
	if ((gates & PRINCIPAL_GATE_CLOSING) && (closing_allows(s) || (s->flags & OP_UNGATED)))
		gates &= ~(unsigned)PRINCIPAL_GATE_CLOSING;
	if (gates & PRINCIPAL_GATE_CLOSING)
		return dom_fail(&r->e, "account-closing", "", "the account is closing: only reading, "
			"exporting and cancelling the closure remain possible");
	if (gates && !(s->flags & OP_UNGATED)) {
		const char *g = gate_kind(gates);
		return dom_fail_text(&r->e, g, "", strcmp(g, "terms-not-accepted") == 0
			? I18N("accept the terms: GET /v1/terms/current, then POST /v1/me/terms/accept")
			: strcmp(g, "mfa-enrolment-required") == 0
			? I18N("enrol a second factor: POST /v1/me/mfa/totp, then POST /v1/me/mfa/totp/confirm")
			: I18N("change your password: POST /v1/me/password"));
	}
	return 0;
}

static int step_by(op_run_t *r, op_step_fn fn, void *arg)
{
	int rc = fn(arg, r);
	if (rc < 0 && !r->e.kind)
		dom_fail(&r->e, "internal", "", "the operation failed");
	return rc < 0 ? -1 : rc;
}

int op_limit_by(op_run_t *r, op_step_fn fn, void *arg)
{
	return step_by(r, fn, arg);
}

int op_gate_by(op_run_t *r, op_step_fn fn, void *arg)
{
	if (op_gate(r) != 0)
		return -1;
	return step_by(r, fn, arg);
}

static const char *rec_str_of(const json_t *rec, const char *key)
{
	const char *v = json_string_value(json_object_get(rec, key));
	return v ? v : "";
}

int op_authorize(op_run_t *r, const char *account_id)
{
	const op_spec_t *s = r->spec;
	if (s->flags & OP_PUBLIC)
		return 0;
	principal_t *who = &r->who;
	authz_target_t target = { 0 };
	dom_access_t access = { 0 };
	if (s->flags & OP_ACCOUNT) {
		/* Members never learn whether another account exists (decided
		 * before it is read). */
		authz_resource_t res = { .kind = AUTHZ_RES_ACCOUNT, .account_id = account_id };
		if (authz_resource(who, AUTHZ_READ, &res, NULL) == AUTHZ_NOT_FOUND)
			return dom_fail(&r->e, "not-found", "", "no such account");
		r->account = store_account_get(r->c.tx, account_id, NULL);
		if (!r->account)
			return dom_fail(&r->e, "not-found", "", "no such account");
		if (dom_access_load(r->c.tx, who, r->account, time_now_ms(), &access, &target) != 0) {
			dom_access_free(&access);
			return dom_fail(&r->e, "internal", "", "the account's delegations could not be read");
		}
	}
	perm_set_t need = s->perms ? s->perms : ~(perm_set_t)0;
	authz_decision_t d;
	authz_decide(r->c.who, need, &target, time_now_ms(), &d);
	if (d.result == AUTHZ_ALLOW) {
		/* Acting under a consent or grant: its scope holds for the whole
		 * operation, and every event names it. */
		who->perms = d.perms;
		snprintf(who->consent_id, sizeof who->consent_id, "%s", d.consent_id ? d.consent_id : "");
		snprintf(who->grant_id, sizeof who->grant_id, "%s", d.grant_id ? d.grant_id : "");
	}
	dom_access_free(&access);
	switch (d.result) {
	case AUTHZ_ALLOW:
		break;
	case AUTHZ_NOT_FOUND:
		return dom_fail(&r->e, "not-found", "", "no such account");
	case AUTHZ_UNAUTHENTICATED:
		return dom_fail(&r->e, "unauthenticated", "", "this operation needs a session token or an API key");
	case AUTHZ_FORBIDDEN: {
		char *names = perm_set_to_string(s->perms);
		dom_fail(&r->e, "forbidden", "", "this operation needs one of: %.200s", names);
		free(names);
		return -1;
	}
	}
	/* A closed account (closing, destroyed) takes no change but its
	 * closure's and legal holds, whoever asks. */
	if (r->account && strcmp(rec_str_of(r->account, "status"), "closed") == 0 && !closing_allows(s))
		return dom_fail(&r->e, "account-closing", "", "the account is closed: only reading, "
			"exporting and cancelling the closure remain possible");
	if (who->consent_id[0] && !store_tx_writes(r->c.tx)) {
		/* A consent's first use is recorded with the request. */
		store_rollback(r->c.tx);
		r->c.tx = store_begin(r->c.store, true);
		if (!r->c.tx)
			return dom_fail(&r->e, "unavailable", "", "the database is not reachable");
	}
	if (who->consent_id[0] && dom_consent_used(&r->c, r->account, who->consent_id, &r->e) != 0)
		return -1;
	return 0;
}

/* The id idempotency keys are kept under: the person, or the local actor. */
static const char *idem_owner(const op_run_t *r)
{
	if (r->c.who)
		return r->who.person_id;
	return r->c.actor && *r->c.actor ? r->c.actor : NULL;
}

int op_idempotent(op_run_t *r, const char *key, const void *request, size_t len,
	op_replay_t *replay)
{
	*replay = (op_replay_t){ 0 };
	const char *owner = idem_owner(r);
	if (!key || !owner)
		return 0;
	size_t kl = strlen(key);
	bool ok = kl > 0 && kl <= OP_IDEM_KEY_MAX;
	for (size_t i = 0; ok && i < kl; i++)
		ok = key[i] > 0x20 && key[i] < 0x7f;
	if (!ok)
		return dom_fail(&r->e, "invalid-parameter", "Idempotency-Key",
			"Idempotency-Key must be 1 to 255 printable ASCII characters");
	if (!r->c.tx)
		return dom_fail(&r->e, "internal", "", "the request could not be recorded");
	sec_sha256_hex(request ? request : "", request ? len : 0, r->idem_hash);
	json_t *rec = NULL;
	/* An answer older than api.idempotency_hours is forgotten: the key runs anew. */
	int64_t since = time_now_ms() - dom_idem_window_ms(r->c.cfg);
	if (store_idem_get(r->c.tx, owner, key, since, &rec) == STORE_OK) {
		if (strcmp(rec_str_of(rec, "request_hash"), r->idem_hash) != 0) {
			json_decref(rec);
			return dom_fail(&r->e, "idempotency-key-reused", "Idempotency-Key",
				"send a new key with a new request");
		}
		replay->status = (int)json_integer_value(json_object_get(rec, "status"));
		replay->body = xstrdup(rec_str_of(rec, "body"));
		json_decref(rec);
		/* Nothing runs: what the run read ends here. */
		store_rollback(r->c.tx);
		r->c.tx = NULL;
		return 1;
	}
	free(r->idem_key);
	r->idem_key = xstrdup(key);
	return 0;
}

int op_idem_save(op_run_t *r, int status, const char *body)
{
	if (!r->idem_key)
		return 0;
	const char *owner = idem_owner(r);
	if (!r->c.tx || !owner || store_idem_put(r->c.tx, owner, r->idem_key, r->idem_hash, status,
		    body ? body : "", time_now_ms()) != STORE_OK)
		return dom_fail(&r->e, "internal", "", "the request could not be recorded");
	return 0;
}

void op_replay_free(op_replay_t *replay)
{
	free(replay->body);
	replay->body = NULL;
}

int op_call(op_run_t *r, op_fn fn, void *arg, json_t **out)
{
	*out = NULL;
	if (fn(arg, &r->c, out, &r->e) != 0)
		return -1;
	if (!r->c.tx && !(r->spec->flags & OP_OWN_TX)) {
		/* The operation ended its transaction and could not start another. */
		json_decref(*out);
		*out = NULL;
		return dom_fail(&r->e, "unavailable", "", "the database is not reachable");
	}
	return 0;
}

static void audit_run(op_run_t *r, const char *target, const char *outcome);

/* A failure while the database could not take the transaction
 * (store_unavailable_seen: a PostgreSQL primary gone, no member accepting
 * writes yet) is "unavailable": try again shortly. Whatever kind the step
 * gave: a statement that failed reads as nothing found, so a credential
 * looks unknown (401), an account missing (404), a store error internal
 * (500); none of them is the answer. Whether it was so. */
static bool unavailable_if_so(op_run_t *r)
{
	if (!store_unavailable_seen())
		return false;
	if (!r->e.kind || strcmp(r->e.kind, "unavailable") != 0)
		dom_fail(&r->e, "unavailable", "", "the database is not reachable");
	r->e.retry_after_s = 1;
	return true;
}

int op_commit(op_run_t *r)
{
	store_tx_t *tx = r->c.tx;
	r->c.tx = NULL;
	if (!(!tx && (r->spec->flags & OP_OWN_TX)) && (!tx || store_commit(tx) != STORE_OK)) {
		dom_fail(&r->e, "internal", "", "the change could not be committed");
		unavailable_if_so(r);
		return -1;
	}
	if (r->spec->flags & OP_AUDIT_RUN)
		audit_run(r, r->spec->pattern, "success");
	return 0;
}

/* Failures worth a trace in the audit log: bad credentials and refusals. */
static bool audit_worthy(const char *kind)
{
	static const char *const k[] = { "unauthenticated", "invalid-credentials", "forbidden",
		"permission-not-held", "owner-protected", "owner-only", "account-suspended",
		"account-closing", "ip-not-allowed", "csrf", NULL };
	for (int i = 0; k[i]; i++)
		if (strcmp(kind, k[i]) == 0)
			return true;
	return false;
}

/* The gate a gate refusal's kind names (in its audit event), or NULL. */
static const char *gate_of(const char *kind)
{
	static const char *const g[][2] = { { "terms-not-accepted", "terms" },
		{ "mfa-enrolment-required", "mfa_enrolment" }, { "password-expired", "password_expired" },
		{ "ip-not-allowed", "network" }, { NULL, NULL } };
	for (int i = 0; g[i][0]; i++)
		if (strcmp(kind, g[i][0]) == 0)
			return g[i][1];
	return NULL;
}

/* The ingress that carried the run, as its audit event names it. */
static const char *ingress_of(const op_run_t *r)
{
	const char *p = r->spec->pattern ? r->spec->pattern : "";
	if (strncmp(p, "/scim/", 6) == 0)
		return "scim";
	if (p[0] == '/')
		return "http";
	if (strcmp(p, "smtp") == 0)
		return "smtp";
	return "cli";
}

/* Whether a gate refusal of r's caller is recorded: the first of each
 * caller (the acting credential), gate and minute, counted in a bucket of
 * the runner's limiter (shared between nodes where the limits are), so
 * that a client that hammers a gate cannot flood the audit chain. */
static bool gate_audit_due(const op_run_t *r, const char *gate)
{
	char key[96];
	snprintf(key, sizeof key, "gate:%s:%s", gate, r->who.id);
	rl_result_t rl;
	ratelimit_take(key, 1, 1, time_now_ms(), &rl);
	return rl.allowed;
}

/* Records a refusal in its own transaction. The event goes to the caller's
 * own account when the caller is a member (never into the log of an account
 * they were refused, which would tell that account's admins about them and
 * let anyone write arbitrary ids into a log); to the targeted account when
 * it exists and the caller is provider or partner staff; else to none.
 * A gate refusal (gate: its name) says which gate and which ingress; its
 * outcome is "refused" (a refused network keeps "denied"). */
static void audit_refusal(op_run_t *r, const char *target, const char *gate)
{
	store_tx_t *tx = store_begin(r->c.store, true);
	if (!tx)
		return;
	const principal_t *who = r->c.who;
	audit_ctx_t ctx = { .who = who, .actor = who ? NULL : r->c.actor, .source = r->c.source,
		.request_id = r->c.request_id };
	const char *acc = NULL;
	if (who && who->account_id[0])
		acc = who->account_id;
	else if (r->account && !authz_is_member(who))
		acc = json_string_value(json_object_get(r->account, "id"));
	const char *kind = r->e.kind;
	json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "problem", kind, "detail", r->e.detail,
		"request_id", r->c.request_id ? r->c.request_id : "", "route", r->spec->pattern);
	const char *outcome = strcmp(kind, "unauthenticated") == 0 ||
			strcmp(kind, "invalid-credentials") == 0 ? "failure" : "denied";
	if (gate) {
		json_object_set_new(d, "gate", json_string(gate));
		json_object_set_new(d, "ingress", json_string(ingress_of(r)));
		if (strcmp(gate, "network") != 0)
			outcome = "refused";
	}
	int rc = audit_record(tx, &ctx, r->spec->action, target, acc, outcome, d);
	json_decref(d);
	if (rc == 0)
		store_commit(tx);
	else
		store_rollback(tx);
}

/* The event of a run of an OP_AUDIT_RUN operation, in its own
 * transaction: its outcome, and r->detail with the problem of a failure. */
static void audit_run(op_run_t *r, const char *target, const char *outcome)
{
	if (!r->c.store)
		return;
	json_t *d = r->detail ? json_deep_copy(r->detail) : json_object();
	if (r->e.kind) {
		json_object_set_new(d, "problem", json_string(r->e.kind));
		json_object_set_new(d, "reason", json_string(r->e.detail));
	}
	audit_ctx_t ctx = { .who = r->c.who, .actor = r->c.who ? NULL : r->c.actor,
		.source = r->c.source, .request_id = r->c.request_id };
	store_tx_t *tx = store_begin(r->c.store, true);
	int rc = tx ? audit_record(tx, &ctx, r->spec->action, target, NULL, outcome, d) : -1;
	if (rc == 0 && store_commit(tx) == STORE_OK) {
		json_decref(d);
		return;
	}
	if (tx && rc != 0)
		store_rollback(tx);
	json_decref(d);
	log_event(LOG_ERROR, "ops.run_unrecorded", "action=%s outcome=%s", r->spec->action, outcome);
}

void op_fail(op_run_t *r, const char *target)
{
	store_tx_t *tx = r->c.tx;
	r->c.tx = NULL;
	bool keep = r->c.keep_on_error;
	/* A failure whose own record must stay (a failed login's counters and
	 * event) is committed; anything else is rolled back whole. */
	if (!tx) {
		/* Ended already, or the operation ended it and could not start another. */
	} else if (keep) {
		if (store_commit(tx) != STORE_OK)
			log_event(LOG_ERROR, "http.keep_failed", "rid=%s", r->c.request_id);
	} else {
		store_rollback(tx);
	}
	/* An operation that failed without saying why (a store error passed
	 * up as -1) is an internal failure, or "unavailable" when the
	 * database was gone: every caller reads the kind. */
	if (!r->e.kind)
		dom_fail(&r->e, "internal", "", "the operation failed");
	unavailable_if_so(r);
	if (r->spec->flags & OP_AUDIT_RUN) {
		bool refused = strcmp(r->e.kind, "refused") == 0 || audit_worthy(r->e.kind);
		audit_run(r, target ? target : r->spec->pattern, refused ? "denied" : "failure");
		return;
	}
	if (keep)
		return;
	/* A gate (terms, second factor, expired password, network): once a
	 * minute per caller and gate. */
	const char *gate = r->c.who ? gate_of(r->e.kind) : NULL;
	if (gate) {
		if (gate_audit_due(r, gate))
			audit_refusal(r, target, gate);
		return;
	}
	if (audit_worthy(r->e.kind) || ((r->spec->flags & OP_ACCOUNT) && r->c.who &&
		    strcmp(r->e.kind, "not-found") == 0))
		audit_refusal(r, target, NULL);
}

void op_end(op_run_t *r)
{
	json_decref(r->account);
	r->account = NULL;
	free(r->idem_key);
	r->idem_key = NULL;
	json_decref(r->detail);
	r->detail = NULL;
}
