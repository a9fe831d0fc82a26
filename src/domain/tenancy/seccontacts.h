/* An account's security contacts (P14): the people, besides its owner and
 * administrators, whom breach notices (incidents.h, dom_incident_notify)
 * also reach, each in their language. The owner and administrators holding
 * security.manage list, add and remove them; each change is audited in the
 * account's log (security_contact.create, security_contact.delete), a list
 * as security_contact.list.
 *
 * Operations follow domain.h: they run in c->tx and return 0 with *out set
 * (new reference), or -1 with e filled in. */
#ifndef FV_DOMAIN_SECCONTACTS_H
#define FV_DOMAIN_SECCONTACTS_H

#include "domain.h"

#define SECCONTACTS_MAX 10 /* contacts of one account */

/* GET /v1/accounts/{id}/security-contacts: {items: [{id, name, email,
 * phone (E.164 or null), lang, created_at}]}. */
int dom_seccontact_list(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e);
/* POST …/security-contacts {name, email, phone?, lang? (en, fr; default
 * en)}: the contact (409 conflict for an address already named, 422
 * validation-failed past SECCONTACTS_MAX). */
int dom_seccontact_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
/* DELETE …/security-contacts/{contact_id}. */
int dom_seccontact_delete(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);

/* Appends to people (an array of person records) the security contacts of
 * account_id whose address is not already among them, as records {id,
 * account_id, email, name, lang} that dom_mail_queue takes. 0, or -1 when
 * they could not be read. */
int seccontact_recipients(store_tx_t *tx, const char *account_id, json_t *people);

#endif
