/* Verification of the audit chain against its keys and checkpoints, and the
 * report of what it showed and what it could not rule out (see audit.h). */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct walk {
	audit_report_t *r;
	const audit_keys_t *keys;
	/* Checkpoints sorted by chain (strcmp), then seq; those checked. */
	const audit_checkpoint_t *cps;
	size_t ncps;
	bool *cp_done;
	size_t cp_cur, cp_end; /* the current chain's [cp_cur, cp_end) */
	/* The recorded heads of the same snapshot, sorted by chain (strcmp);
	 * those whose chain was walked. */
	const json_t **heads;
	size_t nheads;
	bool *head_done;
	/* The chain being walked. */
	bool started;
	char chain[AUDIT_CHAIN_MAX];
	char prev[AUDIT_HASH_HEX];
	int64_t expect_seq;   /* its next chain_seq */
	bool keyed;           /* it has a keyed event (or starts keyed) */
	bool chain_keyed;     /* a keyed event of its own */
	int64_t newest_cp;    /* the seq of its newest checkpoint */
	int64_t last_seq;     /* global seq of its last event */
	char last_id[48], last_actor[AUDIT_ACTOR_MAX];
	/* The closed global chain, once walked: the anchor of every other. */
	bool closed_done;
	char anchor[AUDIT_HASH_HEX];
	bool anchor_keyed;
	bool never_keyed;    /* a chain without a keyed event, past its newest checkpoint */
};

static const char *str(const json_t *ev, const char *key)
{
	const char *s = json_string_value(json_object_get(ev, key));
	return s ? s : "";
}

static void actor_of(const json_t *ev, char out[AUDIT_ACTOR_MAX])
{
	snprintf(out, AUDIT_ACTOR_MAX, "%s (%s)", str(ev, "actor_id"), str(ev, "actor_type"));
}

static int broken(struct walk *w, const json_t *ev, int64_t seq, const char *why)
{
	w->r->broken_seq = seq;
	snprintf(w->r->broken_chain, sizeof w->r->broken_chain, "%s", str(ev, "chain_id"));
	w->r->broken_chain_seq = json_integer_value(json_object_get(ev, "chain_seq"));
	snprintf(w->r->broken_id, sizeof w->r->broken_id, "%s", str(ev, "id"));
	actor_of(ev, w->r->broken_actor);
	snprintf(w->r->reason, sizeof w->r->reason, "%s", why);
	return 1;
}

/* Broken at the end of chain: named by its last event when it is the chain
 * being walked and has one, else by the chain and chain_seq alone. */
static int broken_at_end(struct walk *w, const char *chain, int64_t chain_seq, const char *why)
{
	audit_report_t *r = w->r;
	bool here = w->started && strcmp(chain, w->chain) == 0 && w->expect_seq > 1;
	r->broken_seq = here ? w->last_seq : 0;
	snprintf(r->broken_chain, sizeof r->broken_chain, "%s", chain);
	r->broken_chain_seq = chain_seq;
	snprintf(r->broken_id, sizeof r->broken_id, "%s", here ? w->last_id : "");
	snprintf(r->broken_actor, sizeof r->broken_actor, "%s", here ? w->last_actor : "");
	snprintf(r->reason, sizeof r->reason, "%s", why);
	return 1;
}

static const char *chain_name(const char *chain)
{
	return *chain ? chain : "(the closed global chain)";
}

/* The index of chain's recorded head, or -1. */
static long head_index(const struct walk *w, const char *chain)
{
	size_t lo = 0, hi = w->nheads;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(str(w->heads[mid], "chain_id"), chain);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The end of the chain being walked: the checkpoints beyond its last event
 * and its recorded head. 1 (r filled) when broken. */
static int finish_chain(struct walk *w)
{
	if (!w->started)
		return 0;
	int64_t head = w->expect_seq - 1;
	char why[224];
	for (; w->cp_cur < w->cp_end; w->cp_cur++) {
		const audit_checkpoint_t *cp = &w->cps[w->cp_cur];
		w->cp_done[w->cp_cur] = true;
		if (cp->seq > head) {
			snprintf(why, sizeof why, "the chain %s ends at seq %lld, before the checkpoint of "
				"seq %lld (%s): its newest events were removed", chain_name(w->chain),
				(long long)head, (long long)cp->seq, cp->time);
			return broken_at_end(w, w->chain, head, why);
		}
	}
	if (!w->chain_keyed && head > w->newest_cp)
		w->never_keyed = true;
	long hi = head_index(w, w->chain);
	if (hi < 0 && *w->chain) {
		snprintf(why, sizeof why, "the chain %s has no recorded head: its events were not "
			"written by the service", chain_name(w->chain));
		return broken_at_end(w, w->chain, head, why);
	}
	if (hi >= 0) {
		const json_t *h = w->heads[hi];
		w->head_done[hi] = true;
		int64_t hseq = json_integer_value(json_object_get(h, "chain_seq"));
		if (hseq != head || strcmp(str(h, "hash"), w->prev) != 0) {
			snprintf(why, sizeof why, "the chain %s ends at seq %lld but its recorded head is "
				"seq %lld: events were removed or added outside the service",
				chain_name(w->chain), (long long)head, (long long)hseq);
			return broken_at_end(w, w->chain, head, why);
		}
	}
	w->r->chains++;
	return 0;
}

/* The closed global chain is done (walked, or it had no event): its end is
 * the anchor of every other chain. 1 when broken. */
static int close_global(struct walk *w)
{
	if (w->closed_done)
		return 0;
	w->closed_done = true;
	bool walked = w->started && w->chain[0] == '\0';
	long hi = head_index(w, "");
	if (!walked && hi >= 0 && json_integer_value(json_object_get(w->heads[hi], "chain_seq")) > 0) {
		char why[224];
		snprintf(why, sizeof why, "the closed global chain ended at seq %lld, and holds no "
			"event: its events were removed",
			(long long)json_integer_value(json_object_get(w->heads[hi], "chain_seq")));
		return broken_at_end(w, "", 0, why);
	}
	if (walked && hi < 0 && w->nheads > 0)
		return broken_at_end(w, "", w->expect_seq - 1, "events in the closed global chain, "
			"which has no recorded end: they were added after it was closed");
	if (walked) {
		snprintf(w->anchor, sizeof w->anchor, "%s", w->prev);
		w->anchor_keyed = w->keyed;
	}
	return 0;
}

/* Starts walking chain (after the previous one's end). 1 when broken. */
static int start_chain(struct walk *w, const char *chain)
{
	if (finish_chain(w))
		return 1;
	if (*chain && close_global(w))
		return 1;
	w->started = true;
	snprintf(w->chain, sizeof w->chain, "%s", chain);
	w->expect_seq = 1;
	w->chain_keyed = false;
	/* Its checkpoints: the range of cps with this chain. */
	size_t lo = 0, hi = w->ncps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(w->cps[mid].chain, chain) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	w->cp_cur = w->cp_end = lo;
	while (w->cp_end < w->ncps && strcmp(w->cps[w->cp_end].chain, chain) == 0)
		w->cp_end++;
	w->newest_cp = w->cp_end > w->cp_cur ? w->cps[w->cp_end - 1].seq : 0;
	if (*chain) {
		snprintf(w->prev, sizeof w->prev, "%s", w->anchor);
		w->keyed = w->anchor_keyed;
	} else {
		memset(w->prev, '0', 64);
		w->prev[64] = '\0';
		w->keyed = false;
	}
	return 0;
}

/* After the walk: a checkpoint or a recorded head of a chain that holds no
 * event (the chain was removed whole). 1 when broken. */
static int gone_chains(struct walk *w)
{
	char why[224];
	w->started = false;
	for (size_t i = 0; i < w->ncps; i++) {
		if (w->cp_done[i])
			continue;
		const audit_checkpoint_t *cp = &w->cps[i];
		snprintf(why, sizeof why, "the chain %s holds no event, but its checkpoint of seq %lld "
			"(%s) vouched for it: the chain was removed", chain_name(cp->chain),
			(long long)cp->seq, cp->time);
		return broken_at_end(w, cp->chain, cp->seq, why);
	}
	for (size_t i = 0; i < w->nheads; i++) {
		const json_t *h = w->heads[i];
		int64_t hseq = json_integer_value(json_object_get(h, "chain_seq"));
		if (w->head_done[i] || hseq == 0 || !*str(h, "chain_id"))
			continue;
		snprintf(why, sizeof why, "the chain %s holds no event, but its recorded head is seq "
			"%lld: its events were removed", str(h, "chain_id"), (long long)hseq);
		return broken_at_end(w, str(h, "chain_id"), hseq, why);
	}
	return 0;
}

static int walk_one(const json_t *ev, void *arg)
{
	struct walk *w = arg;
	audit_report_t *r = w->r;
	int64_t seq = json_integer_value(json_object_get(ev, "seq"));
	int64_t cseq = json_integer_value(json_object_get(ev, "chain_seq"));
	int64_t chain = json_integer_value(json_object_get(ev, "chain"));
	const char *chain_id = str(ev, "chain_id");
	const char *stored = str(ev, "hash");
	if (!w->started || strcmp(chain_id, w->chain) != 0) {
		if (strlen(chain_id) >= AUDIT_CHAIN_MAX)
			return broken(w, ev, seq, "the chain id is too long");
		if (start_chain(w, chain_id))
			return 1;
	}
	r->events++;
	char h[AUDIT_HASH_HEX];
	if (cseq != w->expect_seq)
		return broken(w, ev, seq, "sequence gap: an event before it in its chain was removed");
	if (*chain_id && strcmp(chain_id, audit_chain_of(str(ev, "account_id"))) != 0)
		return broken(w, ev, seq, "the event is in another account's chain than its own: it was "
			"moved");
	if (strcmp(str(ev, "prev_hash"), w->prev) != 0)
		return broken(w, ev, seq, cseq == 1 && *chain_id
			? "its chain does not start from the end of the closed global chain: events of that "
			  "chain were removed or changed"
			: "previous-hash link does not match the event before it");
	/* An event of chain 1 or 2 erased for a person: its hash no longer
	 * covers what it holds; the erasure's seal (keyed) binds the two. */
	bool erased_old = chain != AUDIT_CHAIN_REDACTABLE &&
		json_is_integer(json_object_get(ev, "redacted_at"));
	if (erased_old) {
		if (w->keys) {
			audit_redaction_mac_old(w->keys, seq, stored, str(ev, "source"),
				str(ev, "detail"), h);
			if (strcmp(h, str(ev, "redaction_mac")) != 0)
				return broken(w, ev, seq, "what the erasure wrote was changed since");
		}
		r->redacted++;
	}
	if (chain == AUDIT_CHAIN_PLAIN) {
		if (w->keyed)
			return broken(w, ev, seq, "an unkeyed event after the chain was keyed: the chain "
				"was rewritten without the key");
		audit_hash(w->prev, ev, h);
		if (!erased_old && strcmp(stored, h) != 0)
			return broken(w, ev, seq, "content does not match its hash: the event was changed");
	} else if (chain == AUDIT_CHAIN_KEYED || chain == AUDIT_CHAIN_REDACTABLE) {
		if (!w->chain_keyed && (!r->keyed_from || seq < r->keyed_from))
			r->keyed_from = seq;
		w->keyed = w->chain_keyed = true;
		/* Version 3: an unredacted event's personal fields must still be
		 * what its digest covers; a redacted one (no salt) rests on the
		 * digest alone, which the keyed hash covers. */
		if (chain == AUDIT_CHAIN_REDACTABLE && *str(ev, "pd_salt")) {
			if (audit_personal_digest(str(ev, "pd_salt"), ev, h) != 0 ||
			    strcmp(h, str(ev, "pd")) != 0)
				return broken(w, ev, seq, "source or detail does not match its digest: the "
					"event was changed");
		} else if (chain == AUDIT_CHAIN_REDACTABLE) {
			if (!json_is_integer(json_object_get(ev, "redacted_at")))
				return broken(w, ev, seq, "the digest's salt is missing but the event was "
					"not erased");
			if (w->keys) {
				audit_redaction_mac(w->keys, seq, str(ev, "source"), str(ev, "detail"), h);
				if (strcmp(h, str(ev, "redaction_mac")) != 0)
					return broken(w, ev, seq, "what the erasure wrote was changed since");
			}
			r->redacted++;
		}
		if (w->keys && !erased_old) {
			audit_mac(w->keys, w->prev, ev, h);
			if (strcmp(stored, h) != 0)
				return broken(w, ev, seq, "content does not match its keyed hash: the event was "
					"changed, or the chain recomputed without the key");
		}
	} else {
		return broken(w, ev, seq, "unknown chain version");
	}
	for (; w->cp_cur < w->cp_end && w->cps[w->cp_cur].seq == cseq; w->cp_cur++) {
		const audit_checkpoint_t *cp = &w->cps[w->cp_cur];
		w->cp_done[w->cp_cur] = true;
		if (strcmp(stored, cp->mac) != 0) {
			char why[160];
			snprintf(why, sizeof why, "the hash differs from the checkpoint of %s: the chain "
				"was rewritten up to here", cp->time);
			return broken(w, ev, seq, why);
		}
	}
	snprintf(w->prev, sizeof w->prev, "%s", stored);
	w->last_seq = seq;
	snprintf(w->last_id, sizeof w->last_id, "%s", str(ev, "id"));
	actor_of(ev, w->last_actor);
	if (seq >= r->head_seq) {
		r->head_seq = seq;
		snprintf(r->head_hash, sizeof r->head_hash, "%s", stored);
		actor_of(ev, r->head_actor);
	}
	w->expect_seq++;
	return 0;
}

static int by_chain_id(const void *a, const void *b)
{
	return strcmp(str(*(const json_t *const *)a, "chain_id"),
		str(*(const json_t *const *)b, "chain_id"));
}

/* The heads, read in the walk's snapshot, sorted for head_index() before
 * the first event is checked. */
struct heads_arg {
	struct walk *w;
	json_t *heads;
	bool indexed;
};

static void index_heads(struct heads_arg *ha)
{
	struct walk *w = ha->w;
	ha->indexed = true;
	w->nheads = json_array_size(ha->heads);
	w->heads = xcalloc(w->nheads + 1, sizeof *w->heads);
	w->head_done = xcalloc(w->nheads + 1, sizeof *w->head_done);
	for (size_t i = 0; i < w->nheads; i++)
		w->heads[i] = json_array_get(ha->heads, i);
	qsort(w->heads, w->nheads, sizeof *w->heads, by_chain_id);
}

static int walk_first(const json_t *ev, void *arg)
{
	struct heads_arg *ha = arg;
	if (!ha->indexed)
		index_heads(ha);
	return walk_one(ev, ha->w);
}

static int by_chain_seq(const void *a, const void *b)
{
	const audit_checkpoint_t *x = a, *y = b;
	int c = strcmp(x->chain, y->chain);
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Checks each checkpoint's signature; 1 (r filled) at the first that does
 * not verify. */
static int check_signatures(const audit_verify_opts_t *o, audit_report_t *r)
{
	uint8_t pk[32];
	audit_keys_public(o->keys, pk);
	for (size_t i = 0; i < o->ncps; i++) {
		const audit_checkpoint_t *cp = &o->cps[i];
		if (!cp->signature[0] || audit_checkpoint_signed_by(pk, cp))
			continue;
		r->broken_seq = cp->seq;
		snprintf(r->broken_chain, sizeof r->broken_chain, "%s", cp->chain);
		r->broken_chain_seq = cp->seq;
		snprintf(r->reason, sizeof r->reason, "the checkpoint of seq %lld (%s) does not carry this "
			"service's signature: it was forged or altered, or signed under another master key",
			(long long)cp->seq, cp->time);
		return 1;
	}
	return 0;
}

static void set_caveats(const audit_verify_opts_t *o, const struct walk *w, audit_report_t *r)
{
	if (!o->ncps)
		r->caveats |= AUDIT_CAVEAT_NO_CHECKPOINT;
	else
		r->caveats |= AUDIT_CAVEAT_AFTER_CHECKPOINT;
	if (!o->keys)
		r->caveats |= AUDIT_CAVEAT_NO_KEY;
	if (o->keys && w->never_keyed)
		r->caveats |= AUDIT_CAVEAT_NEVER_KEYED;
	if (!o->keys && o->ncps)
		r->caveats |= AUDIT_CAVEAT_UNSIGNED;
	if (o->cps_stored && o->ncps)
		r->caveats |= AUDIT_CAVEAT_STORED;
}

/* The newest of the checkpoints (by time; a bare head when there is no
 * other). */
static audit_checkpoint_t newest_of(const audit_checkpoint_t *cps, size_t n)
{
	const audit_checkpoint_t *best = &cps[n - 1];
	for (size_t i = 0; i < n; i++) {
		bool timed = cps[i].time[0] >= '0' && cps[i].time[0] <= '9';
		bool best_timed = best->time[0] >= '0' && best->time[0] <= '9';
		if (timed && (!best_timed || strcmp(cps[i].time, best->time) > 0))
			best = &cps[i];
	}
	return *best;
}

int audit_verify(store_t *st, const audit_verify_opts_t *opts, audit_report_t *r)
{
	static const audit_verify_opts_t none = { 0 };
	const audit_verify_opts_t *o = opts ? opts : &none;
	memset(r, 0, sizeof *r);
	snprintf(r->no_key_reason, sizeof r->no_key_reason, "%s", o->no_key_reason ? o->no_key_reason : "");
	audit_checkpoint_t *cps = NULL;
	if (o->ncps) {
		cps = xmalloc(o->ncps * sizeof *cps);
		memcpy(cps, o->cps, o->ncps * sizeof *cps);
		qsort(cps, o->ncps, sizeof *cps, by_chain_seq);
		r->checkpoints = (int64_t)o->ncps;
		r->newest = newest_of(cps, o->ncps);
	}
	if (o->keys && check_signatures(o, r)) {
		free(cps);
		return 1;
	}
	struct walk w = { .r = r, .keys = o->keys, .cps = cps, .ncps = o->ncps };
	w.cp_done = xcalloc(o->ncps + 1, sizeof *w.cp_done);
	memset(w.anchor, '0', 64);
	w.anchor[64] = '\0';
	struct heads_arg ha = { .w = &w };
	int rc = store_audit_foreach_chain(st, NULL, &ha.heads, walk_first, &ha);
	if (rc == 0 && !ha.indexed)
		index_heads(&ha);
	if (rc == 0)
		rc = finish_chain(&w) || close_global(&w) || gone_chains(&w) ? 1 : 0;
	json_decref(ha.heads);
	free(w.heads);
	free(w.head_done);
	free(w.cp_done);
	free(cps);
	if (rc == 1)
		return 1;
	if (rc != 0)
		return -1;
	set_caveats(o, &w, r);
	return 0;
}

/* ---- the report ---- */

/* What could not be ruled out, per caveat, in English and French; %s is
 * filled as the comment says. */
static const struct caveat_text {
	unsigned bit;
	const char *code;
	const char *en, *fr;
} caveat_texts[] = {
	{ AUDIT_CAVEAT_NO_CHECKPOINT, "no-checkpoint",
		"cannot rule out deletion of the newest events: no checkpoint given",
		"impossible d'exclure la suppression des événements les plus récents : aucun point de "
		"contrôle fourni" },
	{ AUDIT_CAVEAT_AFTER_CHECKPOINT, "after-checkpoint", /* seq and time of the newest checkpoint */
		"cannot rule out deletion of events recorded after the newest checkpoint (%s)",
		"impossible d'exclure la suppression d'événements enregistrés après le point de contrôle "
		"le plus récent (%s)" },
	{ AUDIT_CAVEAT_NO_KEY, "no-key", /* why there is no key */
		"cannot rule out changed events or a chain recomputed whole: no audit key (%s)",
		"impossible d'exclure des événements modifiés ou une chaîne recalculée en entier : pas de "
		"clé d'audit (%s)" },
	{ AUDIT_CAVEAT_NEVER_KEYED, "never-keyed",
		"cannot rule out a chain recomputed whole with plain SHA-256: it holds no keyed event "
		"after the newest checkpoint",
		"impossible d'exclure une chaîne recalculée en entier en SHA-256 simple : elle ne contient "
		"aucun événement à clé après le point de contrôle le plus récent" },
	{ AUDIT_CAVEAT_UNSIGNED, "unsigned-checkpoints",
		"cannot rule out forged checkpoints: without the key their signatures were not checked",
		"impossible d'exclure de faux points de contrôle : sans la clé, leurs signatures n'ont pas "
		"été vérifiées" },
	{ AUDIT_CAVEAT_STORED, "stored-checkpoints",
		"cannot rule out removal of checkpoints together with events: these checkpoints come from "
		"the same database; verify offline against a copy kept elsewhere "
		"(faxvaultd audit-verify --checkpoint FILE)",
		"impossible d'exclure la suppression de points de contrôle avec des événements : ils "
		"viennent de la même base ; vérifiez hors ligne avec une copie conservée ailleurs "
		"(faxvaultd audit-verify --checkpoint FICHIER)" },
};

/* tmpl with its "%s" (if any) replaced by arg, into out. */
static void subst(const char *tmpl, const char *arg, char *out, size_t len)
{
	const char *at = strstr(tmpl, "%s");
	if (!at)
		snprintf(out, len, "%s", tmpl);
	else
		snprintf(out, len, "%.*s%s%s", (int)(at - tmpl), tmpl, arg, at + 2);
}

json_t *audit_report_json(const audit_report_t *r, int rc, const char *lang)
{
	bool fr = lang && strcmp(lang, "fr") == 0;
	json_t *nro = json_array();
	char cpdesc[160];
	if (r->newest.chain[0])
		snprintf(cpdesc, sizeof cpdesc, "%s %s, seq %lld, %s", fr ? "chaîne" : "chain",
			r->newest.chain, (long long)r->newest.seq, r->newest.time);
	else
		snprintf(cpdesc, sizeof cpdesc, "seq %lld, %s", (long long)r->newest.seq, r->newest.time);
	for (size_t i = 0; rc == 0 && i < sizeof caveat_texts / sizeof caveat_texts[0]; i++) {
		const struct caveat_text *c = &caveat_texts[i];
		if (!(r->caveats & c->bit))
			continue;
		const char *arg = c->bit == AUDIT_CAVEAT_AFTER_CHECKPOINT ? cpdesc
			: c->bit == AUDIT_CAVEAT_NO_KEY ? (r->no_key_reason[0] ? r->no_key_reason : "-") : "";
		char d[400];
		subst(fr ? c->fr : c->en, arg, d, sizeof d);
		json_array_append_new(nro, json_pack("{s:s, s:s}", "code", c->code, "detail", d));
	}
	json_t *o = json_pack("{s:b, s:I, s:{s:I, s:s, s:s}, s:o, s:{s:I, s:o}, s:o}", "ok", rc == 0,
		"events", (json_int_t)r->events, "head", "seq", (json_int_t)r->head_seq, "hash",
		r->head_hash, "actor", r->head_actor, "keyed_from",
		r->keyed_from ? json_integer(r->keyed_from) : json_null(), "checkpoints", "checked",
		(json_int_t)r->checkpoints, "newest",
		r->newest.seq ? audit_checkpoint_json(&r->newest) : json_null(), "not_ruled_out", nro);
	json_object_set_new(o, "redacted", json_integer(r->redacted));
	json_object_set_new(o, "chains", json_integer(r->chains));
	json_object_set_new(o, "first_broken", rc == 0 ? json_null()
		: json_pack("{s:I, s:s, s:I, s:s, s:s, s:s}", "seq", (json_int_t)r->broken_seq, "chain",
			r->broken_chain, "chain_seq", (json_int_t)r->broken_chain_seq, "id", r->broken_id,
			"actor", r->broken_actor, "reason", r->reason));
	return o;
}
