/* The outbox of outbound mail, domain side: an operation that causes a mail
 * (an invitation, a password reset) queues it here, inside its own
 * transaction c->tx, with its job of kind MAIL_JOB on the queue, so that
 * the mail exists if and only if the change is committed. The mail sender
 * (src/mail), the handler of those jobs, renders and delivers it.
 *
 * Nothing is queued when the service sends no mail (dom_config_t.mail_on
 * is false) or has no master key to seal the token with (tools); the
 * operation goes on (its answer or the operator still carries the token). */
#ifndef FV_DOMAIN_MAILQ_H
#define FV_DOMAIN_MAILQ_H

#include "domain.h"

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

#endif
