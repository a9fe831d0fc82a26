/* The routes of single sign-on (see routes.c for the conventions, sso.h
 * for the operations). Identity providers are managed with
 * security.manage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "access/access.h"
#include "router.h"
#include "identity/identity.h"
#include "xalloc.h"

#define P(x) PERM_BIT(PERM_##x)

static const char *idp_id(const api_call_t *r)
{
	return route_param(r->m, "idp_id");
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_idp_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_idp_create(c, r->account, r->body, out, e);
}

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_idp_get(c, r->account, idp_id(r), out, e);
}

static int h_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_idp_update(c, r->account, idp_id(r), r->body, out, e);
}

static int h_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_idp_delete(c, r->account, idp_id(r), out, e);
}

/* What a browser step made, moved into the answer: a 302 when it names a
 * place to go, and its cookies. */
static void web_answer(const api_call_t *r, sso_web_t *w)
{
	if (w->location) {
		static const char body[] = "Found\n";
		r->raw->location = w->location;
		w->location = NULL;
		r->raw->data = (unsigned char *)xstrdup(body);
		r->raw->len = sizeof body - 1;
		r->raw->ctype = "text/plain; charset=utf-8";
	}
	for (int i = 0; i < 2; i++)
		snprintf(r->raw->set_cookie[i], sizeof r->raw->set_cookie[i], "%s", w->cookie[i]);
}

/* The value of one of our cookies, or "" (absent, or not ours in form). */
static void cookie_of(const api_call_t *r, const char *name, char out[SSO_COOKIE_VALUE_MAX + 1])
{
	if (!r->cookie || guest_cookie_value(r->cookie, name, out, SSO_COOKIE_VALUE_MAX + 1) != 0)
		out[0] = '\0';
}

/* A browser refused at a step of the sign-in (it asks for text/html, as a
 * navigation does) goes back to the portal, which says why
 * (/?sso_error=WORD, sso_refusal_word: never a token); an API client keeps
 * the problem answer. Only refusals whose transaction is kept (audited) or
 * holds nothing: an unknown provider, one that cannot be reached. */
static int browser_refusal(const api_call_t *r, const dom_ctx_t *c, int rc, const dom_err_t *e)
{
	char word[48];
	if (rc == 0 || !r->accept || !strstr(r->accept, "text/html") || !c->tx)
		return rc;
	if (strcmp(e->kind, "sso-failed") == 0 && !c->keep_on_error)
		return rc;
	if (!sso_refusal_word(e, word, sizeof word))
		return rc;
	static const char body[] = "Found\n";
	free(r->raw->location);
	r->raw->location = xasprintf("/?sso_error=%s", word);
	r->raw->data = (unsigned char *)xstrdup(body);
	r->raw->len = sizeof body - 1;
	r->raw->ctype = "text/plain; charset=utf-8";
	return 0;
}

static int h_start(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	sso_web_t w;
	*out = NULL;
	int rc = dom_sso_start(c, route_param(r->m, "account_id"), idp_id(r), r->secure, &w, e);
	if (rc == 0)
		web_answer(r, &w);
	sso_web_free(&w);
	return browser_refusal(r, c, rc, e);
}

static int h_callback(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	sso_web_t w;
	char bind[SSO_COOKIE_VALUE_MAX + 1];
	*out = NULL;
	cookie_of(r, SSO_BIND_COOKIE, bind);
	int rc = dom_sso_callback(c, r->query, bind, r->secure, &w, e);
	if (rc == 0)
		web_answer(r, &w);
	sso_web_free(&w);
	return browser_refusal(r, c, rc, e);
}

static int h_session(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	sso_web_t w;
	char handoff[SSO_COOKIE_VALUE_MAX + 1];
	cookie_of(r, SSO_HANDOFF_COOKIE, handoff);
	int rc = dom_sso_session(c, handoff, r->secure, &w, out, e);
	if (rc == 0)
		web_answer(r, &w);
	sso_web_free(&w);
	return rc;
}

static int h_saml_metadata(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	char *xml = NULL;
	*out = NULL;
	int rc = dom_saml_metadata(c, route_param(r->m, "account_id"), idp_id(r), &xml, e);
	if (rc == 0) {
		r->raw->data = (unsigned char *)xml;
		r->raw->len = strlen(xml);
		r->raw->ctype = "application/samlmetadata+xml";
	}
	return rc;
}

/* A form field of the ACS's body as a new string (NULL when absent or
 * malformed). */
static char *form_field(const api_call_t *r, const char *name)
{
	if (!r->form_body)
		return NULL;
	char *v = xmalloc(r->form_len + 1);
	if (guest_form_value(r->form_body, r->form_len, name, v, r->form_len + 1) != 0) {
		free(v);
		return NULL;
	}
	return v;
}

static int h_saml_acs(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	sso_web_t w;
	char bind[SSO_COOKIE_VALUE_MAX + 1];
	*out = NULL;
	cookie_of(r, SSO_BIND_COOKIE, bind);
	char *resp = form_field(r, "SAMLResponse");
	char *relay = form_field(r, "RelayState");
	int rc = dom_saml_acs(c, route_param(r->m, "account_id"), idp_id(r), resp, relay, bind,
		r->secure, &w, e);
	free(resp);
	free(relay);
	if (rc == 0)
		web_answer(r, &w);
	sso_web_free(&w);
	return browser_refusal(r, c, rc, e);
}

static const char *domain_id(const api_call_t *r)
{
	return route_param(r->m, "domain_id");
}

static int h_dom_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_ssodom_list(c, r->account, r->cursor, r->limit, out, e);
}

static int h_dom_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_ssodom_create(c, r->account, r->body, out, e);
}

static int h_dom_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_ssodom_delete(c, r->account, domain_id(r), out, e);
}

static int h_dom_verify(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_ssodom_verify(c, r->account, domain_id(r), out, e);
}

static int h_dom_operator_verify(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_ssodom_operator_verify(c, domain_id(r), out, e);
}

static int h_discover(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_sso_discover(c, r->query, out, e);
}

const struct route routes_sso[] = {
	{ "GET", "/v1/sso/{account_id}/{idp_id}/start", "sso.start", 0, ROUTE_PUBLIC | ROUTE_UNGATED,
		302, h_start },
	{ "GET", "/v1/sso/{account_id}/{idp_id}/saml/metadata", "sso.saml_metadata", 0,
		ROUTE_PUBLIC | ROUTE_UNGATED | ROUTE_READONLY, 200, h_saml_metadata },
	{ "POST", "/v1/sso/{account_id}/{idp_id}/saml/acs", "sso.saml_acs", 0,
		ROUTE_PUBLIC | ROUTE_UNGATED | ROUTE_FORM, 302, h_saml_acs },
	{ "GET", "/v1/sso/callback", "sso.callback", 0, ROUTE_PUBLIC | ROUTE_UNGATED, 302,
		h_callback },
	{ "POST", "/v1/sso/session", "sso.session", 0, ROUTE_PUBLIC | ROUTE_UNGATED, 201,
		h_session },
	{ "GET", "/v1/accounts/{id}/identity-providers", "identity_providers.list",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_list },
	{ "POST", "/v1/accounts/{id}/identity-providers", "identity_providers.create",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_create },
	{ "GET", "/v1/accounts/{id}/identity-providers/{idp_id}", "identity_providers.get",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_get },
	{ "PATCH", "/v1/accounts/{id}/identity-providers/{idp_id}", "identity_providers.update",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY, 200, h_update },
	{ "DELETE", "/v1/accounts/{id}/identity-providers/{idp_id}", "identity_providers.delete",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 204, h_delete },
	{ "GET", "/v1/sso/discover", "sso.discover", 0, ROUTE_PUBLIC | ROUTE_UNGATED | ROUTE_READONLY,
		200, h_discover },
	{ "GET", "/v1/accounts/{id}/sso-domains", "sso_domains.list", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT, 200, h_dom_list },
	{ "POST", "/v1/accounts/{id}/sso-domains", "sso_domains.create", P(SECURITY_MANAGE),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_dom_create },
	{ "DELETE", "/v1/accounts/{id}/sso-domains/{domain_id}", "sso_domains.delete",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 204, h_dom_delete },
	{ "POST", "/v1/accounts/{id}/sso-domains/{domain_id}/verify", "sso_domains.verify",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_dom_verify },
	{ "POST", "/v1/provider/sso-domains/{domain_id}/verify", "provider.sso_domains.verify",
		P(PROVIDER_ACCOUNTS_MANAGE), 0, 200, h_dom_operator_verify },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
