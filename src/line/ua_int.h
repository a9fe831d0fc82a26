/* What the files of the line engine's user agent (ua*.c) share: its
 * limits and timers, the call, the engine and its media loops, and the
 * functions one file calls in another. Internal to src/line: not for the
 * engine's users, who have line.h. */
#ifndef FV_LINE_UA_INT_H
#define FV_LINE_UA_INT_H

#include "line.h"

#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "buf.h"
#include "digest.h"
#include "faxcall.h"
#include "mediamux.h"
#include "mediasrc.h"
#include "rtp.h"
#include "sdp.h"
#include "sipmsg.h"
#include "sipaddr.h"
#include "siptrans.h"
#include "udptl.h"

#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES 0
#include <spandsp.h>

#include "buf.h"
#include "digest.h"
#include "faxcall.h"
#include "fdio.h"
#include "g711tab.h"
#include "log.h"
#include "mediamux.h"
#include "numparse.h"
#include "rtp.h"
#include "sdp.h"
#include "sipbuild.h"
#include "sipmsg.h"
#include "sipaddr.h"
#include "siptrans.h"
#include "timeutil.h"
#include "tsafe.h"
#include "udptl.h"
#include "xalloc.h"

#define SAMPLES_PER_TICK 160       /* 20 ms at 8 kHz */
#define SIP_T1_MS 500
#define SIP_T2_MS 4000
#define SIP_TXN_MS (64 * SIP_T1_MS)
#define CALL_LINGER_MS 4000        /* keep an ended call to absorb retransmissions */
#define BYE_WAIT_MS 4000
#define MEDIA_SILENCE_MS 30000     /* call time without any media packet: network failure */
/* A learnt media source (a peer behind NAT) silent this long, in call
 * time and wall clock, may be replaced by another one learnt anew (a NAT
 * rebinding; see mediasrc.h). Audio never pauses that long; on T.38 the
 * peer repeats a T.30 command after T4 (3 s), so a rebound peer's retry
 * gets through before T.30 gives up. */
#define MEDIA_MOVE_QUIET_MS 4000
#define FILLIN_AFTER_MS 500        /* call time without audio: feed fill-in to keep T.30 timers moving */
#define CALLER_T38_DELAY_MS 4000   /* caller waits this long after the answer tone before offering T.38 */
#define OUTQ_MAX 8                 /* datagrams a call may hold before they are due */
#define OUTQ_BYTES 4096
/* Calls a media loop takes before a new one goes to another loop (see
 * call_pick_loop): far under what a loop ticks in time (bench/fax: 100
 * calls on one core), so that packing never makes a tick late. */
#define LOOP_FILL 64
#define MEDIA_LEAD 2               /* ticks between making a datagram and sending it (see tick_calls) */
#define LATE_PKT_NS 20000000LL     /* a datagram sent more than one packet time after its due time is late */
#define UA_PEND_MAX 64             /* INVITEs of a user agent waiting for their decision at once */
#define DECIDE_MS 15000            /* a decision not in by then: the INVITE gets 503 (cfg->decide_ms) */
#define DECIDE_RETRY_S 5           /* the Retry-After of the engine's own 503s to a pending INVITE */

enum call_state { CS_INVITING, CS_UP, CS_BYE_SENT, CS_ENDED };
enum media_kind { MEDIA_NONE, MEDIA_AUDIO, MEDIA_T38 };

typedef struct ua ua_t;

#define UA_EPS_MAX 64              /* SIP endpoints of one user agent */

/* A SIP endpoint of a user agent: one UDP socket or one TCP/TLS transport
 * (listening or not), and what an INVITE arriving there is answered with.
 * line_send / line_receive have one; a long-lived engine (engine.c) one
 * per listener, a UDP socket per address family for its calls out, and a
 * TCP/TLS transport per set of TLS settings its calls out use. */
typedef struct ua_ep {
	ua_t *ua;
	int fd;                   /* UDP; -1 with tr */
	siptrans_t *tr;           /* TCP/TLS; NULL: UDP on fd */
	int proto;                /* SIPTRANS_* */
	struct sockaddr_storage bound;
	/* A new INVITE here is answered with these settings (accept, out_dir,
	 * T.38, ECM, ...) and its result goes to cb (NULL: the UA's); rx NULL:
	 * refused with 403 (an engine's endpoints for calls out). */
	const line_cfg_t *rx;
	line_result_fn *cb;
	void *cb_ud;
	int closing;              /* its listener stops: new INVITEs get 503 */
	int pending;              /* INVITEs on it waiting for their decision (ua_decide.c) */
	int ncalls;               /* calls on it, lingering ones included */
	int live;                 /* calls on it not reported yet */
	int64_t idle_ms;          /* when its last call went (engine: idle ends close) */
	char key[72];             /* engine: a transport for calls out, its settings' digest */
	char peer_name[256];      /* engine: that transport's TLS name checked ("" the address) */
	void *owner;              /* engine: its listener (struct lsn), NULL: none */
} ua_ep_t;

typedef struct ctxn {         /* our one client transaction */
	int active;
	char method[12];
	uint32_t cseq;
	char branch[48];
	buf_t msg;
	int64_t next_ms;          /* next retransmission (INT64_MAX: none) */
	int64_t interval_ms;
	int64_t deadline_ms;
	int t38_offer;            /* a re-INVITE that offers T.38 */
} ctxn_t;

typedef struct call {
	ua_t *ua;
	ua_ep_t *ep;              /* the endpoint its SIP goes through */
	/* The call's own settings: the engine's (ua->cfg), or with a
	 * long-lived engine (line_engine_send) those its submitter gave, until
	 * its result is reported (then the engine's again: the submitter's are
	 * gone, and a lingering call only answers retransmissions). */
	const line_cfg_t *cfg;
	const char *tx_file;      /* outbound: the document spandsp reads */
	line_result_fn *cb;       /* where the result goes (the engine's cb by default) */
	void *cb_ud;
	int stop_seen;            /* cfg->stop seen set (a submitted call's own stop) */
	int outbound;
	int state;
	char call_id[128];
	char ltag[24];
	char rtag[128];
	char local_uri[256];      /* addr-spec in our From (out) / To (in) */
	char remote_uri[256];
	char remote_target[256];  /* peer Contact: Request-URI in the dialog */
	char req_uri[256];        /* initial INVITE Request-URI */
	uint32_t lcseq;
	uint32_t rcseq;
	struct sockaddr_storage peer;  /* where our requests go (first route, else the peer) */
	struct sockaddr_storage resp_to; /* where our responses to the INVITE go (its source) */
	char route[1024];         /* route set, as a Route header value; "" when none */
	char local_ip[64];
	ctxn_t ctx;
	/* INVITE server transaction: the final response, resent until ACK */
	int stx_active;
	buf_t stx_resp;
	uint32_t stx_cseq;
	int64_t stx_next_ms, stx_interval_ms, stx_deadline_ms;
	/* last response to a non-INVITE request, for retransmissions */
	buf_t last_resp;
	uint32_t last_cseq;
	char last_method[12];
	buf_t ack;                /* our ACK to the 2xx, resent if the 2xx is */
	digest_chal_t chal;
	int auth_tries;
	int auth_proxy;
	/* media */
	int mfd;
	uint16_t mport;
	struct sockaddr_storage mpeer;
	/* Where the media is taken from (own socket; a shared one finds the
	 * call by its SDP address alone): the SDP's address, the locked
	 * source (cfg->symmetric_media: mpeer too), sources on probation. */
	media_src_t msrc;
	int foreign_logged;       /* the first datagram dropped for its source was logged */
	int media;
	int pt;
	uint16_t rtp_seq;
	uint32_t rtp_ts, ssrc;
	rtp_jb_t jb;
	udptl_tx_t utx;
	udptl_rx_t urx;
	sdp_t38_t remote_t38;
	uint64_t sess_id, sess_ver;
	unsigned bad_media;
	unsigned stale_audio;
	unsigned pkts_tx, pkts_rx;
	/* Datagrams made by the DSP, each sent at the loop tick it is due
	 * (MEDIA_LEAD ticks later, see tick_calls), oldest first. */
	uint8_t outbuf[OUTQ_BYTES];
	uint16_t outlen[OUTQ_MAX];
	int64_t outdue[OUTQ_MAX];
	int outn;
	size_t outused;
	int64_t make_due;         /* the tick that what the DSP makes now is due at */
	/* shared media socket (cfg->media_shared): the peer address this call
	 * is known by in its loop's table */
	struct sockaddr_storage mux_key;
	int mux_keyed;
	unsigned rx_unplayed;     /* audio frames put since the last play */
	faxcall_t *fc;
	fax_result_t res;
	int t38_tried;            /* we offered T.38 (accepted or not) */
	int64_t t38_retry_tick;
	int64_t tone_tick;        /* tick when the fax tone was heard */
	int64_t ticks;            /* media clock of this call */
	int64_t last_rx_tick;
	int64_t last_rx_ms;       /* wall clock of the last media packet */
	int64_t next_refresh_tick;
	int64_t ring_deadline_ms;
	int64_t linger_until_ms;
	int reported;
	int report_pending;       /* ended, result not reported yet (call_report) */
	int seqno;
	int media_ready;          /* epoll saw packets since the last drain */
	int in_epoll;             /* the media socket is in its loop's epoll set */
	int drain_always;         /* drain at every tick without asking epoll (audio) */
	int invite_pending;       /* outbound: INVITE not sent yet */
	int await_ack_sdp;        /* inbound: we offered in the 200, the answer is in the ACK */
	int64_t invite_at_ms;
	/* inbound: spandsp writes the TIFF into this memory file; it is copied
	 * to rx_path once the call ended (no file I/O on the media clock) */
	int rx_memfd;
	char *rx_path;
	/* With media threads: the call's worker, and the lock that every access
	 * to the call takes (SIP thread and its worker). Lock order: a worker's
	 * list lock, then a call lock; never the other way. */
	struct worker *w;
	pthread_mutex_t lock;
} call_t;

/* What a media loop measured of its own timing (see tick_calls). */
typedef struct loop_stats {
	int64_t ticks_run, late_ticks, max_late_ns;
	int64_t pkts, late_pkts, max_pkt_late_ns;
	int64_t stray;            /* shared socket: datagrams from no call's peer */
} loop_stats_t;

/* A media loop's tick count and what it has sent (see tick_calls). */
typedef struct media_sched {
	int64_t tick;             /* ticks run */
	int64_t sent;             /* the last tick whose datagrams were sent */
	int64_t tick_ns;
	loop_stats_t st;
} media_sched_t;

/* A media worker thread: ticks the calls it was given, every 20 ms. */
typedef struct worker {
	ua_t *ua;
	pthread_t th;
	pthread_mutex_t lock;     /* guards calls/n */
	pthread_cond_t cv;        /* a call published to a loop without calls */
	call_t **calls;
	int n;
	int assigned;             /* calls given to it, published or not (the SIP thread's) */
	int epfd;
	struct epoll_event *evs;
	media_sched_t ms;
	mediamux_t *mux;          /* cfg->media_shared: the loop's one media socket */
} worker_t;

/* A new INVITE waiting for its decision (cfg->accept / accept_ex), which
 * a thread of its own takes while the SIP thread goes on (ua_decide.c). */
typedef struct pend {
	ua_ep_t *ep;
	struct sockaddr_storage src;
	uint8_t raw[SIP_MSG_MAX];
	sip_msg_t m;              /* raw parsed: the decision's thread reads it too */
	char to_user[64], from_user[64];
	char call_id[128], ftag[128];
	uint32_t cseq;
	line_invite_t inv;        /* accept_ex's (msg: &m) */
	/* written by the decision's thread before done */
	char path[1024];
	void *call_ud;
	int status;
	int done;                 /* under ua->pend_mu: the decision is in */
	/* the SIP thread's */
	int taken;                /* the decision was acted on */
	int final;                /* a final response went out (refusal, 487, 503) */
	int cancelled;
	int64_t deadline_ms, linger_until_ms;
	buf_t resp;               /* that final response, for retransmissions */
	char ltag[24];
} pend_t;

struct ua {
	int media_priority;   /* SCHED_RR priority of the media loop(s), 0: none */
	const line_cfg_t *cfg;
	ua_ep_t ep;              /* line_send / line_receive: its one endpoint (eps[0]) */
	ua_ep_t *eps[UA_EPS_MAX];
	int neps;
	call_t *calls[LINE_CALLS_MAX];
	int ncalls;
	int calls_ended;
	int calls_started;
	int64_t tick_ns;
	int64_t next_tick_ns;
	line_result_fn *cb;
	void *cb_ud;
	const char *tx_file;
	int pages_total;
	int nsend;               /* send: calls placed */
	int epfd;                /* media sockets: which calls have packets */
	media_sched_t ms;
	mediamux_t *mux;         /* cfg->media_shared, no workers: the one media socket */
	struct epoll_event *evs; /* LINE_CALLS_MAX entries */
	int linger_ms;           /* send: stay this long after the last call ended */
	int nworkers;            /* 0: media in this loop's thread */
	worker_t *workers;
	int next_worker;
	atomic_int workers_stop;
	int stopping;            /* the stop flag (or a signal) was seen: ending every call */
	uint8_t *rec;            /* cfg->record_path: the first call's sent audio */
	size_t rec_len, rec_cap;
	/* A long-lived engine (line_engine_new): runs until its stop flag,
	 * taking calls submitted while it runs (engine.c) whenever efd is
	 * readable, with endpoints added and removed while it runs. */
	int persistent;
	int efd;                 /* eventfd: submissions waiting (-1: none) */
	loop_stats_t logged;     /* what loop_stats lines said so far (persistent) */
	struct line_engine *eng;
	/* INVITEs waiting for their decision (ua_decide.c): the SIP thread's
	 * list; deciding (decisions running) and each one's done under
	 * pend_mu; dfd an eventfd their threads wake the loop with (-1 until
	 * the first). */
	pend_t *pend[UA_PEND_MAX];
	int npend;
	pthread_mutex_t pend_mu;
	pthread_cond_t pend_cv;
	int deciding;
	int dfd;
};

#define MEDIA_BATCH 16

/* ua.c */
int ua_stop_requested(const ua_t *ua);
void ua_fini(ua_t *ua);

/* ua_sip.c */
void copy_user(char *dst, size_t cap, const char *p, size_t n);
int64_t now_ms(void);
void rand_hex(char *out, size_t nbytes);
uint32_t rand32(void);
int64_t ms_to_ticks(int64_t ms);
const char *qs(const char *s, char *tmp, size_t n);
int parse_hostport(const char *s, struct sockaddr_storage *sa);
int udp_bind(const struct sockaddr_storage *sa);
/* The host our Via, Contact, From and SDP give for c: cfg->public_address
 * when set and usable for the call (a name, or an address of its family),
 * else its local address; bracketed when IPv6 (sdp: never bracketed). */
const char *adv_host(const call_t *c, char out[SIPADDR_STR_MAX], int sdp);
void local_ip_toward(const struct sockaddr_storage *peer, const struct sockaddr_storage *bound, char out[64]);
int ua_xmit(ua_ep_t *ep, const struct sockaddr_storage *to, const void *data, size_t n);
void sip_send(ua_ep_t *ep, const struct sockaddr_storage *to, const buf_t *b, const char *call_id);
unsigned sip_port(const call_t *c);
const char *via_proto(const ua_ep_t *ep);
void copy_str(char *dst, size_t cap, sip_str_t s);
void contact_of(const call_t *c, char *out, size_t n);
void build_request(call_t *c, buf_t *b, const char *method, const char *ruri, uint32_t cseq,
		   const char *branch, const char *extra, const char *body);
void new_branch(char out[48]);
void ctx_start(call_t *c, const char *method, const char *ruri, uint32_t cseq, const char *extra,
	       const char *body);
void make_sdp(call_t *c, buf_t *out, int use_t38, const sdp_t *like);

/* ua_loop.c: pthread_create through the media spawner when one runs
 * (line_media_spawner_start: the thread gets SCHED_RR), else directly. */
int media_thread_create(pthread_t *th, void *(*fn)(void *), void *arg);
/* ua.c: a media loop's lock (a call's, a loop's list): priority
 * inheritance. */
void ua_mutex_init(pthread_mutex_t *m);
/* ua_call.c */
void call_lock(call_t *c);
void call_unlock(call_t *c);
void call_publish(call_t *c);
call_t *call_new(ua_t *ua, int outbound);
void call_set_ep(call_t *c, ua_ep_t *ep);
void call_free(call_t *c);
void call_make_faxcall(call_t *c, const char *rx_file);
void rx_file_open(call_t *c, const char *path, char *spandsp_path, size_t n);
int tx_file_load(const char *tiff, char *out, size_t n);
void call_end(call_t *c);
void call_report(call_t *c);
void call_send_bye(call_t *c);
void call_offer_t38(call_t *c);
void call_refresh(call_t *c);
void call_cancel(call_t *c);
void call_timers(call_t *c, int64_t now);
int64_t call_next_due(const call_t *c);

/* ua_client.c */
void learn_dialog(call_t *c, const sip_msg_t *m);
void handle_response(ua_t *ua, call_t *c, const sip_msg_t *m);

/* ua_server.c */
call_t *find_call(ua_t *ua, const sip_msg_t *m);
void respond(ua_ep_t *ep, const struct sockaddr_storage *to, const sip_msg_t *req, int status, const char *tag,
	     const char *contact, const char *body, buf_t *keep);
void handle_request(ua_ep_t *ep, const sip_msg_t *m, const struct sockaddr_storage *src);
void refuse_invite(ua_ep_t *ep, const struct sockaddr_storage *to, const sip_msg_t *m, int st, const char *tag,
		   int retry_after, const char *challenge, buf_t *keep);
int invite_answer(ua_ep_t *ep, const sip_msg_t *m, const struct sockaddr_storage *src, const char *path_in,
		  void *call_ud, const char *to_user, const char *from_user, int trying_sent);

/* ua_decide.c */
void pend_start(ua_ep_t *ep, const sip_msg_t *m, const struct sockaddr_storage *src, const line_invite_t *inv,
		const char *to_user, const char *from_user);
int pend_request(ua_ep_t *ep, const sip_msg_t *m, const struct sockaddr_storage *to);
void pend_poll(ua_t *ua, int64_t now);
/* The loop's pass after its poll (dfd_readable: the poll found dfd
 * readable): pend_poll when INVITEs wait or a wake-up is unread. */
void pend_pass(ua_t *ua, int dfd_readable, int64_t now);
void pend_drain(ua_t *ua);

/* ua_media.c */
int media_send_due(call_t *c, int64_t upto);
void outq_drop(call_t *c, int k, size_t bytes);
int set_mpeer(call_t *c, const sdp_media_t *m);
void media_audio(call_t *c, const sdp_media_t *m, int pt);
void media_t38(call_t *c, const sdp_media_t *m);
void play_audio(call_t *c);
void media_packet(call_t *c, const uint8_t *pkt, size_t n);
int mux_peer_taken(const call_t *c, const struct sockaddr_storage *peer);
int call_open_media(call_t *c, const struct sockaddr_storage *offer);
void record_save(ua_t *ua);
void call_receive(call_t *c);
void call_tick(call_t *c);

/* ua_tick.c */
void tick_calls(call_t **calls, int n, media_sched_t *ms, mediamux_t *mx, int64_t deadline_ns);
void *worker_main(void *arg);

/* engine.c */
void engine_take(ua_t *ua);
void engine_eps(ua_t *ua, int64_t now);
void engine_ep_drop(ua_t *ua, int i);

/* ua.c */
int ua_init(ua_t *ua, const line_cfg_t *cfg);
int ua_count_pages(const char *path, char *why, size_t whylen);
void ua_ep_init(ua_t *ua, ua_ep_t *ep);
void ua_ep_close(ua_ep_t *ep);
int ua_ep_listen(ua_ep_t *ep, const line_cfg_t *cfg);
int ua_ep_stream(ua_ep_t *ep, const line_cfg_t *cfg, const struct sockaddr_storage *at, const char *peer_name,
		 char *err, size_t errlen);
call_t *ua_outbound_call(ua_t *ua, ua_ep_t *ep, const line_cfg_t *cfg, const char *tx_file, const struct sockaddr_storage *peer,
			 const char *target, sip_str_t user, int pages_total, int first);

/* ua_loop.c */
void on_link_fail(void *ud, const struct sockaddr_storage *peer, const char *why);
void ua_open_muxes(ua_t *ua);
int media_priority_enter(int prio, int *old_policy, struct sched_param *old_param);
int ua_run(ua_t *ua, int sending);

#endif
