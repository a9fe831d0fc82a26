/* Unit tests of the numbers area: E.164 validation and normalization, the
 * country table, outbound routing (loopback inventory, longest prefix,
 * disabled trunks), inbound assignments, caller ids, and the quarantine of
 * released numbers, on a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "temp_store.h"

#include "numbers/numbers.h"
#include "identity/identity.h"
#include "store.h"
#include "store_numbers.h"

static void test_e164_valid(void **state)
{
	(void)state;
	static const struct { const char *s; int ok; } cases[] = {
		{ "+33123456789", 1 }, { "+12125550100", 1 }, { "+12345678", 1 },
		{ "+123456789012345", 1 }, { "+1234567890123456", 0 }, { "+1234567", 0 },
		{ "+0123456789", 0 }, { "33123456789", 0 }, { "+33 1 23 45 67 89", 0 },
		{ "+3312345678a", 0 }, { "+", 0 }, { "", 0 }, { "++33123456789", 0 },
		{ "+33123456789 ", 0 }, { "+-33123456789", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(e164_valid(cases[i].s), cases[i].ok);
	assert_int_equal(e164_valid(NULL), 0);
}

static void test_e164_normalize(void **state)
{
	(void)state;
	char out[E164_MAX + 1];
	static const struct { const char *in, *want; } ok[] = {
		{ " +33 1 23 45 67 89 ", "+33123456789" }, { "+1 (212) 555-0100", "+12125550100" },
		{ "+44.20.7946.0000", "+442079460000" }, { "+33123456789\r\n", "+33123456789" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(e164_normalize(ok[i].in, strlen(ok[i].in), out), 0);
		assert_string_equal(out, ok[i].want);
	}
	static const char *const bad[] = { "0123456789", "+0 1 23", "+33 1 23", "+33/123456789",
		"+1 234 567 890 123 456", "", "   ", "+33123456789+" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(e164_normalize(bad[i], strlen(bad[i]), out), -1);
	/* Length-bounded: the part after len is not read. */
	assert_int_equal(e164_normalize("+33123456789,+33999", 12, out), 0);
	assert_string_equal(out, "+33123456789");
}

static void test_countries(void **state)
{
	(void)state;
	static const struct { const char *iso, *cc; } table[] = {
		{ "US", "1" }, { "CA", "1" }, { "PR", "1" }, { "JM", "1" }, { "FR", "33" },
		{ "DE", "49" }, { "IE", "353" }, { "FI", "358" }, { "MT", "356" }, { "GB", "44" },
		{ "CH", "41" }, { "AU", "61" }, { "JP", "81" }, { "SE", "46" }, { "HR", "385" },
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		const e164_country_t *c = e164_country_by_iso(table[i].iso);
		assert_non_null(c);
		assert_string_equal(c->cc, table[i].cc);
	}
	/* Every EU member state is there. */
	static const char *const eu[] = { "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI",
		"FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK",
		"SI", "ES", "SE" };
	for (size_t i = 0; i < sizeof eu / sizeof eu[0]; i++)
		assert_non_null(e164_country_by_iso(eu[i]));
	assert_string_equal(e164_country_by_iso("fr")->iso, "FR");
	assert_string_equal(e164_country_by_iso("UK")->iso, "GB");
	assert_null(e164_country_by_iso("XX"));
	assert_null(e164_country_by_iso("F"));
	assert_null(e164_country_by_iso("FRA"));
	assert_null(e164_country_by_iso(NULL));

	static const struct { const char *num, *iso; } of[] = {
		{ "+33123456789", "FR" }, { "+12125550100", "US" }, { "+14165550100", "CA" },
		{ "+17875550100", "PR" }, { "+18765550100", "JM" }, { "+442079460000", "GB" },
		{ "+35312345678", "IE" }, { "+41441234567", "CH" }, { "+61212345678", "AU" },
		{ "+81312345678", "JP" },
	};
	for (size_t i = 0; i < sizeof of / sizeof of[0]; i++) {
		const e164_country_t *c = e164_country_of(of[i].num);
		assert_non_null(c);
		assert_string_equal(c->iso, of[i].iso);
	}
	assert_null(e164_country_of("+8612345678"));
	assert_null(e164_country_of("not a number"));

	const e164_country_t *fr = e164_country_by_iso("FR"), *us = e164_country_by_iso("US");
	assert_true(e164_in_area("+33123456789", fr, "1"));
	assert_true(e164_in_area("+33123456789", fr, NULL));
	assert_false(e164_in_area("+33223456789", fr, "1"));
	assert_true(e164_in_area("+12125550100", us, "212"));
	assert_false(e164_in_area("+14165550100", us, "416")); /* Canada, not the US */
	assert_false(e164_in_area("+442079460000", fr, NULL));
}

static void test_prefix_and_quarantine(void **state)
{
	(void)state;
	json_t *px = json_pack("[s, s, s]", "+33", "+331", "+44");
	assert_int_equal(numbers_prefix_match(px, "+33123456789"), 4);
	assert_int_equal(numbers_prefix_match(px, "+33223456789"), 3);
	assert_int_equal(numbers_prefix_match(px, "+12125550100"), 0);
	json_decref(px);
	json_t *empty = json_array();
	assert_int_equal(numbers_prefix_match(empty, "+33123456789"), 0);
	json_decref(empty);

	const int64_t day = 86400000;
	assert_int_equal(numbers_quarantine_until(1000, 30), 1000 + 30 * day);
	assert_int_equal(numbers_quarantine_until(1000, 0), 1000);
	assert_int_equal(numbers_quarantine_until(1000, -5), 1000);
	assert_true(numbers_pickable("available", 0, 5));
	assert_false(numbers_pickable("assigned", 0, 5));
	assert_false(numbers_pickable("porting", 0, 5));
	assert_false(numbers_pickable("quarantined", 1000 + 30 * day, 1000 + 30 * day - 1));
	assert_true(numbers_pickable("quarantined", 1000 + 30 * day, 1000 + 30 * day));
}

/* A trunk whose password "s3cret" is stored sealed, as the API stores it. */
static void add_trunk(store_tx_t *tx, const fax_env_t *env, const char *id, const char *prefixes,
	const char *status)
{
	char *sealed = secret_seal_tx(tx, env, NULL, "trunk", id, "s3cret");
	assert_non_null(sealed);
	json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "name", id,
		"peer", "192.0.2.1:5060", "secret", sealed, "prefixes", prefixes, "status", status,
		"created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	assert_int_equal(store_trunk_insert(tx, t), STORE_OK);
	json_decref(t);
	free(sealed);
}

static void add_number(store_tx_t *tx, const char *number, const char *trunk)
{
	const e164_country_t *c = e164_country_of(number);
	json_t *n = json_pack("{s:s, s:s, s:s, s:s, s:I}", "number", number, "trunk_id", trunk,
		"country", c ? c->iso : "", "status", "available", "created_at", (json_int_t)1);
	assert_int_equal(store_number_insert(tx, n), STORE_OK);
	json_decref(n);
}

static void add_account(store_tx_t *tx, const char *id)
{
	json_t *a = json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", id, "name", id, "status", "active",
		"created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	assert_int_equal(store_account_insert(tx, a), STORE_OK);
	json_decref(a);
}

static void add_member(store_tx_t *tx, const char *id, const char *account, const char *status)
{
	char email[64];
	snprintf(email, sizeof email, "%s@example.com", id);
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "kind",
		"account", "account_id", account, "email", email, "name", id, "role", "user", "status",
		status, "created_at", (json_int_t)1, "updated_at", (json_int_t)1);
	assert_int_equal(store_principal_insert(tx, p), STORE_OK);
	json_decref(p);
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A trunk's TLS client key: longer than one sealed secret, sealed as a
 * long one (secrets.h) bound to its trunk; dom_trunk_for and
 * dom_trunks_probe hand it opened to the service with the certificate, and
 * not at all when it does not open. */
static void test_trunk_tls_key(void **state)
{
	(void)state;
	char path[512];
	store_t *st = temp_store(path, sizeof path);
	store_tx_t *tx = store_begin(st, true);
	vault_key_t *master = temp_master();
	fax_env_t env = { .loopback_sip = "127.0.0.1:5099", .master = master };
	add_trunk(tx, &env, "eu", "[\"+33\"]", "active");
	add_trunk(tx, &env, "us", "[\"+1\"]", "active");
	char key[3000];
	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	memcpy(key, "-----BEGIN PRIVATE KEY-----", 27);
	char *sealed = secret_seal_long_tx(tx, &env, NULL, "trunk_tls", "eu", key);
	assert_non_null(sealed);
	assert_null(strstr(sealed, "kkkk"));
	json_t *f = json_pack("{s:s, s:s}", "tls_cert", "CERT", "tls_key", sealed);
	assert_int_equal(store_trunk_update(tx, "eu", f), STORE_OK);
	assert_int_equal(store_trunk_update(tx, "us", f), STORE_OK); /* eu's key copied to us */
	json_decref(f);
	free(sealed);
	json_t *t = dom_trunk_for(tx, &env, "+33123456789");
	assert_string_equal(str(t, "tls_cert"), "CERT");
	assert_string_equal(str(t, "tls_key"), key);
	json_decref(t);
	t = dom_trunk_for(tx, &env, "+14155550100"); /* bound to eu: does not open for us */
	assert_string_equal(str(t, "id"), "us");
	assert_null(json_object_get(t, "tls_key"));
	assert_null(json_object_get(t, "tls_cert"));
	json_decref(t);
	json_t *probe = dom_trunks_probe(tx, &env);
	size_t i;
	json_t *p;
	int seen = 0;
	json_array_foreach(probe, i, p)
		if (strcmp(str(p, "id"), "eu") == 0)
			seen = str(p, "tls_key") && strcmp(str(p, "tls_key"), key) == 0;
	assert_true(seen);
	json_decref(probe);
	vault_key_t *other = temp_master();
	fax_env_t env2 = { .loopback_sip = "127.0.0.1:5099", .master = other };
	t = dom_trunk_for(tx, &env2, "+33123456789");
	assert_null(json_object_get(t, "tls_key"));
	json_decref(t);
	vault_key_free(other);
	store_rollback(tx);
	store_close(st);
	unlink(path);
	vault_key_free(master);
}

static void test_routing(void **state)
{
	(void)state;
	char path[512];
	store_t *st = temp_store(path, sizeof path);
	store_tx_t *tx = store_begin(st, true);
	vault_key_t *master = temp_master();
	fax_env_t env = { .loopback_sip = "127.0.0.1:5099", .master = master };
	add_trunk(tx, &env, "eu", "[\"+33\", \"+49\"]", "active");
	add_trunk(tx, &env, "paris", "[\"+331\"]", "active");
	add_trunk(tx, &env, "old", "[\"+3312\"]", "disabled");
	add_number(tx, "+33100000001", "loopback");
	add_number(tx, "+33200000001", "eu");
	/* The database refuses a password in clear. */
	json_t *clear = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", "plain", "name", "plain",
		"peer", "192.0.2.1:5060", "secret", "s3cret", "status", "active", "created_at",
		(json_int_t)1, "updated_at", (json_int_t)1);
	assert_int_not_equal(store_trunk_insert(tx, clear), STORE_OK);
	json_decref(clear);

	/* A number of the loopback inventory goes over loopback, whatever its status. */
	json_t *t = dom_trunk_for(tx, &env, "+33100000001");
	assert_non_null(t);
	assert_string_equal(str(t, "id"), "loopback");
	assert_string_equal(str(t, "peer"), "127.0.0.1:5099");
	assert_string_equal(str(t, "transport"), "t38_first");
	json_decref(t);
	assert_int_equal(store_number_assign(tx, "+33100000001", NULL, NULL, NULL, 5), STORE_OK);
	t = dom_trunk_for(tx, NULL, "+33100000001");
	assert_string_equal(str(t, "id"), "loopback");
	assert_string_equal(str(t, "peer"), "");
	json_decref(t);

	/* Longest active prefix; a disabled trunk is never chosen. */
	t = dom_trunk_for(tx, &env, "+33123456789");
	assert_string_equal(str(t, "id"), "paris");
	assert_string_equal(str(t, "password"), "s3cret");
	assert_string_equal(str(t, "peer"), "192.0.2.1:5060");
	json_decref(t);
	t = dom_trunk_for(tx, &env, "+33200000001"); /* in the inventory, but not of loopback */
	assert_string_equal(str(t, "id"), "eu");
	assert_string_equal(str(t, "password"), "s3cret");
	json_decref(t);
	/* A sealed password is bound to its trunk: eu's copied to paris does
	 * not open there (paris then dials without one). */
	json_t *eu = store_trunk_get(tx, "eu");
	json_t *f0 = json_pack("{s:s}", "secret", str(eu, "secret"));
	assert_int_equal(store_trunk_update(tx, "paris", f0), STORE_OK);
	json_decref(f0);
	json_decref(eu);
	t = dom_trunk_for(tx, &env, "+33123456789");
	assert_string_equal(str(t, "id"), "paris");
	assert_string_equal(str(t, "password"), "");
	json_decref(t);
	/* Without the master key (or with another) nothing opens. */
	vault_key_t *other = temp_master();
	fax_env_t env2 = { .loopback_sip = "127.0.0.1:5099", .master = other };
	t = dom_trunk_for(tx, &env2, "+4930123456");
	assert_string_equal(str(t, "id"), "eu");
	assert_string_equal(str(t, "password"), "");
	json_decref(t);
	vault_key_free(other);
	t = dom_trunk_for(tx, &env, "+4930123456");
	assert_string_equal(str(t, "id"), "eu");
	json_decref(t);
	assert_null(dom_trunk_for(tx, &env, "+12125550100"));
	assert_null(dom_trunk_for(tx, &env, "garbage"));

	/* Failover order: every matching trunk, longest prefix first; one the
	 * keep-alive saw down goes last, whatever its prefix. */
	json_t *all = dom_trunks_for(tx, &env, "+33123456789");
	assert_int_equal(json_array_size(all), 2);
	assert_string_equal(str(json_array_get(all, 0), "id"), "paris");
	assert_string_equal(str(json_array_get(all, 1), "id"), "eu");
	json_decref(all);
	store_commit(tx);
	json_t *links = json_pack("{s:s, s:s}", "paris", "down", "eu", "up");
	assert_int_equal(dom_trunk_links_record(st, links, 1234), 2);
	assert_int_equal(dom_trunk_links_record(st, links, 1235), 0); /* no change, no write */
	json_decref(links);
	tx = store_begin(st, true);
	json_t *row = store_trunk_get(tx, "paris");
	assert_string_equal(str(row, "link_status"), "down");
	assert_int_equal(json_integer_value(json_object_get(row, "link_changed_at")), 1234);
	json_decref(row);
	all = dom_trunks_for(tx, &env, "+33123456789");
	assert_int_equal(json_array_size(all), 2);
	assert_string_equal(str(json_array_get(all, 0), "id"), "eu");
	assert_string_equal(str(json_array_get(all, 1), "id"), "paris");
	json_decref(all);
	t = dom_trunk_for(tx, &env, "+33123456789");
	assert_string_equal(str(t, "id"), "eu");
	json_decref(t);
	json_t *probe = dom_trunks_probe(tx, &env);
	size_t k;
	json_t *pt;
	int seen_lo = 0, seen_old = 0;
	json_array_foreach(probe, k, pt) {
		seen_lo |= strcmp(str(pt, "id"), "loopback") == 0 && strcmp(str(pt, "peer"), "127.0.0.1:5099") == 0;
		seen_old |= strcmp(str(pt, "id"), "old") == 0;
	}
	assert_true(seen_lo);
	assert_false(seen_old); /* disabled trunks are not probed */
	json_decref(probe);
	json_t *up = json_pack("{s:s}", "link_status", "up");
	assert_int_equal(store_trunk_update(tx, "paris", up), STORE_OK);
	json_decref(up);

	/* The loopback trunk disabled: its numbers are no longer routed by it. */
	json_t *f = json_pack("{s:s}", "status", "disabled");
	assert_int_equal(store_trunk_update(tx, "loopback", f), STORE_OK);
	json_decref(f);
	t = dom_trunk_for(tx, &env, "+33100000001");
	assert_string_equal(str(t, "id"), "paris");
	json_decref(t);
	store_rollback(tx);

	/* Both down: the one last seen up first (down since the latest),
	 * before the longer prefix and the older trunk. */
	links = json_pack("{s:s}", "eu", "down");
	assert_int_equal(dom_trunk_links_record(st, links, 1300), 1);
	json_decref(links);
	tx = store_begin(st, false);
	all = dom_trunks_for(tx, &env, "+33123456789");
	assert_int_equal(json_array_size(all), 2);
	assert_string_equal(str(json_array_get(all, 0), "id"), "eu");
	assert_string_equal(str(json_array_get(all, 1), "id"), "paris");
	json_decref(all);
	store_rollback(tx);
	links = json_pack("{s:s}", "paris", "up");
	assert_int_equal(dom_trunk_links_record(st, links, 1350), 1);
	json_decref(links);
	links = json_pack("{s:s}", "paris", "down");
	assert_int_equal(dom_trunk_links_record(st, links, 1400), 1);
	json_decref(links);
	tx = store_begin(st, false);
	all = dom_trunks_for(tx, &env, "+33123456789");
	assert_string_equal(str(json_array_get(all, 0), "id"), "paris");
	assert_string_equal(str(json_array_get(all, 1), "id"), "eu");
	json_decref(all);
	store_rollback(tx);
	links = json_pack("{s:s}", "eu", "up");
	assert_int_equal(dom_trunk_links_record(st, links, 1450), 1);
	json_decref(links);

	/* Several nodes on one database: each records its own view. A link is
	 * down only when every node that reports it sees it down; each node
	 * routes by its own view; a report older than 5 minutes than the
	 * newest no longer counts; a node that stops leaves. */
	assert_int_equal(dom_trunk_node_forget(st, 1500), 2); /* the views recorded above, of no node */
	dom_trunks_node("n1");
	links = json_pack("{s:s, s:s}", "paris", "up", "eu", "down");
	assert_int_equal(dom_trunk_links_record(st, links, 2000), 2);
	json_decref(links);
	dom_trunks_node("n2");
	links = json_pack("{s:s, s:s}", "paris", "down", "eu", "up");
	assert_int_equal(dom_trunk_links_record(st, links, 2100), 1); /* eu up; paris stays up (n1) */
	tx = store_begin(st, false);
	row = store_trunk_get(tx, "paris");
	assert_string_equal(str(row, "link_status"), "up");
	json_decref(row);
	row = store_trunk_get(tx, "eu");
	assert_string_equal(str(row, "link_status"), "up");
	json_decref(row);
	all = dom_trunks_for(tx, &env, "+33123456789"); /* n2 sees paris down: eu first */
	assert_string_equal(str(json_array_get(all, 0), "id"), "eu");
	json_decref(all);
	dom_trunks_node("n1");
	all = dom_trunks_for(tx, &env, "+33123456789"); /* n1 sees paris up: the longer prefix first */
	assert_string_equal(str(json_array_get(all, 0), "id"), "paris");
	json_decref(all);
	store_rollback(tx);
	dom_trunks_node("n2");
	assert_int_equal(dom_trunk_links_record(st, links, 2100 + 400000), 1); /* n1's views stale: paris down */
	json_decref(links);
	tx = store_begin(st, false);
	row = store_trunk_get(tx, "paris");
	assert_string_equal(str(row, "link_status"), "down");
	json_decref(row);
	store_rollback(tx);
	json_t *reg = json_pack("{s:s}", "paris", "registered");
	assert_int_equal(dom_trunk_states_record(st, "registration", reg, 402200), 1);
	json_decref(reg);
	assert_int_equal(dom_trunk_node_forget(st, 402300), 2); /* n2 leaves: n1's views decide */
	tx = store_begin(st, false);
	row = store_trunk_get(tx, "paris");
	assert_string_equal(str(row, "link_status"), "up");
	assert_string_equal(str(row, "registration"), "none");
	json_decref(row);
	row = store_trunk_get(tx, "eu");
	assert_string_equal(str(row, "link_status"), "down");
	json_decref(row);
	store_rollback(tx);
	dom_trunks_node(NULL);
	drop_store(st, path);
	vault_key_free(master);
}

static void test_inbound_and_caller_id(void **state)
{
	(void)state;
	char path[512];
	store_t *st = temp_store(path, sizeof path);
	store_tx_t *tx = store_begin(st, true);
	add_account(tx, "acc_a");
	add_account(tx, "acc_b");
	add_member(tx, "usr_1", "acc_a", "active");
	add_member(tx, "usr_2", "acc_a", "deprovisioned");
	add_number(tx, "+33100000001", "loopback");
	add_number(tx, "+33100000002", "loopback");
	add_number(tx, "+33100000003", "loopback");
	char cid[32];

	assert_null(dom_number_inbound(tx, "+33100000001"));
	dom_caller_id(tx, "acc_a", "usr_1", cid);
	assert_string_equal(cid, "");

	assert_int_equal(store_number_assign(tx, "+33100000001", "acc_a", "usr_2", NULL, 10), STORE_OK);
	dom_caller_id(tx, "acc_a", "usr_1", cid);
	assert_string_equal(cid, "+33100000001"); /* any of the account's */
	assert_int_equal(store_number_assign(tx, "+33100000002", "acc_a", NULL, NULL, 20), STORE_OK);
	dom_caller_id(tx, "acc_a", "usr_1", cid);
	assert_string_equal(cid, "+33100000002"); /* the shared one before another's */
	assert_int_equal(store_number_assign(tx, "+33100000003", "acc_a", "usr_1", NULL, 30), STORE_OK);
	dom_caller_id(tx, "acc_a", "usr_1", cid);
	assert_string_equal(cid, "+33100000003"); /* the user's own first */
	dom_caller_id(tx, "acc_b", "usr_1", cid);
	assert_string_equal(cid, "");

	json_t *in = dom_number_inbound(tx, "+33100000002");
	assert_non_null(in);
	assert_string_equal(str(in, "account_id"), "acc_a");
	assert_string_equal(str(in, "route_to"), "shared");
	assert_string_equal(str(in, "trunk_id"), "loopback");
	json_decref(in);
	in = dom_number_inbound(tx, "+33100000003");
	assert_string_equal(str(in, "route_to"), "usr_1");
	json_decref(in);
	/* Routed to someone who has left: the shared inbox gets it. */
	in = dom_number_inbound(tx, "+33100000001");
	assert_string_equal(str(in, "route_to"), "shared");
	json_decref(in);

	/* Released: not routed inbound any more, not answered to its old account. */
	assert_int_equal(store_number_release(tx, "acc_b", "+33100000003", 40, 50), STORE_NOTFOUND);
	assert_int_equal(store_number_release(tx, "acc_a", "+33100000003", 40, 50), STORE_OK);
	assert_null(dom_number_inbound(tx, "+33100000003"));
	assert_null(store_number_of_account(tx, "acc_a", "+33100000003"));
	store_rollback(tx);
	drop_store(st, path);
}

static void test_pick_and_quarantine(void **state)
{
	(void)state;
	char path[512];
	store_t *st = temp_store(path, sizeof path);
	store_tx_t *tx = store_begin(st, true);
	add_account(tx, "acc_a");
	add_number(tx, "+33100000001", "loopback");
	add_number(tx, "+33200000001", "loopback");
	add_number(tx, "+14165550100", "loopback"); /* Canada */

	json_t *n = store_number_pick(tx, "FR", "+332", 100);
	assert_string_equal(str(n, "number"), "+33200000001");
	json_decref(n);
	assert_null(store_number_pick(tx, "FR", "+335", 100));
	assert_null(store_number_pick(tx, "US", "+1", 100));
	n = store_number_pick(tx, "CA", "+1416", 100);
	assert_string_equal(str(n, "number"), "+14165550100");
	json_decref(n);

	/* Taken, released into quarantine: pickable only once it ends. */
	assert_int_equal(store_number_assign(tx, "+33200000001", "acc_a", NULL, NULL, 100), STORE_OK);
	assert_null(store_number_pick(tx, "FR", "+332", 200));
	int64_t until = numbers_quarantine_until(300, 30);
	assert_int_equal(store_number_release(tx, "acc_a", "+33200000001", 300, until), STORE_OK);
	assert_null(store_number_pick(tx, "FR", "+332", until - 1));
	n = store_number_pick(tx, "FR", "+332", until);
	assert_string_equal(str(n, "number"), "+33200000001");
	json_decref(n);
	/* Never-used numbers go first. */
	n = store_number_pick(tx, "FR", "+33", until);
	assert_string_equal(str(n, "number"), "+33100000001");
	json_decref(n);

	/* The inventory shows an ended quarantine as available. */
	store_page_t pg;
	assert_int_equal(store_number_inventory(tx, "quarantined", NULL, NULL, until - 1, NULL, 10,
				 &pg), STORE_OK);
	assert_int_equal(json_array_size(pg.items), 1);
	store_page_free(&pg);
	assert_int_equal(store_number_inventory(tx, "quarantined", NULL, NULL, until, NULL, 10, &pg),
		STORE_OK);
	assert_int_equal(json_array_size(pg.items), 0);
	store_page_free(&pg);
	assert_int_equal(store_number_inventory(tx, "available", NULL, NULL, until, NULL, 10, &pg),
		STORE_OK);
	assert_int_equal(json_array_size(pg.items), 3);
	store_page_free(&pg);

	/* A number on a disabled trunk is not handed out. */
	json_t *f = json_pack("{s:s}", "status", "disabled");
	assert_int_equal(store_trunk_update(tx, "loopback", f), STORE_OK);
	json_decref(f);
	assert_null(store_number_pick(tx, "FR", "+33", until));
	store_rollback(tx);
	drop_store(st, path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e164_valid),
		cmocka_unit_test(test_e164_normalize),
		cmocka_unit_test(test_countries),
		cmocka_unit_test(test_prefix_and_quarantine),
		cmocka_unit_test(test_routing),
		cmocka_unit_test(test_trunk_tls_key),
		cmocka_unit_test(test_inbound_and_caller_id),
		cmocka_unit_test(test_pick_and_quarantine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
