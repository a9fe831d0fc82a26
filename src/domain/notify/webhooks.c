/* Webhooks: subscriptions, the outbox written in the caller's transaction,
 * and the signature and retry schedule of deliveries (see webhooks.h). */
#include "notify.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "dom_util.h"
#include "log.h"
#include "queue.h"
#include "sec.h"
#include "identity/identity.h"
#include "store_webhooks.h"
#include "timeutil.h"
#include "xalloc.h"

#define WEBHOOK_DESCRIPTION_MAX 200

static const char *const event_types[] = { "fax.queued", "fax.delivered", "fax.partial",
	"fax.failed", "fax.received", NULL };

int webhook_event_known(const char *type)
{
	for (int i = 0; event_types[i]; i++)
		if (strcmp(type, event_types[i]) == 0)
			return 1;
	return 0;
}

/* ---- the protocol: signature and schedule (pure) ---- */

int webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
	size_t body_len, char out[WEBHOOK_SIG_MAX])
{
	if (strncmp(secret, "whsec_", 6) == 0)
		secret += 6;
	uint8_t key[128];
	size_t keylen = 0;
	if (sodium_base642bin(key, sizeof key, secret, strlen(secret), NULL, &keylen, NULL,
		    sodium_base64_VARIANT_ORIGINAL) != 0 || keylen == 0)
		return -1;
	char ts[24];
	int tl = snprintf(ts, sizeof ts, "%lld", (long long)timestamp);
	size_t il = strlen(msg_id);
	size_t n = il + 1 + (size_t)tl + 1 + body_len;
	char *msg = xmalloc(n);
	memcpy(msg, msg_id, il);
	msg[il] = '.';
	memcpy(msg + il + 1, ts, (size_t)tl);
	msg[il + 1 + (size_t)tl] = '.';
	memcpy(msg + il + 2 + (size_t)tl, body, body_len);
	uint8_t mac[SEC_SHA256_LEN];
	sec_hmac_sha256(key, keylen, msg, n, mac);
	sodium_memzero(key, sizeof key);
	free(msg);
	memcpy(out, "v1,", 3);
	sodium_bin2base64(out + 3, WEBHOOK_SIG_MAX - 3, mac, sizeof mac,
		sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

int webhook_signature_matches(const char *header, size_t len, const char *expected)
{
	size_t el = strlen(expected);
	int found = 0;
	size_t i = 0;
	while (i < len) {
		while (i < len && header[i] == ' ')
			i++;
		size_t start = i;
		while (i < len && header[i] != ' ')
			i++;
		size_t n = i - start;
		if (n == el && n > 3 && memcmp(header + start, "v1,", 3) == 0)
			found |= sec_equal(header + start, expected, el);
	}
	return found;
}

int64_t webhook_backoff_ms(int attempts)
{
	static const int64_t s[] = { 5, 30, 120, 600, 3600, 7200, 14400 };
	if (attempts < 1 || attempts >= WEBHOOK_MAX_ATTEMPTS)
		return -1;
	return s[attempts - 1] * 1000;
}

/* ---- the outbox ---- */

/* Writes one event and its deliveries: to `only` (a subscription id) or,
 * when NULL, to every active subscriber of type (no subscriber: nothing is
 * written). The event id in *event_id and the first delivery's id in
 * *delivery_id (caller frees) when asked. */
static int emit(store_tx_t *tx, const char *account_id, const char *type, const json_t *data,
	const char *only, char **event_id, char **delivery_id)
{
	int64_t now = time_now_ms();
	char ts[32];
	time_format_rfc3339(now, ts, sizeof ts);
	json_t *body = json_pack("{s:s, s:s, s:O}", "type", type, "timestamp", ts, "data",
		data ? (json_t *)data : json_null());
	char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!payload) {
		log_event(LOG_ERROR, "webhook.emit", "account=%s type=%s error=\"payload\"", account_id,
			type);
		return -1;
	}
	json_t *subs = only ? json_pack("[{s:s}]", "id", only)
			    : store_webhook_subscribers(tx, account_id, type);
	if (subs && json_array_size(subs) == 0) {
		json_decref(subs);
		free(payload);
		return 0;
	}
	int rc = subs ? STORE_OK : STORE_ERROR;
	char *id = sec_new_id("msg");
	if (rc == STORE_OK) {
		json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", id, "account_id", account_id,
			"type", type, "payload", payload, "created_at", (json_int_t)now);
		rc = store_webhook_event_insert(tx, ev);
		json_decref(ev);
	}
	size_t i;
	json_t *s;
	json_array_foreach(subs, i, s) {
		if (rc != STORE_OK)
			break;
		char *did = sec_new_id("whd");
		json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", did, "webhook_id",
			rec_str(s, "id"), "event_id", id, "account_id", account_id, "status", "pending",
			"next_attempt_at", (json_int_t)now, "created_at", (json_int_t)now);
		rc = store_webhook_delivery_insert(tx, d);
		json_decref(d);
		/* Its job, woken once tx commits. */
		json_t *jp = json_pack("{s:s}", "delivery_id", did);
		if (rc == STORE_OK && queue_enqueue(tx, WEBHOOK_JOB, account_id, did, jp,
			    WEBHOOK_MAX_ATTEMPTS, now, NULL) != 0)
			rc = STORE_ERROR;
		json_decref(jp);
		if (delivery_id && !*delivery_id)
			*delivery_id = did;
		else
			free(did);
	}
	json_decref(subs);
	free(payload);
	if (rc != STORE_OK) {
		log_event(LOG_ERROR, "webhook.emit", "account=%s type=%s error=\"store\"", account_id,
			type);
		free(id);
		if (delivery_id) {
			free(*delivery_id);
			*delivery_id = NULL;
		}
		return -1;
	}
	if (event_id)
		*event_id = id;
	else
		free(id);
	return 0;
}

int dom_webhook_emit(store_tx_t *tx, const char *account_id, const char *type,
	const json_t *data)
{
	return emit(tx, account_id, type, data, NULL, NULL, NULL);
}

/* ---- subscriptions ---- */

static json_t *events_json(const char *list)
{
	json_t *a = json_array();
	const char *p = list;
	while (*p) {
		const char *q = strchr(p, ',');
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n + (q ? 1 : 0);
	}
	return a;
}

static json_t *webhook_public(const json_t *w)
{
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:o}", "id", rec_str(w, "id"), "url",
		rec_str(w, "url"), "events", events_json(rec_str(w, "events")), "description",
		rec_str(w, "description"), "status", rec_str(w, "status"), "created_at",
		time_json(json_object_get(w, "created_at")), "updated_at",
		time_json(json_object_get(w, "updated_at")));
}

static json_t *delivery_public(const json_t *d)
{
	bool pending = strcmp(rec_str(d, "status"), "pending") == 0;
	return json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:O, s:o, s:o, s:o}", "id",
		rec_str(d, "id"), "event_id", rec_str(d, "event_id"), "type", rec_str(d, "type"),
		"status", rec_str(d, "status"), "attempts", json_object_get(d, "attempts"),
		"last_status_code", json_object_get(d, "last_status_code"), "last_error",
		json_object_get(d, "last_error"), "next_attempt_at",
		pending ? time_json(json_object_get(d, "next_attempt_at")) : json_null(),
		"delivered_at", time_json(json_object_get(d, "delivered_at")), "created_at",
		time_json(json_object_get(d, "created_at")));
}

/* Checks a URL: its form, then every address its host resolves to. A name
 * is resolved outside the request's transaction (the resolver may take
 * seconds, and the write lock is everyone's), so callers check the URL
 * before they read or write anything. */
static int check_url(dom_ctx_t *c, const char *url, dom_err_t *e)
{
	ssrf_url_t u;
	const char *why;
	if (ssrf_url_parse(url, strlen(url), &u, &why) != 0)
		return dom_fail_sub(e, "validation-failed", "url", "\"url\" is not valid: %s", why);
	char addr[64];
	const char *allow = c->cfg && c->cfg->fax ? c->cfg->fax->webhook_allow : NULL;
	if (!u.literal && dom_tx_pause(c, e) != 0)
		return -1;
	int rc = ssrf_resolve(&u, allow, addr, sizeof addr, &why);
	if (!u.literal && dom_tx_resume(c, e) != 0)
		return -1;
	if (rc != 0)
		return dom_fail_text(e, "url-not-allowed", "url", why);
	return 0;
}

/* The events of a body as a comma-separated list (caller frees), or NULL with e. */
static char *events_list(const json_t *body, dom_err_t *e)
{
	const json_t *ev = json_object_get(body, "events");
	if (!json_is_array(ev) || json_array_size(ev) == 0) {
		dom_fail(e, "validation-failed", "events",
			"\"events\" must be a non-empty list of event types");
		return NULL;
	}
	char list[256] = "";
	size_t n = 0, i;
	json_t *it;
	json_array_foreach(ev, i, it) {
		const char *t = json_string_value(it);
		if (!t || !webhook_event_known(t)) {
			dom_fail(e, "validation-failed", "events",
				"\"events\" may list fax.queued, fax.delivered, fax.partial, fax.failed,"
				" fax.received");
			return NULL;
		}
		char probe[40];
		snprintf(probe, sizeof probe, ",%s,", t);
		char have[260];
		snprintf(have, sizeof have, ",%s,", list);
		if (strstr(have, probe))
			continue; /* a repeated type counts once */
		n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? "," : "", t);
	}
	return xstrdup(list);
}

static int description(const json_t *body, const char **out, dom_err_t *e)
{
	if (body_str(body, "description", false, out, e))
		return -1;
	if (*out) {
		size_t n = strlen(*out);
		if (n > WEBHOOK_DESCRIPTION_MAX)
			return dom_fail(e, "validation-failed", "description",
				"\"description\" is at most 200 characters");
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)(*out)[i] < 0x20)
				return dom_fail(e, "validation-failed", "description",
					"\"description\" must not contain control characters");
	}
	return 0;
}

static char *new_secret(void)
{
	uint8_t raw[WEBHOOK_SECRET_BYTES];
	sec_random(raw, sizeof raw);
	char b64[sodium_base64_ENCODED_LEN(WEBHOOK_SECRET_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(raw, sizeof raw);
	return xasprintf("whsec_%s", b64);
}

/* When stored (the write went through), the subscription read back with its
 * new secret in *out, and true; false otherwise. The secret is wiped and
 * freed either way. */
static bool answer_with_secret(dom_ctx_t *c, bool stored, const char *account_id,
	const char *id, char *secret, json_t **out)
{
	json_t *w = stored ? store_webhook_get(c->tx, account_id, id) : NULL;
	if (w) {
		*out = webhook_public(w);
		json_object_set_new(*out, "secret", json_string(secret));
	}
	json_decref(w);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	return w != NULL;
}

int dom_webhook_create(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "url", "events", "description", NULL };
	const char *url, *desc;
	if (body_only(body, allowed, e) || body_str(body, "url", true, &url, e) ||
	    description(body, &desc, e) || check_url(c, url, e))
		return -1;
	char *events = events_list(body, e);
	if (!events)
		return -1;
	int64_t now = time_now_ms();
	char *id = sec_new_id("whk");
	char *secret = new_secret();
	/* Stored sealed under the account's key; shown once, in this answer. */
	char *sealed = dom_secret_seal(c, rec_str(a, "id"), "webhook", id, secret);
	json_t *w = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:I}", "id", id,
		"account_id", rec_str(a, "id"), "url", url, "events", events, "description",
		desc ? desc : "", "status", "active", "secret", sealed, "created_at", (json_int_t)now,
		"updated_at", (json_int_t)now);
	int rc = sealed ? store_webhook_insert(c->tx, w) : STORE_ERROR;
	free(sealed);
	json_decref(w);
	json_t *detail = json_pack("{s:s, s:o}", "url", url, "events", events_json(events));
	if (rc == STORE_OK)
		rc = dom_audit(c, "webhook.create", id, rec_str(a, "id"), "success", detail);
	json_decref(detail);
	bool stored = answer_with_secret(c, rc == 0, rec_str(a, "id"), id, secret, out);
	free(events);
	free(id);
	return stored ? 0 : dom_fail(e, "internal", "", "the webhook could not be stored");
}

int dom_webhook_list(dom_ctx_t *c, const json_t *a, const char *cursor, int limit,
	json_t **out, dom_err_t *e)
{
	store_page_t pg;
	if (store_webhook_list(c->tx, rec_str(a, "id"), cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "webhooks could not be read");
	*out = page_json(&pg, webhook_public);
	return dom_read_audited(c, "webhook.list", rec_str(a, "id"), rec_str(a, "id"), out, e);
}

int dom_webhook_get(dom_ctx_t *c, const json_t *a, const char *id, json_t **out, dom_err_t *e)
{
	json_t *w = store_webhook_get(c->tx, rec_str(a, "id"), id);
	if (!w)
		return dom_fail(e, "not-found", "", "no such webhook");
	*out = webhook_public(w);
	json_decref(w);
	return dom_read_audited(c, "webhook.read", id, rec_str(a, "id"), out, e);
}

int dom_webhook_update(dom_ctx_t *c, const json_t *a, const char *id, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "url", "events", "description", "status", NULL };
	const char *url, *desc, *status;
	if (body_only(body, allowed, e) || body_str(body, "url", false, &url, e) ||
	    description(body, &desc, e) || body_str(body, "status", false, &status, e))
		return -1;
	if (status && strcmp(status, "active") != 0 && strcmp(status, "disabled") != 0)
		return dom_fail(e, "validation-failed", "status",
			"\"status\" is \"active\" or \"disabled\"");
	if (url && check_url(c, url, e))
		return -1;
	json_t *w = store_webhook_get(c->tx, rec_str(a, "id"), id);
	if (!w)
		return dom_fail(e, "not-found", "", "no such webhook");
	json_decref(w);
	char *events = NULL;
	if (json_object_get(body, "events") && !(events = events_list(body, e)))
		return -1;
	json_t *f = json_pack("{s:I}", "updated_at", (json_int_t)time_now_ms());
	json_t *detail = json_object();
	if (url) {
		json_object_set_new(f, "url", json_string(url));
		json_object_set_new(detail, "url", json_string(url));
	}
	if (events) {
		json_object_set_new(f, "events", json_string(events));
		json_object_set_new(detail, "events", events_json(events));
	}
	if (desc)
		json_object_set_new(f, "description", json_string(desc));
	if (status) {
		json_object_set_new(f, "status", json_string(status));
		json_object_set_new(detail, "status", json_string(status));
	}
	free(events);
	int rc = store_webhook_update(c->tx, rec_str(a, "id"), id, f);
	json_decref(f);
	if (rc == STORE_OK)
		rc = dom_audit(c, "webhook.update", id, rec_str(a, "id"), "success", detail);
	json_decref(detail);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the webhook could not be updated");
	return dom_webhook_get(c, a, id, out, e);
}

int dom_webhook_delete(dom_ctx_t *c, const json_t *a, const char *id, json_t **out,
	dom_err_t *e)
{
	*out = NULL;
	int rc = store_webhook_delete(c->tx, rec_str(a, "id"), id, time_now_ms());
	if (rc == STORE_NOTFOUND)
		return dom_fail(e, "not-found", "", "no such webhook");
	if (rc == STORE_OK)
		rc = dom_audit(c, "webhook.delete", id, rec_str(a, "id"), "success", NULL);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the webhook could not be deleted");
}

int dom_webhook_rotate_secret(dom_ctx_t *c, const json_t *a, const char *id, json_t **out,
	dom_err_t *e)
{
	if (!vault_id_valid(id)) /* no webhook has such an id, and it cannot be sealed for */
		return dom_fail(e, "not-found", "", "no such webhook");
	char *secret = new_secret();
	char *sealed = dom_secret_seal(c, rec_str(a, "id"), "webhook", id, secret);
	json_t *f = json_pack("{s:s?, s:I}", "secret", sealed, "updated_at",
		(json_int_t)time_now_ms());
	int rc = sealed ? store_webhook_update(c->tx, rec_str(a, "id"), id, f) : STORE_ERROR;
	free(sealed);
	json_decref(f);
	if (rc == STORE_OK)
		rc = dom_audit(c, "webhook.rotate_secret", id, rec_str(a, "id"), "success", NULL);
	if (answer_with_secret(c, rc == 0, rec_str(a, "id"), id, secret, out))
		return 0;
	return rc == STORE_NOTFOUND ? dom_fail(e, "not-found", "", "no such webhook")
				    : dom_fail(e, "internal", "", "the secret could not be changed");
}

int dom_webhook_test(dom_ctx_t *c, const json_t *a, const char *id, json_t **out, dom_err_t *e)
{
	json_t *w = store_webhook_get(c->tx, rec_str(a, "id"), id);
	if (!w)
		return dom_fail(e, "not-found", "", "no such webhook");
	bool active = strcmp(rec_str(w, "status"), "active") == 0;
	json_decref(w);
	if (!active)
		return dom_fail(e, "invalid-state", "status", "the webhook is disabled");
	json_t *data = json_pack("{s:s}", "webhook_id", id);
	char *event_id = NULL, *delivery_id = NULL;
	int rc = emit(c->tx, rec_str(a, "id"), "webhook.test", data, id, &event_id, &delivery_id);
	json_decref(data);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the test event could not be stored");
	*out = json_pack("{s:s, s:s, s:s}", "event_id", event_id, "delivery_id",
		delivery_id ? delivery_id : "", "status", "pending");
	free(event_id);
	free(delivery_id);
	return 0;
}

int dom_webhook_deliveries(dom_ctx_t *c, const json_t *a, const char *id, const char *cursor,
	int limit, json_t **out, dom_err_t *e)
{
	json_t *w = store_webhook_get(c->tx, rec_str(a, "id"), id);
	if (!w)
		return dom_fail(e, "not-found", "", "no such webhook");
	json_decref(w);
	store_page_t pg;
	if (store_webhook_delivery_list(c->tx, rec_str(a, "id"), id, cursor, limit, &pg) !=
	    STORE_OK)
		return dom_fail(e, "internal", "", "deliveries could not be read");
	*out = page_json(&pg, delivery_public);
	return dom_read_audited(c, "webhook.deliveries.read", id, rec_str(a, "id"), out, e);
}
