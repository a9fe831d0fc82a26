/* Inside the SafeBox module: what safebox.c (members) and safebox_guest.c
 * (guests) share. Not for use elsewhere. */
#ifndef FV_DOMAIN_SAFEBOX_INT_H
#define FV_DOMAIN_SAFEBOX_INT_H

#include "safebox.h"

/* "open", "closed" or "expired" (open past its expiry) at now. */
const char *sb_status(const json_t *box, int64_t now);
/* The API form of a file record (new reference). */
json_t *sb_file_json(const json_t *f);
/* Decrypts document doc_id into *data (malloc'd, caller frees) through a
 * private work directory wiped at once. 0 / -1. */
int sb_doc_read(store_tx_t *tx, const fax_env_t *env, const char *account_id, const char *doc_id,
	unsigned char **data, size_t *len);
/* The box with participants, messages (bodies decrypted), files and, when
 * with_events, its events (new reference). */
json_t *sb_box_full(store_tx_t *tx, const fax_env_t *env, const json_t *box, bool with_events,
	int64_t now);
/* Records what happened to box: an entry of its events (type, actor) and
 * the audit event safebox.TYPE by a. detail is taken over (may be NULL).
 * 0 / -1. */
int sb_record(store_tx_t *tx, const audit_ctx_t *a, const json_t *box, const char *type,
	const char *actor_kind, const char *actor, json_t *detail);
/* Stores data as a new file of box b (name cleaned, type kept for display)
 * by the author given: the file record into *rec (new reference). 0, or -1
 * with e. */
int sb_file_store(dom_ctx_t *c, const json_t *b, const char *author_kind, const char *author_id,
	const char *author_email, const void *data, size_t len, const char *filename,
	const char *ctype, json_t **rec, dom_err_t *e);
/* An upload of len bytes to box b is within its account's profile (not
 * empty, at most max_file_mb). 0, or -1 with e. The scan is the caller's. */
int sb_upload_checks(dom_ctx_t *c, const json_t *b, size_t len, dom_err_t *e);

/* A guest participant p (before its insertion) gets a link token: its hash
 * into p, the token into *token (caller frees). */
void sb_guest_token(json_t *p, char **token);
/* Queues the invitation mail of guest participant p of box b with its link
 * token; owner_name names the sender. 0 / -1. */
int sb_guest_invite(dom_ctx_t *c, const json_t *b, const json_t *p, const char *token,
	const char *owner_name);
/* Stores a message text in box b by the author given (recorded as
 * message.post by a, actor_kind, actor); the message record into *rec when
 * rec is not NULL. 0, or -1 with e. */
int sb_message_store(dom_ctx_t *c, const json_t *b, const audit_ctx_t *a, const char *author_kind,
	const char *author_id, const char *author_email, const char *text, json_t **rec,
	dom_err_t *e);
/* 0 when b takes additions (open, not expired), else -1 with e. */
int sb_box_open(const json_t *b, dom_err_t *e);
/* The SafeBox profile of b's account in force for c. */
void sb_profile_of(dom_ctx_t *c, const json_t *b, safebox_profile_t *p);
/* A message text is acceptable (UTF-8, 1 to SAFEBOX_MESSAGE_MAX bytes). */
int sb_message_ok(const char *s, size_t n, dom_err_t *e);

#endif
