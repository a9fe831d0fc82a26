/* Unit tests of the RFC 3263 resolver's pure parts: peer forms, SRV and
 * NAPTR records read from DNS answers built here byte by byte, and the RFC
 * 2782 order. (The lookups themselves run against dnsmasq in
 * integ_fax_trunk_dns.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "resolve.h"

static void t_peer_split(void **state)
{
	(void)state;
	char h[RESOLVE_NAME_MAX];
	int port, lit;
	assert_int_equal(resolve_peer_split("192.0.2.7:5060", h, sizeof h, &port, &lit), 0);
	assert_string_equal(h, "192.0.2.7");
	assert_int_equal(port, 5060);
	assert_int_equal(lit, 4);
	assert_int_equal(resolve_peer_split("[2001:db8::5]:5080", h, sizeof h, &port, &lit), 0);
	assert_string_equal(h, "2001:db8::5");
	assert_int_equal(port, 5080);
	assert_int_equal(lit, 6);
	assert_int_equal(resolve_peer_split("sip.carrier.example:5062", h, sizeof h, &port, &lit), 0);
	assert_string_equal(h, "sip.carrier.example");
	assert_int_equal(port, 5062);
	assert_int_equal(lit, 0);
	assert_int_equal(resolve_peer_split("carrier.example", h, sizeof h, &port, &lit), 0);
	assert_string_equal(h, "carrier.example");
	assert_int_equal(port, 0);
	assert_int_equal(resolve_peer_split("localhost:5080", h, sizeof h, &port, &lit), 0);
	static const char *const bad[] = { "", ":5060", "host:", "host:0", "host:65536", "host:5o60", "192.0.2.7",
		"2001:db8::5", "[2001:db8::5]", "[2001:db8::5]:", "[nothost]:5060", "a..b:5060", "-x y:5060",
		"host:5060:1", "999.1.1.1:5060", "1.2.3:5060", "sip:host:5060", "host/x", "[::1]x5060" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(resolve_peer_split(bad[i], h, sizeof h, &port, &lit), -1);
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_int_equal(resolve_peer_split(longname, h, sizeof h, &port, &lit), -1);
	memset(longname, 'a', 64);
	snprintf(longname + 64, sizeof longname - 64, ".example:5060");
	assert_int_equal(resolve_peer_split(longname, h, sizeof h, &port, &lit), -1); /* a 64-byte label */
}

/* A DNS answer under construction. */
typedef struct {
	uint8_t b[2048];
	size_t n;
	int an;
} msg_t;

static void put(msg_t *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}
static void put16(msg_t *m, int v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put(m, x, 2);
}
static void put32(msg_t *m, uint32_t v)
{
	put16(m, (int)(v >> 16));
	put16(m, (int)(v & 0xffff));
}
static void name(msg_t *m, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		uint8_t c = (uint8_t)l;
		put(m, &c, 1);
		put(m, s, l);
		s += l + (dot ? 1 : 0);
	}
	uint8_t z = 0;
	put(m, &z, 1);
}
static void cstr(msg_t *m, const char *s)
{
	uint8_t l = (uint8_t)strlen(s);
	put(m, &l, 1);
	put(m, s, l);
}
/* header with one question qname/qtype; answers are added after it */
static void begin(msg_t *m, const char *qname, int qtype)
{
	memset(m, 0, sizeof *m);
	put16(m, 0x1234);
	put16(m, 0x8180);
	put16(m, 1);
	put16(m, 0); /* ancount, set by finish */
	put16(m, 0);
	put16(m, 0);
	name(m, qname);
	put16(m, qtype);
	put16(m, 1);
}
static void finish(msg_t *m)
{
	m->b[6] = (uint8_t)(m->an >> 8);
	m->b[7] = (uint8_t)m->an;
}
/* an answer record owned by the question's name (pointer 0xc00c) */
static size_t rr(msg_t *m, int type, uint32_t ttl)
{
	put16(m, 0xc00c);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	size_t at = m->n;
	put16(m, 0); /* rdlength, set by rr_end */
	m->an++;
	return at;
}
static void rr_end(msg_t *m, size_t at)
{
	size_t l = m->n - at - 2;
	m->b[at] = (uint8_t)(l >> 8);
	m->b[at + 1] = (uint8_t)l;
}
static void srv(msg_t *m, int prio, int weight, int port, const char *target, uint32_t ttl)
{
	size_t at = rr(m, 33, ttl);
	put16(m, prio);
	put16(m, weight);
	put16(m, port);
	name(m, target);
	rr_end(m, at);
}

static void t_parse_srv(void **state)
{
	(void)state;
	msg_t m;
	begin(&m, "_sip._udp.carrier.example", 33);
	srv(&m, 10, 60, 5060, "a.carrier.example", 300);
	srv(&m, 20, 0, 5070, "b.carrier.example", 120);
	/* a CNAME between them is skipped */
	size_t at = rr(&m, 5, 50);
	name(&m, "elsewhere.example");
	rr_end(&m, at);
	/* a target by compression pointer to the question's "carrier.example" */
	at = rr(&m, 33, 30);
	put16(&m, 5);
	put16(&m, 1);
	put16(&m, 5080);
	uint8_t c[] = { 1, 'c', 0xc0, 12 + 10 };
	put(&m, c, sizeof c);
	rr_end(&m, at);
	finish(&m);
	resolve_srv_t s[8];
	int n = resolve_parse_srv(m.b, m.n, s, 8);
	assert_int_equal(n, 3);
	assert_int_equal(s[0].priority, 10);
	assert_int_equal(s[0].weight, 60);
	assert_int_equal(s[0].port, 5060);
	assert_int_equal(s[0].ttl, 300);
	assert_string_equal(s[0].target, "a.carrier.example");
	assert_string_equal(s[1].target, "b.carrier.example");
	assert_int_equal(s[1].port, 5070);
	assert_string_equal(s[2].target, "c.carrier.example");
	assert_int_equal(s[2].port, 5080);
	/* max honoured */
	assert_int_equal(resolve_parse_srv(m.b, m.n, s, 1), 1);
	/* a truncated message is malformed */
	assert_int_equal(resolve_parse_srv(m.b, m.n - 3, s, 8), -1);
	assert_int_equal(resolve_parse_srv(m.b, 5, s, 8), -1);
	/* a record too short for its fields is skipped */
	begin(&m, "_sip._udp.x.example", 33);
	at = rr(&m, 33, 30);
	put16(&m, 1);
	put16(&m, 1);
	rr_end(&m, at);
	srv(&m, 1, 1, 5060, "ok.example", 30);
	finish(&m);
	assert_int_equal(resolve_parse_srv(m.b, m.n, s, 8), 1);
	assert_string_equal(s[0].target, "ok.example");
	/* a pointer looping on itself is refused */
	begin(&m, "_sip._udp.x.example", 33);
	at = rr(&m, 33, 30);
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 5060);
	size_t here = m.n;
	uint8_t loop[] = { 0xc0, (uint8_t)here };
	put(&m, loop, 2);
	rr_end(&m, at);
	finish(&m);
	assert_int_equal(resolve_parse_srv(m.b, m.n, s, 8), 0);
}

static void naptr(msg_t *m, int order, int pref, const char *flags, const char *svc, const char *repl)
{
	size_t at = rr(m, 35, 600);
	put16(m, order);
	put16(m, pref);
	cstr(m, flags);
	cstr(m, svc);
	cstr(m, "");
	name(m, repl);
	rr_end(m, at);
}

static void t_parse_naptr(void **state)
{
	(void)state;
	msg_t m;
	begin(&m, "carrier.example", 35);
	naptr(&m, 50, 50, "s", "SIPS+D2T", "_sips._tcp.carrier.example");
	naptr(&m, 90, 50, "s", "SIP+D2U", "_sip._udp.carrier.example");
	naptr(&m, 10, 10, "s", "SIP+D2S", "_sip._sctp.carrier.example");
	finish(&m);
	resolve_naptr_t r[8];
	int n = resolve_parse_naptr(m.b, m.n, r, 8);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].order, 50);
	assert_string_equal(r[0].flags, "s");
	assert_string_equal(r[0].service, "SIPS+D2T");
	assert_string_equal(r[0].replacement, "_sips._tcp.carrier.example");
	assert_int_equal(r[0].ttl, 600);
	assert_int_equal(resolve_naptr_transport(r[0].service), RESOLVE_TLS);
	assert_int_equal(resolve_naptr_transport(r[1].service), RESOLVE_UDP);
	assert_int_equal(resolve_naptr_transport("sip+d2t"), RESOLVE_TCP);
	assert_int_equal(resolve_naptr_transport(r[2].service), 0); /* SCTP: not ours */
	assert_int_equal(resolve_naptr_transport("E2U+sip"), 0);
	/* SRV records in a NAPTR answer are not NAPTR records */
	assert_int_equal(resolve_parse_srv(m.b, m.n, (resolve_srv_t[8]){ 0 }, 8), 0);
	/* a character-string running past its record: skipped */
	begin(&m, "carrier.example", 35);
	size_t at = rr(&m, 35, 60);
	put16(&m, 1);
	put16(&m, 1);
	uint8_t bad[] = { 40, 's' };
	put(&m, bad, sizeof bad);
	rr_end(&m, at);
	finish(&m);
	assert_int_equal(resolve_parse_naptr(m.b, m.n, r, 8), 0);
}

static uint32_t seq_rnd(void *ud)
{
	uint32_t *v = ud;
	return *v;
}

static void t_srv_order(void **state)
{
	(void)state;
	resolve_srv_t s[4];
	memset(s, 0, sizeof s);
	s[0] = (resolve_srv_t){ .priority = 20, .weight = 10, .port = 1 };
	s[1] = (resolve_srv_t){ .priority = 10, .weight = 0, .port = 2 };
	s[2] = (resolve_srv_t){ .priority = 10, .weight = 30, .port = 3 };
	s[3] = (resolve_srv_t){ .priority = 10, .weight = 70, .port = 4 };
	/* a draw of 0 picks the weight-0 record first */
	uint32_t v = 0;
	resolve_srv_order(s, 4, seq_rnd, &v);
	assert_int_equal(s[0].port, 2);
	assert_int_equal(s[3].port, 1); /* the lower priority always last */
	/* a draw of 50 (of 0..100) lands in the 70-weight record's share */
	s[0] = (resolve_srv_t){ .priority = 10, .weight = 30, .port = 3 };
	s[1] = (resolve_srv_t){ .priority = 10, .weight = 70, .port = 4 };
	s[2] = (resolve_srv_t){ .priority = 5, .weight = 1, .port = 5 };
	v = 50;
	resolve_srv_order(s, 3, seq_rnd, &v);
	assert_int_equal(s[0].port, 5);
	assert_int_equal(s[1].port, 4);
	assert_int_equal(s[2].port, 3);
	/* ... and a draw of 20 in the 30-weight one */
	s[0] = (resolve_srv_t){ .priority = 10, .weight = 30, .port = 3 };
	s[1] = (resolve_srv_t){ .priority = 10, .weight = 70, .port = 4 };
	v = 20;
	resolve_srv_order(s, 2, seq_rnd, &v);
	assert_int_equal(s[0].port, 3);
	/* with the real random draw, the weights show over many orders */
	int first70 = 0;
	for (int i = 0; i < 2000; i++) {
		s[0] = (resolve_srv_t){ .priority = 1, .weight = 30, .port = 3 };
		s[1] = (resolve_srv_t){ .priority = 1, .weight = 70, .port = 4 };
		resolve_srv_order(s, 2, NULL, NULL);
		first70 += s[0].port == 4;
	}
	assert_in_range(first70, 1200, 1600);
}

static void t_literal(void **state)
{
	(void)state;
	resolve_answer_t a;
	char err[160];
	assert_int_equal(resolve_lookup("192.0.2.9:5070", RESOLVE_UDP, RESOLVE_V4 | RESOLVE_V6, &a, err, sizeof err), 0);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.t[0].addr, "192.0.2.9");
	assert_int_equal(a.t[0].port, 5070);
	assert_int_equal(a.t[0].transport, RESOLVE_UDP);
	assert_string_equal(a.how, "literal");
	assert_int_equal(resolve_lookup("[::1]:5070", RESOLVE_UDP, RESOLVE_V4, &a, err, sizeof err),
		RESOLVE_ERR_NOTARGET);
	assert_int_equal(resolve_lookup("not a peer", RESOLVE_UDP, RESOLVE_V4, &a, err, sizeof err),
		RESOLVE_ERR_SYNTAX);
	assert_string_equal(resolve_transport_name(RESOLVE_TLS), "tls");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_peer_split),
		cmocka_unit_test(t_parse_srv),
		cmocka_unit_test(t_parse_naptr),
		cmocka_unit_test(t_srv_order),
		cmocka_unit_test(t_literal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
