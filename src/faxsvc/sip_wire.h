/* The messages between the SIP front end (`faxvaultd --role sip`, which
 * runs the line engine: SIP, SDP, RTP, UDPTL, T.30) and the service, which
 * decides and owns the documents (linecall.h). src/ipc framing;
 * docs/architecture.md ("Processes") has the catalogue.
 *
 *   service                                         front end
 *   SIPF_LISTEN [listener id, settings]      ---->  line_receive in a thread
 *     fd: its UDP socket when the service bound it
 *   <---- SIPF_LISTENING [listener id, port (0: failed)]
 *   SIPF_UNLISTEN [listener id]: stop it (its calls end, results come)
 *   <---- SIPF_INVITE [listener id, the INVITE's fields and headers]
 *           fd: the call socket (a fresh socketpair, one end passed)
 *   SIPF_ANSWER [status, called, caller, retry after, challenge] on the
 *     call socket; fd: the call's TIFF file when accepted (status 0)
 *   <---- SIPF_RESULT [the fax_result_t] on the call socket, which closes
 *
 *   SIPF_SEND [call settings, target, trunk credentials]  ---->  line_send
 *     fds: the call socket, the TIFF to send (a memfd)
 *   <---- SIPF_PAGE [page, ok] on the call socket, for each page
 *   SIPF_STOP on the call socket: end the call (cancel, service stopping)
 *   <---- SIPF_RESULT [status of line_send, the fax_result_t]
 *
 * A call socket that closes before SIPF_RESULT is a front end that died:
 * an outbound call ends interrupted (retried from its first unconfirmed
 * page), an inbound one keeps the pages already in its TIFF file.
 * The service trusts nothing the front end sends: sip_wire_invite_decode,
 * sip_wire_listening_decode, sip_wire_page_decode and sip_wire_result_decode
 * bound and check every field (fuzz/faxsvc/fuzz_sip_wire.c); a front end
 * whose message does not decode is killed.
 * Ownership: decoded strings are copied into the caller's structs. */
#ifndef FV_SIP_WIRE_H
#define FV_SIP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "line.h"
#include "result.h"

enum sip_wire_type {
	SIPF_LISTEN = 0x401,
	SIPF_LISTENING,
	SIPF_INVITE,
	SIPF_ANSWER,
	SIPF_SEND,
	SIPF_PAGE,
	SIPF_STOP,
	SIPF_RESULT,
	SIPF_UNLISTEN,
};

#define SIPF_LISTENERS_MAX 16
#define SIPF_HEADERS_MAX 64      /* SIP_HDR_MAX */
#define SIPF_NAME_MAX 64         /* a header's name */
#define SIPF_VALUE_MAX (LINE_INVITE_HEADER_MAX - 1)
#define SIPF_PATH_MAX 1023       /* TLS files' names */
#define SIPF_TEXT_MAX 255        /* ident, header text, user, password, target... */

/* A listener's settings (SIPF_LISTEN). */
typedef struct sip_wire_listen {
	uint32_t id;
	int screened;             /* 1: carrier-facing (INVITE fields and headers) */
	char listen[96];
	int transport;            /* SIPTRANS_* */
	int t38, ecm, max_call_ms, media_threads, media_priority, rx_durable, ident_called;
	double clock_speed;
	char tls_cert[SIPF_PATH_MAX + 1], tls_key[SIPF_PATH_MAX + 1];
	int tls_verify_client;    /* LINE_TLS_CLIENT_* (against fax.sip_tls_ca) */
} sip_wire_listen_t;

/* An INVITE put to the service (SIPF_INVITE). */
typedef struct sip_wire_invite {
	uint32_t listener;
	line_invite_t inv;        /* msg NULL; the answer fields empty */
	char ruri[SIPF_VALUE_MAX + 1];
	size_t nheaders;
	struct sip_wire_header {
		char name[SIPF_NAME_MAX + 1];   /* the full form (Call-ID, not i) */
		char value[SIPF_VALUE_MAX + 1]; /* printable ASCII and tabs */
		char user[64];                  /* line_invite_header_user's, "" when none */
	} headers[SIPF_HEADERS_MAX];
} sip_wire_invite_t;

/* The service's answer to one INVITE (SIPF_ANSWER). */
typedef struct sip_wire_answer {
	int status;               /* 0: accepted; else 400..699 */
	char called[64], caller[64];
	int retry_after;
	char challenge[256];
} sip_wire_answer_t;

/* One outbound call (SIPF_SEND): the fields of line_cfg_t a send uses. */
typedef struct sip_wire_send {
	int t38, ecm, max_rate, ring_ms, invite_timeout_ms, max_call_ms, media_priority;
	int first_page, last_page, sip_transport;
	double clock_speed;
	char target[SIPF_TEXT_MAX + 1], ident[SIPF_TEXT_MAX + 1], header[SIPF_TEXT_MAX + 1];
	char user[SIPF_TEXT_MAX + 1], password[SIPF_TEXT_MAX + 1], from_user[SIPF_TEXT_MAX + 1];
	char tls_ca[SIPF_PATH_MAX + 1], tls_cert[SIPF_PATH_MAX + 1], tls_key[SIPF_PATH_MAX + 1];
	char tls_name[SIPF_TEXT_MAX + 1];
	int has_user, has_ident, has_header, has_tls_ca, has_tls_cert, has_tls_name;
} sip_wire_send_t;

/* The full name of a SIP header's compact form ("i" -> "Call-ID"), else
 * name itself. */
const char *sip_wire_full_name(const char *name);

void sip_wire_listen_encode(struct ipc_out *o, const sip_wire_listen_t *l);
int sip_wire_listen_decode(const struct ipc_msg *m, sip_wire_listen_t *l);
void sip_wire_listening_encode(struct ipc_out *o, uint32_t id, int port);
int sip_wire_listening_decode(const struct ipc_msg *m, uint32_t *id, int *port);
void sip_wire_unlisten_encode(struct ipc_out *o, uint32_t id);
int sip_wire_unlisten_decode(const struct ipc_msg *m, uint32_t *id);

/* -1 when a field breaks the decoder's rules (the front end then refuses
 * the INVITE itself, 500). */
int sip_wire_invite_encode(struct ipc_out *o, const sip_wire_invite_t *w);
int sip_wire_invite_decode(const struct ipc_msg *m, sip_wire_invite_t *w);
/* The INVITE's header name (LINECALL_HDR_* kind) into out: linecall.h's
 * wire_header for a decoded INVITE. */
int sip_wire_invite_header(const void *w, int kind, const char *name, char *out, size_t cap);

void sip_wire_answer_encode(struct ipc_out *o, const sip_wire_answer_t *a);
int sip_wire_answer_decode(const struct ipc_msg *m, sip_wire_answer_t *a);

/* From cfg and target; -1 when a text is too long for the message. */
int sip_wire_send_encode(struct ipc_out *o, const line_cfg_t *cfg, const char *target);
int sip_wire_send_decode(const struct ipc_msg *m, sip_wire_send_t *s);
/* cfg (defaults first) pointing into s. */
void sip_wire_send_cfg(const sip_wire_send_t *s, line_cfg_t *cfg);

void sip_wire_page_encode(struct ipc_out *o, int page, int ok);
int sip_wire_page_decode(const struct ipc_msg *m, int *page, int *ok);

/* rc: line_send's (0, -1); inbound calls 0. r->call_ud is not sent. */
void sip_wire_result_encode(struct ipc_out *o, int rc, const fax_result_t *r);
int sip_wire_result_decode(const struct ipc_msg *m, int *rc, fax_result_t *r);

#endif
