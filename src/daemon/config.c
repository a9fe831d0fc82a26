/* The settings table and its loaders (see config.h). */
#include "config.h"

#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "numparse.h"
#include "xalloc.h"

enum ctype { C_STR, C_INT, C_ENUM };

struct setting {
	const char *name;
	enum ctype type;
	size_t off;
	const char *dflt;
	int64_t min, max;     /* C_INT bounds; C_STR max length */
	const char *choices;  /* C_ENUM: "a|b|c" */
	const char *help;
};

#define OFF(f) offsetof(config_t, f)
static const struct setting settings[] = {
	{ "data_dir", C_STR, OFF(data_dir), "./var", 1, 1024, NULL,
		"Directory of the database and documents; created with mode 0700." },
	{ "store.backend", C_ENUM, OFF(store_backend), "sqlite", 0, 0, "sqlite|postgresql",
		"Database of the service: sqlite (DATA_DIR/faxvault.db) or postgresql (store.postgresql_dsn; see docs/postgresql.md). Documents stay files under DATA_DIR either way." },
	{ "store.postgresql_dsn", C_STR, OFF(store_pg_dsn), "", 0, 1024, NULL,
		"libpq connection string of the PostgreSQL database (store.backend = postgresql), e.g. host=/run/postgresql dbname=faxvault user=faxvault. Keep a password out of it (a passfile, PGPASSFILE); print-config shows it as ***." },
	{ "store.postgresql_timeout_seconds", C_INT, OFF(store_pg_timeout), "30", 0, 3600, NULL,
		"Longest wait for one answer of PostgreSQL (a statement, a commit); then the statement is cancelled, its connection closed and the request answered 503 unavailable, as when the database is lost. Each connection's statement_timeout is set to nine tenths of it (unless lower already), so a statement that runs long on a live server fails as its error first, and only a server that stopped answering reaches this deadline. Keep it well under http.service_timeout_seconds. 0: none. Migrations at start have none." },
	{ "http.listen", C_STR, OFF(http_listen), "127.0.0.1:8080", 3, 64, NULL,
		"Address and port of the HTTP API: A.B.C.D:PORT or [v6]:PORT (port 0: any free port)." },
	{ "api.idempotency_hours", C_INT, OFF(idempotency_hours), "24", 1, 8760, NULL,
		"An Idempotency-Key is remembered this many hours: within them the same key replays the first answer; after them a request with it runs as new, and the retention sweep deletes the stored answer." },
	{ "http.threads", C_INT, OFF(http_threads), "2", 1, 64, NULL,
		"Worker threads answering HTTP requests in the service (and the HTTP front end's connection threads)." },
	{ "http.max_body_bytes", C_INT, OFF(http_max_body), "1048576", 1024, 67108864, NULL,
		"Largest request body accepted; larger ones get 413." },
	{ "http.connection_timeout_seconds", C_INT, OFF(http_timeout), "30", 1, 3600, NULL,
		"Idle connections are closed after this many seconds." },
	{ "http.request_deadline_seconds", C_INT, OFF(http_request_deadline), "60", 1, 3600, NULL,
		"Longest time a client may take to send a request's headers and body, however steadily it sends; the connection is then closed (counted in faxvault_http_slow_clients_total)." },
	{ "http.upload_deadline_seconds", C_INT, OFF(http_upload_deadline), "600", 1, 86400, NULL,
		"The same for uploads of fax documents (from the headers on)." },
	{ "http.service_timeout_seconds", C_INT, OFF(http_service_timeout), "300", 1, 86400, NULL,
		"Longest time the HTTP front end waits for the service's answer to a request once it has the request whole; then it answers 504 (urn:faxvault:problem:service-timeout, with Retry-After) and drops the answer if it comes later. The service still completes the request: a client repeats a POST with the same Idempotency-Key, or checks the effect first. The default leaves room for the longest synchronous requests (an audit chain's verification or export, an invoice run, a large upload's checks)." },
	{ "metrics.listen", C_STR, OFF(metrics_listen), "", 0, 64, NULL,
		"Address and port of a separate listener that serves only /metrics (ADDR:PORT; empty: none)." },
	{ "metrics.token_file", C_STR, OFF(metrics_token_file), "", 0, 1024, NULL,
		"File holding a bearer token: /metrics then also answers on the API listener, to Authorization: Bearer <token> only (and the metrics listener asks for it too). Empty: /metrics is not on the API listener." },
	{ "http.portal_dir", C_STR, OFF(portal_dir), "", 0, 1024, NULL,
		"Directory of the web portal served at / (HTML, CSS, JavaScript and message catalogues). Empty: portal/ next to faxvaultd, else ../share/faxvault/portal from it." },
	{ "log.file", C_STR, OFF(log_file), "", 0, 1024, NULL,
		"Log file (appended; reopened on SIGHUP). Empty: standard error." },
	{ "log.level", C_ENUM, OFF(log_level), "info", 0, 0, "debug|info|warn|error",
		"Lowest level written." },
	{ "log.health_probes", C_INT, OFF(log_health_probes), "0", 0, 1, NULL,
		"1: log the requests of /healthz and /readyz like any other (0: they are counted in /metrics, not logged, unless they fail)." },
	{ "auth.session_idle_minutes", C_INT, OFF(session_idle_minutes), "30", 1, 1440, NULL,
		"A session unused for this long expires." },
	{ "auth.credential_cache_ms", C_INT, OFF(auth_cache_ms), "5000", 0, 60000, NULL,
		"How long a node keeps what it checked of a session or an API key, to answer the next requests with it without reading it again; any revocation, logout, password change, deprovisioning or change of the account's rules drops it at once on every node. 0: no cache." },
	{ "auth.session_max_hours", C_INT, OFF(session_max_hours), "12", 1, 720, NULL,
		"Absolute lifetime of a session." },
	{ "auth.invitation_days", C_INT, OFF(invitation_days), "7", 1, 90, NULL,
		"Invitation tokens expire after this many days." },
	{ "auth.api_key_max_days", C_INT, OFF(apikey_max_days), "0", 0, 3650, NULL,
		"Longest lifetime of an API key (0: keys may never expire)." },
	{ "auth.argon2_ops", C_INT, OFF(argon2_ops), "2", 1, 10, NULL,
		"Argon2id passes for password hashes." },
	{ "auth.argon2_memory_kib", C_INT, OFF(argon2_mem_kib), "65536", 8, 1048576, NULL,
		"Argon2id memory per hash, in KiB." },
	{ "auth.password_min_length", C_INT, OFF(password_min_length), "12", 8, 64, NULL,
		"Shortest password allowed; accounts may require longer ones (NIST SP 800-63B: 8 or more)." },
	{ "auth.lockout_threshold", C_INT, OFF(lockout_threshold), "10", 1, 100, NULL,
		"Failed logins before a person is locked out; accounts may lower it." },
	{ "auth.lockout_minutes", C_INT, OFF(lockout_minutes), "15", 1, 1440, NULL,
		"How long a lockout lasts; accounts may lengthen it." },
	{ "auth.source_lockout_threshold", C_INT, OFF(source_lockout_threshold), "50", 5, 100000, NULL,
		"Failed logins from one address, within auth.source_lockout_minutes, before the address is locked out." },
	{ "auth.source_lockout_minutes", C_INT, OFF(source_lockout_minutes), "15", 1, 1440, NULL,
		"Window and duration of the per-address lockout." },
	{ "auth.password_reset_minutes", C_INT, OFF(reset_minutes), "60", 5, 10080, NULL,
		"Lifetime of a password-reset token." },
	{ "auth.common_passwords_file", C_STR, OFF(common_passwords_file), "/usr/share/dict/cracklib-small", 0, 1024, NULL,
		"List of common and breached passwords refused for new passwords, one per line (empty: built-in list only)." },
	{ "ratelimit.requests_per_minute", C_INT, OFF(rate_rpm), "600", 1, 1000000, NULL,
		"API requests per minute per account, per API key, and per staff member; accounts may lower it." },
	{ "ratelimit.burst", C_INT, OFF(rate_burst), "120", 1, 1000000, NULL,
		"Requests allowed at once above the steady rate." },
	{ "ratelimit.login_per_minute", C_INT, OFF(login_rpm), "30", 1, 100000, NULL,
		"Unauthenticated requests (logins, invitations, resets) per minute per source address." },
	{ "ratelimit.login_burst", C_INT, OFF(login_burst), "30", 1, 100000, NULL,
		"Unauthenticated requests allowed at once per source address." },
	{ "accounts.contacts_review_months", C_INT, OFF(contacts_review_months), "12", 1, 60, NULL,
		"Owners confirm the owner and billing contacts at least this often (C01)." },
	{ "vault.master_key_file", C_STR, OFF(master_key_file), "", 0, 1024, NULL,
		"Master key of the document vault (mode 0600; created on first start). Empty: DATA_DIR/master.key." },
	{ "audit.checkpoint_file", C_STR, OFF(audit_checkpoint_file), "", 0, 1024, NULL,
		"File the signed checkpoints of the audit chain are appended to, one JSON line each (mode 0600); ship it elsewhere and give it to `audit-verify --checkpoint`. Empty: DATA_DIR/audit-checkpoints.jsonl." },
	{ "audit.checkpoint_minutes", C_INT, OFF(audit_checkpoint_minutes), "60", 1, 1440, NULL,
		"A signed checkpoint of the audit chain's head is published this often (when the head moved), and at every stop." },
	{ "fax.enabled", C_INT, OFF(fax_enabled), "1", 0, 1, NULL,
		"Run the fax service (job runner, trunk receivers) in this process." },
	{ "fax.node_id", C_STR, OFF(fax_node_id), "", 0, 64, NULL,
		"Name of this node in the attempts it runs (several nodes share one database). Empty: the host name." },
	{ "fax.workers", C_INT, OFF(fax_workers), "4", 1, 256, NULL,
		"Outbound fax calls this node places at once." },
	{ "fax.account_max_calls", C_INT, OFF(fax_account_max_calls), "4", 1, 1000, NULL,
		"Outbound calls of one account at once (P05); trunks have their own limit (max_calls)." },
	{ "fax.lease_seconds", C_INT, OFF(fax_lease_seconds), "120", 3, 3600, NULL,
		"A fax job a node claimed stays its own this long without the node renewing it (it renews every quarter of it while the call runs); once it has passed, another node on the same database takes the job over from its first unconfirmed page. Every node of one database should have the same value." },
	{ "fax.poll_ms", C_INT, OFF(fax_poll_ms), "500", 50, 60000, NULL,
		"How often running calls are checked for a cancellation, and how soon a fax that found no free trunk is looked at again." },
	{ "fax.max_pages", C_INT, OFF(fax_max_pages), "200", 1, 1000, NULL,
		"Most pages in one submission, cover page included." },
	{ "fax.max_upload_bytes", C_INT, OFF(fax_max_upload), "67108864", 1048576, 268435456, NULL,
		"Largest fax submission (all documents of one POST /v1/faxes)." },
	{ "fax.render_timeout_seconds", C_INT, OFF(fax_render_timeout), "60", 1, 600, NULL,
		"Wall-clock cap on rendering one document." },
	{ "fax.loopback_sip", C_STR, OFF(fax_loopback_sip), "127.0.0.1:5070", 0, 64, NULL,
		"SIP listener of the built-in loopback trunk (IP:PORT; port 0: any free port). Empty: no loopback trunk." },
	{ "fax.sip_front", C_INT, OFF(fax_sip_front), "1", 0, 1, NULL,
		"1: the fax engine (SIP, SDP, RTP, UDPTL, T.30: the loopback trunk, the carrier listeners and every call) runs in a process of its own, faxvaultd --role sip, unprivileged and under its own seccomp filter; the service decides on each call and keeps the documents. 0: it runs inside the service (tools, benchmarks)." },
	{ "fax.sip_listen", C_STR, OFF(fax_sip_listen), "", 0, 512, NULL,
		"Carrier-facing SIP listeners, comma-separated udp:IP:PORT, tcp:IP:PORT or tls:IP:PORT (port 0: any free port; tls: needs fax.sip_tls_cert and fax.sip_tls_key). INVITEs are taken only from the inbound_cidrs of an active trunk. Empty: none." },
	{ "fax.sip_tls_cert", C_STR, OFF(fax_sip_tls_cert), "", 0, 1024, NULL,
		"PEM file of the certificate (chain) of the tls: SIP listeners, also presented as client certificate to trunks whose sip_transport is tls. Empty: none (no tls: listener)." },
	{ "fax.sip_tls_key", C_STR, OFF(fax_sip_tls_key), "", 0, 1024, NULL,
		"PEM file of the private key of fax.sip_tls_cert." },
	{ "fax.sip_tls_ca", C_STR, OFF(fax_sip_tls_ca), "", 0, 1024, NULL,
		"PEM file of the certificate authorities trusted for the certificates of trunks reached over TLS (their host name is checked). Empty: the system's store." },
	{ "fax.sip_public_address", C_STR, OFF(fax_sip_public_address), "", 0, 63, NULL,
		"NAT: the public address (IP, or a DNS name) of this node that carriers reach, given in the Via, Contact, From and SDP (c=, o=) of the carrier-facing listeners' calls, of calls out through trunks (not the loopback trunk) and in the Contact trunks register; the media sockets of those calls then listen on every address. Empty: the local address." },
	{ "fax.sip_tls_verify_client", C_ENUM, OFF(fax_sip_tls_verify_client), "off", 0, 0, "off|optional|require",
		"Whether the tls: SIP listeners ask carriers for a client certificate, verified against fax.sip_tls_ca (empty: the system's store): off, optional (a certificate that does not verify is refused, none is accepted), require (a connection without a valid one is refused)." },
	{ "fax.trunk_keepalive_seconds", C_INT, OFF(fax_trunk_keepalive), "30", 0, 3600, NULL,
		"How often every active trunk's peer is sent an OPTIONS keep-alive; a trunk that stops answering is shown down and outbound faxes go to the next trunk whose prefixes match. 0: no keep-alive (trunks stay unknown)." },
	{ "fax.media_priority", C_INT, OFF(fax_media_priority), "10", 0, 99, NULL,
		"Real-time priority (SCHED_RR, 1-99) of call media, so that other work on the machine cannot make a call's audio or T.38 late; needs root or CAP_SYS_NICE (else logged once, and media runs at normal priority). 0: normal priority." },
	{ "fax.media_loops", C_INT, OFF(fax_media_loops), "0", -1, 64, NULL,
		"Media loops (threads) of the node's one call engine, which carries every call, out and in, and every listener (in the SIP front end with fax.sip_front = 1, else in the service): calls are added to the loop with the fewest and leave it when they end. 0: one per processor core. -1: no shared engine, a whole engine (user agent and threads) per call and per listener, as before; for comparisons." },
	{ "fax.ring_seconds", C_INT, OFF(fax_ring_seconds), "60", 5, 300, NULL,
		"An unanswered outbound call is given up (no_answer) after this long." },
	{ "fax.max_call_minutes", C_INT, OFF(fax_max_call_minutes), "60", 1, 600, NULL,
		"Hard cap on one fax call." },
	{ "fax.number_quarantine_days", C_INT, OFF(fax_quarantine_days), "30", 0, 365, NULL,
		"A released number returns to the inventory after this many days." },
	{ "fax.currency", C_STR, OFF(fax_currency), "EUR", 3, 3, NULL,
		"Currency of accounts without one of their own (ISO 4217): their faxes are priced "
		"from its rate table." },
	{ "av.clamd", C_STR, OFF(av_clamd), "", 0, 256, NULL,
		"The anti-virus scanner every upload goes through first: unix:/path/to/clamd.ctl or tcp:HOST:PORT (clamd's INSTREAM). Empty: uploads are not scanned." },
	{ "av.timeout_seconds", C_INT, OFF(av_timeout), "60", 1, 600, NULL,
		"Time allowed for scanning one upload." },
	{ "av.fail_open", C_INT, OFF(av_fail_open), "0", 0, 1, NULL,
		"1: while the scanner cannot be reached, accept uploads unscanned (logged and counted); 0: refuse them with 503." },
	{ "retention.min_days", C_INT, OFF(retention_min_days), "0", 0, 36500, NULL,
		"Fewest days an account's retention policy may keep a fax (0: no floor)." },
	{ "retention.max_days", C_INT, OFF(retention_max_days), "0", 0, 36500, NULL,
		"Most days an account's retention policy may keep a fax; accounts must then name a number of days (0: no ceiling, keeping is allowed)." },
	{ "retention.sweep_minutes", C_INT, OFF(retention_sweep_minutes), "60", 1, 1440, NULL,
		"How often the fax service deletes the faxes that retention policies made due." },
	{ "backup.key_dir", C_STR, OFF(backup_key_dir), "", 0, 1024, NULL,
		"Directory of the backup keys: each backup (`faxvaultd backup`) is encrypted under a key kept only here, destroyed when the backup expires. Keep it on other storage than the data directory and the backups (a backup cannot be restored without its key). Empty: DATA_DIR/backup-keys." },
	{ "backup.root", C_STR, OFF(backup_root), "", 0, 1024, NULL,
		"Directory the backups are written under (`faxvaultd backup --to` a directory below it). When a backup expires, the retention sweep removes it from there as well as destroying its key. A backup written elsewhere, or copied elsewhere, is not removed: it stays unreadable. Empty: backups are never removed, only their keys destroyed." },
	{ "backup.retention_days", C_INT, OFF(backup_retention_days), "35", 1, 3650, NULL,
		"A backup expires this many days after it was taken: the retention sweep destroys its key, and nothing in it can be read any more. Deletion certificates say until when older backups may still hold what was deleted." },
	{ "accounts.closure_grace_days", C_INT, OFF(closure_grace_days), "30", 1, 3650, NULL,
		"Grace period of a closed account: it can be cancelled until then, and the fax service destroys the account (crypto-shredding) at its end." },
	{ "billing.invoice_due_days", C_INT, OFF(invoice_due_days), "30", 1, 365, NULL,
		"Days from an invoice's issue to its due date." },
	{ "billing.reminder_before_days", C_INT, OFF(reminder_before_days), "7", 0, 60, NULL,
		"Days before an unpaid invoice's due date when its billing contacts get a reminder (0: no reminder before the due date). The reminder after the due date goes out when the invoice becomes overdue." },
	{ "billing.suspend_after_days", C_INT, OFF(suspend_after_days), "14", 0, 365, NULL,
		"Days after an unpaid invoice's due date when the account's sending of faxes is suspended until it is paid (receiving and access to data never are); 0: never suspended." },
	{ "billing.payment_webhook_provider", C_STR, OFF(payment_provider), "", 0, 32, NULL,
		"Name of the payment provider whose signed webhook records payments of invoices at /v1/billing/webhooks/NAME (letters, digits, - and _). Empty: no webhook." },
	{ "billing.payment_webhook_secret_file", C_STR, OFF(payment_secret_file), "", 0, 1024, NULL,
		"File holding the webhook's signing secret (whsec_ and base64, as the Standard Webhooks spec says; mode 0600). Required with billing.payment_webhook_provider." },
	{ "billing.payment_webhook_tolerance_seconds", C_INT, OFF(payment_tolerance), "300", 30, 3600, NULL,
		"A payment webhook whose timestamp is further than this from the service's clock is refused (replays)." },
	{ "fraud.volume_floor_pages", C_INT, OFF(fraud_volume_floor), "200", 1, 10000000, NULL,
		"Fraud detection: fewest outbound pages of an account in an hour that may be a volume finding." },
	{ "fraud.volume_factor", C_INT, OFF(fraud_volume_factor), "10", 2, 1000, NULL,
		"Fraud detection: a volume finding is this many times the account's hourly mean of the 7 days before." },
	{ "fraud.risky_prefixes", C_STR, OFF(fraud_risky_prefixes), "+870,+881,+882,+883", 0, 1024, NULL,
		"Fraud detection: comma-separated E.164 prefixes (high-cost or unusual ranges) whose every fax is a finding." },
	{ "fraud.sequential_calls", C_INT, OFF(fraud_sequential_calls), "5", 3, 1000, NULL,
		"Fraud detection: failed calls within an hour to numbers in sequence that make a finding." },
	{ "fraud.new_country_after", C_INT, OFF(fraud_new_country_after), "20", 0, 1000000, NULL,
		"Fraud detection: faxes an account has sent before its first fax to a new country is a finding (0: the rule is off)." },
	{ "fraud.window_hours", C_INT, OFF(fraud_window_hours), "24", 1, 720, NULL,
		"Fraud detection: a rule raises at most once per account in this window." },
	{ "partners.consent_max_days", C_INT, OFF(consent_max_days), "365", 1, 3650, NULL,
		"Longest consent an account owner may give a partner to administer the account." },
	{ "access.grant_max_hours", C_INT, OFF(grant_max_hours), "72", 1, 720, NULL,
		"Longest support access grant a provider staff member may ask for." },
	{ "access.break_glass_max_minutes", C_INT, OFF(break_glass_max_minutes), "60", 5, 480, NULL,
		"Longest break-glass access an operator may open without the account's approval." },
	{ "safebox.max_days", C_INT, OFF(safebox_max_days), "90", 1, 3650, NULL,
		"Ceiling of a SafeBox's expiry: accounts choose their default within it, and a box can be extended at most this many days ahead." },
	{ "status.check_seconds", C_INT, OFF(status_check_seconds), "30", 1, 3600, NULL,
		"How often the fax service sets the status board's automatic component states from trunk health, the failure rate of calls, the mail relay, the API's 5xx answers and the portal's files." },
	{ "status.failure_window_minutes", C_INT, OFF(status_failure_window), "15", 1, 1440, NULL,
		"The window over which a trunk's call failure rate, and the share of API requests answered 5xx, are measured for the status board." },
	{ "status.failure_percent", C_INT, OFF(status_failure_percent), "50", 1, 100, NULL,
		"A trunk whose calls failed this often (percent) over the window, or an API that answered 5xx this often, is shown degraded on the status board." },
	{ "status.failure_min_calls", C_INT, OFF(status_failure_min_calls), "5", 1, 100000, NULL,
		"Fewest calls (or API requests) over the window before a failure rate is judged." },
	{ "queue.workers", C_INT, OFF(queue_workers), "2", 0, 16, NULL,
		"Threads of this node that run the queue's jobs (webhook deliveries, outbound mail, GDPR exports). 0: this node runs none (other nodes on the same database do)." },
	{ "queue.lease_seconds", C_INT, OFF(queue_lease_seconds), "300", 10, 86400, NULL,
		"A job a node claimed stays its own this long (kinds with a lease of their own excepted); once it has passed, any node on the same database runs it again. Every node of one database should have the same value." },
	{ "queue.retention_days", C_INT, OFF(queue_retention_days), "7", 1, 3650, NULL,
		"Finished jobs (done or failed) are deleted by the retention sweep this many days after they ended." },
	{ "webhooks.allow_cidrs", C_STR, OFF(webhook_allow), "", 0, 1024, NULL,
		"Address ranges webhook URLs may reach although loopback, private or link-local (comma-separated CIDRs)." },
	{ "webhooks.timeout_seconds", C_INT, OFF(webhook_timeout), "10", 1, 120, NULL,
		"Time allowed for one webhook delivery." },
	{ "mail.relay", C_STR, OFF(mail_relay), "", 0, 512, NULL,
		"Where outbound mail goes: smtp://HOST:PORT (STARTTLS when offered), smtps://HOST:PORT, or sendmail (the local program). Empty: no mail is sent." },
	{ "mail.from", C_STR, OFF(mail_from), "", 0, 254, NULL,
		"Sender address of outbound mail (envelope and From:); required with mail.relay." },
	{ "mail.web_url", C_STR, OFF(mail_web_url), "", 0, 512, NULL,
		"Address of the service that mails tell people to open. Empty: http:// and http.listen." },
	{ "sso.public_url", C_STR, OFF(sso_public_url), "", 0, 512, NULL,
		"Address of the service as browsers reach it, for single sign-on redirect URIs (PUBLIC_URL/v1/sso/callback); https://…: the portal's session cookie is Secure. Empty: mail.web_url, else http:// and http.listen." },
	{ "sso.allow_cidrs", C_STR, OFF(sso_allow), "", 0, 1024, NULL,
		"Address ranges an identity provider may resolve to although loopback, private or link-local (comma-separated CIDRs)." },
	{ "sso.domain_recheck_hours", C_INT, OFF(sso_domain_recheck_hours), "24", 1, 720, NULL,
		"A sign-in domain verified by its DNS record is looked up again this often." },
	{ "sso.domain_grace_hours", C_INT, OFF(sso_domain_grace_hours), "72", 0, 2160, NULL,
		"A verified sign-in domain whose DNS record has been missing this long becomes unverified (0: at the first check that misses it); its owner, administrators and security contacts are mailed at the first miss and then." },
	{ "mail.timeout_seconds", C_INT, OFF(mail_timeout), "30", 1, 600, NULL,
		"Time allowed for handing one message to the relay." },
	{ "mail.domain", C_STR, OFF(mail_domain), "", 0, 253, NULL,
		"The fax-by-email domain: mail to +E164@DOMAIN from an account's allowed members becomes a fax. Required with mail.smtp_listen." },
	{ "mail.smtp_listen", C_STR, OFF(mail_smtp_listen), "", 0, 64, NULL,
		"SMTP listener for fax by e-mail (IP:PORT; port 0: any free port), where the provider's mail servers hand over mail for mail.domain. Empty: no listener." },
	{ "mail.lmtp_listen", C_STR, OFF(mail_lmtp_listen), "", 0, 64, NULL,
		"LMTP listener for fax by e-mail (IP:PORT; RFC 2033), for a provider's mail server that delivers mail for mail.domain by LMTP (Postfix: lmtp:inet:IP:PORT). Same checks and replies as the SMTP listener, one reply per recipient. Empty: no listener." },
	{ "mail.smtp_max_bytes", C_INT, OFF(mail_smtp_max_bytes), "26214400", 65536, 268435456, NULL,
		"Largest mail the SMTP listener takes (advertised with SIZE; larger mail is refused with 552)." },
	{ "mail.smtp_max_sessions", C_INT, OFF(mail_smtp_sessions), "16", 1, 1024, NULL,
		"SMTP sessions at once; more connections are answered 421 and closed." },
	{ "mail.sender_max_per_hour", C_INT, OFF(mail_sender_per_hour), "60", 0, 100000, NULL,
		"Fax by e-mail: mails one sender address (From:) may hand over per clock hour; more are answered 450 4.7.1 (try later). 0: no limit." },
	{ "mail.sender_max_pages_per_day", C_INT, OFF(mail_sender_pages_per_day), "0", 0, 1000000, NULL,
		"Fax by e-mail: pages one sender address (From:) may have faxed per UTC day (the pages of its faxes once rendered, times their recipients); a mail from a sender at or past it is refused with 552 5.2.2. 0: no quota." },
	{ "mail.smtp_timeout_seconds", C_INT, OFF(mail_smtp_timeout), "120", 5, 600, NULL,
		"An SMTP client that sends nothing for this long is disconnected (421)." },
	{ "testing.media_clock_speed", C_INT, OFF(test_media_speed), "1", 1, 50, NULL,
		"Tests only: runs the fax media clock this many times faster than real time. Never set in production." },
	{ "testing.inbound_store_delay_ms", C_INT, OFF(test_store_delay_ms), "0", 0, 60000, NULL,
		"Tests only: waits this long between the end of an inbound call and storing its fax (to test a crash there)." },
	{ "testing.inbound_store_fail", C_INT, OFF(test_inbound_store_fail), "0", 0, 100000, NULL,
		"Tests only: the next this many stores of a received fax are refused, as by a database that fails (to test keeping it). Never set in production." },
	{ "testing.inbound_commit_lost", C_INT, OFF(test_inbound_commit_lost), "0", 0, 100, NULL,
		"Tests only: the next this many stores of a received fax commit and report failure, as a commit whose answer was lost (before testing.inbound_store_fail's refusals). Never set in production." },
	{ "testing.carrier_decide_delay_ms", C_INT, OFF(test_decide_delay_ms), "0", 0, 60000, NULL,
		"Tests only: holds the service's decision on each INVITE of a carrier listener this long (the SIP engine answers other messages meanwhile). Never set in production." },
	{ "testing.smtp_seccomp_probe", C_INT, OFF(test_smtp_seccomp_probe), "0", 0, 1, NULL,
		"Tests only: 1 lets SIGUSR1 make the SMTP front end attempt a call its seccomp filter forbids (it is killed and restarted). Never set in production." },
	{ "testing.smtp_verdict_delay_ms", C_INT, OFF(test_smtp_verdict_delay_ms), "0", 0, 60000, NULL,
		"Tests only: holds each fax-by-email verdict this long after the mail was accepted (to kill the SMTP front end before it answers). Never set in production." },
	{ "testing.http_seccomp_probe", C_INT, OFF(test_http_seccomp_probe), "0", 0, 1, NULL,
		"Tests only: 1 lets SIGUSR1 make the HTTP front end attempt a call its seccomp filter forbids (it is killed and restarted). Never set in production." },
	{ "testing.http_inflight_max", C_INT, OFF(test_http_inflight_max), "0", 0, 512, NULL,
		"Tests only: the HTTP front end hands at most this many requests to the service at a time (0: 512) and answers those beyond 503. Never set in production." },
	{ "testing.http_stray_answers", C_INT, OFF(test_http_stray_answers), "0", 0, 1, NULL,
		"Tests only: 1 makes the service send each answer to the HTTP front end twice, then once more with an id never given (the front end drops both). Never set in production." },
	{ "testing.sip_seccomp_probe", C_INT, OFF(test_sip_seccomp_probe), "0", 0, 1, NULL,
		"Tests only: 1 lets SIGUSR1 make the SIP front end attempt a call its seccomp filter forbids (it is killed and restarted). Never set in production." },
	{ "testing.vault_seccomp_probe", C_INT, OFF(test_vault_seccomp_probe), "0", 0, 1, NULL,
		"Tests only: 1 lets SIGUSR1 make the key holder attempt a call its seccomp filter forbids (it is killed and restarted). Never set in production." },
	{ "testing.service_seccomp_probe", C_INT, OFF(test_service_seccomp_probe), "0", 0, 1, NULL,
		"Tests only: 1 lets SIGUSR1 make the service attempt a call its seccomp filter forbids (it is killed and restarted by the supervisor). Never set in production." },
	{ "testing.supervisor_seccomp_probe", C_INT, OFF(test_supervisor_seccomp_probe), "0", 0, 1, NULL,
		"Tests only: 1 lets SIGUSR1 make the supervisor (faxvaultd itself) attempt a call its seccomp filter forbids (it is killed, and every process with it). Never set in production." },
	{ "testing.front_bad_frames", C_INT, OFF(test_front_bad_frames), "0", 0, 1, NULL,
		"Tests only: 1 lets SIGUSR2 make the HTTP, SMTP or SIP front end send the service one frame it must refuse (chosen by the signal's sigqueue value: 0 an empty datagram, 1 a header of another IPC version, 2 a message of a type the service does not take; 3 shuts its channel and stops the process; HTTP only: 4 a request whose body is shorter than it declares, 5 requests until the service refuses one over its requests in flight (with testing.worker_hold_file); SIP only, on a call's own socket: 6 in place of the next page report of a call out, 7 in place of the next result of a call in, 8 in place of the next verdict on an INVITE's credentials, 9 in place of the next answer to the service's request on a socket of its own: a registration, a keep-alive, the media loops' figures, a lookup); the service logs it, kills the front end (3: after a 10 s grace) and starts another. Never set in production." },
	{ "testing.clock_file", C_STR, OFF(test_clock_file), "", 0, 1024, NULL,
		"Tests only: a file whose content (ms) shifts the daemon's clock. Never set in production." },
	{ "testing.render_hold_file", C_STR, OFF(test_render_hold_file), "", 0, 1024, NULL,
		"Tests only: while this file exists, a stored submission's rendering (a render or quote job) waits before it starts (at most 10 minutes). Never set in production." },
	{ "testing.worker_hold_file", C_STR, OFF(test_worker_hold_file), "", 0, 1024, NULL,
		"Tests only: while this file exists, each request an HTTP worker of the service takes waits before it is answered (at most 10 minutes), as a stuck worker would (service.hang_seconds). Never set in production." },
	{ "testing.group_hold_file", C_STR, OFF(test_group_hold_file), "", 0, 1024, NULL,
		"Tests only: while this file exists, each group commit of reads' audit events waits before it writes (at most 10 minutes). Never set in production." },
	{ "testing.rotate_stop_after", C_ENUM, OFF(test_rotate_stop), "none", 0, 0, "none|next|commit",
		"Tests only: rotate-master-key stops after writing the new key file (next) or after committing the database (commit), as a crash there would. Never set in production." },
	{ "testing.invoice_crash_at", C_INT, OFF(test_invoice_crash_at), "0", 0, 1000, NULL,
		"Tests only: an invoice run kills the process while writing its Nth invoice, as a crash there would. Never set in production." },
	{ "daemon.service_user", C_STR, OFF(service_user), "", 0, 64, NULL,
		"The user the service (domain, store, queue) and the key holder run as when faxvaultd is started as root (the packaged service: faxvault), with every capability dropped; faxvaultd itself stays root with only the capabilities it needs to start the processes under their users. Empty: they keep faxvaultd's user (development, tests)." },
	{ "daemon.unprivileged_user", C_STR, OFF(unprivileged_user), "nobody", 1, 64, NULL,
		"The user the network front ends (HTTP, SMTP and SIP) run as when faxvaultd is started as root, unless daemon.http_user, daemon.smtp_user or daemon.sip_user names another." },
	{ "daemon.http_user", C_STR, OFF(http_user), "", 0, 64, NULL,
		"The user the HTTP front end runs as when faxvaultd is started as root (the packaged service: faxvault-http). Empty: daemon.unprivileged_user." },
	{ "daemon.smtp_user", C_STR, OFF(smtp_user), "", 0, 64, NULL,
		"The user the SMTP front end runs as when faxvaultd is started as root (the packaged service: faxvault-smtp). Empty: daemon.unprivileged_user." },
	{ "daemon.sip_user", C_STR, OFF(sip_user), "", 0, 64, NULL,
		"The user the SIP front end (fax.sip_front) runs as when faxvaultd is started as root. Empty: daemon.unprivileged_user." },
	{ "shutdown.drain_seconds", C_INT, OFF(drain_seconds), "10", 0, 300, NULL,
		"On SIGTERM, how long requests in flight may take to finish." },
	{ "service.hang_seconds", C_INT, OFF(service_hang_seconds), "600", 0, 86400, NULL,
		"A hung service is killed and started again: once started, the service tells the supervisor every second that none of its HTTP workers and job-queue workers has been busy with one request or job (or one step of a long job) for this long; after this long without hearing so, the supervisor logs service.hung and kills it with SIGKILL, and starts it as after a crash. Keep it above http.service_timeout_seconds (a synchronous request may legitimately take that long) and every deadline a worker may wait (store.postgresql_timeout_seconds, fax.render_timeout_seconds, av.timeout_seconds). A fax call, the start (migrations) and the commands run outside the daemon are not watched. 0: not watched." },
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

static const struct setting *find(const char *name)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

int config_set(config_t *cfg, const char *name, const char *value, char *err, size_t errlen)
{
	const struct setting *s = find(name);
	if (!s) {
		snprintf(err, errlen, "unknown setting \"%s\" (see faxvaultd --print-config-reference)", name);
		return -1;
	}
	char *base = (char *)cfg;
	if (s->type == C_INT) {
		int64_t v;
		if (parse_i64z(value, INT64_MIN, INT64_MAX, &v) != 0) {
			snprintf(err, errlen, "%s = \"%s\" is not an integer", name, value);
			return -1;
		}
		if (v < s->min || v > s->max) {
			snprintf(err, errlen, "%s = %lld is out of bounds [%lld, %lld]", name, (long long)v,
				(long long)s->min, (long long)s->max);
			return -1;
		}
		*(int64_t *)(base + s->off) = v;
		return 0;
	}
	size_t len = strlen(value);
	if (s->type == C_STR && ((int64_t)len < s->min || (int64_t)len > s->max)) {
		snprintf(err, errlen, "%s must be %lld to %lld characters long", name, (long long)s->min,
			(long long)s->max);
		return -1;
	}
	if (s->type == C_ENUM) {
		const char *c = s->choices;
		bool ok = false;
		while (*c && !ok) {
			size_t n = strcspn(c, "|");
			ok = n == len && memcmp(c, value, n) == 0;
			c += n + (c[n] == '|');
		}
		if (!ok) {
			snprintf(err, errlen, "%s = \"%s\" must be one of %s", name, value, s->choices);
			return -1;
		}
	}
	char **slot = (char **)(base + s->off);
	free(*slot);
	*slot = xstrdup(value);
	return 0;
}

void config_defaults(config_t *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	char err[256];
	for (size_t i = 0; i < NSETTINGS; i++)
		if (config_set(cfg, settings[i].name, settings[i].dflt, err, sizeof err) != 0)
			abort(); /* a default outside its own bounds is a bug */
}

void config_free(config_t *cfg)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (settings[i].type != C_INT) {
			char **slot = (char **)((char *)cfg + settings[i].off);
			free(*slot);
			*slot = NULL;
		}
}

struct load {
	config_t *cfg;
	char *err;
	size_t errlen;
	bool failed;
};

static int on_ini(void *user, const char *section, const char *key, const char *value)
{
	struct load *l = user;
	if (l->failed)
		return 0;
	char name[128];
	if (section && *section)
		snprintf(name, sizeof name, "%s.%s", section, key);
	else
		snprintf(name, sizeof name, "%s", key);
	char why[256];
	if (config_set(l->cfg, name, value ? value : "", why, sizeof why) != 0) {
		snprintf(l->err, l->errlen, "%s", why);
		l->failed = true;
		return 0;
	}
	return 1;
}

int config_load_file(config_t *cfg, const char *path, char *err, size_t errlen)
{
	char why[300] = "";
	struct load l = { cfg, why, sizeof why, false };
	int rc = ini_parse(path, on_ini, &l);
	if (rc == -1) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	if (l.failed) {
		snprintf(err, errlen, "%s: line %d: %s", path, rc, why);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s: line %d: syntax error (expected [section] or key = value)", path, rc);
		return -1;
	}
	return 0;
}

int config_load_string(config_t *cfg, const char *text, char *err, size_t errlen)
{
	char why[300] = "";
	struct load l = { cfg, why, sizeof why, false };
	int rc = ini_parse_string(text, on_ini, &l);
	if (l.failed || rc != 0) {
		snprintf(err, errlen, "line %d: %s", rc, l.failed ? why : "syntax error");
		return -1;
	}
	return 0;
}

int config_validate(const config_t *cfg, char *err, size_t errlen)
{
	if (cfg->session_idle_minutes > cfg->session_max_hours * 60) {
		snprintf(err, errlen, "auth.session_idle_minutes (%lld) exceeds auth.session_max_hours (%lld h)",
			(long long)cfg->session_idle_minutes, (long long)cfg->session_max_hours);
		return -1;
	}
	if (!strchr(cfg->http_listen, ':')) {
		snprintf(err, errlen, "http.listen = \"%s\" must be ADDR:PORT", cfg->http_listen);
		return -1;
	}
	if (strcmp(cfg->store_backend, "postgresql") == 0 && !*cfg->store_pg_dsn) {
		snprintf(err, errlen, "store.backend = postgresql needs store.postgresql_dsn");
		return -1;
	}
	if (*cfg->metrics_listen && !strchr(cfg->metrics_listen, ':')) {
		snprintf(err, errlen, "metrics.listen = \"%s\" must be ADDR:PORT or empty", cfg->metrics_listen);
		return -1;
	}
	if (*cfg->payment_provider && (!*cfg->payment_secret_file ||
	    strspn(cfg->payment_provider, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789-_") != strlen(cfg->payment_provider))) {
		snprintf(err, errlen, "billing.payment_webhook_provider must be letters, digits, - and _,"
			" and needs billing.payment_webhook_secret_file");
		return -1;
	}
	if (*cfg->mail_smtp_listen && (!strchr(cfg->mail_smtp_listen, ':') || !*cfg->mail_domain)) {
		snprintf(err, errlen, "mail.smtp_listen = \"%s\" must be ADDR:PORT, and needs mail.domain",
			cfg->mail_smtp_listen);
		return -1;
	}
	if (*cfg->mail_lmtp_listen && (!strchr(cfg->mail_lmtp_listen, ':') || !*cfg->mail_domain)) {
		snprintf(err, errlen, "mail.lmtp_listen = \"%s\" must be ADDR:PORT, and needs mail.domain",
			cfg->mail_lmtp_listen);
		return -1;
	}
	return 0;
}

/* A libpq connection string with every password replaced by ***: the
 * value of the keyword password (quoted or not), and in the URI form the
 * part between "user:" and "@". */
static void dsn_redact(const char *in, char *out, size_t n)
{
	buf_t b;
	buf_init(&b, n);
	const char *p = in, *scheme = strstr(in, "://");
	if (scheme) {
		const char *auth = scheme + 3, *at = strchr(auth, '@'), *colon = strchr(auth, ':');
		const char *slash = strchr(auth, '/');
		if (at && colon && colon < at && (!slash || at < slash)) {
			buf_append(&b, in, (size_t)(colon - in) + 1);
			buf_puts(&b, "***");
			p = at;
		}
	}
	while (*p) {
		const char *k = strstr(p, "password=");
		if (!k) {
			buf_puts(&b, p);
			break;
		}
		k += strlen("password=");
		buf_append(&b, p, (size_t)(k - p));
		buf_puts(&b, "***");
		if (*k == '\'') {
			for (k++; *k && *k != '\''; k++)
				if (*k == '\\' && k[1])
					k++;
			if (*k)
				k++;
		} else
			while (*k && *k != ' ' && *k != '&')
				k++;
		p = k;
	}
	snprintf(out, n, "%s", b.data ? b.data : "");
	buf_free(&b);
}

static void print_one(FILE *out, const struct setting *s, const char *value)
{
	if (strcmp(s->name, "store.postgresql_dsn") == 0 && value && *value) {
		char red[1100];
		dsn_redact(value, red, sizeof red);
		fprintf(out, "postgresql_dsn = %s\n", red);
		return;
	}
	const char *dot = strchr(s->name, '.');
	fprintf(out, "%s = %s\n", dot ? dot + 1 : s->name, value);
}

/* The section of a setting's name ("http" of "http.listen", "" for none). */
static void section_of(const struct setting *s, char *sec, size_t len)
{
	const char *dot = strchr(s->name, '.');
	snprintf(sec, len, "%.*s", dot ? (int)(dot - s->name) : 0, s->name);
}

static void print_setting(FILE *out, const config_t *cfg, const struct setting *s, bool reference)
{
	if (reference) {
		fprintf(out, "# %s\n", s->help);
		if (s->type == C_INT)
			fprintf(out, "# integer, %lld to %lld; default %s\n", (long long)s->min,
				(long long)s->max, s->dflt);
		else if (s->type == C_ENUM)
			fprintf(out, "# one of %s; default %s\n", s->choices, s->dflt);
		else
			fprintf(out, "# text; default \"%s\"\n", s->dflt);
		print_one(out, s, s->dflt);
		return;
	}
	char num[32];
	const char *v;
	if (s->type == C_INT) {
		snprintf(num, sizeof num, "%lld", (long long)*(const int64_t *)((const char *)cfg + s->off));
		v = num;
	} else {
		v = *(char *const *)((const char *)cfg + s->off);
	}
	print_one(out, s, v);
}

/* Each section once, in the order of its first setting in the table, with
 * every setting of that section under it (an INI file where a section
 * appears twice is legal, but confusing to read). */
static void print_sections(FILE *out, const config_t *cfg, bool reference)
{
	for (size_t i = 0; i < NSETTINGS; i++) {
		char sec[64], other[64];
		section_of(&settings[i], sec, sizeof sec);
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			section_of(&settings[j], other, sizeof other);
			seen = strcmp(sec, other) == 0;
		}
		if (seen)
			continue;
		if (*sec)
			fprintf(out, "\n[%s]\n", sec);
		for (size_t k = i; k < NSETTINGS; k++) {
			section_of(&settings[k], other, sizeof other);
			if (strcmp(sec, other) == 0)
				print_setting(out, cfg, &settings[k], reference);
		}
	}
}

void config_print_reference(FILE *out)
{
	fputs("# faxvaultd configuration reference (INI). Every setting, its default and bounds.\n"
	      "# Command-line flags override the file: --data-dir, --http, --set NAME=VALUE.\n", out);
	print_sections(out, NULL, true);
}

void config_print(const config_t *cfg, FILE *out)
{
	print_sections(out, cfg, false);
}
