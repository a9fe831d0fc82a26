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
 *     (never its Authorization: the front end parses it, and passes only
 *     whether it is there, parseable, and its username)
 *   SIPF_AUTH_CHECK [username, HA1 MD5, HA1 SHA-256, now] on the call
 *     socket: check the INVITE's credentials (nonce ours, for this source,
 *     in time, nc not replayed, response right) against these
 *   <---- SIPF_AUTH_VERDICT [ok | stale | bad | replay]
 *   SIPF_ANSWER [status, called, caller, retry after, challenge (none,
 *     new, stale), now] on the call socket; fd: the call's TIFF file when
 *     accepted (status 0); a 401 carries the front end's own challenge
 *   <---- SIPF_RESULT [the fax_result_t] on the call socket, which closes
 *
 *   SIPF_SEND [call settings, target, trunk username and the HA1 for the
 *     realm the service knows; the password only while it knows none]
 *     ---->  line_send
 *     fds: the call socket, the TIFF to send (a memfd)
 *   <---- SIPF_PAGE [page, ok] on the call socket, for each page
 *   SIPF_STOP on the call socket: end the call (cancel, service stopping)
 *   <---- SIPF_RESULT [status of line_send, the fax_result_t]
 *
 *   SIPF_REGISTER [trunk, registrar, user, password or HA1 for a realm,
 *     our Contacts (IPv4, IPv6), expires, transport, TLS names, Call-ID,
 *     CSeq, timeout, the registrar's targets as addresses (resolved by
 *     the service)]  ---->  linecall_reg_run (REGISTER, digest)
 *     fds: the call socket [, the trunk's own certificate and key]
 *   <---- SIPF_REGISTERED [outcome, SIP status, seconds granted, Call-ID,
 *     CSeq, the challenge's realm, why, Contact used]
 *   SIPF_PROBE [one trunk's targets (peer, transport), TLS names, timeout]
 *     ---->  keepalive_probe; fds: the call socket [, certificate, key]
 *   <---- SIPF_PROBED [each target's final status, 0 silent, -1 unreachable]
 *   SIPF_LOOPS on a call socket of its own  ---->  line_engine_loop_stats
 *   <---- SIPF_LOOPS_STATS [each media loop's ticks, late ticks, worst delay]
 *   SIPF_RESOLVE [version, a trunk's peer by name, the transport of a
 *     HOST:PORT, the transports and families that may be dialled]
 *     ---->  resolve_lookup_via (RFC 3263: NAPTR, SRV, A/AAAA); fd: the
 *     call socket
 *   <---- SIPF_RESOLVED [version, outcome, why, how, TTL, the ordered
 *     targets: name, family, address, port, transport, SRV priority and
 *     weight] (the DNS answers are parsed there, never in the service)
 *
 * A call socket that closes before SIPF_RESULT is a front end that died:
 * an outbound call ends interrupted (retried from its first unconfirmed
 * page), an inbound one keeps the pages already in its TIFF file.
 * The service trusts nothing the front end sends: sip_wire_invite_decode,
 * sip_wire_listening_decode, sip_wire_page_decode, sip_wire_result_decode,
 * sip_wire_registered_decode, sip_wire_probed_decode, sip_wire_loops_decode,
 * sip_wire_resolved_decode and sip_wire_verdict_decode bound and check every field, as the front end's
 * decoders do the service's messages (fuzz/faxsvc/fuzz_sip_wire.c); a
 * front end whose message does not decode is killed.
 * Ownership: decoded strings are copied into the caller's structs. */
#ifndef FV_SIP_WIRE_H
#define FV_SIP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "line.h"
#include "linecall.h"
#include "resolve.h"
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
	SIPF_REGISTER,
	SIPF_REGISTERED,
	SIPF_PROBE,
	SIPF_PROBED,
	SIPF_AUTH_CHECK,
	SIPF_AUTH_VERDICT,
	SIPF_LOOPS,
	SIPF_LOOPS_STATS,
	SIPF_RESOLVE,
	SIPF_RESOLVED,
};

/* The version of SIPF_RESOLVE and SIPF_RESOLVED's payload (their first
 * byte); another is refused. */
#define SIPF_RESOLVE_VERSION 1

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
	char public_address[64];  /* line_cfg_t.public_address, "" when none */
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
	int auth;                 /* LINECALL_AUTH_* (its Authorization) */
	char auth_user[DIGEST_FIELD_MAX];       /* the credentials' username, when parsed */
} sip_wire_invite_t;

/* The service's answer to one INVITE (SIPF_ANSWER). */
typedef struct sip_wire_answer {
	int status;               /* 0: accepted; else 400..699 */
	char called[64], caller[64];
	int retry_after;
	int challenge;            /* with 401: 1 a new challenge, 2 stale; 0 none */
	int64_t now;              /* the service's clock (seconds): the challenge's time */
} sip_wire_answer_t;

/* The service's HA1s for the INVITE's credentials (SIPF_AUTH_CHECK). */
typedef struct sip_wire_auth {
	char user[DIGEST_FIELD_MAX];
	char ha1_md5[33], ha1_sha256[65];
	int64_t now;
} sip_wire_auth_t;

/* One registration (SIPF_REGISTER): what linecall_reg_t asks. */
typedef struct sip_wire_reg {
	char trunk_id[64];
	char registrar[SIPF_TEXT_MAX + 1], user[DIGEST_FIELD_MAX];
	int has_password, has_ha1;
	char password[SIPF_TEXT_MAX + 1];
	char ha1_realm[DIGEST_FIELD_MAX], ha1_md5[33];
	char contact[2][96];
	int expires, transport, timeout_ms;
	int has_ca, has_cert;
	char ca[SIPF_PATH_MAX + 1], cert[SIPF_PATH_MAX + 1], key[SIPF_PATH_MAX + 1];
	int has_tls_name;         /* the name the registrar's certificate must hold */
	char tls_name[SIPF_TEXT_MAX + 1];
	char call_id[REGISTER_CALL_ID_MAX];
	uint32_t cseq;
	char targets[LINECALL_REG_TARGETS][80];
	int target_family[LINECALL_REG_TARGETS];
	int ntargets;
} sip_wire_reg_t;

/* One trunk's keep-alive probes (SIPF_PROBE). */
typedef struct sip_wire_probe {
	int timeout_ms;
	int has_ca, has_cert, has_name;
	char ca[SIPF_PATH_MAX + 1], cert[SIPF_PATH_MAX + 1], key[SIPF_PATH_MAX + 1];
	char name[SIPF_TEXT_MAX + 1];
	size_t n;
	struct {
		char peer[96];
		int transport;
	} p[KEEPALIVE_PEERS_MAX];
} sip_wire_probe_t;

/* One outbound call (SIPF_SEND): the fields of line_cfg_t a send uses. */
typedef struct sip_wire_send {
	int t38, ecm, max_rate, ring_ms, invite_timeout_ms, max_call_ms, media_priority;
	int first_page, last_page, sip_transport;
	double clock_speed;
	char target[SIPF_TEXT_MAX + 1], ident[SIPF_TEXT_MAX + 1], header[SIPF_TEXT_MAX + 1];
	char user[SIPF_TEXT_MAX + 1], from_user[SIPF_TEXT_MAX + 1];
	int has_ha1;              /* the HA1 for ha1_realm (then never the password) */
	char ha1_realm[DIGEST_FIELD_MAX], ha1_md5[33];
	int has_password;         /* the trunk's password: only while no realm is known */
	char password[SIPF_TEXT_MAX + 1];
	char tls_ca[SIPF_PATH_MAX + 1], tls_cert[SIPF_PATH_MAX + 1], tls_key[SIPF_PATH_MAX + 1];
	char tls_name[SIPF_TEXT_MAX + 1];
	char public_address[64];
	int has_user, has_ident, has_header, has_tls_ca, has_tls_cert, has_tls_name, has_public_address;
	int symmetric_media;      /* line_cfg_t.symmetric_media */
} sip_wire_send_t;

/* A lookup asked of the front end (SIPF_RESOLVE): resolve_lookup_via's
 * arguments. */
typedef struct sip_wire_resolve {
	char peer[SIPF_TEXT_MAX + 1];
	int primary, transports, families;
} sip_wire_resolve_t;

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

/* A registration's request: from r (its strings; the trunk's own
 * certificate's names are sent as they are, the caller passes the fds) and
 * timeout_ms. -1 when a text is too long or not printable. */
int sip_wire_reg_encode(struct ipc_out *o, const linecall_reg_t *r, int timeout_ms);
int sip_wire_reg_decode(const struct ipc_msg *m, sip_wire_reg_t *w);
/* r (zeroed first) pointing into w. */
void sip_wire_reg_binding(const sip_wire_reg_t *w, linecall_reg_t *r);
/* The outcome: rc (linecall_reg_run's), and r's out fields. */
void sip_wire_registered_encode(struct ipc_out *o, int rc, const linecall_reg_t *r);
/* Into r's out fields (b.call_id, b.cseq, b.realm, b.why, status,
 * granted, contact_used); the rest of r untouched. */
int sip_wire_registered_decode(const struct ipc_msg *m, int *rc, linecall_reg_t *r);

/* A probe set (its probes' tls as the first one's). -1: too many probes
 * or a text too long. */
int sip_wire_probe_encode(struct ipc_out *o, const linecall_probe_set_t *set, int timeout_ms);
int sip_wire_probe_decode(const struct ipc_msg *m, sip_wire_probe_t *w);
void sip_wire_probed_encode(struct ipc_out *o, const keepalive_probe_t *p, size_t n);

/* SIPF_LOOPS_STATS: n loops' figures (at most LINE_LOOPS_MAX). */
void sip_wire_loops_encode(struct ipc_out *o, const line_loop_stats_t *l, int n);
/* Into out (LINE_LOOPS_MAX entries): how many, or -1. */
int sip_wire_loops_decode(const struct ipc_msg *m, line_loop_stats_t *out);
/* Into set's statuses: the count must be set->n. */
int sip_wire_probed_decode(const struct ipc_msg *m, linecall_probe_set_t *set);

/* -1 when peer is not a name resolve_peer_split takes (a literal needs no
 * lookup) or a mask is empty. */
int sip_wire_resolve_encode(struct ipc_out *o, const char *peer, int primary, int transports, int families);
int sip_wire_resolve_decode(const struct ipc_msg *m, sip_wire_resolve_t *q);
/* The outcome of resolve_lookup_via (rc, a, err) for q. */
void sip_wire_resolved_encode(struct ipc_out *o, int rc, const resolve_answer_t *a, const char *err);
/* Into *rc, a (zeroed first) and err: every target must be one q may
 * dial (its transports or primary, its families), an address of its
 * family in canonical form, a name (or "") of host name characters; at
 * least one target on success, none on failure. */
int sip_wire_resolved_decode(const struct ipc_msg *m, const sip_wire_resolve_t *q, int *rc, resolve_answer_t *a,
	char *err, size_t errlen);

void sip_wire_auth_encode(struct ipc_out *o, const sip_wire_auth_t *a);
int sip_wire_auth_decode(const struct ipc_msg *m, sip_wire_auth_t *a);
void sip_wire_verdict_encode(struct ipc_out *o, sipauth_verdict_t v);
int sip_wire_verdict_decode(const struct ipc_msg *m, sipauth_verdict_t *v);

#endif
