/* Trunk targets (see trunk_targets.h). */
#include "trunk_targets.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "numbers/numbers.h"
#include "siptrans.h"
#include "timeutil.h"

#define TARGETS_TRUNKS_MAX 128

struct entry {
	char id[64];
	char peer[300];
	int primary, transports;        /* what the peer was resolved for */
	resolve_answer_t a;             /* the last answer (a.n 0: none, or it failed) */
	signed char state[RESOLVE_TARGETS_MAX]; /* -1 unknown, 0 down, 1 up */
	char error[160];
	int written;                    /* the row holds what is below */
	char *json;                     /* what was last written (targets), owned */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct entry table[TARGETS_TRUNKS_MAX];
static int ntable;

static int transport_bit(const char *name)
{
	int p = siptrans_proto_parse(name);
	return p == SIPTRANS_TLS ? RESOLVE_TLS : p == SIPTRANS_TCP ? RESOLVE_TCP : p == SIPTRANS_UDP ? RESOLVE_UDP : 0;
}

int trunk_transports(const json_t *trunk, int *primary)
{
	int p = transport_bit(json_string_value(json_object_get(trunk, "sip_transport")));
	if (!p)
		p = RESOLVE_UDP;
	int mask = p;
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(trunk, "sip_transports"), i, v)
		mask |= transport_bit(json_string_value(v));
	if (primary)
		*primary = p;
	return mask & TRUNK_TARGET_TRANSPORTS;
}

int trunk_target_siptrans(const resolve_target_t *t)
{
	return t->transport == RESOLVE_TLS ? SIPTRANS_TLS : t->transport == RESOLVE_TCP ? SIPTRANS_TCP : SIPTRANS_UDP;
}

void trunk_target_hostport(const resolve_target_t *t, char *out, size_t cap)
{
	snprintf(out, cap, t->family == 6 ? "[%s]:%d" : "%s:%d", t->addr, t->port);
}

static int same_target(const resolve_target_t *x, const resolve_target_t *y)
{
	return x->port == y->port && x->transport == y->transport && strcmp(x->addr, y->addr) == 0;
}

/* The entry of id for peer over the transports (made, or reset when the
 * peer or its transports changed); NULL when the table is full. With mu
 * held. */
static struct entry *entry_of(const char *id, const char *peer, int primary, int transports)
{
	struct entry *e = NULL;
	for (int i = 0; i < ntable && !e; i++)
		if (strcmp(table[i].id, id) == 0)
			e = &table[i];
	if (!e) {
		if (ntable == TARGETS_TRUNKS_MAX)
			return NULL;
		e = &table[ntable++];
		memset(e, 0, sizeof *e);
		snprintf(e->id, sizeof e->id, "%s", id);
	}
	if (strcmp(e->peer, peer) != 0 || e->primary != primary || e->transports != transports) {
		free(e->json);
		memset(e, 0, sizeof *e);
		snprintf(e->id, sizeof e->id, "%s", id);
		snprintf(e->peer, sizeof e->peer, "%s", peer);
		e->primary = primary;
		e->transports = transports;
	}
	return e;
}

static const char *state_name(int s)
{
	return s == 1 ? "up" : s == 0 ? "down" : "unknown";
}

/* The row's targets text for e (a new string), NULL when the lookup failed. */
static char *targets_json(const struct entry *e)
{
	if (e->error[0])
		return NULL;
	json_t *arr = json_array();
	for (int i = 0; i < e->a.n; i++) {
		const resolve_target_t *t = &e->a.t[i];
		json_array_append_new(arr, json_pack("{s:o, s:s, s:i, s:s, s:i, s:i, s:s}", "host",
			t->host[0] ? json_string(t->host) : json_null(), "address", t->addr, "port", t->port, "transport",
			resolve_transport_name(t->transport), "priority", t->priority, "weight", t->weight, "state",
			state_name(e->state[i])));
	}
	char *s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

/* Writes e's row when its text changed since the last write. Called with mu
 * held; the store write happens with it held too (rare: on changes only). */
static void record(store_t *st, struct entry *e)
{
	char *now = targets_json(e);
	if (e->written && ((!now && !e->json) || (now && e->json && strcmp(now, e->json) == 0))) {
		free(now);
		return;
	}
	if (dom_trunk_targets_record(st, e->id, now, e->error, time_now_ms()) < 0) {
		log_event(LOG_ERROR, "fax.trunk_targets_failed", "trunk=%s", e->id);
		free(now);
		return;
	}
	free(e->json);
	e->json = now;
	e->written = 1;
}

int trunk_targets_resolve(store_t *st, const char *trunk_id, const char *peer, const json_t *trunk,
	resolve_answer_t *a, char *why, size_t whylen)
{
	char err[160];
	int primary;
	int transports = trunk_transports(trunk, &primary);
	int rc = resolve_cached_via(peer, primary, transports, TRUNK_TARGET_FAMILIES, a, err, sizeof err);
	if (why && whylen)
		snprintf(why, whylen, "%s", rc == 0 ? "" : err);
	signed char state[RESOLVE_TARGETS_MAX];
	memset(state, -1, sizeof state);
	pthread_mutex_lock(&mu);
	struct entry *e = entry_of(trunk_id, peer, primary, transports);
	if (e) {
		for (int i = 0; i < a->n; i++)
			for (int k = 0; k < e->a.n; k++)
				if (same_target(&a->t[i], &e->a.t[k]))
					state[i] = e->state[k];
		if (rc == 0 && (e->error[0] || !e->written))
			log_event(LOG_INFO, "fax.peer_resolved", "trunk=%s how=%s targets=%d", trunk_id, a->how, a->n);
		else if (rc != 0 && !e->error[0])
			log_event(LOG_WARN, "fax.peer_unresolved", "trunk=%s reason=\"%s\"", trunk_id, err);
		e->a = rc == 0 ? *a : (resolve_answer_t){ 0 };
		memcpy(e->state, state, sizeof state);
		snprintf(e->error, sizeof e->error, "%s", rc == 0 ? "" : err);
		record(st, e);
	}
	pthread_mutex_unlock(&mu);
	if (rc != 0)
		return rc;
	/* the targets seen down go last, in their order (RFC 3263 §4.3 lets a
	 * client skip what it knows failed; we still try them, last) */
	resolve_answer_t sorted = *a;
	int k = 0;
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < a->n; i++)
			if ((state[i] == 0) == pass)
				sorted.t[k++] = a->t[i];
	*a = sorted;
	return 0;
}

void trunk_targets_mark(store_t *st, const char *trunk_id, const resolve_target_t *t, int up)
{
	pthread_mutex_lock(&mu);
	for (int i = 0; i < ntable; i++) {
		struct entry *e = &table[i];
		if (strcmp(e->id, trunk_id) != 0)
			continue;
		for (int k = 0; k < e->a.n; k++)
			if (same_target(&e->a.t[k], t) && e->state[k] != up) {
				char hp[80];
				trunk_target_hostport(t, hp, sizeof hp);
				log_event(up ? LOG_INFO : LOG_WARN, up ? "fax.target_up" : "fax.target_down", "trunk=%s target=%s",
					trunk_id, hp);
				e->state[k] = (signed char)up;
				record(st, e);
			}
	}
	pthread_mutex_unlock(&mu);
}
