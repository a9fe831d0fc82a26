/* Hash-chained audit events (see audit.h). */
#include "audit.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sec.h"
#include "timeutil.h"
#include "xalloc.h"

/* The fields covered by the hash, in their canonical order. */
static const char *const chain_fields[] = { "seq", "id", "time", "actor_id", "actor_type",
	"on_behalf_of", "action", "target", "account_id", "source", "outcome", "detail", NULL };

int audit_canonical(const json_t *ev, buf_t *out)
{
	for (int i = 0; chain_fields[i]; i++) {
		const json_t *v = json_object_get(ev, chain_fields[i]);
		char num[32];
		const char *s = "";
		size_t n = 0;
		if (json_is_integer(v)) {
			n = (size_t)snprintf(num, sizeof num, "%" PRId64, (int64_t)json_integer_value(v));
			s = num;
		} else if (json_is_string(v)) {
			s = json_string_value(v);
			n = json_string_length(v);
		}
		if (buf_printf(out, "%zu:", n) || buf_append(out, s, n) || buf_append(out, ",", 1))
			return -1;
	}
	return 0;
}

void audit_hash(const char *prev, const json_t *ev, char out[AUDIT_HASH_HEX])
{
	buf_t b;
	buf_init(&b, 1 << 20);
	buf_append(&b, prev, strlen(prev));
	if (audit_canonical(ev, &b) != 0) {
		/* An event too large to encode cannot be chained: hash a marker
		 * instead, which verification will report as broken. */
		buf_reset(&b);
		buf_puts(&b, "oversized");
	}
	sec_sha256_hex(b.data, b.len, out);
	buf_free(&b);
}

int audit_record(store_tx_t *tx, const audit_ctx_t *ctx, const char *action, const char *target,
	const char *account_id, const char *outcome, const json_t *detail)
{
	int64_t seq;
	char prev[AUDIT_HASH_HEX];
	if (store_audit_head(tx, &seq, prev) != STORE_OK)
		return -1;
	const principal_t *p = ctx ? ctx->who : NULL;
	const char *sys = !p && ctx && ctx->actor && *ctx->actor ? ctx->actor : NULL;
	char *id = sec_new_id("evt");
	char *dj = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_t *ev = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		"seq", (json_int_t)(seq + 1), "id", id, "time", (json_int_t)time_now_ms(),
		"actor_id", p ? p->id : sys ? sys : "anonymous", "actor_type",
		p ? p->type : sys ? (strncmp(sys, "cli:", 4) == 0 ? "cli" : "system") : "anonymous",
		"on_behalf_of", p && strcmp(p->type, "api_key") == 0 ? p->person_id : "",
		"action", action, "target", target ? target : "", "account_id",
		account_id ? account_id : "", "source", ctx && ctx->source ? ctx->source : "",
		"outcome", outcome, "detail", dj ? dj : "{}");
	free(dj);
	free(id);
	if (!ev)
		return -1;
	char h[AUDIT_HASH_HEX];
	audit_hash(prev, ev, h);
	json_object_set_new(ev, "prev_hash", json_string(prev));
	json_object_set_new(ev, "hash", json_string(h));
	int rc = store_audit_insert(tx, ev);
	json_decref(ev);
	/* The log, kept elsewhere, anchors the chain now and then, so that a
	 * truncated chain can be told from an intact one. */
	if (rc == STORE_OK && (seq + 1) % 1000 == 0)
		log_event(LOG_INFO, "audit.head", "seq=%lld hash=%s", (long long)(seq + 1), h);
	return rc == STORE_OK ? 0 : -1;
}

struct walk {
	audit_report_t *r;
	char prev[AUDIT_HASH_HEX];
	int64_t expect_seq;
	int64_t anchor_seq;          /* 0: none */
	const char *anchor_hash;
	bool anchor_seen;
};

static int walk_one(const json_t *ev, void *arg)
{
	struct walk *w = arg;
	int64_t seq = json_integer_value(json_object_get(ev, "seq"));
	const char *stored_prev = json_string_value(json_object_get(ev, "prev_hash"));
	const char *stored = json_string_value(json_object_get(ev, "hash"));
	w->r->events++;
	const char *why = NULL;
	char h[AUDIT_HASH_HEX];
	if (seq != w->expect_seq)
		why = "sequence gap: an event before it was removed";
	else if (!stored_prev || strcmp(stored_prev, w->prev) != 0)
		why = "previous-hash link does not match the event before it";
	else {
		audit_hash(w->prev, ev, h);
		if (!stored || strcmp(stored, h) != 0)
			why = "content does not match its hash: the event was changed";
	}
	if (why) {
		w->r->broken_seq = seq;
		snprintf(w->r->broken_id, sizeof w->r->broken_id, "%s",
			json_string_value(json_object_get(ev, "id")) ? json_string_value(json_object_get(ev, "id")) : "");
		snprintf(w->r->reason, sizeof w->r->reason, "%s", why);
		return 1;
	}
	if (w->anchor_seq == seq) {
		w->anchor_seen = true;
		if (strcmp(stored, w->anchor_hash) != 0) {
			w->r->broken_seq = seq;
			snprintf(w->r->broken_id, sizeof w->r->broken_id, "%s",
				json_string_value(json_object_get(ev, "id")));
			snprintf(w->r->reason, sizeof w->r->reason,
				"the recorded head does not match: the chain was rewritten up to here");
			return 1;
		}
	}
	snprintf(w->prev, sizeof w->prev, "%s", stored);
	w->r->head_seq = seq;
	snprintf(w->r->head_hash, sizeof w->r->head_hash, "%s", stored);
	w->expect_seq++;
	return 0;
}

static int walk_all(store_t *st, struct walk *w)
{
	memset(w->prev, '0', 64);
	w->prev[64] = '\0';
	int rc = store_audit_foreach(st, walk_one, w);
	if (rc == 1)
		return 1;
	return rc == 0 ? 0 : -1;
}

int audit_verify(store_t *st, audit_report_t *r)
{
	memset(r, 0, sizeof *r);
	struct walk w = { .r = r, .expect_seq = 1 };
	return walk_all(st, &w);
}

int audit_verify_head(store_t *st, int64_t seq, const char *hash, audit_report_t *r)
{
	memset(r, 0, sizeof *r);
	struct walk w = { .r = r, .expect_seq = 1, .anchor_seq = seq, .anchor_hash = hash };
	int rc = walk_all(st, &w);
	if (rc == 0 && !w.anchor_seen) {
		r->broken_seq = seq;
		snprintf(r->reason, sizeof r->reason,
			"the chain ends at %lld, before the recorded head: its newest events were removed",
			(long long)r->head_seq);
		return 1;
	}
	return rc;
}
