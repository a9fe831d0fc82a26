/* Unit tests of the per-destination memory (src/domain/fax/faxdest.c) on a real
 * store (SQLite, and PostgreSQL as test_faxdest_pg): nothing kept at first;
 * a confirmed page over G.711 at 9600 without ECM kept and applied to the
 * next first call (G.711 from the start, no ECM, 9600), not to a retry, not
 * to a trunk that only takes T.38, not to another trunk or number; calls
 * nobody answered leave it; a call a fax answered with no page through
 * forgets it; a T.38 success replaces it; after 90 days it is not applied,
 * and writing another row drops it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/test_db.h"
#include "fax/fax.h"
#include "store.h"
#include "store_faxdest.h"

#define NOW (1800000000000LL)
#define DAY (24LL * 3600 * 1000)

struct fx {
	char db[512];
	store_t *st;
	json_t *trunk, *other;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	test_db_new(f->db, sizeof f->db);
	f->st = test_db_open(f->db);
	if (!f->st)
		return -1;
	f->trunk = json_pack("{s:s}", "id", "carrier");
	f->other = json_pack("{s:s}", "id", "backup");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	json_decref(f->trunk);
	json_decref(f->other);
	store_close(f->st);
	test_db_remove(f->db);
	free(f);
	return 0;
}

/* A first call to `to` over trunk, as the claim makes it before the memory. */
static fax_job_t job(json_t *trunk, const char *to, int attempt, int t38)
{
	fax_job_t j;
	memset(&j, 0, sizeof j);
	snprintf(j.to, sizeof j.to, "%s", to);
	j.trunk = trunk; /* borrowed here: never cleared */
	j.attempt = attempt;
	j.ecm = 1;
	j.max_rate = 14400;
	j.t38 = t38;
	return j;
}

static fax_result_t result(const char *transport, int pages, int heard, int ecm, int rate)
{
	fax_result_t r;
	memset(&r, 0, sizeof r);
	snprintf(r.transport, sizeof r.transport, "%s", transport);
	r.pages_confirmed = pages;
	r.t30_heard = heard;
	r.ecm = ecm;
	r.bit_rate = rate;
	return r;
}

/* Runs choose on j in its own transaction. */
static void choose(struct fx *f, fax_job_t *j, int64_t now)
{
	store_tx_t *tx = store_begin(f->st, true);
	assert_non_null(tx);
	assert_int_equal(dom_faxdest_choose(tx, j, now), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
}

static void learn(struct fx *f, json_t *trunk, const char *to, fax_result_t r, int64_t now)
{
	fax_job_t j = job(trunk, to, 1, 1);
	store_tx_t *tx = store_begin(f->st, true);
	assert_non_null(tx);
	assert_int_equal(dom_faxdest_learn(tx, &j, &r, now), 0);
	assert_int_equal(store_commit(tx), STORE_OK);
}

static void test_memory(void **state)
{
	struct fx *f = *state;
	const char *to = "+442071234567";
	fax_job_t j = job(f->trunk, to, 1, 1);
	choose(f, &j, NOW);
	assert_int_equal(j.remembered, 0);
	assert_int_equal(j.t38, 1);
	assert_int_equal(j.ecm, 1);
	assert_int_equal(j.max_rate, 14400);

	/* Two pages over G.711 at 9600 without ECM: kept, and the next first call takes it. */
	learn(f, f->trunk, to, result("g711", 2, 1, 0, 9600), NOW);
	j = job(f->trunk, to, 1, 1);
	choose(f, &j, NOW + 1000);
	assert_int_equal(j.remembered, 1);
	assert_int_equal(j.t38, 0);
	assert_int_equal(j.ecm, 0);
	assert_int_equal(j.max_rate, 9600);

	/* Not a retry, not another trunk, not another number. */
	j = job(f->trunk, to, 2, 1);
	choose(f, &j, NOW + 1000);
	assert_int_equal(j.remembered, 0);
	assert_int_equal(j.t38, 1);
	assert_int_equal(j.ecm, 1);
	j = job(f->other, to, 1, 1);
	choose(f, &j, NOW + 1000);
	assert_int_equal(j.remembered, 0);
	j = job(f->trunk, "+442071234568", 1, 1);
	choose(f, &j, NOW + 1000);
	assert_int_equal(j.remembered, 0);

	/* A trunk that only takes T.38 (or only G.711) keeps its transport. */
	j = job(f->trunk, to, 1, 2);
	choose(f, &j, NOW + 1000);
	assert_int_equal(j.remembered, 1);
	assert_int_equal(j.t38, 2);

	/* Busy, no answer: nobody answered, the memory stays. */
	learn(f, f->trunk, to, result("", 0, 0, 0, 0), NOW + 2000);
	j = job(f->trunk, to, 1, 1);
	choose(f, &j, NOW + 3000);
	assert_int_equal(j.remembered, 1);

	/* A fax answered and no page went through: forgotten, tried afresh. */
	learn(f, f->trunk, to, result("g711", 0, 1, 0, 9600), NOW + 4000);
	j = job(f->trunk, to, 1, 1);
	choose(f, &j, NOW + 5000);
	assert_int_equal(j.remembered, 0);
	assert_int_equal(j.t38, 1);
	assert_int_equal(j.max_rate, 14400);

	/* T.38 at 14400 with ECM: kept as it is (T.38 offered, full speed). */
	learn(f, f->trunk, to, result("t38", 3, 1, 1, 14400), NOW + 6000);
	j = job(f->trunk, to, 1, 1);
	choose(f, &j, NOW + 7000);
	assert_int_equal(j.remembered, 1);
	assert_int_equal(j.t38, 1);
	assert_int_equal(j.ecm, 1);
	assert_int_equal(j.max_rate, 14400);

	/* 90 days without use: not applied, and dropped when another row is written. */
	j = job(f->trunk, to, 1, 1);
	choose(f, &j, NOW + 6000 + FAXDEST_KEEP_MS + 1);
	assert_int_equal(j.remembered, 0);
	learn(f, f->other, "+15555550100", result("g711", 1, 1, 1, 14400), NOW + 6000 + FAXDEST_KEEP_MS + 1);
	store_tx_t *tx = store_begin(f->st, false);
	json_t *row = store_faxdest_get(tx, "carrier", to);
	assert_null(row);
	row = store_faxdest_get(tx, "backup", "+15555550100");
	assert_non_null(row);
	assert_string_equal(json_string_value(json_object_get(row, "transport")), "g711");
	json_decref(row);
	store_rollback(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
