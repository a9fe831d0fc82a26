/* The media clock of the line engine (see ua.c): one tick of a media loop
 * over all its calls (send, receive, DSP), the passes for a loop's shared
 * media socket, and the media worker threads that run the ticks. */
#include "ua_int.h"

#include <sys/socket.h>

#include "log.h"
#include "timeutil.h"

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
	struct sockaddr_storage to[MUX_SEND_CALLS];
	int cnt[MUX_SEND_CALLS];
	size_t bytes[MUX_SEND_CALLS];
	for (int i0 = 0; i0 < n; i0 += MUX_SEND_CALLS) {
		int nc = n - i0 < MUX_SEND_CALLS ? n - i0 : MUX_SEND_CALLS, nm = 0;
		for (int j = 0; j < nc; j++) {
			call_t *c = calls[i0 + j];
			call_lock(c);
			cnt[j] = 0;
			bytes[j] = 0;
			if (c->mfd >= 0 || c->state != CS_UP || !sipaddr_port(&c->mpeer)) {
				media_send_due(c, t); /* its own socket, or nothing goes out */
				continue;
			}
			to[j] = c->mpeer;
			while (cnt[j] < c->outn && c->outdue[cnt[j]] <= t) {
				uint16_t len = c->outlen[cnt[j]];
				iov[nm] = (struct iovec){c->outbuf + bytes[j], len};
				m[nm] = (struct mmsghdr){.msg_hdr = {.msg_name = &to[j],
								     .msg_namelen = sipaddr_len(&to[j]),
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
		int want = c->state == CS_UP && sipaddr_port(&c->mpeer);
		if (c->mux_keyed && (!want || !sipaddr_eq(&c->mux_key, &c->mpeer))) {
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
			call_t *c = msgs[i].msg_hdr.msg_namelen > 0 ? mediamux_find(mx, &mx->rx_from[i]) : NULL;
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

void tick_calls(call_t **calls, int n, media_sched_t *ms, mediamux_t *mx, int64_t deadline_ns)
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

void *worker_main(void *arg)
{
	worker_t *w = arg;
	ua_t *ua = w->ua;
	int old_policy;
	struct sched_param old_param;
	if (ua->media_priority > 0)
		media_priority_enter(ua->media_priority, &old_policy, &old_param);
	int64_t next = time_mono_ns() + ua->tick_ns;
	while (!atomic_load(&ua->workers_stop)) {
		/* A loop without calls sleeps until one is published (checking
		 * the stop flag every 50 ms) instead of ticking for nothing: an
		 * idle node's engine and listeners cost no wake-ups. Its clock
		 * starts again from the call. */
		pthread_mutex_lock(&w->lock);
		int slept = 0;
		while (w->n == 0 && !atomic_load(&ua->workers_stop)) {
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += 50000000;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&w->cv, &w->lock, &until);
			slept = 1;
		}
		pthread_mutex_unlock(&w->lock);
		if (slept)
			next = time_mono_ns() + ua->tick_ns;
		struct timespec ts = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		int64_t now_ns = time_mono_ns();
		if (now_ns < next)
			continue;
		int64_t late = now_ns - next;
		/* Counted under the loop's lock (a long-lived engine reads them
		 * while it runs); a loop without calls counts nothing. */
		pthread_mutex_lock(&w->lock);
		if (w->n > 0) {
			w->ms.st.ticks_run++;
			if (late > ua->tick_ns && ++w->ms.st.late_ticks <= 20)
				log_event(LOG_INFO, "tick_late", "call=- late_ms=%.1f worker=%d", (double)late / 1e6,
					  (int)(w - ua->workers));
			if (late > w->ms.st.max_late_ns)
				w->ms.st.max_late_ns = late;
		}
		pthread_mutex_unlock(&w->lock);
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
