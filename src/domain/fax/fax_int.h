/* Inside faxes.c and the files split from it (fax_submit.c,
 * fax_document.c, fax_runner.c, fax_inbound.c): what they share. Not for
 * use outside src/domain/fax. */

#ifndef FV_DOMAIN_FAX_INT_H
#define FV_DOMAIN_FAX_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fax.h"
#include "render.h"
#include "store.h"

/* The fax service acting on its own (final statuses, received faxes,
 * submissions rendered again after a crash). */
extern const audit_ctx_t fx_system_actor;

/* faxes.c */
/* The currency of an account: its own, else the provider's default (into
 * out, 4 bytes). */
const char *fx_currency_of(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	char out[4]);

int fx_emit(store_tx_t *tx, const json_t *fax_rec, const char *type);

const fax_env_t *fx_env_of(dom_ctx_t *c);

/* The API form of a fax record (new reference). */
json_t *fx_json(store_tx_t *tx, const json_t *f, bool with_attempts);

int fx_int_field(const json_t *fields, const char *name, int64_t min, int64_t max, int dflt,
	int *out, dom_err_t *e);

/* The caller as an account member (faxes belong to accounts). */
int fx_need_member(dom_ctx_t *c, dom_err_t *e);

/* The price of a page to `to` in currency (0 when no rate matches). */
int64_t fx_price_for(store_tx_t *tx, const char *to, const char *currency);

int fx_read_file(const char *path, unsigned char **data, size_t *len);

/* The fax if the caller may see it: every fax of the account with
 * data.read, else those the caller sent or that are routed to them. */
json_t *fx_visible_fax(dom_ctx_t *c, const char *fax_id, dom_err_t *e);

int fx_write_file(const char *path, const void *data, size_t len);

/* fax_submit.c */
/* Destroys a submission's row and its originals' rows in tx; their
 * encrypted files go once tx has committed (doc_shred_tx), so a crash or a
 * rollback before the commit loses nothing. */
void fx_drop_submission(store_tx_t *tx, const fax_env_t *env, const json_t *sub);

/* The rendered TIFF becomes the faxes' document: each fax of the
 * submission still rendering is queued with its pages, estimated cost,
 * webhook (fax.queued) and audit event (fax.rendered, by actor). The
 * caller then drops the submission (fx_drop_submission). items (may be
 * NULL) receives the faxes. */
int fx_queue_submission(store_tx_t *tx, const fax_env_t *env, const audit_ctx_t *actor,
	const json_t *sub, int tiff_fd, int pages, json_t *items);

/* Renders the inputs (ninputs descriptors, read from offset 0) into
 * out_fd (an empty memfd) with the options saved for the submission. 0
 * with *pages, or -1 with r->fail. */
int fx_render_submission(const fax_env_t *env, const int *inputs, int ninputs, int out_fd,
	const json_t *opt, const char *log_id, int *pages, struct render_result *r);

/* The problem of a refused rendering (e), with the page cap named when
 * it is the reason: -1. */
int fx_render_problem(enum render_fail f, int max_pages, dom_err_t *e);


/* fax_submit.c: a quote's prices of pages pages for each recipient of o,
 * and whether the account may send them (see dom_fax_quote), as c->who,
 * audited as fax.quote (with quote_id when not NULL). 0 with *out, or -1
 * with e. */
int fx_quote_price(dom_ctx_t *c, const fax_env_t *env, const fax_opts_t *o, int pages,
	const char *quote_id, json_t **out, dom_err_t *e);
/* fax_quote_job.c: enqueues in c->tx the quote job of quote_id (the
 * form's fields, the stored originals' ids, the render options), for
 * c->who. 0, or -1. */
int fx_quote_enqueue(dom_ctx_t *c, const char *quote_id, const json_t *form,
	const json_t *originals, const json_t *options);

/* fax_render_job.c: decrypts the originals of sub into memfds and
 * renders them with the submission's options into a new memfd (*out_fd,
 * the caller's to close; -1 on failure): no file and no plaintext on
 * disk. 0 with *pages, or -1 with rr->fail (RENDER_E_INTERNAL or
 * RENDER_E_IO when the fault is ours). */
int fx_render_stored(store_t *st, const fax_env_t *env, const json_t *sub, int *out_fd,
	int *pages, struct render_result *rr);
/* In tx: the faxes of sub still rendering end failed (fclass, reason), and
 * the submission and its originals are destroyed. 0, or -1. */
int fx_submission_fail(store_tx_t *tx, const fax_env_t *env, const json_t *sub,
	const char *fclass, const char *reason);

/* fax_runner.c */
/* Ends a fax in a final status: pages not confirmed fail, the cost is set,
 * the webhook and audit events are written, and a fax that came by e-mail
 * gets its report. 0, or -1. */
/* Enqueues in tx the send job (FAX_SEND_JOB) of fax_id, due at at, unless
 * it has one queued or running. 0, or -1. */
int fx_send_enqueue(store_tx_t *tx, const char *fax_id, const char *account_id, int64_t at);
int fx_fax_end(store_tx_t *tx, const fax_env_t *env, const char *fax_id, const char *status,
	const char *fclass, const char *reason, int64_t now);

/* The CDR columns of a call's result. */
json_t *fx_cdr_fields(const fax_result_t *r, const char *result, int64_t started,
	int64_t now, int64_t cost);

/* Fax by e-mail's delivery reports: a fax submitted by e-mail is marked
 * (faxreport_mark, in the submission's transaction); when it ends, the
 * transaction that ends it takes the mark and queues one report mail to the
 * member who sent it (faxreport_queue): delivered, with the pages and the
 * time, or not delivered, with the reason in the member's language (English
 * or French). Mark, end and mail commit together: one report per fax, even
 * when the service dies between the end of the fax and the mail. */
/* Marks fax_id (submitted by e-mail) for a report. 0, or -1 on error. */
int faxreport_mark(store_tx_t *tx, const char *fax_id, int64_t now_ms);

/* In the transaction that ended fax (its record after the end: status
 * delivered, partial or failed, failure_class, pages_confirmed,
 * completed_at; borrowed): when it is marked, takes the mark and queues the
 * report to its member, if still active and mail is on (env->mail_on). 0
 * when queued or nothing is to be queued, -1 when the store or the outbox
 * failed (the caller fails the transaction). */
int faxreport_queue(store_tx_t *tx, const fax_env_t *env, const json_t *fax);

/* Forgets the mark of fax_id (cancelled by a person: no report). 0, or -1
 * on error. */
int faxreport_forget(store_tx_t *tx, const char *fax_id);

/* Why a fax of failure class fclass (NULL or unknown: a generic reason)
 * did not go through, for a person in lang ("fr", else English). Static
 * storage. */
const char *faxreport_reason(const char *fclass, const char *lang);

#endif
