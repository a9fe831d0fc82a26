/* Fax by e-mail's delivery reports (see faxreport.h). */
#include "fax_int.h"

#include <string.h>

#include "dom_util.h"
#include "notify/notify.h"
#include "store_faxmail.h"
#include "timeutil.h"

/* The failure classes of outbound faxes (src/line/result.h and the
 * service's own endings), said to a person. */
static const struct {
	const char *fclass, *en, *fr;
} reasons[] = {
	{ "busy", "the line was busy", "la ligne était occupée" },
	{ "no_answer", "nobody answered", "personne n'a répondu" },
	{ "rejected", "the call was refused", "l'appel a été refusé" },
	{ "not_a_fax", "the number answered, but no fax machine did",
		"le numéro a répondu, mais aucun télécopieur" },
	{ "t30_error", "the fax machines could not complete the transfer",
		"les télécopieurs n'ont pas pu mener la transmission à terme" },
	{ "partial", "not every page went through", "toutes les pages ne sont pas passées" },
	{ "network", "the call could not be placed or was cut",
		"l'appel n'a pas pu être passé ou a été coupé" },
	{ "dns", "the carrier's address could not be found in the DNS",
		"l'adresse de l'opérateur est introuvable dans le DNS" },
	{ "no_route", "no line reaches this number any more",
		"plus aucune ligne ne dessert ce numéro" },
	{ "insufficient_credit", "the prepaid balance could not cover the pages",
		"le solde prépayé ne couvrait pas les pages" },
	{ "document", "the document could not be prepared for faxing",
		"le document n'a pas pu être préparé pour le fax" },
	{ "too_many_pages", "the document has more pages than a fax may carry",
		"le document a plus de pages qu'un fax ne peut en contenir" },
	{ "quota_exceeded", "its pages would exceed a page quota of the account",
		"ses pages dépasseraient un quota de pages du compte" },
};

const char *faxreport_reason(const char *fclass, const char *lang)
{
	bool fr = lang && strcmp(lang, "fr") == 0;
	for (size_t i = 0; fclass && i < sizeof reasons / sizeof reasons[0]; i++)
		if (strcmp(reasons[i].fclass, fclass) == 0)
			return fr ? reasons[i].fr : reasons[i].en;
	return fr ? "l'appel a échoué" : "the call failed";
}

int faxreport_mark(store_tx_t *tx, const char *fax_id, int64_t now_ms)
{
	return store_faxmail_report_add(tx, fax_id, now_ms) == STORE_OK ? 0 : -1;
}

int faxreport_forget(store_tx_t *tx, const char *fax_id)
{
	int t = store_faxmail_report_take(tx, fax_id);
	return t == STORE_OK || t == STORE_NOTFOUND ? 0 : -1;
}

int faxreport_queue(store_tx_t *tx, const fax_env_t *env, const json_t *fax)
{
	int t = store_faxmail_report_take(tx, rec_str(fax, "id"));
	if (t == STORE_NOTFOUND)
		return 0;
	if (t != STORE_OK)
		return -1;
	if (!env || !env->mail_on)
		return 0;
	json_t *p = store_principal_get(tx, rec_str(fax, "user_id"));
	if (!p || strcmp(rec_str(p, "status"), "active") != 0) {
		json_decref(p);
		return 0;
	}
	const char *status = rec_str(fax, "status");
	bool delivered = strcmp(status, "delivered") == 0;
	char when[40];
	json_t *params = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "name",
		rec_str(p, "name"), "fax_id", rec_str(fax, "id"), "to", rec_str(fax, "to_number"),
		"pages", json_integer_value(json_object_get(fax, "pages_confirmed")), "page_count",
		json_integer_value(json_object_get(fax, "page_count")), "completed_at",
		time_format_rfc3339(json_integer_value(json_object_get(fax, "completed_at")), when,
			sizeof when), "reason", faxreport_reason(rec_str(fax, "failure_class"),
			rec_str(p, "lang")), "account_id", rec_str(fax, "account_id"));
	int rc = mail_queue_tx(tx, env, true, delivered ? MAIL_KIND_FAX_REPORT_DELIVERED :
		MAIL_KIND_FAX_REPORT_FAILED, p, "en", params, NULL);
	json_decref(params);
	json_decref(p);
	return rc;
}
