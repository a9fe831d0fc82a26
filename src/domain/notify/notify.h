/* The outbox of outbound mail, domain side: an operation that causes a mail
 * (an invitation, a password reset) queues it here, inside its own
 * transaction c->tx, with its job of kind MAIL_JOB on the queue, so that
 * the mail exists if and only if the change is committed. The mail sender
 * (src/mail), the handler of those jobs, renders and delivers it.
 *
 * Nothing is queued when the service sends no mail (dom_config_t.mail_on
 * is false) or has no master key to seal the token with (tools); the
 * operation goes on (its answer or the operator still carries the token). */

/* The layer's types first, outside the guard: domain.h defines them and then
 * includes the contracts it names, so they are complete before this one's
 * declarations whichever header a file includes first. */
#include "domain.h"

#ifndef FV_DOMAIN_NOTIFY_H
#define FV_DOMAIN_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"
#include "store.h"

/* The queue's kind of a message's job (payload {"mail_id": …}, ref the
 * message's id), and its attempts before the message is failed. */
#define MAIL_JOB "mail"
#define MAIL_MAX_ATTEMPTS 8

/* Kinds of mail (the templates of src/mail/mail_msg.c). */
#define MAIL_KIND_INVITATION "invitation"
#define MAIL_KIND_RESET "password_reset"
#define MAIL_KIND_FAX_RECEIVED "fax_received"
#define MAIL_KIND_FAX_REPORT_DELIVERED "fax_report_delivered" /* a fax sent by e-mail ended */
#define MAIL_KIND_FAX_REPORT_FAILED "fax_report_failed"
#define MAIL_KIND_CONSENT_STARTED "consent_started"
#define MAIL_KIND_CONSENT_USED "consent_used"
#define MAIL_KIND_CONSENT_ENDED "consent_ended"
#define MAIL_KIND_CONSENT_REJECTED "consent_rejected" /* an operator rejected a signed letter */
#define MAIL_KIND_GRANT_REQUESTED "access_requested"
#define MAIL_KIND_GRANT_BREAK_GLASS "access_break_glass"
#define MAIL_KIND_GRANT_AUTO "access_auto_approved" /* config.read, by the account's setting */
#define MAIL_KIND_BILLING_LOW "billing_low_balance"
#define MAIL_KIND_BILLING_EXHAUSTED "billing_balance_exhausted"
#define MAIL_KIND_QUOTA "quota"
/* To an account's billing contacts (its owner when it has none), in the
 * plan's invoice language: an invoice (its PDF attached by the sender),
 * the reminder before its due date, the notice when it is overdue, the
 * suspension of sending and its end (invoices.h). */
#define MAIL_KIND_INVOICE_ISSUED "invoice_issued"
#define MAIL_KIND_INVOICE_REMINDER "invoice_reminder"
#define MAIL_KIND_INVOICE_OVERDUE "invoice_overdue"
#define MAIL_KIND_BILLING_SUSPENDED "billing_suspended"
#define MAIL_KIND_BILLING_REACTIVATED "billing_reactivated"
#define MAIL_KIND_SAFEBOX_INVITATION "safebox_invitation" /* a guest's link (token) */
#define MAIL_KIND_SAFEBOX_CODE "safebox_code"             /* a guest's one-time code (token) */
#define MAIL_KIND_SAFEBOX_OPENED "safebox_opened"         /* to the owner: a guest opened it */
#define MAIL_KIND_BREACH_NOTICE "breach_notice"   /* to an affected account's owner and admins */
#define MAIL_KIND_ACCOUNT_CLOSING "account_closing"     /* to the owner: closure and its end */
#define MAIL_KIND_ACCOUNT_DESTROYED "account_destroyed" /* to the owner: the certificate */
#define MAIL_KIND_ACCOUNT_CLOSURE_CANCELLED "account_closure_cancelled" /* to the owner */
#define MAIL_KIND_INCIDENT_CLOCK "incident_clock" /* to the provider's staff: a clock runs down */
/* To a status board subscriber, each with the unsubscribe token. */
#define MAIL_KIND_STATUS_SUBSCRIBED "status_subscribed"
#define MAIL_KIND_STATUS_UPDATE "status_update"
#define MAIL_KIND_STATUS_REMINDER "status_reminder"
#define MAIL_KIND_FRAUD_FINDING "fraud_finding"   /* to admins and operators: a fraud finding */
#define MAIL_KIND_REQUEST_ANSWER "request_answer" /* to a request's reporter: an answer */
#define MAIL_KIND_LOCKOUT "lockout"             /* to a person locked out by failed sign-ins */
#define MAIL_KIND_MFA_ENROLLED "mfa_enrolled"   /* to a person: a second factor was set up */
#define MAIL_KIND_MFA_REMOVED "mfa_removed"     /* to a person: the second factor was removed */
#define MAIL_KIND_PORT_REQUEST "port_request"   /* to owner and admins: a port request's status */
#define MAIL_KIND_TERMS "terms"                 /* to every member: new terms to accept */
#define MAIL_KIND_SIGNIN_NEW "signin_new_address" /* to a person: a sign-in from a new address */
#define MAIL_KIND_CONTACTS_REVIEW "contacts_review" /* to owner and admins: the review is due */
/* To owner, admins and security contacts: a verified sign-in domain's TXT
 * record is gone (the date it stops routing), then it stopped (sso.h). */
#define MAIL_KIND_SSO_DOMAIN_FAILING "sso_domain_failing"
#define MAIL_KIND_SSO_DOMAIN_UNVERIFIED "sso_domain_unverified"

/* The contacts review reminder (C01): every active account whose contacts
 * review is due (accounts.contacts_review_months after the last
 * confirmation, or the account's creation) and not reminded since that
 * reference gets one mail to its owner and administrators, each in their
 * language, and an audit event contacts.review_reminded by system:mail, in
 * one transaction. At most limit accounts (not yet reminded, the oldest
 * confirmation first) are looked at per call. The reminders queued, or
 * -1. */
int dom_contacts_review_sweep(store_t *st, const dom_config_t *cfg, int64_t now, int limit);

/* A delivery status notification read back (docs/mail.md, "Bounces"): the
 * SMTP front end parsed it (smtp_dsn.h) from a mail to bounce+ID@domain,
 * the envelope sender of outbox message ID. Strings borrowed, printable. */
typedef struct mail_bounce {
	const char *mail_id;
	const char *action;     /* the DSN's Action: failed, delayed, delivered… */
	const char *status;     /* its Status: "5.1.1" */
	const char *diagnostic; /* its Diagnostic-Code, or "" */
	const char *peer;       /* the server that handed the DSN over */
} mail_bounce_t;

enum mail_bounce_outcome {
	MAIL_BOUNCE_ERROR = -1,   /* the store failed: try again later */
	MAIL_BOUNCE_FAILED,       /* a hard bounce, recorded (and the person marked) */
	MAIL_BOUNCE_DELAYED,      /* a delay (or a 4.x.x failure), recorded only */
	MAIL_BOUNCE_UNKNOWN,      /* no such message: dropped */
	MAIL_BOUNCE_IGNORED,      /* delivered, relayed, expanded: nothing to record */
};

/* Records b in one transaction: on the outbox row (action, status,
 * diagnostic, time) and, for a failed one with a 5.x.x status, on the
 * person the mail went to, when the address is still theirs
 * (mail_bounced_at, cleared when the address changes), with the audit
 * event mail.bounced by system:mail on the message's account. */
enum mail_bounce_outcome dom_mail_bounce(store_t *st, const mail_bounce_t *b);

/* Queues a mail of kind to person (a person record: its email, id,
 * account_id and lang, else lang), with params (borrowed JSON object, no
 * secret: names, dates) and token (NULL: none), which is stored sealed and
 * reaches only the message body. 0 when queued or when nothing is to be
 * queued; -1 when the outbox could not be written (the caller fails). */
int dom_mail_queue(dom_ctx_t *c, const char *kind, const json_t *person, const char *lang,
	const json_t *params, const char *token);
/* The same in tx for the services that act without a request (the fax
 * service mailing a received fax): mail_on says whether mail is sent. */
int mail_queue_tx(store_tx_t *tx, const fax_env_t *env, bool mail_on, const char *kind,
	const json_t *person, const char *lang, const json_t *params, const char *token);

/* Where a webhook may be sent: URL parsing and the address checks that keep
 * webhooks away from the service's own network (loopback, private, link-
 * local, ...) unless the operator allow-lists a range. Everything here is
 * pure except ssrf_resolve(), which asks the resolver. */
#define SSRF_URL_MAX 2048
#define SSRF_HOST_MAX 253
/* Allow-list entries read from webhooks.allow_cidrs. */
#define SSRF_ALLOW_MAX 32
/* Addresses of one host that are checked (all must pass). */
#define SSRF_ADDRS_MAX 16

typedef struct ssrf_url {
	bool https;                     /* false: http */
	char host[SSRF_HOST_MAX + 1];   /* lower case; an IPv6 literal without brackets */
	bool literal;                   /* the host is an IP address */
	int port;                       /* explicit, or 443 / 80 */
} ssrf_url_t;

/* Parses an absolute http(s) URL of len bytes (no NUL needed): printable
 * ASCII only, no user-info, no fragment, a DNS name or IP literal host, an
 * optional port 1..65535. 0, or -1 with a static reason in *why. */
int ssrf_url_parse(const char *s, size_t len, ssrf_url_t *out, const char **why);

/* Whether an address (family 4 or 6, as cidr_addr_parse gives it) is a
 * public unicast one. Refused: 0.0.0.0/8, 10/8, 100.64/10, 127/8,
 * 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.168/16, 198.18/15,
 * 198.51.100/24, 203.0.113/24, 224/4, 240/4; ::, ::1, ::/96, fe80::/10,
 * fec0::/10, fc00::/7, ff00::/8, 2001:db8::/32, 2001::/32 (Teredo), and
 * the IPv4 embedded in ::ffff:0:0/96, 64:ff9b::/96 and 2002::/16 judged as
 * IPv4. *why names the range refused. */
bool ssrf_addr_public(int family, const uint8_t addr[16], const char **why);

/* Parses a comma-separated CIDR list ("" or NULL: empty) into out (at most
 * max). The count, or -1 with *why. */
int ssrf_allow_parse(const char *list, cidr_t *out, int max, const char **why);
/* Whether addr is inside one of the n networks of allow (mapped IPv6 counts as IPv4). */
bool ssrf_allowed(int family, const uint8_t addr[16], const cidr_t *allow, int n);

/* The decision for one URL whose host resolved to n addresses: 0 when every
 * address is public or allow-listed, and for http:// when every one is
 * allow-listed; -1 with *why otherwise (also when n is 0). Pure. */
int ssrf_check(const ssrf_url_t *u, int n, const int *families, const uint8_t (*addrs)[16],
	const cidr_t *allow, int nallow, const char **why);

/* Resolves u's host (getaddrinfo) and applies ssrf_check with the allow
 * list text. 0 with the first address as text in addr (>= 46 bytes), to pin
 * the connection to; -1 with *why (a static string). */
int ssrf_resolve(const ssrf_url_t *u, const char *allow_list, char *addr, size_t addrlen,
	const char **why);

/* Webhooks: per-account subscriptions to fax events, the outbox of
 * deliveries (each one sent by a job of kind WEBHOOK_JOB on the queue,
 * src/faxsvc/webhook_sender.c), and the pure pieces of the delivery
 * protocol (Standard Webhooks signatures, the retry schedule).
 * See docs/fax-service.md ("Webhooks") and docs/api.md.
 *
 * Operations follow the conventions of domain.h: they run in c->tx and
 * return 0 with *out set (new reference), or -1 with e filled in. The
 * account record is the one the router loaded (borrowed). */
/* Deliveries are tried at most this often before they are marked failed. */
#define WEBHOOK_MAX_ATTEMPTS 8
/* The queue's kind of a delivery's job (payload {"delivery_id": …}, ref the
 * delivery's id). */
#define WEBHOOK_JOB "webhook"
/* Bytes kept of an error (a response body, a curl message). */
#define WEBHOOK_ERROR_MAX 256
/* "v1," + base64 of a SHA-256, NUL included. */
#define WEBHOOK_SIG_MAX 48
/* Secret bytes (before base64) of a new secret: within the spec's 24..64. */
#define WEBHOOK_SECRET_BYTES 32

/* Records an event for account_id in the caller's transaction: one event
 * (id msg_…, type, timestamp, data) and one pending delivery per active
 * subscription of the account that listens to type, each with its job on
 * the queue (none listening: nothing is written). The body sent is
 * {"type": TYPE, "timestamp": RFC 3339, "data": DATA}. data is borrowed.
 * 0, or -1 (logged) when the store failed; the caller then rolls back. */
int dom_webhook_emit(store_tx_t *tx, const char *account_id, const char *type,
	const json_t *data);

/* Standard Webhooks signature of one attempt: "v1," + base64(HMAC-SHA256(key,
 * msg_id "." timestamp "." body)) into out, key being the base64-decoded
 * secret after its "whsec_" prefix (which may be absent). 0, or -1 when the
 * secret does not decode. Pure. */
int webhook_sign(const char *secret, const char *msg_id, int64_t timestamp, const char *body,
	size_t body_len, char out[WEBHOOK_SIG_MAX]);
/* Whether a webhook-signature header value (space-separated entries
 * "v1,<base64>"; other versions ignored) holds expected ("v1,<base64>"),
 * compared in constant time: 1 or 0. Pure. */
int webhook_signature_matches(const char *header, size_t len, const char *expected);
/* Delay in ms before the next try after `attempts` failed tries (1, 2, …):
 * 5 s, 30 s, 2 min, 10 min, 1 h, 2 h, 4 h; -1 once WEBHOOK_MAX_ATTEMPTS
 * have failed (the delivery is then failed). Pure. */
int64_t webhook_backoff_ms(int attempts);
/* Whether type is an event a subscription may list. Pure. */
int webhook_event_known(const char *type);

/* ---- operations of the API (settings.manage; listing also data.read) ---- */
/* {url, events, description?} -> the subscription with its secret. */
int dom_webhook_create(dom_ctx_t *c, const json_t *account, const json_t *body, json_t **out,
	dom_err_t *e);
int dom_webhook_list(dom_ctx_t *c, const json_t *account, const char *cursor, int limit,
	json_t **out, dom_err_t *e);
int dom_webhook_get(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
/* {url?, events?, description?, status?: active|disabled}. */
int dom_webhook_update(dom_ctx_t *c, const json_t *account, const char *id, const json_t *body,
	json_t **out, dom_err_t *e);
int dom_webhook_delete(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
/* A new secret, answered once; the old one stops signing at once. */
int dom_webhook_rotate_secret(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
/* Enqueues a webhook.test event to this subscription alone: {event_id, delivery_id}. */
int dom_webhook_test(dom_ctx_t *c, const json_t *account, const char *id, json_t **out,
	dom_err_t *e);
int dom_webhook_deliveries(dom_ctx_t *c, const json_t *account, const char *id,
	const char *cursor, int limit, json_t **out, dom_err_t *e);

#endif
