/* The decision on a new INVITE, off the SIP thread (see ua.c). The
 * listener's accept / accept_ex (a database lookup, or through the SIP
 * front end a round trip to the service) may take seconds; run on the SIP
 * thread it would hold up every other message of the node. So the SIP
 * thread answers 100 Trying, hands the INVITE to a thread of its own and
 * goes on; that thread calls the callback and wakes the loop (an eventfd),
 * which then answers: 200 and the call, or the refusal the callback gave.
 *   - A retransmitted INVITE meanwhile gets 100 again (its final response
 *     once one went out).
 *   - A CANCEL meanwhile gets 200 and the INVITE 487.
 *   - A decision not in after cfg->decide_ms (DECIDE_MS) gets 503 with
 *     Retry-After.
 *   - A decision that comes after either is dropped; an acceptance then
 *     is reported as a call that failed (no_answer), so that its call_ud
 *     is released exactly once as line.h promises.
 * At most UA_PEND_MAX INVITEs wait at once (more: 503 with Retry-After).
 * An endpoint with INVITEs pending stays open until their decisions are
 * in (their callback's data lives with it); the loop's end waits for
 * them. */
#include "ua_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

static void *decide_main(void *arg)
{
	pend_t *p = arg;
	ua_t *ua = p->ep->ua;
	const line_cfg_t *cfg = p->ep->rx;
	void *call_ud = NULL;
	int st;
	if (cfg->accept_ex)
		st = cfg->accept_ex(cfg->accept_ud, &p->inv, p->path, sizeof p->path, &call_ud);
	else
		st = cfg->accept(cfg->accept_ud, p->to_user, p->from_user, p->path, sizeof p->path, &call_ud);
	pthread_mutex_lock(&ua->pend_mu);
	p->status = st;
	p->call_ud = call_ud;
	p->done = 1;
	ua->deciding--;
	uint64_t one = 1;
	if (write(ua->dfd, &one, sizeof one) < 0 && errno != EAGAIN)
		log_event(LOG_WARN, "sip_decision_wake", "call=- errno=%d", errno);
	pthread_cond_broadcast(&ua->pend_cv);
	pthread_mutex_unlock(&ua->pend_mu);
	return NULL;
}

static int same(sip_str_t s, const char *z)
{
	return s.n == strlen(z) && sip_str_eq(s, z);
}

/* The pending INVITE m (a retransmission of it, or its CANCEL) belongs
 * to: by Call-ID, From tag (an engine's call to its own listener shares
 * the Call-ID) and CSeq number (an INVITE answering a 401 is a new one). */
static pend_t *pend_find(ua_t *ua, const sip_msg_t *m)
{
	const sip_str_t *cid = sip_msg_header(m, "Call-ID"), *from = sip_msg_header(m, "From");
	sip_str_t tag = {"", 0};
	uint32_t cseq;
	if (!cid || !from || sip_cseq(m, &cseq, NULL) != 0)
		return NULL;
	sip_param(*from, "tag", &tag);
	for (int i = 0; i < ua->npend; i++) {
		pend_t *p = ua->pend[i];
		if (p->cseq == cseq && same(*cid, p->call_id) && same(tag, p->ftag))
			return p;
	}
	return NULL;
}

/* The INVITE's final response, kept for its retransmissions; the record
 * stays a moment to answer them. */
static void pend_final(pend_t *p, int st, int retry_after, const char *challenge)
{
	struct sockaddr_storage to = p->src; /* symmetric response routing */
	refuse_invite(p->ep, &to, &p->m, st, p->ltag, retry_after, challenge, &p->resp);
	p->final = 1;
	p->linger_until_ms = now_ms() + CALL_LINGER_MS;
}

void pend_start(ua_ep_t *ep, const sip_msg_t *m, const struct sockaddr_storage *src, const line_invite_t *inv,
		const char *to_user, const char *from_user)
{
	ua_t *ua = ep->ua;
	if (ua->dfd < 0)
		ua->dfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ua->dfd < 0 || ua->npend >= UA_PEND_MAX || !m->raw || m->raw_len > sizeof ((pend_t *)0)->raw) {
		log_event(LOG_WARN, "sip_invite_refused", "call=- status=503 why=%s",
			  ua->dfd < 0 ? "no_descriptor" : "decisions_full");
		refuse_invite(ep, src, m, 503, NULL, DECIDE_RETRY_S, NULL, NULL);
		return;
	}
	pend_t *p = xcalloc(1, sizeof *p);
	p->ep = ep;
	p->src = *src;
	memcpy(p->raw, m->raw, m->raw_len);
	if (sip_msg_parse(p->raw, m->raw_len, &p->m) != 0) { /* the same bytes: never */
		free(p);
		respond(ep, src, m, 500, NULL, NULL, NULL, NULL);
		return;
	}
	snprintf(p->to_user, sizeof p->to_user, "%s", to_user);
	snprintf(p->from_user, sizeof p->from_user, "%s", from_user);
	copy_str(p->call_id, sizeof p->call_id, *sip_msg_header(&p->m, "Call-ID"));
	sip_str_t tag;
	if (sip_param(*sip_msg_header(&p->m, "From"), "tag", &tag) == 0)
		copy_str(p->ftag, sizeof p->ftag, tag);
	sip_cseq(&p->m, &p->cseq, NULL);
	if (inv) {
		p->inv = *inv;
		p->inv.msg = &p->m;
	}
	char h[17];
	rand_hex(h, 6);
	snprintf(p->ltag, sizeof p->ltag, "fv%s", h);
	buf_init(&p->resp, SIP_MSG_MAX);
	const line_cfg_t *cfg = ep->rx;
	p->deadline_ms = now_ms() + (cfg->decide_ms > 0 ? cfg->decide_ms : DECIDE_MS);
	respond(ep, src, m, 100, NULL, NULL, NULL, NULL);
	pthread_mutex_lock(&ua->pend_mu);
	ua->deciding++;
	pthread_mutex_unlock(&ua->pend_mu);
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	int rc = pthread_create(&th, &at, decide_main, p);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		pthread_mutex_lock(&ua->pend_mu);
		ua->deciding--;
		pthread_mutex_unlock(&ua->pend_mu);
		log_event(LOG_ERROR, "line_no_resources", "call=- what=thread errno=%d", rc);
		refuse_invite(ep, src, m, 503, NULL, DECIDE_RETRY_S, NULL, NULL);
		buf_free(&p->resp);
		free(p);
		return;
	}
	ep->pending++;
	ua->pend[ua->npend++] = p;
	char qcid[160];
	log_event(LOG_INFO, "sip_invite_deciding", "call=%s pending=%d", qs(p->call_id, qcid, sizeof qcid), ua->npend);
}

int pend_request(ua_ep_t *ep, const sip_msg_t *m, const struct sockaddr_storage *to)
{
	pend_t *p = pend_find(ep->ua, m);
	if (!p)
		return 0;
	char qcid[160];
	if (sip_str_eq(m->method, "INVITE")) {
		if (p->final)
			sip_send(ep, to, &p->resp, p->call_id);
		else
			respond(ep, to, m, 100, NULL, NULL, NULL, NULL);
		return 1;
	}
	/* CANCEL: 200 to it; the INVITE, still without its answer, 487
	 * (RFC 3261 §9.2). */
	respond(ep, to, m, 200, p->ltag, NULL, NULL, NULL);
	if (!p->final) {
		p->cancelled = 1;
		pend_final(p, 487, 0, NULL);
		log_event(LOG_INFO, "sip_invite_cancelled", "call=%s decided=%d", qs(p->call_id, qcid, sizeof qcid),
			  p->taken);
	}
	return 1;
}

/* Who the decided call is to and from: what accept_ex answered (the
 * number it is answered as), else the INVITE's user parts. */
static void pend_users(pend_t *p, const char **to_user, const char **from_user)
{
	*to_user = p->to_user;
	*from_user = p->from_user;
	if (p->ep->rx->accept_ex) {
		p->inv.called[sizeof p->inv.called - 1] = '\0';
		p->inv.caller[sizeof p->inv.caller - 1] = '\0';
		*to_user = p->inv.called;
		*from_user = p->inv.caller;
	}
}

/* An accepted call that will not run (cancelled, too late, stopping):
 * reported as failed, which releases its call_ud once. */
static void pend_drop_call(pend_t *p, int status, const char *why)
{
	ua_t *ua = p->ep->ua;
	call_t *c = call_new(ua, 0);
	call_set_ep(c, p->ep);
	c->cfg = p->ep->rx;
	if (p->ep->cb) {
		c->cb = p->ep->cb;
		c->cb_ud = p->ep->cb_ud;
	}
	c->res.call_ud = p->call_ud;
	p->call_ud = NULL;
	snprintf(c->call_id, sizeof c->call_id, "%s", p->call_id);
	const char *to_user, *from_user;
	pend_users(p, &to_user, &from_user);
	snprintf(c->res.to_user, sizeof c->res.to_user, "%s", to_user);
	snprintf(c->res.from_user, sizeof c->res.from_user, "%s", from_user);
	c->res.sip_status = status;
	snprintf(c->res.reason, sizeof c->res.reason, "%s", why);
	call_end(c);
	call_report(c);
	call_free(c);
}

/* The decision is in (the SIP thread). */
static void pend_decided(pend_t *p)
{
	ua_t *ua = p->ep->ua;
	ua_ep_t *ep = p->ep;
	char qcid[160];
	p->taken = 1;
	p->inv.challenge[sizeof p->inv.challenge - 1] = '\0';
	if (p->final) {
		/* cancelled, or answered 503 when it was late: dropped */
		log_event(LOG_INFO, "sip_invite_decision_dropped", "call=%s status=%d why=%s",
			  qs(p->call_id, qcid, sizeof qcid), p->status, p->cancelled ? "cancelled" : "late");
		if (p->status == 0)
			pend_drop_call(p, p->cancelled ? 487 : 503,
				       p->cancelled ? "the caller cancelled the call before it was answered"
						    : "the decision to answer came too late; the caller was told to try again");
		return;
	}
	if (p->status != 0) {
		log_event(LOG_INFO, "sip_invite_refused", "call=- status=%d", p->status);
		pend_final(p, p->status, p->status == 503 ? p->inv.retry_after : 0, p->inv.challenge);
		return;
	}
	int active = 0;
	for (int i = 0; i < ua->ncalls; i++)
		if (ua->calls[i]->state != CS_ENDED)
			active++;
	if (ua->stopping || ep->closing || ua->ncalls >= LINE_CALLS_MAX || active >= LINE_CALLS_MAX / 2) {
		pend_final(p, 503, DECIDE_RETRY_S, NULL);
		pend_drop_call(p, 503, "the line stopped or was full before the call could be answered");
		return;
	}
	p->path[sizeof p->path - 1] = '\0';
	const char *to_user, *from_user;
	pend_users(p, &to_user, &from_user);
	if (invite_answer(ep, &p->m, &p->src, p->path, p->call_ud, to_user, from_user, 1) != 0) {
		p->final = 1;
		p->linger_until_ms = now_ms();
		pend_drop_call(p, 400, "the INVITE's SDP could not be read");
		return;
	}
	/* the call answers from now on (find_call) */
	p->call_ud = NULL;
	p->final = 1;
	p->linger_until_ms = 0;
}

static void pend_free(ua_t *ua, int i)
{
	pend_t *p = ua->pend[i];
	ua->pend[i] = ua->pend[--ua->npend];
	p->ep->pending--;
	buf_free(&p->resp);
	free(p);
}

void pend_poll(ua_t *ua, int64_t now)
{
	uint64_t v;
	if (ua->dfd >= 0 && read(ua->dfd, &v, sizeof v) < 0 && errno != EAGAIN)
		log_event(LOG_WARN, "sip_decision_wake", "call=- errno=%d", errno);
	for (int i = 0; i < ua->npend;) {
		pend_t *p = ua->pend[i];
		pthread_mutex_lock(&ua->pend_mu);
		int done = p->done;
		pthread_mutex_unlock(&ua->pend_mu);
		if (done && !p->taken) {
			pend_decided(p);
		} else if (!done && !p->final && now >= p->deadline_ms) {
			char qcid[160];
			log_event(LOG_WARN, "sip_invite_decision_late", "call=%s", qs(p->call_id, qcid, sizeof qcid));
			pend_final(p, 503, DECIDE_RETRY_S, NULL);
		}
		/* Gone once its decision was taken and its retransmissions are
		 * over (at once when its listener closes). */
		if (p->taken && (now >= p->linger_until_ms || p->ep->closing || ua->stopping))
			pend_free(ua, i);
		else
			i++;
	}
}

/* A wake-up is read even when no INVITE waits any more. pend_poll reads
 * dfd before it looks at the decisions, so a decision that comes in
 * between (its thread sets done, then writes dfd) is taken in that pass
 * and its wake-up stays unread. When that was the last INVITE waiting
 * (an answered one is freed in the same pass), a pass only while INVITEs
 * wait would leave dfd readable until the next INVITE, and the loop's
 * poll would return at once, over and over: a core spinning. */
void pend_pass(ua_t *ua, int dfd_readable, int64_t now)
{
	if (ua->npend || dfd_readable)
		pend_poll(ua, now);
}

void pend_drain(ua_t *ua)
{
	pthread_mutex_lock(&ua->pend_mu);
	while (ua->deciding > 0)
		pthread_cond_wait(&ua->pend_cv, &ua->pend_mu);
	pthread_mutex_unlock(&ua->pend_mu);
	ua->stopping = 1;
	while (ua->npend > 0) {
		pend_t *p = ua->pend[ua->npend - 1];
		if (!p->taken) {
			if (!p->final)
				pend_final(p, 503, DECIDE_RETRY_S, NULL);
			pend_decided(p);
		}
		pend_free(ua, ua->npend - 1);
	}
}
