/* The routes of SafeBoxes (see routes.c for the conventions): the members'
 * side under /v1/safeboxes, the account's SafeBox profile and legal holds
 * on boxes. The guests' pages are src/api/guest.c. */
#include <string.h>

#include "router.h"
#include "safebox/safebox.h"

#define P(x) PERM_BIT(PERM_##x)

static const char *box_of(const api_call_t *r)
{
	return route_param(r->m, "safebox_id");
}

static int h_create(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_safebox_create(c, r->body, out, e);
}

static int h_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_safebox_list(c, r->cursor, r->limit, out, e);
}

static int h_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_safebox_get(c, box_of(r), out, e);
}

static int h_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	return dom_safebox_delete(c, box_of(r), e);
}

/* One part named "file"; no other part. */
static int h_file_add(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	const mp_form_t *form = r->form;
	const mp_part_t *file = NULL;
	for (int i = 0; form && i < form->n; i++) {
		const mp_part_t *p = &form->parts[i];
		if (strcmp(p->name, "file") != 0 || file)
			return dom_fail(e, "validation-failed", p->name, "send exactly one part, named "
				"\"file\"");
		file = p;
	}
	if (!file)
		return dom_fail(e, "validation-failed", "file", "attach one file as \"file\"");
	return dom_safebox_file_add(c, box_of(r), file->data, file->len, file->filename, file->ctype,
		out, e);
}

static int h_file_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	char name[sizeof r->raw->filename];
	if (dom_safebox_file_get(c, box_of(r), route_param(r->m, "file_id"), &r->raw->data,
		    &r->raw->len, name, sizeof name, e) != 0)
		return -1;
	/* Never the type the uploader declared: a download is only ever saved. */
	r->raw->ctype = "application/octet-stream";
	r->raw->disposition = "attachment";
	snprintf(r->raw->filename, sizeof r->raw->filename, "%s", name);
	return 0;
}

static int h_message_add(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_safebox_message_add(c, box_of(r), r->body, out, e);
}

static int h_close(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_safebox_close(c, box_of(r), out, e);
}

static int h_extend(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_safebox_extend(c, box_of(r), r->body, out, e);
}

static int h_revoke(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	return dom_safebox_participant_revoke(c, box_of(r), route_param(r->m, "participant_id"), e);
}

static int h_hold(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_safebox_hold(c, r->account, box_of(r), r->body, out, e);
}

static int h_unhold(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_safebox_hold(c, r->account, box_of(r), NULL, out, e);
}

static int h_profile_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_safebox_profile_get(c, r->account, out, e);
}

static int h_profile_update(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_safebox_profile_update(c, r->account, r->body, out, e);
}

#define USE (P(SAFEBOX_USE))
#define SEE (P(SAFEBOX_USE) | P(DATA_READ))

const struct route routes_safebox[] = {
	{ "POST", "/v1/safeboxes", "safeboxes.create", USE, ROUTE_BODY | ROUTE_CREATE, 201, h_create },
	{ "GET", "/v1/safeboxes", "safeboxes.list", SEE, 0, 200, h_list },
	{ "GET", "/v1/safeboxes/{safebox_id}", "safeboxes.get", SEE, 0, 200, h_get },
	{ "DELETE", "/v1/safeboxes/{safebox_id}", "safeboxes.delete", SEE, 0, 204, h_delete },
	{ "POST", "/v1/safeboxes/{safebox_id}/files", "safeboxes.files.create", USE,
		ROUTE_UPLOAD | ROUTE_CREATE, 201, h_file_add },
	{ "GET", "/v1/safeboxes/{safebox_id}/files/{file_id}", "safeboxes.files.get", SEE, 0, 200,
		h_file_get },
	{ "POST", "/v1/safeboxes/{safebox_id}/messages", "safeboxes.messages.create", USE,
		ROUTE_BODY | ROUTE_CREATE, 201, h_message_add },
	{ "POST", "/v1/safeboxes/{safebox_id}/close", "safeboxes.close", USE, 0, 200, h_close },
	{ "POST", "/v1/safeboxes/{safebox_id}/extend", "safeboxes.extend", USE, ROUTE_BODY, 200,
		h_extend },
	{ "DELETE", "/v1/safeboxes/{safebox_id}/participants/{participant_id}",
		"safeboxes.participants.revoke", USE, 0, 204, h_revoke },
	{ "PUT", "/v1/accounts/{id}/safeboxes/{safebox_id}/legal-hold", "safeboxes.legal_hold.set",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY, 200, h_hold },
	{ "DELETE", "/v1/accounts/{id}/safeboxes/{safebox_id}/legal-hold",
		"safeboxes.legal_hold.lift", P(SECURITY_MANAGE), ROUTE_ACCOUNT, 200, h_unhold },
	{ "GET", "/v1/accounts/{id}/safebox-profile", "safebox_profile.get",
		P(SAFEBOX_USE) | P(SECURITY_MANAGE) | P(CONFIG_READ) | P(PARTNER_CONFIG_READ), ROUTE_ACCOUNT, 200,
		h_profile_get },
	{ "PATCH", "/v1/accounts/{id}/safebox-profile", "safebox_profile.update",
		P(SECURITY_MANAGE), ROUTE_ACCOUNT | ROUTE_BODY, 200, h_profile_update },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
