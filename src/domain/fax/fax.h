/* Faxes: submission (render, encrypt, queue), the inbox and outbox, cancel
 * and resend, documents and page previews, CDRs and their CSV export, the
 * rate table, the retry policy, and the functions the fax runner
 * (src/faxsvc) calls without a request. See docs/fax-service.md.
 *
 * API operations follow domain.h (c->tx, 0 with *out a new reference, or -1
 * with e). Runner functions open their own transactions on st and log what
 * fails; they return 0 (or a count), or -1. */
#ifndef FV_DOMAIN_FAXES_H
#define FV_DOMAIN_FAXES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "domain.h"
#include "e164.h"
#include "faxenv.h"
#include "result.h"
#include "store.h"

#define FAX_TO_MAX 50              /* recipients of one submission */
#define FAX_TEXT_MAX 2000          /* bytes of cover_text */
#define FAX_LINE_MAX 120           /* bytes of cover_subject and header_text */
#define FAX_RETRIES_MAX 10
#define FAX_DELAY_MIN 30
#define FAX_DELAY_MAX 86400
#define FAX_ACCOUNT_MAX_CALLS 4    /* outbound calls of one account at once */
#define FAX_RATES_MAX 10000        /* prefixes of the rate table */

/* ---- submission fields (pure, fuzzed by fuzz/domain/fax_fields) ---- */

typedef struct fax_opts {
	char to[FAX_TO_MAX][E164_MAX + 1];
	int nto;
	const char *cover_text, *cover_subject, *header_text; /* borrowed from the fields, or NULL */
	int64_t send_at;           /* ms, 0 when not given */
	int retries;
	int retry_delay_seconds;
	int fine;
} fax_opts_t;

/* Reads the form fields of a submission: fields is an object of name ->
 * array of string values (a field may repeat). Fills o (strings borrowed
 * from fields) and answers 0, or -1 with e (validation-failed or
 * destination-not-allowed, naming the field). Unknown fields are refused.
 * Routes are not checked here. Pure. */
int fax_opts_parse(const json_t *fields, fax_opts_t *o, dom_err_t *e);

/* ---- retry policy (pure, retry.c) ---- */

typedef struct retry_in {
	int ok;                 /* the call ended well */
	const char *fail_class; /* as fax_result_t (busy, no_answer, rejected, not_a_fax,
				   t30_error, partial, network), "" when ok */
	const char *reason;     /* person-readable reason of the call, or "" */
	int attempts_made;      /* including the one that just ended */
	int retries;            /* retries allowed after the first attempt */
	int retry_delay_seconds;
	int pages_done;         /* pages confirmed (or not to send) over all attempts */
	int pages_confirmed;    /* pages confirmed over all attempts */
	int page_count;
	int ecm, max_rate;      /* what the attempt used */
} retry_in_t;

typedef struct retry_out {
	int final;              /* 1: status is final */
	char status[12];        /* delivered, partial, failed, or queued (retry) */
	int64_t delay_ms;       /* retry: after this */
	int ecm, max_rate;      /* retry: the next attempt's */
	char failure_class[16]; /* "" when delivered */
	char failure_reason[256];
} retry_out_t;

void retry_decide(const retry_in_t *in, retry_out_t *out);

/* ---- CSV (pure, cdrs.c) ---- */
/* Appends s as one RFC 4180 field (quoted when it holds a comma, a quote,
 * CR or LF, or starts with a blank; quotes doubled). 0 / -1 (buffer full). */
int csv_field(buf_t *b, const char *s);
/* The CDRs (API form, as dom_cdr_list answers them) as CSV with a header
 * line, CRLF line ends. New string, the caller frees. */
char *cdr_csv(const json_t *items);

/* The API form of an attempt / CDR record (new reference); shared by
 * faxes.c and cdrs.c. */
json_t *fax_attempt_json(const json_t *a);

/* audit_record / dom_audit taking over detail (owned, may be NULL); shared
 * by faxes.c, cdrs.c and rates.c. */
int fax_audit(store_tx_t *tx, const audit_ctx_t *actor, const char *action, const char *target,
	const char *account_id, const char *outcome, json_t *detail);
int fax_audit_c(dom_ctx_t *c, const char *action, const char *target, const char *account_id,
	const char *outcome, json_t *detail);

/* Deletes fax record f in tx: the row becomes a tombstone, an audit event
 * action records it as actor (detail, owned, may be NULL, gains direction
 * and document_destroyed), and its document is crypto-shredded when no
 * other live fax uses it. 0, or -1 (the caller rolls back). Callers check
 * legal holds first. Shared by DELETE /v1/faxes/{id} and the retention
 * sweep. */
int fax_destroy_tx(store_tx_t *tx, const fax_env_t *env, const audit_ctx_t *actor,
	const json_t *f, const char *action, json_t *detail, int64_t now);

/* Fax to e-mail: the received fax fax_id of account_id as a PDF for mail
 * mail_id to address to, in *data (caller frees) and *len; the read is
 * audited (fax.document.mailed by system:mail). 0, 1 when the fax or its
 * document is gone (deleted meanwhile: nothing to send), -1 on error. */
int fax_pdf_for_mail(store_t *st, const fax_env_t *env, const char *account_id,
	const char *fax_id, const char *mail_id, const char *to, unsigned char **data, size_t *len);
/* The delivery report's thumbnail: the first page of fax fax_id as a grey
 * PNG FAX_THUMB_WIDTH pixels wide, drawn by the renderer helper (the
 * sandbox) from the fax's own document; audited as fax_pdf_for_mail is
 * (fax.document.mailed, part "thumbnail"). Same returns. */
#define FAX_THUMB_WIDTH 400
int fax_thumb_for_mail(store_t *st, const fax_env_t *env, const char *account_id,
	const char *fax_id, const char *mail_id, const char *to, unsigned char **data, size_t *len);

/* ---- API operations ---- */

typedef struct fax_file {
	const void *data;
	size_t len;
} fax_file_t;

/* POST /v1/faxes: fields as fax_opts_parse takes them, files the uploaded
 * documents in order. Answers {items: [fax…]} (one per recipient). */
int dom_fax_submit(dom_ctx_t *c, const json_t *fields, const fax_file_t *files, int nfiles,
	json_t **out, dom_err_t *e);
/* POST /v1/faxes/quote: a send's form (fields and documents), or its
 * fields with "pages" instead of documents. With "pages": answers at once
 * {pages, currency, items: [{to, reachable, price_per_page, pages, amount,
 * currency}], total, plan, balance_minor?, available_minor?, allowed,
 * refusal?: {reason, detail}}, audited as fax.quote; nothing is charged or
 * queued. With documents: what needs no rendering is checked now (type,
 * size, anti-virus), the documents are stored encrypted with a quote job
 * (FAX_QUOTE_JOB), and the answer is {id, status: "rendering",
 * created_at} (audited as fax.quote_queued); the job renders them as a
 * send does (cover page included), prices the pages, audits fax.quote and
 * shreds the documents. */
int dom_fax_quote(dom_ctx_t *c, const json_t *fields, const fax_file_t *files, int nfiles,
	json_t **out, dom_err_t *e);
/* GET /v1/faxes/quotes/{quote_id}: the quote of documents as the job made
 * it, for the member who asked (anyone else: not-found): {id, created_at,
 * status: "rendering" | "ready" | "failed"}, with the quote's fields when
 * ready, problem {type, detail} when failed; audited as fax.quote_read.
 * Found until the job is purged (queue.retention_days). */
int dom_fax_quote_get(dom_ctx_t *c, const char *quote_id, json_t **out, dom_err_t *e);
/* query: {direction, status, q, since, until} strings: q (at most
 * FAX_SEARCH_MAX bytes) is looked for, case aside, in the fax's id and
 * cover subject, and its digits in the sending and receiving numbers;
 * since and until (RFC 3339) bound the creation time, both included. */
#define FAX_SEARCH_MAX 100
int dom_fax_list(dom_ctx_t *c, const json_t *query, const char *cursor, int limit, json_t **out,
	dom_err_t *e);
int dom_fax_get(dom_ctx_t *c, const char *fax_id, json_t **out, dom_err_t *e);
int dom_fax_cancel(dom_ctx_t *c, const char *fax_id, json_t **out, dom_err_t *e);
/* Deletes a fax that is no longer in progress (delivered, partial, failed,
 * cancelled; else invalid-state): its row stays as a tombstone for its
 * attempts, its document is crypto-shredded (wrapped key, then blob) unless
 * a live resend still uses it; audited as fax.delete. */
int dom_fax_delete(dom_ctx_t *c, const char *fax_id, dom_err_t *e);
/* body {pages: "failed"|"all"}: a new fax of the same document; answers {items: [fax]}. */
int dom_fax_resend(dom_ctx_t *c, const char *fax_id, const json_t *body, json_t **out,
	dom_err_t *e);
/* The fax's document as PDF into *data (malloc'd, caller frees). */
int dom_fax_document(dom_ctx_t *c, const char *fax_id, unsigned char **data, size_t *len,
	dom_err_t *e);
/* Page `page` ("3") as PNG, width "" / NULL for the fax's own width. */
int dom_fax_page(dom_ctx_t *c, const char *fax_id, const char *page, const char *width,
	unsigned char **data, size_t *len, dom_err_t *e);
/* query: {since, until, direction, result}. csv non-NULL: every matching CDR
 * as CSV into *csv (caller frees), *out NULL. */
int dom_cdr_list(dom_ctx_t *c, const json_t *account, const json_t *query, const char *cursor,
	int limit, char **csv, json_t **out, dom_err_t *e);
/* The rates of one currency (NULL: the provider's default). */
int dom_rates_get(dom_ctx_t *c, const char *currency, json_t **out, dom_err_t *e);
/* {currency?, rates: [{prefix, price_per_page}]}: replaces the table of that
 * currency (default: the provider's). */
int dom_rates_put(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e);

/* ---- the runner (no request context) ---- */

typedef struct fax_job {
	char fax_id[64], account_id[64], user_id[64], attempt_id[64], doc_id[64];
	char to[32], from[32];
	json_t *trunk;      /* owned: as dom_trunk_for() answers */
	json_t *alternates; /* owned: the trunks to fail over to, in order (dom_trunks_for) */
	int first_page;     /* 1-based: first page not yet confirmed */
	int page_count;
	int attempt;        /* 1 for the first */
	int ecm, max_rate, t38; /* as the retry policy chose: ecm 0/1, 9600|14400, t38 0 (refuse) 1 (offer) 2 (accept only) */
	int remembered;     /* 1: ecm, max_rate and t38 come from what last worked for this number (faxdest.h) */
	int64_t started_at;
} fax_job_t;
void fax_job_clear(fax_job_t *j); /* frees trunk and alternates */
/* Claims up to max due faxes (queued, next_attempt_at <= now, within the per-account and per-trunk concurrency limits), marks them sending with a new attempt row in_progress naming node, in one write transaction. Returns how many (0..max) or -1. */
int dom_fax_claim(store_t *st, const fax_env_t *env, const char *node, int64_t now, int max, fax_job_t *jobs);
/* A page was confirmed (MCF) during the call: persisted at once (crash safety). page is 1-based in the whole document. */
int dom_fax_page_confirmed(store_t *st, const fax_job_t *job, int page);
/* The call ended: closes the attempt (the CDR: times, pages, transport, rate, ECM, remote ident, T.30 code/text, failure class), updates the pages and the fax, applies the retry policy (retry.c) and the final status, cost, webhook event, audit. */
int dom_fax_finish(store_t *st, const fax_env_t *env, const fax_job_t *job, const fax_result_t *r);
/* 1 when a call that ended with r should be tried again at once over the
 * next trunk (failover): nothing answered, or 503, 408 or 500 to the
 * INVITE, and no page went through. Pure. */
int dom_fax_failover_wanted(const fax_result_t *r);
/* Moves job to its next alternate trunk: closes the attempt (its CDR, with
 * failover_to naming that trunk), opens a new attempt in progress on it,
 * and updates job (attempt, attempt_id, started_at, trunk, t38). The retry
 * count is not touched: a failover is the same try over another trunk.
 * 0 done; 1 nothing to do (no alternate left, or the fax is no longer
 * sending: finish it as usual); -1 store error. */
int dom_fax_failover(store_t *st, const fax_env_t *env, fax_job_t *job, const fax_result_t *r);
/* Decrypts the job's document (the whole TIFF-F) into path, a file in a
 * private work directory (dom_workdir_new). 0 / -1. */
int dom_fax_job_tiff(store_t *st, const fax_env_t *env, const fax_job_t *job, const char *path);
/* 1 when the fax was cancelled since it was claimed (the runner then hangs up). */
int dom_fax_cancelled(store_t *st, const char *fax_id);
/* At start: attempts in_progress of node (or of any node, older than stale_ms) become interrupted, their faxes queued again at once (confirmed pages kept); submissions left rendering without a render job (accepted before rendering moved to the queue) are rendered again. Returns how many faxes were recovered, or -1. */
int dom_fax_recover(store_t *st, const fax_env_t *env, const char *node, int64_t now, int64_t stale_ms);
/* One attempt of this node whose call was cut by the engine's process dying
 * (the SIP front end): interrupted as dom_fax_recover does, its fax queued
 * again at once from its first unconfirmed page. 1 when requeued or ended,
 * 0 when the attempt is no longer this node's, -1 on a store failure. */
int dom_fax_interrupted(store_t *st, const fax_env_t *env, const fax_job_t *job);
/* Several nodes on one database: pushes the lease of every attempt node has
 * in progress to now + the lease (fax_env_lease_ms). The number renewed, or
 * -1. Run by each node well within the lease while it lives. */
int dom_fax_lease_renew(store_t *st, const fax_env_t *env, const char *node, int64_t now);
/* Attempts in progress of other nodes whose lease passed before now (their
 * node died, or stopped renewing): each becomes interrupted, its fax queued
 * again at once from its first unconfirmed page (confirmed pages are never
 * sent again), as dom_fax_recover does at a start. The number of faxes taken
 * over, or -1. */
int dom_fax_take_over(store_t *st, const fax_env_t *env, const char *node, int64_t now);
/* An inbound fax was received into tiff_path for route ({number, account_id, route_to, trunk_id} as dom_number_inbound answers): encrypts the TIFF as a document, inserts the inbound fax (status delivered, or partial/failed per r) with its CDR, emits fax.received, audits. fax_id_out receives the id. */
/* Audits (system:faxsvc, action fax.inbound.refused, outcome failure) a
 * carrier call refused that concerns account_id: the number called, the
 * trunk it came by, the SIP status sent and why ("account_max_calls",
 * "trunk_max_calls"). 0 / -1. */
/* ---- the render job (fax_render_job.c) ----
 * A submission answers 202 once its originals are stored: the faxes are in
 * status rendering, and a job of the queue (queue.h) of kind FAX_RENDER_JOB,
 * enqueued in the same transaction, renders the originals, counts the
 * pages, checks the plan's quotas and the prepaid balance against them
 * (billing_submit_check, as the submitter) and moves the faxes to queued
 * (webhook fax.queued, audit fax.rendered), or to failed with a failure
 * class (document, too_many_pages, quota_exceeded, insufficient_credit)
 * and a reason in the submitter's language (webhook fax.failed, audit
 * fax.failed, a fax by e-mail's report mail). A renderer that cannot run
 * (fork, disk) is tried again, FAX_RENDER_ATTEMPTS times in all. */
#define FAX_RENDER_JOB "render"
#define FAX_RENDER_ATTEMPTS 4
struct queue;
/* Enqueues the rendering of submission_id in tx (source and request_id:
 * the request's, for the audit of a refusal). 0, or -1. */
int fax_render_enqueue(store_tx_t *tx, const char *account_id, const char *submission_id,
	const char *source, const char *request_id);
/* Registers the kind's handler on q (before queue_start); cfg->fax is the
 * fax environment (a node without it retries later). 0, or -1. */
int fax_render_register(struct queue *q, const dom_config_t *cfg);
/* The quote job (fax_quote_job.c): a quote's documents rendered and
 * priced off the request (dom_fax_quote); registered like the render
 * job, tried FAX_RENDER_ATTEMPTS times. */
#define FAX_QUOTE_JOB "quote"
int fax_quote_register(struct queue *q, const dom_config_t *cfg);

/* Outbound faxes by open status (rendering, queued, sending; 0 when none)
 * into the counts; 0, or -1 when the store fails. */
int dom_fax_queue_depth(store_t *st, int *rendering, int *queued, int *sending);
int dom_fax_inbound_refused(store_t *st, const char *account_id, const char *number,
	const char *trunk_id, int sip_status, const char *why);
int dom_fax_inbound(store_t *st, const fax_env_t *env, const json_t *route, const char *tiff_path, const fax_result_t *r, char fax_id_out[64]);

#endif
