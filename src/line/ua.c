/* The line engine's entry points (see line.h): line_send, line_send_many,
 * line_receive and line_cfg_defaults; an engine's set-up and release
 * (ua_init, ua_fini), its SIP socket or TCP/TLS transport, and the stop
 * flag of engines run without line_cfg_t.stop.
 *
 * A small RFC 3261 UA over UDP, TCP or TLS: INVITE/ACK/BYE/CANCEL/OPTIONS,
 * re-INVITE for T.38 and for session refreshes, digest authentication,
 * retransmission timers A/B/E/F/G/H in simplified form (one client
 * transaction per call at a time, which is all a fax call needs). Every
 * call owns its media socket (or its entry in its loop's shared one), its
 * spandsp session and its result; nothing is shared between calls. The
 * engine is split over ua_*.c, which share ua_int.h:
 *   ua_sip.c     sockets, addresses, our requests and client transaction
 *   ua_call.c    a call's life: creation, workers, files, end, BYE/CANCEL,
 *                SIP timers
 *   ua_client.c  the INVITE client: responses to our requests
 *   ua_server.c  the INVITE server and the other requests we answer
 *   ua_decide.c  a new INVITE's decision (accept callbacks) off the SIP
 *                thread: 100 at once, the answer when it comes
 *   ua_media.c   a call's media: RTP/UDPTL set-up, its send queue, a tick's
 *                receive and DSP steps
 *   ua_tick.c    the media clock: a loop's tick over its calls, media workers
 *   ua_loop.c    the engine loop: SIP input, timers, reaping, stop */
#include "ua_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <tiffio.h>
#include <unistd.h>

#include "g711tab.h"
#include "log.h"
#include "tsafe.h"
#include "xalloc.h"

/* SIGINT/SIGTERM seen, for engines without line_cfg_t.stop (tools). A
 * lock-free atomic: safe to store from a signal handler, and several
 * engines (threads) may read it. */
static atomic_int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop_flag, 1);
}

int ua_stop_requested(const ua_t *ua)
{
	if (ua->cfg->stop)
		return atomic_load(ua->cfg->stop) != 0;
	return atomic_load(&stop_flag) != 0;
}

void ua_ep_init(ua_t *ua, ua_ep_t *ep)
{
	memset(ep, 0, sizeof *ep);
	ep->ua = ua;
	ep->fd = -1;
}

/* Closes its socket or transport (the endpoint stays, empty). */
void ua_ep_close(ua_ep_t *ep)
{
	siptrans_close(ep->tr);
	ep->tr = NULL;
	if (ep->fd >= 0)
		close(ep->fd);
	ep->fd = -1;
}

void ua_fini(ua_t *ua)
{
	/* A long-lived engine's endpoints (its listeners told they ended). */
	while (ua->eng && ua->neps > 0)
		engine_ep_drop(ua, ua->neps - 1);
	siptrans_close(ua->ep.tr);
	ua->ep.tr = NULL;
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
		pthread_cond_destroy(&ua->workers[i].cv);
	}
	free(ua->workers);
	ua->workers = NULL;
	ua->nworkers = 0;
	if (ua->dfd >= 0)
		close(ua->dfd);
	ua->dfd = -1;
	pthread_cond_destroy(&ua->pend_cv);
	pthread_mutex_destroy(&ua->pend_mu);
}

/* A lock a media loop shares with threads of normal priority (the SIP
 * thread takes a call's lock to handle its messages and timers, and a
 * loop's list lock to publish a call): with priority inheritance, so that a
 * holder that other work on the machine preempted runs at the waiting
 * loop's real-time priority until it lets go, instead of the loop waiting
 * behind every runnable process of normal priority. Without contention it
 * costs what a plain mutex does (no system call). */
void ua_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

/* 0, or -1 (logged, everything released) when the process is out of
 * descriptors or memory for it: a call may fail, the process may not. */
int ua_init(ua_t *ua, const line_cfg_t *cfg)
{
	memset(ua, 0, sizeof *ua);
	pthread_mutex_init(&ua->pend_mu, NULL);
	pthread_cond_init(&ua->pend_cv, NULL);
	ua->dfd = -1;
	ua->cfg = cfg;
	ua_ep_init(ua, &ua->ep);
	ua->ep.rx = cfg;
	ua->ep.proto = cfg->sip_transport;
	ua->eps[0] = &ua->ep;
	ua->neps = 1;
	ua->efd = -1;
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
			ua_mutex_init(&w->lock);
			pthread_condattr_t ca;
			pthread_condattr_init(&ca);
			pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
			pthread_cond_init(&w->cv, &ca);
			pthread_condattr_destroy(&ca);
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

/* SIP over TCP/TLS (cfg->sip_transport, its TLS files) on ep: a listener
 * at at (receive) or none (calls out: connections only). 0, or -1 with err
 * set. */
int ua_ep_stream(ua_ep_t *ep, const line_cfg_t *cfg, const struct sockaddr_storage *at, const char *peer_name,
		 char *err, size_t errlen)
{
	if (cfg->sip_transport != SIPTRANS_TCP && cfg->sip_transport != SIPTRANS_TLS) {
		snprintf(err, errlen, "unknown SIP transport %d", cfg->sip_transport);
		return -1;
	}
	siptrans_cfg_t tc = {
		.proto = cfg->sip_transport,
		.tls_ca = cfg->tls_ca,
		.tls_cert = cfg->tls_cert,
		.tls_key = cfg->tls_key,
		.verify_client = cfg->tls_verify_client,
		.peer_name = cfg->tls_name ? cfg->tls_name : peer_name,
		.on_fail = on_link_fail,
		.ud = ep,
		.listen_fd = at ? cfg->listen_fd : 0,
	};
	ep->proto = cfg->sip_transport;
	ep->tr = siptrans_open(&tc, at, err, errlen);
	if (!ep->tr)
		return -1;
	if (at)
		siptrans_bound(ep->tr, &ep->bound);
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

int ua_count_pages(const char *path, char *why, size_t whylen)
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

/* An outbound call to peer (target its Request-URI, user its user part)
 * with settings cfg, sending the document tx_file, set up to send pages_total pages from page first,
 * added to ua's calls and published to its media loop; the caller sets
 * when its INVITE goes (invite_at_ms, invite_pending). NULL (nothing
 * added) when no media socket could be opened. */
call_t *ua_outbound_call(ua_t *ua, ua_ep_t *ep, const line_cfg_t *cfg, const char *tx_file,
			 const struct sockaddr_storage *peer, const char *target, sip_str_t user, int pages_total, int first)
{
	call_t *c = call_new(ua, 1);
	call_set_ep(c, ep);
	c->cfg = cfg;
	c->tx_file = tx_file;
	c->peer = *peer;
	local_ip_toward(peer, &ep->bound, c->local_ip);
	char h[33];
	rand_hex(h, 12);
	char lhost[SIPADDR_STR_MAX];
	sipaddr_host(c->local_ip, lhost, sizeof lhost);
	snprintf(c->call_id, sizeof c->call_id, "%s@%s", h, lhost);
	snprintf(c->req_uri, sizeof c->req_uri, "%s", target);
	snprintf(c->remote_uri, sizeof c->remote_uri, "%s", target);
	snprintf(c->remote_target, sizeof c->remote_target, "%s", target);
	snprintf(c->local_uri, sizeof c->local_uri, "sip:%s@%s", cfg->from_user, adv_host(c, lhost, 0));
	c->lcseq = 1;
	c->res.pages_total = pages_total;
	c->res.first_page = first;
	if (user.n)
		copy_user(c->res.to_user, sizeof c->res.to_user, user.p, user.n);
	copy_user(c->res.from_user, sizeof c->res.from_user, cfg->from_user, strlen(cfg->from_user));
	if (call_open_media(c, NULL) != 0) {
		call_free(c);
		return NULL;
	}
	call_make_faxcall(c, NULL);
	ua->calls[ua->ncalls++] = c;
	call_publish(c);
	log_event(LOG_INFO, "call_start", "call=%s pages=%d first_page=%d t38=%d ecm=%d max_rate=%d", c->call_id,
		  pages_total, first, cfg->t38, cfg->ecm, cfg->max_rate);
	return c;
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
	int pages = ua_count_pages(tiff, why, sizeof why);
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
	struct sockaddr_storage peer;
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
	/* Our end: cfg->listen, else any address of the target's family. */
	struct sockaddr_storage any = {.ss_family = peer.ss_family};
	if (cfg->listen && (parse_hostport(cfg->listen, &any) != 0 || any.ss_family != peer.ss_family)) {
		snprintf(err, errlen, "bad local address %s (or not of the target's address family)", cfg->listen);
		{
			ua_fini(&ua);
			return -1;
		}
	}
	if (cfg->sip_transport) {
		ua.ep.bound = any;
		if (ua_ep_stream(&ua.ep, cfg, NULL, hostz, err, errlen) != 0) {
			ua_fini(&ua);
			return -1;
		}
	} else {
		ua.ep.fd = udp_bind(&any);
		if (ua.ep.fd < 0) {
			snprintf(err, errlen, "cannot open a SIP socket");
			{
				ua_fini(&ua);
				return -1;
			}
		}
		socklen_t bl = sizeof ua.ep.bound;
		getsockname(ua.ep.fd, (struct sockaddr *)&ua.ep.bound, &bl);
	}
	ua_open_muxes(&ua);
	if (cfg->bound_port)
		__atomic_store_n(cfg->bound_port, (int)sipaddr_port(&ua.ep.bound), __ATOMIC_RELEASE);
	ua.pages_total = last - first + 1;
	char tx_mem[64];
	int tx_memfd = tx_file_load(tiff, tx_mem, sizeof tx_mem);
	if (tx_memfd >= 0)
		ua.tx_file = tx_mem;
	ua.nsend = n;
	ua.cb = cb;
	ua.cb_ud = ud;
	for (int i = 0; i < n; i++) {
		call_t *c = ua_outbound_call(&ua, &ua.ep, cfg, ua.tx_file, &peer, target, user, ua.pages_total, first);
		if (!c) {
			snprintf(err, errlen, "cannot open a media socket");
			for (int k = 0; k < ua.ncalls; k++)
				call_free(ua.calls[k]);
			if (ua.ep.fd >= 0)
				close(ua.ep.fd);
			if (tx_memfd >= 0)
				close(tx_memfd);
			ua_fini(&ua);
			return -1;
		}
		/* Calls placed together are spread 10 ms apart (at most 5 s in
		 * all), as real traffic is: in lockstep, every call would start
		 * and end its pages in the same 20 ms tick. */
		c->invite_at_ms = now_ms() + (int64_t)i * (n > 500 ? 5000 / n : 10);
		c->invite_pending = 1;
	}
	int fd = ua.ep.fd;
	int run = ua_run(&ua, 1);
	if (fd >= 0)
		close(fd);
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

/* A listener on ep at cfg->listen (its socket cfg->listen_fd when given,
 * taken over): UDP, or TCP/TLS by cfg->sip_transport. 0, or -1 (logged,
 * nothing left open). */
int ua_ep_listen(ua_ep_t *ep, const line_cfg_t *cfg)
{
	struct sockaddr_storage sa;
	if (!cfg->listen || parse_hostport(cfg->listen, &sa) != 0) {
		log_event(LOG_ERROR, "line_bad_listen", "call=- listen=%s", cfg->listen ? cfg->listen : "-");
		return -1;
	}
	ep->proto = cfg->sip_transport;
	if (cfg->sip_transport) {
		char why[200];
		/* A listening socket bound by the caller is taken over there. */
		if (ua_ep_stream(ep, cfg, &sa, NULL, why, sizeof why) != 0) {
			log_event(LOG_ERROR, "line_bind_failed", "call=- listen=%s why=\"%s\"", cfg->listen, why);
			return -1;
		}
	} else if (cfg->listen_fd > 0) {
		/* Bound by the caller before anything else started. */
		ep->fd = cfg->listen_fd;
		int fl = fcntl(ep->fd, F_GETFL);
		int buf = 1 << 20;
		if (fl < 0 || fcntl(ep->fd, F_SETFL, fl | O_NONBLOCK) != 0) {
			close(ep->fd);
			ep->fd = -1;
		} else {
			setsockopt(ep->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
		}
	} else {
		ep->fd = udp_bind(&sa);
	}
	if (!ep->tr && ep->fd < 0) {
		log_event(LOG_ERROR, "line_bind_failed", "call=- listen=%s errno=%d", cfg->listen, errno);
		return -1;
	}
	socklen_t bl = sizeof ep->bound;
	if (!ep->tr)
		getsockname(ep->fd, (struct sockaddr *)&ep->bound, &bl);
	return 0;
}

int line_receive(const line_cfg_t *cfg, line_result_fn *cb, void *ud)
{
	ua_t ua;
	if (ua_init(&ua, cfg) != 0)
		return -1;
	if (ua_ep_listen(&ua.ep, cfg) != 0) {
		ua_fini(&ua);
		return -1;
	}
	ua_open_muxes(&ua);
	if (cfg->bound_port)
		__atomic_store_n(cfg->bound_port, (int)sipaddr_port(&ua.ep.bound), __ATOMIC_RELEASE);
	ua.cb = cb;
	ua.cb_ud = ud;
	log_event(LOG_INFO, "line_listen", "call=- listen=%s port=%u calls=%d t38=%d ecm=%d transport=%s", cfg->listen,
		  sipaddr_port(&ua.ep.bound), cfg->calls, cfg->t38, cfg->ecm, via_proto(&ua.ep));
	int fd = ua.ep.fd;
	int run = ua_run(&ua, 0);
	if (fd >= 0)
		close(fd);
	return run;
}
