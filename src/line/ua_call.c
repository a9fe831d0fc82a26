/* A call of the line engine (see ua.c): creation and release, its lock
 * and its media worker, the received and sent documents' files, its end and
 * the report of its result, the requests a call sends on its own (BYE,
 * CANCEL, the T.38 and refresh re-INVITEs) and its SIP timers. */
#include "ua_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

void call_lock(call_t *c)
{
	if (c->ua->nworkers)
		pthread_mutex_lock(&c->lock);
}

void call_unlock(call_t *c)
{
	if (c->ua->nworkers)
		pthread_mutex_unlock(&c->lock);
}

/* Hands a fully set-up call to its worker, which ticks it from now on. */
void call_publish(call_t *c)
{
	worker_t *w = c->w;
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->calls[w->n++] = c;
	pthread_cond_signal(&w->cv);
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
	w->assigned--;
	c->w = NULL;
}

/* The endpoint c's SIP goes through (counted there until it is freed, and
 * until its result is reported). */
void call_set_ep(call_t *c, ua_ep_t *ep)
{
	if (c->ep) {
		c->ep->ncalls--;
		c->ep->live -= !c->reported;
	}
	c->ep = ep;
	if (ep) {
		ep->ncalls++;
		ep->live++;
	}
}

/* The media loop a new call goes to. The calls are packed: the loop with
 * the most calls under LOOP_FILL takes it (the first such among equals),
 * so that a lightly loaded engine ticks one loop, not every loop with a
 * few calls each: a tick's fixed cost (the loop's wake-up, its readiness
 * check, the clock) is paid per loop that has calls. Once every loop
 * holds LOOP_FILL calls or more, the one with the fewest (round robin
 * among equals) spreads the rest over the cores. */
static worker_t *call_pick_loop(ua_t *ua)
{
	worker_t *fill = NULL, *few = NULL;
	int fn = -1, wn = INT32_MAX, start = ua->next_worker++ % ua->nworkers;
	for (int k = 0; k < ua->nworkers; k++) {
		worker_t *w = &ua->workers[(start + k) % ua->nworkers];
		/* counted from their creation (a burst of INVITEs is spread
		 * before any of its calls is published) */
		int n = w->assigned;
		if (n < LOOP_FILL && (n > fn || (n == fn && w < fill))) {
			fn = n;
			fill = w;
		}
		if (n < wn) {
			wn = n;
			few = w;
		}
	}
	worker_t *w = fill ? fill : few;
	w->assigned++;
	return w;
}

call_t *call_new(ua_t *ua, int outbound)
{
	call_t *c = xcalloc(1, sizeof *c);
	c->ua = ua;
	call_set_ep(c, ua->neps ? ua->eps[0] : NULL);
	c->cfg = ua->cfg;
	c->tx_file = ua->tx_file;
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
	ua_mutex_init(&c->lock);
	if (ua->nworkers)
		c->w = call_pick_loop(ua);
	return c;
}

void call_free(call_t *c)
{
	if (!c)
		return;
	call_unpublish(c);
	if (c->ep) {
		c->ep->idle_ms = now_ms();
		call_set_ep(c, NULL);
	}
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

void call_make_faxcall(call_t *c, const char *rx_file)
{
	const line_cfg_t *cfg = c->cfg;
	faxcall_cfg_t fcfg = {
		.caller = c->outbound,
		.tx_file = c->outbound ? c->tx_file : NULL,
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
void rx_file_open(call_t *c, const char *path, char *spandsp_path, size_t n)
{
	snprintf(spandsp_path, n, "%s", path);
	if (c->cfg->rx_durable)
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
int tx_file_load(const char *tiff, char *out, size_t n)
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
void call_end(call_t *c)
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
	c->res.foreign_packets = c->msrc.foreign;
	snprintf(c->res.call_id, sizeof c->res.call_id, "%s", c->call_id);
	/* T.30 is over: release spandsp now, which closes its TIFF, so the
	 * received file is complete before the result is reported. */
	faxcall_free(c->fc);
	c->fc = NULL;
	fax_result_classify(&c->res);
	c->linger_until_ms = now_ms() + CALL_LINGER_MS;
	c->ctx.active = 0;
	log_event(c->res.ok ? LOG_INFO : LOG_WARN, "call_end",
		  "call=%s ok=%d class=%s pages_confirmed=%d pages_received=%d transport=%s t30_code=%d media_foreign=%u",
		  c->call_id, c->res.ok, c->res.ok ? "-" : c->res.fail_class, c->res.pages_confirmed,
		  c->res.pages_received, c->res.transport[0] ? c->res.transport : "-", c->res.t30_code,
		  c->res.foreign_packets);
	if (!c->reported)
		c->report_pending = 1; /* call_report, once the lock is released */
}

/* Saves the received TIFF and reports the result of a call that ended: on
 * the engine's SIP thread, without the call's lock (its media worker no
 * longer touches an ended call), so neither the copy nor the caller's
 * callback (which may store or encrypt the document) holds up the media
 * clock of the other calls. */
void call_report(call_t *c)
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
	c->ep->live--;
	line_result_fn *cb = c->cb ? c->cb : c->ua->cb;
	void *ud = c->cb ? c->cb_ud : c->ua->cb_ud;
	/* A submitted call's settings and callback belong to its submitter,
	 * who goes once told: the call lingers on the engine's. */
	call_lock(c);
	c->cfg = c->ua->cfg;
	c->tx_file = c->ua->tx_file;
	c->cb = NULL;
	call_unlock(c);
	if (cb)
		cb(ud, &c->res);
}

void call_send_bye(call_t *c)
{
	if (c->state != CS_UP)
		return;
	if (c->fc && !faxcall_finished(c->fc))
		faxcall_hangup(c->fc);
	c->state = CS_BYE_SENT;
	ctx_start(c, "BYE", c->remote_target, ++c->lcseq, NULL, NULL);
	c->ctx.deadline_ms = now_ms() + BYE_WAIT_MS;
}

void call_offer_t38(call_t *c)
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

void call_refresh(call_t *c)
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
void call_cancel(call_t *c)
{
	if (c->ctx.active && strcmp(c->ctx.method, "INVITE") == 0) {
		buf_t b;
		buf_init(&b, SIP_MSG_MAX);
		build_request(c, &b, "CANCEL", c->req_uri, c->ctx.cseq, c->ctx.branch, NULL, NULL);
		sip_send(c->ep, &c->peer, &b, c->call_id);
		buf_free(&b);
		log_event(LOG_INFO, "sip_cancel", "call=%s", c->call_id);
		c->res.sip_status = 487;
		c->ua->linger_ms = 2000; /* stay to ACK the 487 */
	}
	call_end(c);
}


void call_timers(call_t *c, int64_t now)
{
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
			sip_send(c->ep, &c->peer, &t->msg, c->call_id);
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
			sip_send(c->ep, c->resp_to.ss_family ? &c->resp_to : &c->peer, &c->stx_resp, c->call_id);
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
int64_t call_next_due(const call_t *c)
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
