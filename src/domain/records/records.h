/* Backup keys: what makes old backups forget (docs/vault.md, "Backups that
 * forget").
 *
 * Every backup (`faxvaultd backup`, format 2) is encrypted under a key of
 * its own. That key is kept in one place only: a small file in the backup
 * key directory (backup.key_dir), sealed under the master key the backup
 * carries, bound to the backup's id and expiry. Neither the backup nor the
 * passphrase that opens its master key holds it. When the backup expires
 * (backup.retention_days after it was taken), the retention sweep
 * overwrites and removes that file: the backup's database, documents and
 * wrapped keys are then ciphertext under a key that exists nowhere
 * (crypto-shredding the whole backup, wherever its copies are).
 *
 * When the backup lies under the configured backup root (backup.root), the
 * sweep also removes it: the files its manifest lists, then its directory.
 * Copies made elsewhere are left where they are (unreadable all the same).
 *
 * File DIR/ID.key (mode 0600), JSON: format "faxvault-backup-key/1", id,
 * created_at, expires_at (RFC 3339), location (the backup's directory as
 * an absolute path when known; in the clear, it opens nothing),
 * master_fingerprint, sealed (the key
 * as vault_secret_seal text, provider scope, purpose "backup", owner
 * "ID-EXPIRES_MS": a file whose expiry was edited does not open). */

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_RECORDS_H
#define FV_DOMAIN_RECORDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "vault.h"

#define BACKUP_KEY_BYTES 32
/* "bk_" and 24 hex digits, NUL included. */
#define BACKUP_ID_LEN 28

/* Makes a new backup key for a backup taken at now into location (its
 * absolute directory; NULL: not recorded) that expires after days: writes
 * DIR/ID.key (DIR made 0700 if missing), fills id and key. 0, or -1 with
 * errno set (or EINVAL when the key would not seal). */
int backup_key_create(const vault_key_t *master, const char *dir, int64_t now, int days,
	const char *location, char id[BACKUP_ID_LEN], uint8_t key[BACKUP_KEY_BYTES]);

typedef enum {
	BACKUP_KEY_OK = 0,
	BACKUP_KEY_MISSING,  /* no file for this id in the directory */
	BACKUP_KEY_EXPIRED,  /* past its expiry (destroyed, or about to be) */
	BACKUP_KEY_BAD,      /* a file that does not open under this master key
				or names another expiry */
} backup_key_status_t;

/* Opens the key of backup id, expiring at expires_ms (from its manifest),
 * from DIR under master, as of now. */
backup_key_status_t backup_key_open(const vault_key_t *master, const char *dir, const char *id,
	int64_t expires_ms, int64_t now, uint8_t key[BACKUP_KEY_BYTES]);

/* One expired backup, as backup_keys_expire reports it. */
typedef struct {
	const char *id;
	int64_t created_ms, expires_ms;
	const char *location; /* where it was written (NULL: not recorded) */
	bool removed;         /* its files were removed from location */
	const char *kept;     /* why location was not removed (NULL: it was):
				 "location_unknown", "no_backup_root",
				 "outside_backup_root", "not_found",
				 "not_this_backup", "unreadable", or, when
				 removed, "other_files_in_directory" */
} backup_expired_t;

/* Destroys every key of DIR that has expired as of now: its expiry has
 * passed, or it is older than days (a shortened backup.retention_days
 * applies to backups already taken). For each, first the backup itself is
 * removed when it lies under root (backup_dir_remove; root NULL or "":
 * never), then its key file is overwritten with zeros, synced and removed,
 * then the directory synced; done(arg, x) is called for each (NULL: not).
 * Removing the backup first makes a crash in between harmless: the key,
 * still there, is found again by the next sweep. The number destroyed, or
 * -1 when DIR cannot be read (a missing DIR: 0). */
int backup_keys_expire(const char *dir, const char *root, int64_t now, int days,
	void (*done)(void *arg, const backup_expired_t *x), void *arg);

/* Removes the backup of key id written to location, if location is an
 * absolute path naming (after symbolic links are resolved, unchanged) a
 * directory strictly under root whose manifest.json names key id: the
 * files the manifest lists (index, data/NNNNNN), data/, manifest.json,
 * then the directory when nothing else is left in it. Nothing else is
 * ever removed. 1 removed (*kept "other_files_in_directory" when the
 * directory stayed, else NULL), 0 left alone (*kept says why), -1 when a
 * file could not be removed (*kept "unreadable"). */
int backup_dir_remove(const char *root, const char *location, const char *id, const char **kept);

/* Until when backups taken before now may still hold what is deleted now:
 * now + days, as RFC 3339 into out (>= 25 bytes). */
char *backup_hold_until(int64_t now, int days, char *out, size_t outlen);

/* Adds "backups_until" (backup_hold_until with the service's
 * backup.retention_days) to a deletion certificate's detail; nothing when
 * env says no retention. */
void backup_note_until(json_t *detail, const fax_env_t *env, int64_t now);

/* GDPR for one person (C12): the export of everything the service holds
 * about an account member, and their erasure, which pseudonymizes them in
 * the stored rows and in the audit chain without breaking its verification
 * (chain version 3, see audit.h). See docs/security.md ("GDPR export and
 * erasure").
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
/* Faxes listed in one export, newest first. */
#define GDPR_EXPORT_FAXES_MAX 1000

/* GET /v1/accounts/{id}/users/{user_id}/export: {format, generated_at,
 * person, memberships, sessions, api_keys, audit_events, faxes, safeboxes,
 * status_subscriptions, security_contacts, mails}; each fax names its
 * document's path. Audited as gdpr.export. */
int dom_member_export(dom_ctx_t *c, const json_t *account, const char *uid, json_t **out,
	dom_err_t *e);

/* The job that adds the fax documents to an export's SafeBox (queue.h). */
#define GDPR_EXPORT_JOB "gdpr_export"
/* Documents added to the box in one transaction of the job. */
#define GDPR_EXPORT_BATCH 8

/* POST /v1/accounts/{id}/users/{user_id}/export: the export delivered to
 * the person in a SafeBox owned by the caller (a member of the account,
 * not the person), the person a participant (a member, or a guest mailed
 * its link when no longer active). The box is made with export.json now;
 * the documents of every fax of the person (as stored, TIFF) are added by
 * a job of the queue (GDPR_EXPORT_JOB) that this request enqueues, and
 * that resumes without duplicates when it is interrupted. Answers (202)
 * {export_id, status, safebox_id, user_id, email, documents}. Audited as
 * gdpr.export and gdpr.export_queued, then gdpr.export_delivered (success,
 * or failure when the job gives up) by the job, the box's steps as
 * safebox.*. */
int dom_member_export_deliver(dom_ctx_t *c, const json_t *account, const char *uid,
	const json_t *body, json_t **out, dom_err_t *e);
/* GET /v1/accounts/{id}/exports/{export_id}: {id, status (queued, running,
 * done, failed), user_id, safebox_id, documents, documents_added,
 * attempts, last_error, created_at, finished_at}. */
int dom_member_export_status(dom_ctx_t *c, const json_t *account, const char *export_id,
	json_t **out, dom_err_t *e);
/* The fax documents of uid ({fax_id, doc_id}, newest first, every one)
 * appended to docs: 0, or -1 on a store error. */
int gdpr_fax_docs(dom_ctx_t *c, const char *account_id, const char *uid, json_t *docs);

/* Registers the export job's handler with q (gdpr_job.c). */
struct queue;
int gdpr_export_register(struct queue *q, const dom_config_t *cfg);

/* POST /v1/accounts/{id}/users/{user_id}/erase {mfa_code?}: the member is
 * deprovisioned (sessions and API keys revoked), their e-mail address,
 * name, second factor and session addresses replaced or cleared, and the
 * audit events of the account that name them rewritten: their address and
 * name become the pseudonym, the source address of what they did is
 * cleared. The owner cannot be erased (owner-protected); an account under
 * legal hold, or with a sent fax naming them under a legal hold, answers 409
 * legal-hold. A caller with a second factor sends a current code. The
 * documents of sent faxes whose header line or cover subject named them
 * are drawn again with the pseudonym once the erasure is committed
 * (docrewrite.h). Answers {user_id, pseudonym, audit_events_redacted,
 * audit_events_not_redactable, other_rows, documents: {rewritten,
 * pending}}. Audited as gdpr.erase. */
int dom_member_erase(dom_ctx_t *c, const json_t *account, const char *uid, const json_t *body,
	json_t **out, dom_err_t *e);

/* Retention (C09): how long an account keeps its faxes, legal holds that
 * stop deletion, and the sweep that deletes what a policy made due.
 * See docs/fax-service.md ("Retention and legal holds").
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
/* Days a policy may name: 1 to RETENTION_DAYS_MAX (100 years). */
#define RETENTION_DAYS_MAX 36500
/* Characters of a legal hold's reason. */
#define RETENTION_REASON_MAX 200

/* Whether fax record f is held: by a hold on the fax or on its account. */
bool dom_retention_held(store_tx_t *tx, const json_t *f);

/* GET /v1/accounts/{id}/retention: {account_id, inbound_fax_days,
 * outbound_fax_days, safebox_days (null: keep), legal_hold: {held, reason},
 * bounds: {min_days, max_days}, updated_at}. */
int dom_retention_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* PATCH: any of the three numbers of days (an integer, or null for keep),
 * legal_hold (boolean) and legal_hold_reason (required to set a hold);
 * within the provider's bounds (retention.min_days, retention.max_days). */
int dom_retention_update(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* PUT (body {reason}) or DELETE (body NULL) of the hold on one fax of the
 * account: the fax as GET /v1/faxes/{id} shows it. */
int dom_fax_hold(dom_ctx_t *c, const json_t *account, const char *fax_id, const json_t *body,
	json_t **out, dom_err_t *e);

/* One pass of the sweep at now: deletes up to limit due faxes and up to
 * limit due SafeBoxes (each in its own transaction, audited as
 * fax.retention_delete or safebox.retention_delete by system:retention
 * with the rule that made it due). The number deleted, or -1 when the store
 * failed. Idempotent: a fax deleted twice is not found the second time. */
int dom_retention_sweep(store_t *st, const fax_env_t *env, int64_t now, int limit);

#endif
