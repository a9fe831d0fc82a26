/* Unit tests of the operation runner (src/ops/ops.h) on a real store: each
 * step refuses what it must, a refusal is audited with its actor, and a
 * local actor's operation is recorded as that actor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../domain/temp_store.h"

#include "access/access.h"
#include "domain.h"
#include "operations/operations.h"
#include "ops.h"
#include "sec.h"
#include "timeutil.h"

static dom_config_t cfg = { .session_idle_minutes = 30, .session_max_hours = 12,
	.invitation_days = 7, .limits = { 12, 10, 15, 30, 12, 600, 120, 12 },
	.source_lock_threshold = 50, .source_lock_minutes = 15, .reset_minutes = 60 };

/* The last audit event (new reference), and how many there are. */
struct last {
	json_t *ev;
	int n;
};

static int keep_last(const json_t *ev, void *arg)
{
	struct last *l = arg;
	json_decref(l->ev);
	l->ev = json_deep_copy(ev);
	l->n++;
	return 0;
}

static struct last last_event(store_t *st)
{
	struct last l = { 0 };
	assert_int_equal(store_audit_foreach(st, keep_last, &l), 0);
	return l;
}

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

/* An account with its owner signed in: the owner's token (caller frees),
 * the account's id into acc. */
static char *owner_token(store_t *st, char *acc, size_t n)
{
	store_tx_t *tx = store_begin(st, true);
	principal_t op = { .kind = "provider", .type = "user", .perms = perm_role("provider", "operator") };
	dom_ctx_t c = { .store = st, .tx = tx, .who = &op, .source = "t", .lang = "en", .cfg = &cfg };
	dom_err_t e = { 0 };
	json_t *body = json_pack("{s:s, s:{s:s, s:s}}", "name", "Acme", "owner", "email",
		"o@acme.example", "name", "O");
	json_t *a = NULL, *out = NULL;
	assert_int_equal(dom_account_create(&c, body, &a, &e), 0);
	snprintf(acc, n, "%s", str(a, "id"));
	json_t *accept = json_pack("{s:s}", "password", "a long password");
	assert_int_equal(dom_invitation_accept(&c, str(json_object_get(a, "owner_invitation"), "token"),
		accept, &out, &e), 0);
	json_decref(out);
	json_t *login = json_pack("{s:s, s:s}", "email", "o@acme.example", "password", "a long password");
	assert_int_equal(dom_login(&c, login, &out, &e), 0);
	char *tok = strdup(str(out, "token"));
	assert_int_equal(store_commit(c.tx), 0);
	json_decref(out);
	json_decref(login);
	json_decref(accept);
	json_decref(body);
	json_decref(a);
	return tok;
}

static int touch(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)e;
	int *called = arg;
	(*called)++;
	*out = json_pack("{s:s}", "lang", c->lang);
	return dom_audit(c, "test.touch", "thing", NULL, "success", NULL);
}

static void test_runner(void **state)
{
	(void)state;
	char path[512], acc[ID_MAX];
	store_t *st = temp_store(path, sizeof path);
	sec_init();
	sec_pwhash_set_cost(1, 8192);
	ratelimit_reset();
	char *tok = owner_token(st, acc, sizeof acc);
	op_spec_t read_acc = { .action = "account.read", .pattern = "/v1/accounts/{id}",
		.perms = PERM_BIT(PERM_ACCOUNT_READ), .flags = OP_ACCOUNT | OP_READONLY | OP_READS };
	op_run_t r;
	json_t *out = NULL;
	int called = 0;

	/* The owner on its own account: every step passes, the operation runs. */
	assert_int_equal(op_begin(&r, st, &cfg, &read_acc, "127.0.0.1", "rid1", "en", false), 0);
	assert_int_equal(op_authenticate(&r, tok, NULL), 0);
	assert_string_equal(r.c.who->role, "owner");
	assert_int_equal(op_gate(&r), 0);
	assert_int_equal(op_authorize(&r, acc), 0);
	assert_string_equal(str(r.account, "id"), acc);
	assert_int_equal(op_call(&r, touch, &called, &out), 0);
	assert_int_equal(op_commit(&r), 0);
	op_end(&r);
	assert_int_equal(called, 1);
	json_decref(out);
	struct last l = last_event(st);
	assert_string_equal(str(l.ev, "action"), "test.touch");
	assert_string_equal(str(l.ev, "actor_type"), "user");
	int before = l.n;
	json_decref(l.ev);

	/* Another account does not exist for a member: not found, and the
	 * refusal is audited in the member's own account, by the member. */
	assert_int_equal(op_begin(&r, st, &cfg, &read_acc, "127.0.0.1", "rid2", "en", false), 0);
	assert_int_equal(op_authenticate(&r, tok, NULL), 0);
	assert_int_equal(op_authorize(&r, "acc_someone_else"), -1);
	assert_string_equal(r.e.kind, "not-found");
	op_fail(&r, "/v1/accounts/acc_someone_else");
	op_end(&r);
	l = last_event(st);
	assert_int_equal(l.n, before + 1);
	assert_string_equal(str(l.ev, "action"), "account.read");
	assert_string_equal(str(l.ev, "outcome"), "denied");
	assert_string_equal(str(l.ev, "account_id"), acc);
	assert_string_equal(str(l.ev, "target"), "/v1/accounts/acc_someone_else");
	json_decref(l.ev);

	/* A bad credential: refused, counted as such, audited as a failure. */
	assert_int_equal(op_begin(&r, st, &cfg, &read_acc, "127.0.0.1", "rid3", "en", false), 0);
	assert_int_equal(op_authenticate(&r, "fvs_not_a_token", NULL), -1);
	assert_true(r.auth_failed);
	assert_null(r.c.who);
	assert_string_equal(r.e.kind, "unauthenticated");
	op_fail(&r, "/v1/accounts/x");
	op_end(&r);
	l = last_event(st);
	assert_int_equal(l.n, before + 2);
	assert_string_equal(str(l.ev, "outcome"), "failure");
	json_decref(l.ev);

	/* A permission the caller lacks: forbidden, naming what it needs. */
	op_spec_t staff = { .action = "accounts.create", .pattern = "/v1/accounts",
		.perms = PERM_BIT(PERM_PROVIDER_ACCOUNTS_MANAGE) };
	assert_int_equal(op_begin(&r, st, &cfg, &staff, "127.0.0.1", "rid4", "en", false), 0);
	assert_int_equal(op_authenticate(&r, tok, NULL), 0);
	assert_int_equal(op_authorize(&r, NULL), -1);
	assert_string_equal(r.e.kind, "forbidden");
	assert_non_null(strstr(r.e.detail, "provider.accounts.manage"));
	op_fail(&r, "/v1/accounts");
	op_end(&r);

	/* Gates: a person who must accept the terms first is stopped, except
	 * by an ungated operation; the owner of a closing account reads only. */
	op_spec_t change = { .action = "me.update", .pattern = "/v1/me" };
	assert_int_equal(op_begin(&r, st, &cfg, &change, "127.0.0.1", "rid5", "en", false), 0);
	assert_int_equal(op_authenticate(&r, tok, NULL), 0);
	r.who.gates = PRINCIPAL_GATE_TERMS;
	assert_int_equal(op_gate(&r), -1);
	assert_string_equal(r.e.kind, "terms-not-accepted");
	change.flags = OP_UNGATED;
	assert_int_equal(op_gate(&r), 0);
	change.flags = 0;
	r.who.gates = PRINCIPAL_GATE_CLOSING;
	assert_int_equal(op_gate(&r), -1);
	assert_string_equal(r.e.kind, "account-closing");
	change.flags = OP_READS;
	assert_int_equal(op_gate(&r), 0);
	op_fail(&r, "/v1/me");
	op_end(&r);

	/* Limits: the caller's bucket (its account's) runs dry at its burst;
	 * without a caller, the address's bucket with the anonymous limit. */
	assert_int_equal(op_begin(&r, st, &cfg, &change, "127.0.0.1", "rid6", "en", false), 0);
	char key[96];
	op_limit_key(&r, key, sizeof key);
	assert_string_equal(key, "src:127.0.0.1");
	rl_result_t rl;
	assert_int_equal(op_limit(&r, key, 60, 1, &rl), 0);
	assert_int_equal(op_limit(&r, key, 60, 1, &rl), -1);
	assert_string_equal(r.e.kind, "rate-limited");
	assert_true(rl.retry_after > 0);
	assert_int_equal(op_authenticate(&r, tok, NULL), 0);
	op_limit_key(&r, key, sizeof key);
	char want[96];
	snprintf(want, sizeof want, "acc:%s", acc);
	assert_string_equal(key, want);
	/* A SCIM token: a bucket of its own. */
	snprintf(r.who.type, sizeof r.who.type, "scim");
	snprintf(r.who.id, sizeof r.who.id, "scim:sct_1");
	op_limit_key(&r, key, sizeof key);
	assert_string_equal(key, "scim:sct_1");
	op_fail(&r, "/v1/me");
	op_end(&r);

	/* A local actor (faxvaultd's commands): no principal, the operation's
	 * events name the actor. */
	op_spec_t cmd = { .action = "bootstrap", .pattern = "bootstrap" };
	assert_int_equal(op_begin(&r, st, &cfg, &cmd, "local", "bootstrap", "en", true), 0);
	op_as_actor(&r, "cli:root@host");
	assert_int_equal(op_call(&r, touch, &called, &out), 0);
	assert_int_equal(op_commit(&r), 0);
	op_end(&r);
	json_decref(out);
	l = last_event(st);
	assert_string_equal(str(l.ev, "action"), "test.touch");
	assert_string_equal(str(l.ev, "actor_id"), "cli:root@host");
	json_decref(l.ev);

	/* A failed operation rolls back what it wrote. */
	l = last_event(st);
	int n = l.n;
	json_decref(l.ev);
	assert_int_equal(op_begin(&r, st, &cfg, &cmd, "local", "x", "en", true), 0);
	op_as_actor(&r, "cli:root@host");
	assert_int_equal(op_call(&r, touch, &called, &out), 0);
	json_decref(out);
	dom_fail(&r.e, "validation-failed", "", "no");
	op_fail(&r, NULL);
	op_end(&r);
	l = last_event(st);
	assert_int_equal(l.n, n);
	json_decref(l.ev);

	free(tok);
	drop_store(st, path);
}

/* One run of spec by tok's bearer, held at a gate (gates): its refusal
 * ends the run as an ingress ends it. */
static void gated_run(store_t *st, const op_spec_t *spec, const char *tok, unsigned gates,
	const char *target, const char *kind)
{
	op_run_t r;
	assert_int_equal(op_begin(&r, st, &cfg, spec, "127.0.0.1", "rid", "en", false), 0);
	assert_int_equal(op_authenticate(&r, tok, NULL), 0);
	r.who.gates = gates;
	assert_int_equal(op_gate(&r), -1);
	assert_string_equal(r.e.kind, kind);
	op_fail(&r, target);
	op_end(&r);
}

/* Gate refusals are audit events (outcome "refused", the gate, the
 * ingress, no credential), at most one per caller, gate and minute. */
static void test_gate_refusals_audited(void **state)
{
	(void)state;
	char path[512], acc[ID_MAX];
	store_t *st = temp_store(path, sizeof path);
	sec_init();
	sec_pwhash_set_cost(1, 8192);
	ratelimit_reset();
	time_set_offset_ms(0);
	char *tok = owner_token(st, acc, sizeof acc);
	op_spec_t send = { .action = "faxes.create", .pattern = "/v1/faxes" };
	struct last l = last_event(st);
	int n = l.n;
	json_decref(l.ev);

	gated_run(st, &send, tok, PRINCIPAL_GATE_TERMS, "/v1/faxes", "terms-not-accepted");
	l = last_event(st);
	assert_int_equal(l.n, n + 1);
	assert_string_equal(str(l.ev, "action"), "faxes.create");
	assert_string_equal(str(l.ev, "outcome"), "refused");
	assert_string_equal(str(l.ev, "actor_type"), "user");
	assert_string_equal(str(l.ev, "account_id"), acc);
	assert_string_equal(str(l.ev, "target"), "/v1/faxes");
	json_t *d = json_loads(str(l.ev, "detail"), 0, NULL);
	assert_non_null(d);
	assert_string_equal(str(d, "gate"), "terms");
	assert_string_equal(str(d, "ingress"), "http");
	assert_string_equal(str(d, "problem"), "terms-not-accepted");
	char *dump = json_dumps(l.ev, JSON_COMPACT);
	assert_null(strstr(dump, tok)); /* no credential in the event */
	free(dump);
	json_decref(d);
	json_decref(l.ev);

	/* Hammering the same gate: nothing more this minute; another gate,
	 * or another ingress's own gate, is recorded once too. */
	for (int i = 0; i < 20; i++)
		gated_run(st, &send, tok, PRINCIPAL_GATE_TERMS, "/v1/faxes", "terms-not-accepted");
	l = last_event(st);
	assert_int_equal(l.n, n + 1);
	json_decref(l.ev);
	op_spec_t scim = { .action = "scim.request", .pattern = "/scim/v2/Users" };
	gated_run(st, &scim, tok, PRINCIPAL_GATE_MFA, "/scim/v2/Users", "mfa-enrolment-required");
	gated_run(st, &scim, tok, PRINCIPAL_GATE_MFA, "/scim/v2/Users", "mfa-enrolment-required");
	gated_run(st, &send, tok, PRINCIPAL_GATE_PASSWORD, "/v1/faxes", "password-expired");
	l = last_event(st);
	assert_int_equal(l.n, n + 3);
	d = json_loads(str(l.ev, "detail"), 0, NULL);
	assert_string_equal(str(d, "gate"), "password_expired");
	json_decref(d);
	json_decref(l.ev);

	/* A minute later (the test clock): recorded again, once. */
	time_set_offset_ms(61000);
	gated_run(st, &send, tok, PRINCIPAL_GATE_TERMS, "/v1/faxes", "terms-not-accepted");
	gated_run(st, &send, tok, PRINCIPAL_GATE_TERMS, "/v1/faxes", "terms-not-accepted");
	l = last_event(st);
	assert_int_equal(l.n, n + 4);
	assert_string_equal(str(l.ev, "outcome"), "refused");
	json_decref(l.ev);
	time_set_offset_ms(0);
	free(tok);
	drop_store(st, path);
}

/* A run of spec by the bearer of tok (NULL: by the local actor
 * cli:root@host) with an idempotency key: op_idempotent's answer, and the
 * operation run and its answer stored when it is a first run. */
static int idem_run(store_t *st, const op_spec_t *spec, const char *tok, const char *key,
	const char *request, op_replay_t *replay, int *called, char *kind, size_t kn)
{
	op_run_t r;
	assert_int_equal(op_begin(&r, st, &cfg, spec, "127.0.0.1", "rid", "en", false), 0);
	if (tok)
		assert_int_equal(op_authenticate(&r, tok, NULL), 0);
	else
		op_as_actor(&r, "cli:root@host");
	int rc = op_idempotent(&r, key, request, request ? strlen(request) : 0, replay);
	snprintf(kind, kn, "%s", rc < 0 ? r.e.kind : "");
	if (rc == 0) {
		json_t *out = NULL;
		assert_int_equal(op_call(&r, touch, called, &out), 0);
		char *body = json_dumps(out, JSON_COMPACT);
		assert_int_equal(op_idem_save(&r, 201, body), 0);
		free(body);
		json_decref(out);
		assert_int_equal(op_commit(&r), 0);
	} else if (rc < 0) {
		op_fail(&r, NULL);
	} else {
		assert_null(r.c.tx); /* a replay ends the run's transaction */
	}
	op_end(&r);
	return rc;
}

/* Idempotency keys in the runner: the same request again gets the first
 * answer without running, another request with the key is refused, a
 * malformed key is refused, and keys are their caller's own. */
static void test_idempotency(void **state)
{
	(void)state;
	char path[512], acc[ID_MAX], kind[64];
	store_t *st = temp_store(path, sizeof path);
	sec_init();
	sec_pwhash_set_cost(1, 8192);
	ratelimit_reset();
	char *tok = owner_token(st, acc, sizeof acc);
	op_spec_t create = { .action = "things.create", .pattern = "/v1/things" };
	op_replay_t rp;
	int called = 0;

	/* First run: it runs, and its answer is stored with it. */
	assert_int_equal(idem_run(st, &create, tok, "key-1", "POST /v1/things\n{}", &rp, &called,
		kind, sizeof kind), 0);
	assert_int_equal(called, 1);
	struct last l = last_event(st);
	int events = l.n;
	json_decref(l.ev);
	/* The same request again: the stored answer, nothing run, nothing
	 * recorded. */
	assert_int_equal(idem_run(st, &create, tok, "key-1", "POST /v1/things\n{}", &rp, &called,
		kind, sizeof kind), 1);
	assert_int_equal(called, 1);
	assert_int_equal(rp.status, 201);
	assert_string_equal(rp.body, "{\"lang\":\"en\"}");
	op_replay_free(&rp);
	l = last_event(st);
	assert_int_equal(l.n, events);
	json_decref(l.ev);
	/* Another request with that key: refused. */
	assert_int_equal(idem_run(st, &create, tok, "key-1", "POST /v1/things\n{\"a\":1}", &rp,
		&called, kind, sizeof kind), -1);
	assert_string_equal(kind, "idempotency-key-reused");
	assert_int_equal(called, 1);
	/* Malformed keys: empty, a space, too long. */
	char longkey[OP_IDEM_KEY_MAX + 2];
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	const char *bad[] = { "", "a key", longkey };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(idem_run(st, &create, tok, bad[i], "x", &rp, &called, kind, sizeof kind), -1);
		assert_string_equal(kind, "invalid-parameter");
	}
	longkey[OP_IDEM_KEY_MAX] = '\0';
	assert_int_equal(idem_run(st, &create, tok, longkey, "x", &rp, &called, kind, sizeof kind), 0);
	assert_int_equal(called, 2);
	/* Keys are their caller's: the local actor's key-1 is a first run;
	 * then it replays for the actor too. */
	assert_int_equal(idem_run(st, &create, NULL, "key-1", "other", &rp, &called, kind, sizeof kind), 0);
	assert_int_equal(called, 3);
	assert_int_equal(idem_run(st, &create, NULL, "key-1", "other", &rp, &called, kind, sizeof kind), 1);
	op_replay_free(&rp);
	assert_int_equal(called, 3);

	/* A first run that fails stores nothing: the key is free again. */
	op_run_t r;
	assert_int_equal(op_begin(&r, st, &cfg, &create, "127.0.0.1", "rid", "en", false), 0);
	assert_int_equal(op_authenticate(&r, tok, NULL), 0);
	assert_int_equal(op_idempotent(&r, "key-2", "y", 1, &rp), 0);
	assert_int_equal(op_idem_save(&r, 201, "{}"), 0);
	dom_fail(&r.e, "validation-failed", "", "no");
	op_fail(&r, NULL);
	op_end(&r);
	assert_int_equal(idem_run(st, &create, tok, "key-2", "y", &rp, &called, kind, sizeof kind), 0);
	assert_int_equal(called, 4);

	/* No caller and no actor: no key is kept. */
	assert_int_equal(op_begin(&r, st, &cfg, &create, "127.0.0.1", "rid", "en", false), 0);
	assert_int_equal(op_idempotent(&r, "key-3", "z", 1, &rp), 0);
	assert_null(r.idem_key);
	assert_int_equal(op_idem_save(&r, 201, "{}"), 0);
	op_fail(&r, NULL);
	op_end(&r);

	free(tok);
	drop_store(st, path);
}

/* Keys expire (api.idempotency_hours, 24 by default; the test clock moves):
 * within the window the same request replays; after it the key runs anew,
 * with the same request or another; the retention sweep's purge deletes
 * only the answers older than the window, in batches. */
static void test_idempotency_expiry(void **state)
{
	(void)state;
	char path[512], kind[64];
	store_t *st = temp_store(path, sizeof path);
	op_spec_t create = { .action = "things.create", .pattern = "/v1/things" };
	op_replay_t rp;
	int called = 0;
	const int64_t hour = 3600000;
	assert_int_equal(dom_idem_window_ms(&cfg), 24 * hour);

	time_set_offset_ms(0);
	const char *old[] = { "old-1", "old-2", "old-3", "old-4", "old-5" };
	for (int i = 0; i < 5; i++)
		assert_int_equal(idem_run(st, &create, NULL, old[i], "a", &rp, &called, kind, sizeof kind), 0);
	assert_int_equal(called, 5);
	/* 23 hours later: still remembered; nothing to purge. */
	time_set_offset_ms(23 * hour);
	assert_int_equal(idem_run(st, &create, NULL, "old-1", "a", &rp, &called, kind, sizeof kind), 1);
	op_replay_free(&rp);
	assert_int_equal(idem_run(st, &create, NULL, "new-1", "a", &rp, &called, kind, sizeof kind), 0);
	assert_int_equal(called, 6);
	assert_int_equal(dom_idem_purge(st, &cfg, time_now_ms(), 100), 0);
	/* 25 hours after the first runs: the same request runs as new, and so
	 * does another request with an expired key (no idempotency-key-reused). */
	time_set_offset_ms(25 * hour);
	assert_int_equal(idem_run(st, &create, NULL, "old-1", "a", &rp, &called, kind, sizeof kind), 0);
	assert_int_equal(called, 7);
	assert_int_equal(idem_run(st, &create, NULL, "old-2", "b", &rp, &called, kind, sizeof kind), 0);
	assert_int_equal(called, 8);
	/* Its new answer is remembered again. */
	assert_int_equal(idem_run(st, &create, NULL, "old-1", "a", &rp, &called, kind, sizeof kind), 1);
	op_replay_free(&rp);
	assert_int_equal(idem_run(st, &create, NULL, "old-2", "a", &rp, &called, kind, sizeof kind), -1);
	assert_string_equal(kind, "idempotency-key-reused");
	/* The purge: old-3..5 (expired) in batches of 2, not old-1, old-2
	 * (stored again) nor new-1 (23 h old at 25 h: 2 h). */
	assert_int_equal(dom_idem_purge(st, &cfg, time_now_ms(), 2), 2);
	assert_int_equal(dom_idem_purge(st, &cfg, time_now_ms(), 2), 1);
	assert_int_equal(dom_idem_purge(st, &cfg, time_now_ms(), 2), 0);
	assert_int_equal(idem_run(st, &create, NULL, "new-1", "a", &rp, &called, kind, sizeof kind), 1);
	op_replay_free(&rp);
	assert_int_equal(idem_run(st, &create, NULL, "old-1", "a", &rp, &called, kind, sizeof kind), 1);
	op_replay_free(&rp);
	assert_int_equal(called, 8);
	/* A shorter window from the setting: new-1 (stored at 23 h) expires
	 * 3 hours later at a window of 2 hours. */
	dom_config_t shortc = cfg;
	shortc.idem_retention_ms = 2 * hour;
	assert_int_equal(dom_idem_window_ms(&shortc), 2 * hour);
	time_set_offset_ms(26 * hour);
	assert_int_equal(dom_idem_purge(st, &shortc, time_now_ms(), 100), 1);

	time_set_offset_ms(0);
	drop_store(st, path);
}

static int succeeds(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)c;
	(void)e;
	(*(int *)arg)++;
	*out = NULL;
	return 0;
}

static int fails(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)c;
	*out = NULL;
	return dom_fail(e, (const char *)arg, "", "no");
}

/* OP_AUDIT_RUN (faxvaultd's system commands): every run is recorded by the
 * runner, as its named actor, with its outcome and detail: success,
 * failure, a refusal as denied; with no store, nothing. */
static void test_audit_run(void **state)
{
	(void)state;
	char path[512];
	store_t *st = temp_store(path, sizeof path);
	sec_init();
	const op_spec_t cmd = { .action = "backup.run", .pattern = "backup",
		.flags = OP_OWN_TX | OP_AUDIT_RUN };
	const char *want[][3] = { { "", "success", "" }, { "failed", "failure", "failed" },
		{ "refused", "denied", "refused" } };
	for (int i = 0; i < 3; i++) {
		op_run_t r;
		int called = 0;
		json_t *out = NULL;
		assert_int_equal(op_begin(&r, st, &cfg, &cmd, "local", "backup", "en", true), 0);
		assert_null(r.c.tx);
		op_as_actor(&r, "system:backup");
		r.detail = json_pack("{s:s}", "operator", "cli:root@host");
		if (i == 0) {
			assert_int_equal(op_call(&r, succeeds, &called, &out), 0);
			assert_int_equal(called, 1);
			assert_int_equal(op_commit(&r), 0);
		} else {
			assert_int_equal(op_call(&r, fails, (void *)want[i][0], &out), -1);
			op_fail(&r, NULL);
		}
		json_decref(out);
		op_end(&r);
		struct last l = last_event(st);
		assert_string_equal(str(l.ev, "action"), "backup.run");
		assert_string_equal(str(l.ev, "actor_id"), "system:backup");
		assert_string_equal(str(l.ev, "actor_type"), "system");
		assert_string_equal(str(l.ev, "outcome"), want[i][1]);
		assert_string_equal(str(l.ev, "target"), "backup");
		json_t *d = json_loads(str(l.ev, "detail"), 0, NULL);
		assert_string_equal(str(d, "operator"), "cli:root@host");
		assert_string_equal(str(d, "problem"), want[i][2]);
		json_decref(d);
		json_decref(l.ev);
	}
	/* No store (a command that found no database): nothing, no crash. */
	struct last l = last_event(st);
	int n = l.n;
	json_decref(l.ev);
	op_run_t r;
	assert_int_equal(op_begin(&r, NULL, NULL, &cmd, "local", "backup", "en", true), 0);
	op_as_actor(&r, "system:backup");
	dom_fail(&r.e, "failed", "", "no");
	op_fail(&r, NULL);
	op_end(&r);
	l = last_event(st);
	assert_int_equal(l.n, n);
	json_decref(l.ev);
	drop_store(st, path);
}

/* An ingress's own step: arg is what it returns; -1 names a kind. */
static int own_step(void *arg, op_run_t *r)
{
	int rc = *(int *)arg;
	if (rc < 0)
		dom_fail(&r->e, "mail-refused", "", "no");
	return rc;
}

static int own_step_silent(void *arg, op_run_t *r)
{
	(void)arg;
	(void)r;
	return -1;
}

/* op_limit_by and op_gate_by: an ingress's own limit and gate as the
 * runner's steps (fax by e-mail); op_gate_by runs the standard gates
 * first. */
static void test_steps_by(void **state)
{
	(void)state;
	char path[512], acc[ID_MAX];
	store_t *st = temp_store(path, sizeof path);
	sec_init();
	sec_pwhash_set_cost(1, 8192);
	ratelimit_reset();
	char *tok = owner_token(st, acc, sizeof acc);
	const op_spec_t mail = { .action = "fax_by_email.submit", .pattern = "smtp",
		.flags = OP_PUBLIC | OP_OWN_TX };
	op_run_t r;
	int v;
	assert_int_equal(op_begin(&r, st, &cfg, &mail, "127.0.0.1", "s1", "en", true), 0);
	op_as_actor(&r, "system:smtp");
	v = 0;
	assert_int_equal(op_limit_by(&r, own_step, &v), 0);
	v = 1;
	assert_int_equal(op_limit_by(&r, own_step, &v), 1);
	v = 0;
	assert_int_equal(op_gate_by(&r, own_step, &v), 0);
	v = -1;
	assert_int_equal(op_gate_by(&r, own_step, &v), -1);
	assert_string_equal(r.e.kind, "mail-refused");
	op_fail(&r, NULL);
	op_end(&r);
	/* A step that fails without saying why is an internal failure. */
	assert_int_equal(op_begin(&r, st, &cfg, &mail, "127.0.0.1", "s2", "en", true), 0);
	assert_int_equal(op_limit_by(&r, own_step_silent, NULL), -1);
	assert_string_equal(r.e.kind, "internal");
	op_fail(&r, NULL);
	op_end(&r);
	/* op_gate_by: the standard gates first, the ingress's step not run. */
	const op_spec_t change = { .action = "me.update", .pattern = "/v1/me" };
	assert_int_equal(op_begin(&r, st, &cfg, &change, "127.0.0.1", "s3", "en", false), 0);
	assert_int_equal(op_authenticate(&r, tok, NULL), 0);
	r.who.gates = PRINCIPAL_GATE_TERMS;
	v = 1;
	assert_int_equal(op_gate_by(&r, own_step, &v), -1);
	assert_string_equal(r.e.kind, "terms-not-accepted");
	op_fail(&r, NULL);
	op_end(&r);
	free(tok);
	drop_store(st, path);
}

/* Reads the account (c->tx's statement), "internal" when the store fails,
 * as the domain's operations answer a store error. */
static int read_account(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	json_t *a = store_account_get(c->tx, arg, NULL);
	if (!a)
		return dom_fail(e, "internal", "", "the account could not be read");
	*out = a;
	return 0;
}

/* Ends every other connection to the test database (the primary gone,
 * as far as the transactions under way can tell). */
static void cut_connections(const char *where)
{
	char q[300];
	snprintf(q, sizeof q, "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
		"WHERE datname = '%s' AND pid <> pg_backend_pid()", test_db_name(where));
	test_db_pg_exec(test_db_name(where), q);
}

/* The owner of a new account signed in on st, password hashing made
 * cheap and the rate limits fresh: the token (caller frees), the account
 * into acc. */
static char *owner_setup(store_t *st, char *acc, size_t n)
{
	sec_init();
	sec_pwhash_set_cost(1, 8192);
	ratelimit_reset();
	return owner_token(st, acc, n);
}

/* An operation on the account in the path: one that writes, one that reads. */
static const op_spec_t spec_change = { .action = "account.touch", .pattern = "/v1/accounts/{id}",
	.perms = PERM_BIT(PERM_ACCOUNT_READ), .flags = OP_ACCOUNT };
static const op_spec_t spec_read = { .action = "account.read", .pattern = "/v1/accounts/{id}",
	.perms = PERM_BIT(PERM_ACCOUNT_READ), .flags = OP_ACCOUNT | OP_READONLY | OP_READS };

/* op_begin, again while it answers "unavailable" (each try drops pooled
 * connections a cut left, at most the pool's size), then the owner of acc
 * authenticated and authorized. */
static void begin_as_owner(op_run_t *r, store_t *st, const op_spec_t *spec, const char *rid,
	const char *tok, const char *acc)
{
	int i = 0;
	for (; i < 20 && op_begin(r, st, &cfg, spec, "127.0.0.1", rid, "en", false) != 0; i++) {
		assert_string_equal(r->e.kind, "unavailable");
		op_end(r);
	}
	if (i == 20)
		fail_msg("no transaction after the cut");
	assert_int_equal(op_authenticate(r, tok, NULL), 0);
	assert_int_equal(op_authorize(r, acc), 0);
}

/* PostgreSQL only: a request whose transaction loses its database after
 * it began (a statement, or the commit) fails "unavailable" with a
 * Retry-After, as one that could not begin, never "internal"; a store
 * failure on a live connection stays "internal"; the next request runs. */
static void test_unavailable_in_tx(void **state)
{
	(void)state;
	if (!test_db_pg())
		skip();
	char path[512], acc[ID_MAX];
	store_t *st = temp_store(path, sizeof path);
	char *tok = owner_setup(st, acc, sizeof acc);
	op_run_t r;
	json_t *out = NULL;

	/* A statement after the cut. */
	begin_as_owner(&r, st, &spec_change, "u1", tok, acc);
	cut_connections(path);
	assert_int_equal(op_call(&r, read_account, acc, &out), -1);
	assert_string_equal(r.e.kind, "internal");
	op_fail(&r, NULL);
	assert_string_equal(r.e.kind, "unavailable");
	assert_int_equal(r.e.retry_after_s, 1);
	op_end(&r);

	/* The commit after the cut. */
	begin_as_owner(&r, st, &spec_change, "u2", tok, acc);
	assert_int_equal(op_call(&r, read_account, acc, &out), 0);
	json_decref(out);
	cut_connections(path);
	assert_int_equal(op_commit(&r), -1);
	assert_string_equal(r.e.kind, "unavailable");
	assert_int_equal(r.e.retry_after_s, 1);
	op_end(&r);

	/* The database back: a store failure is internal again (nothing of
	 * the last request's state stays), and a request runs. */
	begin_as_owner(&r, st, &spec_change, "u3", tok, acc);
	assert_int_equal(op_call(&r, read_account, (void *)"acc_no_such", &out), -1);
	op_fail(&r, NULL);
	assert_string_equal(r.e.kind, "internal");
	op_end(&r);
	begin_as_owner(&r, st, &spec_change, "u4", tok, acc);
	assert_int_equal(op_call(&r, read_account, acc, &out), 0);
	json_decref(out);
	assert_int_equal(op_commit(&r), 0);
	op_end(&r);
	free(tok);
	drop_store(st, path);
}

/* PostgreSQL only: a read whose database goes away before the caller is
 * authenticated (the credential's statements fail) answers "unavailable",
 * not "unauthenticated": a client told 401 drops a good credential, and a
 * 5xx other than 503 says the service is broken; the same once the
 * operation's own statement fails with a kind other than "internal". */
static int read_account_404(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	json_t *a = store_account_get(c->tx, arg, NULL);
	if (!a)
		return dom_fail(e, "not-found", "", "no such account");
	*out = a;
	return 0;
}

static void test_unavailable_before_auth(void **state)
{
	(void)state;
	if (!test_db_pg())
		skip();
	char path[512], acc[ID_MAX];
	store_t *st = temp_store(path, sizeof path);
	char *tok = owner_setup(st, acc, sizeof acc);
	op_run_t r;
	json_t *out = NULL;
	dom_config_t cached = cfg;
	const dom_config_t *cfgs[2] = { &cfg, &cached };
	cached.auth_cache_ms = 60000;
	for (int k = 0; k < 2; k++) {
		/* Cut once the read transaction began: the credential's lookup
		 * fails (without the cache, and with it: its generation). BEGIN
		 * goes with a transaction's first statement, and a first
		 * statement whose connection was dropped is sent again on a new
		 * one: one statement begins it first. */
		int i = 0;
		for (; i < 20 && op_begin(&r, st, cfgs[k], &spec_read, "127.0.0.1", "b1", "en", false) != 0; i++)
			op_end(&r);
		assert_true(i < 20);
		json_decref(store_account_get(r.c.tx, acc, NULL));
		cut_connections(path);
		assert_int_equal(op_authenticate(&r, tok, NULL), -1);
		op_fail(&r, NULL);
		assert_string_equal(r.e.kind, "unavailable");
		assert_int_equal(r.e.retry_after_s, 1);
		op_end(&r);
	}
	/* Cut after authorization: the operation's read fails as "not-found". */
	begin_as_owner(&r, st, &spec_read, "b2", tok, acc);
	cut_connections(path);
	assert_int_equal(op_call(&r, read_account_404, acc, &out), -1);
	op_fail(&r, NULL);
	assert_string_equal(r.e.kind, "unavailable");
	op_end(&r);
	/* Back: a refusal is a refusal again. */
	begin_as_owner(&r, st, &spec_read, "b3", tok, acc);
	assert_int_equal(op_call(&r, read_account_404, (void *)"acc_no_such", &out), -1);
	op_fail(&r, NULL);
	assert_string_equal(r.e.kind, "not-found");
	op_end(&r);
	free(tok);
	drop_store(st, path);
}

static int write_account(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	json_t *upd = json_pack("{s:s}", "name", "Acme renamed");
	int rc = store_account_update(c->tx, arg, upd);
	json_decref(upd);
	if (rc != STORE_OK)
		return dom_fail(e, "internal", "", "the account could not be updated");
	*out = json_object();
	return 0;
}

/* scripts/pg-test-cluster CMD DIR; 0 on success. */
static int cluster(const char *cmd, const char *dir)
{
	char sh[1200];
	snprintf(sh, sizeof sh, "'%s' %s '%s' >/dev/null", FV_PG_TEST_CLUSTER, cmd, dir);
	return system(sh);
}

/* PostgreSQL only, on a cluster of its own: the primary stopped as a lost
 * one goes (pg_ctl stop -m immediate) while a read and a write are under
 * way. Each backend quits with a warning, not an error: libpq answers the
 * next statement "server closed the connection unexpectedly" without a
 * SQLSTATE and still reports the connection up, until its next call. The
 * read's statement and the write's savepoint fail "unavailable" with
 * Retry-After 1 (they answered 500 "internal" before: the 500 that
 * integ_fax_pg_failover saw under load, where a request straddles the
 * stop); pg_terminate_backend, which sends FATAL 57P01 first, does not
 * show it. */
static void test_unavailable_primary_stopped(void **state)
{
	(void)state;
	if (!test_db_pg())
		skip();
	char home[] = "/tmp/fv-opsXXXXXX", dir[64], dsn[160], err[400], acc[ID_MAX];
	assert_non_null(mkdtemp(home));
	snprintf(dir, sizeof dir, "%s/pg", home);
	assert_int_equal(cluster("start", dir), 0);
	snprintf(dsn, sizeof dsn, "host=%s user=faxvault dbname=postgres", dir);
	store_t *st = store_open_pg(dsn, err, sizeof err);
	if (!st)
		fail_msg("%s", err);
	char *tok = owner_setup(st, acc, sizeof acc);
	op_run_t r, w;
	json_t *out = NULL;
	begin_as_owner(&r, st, &spec_read, "p1", tok, acc);
	begin_as_owner(&w, st, &spec_change, "p2", tok, acc);
	assert_int_equal(cluster("crash", dir), 0);

	assert_int_equal(op_call(&r, read_account, acc, &out), -1);
	op_fail(&r, NULL);
	assert_string_equal(r.e.kind, "unavailable");
	assert_int_equal(r.e.retry_after_s, 1);
	op_end(&r);

	store_unavailable_clear(); /* w's own, as on its own thread */
	assert_int_equal(op_call(&w, write_account, acc, &out), -1);
	op_fail(&w, NULL);
	assert_string_equal(w.e.kind, "unavailable");
	assert_int_equal(w.e.retry_after_s, 1);
	op_end(&w);

	free(tok);
	store_close(st);
	assert_int_equal(cluster("stop", dir), 0);
	rmdir(home);
}

/* An audited read: the account, and its event through the group commit. */
static int read_account_audited(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	if (read_account(arg, c, out, e) != 0)
		return -1;
	return dom_audit(c, "account.read", arg, arg, "success", NULL);
}

/* The test database made to refuse every write (on) or not, as new
 * connections see it; the pooled ones are ended. */
static void set_read_only(const char *path, bool on)
{
	char q[700];
	snprintf(q, sizeof q, "ALTER DATABASE \"%s\" %s default_transaction_read_only%s",
		test_db_name(path), on ? "SET" : "RESET", on ? " = on" : "");
	test_db_pg_exec("postgres", q);
	cut_connections(path);
}

/* PostgreSQL only: the member the nodes reach accepts no writes (a primary
 * demoted to a standby whose connections stayed, a DSN without
 * target_session_attrs=read-write): every write fails 25006. An audited
 * read's event is written by the group commit, whose transaction fails
 * only in its writes (each under a savepoint) and commits nothing: the
 * read answers "unavailable", not "internal" (a 500 seen in a Patroni
 * fencing run), and a write too. */
static void test_unavailable_read_only_member(void **state)
{
	(void)state;
	if (!test_db_pg())
		skip();
	char path[512], acc[ID_MAX];
	store_t *st = temp_store(path, sizeof path);
	char *tok = owner_setup(st, acc, sizeof acc);
	op_run_t r;
	json_t *out = NULL;
	set_read_only(path, true);
	/* The session's last_seen_at due again: the group holds its write
	 * first, which fails under its savepoint, then the audit event's. */
	time_set_offset_ms(60000);

	begin_as_owner(&r, st, &spec_read, "ro1", tok, acc);
	assert_int_equal(op_call(&r, read_account_audited, acc, &out), 0);
	json_decref(out);
	out = NULL;
	assert_int_equal(op_commit(&r), -1);
	assert_string_equal(r.e.kind, "unavailable");
	assert_int_equal(r.e.retry_after_s, 1);
	op_end(&r);

	begin_as_owner(&r, st, &spec_change, "ro2", tok, acc);
	if (op_call(&r, write_account, acc, &out) == 0) {
		json_decref(out);
		out = NULL;
		assert_int_equal(op_commit(&r), -1);
	} else {
		op_fail(&r, NULL);
	}
	assert_string_equal(r.e.kind, "unavailable");
	op_end(&r);

	set_read_only(path, false);
	time_set_offset_ms(120000);
	/* Writable again: the same read commits. */
	begin_as_owner(&r, st, &spec_read, "ro3", tok, acc);
	assert_int_equal(op_call(&r, read_account_audited, acc, &out), 0);
	json_decref(out);
	assert_int_equal(op_commit(&r), 0);
	op_end(&r);
	time_set_offset_ms(0);
	free(tok);
	drop_store(st, path);
}

static int fails_silently(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)arg;
	(void)c;
	(void)e;
	*out = NULL;
	return -1; /* a store error passed up without a kind */
}

/* An operation that fails without naming a kind is "internal" for every
 * route (the HTTP ingress reads the kind to answer), not only for the
 * audited runs of system commands. */
static void test_silent_failure_is_internal(void **state)
{
	(void)state;
	char path[512], acc[ID_MAX];
	store_t *st = temp_store(path, sizeof path);
	char *tok = owner_setup(st, acc, sizeof acc);
	op_run_t r;
	json_t *out = NULL;
	begin_as_owner(&r, st, &spec_change, "s1", tok, acc);
	assert_int_equal(op_call(&r, fails_silently, NULL, &out), -1);
	op_fail(&r, NULL);
	assert_non_null(r.e.kind);
	assert_string_equal(r.e.kind, "internal");
	op_end(&r);
	free(tok);
	drop_store(st, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runner),
		cmocka_unit_test(test_idempotency),
		cmocka_unit_test(test_idempotency_expiry),
		cmocka_unit_test(test_audit_run),
		cmocka_unit_test(test_steps_by),
		cmocka_unit_test(test_gate_refusals_audited),
		cmocka_unit_test(test_unavailable_in_tx),
		cmocka_unit_test(test_unavailable_before_auth),
		cmocka_unit_test(test_unavailable_primary_stopped),
		cmocka_unit_test(test_unavailable_read_only_member),
		cmocka_unit_test(test_silent_failure_is_internal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
