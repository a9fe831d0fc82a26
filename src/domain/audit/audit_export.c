/* An account's audit chain exported whole, for a third party to verify
 * offline (see audit.h, docs/security.md "Audit export"). */
#include "audit.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "timeutil.h"

/* Bumped if the signed text or the digest ever changes. */
#define EXPORT_VERSION 1
#define EXPORT_MSG_MAX 1024

struct collect {
	json_t *events;
	crypto_hash_sha256_state digest;
	int64_t seq;
	char head[AUDIT_HASH_HEX];
	int bad;
};

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int collect_one(const json_t *ev, void *arg)
{
	struct collect *c = arg;
	buf_t b;
	buf_init(&b, 1 << 21);
	/* What the event's hash covers, then its link and its hash (64 hex
	 * digits each): the digest the export's signature covers. */
	if (audit_covered(ev, &b) != 0 || buf_append(&b, str(ev, "prev_hash"), 64) ||
	    buf_append(&b, str(ev, "hash"), 64))
		c->bad = 1;
	else
		crypto_hash_sha256_update(&c->digest, (const uint8_t *)b.data, b.len);
	buf_free(&b);
	json_array_append_new(c->events, json_deep_copy(ev));
	c->seq = json_integer_value(json_object_get(ev, "chain_seq"));
	snprintf(c->head, sizeof c->head, "%s", str(ev, "hash"));
	return 0;
}

int audit_export_message(const char *chain, const char *anchor, int64_t seq, const char *head,
	const char *events, const char *time, char *out, size_t len)
{
	int n = snprintf(out, len, "faxvault audit export %d\nchain=%s\nanchor=%s\nseq=%lld\nhead=%s\n"
		"events=%s\ntime=%s\n", EXPORT_VERSION, chain, anchor, (long long)seq, head, events, time);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

json_t *audit_export_chain(store_t *st, store_tx_t *tx, const char *chain_id, int64_t now)
{
	struct collect c = { .events = json_array() };
	crypto_hash_sha256_init(&c.digest);
	json_t *heads = NULL;
	if (store_audit_foreach_chain(st, chain_id, &heads, collect_one, &c) != 0 || c.bad) {
		json_decref(c.events);
		json_decref(heads);
		return NULL;
	}
	/* The chain starts from the closed global chain's end (zeros when
	 * there was none), in the same snapshot as its events. */
	char anchor[AUDIT_HASH_HEX];
	memset(anchor, '0', 64);
	anchor[64] = '\0';
	size_t i;
	json_t *h;
	json_array_foreach(heads, i, h)
		if (!*str(h, "chain_id"))
			snprintf(anchor, sizeof anchor, "%s", str(h, "hash"));
	json_decref(heads);
	if (!c.seq)
		snprintf(c.head, sizeof c.head, "%s", anchor);
	uint8_t d[crypto_hash_sha256_BYTES];
	char events[AUDIT_HASH_HEX], when[AUDIT_TIME_MAX], m[EXPORT_MSG_MAX];
	crypto_hash_sha256_final(&c.digest, d);
	sodium_bin2hex(events, sizeof events, d, sizeof d);
	time_format_rfc3339(now, when, sizeof when);
	/* The chain's checkpoints up to its exported head (one made since the
	 * snapshot would name an event the export does not hold). */
	json_t *cps = json_array(), *rows = store_audit_checkpoint_all(tx, chain_id), *row;
	json_array_foreach(rows, i, row) {
		audit_checkpoint_t cp;
		if (audit_checkpoint_from_row(row, &cp) == 0 && cp.seq <= c.seq)
			json_array_append_new(cps, audit_checkpoint_json(&cp));
	}
	json_decref(rows);
	if (audit_export_message(chain_id, anchor, c.seq, c.head, events, when, m, sizeof m) < 0) {
		json_decref(c.events);
		json_decref(cps);
		return NULL;
	}
	const audit_keys_t *k = audit_keys();
	char pk[AUDIT_PK_HEX], sig[AUDIT_SIG_HEX];
	if (k) {
		uint8_t raw[crypto_sign_BYTES];
		audit_keys_public_hex(k, pk);
		audit_keys_sign(k, (const uint8_t *)m, strlen(m), raw);
		sodium_bin2hex(sig, sizeof sig, raw, sizeof raw);
	}
	return json_pack("{s:i, s:s, s:s, s:o, s:{s:I, s:s}, s:o, s:s, s:o, s:s, s:s, s:o, s:o}",
		"format", EXPORT_VERSION, "chain", chain_id, "anchor", anchor, "events", c.events, "head",
		"seq", (json_int_t)c.seq, "hash", c.head, "checkpoints", cps, "events_digest", events,
		"public_key", k ? json_string(pk) : json_null(), "algorithm", "Ed25519", "exported_at",
		when, "message", json_string(m), "signature", k ? json_string(sig) : json_null());
}
