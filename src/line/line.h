/* The line engine: places and answers fax calls over SIP (UDP), with media
 * on RTP/G.711 or UDPTL/T.38, T.30 through spandsp.
 *
 * One event loop per engine (line_send / line_receive) for SIP signalling;
 * the media of its calls, driven by a 20 ms media clock, runs in the same
 * thread or, with media_threads > 0, in that many worker threads (each call
 * belongs to one worker). The engine has no global state: two engines may
 * run in two threads. */
#ifndef FV_LINE_LINE_H
#define FV_LINE_LINE_H

#include "libver.h"
#include <stdatomic.h>
#include <stddef.h>

#include "result.h"

#define LINE_CALLS_MAX 4096

/* An INVITE as the accept_ex callback sees it. Strings are peer text
 * reduced to printable ASCII (at most 63 bytes), "" when absent; they and
 * msg are valid during the callback only. */
typedef struct line_invite {
	char src_ip[48];          /* the address the datagram came from */
	int src_port;
	char ruri_user[64];       /* user part of the Request-URI */
	char to_user[64];         /* of To */
	char from_user[64];       /* of From */
	char pai_user[64];        /* of P-Asserted-Identity */
	const void *msg;          /* the request, for line_invite_header_user() */
	char peer_names[256];     /* over TLS, the subjectAltName DNS names and IP
				     addresses of the client certificate the
				     carrier presented and that verified
				     (tls_verify_client), space-separated; "" else */
	char called[64];          /* out: the number the call is answered as
				     (preset to ruri_user) */
	char caller[64];          /* out: the caller's number in the result
				     (preset to from_user) */
	int retry_after;          /* out: seconds, with a 503 refusal */
	char challenge[256];      /* out: with a 401 refusal, the WWW-Authenticate
				     value (digest challenge; see sipauth.h) */
} line_invite_t;

#define LINE_INVITE_HEADER_MAX 1024

/* The value of the first header named name of inv's request into out (cap
 * bytes, at most LINE_INVITE_HEADER_MAX). 0, or -1 when the header is
 * absent, longer than cap - 1 or holds bytes other than printable ASCII
 * and tabs. */
int line_invite_header(const line_invite_t *inv, const char *name, char *out, size_t cap);

/* The Request-URI of inv's request as sent (for digest's uri), same rules. */
int line_invite_ruri(const line_invite_t *inv, char *out, size_t cap);

/* The user part of the URI in the first header named name of inv's request
 * or, when that header holds no SIP/tel URI, its value up to the first ';'
 * (printable ASCII, at most cap - 1 bytes) into out. 0, or -1 when the
 * header is absent or empty. */
int line_invite_header_user(const line_invite_t *inv, const char *name, char *out, size_t cap);

typedef struct line_cfg {
	const char *listen;     /* "IP:PORT" to bind SIP to (receive); NULL: any port (send) */
	int listen_fd;          /* receive: > 0, a socket already bound to listen (taken over:
				   made non-blocking, closed by line_receive): UDP, or with
				   sip_transport TCP or TLS a listening TCP socket */
	int t38;                /* 1: accept and offer T.38; 2: accept only; 0: refuse it (488) */
	int ecm;
	int max_rate;           /* 9600 or 14400 */
	const char *ident;      /* TSI/CSI */
	const char *header;     /* page header text (sent pages) */
	const char *user;       /* digest credentials toward a trunk, may be NULL */
	const char *password;   /* NULL: only ha1_md5 (for ha1_realm) answers a challenge */
	const char *ha1_realm;  /* the realm ha1_md5 was made for (NULL: none) */
	const char *ha1_md5;    /* MD5(user:ha1_realm:password) in hex, used in place of the
				   password when a challenge names ha1_realm; another realm's
				   challenge is not answered (its realm in fax_result_t.auth_realm) */
	const char *from_user;  /* user part of our From, default "faxvault" */
	const char *out_dir;    /* receive: where TIFF and JSON go */
	int calls;              /* receive: stop after this many calls (0: until signalled) */
	double clock_speed;     /* media clock speed-up, tests only (1.0: real time) */
	int drop_after_pages;   /* tests: receiver hangs up after this many pages */
	int refresh_ms;         /* send: session refresh re-INVITE every N ms of call time */
	int ring_ms;            /* send: give up (CANCEL) after ringing this long */
	int invite_timeout_ms;  /* send: give up on an INVITE nothing at all answered (not even
				   100) after this long, class network, instead of timer B's 32 s
				   (0: timer B); for a caller with another target to try */
	int max_call_ms;        /* hard cap on a call, in call time */
	int media_threads;      /* 0: SIP and media in one loop; N: SIP thread + N media threads */
	int media_priority;     /* 1..99: media runs under SCHED_RR at that priority (refused without
				   CAP_SYS_NICE or RLIMIT_RTPRIO: logged, the call goes on); 0: normal */

	/* send: the pages of the TIFF to send, 1-based and inclusive (0: from
	 * the first page / to the last). A range outside the document is a
	 * local error (-1, no call). Results count the pages of the range
	 * (pages_total) and number them in the whole document (pages[],
	 * on_page); fax_result_t.first_page says where the range began. */
	int first_page, last_page;

	/* Called for every page as it is confirmed or received: sender, on the
	 * receiver's answer (ok 1: MCF or PIP; ok 0: RTN or PIN, the page was
	 * refused); receiver, once a page is in (ok 1: no bad rows; ok 0: kept
	 * with bad rows). page is the page number in the whole document (the
	 * sender adds first_page - 1). Called from the thread running the call
	 * (a media worker), with the call locked: it must not block long and
	 * must not call back into the engine. NULL: not called. */
	void (*on_page)(void *ud, int page, int ok);
	void *page_ud;

	/* When non-NULL: the engine polls it (at least every 50 ms) and, once it
	 * is non-zero, ends every call (BYE when up, CANCEL when ringing),
	 * refuses new INVITEs (503) and returns once those calls ended
	 * (line_send: its call; line_receive: all of them). A call stopped
	 * before it was answered ends as class no_answer (sip_status 487 once
	 * the INVITE was out); one stopped mid-fax as partial or network. The engine then
	 * installs no signal handler at all (the caller handles SIGINT/SIGTERM,
	 * e.g. with sigwait); when NULL, SIGINT and SIGTERM stop the engine as
	 * before (tools). */
	atomic_int *stop;

	/* receive: called for each new INVITE before it is answered, from a
	 * thread of its own (several INVITEs are decided at once: it must be
	 * thread-safe), while the engine's SIP thread goes on: the INVITE is
	 * answered 100 at once and its final response sent once this returns
	 * (a CANCEL meanwhile: 487, and an acceptance is then reported as a
	 * failed call; no return within decide_ms: 503 with Retry-After, and
	 * the same). It may block (a database, a round trip to a service). to_user and from_user are the user parts of
	 * the Request-URI and of From (peer text, printable ASCII, at most 63
	 * bytes). Return 0 to answer: tiff_path (pathlen bytes, filled with a
	 * NUL-terminated path) is where this call's TIFF goes (instead of
	 * out_dir), and *call_ud comes back in that call's fax_result_t
	 * (call_ud), reported exactly once through the result callback. The
	 * TIFF is written there once the call ended, just before that
	 * callback, and only when at least one page came in (pages_received
	 * > 0); fax_result_t.file names it either way. Return a SIP status (404, 480, 486, 503; anything outside 400..699
	 * is sent as 500) to refuse the call with that response: no call, no
	 * result. NULL: every call is answered into out_dir. */
	int (*accept)(void *ud, const char *to_user, const char *from_user, char *tiff_path, size_t pathlen,
		      void **call_ud);
	void *accept_ud;

	/* receive, instead of accept when set: the same contract, with what a
	 * carrier-facing listener screens an INVITE by (line_invite_t). The
	 * callback writes the called number it answers into inv->called (it
	 * becomes the result's to_user and, with ident_called, the CSI) and,
	 * refusing with 503, may set inv->retry_after (seconds; a Retry-After
	 * header is sent when > 0). */
	int (*accept_ex)(void *ud, struct line_invite *inv, char *tiff_path, size_t pathlen, void **call_ud);
	/* receive: how long an INVITE waits for accept / accept_ex before it
	 * is answered 503 with Retry-After, in ms (0: 15 s). */
	int decide_ms;

	/* When non-NULL: the local SIP port, stored once the socket is bound
	 * (before any call) with a release store; another thread reads it with
	 * __atomic_load_n(p, __ATOMIC_ACQUIRE) (0 until then). Useful with
	 * listen "127.0.0.1:0". */
	int *bound_port;

	/* receive: spandsp writes each received page into the call's TIFF file
	 * as the page ends, before the page is confirmed (MCF), instead of
	 * into a memory file copied when the call ends. A process killed in
	 * the middle of a call then still holds, on disk, every page the
	 * sender was told it has. Costs a file write per page on the media
	 * thread. 0: the memory file (tools, benchmarks). */
	int rx_durable;

	/* receive: the local identity (CSI) of each call is the number it was
	 * placed to (the Request-URI's user part, when it fits T.30's 20
	 * characters) rather than ident: a service answering many numbers. */
	int ident_called;

	/* 1: one UDP socket (one local port) per media loop for all its
	 * calls, each datagram handed to its call by the address it came
	 * from; a tick then sends with one sendmmsg and reads with a few
	 * recvmmsg for every call of the loop. Needs peers that send from the
	 * address they announce (symmetric RTP); datagrams from elsewhere are
	 * dropped (counted as stray in loop_stats). 0: a socket per call,
	 * which takes media from whatever address the peer sends it. */
	int media_shared;

	/* Benchmarks only: a far end that costs no more than its packet clock
	 * (a test double for the other fax machine, which on a real network
	 * runs elsewhere). record_path: the engine writes the G.711 payload it
	 * sent on its first call (160 bytes per 20 ms tick) to this file once
	 * that call is over. replay: every audio call sends these frames
	 * (replay_frames of 160 bytes, in the call's law), one per tick,
	 * instead of running T.30, silence after the last one; what it receives
	 * is read and counted, not decoded; the call lasts until the peer hangs
	 * up (or max_call_ms). An answering fax machine recorded this way
	 * answers a sender of the same document with the same settings as it
	 * did when recorded: spandsp is deterministic. NULL: off. */
	const char *record_path;
	const uint8_t *replay;
	size_t replay_frames;

	/* SIP signalling over 0 UDP (default), 1 TCP or 2 TLS (siptrans.h:
	 * SIPTRANS_*). Receive: the listener on cfg->listen is a TCP one (a
	 * TLS one needs tls_cert and tls_key). Send: one connection to the
	 * target, reused by its calls and by the peer's requests to us. */
	int sip_transport;
	/* TLS: the CAs trusted for the peer's certificate (PEM file; NULL: the
	 * system's store). Verification is always on. */
	const char *tls_ca;
	/* TLS: our certificate chain and key (PEM files); the listener's,
	 * and when sending, the client certificate (optional). */
	const char *tls_cert;
	const char *tls_key;
	/* TLS, send: the name checked in the peer's certificate and sent as
	 * SNI; NULL: the target's host when it is a name, else its address. */
	const char *tls_name;
	/* TLS, receive: ask each client for a certificate verified against
	 * tls_ca (LINE_TLS_CLIENT_*): off, optional (an invalid one is still
	 * refused), require (a connection without one is refused). */
	int tls_verify_client;
	/* NAT: the address (IP, or a DNS name of at most 63 bytes) our Via
	 * sent-by, Contact, From URI and SDP c=/o= give instead of the local
	 * one, for a node behind NAT whose public address the carrier must
	 * reach; the media sockets then listen on every address of the family
	 * (where the NAT's forwarded packets land). Used only when it is a name
	 * or an address of the call's family. NULL or "": the local address. */
	const char *public_address;
	/* NAT: symmetric media. The call's media goes to the source its
	 * media is taken from (the SDP's address once it sent, else a source
	 * learnt after a few well-formed packets in a row: a peer behind NAT
	 * announces its private address; see mediasrc.h) instead of the one
	 * the SDP gave. Calls with a socket of their own only (not
	 * media_shared). 0: always the SDP's. */
	int symmetric_media;
} line_cfg_t;

enum { LINE_TLS_CLIENT_OFF, LINE_TLS_CLIENT_OPTIONAL, LINE_TLS_CLIENT_REQUIRE };

/* Defaults for every field (real time, T.38 on, ECM on, 14400). The engine
 * reads cfg (and the strings and flags it points to) until line_send /
 * line_receive returns: they must stay valid that long. */
void line_cfg_defaults(line_cfg_t *cfg);

/* Called once per finished call, on the engine's SIP thread (outside any
 * call's lock: the media keeps running while it works); r is valid during
 * the call only. */
typedef void line_result_fn(void *ud, const fax_result_t *r);

/* Sends tiff to target ("sip:NUMBER@HOST[:PORT]") and fills res. Returns 0
 * when the call ran (see res->ok for success), -1 on a local error before
 * dialling (bad target, unreadable file, bad page range, no socket), with
 * res->reason set. Safe to call from several threads at once (each call
 * runs its own engine; cfg is only read). */
int line_send(const line_cfg_t *cfg, const char *target, const char *tiff, fax_result_t *res);


/* Places n calls at once to target, each sending tiff, in one engine loop
 * (load tests, benchmarks); reports each result to cb. 0 when the calls ran,
 * -1 on a local error (reason in err): before dialling, nothing reported; or
 * when no media thread could be started, each call reported failed (class
 * "network", so it is tried again). The process goes on either way. */
int line_send_many(const line_cfg_t *cfg, const char *target, const char *tiff, int n, line_result_fn *cb,
		   void *ud, char *err, size_t errlen);

/* A long-lived engine: one SIP user agent and a fixed set of media loops
 * (threads), running until freed. Calls are added to it while it runs
 * (line_engine_send, from any thread) and leave it when they end; so are
 * listeners (line_engine_receive), whose calls share the same loops: no
 * thread, socket or loop is started per call, and the calls of a loop are
 * ticked together (see docs/line.md). Its SIP endpoints: each listener's
 * socket or TCP/TLS listener, a UDP socket per address family for calls
 * out, a TCP/TLS transport per set of TLS settings of calls out (its
 * connections shared by the calls to the same peer). */
typedef struct line_engine line_engine_t;

typedef struct line_engine_cfg {
	int media_loops;        /* media threads, >= 1 (at most 64) */
	int media_priority;     /* as line_cfg_t.media_priority */
	double clock_speed;     /* as line_cfg_t.clock_speed (tests) */
} line_engine_cfg_t;

/* Media threads that keep SCHED_RR once the process may no longer set it.
 * Call from a thread under SCHED_RR at the media priority (set while the
 * process still may: root, CAP_SYS_NICE): it starts a thread that inherits
 * that policy and from then on starts the media threads of every engine of
 * the process (a media_priority above 0), which inherit it in turn, and a
 * thread may set again the policy and priority it has. For a process that
 * gives up root and cannot raise its RLIMIT_RTPRIO (the SIP front end, as
 * root without CAP_SYS_RESOURCE). The caller then goes back to its own
 * policy. 0, or -1 (the caller is not under SCHED_RR, or no thread). */
int line_media_spawner_start(void);

/* Starts an engine (its loop and media threads; its SIP sockets come with
 * its calls and listeners): NULL, with err set, when it cannot. */
line_engine_t *line_engine_new(const line_engine_cfg_t *ec, char *err, size_t errlen);

/* As line_send, on the engine: the call is added to one of its media loops
 * (the one with the fewest calls) and this thread waits for its result.
 * A target by name is resolved in this thread. cfg->on_page is called
 * from this thread (not from the media loop: a page's bookkeeping never
 * holds up the other calls of the loop), each page before the result is
 * returned; *cfg->stop ends this call alone. A call the engine cannot
 * carry (cfg->listen, record or replay, shared media, bound_port, another
 * clock speed or media priority) runs as line_send would, in an engine of
 * its own (e NULL: always). Thread-safe. */
int line_engine_send(line_engine_t *e, const line_cfg_t *cfg, const char *target, const char *tiff,
		     fax_result_t *res);

/* As line_receive, on the engine: the listener becomes one more SIP
 * endpoint of the engine's user agent and its calls run on the engine's
 * loops. accept / accept_ex are called from a thread of their own per
 * INVITE (as line_receive's), never from the engine's SIP thread; cb is called from this thread, once per
 * call, so that storing a fax never holds up the engine. Returns once
 * *cfg->stop is set and its calls ended (0), or at once when it cannot
 * listen (-1, logged). A listener the engine cannot carry (no stop flag,
 * cfg->calls > 0, record or replay, shared media, another clock speed or
 * media priority) runs as line_receive (e NULL: always). Thread-safe. */
int line_engine_receive(line_engine_t *e, const line_cfg_t *cfg, line_result_fn *cb, void *ud);

/* Calls on the engine now (submitted, result not returned yet) and calls
 * submitted to it since it started (not those run apart). */
void line_engine_counts(line_engine_t *e, int *calls, long *started);

/* Listeners on the engine now. */
int line_engine_listeners(line_engine_t *e);

/* What one media loop measured of its clock since the engine started:
 * ticks it ran with calls, those served more than one tick (20 ms of call
 * time) after their deadline, and the worst delay. */
typedef struct line_loop_stats {
	long long ticks, late_ticks;
	long long max_late_us;
} line_loop_stats_t;

#define LINE_LOOPS_MAX 64

/* Each media loop's figures into out (at most max): how many. */
int line_engine_loop_stats(line_engine_t *e, line_loop_stats_t *out, int max);

/* Ends its calls (each reported failed to its waiting sender) and the
 * engine; call once no line_engine_send or line_engine_receive is running
 * (NULL: no-op). */
void line_engine_free(line_engine_t *e);

/* Answers calls on cfg->listen until cfg->calls calls ended (or *cfg->stop,
 * or SIGINT / SIGTERM when cfg->stop is NULL). Writes each call's TIFF
 * where cfg->accept says (else into cfg->out_dir) and reports each result
 * to cb, from the engine's SIP thread. Returns 0, or -1 when it cannot
 * start (bad address, bind, no thread for its media loop). */
int line_receive(const line_cfg_t *cfg, line_result_fn *cb, void *ud);

/* Appends the library the engine decodes the far end with (spandsp) and its
 * version. */
void line_lib_versions(libvers_t *l);

#endif
