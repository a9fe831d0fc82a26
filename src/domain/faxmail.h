/* Fax by e-mail (issue 13, C10): each account's sender checks, the
 * settings API, and the pure rules the SMTP ingress applies to a mail before
 * it becomes a fax. See docs/mail.md ("Fax by e-mail").
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
#ifndef FV_DOMAIN_FAXMAIL_H
#define FV_DOMAIN_FAXMAIL_H

#include <jansson.h>
#include <stdbool.h>

#include "domain.h"

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

#endif
