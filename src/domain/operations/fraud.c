/* Automatic fraud detection and announced penetration tests (see fraud.h). */
#include "operations.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cidr.h"
#include "dom_util.h"
#include "numbers/numbers.h"
#include "log.h"
#include "notify/notify.h"
#include "identity/identity.h"
#include "sec.h"
#include "store_fraud.h"
#include "store_incidents.h"
#include "store_requests.h"
#include "timeutil.h"
#include "xalloc.h"

#define HOUR_MS 3600000LL
#define TRAILING_HOURS 168         /* the volume baseline: 7 days */
#define LOCKOUT_LOOKBACK_MS (24 * HOUR_MS)
/* How far before the last pass the address rules look again: a sign-in's
 * or a key's use is written with the time its request began, and the
 * request may commit after a pass that began later (the key's address is
 * bookkeeping written after the read). Findings are kept by member or key
 * and address, so a row seen twice raises one finding. */
#define ADDRESS_LATE_MS (10 * 60000LL)
#define FAX_ROWS_MAX 20000         /* faxes one pass looks at */
#define EVIDENCE_MAX 20            /* items of a list in the evidence */
#define SEQ_GAP 2                  /* most a number may be above the one before in a run */

static const fraud_cfg_t defaults = { .volume_floor_pages = 200, .volume_factor = 10,
	.risky_prefixes = "+870,+881,+882,+883", .sequential_calls = 5, .new_country_after = 20,
	.window_hours = 24 };

/* The settings in force: cfg's, each zero one replaced by its default. */
static fraud_cfg_t settings_of(const dom_config_t *cfg)
{
	fraud_cfg_t f = cfg ? cfg->fraud : defaults;
	if (f.volume_floor_pages <= 0)
		f.volume_floor_pages = defaults.volume_floor_pages;
	if (f.volume_factor <= 0)
		f.volume_factor = defaults.volume_factor;
	if (!f.risky_prefixes)
		f.risky_prefixes = defaults.risky_prefixes;
	if (f.sequential_calls <= 0)
		f.sequential_calls = defaults.sequential_calls;
	if (f.new_country_after == 0)
		f.new_country_after = defaults.new_country_after;
	if (f.window_hours <= 0)
		f.window_hours = defaults.window_hours;
	return f;
}

/* ---- the rules' arithmetic ---- */

bool fraud_volume_exceeds(int64_t last_hour, int64_t trailing_pages, int floor, int factor)
{
	if (last_hour < floor)
		return false;
	/* last_hour > factor * trailing / 168, without the division. */
	return last_hour * TRAILING_HOURS > (int64_t)factor * trailing_pages;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The digits of an E.164 number as a value, with its length in the top
 * bits so that numbers of different lengths are never in sequence. */
static bool number_value(const char *s, uint64_t *v)
{
	if (!s || s[0] != '+')
		return false;
	uint64_t x = 0;
	size_t n = 0;
	for (const char *p = s + 1; *p; p++, n++) {
		if (*p < '0' || *p > '9' || n >= 15)
			return false;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (n == 0)
		return false;
	*v = ((uint64_t)n << 56) | x;
	return true;
}

int fraud_sequential_run(const char *const *numbers, size_t n)
{
	if (n == 0)
		return 0;
	uint64_t *v = xcalloc(n, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (number_value(numbers[i], &v[k]))
			k++;
	qsort(v, k, sizeof *v, cmp_u64);
	int best = k ? 1 : 0, run = 1;
	for (size_t i = 1; i < k; i++) {
		if (v[i] == v[i - 1])
			continue;
		if (v[i] >> 56 == v[i - 1] >> 56 && v[i] - v[i - 1] <= SEQ_GAP)
			run++;
		else
			run = 1;
		if (run > best)
			best = run;
	}
	free(v);
	return best;
}

bool fraud_prefix_match(const char *list, const char *number, char *out, size_t outlen)
{
	if (!list || !number)
		return false;
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ", ");
		if (len > 1 && strncmp(number, p, len) == 0) {
			snprintf(out, outlen, "%.*s", (int)len, p);
			return true;
		}
		p += len;
	}
	return false;
}

/* ---- announced sources (C15) ---- */

bool dom_announced(store_tx_t *tx, const char *account_id, const char *address, int64_t at,
	char *out)
{
	int fam;
	uint8_t a[16];
	if (!address || !*address || cidr_addr_parse(address, &fam, a) != 0)
		return false;
	json_t *rows = store_request_overlapping(tx, "pentest", "approved", at, at + 1);
	bool found = false;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		if (account_id && strcmp(rec_str(r, "account_id"), account_id) != 0)
			continue;
		json_t *f = json_loads(rec_str(r, "fields"), 0, NULL);
		size_t k;
		json_t *src;
		json_array_foreach(json_object_get(f, "sources"), k, src) {
			cidr_t net;
			const char *why;
			if (cidr_parse(json_string_value(src), &net, &why) == 0 &&
			    cidr_contains(&net, fam, a)) {
				found = true;
				break;
			}
		}
		json_decref(f);
		if (found) {
			if (out)
				snprintf(out, FRAUD_ID_MAX, "%s", rec_str(r, "id"));
			break;
		}
	}
	json_decref(rows);
	return found;
}

/* ---- holds ---- */

bool dom_fraud_held(store_tx_t *tx, const char *account_id, char *report)
{
	json_t *h = store_fraud_hold_get(tx, account_id);
	if (h && report)
		snprintf(report, FRAUD_ID_MAX, "%s", rec_str(h, "request_id"));
	json_decref(h);
	return h != NULL;
}

int dom_fraud_check_outbound(dom_ctx_t *c, const char *account_id, dom_err_t *e)
{
	char report[FRAUD_ID_MAX];
	if (!dom_fraud_held(c->tx, account_id, report))
		return 0;
	return dom_fail(e, "outbound-held", "", "outbound faxing of the account is held after the "
		"fraud report %s: an administrator confirms the activity safe with POST "
		"/v1/accounts/%s/fraud-reports/%s/confirm-safe", report, account_id, report);
}

/* ---- raising a finding ---- */

struct pass {
	store_tx_t *tx;
	const dom_config_t *cfg;
	fraud_cfg_t set;
	dom_ctx_t c; /* the system actor */
	int64_t now, bucket;
	int raised;
};

/* What a rule found: its key, evidence (owned) and sentences. */
struct finding {
	const char *account_id, *rule;
	char key[160];
	json_t *evidence;
	char *en, *fr;        /* one sentence each (owned) */
	json_t *numbers;      /* E.164 numbers concerned, or NULL (owned) */
	char announced[FRAUD_ID_MAX]; /* "" or the pentest request it came from */
};

static void finding_free(struct finding *f)
{
	json_decref(f->evidence);
	json_decref(f->numbers);
	free(f->en);
	free(f->fr);
}

static int event_add(store_tx_t *tx, const char *request_id, const char *status, const char *msg,
	const char *by, int64_t now)
{
	char *id = sec_new_id("rqe");
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "request_id", request_id,
		"status", status, "message", msg, "created_by", by, "created_at", (json_int_t)now);
	int rc = store_request_event_insert(tx, ev);
	json_decref(ev);
	free(id);
	return rc;
}

/* Mails the finding to the account's owner and administrators and to the
 * provider's operators and security staff. */
static int mail_finding(struct pass *p, const struct finding *f, const char *report, bool held)
{
	json_t *acc = store_account_get(p->tx, f->account_id, NULL);
	const char *name = acc ? rec_str(acc, "name") : f->account_id;
	char *held_en = held ? xasprintf("Outbound faxing of the account is held until an "
		"administrator confirms the activity safe (POST /v1/accounts/%s/fraud-reports/%s/"
		"confirm-safe); receiving faxes goes on.", f->account_id, report) : xstrdup("");
	char *held_fr = held ? xasprintf("L'envoi de fax du compte est suspendu jusqu'à ce qu'un "
		"administrateur confirme que cette activité est légitime (POST /v1/accounts/%s/"
		"fraud-reports/%s/confirm-safe) ; la réception des fax continue.", f->account_id, report)
		: xstrdup("");
	int rc = 0;
	for (int who = 0; who < 2 && rc == 0; who++) {
		json_t *people = store_incident_recipients(p->tx, who == 0 ? f->account_id : NULL);
		size_t i;
		json_t *person;
		json_array_foreach(people, i, person) {
			json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name",
				rec_str(person, "name"), "account", name, "account_id", f->account_id,
				"report_id", report, "rule", f->rule, "summary_en", f->en, "summary_fr", f->fr,
				"held_en", held_en, "held_fr", held_fr);
			if (mail_queue_tx(p->tx, p->cfg->fax, p->cfg->mail_on, MAIL_KIND_FRAUD_FINDING, person,
				    NULL, params, NULL) != 0)
				rc = -1;
			json_decref(params);
		}
		json_decref(people);
	}
	free(held_en);
	free(held_fr);
	json_decref(acc);
	return rc;
}

/* The fraud report of a finding, its timeline's first entry and audit
 * event, the account's notification; the hold when the account asks for
 * it. The report's id in report. */
static int report_finding(struct pass *p, const struct finding *f, char *report, bool *held)
{
	char *id = sec_new_id("rq");
	snprintf(report, FRAUD_ID_MAX, "%s", id);
	free(id);
	char at[40];
	time_format_rfc3339(p->now, at, sizeof at);
	char summary[96];
	snprintf(summary, sizeof summary, "Automatic fraud detection: %s", f->rule);
	json_t *fields = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:O}", "summary", summary,
		"description", f->en, "description_fr", f->fr, "occurred_at", at, "occurred_at_ms",
		(json_int_t)p->now, "rule", f->rule, "evidence", f->evidence);
	if (f->numbers && json_array_size(f->numbers))
		json_object_set(fields, "numbers", f->numbers);
	char *fs = json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(fields);
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", report, "account_id",
		f->account_id, "kind", "fraud", "status", "open", "fields", fs, "created_by", FRAUD_ACTOR,
		"created_at", (json_int_t)p->now, "updated_at", (json_int_t)p->now);
	free(fs);
	sec_policy_t pol;
	dom_policy(p->tx, p->cfg, f->account_id, &pol);
	*held = pol.fraud_hold;
	json_t *detail = json_pack("{s:s, s:s, s:b}", "kind", "fraud", "rule", f->rule, "hold",
		*held);
	char *subj_fr = xasprintf("Alerte de fraude %s", report);
	char *subj_en = xasprintf("Fraud alert %s", report);
	int rc = store_request_insert(p->tx, r) == STORE_OK &&
			event_add(p->tx, report, "open", f->en, FRAUD_ACTOR, p->now) == STORE_OK &&
			dom_audit(&p->c, "request.fraud.create", report, f->account_id, "success", detail) ==
				STORE_OK &&
			dom_notify(&p->c, f->account_id, "fraud.finding", report, subj_en, subj_fr, f->en,
				f->fr) == STORE_OK
		? 0
		: -1;
	json_decref(detail);
	free(subj_en);
	free(subj_fr);
	json_decref(r);
	if (rc == 0 && *held && !dom_fraud_held(p->tx, f->account_id, NULL)) {
		json_t *hd = json_pack("{s:s, s:s}", "report", report, "rule", f->rule);
		if (store_fraud_hold_insert(p->tx, f->account_id, report, p->now) != STORE_OK ||
		    dom_audit(&p->c, "fraud.hold", f->account_id, f->account_id, "success", hd) != STORE_OK)
			rc = -1;
		json_decref(hd);
	}
	return rc;
}

/* Raises f unless its (account, rule, key) was raised before. 0 (raised or
 * not), -1 on error. Frees f. */
static int raise_finding(struct pass *p, struct finding *f)
{
	int rc = 0;
	/* An announced finding has a key of its own: it never stands in for a
	 * real one later in the window. */
	if (f->announced[0]) {
		char k[sizeof f->key];
		snprintf(k, sizeof k, "%s", f->key);
		snprintf(f->key, sizeof f->key, "announced/%.140s", k);
	}
	if (store_fraud_finding_exists(p->tx, f->account_id, f->rule, f->key)) {
		finding_free(f);
		return 0;
	}
	char *fid = sec_new_id("frd");
	char report[FRAUD_ID_MAX] = "";
	bool held = false;
	if (f->announced[0]) {
		/* Announced traffic: labelled, no report, no mail, no hold. */
		json_t *d = json_pack("{s:s, s:s, s:O}", "rule", f->rule, "pentest_request", f->announced,
			"evidence", f->evidence);
		rc = dom_audit(&p->c, "fraud.announced", fid, f->account_id, "success", d) == STORE_OK ? 0
														: -1;
		json_decref(d);
	} else {
		rc = report_finding(p, f, report, &held);
		if (rc == 0)
			rc = mail_finding(p, f, report, held);
	}
	char *ev = json_dumps(f->evidence, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:I}", "id", fid, "account_id",
		f->account_id, "rule", f->rule, "window_key", f->key, "request_id",
		report[0] ? report : NULL, "announced", f->announced[0] ? f->announced : NULL, "evidence",
		ev, "created_at", (json_int_t)p->now);
	if (rc == 0 && store_fraud_finding_insert(p->tx, row) != STORE_OK)
		rc = -1;
	json_decref(row);
	free(ev);
	if (rc == 0) {
		p->raised++;
		log_event(LOG_WARN, f->announced[0] ? "fraud.announced" : "fraud.finding",
			"account=%s rule=%s report=%s pentest=%s held=%d", f->account_id, f->rule,
			report[0] ? report : "-", f->announced[0] ? f->announced : "-", held ? 1 : 0);
	}
	free(fid);
	finding_free(f);
	return rc;
}

/* ---- rules over the faxes of the last hour ---- */

/* Whether fax row r was submitted from an announced source of its account;
 * the pentest request's id in out. */
static bool fax_announced(struct pass *p, const json_t *r, char *out)
{
	return dom_announced(p->tx, rec_str(r, "account_id"), rec_str(r, "source"),
		json_integer_value(json_object_get(r, "created_at")), out);
}

/* Splits rows into those from announced sources and the others. */
struct split {
	json_t *plain, *announced; /* arrays of borrowed-then-increfed rows */
	char pentest[FRAUD_ID_MAX];
};

static void split_rows(struct pass *p, json_t *rows, struct split *s)
{
	s->plain = json_array();
	s->announced = json_array();
	s->pentest[0] = '\0';
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		char id[FRAUD_ID_MAX];
		if (fax_announced(p, r, id)) {
			json_array_append(s->announced, r);
			if (!s->pentest[0])
				snprintf(s->pentest, sizeof s->pentest, "%s", id);
		} else {
			json_array_append(s->plain, r);
		}
	}
}

static int64_t pages_of(const json_t *rows, int64_t from)
{
	int64_t n = 0;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		if (json_integer_value(json_object_get(r, "created_at")) > from)
			n += json_integer_value(json_object_get(r, "page_count"));
	return n;
}

static void finding_init(struct finding *f, const char *account_id, const char *rule)
{
	memset(f, 0, sizeof *f);
	f->account_id = account_id;
	f->rule = rule;
}

static int rule_volume(struct pass *p, const char *acc, const struct split *s)
{
	int64_t from = p->now - HOUR_MS;
	int64_t plain = pages_of(s->plain, from), all = plain + pages_of(s->announced, from);
	if (!fraud_volume_exceeds(all, 0, p->set.volume_floor_pages, 1))
		return 0; /* under the floor: nothing to weigh */
	int64_t trailing = store_fraud_pages(p->tx, acc, from - TRAILING_HOURS * HOUR_MS, from);
	if (trailing < 0)
		return -1;
	bool hit = fraud_volume_exceeds(plain, trailing, p->set.volume_floor_pages, p->set.volume_factor);
	if (!hit && !fraud_volume_exceeds(all, trailing, p->set.volume_floor_pages, p->set.volume_factor))
		return 0;
	struct finding f;
	finding_init(&f, acc, "volume");
	snprintf(f.key, sizeof f.key, "w%lld", (long long)p->bucket);
	if (!hit)
		snprintf(f.announced, sizeof f.announced, "%s", s->pentest);
	int64_t pages = hit ? plain : all;
	double mean = (double)trailing / TRAILING_HOURS;
	f.evidence = json_pack("{s:I, s:f, s:I, s:i, s:i}", "pages_last_hour", (json_int_t)pages,
		"trailing_hourly_mean", mean, "trailing_pages_7d", (json_int_t)trailing, "floor_pages",
		p->set.volume_floor_pages, "factor", p->set.volume_factor);
	f.en = xasprintf("%lld pages were sent in the last hour, against a mean of %.1f per hour over "
		"the 7 days before.", (long long)pages, mean);
	f.fr = xasprintf("%lld pages ont été envoyées dans la dernière heure, pour une moyenne de %.1f "
		"par heure sur les 7 jours précédents.", (long long)pages, mean);
	return raise_finding(p, &f);
}

/* The faxes of rows to numbers that match (prefix rule): one finding per
 * prefix and window. */
static int rule_prefix(struct pass *p, const char *acc, json_t *rows, const char *pentest)
{
	json_t *by = json_object(); /* prefix -> [fax rows] */
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		char pre[24];
		if (!fraud_prefix_match(p->set.risky_prefixes, rec_str(r, "to_number"), pre, sizeof pre))
			continue;
		json_t *l = json_object_get(by, pre);
		if (!l) {
			l = json_array();
			json_object_set_new(by, pre, l);
		}
		json_array_append(l, r);
	}
	int rc = 0;
	const char *pre;
	json_t *l;
	json_object_foreach(by, pre, l) {
		if (rc != 0)
			break;
		struct finding f;
		finding_init(&f, acc, "prefix");
		snprintf(f.key, sizeof f.key, "%s/w%lld", pre, (long long)p->bucket);
		if (pentest)
			snprintf(f.announced, sizeof f.announced, "%s", pentest);
		json_t *faxes = json_array();
		f.numbers = json_array();
		json_array_foreach(l, i, r) {
			if (i >= EVIDENCE_MAX)
				break;
			json_array_append_new(faxes, json_string(rec_str(r, "id")));
			json_array_append_new(f.numbers, json_string(rec_str(r, "to_number")));
		}
		f.evidence = json_pack("{s:s, s:I, s:o}", "prefix", pre, "faxes_count",
			(json_int_t)json_array_size(l), "faxes", faxes);
		f.en = xasprintf("%zu fax(es) went to numbers starting with %s, a range the provider "
			"watches for high cost or unusual use.", json_array_size(l), pre);
		f.fr = xasprintf("%zu fax ont été envoyés à des numéros commençant par %s, une tranche que "
			"le fournisseur surveille (coût élevé ou usage inhabituel).", json_array_size(l), pre);
		rc = raise_finding(p, &f);
	}
	json_decref(by);
	return rc;
}

/* The first fax of the account to a country calling code, once the account
 * has a history (country rule): once per country. */
static int rule_country(struct pass *p, const char *acc, json_t *rows, const char *pentest)
{
	if (p->set.new_country_after < 0)
		return 0;
	size_t i;
	json_t *r;
	int rc = 0;
	json_array_foreach(rows, i, r) {
		if (rc != 0)
			break;
		const char *to = rec_str(r, "to_number");
		const e164_country_t *ct = e164_country_of(to);
		if (!ct)
			continue;
		char cc[8], key[32];
		snprintf(cc, sizeof cc, "+%s", ct->cc);
		snprintf(key, sizeof key, "%s", cc);
		if (store_fraud_finding_exists(p->tx, acc, "country", key))
			continue;
		int64_t at = json_integer_value(json_object_get(r, "created_at"));
		int64_t before = store_fraud_count_to(p->tx, acc, NULL, at - 1);
		int64_t there = store_fraud_count_to(p->tx, acc, cc, at - 1);
		if (before < 0 || there < 0)
			return -1;
		if (there > 0 || before < p->set.new_country_after)
			continue;
		struct finding f;
		finding_init(&f, acc, "country");
		snprintf(f.key, sizeof f.key, "%s", key);
		if (pentest)
			snprintf(f.announced, sizeof f.announced, "%s", pentest);
		f.numbers = json_pack("[s]", to);
		f.evidence = json_pack("{s:s, s:s, s:s, s:s, s:I}", "country_code", cc, "country",
			ct->iso, "number", to, "fax", rec_str(r, "id"), "earlier_faxes", (json_int_t)before);
		f.en = xasprintf("The account sent its first fax to the country code %s (%s, %s) after "
			"%lld faxes elsewhere.", cc, ct->iso, to, (long long)before);
		f.fr = xasprintf("Le compte a envoyé son premier fax vers l'indicatif %s (%s, %s) après "
			"%lld fax vers d'autres pays.", cc, ct->iso, to, (long long)before);
		rc = raise_finding(p, &f);
	}
	return rc;
}

/* Failed calls of the last hour to numbers in sequence (sequential rule). */
static int rule_sequential(struct pass *p, const char *acc, json_t *rows, const char *pentest)
{
	int64_t from = p->now - HOUR_MS;
	size_t n = json_array_size(rows), k = 0, i;
	const char **nums = xcalloc(n ? n : 1, sizeof *nums);
	json_t *r;
	json_array_foreach(rows, i, r) {
		const json_t *done = json_object_get(r, "completed_at");
		if (strcmp(rec_str(r, "status"), "failed") == 0 && json_integer_value(done) > from)
			nums[k++] = rec_str(r, "to_number");
	}
	int run = fraud_sequential_run(nums, k);
	int rc = 0;
	if (run >= p->set.sequential_calls) {
		struct finding f;
		finding_init(&f, acc, "sequential");
		snprintf(f.key, sizeof f.key, "w%lld", (long long)p->bucket);
		if (pentest)
			snprintf(f.announced, sizeof f.announced, "%s", pentest);
		f.numbers = json_array();
		for (size_t j = 0; j < k && j < EVIDENCE_MAX; j++)
			json_array_append_new(f.numbers, json_string(nums[j]));
		f.evidence = json_pack("{s:I, s:i, s:O}", "failed_calls", (json_int_t)k, "sequence", run,
			"numbers", f.numbers);
		f.en = xasprintf("%zu calls failed in the last hour, %d of them to numbers in sequence, as "
			"when numbers are dialled one after another.", k, run);
		f.fr = xasprintf("%zu appels ont échoué dans la dernière heure, dont %d vers des numéros qui "
			"se suivent, comme lorsqu'on compose des numéros les uns après les autres.", k, run);
		rc = raise_finding(p, &f);
	}
	free(nums);
	return rc;
}

static int fax_rules(struct pass *p, int64_t from)
{
	json_t *rows = store_fraud_faxes(p->tx, from, p->now, FAX_ROWS_MAX);
	if (!rows)
		return -1;
	json_t *by = json_object(); /* account -> [rows] */
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const char *acc = rec_str(r, "account_id");
		json_t *l = json_object_get(by, acc);
		if (!l) {
			l = json_array();
			json_object_set_new(by, acc, l);
		}
		json_array_append(l, r);
	}
	json_decref(rows);
	int rc = 0;
	const char *acc;
	json_t *l;
	json_object_foreach(by, acc, l) {
		struct split s;
		split_rows(p, l, &s);
		const char *pt = s.pentest[0] ? s.pentest : NULL;
		if (rule_volume(p, acc, &s) != 0 || rule_prefix(p, acc, s.plain, NULL) != 0 ||
		    rule_prefix(p, acc, s.announced, pt) != 0 || rule_country(p, acc, s.plain, NULL) != 0 ||
		    rule_country(p, acc, s.announced, pt) != 0 ||
		    rule_sequential(p, acc, s.plain, NULL) != 0 ||
		    rule_sequential(p, acc, s.announced, pt) != 0)
			rc = -1;
		json_decref(s.plain);
		json_decref(s.announced);
		if (rc != 0)
			break;
	}
	json_decref(by);
	return rc;
}

/* ---- rules over sign-ins and API keys since the last look ---- */

/* Runs fn on each row of rows (owned; NULL: the store failed) until one
 * fails. */
static int each_row(struct pass *p, json_t *rows, int (*fn)(struct pass *, const json_t *))
{
	int rc = rows ? 0 : -1;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		if (rc == 0)
			rc = fn(p, r);
	json_decref(rows);
	return rc;
}

/* Raises a finding of rule about subject (a member, a key) seen from the
 * address src at `at`; takes evidence, en and fr. */
static int raise_address(struct pass *p, const char *acc, const char *rule, const char *subject,
	const char *src, int64_t at, json_t *evidence, char *en, char *fr)
{
	struct finding f;
	finding_init(&f, acc, rule);
	snprintf(f.key, sizeof f.key, "%s/%s", subject, src);
	dom_announced(p->tx, acc, src, at, f.announced);
	f.evidence = evidence;
	f.en = en;
	f.fr = fr;
	return raise_finding(p, &f);
}

static int signin_row(struct pass *p, const json_t *r)
{
	const char *who = rec_str(r, "principal_id"), *src = rec_str(r, "source"),
		   *acc = rec_str(r, "account_id");
	int64_t at = json_integer_value(json_object_get(r, "created_at"));
	if (!*src || store_fraud_session_seen(p->tx, who, src, at) ||
	    !store_fraud_locked_between(p->tx, acc, who, at - LOCKOUT_LOOKBACK_MS, at))
		return 0;
	json_t *person = store_principal_get(p->tx, who);
	const char *email = person ? rec_str(person, "email") : who;
	int rc = raise_address(p, acc, "signin_address", who, src, at,
		json_pack("{s:s, s:s, s:s, s:s}", "member", who, "email", email, "address", src,
			"session", rec_str(r, "id")),
		xasprintf("%s signed in from the address %s, never used before, within 24 hours after "
			"being locked out for failed sign-ins.", email, src),
		xasprintf("%s s'est connecté·e depuis l'adresse %s, jamais utilisée auparavant, moins de "
			"24 heures après un verrouillage pour échecs de connexion.", email, src));
	json_decref(person);
	return rc;
}

static int apikey_row(struct pass *p, const json_t *r)
{
	const char *key = rec_str(r, "key_id"), *src = rec_str(r, "address");
	return raise_address(p, rec_str(r, "account_id"), "apikey_address", key, src,
		json_integer_value(json_object_get(r, "first_at")),
		json_pack("{s:s, s:s}", "api_key", key, "address", src),
		xasprintf("The API key %s was used from the address %s, other than the ones it was used "
			"from before.", key, src),
		xasprintf("La clé d'API %s a été utilisée depuis l'adresse %s, différente de celles d'où "
			"elle l'avait été jusque-là.", key, src));
}

int dom_fraud_pass(store_t *st, const dom_config_t *cfg, int64_t now)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	struct pass p = { .tx = tx, .cfg = cfg, .set = settings_of(cfg), .now = now };
	p.c = (dom_ctx_t){ .store = st, .tx = tx, .actor = FRAUD_ACTOR, .source = "", .lang = "en",
		.cfg = cfg };
	p.bucket = now / ((int64_t)p.set.window_hours * HOUR_MS);
	int64_t last = store_fraud_pass_get(tx);
	if (last < 0 || last > now)
		last = now - HOUR_MS;
	/* The faxes of the last hour, or since the last look when longer ago
	 * (at most a day). */
	int64_t from = now - HOUR_MS;
	if (last < from)
		from = last > now - 24 * HOUR_MS ? last : now - 24 * HOUR_MS;
	int64_t addr_from = last - ADDRESS_LATE_MS;
	if (addr_from < now - 24 * HOUR_MS)
		addr_from = now - 24 * HOUR_MS;
	int rc = fax_rules(&p, from) == 0 &&
			each_row(&p, store_fraud_sessions(tx, addr_from, now), signin_row) == 0 &&
			each_row(&p, store_fraud_key_addresses(tx, addr_from, now), apikey_row) == 0 &&
			store_fraud_pass_set(tx, now) == STORE_OK
		? 0
		: -1;
	if (rc == 0 && store_commit(tx) == STORE_OK)
		return p.raised;
	if (rc != 0)
		store_rollback(tx);
	log_event(LOG_ERROR, "fraud.pass_failed", "raised=%d", p.raised);
	return -1;
}

/* ---- confirming safe ---- */

int dom_fraud_confirm_safe(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e)
{
	const char *acc = rec_str(account, "id");
	json_t *r = store_request_get(c->tx, id, acc);
	if (!r || strcmp(rec_str(r, "kind"), "fraud") != 0) {
		json_decref(r);
		return dom_fail(e, "not-found", "", "no such request");
	}
	int rc = 0;
	char held_by[FRAUD_ID_MAX];
	if (strcmp(rec_str(r, "created_by"), FRAUD_ACTOR) != 0)
		rc = dom_fail(e, "invalid-state", "", "only a report of the automatic fraud detection "
			"is confirmed safe");
	else if (!dom_fraud_held(c->tx, acc, held_by))
		rc = dom_fail(e, "invalid-state", "", "outbound faxing of the account is not held");
	int64_t now = time_now_ms();
	if (rc == 0) {
		const char *by = dom_actor_id(c);
		char *msg = xasprintf("Confirmed safe by %s: outbound faxing of the account resumes.", by);
		char *msg_fr = xasprintf("Activité confirmée légitime par %s : l'envoi de fax du compte "
			"reprend.", by);
		json_t *d = json_pack("{s:s, s:s}", "report", id, "held_by", held_by);
		char *subj_en = xasprintf("Fraud alert %s: outbound faxing resumes", id);
		char *subj_fr = xasprintf("Alerte de fraude %s : l'envoi de fax reprend", id);
		if (store_fraud_hold_delete(c->tx, acc) != STORE_OK ||
		    event_add(c->tx, id, rec_str(r, "status"), msg, dom_actor_id(c), now) != STORE_OK ||
		    dom_audit(c, "fraud.release", acc, acc, "success", d) != STORE_OK ||
		    dom_notify(c, acc, "fraud.release", id, subj_en, subj_fr, msg, msg_fr) != STORE_OK)
			rc = dom_fail(e, "internal", "", "the confirmation could not be recorded");
		json_decref(d);
		free(msg);
		free(msg_fr);
		free(subj_en);
		free(subj_fr);
	}
	json_decref(r);
	if (rc != 0)
		return rc;
	char at[40];
	*out = json_pack("{s:s, s:s, s:s, s:b, s:s}", "account_id", acc, "report_id", id, "held_by",
		held_by, "outbound_held", 0, "released_at", time_format_rfc3339(now, at, sizeof at));
	return 0;
}
