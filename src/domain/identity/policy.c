/* Security settings of an account (see policy.h). */
#include "identity.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "validate.h"

void policy_defaults(const sec_limits_t *lim, sec_policy_t *p)
{
	memset(p, 0, sizeof *p);
	p->min_length = lim->min_length;
	p->max_length = PASSWORD_MAX;
	p->check_common = true;
	p->lockout_threshold = lim->lockout_threshold;
	p->lockout_minutes = lim->lockout_minutes;
	p->mfa = MFA_NONE;
	p->idle_minutes = lim->idle_minutes;
	p->max_hours = lim->max_hours;
	p->rpm = lim->rpm;
	p->burst = lim->burst;
	p->contacts_review_months = lim->contacts_review_months;
}

static const char *const mfa_names[] = { "none", "admins", "all" };
static const char *const fax_mail_names[] = { "attachment", "link", "none", "safebox" };

const char *policy_fax_mail_name(enum fax_mail m)
{
	return fax_mail_names[m];
}

json_t *policy_to_json(const sec_policy_t *p)
{
	json_t *cidrs = json_array();
	for (int i = 0; i < p->ncidr; i++) {
		char b[64];
		cidr_format(&p->cidr[i], b, sizeof b);
		json_array_append_new(cidrs, json_string(b));
	}
	return json_pack("{s:{s:i, s:i, s:b, s:i, s:i, s:i, s:i, s:{s:b, s:b, s:b, s:b}},"
			 " s:{s:s}, s:{s:i, s:i}, s:o, s:{s:i, s:i}, s:i, s:s, s:b, s:b, s:b, s:b}",
		"password_policy", "min_length", p->min_length, "max_length", p->max_length,
		"check_common", p->check_common, "history", p->history, "max_age_days", p->max_age_days,
		"lockout_threshold", p->lockout_threshold, "lockout_minutes", p->lockout_minutes,
		"composition", "require_upper", p->require_upper, "require_lower", p->require_lower,
		"require_digit", p->require_digit, "require_symbol", p->require_symbol,
		"mfa", "required_for", mfa_names[p->mfa],
		"session", "idle_timeout_minutes", p->idle_minutes, "max_lifetime_hours", p->max_hours,
		"ip_allowlist", cidrs,
		"rate_limit", "requests_per_minute", p->rpm, "burst", p->burst,
		"contacts_review_months", p->contacts_review_months,
		"received_fax_mail", fax_mail_names[p->fax_mail], "sso_required", p->sso_required,
		"fraud_hold", p->fraud_hold, "access_grants_auto_config", p->grants_auto_config,
		"shared_inbox_safebox", p->shared_inbox_safebox);
}

struct ctx {
	const sec_limits_t *lim;
	char *field;
	size_t fl;
	i18n_msg_t *why;
};

/* Refuses the setting at field; fmt names it (its first conversion). */
__attribute__((format(printf, 3, 4)))
static int policy_bad(struct ctx *c, const char *field, const char *fmt, ...)
{
	snprintf(c->field, c->fl, "%s", field);
	va_list ap;
	va_start(ap, fmt);
	i18n_msg_vset(c->why, fmt, ap);
	va_end(ap);
	return -1;
}

/* An integer member within [lo, hi]; absent leaves *out. */
static int get_int(struct ctx *c, const json_t *o, const char *key, const char *path, int lo, int hi,
	const char *looser, int *out)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_integer(v))
		return policy_bad(c, path, "%s must be an integer", path);
	json_int_t x = json_integer_value(v);
	if (x < lo || x > hi) {
		if (looser && ((x < lo && strcmp(looser, "floor") == 0) || (x > hi && strcmp(looser, "ceiling") == 0)))
			return policy_bad(c, path, "%s is looser than the provider allows (limit %d)",
				path, strcmp(looser, "floor") == 0 ? lo : hi);
		return policy_bad(c, path, "%s must be between %d and %d", path, lo, hi);
	}
	*out = (int)x;
	return 0;
}

static int get_bool(struct ctx *c, const json_t *o, const char *key, const char *path, bool *out)
{
	const json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return policy_bad(c, path, "%s must be true or false", path);
	*out = json_is_true(v);
	return 0;
}

static int only(struct ctx *c, const json_t *o, const char *path, const char *const *keys)
{
	if (!json_is_object(o))
		return policy_bad(c, path, "%s must be an object", path);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		bool ok = false;
		for (int i = 0; keys[i] && !ok; i++)
			ok = strcmp(keys[i], k) == 0;
		if (!ok) {
			char f[96];
			snprintf(f, sizeof f, "%s%s%.60s", path, *path ? "." : "", k);
			return policy_bad(c, f, "%s is not a known setting", f);
		}
	}
	return 0;
}

/* The index of string v among the three names, -1 when v is absent, -2
 * when it is none of them. */
/* The index of v in names (n of them), -1 when v is absent, -2 when it is
 * none of them. */
static int name_index(const json_t *v, const char *const *names, int n)
{
	if (!v)
		return -1;
	for (int i = 0; i < n; i++)
		if (json_is_string(v) && strcmp(json_string_value(v), names[i]) == 0)
			return i;
	return -2;
}

static int apply(struct ctx *c, sec_policy_t *p, const json_t *doc, bool strict)
{
	static const char *const top[] = { "password_policy", "mfa", "session", "ip_allowlist",
		"rate_limit", "contacts_review_months", "received_fax_mail", "sso_required", "fraud_hold",
		"access_grants_auto_config", "shared_inbox_safebox", NULL };
	static const char *const pwk[] = { "min_length", "max_length", "check_common", "history",
		"max_age_days", "lockout_threshold", "lockout_minutes", "composition", NULL };
	static const char *const comp[] = { "require_upper", "require_lower", "require_digit",
		"require_symbol", NULL };
	const sec_limits_t *L = c->lim;
	if (only(c, doc, "", top))
		return -1;
	const json_t *pw = json_object_get(doc, "password_policy");
	if (pw) {
		if (only(c, pw, "password_policy", pwk) ||
		    get_int(c, pw, "min_length", "password_policy.min_length", L->min_length, PASSWORD_MAX,
			    strict ? "floor" : NULL, &p->min_length) ||
		    get_int(c, pw, "max_length", "password_policy.max_length", 64, PASSWORD_MAX, NULL,
			    &p->max_length) ||
		    get_bool(c, pw, "check_common", "password_policy.check_common", &p->check_common) ||
		    get_int(c, pw, "history", "password_policy.history", 0, 24, NULL, &p->history) ||
		    get_int(c, pw, "max_age_days", "password_policy.max_age_days", 0, 3650, NULL,
			    &p->max_age_days) ||
		    get_int(c, pw, "lockout_threshold", "password_policy.lockout_threshold", 1,
			    L->lockout_threshold, strict ? "ceiling" : NULL, &p->lockout_threshold) ||
		    get_int(c, pw, "lockout_minutes", "password_policy.lockout_minutes", L->lockout_minutes,
			    1440, strict ? "floor" : NULL, &p->lockout_minutes))
			return -1;
		if (strict && json_is_false(json_object_get(pw, "check_common")))
			return policy_bad(c, "password_policy.check_common", "%s cannot be turned off: "
				"the provider requires the common-password check", "password_policy.check_common");
		const json_t *cm = json_object_get(pw, "composition");
		if (cm && (only(c, cm, "password_policy.composition", comp) ||
			    get_bool(c, cm, "require_upper", "password_policy.composition.require_upper", &p->require_upper) ||
			    get_bool(c, cm, "require_lower", "password_policy.composition.require_lower", &p->require_lower) ||
			    get_bool(c, cm, "require_digit", "password_policy.composition.require_digit", &p->require_digit) ||
			    get_bool(c, cm, "require_symbol", "password_policy.composition.require_symbol", &p->require_symbol)))
			return -1;
		if (p->min_length > p->max_length)
			return policy_bad(c, "password_policy.min_length", "%s is above max_length (%d)",
				"password_policy.min_length", p->max_length);
	}
	const json_t *mfa = json_object_get(doc, "mfa");
	if (mfa) {
		static const char *const mk[] = { "required_for", NULL };
		if (only(c, mfa, "mfa", mk))
			return -1;
		int found = name_index(json_object_get(mfa, "required_for"), mfa_names, 3);
		if (found == -2)
			return policy_bad(c, "mfa.required_for", "%s must be none, admins or all",
				"mfa.required_for");
		if (found >= 0)
			p->mfa = (enum mfa_required)found;
	}
	const json_t *ses = json_object_get(doc, "session");
	if (ses) {
		static const char *const sk[] = { "idle_timeout_minutes", "max_lifetime_hours", NULL };
		if (only(c, ses, "session", sk) ||
		    get_int(c, ses, "idle_timeout_minutes", "session.idle_timeout_minutes", 1, L->idle_minutes,
			    strict ? "ceiling" : NULL, &p->idle_minutes) ||
		    get_int(c, ses, "max_lifetime_hours", "session.max_lifetime_hours", 1, L->max_hours,
			    strict ? "ceiling" : NULL, &p->max_hours))
			return -1;
	}
	const json_t *ips = json_object_get(doc, "ip_allowlist");
	if (ips) {
		if (!json_is_array(ips))
			return policy_bad(c, "ip_allowlist", "%s must be an array of CIDR strings", "ip_allowlist");
		if (json_array_size(ips) > POLICY_CIDR_MAX)
			return policy_bad(c, "ip_allowlist", "%s holds at most %d networks", "ip_allowlist",
				POLICY_CIDR_MAX);
		int n = 0;
		cidr_t tmp[POLICY_CIDR_MAX];
		size_t i;
		const json_t *v;
		json_array_foreach(ips, i, v) {
			const char *why = I18N("must be a string");
			if (!json_is_string(v) || cidr_parse(json_string_value(v), &tmp[n], &why) != 0) {
				char f[48];
				snprintf(f, sizeof f, "ip_allowlist[%zu]", i);
				snprintf(c->field, c->fl, "%s", f);
				/* The field, then cidr_parse's reason in each language. */
				i18n_msg_t r;
				i18n_msg_text(&r, why);
				snprintf(c->why->en, sizeof c->why->en, "%s: %.200s", f, r.en);
				snprintf(c->why->fr, sizeof c->why->fr, "%s : %.200s", f, r.fr);
				return -1;
			}
			n++;
		}
		memcpy(p->cidr, tmp, sizeof tmp[0] * (size_t)n);
		p->ncidr = n;
	}
	const json_t *rl = json_object_get(doc, "rate_limit");
	if (rl) {
		static const char *const rk[] = { "requests_per_minute", "burst", NULL };
		if (only(c, rl, "rate_limit", rk) ||
		    get_int(c, rl, "requests_per_minute", "rate_limit.requests_per_minute", 1, L->rpm,
			    strict ? "ceiling" : NULL, &p->rpm) ||
		    get_int(c, rl, "burst", "rate_limit.burst", 1, L->burst, strict ? "ceiling" : NULL, &p->burst))
			return -1;
	}
	if (get_int(c, doc, "contacts_review_months", "contacts_review_months", 1, L->contacts_review_months,
		    strict ? "ceiling" : NULL, &p->contacts_review_months))
		return -1;
	int fm = name_index(json_object_get(doc, "received_fax_mail"), fax_mail_names, 4);
	if (fm == -2)
		return policy_bad(c, "received_fax_mail", "%s must be attachment, link, safebox or none",
			"received_fax_mail");
	if (fm >= 0)
		p->fax_mail = (enum fax_mail)fm;
	return get_bool(c, doc, "sso_required", "sso_required", &p->sso_required) ||
		get_bool(c, doc, "fraud_hold", "fraud_hold", &p->fraud_hold) ||
		get_bool(c, doc, "access_grants_auto_config", "access_grants_auto_config",
			&p->grants_auto_config) ||
		get_bool(c, doc, "shared_inbox_safebox", "shared_inbox_safebox",
			&p->shared_inbox_safebox);
}

void policy_from_json(const sec_limits_t *lim, const json_t *doc, sec_policy_t *p)
{
	policy_defaults(lim, p);
	if (!json_is_object(doc))
		return;
	char f[96];
	i18n_msg_t w;
	struct ctx c = { lim, f, sizeof f, &w };
	sec_policy_t tmp = *p;
	/* Not strict: a value the provider has since tightened is clamped below
	 * rather than failing the whole document. */
	if (apply(&c, &tmp, doc, false) == 0)
		*p = tmp;
	if (p->min_length < lim->min_length)
		p->min_length = lim->min_length;
	if (p->lockout_threshold > lim->lockout_threshold)
		p->lockout_threshold = lim->lockout_threshold;
	if (p->lockout_minutes < lim->lockout_minutes)
		p->lockout_minutes = lim->lockout_minutes;
	if (p->idle_minutes > lim->idle_minutes)
		p->idle_minutes = lim->idle_minutes;
	if (p->max_hours > lim->max_hours)
		p->max_hours = lim->max_hours;
	if (p->rpm > lim->rpm)
		p->rpm = lim->rpm;
	if (p->burst > lim->burst)
		p->burst = lim->burst;
	p->check_common = true;
}

int policy_patch(const sec_limits_t *lim, sec_policy_t *p, const json_t *patch, char *field,
	size_t fieldlen, i18n_msg_t *why)
{
	struct ctx c = { lim, field, fieldlen, why };
	sec_policy_t tmp = *p;
	if (apply(&c, &tmp, patch, true) != 0)
		return -1;
	*p = tmp;
	return 0;
}

/* Sets why to the text key and answers -1. */
static int weak(i18n_msg_t *why, const char *key)
{
	i18n_msg_text(why, key);
	return -1;
}

int policy_password_problem(const sec_policy_t *p, const char *pw, const char *email,
	i18n_msg_t *why)
{
	size_t n = strlen(pw);
	if (!valid_utf8(pw, n))
		return weak(why, I18N("the password must be valid UTF-8"));
	/* Length in characters, not bytes (NIST counts characters). */
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)pw[i] & 0xc0) != 0x80;
	if ((int)chars < p->min_length) {
		i18n_msg_set(why, "the password must have at least %d characters (it has %zu)",
			p->min_length, chars);
		return -1;
	}
	if ((int)chars > p->max_length) {
		i18n_msg_set(why, "the password must have at most %d characters (it has %zu)",
			p->max_length, chars);
		return -1;
	}
	if (p->check_common && pwlist_is_common(pw))
		return weak(why, I18N("the password is too common: it appears in lists of breached or "
			"common passwords"));
	if (email) {
		const char *at = strchr(email, '@');
		size_t ln = at ? (size_t)(at - email) : 0;
		if (ln >= 4) {
			char local[64];
			if (ln >= sizeof local)
				ln = sizeof local - 1;
			memcpy(local, email, ln);
			local[ln] = '\0';
			if (strcasestr(pw, local))
				return weak(why, I18N("the password must not contain the e-mail address"));
		}
	}
	bool up = false, low = false, dig = false, sym = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)pw[i];
		up |= isupper(ch) != 0;
		low |= islower(ch) != 0;
		dig |= isdigit(ch) != 0;
		sym |= ch >= 0x80 || (ispunct(ch) != 0) || ch == ' ';
	}
	if (p->require_upper && !up)
		return weak(why, I18N("the policy requires an upper-case letter"));
	if (p->require_lower && !low)
		return weak(why, I18N("the policy requires a lower-case letter"));
	if (p->require_digit && !dig)
		return weak(why, I18N("the policy requires a digit"));
	if (p->require_symbol && !sym)
		return weak(why, I18N("the policy requires a symbol"));
	return 0;
}

bool policy_ip_allowed(const sec_policy_t *p, const char *addr)
{
	if (p->ncidr == 0)
		return true;
	int fam;
	uint8_t a[16];
	if (cidr_addr_parse(addr, &fam, a) != 0)
		return false;
	for (int i = 0; i < p->ncidr; i++)
		if (cidr_contains(&p->cidr[i], fam, a))
			return true;
	return false;
}

bool policy_meets_defaults(const sec_policy_t *p, const sec_limits_t *lim)
{
	return p->min_length >= lim->min_length && p->check_common &&
		p->lockout_threshold <= lim->lockout_threshold && p->lockout_minutes >= lim->lockout_minutes;
}
