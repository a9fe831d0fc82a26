/* Automatic fraud detection over live data (C17, R04) and penetration tests
 * announced to the provider (C15). See docs/security.md, "Fraud detection".
 *
 * The fax service's periodic pass (dom_fraud_pass) looks at the traffic of
 * the last hour and at the sign-ins and API-key uses since its last look,
 * with these rules:
 *   volume          an account's outbound pages in the last hour above
 *                   fraud.volume_factor times its trailing 7-day hourly mean,
 *                   and at least fraud.volume_floor_pages;
 *   prefix          a fax to a number of the provider's watched prefixes
 *                   (fraud.risky_prefixes, high-cost or unusual ranges);
 *   country         the first fax of an account to a country calling code,
 *                   once it has sent fraud.new_country_after faxes;
 *   sequential      fraud.sequential_calls failed calls or more within the
 *                   hour to numbers in sequence (gaps of at most 2);
 *   signin_address  a member signs in from an address never used before
 *                   within 24 hours after their lockout;
 *   apikey_address  an API key used from an address other than the ones it
 *                   was used from before.
 * A finding is raised once per account, rule and key (the key holds the
 * finding window, fraud.window_hours, where the rule has one): a fraud
 * report created by `system:fraud` with the evidence, a notification of
 * the account, a mail (EN/FR) to the account's owner and administrators and
 * to the provider's operators and security staff. When the account's
 * security setting fraud_hold is on, the finding also holds its outbound
 * faxing: submissions are refused (403 outbound-held) and queued faxes are
 * not dialled until an administrator confirms the activity safe
 * (dom_fraud_confirm_safe). Receiving never stops.
 *
 * Traffic from the source networks of an approved penetration test of the
 * account, within its window, is announced: it raises no report, no mail
 * and no hold; the finding is kept and audited as fraud.announced. */
#ifndef FV_DOMAIN_FRAUD_H
#define FV_DOMAIN_FRAUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"

#define FRAUD_ACTOR "system:fraud"
#define FRAUD_ID_MAX 64

/* The pass at now, in one transaction of st: findings raised (announced
 * ones included), or -1 on error (nothing kept). */
int dom_fraud_pass(store_t *st, const dom_config_t *cfg, int64_t now);

/* Whether the account's outbound faxing is held; the fraud report that
 * held it is copied into report (FRAUD_ID_MAX bytes) when not NULL. */
bool dom_fraud_held(store_tx_t *tx, const char *account_id, char *report);
/* The refusal of a submission of a held account: -1 with e set (403
 * outbound-held), or 0 when the account is not held. */
int dom_fraud_check_outbound(dom_ctx_t *c, const char *account_id, dom_err_t *e);

/* POST /v1/accounts/{id}/fraud-reports/{request_id}/confirm-safe: an
 * administrator (security.manage) confirms that the activity an automatic
 * report found is theirs; the hold of the account's outbound faxing ends
 * (409 invalid-state when the report is not an automatic one or the
 * account is not held). */
int dom_fraud_confirm_safe(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);

/* The approved penetration-test request whose window holds `at` and whose
 * source networks hold address, of account_id (NULL: of any account): true
 * with its id copied into out (FRAUD_ID_MAX bytes, may be NULL). */
bool dom_announced(store_tx_t *tx, const char *account_id, const char *address, int64_t at,
	char *out);

/* ---- the rules' arithmetic (pure, unit-tested) ---- */

/* Whether last_hour pages are a volume finding against trailing_pages of
 * the 168 hours before, with floor and factor. */
bool fraud_volume_exceeds(int64_t last_hour, int64_t trailing_pages, int floor, int factor);
/* The longest run of numbers in sequence (same length, each at most 2 above
 * the one before, duplicates ignored) among n E.164 numbers. */
int fraud_sequential_run(const char *const *numbers, size_t n);
/* The first prefix of the comma-separated list that number starts with,
 * copied into out (outlen bytes): true, else false. */
bool fraud_prefix_match(const char *list, const char *number, char *out, size_t outlen);

#endif
