/* Unit tests of the SIP front end's messages (src/faxsvc/sip_wire.c): each
 * message round-trips, an INVITE's headers are found by their full or
 * compact name, and what the service must not take is refused (control
 * characters, a class that is not one, too many pages, a byte left over,
 * the wrong type, an Authorization passed as a header, a registration's or
 * a probe's outcome that is not one, a resolution's target the service did
 * not ask for or not an address, another version). With FV_SIP_WIRE_SEEDS=DIR, writes each message it
 * builds there (the fuzz target's seed corpus). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "linecall.h"
#include "sip_wire.h"

static struct ipc_out out; /* 64 KiB: kept off the stack */

/* The payload's length into out's header, as ipc_send writes it. */
static void seal(void)
{
	size_t n = out.len - IPC_HDR_LEN;
	for (int i = 0; i < 4; i++)
		out.buf[4 + i] = (uint8_t)(n >> (8 * i));
}

/* out as a received message (and a seed when asked). */
static void as_msg(struct ipc_msg *m, const char *seed)
{
	seal();
	const char *dir = getenv("FV_SIP_WIRE_SEEDS");
	if (dir && seed) {
		char p[512];
		snprintf(p, sizeof p, "%s/%s", dir, seed);
		FILE *f = fopen(p, "wb");
		if (f) {
			fwrite(out.buf, 1, out.len, f);
			fclose(f);
		}
	}
	assert_int_equal(out.failed, 0);
	assert_int_equal(ipc_msg_decode(out.buf, out.len, m), 0);
}

static sip_wire_invite_t inv, back;

static void fill_invite(void)
{
	memset(&inv, 0, sizeof inv);
	inv.listener = 2;
	snprintf(inv.inv.src_ip, sizeof inv.inv.src_ip, "192.0.2.7");
	inv.inv.src_port = 5060;
	snprintf(inv.inv.ruri_user, sizeof inv.inv.ruri_user, "0142000000");
	snprintf(inv.inv.from_user, sizeof inv.inv.from_user, "+33611111111");
	snprintf(inv.ruri, sizeof inv.ruri, "sip:0142000000@203.0.113.1");
	const char *h[][3] = { { "Call-ID", "abc@192.0.2.7", "" },
		{ "CSeq", "1 INVITE", "" },
		{ "Max-Forwards", "70", "" },
		{ "X-Called", "<sip:+33142000000@x>;tag=1", "+33142000000" } };
	for (size_t i = 0; i < 4; i++) {
		snprintf(inv.headers[i].name, sizeof inv.headers[i].name, "%s", h[i][0]);
		snprintf(inv.headers[i].value, sizeof inv.headers[i].value, "%s", h[i][1]);
		snprintf(inv.headers[i].user, sizeof inv.headers[i].user, "%s", h[i][2]);
	}
	inv.nheaders = 4;
	inv.auth = LINECALL_AUTH_CREDENTIALS;
	snprintf(inv.auth_user, sizeof inv.auth_user, "acct42");
	snprintf(inv.inv.peer_names, sizeof inv.inv.peer_names, "sip.carrier.example 192.0.2.7");
}

static void test_invite(void **state)
{
	(void)state;
	fill_invite();
	assert_int_equal(sip_wire_invite_encode(&out, &inv), 0);
	struct ipc_msg m;
	as_msg(&m, "invite");
	assert_int_equal(sip_wire_invite_decode(&m, &back), 0);
	assert_string_equal(back.inv.src_ip, "192.0.2.7");
	assert_int_equal(back.inv.src_port, 5060);
	assert_string_equal(back.inv.called, "0142000000"); /* preset as the engine does */
	assert_string_equal(back.inv.caller, "+33611111111");
	assert_string_equal(back.inv.peer_names, "sip.carrier.example 192.0.2.7");
	char v[1024];
	assert_int_equal(sip_wire_invite_header(&back, LINECALL_HDR_VALUE, "call-id", v, sizeof v), 0);
	assert_string_equal(v, "abc@192.0.2.7");
	assert_int_equal(sip_wire_invite_header(&back, LINECALL_HDR_VALUE, "i", v, sizeof v), 0);
	assert_string_equal(v, "abc@192.0.2.7");
	assert_int_equal(sip_wire_invite_header(&back, LINECALL_HDR_USER, "X-Called", v, sizeof v), 0);
	assert_string_equal(v, "+33142000000");
	assert_int_equal(sip_wire_invite_header(&back, LINECALL_HDR_USER, "CSeq", v, sizeof v), -1);
	assert_int_equal(sip_wire_invite_header(&back, LINECALL_HDR_RURI, NULL, v, sizeof v), 0);
	assert_string_equal(v, "sip:0142000000@203.0.113.1");
	assert_int_equal(sip_wire_invite_header(&back, LINECALL_HDR_VALUE, "Via", v, sizeof v), -1);
	assert_int_equal(sip_wire_invite_header(&back, LINECALL_HDR_VALUE, "Call-ID", v, 5), -1);
	/* the credentials: only whether they are there, and their username */
	assert_int_equal(back.auth, LINECALL_AUTH_CREDENTIALS);
	assert_string_equal(back.auth_user, "acct42");
	assert_int_equal(sip_wire_invite_header(&back, LINECALL_HDR_VALUE, "Authorization", v, sizeof v), -1);
	ipc_msg_free(&m);
	/* The Authorization itself as a header is refused, and a username
	 * without credentials. */
	snprintf(inv.headers[2].name, sizeof inv.headers[2].name, "Authorization");
	assert_int_equal(sip_wire_invite_encode(&out, &inv), 0);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_invite_decode(&m, &back), -1);
	ipc_msg_free(&m);
	fill_invite();
	inv.auth = LINECALL_AUTH_NONE;
	assert_int_equal(sip_wire_invite_encode(&out, &inv), -1);
	fill_invite();
	/* An IPv6 source is taken; a name is not. */
	snprintf(inv.inv.src_ip, sizeof inv.inv.src_ip, "2001:db8::7");
	assert_int_equal(sip_wire_invite_encode(&out, &inv), 0);
	as_msg(&m, "invite_ipv6");
	assert_int_equal(sip_wire_invite_decode(&m, &back), 0);
	assert_string_equal(back.inv.src_ip, "2001:db8::7");
	ipc_msg_free(&m);
	snprintf(inv.inv.src_ip, sizeof inv.inv.src_ip, "carrier.example");
	assert_int_equal(sip_wire_invite_encode(&out, &inv), 0);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_invite_decode(&m, &back), -1);
	ipc_msg_free(&m);
	fill_invite();
	assert_int_equal(sip_wire_invite_encode(&out, &inv), 0);
	as_msg(&m, NULL);
	/* One byte more is refused. */
	ipc_msg_free(&m);
	ipc_put_u8(&out, 'x');
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_invite_decode(&m, &back), -1);
	ipc_msg_free(&m);
	/* Control characters: the encoder refuses (the front end answers 500). */
	fill_invite();
	inv.headers[1].value[0] = '\n';
	assert_int_equal(sip_wire_invite_encode(&out, &inv), -1);
	fill_invite();
	inv.inv.peer_names[3] = '\n';
	assert_int_equal(sip_wire_invite_encode(&out, &inv), -1);
	fill_invite();
	snprintf(inv.headers[0].name, sizeof inv.headers[0].name, "Call ID");
	assert_int_equal(sip_wire_invite_encode(&out, &inv), -1);
	fill_invite();
	inv.listener = SIPF_LISTENERS_MAX;
	assert_int_equal(sip_wire_invite_encode(&out, &inv), -1);
}

static void test_answer_send_page(void **state)
{
	(void)state;
	sip_wire_answer_t a = { .status = 401, .retry_after = 0, .challenge = 2, .now = 1700000000 }, b;
	sip_wire_answer_encode(&out, &a);
	struct ipc_msg m;
	as_msg(&m, "answer");
	assert_int_equal(sip_wire_answer_decode(&m, &b), 0);
	assert_int_equal(b.status, 401);
	assert_int_equal(b.challenge, 2);
	assert_int_equal(b.now, 1700000000);
	assert_int_equal(sip_wire_invite_decode(&m, &back), -1); /* the wrong type */
	ipc_msg_free(&m);
	/* a challenge goes with a 401 only */
	a.status = 403;
	sip_wire_answer_encode(&out, &a);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_answer_decode(&m, &b), -1);
	ipc_msg_free(&m);

	line_cfg_t c;
	line_cfg_defaults(&c);
	c.user = "trunk-user";
	c.password = "s3cret";
	c.ha1_realm = "carrier.example";
	c.ha1_md5 = "0123456789abcdef0123456789abcdef";
	c.first_page = 3;
	c.ident = "+33142000000";
	c.clock_speed = 5;
	c.sip_transport = 2;
	c.tls_name = "sip.example.net";
	assert_int_equal(sip_wire_send_encode(&out, &c, "sip:+33142000000@192.0.2.1:5060"), 0);
	seal();
	/* the trunk's password is never on the wire, its HA1 is */
	assert_null(memmem(out.buf, out.len, "s3cret", 6));
	assert_non_null(memmem(out.buf, out.len, c.ha1_md5, 32));
	as_msg(&m, "send");
	static sip_wire_send_t s;
	assert_int_equal(sip_wire_send_decode(&m, &s), 0);
	line_cfg_t d;
	sip_wire_send_cfg(&s, &d);
	assert_string_equal(s.target, "sip:+33142000000@192.0.2.1:5060");
	assert_string_equal(d.user, "trunk-user");
	assert_null(d.password);
	assert_string_equal(d.ha1_realm, "carrier.example");
	assert_string_equal(d.ha1_md5, "0123456789abcdef0123456789abcdef");
	assert_string_equal(d.tls_name, "sip.example.net");
	assert_null(d.header);
	assert_null(d.tls_cert);
	assert_int_equal(d.first_page, 3);
	assert_int_equal(d.sip_transport, 2);
	assert_true(d.clock_speed > 4.99 && d.clock_speed < 5.01);
	ipc_msg_free(&m);
	/* no realm known yet (a trunk's first call): the password, no HA1;
	 * an HA1 that is not 32 hex digits is refused */
	c.ha1_realm = NULL;
	assert_int_equal(sip_wire_send_encode(&out, &c, "sip:+33142000000@192.0.2.1:5060"), 0);
	as_msg(&m, "send_password");
	assert_int_equal(sip_wire_send_decode(&m, &s), 0);
	sip_wire_send_cfg(&s, &d);
	assert_string_equal(d.user, "trunk-user");
	assert_string_equal(d.password, "s3cret");
	assert_null(d.ha1_md5);
	ipc_msg_free(&m);
	c.ha1_realm = "carrier.example";
	c.ha1_md5 = "s3cret";
	assert_int_equal(sip_wire_send_encode(&out, &c, "sip:+33142000000@192.0.2.1:5060"), -1);

	int page, ok;
	sip_wire_page_encode(&out, 4, 1);
	as_msg(&m, "page");
	assert_int_equal(sip_wire_page_decode(&m, &page, &ok), 0);
	assert_int_equal(page, 4);
	assert_int_equal(ok, 1);
	ipc_msg_free(&m);
	sip_wire_page_encode(&out, 0, 1);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_page_decode(&m, &page, &ok), -1); /* pages count from 1 */
	ipc_msg_free(&m);

	sip_wire_listen_t l = { .id = 1, .screened = 1, .t38 = 1, .ecm = 1, .rx_durable = 1,
		.clock_speed = 1.0 }, l2;
	snprintf(l.listen, sizeof l.listen, "127.0.0.1:5070");
	sip_wire_listen_encode(&out, &l);
	as_msg(&m, "listen");
	assert_int_equal(sip_wire_listen_decode(&m, &l2), 0);
	assert_string_equal(l2.listen, "127.0.0.1:5070");
	assert_int_equal(l2.rx_durable, 1);
	ipc_msg_free(&m);
	uint32_t id;
	int port;
	sip_wire_listening_encode(&out, 1, 5070);
	as_msg(&m, "listening");
	assert_int_equal(sip_wire_listening_decode(&m, &id, &port), 0);
	assert_int_equal(port, 5070);
	ipc_msg_free(&m);
}

static fax_result_t r, r2;

static void test_result(void **state)
{
	(void)state;
	fax_result_init(&r, 1);
	r.answered = 1;
	r.t30_heard = 1;
	r.pages_total = 3;
	r.pages_sent = 2;
	r.pages_confirmed = 2;
	r.npages = 2;
	for (int i = 0; i < 2; i++) {
		r.pages[i].page = i + 1;
		snprintf(r.pages[i].result, sizeof r.pages[i].result, "MCF");
	}
	r.duration_ms = 42000;
	r.packets_received = 1234;
	r.foreign_packets = 56; /* a stranger's datagrams, dropped (media.foreign_packets) */
	fax_result_classify(&r);
	sip_wire_result_encode(&out, 0, &r);
	struct ipc_msg m;
	as_msg(&m, "result");
	int rc = 7;
	assert_int_equal(sip_wire_result_decode(&m, &rc, &r2), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(r2.pages_confirmed, 2);
	assert_int_equal(r2.npages, 2);
	assert_string_equal(r2.pages[1].result, "MCF");
	assert_string_equal(r2.fail_class, r.fail_class);
	assert_string_equal(r2.reason, r.reason);
	assert_int_equal(r2.duration_ms, 42000);
	assert_int_equal(r2.packets_received, 1234);
	assert_int_equal(r2.foreign_packets, 56);
	assert_null(r2.call_ud);
	ipc_msg_free(&m);
	/* A session that failed before any page was confirmed: the class
	 * t30_error, digits and all, goes through (it was refused as
	 * malformed, and the front end killed with its other calls). */
	fax_result_init(&r, 1);
	r.answered = 1;
	r.t30_heard = 1;
	r.t30_code = 5;
	r.pages_total = 3;
	fax_result_classify(&r);
	assert_string_equal(r.fail_class, "t30_error");
	sip_wire_result_encode(&out, 0, &r);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_result_decode(&m, &rc, &r2), 0);
	assert_string_equal(r2.fail_class, "t30_error");
	assert_int_equal(r2.t30_code, 5);
	assert_int_equal(r2.ok, 0);
	ipc_msg_free(&m);
	/* A class the service does not know the shape of is refused. */
	snprintf(r.fail_class, sizeof r.fail_class, "Bad class");
	sip_wire_result_encode(&out, 0, &r);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_result_decode(&m, &rc, &r2), -1);
	ipc_msg_free(&m);
	/* Text the encoder would not send (a newline in the reason) goes empty. */
	fax_result_classify(&r);
	snprintf(r.reason, sizeof r.reason, "two\nlines");
	sip_wire_result_encode(&out, -1, &r);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_result_decode(&m, &rc, &r2), 0);
	assert_int_equal(rc, -1);
	assert_string_equal(r2.reason, "");
	ipc_msg_free(&m);
}

static void test_register_probe_auth(void **state)
{
	(void)state;
	struct ipc_msg m;
	/* a registration with the HA1 for the carrier's realm, no password */
	static linecall_reg_t q, back_q;
	static sip_wire_reg_t w;
	memset(&q, 0, sizeof q);
	q.trunk_id = "carrier1";
	q.b.registrar = "sip.example.net:5061";
	q.b.user = "acct42";
	q.b.ha1_realm = "example.net";
	q.b.ha1_md5 = "0123456789abcdef0123456789abcdef";
	q.b.expires = 600;
	q.b.transport = 2;
	q.b.tls_cert = "/proc/self/fd/9";
	q.b.tls_key = "/proc/self/fd/10";
	q.b.tls_name = "sip.example.net";
	snprintf(q.contact[0], sizeof q.contact[0], "192.0.2.1:5061");
	snprintf(q.contact[1], sizeof q.contact[1], "[2001:db8::1]:5061");
	snprintf(q.b.call_id, sizeof q.b.call_id, "00ff");
	q.b.cseq = 7;
	/* no target: nothing to send */
	assert_int_equal(sip_wire_reg_encode(&out, &q, 8000), -1);
	snprintf(q.targets[0], sizeof q.targets[0], "192.0.2.5:5061");
	q.target_family[0] = 4;
	snprintf(q.targets[1], sizeof q.targets[1], "[2001:db8::5]:5061");
	q.target_family[1] = 6;
	q.ntargets = 2;
	assert_int_equal(sip_wire_reg_encode(&out, &q, 8000), 0);
	as_msg(&m, "register");
	assert_int_equal(sip_wire_reg_decode(&m, &w), 0);
	ipc_msg_free(&m);
	sip_wire_reg_binding(&w, &back_q);
	assert_null(back_q.b.password);
	assert_string_equal(back_q.b.ha1_md5, q.b.ha1_md5);
	assert_string_equal(back_q.b.ha1_realm, "example.net");
	assert_string_equal(back_q.b.tls_name, "sip.example.net");
	assert_string_equal(back_q.contact[1], "[2001:db8::1]:5061");
	assert_string_equal(back_q.b.call_id, "00ff");
	assert_int_equal(back_q.b.cseq, 7);
	assert_int_equal(back_q.ntargets, 2);
	assert_string_equal(back_q.targets[1], "[2001:db8::5]:5061");
	assert_int_equal(back_q.target_family[1], 6);
	assert_int_equal(w.timeout_ms, 8000);
	/* a Call-ID that is not ours, an HA1 that is not one: refused */
	snprintf(q.b.call_id, sizeof q.b.call_id, "x@y");
	assert_int_equal(sip_wire_reg_encode(&out, &q, 8000), -1);
	snprintf(q.b.call_id, sizeof q.b.call_id, "00ff");
	q.b.ha1_md5 = "short";
	assert_int_equal(sip_wire_reg_encode(&out, &q, 8000), -1);
	q.b.ha1_md5 = "0123456789abcdef0123456789abcdef";
	/* the outcome */
	q.status = 200;
	q.granted = 300;
	snprintf(q.b.realm, sizeof q.b.realm, "example.net");
	snprintf(q.contact_used, sizeof q.contact_used, "192.0.2.1:5061");
	q.b.cseq = 9;
	sip_wire_registered_encode(&out, 0, &q);
	as_msg(&m, "registered");
	int rc = 7;
	memset(&back_q, 0, sizeof back_q);
	assert_int_equal(sip_wire_registered_decode(&m, &rc, &back_q), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(back_q.granted, 300);
	assert_int_equal(back_q.b.cseq, 9);
	assert_string_equal(back_q.b.realm, "example.net");
	assert_string_equal(back_q.contact_used, "192.0.2.1:5061");
	ipc_msg_free(&m);
	/* a realm with a quote is no realm */
	snprintf(q.b.realm, sizeof q.b.realm, "ex\"ample");
	sip_wire_registered_encode(&out, 401, &q);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_registered_decode(&m, &rc, &back_q), -1);
	ipc_msg_free(&m);

	/* one trunk's probes, and their answers */
	sipconn_tls_t tls = { .ca = "/etc/faxvault/ca.pem", .name = "sip.example.net" };
	keepalive_probe_t p[2] = { { .peer = "192.0.2.1:5061", .transport = 2, .tls = &tls },
		{ .peer = "[2001:db8::1]:5061", .transport = 2, .tls = &tls } };
	linecall_probe_set_t set = { p, 2 };
	assert_int_equal(sip_wire_probe_encode(&out, &set, 2000), 0);
	as_msg(&m, "probe");
	static sip_wire_probe_t pw;
	assert_int_equal(sip_wire_probe_decode(&m, &pw), 0);
	assert_int_equal(pw.n, 2);
	assert_string_equal(pw.p[1].peer, "[2001:db8::1]:5061");
	assert_string_equal(pw.name, "sip.example.net");
	assert_int_equal(pw.has_cert, 0);
	ipc_msg_free(&m);
	p[0].status = 200;
	p[1].status = -1;
	sip_wire_probed_encode(&out, p, 2);
	as_msg(&m, "probed");
	p[0].status = p[1].status = 5;
	assert_int_equal(sip_wire_probed_decode(&m, &set), 0);
	assert_int_equal(p[0].status, 200);
	assert_int_equal(p[1].status, -1);
	/* as many answers as probes, no more, no fewer */
	set.n = 1;
	assert_int_equal(sip_wire_probed_decode(&m, &set), -1);
	ipc_msg_free(&m);

	/* the media loops' figures (for /metrics) */
	line_loop_stats_t ls[2] = { { 500, 3, 41000 }, { 0, 0, 0 } }, lo[LINE_LOOPS_MAX];
	sip_wire_loops_encode(&out, ls, 2);
	as_msg(&m, "loops");
	assert_int_equal(sip_wire_loops_decode(&m, lo), 2);
	assert_int_equal(lo[0].ticks, 500);
	assert_int_equal(lo[0].late_ticks, 3);
	assert_int_equal(lo[0].max_late_us, 41000);
	ipc_msg_free(&m);
	/* more late ticks than ticks: refused */
	ls[0].late_ticks = 501;
	sip_wire_loops_encode(&out, ls, 1);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_loops_decode(&m, lo), -1);
	ipc_msg_free(&m);

	/* a check of an INVITE's credentials, and its verdict */
	sip_wire_auth_t a = { .now = 1700000000 }, ab;
	snprintf(a.user, sizeof a.user, "acct42");
	snprintf(a.ha1_md5, sizeof a.ha1_md5, "0123456789abcdef0123456789abcdef");
	snprintf(a.ha1_sha256, sizeof a.ha1_sha256, "%s%s", a.ha1_md5, a.ha1_md5);
	sip_wire_auth_encode(&out, &a);
	as_msg(&m, "auth_check");
	assert_int_equal(sip_wire_auth_decode(&m, &ab), 0);
	assert_string_equal(ab.ha1_sha256, a.ha1_sha256);
	ipc_msg_free(&m);
	a.ha1_sha256[3] = 'X';
	sip_wire_auth_encode(&out, &a);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_auth_decode(&m, &ab), -1);
	ipc_msg_free(&m);
	sip_wire_verdict_encode(&out, SIPAUTH_REPLAY);
	as_msg(&m, "auth_verdict");
	sipauth_verdict_t v = SIPAUTH_OK;
	assert_int_equal(sip_wire_verdict_decode(&m, &v), 0);
	assert_int_equal(v, SIPAUTH_REPLAY);
	ipc_msg_free(&m);
	ipc_out_init(&out, SIPF_AUTH_VERDICT, 0);
	ipc_put_i64(&out, 9);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_verdict_decode(&m, &v), -1);
	ipc_msg_free(&m);
}

/* A resolved target as the front end would send it. */
static void target(resolve_answer_t *a, const char *host, const char *addr, int port, int family, int transport)
{
	resolve_target_t *t = &a->t[a->n++];
	memset(t, 0, sizeof *t);
	snprintf(t->host, sizeof t->host, "%s", host);
	snprintf(t->addr, sizeof t->addr, "%s", addr);
	t->port = port;
	t->family = family;
	t->transport = transport;
	t->priority = 10;
	t->weight = 5;
}

static void test_resolve(void **state)
{
	(void)state;
	struct ipc_msg m;
	sip_wire_resolve_t q;
	/* the question: a name, never a literal nor garbage */
	assert_int_equal(sip_wire_resolve_encode(&out, "carrier.example", RESOLVE_TLS, RESOLVE_UDP | RESOLVE_TLS,
				 RESOLVE_V4 | RESOLVE_V6), 0);
	as_msg(&m, "resolve");
	assert_int_equal(sip_wire_resolve_decode(&m, &q), 0);
	assert_string_equal(q.peer, "carrier.example");
	assert_int_equal(q.primary, RESOLVE_TLS);
	assert_int_equal(q.transports, RESOLVE_UDP | RESOLVE_TLS);
	assert_int_equal(q.families, RESOLVE_V4 | RESOLVE_V6);
	ipc_msg_free(&m);
	assert_int_equal(sip_wire_resolve_encode(&out, "192.0.2.1:5060", RESOLVE_UDP, RESOLVE_UDP, RESOLVE_V4), -1);
	assert_int_equal(sip_wire_resolve_encode(&out, "a b", RESOLVE_UDP, RESOLVE_UDP, RESOLVE_V4), -1);
	assert_int_equal(sip_wire_resolve_encode(&out, "carrier.example", 3, RESOLVE_UDP, RESOLVE_V4), -1);
	assert_int_equal(sip_wire_resolve_encode(&out, "carrier.example", RESOLVE_UDP, RESOLVE_UDP, 0), -1);
	/* another version of the message */
	ipc_out_init(&out, SIPF_RESOLVE, 0);
	ipc_put_u8(&out, SIPF_RESOLVE_VERSION + 1);
	ipc_put_str(&out, "carrier.example");
	ipc_put_i64(&out, RESOLVE_UDP);
	ipc_put_i64(&out, RESOLVE_UDP);
	ipc_put_i64(&out, RESOLVE_V4);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_resolve_decode(&m, &q), -1);
	ipc_msg_free(&m);

	/* the answer: the ordered targets, as they were */
	assert_int_equal(sip_wire_resolve_encode(&out, "carrier.example", RESOLVE_UDP, RESOLVE_UDP | RESOLVE_TLS,
				 RESOLVE_V4 | RESOLVE_V6), 0);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_resolve_decode(&m, &q), 0);
	ipc_msg_free(&m);
	static resolve_answer_t a, b;
	memset(&a, 0, sizeof a);
	target(&a, "a.carrier.example", "192.0.2.10", 5061, 4, RESOLVE_TLS);
	target(&a, "b.carrier.example", "2001:db8::5", 5060, 6, RESOLVE_UDP);
	a.ttl = 300;
	snprintf(a.how, sizeof a.how, "naptr");
	char err[160];
	int rc = 9;
	sip_wire_resolved_encode(&out, 0, &a, "");
	as_msg(&m, "resolved");
	assert_int_equal(sip_wire_resolved_decode(&m, &q, &rc, &b, err, sizeof err), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.ttl, 300);
	assert_string_equal(b.how, "naptr");
	assert_memory_equal(&a.t[0], &b.t[0], sizeof a.t[0]);
	assert_memory_equal(&a.t[1], &b.t[1], sizeof a.t[1]);
	/* a target of a transport or a family not asked for */
	q.transports = RESOLVE_UDP;
	assert_int_equal(sip_wire_resolved_decode(&m, &q, &rc, &b, err, sizeof err), -1);
	q.transports = RESOLVE_UDP | RESOLVE_TLS;
	q.families = RESOLVE_V4;
	assert_int_equal(sip_wire_resolved_decode(&m, &q, &rc, &b, err, sizeof err), -1);
	q.families = RESOLVE_V4 | RESOLVE_V6;
	ipc_msg_free(&m);
	/* an address that is not one, or not as inet_ntop writes it */
	snprintf(a.t[1].addr, sizeof a.t[1].addr, "2001:DB8:0::5");
	sip_wire_resolved_encode(&out, 0, &a, "");
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_resolved_decode(&m, &q, &rc, &b, err, sizeof err), -1);
	ipc_msg_free(&m);
	snprintf(a.t[1].addr, sizeof a.t[1].addr, "192.0.2.300");
	a.t[1].family = 4;
	sip_wire_resolved_encode(&out, 0, &a, "");
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_resolved_decode(&m, &q, &rc, &b, err, sizeof err), -1);
	ipc_msg_free(&m);
	/* a name of characters no resolver gives */
	snprintf(a.t[1].addr, sizeof a.t[1].addr, "192.0.2.11");
	snprintf(a.t[1].host, sizeof a.t[1].host, "b;x=1");
	sip_wire_resolved_encode(&out, 0, &a, "");
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_resolved_decode(&m, &q, &rc, &b, err, sizeof err), -1);
	ipc_msg_free(&m);
	/* a failure: its reason, no target */
	sip_wire_resolved_encode(&out, RESOLVE_ERR_NXDOMAIN, &a, "carrier.example: no such host name (NXDOMAIN)");
	as_msg(&m, "resolved_nx");
	assert_int_equal(sip_wire_resolved_decode(&m, &q, &rc, &b, err, sizeof err), 0);
	assert_int_equal(rc, RESOLVE_ERR_NXDOMAIN);
	assert_int_equal(b.n, 0);
	assert_string_equal(err, "carrier.example: no such host name (NXDOMAIN)");
	ipc_msg_free(&m);
	/* success without a target, a failure with targets, an unknown outcome */
	ipc_out_init(&out, SIPF_RESOLVED, 0);
	ipc_put_u8(&out, SIPF_RESOLVE_VERSION);
	ipc_put_i64(&out, 0);
	ipc_put_str(&out, "");
	ipc_put_str(&out, "a");
	ipc_put_i64(&out, 60);
	ipc_put_u32(&out, 0);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_resolved_decode(&m, &q, &rc, &b, err, sizeof err), -1);
	ipc_msg_free(&m);
	ipc_out_init(&out, SIPF_RESOLVED, 0);
	ipc_put_u8(&out, SIPF_RESOLVE_VERSION);
	ipc_put_i64(&out, RESOLVE_ERR_AGAIN);
	ipc_put_str(&out, "");
	ipc_put_str(&out, "");
	ipc_put_i64(&out, -1);
	ipc_put_u32(&out, 0);
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_resolved_decode(&m, &q, &rc, &b, err, sizeof err), -1);
	ipc_msg_free(&m);
	/* a quote in the reason (it goes into the log's quoted fields) */
	sip_wire_resolved_encode(&out, RESOLVE_ERR_DNS, &a, "x\" y=\"z");
	as_msg(&m, NULL);
	assert_int_equal(sip_wire_resolved_decode(&m, &q, &rc, &b, err, sizeof err), 0);
	assert_string_equal(err, "");
	ipc_msg_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invite),
		cmocka_unit_test(test_answer_send_page),
		cmocka_unit_test(test_result),
		cmocka_unit_test(test_register_probe_auth),
		cmocka_unit_test(test_resolve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
