/* The routes of the faxes area (see routes.c for the conventions): sending
 * and reading faxes, their documents and pages, CDRs, the rate table. */
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "router.h"
#include "xalloc.h"

#define P(x) PERM_BIT(PERM_##x)

/* The form of an upload: parts named "file" are the documents, in order;
 * every other part is a text field, collected as name -> [values]. Then
 * op(fields, files) (a send or a quote). */
typedef int (*fax_form_op)(dom_ctx_t *c, const json_t *fields, const fax_file_t *files,
	int nfiles, json_t **out, dom_err_t *e);

static int fax_form(const api_call_t *r, dom_ctx_t *c, fax_form_op op, json_t **out, dom_err_t *e)
{
	const mp_form_t *form = r->form;
	int n = form ? form->n : 0;
	fax_file_t *files = xcalloc((size_t)(n ? n : 1), sizeof *files);
	int nfiles = 0, rc = 0;
	json_t *fields = json_object();
	for (int i = 0; i < n && rc == 0; i++) {
		const mp_part_t *p = &form->parts[i];
		if (strcmp(p->name, "file") == 0) {
			files[nfiles].data = p->data;
			files[nfiles].len = p->len;
			nfiles++;
			continue;
		}
		json_t *v = json_stringn((const char *)p->data, p->len);
		if (!v || p->filename[0] || memchr(p->data, '\0', p->len)) {
			json_decref(v);
			rc = dom_fail(e, "validation-failed", p->name, "field \"%.40s\" must be UTF-8 text",
				p->name);
			break;
		}
		json_t *arr = json_object_get(fields, p->name);
		if (!arr) {
			arr = json_array();
			json_object_set_new(fields, p->name, arr);
		}
		json_array_append_new(arr, v);
	}
	if (rc == 0)
		rc = op(c, fields, files, nfiles, out, e);
	json_decref(fields);
	free(files);
	return rc;
}

static int h_fax_submit(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return fax_form(r, c, dom_fax_submit, out, e);
}

static int h_fax_quote(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	if (fax_form(r, c, dom_fax_quote, out, e) != 0)
		return -1;
	/* Documents: accepted, rendered and priced by the queue. */
	const char *id = json_string_value(json_object_get(*out, "id"));
	if (id) {
		r->raw->status = 202;
		r->raw->location = xasprintf("/v1/faxes/quotes/%s", id);
	}
	return 0;
}

static int h_fax_quote_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_fax_quote_get(c, route_param(r->m, "quote_id"), out, e);
}

static int h_fax_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_fax_list(c, r->query, r->cursor, r->limit, out, e);
}

static int h_fax_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_fax_get(c, route_param(r->m, "fax_id"), out, e);
}

static int h_fax_cancel(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_fax_cancel(c, route_param(r->m, "fax_id"), out, e);
}

static int h_fax_delete(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	return dom_fax_delete(c, route_param(r->m, "fax_id"), e);
}

static int h_fax_resend(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_fax_resend(c, route_param(r->m, "fax_id"), r->body, out, e);
}

static int h_fax_document(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	if (dom_fax_document(c, route_param(r->m, "fax_id"), &r->raw->data, &r->raw->len, e) != 0)
		return -1;
	r->raw->ctype = "application/pdf";
	r->raw->disposition = "attachment";
	snprintf(r->raw->filename, sizeof r->raw->filename, "%s.pdf", route_param(r->m, "fax_id"));
	return 0;
}

static int h_fax_page(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	if (dom_fax_page(c, route_param(r->m, "fax_id"), route_param(r->m, "n"),
		    json_string_value(json_object_get(r->query, "width")), &r->raw->data, &r->raw->len,
		    e) != 0)
		return -1;
	r->raw->ctype = "image/png";
	r->raw->disposition = "attachment";
	snprintf(r->raw->filename, sizeof r->raw->filename, "%s-page-%s.png",
		route_param(r->m, "fax_id"), route_param(r->m, "n"));
	return 0;
}

/* CSV when the client asks for text/csv (and not JSON first). */
static int wants_csv(const char *accept)
{
	if (!accept)
		return 0;
	const char *csv = strstr(accept, "text/csv");
	const char *js = strstr(accept, "application/json");
	return csv && (!js || csv < js);
}

static int h_cdr_list(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	if (!wants_csv(r->accept))
		return dom_cdr_list(c, r->account, r->query, r->cursor, r->limit, NULL, out, e);
	char *csv = NULL;
	if (dom_cdr_list(c, r->account, r->query, r->cursor, r->limit, &csv, out, e) != 0)
		return -1;
	r->raw->data = (unsigned char *)csv;
	r->raw->len = strlen(csv);
	r->raw->ctype = "text/csv; charset=utf-8";
	r->raw->disposition = "attachment";
	snprintf(r->raw->filename, sizeof r->raw->filename, "cdrs-%s.csv", route_param(r->m, "id"));
	return 0;
}

static int h_rates_get(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)r;
	return dom_rates_get(c, json_string_value(json_object_get(r->query, "currency")), out, e);
}

static int h_rates_put(const api_call_t *r, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	return dom_rates_put(c, r->body, out, e);
}

const struct route routes_faxes[] = {
	{ "POST", "/v1/faxes", "faxes.create", P(FAX_SEND), ROUTE_UPLOAD | ROUTE_CREATE, 202,
		h_fax_submit },
	{ "POST", "/v1/faxes/quote", "faxes.quote", P(FAX_SEND), ROUTE_UPLOAD | ROUTE_CREATE, 200,
		h_fax_quote },
	{ "GET", "/v1/faxes/quotes/{quote_id}", "faxes.quote_get", P(FAX_SEND), 0, 200,
		h_fax_quote_get },
	{ "GET", "/v1/faxes", "faxes.list", P(FAX_READ_OWN) | P(DATA_READ), 0, 200,
		h_fax_list },
	{ "GET", "/v1/faxes/{fax_id}", "faxes.get", P(FAX_READ_OWN) | P(DATA_READ), 0,
		200, h_fax_get },
	{ "DELETE", "/v1/faxes/{fax_id}", "faxes.delete", P(FAX_READ_OWN) | P(DATA_READ), 0, 204,
		h_fax_delete },
	{ "POST", "/v1/faxes/{fax_id}/cancel", "faxes.cancel", P(FAX_SEND), 0, 200, h_fax_cancel },
	{ "POST", "/v1/faxes/{fax_id}/resend", "faxes.resend", P(FAX_SEND), ROUTE_BODY | ROUTE_CREATE,
		202, h_fax_resend },
	{ "GET", "/v1/faxes/{fax_id}/document", "faxes.document", P(FAX_READ_OWN) | P(DATA_READ), 0,
		200, h_fax_document },
	{ "GET", "/v1/faxes/{fax_id}/pages/{n}.png", "faxes.page", P(FAX_READ_OWN) | P(DATA_READ), 0,
		200, h_fax_page },
	{ "GET", "/v1/accounts/{id}/cdrs", "cdrs.list", P(BILLING_READ), ROUTE_ACCOUNT, 200,
		h_cdr_list },
	{ "GET", "/v1/provider/rates", "rates.get", P(PROVIDER_TELEPHONY_MANAGE), 0, 200,
		h_rates_get },
	{ "PUT", "/v1/provider/rates", "rates.update", P(PROVIDER_TELEPHONY_MANAGE), ROUTE_BODY, 200,
		h_rates_put },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
