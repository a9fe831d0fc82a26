/* Faxes (faxes.h): received faxes, refused calls, and their delivery (mail,
 * SafeBox). */
#include "fax.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "billing/billing.h"
#include "records/records.h"
#include "dom_util.h"
#include "fax_int.h"
#include "fdio.h"
#include "operations/operations.h"
#include "i18n.h"
#include "log.h"
#include "numbers/numbers.h"
#include "numparse.h"
#include "render.h"
#include "sec.h"
#include "xalloc.h"
#include "store_fax.h"
#include "store_retention.h"
#include "timeutil.h"
#include "notify/notify.h"
#include "safebox/safebox.h"
#include "xalloc.h"

int dom_fax_inbound_refused(store_t *st, const char *account_id, const char *number,
	const char *trunk_id, int sip_status, const char *why)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int rc = fax_audit(tx, &fx_system_actor, "fax.inbound.refused", number, account_id, "failure",
		json_pack("{s:s, s:s, s:i, s:s}", "number", number, "trunk", trunk_id, "sip_status",
			sip_status, "reason", why));
	if (rc != 0) {
		store_rollback(tx);
		return -1;
	}
	return store_commit(tx) == STORE_OK ? 0 : -1;
}

/* How the account mails received faxes (its security settings'
 * received_fax_mail): "attachment" (the default), "link", "safebox" (the
 * fax in a SafeBox of the member, the mail a notice) or "none". */
static const char *fax_mail_mode(store_tx_t *tx, const char *account_id)
{
	json_t *row = store_settings_get(tx, account_id);
	json_t *doc = row ? json_loads(rec_str(row, "security"), 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(doc, "received_fax_mail"));
	const char *mode = "attachment";
	if (m && strcmp(m, "link") == 0)
		mode = "link";
	else if (m && strcmp(m, "none") == 0)
		mode = "none";
	else if (m && strcmp(m, "safebox") == 0)
		mode = "safebox";
	json_decref(doc);
	json_decref(row);
	return mode;
}

/* Whether faxes of the shared inbox are delivered as SafeBoxes (security
 * setting shared_inbox_safebox, with received_fax_mail = safebox). */
static bool shared_inbox_safebox(store_tx_t *tx, const char *account_id)
{
	json_t *row = store_settings_get(tx, account_id);
	json_t *doc = row ? json_loads(rec_str(row, "security"), 0, NULL) : NULL;
	bool on = json_is_true(json_object_get(doc, "shared_inbox_safebox"));
	json_decref(doc);
	json_decref(row);
	return on;
}

/* Fax to e-mail: queues the mail of received fax f to the member its
 * number routes to, in f's transaction; box: the SafeBox it was delivered
 * in ("" : none, and a "safebox" account is then mailed a link). 0 (queued,
 * or nothing to queue), -1 when the outbox could not be written. */
static int mail_received(store_tx_t *tx, const fax_env_t *env, const json_t *f,
	const char *person_id, const char *box)
{
	if (!env->mail_on)
		return 0;
	const char *mode = fax_mail_mode(tx, rec_str(f, "account_id"));
	if (strcmp(mode, "safebox") == 0 && !*box)
		mode = "link";
	json_t *p = strcmp(mode, "none") != 0 ? store_principal_get(tx, person_id) : NULL;
	if (!p || strcmp(rec_str(p, "status"), "active") != 0) {
		json_decref(p);
		return 0;
	}
	char when[40];
	json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "name",
		rec_str(p, "name"), "fax_id", rec_str(f, "id"), "from", rec_str(f, "from_number"),
		"number", rec_str(f, "to_number"), "pages",
		json_integer_value(json_object_get(f, "page_count")), "received_at",
		time_format_rfc3339(json_integer_value(json_object_get(f, "created_at")), when,
			sizeof when), "mode", mode, "account_id", rec_str(f, "account_id"));
	if (strcmp(mode, "attachment") == 0)
		json_object_set_new(params, "doc_id", json_string(rec_str(f, "doc_id")));
	if (strcmp(mode, "safebox") == 0)
		json_object_set_new(params, "safebox_id", json_string(box));
	int rc = mail_queue_tx(tx, env, true, MAIL_KIND_FAX_RECEIVED, p, "en", params, NULL);
	json_decref(params);
	json_decref(p);
	return rc;
}

/* received_fax_mail = safebox: the received TIFF tiff_path as a PDF into
 * *pdf (malloc'd, caller frees), when the fax is routed to a member of an
 * account that asks for it. Rendered before the fax's write transaction.
 * 1 made, 0 not wanted, -1 wanted but the PDF could not be made. */
static int inbound_safebox_pdf(store_t *st, const fax_env_t *env, const json_t *route,
	const char *tiff_path, unsigned char **pdf, size_t *len)
{
	*pdf = NULL;
	*len = 0;
	bool shared = strncmp(rec_str(route, "route_to"), "usr_", 4) != 0;
	store_tx_t *rt = store_begin(st, false);
	if (!rt)
		return -1;
	bool want = strcmp(fax_mail_mode(rt, rec_str(route, "account_id")), "safebox") == 0 &&
		(!shared || shared_inbox_safebox(rt, rec_str(route, "account_id")));
	store_rollback(rt);
	if (!want)
		return 0;
	char dir[512];
	if (dom_workdir_new(env, dir, sizeof dir) != 0)
		return -1;
	char *out = xasprintf("%s/fax.pdf", dir);
	struct render_result rr = { 0 };
	struct render_opts ro;
	render_opts_init(&ro);
	ro.helper_path = env->render_helper;
	int rc = render_tiff_to_pdf_opts(tiff_path, out, &ro, &rr) == 0 &&
		fx_read_file(out, pdf, len) == 0 ? 1 : -1;
	dom_workdir_wipe(dir);
	free(out);
	return rc;
}

/* Delivers received fax f to member person_id in a SafeBox holding pdf,
 * named in the member's language; its id into box. 0 / -1. */
static int inbound_to_safebox(store_tx_t *tx, const fax_env_t *env, const json_t *f,
	const char *person_id, const unsigned char *pdf, size_t len, char box[64],
	char sb_doc[DOC_ID_MAX])
{
	json_t *p = store_principal_get(tx, person_id);
	char subject[160];
	snprintf(subject, sizeof subject, i18n_is_fr(p ? rec_str(p, "lang") : "") ?
		"Fax de %s pour %s" : "Fax from %s to %s", rec_str(f, "from_number"),
		rec_str(f, "to_number"));
	json_decref(p);
	return safebox_from_fax(tx, env, f, person_id, subject, pdf, len, box, sb_doc);
}

/* fax.receive's detail: the number, the pages, and the SafeBoxes it was
 * delivered in from the shared inbox (when any). */
static json_t *receive_detail(const json_t *route, int pages, int shared_boxes)
{
	json_t *d = json_pack("{s:s, s:i}", "number", rec_str(route, "number"), "pages", pages);
	if (shared_boxes > 0)
		json_object_set_new(d, "shared_inbox_safeboxes", json_integer(shared_boxes));
	return d;
}

/* A fax of the shared inbox delivered as SafeBoxes: one for each member
 * who may read the inbox, each mailed a notice in their language. The
 * number of boxes into *n. 0 / -1. */
static int inbound_to_shared(store_tx_t *tx, const fax_env_t *env, const json_t *f,
	const unsigned char *pdf, size_t len, int *n)
{
	json_t *who = safebox_inbox_readers(tx, rec_str(f, "account_id"));
	int rc = who ? 0 : -1;
	size_t i;
	json_t *m;
	json_array_foreach(who, i, m) {
		char box[64] = "", sb_doc[DOC_ID_MAX] = "";
		if (rc == 0)
			rc = inbound_to_safebox(tx, env, f, json_string_value(m), pdf, len, box, sb_doc);
		if (rc == 0)
			rc = mail_received(tx, env, f, json_string_value(m), box);
		if (rc == 0)
			(*n)++;
	}
	json_decref(who);
	return rc;
}

/* testing.inbound_store_fail and testing.inbound_commit_lost (tests only). */
static atomic_int test_fail_left, test_lost_left;

void dom_fax_inbound_test_hooks(int fail, int commit_lost)
{
	atomic_store(&test_fail_left, fail > 0 ? fail : 0);
	atomic_store(&test_lost_left, commit_lost > 0 ? commit_lost : 0);
}

/* Takes one from *left when it is above 0: whether it was. */
static bool test_take(atomic_int *left)
{
	int n = atomic_load(left);
	while (n > 0 && !atomic_compare_exchange_weak(left, &n, n - 1))
		;
	return n > 0;
}

int dom_fax_inbound(store_t *st, const fax_env_t *env, const json_t *route, const char *tiff_path,
	const fax_result_t *r, char fax_id_out[64])
{
	unsigned char *sbpdf = NULL;
	size_t sblen = 0;
	/* Without its PDF the fax stays in the inbox and the member is
	 * mailed a link. */
	if (r->pages_received > 0 &&
	    inbound_safebox_pdf(st, env, route, tiff_path, &sbpdf, &sblen) < 0)
		log_event(LOG_WARN, "fax.inbound_safebox_failed", "account=%s reason=pdf",
			rec_str(route, "account_id"));
	const char *account_id = rec_str(route, "account_id");
	char cur[4];
	const char *route_to = rec_str(route, "route_to");
	store_tx_t *tx = store_begin(st, true);
	if (!tx) {
		if (sbpdf) {
			sodium_memzero(sbpdf, sblen);
			free(sbpdf);
		}
		return -1;
	}
	/* Tests only: a store the database refuses, its fax named (as a
	 * commit that fails names it). */
	if (atomic_load(&test_lost_left) == 0 && test_take(&test_fail_left)) {
		store_rollback(tx);
		if (sbpdf) {
			sodium_memzero(sbpdf, sblen);
			free(sbpdf);
		}
		if (!fax_id_out[0]) {
			char *tid = sec_new_id("fax");
			snprintf(fax_id_out, 64, "%s", tid);
			free(tid);
		}
		log_event(LOG_WARN, "fax.inbound_test_refused", "fax=%s account=%s", fax_id_out, account_id);
		return -1;
	}
	/* A try again after a commit whose answer was lost (PostgreSQL: the
	 * connection dropped after COMMIT was sent) may find its fax stored. */
	if (fax_id_out[0]) {
		json_t *had = store_fax_get(tx, NULL, fax_id_out);
		if (had) {
			json_decref(had);
			store_rollback(tx);
			if (sbpdf) {
				sodium_memzero(sbpdf, sblen);
				free(sbpdf);
			}
			log_event(LOG_INFO, "fax.inbound_was_stored", "fax=%s account=%s", fax_id_out,
				account_id);
			return 0;
		}
	}
	int64_t now = time_now_ms();
	int pages = r->pages_received;
	char doc_id[DOC_ID_MAX] = "";
	int rc = STORE_OK;
	if (pages > 0 && doc_put_file_tx(tx, env, account_id, "received", tiff_path, pages, doc_id) != 0)
		rc = STORE_ERROR;
	/* Inbound: "received" when the call ended well with pages ("delivered"
	 * is a sent fax's word), "partial" when it broke off after some. */
	const char *status = r->ok && pages > 0 ? "received" : pages > 0 ? "partial" : "failed";
	char *id = fax_id_out[0] ? xstrdup(fax_id_out) : sec_new_id("fax");
	snprintf(fax_id_out, 64, "%s", id);
	json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:i, s:i, s:I, s:s,"
			      " s:I, s:I, s:I, s:i}",
		"id", id, "account_id", account_id, "direction", "inbound", "status", status,
		"from_number", r->from_user, "to_number", rec_str(route, "number"),
		"page_count", pages, "pages_confirmed", pages, "resolution", "fine", "retries", 0,
		"attempts_made", 1, "cost", (json_int_t)0, "currency", fx_currency_of(tx, env, account_id, cur),
		"created_at", (json_int_t)now, "updated_at", (json_int_t)now,
		"completed_at", (json_int_t)now, "estimated_cost", 0);
	if (strncmp(route_to, "usr_", 4) == 0)
		json_object_set_new(f, "user_id", json_string(route_to));
	if (doc_id[0])
		json_object_set_new(f, "doc_id", json_string(doc_id));
	if (*rec_str(route, "trunk_id"))
		json_object_set_new(f, "trunk_id", json_string(rec_str(route, "trunk_id")));
	if (!r->ok) {
		json_object_set_new(f, "failure_class", json_string(r->fail_class[0] ? r->fail_class : "network"));
		json_object_set_new(f, "failure_reason", json_string(r->reason[0] ? r->reason
			: "the call ended before the fax was received"));
	}
	if (rc == STORE_OK)
		rc = store_fax_insert(tx, f);
	json_decref(f);
	if (rc == STORE_OK)
		rc = store_fax_pages_init(tx, id, pages, "received");
	for (int k = 0; k < r->npages && rc == STORE_OK; k++)
		if (strcmp(r->pages[k].result, "OK") != 0 && r->pages[k].page >= 1 &&
		    r->pages[k].page <= pages)
			rc = store_fax_page_set(tx, id, r->pages[k].page, "bad");
	char *aid = sec_new_id("att");
	json_t *att = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:I, s:i}", "id", aid,
		"fax_id", id, "account_id", account_id, "attempt", 1, "direction", "inbound",
		"from_number", r->from_user, "to_number", rec_str(route, "number"),
		"result", "in_progress", "started_at",
		(json_int_t)(r->start_ms > 0 ? r->start_ms : now), "first_page", 1);
	if (strncmp(route_to, "usr_", 4) == 0)
		json_object_set_new(att, "user_id", json_string(route_to));
	if (*rec_str(route, "trunk_id"))
		json_object_set_new(att, "trunk_id", json_string(rec_str(route, "trunk_id")));
	if (rc == STORE_OK)
		rc = store_attempt_insert(tx, att);
	json_decref(att);
	json_t *cdr = fx_cdr_fields(r, r->ok && pages > 0 ? "ok" : pages > 0 ? "partial" : "failed",
		r->start_ms > 0 ? r->start_ms : now, now, 0);
	if (rc == STORE_OK)
		rc = store_attempt_update(tx, aid, cdr);
	json_decref(cdr);
	free(aid);
	json_t *g = rc == STORE_OK ? store_fax_get(tx, NULL, id) : NULL;
	char box[64] = "", sb_doc[DOC_ID_MAX] = "";
	bool to_member = strncmp(route_to, "usr_", 4) == 0;
	int shared_boxes = 0;
	if (g && sbpdf && doc_id[0] && (to_member
		? inbound_to_safebox(tx, env, g, route_to, sbpdf, sblen, box, sb_doc)
		: inbound_to_shared(tx, env, g, sbpdf, sblen, &shared_boxes)) != 0)
		rc = STORE_ERROR;
	if (sbpdf) {
		sodium_memzero(sbpdf, sblen);
		free(sbpdf);
	}
	if (g && doc_id[0] && strncmp(route_to, "usr_", 4) == 0 &&
	    mail_received(tx, env, g, route_to, box) != 0)
		rc = STORE_ERROR;
	if (!g || fx_emit(tx, g, "fax.received") != 0 ||
	    fax_audit(tx, &fx_system_actor, "fax.receive", id, account_id,
		    r->ok ? "success" : "failure", receive_detail(route, pages, shared_boxes)) != 0)
		rc = STORE_ERROR;
	json_decref(g);
	free(id);
	if (rc != STORE_OK || store_commit(tx) != STORE_OK) {
		/* Rolled back: its documents' files go. A failed commit may still
		 * have been applied (its answer lost): the files stay, and the
		 * orphan sweep removes them if their rows are not there. */
		if (rc != STORE_OK) {
			store_rollback(tx);
			if (doc_id[0])
				vault_blob_remove(env->doc_dir, doc_id);
			if (sb_doc[0])
				vault_blob_remove(env->doc_dir, sb_doc);
		}
		log_event(LOG_ERROR, "fax.inbound_failed", "account=%s", account_id);
		return -1;
	}
	log_event(LOG_INFO, "fax.received", "fax=%s account=%s pages=%d status=%s", fax_id_out,
		account_id, pages, status);
	if (test_take(&test_lost_left)) {
		log_event(LOG_WARN, "fax.inbound_test_commit_lost", "fax=%s account=%s", fax_id_out,
			account_id);
		return -1;
	}
	return 0;
}
