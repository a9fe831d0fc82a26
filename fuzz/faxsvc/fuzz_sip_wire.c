/* Fuzz target: the SIP front end's messages (src/faxsvc/sip_wire.c). The
 * input is one datagram: decoded by ipc_msg_decode, then by each decoder
 * the service runs on the front end's messages (SIPF_INVITE,
 * SIPF_LISTENING, SIPF_PAGE, SIPF_RESULT, SIPF_REGISTERED, SIPF_PROBED,
 * SIPF_AUTH_VERDICT, SIPF_LOOPS_STATS, SIPF_RESOLVED) and the front end's
 * decoders of the service's registrations, probes, credential checks and
 * lookups and calls out (SIPF_REGISTER, SIPF_PROBE, SIPF_AUTH_CHECK,
 * SIPF_RESOLVE, SIPF_SEND). What a decoder accepts must hold its invariants, and
 * an INVITE it accepts must encode again to the same payload. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linecall.h"
#include "sip_wire.h"
#include "xalloc.h"

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s > 0x7e || ((unsigned char)*s < 0x20 && *s != '\t'))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	if (ipc_msg_decode(data, size, &m) != 0) {
		ipc_msg_free(&m);
		return 0;
	}
	static sip_wire_invite_t w;
	if (sip_wire_invite_decode(&m, &w) == 0) {
		if (w.listener >= SIPF_LISTENERS_MAX || w.nheaders > SIPF_HEADERS_MAX ||
		    !printable(w.inv.src_ip) || !printable(w.ruri) || w.inv.msg)
			abort();
		char v[LINE_INVITE_HEADER_MAX];
		for (size_t i = 0; i < w.nheaders; i++)
			if (!printable(w.headers[i].value) ||
			    sip_wire_invite_header(&w, LINECALL_HDR_VALUE, w.headers[i].name, v, sizeof v) != 0)
				abort();
		struct ipc_out *o = xmalloc(sizeof *o);
		if (sip_wire_invite_encode(o, &w) != 0 || o->len != m.len + IPC_HDR_LEN ||
		    memcmp(o->buf + IPC_HDR_LEN, m.data, m.len) != 0)
			abort();
		free(o);
	}
	uint32_t id;
	int port, page, ok, rc;
	if (sip_wire_listening_decode(&m, &id, &port) == 0 && (id >= SIPF_LISTENERS_MAX || port < 0 ||
								  port > 65535))
		abort();
	if (sip_wire_page_decode(&m, &page, &ok) == 0 && (page < 1 || (ok != 0 && ok != 1)))
		abort();
	static fax_result_t r;
	if (sip_wire_result_decode(&m, &rc, &r) == 0) {
		if ((rc != 0 && rc != -1) || r.npages < 0 || r.npages > FAX_PAGES_MAX || !printable(r.reason) ||
		    !printable(r.fail_class) || r.call_ud)
			abort();
	}
	static linecall_reg_t q;
	memset(&q, 0, sizeof q);
	if (sip_wire_registered_decode(&m, &rc, &q) == 0 &&
	    (rc < -1 || rc > 699 || q.granted < 0 || !printable(q.b.realm) || strchr(q.b.realm, '"') ||
		    !printable(q.b.why) || !printable(q.contact_used) || strspn(q.b.call_id, "0123456789abcdef") !=
		    strlen(q.b.call_id)))
		abort();
	keepalive_probe_t p[KEEPALIVE_PEERS_MAX];
	memset(p, 0, sizeof p);
	linecall_probe_set_t set = { p, (size_t)(size & 7) };
	if (sip_wire_probed_decode(&m, &set) == 0)
		for (size_t i = 0; i < set.n; i++)
			if (p[i].status < -1 || p[i].status > 699)
				abort();
	line_loop_stats_t ls[LINE_LOOPS_MAX];
	int nl = sip_wire_loops_decode(&m, ls);
	if (nl > LINE_LOOPS_MAX)
		abort();
	for (int i = 0; i < nl; i++)
		if (ls[i].ticks < 0 || ls[i].late_ticks < 0 || ls[i].late_ticks > ls[i].ticks || ls[i].max_late_us < 0)
			abort();
	sipauth_verdict_t v;
	if (sip_wire_verdict_decode(&m, &v) == 0 && (v < SIPAUTH_OK || v > SIPAUTH_REPLAY))
		abort();
	/* the front end's decoders of the service's messages */
	static sip_wire_reg_t w2;
	if (sip_wire_reg_decode(&m, &w2) == 0) {
		if (!w2.registrar[0] || !w2.user[0] || !printable(w2.registrar) || w2.timeout_ms < 1 ||
		    (w2.has_ha1 && strlen(w2.ha1_md5) != 32))
			abort();
		sip_wire_reg_binding(&w2, &q);
		if (!q.b.registrar || (q.b.password && !w2.has_password))
			abort();
	}
	static sip_wire_probe_t pw;
	if (sip_wire_probe_decode(&m, &pw) == 0 && (pw.n == 0 || pw.n > KEEPALIVE_PEERS_MAX))
		abort();
	/* a call out: a password or an HA1 (never both), only with a username */
	static sip_wire_send_t sw;
	if (sip_wire_send_decode(&m, &sw) == 0) {
		line_cfg_t lc;
		sip_wire_send_cfg(&sw, &lc);
		if ((lc.password && (lc.ha1_md5 || !lc.user)) ||
		    (lc.ha1_md5 && (!lc.user || strlen(lc.ha1_md5) != 32 || !lc.ha1_realm)))
			abort();
	}
	sip_wire_auth_t a;
	if (sip_wire_auth_decode(&m, &a) == 0 && (strlen(a.ha1_md5) != 32 || strlen(a.ha1_sha256) != 64))
		abort();
	/* a trunk peer's lookup, and its answer to a question the input's
	 * size chooses */
	sip_wire_resolve_t rq;
	if (sip_wire_resolve_decode(&m, &rq) == 0) {
		char host[RESOLVE_NAME_MAX];
		int rport, literal;
		if (!rq.peer[0] || resolve_peer_split(rq.peer, host, sizeof host, &rport, &literal) != 0 || literal ||
		    rq.transports < 1 || rq.transports > 7 || rq.families < 1 || rq.families > 3)
			abort();
	}
	rq = (sip_wire_resolve_t){ .primary = RESOLVE_UDP, .transports = 1 + (int)(size % 7),
		.families = 1 + (int)(size % 3) };
	snprintf(rq.peer, sizeof rq.peer, "carrier.example");
	static resolve_answer_t ra;
	char err[160];
	if (sip_wire_resolved_decode(&m, &rq, &rc, &ra, err, sizeof err) == 0) {
		if (rc > 0 || rc < RESOLVE_ERR_DNS || (rc == 0) != (ra.n > 0) || ra.n > RESOLVE_TARGETS_MAX ||
		    !printable(err) || strchr(err, '"'))
			abort();
		for (int i = 0; i < ra.n; i++) {
			const resolve_target_t *t = &ra.t[i];
			if (t->port < 1 || t->port > 65535 || (t->family != 4 && t->family != 6) ||
			    !((rq.transports | rq.primary) & t->transport) ||
			    !(rq.families & (t->family == 6 ? RESOLVE_V6 : RESOLVE_V4)) || !printable(t->host) ||
			    !printable(t->addr))
				abort();
		}
	}
	ipc_msg_free(&m);
	return 0;
}
