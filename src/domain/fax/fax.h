/* Faxes: submission (render, encrypt, queue), the inbox and outbox, cancel
 * and resend, documents and page previews, CDRs and their CSV export, the
 * rate table, the retry policy, and the functions the fax runner
 * (src/faxsvc) calls without a request. See docs/fax-service.md.
 *
 * API operations follow domain.h (c->tx, 0 with *out a new reference, or -1
 * with e). Runner functions open their own transactions on st and log what
 * fails; they return 0 (or a count), or -1. */

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_FAX_H
#define FV_DOMAIN_FAX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keyd.h"
#include "numbers/numbers.h"
#include "result.h"
#include "sec.h"
#include "store.h"
#include "vault.h"

/* What the fax operations of the domain need from the running service:
 * where documents live, the master key of the vault, and the limits the
 * provider set. Filled by the daemon from its configuration; borrowed by
 * the domain (dom_config_t.fax) for the life of the service. */
typedef struct fax_env {
	keyd_client_t *keys;       /* the key holder process (the service) */
	const vault_key_t *master; /* or the master key in this process (tests, tools);
				      neither: fax documents are unavailable (503) */
	const char *doc_dir;       /* encrypted document blobs (DOC_ID.fvb) */
	const char *work_dir;      /* parent of private per-job temporary directories (0700),
				      each wiped when its job ends */
	int max_pages;             /* page cap of one submission (cover included) */
	int render_timeout_ms;     /* wall-clock cap of rendering one document */
	const char *loopback_sip;  /* "IP:PORT" of the loopback trunk's SIP listener */
	const char *webhook_allow; /* CIDRs webhook URLs may resolve to despite being
				      loopback, private or link-local ("" : none) */
	int number_quarantine_days; /* a released number returns to inventory after this */
	const char *currency;      /* default currency of accounts (ISO 4217) */
	int account_max_calls;     /* outbound calls of one account at once (0: FAX_ACCOUNT_MAX_CALLS) */
	const char *render_helper; /* the renderer helper program (render_default_helper());
				      every render_* call of the service sets
				      render_opts.helper_path to it. NULL only in tools */
	bool mail_on;              /* mail.relay is set: received faxes are mailed (mailq.h) */
	const char *clamd;         /* the scanner of uploads (av.clamd; "" or NULL: none) */
	int av_timeout_ms;         /* one scan */
	bool av_fail_open;         /* accept uploads while the scanner is unreachable */
	int safebox_max_days;      /* ceiling of a SafeBox's expiry (0: SAFEBOX_DAYS_DEFAULT_MAX) */
	int lease_ms;              /* how long a claimed fax job stays this node's without
				      its lease renewed (fax.lease_seconds; 0: FAX_LEASE_MS_DEFAULT) */
	const char *backup_key_dir; /* the backups' keys (backup.key_dir; NULL: not swept) */
	int backup_retention_days; /* a backup expires after this (0: not said in certificates) */
	const char *backup_root;   /* expired backups under it are removed (backup.root; "": none) */
	const char *test_render_hold; /* tests only: while this file exists, a stored
				      submission's rendering waits ("" or NULL: never) */
} fax_env_t;

/* The lease of a fax job when fax.lease_seconds is not given (tools, tests). */
#define FAX_LEASE_MS_DEFAULT 120000

static inline int64_t fax_env_lease_ms(const fax_env_t *env)
{
	return env && env->lease_ms > 0 ? env->lease_ms : FAX_LEASE_MS_DEFAULT;
}

/* What fax.currency defaults to; used only where no env is given (tools,
 * tests): the service always passes the provider's setting. */
#define FAX_CURRENCY_DEFAULT "EUR"

/* Whether env can reach keys (the key holder, or a master key here). */
static inline bool fax_env_has_keys(const fax_env_t *env)
{
	return env && (env->keys || env->master);
}

/* How to reach them (keyd.h). */
static inline keyd_target_t fax_env_keys(const fax_env_t *env)
{
	return (keyd_target_t){ .client = env->keys, .master = env->master, .doc_dir = env->doc_dir };
}

/* The currency of an account that has none of its own: the provider's
 * (fax.currency). Static or env's storage. */
static inline const char *fax_env_currency(const fax_env_t *env)
{
	return env && env->currency && *env->currency ? env->currency : FAX_CURRENCY_DEFAULT;
}
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

struct queue_job;
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
	/* The send job running the call (borrowed), or NULL: the transaction
	 * that makes the fax final (dom_fax_finish) ends it too. */
	const struct queue_job *send_job;
} fax_job_t;
void fax_job_clear(fax_job_t *j); /* frees trunk and alternates */
/* ---- sends on the job queue ----
 * Each outbound fax that is due or will be (queued, or sending) has one
 * job of kind FAX_SEND_JOB (ref: the fax id; migration 0067 keeps it one),
 * enqueued in the transaction that makes the fax queued (rendered, resent,
 * a retry scheduled, an attempt interrupted). The fax service runs it
 * (faxsvc_sends): the fax claimed in the transaction that claims the job
 * (dom_fax_claim_tx, the kind's claim hook), else dom_fax_claim_one, the
 * call, then the job queued again at the fax's next attempt while the fax
 * is not final. */
#define FAX_SEND_JOB "send"
/* An account held (fraud, unpaid): its faxes are looked at again this
 * often. */
#define FAX_HELD_RETRY_MS 60000
/* Claims fax_id for a call when it is due (queued, next_attempt_at <= now,
 * within the per-account and per-trunk call limits): marks it sending with a
 * new attempt row in_progress naming node, in one write transaction. 1 claimed
 * into *job; 0 not now, *again the time to look again (busy_ms on when no
 * trunk or the account is at its call limit; the next attempt's time; the
 * lease's end of an attempt of another run still in progress), or -1 when
 * there is nothing more to send (final, ended here, not an outbound fax).
 * An attempt in progress whose lease passed (its node died) is taken over
 * first: interrupted, as dom_fax_take_over does. -1 on a store error. */
int dom_fax_claim_one(store_t *st, const fax_env_t *env, const char *node, const char *fax_id,
	int64_t now, int64_t busy_ms, fax_job_t *job, int64_t *again);
/* The same in the caller's write transaction tx (the queue's claim of the
 * send job: one commit for both), which must commit before the call; -1
 * on a store error (tx must be rolled back). "fax.claimed" is logged by
 * dom_fax_log_claimed once tx has committed. */
int dom_fax_claim_tx(store_tx_t *tx, const fax_env_t *env, const char *node, const char *fax_id,
	int64_t now, int64_t busy_ms, fax_job_t *job, int64_t *again);
void dom_fax_log_claimed(const fax_job_t *job);
/* When fax_id is next to be looked at by its send job: *at its next
 * attempt (queued), now (sending), -1 (final or gone). 0, or -1. */
int dom_fax_send_next(store_t *st, const char *fax_id, int64_t *at);
/* The safety net: enqueues the send job of at most limit outbound faxes
 * queued or sending that have none (a fax queued before sends were jobs).
 * The number, or -1. */
int dom_fax_send_jobs(store_t *st, int limit);
/* A page was confirmed (MCF) during the call: persisted at once (crash safety). page is 1-based in the whole document. */
int dom_fax_page_confirmed(store_t *st, const fax_job_t *job, int page);
/* The call ended: closes the attempt (the CDR: times, pages, transport, rate, ECM, remote ident, T.30 code/text, failure class), updates the pages and the fax, applies the retry policy (retry.c) and the final status, cost, webhook event, audit. */
int dom_fax_finish(store_t *st, const fax_env_t *env, const fax_job_t *job, const fax_result_t *r);
/* dom_fax_finish with the call's end at ended_at (ms), not now: its end
 * recorded again after the store refused it (no primary answered). */
int dom_fax_finish_at(store_t *st, const fax_env_t *env, const fax_job_t *job, const fax_result_t *r,
	int64_t ended_at);
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
/* The same for n faxes in one read transaction: cancelled[i] 1 or 0. 0, or -1 on error. */
int dom_fax_cancelled_n(store_t *st, const char (*fax_ids)[64], int n, int *cancelled);
/* At start: attempts in_progress of node (or of any node, older than stale_ms) become interrupted, their faxes queued again at once (confirmed pages kept); submissions left rendering without a render job (accepted before rendering moved to the queue) are rendered again. Returns how many faxes were recovered, or -1. */
int dom_fax_recover(store_t *st, const fax_env_t *env, const char *node, int64_t now, int64_t stale_ms);
/* One attempt of this node whose call was cut by the engine's process dying
 * (the SIP front end): interrupted as dom_fax_recover does, its fax queued
 * again at once from its first unconfirmed page. 1 when requeued or ended,
 * 0 when the attempt is no longer this node's, -1 on a store failure. */
int dom_fax_interrupted(store_t *st, const fax_env_t *env, const fax_job_t *job);
/* Pushes the lease of job's attempt on to now + the lease, in tx: the call
 * runs (its send job's renewer). STORE_OK, STORE_NOTFOUND (ended, or taken
 * over), STORE_ERROR. Only the attempts of calls running are held: one
 * whose end could not be recorded (no primary) lets its lease pass, and
 * its fax's send job takes it over. */
int dom_fax_attempt_hold(store_tx_t *tx, const fax_env_t *env, const fax_job_t *job, int64_t now);
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
/* Tests only (testing.inbound_store_fail, testing.inbound_commit_lost):
 * the next commit_lost stores of a received fax commit and answer failure
 * (a commit whose answer was lost), and after them the next fail stores
 * are refused, each having named its fax. Process-wide; 0, 0 turns both off. */
void dom_fax_inbound_test_hooks(int fail, int commit_lost);

/* Anti-virus on the ways in (P08): every uploaded file is scanned by clamd
 * (fax.clamd / av.clamd) before anything of it is kept. */
/* Scans data (len bytes, field names the upload: "file", "loa") for the
 * caller's account when a scanner is configured; 0 clean or not scanned.
 * Infected: 422 malware-detected, the refusal audited (upload.malware_refused,
 * kept although the request fails). Scanner unreachable: 503 unavailable,
 * unless the provider chose av.fail_open (then 0, logged and counted).
 * Pauses the request's transaction while the scanner reads. */
int dom_av_check(dom_ctx_t *c, const char *account_id, const char *field, const void *data,
	size_t len, dom_err_t *e);

/* Scans so far, by outcome (for /metrics). */
void dom_av_counts(unsigned long long *clean, unsigned long long *infected,
	unsigned long long *errors, unsigned long long *failed_open);

/* Documents at rest (docs/fax-service.md, "Documents at rest"): every fax
 * document is a row of `documents` and an encrypted blob DOC_DIR/ID.fvb
 * under its own key, wrapped by the account's key (created on first use,
 * stored wrapped by the master key in account_keys). Plain files exist only
 * in private work directories (WORK_DIR/job-XXXXXX, 0700) wiped after each
 * job.
 *
 * The _tx variants serve callers without a request (the fax runner); the
 * others take the request's context and its transaction c->tx. All return
 * 0, or -1 (with e set where there is an e). Nothing here logs content. */
#define DOC_ID_MAX 64

/* Encrypts data[0..len) as a new document of account_id and inserts its row
 * in c->tx; the id ("doc_…") goes to doc_id. kind: "original", "fax",
 * "received", "loa", … */
int dom_doc_put(dom_ctx_t *c, const char *account_id, const char *kind, const void *data,
	size_t len, char doc_id[DOC_ID_MAX], dom_err_t *e);
/* The same from a file (read whole; documents are at most RENDER_INPUT_MAX). */
int dom_doc_put_file(dom_ctx_t *c, const char *account_id, const char *kind, const char *path,
	char doc_id[DOC_ID_MAX], dom_err_t *e);
/* Decrypts document doc_id of account_id into the file path (created 0600;
 * put it in a work directory). */
int dom_doc_get_file(dom_ctx_t *c, const char *account_id, const char *doc_id, const char *path,
	dom_err_t *e);
/* Destroys a document: its row (the wrapped key) in c->tx, then its blob
 * once c->tx has committed (doc_shred_tx). */
int dom_doc_shred(dom_ctx_t *c, const char *account_id, const char *doc_id, dom_err_t *e);

/* Removes the blob of a document whose row (its wrapped key) a committed
 * transaction already deleted: 0 (also when there was none), or -1. */
int doc_blob_remove(const fax_env_t *env, const char *doc_id);

/* Without a request. pages < 0: unknown. The account key is unwrapped (or
 * created) through tx. */
int doc_put_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id, const char *kind,
	const void *data, size_t len, int pages, char doc_id[DOC_ID_MAX]);
int doc_put_file_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *kind, const char *path, int pages, char doc_id[DOC_ID_MAX]);
/* The same from fd (borrowed: a regular file or a memfd, read from
 * offset 0 to its end, at most RENDER_INPUT_MAX bytes). */
int doc_put_fd_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *kind, int fd, int pages, char doc_id[DOC_ID_MAX]);
int doc_get_file_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *doc_id, const char *path);
/* The same into fd (written from its offset; a memfd keeps the plaintext
 * off the disk). 0 / -1. */
int doc_get_fd_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *doc_id, int fd);
/* Destroys a document: its row (the wrapped key) in tx, its blob once tx
 * has committed, in the committing thread before store_commit returns; a
 * rollback or a failed commit keeps both. A crash between the commit and
 * the removal leaves a blob without a row, for dom_docs_sweep_orphans.
 * 0, or -1 on a store error. */
int doc_shred_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *doc_id);

/* The key of account_id as stored (wrapped by the master key) into
 * wrapped; when there is none and create is set, a new one is made and
 * stored through tx (a write transaction). 0, or -1 (no master key, no key
 * and create unset, or the store failed). */
int doc_account_key_wrapped(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	bool create, uint8_t wrapped[VAULT_WRAPPED_LEN]);

/* "unavailable" when the last document or key operation of this thread
 * failed because the key holder did not answer (a 503 that a retry may
 * cure), else "internal". Static storage. */
const char *doc_failure_kind(void);

/* A new private work directory env->work_dir/job-XXXXXX (0700) into out. */
int dom_workdir_new(const fax_env_t *env, char *out, size_t outlen);
/* Removes the directory and every file in it (flat). NULL or "" is a no-op. */
void dom_workdir_wipe(const char *path);
/* At start: removes every job-* directory left in env->work_dir. Returns how many. */
int dom_workdir_sweep(const fax_env_t *env);
/* Removes blobs of env->doc_dir that have no documents row, and the
 * writer's temporary files, last written min_age_s seconds ago or more (0:
 * all, when no other writer can run; see ORPHAN_MIN_AGE_S in faxsvc.c).
 * Returns how many were removed, or -1. */
int dom_docs_sweep_orphans(store_t *st, const fax_env_t *env, int min_age_s);

/* Per-destination memory (issue 12, "adaptive per-destination fallback"):
 * what last worked for a number over a trunk (T.38 or G.711, ECM, the rate
 * the call trained at) is the first choice of the next fax's first call
 * there, so a carrier path that refuses T.38 is not offered it again on
 * every fax, and a line that only trains at 9600 bit/s starts there.
 *
 * Kept per (trunk, number) in the store (fax_destinations), learned when a
 * call confirms a page, forgotten when a call made with it fails after a
 * fax answered (so a path that changed is tried afresh), and dropped after
 * FAXDEST_KEEP_MS without use. Only a fax's first call takes it: retries
 * follow the retry policy's own fallbacks (retry.c), and a failover starts
 * from the next trunk's own transport. */
#define FAXDEST_KEEP_MS (90LL * 24 * 3600 * 1000)

/* At the claim of j's first call (j->attempt 1, j->trunk set, t38/ecm/
 * max_rate as the trunk and the fax say): applies what is kept for
 * (trunk, j->to), if anything younger than FAXDEST_KEEP_MS: G.711 from the
 * start on a t38_first trunk when G.711 is what worked, its ECM, and 9600
 * when it trained below 14400. Sets j->remembered to 1 when it applied.
 * 0, or -1 on a store error (j untouched). */
int dom_faxdest_choose(store_tx_t *tx, fax_job_t *j, int64_t now);

/* At the end of j's call, in the transaction that records it: keeps what
 * worked when a page was confirmed; forgets it when a fax answered and no
 * page went through; leaves it for calls nobody answered (busy, no
 * answer, network). 0 / -1 on a store error. */
int dom_faxdest_learn(store_tx_t *tx, const fax_job_t *j, const fax_result_t *r, int64_t now);

/* Fax by e-mail (issue 13, C10): each account's sender checks, the
 * settings API, and the pure rules the SMTP ingress applies to a mail before
 * it becomes a fax. See docs/mail.md ("Fax by e-mail").
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
#define FAXMAIL_SENDERS_MAX 100 /* entries of allowed_senders */
#define FAXMAIL_SERVERS_MAX 100 /* entries of allowed_servers */

/* Reads a PUT body {enabled, allowed_senders, allowed_servers, spf, dkim}
 * (a missing key takes its default: false, [], [], "ignore", "ignore").
 * Senders are lower-cased addresses or "@domain"; servers are CIDRs in
 * canonical form. 0 with *norm (new object with those five keys; the
 * caller frees), or -1 with e (validation-failed naming the field). Pure. */
int faxmail_settings_parse(const json_t *body, json_t **norm, dom_err_t *e);

/* Whether addr (an address, compared without case) is on senders (a JSON
 * array of addresses and "@domain" entries). An empty list allows every
 * address (the member check still applies). Pure. */
bool faxmail_sender_allowed(const json_t *senders, const char *addr);
/* Whether the address text ip is inside one of servers (CIDR texts). An
 * empty list allows every server. Pure. */
bool faxmail_server_allowed(const json_t *servers, const char *ip);

/* The account's settings in the API form (new reference): defaults when it
 * has none. */
json_t *faxmail_settings_of(store_tx_t *tx, const char *account_id);

/* GET /v1/accounts/{id}/fax-by-email: {account_id, enabled, allowed_senders,
 * allowed_servers, spf, dkim, updated_at}; the read is audited. */
int dom_faxmail_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* PUT /v1/accounts/{id}/fax-by-email: replaces the settings; audited
 * (fax_by_email.update with before and after). */
int dom_faxmail_update(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);

/* ---- the SMTP ingress (no request context) ---- */

#define FAXMAIL_FILES_MAX 20 /* attachments of one mail */

/* One mail the listener took, as parsed (all borrowed). */
typedef struct faxmail_msg {
	const char *session_id; /* the SMTP session, for the audit log */
	const char *peer;       /* address of the server that handed the mail over */
	const char *from;       /* the From: address, lower-cased */
	const char *to[FAX_TO_MAX]; /* E.164 numbers from the recipients */
	int nto;
	const char *subject;    /* decoded UTF-8, or NULL: the cover page's subject */
	const char *body;       /* text part as UTF-8, or NULL: the cover page's text */
	fax_file_t files[FAXMAIL_FILES_MAX]; /* attachments in order */
	int nfiles;
	/* Sender authentication (smtp_auth.h): result names, NULL meaning
	 * "none"; the domains they are about. */
	const char *spf;         /* "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror" */
	const char *spf_domain;  /* MAIL FROM's domain (HELO for <>) */
	bool spf_aligned;        /* spf_domain is aligned with From's domain */
	const char *dkim;        /* "pass" (valid and aligned), "misaligned", "fail", "none", "temperror", "permerror" */
	const char *dkim_domain; /* d= of the deciding signature */
	/* SHA-256 (hex) of the envelope and the raw message (faxmail_digest), or
	 * NULL: a mail with the digest of one accepted in the last
	 * FAXMAIL_SEEN_DAYS is answered as that one, without a second fax. */
	const char *digest;
} faxmail_msg_t;

/* How long an accepted mail's digest is kept: longer than an MTA keeps a
 * message in its queue (Postfix: 5 days). */
#define FAXMAIL_SEEN_DAYS 7

/* The digest of a mail (hex into out): envelope sender, each recipient, and
 * the SHA-256 of the raw message, separated by NULs. */
void faxmail_digest(const char *mail_from, const char *const *rcpt, int nrcpt, const void *raw,
	size_t len, char out[SEC_SHA256_HEX]);

/* Fax by e-mail, in the three steps below (an ingress runs them as the
 * operation runner's steps): they decide whether m becomes a fax and
 * submit it as POST /v1/faxes does
 * (dom_fax_submit: scanning, rendering, billing and quotas), in
 * transactions of its own on st, as the member whose address is m->from.
 * First the per-sender limit: more than cfg->mail_sender_per_hour mails
 * from m->from (any sender, member or not) in this clock hour of the
 * daemon's clock, counted in the store, are refused (kind "rate-limited",
 * the same for everyone).
 * The sender checks, in order: From is an active member of an active
 * account with fax.send, fax by e-mail is enabled there, From is on
 * allowed_senders, the peer is inside allowed_servers; with spf "require"
 * m->spf is "pass" and m->spf_aligned; with dkim "require" m->dkim is
 * "pass". Then the per-sender page quota: a sender whose faxes by e-mail
 * of this UTC day already carry cfg->mail_sender_pages_per_day pages
 * (once rendered, per recipient) is refused (kind "quota-exceeded").
 * Without attachments the body is the document, else it is the cover
 * page.
 *
 * In all: 0 with *out ({items: [fax…]}, caller frees); or -1 with e: kind
 * "mail-refused" for a sender check (the detail says which; the caller
 * must not repeat it to the client, which could then learn which
 * addresses exist), else the kind dom_fax_submit gave. Every refusal that
 * names an account is audited on it (fax_by_email.refused, by
 * system:smtp, with the reason and the SPF and DKIM results); a mail that
 * names none is not. An accepted mail is audited on its account
 * (fax_by_email.accepted, by system:smtp, with the results and the fax
 * ids) in the submission's transaction.
 * A mail whose m->digest matches one accepted in the last FAXMAIL_SEEN_DAYS
 * (an MTA handing it over again because it never read the reply) returns 0
 * with *out {items: [{id}], duplicate: true} (the first fax it made) before
 * any other check or count, and is audited as fax_by_email.duplicate on the
 * fax's account: the same mail never makes a second fax.
 *
 * The three steps (src/smtp/smtp_ingress.c runs them as op_limit_by,
 * op_gate_by and op_call):
 *   dom_faxmail_limit  the same mail again: 1 with *out its first answer
 *                      (nothing else runs); the sender over
 *                      mail.sender_per_hour: -1 "rate-limited"; else 0;
 *   dom_faxmail_gate   the sender's checks ("mail-refused") and its page
 *                      quota ("quota-exceeded"): 0 with *s (its write
 *                      transaction, the member the address names, the
 *                      account), to be given to dom_faxmail_send;
 *   dom_faxmail_send   the submission as that member, in s's transaction
 *                      (ended either way). */
typedef struct faxmail_sender {
	store_tx_t *tx;
	principal_t who;
	char acc[ID_MAX];
	char skey[SEC_SHA256_HEX];
	int64_t day, now_ms;
} faxmail_sender_t;
int dom_faxmail_limit(store_t *st, const dom_config_t *cfg, const faxmail_msg_t *m, json_t **out,
	dom_err_t *e);
int dom_faxmail_gate(store_t *st, const dom_config_t *cfg, const faxmail_msg_t *m,
	faxmail_sender_t *s, dom_err_t *e);
int dom_faxmail_send(store_t *st, const dom_config_t *cfg, const faxmail_msg_t *m,
	faxmail_sender_t *s, json_t **out, dom_err_t *e);

/* Mails refused since start because their sender was over
 * cfg->mail_sender_per_hour (dom_faxmail_limit: kind "rate-limited", with
 * retry_after_s; audited once per sender and hour as fax_by_email.refused,
 * reason sender_rate_limited, when the address names a member). */
uint64_t faxmail_rate_limited_count(void);

/* Mails refused since start because their sender had reached
 * cfg->mail_sender_pages_per_day pages faxed by e-mail that UTC day
 * (dom_faxmail_gate: kind "quota-exceeded", with retry_after_s the
 * seconds to the next day; audited each time as fax_by_email.refused,
 * reason sender_page_quota). Only a sender the checks let through is
 * counted against it. */
uint64_t faxmail_page_quota_count(void);

#endif
