/* A long-lived engine (see line.h, line_engine_*): one user agent (ua_t)
 * run by a thread of its own in persistent mode (ua_loop.c), with its
 * media loops started once; line_engine_send queues a call for it and
 * waits. The engine's thread takes the queue when its eventfd says so
 * (engine_take), adds each call to a media loop and reports the result
 * back to the waiting sender, with the pages confirmed on the way. */
#include "ua_int.h"

#include <errno.h>
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

struct line_engine {
	ua_t ua;
	line_cfg_t cfg;           /* the engine's own: stop, loops, priority, speed */
	atomic_int stop;
	pthread_t th;
	int started;              /* th runs */
	int family;
	pthread_mutex_t mu;       /* guards queue, dead, active, submitted */
	struct sub *queue, **tail;
	int dead;                 /* its loop ended (or never ran): calls go apart */
	int active;
	long submitted;
};

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

/* The engine's thread: the submissions queued since last time become calls
 * of its loops. */
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
	pthread_mutex_unlock(&e->mu);
	while (s) {
		struct sub *next = s->next;
		if (ua->stopping) {
			sub_fail(s, "the node's media engine stopped");
		} else if (ua->ncalls >= LINE_CALLS_MAX - 1) {
			sub_fail(s, "the node's media engine is full");
		} else {
			call_t *c = ua_outbound_call(ua, &s->cfg, s->tx_file, &s->peer, s->target, s->user, s->pages_total,
						     s->first);
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
	int fd = ua->fd, efd = ua->efd;
	if (ua_run(ua, 1) != 0)
		log_event(LOG_ERROR, "line_engine_failed", "call=- why=\"no media thread\"");
	close(fd);
	pthread_mutex_lock(&e->mu);
	e->dead = 1;
	struct sub *s = e->queue;
	e->queue = NULL;
	e->tail = &e->queue;
	pthread_mutex_unlock(&e->mu);
	for (; s; s = s->next)
		sub_fail(s, "the node's media engine stopped");
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
	e->family = ec->family == AF_INET6 ? AF_INET6 : AF_INET;
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
	struct sockaddr_storage any = {.ss_family = (sa_family_t)e->family};
	ua->fd = udp_bind(&any);
	ua->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ua->fd < 0 || ua->efd < 0) {
		snprintf(err, errlen, "cannot open the engine's SIP socket");
		goto fail;
	}
	socklen_t bl = sizeof ua->bound;
	getsockname(ua->fd, (struct sockaddr *)&ua->bound, &bl);
	int rc = pthread_create(&e->th, NULL, engine_main, e);
	if (rc != 0) {
		snprintf(err, errlen, "no thread for the engine's loop");
		goto fail;
	}
	e->started = 1;
	log_event(LOG_INFO, "line_engine", "call=- media_loops=%d port=%u family=%s", e->cfg.media_threads,
		  sipaddr_port(&ua->bound), e->family == AF_INET6 ? "ipv6" : "ipv4");
	return e;
fail:
	if (ua->fd >= 0)
		close(ua->fd);
	if (ua->efd >= 0)
		close(ua->efd);
	ua_fini(ua);
	pthread_mutex_destroy(&e->mu);
	free(e);
	return NULL;
}

/* The target's address when the engine can carry cfg's call to it; -1 to
 * run the call apart. */
static int engine_fits(const line_engine_t *e, const line_cfg_t *cfg, const char *target,
		       struct sockaddr_storage *peer, sip_str_t *user)
{
	if (cfg->sip_transport != SIPTRANS_UDP || cfg->listen || cfg->replay || cfg->record_path ||
	    cfg->media_shared || cfg->bound_port)
		return -1;
	double speed = cfg->clock_speed > 0 ? cfg->clock_speed : 1.0;
	if (speed != e->cfg.clock_speed || cfg->media_priority != e->cfg.media_priority)
		return -1;
	sip_str_t uri = {target, strlen(target)}, host;
	uint16_t port;
	char hostz[128], hp[160];
	if (sip_uri_parse(uri, user, &host, &port) != 0 || host.n >= sizeof hostz)
		return -1;
	copy_str(hostz, sizeof hostz, host);
	snprintf(hp, sizeof hp, "%s:%u", hostz, port);
	if (sipaddr_parse(hp, peer, 0) != 0 || peer->ss_family != e->family)
		return -1;
	return 0;
}

int line_engine_send(line_engine_t *e, const line_cfg_t *cfg, const char *target, const char *tiff,
		     fax_result_t *res)
{
	struct sub s;
	memset(&s, 0, sizeof s);
	if (!e || engine_fits(e, cfg, target, &s.peer, &s.user) != 0)
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
