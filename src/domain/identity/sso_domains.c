/* Single sign-on: routing by e-mail domain (see sso.h and docs/sso.md). An
 * account claims a domain and proves it with a DNS TXT record, or provider
 * staff verify it; /v1/sso/discover then names the account's providers to
 * a person of that domain. */
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "dom_util.h"
#include "log.h"
#include "notify/notify.h"
#include "tenancy/tenancy.h"
#include "sec.h"
#include "identity.h"
#include "identity_int.h"
#include "store_incidents.h"
#include "store_sso.h"
#include "timeutil.h"
#include "xalloc.h"

/* The longest TXT answer read. */
#define SSO_DNS_ANSWER_MAX 8192

int sso_domain_normalize(const char *in, size_t len, char out[SSO_DOMAIN_MAX + 1])
{
	if (!in || len == 0 || len > SSO_DOMAIN_MAX)
		return -1;
	size_t label = 0, labels = 1;
	for (size_t i = 0; i < len; i++) {
		char ch = in[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch == '.') {
			/* No empty label, no hyphen at a label's end. */
			if (label == 0 || out[i - 1] == '-')
				return -1;
			labels++;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-') {
			if (ch == '-' && label == 0)
				return -1;
			if (++label > 63)
				return -1;
		} else {
			return -1;
		}
		out[i] = ch;
	}
	if (label == 0 || out[len - 1] == '-' || labels < 2)
		return -1;
	out[len] = '\0';
	return 0;
}

bool sso_txt_matches(const unsigned char *rdata, size_t len, const char *want)
{
	size_t wl = strlen(want), at = 0, i = 0;
	while (i < len) {
		size_t n = rdata[i++];
		if (n > len - i || at + n > wl || memcmp(rdata + i, want + at, n) != 0)
			return false;
		at += n;
		i += n;
	}
	return len > 0 && at == wl;
}

/* Whether the TXT records of name hold want. 0 with *found; -1 when the DNS
 * could not answer (*why). Blocks: run with no transaction. */
static int txt_lookup(const char *name, const char *want, bool *found, const char **why)
{
	struct __res_state rs;
	memset(&rs, 0, sizeof rs);
	*found = false;
	if (res_ninit(&rs) != 0) {
		*why = "dns_unavailable";
		return -1;
	}
	rs.retrans = 2;
	rs.retry = 2;
	unsigned char *ans = xmalloc(SSO_DNS_ANSWER_MAX);
	int n = res_nquery(&rs, name, ns_c_in, ns_t_txt, ans, SSO_DNS_ANSWER_MAX);
	int rc = 0;
	if (n < 0) {
		/* No such name, or no TXT record: not found. Else the DNS failed. */
		if (rs.res_h_errno != HOST_NOT_FOUND && rs.res_h_errno != NO_DATA) {
			*why = "dns_unavailable";
			rc = -1;
		}
	} else {
		ns_msg m;
		if (ns_initparse(ans, n > SSO_DNS_ANSWER_MAX ? SSO_DNS_ANSWER_MAX : n, &m) != 0) {
			*why = "dns_malformed";
			rc = -1;
		} else {
			for (int i = 0; i < ns_msg_count(m, ns_s_an) && !*found; i++) {
				ns_rr rr;
				if (ns_parserr(&m, ns_s_an, i, &rr) == 0 && ns_rr_type(rr) == ns_t_txt)
					*found = sso_txt_matches(ns_rr_rdata(rr), ns_rr_rdlen(rr), want);
			}
		}
	}
	free(ans);
	res_nclose(&rs);
	return rc;
}

static json_t *domain_public(const json_t *d)
{
	const char *method = rec_str(d, "method");
	char *name = xasprintf("%s%s", SSO_DOMAIN_TXT_LABEL, rec_str(d, "domain"));
	char *value = xasprintf("%s%s", SSO_DOMAIN_TXT_PREFIX, rec_str(d, "token"));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:{s:s, s:s, s:s}}",
		"id", rec_str(d, "id"), "account_id", rec_str(d, "account_id"), "domain",
		rec_str(d, "domain"), "status", rec_str(d, "status"), "method",
		*method ? json_string(method) : json_null(), "created_at",
		time_json(json_object_get(d, "created_at")), "verified_at",
		time_json(json_object_get(d, "verified_at")), "checked_at",
		time_json(json_object_get(d, "checked_at")), "failing_since",
		time_json(json_object_get(d, "failing_since")), "dns", "type", "TXT", "name", name, "value",
		value);
	free(name);
	free(value);
	return o;
}

int dom_ssodom_create(dom_ctx_t *c, const json_t *a, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "domain", NULL };
	const char *in;
	if (body_only(body, allowed, e) || body_str(body, "domain", true, &in, e))
		return -1;
	char domain[SSO_DOMAIN_MAX + 1];
	if (sso_domain_normalize(in, strlen(in), domain) != 0)
		return dom_fail(e, "validation-failed", "domain", "\"domain\" is not a domain name");
	char token[SSO_B64_MAX];
	sso_random_b64(token);
	char *id = sec_new_id("sdm");
	const char *acc = rec_str(a, "id");
	json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "account_id", acc,
		"domain", domain, "token", token, "status", "pending", "method", "", "created_at",
		(json_int_t)time_now_ms());
	int rc = store_ssodom_insert(c->tx, rec);
	json_decref(rec);
	if (rc == STORE_CONFLICT) {
		free(id);
		return dom_fail(e, "conflict", "domain", "the account has claimed this domain already");
	}
	json_t *detail = json_pack("{s:s}", "domain", domain);
	if (rc == STORE_OK)
		rc = dom_audit(c, "sso_domain.create", id, acc, "success", detail);
	json_decref(detail);
	json_t *row = rc == 0 ? store_ssodom_get(c->tx, acc, id) : NULL;
	free(id);
	if (!row)
		return dom_fail(e, "internal", "", "the domain could not be stored");
	*out = domain_public(row);
	json_decref(row);
	return 0;
}

int dom_ssodom_list(dom_ctx_t *c, const json_t *a, const char *cursor, int limit, json_t **out,
	dom_err_t *e)
{
	store_page_t pg;
	if (store_ssodom_list(c->tx, rec_str(a, "id"), cursor, limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the domains could not be read");
	*out = page_json(&pg, domain_public);
	return dom_read_audited(c, "sso_domain.list", rec_str(a, "id"), rec_str(a, "id"), out, e);
}

int dom_ssodom_delete(dom_ctx_t *c, const json_t *a, const char *id, json_t **out, dom_err_t *e)
{
	*out = NULL;
	json_t *d = store_ssodom_get(c->tx, rec_str(a, "id"), id);
	if (!d)
		return dom_fail(e, "not-found", "", "no such domain");
	int rc = store_ssodom_delete(c->tx, rec_str(a, "id"), id);
	json_t *detail = json_pack("{s:s}", "domain", rec_str(d, "domain"));
	json_decref(d);
	if (rc == STORE_OK)
		rc = dom_audit(c, "sso_domain.delete", id, rec_str(a, "id"), "success", detail);
	json_decref(detail);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the domain could not be deleted");
}

/* Marks d verified by method, audited; the answer in *out. */
static int verified(dom_ctx_t *c, const json_t *d, const char *method, json_t **out,
	dom_err_t *e)
{
	const char *id = rec_str(d, "id"), *acc = rec_str(d, "account_id");
	int rc = store_ssodom_verify(c->tx, id, method, time_now_ms());
	if (rc == STORE_CONFLICT)
		return dom_fail(e, "conflict", "domain",
			"another account has verified this domain; ask the provider");
	json_t *detail = json_pack("{s:s, s:s}", "domain", rec_str(d, "domain"), "method", method);
	if (rc == STORE_OK)
		rc = dom_audit(c, "sso_domain.verify", id, acc, "success", detail);
	json_decref(detail);
	json_t *row = rc == 0 ? store_ssodom_get(c->tx, acc, id) : NULL;
	if (!row)
		return dom_fail(e, "internal", "", "the domain could not be stored");
	*out = domain_public(row);
	json_decref(row);
	return 0;
}

int dom_ssodom_verify(dom_ctx_t *c, const json_t *a, const char *id, json_t **out, dom_err_t *e)
{
	*out = NULL;
	const char *acc = rec_str(a, "id");
	json_t *d = store_ssodom_get(c->tx, acc, id);
	if (!d)
		return dom_fail(e, "not-found", "", "no such domain");
	if (strcmp(rec_str(d, "status"), "verified") == 0) {
		*out = domain_public(d);
		json_decref(d);
		return 0;
	}
	char *name = xasprintf("%s%s", SSO_DOMAIN_TXT_LABEL, rec_str(d, "domain"));
	char *want = xasprintf("%s%s", SSO_DOMAIN_TXT_PREFIX, rec_str(d, "token"));
	bool found = false;
	const char *why = "txt_not_found";
	int rc = dom_tx_pause(c, e);
	if (rc == 0) {
		rc = txt_lookup(name, want, &found, &why);
		if (dom_tx_resume(c, e) != 0)
			rc = -2;
	}
	free(name);
	free(want);
	if (rc == -2 || !c->tx) {
		json_decref(d);
		return -1;
	}
	if (!found) {
		json_t *detail = json_pack("{s:s, s:s}", "domain", rec_str(d, "domain"), "reason", why);
		json_decref(d);
		c->keep_on_error = true;
		if (dom_audit(c, "sso_domain.verify", id, acc, "failure", detail) != 0) {
			json_decref(detail);
			return dom_fail(e, "internal", "", "the domain could not be checked");
		}
		json_decref(detail);
		log_event(LOG_INFO, "sso.domain_unverified", "domain_id=%s reason=%s", id, why);
		return dom_fail(e, "validation-failed", "domain",
			"the TXT record was not found (%s): publish it and try again", why);
	}
	rc = verified(c, d, "dns", out, e);
	json_decref(d);
	return rc;
}

int dom_ssodom_operator_verify(dom_ctx_t *c, const char *id, json_t **out, dom_err_t *e)
{
	*out = NULL;
	json_t *d = store_ssodom_get(c->tx, NULL, id);
	if (!d)
		return dom_fail(e, "not-found", "", "no such domain");
	int rc = strcmp(rec_str(d, "status"), "verified") == 0 ? (*out = domain_public(d), 0)
		: verified(c, d, "operator", out, e);
	json_decref(d);
	return rc;
}

/* ---- the re-check of verified domains ---- */

/* Mails kind about domain d to its account's owner, administrators and
 * security contacts, each in their language; when is the date it names. */
static int recheck_mail(store_tx_t *tx, const dom_config_t *cfg, const char *kind,
	const json_t *d, int64_t when)
{
	const char *acc = rec_str(d, "account_id");
	json_t *people = store_incident_recipients(tx, acc);
	if (!people || seccontact_recipients(tx, acc, people) != 0) {
		json_decref(people);
		return -1;
	}
	json_t *a = store_account_get(tx, acc, NULL);
	char at[40];
	char *name = xasprintf("%s%s", SSO_DOMAIN_TXT_LABEL, rec_str(d, "domain"));
	char *value = xasprintf("%s%s", SSO_DOMAIN_TXT_PREFIX, rec_str(d, "token"));
	int rc = 0;
	size_t i;
	json_t *p;
	json_array_foreach (people, i, p) {
		json_t *mp = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", rec_str(p, "name"),
			"account", a ? rec_str(a, "name") : acc, "domain", rec_str(d, "domain"), "txt_name",
			name, "txt_value", value, "at", time_format_rfc3339(when, at, sizeof at));
		if (rc == 0 && mail_queue_tx(tx, cfg->fax, cfg->mail_on, kind, p, NULL, mp, NULL) != 0)
			rc = -1;
		json_decref(mp);
	}
	free(name);
	free(value);
	json_decref(a);
	json_decref(people);
	return rc;
}

/* The outcome of one look (found 1, gone 0, DNS silent -1) recorded for d,
 * with its audit event and mail when the domain's state changes. 0 / -1. */
static int recheck_record(store_t *st, const dom_config_t *cfg, const json_t *d, int found,
	const char *why, int64_t now)
{
	static const audit_ctx_t sso = { .who = NULL, .actor = "system:sso", .source = "",
		.request_id = "" };
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	const char *id = rec_str(d, "id"), *acc = rec_str(d, "account_id");
	/* As it is now: given up or verified again meanwhile, it is left alone. */
	json_t *cur = store_ssodom_get(tx, acc, id);
	if (!cur || strcmp(rec_str(cur, "status"), "verified") != 0 ||
	    strcmp(rec_str(cur, "method"), "dns") != 0 ||
	    strcmp(rec_str(cur, "token"), rec_str(d, "token")) != 0) {
		json_decref(cur);
		store_rollback(tx);
		return 0;
	}
	const json_t *fs = json_object_get(cur, "failing_since");
	int64_t grace = (int64_t)(cfg->sso_domain_grace_hours > 0 ? cfg->sso_domain_grace_hours : 0) *
		3600000;
	int rc = 0;
	const char *action = NULL, *outcome = "failure", *kind = NULL;
	bool failing = false;
	int64_t when = now;
	if (found > 0) {
		rc = store_ssodom_recheck(tx, id, now, 1);
		if (json_is_integer(fs))
			action = "sso_domain.recheck", outcome = "success";
	} else if (found < 0) {
		rc = store_ssodom_recheck(tx, id, now, -1);
	} else if (json_is_integer(fs) || grace == 0) {
		int64_t since = json_is_integer(fs) ? json_integer_value(fs) : now;
		if (now - since >= grace) {
			rc = store_ssodom_unverify(tx, id, now);
			action = "sso_domain.unverify", kind = MAIL_KIND_SSO_DOMAIN_UNVERIFIED;
		} else {
			rc = store_ssodom_recheck(tx, id, now, 0);
		}
	} else {
		rc = store_ssodom_recheck(tx, id, now, 0);
		action = "sso_domain.recheck", kind = MAIL_KIND_SSO_DOMAIN_FAILING;
		failing = true;
		when = now + grace;
	}
	if (rc == STORE_OK && action) {
		char b[40];
		json_t *detail = json_pack("{s:s}", "domain", rec_str(cur, "domain"));
		if (found == 0)
			json_object_set_new(detail, "reason", json_string(why));
		if (failing)
			json_object_set_new(detail, "unverified_after",
				json_string(time_format_rfc3339(when, b, sizeof b)));
		if (audit_record(tx, &sso, action, id, acc, outcome, detail) != STORE_OK)
			rc = -1;
		json_decref(detail);
		if (rc == 0 && kind && recheck_mail(tx, cfg, kind, cur, when) != 0)
			rc = -1;
		log_event(LOG_INFO, "sso.domain_recheck", "domain_id=%s action=%s outcome=%s", id,
			action, outcome);
	}
	json_decref(cur);
	if (rc == STORE_OK && store_commit(tx) == STORE_OK)
		return 0;
	if (rc != STORE_OK)
		store_rollback(tx);
	return -1;
}

int dom_ssodom_recheck_pass(store_t *st, const dom_config_t *cfg, int64_t now, int limit)
{
	int64_t every = (int64_t)(cfg->sso_domain_recheck_hours > 0 ? cfg->sso_domain_recheck_hours
		: SSO_DOMAIN_RECHECK_HOURS_DEFAULT) * 3600000;
	store_tx_t *tx = store_begin(st, false);
	if (!tx)
		return -1;
	json_t *due = store_ssodom_due(tx, now - every, limit);
	store_rollback(tx);
	if (!due)
		return -1;
	int n = 0;
	size_t i;
	json_t *d;
	json_array_foreach (due, i, d) {
		char *name = xasprintf("%s%s", SSO_DOMAIN_TXT_LABEL, rec_str(d, "domain"));
		char *want = xasprintf("%s%s", SSO_DOMAIN_TXT_PREFIX, rec_str(d, "token"));
		bool found = false;
		const char *why = "txt_not_found";
		int rc = txt_lookup(name, want, &found, &why);
		free(name);
		free(want);
		if (rc != 0)
			log_event(LOG_WARN, "sso.domain_recheck_dns", "domain_id=%s reason=%s",
				rec_str(d, "id"), why);
		if (recheck_record(st, cfg, d, rc != 0 ? -1 : found ? 1 : 0, why, now) == 0)
			n++;
	}
	json_decref(due);
	return n;
}

int dom_sso_discover(dom_ctx_t *c, const json_t *query, json_t **out, dom_err_t *e)
{
	*out = NULL;
	const char *email = json_string_value(json_object_get(query, "email"));
	const char *account = json_string_value(json_object_get(query, "account"));
	if (!email == !account)
		return dom_fail(e, "validation-failed", "email", "give \"email\" or \"account\"");
	char acc_id[64] = "";
	if (email) {
		const char *at = strrchr(email, '@');
		char domain[SSO_DOMAIN_MAX + 1];
		if (!at || at == email || sso_domain_normalize(at + 1, strlen(at + 1), domain) != 0)
			return dom_fail(e, "validation-failed", "email", "\"email\" is not an e-mail address");
		json_t *d = store_ssodom_find(c->tx, domain);
		if (d)
			snprintf(acc_id, sizeof acc_id, "%s", rec_str(d, "account_id"));
		json_decref(d);
	} else if (strlen(account) < sizeof acc_id) {
		json_t *acc = store_account_get(c->tx, account, NULL);
		if (acc && strcmp(rec_str(acc, "status"), "active") == 0)
			snprintf(acc_id, sizeof acc_id, "%s", rec_str(acc, "id"));
		json_decref(acc);
	}
	json_t *idps = acc_id[0] ? store_idp_active(c->tx, acc_id) : NULL;
	if (json_array_size(idps) == 0) {
		json_decref(idps);
		return dom_fail(e, "not-found", "", "no single sign-on for this address or account");
	}
	json_t *list = json_array();
	size_t i;
	json_t *p;
	json_array_foreach (idps, i, p) {
		char *start = xasprintf("/v1/sso/%s/%s/start", acc_id, rec_str(p, "id"));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "id", rec_str(p, "id"),
			"name", rec_str(p, "name"), "type", rec_str(p, "type"), "start_url", start));
		free(start);
	}
	json_decref(idps);
	*out = json_pack("{s:s, s:o}", "account_id", acc_id, "providers", list);
	return 0;
}
