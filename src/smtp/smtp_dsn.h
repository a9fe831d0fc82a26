/* Delivery status notifications (RFC 3464) read back from the mail that
 * comes to bounce+ID@<mail.domain>, the envelope sender of outbox message
 * ID (docs/mail.md, "Bounces"): a multipart/report with report-type
 * delivery-status whose message/delivery-status part holds, per recipient,
 * Action, Status, Final-Recipient and Diagnostic-Code. Parsed in the SMTP
 * front end (GMime); the service gets only the fields below, checked
 * again on the wire. No I/O; fuzzed by fuzz/smtp/fuzz_smtp_dsn.c. */
#ifndef FV_SMTP_DSN_H
#define FV_SMTP_DSN_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_proto.h"

#define SMTP_DSN_MAX_BYTES (1u << 20)  /* a mail to a bounce address larger is refused */
#define SMTP_DSN_STATUS_MAX 11         /* "5.123.123" */
#define SMTP_DSN_DIAG_MAX 199          /* bytes of the diagnostic kept */

typedef struct smtp_dsn {
	char action[16];                  /* failed, delayed, delivered, relayed or expanded */
	char status[SMTP_DSN_STATUS_MAX + 1]; /* class.subject.detail, class 2, 4 or 5 */
	char recipient[SMTP_ADDR_MAX + 1]; /* Final-Recipient's address, lower-cased, or "" */
	char diagnostic[SMTP_DSN_DIAG_MAX + 1]; /* printable ASCII, or "" */
} smtp_dsn_t;

/* Reads the per-recipient fields of a message/delivery-status body (p, n
 * bytes): the first recipient whose Action (compared without case) is
 * failed, else delayed, else another of RFC 3464's, with a valid Status. 0 with *d filled, or -1 (none; *d empty). */
int smtp_dsn_fields(const char *p, size_t n, smtp_dsn_t *d);

/* Parses a whole mail (as received): 0 with *d filled when it is a DSN
 * (its top-level part is multipart/report; report-type=delivery-status
 * with a message/delivery-status part that smtp_dsn_fields reads), -1
 * otherwise (*d empty). At most SMTP_CONTAINERS_MAX containers are
 * parsed (counted first, as smtp_mime_parse does). smtp_mime_init() must have run. */
int smtp_dsn_parse(const uint8_t *msg, size_t len, smtp_dsn_t *d);

/* Whether s is a valid DSN status (class 2, 4 or 5, then two numbers of 1
 * to 3 digits): 1 / 0. */
int smtp_dsn_status_valid(const char *s);

#endif
