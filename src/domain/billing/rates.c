/* The provider's rate tables, one per currency: a price per page (integer
 * minor units) by destination prefix. A fax is priced in its account's
 * currency: the estimated cost is its pages times the price of the longest
 * matching prefix; its cost, the pages confirmed times that price. */
#include <ctype.h>
#include <string.h>

#include "dom_util.h"
#include "fax/fax.h"
#include "store_fax.h"

#define PRICE_MAX 1000000000LL

static const char *default_currency(dom_ctx_t *c)
{
	return fax_env_currency(c->cfg ? c->cfg->fax : NULL);
}

static json_t *rates_json(dom_ctx_t *c, json_t *rows)
{
	json_t *arr = json_array();
	const char *cur = NULL;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		cur = rec_str(r, "currency");
		json_array_append_new(arr, json_pack("{s:s, s:I}", "prefix", rec_str(r, "prefix"),
			"price_per_page", json_integer_value(json_object_get(r, "price_per_page"))));
	}
	json_t *o = json_pack("{s:s, s:o}", "currency", cur && *cur ? cur : default_currency(c),
		"rates", arr);
	return o;
}

static bool currency_ok(const char *cur)
{
	return strlen(cur) == 3 && isupper((unsigned char)cur[0]) && isupper((unsigned char)cur[1]) &&
		isupper((unsigned char)cur[2]);
}

int dom_rates_get(dom_ctx_t *c, const char *currency, json_t **out, dom_err_t *e)
{
	if (!currency || !*currency)
		currency = default_currency(c);
	if (!currency_ok(currency))
		return dom_fail(e, "invalid-parameter", "currency",
			"currency must be an ISO 4217 code, like EUR");
	json_t *rows = store_rates_list(c->tx, currency);
	if (!rows)
		return dom_fail(e, "internal", "", "the rates could not be read");
	*out = rates_json(c, rows);
	json_object_set_new(*out, "currency", json_string(currency));
	json_decref(rows);
	return 0;
}

static bool prefix_ok(const char *p)
{
	size_t n = strlen(p);
	if (n < 2 || n > 16 || p[0] != '+')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return false;
	return true;
}

int dom_rates_put(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "currency", "rates", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	const char *cur = NULL;
	if (body_str(body, "currency", false, &cur, e) != 0)
		return -1;
	if (!cur)
		cur = default_currency(c);
	if (!currency_ok(cur))
		return dom_fail(e, "validation-failed", "currency",
			"currency must be an ISO 4217 code, like EUR");
	const json_t *rates = json_object_get(body, "rates");
	if (!json_is_array(rates) || json_array_size(rates) > FAX_RATES_MAX)
		return dom_fail(e, "validation-failed", "rates",
			"rates must be a list of at most %d {prefix, price_per_page}", FAX_RATES_MAX);
	size_t i;
	json_t *r;
	json_array_foreach(rates, i, r) {
		const char *p = json_string_value(json_object_get(r, "prefix"));
		const json_t *price = json_object_get(r, "price_per_page");
		if (!json_is_object(r) || json_object_size(r) != 2 || !p || !prefix_ok(p) ||
		    !json_is_integer(price) || json_integer_value(price) < 0 ||
		    json_integer_value(price) > PRICE_MAX)
			return dom_fail(e, "validation-failed", "rates",
				"rates[%zu] must be {prefix: \"+digits\", price_per_page: 0..%lld (minor units)}",
				i, PRICE_MAX);
		for (size_t k = 0; k < i; k++)
			if (strcmp(p, json_string_value(json_object_get(json_array_get(rates, k),
						"prefix"))) == 0)
				return dom_fail(e, "validation-failed", "rates", "prefix %s appears twice", p);
	}
	if (store_rates_replace(c->tx, rates, cur) != STORE_OK ||
	    fax_audit_c(c, "rates.update", "rates", NULL, "success",
		    json_pack("{s:s, s:I}", "currency", cur, "prefixes", (json_int_t)json_array_size(rates)))
	    != 0)
		return dom_fail(e, "internal", "", "the rates could not be stored");
	return dom_rates_get(c, cur, out, e);
}
