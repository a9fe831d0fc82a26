/* GDPR export and erasure of one account member (see gdpr.h). */
#include "records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "audit/audit.h"
#include "records_int.h"
#include "fax/fax.h"
#include "i18n.h"
#include "queue.h"
#include "safebox/safebox.h"
#include "dom_util.h"
#include "store_fax.h"
#include "store_jobs.h"
#include "store_retention.h"
#include "timeutil.h"
#include "xalloc.h"

/* The member uid of the account, or NULL with e (404). New reference. */
static json_t *member_of(dom_ctx_t *c, const json_t *a, const char *uid, dom_err_t *e)
{
	json_t *t = store_member_get(c->tx, rec_str(a, "id"), uid);
	if (!t)
		dom_fail(e, "not-found", "", "no such user");
	return t;
}

static json_t *time_or_null(const json_t *rec, const char *key)
{
	return time_json(json_object_get(rec, key));
}

/* An audit event as the export shows it, its detail parsed. */
static json_t *event_view(const json_t *ev)
{
	json_t *d = json_loads(rec_str(ev, "detail"), 0, NULL);
	return json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "seq",
		(json_int_t)json_integer_value(json_object_get(ev, "seq")), "id", rec_str(ev, "id"),
		"time", time_or_null(ev, "time"), "actor_id", rec_str(ev, "actor_id"), "actor_type",
		rec_str(ev, "actor_type"), "action", rec_str(ev, "action"), "target",
		rec_str(ev, "target"), "outcome", rec_str(ev, "outcome"), "source",
		rec_str(ev, "source"), "detail", d ? d : json_object());
}

/* The member's faxes (sent by them or routed to them), newest first, at
 * most GDPR_EXPORT_FAXES_MAX; when docs is not NULL, {fax_id, doc_id} of
 * each with a document is appended to it. NULL on a store error. */
static json_t *faxes_of(dom_ctx_t *c, const char *account_id, const char *uid, json_t *docs)
{
	store_fax_filter_t f = { .account_id = account_id, .user_id = uid };
	json_t *out = json_array();
	char *cursor = NULL;
	for (;;) {
		store_page_t pg;
		if (store_fax_list(c->tx, &f, cursor, 200, &pg) != STORE_OK) {
			free(cursor);
			json_decref(out);
			return NULL;
		}
		free(cursor);
		cursor = NULL;
		size_t i;
		json_t *x;
		json_array_foreach(pg.items, i, x) {
			/* The documents of every fax, the list of the first ones. */
			if (docs && *rec_str(x, "doc_id"))
				json_array_append_new(docs, json_pack("{s:s, s:s}", "fax_id", rec_str(x, "id"),
					"doc_id", rec_str(x, "doc_id")));
			if (json_array_size(out) >= GDPR_EXPORT_FAXES_MAX)
				continue;
			char doc[128];
			snprintf(doc, sizeof doc, "/v1/faxes/%s/document", rec_str(x, "id"));
			json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o}",
				"id", rec_str(x, "id"), "direction", rec_str(x, "direction"), "status",
				rec_str(x, "status"), "from", rec_str(x, "from_number"), "to",
				rec_str(x, "to_number"), "page_count",
				(json_int_t)json_integer_value(json_object_get(x, "page_count")), "created_at",
				time_or_null(x, "created_at"), "completed_at", time_or_null(x, "completed_at"),
				"document", *rec_str(x, "doc_id") ? json_string(doc) : json_null()));
		}
		if (pg.next_cursor && (docs || json_array_size(out) < GDPR_EXPORT_FAXES_MAX))
			cursor = xstrdup(pg.next_cursor);
		store_page_free(&pg);
		if (!cursor)
			return out;
	}
}

int gdpr_fax_docs(dom_ctx_t *c, const char *account_id, const char *uid, json_t *docs)
{
	json_t *faxes = faxes_of(c, account_id, uid, docs);
	json_decref(faxes);
	return faxes ? 0 : -1;
}

/* rows with each value of key, a JSON text, parsed (in place). */
static json_t *parsed(json_t *rows, const char *key)
{
	size_t i;
	json_t *x;
	json_array_foreach(rows, i, x) {
		json_t *v = json_loads(rec_str(x, key), 0, NULL);
		json_object_set_new(x, key, v ? v : json_null());
	}
	return rows;
}

/* rows with each integer time of keys (NULL-terminated) as RFC 3339 (in
 * place). */
static json_t *timed(json_t *rows, const char *const *keys)
{
	size_t i;
	json_t *x;
	json_array_foreach(rows, i, x)
		for (const char *const *k = keys; *k; k++)
			json_object_set_new(x, *k, time_or_null(x, *k));
	return rows;
}

/* What else names the person (store_gdpr_*): added to the export o. 0, or
 * -1 on a store error. */
static int export_more(dom_ctx_t *c, const char *acc, const char *uid, const char *email,
	json_t *o)
{
	static const char *const created[] = { "created_at", NULL };
	static const char *const box_times[] = { "created_at", "expires_at", "closed_at", NULL };
	static const char *const mail_times[] = { "created_at", "sent_at", "bounced_at", NULL };
	json_t *boxes = store_gdpr_safeboxes(c->tx, acc, uid, email);
	json_t *subs = store_gdpr_subscriptions(c->tx, acc, uid, email);
	json_t *contacts = store_gdpr_contacts(c->tx, acc, email);
	json_t *mails = store_gdpr_mails(c->tx, acc, uid, email);
	if (!boxes || !subs || !contacts || !mails) {
		json_decref(boxes);
		json_decref(subs);
		json_decref(contacts);
		json_decref(mails);
		return -1;
	}
	size_t i;
	json_t *x;
	json_array_foreach(boxes, i, x) {
		json_object_set_new(x, "role", json_string(strcmp(rec_str(x, "owner_id"), uid) == 0 ?
			"owner" : "participant"));
		json_object_del(x, "owner_id");
	}
	json_object_set_new(o, "safeboxes", timed(boxes, box_times));
	json_object_set_new(o, "status_subscriptions", timed(parsed(subs, "components"), created));
	json_object_set_new(o, "security_contacts", timed(contacts, created));
	json_object_set_new(o, "mails", timed(mails, mail_times));
	return 0;
}

/* The export of uid into *out; their fax documents ({fax_id, doc_id})
 * appended to docs when not NULL. */
static int member_export(dom_ctx_t *c, const json_t *a, const char *uid, json_t **out,
	json_t *docs, dom_err_t *e);

int dom_member_export(dom_ctx_t *c, const json_t *a, const char *uid, json_t **out,
	dom_err_t *e)
{
	return member_export(c, a, uid, out, NULL, e);
}

static int member_export(dom_ctx_t *c, const json_t *a, const char *uid, json_t **out,
	json_t *docs, dom_err_t *e)
{
	const char *acc = rec_str(a, "id");
	json_t *t = member_of(c, a, uid, e);
	if (!t)
		return -1;
	json_t *person = person_public(t);
	json_object_set_new(person, "lang", json_string(rec_str(t, "lang")));
	json_object_set_new(person, "last_login_at", time_or_null(t, "last_login_at"));
	json_object_set_new(person, "second_factor", json_boolean(json_is_integer(json_object_get(t,
		"totp_confirmed_at"))));
	json_t *memberships = json_pack("[{s:s, s:s, s:s, s:s}]", "account_id", acc, "account_name",
		rec_str(a, "name"), "role", rec_str(t, "role"), "status", rec_str(t, "status"));
	json_t *sessions = store_session_history(c->tx, uid);
	json_t *events = store_audit_naming(c->tx, acc, uid, rec_str(t, "email"));
	json_t *faxes = faxes_of(c, acc, uid, docs);
	store_page_t keys = { 0 };
	int krc = store_apikey_list(c->tx, acc, uid, NULL, 1000, &keys);
	if (!sessions || !events || !faxes || krc != STORE_OK) {
		json_decref(t);
		json_decref(person);
		json_decref(memberships);
		json_decref(sessions);
		json_decref(events);
		json_decref(faxes);
		store_page_free(&keys);
		return dom_fail(e, "internal", "", "the export could not be assembled");
	}
	json_t *sv = json_array(), *ev = json_array(), *kv = json_array();
	size_t i;
	json_t *x;
	json_array_foreach(sessions, i, x)
		json_array_append_new(sv, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "id",
			rec_str(x, "id"), "source", rec_str(x, "source"), "created_at",
			time_or_null(x, "created_at"), "last_seen_at", time_or_null(x, "last_seen_at"),
			"expires_at", time_or_null(x, "expires_at"), "revoked_at",
			time_or_null(x, "revoked_at")));
	json_array_foreach(events, i, x)
		json_array_append_new(ev, event_view(x));
	json_array_foreach(keys.items, i, x)
		json_array_append_new(kv, json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", rec_str(x, "id"),
			"name", rec_str(x, "name"), "prefix", rec_str(x, "prefix"), "created_at",
			time_or_null(x, "created_at"), "revoked_at", time_or_null(x, "revoked_at")));
	char now[40];
	time_format_rfc3339(time_now_ms(), now, sizeof now);
	*out = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "format", "faxvault-gdpr-export-1",
		"generated_at", now, "person", person, "memberships", memberships, "sessions", sv,
		"api_keys", kv, "audit_events", ev, "faxes", faxes);
	if (export_more(c, acc, uid, rec_str(t, "email"), *out) != 0) {
		json_decref(*out);
		*out = NULL;
		json_decref(sessions);
		json_decref(events);
		store_page_free(&keys);
		json_decref(t);
		return dom_fail(e, "internal", "", "the export could not be assembled");
	}
	json_t *detail = json_pack("{s:I, s:I, s:I}", "sessions", (json_int_t)json_array_size(sv),
		"audit_events", (json_int_t)json_array_size(ev), "faxes",
		(json_int_t)json_array_size(faxes));
	int rc = dom_audit(c, "gdpr.export", uid, acc, "success", detail);
	json_decref(detail);
	json_decref(sessions);
	json_decref(events);
	store_page_free(&keys);
	json_decref(t);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the export could not be audited");
	}
	return 0;
}

/* Replaces, in every string value of v (recursively), each occurrence of
 * one of the person's identifiers by the pseudonym. New reference. */
static json_t *scrub(const json_t *v, const char *const *ids, size_t nids, const char *pseudo)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *cur = xstrdup(s);
		for (size_t k = 0; k < nids; k++) {
			size_t n = strlen(ids[k]);
			if (n == 0)
				continue;
			char *hit;
			while ((hit = strstr(cur, ids[k])) != NULL) {
				size_t before = (size_t)(hit - cur), plen = strlen(pseudo),
				       after = strlen(hit + n);
				char *next = xmalloc(before + plen + after + 1);
				memcpy(next, cur, before);
				memcpy(next + before, pseudo, plen);
				memcpy(next + before + plen, hit + n, after + 1);
				free(cur);
				cur = next;
			}
		}
		json_t *r = json_string(cur);
		free(cur);
		return r ? r : json_string("");
	}
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *key;
		json_t *m;
		json_object_foreach((json_t *)v, key, m) {
			json_object_set_new(o, key, scrub(m, ids, nids, pseudo));
		}
		return o;
	}
	if (json_is_array(v)) {
		json_t *o = json_array();
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m)
			json_array_append_new(o, scrub(m, ids, nids, pseudo));
		return o;
	}
	return json_deep_copy(v);
}

/* The account's mails whose parameters hold text get every one of ids
 * replaced by pseudo; counted in counts' mails_naming. STORE_OK /
 * STORE_ERROR. */
static int scrub_mails(store_tx_t *tx, const char *acc, const char *text,
	const char *const *ids, size_t nids, const char *pseudo, json_t *counts)
{
	json_t *rows = store_gdpr_mails_naming(tx, acc, text);
	if (!rows)
		return STORE_ERROR;
	int rc = STORE_OK;
	size_t i;
	json_t *m;
	json_array_foreach(rows, i, m) {
		json_t *p = json_loads(rec_str(m, "params"), 0, NULL);
		json_t *np = scrub(p ? p : json_object(), ids, nids, pseudo);
		char *pj = json_dumps(np, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(p);
		json_decref(np);
		if (rc == STORE_OK)
			rc = store_gdpr_mail_params_set(tx, rec_str(m, "id"), pj ? pj : "{}");
		free(pj);
	}
	json_object_set_new(counts, "mails_naming", json_integer(json_integer_value(
		json_object_get(counts, "mails_naming")) + (json_int_t)json_array_size(rows)));
	json_decref(rows);
	return rc;
}

int dom_member_erase(dom_ctx_t *c, const json_t *a, const char *uid, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "mfa_code", NULL };
	const char *code = NULL, *acc = rec_str(a, "id");
	if (body && (body_only(body, allowed, e) || body_str(body, "mfa_code", false, &code, e)))
		return -1;
	json_t *t = member_of(c, a, uid, e);
	if (!t)
		return -1;
	int rc = -1;
	json_t *events = NULL, *other = NULL, *docs = NULL;
	if (strcmp(rec_str(t, "role"), "owner") == 0) {
		dom_fail(e, "owner-protected", "", "the owner cannot be erased; the owner can transfer "
			"ownership first");
		goto out;
	}
	/* Keeping data for legal claims is an exception to erasure (GDPR
	 * art. 17(3)(e)). */
	json_t *pol = store_retention_get(c->tx, acc);
	bool held = pol && json_integer_value(json_object_get(pol, "legal_hold")) != 0;
	json_decref(pol);
	if (held) {
		dom_fail(e, "legal-hold", "", "the account is under a legal hold: its members cannot be "
			"erased until it is lifted");
		goto out;
	}
	/* The documents of sent faxes that name them (docrewrite.h); a fax
	 * under a legal hold among them stops the erasure too. */
	const char *named[] = { rec_str(t, "email"), rec_str(t, "name") };
	docs = json_array();
	for (size_t n = 0; n < (strlen(named[1]) >= 4 ? 2u : 1u); n++) {
		json_t *rows = store_gdpr_fax_docs_naming(c->tx, acc, named[n]);
		size_t i;
		json_t *d;
		json_array_foreach(rows, i, d) {
			held |= json_integer_value(json_object_get(d, "held")) != 0;
			bool dup = false;
			size_t k;
			json_t *x;
			json_array_foreach(docs, k, x)
				dup |= json_equal(x, json_object_get(d, "doc_id"));
			if (!dup)
				json_array_append(docs, json_object_get(d, "doc_id"));
		}
		if (!rows)
			held = true; /* refused rather than half done */
		json_decref(rows);
	}
	if (held) {
		dom_fail(e, "legal-hold", "", "a fax naming this person is under a legal hold: they "
			"cannot be erased until it is lifted");
		goto out;
	}
	/* Only a process holding the chain key seals what it rewrites. */
	const audit_keys_t *k = audit_keys();
	if (!k) {
		dom_fail(e, "unavailable", "", "the audit key is not available: try again later");
		goto out;
	}
	bool mfa;
	if (dom_mfa_recheck(c, code, &mfa, e))
		goto out;
	int64_t now = time_now_ms();
	char pseudo[96], email[160];
	snprintf(pseudo, sizeof pseudo, "erased:%s", uid);
	snprintf(email, sizeof email, "erased+%s@erased.invalid", uid);
	char *old_email = xstrdup(rec_str(t, "email")), *old_name = xstrdup(rec_str(t, "name"));
	int src = STORE_OK;
	if (strcmp(rec_str(t, "status"), "deprovisioned") != 0)
		src = member_deprovision(c, uid, now);
	json_t *upd = json_pack("{s:s, s:s, s:s, s:n, s:n, s:n, s:n, s:I}", "email", email, "name",
		"Erased person", "status", "deprovisioned", "password_hash", "totp_secret",
		"totp_confirmed_at", "last_login_at", "updated_at", (json_int_t)now);
	if (src == STORE_OK)
		src = store_principal_update(c->tx, uid, upd);
	json_decref(upd);
	if (src == STORE_OK)
		src = store_session_forget_sources(c->tx, uid);
	/* Mails, SafeBox participations, status subscriptions, security
	 * contacts (store_gdpr_erase). */
	if (src == STORE_OK)
		src = store_gdpr_erase(c->tx, acc, uid, old_email, email, now, &other);
	/* The audit events naming them: address and name replaced by the
	 * pseudonym, and the source address of what they did cleared. */
	events = src == STORE_OK ? store_audit_naming(c->tx, acc, uid, old_email) : NULL;
	const char *ids[] = { old_email, old_name };
	/* A name too short to be told from other words is left to the
	 * address and the id. */
	size_t nids = strlen(old_name) >= 4 ? 2 : 1;
	/* Mails to others that name them (an owner's name in an invitation),
	 * and the header lines and cover subjects of the account's faxes. */
	int faxes_named = 0;
	for (size_t n = 0; n < nids && src == STORE_OK; n++) {
		int m = 0;
		src = scrub_mails(c->tx, acc, ids[n], ids, nids, pseudo, other);
		if (src == STORE_OK)
			src = store_gdpr_fax_texts(c->tx, acc, ids[n], pseudo, &m);
		faxes_named += m;
	}
	if (other)
		json_object_set_new(other, "fax_texts", json_integer(faxes_named));
	/* Their documents to draw again, in this transaction: none is
	 * forgotten if what follows is cut short. */
	size_t di;
	json_t *dv;
	json_array_foreach(docs, di, dv)
		if (src == STORE_OK)
			src = store_doc_rewrite_add(c->tx, json_string_value(dv), acc, "gdpr.erase", uid,
				now);
	json_int_t redacted = 0, not_redactable = 0;
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		if (src != STORE_OK)
			break;
		bool old = json_integer_value(json_object_get(ev, "chain")) != AUDIT_CHAIN_REDACTABLE;
		bool theirs = strcmp(rec_str(ev, "actor_id"), uid) == 0 ||
			strcmp(rec_str(ev, "on_behalf_of"), uid) == 0;
		json_t *d = json_loads(rec_str(ev, "detail"), 0, NULL);
		json_t *nd = scrub(d ? d : json_object(), ids, nids, pseudo);
		char *dj = json_dumps(nd, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(d);
		json_decref(nd);
		int64_t seq = json_integer_value(json_object_get(ev, "seq"));
		const char *nsrc = theirs ? "" : rec_str(ev, "source");
		char mac[AUDIT_HASH_HEX];
		/* Chains 1 and 2 (before migration 0030): the hash is kept and
		 * sealed with what is written (audit.h). */
		if (old)
			audit_redaction_mac_old(k, seq, rec_str(ev, "hash"), nsrc, dj ? dj : "{}", mac);
		else
			audit_redaction_mac(k, seq, nsrc, dj ? dj : "{}", mac);
		src = old ? store_audit_redact_old(c->tx, seq, nsrc, dj ? dj : "{}", mac, now)
			: store_audit_redact(c->tx, seq, nsrc, dj ? dj : "{}", mac, now);
		free(dj);
		redacted++;
	}
	free(old_email);
	free(old_name);
	if (src != STORE_OK || !events) {
		dom_fail(e, "internal", "", "the person could not be erased");
		goto out;
	}
	json_t *detail = json_pack("{s:I, s:I, s:b, s:O, s:I}", "audit_events_redacted", redacted,
		"audit_events_not_redactable", not_redactable, "mfa_checked", mfa, "other_rows", other,
		"documents_to_rewrite", (json_int_t)json_array_size(docs));
	rc = dom_audit(c, "gdpr.erase", uid, acc, "success", detail);
	json_decref(detail);
	if (rc != 0) {
		dom_fail(e, "internal", "", "the erasure could not be audited");
		goto out;
	}
	/* The erasure committed, the documents are drawn again now, each in
	 * a transaction of its own; what fails is left to the retention
	 * sweep. */
	json_int_t rewritten = 0;
	if (json_array_size(docs) > 0 && c->cfg && c->cfg->fax) {
		if (dom_tx_pause(c, e) != 0) {
			rc = -1;
			goto out;
		}
		audit_ctx_t actor = { .who = c->who, .actor = c->actor, .source = c->source,
			.request_id = c->request_id };
		int n = dom_doc_rewrites_run(c->store, c->cfg->fax, &actor, acc,
			(int)json_array_size(docs));
		rewritten = n > 0 ? n : 0;
		if (dom_tx_resume(c, e) != 0) {
			rc = -1;
			goto out;
		}
	}
	*out = json_pack("{s:s, s:s, s:I, s:I, s:O, s:{s:I, s:I}}", "user_id", uid, "pseudonym",
		pseudo, "audit_events_redacted", redacted, "audit_events_not_redactable",
		not_redactable, "other_rows", other, "documents", "rewritten", rewritten, "pending",
		(json_int_t)json_array_size(docs) - rewritten);
out:
	json_decref(docs);
	json_decref(other);
	json_decref(events);
	json_decref(t);
	return rc;
}

/* Subject and message of the export's SafeBox, in the person's language. */
static void export_texts(const char *lang, const char **subject, const char **message)
{
	bool fr = i18n_is_fr(lang);
	*subject = fr ? "Vos données personnelles (export RGPD)" : "Your personal data (GDPR export)";
	*message = fr ? "Cette SafeBox contient tout ce que le service conserve à votre sujet : "
		"export.json, et les documents de vos fax." : "This SafeBox holds everything the "
		"service keeps about you: export.json, and the documents of your faxes.";
}

int dom_member_export_deliver(dom_ctx_t *c, const json_t *a, const char *uid,
	const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { NULL };
	if (body && body_only(body, allowed, e) != 0)
		return -1;
	if (!authz_is_member(c->who))
		return dom_fail(e, "forbidden", "", "an export is delivered in a SafeBox by a member of "
			"the account");
	if (strcmp(c->who->person_id, uid) == 0)
		return dom_fail(e, "validation-failed", "user_id", "your own export is read with GET "
			"…/export: a SafeBox is for another person");
	json_t *t = member_of(c, a, uid, e);
	if (!t)
		return -1;
	json_t *docs = json_array(), *exp = NULL, *box = NULL;
	const char *subject, *message;
	export_texts(rec_str(t, "lang"), &subject, &message);
	int rc = member_export(c, a, uid, &exp, docs, e);
	if (rc == 0) {
		json_t *req = json_pack("{s:s, s:s, s:[{s:s}]}", "subject", subject, "message", message,
			"participants", "email", rec_str(t, "email"));
		rc = dom_safebox_create(c, req, &box, e);
		json_decref(req);
	}
	const char *box_id = rc == 0 ? rec_str(box, "id") : "";
	char *js = rc == 0 ? json_dumps(exp, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (rc == 0)
		rc = dom_safebox_attach(c, box_id, js, strlen(js), "export.json", "application/json", e);
	free(js);
	/* The fax documents, every one of them, are added by a job of the
	 * queue (gdpr_job.c), which commits with this request or not at all. */
	char job_id[QUEUE_ID_MAX];
	json_int_t ndocs = (json_int_t)json_array_size(docs);
	if (rc == 0) {
		json_t *payload = json_pack("{s:s, s:s, s:s}", "safebox_id", box_id, "user_id", uid,
			"actor_id", c->who->person_id);
		if (queue_enqueue(c->tx, GDPR_EXPORT_JOB, rec_str(a, "id"), uid, payload, 0, 0, job_id) != 0)
			rc = dom_fail(e, "internal", "", "the export could not be queued");
		json_decref(payload);
	}
	if (rc == 0) {
		json_t *detail = json_pack("{s:s, s:s, s:I}", "safebox_id", box_id, "export_id", job_id,
			"documents", ndocs);
		if (dom_audit(c, "gdpr.export_queued", uid, rec_str(a, "id"), "success", detail) != 0)
			rc = dom_fail(e, "internal", "", "the export could not be audited");
		json_decref(detail);
	}
	if (rc == 0)
		*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "export_id", job_id, "status",
			"queued", "safebox_id", box_id, "user_id", uid, "email", rec_str(t, "email"),
			"documents", ndocs);
	json_decref(box);
	json_decref(exp);
	json_decref(docs);
	json_decref(t);
	return rc;
}

int dom_member_export_status(dom_ctx_t *c, const json_t *a, const char *export_id, json_t **out,
	dom_err_t *e)
{
	json_t *v = queue_job_view(c->tx, rec_str(a, "id"), export_id);
	if (!v || strcmp(rec_str(v, "kind"), GDPR_EXPORT_JOB) != 0) {
		json_decref(v);
		return dom_fail(e, "not-found", "", "no such export");
	}
	store_tx_t *tx = c->tx;
	json_t *row = store_job_get(tx, rec_str(a, "id"), export_id);
	json_t *payload = row ? json_loads(rec_str(row, "payload"), 0, NULL) : NULL;
	json_decref(row);
	json_t *pr = json_object_get(v, "progress");
	json_t *ndocs = json_object_get(pr, "documents");
	*out = json_pack("{s:O, s:O, s:s, s:s, s:o, s:I, s:O, s:O, s:O, s:O}", "id",
		json_object_get(v, "id"), "status", json_object_get(v, "state"), "user_id",
		payload ? rec_str(payload, "user_id") : "", "safebox_id",
		payload ? rec_str(payload, "safebox_id") : "", "documents",
		json_is_integer(ndocs) ? json_incref(ndocs) : json_null(), "documents_added",
		json_integer_value(json_object_get(pr, "documents_added")), "attempts",
		json_object_get(v, "attempts"), "last_error", json_object_get(v, "last_error"),
		"created_at", json_object_get(v, "created_at"), "finished_at",
		json_object_get(v, "finished_at"));
	json_decref(payload);
	json_decref(v);
	return 0;
}
