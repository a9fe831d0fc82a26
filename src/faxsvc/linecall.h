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
 *     put to accept (the service's decision, from its SIP thread), which
 *     answers with a SIP status or 0 and the descriptor of the call's
 *     durable TIFF file (opened by the service in its spool: every page
 *     confirmed to the caller is on disk even if the engine's process
 *     dies); each accepted call's result comes back once through cb.
 *
 * Ownership: cfg and what it points to are borrowed for the call. */
#ifndef FV_FAXSVC_LINECALL_H
#define FV_FAXSVC_LINECALL_H

#include <stddef.h>

#include "line.h"

typedef struct linecall linecall_t;

/* An INVITE as the service's accept sees it: the engine's screening fields
 * (src_ip, the user parts; called, caller, retry_after and challenge are
 * the answer) and, read through linecall_invite_* below, its headers. */
typedef struct linecall_invite {
	line_invite_t inv;
	/* In the SIP front end: its decoded INVITE and the reader of its
	 * headers (kind: LINECALL_HDR_*); NULL in process (inv.msg then). */
	const void *wire;
	int (*wire_header)(const void *wire, int kind, const char *name, char *out, size_t cap);
} linecall_invite_t;

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
 * status (400..699) to refuse it. Called from the listener's SIP thread. */
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

/* The engine in this process: outbound calls on the node's long-lived
 * engine (line_engine_*) with media_loops media loops (0: one per core;
 * < 0: an engine per call, as before it existed). */
linecall_t *linecall_inproc(int media_loops);

/* The node's long-lived engines (one per address family, each started by
 * the first call of its family), shared by the in-process implementation
 * and the SIP front end. */
struct linecall_engines;
struct linecall_engines *linecall_engines_new(int media_loops);
/* The engine for cfg's call to target (NULL: none, the call runs apart). */
line_engine_t *linecall_engine(struct linecall_engines *g, const line_cfg_t *cfg, const char *target);
void linecall_engines_free(struct linecall_engines *g);
/* Releases lc (NULL: no-op). */
void linecall_free(linecall_t *lc);

/* One call sending the TIFF on tiff_fd (borrowed, read from the start) to
 * target, as line_send: 0 when the call ran (res->ok), -1 on a local error
 * before dialling. Blocks until the call ended; *cfg->stop ends it. */
int linecall_send(linecall_t *lc, const line_cfg_t *cfg, const char *target, int tiff_fd,
	fax_result_t *res);

/* Runs the listener until *l->cfg->stop (as line_receive): 0, or -1 when it
 * could not start. */
int linecall_receive(linecall_t *lc, const linecall_listener_t *l);

/* The implementations' table (linecall.c, sip_front.c). */
struct linecall_ops {
	int (*send)(void *impl, const line_cfg_t *cfg, const char *target, int tiff_fd, fax_result_t *res);
	int (*receive)(void *impl, const linecall_listener_t *l);
	void (*free)(void *impl);
};
/* An implementation made of ops and impl (taken: ops->free at the end). */
linecall_t *linecall_new(const struct linecall_ops *ops, void *impl);

#endif
