/* The media of one call of the line engine (see ua.c): RTP/G.711 or
 * UDPTL/T.38 set up from SDP, the call's queue of datagrams not yet due
 * and their sending, its media socket, reading what came in, and one
 * 20 ms step of its media clock (call_receive, call_tick). */
#include "ua_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "g711tab.h"
#include "log.h"
#include "xalloc.h"

static void media_watch(call_t *c, int on);
static int peer_silent(const call_t *c, int64_t ms);

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
int media_send_due(call_t *c, int64_t upto)
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
				   sipaddr_len(&c->mpeer)) == (ssize_t)c->outlen[0])
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
								    .msg_namelen = sipaddr_len(&c->mpeer),
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
void outq_drop(call_t *c, int k, size_t bytes)
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

/* The media address an SDP gave: where our media goes, and the source
 * the call's media is taken from at once (mediasrc.h). With symmetric
 * media, a lock kept through this SDP (the same address as before: a
 * refresh, the switch to T.38) keeps our media going where it was. */
int set_mpeer(call_t *c, const sdp_media_t *m)
{
	struct sockaddr_storage sa;
	if (sipaddr_from_ip(&sa, m->addr, m->port) != 0)
		return -1;
	media_src_reset(&c->msrc, &sa);
	c->mpeer = c->cfg->symmetric_media && c->mfd >= 0 && c->msrc.locked ? c->msrc.lock : sa;
	return 0;
}

/* The call's media is now taken from src (learnt: after its probation).
 * cfg->symmetric_media: our media goes there too (a peer behind NAT
 * announces its private address; its NAT's is where it can be reached). */
static void media_locked(call_t *c, const struct sockaddr_storage *src, int learnt)
{
	char sdp[SIPADDR_STR_MAX], from[SIPADDR_STR_MAX];
	if (learnt)
		log_event(LOG_INFO, "media_learnt", "call=%s sdp=%s:%u from=%s:%u packets=%d", c->call_id,
			  sipaddr_ip(&c->msrc.sdp, sdp, sizeof sdp), sipaddr_port(&c->msrc.sdp),
			  sipaddr_ip(src, from, sizeof from), sipaddr_port(src), MEDIASRC_PROBATION);
	if (!c->cfg->symmetric_media || sipaddr_eq(src, &c->mpeer))
		return;
	log_event(LOG_INFO, "media_latched", "call=%s sdp=%s:%u from=%s:%u", c->call_id,
		  sipaddr_ip(&c->msrc.sdp, sdp, sizeof sdp), sipaddr_port(&c->msrc.sdp),
		  sipaddr_ip(src, from, sizeof from), sipaddr_port(src));
	c->mpeer = *src;
}

void media_audio(call_t *c, const sdp_media_t *m, int pt)
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
	char host[SIPADDR_STR_MAX];
	log_event(LOG_INFO, "media_audio", "call=%s codec=%s local_port=%u peer=%s:%u", c->call_id, c->res.codec, c->mport,
		  sipaddr_host(m->addr, host, sizeof host), m->port);
}

void media_t38(call_t *c, const sdp_media_t *m)
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
	char host[SIPADDR_STR_MAX];
	log_event(LOG_INFO, "media_t38", "call=%s local_port=%u peer=%s:%u ec=%d max_rate=%d", c->call_id, c->mport,
		  sipaddr_host(m->addr, host, sizeof host), m->port,
		  m->t38.ec, m->t38.max_bit_rate);
}

static void deliver_ifp(void *ud, const uint8_t *ifp, size_t n, uint16_t seq)
{
	call_t *c = ud;
	faxcall_t38_rx(c->fc, ifp, n, seq);
}

void play_audio(call_t *c)
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

void media_packet(call_t *c, const uint8_t *pkt, size_t n)
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
		if (!c->cfg->replay)
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

/* The sequence number of pkt when it is well-formed media of the call's
 * kind (RTP G.711 on audio, UDPTL on T.38): 0, else -1. */
static int media_seq(const call_t *c, const uint8_t *pkt, size_t n, uint16_t *seq)
{
	if (c->media == MEDIA_AUDIO) {
		rtp_pkt_t p;
		if (rtp_parse(pkt, n, &p) != 0 || (p.pt != 0 && p.pt != 8))
			return -1;
		*seq = p.seq;
		return 0;
	}
	udptl_pkt_t u;
	if (c->media != MEDIA_T38 || udptl_decode(pkt, n, &u) != 0)
		return -1;
	*seq = u.seq;
	return 0;
}

/* A datagram from src on the call's own socket: decoded only when it is
 * the peer's (mediasrc.h); any other is dropped unread and counted, and
 * the first one dropped once the call is locked is logged (a NAT peer's
 * packets on probation are not news: media_learnt follows). A source
 * learnt on T.38 has its sequencer start at
 * its first packet, whose IFPs (and the next) the learnt one's redundancy
 * carries. */
static void media_packet_from(call_t *c, const uint8_t *pkt, size_t n, const struct sockaddr_storage *src)
{
	int quiet = c->ticks - c->last_rx_tick > ms_to_ticks(MEDIA_MOVE_QUIET_MS) && peer_silent(c, MEDIA_MOVE_QUIET_MS);
	int v = media_src_check(&c->msrc, src, quiet);
	if (v == MEDIASRC_PROBE) {
		uint16_t seq, first;
		if (media_seq(c, pkt, n, &seq) != 0) {
			media_src_reject(&c->msrc);
			v = MEDIASRC_DROP;
		} else if (media_src_probe(&c->msrc, src, seq, &first)) {
			if (c->media == MEDIA_T38)
				udptl_rx_start(&c->urx, first);
			media_locked(c, src, 1);
			v = MEDIASRC_TAKE;
		} else {
			v = MEDIASRC_DROP;
		}
	} else if (v == MEDIASRC_LOCKED) {
		media_locked(c, src, 0);
	}
	if (v == MEDIASRC_DROP) {
		if (!c->foreign_logged && c->msrc.locked) {
			char from[SIPADDR_STR_MAX], lock[SIPADDR_STR_MAX];
			c->foreign_logged = 1;
			log_event(LOG_WARN, "media_foreign", "call=%s from=%s:%u locked=%s:%u", c->call_id,
				  sipaddr_ip(src, from, sizeof from), sipaddr_port(src),
				  sipaddr_ip(&c->msrc.lock, lock, sizeof lock), sipaddr_port(&c->msrc.lock));
		}
		return;
	}
	media_packet(c, pkt, n);
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
	struct sockaddr_storage srcs[MEDIA_BATCH];
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < MEDIA_BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
			msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1, .msg_name = &srcs[i],
							       .msg_namelen = sizeof srcs[i]}};
		}
		int n = recvmmsg(c->mfd, msgs, MEDIA_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		c->pkts_rx += (unsigned)n;
		if (c->state != CS_ENDED && c->fc) {
			for (int i = 0; i < n; i++) {
				if (msgs[i].msg_hdr.msg_namelen > 0)
					media_packet_from(c, bufs[i], msgs[i].msg_len, &srcs[i]);
				else
					media_src_reject(&c->msrc);
			}
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
int mux_peer_taken(const call_t *c, const struct sockaddr_storage *peer)
{
	ua_t *ua = c->ua;
	for (int i = 0; i < ua->ncalls; i++) {
		const call_t *o = ua->calls[i];
		if (o != c && o->w == c->w && o->mfd < 0 && sipaddr_port(&o->mpeer) && sipaddr_eq(&o->mpeer, peer))
			return 1;
	}
	return 0;
}

/* The call's media socket: its loop's shared one (cfg->media_shared),
 * unless the peer's offered address (offer, when known) is already another
 * call's there, or a socket of its own. */
int call_open_media(call_t *c, const struct sockaddr_storage *offer)
{
	mediamux_t *mx = call_mux(c);
	if (mx && !(offer && mux_peer_taken(c, offer))) {
		c->mfd = -1;
		c->mport = mx->port;
		return 0;
	}
	struct sockaddr_storage sa;
	/* behind NAT (public_address): every address of the family */
	const char *pub = c->cfg ? c->cfg->public_address : NULL;
	sipaddr_from_ip(&sa, pub && *pub ? (strchr(c->local_ip, ':') ? "::" : "0.0.0.0") : c->local_ip, 0);
	c->mfd = udp_bind(&sa);
	if (c->mfd < 0)
		return -1;
	socklen_t sl = sizeof sa;
	getsockname(c->mfd, (struct sockaddr *)&sa, &sl);
	c->mport = sipaddr_port(&sa);
	media_watch(c, 1);
	return 0;
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

void record_save(ua_t *ua)
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
void call_receive(call_t *c)
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
void call_tick(call_t *c)
{
	const line_cfg_t *cfg = c->cfg;
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
	/* Tests: a line that drops after N pages. It hangs up as soon as the
	 * command after page N+1 arrives, before answering it: the sender sent
	 * that page, so it had read the answer to page N, and page N+1 stays
	 * unconfirmed. (A fixed wait after page N raced the sender's reading of
	 * that answer on a loaded machine.) */
	if (cfg->drop_after_pages > 0 && !c->outbound && c->res.pages_received > cfg->drop_after_pages) {
		log_event(LOG_INFO, "test_drop", "call=%s pages=%d", c->call_id, cfg->drop_after_pages);
		call_send_bye(c);
		return;
	}
	if (cfg->max_call_ms > 0 && c->ticks > ms_to_ticks(cfg->max_call_ms)) {
		log_event(LOG_WARN, "call_too_long", "call=%s", c->call_id);
		call_send_bye(c);
		return;
	}
	if (faxcall_finished(c->fc))
		call_send_bye(c);
}
