/* The loop of the line engine (see ua.c): reading SIP (UDP, or TCP/TLS
 * through siptrans) and handing each message to its call, the SIP timers,
 * reaping ended calls, starting the media workers (and their priority) and
 * stopping everything on the stop flag. */
#include "ua_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>

#include "log.h"
#include "timeutil.h"

/* A connection we opened to a peer failed before it carried anything:
 * the calls still ringing there end now, with why as their reason. */
void on_link_fail(void *ud, const struct sockaddr_storage *peer, const char *why)
{
	ua_ep_t *ep = ud;
	ua_t *ua = ep->ua;
	for (int i = 0; i < ua->ncalls; i++) {
		call_t *c = ua->calls[i];
		if (c->ep != ep)
			continue;
		call_lock(c);
		if (c->state == CS_INVITING && !c->invite_pending && sipaddr_eq(&c->peer, peer)) {
			log_event(LOG_WARN, "sip_link_failed", "call=%s why=%s", c->call_id, why);
			snprintf(c->res.link_error, sizeof c->res.link_error, "%s", why);
			c->res.network_error = 1;
			call_end(c);
		}
		call_unlock(c);
	}
}

static void sip_readable(ua_ep_t *ep)
{
	ua_t *ua = ep->ua;
	uint8_t pkt[SIP_MSG_MAX + 1];
	for (int k = 0; k < (ep->tr ? 256 : 32); k++) {
		struct sockaddr_storage src;
		socklen_t sl = sizeof src;
		ssize_t n = ep->tr ? (ssize_t)siptrans_recv(ep->tr, pkt, sizeof pkt, &src)
				   : recvfrom(ep->fd, pkt, sizeof pkt, 0, (struct sockaddr *)&src, &sl);
		if (n < 0 || (ep->tr && n == 0))
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
				respond(ep, &src, &m, 400, NULL, NULL, NULL, NULL);
			} else {
				log_event(LOG_WARN, "sip_drop", "call=- reason=headers");
			}
			continue;
		}
		if (m.is_request) {
			/* The call this request belongs to (if any) is locked while
			 * it is handled; a new call is published to its worker only
			 * once it is fully set up. */
			call_t *c = find_call(ua, &m);
			if (c)
				call_lock(c);
			handle_request(ep, &m, &src);
			if (c)
				call_unlock(c);
		} else {
			call_t *c = find_call(ua, &m);
			if (c)
			{
				call_lock(c);
				handle_response(ua, c, &m);
				call_unlock(c);
			}
		}
	}
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
	if (ua->persistent)
		return 0; /* until its stop flag */
	if (sending)
		return ua->calls_ended >= ua->nsend;
	if (ua->cfg->calls > 0 && ua->calls_ended >= ua->cfg->calls)
		return 1;
	return 0;
}

/* cfg->media_shared: one media socket per loop, on the SIP socket's IP.
 * When one cannot be opened the engine keeps a socket per call. */
void ua_open_muxes(ua_t *ua)
{
	if (!ua->cfg->media_shared)
		return;
	int ok = 1;
	if (ua->nworkers) {
		for (int i = 0; i < ua->nworkers && ok; i++)
			ok = (ua->workers[i].mux = mediamux_open(&ua->ep.bound)) != NULL;
	} else {
		ok = (ua->mux = mediamux_open(&ua->ep.bound)) != NULL;
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
int media_priority_enter(int prio, int *old_policy, struct sched_param *old_param)
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

/* The media spawner (line_media_spawner_start): a thread under SCHED_RR
 * that starts the media threads, which inherit its policy and priority.
 * One request at a time; its lock inherits priority (ua_mutex_init). */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running;
	void *(*fn)(void *); /* the request waiting, NULL when none */
	void *arg;
	pthread_t th;
	int rc, done;
} spawner;
static pthread_once_t spawner_once = PTHREAD_ONCE_INIT;

static void spawner_init(void)
{
	ua_mutex_init(&spawner.mu);
	pthread_cond_init(&spawner.cv, NULL);
}

static void *spawner_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&spawner.mu);
	for (;;) {
		while (!spawner.fn)
			pthread_cond_wait(&spawner.cv, &spawner.mu);
		/* default attributes: the scheduling policy is inherited */
		spawner.rc = pthread_create(&spawner.th, NULL, spawner.fn, spawner.arg);
		spawner.fn = NULL;
		spawner.done = 1;
		pthread_cond_broadcast(&spawner.cv);
	}
	return NULL;
}

int line_media_spawner_start(void)
{
	pthread_once(&spawner_once, spawner_init);
	int policy;
	struct sched_param sp;
	if (pthread_getschedparam(pthread_self(), &policy, &sp) != 0 || policy != SCHED_RR)
		return -1;
	pthread_mutex_lock(&spawner.mu);
	int rc = spawner.running ? 0 : -1;
	if (!spawner.running) {
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_t th;
		if (pthread_create(&th, &at, spawner_main, NULL) == 0) {
			spawner.running = 1;
			rc = 0;
		}
		pthread_attr_destroy(&at);
	}
	pthread_mutex_unlock(&spawner.mu);
	if (rc == 0)
		log_event(LOG_INFO, "media_spawner", "call=- policy=rr priority=%d", sp.sched_priority);
	return rc;
}

int media_thread_create(pthread_t *th, void *(*fn)(void *), void *arg)
{
	pthread_once(&spawner_once, spawner_init);
	pthread_mutex_lock(&spawner.mu);
	if (!spawner.running) {
		pthread_mutex_unlock(&spawner.mu);
		return pthread_create(th, NULL, fn, arg);
	}
	while (spawner.fn || spawner.done) /* another request's turn */
		pthread_cond_wait(&spawner.cv, &spawner.mu);
	spawner.fn = fn;
	spawner.arg = arg;
	pthread_cond_broadcast(&spawner.cv);
	while (!spawner.done)
		pthread_cond_wait(&spawner.cv, &spawner.mu);
	int rc = spawner.rc;
	*th = spawner.th;
	spawner.done = 0;
	pthread_cond_broadcast(&spawner.cv);
	pthread_mutex_unlock(&spawner.mu);
	return rc;
}

/* Starts the media threads: 0, or -1 (logged) with those started joined
 * again, when the process has no thread to give. */
static int ua_start_workers(ua_t *ua)
{
	for (int i = 0; i < ua->nworkers; i++) {
		int rc = ua->media_priority > 0 ? media_thread_create(&ua->workers[i].th, worker_main, &ua->workers[i])
						: pthread_create(&ua->workers[i].th, NULL, worker_main, &ua->workers[i]);
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

/* The media loops' figures summed (each read under its loop's lock). */
static void ua_stats_sum(ua_t *ua, loop_stats_t *s)
{
	*s = ua->ms.st;
	for (int i = 0; i < ua->nworkers; i++) {
		worker_t *w = &ua->workers[i];
		pthread_mutex_lock(&w->lock);
		s->ticks_run += w->ms.st.ticks_run;
		s->late_ticks += w->ms.st.late_ticks;
		s->pkts += w->ms.st.pkts;
		s->late_pkts += w->ms.st.late_pkts;
		s->stray += w->ms.st.stray;
		if (w->ms.st.max_late_ns > s->max_late_ns)
			s->max_late_ns = w->ms.st.max_late_ns;
		if (w->ms.st.max_pkt_late_ns > s->max_pkt_late_ns)
			s->max_pkt_late_ns = w->ms.st.max_pkt_late_ns;
		pthread_mutex_unlock(&w->lock);
	}
}

/* One loop_stats line: what the loops measured since the last one (a
 * long-lived engine writes one each time its last call is gone, so that
 * the lines of a log add up as those of engines run per call do; the
 * maxima are since the engine started). */
static void ua_stats_log(ua_t *ua, int calls)
{
	loop_stats_t s;
	ua_stats_sum(ua, &s);
	loop_stats_t d = s;
	d.ticks_run -= ua->logged.ticks_run;
	d.late_ticks -= ua->logged.late_ticks;
	d.pkts -= ua->logged.pkts;
	d.late_pkts -= ua->logged.late_pkts;
	d.stray -= ua->logged.stray;
	ua->logged = s;
	log_event(LOG_INFO, "loop_stats",
		  "call=- ticks=%lld late_ticks=%lld max_late_ms=%.1f packets=%lld late_packets=%lld "
		  "max_packet_late_ms=%.1f stray=%lld calls=%d",
		  (long long)d.ticks_run, (long long)d.late_ticks, (double)d.max_late_ns / 1e6, (long long)d.pkts,
		  (long long)d.late_pkts, (double)d.max_pkt_late_ns / 1e6, (long long)d.stray, calls);
}

/* A submitted call's own stop flag (line_engine_send): that call ends
 * (BYE when up, CANCEL when ringing), the others go on. */
static void ua_call_stops(ua_t *ua)
{
	for (int i = 0; i < ua->ncalls; i++) {
		call_t *c = ua->calls[i];
		if (c->stop_seen || c->cfg == ua->cfg || !c->cfg->stop || !atomic_load(c->cfg->stop))
			continue;
		call_lock(c);
		c->stop_seen = 1;
		if (c->state == CS_UP)
			call_send_bye(c);
		else if (c->state == CS_INVITING)
			call_cancel(c);
		call_unlock(c);
	}
}

/* Runs the loop until every call is over (or, receiving, until stopped):
 * 0, or -1 when the engine could not start (every call reported failed). */
int ua_run(ua_t *ua, int sending)
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
		struct pollfd pfd[UA_EPS_MAX + 2];
		int npfd = 0, neps = ua->neps, dfd_at = -1;
		if (ua->efd >= 0)
			pfd[npfd++] = (struct pollfd){.fd = ua->efd, .events = POLLIN};
		if (ua->dfd >= 0) { /* decisions on INVITEs (ua_decide.c) */
			dfd_at = npfd;
			pfd[npfd++] = (struct pollfd){.fd = ua->dfd, .events = POLLIN};
		}
		int first = npfd, streams = 0;
		for (int i = 0; i < neps; i++) {
			ua_ep_t *ep = ua->eps[i];
			pfd[npfd++] = (struct pollfd){.fd = ep->tr ? siptrans_fd(ep->tr) : ep->fd, .events = POLLIN};
			streams |= ep->tr != NULL;
		}
		int64_t wait_ns = ua->nworkers ? (next_due_ms - now_ms()) * 1000000 : ua->next_tick_ns - time_mono_ns();
		if (wait_ns > 50000000)
			wait_ns = 50000000;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = wait_ns > 0 ? wait_ns : 0};
		int ready = ppoll(pfd, (nfds_t)npfd, &ts, NULL) > 0;
		/* TCP/TLS: also connects, handshakes and timeouts */
		for (int i = 0; i < neps && (ready || streams); i++)
			if (ua->eps[i]->tr || pfd[first + i].revents)
				sip_readable(ua->eps[i]);
		if (ua->efd >= 0 && (pfd[0].revents & POLLIN))
			engine_take(ua);
		pend_pass(ua, dfd_at >= 0 && (pfd[dfd_at].revents & POLLIN), now_ms());
		if (ua->persistent)
			ua_call_stops(ua);
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
		int had = ua->ncalls;
		ua_reap(ua, now);
		if (ua->persistent && had && !ua->ncalls)
			ua_stats_log(ua, ua->calls_started);
		if (ua->persistent)
			engine_eps(ua, now);
	}
	/* INVITEs still waiting for their decision: 503, once it is in. */
	pend_drain(ua);
	atomic_store(&ua->workers_stop, 1);
	for (int i = 0; i < ua->nworkers; i++)
		pthread_join(ua->workers[i].th, NULL);
	for (int i = 0; i < ua->ncalls; i++) {
		call_end(ua->calls[i]);
		call_report(ua->calls[i]);
		call_free(ua->calls[i]);
	}
	ua->ncalls = 0;
	record_save(ua);
	ua_stats_log(ua, ua->calls_started);
	if (prio_set)
		media_priority_leave(old_policy, &old_param);
	ua_fini(ua);
	return 0;
}
