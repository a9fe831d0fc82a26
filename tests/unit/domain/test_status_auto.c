/* Unit tests of the api component's automatic state (src/domain/operations/status_auto.c)
 * on a real store: the share of requests answered 5xx over the window, read
 * from the answer counters the HTTP side keeps (here the test's own).
 *
 * The case that matters: the service's pass could not run between the
 * moment the window began and the errors (the database was locked by another
 * process, as in test_status_auto_api.sh, or the clock moved ahead between
 * two passes). The errors must still count: the window starts at the last
 * pass before it, never at the first pass inside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../common/test_db.h"
#include "domain.h"
#include "operations/operations.h"
#include "store.h"
#include "store_status.h"

#define T0 (1800000000000LL)
#define MIN (60LL * 1000)

static int64_t answers, errors;

static void totals(int64_t *a, int64_t *e)
{
	*a = answers;
	*e = errors;
}

struct fx {
	char db[512];
	store_t *st;
	dom_config_t cfg;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	test_db_new(f->db, sizeof f->db);
	f->st = test_db_open(f->db);
	if (!f->st)
		return -1;
	f->cfg.status_check_ms = 1000;
	f->cfg.status_failure_window_minutes = 5;
	f->cfg.status_failure_percent = 50;
	f->cfg.status_failure_min_calls = 2;
	f->cfg.http_totals = totals;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	test_db_remove(f->db);
	free(f);
	return 0;
}

/* The stored automatic state of the api component ("operational" when the
 * component has none yet). Written into out (n bytes). */
static const char *api_state(struct fx *f, char *out, size_t n)
{
	store_tx_t *tx = store_begin(f->st, false);
	assert_non_null(tx);
	json_t *all = store_status_auto_all(tx);
	assert_non_null(all);
	snprintf(out, n, "operational");
	size_t i;
	json_t *r;
	json_array_foreach(all, i, r)
		if (strcmp(json_string_value(json_object_get(r, "id")), "api") == 0)
			snprintf(out, n, "%s", json_string_value(json_object_get(r, "state")));
	json_decref(all);
	store_rollback(tx);
	return out;
}

static void pass(struct fx *f, int64_t now)
{
	assert_true(dom_status_pass(f->st, &f->cfg, now) >= 0);
}

static void errors_between_passes_count(void **state)
{
	struct fx *f = *state;
	char s[32];
	int64_t now = T0;
	/* Passes every second with good answers: operational. */
	for (int i = 0; i < 5; i++) {
		answers += 10;
		pass(f, now);
		now += 1000;
	}
	assert_string_equal(api_state(f, s, sizeof s), "operational");

	/* The clock moves six minutes ahead, and before any pass runs again two
	 * good answers and three 503s are given (a sign-in, a read, three
	 * sign-ins behind a locked database): 3 of 5, at or above 50 %. */
	now += 6 * MIN;
	answers += 5;
	errors += 3;
	pass(f, now);
	assert_string_equal(api_state(f, s, sizeof s), "degraded");

	/* Still inside the window: still degraded, whatever the good answers
	 * that follow while the share stays at or above the threshold. */
	now += 1000;
	answers += 1;
	pass(f, now);
	assert_string_equal(api_state(f, s, sizeof s), "degraded");

	/* The window passes without failures: operational again. */
	now += 6 * MIN;
	answers += 4;
	pass(f, now);
	assert_string_equal(api_state(f, s, sizeof s), "operational");

	/* Below the threshold: 2 errors among 10 answers in the window. */
	now += 1000;
	answers += 10;
	errors += 2;
	pass(f, now);
	assert_string_equal(api_state(f, s, sizeof s), "operational");

	/* Below the minimum number of answers: 1 of 1 is not judged. */
	now += 6 * MIN;
	pass(f, now);
	now += 1000;
	answers += 1;
	errors += 1;
	pass(f, now);
	assert_string_equal(api_state(f, s, sizeof s), "operational");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(errors_between_passes_count, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
