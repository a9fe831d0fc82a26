/* REGISTER toward a carrier's registrar (RFC 3261 §10): one registration
 * transaction at a time, with one digest answer (RFC 2617, qop=auth) to a
 * 401 or 407, over UDP. The caller (the fax service's registration thread)
 * keeps the binding's Call-ID and CSeq between refreshes and decides when
 * to refresh and how long to back off.
 *
 * register_parse_response() is pure (fuzzed: fuzz/line/fuzz_register.c);
 * register_run() blocks up to its timeout: call it from a thread of its
 * own, never from an engine's SIP or media thread. No global state. */
#ifndef FV_LINE_REGISTER_H
#define FV_LINE_REGISTER_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

#define REGISTER_CALL_ID_MAX 64

/* What a response to our REGISTER says. */
typedef struct register_answer {
	int status;               /* 100..699 */
	uint32_t cseq;            /* its CSeq number (method REGISTER) */
	char call_id[REGISTER_CALL_ID_MAX];
	int expires;              /* 2xx: seconds granted to our contact (its
				     ;expires, else the Expires header); -1 none */
	int has_challenge;        /* 401 / 407 with a Digest challenge we can answer */
	int proxy;                /* the challenge came as Proxy-Authenticate (407) */
	digest_chal_t chal;
} register_answer_t;

/* Parses a SIP response to a REGISTER. contact is "HOST:PORT" of our
 * binding: the expiry of the Contact naming it wins over Expires. 0, or -1
 * when the bytes are not a response to a REGISTER (bad SIP, a request, no
 * Call-ID, CSeq of another method). */
int register_parse_response(const uint8_t *data, size_t len, const char *contact,
	register_answer_t *a);

/* A binding to keep: the caller fills and keeps it between runs. */
typedef struct register_binding {
	const char *registrar;    /* "IP:PORT", "HOST:PORT" or "HOST" (borrowed): the
				     AOR's domain, and where REGISTER goes unless send_to */
	const char *send_to;      /* "IP:PORT" or "[IPv6]:PORT" to send to instead (a
				     target of the registrar's RFC 3263 lookup); NULL: none */
	const char *user;         /* the AOR's user and the digest username */
	const char *password;     /* NULL: only ha1_md5 (for ha1_realm) answers a challenge */
	const char *ha1_realm;    /* the realm ha1_md5 was made for (NULL: none) */
	const char *ha1_md5;      /* MD5(user:ha1_realm:password) in hex: used in place of
				     the password when the challenge names ha1_realm */
	const char *contact;      /* "IP:PORT" where calls for us are to be sent */
	int expires;              /* seconds asked (0: remove the binding) */
	char call_id[REGISTER_CALL_ID_MAX]; /* "" at first: made by register_run */
	uint32_t cseq;            /* last CSeq sent (0 at first) */
	/* SIPTRANS_UDP (0, default), _TCP or _TLS (siptrans.h): the REGISTER
	 * goes over a connection of its own (sipconn.h), its Via says so and
	 * the Contact carries ;transport=tcp|tls (contact then names our TCP
	 * or TLS listener). tls: the CA file and client certificate. */
	int transport;
	const char *tls_ca, *tls_cert, *tls_key;
	const char *tls_name;     /* the name the registrar's certificate must hold; NULL or "":
				     the registrar's host name (its address for a literal) */
	char why[160];            /* out: why the connection failed, "" when it did not */
	char realm[DIGEST_FIELD_MAX]; /* out: the realm of the last challenge, "" when none */
} register_binding_t;

/* One registration: REGISTER, and when challenged once, REGISTER again
 * with credentials. 0 when the registrar answered 2xx (*granted: seconds
 * granted, the asked ones when it did not say); otherwise the final status
 * (401/403/407 for credentials refused, ...), 0 never, or -1 when no final
 * answer came within timeout_ms or the registrar cannot be reached. */
int register_run(register_binding_t *b, int timeout_ms, int *granted, int *status_out);

#endif
