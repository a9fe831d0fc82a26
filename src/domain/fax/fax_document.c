/* Faxes (faxes.h): a fax's document and page previews for the API and for
 * mail. */
#include "fax.h"

#include <fcntl.h>
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
#include "store_fax.h"
#include "store_retention.h"
#include "timeutil.h"
#include "notify/notify.h"
#include "safebox/safebox.h"
#include "xalloc.h"

/* Decrypts the fax's TIFF into a new work directory (dir, its path in
 * tiff). The caller wipes dir. */
static int fax_tiff(dom_ctx_t *c, const json_t *f, char *dir, size_t dirlen, char **tiff,
	dom_err_t *e)
{
	const fax_env_t *env = fx_env_of(c);
	dir[0] = '\0';
	*tiff = NULL;
	if (!env)
		return dom_fail(e, "unavailable", "", "fax documents are not available on this service");
	if (!*rec_str(f, "doc_id"))
		return dom_fail(e, "invalid-state", "", "this fax has no document yet");
	if (dom_workdir_new(env, dir, dirlen) != 0)
		return dom_fail(e, "internal", "", "no work directory");
	*tiff = xasprintf("%s/fax.tif", dir);
	if (doc_get_file_tx(c->tx, env, rec_str(f, "account_id"), rec_str(f, "doc_id"), *tiff) != 0)
		return dom_fail(e, doc_failure_kind(), "", "the document could not be read");
	return 0;
}

/* The audit event of a read that succeeded (rc 0); when it cannot be
 * recorded, the content is not answered. detail is taken over. */
static int audit_read(dom_ctx_t *c, int rc, const json_t *f, const char *action, json_t *detail,
	unsigned char **data, dom_err_t *e)
{
	if (rc != 0) {
		json_decref(detail);
		return rc;
	}
	if (fax_audit_c(c, action, rec_str(f, "id"), rec_str(f, "account_id"), "success", detail) == 0)
		return 0;
	free(*data);
	*data = NULL;
	return dom_fail(e, "internal", "", "the read could not be recorded");
}

int dom_fax_document(dom_ctx_t *c, const char *fax_id, unsigned char **data, size_t *len,
	dom_err_t *e)
{
	json_t *f = fx_visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	char dir[512];
	char *tiff = NULL, *pdf = NULL;
	int rc = fax_tiff(c, f, dir, sizeof dir, &tiff, e);
	/* The conversion runs outside the transaction (the write lock is
	 * shared); the read is audited in the next one. */
	if (rc == 0)
		rc = dom_tx_pause(c, e);
	if (rc == 0) {
		pdf = xasprintf("%s/fax.pdf", dir);
		struct render_result rr = { 0 };
		struct render_opts ro;
		render_opts_init(&ro);
		ro.helper_path = c->cfg->fax ? c->cfg->fax->render_helper : NULL;
		if (render_tiff_to_pdf_opts(tiff, pdf, &ro, &rr) != 0 || fx_read_file(pdf, data, len) != 0)
			rc = dom_fail(e, "internal", "", "the document could not be converted to PDF");
		dom_err_t re = { 0 };
		if (dom_tx_resume(c, &re) != 0 && rc == 0) {
			*e = re;
			rc = -1;
		}
	}
	rc = audit_read(c, rc, f, "fax.document.read", NULL, data, e);
	dom_workdir_wipe(dir);
	free(tiff);
	free(pdf);
	json_decref(f);
	return rc;
}

/* The document of a fax for a mail: a PDF (thumb 0) or the first page as
 * a PNG thumb pixels wide. */
static int fax_file_for_mail(store_t *st, const fax_env_t *env, const char *account_id,
	const char *fax_id, const char *mail_id, const char *to, int thumb, unsigned char **data,
	size_t *len)
{
	*data = NULL;
	*len = 0;
	char dir[512] = "";
	char *tiff = NULL, *pdf = NULL;
	store_tx_t *tx = store_begin(st, false);
	json_t *f = tx ? store_fax_get(tx, account_id, fax_id) : NULL;
	int rc = f && *rec_str(f, "doc_id") ? 0 : 1;
	if (rc == 0 && dom_workdir_new(env, dir, sizeof dir) != 0)
		rc = -1;
	if (rc == 0) {
		tiff = xasprintf("%s/fax.tif", dir);
		pdf = xasprintf(thumb ? "%s/page1.png" : "%s/fax.pdf", dir);
		if (doc_get_file_tx(tx, env, account_id, rec_str(f, "doc_id"), tiff) != 0)
			rc = -1;
	}
	if (tx)
		store_rollback(tx);
	if (rc == 0) {
		struct render_result rr = { 0 };
		struct render_opts ro;
		render_opts_init(&ro);
		ro.helper_path = env->render_helper;
		if ((thumb ? render_tiff_preview_opts(tiff, 1, thumb, pdf, &ro, &rr) :
			     render_tiff_to_pdf_opts(tiff, pdf, &ro, &rr)) != 0 ||
		    fx_read_file(pdf, data, len) != 0)
			rc = -1;
	}
	/* The document leaves by mail: an access to customer data. */
	static const audit_ctx_t mailer = { .who = NULL, .actor = "system:mail", .source = "",
		.request_id = "" };
	if (rc == 0) {
		store_tx_t *at = store_begin(st, true);
		if (!at) {
			rc = -1;
		} else if (fax_audit(at, &mailer, "fax.document.mailed", fax_id, account_id, "success",
				   json_pack("{s:s, s:s, s:s}", "mail", mail_id, "to", to, "part",
					   thumb ? "thumbnail" : "pdf")) != 0) {
			store_rollback(at);
			rc = -1;
		} else if (store_commit(at) != STORE_OK) {
			rc = -1;
		}
	}
	if (rc != 0) {
		free(*data);
		*data = NULL;
		*len = 0;
	}
	if (dir[0])
		dom_workdir_wipe(dir);
	free(tiff);
	free(pdf);
	json_decref(f);
	return rc;
}

int fax_pdf_for_mail(store_t *st, const fax_env_t *env, const char *account_id,
	const char *fax_id, const char *mail_id, const char *to, unsigned char **data, size_t *len)
{
	return fax_file_for_mail(st, env, account_id, fax_id, mail_id, to, 0, data, len);
}

int fax_thumb_for_mail(store_t *st, const fax_env_t *env, const char *account_id,
	const char *fax_id, const char *mail_id, const char *to, unsigned char **data, size_t *len)
{
	return fax_file_for_mail(st, env, account_id, fax_id, mail_id, to, FAX_THUMB_WIDTH, data,
		len);
}

int dom_fax_page(dom_ctx_t *c, const char *fax_id, const char *page, const char *width,
	unsigned char **data, size_t *len, dom_err_t *e)
{
	json_t *f = fx_visible_fax(c, fax_id, e);
	if (!f)
		return -1;
	int64_t n = 0, w = 0;
	int rc = 0;
	if (!page || parse_i64z(page, 1, FAX_PAGES_MAX, &n) != 0 ||
	    n > json_integer_value(json_object_get(f, "page_count")))
		rc = dom_fail(e, "not-found", "", "no such page");
	else if (width && *width &&
		 parse_i64z(width, RENDER_PREVIEW_WIDTH_MIN, RENDER_WIDTH, &w) != 0)
		rc = dom_fail(e, "invalid-parameter", "width", "width must be %d to %d pixels",
			RENDER_PREVIEW_WIDTH_MIN, RENDER_WIDTH);
	char dir[512] = "";
	char *tiff = NULL, *png = NULL;
	if (rc == 0)
		rc = fax_tiff(c, f, dir, sizeof dir, &tiff, e);
	if (rc == 0)
		rc = dom_tx_pause(c, e);
	if (rc == 0) {
		png = xasprintf("%s/page.png", dir);
		struct render_result rr = { 0 };
		struct render_opts ro;
		render_opts_init(&ro);
		ro.helper_path = c->cfg->fax ? c->cfg->fax->render_helper : NULL;
		int r = render_tiff_preview_opts(tiff, (int)n, (int)w, png, &ro, &rr);
		if (r != 0 && rr.fail == RENDER_E_PAGE_RANGE)
			rc = dom_fail(e, "not-found", "", "no such page");
		else if (r != 0 || fx_read_file(png, data, len) != 0)
			rc = dom_fail(e, "internal", "", "the page could not be drawn");
		dom_err_t re = { 0 };
		if (dom_tx_resume(c, &re) != 0 && rc == 0) {
			*e = re;
			rc = -1;
		}
	}
	rc = audit_read(c, rc, f, "fax.page.read", json_pack("{s:I}", "page", (json_int_t)n), data, e);
	dom_workdir_wipe(dir);
	free(tiff);
	free(png);
	json_decref(f);
	return rc;
}
