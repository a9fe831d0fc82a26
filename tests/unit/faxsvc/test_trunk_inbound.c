/* Unit tests of the choice of the trunk a carrier's INVITE came through
 * (src/faxsvc/trunk_inbound.c): certificate names matched (wildcards of one
 * label, addresses by value), a trunk requiring a name the certificate
 * does not show left out (and the call refused when none is left), and,
 * when several trunks share the source, the order: credentials, called
 * number, Request-URI/To host, creation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "trunk_inbound.h"

static void test_names(void **state)
{
	(void)state;
	const char *names = "sip.carrier.example *.edge.example 192.0.2.7 2001:db8::1";
	assert_true(trunk_names_hold(names, "sip.carrier.example"));
	assert_true(trunk_names_hold(names, "SIP.Carrier.Example"));
	assert_false(trunk_names_hold(names, "carrier.example"));
	assert_false(trunk_names_hold(names, "sip.carrier.example.evil"));
	assert_true(trunk_names_hold(names, "a.edge.example"));
	assert_false(trunk_names_hold(names, "edge.example"));
	assert_false(trunk_names_hold(names, "b.a.edge.example"));
	assert_true(trunk_names_hold(names, "192.0.2.7"));
	assert_false(trunk_names_hold(names, "192.0.2.70"));
	assert_true(trunk_names_hold(names, "2001:db8:0::1"));
	assert_false(trunk_names_hold("", "sip.carrier.example"));
	assert_false(trunk_names_hold(NULL, "sip.carrier.example"));
	assert_false(trunk_names_hold("*.example", "a.example")); /* no wildcard over a top-level name */
	/* an address never matches a DNS name spelling it */
	assert_false(trunk_names_hold("sip.carrier.example", "192.0.2.7"));
}

static json_t *trunks(void)
{
	return json_pack("[{s:s, s:s, s:[s], s:s, s:s}, {s:s, s:s, s:[s], s:s, s:s}, {s:s, s:s, s:[s], s:s, s:s},"
			 " {s:s, s:s, s:[s], s:s, s:s, s:s}]",
		"id", "a", "peer", "a.carrier.example:5060", "inbound_cidrs", "127.0.0.0/8", "inbound_auth", "source",
		"username", "",
		"id", "b", "peer", "b.carrier.example", "inbound_cidrs", "127.0.0.1/32", "inbound_auth",
		"source_and_digest", "username", "userb",
		"id", "c", "peer", "[2001:db8::5]:5061", "inbound_cidrs", "127.0.0.1/32", "inbound_auth", "source",
		"username", "",
		"id", "d", "peer", "d.carrier.example", "inbound_cidrs", "127.0.0.1/32", "inbound_auth", "source",
		"username", "", "tls_peer_name", "sip.d.example");
}

static const char *number_trunk; /* the trunk the called number is on */

static int number_on(void *ud, const json_t *t)
{
	(void)ud;
	return number_trunk && strcmp(json_string_value(json_object_get(t, "id")), number_trunk) == 0;
}

static const char *pick(const json_t *ts, trunk_inbound_call_t *c, int *why)
{
	const json_t *t = trunk_inbound_pick(ts, c, why);
	return t ? json_string_value(json_object_get(t, "id")) : NULL;
}

static void test_pick(void **state)
{
	(void)state;
	json_t *ts = trunks();
	int why = -1;
	trunk_inbound_call_t c = { .src_ip = "127.0.0.2", .number_on = number_on };
	/* one trunk holds the source */
	assert_string_equal(pick(ts, &c, &why), "a");
	assert_int_equal(why, 0);
	c.src_ip = "192.0.2.1";
	assert_null(pick(ts, &c, &why));
	assert_int_equal(why, TRUNK_PICK_NONE);
	/* several: nothing tells them apart, the first by creation */
	c.src_ip = "127.0.0.1";
	assert_string_equal(pick(ts, &c, &why), "a");
	/* the Request-URI's or To's host names a peer */
	c.ruri_host = "2001:db8:0::5";
	assert_string_equal(pick(ts, &c, &why), "c");
	c.ruri_host = "faxvault.example";
	c.to_host = "B.carrier.example";
	assert_string_equal(pick(ts, &c, &why), "b");
	/* the called number wins over the host */
	number_trunk = "c";
	assert_string_equal(pick(ts, &c, &why), "c");
	/* the credentials win over both, for a trunk that checks them */
	c.auth_user = "userb";
	number_trunk = "a";
	assert_string_equal(pick(ts, &c, &why), "b");
	c.auth_user = "nobody";
	assert_string_equal(pick(ts, &c, &why), "a");
	/* d requires its certificate's name: left out without it, taken with it */
	c.auth_user = NULL;
	number_trunk = "d";
	assert_string_equal(pick(ts, &c, &why), "b");
	c.peer_names = "sip.other.example";
	assert_string_equal(pick(ts, &c, &why), "b");
	c.peer_names = "sip.d.example";
	assert_string_equal(pick(ts, &c, &why), "d");
	json_decref(ts);
	/* the only trunk of the source requires a name not shown: refused as such */
	ts = json_pack("[{s:s, s:s, s:[s], s:s, s:s}]", "id", "d", "peer", "d.carrier.example", "inbound_cidrs",
		"127.0.0.1/32", "inbound_auth", "source", "tls_peer_name", "sip.d.example");
	c.peer_names = "sip.other.example";
	assert_null(pick(ts, &c, &why));
	assert_int_equal(why, TRUNK_PICK_NAME);
	c.peer_names = NULL;
	assert_null(pick(ts, &c, &why));
	assert_int_equal(why, TRUNK_PICK_NAME);
	assert_true(trunk_inbound_cert_ok(json_array_get(ts, 0), "x.example sip.d.example"));
	json_decref(ts);
	number_trunk = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_pick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
