/* The INVITE server of the line engine (see ua.c) and every other request
 * it answers: a new INVITE screened by the accept callbacks and answered
 * with our SDP, re-INVITEs (T.38 switch, refreshes), ACK, BYE, CANCEL,
 * OPTIONS; the line_invite_* helpers the accept_ex callback reads an
 * INVITE with. */
#include "ua_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "sipbuild.h"

/* Whether m belongs to c's dialog by its tags: a response to one of our
 * requests carries our tag in From; a request of the peer carries ours in
 * To, or (its INVITE, CANCEL before our answer) none and its own in From. */
static int tags_match(const call_t *c, const sip_msg_t *m)
{
	sip_str_t t;
	const sip_str_t *from = sip_msg_header(m, "From"), *to = sip_msg_header(m, "To");
	if (!m->is_request)
		return from && sip_param(*from, "tag", &t) == 0 && sip_str_eq(t, c->ltag) && strlen(c->ltag) == t.n;
	if (to && sip_param(*to, "tag", &t) == 0)
		return sip_str_eq(t, c->ltag) && strlen(c->ltag) == t.n;
	return !c->outbound && from && sip_param(*from, "tag", &t) == 0 && sip_str_eq(t, c->rtag) &&
	       strlen(c->rtag) == t.n;
}

/* The call m belongs to: by Call-ID and, when several calls have it (an
 * engine calling one of its own listeners: both ends of a call in one
 * user agent), by tags. */
call_t *find_call(ua_t *ua, const sip_msg_t *m)
{
	sip_str_t call_id = *sip_msg_header(m, "Call-ID");
	call_t *first = NULL;
	int n = 0;
	for (int i = 0; i < ua->ncalls; i++) {
		call_t *c = ua->calls[i];
		if (!sip_str_eq(call_id, c->call_id) || strlen(c->call_id) != call_id.n)
			continue;
		if (!n++)
			first = c;
	}
	/* A request without To tag is never one of ours to an outbound call:
	 * it is a new INVITE (of a call we placed to ourselves). */
	if (n == 1 && first->outbound && m->is_request && !tags_match(first, m)) {
		sip_str_t t;
		const sip_str_t *to = sip_msg_header(m, "To");
		if (!to || sip_param(*to, "tag", &t) != 0)
			return NULL;
	}
	if (n <= 1)
		return first;
	for (int i = 0; i < ua->ncalls; i++) {
		call_t *c = ua->calls[i];
		if (sip_str_eq(call_id, c->call_id) && strlen(c->call_id) == call_id.n && tags_match(c, m))
			return c;
	}
	return NULL;
}

void respond(ua_ep_t *ep, const struct sockaddr_storage *to, const sip_msg_t *req, int status, const char *tag,
	     const char *contact, const char *body, buf_t *keep)
{
	buf_t b;
	buf_init(&b, SIP_MSG_MAX);
	char ip[SIPADDR_STR_MAX];
	sip_src_t src = {sipaddr_ip(to, ip, sizeof ip), sipaddr_port(to)};
	sip_build_response_src(&b, req, &src, status, tag, contact, body, NULL);
	ua_xmit(ep, to, b.data, b.len);
	if (keep) {
		buf_reset(keep);
		buf_append(keep, b.data, b.len);
	}
	buf_free(&b);
}

/* Where responses go: always the source (symmetric response routing, as
 * RFC 3581 asks of an rport request; respond() marks the Via so). */
static void response_target(const sip_msg_t *m, const struct sockaddr_storage *src, struct sockaddr_storage *out)
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

static void invite_info(const sip_msg_t *m, const struct sockaddr_storage *src, line_invite_t *inv)
{
	memset(inv, 0, sizeof *inv);
	sipaddr_ip(src, inv->src_ip, sizeof inv->src_ip);
	inv->src_port = sipaddr_port(src);
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

/* A refusal of a new INVITE: st (anything outside 400..699 is sent as
 * 500), with Retry-After on a 503 when retry_after > 0 and the digest
 * challenge on a 401; kept in keep when non-NULL (retransmissions). */
void refuse_invite(ua_ep_t *ep, const struct sockaddr_storage *to, const sip_msg_t *m, int st, const char *tag,
		   int retry_after, const char *challenge, buf_t *keep)
{
	if (st < 400 || st > 699)
		st = 500;
	char extra[sizeof ((line_invite_t *)0)->challenge + 32] = "";
	if (st == 503 && retry_after > 0)
		snprintf(extra, sizeof extra, "Retry-After: %d\r\n", retry_after);
	if (st == 401 && challenge && challenge[0] && strlen(challenge) < sizeof ((line_invite_t *)0)->challenge &&
	    !strpbrk(challenge, "\r\n"))
		snprintf(extra, sizeof extra, "WWW-Authenticate: %s\r\n", challenge);
	buf_t b;
	buf_init(&b, SIP_MSG_MAX);
	char ip[SIPADDR_STR_MAX];
	sip_src_t sa = {sipaddr_ip(to, ip, sizeof ip), sipaddr_port(to)};
	sip_build_response_src(&b, m, &sa, st, tag, NULL, NULL, extra[0] ? extra : NULL);
	ua_xmit(ep, to, b.data, b.len);
	if (keep) {
		buf_reset(keep);
		buf_append(keep, b.data, b.len);
	}
	buf_free(&b);
}

/* The SDP offer of a new INVITE (none: we offer in the 200): 0, or the
 * status it is refused with (400 unparseable, 488 nothing we take). */
static int invite_offer(const line_cfg_t *cfg, const sip_msg_t *m, sdp_t *offer, int *pt, int *ai, int *ti,
			int *use_t38)
{
	*pt = -1;
	*ai = -1;
	*ti = -1;
	*use_t38 = 0;
	if (m->body.n == 0)
		return 0;
	if (sdp_parse((const uint8_t *)m->body.p, m->body.n, offer) != 0)
		return 400;
	*ai = sdp_find_audio(offer, pt);
	*ti = sdp_find_t38(offer);
	if (*ai < 0) {
		if (*ti >= 0 && cfg->t38)
			*use_t38 = 1;
		else
			return 488;
	}
	return 0;
}

static void handle_new_invite(ua_ep_t *ep, const sip_msg_t *m, const struct sockaddr_storage *src)
{
	ua_t *ua = ep->ua;
	struct sockaddr_storage to;
	response_target(m, src, &to);
	const line_cfg_t *cfg = ep->rx;
	int active = 0;
	for (int i = 0; i < ua->ncalls; i++)
		if (ua->calls[i]->state != CS_ENDED)
			active++;
	if (ua->stopping || ep->closing) {
		respond(ep, &to, m, 503, NULL, NULL, NULL, NULL);
		return;
	}
	if (!cfg) {
		/* A long-lived engine's endpoint for calls out answers none. */
		respond(ep, &to, m, 403, NULL, NULL, NULL, NULL);
		return;
	}
	if (ua->ncalls >= LINE_CALLS_MAX || (cfg->calls > 0 && ua->calls_started >= cfg->calls) ||
	    active >= LINE_CALLS_MAX / 2) {
		respond(ep, &to, m, 486, NULL, NULL, NULL, NULL);
		return;
	}
	sdp_t offer;
	int pt, ai, ti, use_t38;
	int bad = invite_offer(cfg, m, &offer, &pt, &ai, &ti, &use_t38);
	if (bad) {
		if (bad == 400)
			log_event(LOG_WARN, "sip_invite_bad_sdp", "call=- len=%zu", m->body.n);
		respond(ep, &to, m, bad, NULL, NULL, NULL, NULL);
		return;
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
	if (cfg->accept_ex || cfg->accept) {
		/* The decision (a database lookup, or a round trip to the
		 * service) is taken off this thread: 100 now, the answer when
		 * it comes (ua_decide.c). */
		line_invite_t inv;
		if (cfg->accept_ex) {
			invite_info(m, src, &inv);
			if (ep->tr) /* over TLS: the names of the carrier's verified certificate */
				siptrans_peer_names(ep->tr, src, inv.peer_names, sizeof inv.peer_names);
		}
		pend_start(ep, m, src, cfg->accept_ex ? &inv : NULL, to_user, from_user);
		return;
	}
	invite_answer(ep, m, src, "", NULL, to_user, from_user, 0);
}

/* Answers a new INVITE that was accepted (into path_in, "" for out_dir,
 * with the decision's call_ud): its call is made and published, 200 with
 * our SDP. 0 when call_ud is consumed (the call runs, or failed and was
 * reported); -1 (400 sent, nothing made) when its SDP no longer parses. */
int invite_answer(ua_ep_t *ep, const sip_msg_t *m, const struct sockaddr_storage *src, const char *path_in,
		  void *call_ud, const char *to_user, const char *from_user, int trying_sent)
{
	ua_t *ua = ep->ua;
	struct sockaddr_storage to;
	response_target(m, src, &to);
	const line_cfg_t *cfg = ep->rx;
	sdp_t offer;
	int pt, ai, ti, use_t38;
	if (invite_offer(cfg, m, &offer, &pt, &ai, &ti, &use_t38) != 0) {
		respond(ep, &to, m, 400, NULL, NULL, NULL, NULL);
		return -1;
	}
	int no_offer = m->body.n == 0;
	char path[1024];
	snprintf(path, sizeof path, "%s", path_in);
	call_t *c = call_new(ua, 0);
	call_set_ep(c, ep);
	c->cfg = cfg;
	if (ep->cb) {
		c->cb = ep->cb;
		c->cb_ud = ep->cb_ud;
	}
	c->res.call_ud = call_ud;
	snprintf(c->res.to_user, sizeof c->res.to_user, "%s", to_user);
	snprintf(c->res.from_user, sizeof c->res.from_user, "%s", from_user);
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
	local_ip_toward(src, &ep->bound, c->local_ip);
	char qcid[160];
	log_event(LOG_INFO, "sip_invite", "call=%s from=%s t38_offer=%d", qs(c->call_id, qcid, sizeof qcid),
		  c->remote_uri[0] ? "present" : "-", ti >= 0);
	struct sockaddr_storage offered;
	const sdp_media_t *om = ai >= 0 ? &offer.m[ai] : ti >= 0 ? &offer.m[ti] : NULL;
	int have_offer = om && sipaddr_from_ip(&offered, om->addr, om->port) == 0;
	if (call_open_media(c, have_offer ? &offered : NULL) != 0) {
		respond(ep, &to, m, 500, c->ltag, NULL, NULL, NULL);
		/* Accepted calls are always reported (the caller's call_ud). */
		c->res.sip_status = 500;
		c->res.network_error = 1;
		call_end(c);
		call_report(c);
		call_free(c);
		return 0;
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
	if (!trying_sent)
		respond(ep, &to, m, 100, NULL, NULL, NULL, NULL);
	buf_t sdp;
	buf_init(&sdp, SDP_MAX);
	make_sdp(c, &sdp, use_t38, no_offer ? NULL : &offer);
	char contact[256];
	contact_of(c, contact, sizeof contact);
	respond(ep, &to, m, 200, c->ltag, contact, sdp.data, &c->stx_resp);
	buf_free(&sdp);
	c->stx_active = 1;
	c->stx_cseq = c->rcseq;
	c->stx_interval_ms = SIP_T1_MS;
	c->stx_next_ms = now_ms() + SIP_T1_MS;
	c->stx_deadline_ms = now_ms() + SIP_TXN_MS;
	call_answered(c);
	call_publish(c);
	return 0;
}

static void handle_reinvite(ua_ep_t *ep, call_t *c, const sip_msg_t *m, const struct sockaddr_storage *to, uint32_t cseq)
{
	const line_cfg_t *cfg = c->cfg;
	if (c->ctx.active && strcmp(c->ctx.method, "INVITE") == 0) {
		respond(ep, to, m, 491, c->ltag, NULL, NULL, NULL);
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
			respond(ep, to, m, 400, c->ltag, NULL, NULL, NULL);
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
				respond(ep, to, m, 488, c->ltag, NULL, NULL, &c->stx_resp);
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
			respond(ep, to, m, 488, c->ltag, NULL, NULL, &c->stx_resp);
			buf_free(&sdp);
			goto server_txn;
		}
	}
	respond(ep, to, m, 200, c->ltag, contact, sdp.data, &c->stx_resp);
	buf_free(&sdp);
server_txn:
	c->stx_active = 1;
	c->stx_cseq = cseq;
	c->stx_interval_ms = SIP_T1_MS;
	c->stx_next_ms = now_ms() + SIP_T1_MS;
	c->stx_deadline_ms = now_ms() + SIP_TXN_MS;
}

void handle_request(ua_ep_t *ep, const sip_msg_t *m, const struct sockaddr_storage *src)
{
	ua_t *ua = ep->ua;
	struct sockaddr_storage to;
	response_target(m, src, &to);
	uint32_t cseq;
	sip_str_t cmeth;
	sip_cseq(m, &cseq, &cmeth);
	call_t *c = find_call(ua, m);
	const sip_str_t *toh = sip_msg_header(m, "To");
	sip_str_t totag = {0};
	int has_totag = sip_param(*toh, "tag", &totag) == 0;
	/* An INVITE waiting for its decision: its retransmissions, its CANCEL. */
	if (ua->npend && ((!has_totag && sip_str_eq(m->method, "INVITE")) || sip_str_eq(m->method, "CANCEL")) &&
	    pend_request(ep, m, &to))
		return;
	if (sip_str_eq(m->method, "INVITE")) {
		if (!c && !has_totag) {
			handle_new_invite(ep, m, src);
			return;
		}
		if (!c || (has_totag && !sip_str_eq(totag, c->ltag))) {
			respond(ep, &to, m, 481, NULL, NULL, NULL, NULL);
			return;
		}
		if (cseq == c->stx_cseq && c->stx_resp.len) {
			sip_send(ep, &to, &c->stx_resp, c->call_id); /* retransmission */
			return;
		}
		if (c->state == CS_ENDED || c->state == CS_BYE_SENT || cseq <= c->rcseq) {
			respond(ep, &to, m, c->state == CS_ENDED ? 481 : 500, c->ltag, NULL, NULL, NULL);
			return;
		}
		handle_reinvite(ep, c, m, &to, cseq);
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
		sip_send(ep, &to, &c->last_resp, c->call_id);
		return;
	}
	if (sip_str_eq(m->method, "BYE")) {
		if (!c || c->state == CS_ENDED ||
		    (has_totag && !sip_str_eq(totag, c->ltag) && !sip_str_eq(totag, c->rtag))) {
			/* No such dialog, or it is over (retransmissions were answered above). */
			respond(ep, &to, m, 481, NULL, NULL, NULL, NULL);
			return;
		}
		respond(ep, &to, m, 200, NULL, NULL, NULL, &c->last_resp);
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
			respond(ep, &to, m, 481, NULL, NULL, NULL, NULL);
			return;
		}
		/* We answer at once, so the INVITE is already final: 200 to the
		 * CANCEL, nothing else changes (RFC 3261 §9.2). */
		respond(ep, &to, m, 200, c->ltag, NULL, NULL, NULL);
		return;
	}
	if (sip_str_eq(m->method, "OPTIONS")) {
		respond(ep, &to, m, 200, c ? c->ltag : NULL, NULL, NULL, NULL);
		return;
	}
	static const char *const known[] = {"REGISTER", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE",
					    "INFO",     "UPDATE",    "PRACK",  "PUBLISH"};
	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
		if (sip_str_eq(m->method, known[k])) {
			respond(ep, &to, m, 405, NULL, NULL, NULL, NULL);
			return;
		}
	}
	respond(ep, &to, m, 501, NULL, NULL, NULL, NULL);
}
