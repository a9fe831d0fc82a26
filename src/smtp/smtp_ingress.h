/* Fax by e-mail's ingress: the deliver callback of the SMTP listener. It
 * parses the message (smtp_mime.h), checks SPF and DKIM (smtp_auth.h),
 * hands it to the domain's sender checks and submission
 * (dom_faxmail_limit, dom_faxmail_gate, dom_faxmail_send, as the operation
 * runner's steps) and turns the outcome into the SMTP reply. A refusal
 * by the sender checks is answered from the SPF and DKIM results alone
 * (smtp_auth_reply), whatever the reason, so that a stranger learns nothing
 * of which addresses exist; the reason is in the audit log of the account
 * the mail named. Ownership: st and cfg are
 * borrowed and must outlive the listener. */
#ifndef FV_SMTP_INGRESS_H
#define FV_SMTP_INGRESS_H

#include "domain.h"
#include "smtp_dsn.h"
#include "smtp_mime.h"
#include "smtp_server.h"
#include "store.h"

typedef struct smtp_ingress {
	store_t *st;
	const dom_config_t *cfg;
	/* testing.smtp_verdict_delay_ms: each verdict is held this long once
	 * decided (a test kills the front end meanwhile); 0 in service. */
	int test_verdict_delay_ms;
} smtp_ingress_t;

/* smtp_deliver_fn; arg is an smtp_ingress_t. */
void smtp_ingress_deliver(void *arg, const smtp_envelope_t *env, const uint8_t *msg, size_t len,
	smtp_reply_t *r);

/* The decision and submission of a mail already parsed (by the SMTP front
 * end, `faxvaultd --role smtp`): what smtp_ingress_deliver does after the
 * parse. msg and len are the raw message as received (for checks that need
 * its bytes); mail is borrowed. */
void smtp_ingress_submit(void *arg, const smtp_envelope_t *env, const smtp_mail_t *mail,
	const uint8_t *msg, size_t len, smtp_reply_t *r);

/* The Subject form: out is env with each recipient "" (fax@domain) replaced
 * by the numbers of subject (smtp_subject_numbers), duplicates dropped. 0;
 * -1 with r set (553 5.1.3) when the form was used and the Subject names
 * no number. */
int smtp_ingress_subject_rcpts(const smtp_envelope_t *env, const char *subject,
	smtp_envelope_t *out, smtp_reply_t *r);

/* A mail to bounce+MAIL_ID@domain, its DSN read by the front end (dsn
 * NULL: it was not one): recorded by dom_mail_bounce, counted. Every
 * outcome but a store failure (451 4.3.0) is answered 250, the same for
 * an unknown id as for a known one. */
void smtp_ingress_bounce(void *arg, const char *session_id, const char *peer,
	const char *mail_id, const smtp_dsn_t *dsn, smtp_reply_t *r);

/* Reads a mail to a bounce address: 1 with *dsn filled when it is a DSN,
 * 0 when it is not, -1 with *r set (552) when it is larger than
 * SMTP_DSN_MAX_BYTES. Pure (the front end's side). */
int smtp_ingress_bounce_read(const uint8_t *msg, size_t len, smtp_dsn_t *dsn, smtp_reply_t *r);

/* Bounces since start, for /metrics: SMTP_BOUNCE_OUTCOMES counters in the
 * order failed (recorded, hard), delayed (recorded), unknown (no such
 * message: dropped), ignored (not a DSN, or an action not recorded). */
#define SMTP_BOUNCE_OUTCOMES 4
void smtp_ingress_bounce_counts(uint64_t out[SMTP_BOUNCE_OUTCOMES]);

/* The reply to a message the MIME parse refused (5xx, one per failure). */
void smtp_ingress_mime_refusal(enum smtp_mime_fail f, smtp_reply_t *r);

#endif
