/* Unit tests of the SIP message parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sipmsg.h"

static int parse(const char *s, sip_msg_t *m)
{
	return sip_msg_parse((const uint8_t *)s, strlen(s), m);
}

static const char *INVITE =
	"INVITE sip:5551234@127.0.0.1:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport\r\n"
	"v: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKdef\r\n"
	"Max-Forwards: 70\r\n"
	"f: \"Alice, A.\" <sip:alice@10.0.0.1>;tag=a1\r\n"
	"To: <sip:5551234@127.0.0.1>\r\n"
	"i: call-1@10.0.0.1\r\n"
	"CSeq: 42 INVITE\r\n"
	"Subject: a folded\r\n  header value\r\n"
	"Contact: <sip:alice@10.0.0.1:5062;transport=udp>\r\n"
	"l: 4\r\n"
	"\r\n"
	"v=0\r\nEXTRA";

static void t_request(void **state)
{
	(void)state;
	sip_msg_t m;
	assert_int_equal(parse(INVITE, &m), 0);
	assert_true(m.is_request);
	assert_true(sip_str_eq(m.method, "INVITE"));
	assert_true(sip_str_eq(m.uri, "sip:5551234@127.0.0.1:5060"));
	assert_int_equal(m.body.n, 4);
	assert_int_equal(sip_msg_check(&m), 0);
	const sip_str_t *cid = sip_msg_header(&m, "Call-ID");
	assert_non_null(cid);
	assert_true(sip_str_eq(*cid, "call-1@10.0.0.1"));
	sip_str_t tag;
	assert_int_equal(sip_param(*sip_msg_header(&m, "From"), "tag", &tag), 0);
	assert_true(sip_str_eq(tag, "a1"));
	assert_int_equal(sip_param(*sip_msg_header(&m, "To"), "tag", &tag), -1);
	uint32_t n;
	sip_str_t meth;
	assert_int_equal(sip_cseq(&m, &n, &meth), 0);
	assert_int_equal(n, 42);
	sip_str_t u = sip_addr_uri(*sip_msg_header(&m, "Contact")), user, host;
	uint16_t port;
	assert_int_equal(sip_uri_parse(u, &user, &host, &port), 0);
	assert_true(sip_str_eq(user, "alice"));
	assert_true(sip_str_eq(host, "10.0.0.1"));
	assert_int_equal(port, 5062);
	const sip_str_t *subj = sip_msg_header(&m, "Subject");
	assert_non_null(subj);
	assert_true(subj->n > 10);
}

static void t_response(void **state)
{
	(void)state;
	sip_msg_t m;
	const char *r = "SIP/2.0 488 Not Acceptable Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
			"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: x\r\nCSeq: 2 INVITE\r\n"
			"Content-Length: 0\r\n\r\n";
	assert_int_equal(parse(r, &m), 0);
	assert_false(m.is_request);
	assert_int_equal(m.status, 488);
	assert_int_equal(sip_msg_check(&m), 0);
}

static void t_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"garbage",
		"INVITE sip:a@b SIP/2.0\r\n",                              /* no end of headers */
		"INVITE sip:a@b SIP/3.0\r\nVia: x\r\n\r\n",                /* version */
		"INV<ITE sip:a@b SIP/2.0\r\n\r\n",                        /* method token */
		"SIP/2.0 99 Low\r\n\r\n",                                  /* status range */
		"SIP/2.0 2000 OK\r\n\r\n",
		"INVITE sip:a@b SIP/2.0\r\nNoColon\r\n\r\n",
		"INVITE sip:a@b SIP/2.0\r\n folded-first: x\r\n\r\n",
		"INVITE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nshort",  /* body shorter */
		"INVITE sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n",
		"INVITE sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n",
	};
	sip_msg_t m;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(parse(bad[i], &m), -1);
}

static void t_check(void **state)
{
	(void)state;
	sip_msg_t m;
	/* parses, but CSeq method disagrees / is missing */
	const char *r = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>;tag=1\r\n"
			"To: <sip:b@h>\r\nCall-ID: x\r\nCSeq: 1 BYE\r\n\r\n";
	assert_int_equal(parse(r, &m), 0);
	assert_int_equal(sip_msg_check(&m), -1);
	const char *r2 = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@h>\r\n"
			 "To: <sip:b@h>\r\nCall-ID: x\r\nCSeq: abc OPTIONS\r\n\r\n";
	assert_int_equal(parse(r2, &m), 0);
	assert_int_equal(sip_msg_check(&m), -1);
}

static void t_too_many_headers(void **state)
{
	(void)state;
	char big[SIP_MSG_MAX];
	size_t n = (size_t)snprintf(big, sizeof big, "OPTIONS sip:a@b SIP/2.0\r\n");
	for (int i = 0; i < SIP_HDR_MAX + 1; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "X-H%d: v\r\n", i);
	n += (size_t)snprintf(big + n, sizeof big - n, "\r\n");
	sip_msg_t m;
	assert_int_equal(sip_msg_parse((const uint8_t *)big, n, &m), -1);
}

static void t_uri(void **state)
{
	(void)state;
	sip_str_t user, host;
	uint16_t port;
	const char *u1 = "sip:123@example.org";
	assert_int_equal(sip_uri_parse((sip_str_t){u1, strlen(u1)}, &user, &host, &port), 0);
	assert_int_equal(port, 5060);
	const char *u2 = "sip:h:0";
	assert_int_equal(sip_uri_parse((sip_str_t){u2, strlen(u2)}, &user, &host, &port), -1);
	const char *u3 = "tel:+331";
	assert_int_equal(sip_uri_parse((sip_str_t){u3, strlen(u3)}, &user, &host, &port), -1);
	const char *u4 = "sip:a@:5060";
	assert_int_equal(sip_uri_parse((sip_str_t){u4, strlen(u4)}, &user, &host, &port), -1);
}

/* IPv6 references in SIP URIs (RFC 3261 §25.1, RFC 5118): host keeps its
 * brackets, the port follows "]"; a bare IPv6 address or a broken
 * reference is refused. */
static void t_uri_ipv6(void **state)
{
	(void)state;
	sip_str_t user, host;
	uint16_t port;
	const char *ok[][3] = {
		{"sip:5551234@[::1]:5062", "[::1]", "5062"},
		{"sip:5551234@[2001:db8::1];transport=udp", "[2001:db8::1]", "5060"},
		{"sip:[::ffff:192.0.2.1]:7000>", "[::ffff:192.0.2.1]", "7000"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(sip_uri_parse((sip_str_t){ok[i][0], strlen(ok[i][0])}, &user, &host, &port), 0);
		assert_int_equal((int)host.n, (int)strlen(ok[i][1]));
		assert_memory_equal(host.p, ok[i][1], host.n);
		char ps[8];
		snprintf(ps, sizeof ps, "%u", port);
		assert_string_equal(ps, ok[i][2]);
	}
	assert_int_equal(sip_uri_parse((sip_str_t){ok[0][0], strlen(ok[0][0])}, &user, &host, &port), 0);
	assert_int_equal((int)user.n, 7);
	const char *bad[] = {"sip:a@[::1", "sip:a@[::1]x", "sip:a@[]:5060", "sip:a@[::1]:0", "sip:a@[::1]:",
			     "sip:a@[g::1]:5060", "sip:a@::1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sip_uri_parse((sip_str_t){bad[i], strlen(bad[i])}, &user, &host, &port), -1);
}

/* A request whose every address is IPv6: parsed and checked as any other. */
static void t_request_ipv6(void **state)
{
	(void)state;
	const char *req = "INVITE sip:5551234@[2001:db8::10]:5060 SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKv6;rport\r\n"
			  "Max-Forwards: 70\r\n"
			  "From: <sip:faxvault@[2001:db8::1]>;tag=a\r\n"
			  "To: <sip:5551234@[2001:db8::10]>\r\n"
			  "Call-ID: 1@[2001:db8::1]\r\n"
			  "CSeq: 1 INVITE\r\n"
			  "Contact: <sip:faxvault@[2001:db8::1]:5070>\r\n"
			  "Content-Length: 0\r\n\r\n";
	sip_msg_t m;
	assert_int_equal(sip_msg_parse((const uint8_t *)req, strlen(req), &m), 0);
	assert_int_equal(sip_msg_check(&m), 0);
	sip_str_t user, host;
	uint16_t port;
	assert_int_equal(sip_uri_parse(m.uri, &user, &host, &port), 0);
	assert_memory_equal(host.p, "[2001:db8::10]", host.n);
	const sip_str_t *ct = sip_msg_header(&m, "Contact");
	assert_non_null(ct);
	assert_int_equal(sip_uri_parse(sip_addr_uri(*ct), &user, &host, &port), 0);
	assert_memory_equal(host.p, "[2001:db8::1]", host.n);
	assert_int_equal(port, 5070);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_request), cmocka_unit_test(t_response), cmocka_unit_test(t_bad),
		cmocka_unit_test(t_check),   cmocka_unit_test(t_too_many_headers), cmocka_unit_test(t_uri),
		cmocka_unit_test(t_uri_ipv6), cmocka_unit_test(t_request_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
