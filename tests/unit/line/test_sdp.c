/* Unit tests of SDP parsing and building. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sdp.h"

static int parse(const char *s, sdp_t *d)
{
	return sdp_parse((const uint8_t *)s, strlen(s), d);
}

static void t_audio_offer(void **state)
{
	(void)state;
	sdp_t s;
	const char *o = "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
			"m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n";
	assert_int_equal(parse(o, &s), 0);
	assert_int_equal(s.nm, 1);
	int pt;
	assert_int_equal(sdp_find_audio(&s, &pt), 0);
	assert_int_equal(pt, 8);
	assert_int_equal(s.m[0].port, 4000);
	assert_string_equal(s.m[0].addr, "10.0.0.1");
	assert_int_equal(sdp_find_t38(&s), -1);
}

static void t_t38_offer(void **state)
{
	(void)state;
	sdp_t s;
	const char *o = "v=0\no=- 1 3 IN IP4 10.0.0.1\ns=-\nt=0 0\n"
			"m=audio 0 RTP/AVP 0\n"
			"m=image 4002 udptl t38\nc=IN IP4 10.0.0.9\n"
			"a=T38FaxVersion:0\na=T38MaxBitRate:9600\na=T38FaxFillBitRemoval\n"
			"a=T38FaxRateManagement:localTCF\na=T38FaxMaxDatagram:300\na=T38FaxUdpEC:t38UDPRedundancy\n";
	assert_int_equal(parse(o, &s), 0);
	int pt;
	assert_int_equal(sdp_find_audio(&s, &pt), -1);
	assert_int_equal(sdp_find_t38(&s), 1);
	assert_int_equal(s.m[1].t38.max_bit_rate, 9600);
	assert_int_equal(s.m[1].t38.fill_bit_removal, 1);
	assert_int_equal(s.m[1].t38.rate_transferred, 0);
	assert_int_equal(s.m[1].t38.max_datagram, 300);
	assert_int_equal(s.m[1].t38.ec, SDP_EC_REDUNDANCY);
	assert_string_equal(s.m[1].addr, "10.0.0.9");
}

static void t_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"v=1\r\nm=audio 1 RTP/AVP 0\r\n",
		"v=0\r\n",                                          /* no media */
		"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n", /* port */
		"v=0\r\nc=IN IP6 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\n",   /* IPv4 address as IP6 */
		"v=0\r\nc=IN IP4 ::1\r\nm=audio 1 RTP/AVP 0\r\n",       /* IPv6 address as IP4 */
		"v=0\r\nc=IN IP6 [::1]\r\nm=audio 1 RTP/AVP 0\r\n",     /* no brackets in SDP */
		"v=0\r\nc=IN IP6 2001:db8::1::2\r\nm=audio 1 RTP/AVP 0\r\n",
		"v=0\r\nc=IN IP5 ::1\r\nm=audio 1 RTP/AVP 0\r\n",
		"v=0\r\nm=audio 1 RTP/AVP 0\r\n",                   /* no address for a live stream */
		"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 300\r\n",
		"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP\r\n",
		"v=0\r\nxx\r\n",
		"v=0\r\nc=IN IP4 999.2.3.4\r\nm=audio 1 RTP/AVP 0\r\n",
	};
	sdp_t s;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(parse(bad[i], &s), -1);
}

static void t_unknown_media(void **state)
{
	(void)state;
	sdp_t s;
	const char *o = "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5000 RTP/AVP 96\r\nm=application 5002 TCP/BFCP *\r\n";
	assert_int_equal(parse(o, &s), 0);
	int pt;
	assert_int_equal(sdp_find_audio(&s, &pt), -1);
	assert_int_equal(sdp_find_t38(&s), -1);
}

static void t_build_answer(void **state)
{
	(void)state;
	sdp_t offer, ans;
	const char *o = "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5000 RTP/AVP 96\r\nm=audio 5002 RTP/AVP 0 8\r\n"
			"m=image 5004 udptl t38\r\n";
	assert_int_equal(parse(o, &offer), 0);
	buf_t b;
	buf_init(&b, SDP_MAX);
	sdp_local_t l = {.addr = "127.0.0.1", .port = 7000, .sess_id = 5, .sess_ver = 1, .pt = 0,
			 .t38_max_rate = 14400, .t38_redundancy = 1};
	assert_int_equal(sdp_build(&b, &l, &offer), 0);
	assert_int_equal(sdp_parse((const uint8_t *)b.data, b.len, &ans), 0);
	assert_int_equal(ans.nm, 3); /* one answer line per offered line */
	assert_int_equal(ans.m[0].port, 0);
	assert_int_equal(ans.m[1].port, 7000);
	assert_int_equal(ans.m[2].port, 0);
	buf_reset(&b);
	l.use_t38 = 1;
	assert_int_equal(sdp_build(&b, &l, NULL), 0);
	assert_int_equal(sdp_parse((const uint8_t *)b.data, b.len, &ans), 0);
	assert_int_equal(sdp_find_t38(&ans), 0);
	assert_int_equal(ans.m[0].t38.ec, SDP_EC_REDUNDANCY);
	assert_int_equal(ans.m[0].t38.rate_transferred, 1);
	buf_free(&b);
}

/* IPv6 (RFC 4566 §5.7, c=IN IP6): parsed at session and media level, the
 * longest address text kept whole, and our offer/answer built with it. */
static void t_ipv6(void **state)
{
	(void)state;
	sdp_t s, ans;
	const char *o = "v=0\r\no=- 1 2 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n"
			"m=audio 4000 RTP/AVP 0\r\n"
			"m=image 4002 udptl t38\r\nc=IN IP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255\r\n";
	assert_int_equal(parse(o, &s), 0);
	assert_int_equal(s.nm, 2);
	assert_string_equal(s.m[0].addr, "2001:db8::1");
	assert_string_equal(s.m[1].addr, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
	buf_t b;
	buf_init(&b, SDP_MAX);
	sdp_local_t l = {.addr = "::1", .port = 7000, .sess_id = 5, .sess_ver = 1, .pt = 0, .t38_max_rate = 14400};
	assert_int_equal(sdp_build(&b, &l, &s), 0);
	assert_non_null(strstr(b.data, "o=faxvault 5 1 IN IP6 ::1\r\n"));
	assert_non_null(strstr(b.data, "c=IN IP6 ::1\r\n"));
	assert_null(strstr(b.data, "IP4"));
	assert_int_equal(sdp_parse((const uint8_t *)b.data, b.len, &ans), 0);
	assert_string_equal(ans.m[0].addr, "::1");
	assert_int_equal(ans.m[0].port, 7000);
	buf_reset(&b);
	l.addr = "192.0.2.7"; /* IPv4 stays IP4 */
	assert_int_equal(sdp_build(&b, &l, NULL), 0);
	assert_non_null(strstr(b.data, "c=IN IP4 192.0.2.7\r\n"));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_audio_offer), cmocka_unit_test(t_t38_offer), cmocka_unit_test(t_bad),
		cmocka_unit_test(t_unknown_media), cmocka_unit_test(t_build_answer), cmocka_unit_test(t_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
