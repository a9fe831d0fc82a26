/* The messages between the SMTP front end (`faxvaultd --role smtp`, which
 * runs the sessions and parses strangers' MIME) and the service, which
 * decides and submits (smtp_ingress.h). src/ipc framing; docs/architecture.md
 * ("Processes") has the catalogue.
 *
 *   front end                                   service
 *   SMTPF_MAIL [envelope, parsed mail]  ---->   decode, check, submit
 *     fds: the verdict socket, the raw message (memfd), the parts (memfd:
 *     the body's bytes, then each attachment's, back to back)
 *   <---- SMTPF_VERDICT [code, text] on the verdict socket, then it closes
 *   SMTPF_BOUNCE [mail id, DSN fields]  ---->   dom_mail_bounce
 *     fd: the verdict socket
 *   <---- SMTPF_VERDICT
 *
 * One verdict socket per mail (a fresh socketpair, one end passed), so that
 * each session waits on its own and a service that goes away is seen as a
 * closed socket (the session answers 451). The service trusts nothing the
 * front end sends: every field is bounded and checked here, and the sizes
 * declared must equal the memfds' (smtp_wire_mail_read).
 * Ownership: decoded strings point into the message (borrowed); the
 * buffers smtp_wire_mail_read fills are the caller's. */
#ifndef FV_SMTP_WIRE_H
#define FV_SMTP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "smtp_dsn.h"
#include "smtp_mime.h"
#include "smtp_server.h"

enum smtp_wire_type {
	SMTPF_MAIL = 0x201,
	SMTPF_VERDICT,
	SMTPF_BOUNCE, /* a mail to bounce+ID@domain, its DSN read; fd: the verdict socket */
};

/* A decoded SMTPF_BOUNCE: what the front end read of a mail to a bounce
 * address (smtp_dsn.h). */
typedef struct smtp_wire_bounce {
	char session_id[40], peer[64];
	char mail_id[SMTP_BOUNCE_ID_MAX + 1];
	int is_dsn;          /* 0: the mail was not a DSN (the rest is "") */
	smtp_dsn_t dsn;      /* recipient is not sent: "" */
} smtp_wire_bounce_t;

/* A decoded SMTPF_MAIL. */
typedef struct smtp_wire_mail {
	smtp_envelope_t env;          /* env's strings point into the fields below */
	char session_id[40], peer[64], helo[256], mail_from[SMTP_ADDR_MAX + 1];
	uint64_t raw_len;             /* bytes of the raw message (fd 1) */
	char from[SMTP_ADDR_MAX + 1];
	int has_subject, has_body;
	char subject[SMTP_SUBJECT_MAX + 1];
	uint64_t body_len;            /* first bytes of the parts memfd (fd 2) */
	int nparts;
	struct {
		uint64_t len;
		char filename[128];
		char type[64];
	} parts[SMTP_PARTS_MAX];
} smtp_wire_mail_t;

/* Builds SMTPF_MAIL into o from the envelope and the parsed mail (its
 * body and parts' sizes; the bytes go into the parts memfd by
 * smtp_wire_parts_write). No fds attached. */
void smtp_wire_mail_encode(struct ipc_out *o, const smtp_envelope_t *env, size_t raw_len,
	const smtp_mail_t *m);
/* Pure: decodes an SMTPF_MAIL's payload. 0, or -1 when a field is missing,
 * overlong, trailing or out of its rules (a recipient not "+" and 8 to 15
 * digits, a control character in an address, name or subject, a NUL in the
 * body, no recipient, more than SMTP_RCPTS_MAX or SMTP_PARTS_MAX). The fds
 * are not looked at. A fuzz target (fuzz/smtp/fuzz_smtp_wire.c). */
int smtp_wire_mail_decode(const struct ipc_msg *msg, smtp_wire_mail_t *out);

/* Writes the body (if any) and every part's bytes into fd, in order. 0, or
 * -1 with errno. */
int smtp_wire_parts_write(int fd, const smtp_mail_t *m);
/* Reads the raw message and the parts from their memfds (borrowed) as w
 * declares them: each memfd's size must equal what w says (raw_len; the
 * body and the parts' lengths summed), and neither may pass max bytes.
 * *raw (the caller frees it) gets the message; *mail the from, subject,
 * body and parts as smtp_mime_parse would have made them (free with
 * smtp_mail_free). 0, or -1 with nothing to free. */
int smtp_wire_mail_read(const smtp_wire_mail_t *w, int raw_fd, int parts_fd, size_t max,
	uint8_t **raw, smtp_mail_t *mail);

/* Builds SMTPF_BOUNCE into o (no fds attached). */
void smtp_wire_bounce_encode(struct ipc_out *o, const char *session_id, const char *peer,
	const char *mail_id, const smtp_dsn_t *dsn);
/* Pure: decodes an SMTPF_BOUNCE: 0, or -1 (a field missing, overlong,
 * trailing, or out of its rules: an id not [a-z0-9_], an action not one of
 * RFC 3464's, an invalid status, a control character). A fuzz target too. */
int smtp_wire_bounce_decode(const struct ipc_msg *msg, smtp_wire_bounce_t *out);

/* What the service takes off its front end's channel (src/daemon/
 * smtp_front.c): an SMTPF_MAIL that smtp_wire_mail_decode accepts into *w,
 * with exactly three fds (the verdict socket, the raw message, the parts),
 * or an SMTPF_BOUNCE that smtp_wire_bounce_decode accepts into *b, with
 * exactly one (the verdict socket). 0, or -1 (anything else; the message's
 * fds are the caller's to close, with ipc_msg_free, either way). */
int smtp_wire_check(const struct ipc_msg *msg, smtp_wire_mail_t *w, smtp_wire_bounce_t *b);

/* SMTPF_VERDICT: the reply code (200..599) and text (printable ASCII). */
void smtp_wire_verdict_encode(struct ipc_out *o, const smtp_reply_t *r);
/* Pure: 0 with *r filled, or -1 (bad code, a control character, trailing
 * bytes). A fuzz target too. */
int smtp_wire_verdict_decode(const struct ipc_msg *msg, smtp_reply_t *r);

#endif
