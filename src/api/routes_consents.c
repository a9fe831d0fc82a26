/* The routes of delegated access to an account (see routes.c for the
 * conventions): consents given by the owner to a partner. Giving and
 * revoking one is the owner's own act (ownership.transfer is the owner's
 * alone; the domain checks it is the owner in person); the owner, the
 * administrators who manage administrators or security, and the partner's
 * staff see them. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "router.h"

#define P(x) PERM_BIT(PERM_##x)

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_consent_create(c, r->account, r->body, out, e);
}

/* The form of a consent given by letter: one file part "letter", the
 * other parts text fields. */
static int h_letter(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	json_t *fields = json_object();
	const mp_part_t *letter = NULL;
	int rc = 0;
	for (int i = 0; rc == 0 && i < r->form->n; i++) {
		const mp_part_t *p = &r->form->parts[i];
		if (strcmp(p->name, "letter") == 0) {
			rc = letter ? dom_fail(e, "validation-failed", "letter", "send one signed letter") : 0;
			letter = p;
			continue;
		}
		json_t *v = json_stringn((const char *)p->data, p->len);
		if (!v || json_object_get(fields, p->name)) {
			json_decref(v);
			rc = dom_fail(e, "validation-failed", p->name, "\"%s\" must be UTF-8 text, given once",
				p->name);
		} else {
			json_object_set_new(fields, p->name, v);
		}
	}
	if (rc == 0)
		rc = dom_consent_letter(c, r->account, fields, letter ? letter->data : NULL,
			letter ? letter->len : 0, out, e);
	json_decref(fields);
	return rc;
}

static int h_review_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_consent_review_list(c, r->query, out, e);
}

static int h_review(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_consent_review(c, route_param(r->m, "consent_id"), r->body, out, e);
}

static int h_letter_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	const char *id = route_param(r->m, "consent_id");
	if (dom_consent_letter_get(c, id, &r->raw->data, &r->raw->len, e) != 0)
		return -1;
	r->raw->ctype = "application/pdf";
	r->raw->disposition = "attachment";
	snprintf(r->raw->filename, sizeof r->raw->filename, "%s-letter.pdf", id);
	return 0;
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_consent_list(c, r->account, out, e);
}

static int h_grant_request(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_grant_request(c, r->account, r->body, out, e);
}

static int h_grant_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_grant_list(c, r->account, out, e);
}

static int h_grant_approve(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_grant_approve(c, r->account, route_param(r->m, "grant_id"), out, e);
}

static int h_grant_revoke(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_grant_revoke(c, r->account, route_param(r->m, "grant_id"), out, e);
}

static int h_revoke(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_consent_revoke(c, r->account, route_param(r->m, "consent_id"), out, e);
}

const struct route routes_consents[] = {
	{ "POST", "/v1/accounts/{id}/consents", "consents.create", P(OWNERSHIP_TRANSFER),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_create },
	{ "GET", "/v1/accounts/{id}/consents", "consents.list",
		P(OWNERSHIP_TRANSFER) | P(ADMINS_MANAGE) | P(SECURITY_MANAGE) | P(PARTNER_ACCOUNTS_READ),
		ROUTE_ACCOUNT | ROUTE_READONLY, 200, h_list },
	{ "DELETE", "/v1/accounts/{id}/consents/{consent_id}", "consents.delete", P(OWNERSHIP_TRANSFER),
		ROUTE_ACCOUNT, 204, h_revoke },
	/* A consent by signed letter: the owner uploads it; an operator
	 * (provider.accounts.manage) reads the letter and approves or
	 * rejects it with a reason. */
	{ "POST", "/v1/accounts/{id}/consents/letter", "consents.letter.create", P(OWNERSHIP_TRANSFER),
		ROUTE_ACCOUNT | ROUTE_UPLOAD | ROUTE_CREATE, 201, h_letter },
	{ "GET", "/v1/provider/consents", "provider.consents.list", P(PROVIDER_ACCOUNTS_MANAGE),
		ROUTE_READONLY, 200, h_review_list },
	{ "GET", "/v1/provider/consents/{consent_id}/letter", "provider.consents.letter",
		P(PROVIDER_ACCOUNTS_MANAGE), 0, 200, h_letter_get },
	{ "POST", "/v1/provider/consents/{consent_id}/review", "provider.consents.review",
		P(PROVIDER_ACCOUNTS_MANAGE), ROUTE_BODY, 200, h_review },
	/* Support access grants: provider staff ask; the owner or an
	 * administrator (security.manage; the domain wants an account member in
	 * person) decides; the account and staff see the list. */
	{ "POST", "/v1/accounts/{id}/access-grants", "access_grants.create", P(PROVIDER_ACCOUNTS_READ),
		ROUTE_ACCOUNT | ROUTE_BODY | ROUTE_CREATE, 201, h_grant_request },
	{ "GET", "/v1/accounts/{id}/access-grants", "access_grants.list",
		P(SECURITY_MANAGE) | P(DATA_READ) | P(PROVIDER_ACCOUNTS_READ), ROUTE_ACCOUNT | ROUTE_READONLY,
		200, h_grant_list },
	{ "POST", "/v1/accounts/{id}/access-grants/{grant_id}/approve", "access_grants.approve",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_grant_approve },
	{ "POST", "/v1/accounts/{id}/access-grants/{grant_id}/revoke", "access_grants.revoke",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_grant_revoke },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
