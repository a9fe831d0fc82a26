/* The tamper-evident audit log (P06, P15, C04e).
 *
 * Every state change and every read of customer data becomes an event:
 * actor (and on whose behalf), action, target, account, time, source
 * address, outcome. Each event stores the SHA-256 of the previous event's
 * hash and its own canonical encoding, so that changing, removing or
 * reordering any stored event breaks the chain at that event. */
#ifndef FV_AUDIT_H
#define FV_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "authz.h"
#include "buf.h"
#include "store.h"

#define AUDIT_HASH_HEX 65

/* Canonical encoding of an event: its fields in a fixed order, each as a
 * netstring "LEN:BYTES,", integers in decimal. Pure. 0, or -1 if it does not
 * fit in out's ceiling. */
int audit_canonical(const json_t *event, buf_t *out);
/* hash = hex SHA-256(prev_hash || canonical(event)). Pure. */
void audit_hash(const char *prev_hash, const json_t *event, char out[AUDIT_HASH_HEX]);

/* What the domain knows of the request when it records an event. */
typedef struct audit_ctx {
	const principal_t *who; /* NULL: anonymous or the system */
	const char *actor;      /* when who is NULL: the system actor that acts
				   ("system:faxsvc", "cli:USER@HOST"); NULL: anonymous */
	const char *source;     /* peer address, or "" */
	const char *request_id;
} audit_ctx_t;

/* Appends an event in the caller's write transaction. detail is borrowed and
 * may be NULL. 0 / -1. */
int audit_record(store_tx_t *tx, const audit_ctx_t *ctx, const char *action, const char *target,
	const char *account_id, const char *outcome, const json_t *detail);

typedef struct audit_report {
	int64_t events;        /* events checked */
	int64_t head_seq;      /* the last event: keep (head_seq, head_hash) outside the
				  database to detect later truncation */
	char head_hash[AUDIT_HASH_HEX];
	int64_t broken_seq;    /* 0 when intact */
	char broken_id[48];
	char reason[160];
} audit_report_t;
/* Verifies the whole chain. 0 when intact, 1 when broken (report says where),
 * -1 when the store could not be read. */
int audit_verify(store_t *st, audit_report_t *r);
/* Same, and checks that the chain still holds a head recorded earlier
 * (seq, hash), e.g. from the logs or a previous report: an intact chain
 * that lost its newest events fails here. */
int audit_verify_head(store_t *st, int64_t seq, const char *hash, audit_report_t *r);

#endif
