/* The routes of fax by e-mail settings (see routes.c for the conventions).
 * Which senders and servers may fax by e-mail is security configuration
 * (C10): security.manage changes it; data.read may also read it. */
#include "fax/fax.h"
#include "access/access.h"
#include "router.h"

#define P(x) PERM_BIT(PERM_##x)

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_faxmail_get(c, r->account, out, e);
}

static int h_put(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_faxmail_update(c, r->account, r->body, out, e);
}

const struct route routes_faxmail[] = {
	{ "GET", "/v1/accounts/{id}/fax-by-email", "fax_by_email.get",
		P(SECURITY_MANAGE) | P(DATA_READ) | P(CONFIG_READ) | P(PARTNER_CONFIG_READ), ROUTE_ACCOUNT, 200, h_get },
	{ "PUT", "/v1/accounts/{id}/fax-by-email", "fax_by_email.update", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY, 200, h_put },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
