/* The webhook sender thread (see webhook_sender.h). */
#include "webhook_sender.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "store_webhooks.h"
#include "timeutil.h"
#include "xalloc.h"

struct webhook_sender {
	store_t *st;
	const fax_env_t *env;
	int timeout_ms;
};

/* What one attempt came to. */
struct outcome {
	long code;                     /* HTTP status, 0 when none */
	char error[WEBHOOK_ERROR_MAX]; /* "" when delivered */
	size_t elen;
};

/* Keeps the first bytes of a response body as the error, drops the rest. */
static size_t keep_head(char *p, size_t size, size_t n, void *arg)
{
	struct outcome *o = arg;
	size_t len = size * n, room = sizeof o->error - 1 - o->elen;
	size_t take = len < room ? len : room;
	for (size_t i = 0; i < take; i++) {
		unsigned char ch = (unsigned char)p[i];
		o->error[o->elen++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
	}
	o->error[o->elen] = '\0';
	return len;
}

static void post(webhook_sender_t *w, const json_t *d, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	const char *url = json_string_value(json_object_get(d, "url"));
	const char *secret = json_string_value(json_object_get(d, "secret"));
	const char *msg_id = json_string_value(json_object_get(d, "event_id"));
	const char *payload = json_string_value(json_object_get(d, "payload"));
	ssrf_url_t u;
	const char *why;
	char addr[64];
	if (!url || !secret || !msg_id || !payload) {
		snprintf(o->error, sizeof o->error, "delivery record incomplete");
		return;
	}
	if (ssrf_url_parse(url, strlen(url), &u, &why) != 0 ||
	    ssrf_resolve(&u, w->env ? w->env->webhook_allow : NULL, addr, sizeof addr, &why) != 0) {
		snprintf(o->error, sizeof o->error, "url not allowed: %s", why);
		return;
	}
	int64_t ts = time_now_ms() / 1000;
	char sig[WEBHOOK_SIG_MAX];
	/* The secret is stored sealed under the account's key. */
	char *clear = secret_open_row(w->env, json_string_value(json_object_get(d, "account_id")),
		json_string_value(json_object_get(d, "account_key")), "webhook",
		json_string_value(json_object_get(d, "webhook_id")), secret);
	if (!clear) {
		snprintf(o->error, sizeof o->error, "the secret does not open");
		return;
	}
	int signed_ok = webhook_sign(clear, msg_id, ts, payload, strlen(payload), sig);
	vault_secret_free(clear);
	if (signed_ok != 0) {
		snprintf(o->error, sizeof o->error, "the secret does not decode");
		return;
	}
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(o->error, sizeof o->error, "no HTTP client");
		return;
	}
	char hdr[4][160];
	snprintf(hdr[0], sizeof hdr[0], "webhook-id: %s", msg_id);
	snprintf(hdr[1], sizeof hdr[1], "webhook-timestamp: %lld", (long long)ts);
	snprintf(hdr[2], sizeof hdr[2], "webhook-signature: %s", sig);
	snprintf(hdr[3], sizeof hdr[3], "User-Agent: faxvault-webhooks/%s", FV_VERSION);
	struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/json");
	for (int i = 0; i < 4; i++)
		hl = curl_slist_append(hl, hdr[i]);
	hl = curl_slist_append(hl, "Expect:");
	/* Pin the connection to the address that was checked: curl would
	 * otherwise resolve the name again and could get another answer. */
	struct curl_slist *pin = NULL;
	if (!u.literal) {
		char r[SSRF_HOST_MAX + 80];
		snprintf(r, sizeof r, strchr(addr, ':') ? "%s:%d:[%s]" : "%s:%d:%s", u.host, u.port,
			addr);
		pin = curl_slist_append(NULL, r);
		curl_easy_setopt(h, CURLOPT_RESOLVE, pin);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)w->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)w->timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_head);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, o);
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		snprintf(o->error, sizeof o->error, "%s", curl_easy_strerror(rc));
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &o->code);
		if (o->code >= 200 && o->code < 300)
			o->error[0] = '\0';
		else if (o->elen == 0)
			snprintf(o->error, sizeof o->error, "HTTP %ld", o->code);
	}
	curl_slist_free_all(hl);
	curl_slist_free_all(pin);
	curl_easy_cleanup(h);
}

static const audit_ctx_t sender_actor = { .actor = "system:webhooks", .source = "",
	.request_id = "" };

/* Records the outcome of attempt number job->attempt of d, in a
 * transaction that holds the job's lease (a node that lost it records
 * nothing: the node that took it over sends again). */
static void record(webhook_sender_t *w, const queue_job_t *job, const json_t *d,
	const struct outcome *o, bool ok, bool give_up)
{
	int attempts = job->attempt;
	int64_t now = time_now_ms();
	int64_t delay = ok || give_up ? -1 : webhook_backoff_ms(attempts);
	const char *status = ok ? "delivered" : give_up ? "failed" : "pending";
	json_t *f = json_pack("{s:s, s:i, s:I, s:I}", "status", status, "attempts", attempts,
		"last_status_code", (json_int_t)o->code, "next_attempt_at",
		(json_int_t)(delay < 0 ? now : now + delay));
	if (!ok)
		json_object_set_new(f, "last_error", json_string(o->error));
	if (ok)
		json_object_set_new(f, "delivered_at", json_integer(now));
	const char *id = json_string_value(json_object_get(d, "id"));
	store_tx_t *tx = store_begin(w->st, true);
	int rc = tx ? queue_job_hold(tx, job) : STORE_ERROR;
	if (rc == STORE_OK)
		rc = store_webhook_delivery_record(tx, id, f);
	/* The attempt sent the account's event to its URL: the webhook
	 * sender is named as the actor. */
	if (rc == STORE_OK) {
		json_t *ad = json_pack("{s:s, s:s, s:i, s:I, s:s}", "webhook_id",
			json_string_value(json_object_get(d, "webhook_id")), "event_id",
			json_string_value(json_object_get(d, "event_id")), "attempt", attempts, "http",
			(json_int_t)o->code, "status", status);
		if (audit_record(tx, &sender_actor, "webhook.deliver", id,
			    json_string_value(json_object_get(d, "account_id")), ok ? "success" : "failure",
			    ad) != 0)
			rc = STORE_ERROR;
		json_decref(ad);
	}
	if (tx && rc == STORE_OK)
		rc = store_commit(tx);
	else if (tx)
		store_rollback(tx);
	json_decref(f);
	char q[WEBHOOK_ERROR_MAX + 16];
	log_event(ok ? LOG_INFO : LOG_WARN, "webhook.attempt",
		"delivery=%s event=%s webhook=%s job=%s attempt=%d status=%s http=%ld error=%s%s", id,
		json_string_value(json_object_get(d, "event_id")),
		json_string_value(json_object_get(d, "webhook_id")), job->id, attempts, status,
		o->code, log_quote(o->error, q, sizeof q), rc == STORE_OK ? "" : " recorded=no");
}

/* One run of a delivery's job: one attempt, recorded on the delivery (its
 * log), retried by the queue on the schedule of webhook_backoff_ms(). */
static enum queue_outcome deliver(const queue_job_t *job, void *arg, char *why, size_t whylen)
{
	webhook_sender_t *w = arg;
	const char *id = json_string_value(json_object_get(job->payload, "delivery_id"));
	if (!id) {
		snprintf(why, whylen, "the job names no delivery");
		return QUEUE_FAIL;
	}
	store_tx_t *tx = store_begin(w->st, false);
	json_t *d = tx ? store_webhook_delivery_load(tx, id) : NULL;
	if (tx)
		store_rollback(tx);
	if (!d) {
		snprintf(why, whylen, "the delivery could not be read");
		return QUEUE_RETRY;
	}
	const char *st = json_string_value(json_object_get(d, "status"));
	const char *ws = json_string_value(json_object_get(d, "webhook_status"));
	bool active = ws && strcmp(ws, "active") == 0;
	/* Delivered already, or failed with its subscription (deleted or
	 * disabled): nothing left to send. */
	if (!st || strcmp(st, "delivered") == 0 || (strcmp(st, "failed") == 0 && !active)) {
		json_decref(d);
		return QUEUE_DONE;
	}
	struct outcome o;
	if (active) {
		post(w, d, &o);
	} else {
		memset(&o, 0, sizeof o);
		snprintf(o.error, sizeof o.error, "subscription disabled");
	}
	bool ok = active && o.code >= 200 && o.code < 300;
	bool give_up = !ok && (!active || job->attempt >= job->max_attempts);
	record(w, job, d, &o, ok, give_up);
	json_decref(d);
	if (ok)
		return QUEUE_DONE;
	snprintf(why, whylen, "%s", o.error[0] ? o.error : "not delivered");
	return give_up ? QUEUE_FAIL : QUEUE_RETRY;
}

/* The queue's delay after a failed attempt: the webhook schedule. */
static int64_t delivery_backoff(int attempt)
{
	int64_t d = webhook_backoff_ms(attempt);
	return d >= 0 ? d : webhook_backoff_ms(WEBHOOK_MAX_ATTEMPTS - 1);
}

webhook_sender_t *webhook_sender_register(queue_t *q, store_t *st, const fax_env_t *env,
	int timeout_ms, char *err, size_t errlen)
{
	cidr_t allow[SSRF_ALLOW_MAX];
	const char *why;
	if (env && ssrf_allow_parse(env->webhook_allow, allow, SSRF_ALLOW_MAX, &why) < 0) {
		snprintf(err, errlen, "webhooks.allow_cidrs: %s", why);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "libcurl could not be initialised");
		return NULL;
	}
	webhook_sender_t *w = xcalloc(1, sizeof *w);
	w->st = st;
	w->env = env;
	w->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	/* The lease outlives the longest attempt, so a live sender keeps it. */
	queue_kind_t k = { .kind = WEBHOOK_JOB, .run = deliver, .arg = w,
		.lease_ms = (int64_t)w->timeout_ms * 2 + 60000, .backoff = delivery_backoff };
	if (queue_register(q, &k) != 0) {
		snprintf(err, errlen, "the queue takes no more kinds");
		free(w);
		return NULL;
	}
	log_event(LOG_INFO, "webhook.sender_started", "node=%s timeout_ms=%d", queue_node(q),
		w->timeout_ms);
	return w;
}

void webhook_sender_free(webhook_sender_t *w)
{
	free(w);
}
