/* Trunks, the number inventory, the numbers of an account, port-in
 * requests and their notifications (P12, C04a), and the routing answers the
 * fax service asks of them (see numbers.h, docs/fax-service.md). */
#include "numbers.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carrier.h"
#include "avscan.h"
#include "cidr.h"
#include "docs.h"
#include "dom_util.h"
#include "mailq.h"
#include "numparse.h"
#include "partners.h"
#include "render.h"
#include "resolve.h"
#include "sec.h"
#include "secrets.h"
#include "store_incidents.h"
#include "store_numbers.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define TRUNK_ID_MAX 32
#define TRUNK_PREFIXES_MAX 64
#define TRUNK_CIDRS_MAX 64
#define TRUNK_REWRITE_MAX 16
#define IMPORT_MAX 10000
#define PORT_NUMBERS_MAX 100
#define CRED_MAX 128
#define AREA_MAX 6
#define QUARANTINE_DEFAULT_DAYS 30
#define LOOPBACK "loopback"

/* ---- pure rules ---- */

size_t numbers_prefix_match(const json_t *prefixes, const char *to)
{
	size_t best = 0, i;
	const json_t *p;
	json_array_foreach(prefixes, i, p) {
		const char *s = json_string_value(p);
		size_t n = s ? strlen(s) : 0;
		if (n > best && strncmp(to, s, n) == 0)
			best = n;
	}
	return best;
}

int64_t numbers_quarantine_until(int64_t released_at, int days)
{
	return released_at + (int64_t)(days < 0 ? 0 : days) * 86400000;
}

int numbers_pickable(const char *status, int64_t quarantine_until, int64_t now)
{
	if (strcmp(status, "available") == 0)
		return 1;
	return strcmp(status, "quarantined") == 0 && quarantine_until <= now;
}

static int quarantine_days(const dom_ctx_t *c)
{
	return c->cfg && c->cfg->fax ? c->cfg->fax->number_quarantine_days : QUARANTINE_DEFAULT_DAYS;
}

/* "+"-led number from a path segment: the HTTP layer may hand it decoded
 * ("+33…"), still encoded ("%2B33…"), or with the "+" taken for a space. */
static int path_number(const char *s, char out[E164_MAX + 1])
{
	if (!s)
		return -1;
	const char *digits = NULL;
	if (s[0] == '+' || s[0] == ' ')
		digits = s + 1;
	else if (s[0] == '%' && s[1] == '2' && (s[2] == 'B' || s[2] == 'b'))
		digits = s + 3;
	if (!digits || strlen(digits) > E164_MAX - 1)
		return -1;
	snprintf(out, E164_MAX + 1, "+%s", digits);
	return e164_valid(out) ? 0 : -1;
}

/* ---- routing ---- */

json_t *dom_number_inbound(store_tx_t *tx, const char *number)
{
	if (!e164_valid(number))
		return NULL;
	json_t *n = store_number_get(tx, number);
	json_t *out = NULL;
	/* A closed account (closing, destroyed) receives nothing. */
	json_t *acc = n && *rec_str(n, "account_id") ? store_account_get(tx, rec_str(n, "account_id"),
		NULL) : NULL;
	bool closed = acc && strcmp(rec_str(acc, "status"), "closed") == 0;
	json_decref(acc);
	if (n && !closed && strcmp(rec_str(n, "status"), "assigned") == 0 && *rec_str(n, "account_id")) {
		/* A fax for someone who has left lands in the shared inbox. */
		const char *user = rec_str(n, "route_user_id");
		json_t *m = *user ? store_member_get(tx, rec_str(n, "account_id"), user) : NULL;
		if (!m || strcmp(rec_str(m, "status"), "active") != 0)
			user = "";
		out = json_pack("{s:s, s:s, s:s, s:s}", "number", number, "account_id",
			rec_str(n, "account_id"), "route_to", *user ? user : "shared", "trunk_id",
			rec_str(n, "trunk_id"));
		json_decref(m);
	}
	json_decref(n);
	return out;
}

static const char *loopback_peer(const fax_env_t *env)
{
	return env && env->loopback_sip ? env->loopback_sip : "";
}

static json_t *json_array_col(const json_t *t, const char *col);

/* The SIP transport of trunk row t: udp, tcp or tls. */
static const char *trunk_sip_transport(const json_t *t)
{
	const char *v = rec_str(t, "sip_transport");
	return strcmp(v, "tcp") == 0 || strcmp(v, "tls") == 0 ? v : "udp";
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
		"name", rec_str(t, "name"), "peer", lo ? loopback_peer(env) : rec_str(t, "peer"),
		"username", rec_str(t, "username"), "password", pw ? pw : "", "transport",
		rec_str(t, "transport"), "max_calls",
		(json_int_t)json_integer_value(json_object_get(t, "max_calls")), "status",
		rec_str(t, "status"));
	json_object_set_new(out, "sip_transport", json_string(trunk_sip_transport(t)));
	json_object_set_new(out, "sip_transports", json_array_col(t, "sip_transports"));
	vault_secret_free(pw);
	return out;
}

/* A trunk that may carry a call, and how well: the order of failover. */
struct cand {
	const json_t *t;
	size_t len;   /* matching prefix length */
	int down;     /* the keep-alive saw it down */
	size_t rank;  /* creation order */
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->down != y->down)
		return x->down - y->down;
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

/* Trunk t's link as this node sees it (mine: its rows of
 * trunk_node_states), else as decided over the nodes. */
static const char *own_link(const json_t *mine, const json_t *t)
{
	size_t i;
	json_t *r;
	json_array_foreach(mine, i, r)
		if (strcmp(rec_str(r, "trunk_id"), rec_str(t, "id")) == 0 && *rec_str(r, "link_status"))
			return rec_str(r, "link_status");
	return rec_str(t, "link_status");
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
				c[0] = (struct cand){ t, 1, 0, i };
				nc = 1;
				alone = 1;
				break;
			}
		}
		json_t *prefixes = json_loads(rec_str(t, "prefixes"), 0, NULL);
		size_t len = numbers_prefix_match(prefixes, to);
		json_decref(prefixes);
		if (len > 0)
			c[nc++] = (struct cand){ t, len, strcmp(own_link(mine, t), "down") == 0, i };
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
		const char *peer = lo ? loopback_peer(env) : rec_str(t, "peer");
		if (!*peer)
			continue;
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", rec_str(t, "id"), "peer", peer, "link_status",
			rec_str(t, "link_status"), "sip_transport", lo ? "udp" : trunk_sip_transport(t));
		json_object_set_new(o, "sip_transports", lo ? json_array() : json_array_col(t, "sip_transports"));
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

static int64_t node_rows_newest(const json_t *rows)
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

static bool node_row_counts(const json_t *r, int64_t newest)
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
	int64_t newest = node_rows_newest(rows);
	int up = 0, down = 0, reg = 0, failed = 0, none = 0;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		if (!node_row_counts(r, newest))
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

void dom_caller_id(store_tx_t *tx, const char *account_id, const char *user_id, char out[32])
{
	out[0] = '\0';
	json_t *all = store_number_all(tx, account_id);
	const json_t *mine = NULL, *shared = NULL;
	size_t i;
	json_t *n;
	json_array_foreach(all, i, n) {
		const char *u = rec_str(n, "route_user_id");
		if (!mine && user_id && *u && strcmp(u, user_id) == 0)
			mine = n;
		if (!shared && !*u)
			shared = n;
	}
	const json_t *pick = mine ? mine : shared ? shared : json_array_get(all, 0);
	if (pick)
		snprintf(out, 32, "%s", rec_str(pick, "number"));
	json_decref(all);
}

/* ---- trunks ---- */

/* A JSON array stored as text, or a new empty array. */
static json_t *json_array_col(const json_t *t, const char *col)
{
	json_t *a = json_loads(rec_str(t, col), 0, NULL);
	if (json_is_array(a))
		return a;
	json_decref(a);
	return json_array();
}

/* Adds inbound_cidrs, called_number, inbound_rewrite and inbound_auth of row t to out. */
static void trunk_inbound_fields(const json_t *t, json_t *out)
{
	const char *called = rec_str(t, "called_number");
	const char *auth = rec_str(t, "inbound_auth");
	json_object_set_new(out, "inbound_cidrs", json_array_col(t, "inbound_cidrs"));
	json_object_set_new(out, "called_number", json_string(*called ? called : "request_uri"));
	json_object_set_new(out, "inbound_rewrite", json_array_col(t, "inbound_rewrite"));
	json_object_set_new(out, "inbound_auth", json_string(*auth ? auth : "source"));
}

json_t *dom_trunks_inbound(store_tx_t *tx)
{
	json_t *trunks = trunks_active(tx), *out = trunks ? json_array() : NULL, *t;
	size_t i;
	json_array_foreach(trunks, i, t) {
		if (strcmp(rec_str(t, "id"), LOOPBACK) == 0)
			continue;
		json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "id", rec_str(t, "id"), "name", rec_str(t, "name"),
			"max_calls", (json_int_t)json_integer_value(json_object_get(t, "max_calls")), "username",
			rec_str(t, "username"));
		trunk_inbound_fields(t, o);
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

/* What the API answers as a trunk's status: "disabled" when the operator
 * turned it off, else its health as the keep-alive last saw it (up, down,
 * or unknown before any probe). */
static const char *trunk_status(const json_t *t)
{
	if (strcmp(rec_str(t, "status"), "active") != 0)
		return "disabled";
	const char *l = rec_str(t, "link_status");
	return strcmp(l, "up") == 0 || strcmp(l, "down") == 0 ? l : "unknown";
}

static json_t *trunk_public(const json_t *t, const fax_env_t *env)
{
	int lo = strcmp(rec_str(t, "id"), LOOPBACK) == 0;
	json_t *prefixes = json_loads(rec_str(t, "prefixes"), 0, NULL);
	const char *user = rec_str(t, "username");
	json_t *out = json_pack("{s:s, s:s, s:s, s:o, s:b, s:s, s:I, s:s, s:o, s:s, s:b, s:o, s:o}", "id",
		rec_str(t, "id"), "name", rec_str(t, "name"), "peer",
		lo ? loopback_peer(env) : rec_str(t, "peer"), "username",
		*user ? json_string(user) : json_null(), "has_password", *rec_str(t, "secret") != '\0',
		"transport", rec_str(t, "transport"), "max_calls",
		(json_int_t)json_integer_value(json_object_get(t, "max_calls")), "caller_id_rule",
		rec_str(t, "caller_id_rule"), "prefixes",
		json_is_array(prefixes) ? prefixes : (json_decref(prefixes), json_array()), "status",
		trunk_status(t), "builtin", lo, "created_at",
		time_json(json_object_get(t, "created_at")), "updated_at",
		time_json(json_object_get(t, "updated_at")));
	if (out) {
		json_object_set_new(out, "enabled", json_boolean(strcmp(rec_str(t, "status"), "active") == 0));
		json_object_set_new(out, "status_changed_at", time_json(json_object_get(t, "link_changed_at")));
		int reg = json_integer_value(json_object_get(t, "register")) != 0;
		const char *rs = rec_str(t, "registration");
		json_object_set_new(out, "register", json_boolean(reg));
		json_t *targets = json_loads(rec_str(t, "targets"), 0, NULL);
		json_object_set_new(out, "targets", json_is_array(targets) ? targets : (json_decref(targets), json_array()));
		const char *rerr = rec_str(t, "resolve_error");
		json_object_set_new(out, "resolve_error", *rerr ? json_string(rerr) : json_null());
		json_object_set_new(out, "resolved_at", time_json(json_object_get(t, "resolved_at")));
		json_object_set_new(out, "sip_transport", json_string(trunk_sip_transport(t)));
		json_object_set_new(out, "sip_transports", json_array_col(t, "sip_transports"));
		json_object_set_new(out, "registration",
			json_string(reg && (strcmp(rs, "registered") == 0 || strcmp(rs, "failed") == 0) ? rs : "none"));
	}
	if (out && !lo)
		trunk_inbound_fields(t, out);
	return out;
}

static const fax_env_t *env_of(const dom_ctx_t *c)
{
	return c->cfg ? c->cfg->fax : NULL;
}

/* Audits a change whose store result is rc (detail is consumed): 0, or -1
 * with e when the store or the audit failed. */
static int audited(dom_ctx_t *c, int rc, const char *action, const char *target,
	const char *account_id, json_t *detail, dom_err_t *e)
{
	if (rc == STORE_OK)
		rc = dom_audit(c, action, target, account_id, "success", detail);
	json_decref(detail);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the change (%s) could not be stored", action);
}

static json_t *trunk_item(const json_t *t)
{
	/* page_json maps without a context: the loopback peer is filled by the caller. */
	return trunk_public(t, NULL);
}

int dom_trunk_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_trunk_page(c->tx, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "trunks could not be read");
	*out = page_json(&pg, trunk_item);
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(*out, "items"), i, t)
		if (json_is_true(json_object_get(t, "builtin")))
			json_object_set_new(t, "peer", json_string(loopback_peer(env_of(c))));
	return 0;
}

int dom_trunk_get(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	json_t *t = store_trunk_get(c->tx, id);
	if (!t)
		return dom_fail(e, "not-found", "", "no such trunk");
	*out = trunk_public(t, env_of(c));
	json_decref(t);
	/* What each node sees (several nodes on one database; one node: its
	 * own line). */
	json_t *rows = store_trunk_node_states(c->tx, id, NULL), *nodes = json_array();
	int64_t newest = node_rows_newest(rows);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const char *l = rec_str(r, "link_status"), *rs = rec_str(r, "registration");
		json_array_append_new(nodes, json_pack("{s:s, s:s, s:s, s:o, s:o, s:b}", "node",
			rec_str(r, "node_id"), "status", *l ? l : "unknown", "registration", *rs ? rs : "none",
			"status_changed_at", time_json(json_object_get(r, "link_changed_at")), "seen_at",
			time_json(json_object_get(r, "seen_at")), "counted", node_row_counts(r, newest)));
	}
	json_decref(rows);
	json_object_set_new(*out, "nodes", nodes);
	return 0;
}

static int one_of(const char *s, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

/* "IP:PORT", IPv6 in brackets. */
/* A trunk's peer: "IP:PORT", "[IPv6]:PORT", "HOST:PORT" or "HOST" alone
 * (resolved by NAPTR/SRV, RFC 3263; see resolve.h). */
static int valid_peer(const char *s)
{
	char host[RESOLVE_NAME_MAX];
	int port, literal;
	return resolve_peer_split(s, host, sizeof host, &port, &literal) == 0;
}

static int valid_prefix(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > E164_MAX || s[0] != '+' || s[1] == '0')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int valid_trunk_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TRUNK_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
			    s[i] == '-'))
			return 0;
	return 1;
}

/* A header name a trunk may name for its called number (RFC 3261 token). */
static int valid_header_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* inbound_cidrs, called_number, inbound_rewrite of body into rec (store form). */
static int trunk_inbound_body(const json_t *body, bool loopback, json_t *rec, dom_err_t *e)
{
	const json_t *cidrs = json_object_get(body, "inbound_cidrs");
	const json_t *called = json_object_get(body, "called_number");
	const json_t *rw = json_object_get(body, "inbound_rewrite");
	const json_t *auth = json_object_get(body, "inbound_auth");
	if (loopback && (cidrs || called || rw || auth))
		return dom_fail(e, "validation-failed",
			cidrs ? "inbound_cidrs" : called ? "called_number" : rw ? "inbound_rewrite" : "inbound_auth",
			"the loopback trunk takes calls on the service's own listener only");
	if (auth) {
		static const char *const auths[] = { "source", "source_and_digest", "digest", NULL };
		const char *a = json_string_value(auth);
		if (!a || !one_of(a, auths))
			return dom_fail(e, "validation-failed", "inbound_auth",
				"\"inbound_auth\" must be source, source_and_digest or digest");
		json_object_set_new(rec, "inbound_auth", json_string(a));
	}
	size_t i;
	const json_t *v;
	if (cidrs) {
		if (!json_is_array(cidrs) || json_array_size(cidrs) > TRUNK_CIDRS_MAX)
			return dom_fail(e, "validation-failed", "inbound_cidrs",
				"\"inbound_cidrs\" must be an array of at most 64 CIDR strings");
		json_array_foreach(cidrs, i, v) {
			cidr_t c;
			const char *why;
			if (!json_is_string(v) || cidr_parse(json_string_value(v), &c, &why) != 0)
				return dom_fail(e, "validation-failed", "inbound_cidrs",
					"each entry must be an IPv4 or IPv6 address or network (\"192.0.2.0/24\"), host bits clear");
		}
		char *txt = json_dumps(cidrs, JSON_COMPACT);
		json_object_set_new(rec, "inbound_cidrs", json_string(txt));
		free(txt);
	}
	if (called) {
		const char *c = json_string_value(called);
		if (!c || !(strcmp(c, "request_uri") == 0 || strcmp(c, "to") == 0 ||
			    (strncmp(c, "header:", 7) == 0 && valid_header_name(c + 7))))
			return dom_fail(e, "validation-failed", "called_number",
				"\"called_number\" must be request_uri, to or header:NAME");
		json_object_set_new(rec, "called_number", json_string(c));
	}
	if (rw) {
		if (!json_is_array(rw) || json_array_size(rw) > TRUNK_REWRITE_MAX)
			return dom_fail(e, "validation-failed", "inbound_rewrite",
				"\"inbound_rewrite\" must be an array of at most 16 {match, replace} objects");
		json_t *clean = json_array();
		json_array_foreach(rw, i, v) {
			const char *m = json_string_value(json_object_get(v, "match"));
			const char *r = json_string_value(json_object_get(v, "replace"));
			if (!json_is_object(v) || json_object_size(v) != 2 || !m || !r || carrier_rule_valid(m, r) != 0) {
				json_decref(clean);
				return dom_fail(e, "validation-failed", "inbound_rewrite",
					"each rule is {\"match\": digits, \"replace\": \"+digits\" or \"\"}");
			}
			json_array_append_new(clean, json_pack("{s:s, s:s}", "match", m, "replace", r));
		}
		char *txt = json_dumps(clean, JSON_COMPACT);
		json_decref(clean);
		json_object_set_new(rec, "inbound_rewrite", json_string(txt));
		free(txt);
	}
	return 0;
}

/* Checks the trunk fields of body and copies them, in store form, into
 * rec. creating: name and peer are required. */
static int trunk_fields(const json_t *body, bool creating, bool loopback, json_t *rec, dom_err_t *e)
{
	static const char *const transports[] = { "t38_first", "g711_only", "t38_only", NULL };
	static const char *const statuses[] = { "active", "disabled", NULL };
	const char *name, *peer, *user, *pw, *transport, *rule, *status;
	if (body_name(body, "name", creating, &name, e) ||
		body_str(body, "peer", creating && !loopback, &peer, e) ||
		body_str(body, "username", false, &user, e) ||
		body_str(body, "password", false, &pw, e) ||
		body_str(body, "transport", false, &transport, e) ||
		body_str(body, "caller_id_rule", false, &rule, e) ||
		body_str(body, "status", false, &status, e))
		return -1;
	if (name)
		json_object_set_new(rec, "name", json_string(name));
	if (peer) {
		if (loopback)
			return dom_fail(e, "validation-failed", "peer",
				"the loopback trunk's peer is the service's own listener");
		if (!valid_peer(peer))
			return dom_fail(e, "validation-failed", "peer",
				"\"peer\" must be IP:PORT, [IPv6]:PORT, HOST:PORT or HOST");
		json_object_set_new(rec, "peer", json_string(peer));
		/* where the old peer resolved to says nothing of the new one */
		json_object_set_new(rec, "targets", json_null());
		json_object_set_new(rec, "resolve_error", json_null());
		json_object_set_new(rec, "resolved_at", json_null());
	}
	if (user) {
		if (*user && (strlen(user) > CRED_MAX || !valid_name(user, strlen(user))))
			return dom_fail(e, "validation-failed", "username",
				"\"username\" must be text of at most %d bytes", CRED_MAX);
		json_object_set_new(rec, "username", *user ? json_string(user) : json_null());
	}
	if (pw) {
		if (strlen(pw) > CRED_MAX)
			return dom_fail(e, "validation-failed", "password",
				"\"password\" must be at most %d bytes", CRED_MAX);
		json_object_set_new(rec, "secret", *pw ? json_string(pw) : json_null());
	}
	if (transport) {
		if (!one_of(transport, transports))
			return dom_fail(e, "validation-failed", "transport",
				"\"transport\" must be t38_first, g711_only or t38_only");
		json_object_set_new(rec, "transport", json_string(transport));
	}
	if (rule) {
		if (strcmp(rule, "account_number") != 0 &&
			!(strncmp(rule, "fixed:", 6) == 0 && e164_valid(rule + 6)))
			return dom_fail(e, "validation-failed", "caller_id_rule",
				"\"caller_id_rule\" must be account_number or fixed:+E164");
		json_object_set_new(rec, "caller_id_rule", json_string(rule));
	}
	if (status) {
		if (!one_of(status, statuses))
			return dom_fail(e, "validation-failed", "status", "\"status\" must be active or disabled");
		json_object_set_new(rec, "status", json_string(status));
	}
	const json_t *reg = json_object_get(body, "register");
	if (reg) {
		if (!json_is_boolean(reg))
			return dom_fail(e, "validation-failed", "register", "\"register\" must be true or false");
		if (loopback)
			return dom_fail(e, "validation-failed", "register",
				"the loopback trunk does not register");
		json_object_set_new(rec, "register", json_integer(json_is_true(reg)));
		if (!json_is_true(reg))
			json_object_set_new(rec, "registration", json_string("none"));
	}
	const json_t *stp = json_object_get(body, "sip_transport");
	if (stp) {
		static const char *const sip_transports[] = { "udp", "tcp", "tls", NULL };
		if (!json_is_string(stp) || !one_of(json_string_value(stp), sip_transports))
			return dom_fail(e, "validation-failed", "sip_transport", "\"sip_transport\" must be udp, tcp or tls");
		if (loopback && strcmp(json_string_value(stp), "udp") != 0)
			return dom_fail(e, "validation-failed", "sip_transport", "the loopback trunk speaks UDP only");
		json_object_set_new(rec, "sip_transport", json_string(json_string_value(stp)));
	}
	const json_t *stps = json_object_get(body, "sip_transports");
	if (stps && !json_is_null(stps)) {
		static const char *const sip_transports[] = { "udp", "tcp", "tls", NULL };
		int bad = !json_is_array(stps) || json_array_size(stps) > 3;
		size_t i;
		const json_t *v;
		json_array_foreach(stps, i, v) {
			bad |= !json_is_string(v) || !one_of(json_string_value(v), sip_transports);
			for (size_t k = 0; k < i; k++)
				bad |= json_equal(v, json_array_get(stps, k));
		}
		if (bad)
			return dom_fail(e, "validation-failed", "sip_transports",
				"\"sip_transports\" must be a list of udp, tcp and tls, each at most once");
		if (loopback && json_array_size(stps))
			return dom_fail(e, "validation-failed", "sip_transports", "the loopback trunk speaks UDP only");
		char *txt = json_dumps(stps, JSON_COMPACT);
		json_object_set_new(rec, "sip_transports", json_array_size(stps) ? json_string(txt) : json_null());
		free(txt);
	} else if (stps) {
		json_object_set_new(rec, "sip_transports", json_null());
	}
	const json_t *mc = json_object_get(body, "max_calls");
	if (mc) {
		if (!json_is_integer(mc) || json_integer_value(mc) < 1 || json_integer_value(mc) > 10000)
			return dom_fail(e, "validation-failed", "max_calls",
				"\"max_calls\" must be an integer from 1 to 10000");
		json_object_set_new(rec, "max_calls", json_integer(json_integer_value(mc)));
	}
	if (trunk_inbound_body(body, loopback, rec, e))
		return -1;
	const json_t *px = json_object_get(body, "prefixes");
	if (px) {
		if (!json_is_array(px) || json_array_size(px) > TRUNK_PREFIXES_MAX)
			return dom_fail(e, "validation-failed", "prefixes",
				"\"prefixes\" must be an array of at most 64 \"+digits\" strings");
		size_t i;
		const json_t *p;
		json_array_foreach(px, i, p)
			if (!json_is_string(p) || !valid_prefix(json_string_value(p)))
				return dom_fail(e, "validation-failed", "prefixes",
					"each prefix must be \"+\" and 1 to 15 digits, not starting with 0");
		char *txt = json_dumps(px, JSON_COMPACT);
		json_object_set_new(rec, "prefixes", json_string(txt));
		free(txt);
	}
	return 0;
}

/* What an audit event says of a change to a trunk: never the password. */
static json_t *trunk_detail(const json_t *body)
{
	json_t *d = json_deep_copy(body);
	if (json_object_get(d, "password"))
		json_object_set_new(d, "password", json_string("(set)"));
	return d;
}

/* A trunk whose inbound calls authenticate by digest needs a username and
 * a password: rec (the change, store form) over old (the stored row, NULL
 * when creating). 0, or -1 with e. */
static int trunk_auth_ready(const json_t *rec, const json_t *old, dom_err_t *e)
{
	const json_t *a = json_object_get(rec, "inbound_auth");
	const char *auth = a ? json_string_value(a) : old ? rec_str(old, "inbound_auth") : "source";
	const json_t *r = json_object_get(rec, "register");
	int reg = r ? json_integer_value(r) != 0 : old && json_integer_value(json_object_get(old, "register"));
	int digest = auth && *auth && strcmp(auth, "source") != 0;
	if (!digest && !reg)
		return 0;
	const json_t *u = json_object_get(rec, "username"), *p = json_object_get(rec, "secret");
	int has_user = u ? json_is_string(u) : old && *rec_str(old, "username");
	int has_pw = p ? json_is_string(p) : old && *rec_str(old, "secret");
	if (has_user && has_pw)
		return 0;
	if (digest)
		return dom_fail(e, "validation-failed", a ? "inbound_auth" : !has_user ? "username" : "password",
			"digest authentication of inbound calls needs the trunk's username and password");
	return dom_fail(e, "validation-failed", r ? "register" : !has_user ? "username" : "password",
		"registering with the carrier needs the trunk's username and password");
}

/* Seals the trunk password of rec (field "secret") for trunk id: trunk
 * passwords are the provider's, sealed under its key. 0, or -1 with e. */
static int seal_trunk_secret(dom_ctx_t *c, const char *id, json_t *rec, dom_err_t *e)
{
	const char *pw = json_string_value(json_object_get(rec, "secret"));
	if (!pw)
		return 0;
	char *sealed = dom_secret_seal(c, NULL, "trunk", id, pw);
	if (!sealed)
		return dom_fail(e, "unavailable", "password", "trunk passwords cannot be stored: the service has no master key");
	json_object_set_new(rec, "secret", json_string(sealed));
	free(sealed);
	return 0;
}

int dom_trunk_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "id", "name", "peer", "username", "password",
		"transport", "max_calls", "caller_id_rule", "prefixes", "status", "inbound_cidrs",
		"called_number", "inbound_rewrite", "inbound_auth", "register", "sip_transport", "sip_transports",
		NULL };
	const char *idin;
	if (body_only(body, allowed, e) || body_str(body, "id", false, &idin, e))
		return -1;
	if (idin && !valid_trunk_id(idin))
		return dom_fail(e, "validation-failed", "id",
			"\"id\" must be 1 to 32 characters among a-z, 0-9, _ and -");
	json_t *rec = json_object();
	if (trunk_fields(body, true, false, rec, e) || trunk_auth_ready(rec, NULL, e)) {
		json_decref(rec);
		return -1;
	}
	char *id = idin ? xstrdup(idin) : sec_new_id("trk");
	if (seal_trunk_secret(c, id, rec, e)) {
		json_decref(rec);
		free(id);
		return -1;
	}
	int64_t now = time_now_ms();
	json_object_set_new(rec, "id", json_string(id));
	json_object_set_new(rec, "created_at", json_integer(now));
	json_object_set_new(rec, "updated_at", json_integer(now));
	int rc = store_trunk_insert(c->tx, rec);
	json_decref(rec);
	if (rc == STORE_CONFLICT) {
		free(id);
		return dom_fail(e, "conflict", "id", "a trunk with this id exists");
	}
	rc = audited(c, rc, "trunk.create", id, NULL, trunk_detail(body), e);
	if (rc == 0)
		rc = dom_trunk_get(c, id, out, e);
	free(id);
	return rc;
}

int dom_trunk_update(dom_ctx_t *c, const char *id, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", "peer", "username", "password", "transport",
		"max_calls", "caller_id_rule", "prefixes", "status", "inbound_cidrs", "called_number",
		"inbound_rewrite", "inbound_auth", "register", "sip_transport", "sip_transports", NULL };
	if (body_only(body, allowed, e))
		return -1;
	json_t *t = store_trunk_get(c->tx, id);
	if (!t)
		return dom_fail(e, "not-found", "", "no such trunk");
	json_t *rec = json_object();
	if (trunk_fields(body, false, strcmp(id, LOOPBACK) == 0, rec, e) || trunk_auth_ready(rec, t, e) ||
	    seal_trunk_secret(c, id, rec, e)) {
		json_decref(rec);
		json_decref(t);
		return -1;
	}
	json_decref(t);
	json_object_set_new(rec, "updated_at", json_integer(time_now_ms()));
	int rc = store_trunk_update(c->tx, id, rec);
	json_decref(rec);
	if (audited(c, rc, "trunk.update", id, NULL, trunk_detail(body), e))
		return -1;
	return dom_trunk_get(c, id, out, e);
}

/* ---- inventory ---- */

static json_t *time_or_null(const json_t *rec, const char *key)
{
	return time_json(json_object_get(rec, key));
}

static json_t *route_to_json(const json_t *n)
{
	const char *u = rec_str(n, "route_user_id");
	return json_string(*u ? u : "shared");
}

/* An account's view of one of its numbers. */
static json_t *number_public(const json_t *n)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "number", rec_str(n, "number"), "country",
		rec_str(n, "country"), "trunk", rec_str(n, "trunk_id"), "status", rec_str(n, "status"),
		"route_to", route_to_json(n), "assigned_at", time_or_null(n, "assigned_at"));
}

/* The provider's view: where the number is, whoever holds it. A quarantine
 * that has ended shows as available (it is taken back lazily, when picked). */
static json_t *inventory_public(const json_t *n)
{
	const char *status = rec_str(n, "status");
	int64_t until = json_integer_value(json_object_get(n, "quarantine_until"));
	if (strcmp(status, "quarantined") == 0 && numbers_pickable(status, until, time_now_ms()))
		status = "available";
	const char *acc = rec_str(n, "account_id");
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "number",
		rec_str(n, "number"), "country", rec_str(n, "country"), "trunk", rec_str(n, "trunk_id"),
		"status", status, "account_id", *acc ? json_string(acc) : json_null(), "route_to",
		*acc ? route_to_json(n) : json_null(), "assigned_at", time_or_null(n, "assigned_at"),
		"released_at", time_or_null(n, "released_at"), "quarantine_until",
		time_or_null(n, "quarantine_until"), "created_at", time_or_null(n, "created_at"));
}

/* A new inventory row for number on trunk_id. */
static json_t *inventory_row(const char *number, const char *trunk_id, int64_t now)
{
	const e164_country_t *cty = e164_country_of(number);
	return json_pack("{s:s, s:s, s:s, s:s, s:I}", "number", number, "trunk_id", trunk_id,
		"country", cty ? cty->iso : "", "status", "available", "created_at", (json_int_t)now);
}

int dom_numbers_import(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "trunk", "numbers", NULL };
	const char *trunk_id;
	if (body_only(body, allowed, e) || body_str(body, "trunk", true, &trunk_id, e))
		return -1;
	json_t *t = store_trunk_get(c->tx, trunk_id);
	if (!t)
		return dom_fail(e, "validation-failed", "trunk", "no such trunk: %s", trunk_id);
	json_decref(t);
	const json_t *nums = json_object_get(body, "numbers");
	if (!json_is_array(nums) || json_array_size(nums) == 0 || json_array_size(nums) > IMPORT_MAX)
		return dom_fail(e, "validation-failed", "numbers",
			"\"numbers\" must be an array of 1 to 10000 E.164 numbers");
	size_t i;
	const json_t *v;
	json_array_foreach(nums, i, v) {
		if (!json_is_string(v) || !e164_valid(json_string_value(v)))
			return dom_fail(e, "validation-failed", "numbers",
				"item %zu is not an E.164 number (\"+\" then 8 to 15 digits, the first not 0)", i);
	}
	int64_t now = time_now_ms();
	json_t *skipped = json_array();
	int imported = 0;
	json_array_foreach(nums, i, v) {
		const char *num = json_string_value(v);
		json_t *row = inventory_row(num, trunk_id, now);
		int rc = store_number_insert(c->tx, row);
		json_decref(row);
		if (rc == STORE_CONFLICT) {
			json_array_append_new(skipped, json_pack("{s:s, s:s}", "number", num, "reason",
				"duplicate"));
		} else if (rc != STORE_OK) {
			json_decref(skipped);
			return dom_fail(e, "internal", "", "the numbers could not be stored");
		} else {
			imported++;
		}
	}
	if (audited(c, STORE_OK, "numbers.import", trunk_id, NULL, json_pack("{s:s, s:i, s:I}",
		    "trunk", trunk_id, "imported", imported, "skipped",
		    (json_int_t)json_array_size(skipped)), e)) {
		json_decref(skipped);
		return -1;
	}
	*out = json_pack("{s:s, s:i, s:o}", "trunk", trunk_id, "imported", imported, "skipped",
		skipped);
	return 0;
}

int dom_numbers_inventory(dom_ctx_t *c, const json_t *q, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	static const char *const statuses[] = { "available", "assigned", "quarantined", "porting",
		NULL };
	const char *status = json_string_value(json_object_get(q, "status"));
	if (status && !one_of(status, statuses))
		return dom_fail(e, "invalid-parameter", "status",
			"status must be available, assigned, quarantined or porting");
	store_page_t pg;
	if (store_number_inventory(c->tx, status, json_string_value(json_object_get(q, "trunk")),
		    json_string_value(json_object_get(q, "account")), time_now_ms(), cursor, limit,
		    &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the inventory could not be read");
	*out = page_json(&pg, inventory_public);
	return 0;
}

/* ---- the numbers of an account ---- */

/* route_to of body as a member id (out: NULL for the shared inbox). */
static int route_target(dom_ctx_t *c, const json_t *account, const json_t *body, bool required,
	const char **out, dom_err_t *e)
{
	const char *r;
	*out = NULL;
	if (body_str(body, "route_to", required, &r, e))
		return -1;
	if (!r || strcmp(r, "shared") == 0)
		return 0;
	json_t *m = store_member_get(c->tx, rec_str(account, "id"), r);
	int ok = m && strcmp(rec_str(m, "status"), "active") == 0;
	json_decref(m);
	if (!ok)
		return dom_fail(e, "validation-failed", "route_to",
			"\"route_to\" must be \"shared\" or an active member of the account");
	*out = r;
	return 0;
}

int dom_number_request(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "country", "area_code", "route_to", NULL };
	const char *iso, *area, *user;
	if (body_only(body, allowed, e) || body_str(body, "country", true, &iso, e) ||
		body_str(body, "area_code", false, &area, e) ||
		route_target(c, account, body, false, &user, e))
		return -1;
	const e164_country_t *cty = e164_country_by_iso(iso);
	if (!cty)
		return dom_fail(e, "validation-failed", "country",
			"\"country\" must be an ISO 3166 alpha-2 code of a country we serve");
	if (dom_partner_allows(c, rec_str(account, "id"), "country", cty->iso, "country", e) != 0)
		return -1;
	size_t alen = area ? strlen(area) : 0;
	if (area && (alen == 0 || alen > AREA_MAX || strspn(area, "0123456789") != alen))
		return dom_fail(e, "validation-failed", "area_code",
			"\"area_code\" must be 1 to 6 digits (after the country calling code)");
	char prefix[E164_MAX + 1];
	snprintf(prefix, sizeof prefix, "+%s%s", cty->cc, area ? area : "");
	int64_t now = time_now_ms();
	json_t *n = store_number_pick(c->tx, cty->iso, prefix, now);
	if (!n)
		return area ? dom_fail(e, "numbers-exhausted", "country",
			"no number is available in %s with area code %s", cty->iso, area)
			: dom_fail(e, "numbers-exhausted", "country", "no number is available in %s", cty->iso);
	const char *acc = rec_str(account, "id");
	char number[E164_MAX + 1];
	snprintf(number, sizeof number, "%s", rec_str(n, "number"));
	json_decref(n);
	int rc = store_number_assign(c->tx, number, acc, user, NULL, now);
	if (audited(c, rc, "number.assign", number, acc, json_pack("{s:s, s:s, s:s}", "country",
		    cty->iso, "area_code", area ? area : "", "route_to", user ? user : "shared"), e))
		return -1;
	return dom_number_get(c, account, number, out, e);
}

int dom_number_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_number_list(c->tx, rec_str(account, "id"), cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "numbers could not be read");
	*out = page_json(&pg, number_public);
	return dom_read_audited(c, "number.list", rec_str(account, "id"), rec_str(account, "id"), out, e);
}

/* The account's number named by a path segment (into number), or NULL with
 * e set. */
static json_t *account_number(dom_ctx_t *c, const json_t *account, const char *raw,
	char number[E164_MAX + 1], dom_err_t *e)
{
	json_t *n = NULL;
	if (path_number(raw, number) == 0)
		n = store_number_of_account(c->tx, rec_str(account, "id"), number);
	if (!n)
		dom_fail(e, "not-found", "", "the account has no such number");
	return n;
}

/* Whether the account holds that number: 0, or -1 with e (not-found). */
static int own_number(dom_ctx_t *c, const json_t *account, const char *raw,
	char number[E164_MAX + 1], dom_err_t *e)
{
	json_t *n = account_number(c, account, raw, number, e);
	json_decref(n);
	return n ? 0 : -1;
}

int dom_number_get(dom_ctx_t *c, const json_t *account, const char *raw, json_t **out,
	dom_err_t *e)
{
	char number[E164_MAX + 1];
	json_t *n = account_number(c, account, raw, number, e);
	if (!n)
		return -1;
	*out = number_public(n);
	json_decref(n);
	return dom_read_audited(c, "number.read", number, rec_str(account, "id"), out, e);
}

int dom_number_route(dom_ctx_t *c, const json_t *account, const char *raw, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "route_to", NULL };
	char number[E164_MAX + 1];
	const char *user;
	if (body_only(body, allowed, e) || own_number(c, account, raw, number, e) ||
		route_target(c, account, body, true, &user, e))
		return -1;
	const char *acc = rec_str(account, "id");
	int rc = store_number_route(c->tx, acc, number, user);
	if (audited(c, rc, "number.route", number, acc, json_pack("{s:s}", "route_to",
		    user ? user : "shared"), e))
		return -1;
	return dom_number_get(c, account, number, out, e);
}

int dom_number_release(dom_ctx_t *c, const json_t *account, const char *raw, json_t **out,
	dom_err_t *e)
{
	char number[E164_MAX + 1];
	if (own_number(c, account, raw, number, e))
		return -1;
	const char *acc = rec_str(account, "id");
	int64_t now = time_now_ms();
	int days = quarantine_days(c);
	int rc = store_number_release(c->tx, acc, number, now, numbers_quarantine_until(now, days));
	*out = NULL;
	return audited(c, rc, "number.release", number, acc, json_pack("{s:i}", "quarantine_days",
		days), e);
}

/* ---- port-in requests ---- */

static json_t *port_public(const json_t *p)
{
	json_t *nums = json_loads(rec_str(p, "numbers"), 0, NULL);
	const char *acn = rec_str(p, "account_number_at_carrier");
	const char *doc = rec_str(p, "loa_document_id");
	const char *reason = rec_str(p, "reason");
	const char *trunk = rec_str(p, "trunk_id");
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
		rec_str(p, "id"), "account_id", rec_str(p, "account_id"), "status", rec_str(p, "status"),
		"numbers", json_is_array(nums) ? nums : (json_decref(nums), json_array()),
		"losing_carrier", rec_str(p, "losing_carrier"), "account_number_at_carrier",
		*acn ? json_string(acn) : json_null(), "loa_document_id",
		*doc ? json_string(doc) : json_null(), "reason", *reason ? json_string(reason) : json_null(),
		"trunk", *trunk ? json_string(trunk) : json_null(), "created_at",
		time_or_null(p, "created_at"), "updated_at", time_or_null(p, "updated_at"));
}

/* The numbers of a port request: every string of arr, each one number or
 * several separated by commas, normalized, without repeats. */
static json_t *port_numbers(const json_t *arr, dom_err_t *e)
{
	json_t *out = json_array();
	size_t i;
	const json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		if (!s)
			goto bad;
		while (*s) {
			const char *comma = strchr(s, ',');
			size_t len = comma ? (size_t)(comma - s) : strlen(s);
			char num[E164_MAX + 1];
			if (e164_normalize(s, len, num) != 0)
				goto bad;
			size_t j;
			const json_t *w;
			int dup = 0;
			json_array_foreach(out, j, w)
				dup |= strcmp(json_string_value(w), num) == 0;
			if (!dup)
				json_array_append_new(out, json_string(num));
			if (json_array_size(out) > PORT_NUMBERS_MAX) {
				json_decref(out);
				dom_fail(e, "validation-failed", "numbers",
					"a port request has at most 100 numbers");
				return NULL;
			}
			s = comma ? comma + 1 : s + len;
		}
	}
	if (json_array_size(out) == 0) {
		json_decref(out);
		dom_fail(e, "validation-failed", "numbers", "\"numbers\" is required");
		return NULL;
	}
	return out;
bad:
	json_decref(out);
	dom_fail(e, "validation-failed", "numbers",
		"each number must be E.164 (\"+\" then 8 to 15 digits, the first not 0)");
	return NULL;
}

/* A number already held by an account cannot be ported in again. */
static int port_numbers_free(dom_ctx_t *c, const json_t *nums, const char *account_id,
	dom_err_t *e)
{
	size_t i;
	const json_t *v;
	json_array_foreach(nums, i, v) {
		json_t *n = store_number_get(c->tx, json_string_value(v));
		int held = n && strcmp(rec_str(n, "status"), "assigned") == 0 &&
			(!account_id || strcmp(rec_str(n, "account_id"), account_id) != 0);
		json_decref(n);
		if (held)
			return dom_fail(e, "conflict", "numbers", "%s is already in service here",
				json_string_value(v));
	}
	return 0;
}

/* Records the notification of a request's status for the account's people,
 * in both languages, and mails it to the account's owner and
 * administrators, each in their language, in the same transaction. */
static int port_notify(dom_ctx_t *c, const json_t *p, const char *status, const char *reason)
{
	static const struct { const char *status, *en, *fr; } words[] = {
		{ "submitted", "submitted", "soumise" },
		{ "in_progress", "in progress", "en cours" },
		{ "completed", "completed: the numbers are now yours", "terminée : les numéros sont à vous" },
		{ "rejected", "rejected", "refusée" },
	};
	const char *en = status, *fr = status;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(words[i].status, status) == 0) {
			en = words[i].en;
			fr = words[i].fr;
		}
	json_t *nums = json_loads(rec_str(p, "numbers"), 0, NULL);
	char list[512] = "";
	size_t i, off = 0;
	const json_t *v;
	json_array_foreach(nums, i, v) {
		int w = snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "", json_string_value(v));
		if (w < 0 || (size_t)w >= sizeof list - off)
			break;
		off += (size_t)w;
	}
	json_decref(nums);
	const char *id = rec_str(p, "id");
	char *subj_en = xasprintf("Port request %s: %s", id, en);
	char *subj_fr = xasprintf("Demande de portabilité %s : %s", id, fr);
	char *body_en = xasprintf("Your request to port %s from %s is %s.%s%s", list,
		rec_str(p, "losing_carrier"), en, reason ? " Reason: " : "", reason ? reason : "");
	char *body_fr = xasprintf("Votre demande de portabilité de %s depuis %s est %s.%s%s", list,
		rec_str(p, "losing_carrier"), fr, reason ? " Motif : " : "", reason ? reason : "");
	int rc = dom_notify(c, rec_str(p, "account_id"), "port_request.status", id, subj_en, subj_fr,
		body_en, body_fr);
	json_t *people = rc == STORE_OK ? store_incident_recipients(c->tx, rec_str(p, "account_id"))
		: NULL;
	size_t k;
	json_t *person;
	json_array_foreach(people, k, person) {
		json_t *mp = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
			rec_str(person, "name"), "request_id", id, "numbers", list, "carrier",
			rec_str(p, "losing_carrier"), "status_en", en, "status_fr", fr, "reason",
			reason ? reason : "-");
		if (dom_mail_queue(c, MAIL_KIND_PORT_REQUEST, person, NULL, mp, NULL) != 0)
			rc = STORE_ERROR;
		json_decref(mp);
	}
	json_decref(people);
	free(subj_en);
	free(subj_fr);
	free(body_en);
	free(body_fr);
	return rc;
}

int dom_port_create(dom_ctx_t *c, const json_t *account, const json_t *fields, const void *loa,
	size_t loa_len, json_t **out, dom_err_t *e)
{
	const char *carrier, *acn;
	if (body_name(fields, "losing_carrier", true, &carrier, e) ||
		body_name(fields, "account_number_at_carrier", false, &acn, e))
		return -1;
	if (!loa)
		return dom_fail(e, "validation-failed", "loa",
			"the signed letter of authorization (file part \"loa\", a PDF) is required");
	if (dom_av_check(c, rec_str(account, "id"), "loa", loa, loa_len, e) != 0)
		return -1;
	if (render_sniff(loa, loa_len) != RENDER_TYPE_PDF)
		return dom_fail(e, "document-unsupported", "loa",
			"the letter of authorization must be a PDF");
	const char *acc = rec_str(account, "id");
	json_t *nums = port_numbers(json_object_get(fields, "numbers"), e);
	if (!nums)
		return -1;
	if (port_numbers_free(c, nums, NULL, e)) {
		json_decref(nums);
		return -1;
	}
	char doc_id[DOC_ID_MAX];
	if (dom_doc_put(c, acc, "loa", loa, loa_len, doc_id, e)) {
		json_decref(nums);
		return -1;
	}
	char *id = sec_new_id("por");
	int64_t now = time_now_ms();
	char *nums_txt = json_dumps(nums, JSON_COMPACT);
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:I, s:I}", "id", id,
		"account_id", acc, "status", "submitted", "numbers", nums_txt, "losing_carrier", carrier,
		"account_number_at_carrier", acn, "loa_document_id", doc_id, "created_by",
		c->who ? c->who->id : "", "created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	free(nums_txt);
	int rc = store_port_insert(c->tx, p);
	if (rc == STORE_OK)
		rc = port_notify(c, p, "submitted", NULL);
	rc = audited(c, rc, "port_request.create", id, acc, json_pack("{s:o, s:s, s:s}", "numbers",
		nums, "losing_carrier", carrier, "loa_document_id", doc_id), e);
	if (rc == 0)
		*out = port_public(p);
	json_decref(p);
	free(id);
	return rc;
}

int dom_port_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_port_list(c->tx, rec_str(account, "id"), NULL, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "port requests could not be read");
	*out = page_json(&pg, port_public);
	return dom_read_audited(c, "port_request.list", rec_str(account, "id"), rec_str(account, "id"),
		out, e);
}

int dom_port_get(dom_ctx_t *c, const json_t *account, const char *id, json_t **out, dom_err_t *e)
{
	json_t *p = store_port_get(c->tx, rec_str(account, "id"), id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such port request");
	*out = port_public(p);
	json_decref(p);
	return dom_read_audited(c, "port_request.read", id, rec_str(account, "id"), out, e);
}

static const char *const port_statuses[] = { "submitted", "in_progress", "completed", "rejected",
	NULL };

int dom_port_queue(dom_ctx_t *c, const char *status, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	if (status && !one_of(status, port_statuses))
		return dom_fail(e, "invalid-parameter", "status",
			"status must be submitted, in_progress, completed or rejected");
	store_page_t pg;
	if (store_port_list(c->tx, NULL, status, cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "port requests could not be read");
	*out = page_json(&pg, port_public);
	/* Every account's requests (their numbers and carriers). */
	return dom_read_audited(c, "port_request.list", "*", NULL, out, e);
}

/* The workflow: submitted -> in_progress -> completed | rejected (a
 * submitted request may also be rejected at once). */
static int port_may_move(const char *from, const char *to)
{
	if (strcmp(to, "in_progress") == 0)
		return strcmp(from, "submitted") == 0;
	if (strcmp(to, "completed") == 0)
		return strcmp(from, "in_progress") == 0;
	if (strcmp(to, "rejected") == 0)
		return strcmp(from, "submitted") == 0 || strcmp(from, "in_progress") == 0;
	return 0;
}

/* On completion the numbers join the account, routed to its shared inbox. */
static int port_complete(dom_ctx_t *c, const json_t *p, const char *trunk_id, dom_err_t *e)
{
	const char *acc = rec_str(p, "account_id");
	json_t *nums = json_loads(rec_str(p, "numbers"), 0, NULL);
	if (port_numbers_free(c, nums, acc, e)) {
		json_decref(nums);
		return -1;
	}
	int64_t now = time_now_ms();
	size_t i;
	const json_t *v;
	int rc = STORE_OK;
	json_array_foreach(nums, i, v) {
		const char *num = json_string_value(v);
		json_t *row = inventory_row(num, trunk_id, now);
		rc = store_number_insert(c->tx, row);
		json_decref(row);
		if (rc == STORE_CONFLICT || rc == STORE_OK)
			rc = store_number_assign(c->tx, num, acc, NULL, trunk_id, now);
		if (rc == STORE_OK)
			rc = dom_audit(c, "number.assign", num, acc, "success", NULL);
		if (rc != STORE_OK)
			break;
	}
	json_decref(nums);
	return rc == STORE_OK ? 0 : dom_fail(e, "internal", "", "the numbers could not be assigned");
}

int dom_port_set_status(dom_ctx_t *c, const char *id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "status", "reason", "trunk", NULL };
	static const char *const targets[] = { "in_progress", "completed", "rejected", NULL };
	const char *to, *reason, *trunk;
	if (body_only(body, allowed, e) || body_str(body, "status", true, &to, e) ||
		body_name(body, "reason", false, &reason, e) || body_str(body, "trunk", false, &trunk, e))
		return -1;
	if (!one_of(to, targets))
		return dom_fail(e, "validation-failed", "status",
			"\"status\" must be in_progress, completed or rejected");
	if (strcmp(to, "rejected") == 0 && !reason)
		return dom_fail(e, "validation-failed", "reason", "a rejection needs a reason");
	if (trunk && strcmp(to, "completed") != 0)
		return dom_fail(e, "validation-failed", "trunk", "\"trunk\" goes with status completed");
	json_t *p = store_port_get(c->tx, NULL, id);
	if (!p)
		return dom_fail(e, "not-found", "", "no such port request");
	char from[16];
	snprintf(from, sizeof from, "%s", rec_str(p, "status"));
	if (!port_may_move(from, to)) {
		json_decref(p);
		return dom_fail(e, "invalid-state", "status", "a %s request cannot become %s", from, to);
	}
	const char *trunk_id = NULL;
	if (strcmp(to, "completed") == 0) {
		trunk_id = trunk ? trunk : LOOPBACK;
		json_t *t = store_trunk_get(c->tx, trunk_id);
		json_decref(t);
		if (!t) {
			json_decref(p);
			return dom_fail(e, "validation-failed", "trunk", "no such trunk: %s", trunk_id);
		}
		if (port_complete(c, p, trunk_id, e)) {
			json_decref(p);
			return -1;
		}
	}
	int rc = store_port_set_status(c->tx, id, from, to, reason, trunk_id, time_now_ms());
	if (rc == STORE_NOTFOUND) {
		json_decref(p);
		return dom_fail(e, "invalid-state", "status", "the request changed meanwhile");
	}
	if (rc == STORE_OK)
		rc = port_notify(c, p, to, reason);
	rc = audited(c, rc, "port_request.status", id, rec_str(p, "account_id"), json_pack(
		"{s:s, s:s, s:s?, s:s?}", "from", from, "to", to, "reason", reason, "trunk", trunk_id), e);
	json_decref(p);
	if (rc != 0)
		return -1;
	json_t *now = store_port_get(c->tx, NULL, id);
	*out = port_public(now);
	json_decref(now);
	return 0;
}

/* ---- notifications ---- */

static json_t *notification_public(const json_t *n)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:o}", "id",
		rec_str(n, "id"), "account_id", rec_str(n, "account_id"), "kind", rec_str(n, "kind"),
		"target", rec_str(n, "target"), "subject", "en", rec_str(n, "subject_en"), "fr",
		rec_str(n, "subject_fr"), "body", "en", rec_str(n, "body_en"), "fr",
		rec_str(n, "body_fr"), "created_at", time_or_null(n, "created_at"));
}

int dom_notify(dom_ctx_t *c, const char *account_id, const char *kind, const char *target,
	const char *subj_en, const char *subj_fr, const char *body_en, const char *body_fr)
{
	char *nid = sec_new_id("ntf");
	json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", nid,
		"account_id", account_id, "kind", kind, "target", target, "subject_en", subj_en,
		"subject_fr", subj_fr, "body_en", body_en, "body_fr", body_fr, "created_at",
		(json_int_t)time_now_ms());
	int rc = store_notification_insert(c->tx, n);
	json_decref(n);
	free(nid);
	return rc;
}

int dom_notification_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_notification_list(c->tx, rec_str(account, "id"), cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "notifications could not be read");
	*out = page_json(&pg, notification_public);
	return dom_read_audited(c, "notification.list", rec_str(account, "id"), rec_str(account, "id"),
		out, e);
}
