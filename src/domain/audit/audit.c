/* The audit chain: its keys, the hash of each version, and recording (see
 * audit.h). */
#include "audit.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sec.h"
#include "timeutil.h"
#include "xalloc.h"

/* The derivation context and subkeys of the audit keys (crypto_kdf). */
#define AUDIT_KDF_CONTEXT "fvaudit1"
enum { AUDIT_SUBKEY_CHAIN = 1, AUDIT_SUBKEY_SIGN = 2 };

struct audit_keys {
	uint8_t chain[crypto_auth_hmacsha256_KEYBYTES];
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

static const audit_keys_t *_Atomic process_keys;

int audit_keys_derive_bytes(const vault_key_t *master, uint8_t chain[32], uint8_t seed[32])
{
	if (!master ||
	    vault_key_derive(master, AUDIT_KDF_CONTEXT, AUDIT_SUBKEY_CHAIN, chain, 32) != VAULT_OK ||
	    vault_key_derive(master, AUDIT_KDF_CONTEXT, AUDIT_SUBKEY_SIGN, seed, 32) != VAULT_OK) {
		sodium_memzero(chain, 32);
		sodium_memzero(seed, 32);
		return -1;
	}
	return 0;
}

audit_keys_t *audit_keys_from_bytes(const uint8_t chain[32], const uint8_t seed[32])
{
	if (sodium_init() < 0)
		return NULL;
	audit_keys_t *k = sodium_malloc(sizeof *k);
	if (!k)
		return NULL;
	memcpy(k->chain, chain, sizeof k->chain);
	if (crypto_sign_seed_keypair(k->pk, k->sk, seed) != 0) {
		sodium_free(k);
		return NULL;
	}
	sodium_mprotect_readonly(k);
	return k;
}

audit_keys_t *audit_keys_derive(const vault_key_t *master)
{
	uint8_t chain[crypto_auth_hmacsha256_KEYBYTES], seed[crypto_sign_SEEDBYTES];
	if (sodium_init() < 0 || audit_keys_derive_bytes(master, chain, seed) != 0)
		return NULL;
	audit_keys_t *k = audit_keys_from_bytes(chain, seed);
	sodium_memzero(chain, sizeof chain);
	sodium_memzero(seed, sizeof seed);
	return k;
}

void audit_keys_free(audit_keys_t *k)
{
	if (k)
		sodium_free(k);
}

void audit_keys_public(const audit_keys_t *k, uint8_t pk[32])
{
	memcpy(pk, k->pk, sizeof k->pk);
}

void audit_keys_public_hex(const audit_keys_t *k, char out[AUDIT_PK_HEX])
{
	sodium_bin2hex(out, AUDIT_PK_HEX, k->pk, sizeof k->pk);
}

void audit_keys_sign(const audit_keys_t *k, const uint8_t *m, size_t len, uint8_t sig[64])
{
	crypto_sign_detached(sig, NULL, m, len, k->sk);
}

void audit_use_keys(const audit_keys_t *k)
{
	atomic_store(&process_keys, k);
}

const audit_keys_t *audit_keys(void)
{
	return atomic_load(&process_keys);
}

/* ---- chain hashes (pure) ---- */

/* The fields covered by the hash, in their canonical order. */
static const char *const chain_fields[] = { "seq", "id", "time", "actor_id", "actor_type",
	"on_behalf_of", "action", "target", "account_id", "source", "outcome", "detail", NULL };

/* Version 3: the personal fields (source, detail) through their digest pd. */
static const char *const chain3_fields[] = { "seq", "id", "time", "actor_id", "actor_type",
	"on_behalf_of", "action", "target", "account_id", "outcome", "pd", NULL };

/* The decimal digits of v (with its sign) ending at end: their start.
 * Written here rather than with printf, which an audited read paid some
 * thirty times per event (two passes per field). */
static char *decimal(int64_t v, char *end)
{
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char *p = end;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

/* s (n bytes) as a netstring: "n:s,". */
static int put_netstring(buf_t *out, const char *s, size_t n)
{
	char num[24];
	char *end = num + sizeof num;
	end[-1] = ':';
	char *p = decimal((int64_t)n, end - 1);
	return buf_append(out, p, (size_t)(end - p)) || buf_append(out, s, n) ||
		buf_append(out, ",", 1) ? -1 : 0;
}

/* One field of the canonical encoding: v as a netstring. */
static int canonical_field(const json_t *v, buf_t *out)
{
	char num[24];
	const char *s = "";
	size_t n = 0;
	if (json_is_integer(v)) {
		s = decimal((int64_t)json_integer_value(v), num + sizeof num);
		n = (size_t)(num + sizeof num - s);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		n = json_string_length(v);
	}
	return put_netstring(out, s, n);
}

/* An event of a per-chain chain (migration 0056) is encoded with its chain
 * and its place in it (chain_id, chain_seq) where the global chain's events
 * have their global seq: moving it to another chain or another place
 * changes what its hash covers, and its global seq, assigned by the
 * database at its insert, is not needed to chain it. */
static int canonical_of(const json_t *ev, const char *const *fields, buf_t *out)
{
	const char *chain_id = json_string_value(json_object_get(ev, "chain_id"));
	bool per_chain = chain_id && *chain_id;
	for (int i = 0; fields[i]; i++) {
		if (per_chain && strcmp(fields[i], "seq") == 0) {
			if (canonical_field(json_object_get(ev, "chain_id"), out) ||
			    canonical_field(json_object_get(ev, "chain_seq"), out))
				return -1;
			continue;
		}
		if (canonical_field(json_object_get(ev, fields[i]), out))
			return -1;
	}
	return 0;
}

int audit_canonical(const json_t *ev, buf_t *out)
{
	return canonical_of(ev, chain_fields, out);
}

int audit_covered(const json_t *ev, buf_t *out)
{
	bool v3 = json_integer_value(json_object_get(ev, "chain")) == AUDIT_CHAIN_REDACTABLE;
	return canonical_of(ev, v3 ? chain3_fields : chain_fields, out);
}

/* One netstring of the string member key of ev into b. */
static int netstring(buf_t *b, const json_t *ev, const char *key)
{
	const char *v = json_string_value(json_object_get(ev, key));
	return put_netstring(b, v ? v : "", v ? strlen(v) : 0);
}

int audit_personal_digest(const char *salt, const json_t *ev, char out[AUDIT_HASH_HEX])
{
	buf_t b;
	buf_init(&b, 1 << 20);
	int rc = buf_append(&b, salt, strlen(salt)) || netstring(&b, ev, "source") ||
		netstring(&b, ev, "detail") ? -1 : 0;
	if (rc == 0)
		sec_sha256_hex(b.data, b.len, out);
	buf_free(&b);
	return rc;
}

/* prev || canonical(ev) into b; an event too large to encode cannot be
 * chained: a marker is hashed instead, which verification reports as
 * broken. */
static void chain_input(const char *prev, const json_t *ev, bool v3, buf_t *b)
{
	buf_init(b, 1 << 20);
	buf_append(b, prev, strlen(prev));
	if (canonical_of(ev, v3 ? chain3_fields : chain_fields, b) != 0) {
		buf_reset(b);
		buf_puts(b, "oversized");
	}
}

void audit_hash(const char *prev, const json_t *ev, char out[AUDIT_HASH_HEX])
{
	buf_t b;
	chain_input(prev, ev, false, &b);
	sec_sha256_hex(b.data, b.len, out);
	buf_free(&b);
}

void audit_mac(const audit_keys_t *k, const char *prev, const json_t *ev, char out[AUDIT_HASH_HEX])
{
	buf_t b;
	chain_input(prev, ev, json_integer_value(json_object_get(ev, "chain")) == AUDIT_CHAIN_REDACTABLE,
		&b);
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, (const uint8_t *)b.data, b.len, k->chain);
	sodium_bin2hex(out, AUDIT_HASH_HEX, mac, sizeof mac);
	buf_free(&b);
}

/* Hex HMAC-SHA-256(chain key, tag || seq || netstrings of the n fields). */
static void redaction_seal(const audit_keys_t *k, const char *tag, int64_t seq,
	const char *const *fields, int n, char out[AUDIT_HASH_HEX])
{
	buf_t b;
	buf_init(&b, 1 << 20);
	int bad = buf_printf(&b, "%s%" PRId64, tag, seq);
	for (int i = 0; i < n && !bad; i++) {
		size_t len = strlen(fields[i]);
		bad = buf_printf(&b, ",%zu:", len) || buf_append(&b, fields[i], len);
	}
	if (bad || buf_append(&b, ",", 1)) {
		buf_reset(&b);
		buf_puts(&b, "oversized");
	}
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, (const uint8_t *)b.data, b.len, k->chain);
	sodium_bin2hex(out, AUDIT_HASH_HEX, mac, sizeof mac);
	buf_free(&b);
}

void audit_redaction_mac(const audit_keys_t *k, int64_t seq, const char *source,
	const char *detail, char out[AUDIT_HASH_HEX])
{
	const char *f[] = { source, detail };
	redaction_seal(k, "fvredact1", seq, f, 2, out);
}

void audit_redaction_mac_old(const audit_keys_t *k, int64_t seq, const char *hash,
	const char *source, const char *detail, char out[AUDIT_HASH_HEX])
{
	const char *f[] = { hash, source, detail };
	redaction_seal(k, "fvredact2", seq, f, 3, out);
}

/* ---- recording ---- */

const char *audit_chain_of(const char *account_id)
{
	return account_id && *account_id ? account_id : AUDIT_PROVIDER_CHAIN;
}

/* An event of a read, queued to the store's group commit with its own
 * copy of what it records (the caller's context is gone by then). */
struct grouped_event {
	principal_t who;
	bool has_who;
	char *actor, *source, *request_id, *action, *target, *account_id, *outcome;
	json_t *detail;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int record_grouped(store_tx_t *tx, void *arg)
{
	const struct grouped_event *g = arg;
	audit_ctx_t ctx = { .who = g->has_who ? &g->who : NULL, .actor = g->actor, .source = g->source,
		.request_id = g->request_id };
	return audit_record(tx, &ctx, g->action, g->target, g->account_id, g->outcome, g->detail);
}

static void grouped_free(void *arg)
{
	struct grouped_event *g = arg;
	free(g->actor);
	free(g->source);
	free(g->request_id);
	free(g->action);
	free(g->target);
	free(g->account_id);
	free(g->outcome);
	json_decref(g->detail);
	free(g);
}

int audit_record(store_tx_t *tx, const audit_ctx_t *ctx, const char *action, const char *target,
	const char *account_id, const char *outcome, const json_t *detail)
{
	/* A read's event goes through the store's group commit; the read
	 * transaction's end waits for it (store_tx_defer_chain). */
	if (!store_tx_writes(tx)) {
		struct grouped_event *g = xcalloc(1, sizeof *g);
		if (ctx && ctx->who) {
			g->who = *ctx->who;
			g->has_who = true;
		}
		g->actor = dup_or_null(ctx ? ctx->actor : NULL);
		g->source = dup_or_null(ctx ? ctx->source : NULL);
		g->request_id = dup_or_null(ctx ? ctx->request_id : NULL);
		g->action = xstrdup(action);
		g->target = dup_or_null(target);
		g->account_id = dup_or_null(account_id);
		g->outcome = xstrdup(outcome);
		g->detail = detail ? json_deep_copy(detail) : NULL;
		store_tx_defer_chain(tx, audit_chain_of(account_id), record_grouped, g, grouped_free);
		return 0;
	}
	/* The event's chain: its account's, or the provider's (audit.h). Its
	 * head is this chain's alone (locked on PostgreSQL to the commit). */
	const char *chain_id = audit_chain_of(account_id);
	int64_t seq;
	int chain;
	char prev[AUDIT_HASH_HEX];
	if (store_audit_chain_head(tx, chain_id, &seq, prev, &chain) != STORE_OK)
		return -1;
	const audit_keys_t *k = audit_keys();
	if (!k && chain >= AUDIT_CHAIN_KEYED) {
		/* A plain event after keyed ones would read as a rewrite: a
		 * process without the key records nothing. */
		log_event(LOG_ERROR, "audit.unkeyed", "action=%s err=\"the chain is keyed and this process "
			"has no audit key: event refused\"", action);
		return -1;
	}
	const principal_t *p = ctx ? ctx->who : NULL;
	const char *sys = !p && ctx && ctx->actor && *ctx->actor ? ctx->actor : NULL;
	/* Ordered by time: the index on ids grows at its right edge, a page
	 * the writer has at hand, where a random id fell on any page of it. */
	int64_t now = time_now_ms();
	/* The id's random part and the personal digest's salt: one draw (a
	 * getrandom system call each before). */
	uint8_t rnd[SEC_ID_RANDOM + 16];
	randombytes_buf(rnd, sizeof rnd);
	char *id = sec_new_id_at_from("evt", now, rnd);
	/* What a delegate does is recorded under the consent or grant that let
	 * them (principal_t.consent_id, grant_id). */
	json_t *dx = NULL;
	if (p && (p->consent_id[0] || p->grant_id[0])) {
		dx = json_is_object(detail) ? json_deep_copy(detail) : json_object();
		if (p->consent_id[0])
			json_object_set_new(dx, "consent_id", json_string(p->consent_id));
		if (p->grant_id[0])
			json_object_set_new(dx, "grant_id", json_string(p->grant_id));
		detail = dx;
	}
	char *dj = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(dx);
	json_t *ev = json_pack("{s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
		"chain_id", chain_id, "chain_seq", (json_int_t)(seq + 1), "id", id, "time", (json_int_t)now,
		"actor_id", p ? p->id : sys ? sys : "anonymous", "actor_type",
		p ? p->type : sys ? (strncmp(sys, "cli:", 4) == 0 ? "cli" : strncmp(sys, "guest:", 6) == 0 ? "guest" : "system") : "anonymous",
		"on_behalf_of", p && strcmp(p->type, "api_key") == 0 ? p->person_id : "",
		"action", action, "target", target ? target : "", "account_id",
		account_id ? account_id : "", "source", ctx && ctx->source ? ctx->source : "",
		"outcome", outcome, "detail", dj ? dj : "{}", "chain",
		k ? AUDIT_CHAIN_REDACTABLE : AUDIT_CHAIN_PLAIN);
	free(dj);
	free(id);
	if (!ev)
		return -1;
	if (k) {
		/* Keyed events chain their personal fields through a salted
		 * digest, so that an erasure can rewrite them (audit.h). */
		char salt[33], pd[AUDIT_HASH_HEX];
		sodium_bin2hex(salt, sizeof salt, rnd + SEC_ID_RANDOM, 16);
		if (audit_personal_digest(salt, ev, pd) != 0) {
			json_decref(ev);
			return -1;
		}
		json_object_set_new(ev, "pd_salt", json_string(salt));
		json_object_set_new(ev, "pd", json_string(pd));
	}
	char h[AUDIT_HASH_HEX];
	if (k)
		audit_mac(k, prev, ev, h);
	else
		audit_hash(prev, ev, h);
	json_object_set_new(ev, "prev_hash", json_string(prev));
	json_object_set_new(ev, "hash", json_string(h));
	int version = (int)json_integer_value(json_object_get(ev, "chain"));
	int rc = store_audit_insert(tx, ev);
	json_decref(ev);
	if (rc == STORE_OK)
		rc = store_audit_chain_advance(tx, chain_id, seq + 1, h, version);
	/* The log, kept elsewhere, anchors each chain now and then between
	 * checkpoints (audit-verify --expect-head). */
	if (rc == STORE_OK && (seq + 1) % 1000 == 0)
		log_event(LOG_INFO, "audit.head", "chain=%s seq=%lld hash=%s", chain_id,
			(long long)(seq + 1), h);
	return rc == STORE_OK ? 0 : -1;
}
