/* Where the fax service's calls run: the line engine (src/line) behind a
 * small interface, so that the service decides (who may call, which
 * number, where the pages go) and owns the documents while the engine's
 * SIP, SDP, RTP and UDPTL parsers run elsewhere.
 *
 * Two implementations: in this process (linecall_inproc: the engine's
 * threads inside the service, as tools and benchmarks run it), and in the
 * SIP front end (`faxvaultd --role sip`, see sip_front.h), chosen by the
 * daemon. The service sees the same calls either way:
 *
 *   - a send is one blocking call (linecall_send) in the service's worker
 *     thread, with the plaintext TIFF as a file descriptor; pages confirmed
 *     come back through cfg->on_page, the result into res;
 *   - a listener (linecall_receive) runs until *cfg->stop; each INVITE is
 *     put to accept (the service's decision, off the SIP thread), which
 *     answers with a SIP status or 0 and the descriptor of the call's
 *     durable TIFF file (opened by the service in its spool: every page
 *     confirmed to the caller is on disk even if the engine's process
 *     dies); each accepted call's result comes back once through cb.
 *
 * Ownership: cfg and what it points to are borrowed for the call. */
#ifndef FV_FAXSVC_LINECALL_H
#define FV_FAXSVC_LINECALL_H

#include <stddef.h>

#include "keepalive.h"
#include "line.h"
#include "register.h"
#include "resolve.h"
#include "sipauth.h"

typedef struct linecall linecall_t;

/* The realm of the digest challenges of carriers' INVITEs: the HA1s the
 * service gives for a check are made for it. */
#define LINECALL_AUTH_REALM "faxvault"

/* What an INVITE's Authorization header is (linecall_invite_t.auth). */
enum { LINECALL_AUTH_NONE, LINECALL_AUTH_UNPARSEABLE, LINECALL_AUTH_CREDENTIALS };

/* An INVITE as the service's accept sees it: the engine's screening fields
 * (src_ip, the user parts; called, caller, retry_after and challenge are
 * the answer) and, read through linecall_invite_* below, its headers
 * (never its Authorization: the side that runs the engine parses it and
 * checks it, linecall_invite_verify). */
typedef struct linecall_invite {
	line_invite_t inv;
	/* In the SIP front end: its decoded INVITE and the reader of its
	 * headers (kind: LINECALL_HDR_*); NULL in process (inv.msg then). */
	const void *wire;
	int (*wire_header)(const void *wire, int kind, const char *name, char *out, size_t cap);
	int auth;                 /* LINECALL_AUTH_* */
	char auth_user[DIGEST_FIELD_MAX];       /* the credentials' username (printable), when CREDENTIALS */
	/* The implementation's check of the credentials and its challenge
	 * (see linecall_invite_verify, linecall_invite_challenge). */
	sipauth_verdict_t (*verify)(struct linecall_invite *ci, const char *user, const char *ha1_md5,
		const char *ha1_sha256, int64_t now);
	int (*challenge)(struct linecall_invite *ci, int stale, int64_t now);
	void *impl;               /* theirs */
} linecall_invite_t;

/* Checks the INVITE's credentials (auth CREDENTIALS) against user and
 * the HA1s of user:LINECALL_AUTH_REALM:password (hex, MD5 and SHA-256),
 * at now (seconds, the service's clock): nonce ours, for this source, not
 * older than its lifetime, nc not replayed (sipauth.h). The verdict. */
sipauth_verdict_t linecall_invite_verify(linecall_invite_t *ci, const char *user, const char *ha1_md5,
	const char *ha1_sha256, int64_t now);
/* Asks for a digest challenge in the answer to a 401 (stale: the answer
 * was right but its nonce too old), made at now (seconds). 0 / -1. */
int linecall_invite_challenge(linecall_invite_t *ci, int stale, int64_t now);

/* An INVITE's Authorization as both implementations check it. */
typedef struct linecall_cred {
	digest_cred_t cr;
	char ruri[LINE_INVITE_HEADER_MAX];
	char req[330];            /* Call-ID and CSeq: the nc window's request */
	char src[48];
} linecall_cred_t;
/* Parses inv's Authorization into c: LINECALL_AUTH_*. */
int linecall_cred_parse(const line_invite_t *inv, linecall_cred_t *c);
/* c's check by a (see linecall_invite_verify). */
sipauth_verdict_t linecall_cred_verify(sipauth_t *a, const linecall_cred_t *c, const char *user,
	const char *ha1_md5, const char *ha1_sha256, int64_t now);

enum { LINECALL_HDR_VALUE, LINECALL_HDR_USER, LINECALL_HDR_RURI };

/* The value of the first header named name (see line_invite_header). */
int linecall_invite_header(const linecall_invite_t *ci, const char *name, char *out, size_t cap);
/* The Request-URI as sent (see line_invite_ruri). */
int linecall_invite_ruri(const linecall_invite_t *ci, char *out, size_t cap);
/* The user part of the URI in header name (see line_invite_header_user). */
int linecall_invite_header_user(const linecall_invite_t *ci, const char *name, char *out, size_t cap);

/* The service's decision on an INVITE: 0 to answer, with *tiff_fd the
 * call's TIFF file opened for writing (taken: closed by the engine's side
 * once the call ended) and *call_ud given back in the result; or a SIP
 * status (400..699) to refuse it. Called from a thread of its own per
 * INVITE, several at once (never the engine's SIP thread): thread-safe. */
typedef int linecall_accept_fn(void *ud, linecall_invite_t *ci, int *tiff_fd, void **call_ud);

/* What a listener is: cfg->listen (and listen_fd, sip_transport, tls_*,
 * bound_port, stop and the receive settings of line_cfg_t; accept and
 * accept_ex are ignored). screened 0: the loopback trunk (the engine's
 * plain accept: ruri_user falls back to To's user part, no headers);
 * 1: a carrier-facing listener (every INVITE field and header). */
typedef struct linecall_listener {
	const line_cfg_t *cfg;
	int screened;
	linecall_accept_fn *accept;
	void *accept_ud;
	line_result_fn *result; /* once per accepted call, r->call_ud the accept's */
	void *result_ud;
} linecall_listener_t;

/* The engine in this process: calls out and listeners on the node's
 * long-lived engine (line_engine_*) with media_loops media loops (0: one
 * per core; < 0: an engine per call and per listener, as before it
 * existed). */
linecall_t *linecall_inproc(int media_loops);

/* The node's long-lived engine (one user agent for both directions and
 * both address families, started by the first call or listener), shared
 * by the in-process implementation and the SIP front end. */
struct linecall_engines;
struct linecall_engines *linecall_engines_new(int media_loops);
/* The engine for cfg's call to target or listener (NULL: none, it runs
 * apart). */
line_engine_t *linecall_engine(struct linecall_engines *g, const line_cfg_t *cfg, const char *target);
void linecall_engines_free(struct linecall_engines *g);
/* Its media loops' figures (line_engine_loop_stats; 0 before it started). */
int linecall_engines_loop_stats(struct linecall_engines *g, line_loop_stats_t *out, int max);
/* Releases lc (NULL: no-op). */
void linecall_free(linecall_t *lc);

/* One call sending the TIFF on tiff_fd (borrowed, read from the start) to
 * target, as line_send: 0 when the call ran (res->ok), -1 on a local error
 * before dialling. Blocks until the call ended; *cfg->stop ends it. */
int linecall_send(linecall_t *lc, const line_cfg_t *cfg, const char *target, int tiff_fd,
	fax_result_t *res);
/* After the caller set the stop flag of one or more sends running: those
 * that wait for their call's messages look at their flag now (the SIP
 * front end's; in this process the engine polls it every 50 ms). */
void linecall_wake(linecall_t *lc);

/* Runs the listener until *l->cfg->stop (as line_receive): 0, or -1 when it
 * could not start. */
int linecall_receive(linecall_t *lc, const linecall_listener_t *l);

/* ---- registrations and keep-alives (trunk_register.h, trunk_health.h) ----
 * The REGISTER and OPTIONS transactions run, and their answers are parsed,
 * where the engine runs (the SIP front end, or this process); the service
 * decides when, with which credentials, and records the state. */

#define LINECALL_REG_TARGETS 8

/* Nothing was done: the SIP front end is not running (being restarted). */
#define LINECALL_UNAVAILABLE (-2)

typedef struct linecall_reg {
	const char *trunk_id;     /* for the logs */
	/* registrar, user, password or HA1 (ha1_realm, ha1_md5), expires,
	 * transport, tls_* (names: a trunk's own certificate is a memfd of
	 * trunk_tls.h), call_id and cseq (in and out); why and realm (out) */
	register_binding_t b;
	/* our listener of b.transport for a registrar of IPv4 [0] and IPv6
	 * [1], chosen per target of the registrar; both "": b.contact kept */
	char contact[2][96];
	char contact_used[96];    /* out: the Contact registered */
	int granted, status;      /* out, as register_run's */
	/* the registrar's targets ("IP:PORT", "[IPv6]:PORT") and their
	 * address family (4, 6), in the order to try: linecall_reg_resolve */
	char targets[LINECALL_REG_TARGETS][80];
	int target_family[LINECALL_REG_TARGETS];
	int ntargets;
} linecall_reg_t;

/* r->targets from r->b.registrar resolved as RFC 3263 says (a "HOST" alone
 * by NAPTR/SRV of its transport), in the service: 0, or -1 (logged) when
 * it does not resolve. */
int linecall_reg_resolve(linecall_reg_t *r);
/* One registration toward r's targets, each in turn until one gives a
 * final answer. As register_run (0 registered, a final status, -1 none),
 * or LINECALL_UNAVAILABLE. */
int linecall_register(linecall_t *lc, linecall_reg_t *r, int timeout_ms);
/* The same in this process (what both implementations run). */
int linecall_reg_run(linecall_reg_t *r, int timeout_ms);

/* One trunk's OPTIONS probes: its targets (peer, transport), each with tls
 * (the same for the set: CA, client certificate as names, the name to
 * check). */
typedef struct linecall_probe_set {
	keepalive_probe_t *p;
	size_t n;
} linecall_probe_set_t;

/* Probes every set at once within timeout_ms (keepalive_probe: statuses
 * into the probes). 0, or LINECALL_UNAVAILABLE (statuses then -1 and
 * nothing to record). At most KEEPALIVE_PEERS_MAX probes in all. */
int linecall_probe(linecall_t *lc, linecall_probe_set_t *sets, size_t nsets, int timeout_ms);

/* The node's media loops' figures (line_engine_loop_stats; in the SIP
 * front end, asked of it): how many loops into out (at most max), 0 when
 * the engine has not started or the front end is not up. */
int linecall_loop_stats(linecall_t *lc, line_loop_stats_t *out, int max);

/* A trunk peer's RFC 3263 resolution (resolve_lookup_via: NAPTR, SRV,
 * A/AAAA) where the engine runs, so that the DNS answers are parsed there
 * (the SIP front end), not in the service; in this process, here. As
 * resolve_lookup_via, or RESOLVE_ERR_AGAIN when the front end is not
 * running. The service hands it to resolve_set_lookup, so that
 * resolve_cached (its callers, its cache) stays as it was. */
int linecall_resolve(linecall_t *lc, const char *peer, int primary, int transports, int families,
	resolve_answer_t *a, char *err, size_t errlen);

/* The implementations' table (linecall.c, sip_front.c). */
struct linecall_ops {
	int (*send)(void *impl, const line_cfg_t *cfg, const char *target, int tiff_fd, fax_result_t *res);
	void (*wake)(void *impl); /* NULL: nothing to wake (linecall_wake) */
	int (*receive)(void *impl, const linecall_listener_t *l);
	void (*free)(void *impl);
	int (*reg)(void *impl, linecall_reg_t *r, int timeout_ms);
	int (*probe)(void *impl, linecall_probe_set_t *sets, size_t nsets, int timeout_ms);
	int (*loops)(void *impl, line_loop_stats_t *out, int max);
	/* NULL: resolve_lookup_via in this process */
	int (*resolve)(void *impl, const char *peer, int primary, int transports, int families,
		resolve_answer_t *a, char *err, size_t errlen);
};
/* An implementation made of ops and impl (taken: ops->free at the end). */
linecall_t *linecall_new(const struct linecall_ops *ops, void *impl);

#endif
