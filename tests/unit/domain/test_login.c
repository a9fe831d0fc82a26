/* Unit tests of password login (dom_login) and its locks: the password is
 * verified with no transaction held, so that other writers go on while a
 * login hashes; an address locked out for failed logins is refused before
 * any hash is computed; and that lock does not shut out the people who
 * signed in from there before or who have a second factor.
 *
 * sec_pwhash_verify is wrapped (-Wl,--wrap) so that a test can hold a login
 * inside its hash; everything else is the real code on a real store. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "temp_store.h"
#include "domain.h"
#include "access/access.h"
#include "sec.h"
#include "timeutil.h"

#define PASSWORD "a long enough password"
/* How long a test waits for something that should happen at once: far above
 * need on any machine, so that only a real hang fails. */
#define DEADLINE_S 60

/* ---- the wrapped verification: a gate the test can close ---- */

int __real_sec_pwhash_verify(const char *encoded, const char *password);

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_closed;  /* the next verification waits until opened */
static bool gate_waiting; /* a verification is waiting at the gate */

int __wrap_sec_pwhash_verify(const char *encoded, const char *password);
int __wrap_sec_pwhash_verify(const char *encoded, const char *password)
{
	pthread_mutex_lock(&gate_mu);
	if (gate_closed) {
		gate_waiting = true;
		pthread_cond_broadcast(&gate_cv);
		while (gate_closed)
			pthread_cond_wait(&gate_cv, &gate_mu);
		gate_waiting = false;
	}
	pthread_mutex_unlock(&gate_mu);
	return __real_sec_pwhash_verify(encoded, password);
}

static void deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += DEADLINE_S;
}

/* Waits until *flag (under gate_mu) is true, or the deadline: true if it is. */
static bool wait_for(const bool *flag)
{
	struct timespec ts;
	deadline(&ts);
	pthread_mutex_lock(&gate_mu);
	int rc = 0;
	while (!*flag && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&gate_cv, &gate_mu, &ts);
	bool v = *flag;
	pthread_mutex_unlock(&gate_mu);
	return v;
}

static void gate_set(bool closed)
{
	pthread_mutex_lock(&gate_mu);
	gate_closed = closed;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* ---- a store with one account and its owner ---- */

static dom_config_t cfg = { .session_idle_minutes = 30, .session_max_hours = 12,
	.invitation_days = 7, .limits = { 12, 10, 15, 30, 12, 600, 120, 12 },
	.source_lock_threshold = 5, .source_lock_minutes = 15, .reset_minutes = 60 };

struct world {
	char path[512];
	store_t *st;
	char owner_id[64];
};

static void world_make(struct world *w)
{
	w->st = temp_store(w->path, sizeof w->path);
	sec_init();
	sec_pwhash_set_cost(1, 8192);
	store_tx_t *tx = store_begin(w->st, true);
	principal_t op = { .kind = "provider", .type = "user", .perms = perm_role("provider", "operator") };
	dom_ctx_t c = { .store = w->st, .tx = tx, .who = &op, .source = "t", .lang = "en", .cfg = &cfg };
	dom_err_t e = { 0 };
	json_t *body = json_pack("{s:s, s:{s:s, s:s}}", "name", "Acme", "owner", "email", "o@acme.example",
		"name", "O");
	json_t *acc = NULL, *out = NULL;
	assert_int_equal(dom_account_create(&c, body, &acc, &e), 0);
	json_t *accept = json_pack("{s:s, s:s}", "token", json_string_value(json_object_get(
		json_object_get(acc, "owner_invitation"), "token")), "password", PASSWORD);
	c.who = NULL;
	assert_int_equal(dom_invitation_accept(&c, NULL, accept, &out, &e), 0);
	snprintf(w->owner_id, sizeof w->owner_id, "%s", json_string_value(json_object_get(out, "user_id")));
	assert_int_equal(store_commit(c.tx), STORE_OK);
	json_decref(out);
	json_decref(accept);
	json_decref(body);
	json_decref(acc);
}

/* One login from source, as the HTTP layer runs it: in a write transaction
 * of its own, committed on success or when the failure must be kept. 0 or
 * -1, with the problem kind in *kind (static) on failure. */
static int login_from(store_t *st, const char *source, const char *email, const char *pw,
	const char **kind)
{
	dom_ctx_t c = { .store = st, .tx = store_begin(st, true), .source = source, .lang = "en",
		.cfg = &cfg };
	assert_non_null(c.tx);
	dom_err_t e = { 0 };
	json_t *body = json_pack("{s:s, s:s}", "email", email, "password", pw);
	json_t *out = NULL;
	int rc = dom_login(&c, body, &out, &e);
	json_decref(body);
	json_decref(out);
	if (c.tx) {
		if (rc == 0 || c.keep_on_error)
			assert_int_equal(store_commit(c.tx), STORE_OK);
		else
			store_rollback(c.tx);
	}
	*kind = rc == 0 ? NULL : e.kind;
	return rc;
}

static int failed_logins(struct world *w)
{
	store_tx_t *tx = store_begin(w->st, false);
	json_t *p = store_principal_get(tx, w->owner_id);
	int n = (int)json_integer_value(json_object_get(p, "failed_logins"));
	json_decref(p);
	store_rollback(tx);
	return n;
}

/* Locks `source` out with failed logins of unknown people. */
static void lock_source(struct world *w, const char *source)
{
	const char *kind;
	for (int i = 0; i < cfg.source_lock_threshold; i++) {
		char email[64];
		snprintf(email, sizeof email, "nobody%d@acme.example", i);
		assert_int_equal(login_from(w->st, source, email, "guess guess guess", &kind), -1);
	}
}

static void test_locked_address_refused_before_hashing(void **state)
{
	(void)state;
	struct world w;
	world_make(&w);
	const char *kind;
	lock_source(&w, "192.0.2.66");
	/* The owner never signed in from there: refused, and no hash computed. */
	uint64_t before = sec_pwhash_count();
	assert_int_equal(login_from(w.st, "192.0.2.66", "o@acme.example", PASSWORD, &kind), -1);
	assert_string_equal(kind, "invalid-credentials");
	assert_int_equal(login_from(w.st, "192.0.2.66", "nobody@acme.example", PASSWORD, &kind), -1);
	assert_true(sec_pwhash_count() == before);
	/* Refusals of the address do not count against the person. */
	assert_int_equal(failed_logins(&w), 0);
	/* From elsewhere, the same password works (and costs one hash). */
	assert_int_equal(login_from(w.st, "198.51.100.7", "o@acme.example", PASSWORD, &kind), 0);
	assert_true(sec_pwhash_count() == before + 1);
	drop_store(w.st, w.path);
}

static void test_locked_address_spares_known_people(void **state)
{
	(void)state;
	struct world w;
	world_make(&w);
	const char *kind;
	/* The owner works from the office; a guesser there locks it out. */
	assert_int_equal(login_from(w.st, "203.0.113.10", "o@acme.example", PASSWORD, &kind), 0);
	lock_source(&w, "203.0.113.10");
	assert_int_equal(login_from(w.st, "203.0.113.10", "nobody@acme.example", PASSWORD, &kind), -1);
	/* The owner still signs in from there with the right password… */
	assert_int_equal(login_from(w.st, "203.0.113.10", "o@acme.example", PASSWORD, &kind), 0);
	/* …a wrong one is a failure of theirs, counted toward their own lockout. */
	assert_int_equal(login_from(w.st, "203.0.113.10", "o@acme.example", "not the password", &kind), -1);
	assert_string_equal(kind, "invalid-credentials");
	assert_int_equal(failed_logins(&w), 1);
	/* A person with a second factor is exempt too: the password is checked
	 * (and the factor then asked for). */
	store_tx_t *tx = store_begin(w.st, true);
	/* (the seed is not opened here: no code is given) */
	json_t *upd = json_pack("{s:s, s:I}", "totp_secret", "sealed1:not-opened-here", "totp_confirmed_at",
		(json_int_t)time_now_ms());
	assert_int_equal(store_principal_update(tx, w.owner_id, upd), STORE_OK);
	json_decref(upd);
	assert_int_equal(store_commit(tx), STORE_OK);
	lock_source(&w, "192.0.2.99");
	uint64_t before = sec_pwhash_count();
	assert_int_equal(login_from(w.st, "192.0.2.99", "o@acme.example", PASSWORD, &kind), -1);
	assert_string_equal(kind, "mfa-required");
	assert_true(sec_pwhash_count() == before + 1);
	drop_store(w.st, w.path);
}

/* ---- writes go on while a login hashes ---- */

struct login_job {
	store_t *st;
	int rc;
	const char *kind;
};

static void *login_thread(void *arg)
{
	struct login_job *j = arg;
	j->rc = login_from(j->st, "198.51.100.20", "o@acme.example", PASSWORD, &j->kind);
	return NULL;
}

struct write_job {
	store_t *st;
	bool done;
	int rc;
};

static void *write_thread(void *arg)
{
	struct write_job *j = arg;
	store_tx_t *tx = store_begin(j->st, true);
	int rc = tx ? store_login_failures_put(tx, "198.51.100.99", 1, time_now_ms(), 0) : STORE_ERROR;
	if (tx)
		rc = rc == STORE_OK ? store_commit(tx) : (store_rollback(tx), rc);
	pthread_mutex_lock(&gate_mu);
	j->rc = rc;
	j->done = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	return NULL;
}

static void test_writes_go_on_while_a_login_hashes(void **state)
{
	(void)state;
	struct world w;
	world_make(&w);
	gate_set(true);
	struct login_job lj = { .st = w.st };
	pthread_t lt, wt;
	assert_int_equal(pthread_create(&lt, NULL, login_thread, &lj), 0);
	bool inside = wait_for(&gate_waiting);
	/* The login now sits inside its password hash. A write transaction of
	 * someone else must begin and commit meanwhile. */
	struct write_job wj = { .st = w.st };
	assert_int_equal(pthread_create(&wt, NULL, write_thread, &wj), 0);
	bool written = inside && wait_for(&wj.done);
	gate_set(false);
	pthread_join(lt, NULL);
	pthread_join(wt, NULL);
	assert_true(inside);
	assert_true(written);
	assert_int_equal(wj.rc, STORE_OK);
	assert_int_equal(lj.rc, 0);
	drop_store(w.st, w.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locked_address_refused_before_hashing),
		cmocka_unit_test(test_locked_address_spares_known_people),
		cmocka_unit_test(test_writes_go_on_while_a_login_hashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
