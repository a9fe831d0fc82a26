/* Unit tests of the stream framer (sipstream): messages cut by
 * Content-Length (long and compact forms, folded, bodies), two messages in
 * one read and one message over many reads (byte by byte), CRLF keep-alives
 * skipped and counted, and what must close a connection: no
 * Content-Length, a malformed or negative one, two that differ, a header
 * block or a message past the limit, binary garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sipstream.h"

#define MAX 8192

static int next(const char *s, size_t *skip, size_t *len, int *pings, sipstream_why_t *why)
{
	return sipstream_next((const uint8_t *)s, strlen(s), MAX, skip, len, pings, why);
}

static const char *const OPT = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
			      "Content-Length: 0\r\n\r\n";

static void t_cut(void **state)
{
	(void)state;
	size_t skip, len;
	int pings;
	sipstream_why_t why;
	assert_int_equal(next(OPT, &skip, &len, &pings, &why), SIPSTREAM_MSG);
	assert_int_equal(skip, 0);
	assert_int_equal(len, strlen(OPT));
	/* a body, compact form, odd case and blanks */
	const char *inv = "INVITE sip:a@b SIP/2.0\r\nl :  5 \r\n\r\nv=0\r\nNEXT";
	assert_int_equal(next(inv, &skip, &len, &pings, &why), SIPSTREAM_MSG);
	assert_int_equal(len, strlen(inv) - 4);
	const char *folded = "SIP/2.0 200 OK\r\nCONTENT-LENGTH:\r\n 3\r\nX: y\r\n\r\nabc";
	assert_int_equal(next(folded, &skip, &len, &pings, &why), SIPSTREAM_MSG);
	assert_int_equal(len, strlen(folded));
	/* a header that merely starts like Content-Length is not it */
	const char *other = "BYE sip:a@b SIP/2.0\r\nLx: 4\r\nContent-Lengthy: 9\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(next(other, &skip, &len, &pings, &why), SIPSTREAM_MSG);
	assert_int_equal(len, strlen(other));
}

static void t_pieces(void **state)
{
	(void)state;
	char two[2 * 200];
	snprintf(two, sizeof two, "%s%s", OPT, OPT);
	size_t skip, len;
	assert_int_equal(next(two, &skip, &len, NULL, NULL), SIPSTREAM_MSG);
	assert_int_equal(len, strlen(OPT));
	assert_int_equal(next(two + len, &skip, &len, NULL, NULL), SIPSTREAM_MSG);
	assert_int_equal(len, strlen(OPT));
	/* every prefix is incomplete, the whole is one message */
	const char *inv = "INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nv=0\r\n";
	for (size_t k = 0; k < strlen(inv); k++)
		assert_int_equal(sipstream_next((const uint8_t *)inv, k, MAX, &skip, &len, NULL, NULL),
				 SIPSTREAM_MORE);
	assert_int_equal(next(inv, &skip, &len, NULL, NULL), SIPSTREAM_MSG);
}

static void t_keepalive(void **state)
{
	(void)state;
	size_t skip, len;
	int pings;
	assert_int_equal(next("\r\n\r\n\r\n\r\n", &skip, &len, &pings, NULL), SIPSTREAM_MORE);
	assert_int_equal(skip, 8);
	assert_int_equal(pings, 2);
	char s[256];
	snprintf(s, sizeof s, "\r\n\r\n\r\n%s", OPT);
	assert_int_equal(next(s, &skip, &len, &pings, NULL), SIPSTREAM_MSG);
	assert_int_equal(skip, 6);
	assert_int_equal(pings, 1);
	assert_int_equal(len, strlen(OPT));
}

static void expect_bad(const char *s, sipstream_why_t want)
{
	size_t skip, len;
	sipstream_why_t why;
	assert_int_equal(next(s, &skip, &len, NULL, &why), SIPSTREAM_BAD);
	assert_int_equal(why, want);
	assert_string_not_equal(sipstream_why_name(why), "ok");
}

static void t_bad(void **state)
{
	(void)state;
	expect_bad("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", SIPSTREAM_NO_LENGTH);
	expect_bad("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x1\r\n\r\n", SIPSTREAM_BAD_LENGTH);
	expect_bad("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n", SIPSTREAM_BAD_LENGTH);
	expect_bad("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1 2\r\n\r\n", SIPSTREAM_BAD_LENGTH);
	expect_bad("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n", SIPSTREAM_TOO_LONG);
	expect_bad("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\n", SIPSTREAM_BAD_LENGTH);
	expect_bad("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 9000\r\n\r\n", SIPSTREAM_TOO_LONG);
	expect_bad("\x16\x03\x01\x02\x00\x01", SIPSTREAM_GARBAGE); /* a TLS hello on a TCP port */
	/* a header block that never ends, past the limit */
	static char big[MAX + 64];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	expect_bad(big, SIPSTREAM_TOO_LONG);
	/* a NUL in a header block */
	size_t skip, len;
	sipstream_why_t why;
	assert_int_equal(sipstream_next((const uint8_t *)"OPT\0IONS sip:a@b SIP/2.0\r\n\r\n", 29, MAX, &skip, &len,
					NULL, &why), SIPSTREAM_BAD);
	assert_int_equal(why, SIPSTREAM_GARBAGE);
	/* the same, shorter than the limit: wait for more */
	assert_int_equal(sipstream_next((const uint8_t *)big, 100, MAX, &skip, &len, NULL, NULL), SIPSTREAM_MORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_cut),
		cmocka_unit_test(t_pieces),
		cmocka_unit_test(t_keepalive),
		cmocka_unit_test(t_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
