/* Authentication: bearer credentials, password login, sessions, invitations
 * and the first operator's bootstrap. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tenancy/tenancy.h"
#include "dom_util.h"
#include "notify/notify.h"
#include "operations/operations.h"
#include "log.h"
#include "identity.h"
#include "totp.h"
#include "sec.h"
#include "store_fraud.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define SESSION_PREFIX "fvs_"
#define APIKEY_PREFIX "fvk_"
/* last_seen_at is written at most this often per credential. */
#define TOUCH_EVERY_MS 15000

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

int dom_principal_from_record(store_tx_t *tx, const json_t *person, principal_t *p)
{
	(void)tx;
	memset(p, 0, sizeof *p);
	copy(p->id, sizeof p->id, rec_str(person, "id"));
	copy(p->person_id, sizeof p->person_id, rec_str(person, "id"));
	copy(p->type, sizeof p->type, "user");
	copy(p->kind, sizeof p->kind, rec_str(person, "kind"));
	copy(p->role, sizeof p->role, rec_str(person, "role"));
	copy(p->account_id, sizeof p->account_id, rec_str(person, "account_id"));
	copy(p->partner_id, sizeof p->partner_id, rec_str(person, "partner_id"));
	copy(p->lang, sizeof p->lang, rec_str(person, "lang"));
	p->perms = person_perms(person);
	return 0;
}

/* The person behind a credential must be active, and their account too,
 * except that the owner of an account in its closure's grace period may
 * still sign in to read, export and cancel (*gates, when not NULL, gains
 * PRINCIPAL_GATE_CLOSING). */
static int person_usable(store_tx_t *tx, const json_t *person, unsigned *gates, dom_err_t *e)
{
	if (!person || strcmp(rec_str(person, "status"), "active") != 0)
		return dom_fail(e, "unauthenticated", "", "the credential is not valid");
	if (strcmp(rec_str(person, "kind"), "partner") == 0) {
		json_t *pa = store_partner_get(tx, rec_str(person, "partner_id"));
		bool active = pa && strcmp(rec_str(pa, "status"), "active") == 0;
		json_decref(pa);
		if (!active)
			return dom_fail(e, "account-suspended", "", "the partner organization is suspended");
	}
	if (strcmp(rec_str(person, "kind"), "account") == 0) {
		json_t *acc = store_account_get(tx, rec_str(person, "account_id"), NULL);
		bool active = acc && strcmp(rec_str(acc, "status"), "active") == 0;
		bool closing = acc && !active && strcmp(rec_str(person, "role"), "owner") == 0 &&
			strcmp(rec_str(acc, "status"), "closed") == 0 &&
			dom_closure_closing(tx, rec_str(acc, "id"));
		json_decref(acc);
		if (closing && gates)
			*gates |= PRINCIPAL_GATE_CLOSING;
		if (!active && !closing)
			return dom_fail(e, "account-suspended", "", "the account is suspended or closed");
	}
	return 0;
}

void dom_policy(store_tx_t *tx, const dom_config_t *cfg, const char *account_id, sec_policy_t *p)
{
	json_t *row = account_id && *account_id ? store_settings_get(tx, account_id) : NULL;
	json_t *doc = row ? json_loads(rec_str(row, "security"), 0, NULL) : NULL;
	policy_from_json(&cfg->limits, doc, p);
	json_decref(doc);
	json_decref(row);
}

/* Fills the gates and the rate limit of an authenticated person. */
static int apply_account_rules(store_tx_t *tx, const dom_config_t *cfg, const json_t *person,
	const char *source, int64_t now, bool is_session, principal_t *p, dom_err_t *e)
{
	p->rpm = cfg->limits.rpm;
	p->burst = cfg->limits.burst;
	/* Customers and resellers accept the provider's terms; the provider's
	 * own staff publish them. */
	if (strcmp(p->kind, "provider") != 0) {
		json_t *terms = store_terms_current(tx);
		if (terms && !store_terms_accepted(tx, p->person_id, rec_str(terms, "version")))
			p->gates |= PRINCIPAL_GATE_TERMS;
		json_decref(terms);
	}
	if (strcmp(p->kind, "account") != 0)
		return 0;
	sec_policy_t pol;
	dom_policy(tx, cfg, p->account_id, &pol);
	if (source && !policy_ip_allowed(&pol, source))
		return dom_fail(e, "ip-not-allowed", "",
			"this account accepts connections only from its allowed networks");
	p->rpm = pol.rpm;
	p->burst = pol.burst;
	bool needs_mfa = pol.mfa == MFA_ALL || (pol.mfa == MFA_ADMINS && authz_admin_like(p->role, p->perms));
	if (needs_mfa && !json_is_integer(json_object_get(person, "totp_confirmed_at")))
		p->gates |= PRINCIPAL_GATE_MFA;
	if (is_session && pol.max_age_days > 0) {
		const json_t *changed = json_object_get(person, "password_changed_at");
		int64_t since = json_is_integer(changed) ? json_integer_value(changed)
			: json_integer_value(json_object_get(person, "created_at"));
		if (now - since > (int64_t)pol.max_age_days * 86400000)
			p->gates |= PRINCIPAL_GATE_PASSWORD;
	}
	return 0;
}

int dom_credential_rules(store_tx_t *tx, const dom_config_t *cfg, const json_t *person,
	const char *source, int64_t now, principal_t *p, dom_err_t *e)
{
	return apply_account_rules(tx, cfg, person, source, now, false, p, e);
}

/* Idle timeout and absolute lifetime in force for a person's sessions:
 * the account's, which are never looser than the provider's. */
static void session_limits(store_tx_t *tx, const dom_config_t *cfg, const json_t *person,
	int64_t *idle_ms, int64_t *life_ms)
{
	int idle = cfg->session_idle_minutes, hours = cfg->session_max_hours;
	if (strcmp(rec_str(person, "kind"), "account") == 0) {
		sec_policy_t pol;
		dom_policy(tx, cfg, rec_str(person, "account_id"), &pol);
		if (pol.idle_minutes < idle)
			idle = pol.idle_minutes;
		if (pol.max_hours < hours)
			hours = pol.max_hours;
	}
	*idle_ms = (int64_t)idle * 60000;
	*life_ms = (int64_t)hours * 3600000;
}

/* last_seen_at of a session or last_used_at of an API key, written by
 * the store's next group when tx is a read transaction. */
struct touch {
	bool apikey;
	int64_t now;
	char id[ID_MAX];
	char account[ID_MAX]; /* an API key's account and the address it is used */
	char source[64];      /* from, kept for the fraud detection (fraud.h) */
};

static int touch_write(store_tx_t *tx, void *arg)
{
	const struct touch *t = arg;
	if (t->apikey) {
		store_apikey_touch(tx, t->id, t->now);
		if (t->source[0])
			store_apikey_address_note(tx, t->id, t->account, t->source, t->now);
	} else {
		store_session_touch(tx, t->id, t->now);
	}
	/* Bookkeeping: a credential revoked meanwhile, or a failure, fails
	 * nothing else. */
	return 0;
}

static void touch_credential(store_tx_t *tx, bool apikey, const char *id, int64_t now,
	const char *account, const char *source)
{
	struct touch *t = xmalloc(sizeof *t);
	*t = (struct touch){ .apikey = apikey, .now = now };
	snprintf(t->id, sizeof t->id, "%s", id);
	snprintf(t->account, sizeof t->account, "%s", account ? account : "");
	snprintf(t->source, sizeof t->source, "%s", source ? source : "");
	store_tx_defer(tx, touch_write, t, free);
}

/* ---- the credential cache ----
 * What a successful lookup found (the principal, and what is needed to
 * judge the credential again at a later time) is kept per credential and
 * source address for up to cfg->auth_cache_ms, with the generation of
 * credentials (store_auth_generation) it was read under. A later request
 * reads only the generation: when it moved (a revocation, a logout, a
 * password change, a deprovisioning, a change of the account's rules, on
 * any node), the entry is dropped and the credential read again. Only
 * successes are kept; a refusal is always decided from the database. */
#define AUTH_CACHE_SLOTS 1024

struct auth_cached {
	bool used, apikey;
	const store_t *st;
	char key[SEC_SHA256_HEX + 64]; /* token hash, "|", source */
	int64_t gen, until;            /* generation read under; kept until (ms) */
	int64_t exp, life_end, idle_ms, last; /* the credential's times (0: none) */
	char cred_id[ID_MAX], account[ID_MAX];
	principal_t p;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct auth_cached cache[AUTH_CACHE_SLOTS];
static unsigned long long cache_hits, cache_misses;

void dom_auth_cache_stats(unsigned long long *hits, unsigned long long *misses)
{
	pthread_mutex_lock(&cache_mu);
	*hits = cache_hits;
	*misses = cache_misses;
	pthread_mutex_unlock(&cache_mu);
}

static size_t cache_slot(const char *key)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const char *c = key; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	return (size_t)(h % AUTH_CACHE_SLOTS);
}

/* What the lookup learnt, for the cache. */
struct auth_seen {
	bool apikey;
	int64_t exp, life_end, idle_ms, last;
	char cred_id[ID_MAX], account[ID_MAX];
};

static int auth_lookup(store_tx_t *tx, const dom_config_t *cfg, const char *bearer, const char *h,
	const char *source, int64_t now, principal_t *p, struct auth_seen *seen, dom_err_t *e);

int dom_authenticate(store_tx_t *tx, const dom_config_t *cfg, const char *bearer,
	const char *source, int64_t now, principal_t *p, dom_err_t *e)
{
	char h[SEC_SHA256_HEX];
	sec_token_hash(bearer, h);
	if (cfg->auth_cache_ms <= 0) {
		struct auth_seen seen;
		return auth_lookup(tx, cfg, bearer, h, source, now, p, &seen, e);
	}
	const store_t *st = store_tx_store(tx);
	int64_t gen = store_auth_generation(tx);
	char key[sizeof cache[0].key];
	snprintf(key, sizeof key, "%s|%s", h, source ? source : "");
	size_t slot = cache_slot(key);
	bool touch = false, apikey = false;
	char cred[ID_MAX], account[ID_MAX];
	pthread_mutex_lock(&cache_mu);
	struct auth_cached *c = &cache[slot];
	if (gen >= 0 && c->used && c->st == st && c->gen == gen && now < c->until &&
	    strcmp(c->key, key) == 0 && (c->exp == 0 || now < c->exp) &&
	    (c->life_end == 0 || now < c->life_end) && (c->idle_ms == 0 || now - c->last < c->idle_ms)) {
		*p = c->p;
		cache_hits++;
		if (now - c->last >= TOUCH_EVERY_MS) {
			touch = true;
			c->last = now;
			apikey = c->apikey;
			snprintf(cred, sizeof cred, "%s", c->cred_id);
			snprintf(account, sizeof account, "%s", c->account);
		}
		pthread_mutex_unlock(&cache_mu);
		if (touch)
			touch_credential(tx, apikey, cred, now, apikey ? account : NULL,
				apikey ? source : NULL);
		return 0;
	}
	cache_misses++;
	pthread_mutex_unlock(&cache_mu);
	struct auth_seen seen;
	memset(&seen, 0, sizeof seen);
	int rc = auth_lookup(tx, cfg, bearer, h, source, now, p, &seen, e);
	if (rc != 0 || gen < 0)
		return rc;
	pthread_mutex_lock(&cache_mu);
	c = &cache[slot];
	*c = (struct auth_cached){ .used = true, .apikey = seen.apikey, .st = st, .gen = gen,
		.until = now + cfg->auth_cache_ms, .exp = seen.exp, .life_end = seen.life_end,
		.idle_ms = seen.idle_ms, .last = seen.last, .p = *p };
	snprintf(c->key, sizeof c->key, "%s", key);
	snprintf(c->cred_id, sizeof c->cred_id, "%s", seen.cred_id);
	snprintf(c->account, sizeof c->account, "%s", seen.account);
	pthread_mutex_unlock(&cache_mu);
	return rc;
}

static int auth_lookup(store_tx_t *tx, const dom_config_t *cfg, const char *bearer, const char *h,
	const char *source, int64_t now, principal_t *p, struct auth_seen *seen, dom_err_t *e)
{
	unsigned closing = 0;
	if (strncmp(bearer, SESSION_PREFIX, 4) == 0) {
		json_t *s = store_session_by_hash(tx, h);
		if (!s)
			return dom_fail(e, "unauthenticated", "", "the session is not valid");
		json_t *person = store_principal_get(tx, rec_str(s, "principal_id"));
		int64_t last = json_integer_value(json_object_get(s, "last_seen_at"));
		int64_t created = json_integer_value(json_object_get(s, "created_at"));
		int64_t exp = json_integer_value(json_object_get(s, "expires_at"));
		int64_t idle_ms = 0, life_ms = 0;
		if (person)
			session_limits(tx, cfg, person, &idle_ms, &life_ms);
		int rc;
		if (!person || now >= exp || now >= created + life_ms || now - last >= idle_ms)
			rc = dom_fail(e, "unauthenticated", "", "the session has expired");
		else
			rc = person_usable(tx, person, &closing, e);
		if (rc == 0) {
			dom_principal_from_record(tx, person, p);
			copy(p->session_id, sizeof p->session_id, rec_str(s, "id"));
			p->session_idle_ms = idle_ms;
			rc = apply_account_rules(tx, cfg, person, source, now, true, p, e);
			p->gates |= closing;
		}
		bool touched = rc == 0 && now - last >= TOUCH_EVERY_MS;
		if (touched)
			touch_credential(tx, false, rec_str(s, "id"), now, NULL, NULL);
		*seen = (struct auth_seen){ .exp = exp, .life_end = created + life_ms,
			.idle_ms = idle_ms, .last = touched ? now : last };
		copy(seen->cred_id, sizeof seen->cred_id, rec_str(s, "id"));
		json_decref(person);
		json_decref(s);
		return rc;
	}
	if (strncmp(bearer, APIKEY_PREFIX, 4) == 0) {
		json_t *k = store_apikey_by_hash(tx, h);
		if (!k)
			return dom_fail(e, "unauthenticated", "", "the API key is not valid");
		const json_t *exp = json_object_get(k, "expires_at");
		if (json_is_integer(exp) && now >= json_integer_value(exp)) {
			json_decref(k);
			return dom_fail(e, "unauthenticated", "", "the API key has expired");
		}
		json_t *person = store_principal_get(tx, rec_str(k, "creator_id"));
		int rc = person_usable(tx, person, &closing, e);
		if (rc == 0) {
			dom_principal_from_record(tx, person, p);
			copy(p->id, sizeof p->id, rec_str(k, "id"));
			copy(p->type, sizeof p->type, "api_key");
			/* A key never holds more than its creator holds today. */
			p->perms &= perm_set_from_string(rec_str(k, "permissions"));
			rc = apply_account_rules(tx, cfg, person, source, now, false, p, e);
			p->gates |= closing;
		}
		/* Touched every TOUCH_EVERY_MS, and at once from a new address:
		 * the fraud detection sees each address a key is used from. */
		const json_t *lu = json_object_get(k, "last_used_at");
		bool moved = source && strcmp(rec_str(k, "last_source"), source) != 0;
		bool touched = rc == 0 && (moved || !json_is_integer(lu) ||
			now - json_integer_value(lu) >= TOUCH_EVERY_MS);
		if (touched)
			touch_credential(tx, true, rec_str(k, "id"), now, rec_str(k, "account_id"),
				source);
		*seen = (struct auth_seen){ .apikey = true,
			.exp = json_is_integer(exp) ? json_integer_value(exp) : 0,
			.last = touched ? now : json_integer_value(lu) };
		copy(seen->cred_id, sizeof seen->cred_id, rec_str(k, "id"));
		copy(seen->account, sizeof seen->account, rec_str(k, "account_id"));
		json_decref(person);
		json_decref(k);
		return rc;
	}
	return dom_fail(e, "unauthenticated", "", "the credential is not valid");
}

/* A failed login: counts it for the source address and, when a password or
 * code of the person was checked (count_person), for the person (lockout
 * after the account's threshold); records the event, and asks the caller to
 * keep these writes although the request fails. */
static int login_failed(dom_ctx_t *c, const json_t *person, bool count_person, const char *reason,
	const char *kind, const char *detail, dom_err_t *e)
{
	int64_t now = time_now_ms();
	c->keep_on_error = true;
	const char *src = c->source ? c->source : "";
	json_t *f = store_login_failures_get(c->tx, src);
	int64_t window = (int64_t)c->cfg->source_lock_minutes * 60000;
	int n = 1;
	int64_t first = now;
	if (f && now - json_integer_value(json_object_get(f, "first_at")) < window) {
		n = (int)json_integer_value(json_object_get(f, "failures")) + 1;
		first = json_integer_value(json_object_get(f, "first_at"));
	}
	json_decref(f);
	int64_t src_lock = n >= c->cfg->source_lock_threshold ? now + window : 0;
	store_login_failures_put(c->tx, src, n, first, src_lock);
	principal_t who;
	const principal_t *prev = c->who;
	json_t *d = json_pack("{s:s}", "reason", reason);
	if (person) {
		dom_principal_from_record(c->tx, person, &who);
		c->who = &who;
	} else {
		c->who = NULL;
	}
	/* A failure from the source networks of the account's approved
	 * penetration test, in its window, is announced (C15): audited as such,
	 * it does not lock the person out; the address's own lockout above
	 * still protects the service. */
	char pentest[FRAUD_ID_MAX] = "";
	if (person && strcmp(rec_str(person, "kind"), "account") == 0 &&
	    dom_announced(c->tx, rec_str(person, "account_id"), src, now, pentest))
		json_object_set_new(d, "announced", json_string(pentest));
	if (person && count_person && !pentest[0]) {
		sec_policy_t pol;
		dom_policy(c->tx, c->cfg, rec_str(person, "account_id"), &pol);
		int fails = (int)json_integer_value(json_object_get(person, "failed_logins")) + 1;
		json_t *upd = json_pack("{s:i}", "failed_logins", fails);
		bool lock = fails >= pol.lockout_threshold;
		if (lock)
			json_object_set_new(upd, "locked_until",
				json_integer(now + (int64_t)pol.lockout_minutes * 60000));
		store_principal_update(c->tx, rec_str(person, "id"), upd);
		json_decref(upd);
		if (lock && strcmp(reason, "locked") != 0) {
			json_t *ld = json_pack("{s:i, s:i}", "failures", fails, "minutes", pol.lockout_minutes);
			dom_audit(c, "user.lockout", who.id, who.account_id, "success", ld);
			json_decref(ld);
			/* The person hears of it, in the same transaction. */
			char until[40];
			json_t *mp = json_pack("{s:s, s:i, s:i, s:s}", "name", rec_str(person, "name"),
				"failures", fails, "minutes", pol.lockout_minutes, "until",
				time_format_rfc3339(now + (int64_t)pol.lockout_minutes * 60000, until,
					sizeof until));
			if (dom_mail_queue(c, MAIL_KIND_LOCKOUT, person, NULL, mp, NULL) != 0)
				log_event(LOG_WARN, "mail.not_queued", "kind=lockout person=%s", who.id);
			json_decref(mp);
		}
	}
	if (src_lock && n == c->cfg->source_lock_threshold)
		json_object_set_new(d, "source_locked", json_true());
	dom_audit(c, "session.create", person ? rec_str(person, "id") : "", person ? who.account_id : NULL,
		"failure", d);
	json_decref(d);
	c->who = prev;
	return dom_fail_text(e, kind, "", detail);
}

/* Checks the second factor of a person who enrolled one: a TOTP code (not
 * replayed) or an unused recovery code. 0 when it passes. */
static int second_factor(dom_ctx_t *c, const json_t *person, const char *totp, const char *rcode,
	const char **reason)
{
	if (totp) {
		uint8_t key[64];
		int klen = dom_totp_key(c, person, key, sizeof key);
		int64_t step = klen > 0 ? totp_verify(key, (size_t)klen, totp,
			(uint64_t)(time_now_ms() / 1000 / 30), 1) : -1;
		sodium_memzero(key, sizeof key);
		const json_t *last = json_object_get(person, "totp_last_step");
		if (step < 0) {
			*reason = "wrong_totp";
			return -1;
		}
		if (json_is_integer(last) && step <= json_integer_value(last)) {
			*reason = "replayed_totp";
			return -1;
		}
		json_t *upd = json_pack("{s:I}", "totp_last_step", (json_int_t)step);
		store_principal_update(c->tx, rec_str(person, "id"), upd);
		json_decref(upd);
		return 0;
	}
	char norm[32], h[SEC_SHA256_HEX];
	if (totp_recovery_normalize(rcode, norm, sizeof norm) != 0) {
		*reason = "wrong_recovery_code";
		return -1;
	}
	sec_token_hash(norm, h);
	if (store_recovery_use(c->tx, rec_str(person, "id"), h, time_now_ms()) != STORE_OK) {
		*reason = "wrong_recovery_code";
		return -1;
	}
	return 0;
}

/* A person who opened a session from an address within this many days may
 * still sign in from it while the address is locked out (see dom_login). */
#define KNOWN_SOURCE_DAYS 30

/* Whether the address is locked out for too many failed logins at `now`. */
static bool source_locked(store_tx_t *tx, const char *source, int64_t now)
{
	json_t *sf = store_login_failures_get(tx, source);
	const json_t *lu = sf ? json_object_get(sf, "locked_until") : NULL;
	bool locked = json_is_integer(lu) && json_integer_value(lu) > now;
	json_decref(sf);
	return locked;
}

int session_open(dom_ctx_t *c, const json_t *person, const json_t *detail, json_t **out,
	dom_err_t *e)
{
	int64_t now = time_now_ms();
	principal_t who;
	dom_principal_from_record(c->tx, person, &who);
	int64_t idle_ms, life_ms;
	session_limits(c->tx, c->cfg, person, &idle_ms, &life_ms);
	int64_t exp = now + life_ms;
	char *tok = sec_new_token(SESSION_PREFIX);
	char h[SEC_SHA256_HEX];
	sec_token_hash(tok, h);
	char *sid = sec_new_id("ses");
	/* A sign-in from an address this person never had a session from,
	 * once they signed in before: they are told by mail (below). */
	bool new_address = c->source && *c->source &&
		json_is_integer(json_object_get(person, "last_login_at")) &&
		!store_fraud_session_seen(c->tx, who.id, c->source, now + 1);
	json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "id", sid, "token_hash", h,
		"principal_id", who.id, "source", c->source ? c->source : "", "created_at",
		(json_int_t)now, "last_seen_at", (json_int_t)now, "expires_at", (json_int_t)exp);
	int rc = store_session_insert(c->tx, s);
	json_decref(s);
	json_t *upd = json_pack("{s:i, s:n, s:I}", "failed_logins", 0, "locked_until", "last_login_at",
		(json_int_t)now);
	if (rc == STORE_OK)
		rc = store_principal_update(c->tx, who.id, upd);
	json_decref(upd);
	const principal_t *prev = c->who;
	c->who = &who;
	if (rc == STORE_OK)
		rc = dom_audit(c, "session.create", sid, who.account_id, "success", detail);
	c->who = prev;
	if (rc == 0 && new_address) {
		char at[40];
		json_t *mp = json_pack("{s:s, s:s, s:s}", "name", rec_str(person, "name"), "source",
			c->source, "at", time_format_rfc3339(now, at, sizeof at));
		rc = dom_mail_queue(c, MAIL_KIND_SIGNIN_NEW, person, NULL, mp, NULL);
		json_decref(mp);
	}
	if (rc == 0) {
		char b[40], b2[40];
		int64_t idle = now + idle_ms;
		*out = json_pack("{s:s, s:s, s:s, s:s}", "token", tok, "session_id", sid, "expires_at",
			time_format_rfc3339(exp, b, sizeof b), "idle_expires_at",
			time_format_rfc3339(idle < exp ? idle : exp, b2, sizeof b2));
	}
	free(tok);
	free(sid);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the session could not be stored");
}

int dom_login(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "email", "password", "totp", "recovery_code", NULL };
	static const char *const wrong = I18N("the e-mail address, the password or the code is wrong");
	char email[EMAIL_MAX + 1];
	const char *pw, *totp, *rcode;
	if (body_only(body, allowed, e) || body_str(body, "password", true, &pw, e) ||
	    body_str(body, "totp", false, &totp, e) || body_str(body, "recovery_code", false, &rcode, e))
		return -1;
	const char *src = c->source ? c->source : "";
	/* A malformed address is simply not a known one: same answer, same work. */
	dom_err_t ignored;
	bool email_ok = body_email(body, "email", email, &ignored) == 0;

	/* 1. Read what the decision needs, then hold no transaction: Argon2id
	 * takes a good part of a second, and a write transaction would stop
	 * every other writer of the process for that long. */
	if (dom_tx_pause(c, e) != 0)
		return -1;
	store_tx_t *rd = store_begin(c->store, false);
	if (!rd)
		return dom_fail(e, "unavailable", "", "the database is not reachable");
	int64_t now = time_now_ms();
	json_t *seen = email_ok ? store_principal_by_email(rd, email) : NULL;
	bool src_locked = source_locked(rd, src, now);
	/* The per-address lockout stops guessing across many people from one
	 * address; it must not lock out the people who work there. Exempt: a
	 * person who signed in from this address lately, or who has a second
	 * factor (a password alone opens nothing). Their own lockout still
	 * applies. Everyone else is refused before any hashing. */
	bool exempt = seen && (json_is_integer(json_object_get(seen, "totp_confirmed_at")) ||
		store_session_seen_from(rd, rec_str(seen, "id"), src,
			now - (int64_t)KNOWN_SOURCE_DAYS * 86400000));
	store_rollback(rd);
	char verified[SEC_PWHASH_MAX];
	snprintf(verified, sizeof verified, "%s", seen && json_is_string(json_object_get(seen, "password_hash"))
		? rec_str(seen, "password_hash") : sec_pwhash_dummy());
	bool ok = false;
	if (!src_locked || exempt)
		ok = sec_pwhash_verify(verified, pw) && seen;

	/* 2. The outcome, in a short write transaction, on fresh records. */
	if (dom_tx_resume(c, e) != 0) {
		json_decref(seen);
		return -1;
	}
	json_t *person = seen ? store_principal_get(c->tx, rec_str(seen, "id")) : NULL;
	json_decref(seen);
	int rc;
	if (src_locked && !exempt) {
		rc = login_failed(c, person, false, "source_locked", "invalid-credentials", wrong, e);
		json_decref(person);
		return rc;
	}
	/* The password changed while it was being checked: the check is void. */
	if (person && strcmp(rec_str(person, "password_hash"), verified) != 0)
		ok = false;
	ok = ok && person && strcmp(rec_str(person, "status"), "active") == 0;
	const json_t *lu = person ? json_object_get(person, "locked_until") : NULL;
	bool locked = json_is_integer(lu) && json_integer_value(lu) > now;
	/* From outside the account's allowed networks a login fails like a wrong
	 * password, so that it cannot even confirm a password there. */
	bool outside = false;
	if (person && strcmp(rec_str(person, "kind"), "account") == 0 && c->source) {
		sec_policy_t pol;
		dom_policy(c->tx, c->cfg, rec_str(person, "account_id"), &pol);
		outside = !policy_ip_allowed(&pol, c->source);
	}
	if (locked || outside || !ok) {
		rc = login_failed(c, person, true, locked ? "locked" : outside ? "ip_not_allowed"
			: "wrong_password", "invalid-credentials", wrong, e);
		json_decref(person);
		return rc;
	}
	/* SSO required: a member's password opens nothing, but for an owner
	 * with a second factor (break-glass). Told only to whoever gave the
	 * right password, so it reveals nothing to a guesser. */
	if (strcmp(rec_str(person, "kind"), "account") == 0) {
		sec_policy_t pol;
		dom_policy(c->tx, c->cfg, rec_str(person, "account_id"), &pol);
		bool break_glass = strcmp(rec_str(person, "role"), "owner") == 0 &&
			json_is_integer(json_object_get(person, "totp_confirmed_at"));
		if (pol.sso_required && !break_glass) {
			principal_t who;
			dom_principal_from_record(c->tx, person, &who);
			const principal_t *prev = c->who;
			c->who = &who;
			c->keep_on_error = true;
			json_t *d = json_pack("{s:s}", "reason", "sso_required");
			dom_audit(c, "session.create", who.id, who.account_id, "failure", d);
			json_decref(d);
			c->who = prev;
			json_decref(person);
			return dom_fail(e, "sso-required", "",
				"this account signs its members in through its identity provider: use single sign-on");
		}
	}
	if (json_is_integer(json_object_get(person, "totp_confirmed_at"))) {
		const char *reason = NULL;
		if (!totp && !rcode) {
			json_decref(person);
			return dom_fail(e, "mfa-required", "totp",
				"this account has a second factor: send \"totp\" or \"recovery_code\" with the password");
		}
		if (second_factor(c, person, totp, rcode, &reason) != 0) {
			rc = login_failed(c, person, true, reason, "invalid-credentials", wrong, e);
			json_decref(person);
			return rc;
		}
	}
	if (person_usable(c->tx, person, NULL, e)) {
		json_decref(person);
		return -1;
	}
	json_t *d = json_pack("{s:s}", "second_factor", totp ? "totp" : rcode ? "recovery_code" : "none");
	rc = session_open(c, person, d, out, e);
	json_decref(d);
	if (rc == 0 && rcode)
		json_object_set_new(*out, "recovery_codes_left",
			json_integer(store_recovery_unused(c->tx, rec_str(person, "id"))));
	json_decref(person);
	return rc;
}

int dom_logout(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	*out = NULL;
	if (!c->who->session_id[0])
		return dom_fail(e, "validation-failed", "", "this credential is not a session");
	if (store_session_revoke(c->tx, c->who->person_id, c->who->session_id, time_now_ms()) != STORE_OK)
		return dom_fail(e, "not-found", "", "no such session");
	return dom_audit(c, "session.delete", c->who->session_id, c->who->account_id, "success", NULL);
}

int dom_me(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	/* The columns shown, with the account's partner, in one statement:
	 * the person's whole row (its secrets too) and then the account's were
	 * two. */
	json_t *person = store_principal_profile(c->tx, c->who->person_id);
	if (!person)
		return dom_fail(e, "not-found", "", "no such person");
	/* The credential's permissions (an API key's may be fewer than its
	 * person's), not the record's, which would be built only to be
	 * replaced. */
	json_t *o = person_public_as(person, c->who->perms);
	json_object_set_new_nocheck(o, "kind", json_string(c->who->kind));
	json_t *cred = json_object();
	json_object_set_new_nocheck(cred, "type", json_string(c->who->type));
	json_object_set_new_nocheck(cred, "id", json_string(c->who->session_id[0] ? c->who->session_id
		: c->who->id));
	json_object_set_new_nocheck(o, "credential", cred);
	if (!json_object_get(o, "account_id"))
		json_object_set_new(o, "account_id", json_null());
	if (!json_object_get(o, "partner_id"))
		json_object_set_new(o, "partner_id", json_null());
	/* The partner the portal shows itself under, if it has a white label:
	 * their account's, or their own for a partner's staff. */
	json_object_set_new(o, "white_label", dom_white_label_of(c->tx, c->who->account_id[0]
		? rec_str(person, "account_partner_id") : c->who->partner_id));
	json_t *pending = json_array();
	if (c->who->gates & PRINCIPAL_GATE_TERMS)
		json_array_append_new(pending, json_string("accept_terms"));
	if (c->who->gates & PRINCIPAL_GATE_MFA)
		json_array_append_new(pending, json_string("enrol_mfa"));
	if (c->who->gates & PRINCIPAL_GATE_PASSWORD)
		json_array_append_new(pending, json_string("change_password"));
	json_object_set_new(o, "pending", pending);
	json_object_set_new(o, "lang", json_string(*rec_str(person, "lang") ? rec_str(person, "lang") : "en"));
	json_t *mfa = json_object();
	json_object_set_new_nocheck(mfa, "totp",
		json_boolean(json_is_integer(json_object_get(person, "totp_confirmed_at"))));
	json_object_set_new_nocheck(o, "mfa", mfa);
	/* A session says how long it may stay unused (the portal warns before):
	 * as its authentication found it, in this request or under the same
	 * generation of credentials (a change of the account's rules moves it,
	 * so this is the rule in force), without reading and parsing the
	 * account's settings again. */
	if (c->who->session_id[0]) {
		int64_t idle_ms = c->who->session_idle_ms, life_ms;
		if (idle_ms <= 0)
			session_limits(c->tx, c->cfg, person, &idle_ms, &life_ms);
		json_t *ses = json_object();
		json_object_set_new_nocheck(ses, "idle_timeout_seconds", json_integer(idle_ms / 1000));
		json_object_set_new_nocheck(o, "session", ses);
	}
	json_decref(person);
	*out = o;
	return 0;
}

int dom_me_update(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "name", "lang", NULL };
	const char *name, *lang;
	if (body_only(body, allowed, e) || body_name(body, "name", false, &name, e) ||
	    body_str(body, "lang", false, &lang, e))
		return -1;
	if (!authz_in_person(c->who))
		return dom_fail(e, "forbidden", "", "an API key cannot change its person's profile");
	if (lang && strcmp(lang, "en") != 0 && strcmp(lang, "fr") != 0)
		return dom_fail(e, "validation-failed", "lang", "lang must be en or fr");
	json_t *upd = json_pack("{s:I}", "updated_at", (json_int_t)time_now_ms());
	if (name)
		json_object_set_new(upd, "name", json_string(name));
	if (lang)
		json_object_set_new(upd, "lang", json_string(lang));
	int rc = store_principal_update(c->tx, c->who->person_id, upd);
	json_decref(upd);
	json_t *d = json_pack("{s:s?, s:s?}", "name", name, "lang", lang);
	if (rc == STORE_OK)
		rc = dom_audit(c, "me.update", c->who->person_id, c->who->account_id, "success", d);
	json_decref(d);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the profile could not be updated");
	return dom_me(c, out, e);
}

int dom_my_sessions(dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	json_t *rows = store_session_list(c->tx, c->who->person_id, time_now_ms());
	if (!rows)
		return dom_fail(e, "internal", "", "sessions could not be read");
	json_t *items = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append_new(items, json_pack("{s:s, s:s, s:o, s:o, s:o, s:b}", "id",
			rec_str(r, "id"), "source", rec_str(r, "source"), "created_at",
			time_json(json_object_get(r, "created_at")), "last_seen_at",
			time_json(json_object_get(r, "last_seen_at")), "expires_at",
			time_json(json_object_get(r, "expires_at")), "current",
			strcmp(rec_str(r, "id"), c->who->session_id) == 0));
	json_decref(rows);
	*out = json_pack("{s:o, s:n}", "items", items, "next_cursor");
	return 0;
}

int dom_my_session_revoke(dom_ctx_t *c, const char *sid, json_t **out, dom_err_t *e)
{
	*out = NULL;
	if (store_session_revoke(c->tx, c->who->person_id, sid, time_now_ms()) != STORE_OK)
		return dom_fail(e, "not-found", "", "no such session");
	return dom_audit(c, "session.delete", sid, c->who->account_id, "success", NULL);
}

int dom_invitation_accept(dom_ctx_t *c, const char *token, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const in_path[] = { "password", "name", NULL };
	static const char *const in_body[] = { "token", "password", "name", NULL };
	const char *pw, *name;
	if (body_only(body, token ? in_path : in_body, e) ||
	    (!token && body_str(body, "token", true, &token, e)) ||
	    body_str(body, "password", true, &pw, e) || body_name(body, "name", false, &name, e))
		return -1;
	json_t *person = person_by_token(c, store_invitation_find, token, "invited");
	if (!person) {
		dom_fail(e, "invitation-invalid", "", "an invitation works once, for %d days: "
			"ask for a new one", c->cfg->invitation_days);
		return token_attempt_failed(c, "invitation.accept", NULL, "unknown_token");
	}
	if (dom_password_set(c, person, pw, e) != 0) {
		snprintf(e->field, sizeof e->field, "password");
		if (strcmp(e->kind, "weak-password") == 0)
			token_attempt_failed(c, "invitation.accept", person, "weak_password");
		json_decref(person);
		return -1;
	}
	json_t *upd = json_pack("{s:s, s:I}", "status", "active", "updated_at", (json_int_t)time_now_ms());
	if (name)
		json_object_set_new(upd, "name", json_string(name));
	int rc = token_use(c, store_invitation_take, token) == 0 ? STORE_OK : STORE_ERROR;
	if (rc == STORE_OK)
		rc = store_principal_update(c->tx, rec_str(person, "id"), upd);
	json_decref(upd);
	principal_t who;
	dom_principal_from_record(c->tx, person, &who);
	const principal_t *prev = c->who;
	c->who = &who;
	if (rc == STORE_OK)
		rc = dom_audit(c, "invitation.accept", who.id, who.account_id, "success", NULL);
	c->who = prev;
	if (rc == 0)
		*out = json_pack("{s:s, s:s, s:s}", "user_id", rec_str(person, "id"), "email",
			rec_str(person, "email"), "status", "active");
	json_decref(person);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the invitation could not be accepted");
}

int dom_bootstrap(dom_ctx_t *c, const char *email, char **password, dom_err_t *e)
{
	if (!valid_email(email, strlen(email)))
		return dom_fail(e, "validation-failed", "email", "not a valid e-mail address");
	if (store_principal_count(c->tx, "provider") > 0)
		return dom_fail(e, "already-bootstrapped", "",
			"a provider operator exists already; invite others through the API");
	char *id = person_insert(c, "provider", NULL, NULL, email, "Operator", "operator", 0, e);
	if (!id)
		return -1;
	uint8_t r[18];
	sec_random(r, sizeof r);
	char hex[37];
	sec_hex(r, sizeof r, hex);
	char ph[SEC_PWHASH_MAX];
	if (sec_pwhash(hex, ph) != 0) {
		free(id);
		return dom_fail(e, "internal", "", "the password could not be hashed");
	}
	json_t *upd = json_pack("{s:s, s:s}", "password_hash", ph, "status", "active");
	int rc = store_principal_update(c->tx, id, upd);
	json_decref(upd);
	if (rc == STORE_OK)
		rc = dom_audit(c, "provider.bootstrap", id, NULL, "success", NULL);
	free(id);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the operator could not be stored");
	*password = xstrdup(hex);
	return 0;
}

int dom_password_change(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "current_password", "new_password", NULL };
	const char *cur, *nw;
	*out = NULL;
	if (!authz_in_person(c->who))
		return dom_fail(e, "forbidden", "", "an API key cannot change a password");
	if (body_only(body, allowed, e) || body_str(body, "current_password", true, &cur, e) ||
	    body_str(body, "new_password", true, &nw, e))
		return -1;
	json_t *person = store_principal_get(c->tx, c->who->person_id);
	if (!person)
		return dom_fail(e, "not-found", "", "no such person");
	int rc;
	if (!sec_pwhash_verify(rec_str(person, "password_hash"), cur))
		rc = dom_fail(e, "invalid-credentials", "current_password", "the current password is wrong");
	else if (strcmp(cur, nw) == 0)
		rc = dom_fail(e, "weak-password", "new_password", "the new password must differ from the current one");
	else if ((rc = dom_password_set(c, person, nw, e)) != 0)
		snprintf(e->field, sizeof e->field, "new_password");
	json_decref(person);
	if (rc != 0)
		return -1;
	int64_t now = time_now_ms();
	if (rc == STORE_OK)
		rc = store_session_revoke_all(c->tx, c->who->person_id, c->who->session_id, now);
	if (rc == STORE_OK)
		rc = dom_audit(c, "password.change", c->who->person_id, c->who->account_id, "success", NULL);
	return rc == 0 ? 0 : dom_fail(e, "internal", "", "the password could not be changed");
}
