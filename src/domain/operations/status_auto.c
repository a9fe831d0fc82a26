/* Automatic component states of the status board (see status_auto.h). */
#include "operations.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "dom_util.h"
#include "log.h"
#include "sec.h"
#include "operations_int.h"
#include "store_numbers.h"
#include "store_status.h"
#include "timeutil.h"
#include "xalloc.h"

#define AUTO_ACTOR "system:status"

/* Defaults when the configuration leaves a figure at 0 (tools, unit tests). */
#define CHECK_MS_DEFAULT 30000
#define WINDOW_MIN_DEFAULT 15
#define FAILURE_PCT_DEFAULT 50
#define MIN_CALLS_DEFAULT 5

static int cfg_or(int v, int dflt)
{
	return v > 0 ? v : dflt;
}

int status_history_add(dom_ctx_t *c, const char *component, const char *source,
	const char *state, const char *reason, int64_t now)
{
	char *id = sec_new_id("sth");
	const char *actor = c->who ? dom_actor_id(c) : c->actor ? c->actor : "system";
	json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "component",
		component, "source", source, "state", state, "reason", reason, "actor", actor,
		"created_at", (json_int_t)now);
	int rc = store_status_history_insert(c->tx, row);
	json_decref(row);
	free(id);
	return rc;
}

/* Puts {state, reason} for component id into want. */
static void want_set(json_t *want, const char *id, const char *state, const char *reason)
{
	json_object_set_new(want, id, json_pack("{s:s, s:s}", "state", state, "reason", reason));
}

/* Whether failed of total calls is a failure rate at or above the
 * threshold, with enough calls to judge. */
static bool failing(const dom_config_t *cfg, int64_t total, int64_t failed)
{
	return total >= cfg_or(cfg->status_failure_min_calls, MIN_CALLS_DEFAULT) &&
		failed * 100 >= (int64_t)cfg_or(cfg->status_failure_percent, FAILURE_PCT_DEFAULT) * total;
}

/* ---- the api component: the share of requests answered 5xx ---- */

/* This process's answer counters at each pass (http_totals), newest last.
 * The window's figures are the newest sample less the newest sample taken at
 * or before the window's start (or the oldest sample when none is that old),
 * so the window may begin up to one pass early but never starts late: a
 * pass that could not run for a while (the database locked, the clock moved
 * ahead) still counts every answer given since the last pass before the
 * window. Starting at the oldest sample inside the window instead lost the
 * answers given between the window's start and the first pass in it. */
#define API_SAMPLES 1024
static struct api_sample {
	int64_t at, answers, errors;
} api_ring[API_SAMPLES];
static int api_len;
static pthread_mutex_t api_mu = PTHREAD_MUTEX_INITIALIZER;

/* Records the counters at now and answers the requests and 5xx answers
 * since the newest sample at or before now - window_ms (see above). */
static void api_window(const dom_config_t *cfg, int64_t now, int64_t window_ms, int64_t *total,
	int64_t *failed)
{
	struct api_sample cur = { .at = now };
	cfg->http_totals(&cur.answers, &cur.errors);
	pthread_mutex_lock(&api_mu);
	if (api_len > 0 && now < api_ring[api_len - 1].at)
		api_len = 0; /* the clock went back: start again */
	if (api_len == API_SAMPLES) {
		memmove(api_ring, api_ring + 1, (API_SAMPLES - 1) * sizeof api_ring[0]);
		api_len--;
	}
	int k = 0;
	while (k + 1 < api_len && api_ring[k + 1].at <= now - window_ms)
		k++;
	api_ring[api_len++] = cur;
	*total = cur.answers - api_ring[k].answers;
	*failed = cur.errors - api_ring[k].errors;
	/* Samples before the window's first one are no longer needed. */
	if (k > 0) {
		memmove(api_ring, api_ring + k, (size_t)(api_len - k) * sizeof api_ring[0]);
		api_len -= k;
	}
	pthread_mutex_unlock(&api_mu);
}

/* ---- the portal component: its files can be read ---- */

/* Whether dir/rel is a regular file that can be read and is not empty. */
static bool file_ok(const char *dir, const char *rel)
{
	char path[1200];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path)
		return false;
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	char c;
	bool ok = fread(&c, 1, 1, f) == 1;
	fclose(f);
	return ok;
}

/* The portal's state from its files: major_outage when index.html cannot be
 * read, partial_outage when an asset it names (src="/…" or href="/…", on
 * this host) cannot; the reason into reason. */
static const char *portal_state(const char *dir, char *reason, size_t rlen)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/index.html", dir);
	FILE *f = fopen(path, "rb");
	char page[16384];
	size_t n = f ? fread(page, 1, sizeof page - 1, f) : 0;
	if (f)
		fclose(f);
	if (n == 0) {
		snprintf(reason, rlen, "the portal's index.html cannot be read");
		return "major_outage";
	}
	page[n] = '\0';
	int missing = 0, named = 0;
	char first[128] = "";
	for (const char *p = page; (p = strstr(p, "=\"/")) != NULL; p++) {
		if (!(p >= page + 3 && (strncmp(p - 3, "src", 3) == 0 || strncmp(p - 4, "href", 4) == 0)))
			continue;
		const char *a = p + 3, *end = strchr(a, '"');
		if (!end || end == a || *a == '/' || (size_t)(end - a) >= sizeof first)
			continue;
		char rel[128];
		snprintf(rel, sizeof rel, "%.*s", (int)(end - a), a);
		rel[strcspn(rel, "?#")] = '\0';
		if (!*rel || strstr(rel, ".."))
			continue;
		named++;
		if (!file_ok(dir, rel) && missing++ == 0)
			snprintf(first, sizeof first, "%s", rel);
	}
	if (missing) {
		snprintf(reason, rlen, "%d of the %d files the portal's page names cannot be read (first: /%s)",
			missing, named, first);
		return "partial_outage";
	}
	reason[0] = '\0';
	return "operational";
}

/* The automatic state of every component that has a rule, at now: an
 * object {component: {state, reason}} (new reference), or NULL on error. */
static json_t *auto_states(dom_ctx_t *c, int64_t now)
{
	const dom_config_t *cfg = c->cfg;
	int window = cfg_or(cfg->status_failure_window_minutes, WINDOW_MIN_DEFAULT);
	json_t *trunks = store_trunk_list(c->tx);
	json_t *calls = store_status_trunk_calls(c->tx, now - (int64_t)window * 60000);
	int64_t waiting = cfg->mail_on ? store_status_mail_waiting(c->tx) : 0;
	if (!trunks || !calls || waiting < 0) {
		json_decref(trunks);
		json_decref(calls);
		return NULL;
	}
	json_t *want = json_object();
	int active = 0, down = 0;
	int64_t all_total = 0, all_failed = 0;
	char reason[200];
	size_t i;
	json_t *t;
	json_array_foreach(trunks, i, t) {
		if (strcmp(rec_str(t, "status"), "active") != 0)
			continue;
		active++;
		char id[160];
		snprintf(id, sizeof id, "trunk:%s", rec_str(t, "id"));
		int64_t total = 0, failed = 0;
		size_t k;
		json_t *r;
		json_array_foreach(calls, k, r)
			if (strcmp(rec_str(r, "trunk_id"), rec_str(t, "id")) == 0) {
				total = (int64_t)json_integer_value(json_object_get(r, "total"));
				failed = (int64_t)json_integer_value(json_object_get(r, "failed"));
			}
		all_total += total;
		all_failed += failed;
		if (strcmp(rec_str(t, "link_status"), "down") == 0) {
			down++;
			want_set(want, id, "major_outage", "the trunk's peer does not answer the OPTIONS keep-alive");
		} else if (failing(cfg, total, failed)) {
			snprintf(reason, sizeof reason, "%lld of %lld calls failed in the last %d minutes",
				(long long)failed, (long long)total, window);
			want_set(want, id, "degraded", reason);
		} else {
			want_set(want, id, "operational", "");
		}
	}
	if (active > 0 && down == active) {
		want_set(want, "sending", "major_outage", "no trunk answers the OPTIONS keep-alive");
		want_set(want, "receiving", "major_outage", "no trunk answers the OPTIONS keep-alive");
	} else {
		if (down > 0) {
			snprintf(reason, sizeof reason, "%d of %d trunks do not answer the OPTIONS keep-alive",
				down, active);
			want_set(want, "sending", "degraded", reason);
		} else if (failing(cfg, all_total, all_failed)) {
			snprintf(reason, sizeof reason, "%lld of %lld calls failed in the last %d minutes",
				(long long)all_failed, (long long)all_total, window);
			want_set(want, "sending", "degraded", reason);
		} else {
			want_set(want, "sending", "operational", "");
		}
		want_set(want, "receiving", "operational", "");
	}
	if (cfg->http_totals) {
		int64_t total, failed;
		api_window(cfg, now, (int64_t)window * 60000, &total, &failed);
		if (failing(cfg, total, failed)) {
			snprintf(reason, sizeof reason, "%lld of %lld requests answered 5xx in the last %d minutes",
				(long long)failed, (long long)total, window);
			want_set(want, "api", "degraded", reason);
		} else {
			want_set(want, "api", "operational", "");
		}
	}
	if (cfg->portal_dir) {
		const char *st = portal_state(cfg->portal_dir, reason, sizeof reason);
		want_set(want, "portal", st, reason);
	}
	if (waiting > 0) {
		snprintf(reason, sizeof reason, "%lld message(s) wait for the mail relay after a failed attempt",
			(long long)waiting);
		want_set(want, "mail", "degraded", reason);
	} else {
		want_set(want, "mail", "operational", "");
	}
	json_decref(trunks);
	json_decref(calls);
	return want;
}

/* The stored automatic state of id in have ("operational" when none). */
static const char *have_state(const json_t *have, const char *id)
{
	size_t i;
	json_t *r;
	json_array_foreach(have, i, r)
		if (strcmp(rec_str(r, "id"), id) == 0)
			return rec_str(r, "state");
	return "operational";
}

/* When the pass may next run (the clock's ms): one thread calls it (the
 * service's periodic pass), the atomic keeps a second caller harmless. */
static _Atomic int64_t next_pass_ms;

int dom_status_pass(store_t *st, const dom_config_t *cfg, int64_t now)
{
	if (now < atomic_load(&next_pass_ms))
		return 0;
	atomic_store(&next_pass_ms, now + cfg_or(cfg->status_check_ms, CHECK_MS_DEFAULT));
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	dom_ctx_t c = { .store = st, .tx = tx, .actor = AUTO_ACTOR, .source = "", .lang = "en",
		.cfg = cfg };
	json_t *want = auto_states(&c, now);
	json_t *have = want ? store_status_auto_all(tx) : NULL;
	int changed = 0, rc = have ? 0 : -1;
	const char *id;
	json_t *w;
	json_object_foreach(want, id, w) {
		if (rc != 0 || !have)
			break;
		const char *from = have_state(have, id), *to = rec_str(w, "state");
		if (strcmp(from, to) == 0)
			continue;
		const char *why = rec_str(w, "reason");
		json_t *detail = json_pack("{s:s, s:s, s:s}", "from", from, "to", to, "reason", why);
		if (store_status_auto_set(tx, id, to, why, now) != STORE_OK ||
		    status_history_add(&c, id, "automatic", to, *why ? why : "recovered", now) != STORE_OK ||
		    dom_audit(&c, "status.component.auto", id, NULL, "success", detail) != STORE_OK)
			rc = -1;
		json_decref(detail);
		log_event(strcmp(to, "operational") == 0 ? LOG_INFO : LOG_WARN, "status.component_auto",
			"component=%s from=%s to=%s", id, from, to);
		changed++;
	}
	json_decref(want);
	json_decref(have);
	/* Maintenance reminders due (status_subs.h). */
	int reminded = rc == 0 ? status_subs_remind(&c, now) : 0;
	if (reminded < 0)
		rc = -1;
	else
		changed += reminded;
	if (rc == 0 && changed == 0) {
		store_rollback(tx);
		return 0;
	}
	if (rc == 0 && store_commit(tx) == STORE_OK)
		return changed;
	if (rc != 0)
		store_rollback(tx);
	log_event(LOG_ERROR, "status.pass_failed", "changes=%d", changed);
	return -1;
}

/* ---- operators' view ---- */

static json_t *history_json(const json_t *h)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "source", rec_str(h, "source"), "state",
		rec_str(h, "state"), "reason", rec_str(h, "reason"), "actor", rec_str(h, "actor"),
		"created_at", time_json(json_object_get(h, "created_at")));
}

int dom_status_component_list(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	json_t *list = status_component_list(c);
	json_t *autos = store_status_auto_all(c->tx), *pins = store_status_components(c->tx);
	if (!autos || !pins) {
		json_decref(autos);
		json_decref(pins);
		json_decref(list);
		return dom_fail(e, "internal", "", "the components could not be read");
	}
	size_t i;
	json_t *comp;
	json_array_foreach(list, i, comp) {
		const char *id = rec_str(comp, "id");
		json_t *a = NULL;
		size_t k;
		json_t *r;
		json_array_foreach(autos, k, r)
			if (strcmp(rec_str(r, "id"), id) == 0)
				a = r;
		bool pinned = false;
		json_array_foreach(pins, k, r)
			if (strcmp(rec_str(r, "id"), id) == 0)
				pinned = true;
		json_object_set_new(comp, "pinned", json_boolean(pinned));
		json_object_set_new(comp, "automatic", json_pack("{s:s, s:s, s:o}", "state",
			a ? rec_str(a, "state") : "operational", "reason", a ? rec_str(a, "reason") : "",
			"updated_at", a ? time_json(json_object_get(a, "updated_at")) : json_null()));
		json_t *hist = store_status_history(c->tx, id, STATUS_HISTORY_SHOWN);
		json_t *arr = json_array();
		json_array_foreach(hist, k, r)
			json_array_append_new(arr, history_json(r));
		json_decref(hist);
		json_object_set_new(comp, "history", arr);
	}
	json_decref(autos);
	json_decref(pins);
	*out = json_pack("{s:o}", "items", list);
	return 0;
}
