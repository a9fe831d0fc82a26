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

#include "result.h"

#define LINE_CALLS_MAX 1024

typedef struct line_cfg {
	const char *listen;     /* "IP:PORT" to bind SIP to (receive); NULL: any port (send) */
	int t38;                /* 1: accept and offer T.38; 2: accept only; 0: refuse it (488) */
	int ecm;
	int max_rate;           /* 9600 or 14400 */
	const char *ident;      /* TSI/CSI */
	const char *header;     /* page header text (sent pages) */
	const char *user;       /* digest credentials toward a trunk, may be NULL */
	const char *password;
	const char *from_user;  /* user part of our From, default "faxvault" */
	const char *out_dir;    /* receive: where TIFF and JSON go */
	int calls;              /* receive: stop after this many calls (0: until signalled) */
	double clock_speed;     /* media clock speed-up, tests only (1.0: real time) */
	int drop_after_pages;   /* tests: receiver hangs up after this many pages */
	int refresh_ms;         /* send: session refresh re-INVITE every N ms of call time */
	int ring_ms;            /* send: give up (CANCEL) after ringing this long */
	int max_call_ms;        /* hard cap on a call, in call time */
	int media_threads;      /* 0: SIP and media in one loop; N: SIP thread + N media threads */
} line_cfg_t;

/* Defaults for every field (real time, T.38 on, ECM on, 14400). */
void line_cfg_defaults(line_cfg_t *cfg);

/* Called once per finished call; r is valid during the call only. */
typedef void line_result_fn(void *ud, const fax_result_t *r);

/* Sends tiff to target ("sip:NUMBER@HOST[:PORT]") and fills res. Returns 0
 * when the call ran (see res->ok for success), -1 on a local error before
 * dialling (bad target, unreadable file, no socket), with res->reason set. */
int line_send(const line_cfg_t *cfg, const char *target, const char *tiff, fax_result_t *res);


/* Places n calls at once to target, each sending tiff, in one engine loop
 * (load tests, benchmarks); reports each result to cb. 0 when the calls ran,
 * -1 on a local error before dialling (reason in err). */
int line_send_many(const line_cfg_t *cfg, const char *target, const char *tiff, int n, line_result_fn *cb,
		   void *ud, char *err, size_t errlen);

/* Answers calls on cfg->listen until cfg->calls calls ended (or SIGINT /
 * SIGTERM). Writes each call's TIFF into cfg->out_dir and reports each
 * result to cb. Returns 0, or -1 when it cannot start (bad address, bind). */
int line_receive(const line_cfg_t *cfg, line_result_fn *cb, void *ud);

#endif
