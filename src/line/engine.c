/* A long-lived engine (see line.h, line_engine_*): one user agent (ua_t)
 * run by a thread of its own in persistent mode (ua_loop.c), with its
 * media loops started once; line_engine_send queues a call for it and
 * waits, line_engine_receive queues a listener and waits until it ends.
 * The engine's thread takes the queues when its eventfd says so
 * (engine_take): each call goes to a media loop, its result back to the
 * waiting sender with the pages confirmed on the way; each listener
 * becomes one more SIP endpoint of the same user agent, the results of
 * its calls handed to the listener's waiting thread.
 *
 * Endpoints (ua_ep_t): a listener's socket or TCP/TLS transport, a UDP
 * socket per address family for calls out (opened by the first such
 * call), and a TCP/TLS transport per set of TLS settings of calls out
 * (keyed by a digest of the transport, the name checked and the contents
 * of the CA, certificate and key files: a trunk's client certificate
 * reaches the front end as a descriptor whose number is reused), closed
 * after ten idle minutes. */
#include "ua_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

/* A call submitted and not yet returned: it lives on its sender's stack. */
struct sub {
	struct sub *next;
	line_cfg_t cfg;           /* the sender's, with on_page ours */
	const line_cfg_t *orig;
	const char *target;
	sip_str_t user;
	struct sockaddr_storage peer;
	char key[72];             /* the endpoint it goes through (see engine_ep_out) */
	char peer_name[256];      /* TLS: the name checked, "" for the address */
	const char *tx_file;
	int pages_total, first;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
	int (*pages)[2];          /* pages confirmed, not yet given to on_page */
	int npages, cap;
	fax_result_t *res;
	int rc;
};

/* A result of a listener's call, waiting for the listener's thread. */
struct lres {
	struct lres *next;
	fax_result_t r;
};

enum { LSN_QUEUED, LSN_UP, LSN_FAILED, LSN_ENDED };

/* A listener submitted and not yet returned: it lives on its caller's stack. */
struct lsn {
	struct lsn *next;
	line_cfg_t cfg;           /* the caller's */
	line_result_fn *cb;
	void *ud;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state;                /* LSN_* */
	struct lres *res, **res_tail;
	int64_t closing_ms;       /* the engine's thread: when its stop was seen */
};

struct line_engine {
	ua_t ua;
	line_cfg_t cfg;           /* the engine's own: stop, loops, priority, speed */
	atomic_int stop;
	pthread_t th;
	int started;              /* th runs */
	pthread_mutex_t mu;       /* guards queue, lqueue, dead, active, submitted, listeners */
	struct sub *queue, **tail;
	struct lsn *lqueue;
	int dead;                 /* its loop ended (or never ran): calls go apart */
	int active;
	long submitted;
	int listeners;
};

#define EP_IDLE_MS (10 * 60 * 1000)
#define LSN_GRACE_MS 1000

static void sub_finish(struct sub *s, int rc)
{
	pthread_mutex_lock(&s->mu);
	s->rc = rc;
	s->done = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* A call that could not be placed: a network failure (tried again). */
static void sub_fail(struct sub *s, const char *why)
{
	pthread_mutex_lock(&s->mu);
	fax_result_init(s->res, 1);
	s->res->network_error = 1;
	fax_result_classify(s->res);
	snprintf(s->res->reason, sizeof s->res->reason, "%s", why);
	pthread_mutex_unlock(&s->mu);
	sub_finish(s, 0);
}

/* From the media loop, the call locked: queued for the sender's thread. */
static void sub_page(void *ud, int page, int ok)
{
	struct sub *s = ud;
	pthread_mutex_lock(&s->mu);
	if (s->npages == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->pages = xrealloc(s->pages, (size_t)s->cap * sizeof *s->pages);
	}
	s->pages[s->npages][0] = page;
	s->pages[s->npages][1] = ok;
	s->npages++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* From the engine's SIP thread, once per call. */
static void sub_result(void *ud, const fax_result_t *r)
{
	struct sub *s = ud;
	pthread_mutex_lock(&s->mu);
	memcpy(s->res, r, sizeof *r);
	pthread_mutex_unlock(&s->mu);
	sub_finish(s, 0);
}

/* ---- endpoints (the engine's thread only) ---- */

static void ep_add(ua_t *ua, ua_ep_t *ep)
{
	ua->eps[ua->neps++] = ep;
}

void engine_ep_drop(ua_t *ua, int i)
{
	ua_ep_t *ep = ua->eps[i];
	ua->eps[i] = ua->eps[--ua->neps];
	ua_ep_close(ep);
	struct lsn *l = ep->owner;
	if (l) {
		line_engine_t *e = ua->eng;
		log_event(LOG_INFO, "line_unlisten", "call=- listen=%s", l->cfg.listen);
		pthread_mutex_lock(&e->mu);
		e->listeners--;
		pthread_mutex_unlock(&e->mu);
		pthread_mutex_lock(&l->mu);
		l->state = LSN_ENDED;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
	}
	free(ep);
}

/* The endpoint for s's call: the UDP socket of its family or the TCP/TLS
 * transport of its settings, opened now when there is none. NULL with
 * err set when it cannot be opened. */
static ua_ep_t *engine_ep_out(ua_t *ua, struct sub *s, char *err, size_t errlen)
{
	for (int i = 0; i < ua->neps; i++)
		if (!ua->eps[i]->owner && strcmp(ua->eps[i]->key, s->key) == 0)
			return ua->eps[i];
	if (ua->neps >= UA_EPS_MAX) {
		snprintf(err, errlen, "the node's media engine has no room for another SIP transport");
		return NULL;
	}
	ua_ep_t *ep = xmalloc(sizeof *ep);
	ua_ep_init(ua, ep);
	snprintf(ep->key, sizeof ep->key, "%s", s->key);
	ep->bound.ss_family = s->peer.ss_family;
	ep->idle_ms = now_ms();
	if (s->cfg.sip_transport == SIPTRANS_UDP) {
		ep->fd = udp_bind(&ep->bound);
		socklen_t bl = sizeof ep->bound;
		if (ep->fd < 0 || getsockname(ep->fd, (struct sockaddr *)&ep->bound, &bl) != 0) {
			snprintf(err, errlen, "cannot open a SIP socket");
			ua_ep_close(ep);
			free(ep);
			return NULL;
		}
	} else {
		/* The name checked stays with the transport (its later
		 * connections read it): the endpoint's copy, never the sender's
		 * tls_name, which goes with its call. */
		snprintf(ep->peer_name, sizeof ep->peer_name, "%s", s->peer_name);
		line_cfg_t tc = s->cfg;
		tc.tls_name = NULL;
		if (ua_ep_stream(ep, &tc, NULL, ep->peer_name[0] ? ep->peer_name : NULL, err, errlen) != 0) {
			free(ep);
			return NULL;
		}
	}
	ep_add(ua, ep);
	log_event(LOG_INFO, "line_engine_transport", "call=- transport=%s family=%s port=%u", via_proto(ep),
		  ep->bound.ss_family == AF_INET6 ? "ipv6" : "ipv4", sipaddr_port(&ep->bound));
	return ep;
}

/* From the engine's SIP thread: a listener's call ended; its result goes
 * to the listener's thread. */
static void lsn_result(void *ud, const fax_result_t *r)
{
	struct lsn *l = ud;
	struct lres *x = xmalloc(sizeof *x);
	x->next = NULL;
	memcpy(&x->r, r, sizeof *r);
	pthread_mutex_lock(&l->mu);
	*l->res_tail = x;
	l->res_tail = &x->next;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

static void lsn_state(struct lsn *l, int state)
{
	pthread_mutex_lock(&l->mu);
	l->state = state;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

/* A listener becomes an endpoint of the engine. */
static void engine_listen(ua_t *ua, struct lsn *l)
{
	line_engine_t *e = ua->eng;
	if (ua->stopping || ua->neps >= UA_EPS_MAX) {
		log_event(LOG_ERROR, "line_bind_failed", "call=- listen=%s why=\"%s\"", l->cfg.listen,
			  ua->stopping ? "the engine stops" : "no room for another SIP transport");
		if (l->cfg.listen_fd > 0)
			close(l->cfg.listen_fd);
		lsn_state(l, LSN_FAILED);
		return;
	}
	ua_ep_t *ep = xmalloc(sizeof *ep);
	ua_ep_init(ua, ep);
	if (ua_ep_listen(ep, &l->cfg) != 0) {
		free(ep);
		lsn_state(l, LSN_FAILED);
		return;
	}
	ep->rx = &l->cfg;
	ep->cb = lsn_result;
	ep->cb_ud = l;
	ep->owner = l;
	ep_add(ua, ep);
	pthread_mutex_lock(&e->mu);
	e->listeners++;
	pthread_mutex_unlock(&e->mu);
	if (l->cfg.bound_port)
		__atomic_store_n(l->cfg.bound_port, (int)sipaddr_port(&ep->bound), __ATOMIC_RELEASE);
	log_event(LOG_INFO, "line_listen", "call=- listen=%s port=%u calls=0 t38=%d ecm=%d transport=%s engine=shared",
		  l->cfg.listen, sipaddr_port(&ep->bound), l->cfg.t38, l->cfg.ecm, via_proto(ep));
	lsn_state(l, LSN_UP);
}

/* Each pass of the loop: a listener whose stop is set takes no new call
 * (503) and its calls end (ua_call_stops); once every one was reported and
 * a second passed (answering retransmissions), the lingering ones go and
 * it closes. A transport for calls out idle ten minutes closes. */
void engine_eps(ua_t *ua, int64_t now)
{
	for (int i = ua->neps - 1; i >= 0; i--) {
		ua_ep_t *ep = ua->eps[i];
		struct lsn *l = ep->owner;
		if (!l) {
			if (ep->tr && !ep->ncalls && now - ep->idle_ms > EP_IDLE_MS)
				engine_ep_drop(ua, i);
			continue;
		}
		if (!ep->closing && (ua->stopping || atomic_load(l->cfg.stop))) {
			ep->closing = 1;
			l->closing_ms = now;
			log_event(LOG_INFO, "line_stopping", "call=- listen=%s calls=%d", l->cfg.listen, ep->live);
		}
		if (!ep->closing || ep->live > 0 || ep->pending > 0 || now - l->closing_ms < LSN_GRACE_MS)
			continue;
		for (int k = 0; k < ua->ncalls; k++) {
			call_t *c = ua->calls[k];
			if (c->ep != ep)
				continue;
			call_lock(c);
			if (c->state == CS_ENDED)
				c->linger_until_ms = now;
			call_unlock(c);
		}
		if (!ep->ncalls && !ep->pending)
			engine_ep_drop(ua, i);
	}
}

/* The engine's thread: the submissions queued since last time become calls
 * of its loops, the listeners endpoints. */
void engine_take(ua_t *ua)
{
	line_engine_t *e = ua->eng;
	uint64_t v;
	if (read(ua->efd, &v, sizeof v) < 0 && errno != EAGAIN)
		log_event(LOG_WARN, "line_engine_wake", "call=- errno=%d", errno);
	pthread_mutex_lock(&e->mu);
	struct sub *s = e->queue;
	e->queue = NULL;
	e->tail = &e->queue;
	struct lsn *l = e->lqueue;
	e->lqueue = NULL;
	pthread_mutex_unlock(&e->mu);
	while (l) {
		struct lsn *next = l->next;
		engine_listen(ua, l);
		l = next;
	}
	while (s) {
		struct sub *next = s->next;
		char err[sizeof s->res->reason] = "";
		ua_ep_t *ep = NULL;
		if (ua->stopping) {
			sub_fail(s, "the node's media engine stopped");
		} else if (ua->ncalls >= LINE_CALLS_MAX - 1) {
			sub_fail(s, "the node's media engine is full");
		} else if (!(ep = engine_ep_out(ua, s, err, sizeof err))) {
			pthread_mutex_lock(&s->mu);
			memcpy(s->res->reason, err, sizeof err);
			snprintf(s->res->fail_class, sizeof s->res->fail_class, "rejected");
			pthread_mutex_unlock(&s->mu);
			sub_finish(s, -1);
		} else {
			call_t *c = ua_outbound_call(ua, ep, &s->cfg, s->tx_file, &s->peer, s->target, s->user,
						     s->pages_total, s->first);
			if (!c) {
				pthread_mutex_lock(&s->mu);
				snprintf(s->res->reason, sizeof s->res->reason, "cannot open a media socket");
				snprintf(s->res->fail_class, sizeof s->res->fail_class, "rejected");
				pthread_mutex_unlock(&s->mu);
				sub_finish(s, -1);
			} else {
				c->cb = sub_result;
				c->cb_ud = s;
				c->invite_at_ms = now_ms();
				c->invite_pending = 1;
			}
		}
		s = next;
	}
}

static void *engine_main(void *arg)
{
	line_engine_t *e = arg;
	ua_t *ua = &e->ua;
	int efd = ua->efd;
	if (ua_run(ua, 1) != 0)
		log_event(LOG_ERROR, "line_engine_failed", "call=- why=\"no media thread\"");
	pthread_mutex_lock(&e->mu);
	e->dead = 1;
	struct sub *s = e->queue;
	e->queue = NULL;
	e->tail = &e->queue;
	struct lsn *l = e->lqueue;
	e->lqueue = NULL;
	pthread_mutex_unlock(&e->mu);
	for (; s; s = s->next)
		sub_fail(s, "the node's media engine stopped");
	for (; l; l = l->next) {
		if (l->cfg.listen_fd > 0)
			close(l->cfg.listen_fd);
		lsn_state(l, LSN_FAILED);
	}
	close(efd);
	return NULL;
}

line_engine_t *line_engine_new(const line_engine_cfg_t *ec, char *err, size_t errlen)
{
	line_engine_t *e = xcalloc(1, sizeof *e);
	line_cfg_defaults(&e->cfg);
	e->cfg.media_threads = ec->media_loops < 1 ? 1 : ec->media_loops > 64 ? 64 : ec->media_loops;
	e->cfg.media_priority = ec->media_priority;
	e->cfg.clock_speed = ec->clock_speed > 0 ? ec->clock_speed : 1.0;
	e->cfg.stop = &e->stop;
	pthread_mutex_init(&e->mu, NULL);
	e->tail = &e->queue;
	ua_t *ua = &e->ua;
	if (ua_init(ua, &e->cfg) != 0) {
		snprintf(err, errlen, "out of descriptors or memory for the engine's loops");
		pthread_mutex_destroy(&e->mu);
		free(e);
		return NULL;
	}
	ua->persistent = 1;
	ua->eng = e;
	ua->neps = 0; /* its endpoints come with its calls and listeners */
	ua->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ua->efd < 0) {
		snprintf(err, errlen, "cannot open the engine's event descriptor");
		goto fail;
	}
	int rc = pthread_create(&e->th, NULL, engine_main, e);
	if (rc != 0) {
		snprintf(err, errlen, "no thread for the engine's loop");
		goto fail;
	}
	e->started = 1;
	log_event(LOG_INFO, "line_engine", "call=- media_loops=%d", e->cfg.media_threads);
	return e;
fail:
	if (ua->efd >= 0)
		close(ua->efd);
	ua_fini(ua);
	pthread_mutex_destroy(&e->mu);
	free(e);
	return NULL;
}

/* Adds the contents of a file (or its name when it cannot be read) to a
 * digest. */
static void digest_file(EVP_MD_CTX *md, const char *path)
{
	uint8_t buf[8192];
	int fd = path && *path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	ssize_t n;
	EVP_DigestUpdate(md, "\n", 1);
	if (fd < 0) {
		if (path)
			EVP_DigestUpdate(md, path, strlen(path));
		return;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0)
		EVP_DigestUpdate(md, buf, (size_t)n);
	close(fd);
}

/* s->key: which of the engine's endpoints s's call goes through. */
static void sub_key(struct sub *s, const char *host, int host_is_name)
{
	const line_cfg_t *cfg = &s->cfg;
	int v6 = s->peer.ss_family == AF_INET6;
	if (cfg->sip_transport == SIPTRANS_UDP) {
		snprintf(s->key, sizeof s->key, "udp%d", v6 ? 6 : 4);
		return;
	}
	snprintf(s->peer_name, sizeof s->peer_name, "%s", cfg->tls_name ? cfg->tls_name : host_is_name ? host : "");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hl = 0;
	char head[300];
	snprintf(head, sizeof head, "%d %d %s", cfg->sip_transport, v6, s->peer_name);
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		/* no digest: a transport of its own, never shared */
		snprintf(s->key, sizeof s->key, "own-%p", (void *)s);
		EVP_MD_CTX_free(md);
		return;
	}
	EVP_DigestUpdate(md, head, strlen(head));
	if (cfg->sip_transport == SIPTRANS_TLS) {
		digest_file(md, cfg->tls_ca);
		digest_file(md, cfg->tls_cert);
		digest_file(md, cfg->tls_key);
	}
	EVP_DigestFinal_ex(md, h, &hl);
	EVP_MD_CTX_free(md);
	int k = snprintf(s->key, sizeof s->key, "%s", cfg->sip_transport == SIPTRANS_TLS ? "tls-" : "tcp-");
	for (unsigned i = 0; i < hl && i < 32; i++)
		k += snprintf(s->key + k, sizeof s->key - (size_t)k, "%02x", h[i]);
}

/* The target's address when the engine can carry cfg's call to it (a
 * name is resolved here, in the sender's thread); -1 to run the call
 * apart. */
static int engine_fits(const line_engine_t *e, struct sub *s, const line_cfg_t *cfg, const char *target)
{
	if ((cfg->sip_transport != SIPTRANS_UDP && cfg->sip_transport != SIPTRANS_TCP &&
	     cfg->sip_transport != SIPTRANS_TLS) ||
	    cfg->listen || cfg->replay || cfg->record_path || cfg->media_shared || cfg->bound_port)
		return -1;
	double speed = cfg->clock_speed > 0 ? cfg->clock_speed : 1.0;
	if (speed != e->cfg.clock_speed || cfg->media_priority != e->cfg.media_priority)
		return -1;
	sip_str_t uri = {target, strlen(target)}, host;
	uint16_t port;
	char hostz[128], hp[160];
	if (sip_uri_parse(uri, &s->user, &host, &port) != 0 || host.n >= sizeof hostz)
		return -1;
	copy_str(hostz, sizeof hostz, host);
	snprintf(hp, sizeof hp, "%s:%u", hostz, port);
	struct sockaddr_storage lit;
	int is_name = sipaddr_parse(hp, &lit, 0) != 0;
	if (parse_hostport(hp, &s->peer) != 0)
		return -1; /* not resolved: line_send says so */
	s->cfg = *cfg;
	sub_key(s, hostz, is_name);
	return 0;
}

int line_engine_send(line_engine_t *e, const line_cfg_t *cfg, const char *target, const char *tiff,
		     fax_result_t *res)
{
	struct sub s;
	memset(&s, 0, sizeof s);
	if (!e || engine_fits(e, &s, cfg, target) != 0)
		return line_send(cfg, target, tiff, res);
	fax_result_init(res, 1);
	char why[128];
	int pages = ua_count_pages(tiff, why, sizeof why);
	if (pages <= 0) {
		snprintf(res->reason, sizeof res->reason, "%s: %s", tiff, pages == 0 ? "no pages" : why);
		snprintf(res->fail_class, sizeof res->fail_class, "rejected");
		return -1;
	}
	int first = cfg->first_page > 0 ? cfg->first_page : 1;
	int last = cfg->last_page > 0 ? cfg->last_page : pages;
	if (cfg->first_page < 0 || cfg->last_page < 0 || first > pages || last > pages || first > last) {
		snprintf(res->reason, sizeof res->reason, "page range %d..%d is outside the document (%d page%s)", first,
			 last, pages, pages == 1 ? "" : "s");
		snprintf(res->fail_class, sizeof res->fail_class, "rejected");
		return -1;
	}
	/* The document in memory, read here and not on the engine's loop. */
	char tx_mem[64];
	int tx_memfd = tx_file_load(tiff, tx_mem, sizeof tx_mem);
	s.cfg = *cfg;
	s.cfg.on_page = sub_page;
	s.cfg.page_ud = &s;
	s.orig = cfg;
	s.target = target;
	s.tx_file = tx_memfd >= 0 ? tx_mem : tiff;
	s.pages_total = last - first + 1;
	s.first = first;
	s.res = res;
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	pthread_mutex_lock(&e->mu);
	int dead = e->dead;
	if (!dead) {
		*e->tail = &s;
		e->tail = &s.next;
		e->active++;
		e->submitted++;
	}
	pthread_mutex_unlock(&e->mu);
	int rc;
	if (dead) {
		rc = line_send(cfg, target, tiff, res);
	} else {
		uint64_t one = 1;
		if (write(e->ua.efd, &one, sizeof one) < 0)
			log_event(LOG_WARN, "line_engine_wake", "call=- errno=%d", errno);
		/* The pages as they are confirmed, then the result. */
		pthread_mutex_lock(&s.mu);
		for (;;) {
			while (s.npages > 0 && cfg->on_page) {
				int pg[64][2], n = s.npages < 64 ? s.npages : 64;
				memcpy(pg, s.pages, (size_t)n * sizeof pg[0]);
				memmove(s.pages, s.pages + n, (size_t)(s.npages - n) * sizeof pg[0]);
				s.npages -= n;
				pthread_mutex_unlock(&s.mu);
				for (int i = 0; i < n; i++)
					cfg->on_page(cfg->page_ud, pg[i][0], pg[i][1]);
				pthread_mutex_lock(&s.mu);
			}
			if (s.done)
				break;
			pthread_cond_wait(&s.cv, &s.mu);
		}
		rc = s.rc;
		pthread_mutex_unlock(&s.mu);
		pthread_mutex_lock(&e->mu);
		e->active--;
		pthread_mutex_unlock(&e->mu);
	}
	if (tx_memfd >= 0)
		close(tx_memfd);
	free(s.pages);
	pthread_cond_destroy(&s.cv);
	pthread_mutex_destroy(&s.mu);
	return rc;
}

void line_engine_counts(line_engine_t *e, int *calls, long *started)
{
	pthread_mutex_lock(&e->mu);
	*calls = e->active;
	*started = e->submitted;
	pthread_mutex_unlock(&e->mu);
}

int line_engine_loop_stats(line_engine_t *e, line_loop_stats_t *out, int max)
{
	ua_t *ua = &e->ua;
	int n = 0;
	for (int i = 0; i < ua->nworkers && n < max; i++, n++) {
		worker_t *w = &ua->workers[i];
		pthread_mutex_lock(&w->lock);
		out[n].ticks = w->ms.st.ticks_run;
		out[n].late_ticks = w->ms.st.late_ticks;
		out[n].max_late_us = w->ms.st.max_late_ns / 1000;
		pthread_mutex_unlock(&w->lock);
	}
	return n;
}

int line_engine_listeners(line_engine_t *e)
{
	pthread_mutex_lock(&e->mu);
	int n = e->listeners;
	pthread_mutex_unlock(&e->mu);
	return n;
}

/* A listener the engine can carry: one that runs until its stop flag,
 * with the engine's clock and priority, answering calls normally. */
static int engine_fits_rx(const line_engine_t *e, const line_cfg_t *cfg)
{
	if (!cfg->listen || !cfg->stop || cfg->calls > 0 || cfg->replay || cfg->record_path || cfg->media_shared)
		return 0;
	double speed = cfg->clock_speed > 0 ? cfg->clock_speed : 1.0;
	return speed == e->cfg.clock_speed && cfg->media_priority == e->cfg.media_priority;
}

int line_engine_receive(line_engine_t *e, const line_cfg_t *cfg, line_result_fn *cb, void *ud)
{
	if (!e || !engine_fits_rx(e, cfg))
		return line_receive(cfg, cb, ud);
	struct lsn l;
	memset(&l, 0, sizeof l);
	l.cfg = *cfg;
	l.cb = cb;
	l.ud = ud;
	l.res_tail = &l.res;
	pthread_mutex_init(&l.mu, NULL);
	pthread_cond_init(&l.cv, NULL);
	pthread_mutex_lock(&e->mu);
	int dead = e->dead;
	if (!dead) {
		l.next = e->lqueue;
		e->lqueue = &l;
	}
	pthread_mutex_unlock(&e->mu);
	int rc;
	if (dead) {
		rc = line_receive(cfg, cb, ud);
	} else {
		uint64_t one = 1;
		if (write(e->ua.efd, &one, sizeof one) < 0)
			log_event(LOG_WARN, "line_engine_wake", "call=- errno=%d", errno);
		/* The results of its calls, in this thread, until it ended. */
		pthread_mutex_lock(&l.mu);
		for (;;) {
			struct lres *x = l.res;
			if (x) {
				l.res = x->next;
				if (!l.res)
					l.res_tail = &l.res;
				pthread_mutex_unlock(&l.mu);
				if (cb)
					cb(ud, &x->r);
				free(x);
				pthread_mutex_lock(&l.mu);
				continue;
			}
			if (l.state == LSN_FAILED || l.state == LSN_ENDED)
				break;
			pthread_cond_wait(&l.cv, &l.mu);
		}
		rc = l.state == LSN_FAILED ? -1 : 0;
		pthread_mutex_unlock(&l.mu);
	}
	pthread_cond_destroy(&l.cv);
	pthread_mutex_destroy(&l.mu);
	return rc;
}

void line_engine_free(line_engine_t *e)
{
	if (!e)
		return;
	atomic_store(&e->stop, 1);
	if (e->started)
		pthread_join(e->th, NULL);
	pthread_mutex_destroy(&e->mu);
	free(e);
}
