/* The provider's capacity view (GET /v1/provider/capacity, numbers.h) and
 * what traffic forecasts are set against (numbers_int.h). */
#include "numbers_int.h"

#include <pthread.h>
#include <string.h>

#include "dom_util.h"
#include "fax/fax.h"
#include "store_fax.h"
#include "store_numbers.h"
#include "store_requests.h"
#include "timeutil.h"

int64_t rq_trunk_capacity(store_tx_t *tx, json_t **trunks_out)
{
	json_t *trunks = store_trunk_list(tx);
	if (!trunks)
		return -1;
	int64_t total = 0;
	bool unbounded = false;
	json_t *list = json_array();
	size_t i;
	json_t *t;
	json_array_foreach(trunks, i, t) {
		if (strcmp(rec_str(t, "status"), "active") != 0)
			continue;
		json_int_t m = json_integer_value(json_object_get(t, "max_calls"));
		if (m <= 0)
			unbounded = true;
		else
			total += m;
		json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "id", rec_str(t, "id"), "name",
			rec_str(t, "name"), "max_calls", m > 0 ? json_integer(m) : json_null()));
	}
	json_decref(trunks);
	if (trunks_out)
		*trunks_out = list;
	else
		json_decref(list);
	return unbounded ? 0 : total;
}

int64_t rq_forecast_load(store_tx_t *tx, int64_t from, int64_t to, const char *skip_id)
{
	static const char *const live[] = { "submitted", "acknowledged" };
	int64_t sum = 0;
	for (size_t k = 0; k < 2; k++) {
		json_t *rows = store_request_overlapping(tx, "forecast", live[k], from, to);
		if (!rows)
			return -1;
		size_t i;
		json_t *r;
		json_array_foreach(rows, i, r) {
			if (skip_id && strcmp(rec_str(r, "id"), skip_id) == 0)
				continue;
			json_t *f = json_loads(rec_str(r, "fields"), 0, NULL);
			sum += json_integer_value(json_object_get(f, "peak_calls"));
			json_decref(f);
		}
		json_decref(rows);
	}
	return sum;
}

/* Queued faxes the capacity view reads at most, grouped by account,
 * destination and class (queue_truncated past it). */
#define CAPACITY_QUEUE_ROWS 5000

static json_t *queue_zero(void)
{
	return json_pack("{s:i, s:i, s:i}", "queued", 0, "scheduled", 0, "retrying", 0);
}

/* Adds n to the integer member key of o. */
static void count_add(json_t *o, const char *key, json_int_t n)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + n));
}

/* The row of account id in accs (made on first use: its name, no calls, its
 * ceiling, an empty queue); borrowed. */
static json_t *account_row(dom_ctx_t *c, json_t *accs, const char *id, int max_calls)
{
	json_t *a = json_object_get(accs, id);
	if (a)
		return a;
	json_t *acc = store_account_get(c->tx, id, NULL);
	a = json_pack("{s:s, s:s, s:i, s:i, s:i, s:o}", "id", id, "name", acc ? rec_str(acc, "name") : "",
		"calls", 0, "inbound_calls", 0, "max_calls", max_calls, "queue", queue_zero());
	json_decref(acc);
	json_object_set_new(accs, id, a);
	return a;
}

/* The trunk a queued fax to `to` would take first (dom_trunks_for), cached
 * in routes: its id, or "" when none can reach it. Borrowed. */
static const char *route_of(dom_ctx_t *c, json_t *routes, const char *to)
{
	json_t *r = json_object_get(routes, to);
	if (!r) {
		json_t *cands = c->cfg->fax ? dom_trunks_for(c->tx, c->cfg->fax, to) : NULL;
		r = json_string(rec_str(json_array_get(cands, 0), "id"));
		json_decref(cands);
		json_object_set_new(routes, to, r);
	}
	return json_string_value(r);
}

static pthread_mutex_t inbound_mu = PTHREAD_MUTEX_INITIALIZER;
static dom_inbound_calls_fn *inbound_fn;
static void *inbound_ud;

void dom_capacity_set_inbound(dom_inbound_calls_fn *fn, void *ud)
{
	pthread_mutex_lock(&inbound_mu);
	inbound_fn = fn;
	inbound_ud = ud;
	pthread_mutex_unlock(&inbound_mu);
}

/* Adds this node's inbound calls in progress (inbound_calls) to the trunk
 * rows of byt, to the account rows (made as needed) and to the totals. */
static void capacity_inbound(dom_ctx_t *c, json_t *byt, json_t *accs, int acc_max, json_t *tot)
{
	json_t *bt = NULL, *ba = NULL;
	pthread_mutex_lock(&inbound_mu);
	if (inbound_fn)
		inbound_fn(inbound_ud, &bt, &ba);
	pthread_mutex_unlock(&inbound_mu);
	const char *id;
	json_t *n;
	json_object_foreach(bt, id, n) {
		json_t *t = json_object_get(byt, id);
		if (t)
			count_add(t, "inbound_calls", json_integer_value(n));
		count_add(tot, "inbound_calls", json_integer_value(n));
	}
	json_object_foreach(ba, id, n)
		count_add(account_row(c, accs, id, acc_max), "inbound_calls", json_integer_value(n));
	json_decref(bt);
	json_decref(ba);
}

/* Live calls and queue depth (P05): sets calls and queue on each trunk row
 * of trunks, and answers the accounts with calls or queued faxes (new
 * array), the totals and whether the queue was cut. 0 / -1. */
static int capacity_load(dom_ctx_t *c, json_t *trunks, int64_t now, json_t **accounts,
	json_t **totals)
{
	json_t *live = store_fax_live_calls(c->tx);
	json_t *queue = live ? store_fax_queue_groups(c->tx, now, CAPACITY_QUEUE_ROWS + 1) : NULL;
	if (!queue) {
		json_decref(live);
		return -1;
	}
	const fax_env_t *env = c->cfg->fax;
	int acc_max = env && env->account_max_calls > 0 ? env->account_max_calls : FAX_ACCOUNT_MAX_CALLS;
	json_t *byt = json_object(), *accs = json_object(), *routes = json_object();
	json_t *tot = json_pack("{s:i, s:i, s:o, s:i, s:b}", "calls", 0, "inbound_calls", 0, "queue",
		queue_zero(), "unrouted", 0, "queue_truncated", json_array_size(queue) > CAPACITY_QUEUE_ROWS);
	size_t i;
	json_t *r;
	json_array_foreach(trunks, i, r) {
		json_object_set_new(r, "calls", json_integer(0));
		json_object_set_new(r, "inbound_calls", json_integer(0));
		json_object_set_new(r, "queue", queue_zero());
		json_object_set(byt, rec_str(r, "id"), r);
	}
	json_array_foreach(live, i, r) {
		json_int_t n = json_integer_value(json_object_get(r, "n"));
		count_add(account_row(c, accs, rec_str(r, "account_id"), acc_max), "calls", n);
		json_t *t = json_object_get(byt, rec_str(r, "trunk_id"));
		if (t)
			count_add(t, "calls", n);
		count_add(tot, "calls", n);
	}
	json_array_foreach(queue, i, r) {
		if (i == CAPACITY_QUEUE_ROWS)
			break;
		json_int_t n = json_integer_value(json_object_get(r, "n"));
		const char *cls = rec_str(r, "qclass");
		json_t *a = account_row(c, accs, rec_str(r, "account_id"), acc_max);
		count_add(json_object_get(a, "queue"), cls, n);
		count_add(json_object_get(tot, "queue"), cls, n);
		json_t *t = json_object_get(byt, route_of(c, routes, rec_str(r, "to_number")));
		if (t)
			count_add(json_object_get(t, "queue"), cls, n);
		else
			count_add(tot, "unrouted", n);
	}
	capacity_inbound(c, byt, accs, acc_max, tot);
	json_t *arr = json_array();
	const char *k;
	json_t *a;
	json_object_foreach(accs, k, a) {
		json_int_t calls = json_integer_value(json_object_get(a, "calls"));
		json_object_set_new(a, "at_limit", json_boolean(calls >= acc_max));
		json_array_append(arr, a);
	}
	json_array_foreach(trunks, i, r) {
		const json_t *m = json_object_get(r, "max_calls");
		json_object_set_new(r, "at_limit", json_boolean(json_is_integer(m) &&
			json_integer_value(json_object_get(r, "calls")) >= json_integer_value(m)));
	}
	json_decref(byt);
	json_decref(accs);
	json_decref(routes);
	json_decref(live);
	json_decref(queue);
	*accounts = arr;
	*totals = tot;
	return 0;
}

int dom_capacity(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	json_t *trunks = NULL;
	int64_t cap = rq_trunk_capacity(c->tx, &trunks);
	if (cap < 0)
		return dom_fail(e, "internal", "", "the capacity could not be read");
	int64_t now = time_now_ms();
	store_page_t pg;
	if (store_request_page(c->tx, NULL, "forecast", NULL, NULL, NULL, 200, &pg) != STORE_OK) {
		json_decref(trunks);
		return dom_fail(e, "internal", "", "the capacity could not be read");
	}
	json_t *fc = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(pg.items, i, r) {
		const char *st = rec_str(r, "status");
		json_t *f = json_loads(rec_str(r, "fields"), 0, NULL);
		int64_t from = json_integer_value(json_object_get(f, "starts_at_ms"));
		int64_t to = json_integer_value(json_object_get(f, "ends_at_ms"));
		json_decref(f);
		if (to <= now || (strcmp(st, "submitted") != 0 && strcmp(st, "acknowledged") != 0))
			continue;
		int64_t load = rq_forecast_load(c->tx, from, to, NULL);
		json_t *o = rq_request_json(c->tx, r);
		json_object_set_new(o, "overlapping_calls", json_integer(load));
		json_object_set_new(o, "exceeds_capacity", json_boolean(cap > 0 && load > cap));
		json_array_append_new(fc, o);
	}
	json_decref(pg.items);
	free(pg.next_cursor);
	json_t *accounts = NULL, *totals = NULL;
	if (capacity_load(c, trunks, now, &accounts, &totals) != 0) {
		json_decref(trunks);
		json_decref(fc);
		return dom_fail(e, "internal", "", "the capacity could not be read");
	}
	*out = json_pack("{s:o, s:o, s:o, s:o}", "trunks", trunks, "capacity_calls",
		cap > 0 ? json_integer(cap) : json_null(), "forecasts", fc, "accounts", accounts);
	json_object_update(*out, totals);
	json_decref(totals);
	return dom_read_audited(c, "request.capacity.read", "capacity", NULL, out, e);
}
