/* faxvaultd's configuration: one table of settings (name, type, default,
 * bounds, help), filled from defaults, then an INI file, then command-line
 * overrides, and validated once. */
#ifndef FV_CONFIG_H
#define FV_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct config {
	char *data_dir;
	char *store_backend; /* "sqlite" or "postgresql" */
	char *store_pg_dsn;  /* libpq connection string (may hold a password) */
	int64_t store_pg_timeout; /* store.postgresql_timeout_seconds */
	char *http_listen;
	int64_t http_threads;
	int64_t http_max_body;
	int64_t http_timeout;
	int64_t http_request_deadline;
	int64_t http_upload_deadline;
	int64_t http_service_timeout;
	char *metrics_listen;
	char *metrics_token_file;
	char *portal_dir;
	char *log_file;
	char *log_level;
	int64_t log_health_probes;
	int64_t session_idle_minutes;
	int64_t session_max_hours;
	int64_t invitation_days;
	int64_t apikey_max_days;
	int64_t argon2_ops;
	int64_t argon2_mem_kib;
	int64_t drain_seconds;
	int64_t service_hang_seconds; /* service.hang_seconds: 0 not watched */
	int64_t password_min_length;
	int64_t lockout_threshold;
	int64_t lockout_minutes;
	int64_t source_lockout_threshold;
	int64_t source_lockout_minutes;
	int64_t reset_minutes;
	char *common_passwords_file;
	int64_t rate_rpm;
	int64_t rate_burst;
	int64_t login_rpm;
	int64_t login_burst;
	int64_t contacts_review_months;
	char *test_clock_file;
	char *test_render_hold_file;
	char *test_worker_hold_file;
	char *test_group_hold_file;
	char *test_rotate_stop;
	char *master_key_file;
	char *audit_checkpoint_file;
	int64_t audit_checkpoint_minutes;
	int64_t fax_enabled;
	char *fax_node_id;
	int64_t fax_workers;
	int64_t fax_account_max_calls;
	int64_t fax_lease_seconds;
	int64_t auth_cache_ms;
	int64_t fax_poll_ms;
	int64_t fax_max_pages;
	int64_t fax_max_upload;
	int64_t fax_render_timeout;
	char *fax_loopback_sip;
	char *fax_sip_listen;
	int64_t fax_sip_front;
	char *fax_sip_tls_cert;
	char *fax_sip_tls_key;
	char *fax_sip_tls_ca;
	char *fax_sip_tls_verify_client;
	char *fax_sip_public_address;
	int64_t fax_trunk_keepalive;
	int64_t fax_media_priority;
	int64_t fax_media_loops;
	int64_t fax_ring_seconds;
	int64_t fax_max_call_minutes;
	int64_t fax_quarantine_days;
	char *fax_currency;
	char *av_clamd;
	int64_t av_timeout;
	int64_t av_fail_open;
	int64_t retention_min_days;
	int64_t retention_max_days;
	int64_t retention_sweep_minutes;
	char *backup_key_dir;
	char *backup_root;
	int64_t backup_retention_days;
	int64_t fraud_volume_floor;
	int64_t fraud_volume_factor;
	char *fraud_risky_prefixes;
	int64_t fraud_sequential_calls;
	int64_t fraud_new_country_after;
	int64_t fraud_window_hours;
	int64_t consent_max_days;
	int64_t closure_grace_days;
	int64_t grant_max_hours;
	int64_t break_glass_max_minutes;
	int64_t safebox_max_days;
	int64_t status_check_seconds;
	int64_t status_failure_window;
	int64_t status_failure_percent;
	int64_t status_failure_min_calls;
	int64_t invoice_due_days;
	int64_t reminder_before_days;
	int64_t suspend_after_days;
	char *payment_provider;
	char *payment_secret_file;
	int64_t payment_tolerance;
	int64_t test_invoice_crash_at;
	char *webhook_allow;
	int64_t webhook_timeout;
	int64_t queue_workers;        /* queue.workers: 0 runs no jobs */
	int64_t queue_lease_seconds;
	int64_t queue_retention_days;
	int64_t idempotency_hours;
	char *mail_relay;
	char *mail_from;
	char *mail_web_url;
	char *sso_public_url;
	char *sso_allow;
	int64_t sso_domain_recheck_hours;
	int64_t sso_domain_grace_hours;
	int64_t mail_timeout;
	char *mail_domain;
	char *mail_smtp_listen;
	char *mail_lmtp_listen;
	int64_t mail_smtp_max_bytes;
	int64_t mail_smtp_sessions;
	int64_t mail_smtp_timeout;
	int64_t mail_sender_per_hour;
	int64_t mail_sender_pages_per_day;
	int64_t test_media_speed;
	int64_t test_store_delay_ms;
	int64_t test_inbound_store_fail;
	int64_t test_inbound_commit_lost;
	int64_t test_decide_delay_ms;
	int64_t test_smtp_seccomp_probe;
	int64_t test_smtp_verdict_delay_ms;
	int64_t test_http_seccomp_probe;
	int64_t test_http_inflight_max;
	int64_t test_http_stray_answers;
	int64_t test_vault_seccomp_probe;
	int64_t test_sip_seccomp_probe;
	int64_t test_service_seccomp_probe;
	int64_t test_supervisor_seccomp_probe;
	int64_t test_front_bad_frames;
	char *service_user;
	char *unprivileged_user;
	char *http_user;
	char *smtp_user;
	char *sip_user;
} config_t;

/* Fills every setting with its default. Strings are owned by cfg. */
void config_defaults(config_t *cfg);
void config_free(config_t *cfg);
/* Sets "section.key" (or "key") from text, checking type and bounds.
 * 0, or -1 with a reason in err. */
int config_set(config_t *cfg, const char *name, const char *value, char *err, size_t errlen);
/* Reads an INI file ([section] key = value). 0, or -1 with the file, line
 * and reason in err. */
int config_load_file(config_t *cfg, const char *path, char *err, size_t errlen);
/* Same from text in memory (tests, fuzzing). */
int config_load_string(config_t *cfg, const char *text, char *err, size_t errlen);
/* Checks the settings that depend on each other. 0 / -1 with err. */
int config_validate(const config_t *cfg, char *err, size_t errlen);
/* Writes the reference (every setting, default, bounds, help) as an INI
 * file with comments: `faxvaultd --print-config-reference`. */
void config_print_reference(FILE *out);
/* Writes the effective values as INI. */
void config_print(const config_t *cfg, FILE *out);

#endif
