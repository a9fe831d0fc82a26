/* The INVITE client of the line engine (see ua.c): responses to the
 * requests a call sent (the INVITE, re-INVITEs, BYE, CANCEL), the ACKs,
 * the dialog and route set learned from a 2xx, the media of the answer,
 * and one retry with digest credentials after a 401/407. */
#include "ua_int.h"

#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "log.h"

static void send_ack_non2xx(call_t *c, const sip_msg_t *resp)
{
	/* ACK for a non-2xx final: same branch, To from the response. */
	buf_t b;
	buf_init(&b, SIP_MSG_MAX);
	const sip_str_t *to = sip_msg_header(resp, "To");
	char host[SIPADDR_STR_MAX];
	buf_printf(&b, "ACK %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%u;branch=%s;rport\r\nMax-Forwards: 70\r\n", c->req_uri,
		   via_proto(c->ep), adv_host(c, host, 0), sip_port(c), c->ctx.branch);
	buf_printf(&b, "From: <%s>;tag=%s\r\n", c->local_uri, c->ltag);
	if (to)
		buf_printf(&b, "To: %.*s\r\n", (int)to->n, to->p);
	buf_printf(&b, "Call-ID: %s\r\nCSeq: %u ACK\r\nContent-Length: 0\r\n\r\n", c->call_id, c->ctx.cseq);
	sip_send(c->ep, &c->peer, &b, c->call_id);
	buf_free(&b);
}

static void send_ack_2xx(call_t *c, uint32_t cseq)
{
	char branch[48];
	new_branch(branch);
	build_request(c, &c->ack, "ACK", c->remote_target, cseq, branch, NULL, NULL);
	sip_send(c->ep, &c->peer, &c->ack, c->call_id);
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
	struct sockaddr_storage dst;
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

void learn_dialog(call_t *c, const sip_msg_t *m)
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
	} else if (ti >= 0 && c->cfg->t38) {
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

void handle_response(ua_t *ua, call_t *c, const sip_msg_t *m)
{
	(void)ua;
	uint32_t cseq;
	sip_str_t meth;
	if (sip_cseq(m, &cseq, &meth) != 0)
		return;
	if (sip_str_eq(meth, "INVITE") && m->status >= 200 && m->status < 300 && c->ack.len &&
	    (!c->ctx.active || c->ctx.cseq != cseq)) {
		sip_send(c->ep, &c->peer, &c->ack, c->call_id); /* 2xx retransmitted: ACK again */
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
				c->ring_deadline_ms = now_ms() + c->cfg->ring_ms;
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
		const sip_str_t *ch = m->status == 401 || m->status == 407
			? sip_msg_header(m, m->status == 401 ? "WWW-Authenticate" : "Proxy-Authenticate") : NULL;
		digest_chal_t seen;
		if (ch && digest_parse(*ch, &seen) == 0 && !c->res.auth_realm[0])
			snprintf(c->res.auth_realm, sizeof c->res.auth_realm, "%s", seen.realm);
		/* Answered with the password, or with the HA1 made for the
		 * challenge's realm (the password then never reaches this
		 * process: the SIP front end). */
		int can = c->cfg->user && (c->cfg->password || (c->cfg->ha1_md5 && c->cfg->ha1_realm && ch &&
				digest_parse(*ch, &seen) == 0 && strcmp(seen.realm, c->cfg->ha1_realm) == 0));
		if (ch && can && c->auth_tries == 0) {
			if (digest_parse(*ch, &c->chal) == 0) {
				c->auth_tries++;
				c->auth_proxy = m->status == 407;
				buf_t extra, sdp;
				buf_init(&extra, 2048);
				buf_init(&sdp, SDP_MAX);
				char cnonce[17];
				rand_hex(cnonce, 8);
				buf_puts(&extra, c->auth_proxy ? "Proxy-Authorization: " : "Authorization: ");
				if (c->cfg->password)
					digest_answer(&extra, &c->chal, c->cfg->user, c->cfg->password, "INVITE",
						      c->req_uri, cnonce, 1);
				else
					digest_answer_ha1(&extra, &c->chal, c->cfg->user, c->cfg->ha1_md5, "INVITE",
							  c->req_uri, cnonce, 1);
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
