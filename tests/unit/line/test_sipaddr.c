/* Unit tests of the line engine's addresses (sipaddr): IPv4 and IPv6
 * parsed from hostports (brackets required for IPv6), written back for
 * SIP (bracketed host), for SDP and logs, compared, and given a port. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sipaddr.h"

static void t_parse(void **state)
{
	(void)state;
	struct sockaddr_storage a, b;
	char s[SIPADDR_STR_MAX], ip[64];
	assert_int_equal(sipaddr_parse("127.0.0.1:5060", &a, 0), 0);
	assert_int_equal(a.ss_family, AF_INET);
	assert_int_equal(sipaddr_port(&a), 5060);
	assert_int_equal(sipaddr_len(&a), sizeof(struct sockaddr_in));
	assert_string_equal(sipaddr_str(&a, s, sizeof s), "127.0.0.1:5060");
	assert_int_equal(sipaddr_parse("[2001:db8::1]:5062", &b, 0), 0);
	assert_int_equal(b.ss_family, AF_INET6);
	assert_int_equal(sipaddr_port(&b), 5062);
	assert_int_equal(sipaddr_len(&b), sizeof(struct sockaddr_in6));
	assert_string_equal(sipaddr_str(&b, s, sizeof s), "[2001:db8::1]:5062");
	assert_string_equal(sipaddr_ip(&b, ip, sizeof ip), "2001:db8::1");
	assert_int_equal(sipaddr_parse("[::]:0", &b, 0), 0);
	assert_true(sipaddr_is_any(&b));
	assert_int_equal(sipaddr_parse("0.0.0.0:0", &a, 0), 0);
	assert_true(sipaddr_is_any(&a));
	/* the longest IPv6 text and port fit */
	assert_int_equal(sipaddr_parse("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535", &b, 0), 0);
	assert_string_equal(sipaddr_str(&b, s, sizeof s), "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	const char *bad[] = {"::1:5060", "[::1]", "[::1:5060", "::1]:5060", "[::1]:65536", "[::1]:x", "[1.2.3.4]:5060",
			     "1.2.3.4", ":5060", "[]:5060", "no-such-host.invalid:5060"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sipaddr_parse(bad[i], &a, 0), -1);
	assert_int_equal(sipaddr_parse("localhost:5060", &a, 1), 0); /* a name, resolved */
	assert_int_equal(sipaddr_port(&a), 5060);
}

static void t_compare(void **state)
{
	(void)state;
	struct sockaddr_storage a, b, c, d;
	assert_int_equal(sipaddr_from_ip(&a, "::1", 5060), 0);
	assert_int_equal(sipaddr_from_ip(&b, "[::1]", 5060), 0);
	assert_int_equal(sipaddr_from_ip(&c, "::1", 5062), 0);
	assert_int_equal(sipaddr_from_ip(&d, "127.0.0.1", 5060), 0);
	assert_true(sipaddr_eq(&a, &b));
	assert_false(sipaddr_eq(&a, &c));
	assert_true(sipaddr_same_host(&a, &c));
	assert_false(sipaddr_same_host(&a, &d));
	assert_false(sipaddr_eq(&a, &d));
	sipaddr_set_port(&c, 5060);
	assert_true(sipaddr_eq(&a, &c));
	sipaddr_set_port(&d, 7);
	assert_int_equal(sipaddr_port(&d), 7);
	assert_int_equal(sipaddr_from_ip(&a, "[127.0.0.1]", 1), -1);
	assert_int_equal(sipaddr_from_ip(&a, "example.org", 1), -1);
	assert_int_equal(a.ss_family, 0);
	assert_int_equal(sipaddr_len(&a), 0);
}

static void t_host(void **state)
{
	(void)state;
	char h[SIPADDR_STR_MAX];
	assert_string_equal(sipaddr_host("::1", h, sizeof h), "[::1]");
	assert_string_equal(sipaddr_host("[::1]", h, sizeof h), "[::1]");
	assert_string_equal(sipaddr_host("192.0.2.1", h, sizeof h), "192.0.2.1");
	assert_string_equal(sipaddr_host("example.org", h, sizeof h), "example.org");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_parse),
		cmocka_unit_test(t_compare),
		cmocka_unit_test(t_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
