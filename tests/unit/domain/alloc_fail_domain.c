/* Allocation failures in the domain (alloc_fail_domain, docs/testing.md):
 * the first steps of a customer, through the domain functions the API
 * calls, each committed (an operator creates an account with its owner,
 * the owner accepts the invitation, logs in, creates an API key and sets
 * the header line's sender name), on a real SQLite database with the keyed
 * audit chain, run with each of its allocations failing in turn. Each run
 * must end with xalloc's out-of-memory abort, and what it leaves must
 * reopen consistent: every step it committed there, the one it was
 * committing whole or absent (its audit event included), and the audit
 * chain intact under its key. */
#include "../common/alloc_fail.h"
#include "audit/audit.h"
#include "domain.h"
#include "access/access.h"
#include "sec.h"
#include "store.h"
#include "timeutil.h"
#include "vault.h"

struct ctx {
	char dir[128];
	char template_db[200];
	char db[200];
	audit_keys_t *keys;
};

static void must(int cond, const char *what)
{
	if (!cond)
		af_fail("%s", what);
}

static const dom_config_t cfg = { .session_idle_minutes = 30, .session_max_hours = 12,
	.invitation_days = 7, .limits = { 12, 10, 15, 30, 12, 600, 120, 12 },
	.source_lock_threshold = 50, .source_lock_minutes = 15, .reset_minutes = 60 };

static void commit(dom_ctx_t *c, int step)
{
	af_begin(step);
	must(store_commit(c->tx) == STORE_OK, "commit");
	af_done(step);
	c->tx = store_begin(c->store, true);
	must(c->tx != NULL, "begin");
}

static void scenario(void *arg)
{
	struct ctx *x = arg;
	char err[256];
	store_t *st = store_open(x->db, err, sizeof err);
	must(st != NULL, err);
	audit_use_keys(x->keys);
	principal_t op = { .kind = "provider", .type = "user", .perms = perm_role("provider",
		"operator") };
	dom_ctx_t c = { .store = st, .tx = store_begin(st, true), .who = &op, .source = "192.0.2.7",
		.lang = "en", .cfg = &cfg };
	dom_err_t e = { 0 };

	/* 1: the operator creates the account and its owner's invitation. */
	json_t *body = json_pack("{s:s, s:{s:s, s:s}}", "name", "Acme", "owner", "email",
		"o@acme.example", "name", "Owner");
	json_t *acc = NULL;
	must(dom_account_create(&c, body, &acc, &e) == 0, e.detail);
	json_decref(body);
	char *token = xstrdup(json_string_value(json_object_get(json_object_get(acc,
		"owner_invitation"), "token")));
	char *acc_id = xstrdup(json_string_value(json_object_get(acc, "id")));
	json_decref(acc);
	commit(&c, 1);

	/* 2: the owner accepts it with a password. */
	c.who = NULL;
	body = json_pack("{s:s}", "password", "a long password");
	json_t *out = NULL;
	must(dom_invitation_accept(&c, token, body, &out, &e) == 0, e.detail);
	json_decref(out);
	json_decref(body);
	free(token);
	commit(&c, 2);

	/* 3: and logs in (the password is checked outside any transaction). */
	body = json_pack("{s:s, s:s}", "email", "o@acme.example", "password", "a long password");
	must(dom_login(&c, body, &out, &e) == 0, e.detail);
	json_decref(body);
	char *session = xstrdup(json_string_value(json_object_get(out, "token")));
	json_decref(out);
	commit(&c, 3);

	/* 4: the owner, authenticated by the session, creates an API key. */
	principal_t owner;
	must(dom_authenticate(c.tx, &cfg, session, "192.0.2.7", time_now_ms(), &owner, &e) == 0,
		e.detail);
	free(session);
	c.who = &owner;
	acc = store_account_get(c.tx, acc_id, NULL);
	must(acc != NULL, "account");
	body = json_pack("{s:s, s:[s]}", "name", "billing export", "permissions", "billing.read");
	must(dom_apikey_create(&c, acc, body, &out, &e) == 0, e.detail);
	json_decref(out);
	json_decref(body);
	commit(&c, 4);

	/* 5: and sets the sender name of the header line. */
	body = json_pack("{s:s}", "fax_header", "Acme \xe2\x80\x94 Front desk");
	must(dom_account_update(&c, acc, body, &out, &e) == 0, e.detail);
	json_decref(out);
	json_decref(body);
	json_decref(acc);
	free(acc_id);
	af_begin(5);
	must(store_commit(c.tx) == STORE_OK, "commit");
	af_done(5);
	store_close(st);
}

/* Facts of each step (SQL answering 1 when the fact holds). */
static const char *const facts[][4] = {
	{ NULL },
	{ "SELECT COUNT(*) FROM accounts WHERE name='Acme'",
	  "SELECT COUNT(*) FROM principals WHERE email='o@acme.example'",
	  "SELECT COUNT(*) FROM invitations",
	  "SELECT COUNT(*) FROM audit_events WHERE action='account.create'" },
	{ "SELECT COUNT(*) FROM principals WHERE email='o@acme.example' AND password_hash IS NOT NULL",
	  "SELECT COUNT(*) FROM invitations WHERE used_at IS NOT NULL",
	  "SELECT COUNT(*) FROM audit_events WHERE action='invitation.accept'", NULL },
	{ "SELECT COUNT(*) FROM sessions",
	  "SELECT COUNT(*) FROM audit_events WHERE action='session.create'", NULL },
	{ "SELECT COUNT(*) FROM api_keys",
	  "SELECT COUNT(*) FROM audit_events WHERE action='api_key.create'", NULL },
	{ "SELECT COUNT(*) FROM accounts WHERE fax_header IS NOT NULL",
	  "SELECT COUNT(*) FROM audit_events WHERE action='account.update'", NULL },
};
#define STEPS 5

static int check(void *arg, int begun, int done, char *why, size_t n)
{
	struct ctx *x = arg;
	char err[256];
	store_t *st = store_open(x->db, err, sizeof err);
	if (!st) {
		snprintf(why, n, "the store does not open again: %s", err);
		return -1;
	}
	audit_report_t r;
	audit_verify_opts_t o = { .keys = x->keys };
	int vrc = audit_verify(st, &o, &r);
	store_close(st);
	if (vrc != 0) {
		snprintf(why, n, "the audit chain is not intact (%d): %s", vrc, r.reason);
		return -1;
	}
	return af_check_steps(x->db, facts, STEPS, NULL, begun, done, why, n);
}

int main(void)
{
	json_set_alloc_funcs(xmalloc, free);
	static struct ctx x;
	snprintf(x.dir, sizeof x.dir, "/tmp/fv-allocfail-XXXXXX");
	if (!mkdtemp(x.dir))
		return 1;
	snprintf(x.template_db, sizeof x.template_db, "%s/template.db", x.dir);
	snprintf(x.db, sizeof x.db, "%s/run.db", x.dir);
	if (sec_init() != 0)
		return 1;
	sec_pwhash_set_cost(1, 8192);
	/* The chain key, from a master key made for the run. */
	char master[200];
	snprintf(master, sizeof master, "%s/master.key", x.dir);
	vault_key_t *m = NULL;
	if (vault_master_load(master, 1, &m) != VAULT_OK || !(x.keys = audit_keys_derive(m))) {
		fprintf(stderr, "cannot make the master key\n");
		return 1;
	}
	vault_key_free(m);
	unlink(master);
	/* The migrated, empty database every run starts from. */
	char err[256];
	store_t *st = store_open(x.template_db, err, sizeof err);
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	store_close(st);
	af_run_t r = { .name = "alloc_fail_domain", .ctx = &x, .reset = af_reset_db,
		.scenario = scenario, .check = check, .first_all = 80, .every = 10 };
	af_db_paths(x.template_db, x.db);
	int rc = af_main(&r, x.dir);
	af_cleanup(x.dir, x.template_db, x.db);
	audit_keys_free(x.keys);
	return rc;
}
