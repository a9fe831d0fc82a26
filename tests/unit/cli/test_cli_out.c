/* Unit tests of human output: sanitizing, cells, aligned tables, key/value
 * blocks (golden strings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli_out.h"

static void test_sanitize(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "tab\there", "tab?here" },
		{ "line\nbreak\r", "line?break?" },
		{ "\x1b[31mred\x1b[0m", "?[31mred?[0m" },
		{ "del\x7f", "del?" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },                 /* é kept */
		{ "\xe2\x82\xac 5", "\xe2\x82\xac 5" },           /* € kept */
		{ "\xf0\x9f\x93\xa0", "\xf0\x9f\x93\xa0" },       /* 📠 kept */
		{ "c1\xc2\x9b", "c1?" },                          /* C1 CSI */
		{ "bad\xff", "bad?" },
		{ "cut\xc3", "cut?" },
		{ "over\xc0\xaf", "over??" },                     /* overlong '/' */
		{ "sur\xed\xa0\x80", "sur???" },                  /* surrogate */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_t b;
		buf_init(&b, 1024);
		cli_out_sanitize(cases[i].in, &b);
		assert_string_equal(cli_buf_str(&b), cases[i].want);
		buf_free(&b);
	}
	assert_int_equal(cli_out_width("caf\xc3\xa9"), 4);
	static const struct {
		const char *in;
		int ok;
	} text[] = {
		{ "", 1 }, { "Acme Fax", 1 }, { "caf\xc3\xa9", 1 }, { "tab\tok", 1 },
		{ "\xf0\x9f\x93\xa0", 1 }, { "nl\n", 0 }, { "esc\x1b", 0 }, { "bad\xff", 0 },
		{ "cut\xe2\x82", 0 }, { "del\x7f", 0 },
	};
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		assert_int_equal(cli_out_text_ok(text[i].in), text[i].ok);
	assert_int_equal(cli_out_width(""), 0);
}

static void test_cells(void **state)
{
	(void)state;
	json_t *o = json_loads("{\"s\":\"x\",\"i\":42,\"r\":1.5,\"t\":true,\"f\":false,\"n\":null,"
		"\"e\":\"\",\"a\":[\"p\",\"q\"],\"ea\":[],\"o\":{\"k\":\"v\",\"deep\":{\"x\":7}},"
		"\"esc\":\"a\\u001bb\"}", 0, NULL);
	assert_non_null(o);
	static const struct {
		const char *path, *want;
	} cases[] = {
		{ "s", "x" }, { "i", "42" }, { "r", "1.5" }, { "t", "yes" }, { "f", "no" },
		{ "n", "-" }, { "e", "-" }, { "missing", "-" }, { "a", "p,q" }, { "ea", "-" },
		{ "o.k", "v" }, { "o.deep.x", "7" }, { "o", "{\"k\":\"v\",\"deep\":{\"x\":7}}" },
		{ "o.none", "-" }, { "s.sub", "-" }, { "esc", "a?b" },
		/* Alternatives: the first non-empty one wins. */
		{ "missing|s", "x" }, { "n|e|i", "42" }, { "s|i", "x" }, { "n|e", "-" },
		{ "o.none|o.k", "v" }, { "|s", "x" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *c = cli_out_cell(o, cases[i].path);
		if (strcmp(c, cases[i].want) != 0)
			fail_msg("path %s: '%s' want '%s'", cases[i].path, c, cases[i].want);
		free(c);
	}
	json_decref(o);
}

static void test_tables(void **state)
{
	(void)state;
	static const struct cli_col cols[] = {
		{ "ID", "id" }, { "NAME", "name" }, { "OWNER", "owner.email" },
	};
	static const struct {
		const char *items;
		const char *want;
	} cases[] = {
		{ "[]", "ID  NAME  OWNER\n" },
		{ "[{\"id\":\"acc_1\",\"name\":\"Acme\",\"owner\":{\"email\":\"o@acme.example\"}},"
		  "{\"id\":\"acc_22\",\"name\":\"B\",\"owner\":null}]",
		  "ID      NAME  OWNER\n"
		  "acc_1   Acme  o@acme.example\n"
		  "acc_22  B     -\n" },
		/* Width counts characters, not bytes. */
		{ "[{\"id\":\"1\",\"name\":\"Caf\\u00e9 \\u00e0\",\"owner\":{\"email\":\"x\"}},"
		  "{\"id\":\"2\",\"name\":\"ab\",\"owner\":{\"email\":\"y\"}}]",
		  "ID  NAME    OWNER\n"
		  "1   Caf\xc3\xa9 \xc3\xa0  x\n"
		  "2   ab      y\n" },
		/* A newline in a value cannot break the table. */
		{ "[{\"id\":\"1\",\"name\":\"a\\nb\",\"owner\":{\"email\":\"z\"}}]",
		  "ID  NAME  OWNER\n"
		  "1   a?b   z\n" },
		/* Not an array: just the header. */
		{ "{}", "ID  NAME  OWNER\n" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *items = json_loads(cases[i].items, 0, NULL);
		assert_non_null(items);
		buf_t b;
		buf_init(&b, 1 << 16);
		cli_out_table(cols, 3, items, &b);
		if (strcmp(cli_buf_str(&b), cases[i].want) != 0)
			fail_msg("case %zu:\n%s\nwant:\n%s", i, cli_buf_str(&b), cases[i].want);
		buf_free(&b);
		json_decref(items);
	}
}

static void test_kv(void **state)
{
	(void)state;
	static const struct cli_col f[] = {
		{ "ID", "id" }, { "Permissions", "permissions" }, { "Account", "account_id" },
	};
	json_t *o = json_loads("{\"id\":\"usr_1\",\"permissions\":[\"fax.send\",\"fax.read.own\"],"
		"\"account_id\":null}", 0, NULL);
	buf_t b;
	buf_init(&b, 4096);
	cli_out_kv(f, 3, o, &b);
	assert_string_equal(cli_buf_str(&b),
		"ID:           usr_1\n"
		"Permissions:  fax.send,fax.read.own\n"
		"Account:      -\n");
	buf_free(&b);
	json_decref(o);
}

static void test_json(void **state)
{
	(void)state;
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	json_t *o = json_loads("{\"b\":1,\"a\":[true]}", 0, NULL);
	assert_int_equal(cli_out_json(f, o), 0);
	fclose(f);
	/* Key order as received, indented, newline at the end. */
	assert_string_equal(s, "{\n  \"b\": 1,\n  \"a\": [\n    true\n  ]\n}\n");
	free(s);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
