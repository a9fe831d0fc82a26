/* Unit tests of SIP response building (RFC 3261 §8.2.6, §12.1.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sipbuild.h"
#include "sipmsg.h"

static const char *REQ =
	"INVITE sip:5551234@127.0.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP proxy.example;branch=z9hG4bKp1\r\n"
	"Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKua;rport=5062\r\n"
	"Record-Route: <sip:proxy.example;lr>\r\n"
	"From: <sip:alice@10.0.0.1>;tag=a1\r\n"
	"To: <sip:5551234@127.0.0.1>\r\n"
	"Call-ID: c1@10.0.0.1\r\n"
	"CSeq: 7 INVITE\r\n"
	"Content-Length: 0\r\n\r\n";

static void build(buf_t *b, const char *req, int status, const char *tag, const char *body, sip_msg_t *resp)
{
	sip_msg_t m;
	assert_int_equal(sip_msg_parse((const uint8_t *)req, strlen(req), &m), 0);
	sip_build_response(b, &m, status, tag, "<sip:fv@127.0.0.1:5080>", body);
	assert_int_equal(sip_msg_parse((const uint8_t *)b->data, b->len, resp), 0);
	assert_false(resp->is_request);
	assert_int_equal(resp->status, status);
	assert_int_equal(sip_msg_check(resp), 0);
}

static void t_ok_with_body(void **state)
{
	(void)state;
	buf_t b;
	buf_init(&b, SIP_MSG_MAX);
	sip_msg_t r;
	build(&b, REQ, 200, "fvtag", "v=0\r\n", &r);
	/* Vias in order, the first one first */
	const char *v1 = strstr(b.data, "Via: SIP/2.0/UDP proxy.example"), *v2 = strstr(b.data, "Via: SIP/2.0/UDP 10.0.0.1");
	assert_non_null(v1);
	assert_non_null(v2);
	assert_true(v1 < v2);
	sip_str_t tag;
	assert_int_equal(sip_param(*sip_msg_header(&r, "To"), "tag", &tag), 0);
	assert_true(sip_str_eq(tag, "fvtag"));
	assert_non_null(strstr(b.data, "Record-Route: <sip:proxy.example;lr>\r\n"));
	assert_int_equal(r.body.n, 5);
	assert_true(sip_str_eq(*sip_msg_header(&r, "CSeq"), "7 INVITE"));
	assert_non_null(sip_msg_header(&r, "Contact"));
	buf_free(&b);
}

static void t_trying_and_errors(void **state)
{
	(void)state;
	buf_t b;
	buf_init(&b, SIP_MSG_MAX);
	sip_msg_t r;
	sip_str_t tag;
	build(&b, REQ, 100, "fvtag", NULL, &r);
	assert_int_equal(sip_param(*sip_msg_header(&r, "To"), "tag", &tag), -1); /* no tag on 100 */
	build(&b, REQ, 488, "fvtag", NULL, &r);
	assert_null(strstr(b.data, "Record-Route")); /* not echoed on errors */
	assert_non_null(sip_msg_header(&r, "Warning"));
	assert_string_equal(sip_status_text(488), "Not Acceptable Here");
	build(&b, REQ, 501, NULL, NULL, &r);
	assert_non_null(sip_msg_header(&r, "Accept"));
	assert_non_null(sip_msg_header(&r, "Allow"));
	assert_int_equal(r.body.n, 0);
	buf_free(&b);
}

static void t_existing_tag_kept(void **state)
{
	(void)state;
	const char *bye = "BYE sip:fv@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKb\r\n"
			  "From: <sip:alice@h>;tag=a1\r\nTo: <sip:fv@127.0.0.1>;tag=mine\r\n"
			  "Record-Route: <sip:p;lr>\r\nCall-ID: c1\r\nCSeq: 8 BYE\r\n\r\n";
	buf_t b;
	buf_init(&b, SIP_MSG_MAX);
	sip_msg_t r;
	build(&b, bye, 200, "other", NULL, &r);
	sip_str_t tag;
	assert_int_equal(sip_param(*sip_msg_header(&r, "To"), "tag", &tag), 0);
	assert_true(sip_str_eq(tag, "mine"));
	assert_null(strstr(b.data, "tag=other"));
	assert_null(strstr(b.data, "Record-Route")); /* only for INVITE */
	buf_free(&b);
}

/* received/rport on the topmost Via (RFC 3261 §18.2.1, RFC 3581 §4), for
 * IPv4 and IPv6 sources; the other Vias untouched. */
static void t_received_rport(void **state)
{
	(void)state;
	buf_t b;
	buf_init(&b, SIP_MSG_MAX);
	sip_msg_t m;
	const char *req6 = "OPTIONS sip:fv@[::1] SIP/2.0\r\n"
			   "Via: SIP/2.0/UDP [::1]:5070;branch=z9hG4bK1;rport, SIP/2.0/UDP [2001:db8::9];branch=z9hG4bK0\r\n"
			   "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKz;rport\r\n"
			   "From: <sip:a@[::1]>;tag=1\r\nTo: <sip:fv@[::1]>\r\nCall-ID: o6\r\nCSeq: 1 OPTIONS\r\n"
			   "Content-Length: 0\r\n\r\n";
	assert_int_equal(sip_msg_parse((const uint8_t *)req6, strlen(req6), &m), 0);
	sip_src_t src = {"::1", 40000};
	sip_build_response_src(&b, &m, &src, 200, "t", NULL, NULL, NULL);
	assert_non_null(strstr(b.data, "Via: SIP/2.0/UDP [::1]:5070;branch=z9hG4bK1;rport=40000;received=::1, "
				       "SIP/2.0/UDP [2001:db8::9];branch=z9hG4bK0\r\n"));
	assert_non_null(strstr(b.data, "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKz;rport\r\n"));
	sip_msg_t r;
	assert_int_equal(sip_msg_parse((const uint8_t *)b.data, b.len, &r), 0);
	assert_int_equal(sip_msg_check(&r), 0);
	/* no rport, sent-by is the source (written differently): nothing added */
	const char *req_same = "OPTIONS sip:fv@[::1] SIP/2.0\r\nVia: SIP/2.0/UDP [0:0::1]:5070;branch=z9hG4bK2\r\n"
			       "From: <sip:a@b>;tag=1\r\nTo: <sip:fv@c>\r\nCall-ID: o7\r\nCSeq: 1 OPTIONS\r\n"
			       "Content-Length: 0\r\n\r\n";
	assert_int_equal(sip_msg_parse((const uint8_t *)req_same, strlen(req_same), &m), 0);
	sip_build_response_src(&b, &m, &src, 200, "t", NULL, NULL, NULL);
	assert_non_null(strstr(b.data, "Via: SIP/2.0/UDP [0:0::1]:5070;branch=z9hG4bK2\r\n"));
	/* IPv4: sent-by is another address (NAT): received added, no rport */
	assert_int_equal(sip_msg_parse((const uint8_t *)REQ, strlen(REQ), &m), 0);
	sip_src_t src4 = {"192.0.2.7", 5062};
	sip_build_response_src(&b, &m, &src4, 100, NULL, NULL, NULL, NULL);
	assert_non_null(strstr(b.data, "Via: SIP/2.0/UDP proxy.example;branch=z9hG4bKp1;received=192.0.2.7\r\n"));
	assert_non_null(strstr(b.data, "Via: SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bKua;rport=5062\r\n"));
	/* an existing received is kept as it is */
	const char *req_rcv = "OPTIONS sip:fv@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK3;received=10.1.1.1;rport\r\n"
			      "From: <sip:a@b>;tag=1\r\nTo: <sip:fv@c>\r\nCall-ID: o8\r\nCSeq: 1 OPTIONS\r\n"
			      "Content-Length: 0\r\n\r\n";
	assert_int_equal(sip_msg_parse((const uint8_t *)req_rcv, strlen(req_rcv), &m), 0);
	sip_build_response_src(&b, &m, &src4, 200, "t", NULL, NULL, NULL);
	assert_non_null(strstr(b.data, "Via: SIP/2.0/UDP h;branch=z9hG4bK3;received=10.1.1.1;rport\r\n"));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_received_rport),
		cmocka_unit_test(t_ok_with_body),
		cmocka_unit_test(t_trying_and_errors),
		cmocka_unit_test(t_existing_tag_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
