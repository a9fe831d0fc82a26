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
	char prev[AUDIT_HASH_HEX];
	int64_t expect_seq;
	const audit_checkpoint_t *cps; /* sorted by seq */
	size_t ncps, next_cp;
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
	snprintf(w->r->broken_id, sizeof w->r->broken_id, "%s", str(ev, "id"));
	actor_of(ev, w->r->broken_actor);
	snprintf(w->r->reason, sizeof w->r->reason, "%s", why);
	return 1;
}

static int walk_one(const json_t *ev, void *arg)
{
	struct walk *w = arg;
	audit_report_t *r = w->r;
	int64_t seq = json_integer_value(json_object_get(ev, "seq"));
	int64_t chain = json_integer_value(json_object_get(ev, "chain"));
	const char *stored = str(ev, "hash");
	r->events++;
	char h[AUDIT_HASH_HEX];
	if (seq != w->expect_seq)
		return broken(w, ev, seq, "sequence gap: an event before it was removed");
	if (strcmp(str(ev, "prev_hash"), w->prev) != 0)
		return broken(w, ev, seq, "previous-hash link does not match the event before it");
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
		if (r->keyed_from)
			return broken(w, ev, seq, "an unkeyed event after the chain was keyed: the chain "
				"was rewritten without the key");
		audit_hash(w->prev, ev, h);
		if (!erased_old && strcmp(stored, h) != 0)
			return broken(w, ev, seq, "content does not match its hash: the event was changed");
	} else if (chain == AUDIT_CHAIN_KEYED || chain == AUDIT_CHAIN_REDACTABLE) {
		if (!r->keyed_from)
			r->keyed_from = seq;
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
	for (; w->next_cp < w->ncps && w->cps[w->next_cp].seq == seq; w->next_cp++) {
		const audit_checkpoint_t *cp = &w->cps[w->next_cp];
		if (strcmp(stored, cp->mac) != 0) {
			char why[160];
			snprintf(why, sizeof why, "the hash differs from the checkpoint of %s: the chain "
				"was rewritten up to here", cp->time);
			return broken(w, ev, seq, why);
		}
	}
	snprintf(w->prev, sizeof w->prev, "%s", stored);
	r->head_seq = seq;
	snprintf(r->head_hash, sizeof r->head_hash, "%s", stored);
	actor_of(ev, r->head_actor);
	w->expect_seq++;
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	int64_t x = ((const audit_checkpoint_t *)a)->seq, y = ((const audit_checkpoint_t *)b)->seq;
	return x < y ? -1 : x > y;
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
		snprintf(r->reason, sizeof r->reason, "the checkpoint of seq %lld (%s) does not carry this "
			"service's signature: it was forged or altered, or signed under another master key",
			(long long)cp->seq, cp->time);
		return 1;
	}
	return 0;
}

static void set_caveats(const audit_verify_opts_t *o, audit_report_t *r)
{
	if (!o->ncps)
		r->caveats |= AUDIT_CAVEAT_NO_CHECKPOINT;
	else
		r->caveats |= AUDIT_CAVEAT_AFTER_CHECKPOINT;
	if (!o->keys)
		r->caveats |= AUDIT_CAVEAT_NO_KEY;
	if (o->keys && !r->keyed_from && r->events > 0 && r->head_seq > r->newest.seq)
		r->caveats |= AUDIT_CAVEAT_NEVER_KEYED;
	if (!o->keys && o->ncps)
		r->caveats |= AUDIT_CAVEAT_UNSIGNED;
	if (o->cps_stored && o->ncps)
		r->caveats |= AUDIT_CAVEAT_STORED;
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
		qsort(cps, o->ncps, sizeof *cps, by_seq);
		r->checkpoints = (int64_t)o->ncps;
		r->newest = cps[o->ncps - 1];
	}
	if (o->keys && check_signatures(o, r)) {
		free(cps);
		return 1;
	}
	struct walk w = { .r = r, .keys = o->keys, .expect_seq = 1, .cps = cps, .ncps = o->ncps };
	memset(w.prev, '0', 64);
	w.prev[64] = '\0';
	int rc = store_audit_foreach(st, walk_one, &w);
	free(cps);
	if (rc == 1)
		return 1;
	if (rc != 0)
		return -1;
	if (o->ncps && r->newest.seq > r->head_seq) {
		r->broken_seq = r->newest.seq;
		snprintf(r->reason, sizeof r->reason, "the chain ends at seq %lld, before the checkpoint of "
			"seq %lld (%s): its newest events were removed", (long long)r->head_seq,
			(long long)r->newest.seq, r->newest.time);
		return 1;
	}
	set_caveats(o, r);
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
	char cpdesc[96];
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
	json_object_set_new(o, "first_broken", rc == 0 ? json_null()
		: json_pack("{s:I, s:s, s:s, s:s}", "seq", (json_int_t)r->broken_seq, "id", r->broken_id,
			"actor", r->broken_actor, "reason", r->reason));
	return o;
}
