/* Call detail records: one per call attempt (fax_attempts), listed per
 * account with filters, as JSON pages or as one CSV file (RFC 4180). */
#include <string.h>

#include "dom_util.h"
#include "fax/fax.h"
#include "store_fax.h"
#include "timeutil.h"
#include "xalloc.h"

#define CSV_MAX (64u << 20) /* bytes of one export */

int csv_field(buf_t *b, const char *s)
{
	if (!s)
		s = "";
	/* Quoted when the field would otherwise be read differently; a leading
	 * =, +, - or @ is quoted too, and spreadsheets then keep it as text. */
	bool quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[0] == '\t' ||
		s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
	if (!quote)
		return buf_puts(b, s);
	if (buf_puts(b, "\"") != 0)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p == '"' && buf_puts(b, "\"") != 0)
			return -1;
		if (buf_append(b, p, 1) != 0)
			return -1;
	}
	return buf_puts(b, "\"");
}

static const char *const csv_cols[] = { "id", "fax_id", "account_id", "user_id", "attempt",
	"direction", "from", "to",
	"trunk", "started_at", "answered_at", "ended_at", "duration_ms", "pages_sent",
	"pages_confirmed", "first_page", "transport", "bit_rate", "ecm", "remote_ident", "t30_code",
	"t30_text", "result", "failure_class", "cost", NULL };

char *cdr_csv(const json_t *items)
{
	buf_t b;
	buf_init(&b, CSV_MAX);
	int rc = 0;
	for (int i = 0; csv_cols[i]; i++)
		rc |= buf_printf(&b, "%s%s", i ? "," : "", csv_cols[i]);
	rc |= buf_puts(&b, "\r\n");
	size_t k;
	json_t *it;
	json_array_foreach(items, k, it) {
		for (int i = 0; csv_cols[i] && rc == 0; i++) {
			const json_t *v = json_object_get(it, csv_cols[i]);
			char num[32];
			const char *s = "";
			if (json_is_string(v))
				s = json_string_value(v);
			else if (json_is_integer(v)) {
				snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
				s = num;
			} else if (json_is_boolean(v))
				s = json_is_true(v) ? "true" : "false";
			if (i)
				rc |= buf_puts(&b, ",");
			rc |= csv_field(&b, s);
		}
		rc |= buf_puts(&b, "\r\n");
	}
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	char *out = buf_steal(&b);
	return out ? out : xstrdup("");
}

static int time_param(const json_t *query, const char *key, int64_t *out, dom_err_t *e)
{
	const char *s = json_string_value(json_object_get(query, key));
	*out = 0;
	if (s && time_parse_rfc3339(s, out) != 0)
		return dom_fail(e, "invalid-parameter", key, "%s must be an RFC 3339 time", key);
	return 0;
}

int dom_cdr_list(dom_ctx_t *c, const json_t *account, const json_t *query, const char *cursor,
	int limit, char **csv, json_t **out, dom_err_t *e)
{
	store_cdr_filter_t f = { .account_id = rec_str(account, "id") };
	if (time_param(query, "since", &f.since, e) != 0 || time_param(query, "until", &f.until, e) != 0)
		return -1;
	f.direction = json_string_value(json_object_get(query, "direction"));
	f.result = json_string_value(json_object_get(query, "result"));
	if (f.direction && strcmp(f.direction, "outbound") != 0 && strcmp(f.direction, "inbound") != 0)
		return dom_fail(e, "invalid-parameter", "direction", "direction must be outbound or inbound");
	static const char *const results[] = { "ok", "partial", "failed", "interrupted", NULL };
	if (f.result) {
		int ok = 0;
		for (int i = 0; results[i]; i++)
			ok |= strcmp(results[i], f.result) == 0;
		if (!ok)
			return dom_fail(e, "invalid-parameter", "result",
				"result must be ok, partial, failed or interrupted");
	}
	store_page_t pg;
	if (store_cdr_list(c->tx, &f, cursor, csv ? 0 : limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the records could not be listed");
	json_t *items = json_array();
	size_t i;
	json_t *a;
	json_array_foreach(pg.items, i, a)
		json_array_append_new(items, fax_attempt_json(a));
	char *next = pg.next_cursor ? xstrdup(pg.next_cursor) : NULL;
	store_page_free(&pg);
	json_t *fl = json_object();
	static const char *const keys[] = { "since", "until", "direction", "result", NULL };
	for (int k = 0; keys[k]; k++)
		if (json_is_string(json_object_get(query, keys[k])))
			json_object_set(fl, keys[k], json_object_get(query, keys[k]));
	if (fax_audit_c(c, "cdrs.read", rec_str(account, "id"), rec_str(account, "id"), "success",
		    json_pack("{s:I, s:b, s:o}", "count", (json_int_t)json_array_size(items), "csv",
			    csv != NULL, "filter", fl)) != 0) {
		json_decref(items);
		free(next);
		return dom_fail(e, "internal", "", "the read could not be recorded");
	}
	if (csv) {
		*out = NULL;
		*csv = cdr_csv(items);
		json_decref(items);
		free(next);
		if (!*csv)
			return dom_fail(e, "payload-too-large", "",
				"the records pass the export's %u bytes: narrow since/until", CSV_MAX);
		return 0;
	}
	*out = json_pack("{s:o, s:o}", "items", items, "next_cursor",
		next ? json_string(next) : json_null());
	free(next);
	return 0;
}
