/* What the fax service asks of the trunks (see numbers.h, "routing"):
 * which trunks carry a call and in which order, which to probe and
 * register, and the record of what each node sees of them (trunk state
 * across nodes, docs/fax-service.md). Nothing here writes on behalf of a
 * person: the records are the service's own. */
#include "numbers.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_util.h"
#include "numbers_int.h"
#include "identity/identity.h"
#include "store_numbers.h"
#include "xalloc.h"

const char *nb_loopback_peer(const fax_env_t *env)
{
	return env && env->loopback_sip ? env->loopback_sip : "";
}

/* The SIP transport of trunk row t: udp, tcp or tls. */
const char *nb_trunk_sip_transport(const json_t *t)
{
	const char *v = rec_str(t, "sip_transport");
	return strcmp(v, "tcp") == 0 || strcmp(v, "tls") == 0 ? v : "udp";
}

/* The trunk's client certificate and its key opened (PEM) into out as
 * tls_cert and tls_key, when it has one whose key opens (else neither: the
 * service then presents fax.sip_tls_cert, if any). */
static void trunk_tls_fields(const json_t *t, const fax_env_t *env, json_t *out)
{
	const char *cert = rec_str(t, "tls_cert"), *stored = rec_str(t, "tls_key");
	if (!*cert || !*stored)
		return;
	char *key = secret_open_long_row(env, NULL, NULL, "trunk_tls", rec_str(t, "id"), stored);
	if (!key)
		return;
	json_object_set_new(out, "tls_cert", json_string(cert));
	json_object_set_new(out, "tls_key", json_string(key));
	sodium_memzero(key, strlen(key));
	free(key);
}

/* Adds tls_peer_name of row t (null when none: the certificate names the
 * peer's host) to out. */
static void trunk_peer_name(const json_t *t, json_t *out)
{
	const char *pn = rec_str(t, "tls_peer_name");
	json_object_set_new(out, "tls_peer_name", *pn ? json_string(pn) : json_null());
}

/* The trunk as the caller that dials needs it, password included. */
static json_t *trunk_dial(const json_t *t, const fax_env_t *env)
{
	int lo = strcmp(rec_str(t, "id"), LOOPBACK) == 0;
	/* The password is stored sealed, under the provider's key; one that
	 * does not open (logged) dials without. */
	const char *stored = rec_str(t, "secret");
	char *pw = *stored ? secret_open_row(env, NULL, NULL, "trunk", rec_str(t, "id"), stored) : NULL;
	json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "id", rec_str(t, "id"),
		"name", rec_str(t, "name"), "peer", lo ? nb_loopback_peer(env) : rec_str(t, "peer"),
		"username", rec_str(t, "username"), "password", pw ? pw : "", "transport",
		rec_str(t, "transport"), "max_calls",
		(json_int_t)json_integer_value(json_object_get(t, "max_calls")), "status",
		rec_str(t, "status"));
	json_object_set_new(out, "sip_transport", json_string(nb_trunk_sip_transport(t)));
	json_object_set_new(out, "sip_transports", nb_json_array_col(t, "sip_transports"));
	vault_secret_free(pw);
	trunk_tls_fields(t, env, out);
	trunk_peer_name(t, out);
	return out;
}

/* A trunk that may carry a call, and how well: the order of failover. */
struct cand {
	const json_t *t;
	size_t len;   /* matching prefix length */
	int down;     /* the keep-alive saw it down */
	size_t rank;  /* creation order */
	int64_t down_at; /* down: since when (link_changed_at; 0 unknown) */
};

/* The trunks seen up first, then the down ones, the one last seen up
 * first (down since the latest: one that missed its last probes is likelier
 * back soon than one down for an hour); then the longest matching prefix,
 * then creation order. */
static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->down != y->down)
		return x->down - y->down;
	if (x->down && x->down_at != y->down_at)
		return x->down_at > y->down_at ? -1 : 1;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* This process's node (dom_trunks_node), or NULL. */
static const char *_Atomic trunks_node;

void dom_trunks_node(const char *node)
{
	atomic_store(&trunks_node, node && *node ? node : NULL);
}

/* The row of trunk t's link as this node sees it (mine: its rows of
 * trunk_node_states), else t's own (as decided over the nodes): its
 * link_status and link_changed_at. */
static const json_t *own_link(const json_t *mine, const json_t *t)
{
	size_t i;
	json_t *r;
	json_array_foreach(mine, i, r)
		if (strcmp(rec_str(r, "trunk_id"), rec_str(t, "id")) == 0 && *rec_str(r, "link_status"))
			return r;
	return t;
}

json_t *dom_trunks_for(store_tx_t *tx, const fax_env_t *env, const char *to)
{
	if (!e164_valid(to))
		return NULL;
	json_t *trunks = store_trunk_list(tx);
	if (!trunks)
		return NULL;
	json_t *n = store_number_get(tx, to);
	int on_loopback = n && strcmp(rec_str(n, "trunk_id"), LOOPBACK) == 0;
	json_decref(n);
	/* Each node routes by what it sees itself of each trunk (its report in
	 * trunk_node_states), else by the state decided over the nodes. */
	const char *node = atomic_load(&trunks_node);
	json_t *mine = node ? store_trunk_node_states(tx, NULL, node) : NULL;
	size_t cap = json_array_size(trunks), nc = 0, i;
	int alone = 0;
	struct cand *c = xcalloc(cap ? cap : 1, sizeof *c);
	json_t *t;
	json_array_foreach(trunks, i, t) {
		if (strcmp(rec_str(t, "status"), "active") != 0)
			continue;
		if (strcmp(rec_str(t, "id"), LOOPBACK) == 0) {
			if (on_loopback) {
				/* A number of our own inventory: the loopback trunk alone. */
				c[0] = (struct cand){ t, 1, 0, i, 0 };
				nc = 1;
				alone = 1;
				break;
			}
		}
		json_t *prefixes = json_loads(rec_str(t, "prefixes"), 0, NULL);
		size_t len = numbers_prefix_match(prefixes, to);
		json_decref(prefixes);
		if (len > 0) {
			const json_t *l = own_link(mine, t);
			int down = strcmp(rec_str(l, "link_status"), "down") == 0;
			c[nc++] = (struct cand){ t, len, down, i,
				down ? json_integer_value(json_object_get(l, "link_changed_at")) : 0 };
		}
	}
	json_decref(mine);
	if (nc > 1 && !alone)
		qsort(c, nc, sizeof *c, cand_cmp);
	json_t *out = nc ? json_array() : NULL;
	for (i = 0; i < nc; i++)
		json_array_append_new(out, trunk_dial(c[i].t, env));
	free(c);
	json_decref(trunks);
	return out;
}

json_t *dom_trunk_for(store_tx_t *tx, const fax_env_t *env, const char *to)
{
	json_t *all = dom_trunks_for(tx, env, to);
	json_t *first = json_incref(json_array_get(all, 0));
	json_decref(all);
	return first;
}

/* The rows of the active trunks, by creation: a new array, or NULL when
 * the store fails. */
static json_t *trunks_active(store_tx_t *tx)
{
	json_t *all = store_trunk_list(tx);
	if (!all)
		return NULL;
	json_t *out = json_array();
	size_t i;
	json_t *t;
	json_array_foreach(all, i, t)
		if (strcmp(rec_str(t, "status"), "active") == 0)
			json_array_append(out, t);
	json_decref(all);
	return out;
}

json_t *dom_trunks_probe(store_tx_t *tx, const fax_env_t *env)
{
	json_t *trunks = trunks_active(tx), *out = trunks ? json_array() : NULL, *t;
	size_t i;
	json_array_foreach(trunks, i, t) {
		int lo = strcmp(rec_str(t, "id"), LOOPBACK) == 0;
		const char *peer = lo ? nb_loopback_peer(env) : rec_str(t, "peer");
		if (!*peer)
			continue;
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", rec_str(t, "id"), "peer", peer, "link_status",
			rec_str(t, "link_status"), "sip_transport", lo ? "udp" : nb_trunk_sip_transport(t));
		json_object_set_new(o, "sip_transports", lo ? json_array() : nb_json_array_col(t, "sip_transports"));
		if (!lo) {
			trunk_tls_fields(t, env, o);
			trunk_peer_name(t, o);
		}
		json_array_append_new(out, o);
	}
	json_decref(trunks);
	return out;
}

json_t *dom_trunks_register(store_tx_t *tx, const fax_env_t *env)
{
	json_t *trunks = trunks_active(tx), *out = trunks ? json_array() : NULL, *t;
	size_t i;
	json_array_foreach(trunks, i, t) {
		if (!json_integer_value(json_object_get(t, "register")) || !*rec_str(t, "username"))
			continue;
		json_t *d = trunk_dial(t, env);
		json_object_set_new(d, "registration", json_string(rec_str(t, "registration")));
		json_array_append_new(out, d);
	}
	json_decref(trunks);
	return out;
}

int dom_trunk_links_record(store_t *st, const json_t *links, int64_t now)
{
	return dom_trunk_states_record(st, "link_status", links, now);
}

/* Trunk state across nodes. Each node records what it sees of each trunk
 * (trunk_node_states); a report counts while it is within
 * TRUNK_NODE_STALE_MS of the newest report on that trunk, so a node that
 * died or stopped probing drops out (measured against the other reports,
 * not the clock: a test clock moved ahead does not age them all at once). */
#define TRUNK_NODE_STALE_MS (5 * 60000)
/* A node's unchanged state is reported again at most this often. */
#define TRUNK_NODE_REFRESH_MS 60000

int64_t nb_node_rows_newest(const json_t *rows)
{
	int64_t newest = 0;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		int64_t at = json_integer_value(json_object_get(r, "seen_at"));
		if (at > newest)
			newest = at;
	}
	return newest;
}

bool nb_node_row_counts(const json_t *r, int64_t newest)
{
	return json_integer_value(json_object_get(r, "seen_at")) >= newest - TRUNK_NODE_STALE_MS;
}

/* The trunk's state decided over its nodes' rows, for column. The link:
 * "up" when a node sees the peer answer, "down" only when every node that
 * probes it sees it down (a trunk one node reaches still carries calls, and
 * each node routes by its own view: dom_trunks_for), NULL when none probes.
 * The registration: "registered" when one node's binding holds (the carrier
 * can reach the service), else "failed" when one failed, else "none"; NULL
 * when no node registers it (then "none"; a link no node probes: "unknown"). */
static const char *trunk_decided(const json_t *rows, int link)
{
	int64_t newest = nb_node_rows_newest(rows);
	int up = 0, down = 0, reg = 0, failed = 0, none = 0;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		if (!nb_node_row_counts(r, newest))
			continue;
		const char *v = rec_str(r, link ? "link_status" : "registration");
		up |= strcmp(v, "up") == 0;
		down |= strcmp(v, "down") == 0;
		reg |= strcmp(v, "registered") == 0;
		failed |= strcmp(v, "failed") == 0;
		none |= strcmp(v, "none") == 0;
	}
	if (link)
		return up ? "up" : down ? "down" : NULL;
	return reg ? "registered" : failed ? "failed" : none ? "none" : NULL;
}

/* Sets trunk t's column to what its nodes decide, when it differs. 1 when
 * it changed, 0, or STORE_ERROR. */
static int trunk_decide(store_tx_t *tx, const json_t *t, const char *column, int64_t now)
{
	int link = strcmp(column, "link_status") == 0;
	const char *id = rec_str(t, "id");
	json_t *rows = store_trunk_node_states(tx, id, NULL);
	if (!rows)
		return STORE_ERROR;
	const char *want = trunk_decided(rows, link);
	int rc = 0;
	if (!want) /* no node reports it (any more) */
		want = link ? "unknown" : "none";
	if (want && strcmp(rec_str(t, column), want) != 0) {
		json_t *upd = json_pack("{s:s}", column, want);
		if (link)
			json_object_set_new(upd, "link_changed_at", json_integer(now));
		rc = store_trunk_update(tx, id, upd) == STORE_ERROR ? STORE_ERROR : 1;
		json_decref(upd);
	}
	json_decref(rows);
	return rc;
}

int dom_trunk_states_record(store_t *st, const char *column, const json_t *links, int64_t now)
{
	int link = strcmp(column, "link_status") == 0;
	if (!link && strcmp(column, "registration") != 0)
		return -1;
	const char *node = atomic_load(&trunks_node);
	if (!node)
		node = "";
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int changed = 0, wrote = 0, rc = STORE_OK;
	const char *id;
	json_t *v;
	json_object_foreach((json_t *)links, id, v) {
		json_t *t = store_trunk_get(tx, id);
		const char *now_st = json_string_value(v);
		if (!t || !now_st) {
			json_decref(t);
			continue;
		}
		/* This node's report: written when it changed, or again now and
		 * then so that it keeps counting. */
		json_t *mine = store_trunk_node_states(tx, id, node);
		const json_t *row = json_array_get(mine, 0);
		if (!mine)
			rc = STORE_ERROR;
		else if (!row || strcmp(rec_str(row, column), now_st) != 0 ||
			 json_integer_value(json_object_get(row, "seen_at")) < now - TRUNK_NODE_REFRESH_MS) {
			if (store_trunk_node_set(tx, id, node, column, now_st, now) != STORE_OK)
				rc = STORE_ERROR;
			wrote++;
		}
		json_decref(mine);
		int d = rc == STORE_OK ? trunk_decide(tx, t, column, now) : 0;
		if (d == STORE_ERROR)
			rc = STORE_ERROR;
		else
			changed += d;
		json_decref(t);
	}
	if (rc != STORE_OK) {
		store_rollback(tx);
		return -1;
	}
	if (changed == 0 && wrote == 0) {
		store_rollback(tx);
		return 0;
	}
	return store_commit(tx) == STORE_OK ? changed : -1;
}

int dom_trunk_node_forget(store_t *st, int64_t now)
{
	const char *node = atomic_load(&trunks_node);
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *gone = store_trunk_node_forget(tx, node ? node : "");
	int rc = gone ? STORE_OK : STORE_ERROR;
	size_t i;
	json_t *r;
	json_array_foreach(gone, i, r) {
		json_t *t = store_trunk_get(tx, rec_str(r, "trunk_id"));
		if (t && (trunk_decide(tx, t, "link_status", now) == STORE_ERROR ||
			  trunk_decide(tx, t, "registration", now) == STORE_ERROR))
			rc = STORE_ERROR;
		json_decref(t);
	}
	size_t n = json_array_size(gone);
	json_decref(gone);
	if (rc != STORE_OK) {
		store_rollback(tx);
		return -1;
	}
	if (n == 0) {
		store_rollback(tx);
		return 0;
	}
	return store_commit(tx) == STORE_OK ? (int)n : -1;
}

int dom_trunk_targets_record(store_t *st, const char *trunk_id, const char *targets, const char *error, int64_t now)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *t = store_trunk_get(tx, trunk_id);
	if (!t || (strcmp(rec_str(t, "targets"), targets ? targets : "") == 0 &&
		   strcmp(rec_str(t, "resolve_error"), error ? error : "") == 0)) {
		json_decref(t);
		store_rollback(tx);
		return 0;
	}
	json_decref(t);
	json_t *upd = json_pack("{s:o, s:o, s:I}", "targets", targets ? json_string(targets) : json_null(),
		"resolve_error", error && *error ? json_string(error) : json_null(), "resolved_at", (json_int_t)now);
	int rc = store_trunk_update(tx, trunk_id, upd) == STORE_ERROR ? -1 : 1;
	json_decref(upd);
	if (rc < 0) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx) == STORE_OK ? 1 : -1;
}

/* A JSON array stored as text, or a new empty array. */
json_t *nb_json_array_col(const json_t *t, const char *col)
{
	json_t *a = json_loads(rec_str(t, col), 0, NULL);
	if (json_is_array(a))
		return a;
	json_decref(a);
	return json_array();
}

/* Adds inbound_cidrs, called_number, inbound_rewrite, inbound_auth and
 * tls_peer_name of row t to out. */
void nb_trunk_inbound_fields(const json_t *t, json_t *out)
{
	const char *called = rec_str(t, "called_number");
	const char *auth = rec_str(t, "inbound_auth");
	json_object_set_new(out, "inbound_cidrs", nb_json_array_col(t, "inbound_cidrs"));
	json_object_set_new(out, "called_number", json_string(*called ? called : "request_uri"));
	json_object_set_new(out, "inbound_rewrite", nb_json_array_col(t, "inbound_rewrite"));
	json_object_set_new(out, "inbound_auth", json_string(*auth ? auth : "source"));
	trunk_peer_name(t, out);
}


json_t *dom_trunks_inbound(store_tx_t *tx)
{
	json_t *trunks = trunks_active(tx), *out = trunks ? json_array() : NULL, *t;
	size_t i;
	json_array_foreach(trunks, i, t) {
		if (strcmp(rec_str(t, "id"), LOOPBACK) == 0)
			continue;
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s}", "id", rec_str(t, "id"), "name", rec_str(t, "name"),
			"peer", rec_str(t, "peer"), "max_calls", (json_int_t)json_integer_value(json_object_get(t, "max_calls")),
			"username", rec_str(t, "username"));
		nb_trunk_inbound_fields(t, o);
		json_array_append_new(out, o);
	}
	json_decref(trunks);
	return out;
}

char *dom_trunk_inbound_password(store_tx_t *tx, const fax_env_t *env, const char *trunk_id)
{
	json_t *t = trunk_id ? store_trunk_get(tx, trunk_id) : NULL;
	const char *stored = t ? rec_str(t, "secret") : "";
	char *pw = *stored ? secret_open_row(env, NULL, NULL, "trunk", trunk_id, stored) : NULL;
	json_decref(t);
	return pw;
}
