/* SafeBoxes (issue 16): secure exchanges of messages and files between an
 * account member, its owner, and participants (members of the account or
 * guests outside it, by e-mail). See docs/safebox.md.
 *
 * Message bodies and files are documents (docs.h: each under its own key,
 * wrapped by the account's key); a box's metadata (subject, participants'
 * addresses, file names) is in the store. Every access is an audit event
 * and an entry of the box's own `events`, which its owner reads.
 *
 * API operations follow domain.h: they run in c->tx and return 0 with *out
 * set (new reference), or -1 with e. Ids are borrowed. */

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_SAFEBOX_H
#define FV_DOMAIN_SAFEBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fax/fax.h"

#define SAFEBOX_SUBJECT_MAX 200       /* bytes of a subject */
#define SAFEBOX_MESSAGE_MAX 65536     /* bytes of one message */
#define SAFEBOX_PARTICIPANTS_MAX 20   /* participants of one box */
#define SAFEBOX_FILENAME_MAX 200      /* bytes of a file's name as kept */
#define SAFEBOX_FILE_MB_MAX 256       /* ceiling of a profile's max_file_mb */
#define SAFEBOX_DAYS_DEFAULT_MAX 90   /* provider ceiling of expiry when not configured */
#define SAFEBOX_EVENTS_SHOWN 500      /* latest events a GET answers */

/* The account's SafeBox profile: what its administrators chose. */
typedef struct safebox_profile {
	int expiry_days;     /* expiry of a new box when none is given */
	int max_file_mb;     /* largest file one may upload */
	bool guest_download; /* guests may download files (else: list only) */
	bool guest_reply;    /* guests may post messages and upload files */
	bool notify_on_open; /* the owner is mailed when a guest first opens the box */
	bool admins_only;    /* only holders of settings.manage may create boxes */
} safebox_profile_t;

/* The profile of account_id in force (defaults when it has none) at the
 * provider's ceiling max_days (0: SAFEBOX_DAYS_DEFAULT_MAX). */
void safebox_profile_load(store_tx_t *tx, const char *account_id, int max_days,
	safebox_profile_t *p);
/* A file name fit to keep and to hand back in Content-Disposition: at most
 * SAFEBOX_FILENAME_MAX bytes of valid UTF-8, no path separators, control
 * characters or leading dots ("file" when nothing is left). Pure, fuzzed
 * (fuzz/domain/safebox_filename). */
void safebox_filename_clean(const char *in, size_t len, char *out, size_t outlen);

/* POST /v1/safeboxes {account_id?, subject, message?, participants:
 * [{email}], expires_at?}: the new box as GET answers it. */
int dom_safebox_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);
/* GET /v1/safeboxes: the caller's boxes (owned or taken part in); every box
 * of the account with data.read. {items, next_cursor}. */
int dom_safebox_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e);
/* GET /v1/safeboxes/{id}: the box with participants, messages (bodies
 * decrypted), files and events. */
int dom_safebox_get(dom_ctx_t *c, const char *box_id, json_t **out, dom_err_t *e);
/* POST /v1/safeboxes/{id}/files: one file (AV-scanned, within the
 * profile's size) of filename and declared ctype: the file record. */
int dom_safebox_file_add(dom_ctx_t *c, const char *box_id, const void *data, size_t len,
	const char *filename, const char *ctype, json_t **out, dom_err_t *e);
/* GET /v1/safeboxes/{id}/files/{file_id}: the content into *data (malloc'd,
 * caller frees), its name into name (namelen bytes). Audited. */
int dom_safebox_file_get(dom_ctx_t *c, const char *box_id, const char *file_id,
	unsigned char **data, size_t *len, char *name, size_t namelen, dom_err_t *e);
/* POST /v1/safeboxes/{id}/messages {message}: the message. */
int dom_safebox_message_add(dom_ctx_t *c, const char *box_id, const json_t *body, json_t **out,
	dom_err_t *e);
/* POST /v1/safeboxes/{id}/close: nobody can add to it or open it as a guest. */
int dom_safebox_close(dom_ctx_t *c, const char *box_id, json_t **out, dom_err_t *e);
/* POST /v1/safeboxes/{id}/extend {expires_at}: a later expiry within the ceiling. */
int dom_safebox_extend(dom_ctx_t *c, const char *box_id, const json_t *body, json_t **out,
	dom_err_t *e);
/* DELETE /v1/safeboxes/{id}/participants/{pid}: the participant loses access at once. */
int dom_safebox_participant_revoke(dom_ctx_t *c, const char *box_id, const char *pid,
	dom_err_t *e);
/* DELETE /v1/safeboxes/{id}: crypto-shreds every document of the box (keys,
 * then blobs); the box stays as a tombstone. Refused under a legal hold. */
int dom_safebox_delete(dom_ctx_t *c, const char *box_id, dom_err_t *e);
/* PUT (body {reason}) / DELETE (body NULL) of the legal hold on a box of account. */
int dom_safebox_hold(dom_ctx_t *c, const json_t *account, const char *box_id,
	const json_t *body, json_t **out, dom_err_t *e);
/* Adds data (len bytes) as the file filename of box_id, owned by c's
 * member, recorded as file.upload; for operations that fill a box they
 * made with the service's own data (gdpr.c: no scan, no profile size).
 * 0, or -1 with e. */
int dom_safebox_attach(dom_ctx_t *c, const char *box_id, const void *data, size_t len,
	const char *filename, const char *ctype, dom_err_t *e);
/* GET / PATCH /v1/accounts/{id}/safebox-profile. */
int dom_safebox_profile_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
int dom_safebox_profile_update(dom_ctx_t *c, const json_t *account, const json_t *body,
	json_t **out, dom_err_t *e);

/* ---- guests (safebox_guest.c) ----
 * A guest opens the box by the link mailed at creation (/g/TOKEN), asks
 * for a one-time code mailed to the address, and with it gets a session
 * (a cookie) that opens that box only. */
#define SAFEBOX_CODE_MINUTES 10          /* a code's lifetime */
#define SAFEBOX_CODE_ATTEMPTS 5          /* wrong codes before the link is locked */
#define SAFEBOX_CODE_RESEND_SECONDS 60   /* between two codes */
#define SAFEBOX_GUEST_SESSION_MINUTES 30 /* a guest session's lifetime */
#define SAFEBOX_CODE_LEN 6

/* What a guest request is about: its box and its participant (owned). */
typedef struct sb_guest {
	json_t *box, *part;
	bool verified; /* the request came with a live session of this participant */
	char actor[64]; /* "guest:sbp_…", the audit actor */
} sb_guest_t;
void sb_guest_clear(sb_guest_t *g);

/* The participant of link token; verified when session (the cookie's
 * value, or NULL) is a live session of it. Sets c->actor. -1 with e:
 * not-found (unknown or revoked link, deleted box), gone (closed or expired). */
int dom_sb_guest_open(dom_ctx_t *c, const char *token, const char *session, sb_guest_t *g,
	dom_err_t *e);
/* Mails a new code to the guest (forbidden when locked, rate-limited
 * within SAFEBOX_CODE_RESEND_SECONDS). */
int dom_sb_guest_code(dom_ctx_t *c, sb_guest_t *g, dom_err_t *e);
/* Checks code; a new session token into *session (caller frees). A wrong
 * or stale code counts as an attempt (kept although the request fails:
 * c->keep_on_error) and the SAFEBOX_CODE_ATTEMPTS-th locks the link. */
int dom_sb_guest_verify(dom_ctx_t *c, sb_guest_t *g, const char *code, char **session,
	dom_err_t *e);
/* The box as the verified guest sees it {subject, owner, status, expires_at,
 * messages, files, guest_download, guest_reply, email}; recorded (guest.open). */
int dom_sb_guest_view(dom_ctx_t *c, sb_guest_t *g, json_t **out, dom_err_t *e);
/* A file for the verified guest (when the profile allows downloads). */
int dom_sb_guest_download(dom_ctx_t *c, sb_guest_t *g, const char *file_id, unsigned char **data,
	size_t *len, char *name, size_t namelen, dom_err_t *e);
/* The verified guest's reply and upload (when the profile allows replies). */
int dom_sb_guest_reply(dom_ctx_t *c, sb_guest_t *g, const char *text, dom_err_t *e);
int dom_sb_guest_upload(dom_ctx_t *c, sb_guest_t *g, const void *data, size_t len,
	const char *filename, const char *ctype, dom_err_t *e);

/* A received fax delivered as a SafeBox (received_fax_mail = safebox, see
 * fax_inbound.c): in tx, a box of fax's account owned by member person_id, with
 * no other participant, named subject (cut to SAFEBOX_SUBJECT_MAX), that
 * holds pdf (len bytes) as the file FAX_ID.pdf under a key of its own; both
 * steps are events of the box and audit events of system:faxsvc. Its expiry
 * follows the account's SafeBox profile. The box's id into box_id, the
 * file's document into doc_id ("" until written: the caller removes its
 * blob when the transaction does not commit). 0 / -1. */
int safebox_from_fax(store_tx_t *tx, const fax_env_t *env, const json_t *fax,
	const char *person_id, const char *subject, const void *pdf, size_t len, char box_id[64],
	char doc_id[DOC_ID_MAX]);

/* Who receives a fax of the shared inbox as a SafeBox (security setting
 * shared_inbox_safebox): the ids of the account's active members who may
 * read the shared inbox (data.read, from their role or custom
 * permissions), oldest first; NULL on a store error. */
json_t *safebox_inbox_readers(store_tx_t *tx, const char *account_id);

/* The retention sweep's part (retention.c): deletes the box due ({id,
 * account_id, days, ended_at} as store_safebox_due answers) in a
 * transaction of its own, audited as safebox.retention_delete by
 * system:retention with the rule. 1 deleted, 0 no longer due (deleted or
 * held meanwhile), -1 store failure. */
int dom_safebox_sweep_one(store_t *st, const fax_env_t *env, const json_t *due, int64_t now);

/* Inside the SafeBox module: what safebox.c (members) and safebox_guest.c
 * (guests) share. Not for use elsewhere. */
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
