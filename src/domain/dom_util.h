/* Helpers shared by the domain's operation files (private to src/domain). */
#ifndef FV_DOM_UTIL_H
#define FV_DOM_UTIL_H

#include <jansson.h>
#include <stdbool.h>

#include "domain.h"

/* Rejects keys of body that are not in allowed (NULL-terminated). 0 / -1. */
int body_only(const json_t *body, const char *const *allowed, dom_err_t *e);
/* Reads a string member. required: missing is an error. *out borrowed from body. */
int body_str(const json_t *body, const char *key, bool required, const char **out, dom_err_t *e);
/* Same, checked as an e-mail address (lower-cased copy in out, EMAIL_MAX+1). */
int body_email(const json_t *body, const char *key, char *out, dom_err_t *e);
/* A text of 1 to max characters (bytes that are not UTF-8 continuation
 * bytes), without control characters but newlines. Not required and
 * absent: 0 with *out NULL. *out borrowed from body. */
int body_text(const json_t *body, bool required, const char *key, size_t max, const char **out,
	dom_err_t *e);
/* The id recorded as the author of a record: the caller's credential id,
 * else the system actor, else "system". Borrowed from c. */
const char *dom_actor_id(const dom_ctx_t *c);
/* Same, checked as a display name. */
int body_name(const json_t *body, const char *key, bool required, const char **out, dom_err_t *e);

/* RFC 3339 string of ms, or JSON null for a NULL/0 time (new reference). */
json_t *time_json(const json_t *ms);
/* Public view of a person record (new reference). */
json_t *person_public(const json_t *person);
/* The same with the permissions given (a credential's, which dom_me shows)
 * instead of the record's own. */
json_t *person_public_as(const json_t *person, perm_set_t perms);
/* Effective permissions of a person record. */
perm_set_t person_perms(const json_t *person);
/* Creates an invitation for principal_id: {token, expires_at} (new ref). */
json_t *invite(dom_ctx_t *c, const char *principal_id);
/* Inserts a new person record and answers its id (caller frees), or NULL with
 * e set (email-taken when the address is in use). */
char *person_insert(dom_ctx_t *c, const char *kind, const char *account_id,
	const char *partner_id, const char *email, const char *name, const char *role,
	perm_set_t custom, dom_err_t *e);
/* The person behind a single-use token (find: store_invitation_find or
 * store_reset_find, which leave it unused), if their status is `status`;
 * new reference or NULL. */
json_t *person_by_token(dom_ctx_t *c, char *(*find)(store_tx_t *, const char *, int64_t),
	const char *token, const char *status);
/* Marks a single-use token used (take: store_invitation_take or
 * store_reset_take). 0, or -1 when it is no longer usable. */
int token_use(dom_ctx_t *c, char *(*take)(store_tx_t *, const char *, int64_t), const char *token);
/* A failed use of a single-use token, e already filled: nothing of the token
 * is used up; the attempt is audited as `action` with outcome "failure" and
 * {reason} (never the token), in the person's account when the token named
 * one, and kept although the request fails (c->keep_on_error: nothing else
 * may have been written in c->tx). Returns -1. */
int token_attempt_failed(dom_ctx_t *c, const char *action, const json_t *person,
	const char *reason);
/* The answer to creating an invited person: audits `action` with detail,
 * then {person…, invitation: {token, expires_at}}. 0, or -1 with e. */
int invited_person_answer(dom_ctx_t *c, const char *id, const char *action,
	const char *account_id, const json_t *detail, json_t **out, dom_err_t *e);
/* Opens a session for person (active, checked by the caller): stores it,
 * clears the person's failed logins, audits session.create with detail
 * (borrowed, may be NULL) and answers {token, session_id, expires_at,
 * idle_expires_at} in *out. 0, or -1 with e. */
int session_open(dom_ctx_t *c, const json_t *person, const json_t *detail, json_t **out,
	dom_err_t *e);
/* Deprovisions member uid (C05): status "deprovisioned", no password, and
 * every session and API key of theirs revoked, in c->tx. STORE_OK or a
 * store error. The caller checks the rules and records the event. */
int member_deprovision(dom_ctx_t *c, const char *uid, int64_t now);
/* {items, next_cursor} from a store page, each item mapped by fn (new ref). */
json_t *page_json(store_page_t *pg, json_t *(*fn)(const json_t *));
/* String member of a record, "" when absent. */
const char *rec_str(const json_t *rec, const char *key);

/* Records the read that produced *out (owned, a record or an {items} page)
 * as the audit event `action` on target (detail: the number of items of a
 * page). 0; or -1 with e, *out released and NULL, when it cannot be
 * recorded: no customer data is answered without its event. */
int dom_read_audited(dom_ctx_t *c, const char *action, const char *target,
	const char *account_id, json_t **out, dom_err_t *e);
/* The same for a filtered list: filter (borrowed, may be NULL; only the
 * filter's known fields, never raw query text) goes in the detail too. */
int dom_read_audited_filter(dom_ctx_t *c, const char *action, const char *target,
	const char *account_id, const json_t *filter, json_t **out, dom_err_t *e);

#endif
