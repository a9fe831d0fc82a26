/* The tamper-evident audit log (P06, P08, P15, C04e).
 *
 * Every state change and every read of customer data becomes an event:
 * actor (and on whose behalf), action, target, account, time, source
 * address, outcome. Each event stores the hash of the event before it and
 * its own hash over that and its canonical encoding, so that changing,
 * removing or reordering any stored event breaks the chain at that event.
 *
 * Two chain versions (the event's `chain` column):
 *   1  plain: hash = SHA-256(prev_hash || canonical). Events written before
 *      the chain was keyed; anyone can recompute them.
 *   2  keyed: hash = HMAC-SHA-256(K, prev_hash || canonical), K derived from
 *      the vault's master key (crypto_kdf, context "fvaudit1", subkey 1),
 *      which is not in the database. Once an event is keyed, every later one
 *      is: a plain event after a keyed one breaks the chain.
 *   3  keyed and redactable: as 2, but the hash covers `pd`, a SHA-256 over
 *      a random per-event salt (`pd_salt`) and the personal fields (source,
 *      detail), in their place. A GDPR erasure rewrites those fields of the
 *      events naming the person, clears the salt (redacted_at set) and seals
 *      what it wrote with redaction_mac: the chain still verifies through
 *      pd, which without its salt reveals nothing that can be guessed back. Unredacted events are checked
 *      against their digest as well. Every keyed event written since
 *      migration 0030 is of version 3. Earlier ones (1, 2) are erased too:
 *      their stored hash is kept and sealed with what the erasure wrote
 *      (audit_redaction_mac_old), and verification trusts that seal in
 *      place of the hash it can no longer recompute.
 * Chains (migration 0056). Each account has its own chain, and the
 * provider one ("provider") for the events that name no account (the
 * provider's and its staff's, partners' own, the system's): writers of
 * different accounts never wait on one head. A partner's action on a
 * customer account names that account and goes to its chain, so that the
 * account's chain (and its export) is whole; what a partner does for itself
 * names no account and goes to the provider's, as the partner relationship
 * is the provider's and has no chain, export or verification of its own.
 * An event's chain_id and chain_seq (its place, from 1) take the place of
 * its global seq in what its hash covers (audit_canonical), and its
 * prev_hash is that of the event before it in its chain. The events
 * written before were one global chain (chain_id ""), closed by the
 * migration: its head then is the anchor each new chain's first event links
 * to, so no event of the closed chain can be dropped without breaking every
 * chain that followed. A new chain starts keyed if the closed one ended
 * keyed.
 * Signed checkpoints (chain, seq, prev_seq, head hash, time; Ed25519 key
 * derived the same way, subkey 2), one per chain whose head moved, are kept
 * outside the database, so that removing a chain's newest events (or the
 * whole chain) or recomputing it shows against them.
 *
 * Files: audit.c (keys, recording), audit_verify.c (verification, report),
 * audit_cp.c (checkpoints), audit_export.c (a chain exported whole). */

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_AUDIT_H
#define FV_DOMAIN_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "access/access.h"
#include "buf.h"
#include "store.h"
#include "vault.h"

#define AUDIT_HASH_HEX 65  /* 64 hex digits and NUL */
#define AUDIT_SIG_HEX 129  /* an Ed25519 signature in hex, NUL included */
#define AUDIT_PK_HEX 65    /* an Ed25519 public key in hex, NUL included */
#define AUDIT_TIME_MAX 32  /* an RFC 3339 time, NUL included */
#define AUDIT_ACTOR_MAX 176
#define AUDIT_CHAIN_MAX 64  /* a chain id (an account id, "provider"), NUL included */
/* The chain of the events that name no account. */
#define AUDIT_PROVIDER_CHAIN "provider"

enum { AUDIT_CHAIN_PLAIN = 1, AUDIT_CHAIN_KEYED = 2, AUDIT_CHAIN_REDACTABLE = 3 };

/* Canonical encoding of an event: its fields in a fixed order, each as a
 * netstring "LEN:BYTES,", integers in decimal. Pure. 0, or -1 if it does not
 * fit in out's ceiling. */
int audit_canonical(const json_t *event, buf_t *out);
/* What the hash of ev covers after its link: the canonical encoding of its
 * version's fields (chain 3: pd in place of source and detail). Pure. 0, or
 * -1 when it does not fit in out's ceiling. */
int audit_covered(const json_t *event, buf_t *out);
/* Chain 3's digest of the personal fields: hex SHA-256(salt ||
 * netstring(source) || netstring(detail)). Pure. 0 / -1 when too large. */
int audit_personal_digest(const char *salt, const json_t *event, char out[AUDIT_HASH_HEX]);
/* Chain 1: hash = hex SHA-256(prev_hash || canonical(event)). Pure. */
void audit_hash(const char *prev_hash, const json_t *event, char out[AUDIT_HASH_HEX]);

/* ---- keys ---- */

typedef struct audit_keys audit_keys_t;
/* The chain key and the checkpoint signing key pair, derived from the
 * vault's master key (owned by the caller: audit_keys_free). NULL when
 * libsodium cannot allocate. */
audit_keys_t *audit_keys_derive(const vault_key_t *master);
/* The two halves of the above, for a key holder in another process: the
 * chain key and the signing seed (32 bytes each) derived from master (0, or
 * -1 with both wiped), and the keys made of them (as audit_keys_derive). */
int audit_keys_derive_bytes(const vault_key_t *master, uint8_t chain[32], uint8_t seed[32]);
audit_keys_t *audit_keys_from_bytes(const uint8_t chain[32], const uint8_t seed[32]);
/* Wipes and frees (NULL is a no-op). */
void audit_keys_free(audit_keys_t *k);
/* The checkpoint verification key (Ed25519), raw and in hex. */
void audit_keys_public(const audit_keys_t *k, uint8_t pk[32]);
void audit_keys_public_hex(const audit_keys_t *k, char out[AUDIT_PK_HEX]);
/* Ed25519 signature of m with the checkpoint signing key. */
void audit_keys_sign(const audit_keys_t *k, const uint8_t *m, size_t len, uint8_t sig[64]);
/* Chain 2: hash = hex HMAC-SHA-256(chain key, prev_hash || canonical);
 * chain 3 (the event's "chain" member) the same over the fields of version
 * 3, pd in place of source and detail. */
void audit_mac(const audit_keys_t *k, const char *prev_hash, const json_t *event,
	char out[AUDIT_HASH_HEX]);
/* What an erasure wrote into event seq (source, detail), sealed: hex
 * HMAC-SHA-256(chain key, "fvredact1" || seq || netstrings of both). */
void audit_redaction_mac(const audit_keys_t *k, int64_t seq, const char *source,
	const char *detail, char out[AUDIT_HASH_HEX]);
/* The same for an event of chain 1 or 2, whose hash covers source and
 * detail themselves: the erasure keeps its stored hash (the link to the
 * next event) and seals it with what it wrote: hex HMAC-SHA-256(chain key,
 * "fvredact2" || seq || netstrings of hash, source and detail).
 * Verification then checks this seal instead of recomputing the hash (see
 * audit_verify.c): the erased text can no longer be checked against the
 * original, only against the erasure. */
void audit_redaction_mac_old(const audit_keys_t *k, int64_t seq, const char *hash,
	const char *source, const char *detail, char out[AUDIT_HASH_HEX]);
/* The keys this process chains and signs with (borrowed, kept until the
 * process stops using the audit log; NULL: none). Set once, before any
 * thread records an event. Without keys, events are plain while the chain
 * is, and refused once it is keyed. */
void audit_use_keys(const audit_keys_t *k);
const audit_keys_t *audit_keys(void);

/* ---- recording ---- */

/* The chain of an event of account_id (NULL or "": the provider's). */
const char *audit_chain_of(const char *account_id);

/* What the domain knows of the request when it records an event. */
typedef struct audit_ctx {
	const principal_t *who; /* NULL: anonymous or the system */
	const char *actor;      /* when who is NULL: the system actor that acts
				   ("system:faxsvc", "system:webhooks",
				   "cli:USER@HOST"); NULL: anonymous */
	const char *source;     /* peer address, or "" */
	const char *request_id;
} audit_ctx_t;

/* Appends an event in the caller's write transaction, so that it commits
 * with the change it records. In a read transaction (a read of customer
 * data), the event is queued to the store's group commit
 * (store_tx_defer_chain, with its chain): its chain link is computed in
 * order by the group's writer (on PostgreSQL under its chain's head lock,
 * so that groups of different chains commit at once), and the read transaction's store_commit returns only once that
 * group is committed (STORE_ERROR when it could not be), so no answer
 * leaves without its event. detail is borrowed and may be NULL. 0 / -1. */
int audit_record(store_tx_t *tx, const audit_ctx_t *ctx, const char *action, const char *target,
	const char *account_id, const char *outcome, const json_t *detail);

/* ---- checkpoints ---- */

typedef struct audit_checkpoint {
	char chain[AUDIT_CHAIN_MAX];   /* the chain ("": the closed global chain) */
	int64_t seq;                   /* its head when it was made (chain_seq; the global
					  seq for the closed chain) */
	int64_t prev_seq;              /* the chain's checkpoint before it (0: none) */
	char mac[AUDIT_HASH_HEX];      /* the hash of that event */
	char time[AUDIT_TIME_MAX];     /* RFC 3339, when it was made */
	char signature[AUDIT_SIG_HEX]; /* Ed25519 over audit_checkpoint_message(); "" for a
					  bare head (--expect-head), which is not signed */
} audit_checkpoint_t;

/* The exact text a checkpoint's signature covers: for the closed global
 * chain (version 1) "faxvault audit checkpoint 1\nseq=S\nprev_seq=P\nmac=M\n
 * time=T\n"; for a chain (version 2) "faxvault audit checkpoint 2\nchain=C\n"
 * followed by the same four lines. Pure. Its length, or -1 when out is too
 * small. */
int audit_checkpoint_message(const audit_checkpoint_t *cp, char *out, size_t len);
/* Signs cp with k (fills cp->signature). */
void audit_checkpoint_sign(const audit_keys_t *k, audit_checkpoint_t *cp);
/* 1 when cp's signature verifies under pk, else 0. Pure. */
int audit_checkpoint_signed_by(const uint8_t pk[32], const audit_checkpoint_t *cp);
/* One line of the checkpoint file (a JSON object, no newline: v 1, or v 2
 * with "chain"): a new string the caller frees. */
char *audit_checkpoint_line(const audit_checkpoint_t *cp);
/* Parses one line of a checkpoint file (untrusted: it comes back from
 * wherever the operator kept it). Pure. 0, or -1 with a reason (static) in
 * *why. */
int audit_checkpoint_parse(const char *line, size_t len, audit_checkpoint_t *out,
	const char **why);
/* {chain, seq, prev_seq, mac, time, signature, message} for the API (new
 * ref). */
json_t *audit_checkpoint_json(const audit_checkpoint_t *cp);
/* A stored checkpoint row into cp. 0 / -1 when malformed. */
int audit_checkpoint_from_row(const json_t *row, audit_checkpoint_t *cp);

/* Makes a signed checkpoint of the head of every chain that moved since its
 * newest checkpoint, in the caller's write transaction, and stores them. 0
 * with *cps (a new array the caller frees) and *n when one or more were
 * made; 1 (*cps NULL, *n 0) when no head moved (or there is no event);
 * -1 when there are no keys, the store fails, or a chain's head is behind
 * or differs from its newest checkpoint (events were removed or rewritten:
 * logged as an error naming the chain; nothing is signed). */
int audit_checkpoint_make(store_tx_t *tx, int64_t now, audit_checkpoint_t **cps, size_t *n);
/* After the commit: appends cp to file (created 0600; "" or NULL: none),
 * fsyncs it, and logs it (event=audit.checkpoint). 0 / -1 when the file
 * could not be written (logged). */
int audit_checkpoint_announce(const audit_checkpoint_t *cp, const char *file);
/* make + commit + announce (each) in a transaction of its own (the daemon,
 * at intervals and at stop). 0 made (*n of them), 1 nothing new, -1
 * failed. */
int audit_checkpoint_publish(store_t *st, const char *file, size_t *n);

/* ---- verification ---- */

typedef struct audit_verify_opts {
	const audit_keys_t *keys;       /* NULL: keyed hashes and signatures not checked */
	const char *no_key_reason;      /* why there are none (for the report), or NULL */
	const audit_checkpoint_t *cps;  /* checkpoints kept elsewhere, any order */
	size_t ncps;
	bool cps_stored;                /* they come from the database itself (the API) */
} audit_verify_opts_t;

/* What a verification could not rule out (audit_report_t.caveats). */
enum {
	AUDIT_CAVEAT_NO_CHECKPOINT = 1 << 0,    /* the newest events may be gone */
	AUDIT_CAVEAT_AFTER_CHECKPOINT = 1 << 1, /* those after the newest checkpoint may be */
	AUDIT_CAVEAT_NO_KEY = 1 << 2,           /* changes and recomputation */
	AUDIT_CAVEAT_NEVER_KEYED = 1 << 3,      /* a plain chain recomputed whole */
	AUDIT_CAVEAT_UNSIGNED = 1 << 4,         /* checkpoints not checked for signature */
	AUDIT_CAVEAT_STORED = 1 << 5,           /* checkpoints from the same database */
};

typedef struct audit_report {
	int64_t events;                  /* events checked */
	int64_t chains;                  /* chains checked (the closed global one included) */
	int64_t head_seq;                /* the newest event (global seq) */
	char head_hash[AUDIT_HASH_HEX];
	char head_actor[AUDIT_ACTOR_MAX];  /* "ID (TYPE)" of the last event */
	int64_t keyed_from;              /* the first keyed event; 0: none */
	int64_t redacted;                /* events whose personal fields were erased (chain 3) */
	int64_t checkpoints;             /* checkpoints checked */
	audit_checkpoint_t newest;       /* the newest of them (seq 0: none) */
	int64_t broken_seq;              /* 0 when intact: the event's global seq (a checkpoint's
					    seq when none) */
	char broken_chain[AUDIT_CHAIN_MAX]; /* its chain ("": the closed global one) */
	int64_t broken_chain_seq;        /* its place in it */
	char broken_id[48];
	char broken_actor[AUDIT_ACTOR_MAX];
	char reason[224];
	unsigned caveats;                /* AUDIT_CAVEAT_*, when intact */
	char no_key_reason[160];
} audit_report_t;

/* Verifies every chain, chain by chain: every link (the first event of a
 * chain to the closed global chain's head), every place (chain_seq from 1,
 * no gap), every hash (keyed ones with o->keys), that no plain event
 * follows a keyed one in its chain, that each chain's recorded head is its
 * last event, each checkpoint's signature (with o->keys) and that each
 * chain still holds the head of each of its checkpoints. 0 when intact
 * (r->caveats says what could not be ruled out), 1 when broken (r says
 * where: chain, event, and why), -1 when the store could not be read. o
 * may be NULL (no keys, no checkpoints). */
int audit_verify(store_t *st, const audit_verify_opts_t *o, audit_report_t *r);
/* The report as JSON (new ref): {ok, events, head: {seq, hash, actor},
 * keyed_from, chains, checkpoints: {checked, newest}, first_broken: {seq,
 * chain, chain_seq, id, actor, reason} | null, not_ruled_out: [{code,
 * detail}]}, details in lang ("en", "fr"). rc is audit_verify()'s. */
json_t *audit_report_json(const audit_report_t *r, int rc, const char *lang);

/* ---- export ---- */

/* The text an export's signature covers: "faxvault audit export 1\nchain=C\n
 * anchor=A\nseq=S\nhead=H\nevents=D\ntime=T\n". Pure. Its length, or -1 when
 * out is too small. */
int audit_export_message(const char *chain, const char *anchor, int64_t seq, const char *head,
	const char *events, const char *time, char *out, size_t len);
/* Chain chain_id exported whole for a third party to verify offline
 * (docs/security.md, "Audit export"), its events and the heads read in one
 * snapshot of st, its checkpoints (up to its head) with tx: {format, chain,
 * anchor, events: [every stored field], head: {seq, hash}, checkpoints,
 * events_digest (D: hex SHA-256 over each event's audit_covered() encoding,
 * prev_hash and hash), public_key, algorithm, exported_at, message,
 * signature (Ed25519 with the checkpoint key; null without keys)}. A new
 * reference, or NULL when the store could not be read. */
json_t *audit_export_chain(store_t *st, store_tx_t *tx, const char *chain_id, int64_t now);

#endif
