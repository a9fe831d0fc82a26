/* The outbox of outbound mail, domain side (see mailq.h). */
#include "notify.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "dom_util.h"
#include "log.h"
#include "tenancy/tenancy.h"
#include "queue.h"
#include "sec.h"
#include "identity/identity.h"
#include "store_mail.h"
#include "timeutil.h"

int dom_mail_queue(dom_ctx_t *c, const char *kind, const json_t *person, const char *lang,
	const json_t *params, const char *token)
{
	return mail_queue_tx(c->tx, c->cfg->fax, c->cfg->mail_on, kind, person, lang, params, token);
}

int mail_queue_tx(store_tx_t *tx, const fax_env_t *env, bool mail_on, const char *kind,
	const json_t *person, const char *lang, const json_t *params, const char *token)
{
	if (!mail_on)
		return 0;
	const char *to = rec_str(person, "email");
	if (!*to)
		return 0;
	const char *plang = rec_str(person, "lang");
	if (*plang)
		lang = plang;
	if (!lang || (strcmp(lang, "en") != 0 && strcmp(lang, "fr") != 0))
		lang = "en";
	char *id = sec_new_id("mail");
	char *sealed = NULL;
	if (token) {
		sealed = secret_seal_tx(tx, env, NULL, "mail", id, token);
		if (!sealed) {
			log_event(LOG_WARN, "mail.not_queued", "mail=%s kind=%s reason=no_key", id, kind);
			free(id);
			return 0;
		}
	}
	/* Mail to a partner's customers (or staff) goes out under the partner's
	 * white label: its name as the sender's, and its support contact. */
	json_t *acc_row = *rec_str(person, "account_id") ? store_account_get(tx, rec_str(person, "account_id"),
		NULL) : NULL;
	json_t *wl = dom_white_label_of(tx, acc_row ? rec_str(acc_row, "partner_id")
		: rec_str(person, "partner_id"));
	json_decref(acc_row);
	json_t *all = json_is_object(params) ? json_deep_copy(params) : json_object();
	if (json_is_object(wl)) {
		const char *em = json_string_value(json_object_get(wl, "support_email"));
		const char *ph = json_string_value(json_object_get(wl, "support_phone"));
		char sup[400];
		snprintf(sup, sizeof sup, "%s%s%s", em ? em : "", em && ph ? ", " : "", ph ? ph : "");
		json_object_set(all, "brand_name", json_object_get(wl, "display_name"));
		json_object_set_new(all, "brand_support", json_string(sup));
	}
	json_decref(wl);
	char *ptext = json_dumps(all, JSON_COMPACT);
	json_decref(all);
	int64_t now = time_now_ms();
	const char *acc = rec_str(person, "account_id");
	json_t *m = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id,
		"kind", kind, "account_id", *acc ? acc : NULL, "principal_id", rec_str(person, "id"),
		"to_addr", to, "lang", lang, "params", ptext ? ptext : "{}", "secret",
		sealed ? sealed : "", "status", "pending", "next_attempt_at", (json_int_t)now,
		"created_at", (json_int_t)now);
	int rc = m ? store_mail_insert(tx, m) : STORE_ERROR;
	json_decref(m);
	/* Its job, woken once tx commits. */
	json_t *jp = json_pack("{s:s}", "mail_id", id);
	if (rc == STORE_OK && queue_enqueue(tx, MAIL_JOB, *acc ? acc : NULL, id, jp,
		    MAIL_MAX_ATTEMPTS, now, NULL) != 0)
		rc = STORE_ERROR;
	json_decref(jp);
	free(ptext);
	free(sealed);
	if (rc == STORE_OK)
		log_event(LOG_INFO, "mail.queued", "mail=%s kind=%s person=%s", id, kind,
			rec_str(person, "id"));
	free(id);
	return rc == STORE_OK ? 0 : -1;
}

enum mail_bounce_outcome dom_mail_bounce(store_t *st, const mail_bounce_t *b)
{
	bool failed = strcmp(b->action, "failed") == 0;
	if (!failed && strcmp(b->action, "delayed") != 0)
		return MAIL_BOUNCE_IGNORED;
	bool hard = failed && b->status[0] == '5';
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return MAIL_BOUNCE_ERROR;
	json_t *row = store_mail_get(tx, b->mail_id);
	if (!row) {
		store_rollback(tx);
		return MAIL_BOUNCE_UNKNOWN;
	}
	int64_t now = time_now_ms();
	int rc = store_mail_bounce(tx, b->mail_id, b->action, b->status, b->diagnostic, now);
	bool recorded = rc == STORE_OK, marked = false;
	if (rc == STORE_NOTFOUND) /* a delay after the failure: the failure stays */
		rc = STORE_OK;
	const char *person = rec_str(row, "principal_id");
	if (rc == STORE_OK && recorded && hard && *person) {
		rc = store_principal_mail_bounce(tx, person, rec_str(row, "to_addr"), b->status, now);
		marked = rc == STORE_OK;
		if (rc == STORE_NOTFOUND) /* the address changed since */
			rc = STORE_OK;
	}
	static const audit_ctx_t mailer = { .who = NULL, .actor = "system:mail", .source = "",
		.request_id = "" };
	const char *acc = rec_str(row, "account_id");
	json_t *detail = json_pack("{s:s, s:s, s:s, s:s?, s:b}", "kind", rec_str(row, "kind"),
		"action", b->action, "status", b->status, "person", *person ? person : NULL,
		"person_marked", marked);
	if (rc == STORE_OK && recorded && audit_record(tx, &mailer, "mail.bounced", b->mail_id,
		    *acc ? acc : NULL, "success", detail) != 0)
		rc = STORE_ERROR;
	json_decref(detail);
	if (rc == STORE_OK)
		rc = store_commit(tx);
	else
		store_rollback(tx);
	if (rc == STORE_OK)
		log_event(hard ? LOG_WARN : LOG_INFO, "mail.bounced",
			"mail=%s kind=%s action=%s status=%s person=%s marked=%s", b->mail_id,
			rec_str(row, "kind"), b->action, b->status, *person ? person : "-",
			marked ? "yes" : "no");
	json_decref(row);
	if (rc != STORE_OK)
		return MAIL_BOUNCE_ERROR;
	return hard ? MAIL_BOUNCE_FAILED : MAIL_BOUNCE_DELAYED;
}
