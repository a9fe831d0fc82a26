/* The fax-by-email SMTP listener (mail.smtp_listen): RFC 5321's EHLO, HELO,
 * MAIL, RCPT, DATA, RSET, NOOP, QUIT (VRFY answers 252, HELP 214), with
 * SIZE advertised and enforced, line length limits, an idle timeout and a
 * bounded number of sessions. One thread accepts; each session has a
 * thread of its own. Recipients must be +E164@domain, or one
 * bounce+ID@domain alone (a delivery status notification about outbox
 * message ID, see smtp_dsn.h), whatever the sender; the message and its
 * envelope go to the deliver callback, whose reply ends the transaction.
 * With lmtp set it speaks LMTP instead (RFC 2033, mail.lmtp_listen): LHLO
 * in place of HELO and EHLO (which are refused), and after DATA one reply
 * per accepted recipient. The decision is made once for the whole mail (one
 * submission, as over SMTP), so every recipient gets the same reply.
 * Ownership: cfg's strings and arg are borrowed and must outlive the
 * server. */
#ifndef FV_SMTP_SERVER_H
#define FV_SMTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "smtp_proto.h"

#define SMTP_RCPTS_MAX 50         /* recipients of one mail (FAX_TO_MAX) */
#define SMTP_DATA_LINE_MAX 8192   /* a message line (RFC 5321 says 1000; we are lenient) */
#define SMTP_ERRORS_MAX 10        /* bad commands before the session is closed */

/* A reply: code and text (an enhanced status code first, ASCII, one line;
 * with the code and CRLF within RFC 5321's 512 bytes). */
typedef struct smtp_reply {
	int code;
	char text[400];
} smtp_reply_t;

/* Sets r to code and "STATUS EN / FR": a refusal says why in both of the
 * service's languages, since the sender's is not known (and a stranger is
 * not told whether an address is a member's). SMTP reply text is ASCII:
 * the French is folded to it (accents dropped, « » as ", non-breaking
 * spaces as blanks, € as EUR, anything else left out), and left out when
 * it is the English or NULL. Control characters are dropped; the text is
 * cut to fit. */
void smtp_reply_pair(smtp_reply_t *r, int code, const char *status, const char *en,
	const char *fr);
/* smtp_reply_pair with en's French from the catalogue (i18n_fr). */
void smtp_reply_tr(smtp_reply_t *r, int code, const char *status, const char *en);
/* Folds UTF-8 text to printable ASCII as smtp_reply_pair does, into out
 * (n > 0 bytes, NUL-terminated, cut to fit). */
void smtp_ascii_fold(const char *in, char *out, size_t n);

/* One mail as received. */
typedef struct smtp_envelope {
	const char *session_id;
	const char *peer;           /* the client's address */
	const char *helo;
	const char *mail_from;      /* "" for <> */
	char rcpt[SMTP_RCPTS_MAX][SMTP_NUMBER_MAX + 1]; /* the numbers */
	int nrcpt;
	/* A bounce (bounce+ID@domain, the only recipient then): ID; nrcpt is 0.
	 * "" for a fax mail. */
	char bounce_id[SMTP_BOUNCE_ID_MAX + 1];
} smtp_envelope_t;

/* Called once per accepted DATA, in the session's thread (several run at
 * once): sets *r (2xx accepted, 4xx try later, 5xx refused). */
typedef void (*smtp_deliver_fn)(void *arg, const smtp_envelope_t *env, const uint8_t *msg,
	size_t len, smtp_reply_t *r);

typedef struct smtp_server_config {
	const char *listen;      /* IP:PORT (port 0: any free port) */
	int listen_fd;           /* a socket already listening on it (taken; closed at stop), or -1 */
	const char *domain;      /* mail.domain */
	const char *hostname;    /* in the greeting; domain when NULL */
	size_t max_bytes;        /* SIZE */
	int max_sessions;
	int timeout_ms;          /* idle time allowed per command or data chunk */
	int lmtp;                /* 1: LMTP (RFC 2033) rather than SMTP */
	smtp_deliver_fn deliver;
	void *arg;
} smtp_server_config_t;

typedef struct smtp_server smtp_server_t;

/* Binds and starts accepting. NULL with a reason in err. */
smtp_server_t *smtp_server_start(const smtp_server_config_t *cfg, char *err, size_t errlen);
/* The port bound (for port 0). */
int smtp_server_port(const smtp_server_t *s);
/* Stops accepting, cuts the sessions still open, waits for their threads
 * and frees s. NULL is a no-op. */
void smtp_server_stop(smtp_server_t *s);

/* Counters since start, for /metrics: sessions, mails accepted, mails
 * refused (5xx at DATA or RCPT), sessions turned away (too many). */
void smtp_server_counts(uint64_t *sessions, uint64_t *accepted, uint64_t *refused,
	uint64_t *busy);

#define SMTP_COUNTERS 4
/* Keeps the counters in area (SMTP_COUNTERS _Atomic uint64_t, e.g. a
 * mapping shared between the SMTP front end, which counts, and the service,
 * which reports them), or back in this process when NULL. Call before any
 * server starts. */
void smtp_server_counters_share(void *area);

#endif
