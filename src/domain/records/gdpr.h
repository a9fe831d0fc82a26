/* GDPR for one person (C12): the export of everything the service holds
 * about an account member, and their erasure, which pseudonymizes them in
 * the stored rows and in the audit chain without breaking its verification
 * (chain version 3, see audit.h). See docs/security.md ("GDPR export and
 * erasure").
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
#ifndef FV_DOMAIN_GDPR_H
#define FV_DOMAIN_GDPR_H

#include <jansson.h>

#include "domain.h"

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

#endif
