/* The SIP user agent and media loop of the line engine (see line.h).
 *
 * A small RFC 3261 UA over UDP: INVITE/ACK/BYE/CANCEL/OPTIONS, re-INVITE
 * for T.38 and for session refreshes, digest authentication, retransmission
 * timers A/B/E/F/G/H in simplified form (one client transaction per call at
 * a time, which is all a fax call needs). Every call owns its media socket,
 * its spandsp session and its result; nothing is shared between calls. */
#include "line.h"

#include <arpa/inet.h>
#include <strings.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <tiffio.h>
#include <unistd.h>

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
#define FILLIN_AFTER_MS 500        /* call time without audio: feed fill-in to keep T.30 timers moving */
#define CALLER_T38_DELAY_MS 4000   /* caller waits this long after the answer tone before offering T.38 */
#define OUTQ_MAX 8                 /* datagrams a call may hold before they are due */
#define OUTQ_BYTES 4096
#define MEDIA_LEAD 2               /* ticks between making a datagram and sending it (see tick_calls) */
#define LATE_PKT_NS 20000000LL     /* a datagram sent more than one packet time after its due time is late */

enum call_state { CS_INVITING, CS_UP, CS_BYE_SENT, CS_ENDED };
enum media_kind { MEDIA_NONE, MEDIA_AUDIO, MEDIA_T38 };

typedef struct ua ua_t;

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
	struct sockaddr_in peer;  /* where our requests go (first route, else the peer) */
	struct sockaddr_in resp_to; /* where our responses to the INVITE go (its source) */
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
	struct sockaddr_in mpeer;
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
	struct sockaddr_in mux_key;
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
	int64_t drop_tick;
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
	call_t **calls;
	int n;
	int epfd;
	struct epoll_event *evs;
	media_sched_t ms;
	mediamux_t *mux;          /* cfg->media_shared: the loop's one media socket */
} worker_t;

struct ua {
	int media_priority;   /* SCHED_RR priority of the media loop(s), 0: none */
	const line_cfg_t *cfg;
	int fd;
	struct sockaddr_in bound;
	siptrans_t *tr;          /* SIP over TCP/TLS (cfg->sip_transport); NULL: UDP on fd */
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
};

/* SIGINT/SIGTERM seen, for engines without line_cfg_t.stop (tools). A
 * lock-free atomic: safe to store from a signal handler, and several
 * engines (threads) may read it. */
static atomic_int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, 1);
}

static int ua_stop_requested(const ua_t *ua)
{
	if (ua->cfg->stop)
		return atomic_load(ua->cfg->stop) != 0;
	return atomic_load(&stop_flag) != 0;
}

/* Keeps the printable ASCII of a peer-supplied user part (for result
 * fields and the accept callback). */
static void copy_user(char *dst, size_t cap, const char *p, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < cap - 1; i++)
		if (p[i] > 0x20 && p[i] < 0x7f)
			dst[k++] = p[i];
	dst[k] = '\0';
}

static int64_t now_ms(void)
{
	return time_mono_ns() / 1000000;
}

static void rand_hex(char *out, size_t nbytes)
{
	uint8_t b[32];
	if (nbytes > sizeof b)
		nbytes = sizeof b;
	if (getrandom(b, nbytes, 0) != (ssize_t)nbytes)
		for (size_t i = 0; i < nbytes; i++)
			b[i] = (uint8_t)(time_mono_ns() >> (i % 8));
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static uint32_t rand32(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
		v = (uint32_t)time_mono_ns();
	return v;
}

/* Milliseconds of call time per media tick, to turn ms settings into ticks. */
static int64_t ms_to_ticks(int64_t ms)
{
	return ms / 20;
}

static const char *qs(const char *s, char *tmp, size_t n)
{
	return log_quote(s, tmp, n);
}

/* ---------- sockets ---------- */

static int parse_hostport(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	if (!colon)
		return -1;
	char host[128];
	size_t hn = (size_t)(colon - s);
	if (hn == 0 || hn >= sizeof host)
		return -1;
	memcpy(host, s, hn);
	host[hn] = '\0';
	int64_t port;
	if (parse_i64z(colon + 1, 0, 65535, &port) != 0)
		return -1;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) == 1)
		return 0;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *ai = NULL;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
		return -1;
	sa->sin_addr = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
	freeaddrinfo(ai);
	return 0;
}

static int udp_bind(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int buf = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
	if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The local address the kernel would use toward peer. */
static void local_ip_toward(const struct sockaddr_in *peer, const struct sockaddr_in *bound, char out[64])
{
	if (bound->sin_addr.s_addr != htonl(INADDR_ANY)) {
		inet_ntop(AF_INET, &bound->sin_addr, out, 64);
		return;
	}
	snprintf(out, 64, "127.0.0.1");
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	struct sockaddr_in me;
	socklen_t ml = sizeof me;
	if (connect(fd, (const struct sockaddr *)peer, sizeof *peer) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
		inet_ntop(AF_INET, &me.sin_addr, out, 64);
	close(fd);
}

/* One SIP message to a peer, over UDP or the peer's TCP/TLS connection. */
static int ua_xmit(ua_t *ua, const struct sockaddr_in *to, const void *data, size_t n)
{
	if (ua->tr)
		return siptrans_send(ua->tr, to, data, n);
	return sendto(ua->fd, data, n, 0, (const struct sockaddr *)to, sizeof *to) < 0 ? -1 : 0;
}

static void sip_send(ua_t *ua, const struct sockaddr_in *to, const buf_t *b, const char *call_id)
{
	if (!b->data || b->len == 0)
		return;
	if (ua_xmit(ua, to, b->data, b->len) < 0)
		log_event(LOG_WARN, "sip_send_failed", "call=%s errno=%d", call_id, errno);
}

/* The port our Via and Contact name (see siptrans_contact_port). */
static unsigned sip_port(const call_t *c)
{
	if (c->ua->tr)
		return siptrans_contact_port(c->ua->tr, &c->peer);
	return ntohs(c->ua->bound.sin_port);
}

static const char *via_proto(const ua_t *ua)
{
	return siptrans_via_name(ua->cfg->sip_transport);
}


/* ---------- messages ---------- */

static void copy_str(char *dst, size_t cap, sip_str_t s)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static void contact_of(const call_t *c, char *out, size_t n)
{
	int t = c->ua->cfg->sip_transport;
	/* sips: toward a sips: target (RFC 3261 §8.1.1.8), else the transport
	 * as a parameter (RFC 3261 §19.1.1). */
	int sips = t == SIPTRANS_TLS && strncasecmp(c->remote_target, "sips:", 5) == 0;
	snprintf(out, n, "<%s:%s@%s:%u%s>", sips ? "sips" : "sip", c->ua->cfg->from_user, c->local_ip, sip_port(c),
		 sips || !t ? "" : t == SIPTRANS_TLS ? ";transport=tls" : ";transport=tcp");
}

/* Our from/to header values for in-dialog requests. */
static void dialog_headers(const call_t *c, buf_t *b)
{
	if (c->outbound) {
		buf_printf(b, "From: <%s>;tag=%s\r\n", c->local_uri, c->ltag);
		if (c->rtag[0])
			buf_printf(b, "To: <%s>;tag=%s\r\n", c->remote_uri, c->rtag);
		else
			buf_printf(b, "To: <%s>\r\n", c->remote_uri);
	} else {
		buf_printf(b, "From: <%s>;tag=%s\r\n", c->local_uri, c->ltag);
		buf_printf(b, "To: <%s>;tag=%s\r\n", c->remote_uri, c->rtag);
	}
}

static void build_request(call_t *c, buf_t *b, const char *method, const char *ruri, uint32_t cseq,
			  const char *branch, const char *extra, const char *body)
{
	char contact[256];
	contact_of(c, contact, sizeof contact);
	buf_reset(b);
	buf_printf(b, "%s %s SIP/2.0\r\n", method, ruri);
	buf_printf(b, "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n", via_proto(c->ua), c->local_ip, sip_port(c),
		   branch);
	buf_puts(b, "Max-Forwards: 70\r\n");
	dialog_headers(c, b);
	if (c->route[0] && strcmp(method, "CANCEL") != 0)
		buf_printf(b, "Route: %s\r\n", c->route);
	buf_printf(b, "Call-ID: %s\r\nCSeq: %u %s\r\n", c->call_id, cseq, method);
	if (strcmp(method, "ACK") != 0 && strcmp(method, "CANCEL") != 0)
		buf_printf(b, "Contact: %s\r\n" ALLOW_HDR "Supported: timer\r\n", contact);
	buf_puts(b, "User-Agent: faxvault/" FV_VERSION "\r\n");
	if (extra)
		buf_puts(b, extra);
	if (body)
		buf_printf(b, "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	else
		buf_puts(b, "Content-Length: 0\r\n\r\n");
}

static void new_branch(char out[48])
{
	char h[33];
	rand_hex(h, 12);
	snprintf(out, 48, "z9hG4bK%s", h);
}

/* Starts our client transaction: sends now, retransmits on timer A/E. */
static void ctx_start(call_t *c, const char *method, const char *ruri, uint32_t cseq, const char *extra,
		      const char *body)
{
	ctxn_t *t = &c->ctx;
	t->active = 1;
	snprintf(t->method, sizeof t->method, "%s", method);
	t->cseq = cseq;
	new_branch(t->branch);
	build_request(c, &t->msg, method, ruri, cseq, t->branch, extra, body);
	t->interval_ms = SIP_T1_MS;
	int64_t now = now_ms();
	t->next_ms = now + t->interval_ms;
	/* a first INVITE that nothing at all answers: timer B, or sooner when
	 * the caller has another target to try (invite_timeout_ms) */
	int quick = c->state == CS_INVITING && c->ua->cfg->invite_timeout_ms > 0 &&
		    c->ua->cfg->invite_timeout_ms < SIP_TXN_MS;
	t->deadline_ms = now + (quick ? c->ua->cfg->invite_timeout_ms : SIP_TXN_MS);
	sip_send(c->ua, &c->peer, &t->msg, c->call_id);
	log_event(LOG_INFO, "sip_request_sent", "call=%s method=%s cseq=%u", c->call_id, method, cseq);
}

static void make_sdp(call_t *c, buf_t *out, int use_t38, const sdp_t *like)
{
	sdp_local_t l = {
		.addr = c->local_ip,
		.port = c->mport,
		.sess_id = c->sess_id,
		.sess_ver = c->sess_ver,
		.use_t38 = use_t38,
		.pt = like ? c->pt : -1,
		.t38_max_rate = c->ua->cfg->max_rate > 9600 ? 14400 : 9600,
		.t38_redundancy = 1,
	};
	buf_reset(out);
	if (sdp_build(out, &l, like) != 0) {
		buf_reset(out);
		l.pt = c->pt >= 0 ? c->pt : 0;
		sdp_build(out, &l, NULL);
	}
}

/* ---------- media ---------- */

static int media_send_due(call_t *c, int64_t upto);
static void outq_drop(call_t *c, int k, size_t bytes);

static mediamux_t *call_mux(const call_t *c)
{
	return c->w ? c->w->mux : c->ua->mux;
}

/* Room for one more datagram of up to cap bytes in the call's queue; a full
 * queue is sent at once first (nothing made is ever dropped). */
static uint8_t *outq_room(call_t *c, size_t cap)
{
	if (c->outn == OUTQ_MAX || c->outused + cap > sizeof c->outbuf)
		media_send_due(c, INT64_MAX);
	return c->outbuf + c->outused;
}

static void outq_commit(call_t *c, size_t n)
{
	c->outdue[c->outn] = c->make_due;
	c->outlen[c->outn++] = (uint16_t)n;
	c->outused += n;
}

/* Sends the queued datagrams due at tick upto or before: one sendto for one
 * datagram (the usual case: one RTP packet per tick), one sendmmsg for
 * several (T.38 bursts); a call that is not up sends nothing. Returns how
 * many datagrams left the queue. */
static int media_send_due(call_t *c, int64_t upto)
{
	int k = 0;
	size_t bytes = 0;
	while (k < c->outn && c->outdue[k] <= upto)
		bytes += c->outlen[k++];
	if (!k)
		return 0;
	mediamux_t *mx = c->mfd < 0 ? call_mux(c) : NULL;
	int fd = mx ? mx->fd : c->mfd;
	if (fd >= 0 && c->state == CS_UP) {
		if (k == 1) {
			if (sendto(fd, c->outbuf, c->outlen[0], 0, (const struct sockaddr *)&c->mpeer,
				   sizeof c->mpeer) == (ssize_t)c->outlen[0])
				c->pkts_tx++;
			else if (errno != EAGAIN)
				c->bad_media++;
		} else {
			struct mmsghdr m[OUTQ_MAX];
			struct iovec iov[OUTQ_MAX];
			size_t off = 0;
			for (int i = 0; i < k; i++) {
				iov[i] = (struct iovec){c->outbuf + off, c->outlen[i]};
				m[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &c->mpeer,
								    .msg_namelen = sizeof c->mpeer,
								    .msg_iov = &iov[i],
								    .msg_iovlen = 1}};
				off += c->outlen[i];
			}
			int sent = sendmmsg(fd, m, (unsigned)k, 0);
			if (sent > 0)
				c->pkts_tx += (unsigned)sent;
			if (sent < k)
				c->bad_media++;
		}
	}
	outq_drop(c, k, bytes);
	return k;
}

/* Removes the k oldest datagrams (bytes in all) from the call's queue. */
static void outq_drop(call_t *c, int k, size_t bytes)
{
	memmove(c->outbuf, c->outbuf + bytes, c->outused - bytes);
	memmove(c->outlen, c->outlen + k, (size_t)(c->outn - k) * sizeof c->outlen[0]);
	memmove(c->outdue, c->outdue + k, (size_t)(c->outn - k) * sizeof c->outdue[0]);
	c->outn -= k;
	c->outused -= bytes;
}

static int t38_send(void *ud, const uint8_t *ifp, size_t n)
{
	call_t *c = ud;
	uint8_t *pkt = outq_room(c, UDPTL_PKT_MAX);
	int len = udptl_encode(&c->utx, ifp, n, pkt, UDPTL_PKT_MAX);
	if (len < 0)
		return -1;
	outq_commit(c, (size_t)len);
	return 0;
}

static int set_mpeer(call_t *c, const sdp_media_t *m)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(m->port)};
	if (inet_pton(AF_INET, m->addr, &sa.sin_addr) != 1)
		return -1;
	c->mpeer = sa;
	return 0;
}

static void media_watch(call_t *c, int on);

static void media_audio(call_t *c, const sdp_media_t *m, int pt)
{
	set_mpeer(c, m);
	c->pt = pt;
	snprintf(c->res.codec, sizeof c->res.codec, "%s", pt == 8 ? "PCMA" : "PCMU");
	rtp_jb_init(&c->jb);
	c->media = MEDIA_AUDIO;
	media_watch(c, 0);
	c->last_rx_tick = c->ticks;
	c->last_rx_ms = now_ms();
	if (c->fc)
		faxcall_start_audio(c->fc);
	log_event(LOG_INFO, "media_audio", "call=%s codec=%s local_port=%u peer=%s:%u", c->call_id, c->res.codec, c->mport,
		  m->addr, m->port);
}

static void media_t38(call_t *c, const sdp_media_t *m)
{
	set_mpeer(c, m);
	c->remote_t38 = m->t38;
	udptl_tx_init(&c->utx, m->t38.ec == SDP_EC_REDUNDANCY ? 3 : (m->t38.ec == SDP_EC_NONE ? 1 : 3));
	udptl_rx_init(&c->urx);
	c->media = MEDIA_T38;
	media_watch(c, 1);
	c->last_rx_tick = c->ticks;
	c->last_rx_ms = now_ms();
	if (c->fc)
		faxcall_start_t38(c->fc, &m->t38, t38_send, c);
	log_event(LOG_INFO, "media_t38", "call=%s local_port=%u peer=%s:%u ec=%d max_rate=%d", c->call_id, c->mport,
		  m->addr, m->port,
		  m->t38.ec, m->t38.max_bit_rate);
}

static void deliver_ifp(void *ud, const uint8_t *ifp, size_t n, uint16_t seq)
{
	call_t *c = ud;
	faxcall_t38_rx(c->fc, ifp, n, seq);
}

static void play_audio(call_t *c)
{
	c->rx_unplayed = 0;
	uint8_t frame[RTP_FRAME_MAX];
	int16_t amp[RTP_FRAME_MAX];
	size_t n;
	int r;
	while ((r = rtp_jb_get(&c->jb, frame, &n)) >= 0) {
		if (r == 0) {
			faxcall_audio_rx(c->fc, NULL, SAMPLES_PER_TICK);
			continue;
		}
		g711tab_decode(amp, frame, n, c->pt == 8);
		faxcall_audio_rx(c->fc, amp, (int)n);
	}
}

#define MEDIA_BATCH 16

static void media_packet(call_t *c, const uint8_t *pkt, size_t n)
{
	if (c->media == MEDIA_AUDIO) {
		rtp_pkt_t p;
		if (rtp_parse(pkt, n, &p) != 0 || (p.pt != 0 && p.pt != 8)) {
			c->bad_media++;
			return;
		}
		if (p.pt != c->pt)
			c->pt = p.pt; /* follow the peer's law */
		c->last_rx_tick = c->ticks;
		c->last_rx_ms = now_ms();
		if (!c->ua->cfg->replay)
			rtp_jb_put(&c->jb, p.seq, p.payload, p.plen);
	} else if (c->media == MEDIA_T38) {
		udptl_pkt_t u;
		if (udptl_decode(pkt, n, &u) != 0) {
			rtp_pkt_t r;
			if (rtp_parse(pkt, n, &r) == 0 && (r.pt == 0 || r.pt == 8)) {
				c->stale_audio++; /* audio still in flight after the switch: expected */
				return;
			}
			if (c->bad_media++ % 50 == 0)
				log_event(LOG_WARN, "udptl_bad_packet", "call=%s len=%zu count=%u", c->call_id, n,
					  c->bad_media);
			return;
		}
		c->last_rx_tick = c->ticks;
		c->last_rx_ms = now_ms();
		udptl_rx_packet(&c->urx, &u, deliver_ifp, c);
	}
}

/* Drains the call's media socket: called once per media tick (timer-driven
 * media, as media servers do: one wake-up per 20 ms for every call, and one
 * recvmmsg for all the packets of a call). Audio goes into the jitter
 * buffer; T.38 IFPs go to spandsp (whose answers are queued, not sent). */
static void media_drain(call_t *c)
{
	static __thread uint8_t bufs[MEDIA_BATCH][2048];
	struct mmsghdr msgs[MEDIA_BATCH];
	struct iovec iov[MEDIA_BATCH];
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < MEDIA_BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
			msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		int n = recvmmsg(c->mfd, msgs, MEDIA_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		c->pkts_rx += (unsigned)n;
		if (c->state != CS_ENDED && c->fc) {
			for (int i = 0; i < n; i++)
				media_packet(c, bufs[i], msgs[i].msg_len);
			/* A burst from a late peer (a full batch) is played at once,
			 * so the buffer never holds more than a batch ahead; the usual
			 * packet or two is played by the tick's DSP step. */
			if (c->media == MEDIA_AUDIO && n == MEDIA_BATCH)
				play_audio(c);
		}
		if (n < MEDIA_BATCH)
			break;
	}
}

/* ---------- call lifecycle ---------- */

static void call_lock(call_t *c)
{
	if (c->ua->nworkers)
		pthread_mutex_lock(&c->lock);
}

static void call_unlock(call_t *c)
{
	if (c->ua->nworkers)
		pthread_mutex_unlock(&c->lock);
}

/* Hands a fully set-up call to its worker, which ticks it from now on. */
static void call_publish(call_t *c)
{
	worker_t *w = c->w;
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->calls[w->n++] = c;
	pthread_mutex_unlock(&w->lock);
}

/* Takes the call back from its worker (before freeing it). */
static void call_unpublish(call_t *c)
{
	worker_t *w = c->w;
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < w->n; i++) {
		if (w->calls[i] == c) {
			w->calls[i] = w->calls[--w->n];
			break;
		}
	}
	if (c->mux_keyed && w->mux)
		mediamux_del(w->mux, &c->mux_key, c);
	c->mux_keyed = 0;
	pthread_mutex_unlock(&w->lock);
	c->w = NULL;
}

static call_t *call_new(ua_t *ua, int outbound)
{
	call_t *c = xcalloc(1, sizeof *c);
	c->ua = ua;
	c->outbound = outbound;
	c->mfd = -1;
	c->rx_memfd = -1;
	c->pt = -1;
	buf_init(&c->ctx.msg, SIP_MSG_MAX);
	buf_init(&c->stx_resp, SIP_MSG_MAX);
	buf_init(&c->last_resp, SIP_MSG_MAX);
	buf_init(&c->ack, SIP_MSG_MAX);
	char h[17];
	rand_hex(h, 6);
	snprintf(c->ltag, sizeof c->ltag, "fv%s", h);
	c->sess_id = rand32();
	c->sess_ver = 1;
	c->ssrc = rand32();
	c->rtp_seq = (uint16_t)rand32();
	c->rtp_ts = rand32();
	fax_result_init(&c->res, outbound);
	c->res.start_ms = time_now_ms();
	c->seqno = ++ua->calls_started;
	c->ctx.next_ms = INT64_MAX;
	pthread_mutex_init(&c->lock, NULL);
	if (ua->nworkers)
		c->w = &ua->workers[ua->next_worker++ % ua->nworkers];
	return c;
}

static void call_free(call_t *c)
{
	if (!c)
		return;
	call_unpublish(c);
	if (c->mux_keyed && c->ua->mux)
		mediamux_del(c->ua->mux, &c->mux_key, c);
	pthread_mutex_destroy(&c->lock);
	faxcall_free(c->fc);
	if (c->mfd >= 0)
		close(c->mfd);
	if (c->rx_memfd >= 0)
		close(c->rx_memfd);
	free(c->rx_path);
	buf_free(&c->ctx.msg);
	buf_free(&c->stx_resp);
	buf_free(&c->last_resp);
	buf_free(&c->ack);
	free(c);
}

/* Puts the media socket in (on) or out of its loop's epoll set. Audio
 * brings a packet every 20 ms, so an audio call is drained at every tick
 * and its socket left out of epoll (which would only add a wake-up
 * callback per datagram and an event per tick); T.38 sends a packet now
 * and then, so a T.38 call is drained only when epoll says so. If epoll
 * refuses the socket, the call is drained at every tick. */
static void media_watch(call_t *c, int on)
{
	int epfd = c->w ? c->w->epfd : c->ua->epfd;
	if (c->mfd < 0)
		return;
	if (on && !c->in_epoll) {
		/* Level-triggered: a socket stays "ready" until drained. */
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->mfd, &ev) == 0)
			c->in_epoll = 1;
	} else if (!on && c->in_epoll) {
		if (epoll_ctl(epfd, EPOLL_CTL_DEL, c->mfd, NULL) == 0)
			c->in_epoll = 0;
	}
	c->drain_always = !on || !c->in_epoll;
}

/* Whether another call of c's loop on the shared socket (ended ones
 * included, while they linger) has peer as its media address: datagrams
 * from there could not tell the two calls apart. Called on the SIP thread,
 * the only writer of mfd and mpeer, so it reads them without the other
 * calls' locks (it may hold c's: never two call locks at once). */
static int mux_peer_taken(const call_t *c, const struct sockaddr_in *peer)
{
	ua_t *ua = c->ua;
	for (int i = 0; i < ua->ncalls; i++) {
		const call_t *o = ua->calls[i];
		if (o != c && o->w == c->w && o->mfd < 0 && o->mpeer.sin_port &&
		    o->mpeer.sin_addr.s_addr == peer->sin_addr.s_addr && o->mpeer.sin_port == peer->sin_port)
			return 1;
	}
	return 0;
}

/* The call's media socket: its loop's shared one (cfg->media_shared),
 * unless the peer's offered address (offer, when known) is already another
 * call's there, or a socket of its own. */
static int call_open_media(call_t *c, const struct sockaddr_in *offer)
{
	mediamux_t *mx = call_mux(c);
	if (mx && !(offer && mux_peer_taken(c, offer))) {
		c->mfd = -1;
		c->mport = mx->port;
		return 0;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET};
	inet_pton(AF_INET, c->local_ip, &sa.sin_addr);
	c->mfd = udp_bind(&sa);
	if (c->mfd < 0)
		return -1;
	socklen_t sl = sizeof sa;
	getsockname(c->mfd, (struct sockaddr *)&sa, &sl);
	c->mport = ntohs(sa.sin_port);
	media_watch(c, 1);
	return 0;
}

static void call_make_faxcall(call_t *c, const char *rx_file)
{
	const line_cfg_t *cfg = c->ua->cfg;
	faxcall_cfg_t fcfg = {
		.caller = c->outbound,
		.tx_file = c->outbound ? c->ua->tx_file : NULL,
		.rx_file = rx_file,
		.ecm = cfg->ecm,
		.max_rate = cfg->max_rate,
		.ident = (!c->outbound && cfg->ident_called && c->res.to_user[0] &&
			  strlen(c->res.to_user) <= 20) ? c->res.to_user : cfg->ident,
		.header = cfg->header,
		.call_id = c->call_id,
		.res = &c->res,
		.first_page = c->outbound ? cfg->first_page : 0,
		.last_page = c->outbound ? cfg->last_page : 0,
		.on_page = cfg->on_page,
		.page_ud = cfg->page_ud,
	};
	c->fc = faxcall_new(&fcfg);
}

/* Copies the received TIFF from its memory file to rx_path (0600): done
 * once, on the SIP thread, after the call ended. 0 / -1 (logged). */
static int rx_file_save(call_t *c)
{
	int out = open(c->rx_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		log_event(LOG_ERROR, "rx_file_failed", "call=%s errno=%d", c->call_id, errno);
		return -1;
	}
	uint8_t buf[65536];
	off_t off = 0;
	int rc = 0;
	for (;;) {
		ssize_t n = pread(c->rx_memfd, buf, sizeof buf, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -1 : 0;
			break;
		}
		if (fd_write_all(out, buf, (size_t)n) != 0) {
			rc = -1;
			break;
		}
		off += n;
	}
	if (close(out) != 0)
		rc = -1;
	if (rc != 0) {
		log_event(LOG_ERROR, "rx_file_failed", "call=%s errno=%d", c->call_id, errno);
		unlink(c->rx_path);
	}
	return rc;
}

/* Where spandsp writes a received TIFF: a memory file when the kernel has
 * them (the final copy is made by rx_file_save), else path itself. Fills
 * spandsp_path (n bytes). */
static void rx_file_open(call_t *c, const char *path, char *spandsp_path, size_t n)
{
	snprintf(spandsp_path, n, "%s", path);
	if (c->ua->cfg->rx_durable)
		return; /* every page on disk before it is confirmed */
	c->rx_memfd = memfd_create("faxvault-rx", MFD_CLOEXEC);
	if (c->rx_memfd < 0)
		return;
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", c->rx_memfd);
	if (access(p, W_OK) != 0) { /* no /proc: write the file directly */
		close(c->rx_memfd);
		c->rx_memfd = -1;
		return;
	}
	c->rx_path = xstrdup(path);
	snprintf(spandsp_path, n, "%s", p);
}

/* A memory copy of the document to send, read once before dialling:
 * spandsp then reads its pages (on the media clock) without file I/O, and
 * every call of the engine shares it. Returns the memory file (its path in
 * out, n bytes) or -1 when it cannot (then spandsp reads tiff itself). */
static int tx_file_load(const char *tiff, char *out, size_t n)
{
	int in = open(tiff, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int mfd = memfd_create("faxvault-tx", MFD_CLOEXEC);
	uint8_t buf[65536];
	int rc = mfd < 0 ? -1 : 0;
	while (rc == 0) {
		ssize_t r = read(in, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -1 : 0;
			break;
		}
		rc = fd_write_all(mfd, buf, (size_t)r);
	}
	close(in);
	if (rc == 0) {
		snprintf(out, n, "/proc/self/fd/%d", mfd);
		if (access(out, R_OK) == 0)
			return mfd;
	}
	if (mfd >= 0)
		close(mfd);
	return -1;
}

/* The call is over: close the result, report it, linger for retransmissions. */
static void call_end(call_t *c)
{
	if (c->state == CS_ENDED)
		return;
	c->state = CS_ENDED;
	if (c->fc && !faxcall_finished(c->fc) && c->res.answered)
		faxcall_hangup(c->fc);
	if (c->mfd >= 0) {
		close(c->mfd);
		c->mfd = -1;
	}
	c->res.duration_ms = time_now_ms() - c->res.start_ms;
	c->res.bad_packets = c->bad_media;
	c->res.lost_frames = c->jb.lost;
	c->res.late_frames = c->jb.late;
	c->res.ifp_recovered = c->urx.recovered;
	c->res.ifp_lost = c->urx.lost;
	c->res.packets_sent = c->pkts_tx;
	c->res.packets_received = c->pkts_rx;
	snprintf(c->res.call_id, sizeof c->res.call_id, "%s", c->call_id);
	/* T.30 is over: release spandsp now, which closes its TIFF, so the
	 * received file is complete before the result is reported. */
	faxcall_free(c->fc);
	c->fc = NULL;
	fax_result_classify(&c->res);
	c->linger_until_ms = now_ms() + CALL_LINGER_MS;
	c->ctx.active = 0;
	log_event(c->res.ok ? LOG_INFO : LOG_WARN, "call_end",
		  "call=%s ok=%d class=%s pages_confirmed=%d pages_received=%d transport=%s t30_code=%d",
		  c->call_id, c->res.ok, c->res.ok ? "-" : c->res.fail_class, c->res.pages_confirmed,
		  c->res.pages_received, c->res.transport[0] ? c->res.transport : "-", c->res.t30_code);
	if (!c->reported)
		c->report_pending = 1; /* call_report, once the lock is released */
}

/* Saves the received TIFF and reports the result of a call that ended: on
 * the engine's SIP thread, without the call's lock (its media worker no
 * longer touches an ended call), so neither the copy nor the caller's
 * callback (which may store or encrypt the document) holds up the media
 * clock of the other calls. */
static void call_report(call_t *c)
{
	if (!c->report_pending)
		return;
	c->report_pending = 0;
	if (c->rx_memfd >= 0) {
		if (c->res.pages_received > 0 && rx_file_save(c) != 0)
			c->res.file[0] = '\0';
		close(c->rx_memfd);
		c->rx_memfd = -1;
	}
	c->reported = 1;
	c->ua->calls_ended++;
	if (c->ua->cb)
		c->ua->cb(c->ua->cb_ud, &c->res);
}

static void call_send_bye(call_t *c)
{
	if (c->state != CS_UP)
		return;
	if (c->fc && !faxcall_finished(c->fc))
		faxcall_hangup(c->fc);
	c->state = CS_BYE_SENT;
	ctx_start(c, "BYE", c->remote_target, ++c->lcseq, NULL, NULL);
	c->ctx.deadline_ms = now_ms() + BYE_WAIT_MS;
}

static void call_offer_t38(call_t *c)
{
	buf_t sdp;
	buf_init(&sdp, SDP_MAX);
	c->sess_ver++;
	make_sdp(c, &sdp, 1, NULL);
	c->t38_tried = 1;
	ctx_start(c, "INVITE", c->remote_target, ++c->lcseq, NULL, sdp.data);
	c->ctx.t38_offer = 1;
	buf_free(&sdp);
	log_event(LOG_INFO, "t38_offer", "call=%s", c->call_id);
}

static void call_refresh(call_t *c)
{
	buf_t sdp;
	buf_init(&sdp, SDP_MAX);
	make_sdp(c, &sdp, c->media == MEDIA_T38, NULL);
	ctx_start(c, "INVITE", c->remote_target, ++c->lcseq, "Session-Expires: 90;refresher=uac\r\n", sdp.data);
	buf_free(&sdp);
	log_event(LOG_INFO, "session_refresh", "call=%s media=%s", c->call_id, c->media == MEDIA_T38 ? "t38" : "g711");
}

/* Gives up an outbound call not answered yet: CANCEL when the INVITE is out
 * (same branch, RFC 3261 §9.1), then the call ends (class no_answer). */
static void call_cancel(call_t *c)
{
	if (c->ctx.active && strcmp(c->ctx.method, "INVITE") == 0) {
		buf_t b;
		buf_init(&b, SIP_MSG_MAX);
		build_request(c, &b, "CANCEL", c->req_uri, c->ctx.cseq, c->ctx.branch, NULL, NULL);
		sip_send(c->ua, &c->peer, &b, c->call_id);
		buf_free(&b);
		log_event(LOG_INFO, "sip_cancel", "call=%s", c->call_id);
		c->res.sip_status = 487;
		c->ua->linger_ms = 2000; /* stay to ACK the 487 */
	}
	call_end(c);
}

/* The peer sent nothing for ms of wall-clock time too: with a sped-up
 * clock, call time alone would mistake a descheduled peer for a silent one. */
static int peer_silent(const call_t *c, int64_t ms)
{
	return now_ms() - c->last_rx_ms > ms;
}

/* cfg->record_path: keeps one frame of the first call's sent audio (the
 * call's worker appends; the file is written after the workers stopped). */
static void record_frame(ua_t *ua, const uint8_t *frame)
{
	if (ua->rec_len + SAMPLES_PER_TICK > ua->rec_cap) {
		size_t cap = ua->rec_cap ? ua->rec_cap * 2 : 64 * 1024;
		ua->rec = xrealloc(ua->rec, cap);
		ua->rec_cap = cap;
	}
	memcpy(ua->rec + ua->rec_len, frame, SAMPLES_PER_TICK);
	ua->rec_len += SAMPLES_PER_TICK;
}

static void record_save(ua_t *ua)
{
	const char *path = ua->cfg->record_path;
	if (!path)
		return;
	FILE *f = fopen(path, "wb");
	int ok = f != NULL;
	if (f) {
		ok = (ua->rec_len == 0 || fwrite(ua->rec, 1, ua->rec_len, f) == ua->rec_len);
		ok = fclose(f) == 0 && ok;
	}
	if (!ok)
		log_event(LOG_WARN, "record_failed", "call=- path=%s", path);
	else
		log_event(LOG_INFO, "record_saved", "call=- path=%s frames=%zu", path, ua->rec_len / SAMPLES_PER_TICK);
	free(ua->rec);
	ua->rec = NULL;
}

/* Receive step of a tick: the call's datagrams, read without DSP. */
static void call_receive(call_t *c)
{
	if (c->state != CS_UP || !c->fc)
		return;
	if (c->media_ready || c->drain_always) {
		c->media_ready = 0;
		media_drain(c);
	}
}

/* DSP step of a tick: one 20 ms step of the call's media clock. What it
 * makes to send is queued for the next tick's send step. */
static void call_tick(call_t *c)
{
	const line_cfg_t *cfg = c->ua->cfg;
	if (c->state != CS_UP || !c->fc)
		return;
	c->ticks++;
	if (c->media == MEDIA_AUDIO) {
		uint8_t pl[SAMPLES_PER_TICK];
		if (cfg->replay) {
			size_t k = (size_t)(c->ticks - 1);
			if (k < cfg->replay_frames)
				memcpy(pl, cfg->replay + k * SAMPLES_PER_TICK, SAMPLES_PER_TICK);
			else
				memset(pl, c->pt == 8 ? 0xD5 : 0xFF, sizeof pl);
		} else {
			int16_t amp[SAMPLES_PER_TICK];
			play_audio(c);
			faxcall_audio_tx(c->fc, amp, SAMPLES_PER_TICK);
			g711tab_encode(pl, amp, SAMPLES_PER_TICK, c->pt == 8);
		}
		if (cfg->record_path && c->seqno == 1)
			record_frame(c->ua, pl);
		rtp_pkt_t p = {.pt = (uint8_t)(c->pt < 0 ? 0 : c->pt), .seq = c->rtp_seq++, .ts = c->rtp_ts,
			       .ssrc = c->ssrc, .payload = pl, .plen = SAMPLES_PER_TICK};
		c->rtp_ts += SAMPLES_PER_TICK;
		uint8_t *pkt = outq_room(c, RTP_HDR_MIN + SAMPLES_PER_TICK);
		size_t n = rtp_build(pkt, RTP_HDR_MIN + SAMPLES_PER_TICK, &p);
		if (n)
			outq_commit(c, n);
		/* The peer's audio stopped: keep T.30 timers running with fill-in. */
		if (!cfg->replay && c->ticks - c->last_rx_tick > ms_to_ticks(FILLIN_AFTER_MS) &&
		    peer_silent(c, FILLIN_AFTER_MS))
			faxcall_audio_rx(c->fc, NULL, SAMPLES_PER_TICK);
		if (!c->t38_tried && cfg->t38 == 1 && faxcall_tone_heard(c->fc)) {
			if (!c->tone_tick)
				c->tone_tick = c->ticks;
			int64_t wait = c->outbound ? ms_to_ticks(CALLER_T38_DELAY_MS) : 0;
			if (c->ticks - c->tone_tick >= wait && c->ticks >= c->t38_retry_tick && !c->ctx.active)
				call_offer_t38(c);
		}
	} else if (c->media == MEDIA_T38) {
		faxcall_t38_tick(c->fc, SAMPLES_PER_TICK);
	}
	if (c->ticks - c->last_rx_tick > ms_to_ticks(MEDIA_SILENCE_MS) && peer_silent(c, MEDIA_SILENCE_MS)) {
		log_event(LOG_WARN, "media_silence", "call=%s", c->call_id);
		c->res.network_error = 1;
		call_send_bye(c);
		return;
	}
	if (cfg->refresh_ms > 0 && c->outbound && c->ticks >= c->next_refresh_tick && !c->ctx.active) {
		if (c->next_refresh_tick)
			call_refresh(c);
		c->next_refresh_tick = c->ticks + ms_to_ticks(cfg->refresh_ms);
	}
	if (cfg->drop_after_pages > 0 && !c->outbound && c->res.pages_received >= cfg->drop_after_pages) {
		if (!c->drop_tick)
			c->drop_tick = c->ticks + ms_to_ticks(3000);
		else if (c->ticks >= c->drop_tick) {
			log_event(LOG_INFO, "test_drop", "call=%s pages=%d", c->call_id, c->res.pages_received);
			call_send_bye(c);
			return;
		}
	}
	if (cfg->max_call_ms > 0 && c->ticks > ms_to_ticks(cfg->max_call_ms)) {
		log_event(LOG_WARN, "call_too_long", "call=%s", c->call_id);
		call_send_bye(c);
		return;
	}
	if (faxcall_finished(c->fc))
		call_send_bye(c);
}

/* ---------- incoming responses ---------- */

static void send_ack_non2xx(call_t *c, const sip_msg_t *resp)
{
	/* ACK for a non-2xx final: same branch, To from the response. */
	buf_t b;
	buf_init(&b, SIP_MSG_MAX);
	const sip_str_t *to = sip_msg_header(resp, "To");
	buf_printf(&b, "ACK %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%u;branch=%s;rport\r\nMax-Forwards: 70\r\n", c->req_uri,
		   via_proto(c->ua), c->local_ip, sip_port(c), c->ctx.branch);
	buf_printf(&b, "From: <%s>;tag=%s\r\n", c->local_uri, c->ltag);
	if (to)
		buf_printf(&b, "To: %.*s\r\n", (int)to->n, to->p);
	buf_printf(&b, "Call-ID: %s\r\nCSeq: %u ACK\r\nContent-Length: 0\r\n\r\n", c->call_id, c->ctx.cseq);
	sip_send(c->ua, &c->peer, &b, c->call_id);
	buf_free(&b);
}

static void send_ack_2xx(call_t *c, uint32_t cseq)
{
	char branch[48];
	new_branch(branch);
	build_request(c, &c->ack, "ACK", c->remote_target, cseq, branch, NULL, NULL);
	sip_send(c->ua, &c->peer, &c->ack, c->call_id);
}

#define ROUTES_MAX 8

/* The route set of the dialog (RFC 3261 §12.1): Record-Route entries of the
 * INVITE in order (we answer) or of the 2xx reversed (we called). In-dialog
 * requests then carry Route and go to the first route (loose routing). */
static void learn_routes(call_t *c, const sip_msg_t *m)
{
	char ent[ROUTES_MAX][256];
	int n = 0;
	for (size_t k = 0; k < m->nhdrs && n < ROUTES_MAX; k++) {
		if (!sip_str_eq(m->hdrs[k].name, "Record-Route"))
			continue;
		sip_str_t v = m->hdrs[k].value;
		size_t start = 0;
		int angle = 0;
		for (size_t i = 0; i <= v.n && n < ROUTES_MAX; i++) {
			if (i < v.n && v.p[i] == '<')
				angle = 1;
			else if (i < v.n && v.p[i] == '>')
				angle = 0;
			if (i == v.n || (v.p[i] == ',' && !angle)) {
				sip_str_t e = {v.p + start, i - start};
				while (e.n && (e.p[0] == ' ' || e.p[0] == '\t')) {
					e.p++;
					e.n--;
				}
				while (e.n && (e.p[e.n - 1] == ' ' || e.p[e.n - 1] == '\t'))
					e.n--;
				if (e.n && e.n < sizeof ent[0] && e.p[0] == '<')
					copy_str(ent[n++], sizeof ent[0], e);
				start = i + 1;
			}
		}
	}
	if (n == 0)
		return;
	buf_t b;
	buf_init(&b, sizeof c->route - 1);
	for (int i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", ent[c->outbound ? n - 1 - i : i]);
	const char *first = ent[c->outbound ? n - 1 : 0];
	sip_str_t u = sip_addr_uri((sip_str_t){first, strlen(first)}), user, host;
	uint16_t port;
	char hp[300];
	struct sockaddr_in dst;
	if (b.data && sip_uri_parse(u, &user, &host, &port) == 0 && host.n < 256 &&
	    snprintf(hp, sizeof hp, "%.*s:%u", (int)host.n, host.p, port) > 0 && parse_hostport(hp, &dst) == 0) {
		snprintf(c->route, sizeof c->route, "%s", b.data);
		c->peer = dst;
		sip_str_t lr;
		if (sip_param(u, "lr", &lr) != 0)
			log_event(LOG_WARN, "sip_strict_route", "call=%s (treated as loose)", c->call_id);
		log_event(LOG_INFO, "sip_route_set", "call=%s routes=%d", c->call_id, n);
	} else {
		log_event(LOG_WARN, "sip_bad_route", "call=%s", c->call_id);
	}
	buf_free(&b);
}

static void learn_dialog(call_t *c, const sip_msg_t *m)
{
	learn_routes(c, m);
	const sip_str_t *to = sip_msg_header(m, "To");
	sip_str_t tag;
	if (to && sip_param(*to, "tag", &tag) == 0 && !c->rtag[0])
		copy_str(c->rtag, sizeof c->rtag, tag);
	const sip_str_t *ct = sip_msg_header(m, "Contact");
	if (ct) {
		sip_str_t u = sip_addr_uri(*ct), user, host;
		uint16_t port;
		if (u.n && sip_uri_parse(u, &user, &host, &port) == 0)
			copy_str(c->remote_target, sizeof c->remote_target, u);
	}
}

static void on_invite_answered(call_t *c, const sip_msg_t *m)
{
	sdp_t sdp;
	if (sdp_parse((const uint8_t *)m->body.p, m->body.n, &sdp) != 0) {
		log_event(LOG_WARN, "sdp_bad_answer", "call=%s", c->call_id);
		c->res.answered = 1;
		c->state = CS_UP;
		call_send_bye(c);
		return;
	}
	int pt, ai = sdp_find_audio(&sdp, &pt), ti = sdp_find_t38(&sdp);
	if (ai >= 0) {
		media_audio(c, &sdp.m[ai], pt);
	} else if (ti >= 0 && c->ua->cfg->t38) {
		media_t38(c, &sdp.m[ti]);
	} else {
		log_event(LOG_WARN, "sdp_no_media", "call=%s", c->call_id);
		c->res.answered = 1;
		c->state = CS_UP;
		call_send_bye(c);
		return;
	}
	c->res.answered = 1;
	c->state = CS_UP;
	if (c->mfd < 0 && mux_peer_taken(c, &c->mpeer)) {
		/* Our shared socket cannot tell this call's media from another's. */
		log_event(LOG_WARN, "media_peer_in_use", "call=%s", c->call_id);
		c->res.network_error = 1;
		call_send_bye(c);
	}
}

static void on_reinvite_answered(call_t *c, const sip_msg_t *m)
{
	sdp_t sdp;
	if (m->body.n == 0 || sdp_parse((const uint8_t *)m->body.p, m->body.n, &sdp) != 0)
		return;
	int ti = sdp_find_t38(&sdp);
	if (c->ctx.t38_offer) {
		if (ti >= 0)
			media_t38(c, &sdp.m[ti]);
		else
			log_event(LOG_WARN, "t38_offer_declined_in_200", "call=%s", c->call_id);
	} else if (c->media == MEDIA_T38 && ti >= 0) {
		set_mpeer(c, &sdp.m[ti]); /* a refresh: same media, maybe a new address */
	}
}

static void handle_response(ua_t *ua, call_t *c, const sip_msg_t *m)
{
	uint32_t cseq;
	sip_str_t meth;
	if (sip_cseq(m, &cseq, &meth) != 0)
		return;
	if (sip_str_eq(meth, "INVITE") && m->status >= 200 && m->status < 300 && c->ack.len &&
	    (!c->ctx.active || c->ctx.cseq != cseq)) {
		sip_send(ua, &c->peer, &c->ack, c->call_id); /* 2xx retransmitted: ACK again */
		return;
	}
	ctxn_t *t = &c->ctx;
	if (!t->active && t->cseq == cseq && sip_str_eq(meth, "INVITE") && strcmp(t->method, "INVITE") == 0 &&
	    m->status >= 300) {
		send_ack_non2xx(c, m); /* the 487 after our CANCEL (or a retransmitted final) */
		return;
	}
	if (!t->active || t->cseq != cseq || !sip_str_eq(meth, t->method))
		return;
	int is_invite = strcmp(t->method, "INVITE") == 0;
	int initial = is_invite && c->state == CS_INVITING;
	if (m->status < 200) {
		t->next_ms = INT64_MAX; /* provisional: stop retransmitting (timer A) */
		if (initial) {
			t->deadline_ms = INT64_MAX;
			if (!c->ring_deadline_ms)
				c->ring_deadline_ms = now_ms() + ua->cfg->ring_ms;
		}
		return;
	}
	log_event(LOG_INFO, "sip_response", "call=%s method=%s cseq=%u status=%d", c->call_id, t->method, cseq,
		  m->status);
	t->active = 0;
	if (initial) {
		c->res.sip_status = m->status;
		if (m->status < 300) {
			learn_dialog(c, m);
			send_ack_2xx(c, cseq);
			on_invite_answered(c, m);
			return;
		}
		send_ack_non2xx(c, m);
		if ((m->status == 401 || m->status == 407) && ua->cfg->user && ua->cfg->password &&
		    c->auth_tries == 0) {
			const sip_str_t *ch = sip_msg_header(m, m->status == 401 ? "WWW-Authenticate"
										 : "Proxy-Authenticate");
			if (ch && digest_parse(*ch, &c->chal) == 0) {
				c->auth_tries++;
				c->auth_proxy = m->status == 407;
				buf_t extra, sdp;
				buf_init(&extra, 2048);
				buf_init(&sdp, SDP_MAX);
				char cnonce[17];
				rand_hex(cnonce, 8);
				buf_puts(&extra, c->auth_proxy ? "Proxy-Authorization: " : "Authorization: ");
				digest_answer(&extra, &c->chal, ua->cfg->user, ua->cfg->password, "INVITE", c->req_uri,
					      cnonce, 1);
				buf_puts(&extra, "\r\n");
				make_sdp(c, &sdp, 0, NULL);
				c->rtag[0] = '\0';
				ctx_start(c, "INVITE", c->req_uri, ++c->lcseq, extra.data, sdp.data);
				buf_free(&extra);
				buf_free(&sdp);
				return;
			}
		}
		call_end(c);
		return;
	}
	if (is_invite) {
		/* re-INVITE */
		if (m->status < 300) {
			send_ack_2xx(c, cseq);
			on_reinvite_answered(c, m);
		} else {
			send_ack_non2xx(c, m);
			if (t->t38_offer) {
				if (m->status == 488 || m->status == 606 || m->status == 415 || m->status == 501) {
					c->res.t38_refused = 1;
					log_event(LOG_INFO, "t38_refused", "call=%s status=%d stay=g711", c->call_id,
						  m->status);
				} else if (m->status == 491 && !c->outbound) {
					c->t38_tried = 0; /* glare: the answerer tries again shortly */
					c->t38_retry_tick = c->ticks + ms_to_ticks(1000);
				}
			} else if (m->status == 481 || m->status == 408) {
				c->res.network_error = 1;
				call_send_bye(c);
			}
		}
		t->t38_offer = 0;
		return;
	}
	if (strcmp(t->method, "BYE") == 0) {
		call_end(c);
		return;
	}
	if (strcmp(t->method, "CANCEL") == 0)
		return; /* the INVITE gets its 487 */
}

/* ---------- incoming requests ---------- */

static call_t *find_call(ua_t *ua, sip_str_t call_id)
{
	for (int i = 0; i < ua->ncalls; i++)
		if (sip_str_eq(call_id, ua->calls[i]->call_id) && strlen(ua->calls[i]->call_id) == call_id.n)
			return ua->calls[i];
	return NULL;
}

static void respond(ua_t *ua, const struct sockaddr_in *to, const sip_msg_t *req, int status, const char *tag,
		    const char *contact, const char *body, buf_t *keep)
{
	buf_t b;
	buf_init(&b, SIP_MSG_MAX);
	sip_build_response(&b, req, status, tag, contact, body);
	ua_xmit(ua, to, b.data, b.len);
	if (keep) {
		buf_reset(keep);
		buf_append(keep, b.data, b.len);
	}
	buf_free(&b);
}

/* Where responses go: the Via sent-by, or the source with rport (RFC 3581). */
static void response_target(const sip_msg_t *m, const struct sockaddr_in *src, struct sockaddr_in *out)
{
	*out = *src;
	(void)m; /* symmetric response routing: always reply to the source */
}

/* Our 200 is out: the call is up (media runs from now, before the ACK). */
static void call_answered(call_t *c)
{
	c->state = CS_UP;
	c->res.answered = 1;
	c->res.sip_status = 200;
}

/* The user part of a header's URI (sip:, sips: or tel:), else its value
 * up to ';'. */
static int header_user(const sip_msg_t *m, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	const sip_str_t *h = sip_msg_header(m, name);
	if (!h || h->n == 0 || cap == 0)
		return -1;
	sip_str_t uri = sip_addr_uri(*h), uu, uh;
	uint16_t up;
	if (uri.n > 4 && strncasecmp(uri.p, "tel:", 4) == 0) {
		size_t n = 4;
		while (n < uri.n && uri.p[n] != ';')
			n++;
		copy_user(out, cap, uri.p + 4, n - 4);
	} else if (uri.n > 4 && (strncasecmp(uri.p, "sip:", 4) == 0 || strncasecmp(uri.p, "sips:", 5) == 0) &&
		   sip_uri_parse(uri, &uu, &uh, &up) == 0) {
		copy_user(out, cap, uu.p, uu.n);
	} else {
		size_t n = 0;
		while (n < h->n && h->p[n] != ';')
			n++;
		copy_user(out, cap, h->p, n);
	}
	return out[0] ? 0 : -1;
}

int line_invite_header_user(const line_invite_t *inv, const char *name, char *out, size_t cap)
{
	if (!inv || !inv->msg || !name || !out || cap == 0)
		return -1;
	return header_user(inv->msg, name, out, cap);
}

static int copy_raw(sip_str_t v, char *out, size_t cap)
{
	if (!out || cap == 0)
		return -1;
	out[0] = '\0';
	if (v.n >= cap)
		return -1;
	for (size_t i = 0; i < v.n; i++)
		if (((unsigned char)v.p[i] < 0x20 && v.p[i] != '\t') || (unsigned char)v.p[i] > 0x7e)
			return -1;
	memcpy(out, v.p, v.n);
	out[v.n] = '\0';
	return 0;
}

int line_invite_header(const line_invite_t *inv, const char *name, char *out, size_t cap)
{
	const sip_str_t *h = inv && inv->msg && name ? sip_msg_header(inv->msg, name) : NULL;
	if (!h)
		return -1;
	return copy_raw(*h, out, cap);
}

int line_invite_ruri(const line_invite_t *inv, char *out, size_t cap)
{
	if (!inv || !inv->msg)
		return -1;
	return copy_raw(((const sip_msg_t *)inv->msg)->uri, out, cap);
}

static void invite_info(const sip_msg_t *m, const struct sockaddr_in *src, line_invite_t *inv)
{
	memset(inv, 0, sizeof *inv);
	inet_ntop(AF_INET, &src->sin_addr, inv->src_ip, sizeof inv->src_ip);
	inv->src_port = ntohs(src->sin_port);
	sip_str_t uu, uh;
	uint16_t up;
	if (m->uri.n > 4 && strncasecmp(m->uri.p, "tel:", 4) == 0) {
		size_t n = 4;
		while (n < m->uri.n && m->uri.p[n] != ';')
			n++;
		copy_user(inv->ruri_user, sizeof inv->ruri_user, m->uri.p + 4, n - 4);
	} else if (sip_uri_parse(m->uri, &uu, &uh, &up) == 0) {
		copy_user(inv->ruri_user, sizeof inv->ruri_user, uu.p, uu.n);
	}
	header_user(m, "To", inv->to_user, sizeof inv->to_user);
	header_user(m, "From", inv->from_user, sizeof inv->from_user);
	header_user(m, "P-Asserted-Identity", inv->pai_user, sizeof inv->pai_user);
	inv->msg = m;
	memcpy(inv->called, inv->ruri_user, sizeof inv->called);
	memcpy(inv->caller, inv->from_user, sizeof inv->caller);
}

static void handle_new_invite(ua_t *ua, const sip_msg_t *m, const struct sockaddr_in *src)
{
	struct sockaddr_in to;
	response_target(m, src, &to);
	const line_cfg_t *cfg = ua->cfg;
	int active = 0;
	for (int i = 0; i < ua->ncalls; i++)
		if (ua->calls[i]->state != CS_ENDED)
			active++;
	if (ua->stopping) {
		respond(ua, &to, m, 503, NULL, NULL, NULL, NULL);
		return;
	}
	if (ua->ncalls >= LINE_CALLS_MAX || (cfg->calls > 0 && ua->calls_started >= cfg->calls) ||
	    active >= LINE_CALLS_MAX / 2) {
		respond(ua, &to, m, 486, NULL, NULL, NULL, NULL);
		return;
	}
	sdp_t offer;
	/* No SDP: we make the offer in the 200 and expect the answer in the
	 * ACK (RFC 3261 §13.2.1). */
	int no_offer = m->body.n == 0;
	if (!no_offer && sdp_parse((const uint8_t *)m->body.p, m->body.n, &offer) != 0) {
		log_event(LOG_WARN, "sip_invite_bad_sdp", "call=- len=%zu", m->body.n);
		respond(ua, &to, m, 400, NULL, NULL, NULL, NULL);
		return;
	}
	int pt = -1, ai = -1, ti = -1;
	if (!no_offer) {
		ai = sdp_find_audio(&offer, &pt);
		ti = sdp_find_t38(&offer);
	}
	int use_t38 = 0;
	if (ai < 0 && !no_offer) {
		if (ti >= 0 && cfg->t38) {
			use_t38 = 1;
		} else {
			respond(ua, &to, m, 488, NULL, NULL, NULL, NULL);
			return;
		}
	}
	/* Who is called and who calls: the user parts of the Request-URI
	 * (the To header's when the Request-URI has none) and of From. */
	char to_user[64] = "", from_user[64] = "";
	sip_str_t uu, uh;
	uint16_t up;
	if (sip_uri_parse(m->uri, &uu, &uh, &up) == 0 && uu.n)
		copy_user(to_user, sizeof to_user, uu.p, uu.n);
	else if (sip_uri_parse(sip_addr_uri(*sip_msg_header(m, "To")), &uu, &uh, &up) == 0)
		copy_user(to_user, sizeof to_user, uu.p, uu.n);
	if (sip_uri_parse(sip_addr_uri(*sip_msg_header(m, "From")), &uu, &uh, &up) == 0)
		copy_user(from_user, sizeof from_user, uu.p, uu.n);
	char path[1024] = "";
	void *call_ud = NULL;
	if (cfg->accept_ex) {
		line_invite_t inv;
		invite_info(m, src, &inv);
		int st = cfg->accept_ex(cfg->accept_ud, &inv, path, sizeof path, &call_ud);
		if (st != 0) {
			if (st < 400 || st > 699)
				st = 500;
			log_event(LOG_INFO, "sip_invite_refused", "call=- status=%d", st);
			char extra[sizeof inv.challenge + 32] = "";
			if (st == 503 && inv.retry_after > 0)
				snprintf(extra, sizeof extra, "Retry-After: %d\r\n", inv.retry_after);
			inv.challenge[sizeof inv.challenge - 1] = '\0';
			if (st == 401 && inv.challenge[0] && !strpbrk(inv.challenge, "\r\n"))
				snprintf(extra, sizeof extra, "WWW-Authenticate: %s\r\n", inv.challenge);
			buf_t b;
			buf_init(&b, SIP_MSG_MAX);
			sip_build_response_hdrs(&b, m, st, NULL, NULL, NULL, extra[0] ? extra : NULL);
			ua_xmit(ua, &to, b.data, b.len);
			buf_free(&b);
			return;
		}
		inv.called[sizeof inv.called - 1] = '\0';
		inv.caller[sizeof inv.caller - 1] = '\0';
		copy_user(to_user, sizeof to_user, inv.called, strlen(inv.called));
		copy_user(from_user, sizeof from_user, inv.caller, strlen(inv.caller));
		path[sizeof path - 1] = '\0';
	} else if (cfg->accept) {
		int st = cfg->accept(cfg->accept_ud, to_user, from_user, path, sizeof path, &call_ud);
		if (st != 0) {
			if (st < 400 || st > 699)
				st = 500;
			log_event(LOG_INFO, "sip_invite_refused", "call=- status=%d", st);
			respond(ua, &to, m, st, NULL, NULL, NULL, NULL);
			return;
		}
		path[sizeof path - 1] = '\0';
	}
	call_t *c = call_new(ua, 0);
	c->res.call_ud = call_ud;
	memcpy(c->res.to_user, to_user, sizeof to_user);
	memcpy(c->res.from_user, from_user, sizeof from_user);
	copy_str(c->call_id, sizeof c->call_id, *sip_msg_header(m, "Call-ID"));
	const sip_str_t *from = sip_msg_header(m, "From"), *toh = sip_msg_header(m, "To");
	sip_str_t tag;
	if (sip_param(*from, "tag", &tag) == 0)
		copy_str(c->rtag, sizeof c->rtag, tag);
	copy_str(c->remote_uri, sizeof c->remote_uri, sip_addr_uri(*from));
	copy_str(c->local_uri, sizeof c->local_uri, sip_addr_uri(*toh));
	copy_str(c->remote_target, sizeof c->remote_target, sip_addr_uri(*from));
	c->peer = *src;
	c->resp_to = *src;
	learn_dialog(c, m);
	sip_cseq(m, &c->rcseq, NULL);
	c->lcseq = rand32() % 10000;
	local_ip_toward(src, &ua->bound, c->local_ip);
	char qcid[160];
	log_event(LOG_INFO, "sip_invite", "call=%s from=%s t38_offer=%d", qs(c->call_id, qcid, sizeof qcid),
		  c->remote_uri[0] ? "present" : "-", ti >= 0);
	struct sockaddr_in offered = {.sin_family = AF_INET};
	const sdp_media_t *om = ai >= 0 ? &offer.m[ai] : ti >= 0 ? &offer.m[ti] : NULL;
	int have_offer = om && inet_pton(AF_INET, om->addr, &offered.sin_addr) == 1;
	offered.sin_port = htons(have_offer ? om->port : 0);
	if (call_open_media(c, have_offer ? &offered : NULL) != 0) {
		respond(ua, &to, m, 500, c->ltag, NULL, NULL, NULL);
		/* Accepted calls are always reported (the caller's call_ud). */
		c->res.sip_status = 500;
		c->res.network_error = 1;
		call_end(c);
		call_report(c);
		call_free(c);
		return;
	}
	if (path[0]) {
		size_t pl = strlen(path) < sizeof c->res.file - 1 ? strlen(path) : sizeof c->res.file - 1;
		memcpy(c->res.file, path, pl);
		c->res.file[pl] = 0;
	} else if (cfg->out_dir) {
		char safe[48];
		size_t k = 0;
		for (const char *p = c->call_id; *p && k < sizeof safe - 1; p++)
			safe[k++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
					    ? *p
					    : '_';
		safe[k] = '\0';
		snprintf(path, sizeof path, "%s/fax-%03d-%s.tif", cfg->out_dir, c->seqno, safe);
		size_t pl = strlen(path) < sizeof c->res.file - 1 ? strlen(path) : sizeof c->res.file - 1;
		memcpy(c->res.file, path, pl);
		c->res.file[pl] = 0;
	}
	char rx_file[1024] = "";
	if (path[0])
		rx_file_open(c, path, rx_file, sizeof rx_file);
	call_make_faxcall(c, rx_file[0] ? rx_file : NULL);
	ua->calls[ua->ncalls++] = c;
	c->pt = pt;
	if (no_offer)
		c->await_ack_sdp = 1;
	else if (use_t38)
		media_t38(c, &offer.m[ti]);
	else
		media_audio(c, &offer.m[ai], pt);
	respond(ua, &to, m, 100, NULL, NULL, NULL, NULL);
	buf_t sdp;
	buf_init(&sdp, SDP_MAX);
	make_sdp(c, &sdp, use_t38, no_offer ? NULL : &offer);
	char contact[256];
	contact_of(c, contact, sizeof contact);
	respond(ua, &to, m, 200, c->ltag, contact, sdp.data, &c->stx_resp);
	buf_free(&sdp);
	c->stx_active = 1;
	c->stx_cseq = c->rcseq;
	c->stx_interval_ms = SIP_T1_MS;
	c->stx_next_ms = now_ms() + SIP_T1_MS;
	c->stx_deadline_ms = now_ms() + SIP_TXN_MS;
	call_answered(c);
	call_publish(c);
}

static void handle_reinvite(ua_t *ua, call_t *c, const sip_msg_t *m, const struct sockaddr_in *to, uint32_t cseq)
{
	const line_cfg_t *cfg = ua->cfg;
	if (c->ctx.active && strcmp(c->ctx.method, "INVITE") == 0) {
		respond(ua, to, m, 491, c->ltag, NULL, NULL, NULL);
		return;
	}
	c->rcseq = cseq;
	char contact[256];
	contact_of(c, contact, sizeof contact);
	buf_t sdp;
	buf_init(&sdp, SDP_MAX);
	if (m->body.n == 0) {
		/* Offer-less re-INVITE: we offer what we have; the answer comes in the ACK. */
		make_sdp(c, &sdp, c->media == MEDIA_T38, NULL);
	} else {
		sdp_t offer;
		if (sdp_parse((const uint8_t *)m->body.p, m->body.n, &offer) != 0) {
			respond(ua, to, m, 400, c->ltag, NULL, NULL, NULL);
			buf_free(&sdp);
			return;
		}
		int pt, ai = sdp_find_audio(&offer, &pt), ti = sdp_find_t38(&offer);
		if (ti >= 0 && c->media == MEDIA_T38) {
			/* Session refresh (or address change) on T.38: keep the session running. */
			set_mpeer(c, &offer.m[ti]);
			make_sdp(c, &sdp, 1, &offer);
		} else if (ti >= 0) {
			if (!cfg->t38) {
				log_event(LOG_INFO, "t38_refuse", "call=%s", c->call_id);
				respond(ua, to, m, 488, c->ltag, NULL, NULL, &c->stx_resp);
				buf_free(&sdp);
				goto server_txn;
			}
			c->sess_ver++;
			make_sdp(c, &sdp, 1, &offer);
			media_t38(c, &offer.m[ti]);
		} else if (ai >= 0) {
			if (c->media != MEDIA_AUDIO) {
				c->sess_ver++;
				c->pt = pt;
				make_sdp(c, &sdp, 0, &offer);
				media_audio(c, &offer.m[ai], pt);
			} else {
				set_mpeer(c, &offer.m[ai]);
				make_sdp(c, &sdp, 0, &offer);
			}
		} else {
			respond(ua, to, m, 488, c->ltag, NULL, NULL, &c->stx_resp);
			buf_free(&sdp);
			goto server_txn;
		}
	}
	respond(ua, to, m, 200, c->ltag, contact, sdp.data, &c->stx_resp);
	buf_free(&sdp);
server_txn:
	c->stx_active = 1;
	c->stx_cseq = cseq;
	c->stx_interval_ms = SIP_T1_MS;
	c->stx_next_ms = now_ms() + SIP_T1_MS;
	c->stx_deadline_ms = now_ms() + SIP_TXN_MS;
}

static void handle_request(ua_t *ua, const sip_msg_t *m, const struct sockaddr_in *src)
{
	struct sockaddr_in to;
	response_target(m, src, &to);
	uint32_t cseq;
	sip_str_t cmeth;
	sip_cseq(m, &cseq, &cmeth);
	const sip_str_t *cid = sip_msg_header(m, "Call-ID");
	call_t *c = find_call(ua, *cid);
	const sip_str_t *toh = sip_msg_header(m, "To");
	sip_str_t totag = {0};
	int has_totag = sip_param(*toh, "tag", &totag) == 0;
	if (sip_str_eq(m->method, "INVITE")) {
		if (!c && !has_totag) {
			handle_new_invite(ua, m, src);
			return;
		}
		if (!c || (has_totag && !sip_str_eq(totag, c->ltag))) {
			respond(ua, &to, m, 481, NULL, NULL, NULL, NULL);
			return;
		}
		if (cseq == c->stx_cseq && c->stx_resp.len) {
			sip_send(ua, &to, &c->stx_resp, c->call_id); /* retransmission */
			return;
		}
		if (c->state == CS_ENDED || c->state == CS_BYE_SENT || cseq <= c->rcseq) {
			respond(ua, &to, m, c->state == CS_ENDED ? 481 : 500, c->ltag, NULL, NULL, NULL);
			return;
		}
		handle_reinvite(ua, c, m, &to, cseq);
		return;
	}
	if (sip_str_eq(m->method, "ACK")) {
		if (c && cseq == c->stx_cseq) {
			c->stx_active = 0;
			if (c->await_ack_sdp) {
				/* The answer to the offer we made in our 200. */
				c->await_ack_sdp = 0;
				sdp_t ans;
				int pt = -1, ai = -1;
				if (m->body.n && sdp_parse((const uint8_t *)m->body.p, m->body.n, &ans) == 0)
					ai = sdp_find_audio(&ans, &pt);
				if (ai >= 0) {
					media_audio(c, &ans.m[ai], pt);
				} else {
					log_event(LOG_WARN, "sip_ack_bad_answer", "call=%s", c->call_id);
					call_send_bye(c);
				}
			}
		}
		return; /* ACKs are never answered */
	}
	/* Non-INVITE requests: answer retransmissions from memory. */
	if (c && c->last_resp.len && cseq == c->last_cseq && sip_str_eq(cmeth, c->last_method)) {
		sip_send(ua, &to, &c->last_resp, c->call_id);
		return;
	}
	if (sip_str_eq(m->method, "BYE")) {
		if (!c || c->state == CS_ENDED ||
		    (has_totag && !sip_str_eq(totag, c->ltag) && !sip_str_eq(totag, c->rtag))) {
			/* No such dialog, or it is over (retransmissions were answered above). */
			respond(ua, &to, m, 481, NULL, NULL, NULL, NULL);
			return;
		}
		respond(ua, &to, m, 200, NULL, NULL, NULL, &c->last_resp);
		c->last_cseq = cseq;
		snprintf(c->last_method, sizeof c->last_method, "BYE");
		if (c->state != CS_ENDED) {
			log_event(LOG_INFO, "sip_bye_received", "call=%s", c->call_id);
			if (c->fc && !faxcall_finished(c->fc))
				c->res.remote_hangup = 1;
			call_end(c);
		}
		return;
	}
	if (sip_str_eq(m->method, "CANCEL")) {
		if (!c) {
			respond(ua, &to, m, 481, NULL, NULL, NULL, NULL);
			return;
		}
		/* We answer at once, so the INVITE is already final: 200 to the
		 * CANCEL, nothing else changes (RFC 3261 §9.2). */
		respond(ua, &to, m, 200, c->ltag, NULL, NULL, NULL);
		return;
	}
	if (sip_str_eq(m->method, "OPTIONS")) {
		respond(ua, &to, m, 200, c ? c->ltag : NULL, NULL, NULL, NULL);
		return;
	}
	static const char *const known[] = {"REGISTER", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE",
					    "INFO",     "UPDATE",    "PRACK",  "PUBLISH"};
	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
		if (sip_str_eq(m->method, known[k])) {
			respond(ua, &to, m, 405, NULL, NULL, NULL, NULL);
			return;
		}
	}
	respond(ua, &to, m, 501, NULL, NULL, NULL, NULL);
}

/* A connection we opened to a peer failed before it carried anything:
 * the calls still ringing there end now, with why as their reason. */
static void on_link_fail(void *ud, const struct sockaddr_in *peer, const char *why)
{
	ua_t *ua = ud;
	for (int i = 0; i < ua->ncalls; i++) {
		call_t *c = ua->calls[i];
		call_lock(c);
		if (c->state == CS_INVITING && !c->invite_pending && c->peer.sin_addr.s_addr == peer->sin_addr.s_addr &&
		    c->peer.sin_port == peer->sin_port) {
			log_event(LOG_WARN, "sip_link_failed", "call=%s why=%s", c->call_id, why);
			snprintf(c->res.link_error, sizeof c->res.link_error, "%s", why);
			c->res.network_error = 1;
			call_end(c);
		}
		call_unlock(c);
	}
}

static void sip_readable(ua_t *ua)
{
	uint8_t pkt[SIP_MSG_MAX + 1];
	for (int k = 0; k < (ua->tr ? 256 : 32); k++) {
		struct sockaddr_in src;
		socklen_t sl = sizeof src;
		ssize_t n = ua->tr ? (ssize_t)siptrans_recv(ua->tr, pkt, sizeof pkt, &src)
				   : recvfrom(ua->fd, pkt, sizeof pkt, 0, (struct sockaddr *)&src, &sl);
		if (n < 0 || (ua->tr && n == 0))
			return;
		if (n == 0 || n > SIP_MSG_MAX) {
			log_event(LOG_WARN, "sip_drop", "call=- reason=size len=%zd", n);
			continue;
		}
		sip_msg_t m;
		if (sip_msg_parse(pkt, (size_t)n, &m) != 0) {
			/* Unparseable: nothing we could answer reliably (RFC 3261 §16.3 / 18.1.2). */
			log_event(LOG_WARN, "sip_drop", "call=- reason=unparseable len=%zd", n);
			continue;
		}
		if (sip_msg_check(&m) != 0) {
			if (m.is_request && !sip_str_eq(m.method, "ACK") && sip_msg_header(&m, "Via")) {
				log_event(LOG_WARN, "sip_bad_request", "call=- reason=headers");
				respond(ua, &src, &m, 400, NULL, NULL, NULL, NULL);
			} else {
				log_event(LOG_WARN, "sip_drop", "call=- reason=headers");
			}
			continue;
		}
		if (m.is_request) {
			/* The call this request belongs to (if any) is locked while
			 * it is handled; a new call is published to its worker only
			 * once it is fully set up. */
			call_t *c = find_call(ua, *sip_msg_header(&m, "Call-ID"));
			if (c)
				call_lock(c);
			handle_request(ua, &m, &src);
			if (c)
				call_unlock(c);
		} else {
			call_t *c = find_call(ua, *sip_msg_header(&m, "Call-ID"));
			if (c)
			{
				call_lock(c);
				handle_response(ua, c, &m);
				call_unlock(c);
			}
		}
	}
}

/* ---------- timers and loop ---------- */

static void call_timers(call_t *c, int64_t now)
{
	ua_t *ua = c->ua;
	ctxn_t *t = &c->ctx;
	if (c->invite_pending && c->state == CS_INVITING && now >= c->invite_at_ms) {
		c->invite_pending = 0;
		buf_t sdp;
		buf_init(&sdp, SDP_MAX);
		make_sdp(c, &sdp, 0, NULL);
		ctx_start(c, "INVITE", c->req_uri, c->lcseq, NULL, sdp.data);
		buf_free(&sdp);
	}
	if (t->active) {
		if (now >= t->next_ms) {
			sip_send(ua, &c->peer, &t->msg, c->call_id);
			int is_invite = strcmp(t->method, "INVITE") == 0;
			t->interval_ms = is_invite ? t->interval_ms * 2
						   : (t->interval_ms * 2 > SIP_T2_MS ? SIP_T2_MS : t->interval_ms * 2);
			t->next_ms = now + t->interval_ms;
		}
		if (now >= t->deadline_ms) {
			log_event(LOG_WARN, "sip_timeout", "call=%s method=%s", c->call_id, t->method);
			t->active = 0;
			if (c->state == CS_INVITING) {
				c->res.network_error = 1; /* no answer at all from the peer */
				call_end(c);
			} else if (c->state == CS_BYE_SENT) {
				call_end(c);
			} else if (t->t38_offer) {
				t->t38_offer = 0; /* nobody answered the T.38 offer: stay on audio */
			}
		}
	}
	if (c->state == CS_INVITING && c->ring_deadline_ms && now >= c->ring_deadline_ms)
		call_cancel(c); /* ringing too long */
	if (c->stx_active) {
		if (now >= c->stx_next_ms) {
			sip_send(ua, c->resp_to.sin_family ? &c->resp_to : &c->peer, &c->stx_resp, c->call_id);
			c->stx_interval_ms = c->stx_interval_ms * 2 > SIP_T2_MS ? SIP_T2_MS : c->stx_interval_ms * 2;
			c->stx_next_ms = now + c->stx_interval_ms;
		}
		if (now >= c->stx_deadline_ms) {
			c->stx_active = 0;
			if (c->state == CS_UP && c->stx_resp.len > 12 && memcmp(c->stx_resp.data, "SIP/2.0 200", 11) == 0) {
				log_event(LOG_WARN, "sip_no_ack", "call=%s", c->call_id);
				c->res.network_error = 1;
				call_send_bye(c);
			}
		}
	}
}

/* When call_timers has something to do for c next (ms, monotonic). */
static int64_t call_next_due(const call_t *c)
{
	int64_t due = INT64_MAX;
#define DUE(t) \
	do { \
		if ((t) < due) \
			due = (t); \
	} while (0)
	if (c->invite_pending && c->state == CS_INVITING)
		DUE(c->invite_at_ms);
	if (c->ctx.active) {
		DUE(c->ctx.next_ms);
		DUE(c->ctx.deadline_ms);
	}
	if (c->state == CS_INVITING && c->ring_deadline_ms)
		DUE(c->ring_deadline_ms);
	if (c->stx_active) {
		DUE(c->stx_next_ms);
		DUE(c->stx_deadline_ms);
	}
	if (c->state == CS_ENDED)
		DUE(c->linger_until_ms);
#undef DUE
	return due;
}

static void ua_reap(ua_t *ua, int64_t now)
{
	for (int i = 0; i < ua->ncalls;) {
		call_t *c = ua->calls[i];
		call_lock(c);
		int gone = c->state == CS_ENDED && now >= c->linger_until_ms;
		call_unlock(c);
		if (gone) {
			call_free(c);
			ua->calls[i] = ua->calls[--ua->ncalls];
		} else {
			i++;
		}
	}
}

static int ua_done(ua_t *ua, int sending)
{
	if (sending)
		return ua->calls_ended >= ua->nsend;
	if (ua->cfg->calls > 0 && ua->calls_ended >= ua->cfg->calls)
		return 1;
	return 0;
}

static void *worker_main(void *arg);
static void ua_fini(ua_t *ua);
static void tick_calls(call_t **calls, int n, media_sched_t *ms, mediamux_t *mx, int64_t deadline_ns);

/* cfg->media_shared: one media socket per loop, on the SIP socket's IP.
 * When one cannot be opened the engine keeps a socket per call. */
static void ua_open_muxes(ua_t *ua)
{
	if (!ua->cfg->media_shared)
		return;
	int ok = 1;
	if (ua->nworkers) {
		for (int i = 0; i < ua->nworkers && ok; i++)
			ok = (ua->workers[i].mux = mediamux_open(&ua->bound)) != NULL;
	} else {
		ok = (ua->mux = mediamux_open(&ua->bound)) != NULL;
	}
	if (!ok) {
		log_event(LOG_WARN, "media_shared_unavailable", "call=- errno=%d", errno);
		for (int i = 0; i < ua->nworkers; i++) {
			mediamux_close(ua->workers[i].mux);
			ua->workers[i].mux = NULL;
		}
		return;
	}
	for (int i = 0; i < (ua->nworkers ? ua->nworkers : 1); i++)
		log_event(LOG_INFO, "media_shared", "call=- loop=%d port=%u", i,
			  ua->nworkers ? ua->workers[i].mux->port : ua->mux->port);
}

/* Puts the calling thread's media work under SCHED_RR at prio (1..99), as
 * telephony engines do, so that other work on the machine at normal
 * priority cannot make its ticks late. *old receives the policy to restore
 * (media_priority_leave). 0 applied; -1 refused (logged once per loop; the
 * loop runs at normal priority). Each outcome is logged once per process. */
static int media_priority_enter(int prio, int *old_policy, struct sched_param *old_param)
{
	pthread_getschedparam(pthread_self(), old_policy, old_param);
	struct sched_param sp = {.sched_priority = prio};
	int rc = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
	static atomic_int said_refused, said_applied;
	if (rc != 0) {
		if (!atomic_exchange(&said_refused, 1))
			log_event(LOG_WARN, "media_priority_refused",
				  "call=- priority=%d errno=%d note=\"media at normal priority\"", prio, rc);
		return -1;
	}
	if (!atomic_exchange(&said_applied, 1))
		log_event(LOG_INFO, "media_priority", "call=- policy=rr priority=%d", prio);
	return 0;
}

static void media_priority_leave(int old_policy, const struct sched_param *old_param)
{
	pthread_setschedparam(pthread_self(), old_policy, old_param);
}

/* Starts the media threads: 0, or -1 (logged) with those started joined
 * again, when the process has no thread to give. */
static int ua_start_workers(ua_t *ua)
{
	for (int i = 0; i < ua->nworkers; i++) {
		int rc = pthread_create(&ua->workers[i].th, NULL, worker_main, &ua->workers[i]);
		if (rc != 0) {
			log_event(LOG_ERROR, "line_no_resources", "call=- what=thread errno=%d", rc);
			atomic_store(&ua->workers_stop, 1);
			for (int k = 0; k < i; k++)
				pthread_join(ua->workers[k].th, NULL);
			return -1;
		}
	}
	return 0;
}

/* The engine could not run: every call placed ends unanswered (a network
 * failure for the caller, so a fax is tried again) and is reported. */
static void ua_abandon(ua_t *ua)
{
	for (int i = 0; i < ua->ncalls; i++) {
		call_t *c = ua->calls[i];
		c->res.network_error = 1;
		call_end(c);
		snprintf(c->res.reason, sizeof c->res.reason, "the engine could not start a media thread");
		call_report(c);
		call_free(c);
	}
	ua->ncalls = 0;
	ua_fini(ua);
}

/* Runs the loop until every call is over (or, receiving, until stopped):
 * 0, or -1 when the engine could not start (every call reported failed). */
static int ua_run(ua_t *ua, int sending)
{
	ua->next_tick_ns = time_mono_ns() + ua->tick_ns;
	if (ua_start_workers(ua) != 0) {
		ua_abandon(ua);
		return -1;
	}
	/* Media in this loop (no worker): the calling thread takes the media
	 * priority for the calls and gives it back at the end. */
	int old_policy = SCHED_OTHER, prio_set = 0;
	struct sched_param old_param = {0};
	if (!ua->nworkers && ua->media_priority > 0)
		prio_set = media_priority_enter(ua->media_priority, &old_policy, &old_param) == 0;
	int stopping = 0;
	int64_t grace_until = 0;
	int64_t next_due_ms = 0;
	ua->stopping = 0;
	for (;;) {
		if (!stopping && ua_stop_requested(ua)) {
			stopping = 1;
			ua->stopping = 1;
			log_event(LOG_INFO, "line_stopping", "call=- calls=%d", ua->ncalls);
			for (int i = 0; i < ua->ncalls; i++) {
				call_lock(ua->calls[i]);
				if (ua->calls[i]->state == CS_UP)
					call_send_bye(ua->calls[i]);
				else if (ua->calls[i]->state == CS_INVITING)
					call_cancel(ua->calls[i]);
				call_unlock(ua->calls[i]);
			}
		}
		if (ua_done(ua, sending)) {
			/* A receiver lingers a moment to answer retransmissions and late
			 * requests of the calls it served (481 for a dialog that is over). */
			if (sending && !ua->linger_ms)
				break;
			if (!grace_until)
				grace_until = now_ms() + (sending ? ua->linger_ms : 1000);
			else if (now_ms() >= grace_until)
				break;
		}
		if (stopping) {
			int busy = 0;
			for (int i = 0; i < ua->ncalls; i++) {
				call_lock(ua->calls[i]);
				busy |= ua->calls[i]->state != CS_ENDED;
				call_unlock(ua->calls[i]);
			}
			if (!busy)
				break;
		}
		/* Only signalling wakes the loop early; media is read at each tick.
		 * With media workers this thread sleeps until the next SIP timer
		 * is due (at most 50 ms, so the stop flag is seen): no idle
		 * wake-ups. */
		struct pollfd pfd = {.fd = ua->tr ? siptrans_fd(ua->tr) : ua->fd, .events = POLLIN};
		int64_t wait_ns = ua->nworkers ? (next_due_ms - now_ms()) * 1000000 : ua->next_tick_ns - time_mono_ns();
		if (wait_ns > 50000000)
			wait_ns = 50000000;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = wait_ns > 0 ? wait_ns : 0};
		if (ppoll(&pfd, 1, &ts, NULL) > 0 || ua->tr)
			sip_readable(ua); /* TCP/TLS: also connects, handshakes and timeouts */
		/* Media clock: catch up on late ticks, but never more than 1 s. */
		int64_t now_ns = time_mono_ns();
		if (ua->nworkers)
			ua->next_tick_ns = INT64_MAX; /* the workers tick */
		if (now_ns >= ua->next_tick_ns) {
			/* A tick served more than one period after its deadline means
			 * packets left late: the loop is overloaded. */
			int64_t late = now_ns - ua->next_tick_ns;
			ua->ms.st.ticks_run++;
			if (late > ua->tick_ns && ++ua->ms.st.late_ticks <= 20)
				log_event(LOG_INFO, "tick_late", "call=- late_ms=%.1f calls=%d", (double)late / 1e6, ua->ncalls);
			if (late > ua->ms.st.max_late_ns)
				ua->ms.st.max_late_ns = late;
		}
		if (now_ns - ua->next_tick_ns > 1000000000LL)
			ua->next_tick_ns = now_ns;
		while (now_ns >= ua->next_tick_ns) {
			/* One readiness check for every media socket of the loop. */
			/* Level-triggered and sized for every call of the loop: one
			 * call returns all ready sockets (never loop on a full batch:
			 * undrained sockets stay ready). */
			int ne = epoll_wait(ua->epfd, ua->evs, LINE_CALLS_MAX, 0);
			for (int i = 0; i < ne; i++)
				((call_t *)ua->evs[i].data.ptr)->media_ready = 1;
			tick_calls(ua->calls, ua->ncalls, &ua->ms, ua->mux, ua->next_tick_ns);
			ua->next_tick_ns += ua->tick_ns;
		}
		int64_t now = now_ms();
		next_due_ms = now + 50;
		for (int i = 0; i < ua->ncalls; i++) {
			call_lock(ua->calls[i]);
			call_timers(ua->calls[i], now);
			int64_t due = call_next_due(ua->calls[i]);
			call_unlock(ua->calls[i]);
			if (due < next_due_ms)
				next_due_ms = due;
		}
		for (int i = 0; i < ua->ncalls; i++)
			call_report(ua->calls[i]);
		ua_reap(ua, now);
	}
	atomic_store(&ua->workers_stop, 1);
	for (int i = 0; i < ua->nworkers; i++) {
		worker_t *w = &ua->workers[i];
		pthread_join(w->th, NULL);
		ua->ms.st.ticks_run += w->ms.st.ticks_run;
		ua->ms.st.late_ticks += w->ms.st.late_ticks;
		ua->ms.st.pkts += w->ms.st.pkts;
		ua->ms.st.late_pkts += w->ms.st.late_pkts;
		ua->ms.st.stray += w->ms.st.stray;
		if (w->ms.st.max_late_ns > ua->ms.st.max_late_ns)
			ua->ms.st.max_late_ns = w->ms.st.max_late_ns;
		if (w->ms.st.max_pkt_late_ns > ua->ms.st.max_pkt_late_ns)
			ua->ms.st.max_pkt_late_ns = w->ms.st.max_pkt_late_ns;
	}
	for (int i = 0; i < ua->ncalls; i++) {
		call_end(ua->calls[i]);
		call_report(ua->calls[i]);
		call_free(ua->calls[i]);
	}
	ua->ncalls = 0;
	record_save(ua);
	log_event(LOG_INFO, "loop_stats",
		  "call=- ticks=%lld late_ticks=%lld max_late_ms=%.1f packets=%lld late_packets=%lld "
		  "max_packet_late_ms=%.1f stray=%lld calls=%d",
		  (long long)ua->ms.st.ticks_run, (long long)ua->ms.st.late_ticks, (double)ua->ms.st.max_late_ns / 1e6,
		  (long long)ua->ms.st.pkts, (long long)ua->ms.st.late_pkts, (double)ua->ms.st.max_pkt_late_ns / 1e6,
		  (long long)ua->ms.st.stray, ua->calls_started);
	if (prio_set)
		media_priority_leave(old_policy, &old_param);
	ua_fini(ua);
	return 0;
}

/* Counts n datagrams that just left, due at deadline_ns. */
static void count_sent(loop_stats_t *st, int n, int64_t deadline_ns)
{
	int64_t late = time_mono_ns() - deadline_ns;
	if (late > st->max_pkt_late_ns)
		st->max_pkt_late_ns = late;
	if (late > LATE_PKT_NS)
		st->late_pkts += n;
	st->pkts += n;
}

/* Sends, for every call of the loop, the datagrams due at tick t, whose
 * deadline is deadline_ns; measures when they left (in groups of 32 calls). */
static void send_pass(call_t **calls, int n, int64_t t, int64_t deadline_ns, loop_stats_t *st)
{
	int group = 0;
	for (int i = 0; i < n; i++) {
		call_lock(calls[i]);
		group += media_send_due(calls[i], t);
		call_unlock(calls[i]);
		if ((i & 31) == 31 || i == n - 1) {
			count_sent(st, group, deadline_ns);
			group = 0;
		}
	}
}

/* send_pass for a shared media socket: the due datagrams of up to
 * MUX_SEND_CALLS calls go out in one sendmmsg. Each call stays locked from
 * gathering its datagrams to dropping them from its queue. */
#define MUX_SEND_CALLS 64
static void send_pass_mux(mediamux_t *mx, call_t **calls, int n, int64_t t, int64_t deadline_ns, loop_stats_t *st)
{
	struct mmsghdr m[MUX_SEND_CALLS * OUTQ_MAX];
	struct iovec iov[MUX_SEND_CALLS * OUTQ_MAX];
	struct sockaddr_in to[MUX_SEND_CALLS];
	int cnt[MUX_SEND_CALLS];
	size_t bytes[MUX_SEND_CALLS];
	for (int i0 = 0; i0 < n; i0 += MUX_SEND_CALLS) {
		int nc = n - i0 < MUX_SEND_CALLS ? n - i0 : MUX_SEND_CALLS, nm = 0;
		for (int j = 0; j < nc; j++) {
			call_t *c = calls[i0 + j];
			call_lock(c);
			cnt[j] = 0;
			bytes[j] = 0;
			if (c->mfd >= 0 || c->state != CS_UP || !c->mpeer.sin_port) {
				media_send_due(c, t); /* its own socket, or nothing goes out */
				continue;
			}
			to[j] = c->mpeer;
			while (cnt[j] < c->outn && c->outdue[cnt[j]] <= t) {
				uint16_t len = c->outlen[cnt[j]];
				iov[nm] = (struct iovec){c->outbuf + bytes[j], len};
				m[nm] = (struct mmsghdr){.msg_hdr = {.msg_name = &to[j],
								     .msg_namelen = sizeof to[j],
								     .msg_iov = &iov[nm],
								     .msg_iovlen = 1}};
				bytes[j] += len;
				cnt[j]++;
				nm++;
			}
		}
		int sent = 0;
		while (sent < nm) {
			int r = sendmmsg(mx->fd, m + sent, (unsigned)(nm - sent), 0);
			if (r <= 0)
				break;
			sent += r;
		}
		for (int j = 0, idx = 0; j < nc; j++) {
			call_t *c = calls[i0 + j];
			if (cnt[j]) {
				int ok = sent - idx < 0 ? 0 : sent - idx > cnt[j] ? cnt[j] : sent - idx;
				c->pkts_tx += (unsigned)ok;
				if (ok < cnt[j])
					c->bad_media++;
				outq_drop(c, cnt[j], bytes[j]);
				idx += cnt[j];
			}
			call_unlock(c);
		}
		count_sent(st, nm, deadline_ns);
	}
}

/* The receive pass for a shared media socket: every call's table entry
 * brought up to date (its peer may have moved with a re-INVITE, or the
 * call ended), then the socket drained, each datagram to the call of the
 * address it came from. */
static void receive_pass_mux(mediamux_t *mx, call_t **calls, int n, loop_stats_t *st)
{
	for (int i = 0; i < n; i++) {
		call_t *c = calls[i];
		call_lock(c);
		if (c->mfd >= 0) {
			call_receive(c); /* a call with a socket of its own */
			call_unlock(c);
			continue;
		}
		int want = c->state == CS_UP && c->mpeer.sin_port;
		if (c->mux_keyed && (!want || c->mux_key.sin_addr.s_addr != c->mpeer.sin_addr.s_addr ||
				     c->mux_key.sin_port != c->mpeer.sin_port)) {
			mediamux_del(mx, &c->mux_key, c);
			c->mux_keyed = 0;
		}
		if (want && !c->mux_keyed && mediamux_set(mx, &c->mpeer, c) == 0) {
			c->mux_key = c->mpeer;
			c->mux_keyed = 1;
		}
		call_unlock(c);
	}
	struct mmsghdr msgs[MEDIAMUX_RX_BATCH];
	struct iovec iov[MEDIAMUX_RX_BATCH];
	for (int round = 0; round < 128; round++) {
		for (int i = 0; i < MEDIAMUX_RX_BATCH; i++) {
			iov[i] = (struct iovec){mx->rx[i], MEDIAMUX_RX_MAX};
			msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &mx->rx_from[i],
							       .msg_namelen = sizeof mx->rx_from[i],
							       .msg_iov = &iov[i],
							       .msg_iovlen = 1}};
		}
		int r = recvmmsg(mx->fd, msgs, MEDIAMUX_RX_BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0)
			break;
		for (int i = 0; i < r; i++) {
			call_t *c = msgs[i].msg_hdr.msg_namelen == sizeof mx->rx_from[i] ? mediamux_find(mx, &mx->rx_from[i]) : NULL;
			if (!c) {
				st->stray++;
				continue;
			}
			call_lock(c);
			c->pkts_rx++;
			if (c->state == CS_UP && c->fc) {
				media_packet(c, mx->rx[i], msgs[i].msg_len);
				/* a burst from a late peer is played at once (see media_drain) */
				if (c->media == MEDIA_AUDIO && ++c->rx_unplayed >= MEDIA_BATCH)
					play_audio(c);
			}
			call_unlock(c);
		}
		if (r < MEDIAMUX_RX_BATCH)
			break;
	}
}

/* One media tick of a loop (tick ms->tick + 1, deadline deadline_ns), in
 * three passes over its calls: (1) send the datagrams due now, (2) read
 * what every call received, (3) the DSP of every call, which makes the
 * datagrams due MEDIA_LEAD ticks later. Datagrams leave together at the
 * start of their tick, and the kernel's send and receive paths run back to
 * back, warm. The lead keeps a tick's packets on time when a DSP pass runs
 * long (spandsp codes a page at once when it starts one, milliseconds of
 * work in one call's step): every 32 calls the DSP pass checks the clock,
 * and once the next tick's deadline has passed it sends that tick's
 * datagrams (made a tick earlier) before going on. Audio thus leaves
 * MEDIA_LEAD x 20 ms after it was made, far inside T.30's timings. */
static void tick_send(mediamux_t *mx, call_t **calls, int n, int64_t t, int64_t deadline_ns, loop_stats_t *st)
{
	if (mx)
		send_pass_mux(mx, calls, n, t, deadline_ns, st);
	else
		send_pass(calls, n, t, deadline_ns, st);
}

static void tick_calls(call_t **calls, int n, media_sched_t *ms, mediamux_t *mx, int64_t deadline_ns)
{
	int64_t t = ++ms->tick;
	if (ms->sent < t) {
		tick_send(mx, calls, n, t, deadline_ns, &ms->st);
		ms->sent = t;
	}
	if (mx) {
		receive_pass_mux(mx, calls, n, &ms->st);
	} else {
		for (int i = 0; i < n; i++) {
			call_lock(calls[i]);
			call_receive(calls[i]);
			call_unlock(calls[i]);
		}
	}
	for (int i = 0; i < n; i++) {
		call_lock(calls[i]);
		calls[i]->make_due = t + MEDIA_LEAD;
		call_tick(calls[i]);
		call_unlock(calls[i]);
		if ((i & 31) == 31) {
			/* Ticks whose datagrams are all made: up to t + MEDIA_LEAD - 1. */
			while (ms->sent < t + MEDIA_LEAD - 1) {
				int64_t due_ns = deadline_ns + (ms->sent + 1 - t) * ms->tick_ns;
				if (time_mono_ns() < due_ns)
					break;
				tick_send(mx, calls, n, ms->sent + 1, due_ns, &ms->st);
				ms->sent++;
			}
		}
	}
}

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	ua_t *ua = w->ua;
	int old_policy;
	struct sched_param old_param;
	if (ua->media_priority > 0)
		media_priority_enter(ua->media_priority, &old_policy, &old_param);
	int64_t next = time_mono_ns() + ua->tick_ns;
	while (!atomic_load(&ua->workers_stop)) {
		struct timespec ts = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		int64_t now_ns = time_mono_ns();
		if (now_ns < next)
			continue;
		int64_t late = now_ns - next;
		w->ms.st.ticks_run++;
		if (late > ua->tick_ns && ++w->ms.st.late_ticks <= 20)
			log_event(LOG_INFO, "tick_late", "call=- late_ms=%.1f worker=%d", (double)late / 1e6,
				  (int)(w - ua->workers));
		if (late > w->ms.st.max_late_ns)
			w->ms.st.max_late_ns = late;
		if (late > 1000000000LL)
			next = now_ns;
		while (now_ns >= next) {
			pthread_mutex_lock(&w->lock);
			int ne = epoll_wait(w->epfd, w->evs, LINE_CALLS_MAX, 0);
			for (int i = 0; i < ne; i++)
				((call_t *)w->evs[i].data.ptr)->media_ready = 1;
			tick_calls(w->calls, w->n, &w->ms, w->mux, next);
			pthread_mutex_unlock(&w->lock);
			next += ua->tick_ns;
		}
	}
	return NULL;
}

static void ua_fini(ua_t *ua)
{
	siptrans_close(ua->tr);
	ua->tr = NULL;
	if (ua->epfd >= 0)
		close(ua->epfd);
	ua->epfd = -1;
	free(ua->evs);
	ua->evs = NULL;
	mediamux_close(ua->mux);
	ua->mux = NULL;
	for (int i = 0; i < ua->nworkers; i++) {
		mediamux_close(ua->workers[i].mux);
		close(ua->workers[i].epfd);
		free(ua->workers[i].evs);
		free(ua->workers[i].calls);
		pthread_mutex_destroy(&ua->workers[i].lock);
	}
	free(ua->workers);
	ua->workers = NULL;
	ua->nworkers = 0;
}

/* 0, or -1 (logged, everything released) when the process is out of
 * descriptors or memory for it: a call may fail, the process may not. */
static int ua_init(ua_t *ua, const line_cfg_t *cfg)
{
	memset(ua, 0, sizeof *ua);
	ua->cfg = cfg;
	ua->fd = -1;
	ua->evs = xcalloc(LINE_CALLS_MAX, sizeof *ua->evs);
	ua->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ua->epfd < 0) {
		log_event(LOG_ERROR, "line_no_resources", "call=- what=epoll errno=%d", errno);
		ua_fini(ua);
		return -1;
	}
	g711tab_init();
	if (cfg->media_threads > 0) {
		line_tsafe_init();
		ua->nworkers = cfg->media_threads > 64 ? 64 : cfg->media_threads;
		ua->workers = xcalloc((size_t)ua->nworkers, sizeof *ua->workers);
		for (int i = 0; i < ua->nworkers; i++) {
			worker_t *w = &ua->workers[i];
			w->ua = ua;
			pthread_mutex_init(&w->lock, NULL);
			w->calls = xcalloc(LINE_CALLS_MAX, sizeof *w->calls);
			w->evs = xcalloc(LINE_CALLS_MAX, sizeof *w->evs);
			w->epfd = epoll_create1(EPOLL_CLOEXEC);
			if (w->epfd < 0) {
				log_event(LOG_ERROR, "line_no_resources", "call=- what=epoll errno=%d", errno);
				ua->nworkers = i + 1; /* ua_fini releases those set up so far */
				ua_fini(ua);
				return -1;
			}
		}
	}
	ua->media_priority = cfg->media_priority > 0 && cfg->media_priority <= 99 ? cfg->media_priority : 0;
	double speed = cfg->clock_speed > 0 ? cfg->clock_speed : 1.0;
	ua->tick_ns = (int64_t)(20000000.0 / speed);
	if (ua->tick_ns < 100000)
		ua->tick_ns = 100000;
	ua->ms.tick_ns = ua->tick_ns;
	for (int i = 0; i < ua->nworkers; i++)
		ua->workers[i].ms.tick_ns = ua->tick_ns;
	/* With a stop flag the caller owns the signals (a daemon blocks them
	 * and uses sigwait): install nothing. */
	if (!cfg->stop) {
		struct sigaction sa = {.sa_handler = on_signal};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		atomic_store(&stop_flag, 0);
	}
	return 0;
}

/* SIP over TCP/TLS for this engine: a listener at at (receive) or none
 * (send: connections only). 0, or -1 with err set. */
static int ua_open_stream(ua_t *ua, const struct sockaddr_in *at, const char *peer_name, char *err, size_t errlen)
{
	const line_cfg_t *cfg = ua->cfg;
	if (cfg->sip_transport != SIPTRANS_TCP && cfg->sip_transport != SIPTRANS_TLS) {
		snprintf(err, errlen, "unknown SIP transport %d", cfg->sip_transport);
		return -1;
	}
	siptrans_cfg_t tc = {
		.proto = cfg->sip_transport,
		.tls_ca = cfg->tls_ca,
		.tls_cert = cfg->tls_cert,
		.tls_key = cfg->tls_key,
		.peer_name = cfg->tls_name ? cfg->tls_name : peer_name,
		.on_fail = on_link_fail,
		.ud = ua,
	};
	ua->tr = siptrans_open(&tc, at, err, errlen);
	if (!ua->tr)
		return -1;
	if (at)
		siptrans_bound(ua->tr, &ua->bound);
	return 0;
}

void line_cfg_defaults(line_cfg_t *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->t38 = 1;
	cfg->ecm = 1;
	cfg->max_rate = 14400;
	cfg->ident = "faxvault";
	cfg->from_user = "faxvault";
	cfg->clock_speed = 1.0;
	cfg->ring_ms = 60000;
	cfg->max_call_ms = 30 * 60 * 1000;
	/* SIP signalling on the loop thread, media in a worker (more with
	 * --media-threads N; 0 puts both in one loop). */
	cfg->media_threads = 1;
	/* Media under SCHED_RR, as telephony engines run it (--media-priority 0:
	 * normal priority). */
	cfg->media_priority = 10;
}

/* libtiff's messages for the file we count, kept quiet per handle: the
 * process-wide handlers must not be swapped while other engines run. */
static int tiff_quiet(TIFF *t, void *ud, const char *module, const char *fmt, va_list ap)
{
	(void)t;
	(void)ud;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1;
}

static int count_pages(const char *path, char *why, size_t whylen)
{
	TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
	TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_quiet, NULL);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_quiet, NULL);
	TIFF *t = TIFFOpenExt(path, "r", opts);
	TIFFOpenOptionsFree(opts);
	int n = -1;
	if (!t) {
		snprintf(why, whylen, "cannot open the TIFF file");
	} else {
		n = TIFFNumberOfDirectories(t);
		uint32_t w = 0;
		TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
		if (w != 1728 && w != 2048 && w != 2432) {
			snprintf(why, whylen, "page width %u is not a fax width (1728 px)", w);
			n = -1;
		}
		TIFFClose(t);
	}
	return n;
}

static void copy_result(void *ud, const fax_result_t *r)
{
	memcpy(ud, r, sizeof *r);
}

int line_send_many(const line_cfg_t *cfg, const char *target, const char *tiff, int n, line_result_fn *cb,
		   void *ud, char *err, size_t errlen)
{
	ua_t ua;
	if (ua_init(&ua, cfg) != 0) {
		snprintf(err, errlen, "out of descriptors or memory for the call's event loop");
		return -1;
	}
	ua.tx_file = tiff;
	if (n < 1 || n > LINE_CALLS_MAX / 2) {
		snprintf(err, errlen, "number of calls out of range (1..%d)", LINE_CALLS_MAX / 2);
		{
			ua_fini(&ua);
			return -1;
		}
	}
	char why[128];
	int pages = count_pages(tiff, why, sizeof why);
	if (pages <= 0) {
		snprintf(err, errlen, "%s: %s", tiff, pages == 0 ? "no pages" : why);
		{
			ua_fini(&ua);
			return -1;
		}
	}
	/* The range of pages to send (1-based, inclusive; 0: open end). */
	int first = cfg->first_page > 0 ? cfg->first_page : 1;
	int last = cfg->last_page > 0 ? cfg->last_page : pages;
	if (cfg->first_page < 0 || cfg->last_page < 0 || first > pages || last > pages || first > last) {
		snprintf(err, errlen, "page range %d..%d is outside the document (%d page%s)", first, last, pages,
			 pages == 1 ? "" : "s");
		ua_fini(&ua);
		return -1;
	}
	sip_str_t uri = {target, strlen(target)}, user, host;
	uint16_t port;
	char hostz[128];
	struct sockaddr_in peer;
	if (sip_uri_parse(uri, &user, &host, &port) != 0 || host.n >= sizeof hostz) {
		snprintf(err, errlen, "bad target URI (want sip:NUMBER@HOST:PORT)");
		{
			ua_fini(&ua);
			return -1;
		}
	}
	copy_str(hostz, sizeof hostz, host);
	char hp[160];
	snprintf(hp, sizeof hp, "%s:%u", hostz, port);
	if (parse_hostport(hp, &peer) != 0) {
		snprintf(err, errlen, "cannot resolve %s", hostz);
		{
			ua_fini(&ua);
			return -1;
		}
	}
	struct sockaddr_in any = {.sin_family = AF_INET};
	if (cfg->listen && parse_hostport(cfg->listen, &any) != 0) {
		snprintf(err, errlen, "bad local address %s", cfg->listen);
		{
			ua_fini(&ua);
			return -1;
		}
	}
	if (cfg->sip_transport) {
		ua.bound = any;
		if (ua_open_stream(&ua, NULL, hostz, err, errlen) != 0) {
			ua_fini(&ua);
			return -1;
		}
	} else {
		ua.fd = udp_bind(&any);
		if (ua.fd < 0) {
			snprintf(err, errlen, "cannot open a SIP socket");
			{
				ua_fini(&ua);
				return -1;
			}
		}
		socklen_t bl = sizeof ua.bound;
		getsockname(ua.fd, (struct sockaddr *)&ua.bound, &bl);
	}
	ua_open_muxes(&ua);
	if (cfg->bound_port)
		__atomic_store_n(cfg->bound_port, (int)ntohs(ua.bound.sin_port), __ATOMIC_RELEASE);
	ua.pages_total = last - first + 1;
	char tx_mem[64];
	int tx_memfd = tx_file_load(tiff, tx_mem, sizeof tx_mem);
	if (tx_memfd >= 0)
		ua.tx_file = tx_mem;
	ua.nsend = n;
	ua.cb = cb;
	ua.cb_ud = ud;
	for (int i = 0; i < n; i++) {
		call_t *c = call_new(&ua, 1);
		c->peer = peer;
		local_ip_toward(&peer, &ua.bound, c->local_ip);
		char h[33];
		rand_hex(h, 12);
		snprintf(c->call_id, sizeof c->call_id, "%s@%s", h, c->local_ip);
		snprintf(c->req_uri, sizeof c->req_uri, "%s", target);
		snprintf(c->remote_uri, sizeof c->remote_uri, "%s", target);
		snprintf(c->remote_target, sizeof c->remote_target, "%s", target);
		snprintf(c->local_uri, sizeof c->local_uri, "sip:%s@%s", cfg->from_user, c->local_ip);
		c->lcseq = 1;
		c->res.pages_total = ua.pages_total;
		c->res.first_page = first;
		if (user.n)
			copy_user(c->res.to_user, sizeof c->res.to_user, user.p, user.n);
		copy_user(c->res.from_user, sizeof c->res.from_user, cfg->from_user, strlen(cfg->from_user));
		if (call_open_media(c, NULL) != 0) {
			snprintf(err, errlen, "cannot open a media socket");
			call_free(c);
			for (int k = 0; k < ua.ncalls; k++)
				call_free(ua.calls[k]);
			if (ua.fd >= 0)
				close(ua.fd);
			if (tx_memfd >= 0)
				close(tx_memfd);
			ua_fini(&ua);
			return -1;
		}
		call_make_faxcall(c, NULL);
		ua.calls[ua.ncalls++] = c;
		call_publish(c);
		log_event(LOG_INFO, "call_start", "call=%s pages=%d first_page=%d t38=%d ecm=%d max_rate=%d", c->call_id,
			  ua.pages_total, first, cfg->t38, cfg->ecm, cfg->max_rate);
		/* Calls placed together are spread 10 ms apart (at most 5 s in
		 * all), as real traffic is: in lockstep, every call would start
		 * and end its pages in the same 20 ms tick. */
		c->invite_at_ms = now_ms() + (int64_t)i * (n > 500 ? 5000 / n : 10);
		c->invite_pending = 1;
	}
	int run = ua_run(&ua, 1);
	if (ua.fd >= 0)
		close(ua.fd);
	if (tx_memfd >= 0)
		close(tx_memfd);
	if (run != 0) {
		snprintf(err, errlen, "no thread for the engine's media loop (the calls were reported failed)");
		return -1;
	}
	return 0;
}

int line_send(const line_cfg_t *cfg, const char *target, const char *tiff, fax_result_t *res)
{
	fax_result_init(res, 1);
	/* The result is copied out (by copy_result) before the engine frees the call. */
	if (line_send_many(cfg, target, tiff, 1, copy_result, res, res->reason, sizeof res->reason) != 0) {
		/* A call that was placed keeps the class it ended with. */
		if (!res->fail_class[0])
			snprintf(res->fail_class, sizeof res->fail_class, "rejected");
		return -1;
	}
	return 0;
}

int line_receive(const line_cfg_t *cfg, line_result_fn *cb, void *ud)
{
	ua_t ua;
	if (ua_init(&ua, cfg) != 0)
		return -1;
	struct sockaddr_in sa;
	if (!cfg->listen || parse_hostport(cfg->listen, &sa) != 0) {
		log_event(LOG_ERROR, "line_bad_listen", "call=- listen=%s", cfg->listen ? cfg->listen : "-");
		{
			ua_fini(&ua);
			return -1;
		}
	}
	if (cfg->sip_transport) {
		char why[200];
		if (cfg->listen_fd > 0)
			close(cfg->listen_fd);
		if (ua_open_stream(&ua, &sa, NULL, why, sizeof why) != 0) {
			log_event(LOG_ERROR, "line_bind_failed", "call=- listen=%s why=\"%s\"", cfg->listen, why);
			ua_fini(&ua);
			return -1;
		}
	} else if (cfg->listen_fd > 0) {
		/* Bound by the caller before anything else started. */
		ua.fd = cfg->listen_fd;
		int fl = fcntl(ua.fd, F_GETFL);
		int buf = 1 << 20;
		if (fl < 0 || fcntl(ua.fd, F_SETFL, fl | O_NONBLOCK) != 0) {
			close(ua.fd);
			ua.fd = -1;
		} else {
			setsockopt(ua.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
		}
	} else {
		ua.fd = udp_bind(&sa);
	}
	if (!ua.tr && ua.fd < 0) {
		log_event(LOG_ERROR, "line_bind_failed", "call=- listen=%s errno=%d", cfg->listen, errno);
		{
			ua_fini(&ua);
			return -1;
		}
	}
	socklen_t bl = sizeof ua.bound;
	if (!ua.tr)
		getsockname(ua.fd, (struct sockaddr *)&ua.bound, &bl);
	ua_open_muxes(&ua);
	if (cfg->bound_port)
		__atomic_store_n(cfg->bound_port, (int)ntohs(ua.bound.sin_port), __ATOMIC_RELEASE);
	ua.cb = cb;
	ua.cb_ud = ud;
	log_event(LOG_INFO, "line_listen", "call=- listen=%s port=%u calls=%d t38=%d ecm=%d transport=%s", cfg->listen,
		  ntohs(ua.bound.sin_port), cfg->calls, cfg->t38, cfg->ecm, via_proto(&ua));
	int run = ua_run(&ua, 0);
	if (ua.fd >= 0)
		close(ua.fd);
	return run;
}
