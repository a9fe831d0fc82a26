/* Fax by e-mail settings and sender rules (see faxmail.h). */
#include "fax.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/audit.h"
#include "buf.h"
#include "cidr.h"
#include "dom_util.h"
#include "fax_int.h"
#include "log.h"
#include "tenancy/tenancy.h"
#include "access/access.h"
#include "sec.h"
#include "store_faxmail.h"
#include "timeutil.h"
#include "validate.h"

static const char *const policy_keys[] = { "spf", "dkim" };

/* A sender entry: an address, or "@domain". Lower-cased into out
 * (EMAIL_MAX + 1). */
static bool sender_norm(const char *s, char out[EMAIL_MAX + 1])
{
	size_t n = strlen(s);
	if (n == 0 || n > EMAIL_MAX - 1)
		return false;
	char probe[EMAIL_MAX + 2];
	/* "@domain" is checked as the address x@domain. */
	snprintf(probe, sizeof probe, "%s%s", s[0] == '@' ? "x" : "", s);
	if (!valid_email(probe, strlen(probe)))
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	return true;
}

/* The list of key in body (absent: empty) checked entry by entry with ok,
 * normalised into a new array, or NULL with e. */
static json_t *take_list(const json_t *body, const char *key, size_t max,
	bool (*ok)(const char *s, char *out, unsigned outlen), bool servers, dom_err_t *e)
{
	const json_t *v = json_object_get(body, key);
	json_t *a = json_array();
	if (!v)
		return a;
	if (!json_is_array(v) || json_array_size(v) > max) {
		json_decref(a);
		if (servers)
			dom_fail(e, "validation-failed", key, "%s must be a list of at most %zu CIDRs",
				key, max);
		else
			dom_fail(e, "validation-failed", key, "%s must be a list of at most %zu addresses "
				"or @domains", key, max);
		return NULL;
	}
	size_t i;
	const json_t *x;
	json_array_foreach(v, i, x) {
		char norm[EMAIL_MAX + 1];
		const char *s = json_string_value(x);
		if (!s || !ok(s, norm, sizeof norm)) {
			json_decref(a);
			if (servers)
				dom_fail(e, "validation-failed", key, "%s[%zu] is not a valid CIDR", key, i);
			else
				dom_fail(e, "validation-failed", key, "%s[%zu] is neither an address nor "
					"an @domain", key, i);
			return NULL;
		}
		bool dup = false;
		for (size_t j = 0; j < json_array_size(a) && !dup; j++)
			dup = strcmp(json_string_value(json_array_get(a, j)), norm) == 0;
		if (!dup)
			json_array_append_new(a, json_string(norm));
	}
	return a;
}

static bool sender_ok(const char *s, char *out, unsigned outlen)
{
	return outlen >= EMAIL_MAX + 1 && sender_norm(s, out);
}

static bool server_ok(const char *s, char *out, unsigned outlen)
{
	cidr_t net;
	const char *why;
	if (strlen(s) > 64 || cidr_parse(s, &net, &why) != 0)
		return false;
	cidr_format(&net, out, outlen);
	return true;
}

int faxmail_settings_parse(const json_t *body, json_t **norm, dom_err_t *e)
{
	static const char *const allowed[] = { "enabled", "allowed_senders", "allowed_servers",
		"spf", "dkim", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	const json_t *en = json_object_get(body, "enabled");
	if (en && !json_is_boolean(en))
		return dom_fail(e, "validation-failed", "enabled", "enabled must be true or false");
	json_t *senders = take_list(body, "allowed_senders", FAXMAIL_SENDERS_MAX, sender_ok,
		false, e);
	if (!senders)
		return -1;
	json_t *servers = take_list(body, "allowed_servers", FAXMAIL_SERVERS_MAX, server_ok,
		true, e);
	if (!servers) {
		json_decref(senders);
		return -1;
	}
	json_t *o = json_pack("{s:b, s:o, s:o}", "enabled", json_is_true(en), "allowed_senders",
		senders, "allowed_servers", servers);
	for (size_t i = 0; i < sizeof policy_keys / sizeof policy_keys[0]; i++) {
		const json_t *p = json_object_get(body, policy_keys[i]);
		const char *s = p ? json_string_value(p) : "ignore";
		if (!s || (strcmp(s, "require") != 0 && strcmp(s, "ignore") != 0)) {
			json_decref(o);
			return dom_fail(e, "validation-failed", policy_keys[i],
				"%s must be \"require\" or \"ignore\"", policy_keys[i]);
		}
		json_object_set_new(o, policy_keys[i], json_string(s));
	}
	*norm = o;
	return 0;
}

bool faxmail_sender_allowed(const json_t *senders, const char *addr)
{
	if (json_array_size(senders) == 0)
		return true;
	const char *at = strrchr(addr, '@');
	if (!at)
		return false;
	size_t i;
	const json_t *x;
	json_array_foreach(senders, i, x) {
		const char *s = json_string_value(x);
		if (s && (strcasecmp(s, addr) == 0 || (s[0] == '@' && strcasecmp(s, at) == 0)))
			return true;
	}
	return false;
}

bool faxmail_server_allowed(const json_t *servers, const char *ip)
{
	if (json_array_size(servers) == 0)
		return true;
	size_t i;
	const json_t *x;
	json_array_foreach(servers, i, x) {
		cidr_t net;
		const char *why, *s = json_string_value(x);
		if (s && cidr_parse(s, &net, &why) == 0 && cidr_contains_text(&net, ip))
			return true;
	}
	return false;
}

/* A stored list (JSON text) as an array; [] when unreadable. */
static json_t *list_of(const json_t *row, const char *key)
{
	json_t *a = json_loads(rec_str(row, key), 0, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		a = json_array();
	}
	return a;
}

json_t *faxmail_settings_of(store_tx_t *tx, const char *account_id)
{
	json_t *row = store_faxmail_get(tx, account_id);
	json_t *o = json_pack("{s:s, s:b, s:o, s:o, s:s, s:s, s:o}", "account_id", account_id,
		"enabled", row && json_integer_value(json_object_get(row, "enabled")) != 0,
		"allowed_senders", list_of(row, "allowed_senders"), "allowed_servers",
		list_of(row, "allowed_servers"), "spf", row ? rec_str(row, "spf") : "ignore", "dkim",
		row ? rec_str(row, "dkim") : "ignore", "updated_at",
		row ? time_json(json_object_get(row, "updated_at")) : json_null());
	json_decref(row);
	return o;
}

int dom_faxmail_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e)
{
	const char *id = rec_str(account, "id");
	*out = faxmail_settings_of(c->tx, id);
	if (dom_audit(c, "fax_by_email.read", id, id, "success", NULL) != STORE_OK) {
		json_decref(*out);
		*out = NULL;
		return dom_fail(e, "internal", "", "the fax by e-mail settings could not be read");
	}
	return 0;
}

int dom_faxmail_update(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e)
{
	json_t *n;
	if (faxmail_settings_parse(body, &n, e) != 0)
		return -1;
	const char *id = rec_str(account, "id");
	if (json_is_true(json_object_get(n, "enabled")) &&
	    dom_partner_allows(c, id, "feature", "fax_by_email", "enabled", e) != 0) {
		json_decref(n);
		return -1;
	}
	json_t *before = faxmail_settings_of(c->tx, id);
	char *snd = json_dumps(json_object_get(n, "allowed_senders"), JSON_COMPACT),
	     *srv = json_dumps(json_object_get(n, "allowed_servers"), JSON_COMPACT);
	json_t *row = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:I}", "account_id", id, "enabled",
		json_is_true(json_object_get(n, "enabled")), "allowed_senders", snd,
		"allowed_servers", srv, "spf", rec_str(n, "spf"), "dkim", rec_str(n, "dkim"),
		"updated_at", (json_int_t)time_now_ms());
	free(snd);
	free(srv);
	json_decref(n);
	int rc = store_faxmail_put(c->tx, row);
	json_decref(row);
	json_t *after = rc == STORE_OK ? faxmail_settings_of(c->tx, id) : NULL;
	json_t *detail = json_pack("{s:o, s:O}", "before", before, "after", after ? after : json_null());
	if (rc == STORE_OK)
		rc = dom_audit(c, "fax_by_email.update", id, id, "success", detail);
	json_decref(detail);
	if (rc != STORE_OK) {
		json_decref(after);
		return dom_fail(e, "internal", "", "the fax by e-mail settings could not be saved");
	}
	*out = after;
	return 0;
}

/* ---- the SMTP ingress ---- */

static const char smtp_actor[] = "system:smtp";

/* Adds the SPF and DKIM results of m to the audit detail d. */
static void auth_detail(json_t *d, const faxmail_msg_t *m)
{
	json_object_set_new(d, "spf", json_pack("{s:s, s:s, s:b}", "result", m->spf ? m->spf :
		"none", "domain", m->spf_domain ? m->spf_domain : "", "aligned", m->spf_aligned));
	json_object_set_new(d, "dkim", json_pack("{s:s, s:s}", "result", m->dkim ? m->dkim :
		"none", "domain", m->dkim_domain ? m->dkim_domain : ""));
}

/* Audits a refusal on account_id (outcome failure) in a transaction of its
 * own, by system:smtp. */
static void refusal_audit(store_t *st, const faxmail_msg_t *m, const char *account_id,
	const char *why, const char *detail)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return;
	audit_ctx_t a = { .who = NULL, .actor = smtp_actor, .source = m->peer,
		.request_id = m->session_id };
	json_t *to = json_array();
	for (int i = 0; i < m->nto; i++)
		json_array_append_new(to, json_string(m->to[i]));
	json_t *d = json_pack("{s:s, s:s, s:o, s:s}", "reason", why, "from", m->from, "to", to,
		"server", m->peer);
	if (detail)
		json_object_set_new(d, "detail", json_string(detail));
	auth_detail(d, m);
	if (audit_record(tx, &a, "fax_by_email.refused", account_id, account_id, "failure", d) ==
		STORE_OK)
		store_commit(tx);
	else
		store_rollback(tx);
	json_decref(d);
}

/* The sender checks on the member record p (may be NULL) in tx: NULL when
 * they pass, else the reason (a static code, or one written in buf) and
 * *account the account it targeted ("" when none). */
static const char *sender_refusal(store_tx_t *tx, const faxmail_msg_t *m, const json_t *p,
	const char **account, char buf[32])
{
	*account = "";
	if (!p || strcmp(rec_str(p, "kind"), "account") != 0)
		return "unknown_sender";
	*account = rec_str(p, "account_id");
	if (strcmp(rec_str(p, "status"), "active") != 0)
		return "sender_not_active";
	principal_t sender;
	dom_principal_from_record(tx, p, &sender);
	authz_resource_t fax = { .kind = AUTHZ_RES_FAX, .account_id = *account };
	if (authz_resource(&sender, AUTHZ_CREATE, &fax, NULL) != AUTHZ_ALLOW)
		return "sender_lacks_fax_send";
	json_t *s = faxmail_settings_of(tx, *account);
	const char *why = NULL;
	if (!json_is_true(json_object_get(s, "enabled")))
		why = "fax_by_email_disabled";
	else if (!faxmail_sender_allowed(json_object_get(s, "allowed_senders"), m->from))
		why = "sender_not_allowed";
	else if (!faxmail_server_allowed(json_object_get(s, "allowed_servers"), m->peer))
		why = "server_not_allowed";
	else if (strcmp(rec_str(s, "spf"), "require") == 0 &&
		 (!m->spf || strcmp(m->spf, "pass") != 0 || !m->spf_aligned)) {
		snprintf(buf, 32, "spf_%s", m->spf && strcmp(m->spf, "pass") == 0 ? "misaligned" :
			m->spf ? m->spf : "none");
		why = buf;
	} else if (strcmp(rec_str(s, "dkim"), "require") == 0 &&
		   (!m->dkim || strcmp(m->dkim, "pass") != 0)) {
		snprintf(buf, 32, "dkim_%s", m->dkim ? m->dkim : "none");
		why = buf;
	}
	json_decref(s);
	return why;
}

/* ---- the per-sender limit (mail.sender_max_per_hour) ----
 * A fixed window per clock hour of the daemon's clock, per From address
 * (any case), counted in the store (store_faxmail_sender_count) so that the
 * count holds across SMTP front ends, restarts of the service and nodes.
 * The store keeps a SHA-256 of the lower-cased address, not the address. */
#define RATE_WINDOW_MS 3600000
#define PAGE_WINDOW_MS 86400000

static atomic_uint_fast64_t n_rate_limited, n_page_quota;

/* The key a sender is counted under: the SHA-256 (hex) of the lower-cased
 * address. */
static void sender_key(const char *sender, char hex[SEC_SHA256_HEX])
{
	char key[EMAIL_MAX + 1];
	size_t n = 0;
	for (; sender[n] && n < EMAIL_MAX; n++)
		key[n] = (char)tolower((unsigned char)sender[n]);
	key[n] = '\0';
	sec_sha256_hex(key, n, hex);
}

/* Counts one mail from sender at now_ms in its own transaction on st: 1
 * when it is over limit, with *first true for the first refusal of this
 * window and *retry_s the seconds to the next one; 0 within the limit; -1
 * when the store failed. */
static int rate_over(store_t *st, const char *sender, int limit, int64_t now_ms, bool *first,
	int64_t *retry_s)
{
	char hex[SEC_SHA256_HEX];
	sender_key(sender, hex);
	int64_t window = now_ms / RATE_WINDOW_MS;
	*retry_s = ((window + 1) * RATE_WINDOW_MS - now_ms + 999) / 1000;
	*first = false;
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	int64_t mails = store_faxmail_sender_count(tx, hex, window);
	if (mails < 0) {
		store_rollback(tx);
		return -1;
	}
	if (store_commit(tx) != STORE_OK)
		return -1;
	if (mails <= limit)
		return 0;
	*first = mails == (int64_t)limit + 1;
	atomic_fetch_add(&n_rate_limited, 1);
	return 1;
}

uint64_t faxmail_rate_limited_count(void)
{
	return atomic_load(&n_rate_limited);
}

uint64_t faxmail_page_quota_count(void)
{
	return atomic_load(&n_page_quota);
}

/* The longest prefix of s (UTF-8) that fits in out (cap bytes with the NUL)
 * without cutting a character; returns out. */
static const char *utf8_prefix(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

void faxmail_digest(const char *mail_from, const char *const *rcpt, int nrcpt, const void *raw,
	size_t len, char out[SEC_SHA256_HEX])
{
	char msg[SEC_SHA256_HEX];
	sec_sha256_hex(raw, len, msg);
	buf_t b;
	buf_init(&b, SIZE_MAX);
	buf_append(&b, mail_from, strlen(mail_from) + 1);
	for (int i = 0; i < nrcpt; i++)
		buf_append(&b, rcpt[i], strlen(rcpt[i]) + 1);
	buf_append(&b, msg, strlen(msg));
	sec_sha256_hex(b.data, b.len, out);
	buf_free(&b);
}

/* The mail with m->digest accepted in the last FAXMAIL_SEEN_DAYS: 1 with
 * *out as dom_faxmail_limit describes it (audited, logged), 0 when none,
 * -1 when the database cannot say. */
static int seen_before(store_t *st, const faxmail_msg_t *m, json_t **out)
{
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	json_t *r = store_faxmail_seen_get(tx, m->digest,
		time_now_ms() - FAXMAIL_SEEN_DAYS * 86400000LL);
	store_rollback(tx);
	if (!r)
		return 0;
	const char *fax = rec_str(r, "fax_id"), *acc = rec_str(r, "account_id");
	audit_ctx_t a = { .who = NULL, .actor = smtp_actor, .source = m->peer,
		.request_id = m->session_id };
	json_t *d = json_pack("{s:s, s:s, s:s}", "from", m->from, "server", m->peer, "fax", fax);
	tx = store_begin(st, true);
	int rc = tx ? audit_record(tx, &a, "fax_by_email.duplicate", fax, acc, "success", d) :
		STORE_ERROR;
	json_decref(d);
	if (rc != STORE_OK || store_commit(tx) != STORE_OK) {
		if (tx && rc != STORE_OK)
			store_rollback(tx);
		json_decref(r);
		return -1;
	}
	log_event(LOG_INFO, "smtp.duplicate", "session=%s peer=%s fax=%s", m->session_id, m->peer,
		fax);
	*out = json_pack("{s:[{s:s}], s:b}", "items", "id", fax, "duplicate", 1);
	json_decref(r);
	return 1;
}

int dom_faxmail_limit(store_t *st, const dom_config_t *cfg, const faxmail_msg_t *m, json_t **out,
	dom_err_t *e)
{
	*out = NULL;
	/* The same mail again (its sender never read our reply): the same
	 * answer, no second fax, nothing counted twice. */
	int dup = m->digest ? seen_before(st, m, out) : 0;
	if (dup < 0)
		return dom_fail(e, "unavailable", "", "the database is not reachable");
	if (dup)
		return 1;
	int limit = cfg ? cfg->mail_sender_per_hour : 0;
	bool first = false;
	int64_t retry_s = 0;
	int over = limit > 0 ? rate_over(st, m->from, limit, time_now_ms(), &first, &retry_s) : 0;
	if (over < 0)
		return dom_fail(e, "unavailable", "", "the database is not reachable");
	if (over) {
		/* The same answer for every sender; audited once per hour on the
		 * account a member's address names. */
		if (first) {
			store_tx_t *rt = store_begin(st, false);
			json_t *p = rt ? store_principal_by_email(rt, m->from) : NULL;
			char acc[ID_MAX] = "";
			if (p && strcmp(rec_str(p, "kind"), "account") == 0)
				snprintf(acc, sizeof acc, "%s", rec_str(p, "account_id"));
			json_decref(p);
			if (rt)
				store_rollback(rt);
			char detail[64];
			snprintf(detail, sizeof detail, "more than %d mails in an hour", limit);
			if (*acc)
				refusal_audit(st, m, acc, "sender_rate_limited", detail);
			log_event(LOG_WARN, "smtp.sender_limited", "session=%s peer=%s limit=%d",
				m->session_id, m->peer, limit);
		}
		dom_fail(e, "rate-limited", "", "too many mails from this sender this hour (at most "
			"%d): try again later", limit);
		e->retry_after_s = retry_s;
		return -1;
	}
	return 0;
}

int dom_faxmail_gate(store_t *st, const dom_config_t *cfg, const faxmail_msg_t *m,
	faxmail_sender_t *s, dom_err_t *e)
{
	memset(s, 0, sizeof *s);
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return dom_fail(e, "unavailable", "", "the database is not reachable");
	json_t *p = store_principal_by_email(tx, m->from);
	const char *account;
	char whybuf[32];
	const char *why = sender_refusal(tx, m, p, &account, whybuf);
	char acc[ID_MAX];
	snprintf(acc, sizeof acc, "%s", account);
	if (why) {
		json_decref(p);
		store_rollback(tx);
		if (*acc)
			refusal_audit(st, m, acc, why, NULL);
		return dom_fail(e, "mail-refused", "", "%s", why);
	}
	/* The per-sender page quota (mail.sender_max_pages_per_day), after the
	 * checks: only a sender they let through learns of it. */
	int quota = cfg ? cfg->mail_sender_pages_per_day : 0;
	int64_t now_ms = time_now_ms(), day = now_ms / PAGE_WINDOW_MS;
	char skey[SEC_SHA256_HEX];
	sender_key(m->from, skey);
	int64_t pages = quota > 0 ? store_faxmail_sender_pages(tx, skey, day) : 0;
	if (pages < 0 || (quota > 0 && pages >= quota)) {
		json_decref(p);
		store_rollback(tx);
		if (pages < 0)
			return dom_fail(e, "unavailable", "", "the database is not reachable");
		atomic_fetch_add(&n_page_quota, 1);
		dom_fail(e, "quota-exceeded", "", "this sender has had %lld pages faxed by e-mail "
			"today, the most allowed is %d: send again tomorrow", (long long)pages, quota);
		e->retry_after_s = ((day + 1) * PAGE_WINDOW_MS - now_ms + 999) / 1000;
		refusal_audit(st, m, acc, "sender_page_quota", e->detail);
		log_event(LOG_WARN, "smtp.sender_page_quota", "session=%s peer=%s pages=%lld quota=%d",
			m->session_id, m->peer, (long long)pages, quota);
		return -1;
	}
	dom_principal_from_record(tx, p, &s->who);
	json_decref(p);
	s->tx = tx;
	snprintf(s->acc, sizeof s->acc, "%s", acc);
	snprintf(s->skey, sizeof s->skey, "%s", skey);
	s->day = day;
	s->now_ms = now_ms;
	return 0;
}

int dom_faxmail_send(store_t *st, const dom_config_t *cfg, const faxmail_msg_t *m,
	faxmail_sender_t *s, json_t **out, dom_err_t *e)
{
	store_tx_t *tx = s->tx;
	s->tx = NULL;
	principal_t who = s->who;
	const char *acc = s->acc, *skey = s->skey;
	int64_t day = s->day, now_ms = s->now_ms;
	/* The form POST /v1/faxes would carry. */
	json_t *fields = json_object(), *to = json_array();
	for (int i = 0; i < m->nto; i++)
		json_array_append_new(to, json_string(m->to[i]));
	json_object_set_new(fields, "to", to);
	fax_file_t files[FAXMAIL_FILES_MAX + 1];
	int nfiles = 0;
	for (int i = 0; i < m->nfiles && i < FAXMAIL_FILES_MAX; i++)
		files[nfiles++] = m->files[i];
	if (nfiles == 0 && m->body && *m->body) {
		files[nfiles++] = (fax_file_t){ .data = m->body, .len = strlen(m->body) };
	} else if (m->body && *m->body) {
		/* The cover page takes the start of the body. */
		char text[FAX_TEXT_MAX + 1];
		json_object_set_new(fields, "cover_text", json_pack("[s]", utf8_prefix(text,
			sizeof text, m->body)));
	}
	if (m->subject && *m->subject && m->nfiles > 0) {
		char subj[FAX_LINE_MAX + 1];
		json_object_set_new(fields, "cover_subject", json_pack("[s]", utf8_prefix(subj,
			sizeof subj, m->subject)));
	}
	dom_ctx_t c = { .store = st, .tx = tx, .who = &who, .source = m->peer,
		.request_id = m->session_id, .lang = who.lang[0] ? who.lang : "en", .cfg = cfg };
	int rc = nfiles == 0 ? dom_fail(e, "validation-failed", "file", "the mail has neither an "
		"attachment nor a text to fax") : dom_fax_submit(&c, fields, files, nfiles, out, e);
	json_decref(fields);
	if (rc == 0 && c.tx) {
		audit_ctx_t a = { .who = NULL, .actor = smtp_actor, .source = m->peer,
			.request_id = m->session_id };
		json_t *ids = json_array();
		size_t i;
		const json_t *f;
		json_array_foreach(json_object_get(*out, "items"), i, f)
			json_array_append(ids, json_object_get(f, "id"));
		bool bad = m->digest && json_array_size(ids) > 0 &&
			store_faxmail_seen_add(c.tx, m->digest, json_string_value(json_array_get(ids, 0)),
				acc, now_ms, now_ms - FAXMAIL_SEEN_DAYS * 86400000LL) != STORE_OK;
		json_array_foreach(ids, i, f)
			bad = bad || faxreport_mark(c.tx, json_string_value(f), time_now_ms()) != 0 ||
				store_faxmail_pages_add(c.tx, json_string_value(f), skey, day) != STORE_OK;
		json_t *d = json_pack("{s:s, s:s, s:o}", "from", m->from, "server", m->peer, "faxes",
			ids);
		auth_detail(d, m);
		if (bad || audit_record(c.tx, &a, "fax_by_email.accepted", acc, acc, "success", d) !=
		    STORE_OK) {
			store_rollback(c.tx);
			c.tx = NULL;
		}
		json_decref(d);
	}
	if (rc == 0) {
		if (!c.tx || store_commit(c.tx) != STORE_OK) {
			json_decref(*out);
			*out = NULL;
			return dom_fail(e, "unavailable", "", "the fax could not be stored");
		}
		return 0;
	}
	if (c.tx) {
		if (c.keep_on_error)
			store_commit(c.tx);
		else
			store_rollback(c.tx);
	}
	refusal_audit(st, m, acc, "submission_refused", e->detail);
	return -1;
}
