/* The pure parts of the fax service commands: final statuses and the exit
 * code of `fax send --wait`, media types, amounts and durations, the
 * display fields and the `fax status` block (golden text), E.164 checks,
 * the number lists of `numbers import --file`, and the command lines that
 * are refused before any request. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "cli_cmd.h"
#include "xalloc.h"

static void test_final_and_wait_code(void **state)
{
	(void)state;
	static const struct {
		const char *status;
		int final;
	} st[] = {
		{ "queued", 0 }, { "rendering", 0 }, { "sending", 0 }, { "delivered", 1 },
		{ "partial", 1 }, { "failed", 1 }, { "cancelled", 1 }, { "", 0 }, { NULL, 0 },
		{ "Delivered", 0 },
	};
	for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
		if (cli_fax_final(st[i].status) != st[i].final)
			fail_msg("final(%s) != %d", st[i].status ? st[i].status : "NULL", st[i].final);

	static const struct {
		const char *faxes;
		int code;
	} w[] = {
		{ "[{\"status\":\"delivered\"}]", CLI_EXIT_OK },
		{ "[{\"status\":\"delivered\"},{\"status\":\"delivered\"}]", CLI_EXIT_OK },
		{ "[{\"status\":\"delivered\"},{\"status\":\"partial\"}]", CLI_EXIT_ERROR },
		{ "[{\"status\":\"failed\"}]", CLI_EXIT_ERROR },
		{ "[{\"status\":\"cancelled\"}]", CLI_EXIT_ERROR },
		{ "[{}]", CLI_EXIT_ERROR },
		{ "[]", CLI_EXIT_ERROR },
		{ "{}", CLI_EXIT_ERROR },
	};
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		json_t *j = json_loads(w[i].faxes, 0, NULL);
		assert_non_null(j);
		if (cli_fax_wait_code(j) != w[i].code)
			fail_msg("wait_code(%s) != %d", w[i].faxes, w[i].code);
		json_decref(j);
	}
}

static void test_media_type(void **state)
{
	(void)state;
	static const struct {
		const char *path, *type;
	} t[] = {
		{ "a.pdf", "application/pdf" }, { "dir/A.PDF", "application/pdf" },
		{ "scan.tif", "image/tiff" }, { "scan.TIFF", "image/tiff" }, { "p.png", "image/png" },
		{ "p.jpg", "image/jpeg" }, { "p.jpeg", "image/jpeg" }, { "note.txt", "text/plain" },
		{ "archive.tar.gz", NULL }, { "noext", NULL }, { ".pdf", NULL }, { "dir.pdf/file", NULL },
		{ "x.", NULL },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *got = cli_fax_media_type(t[i].path);
		if ((got == NULL) != (t[i].type == NULL) || (got && strcmp(got, t[i].type) != 0))
			fail_msg("%s: %s, want %s", t[i].path, got ? got : "NULL", t[i].type ? t[i].type : "NULL");
	}
}

static void test_money_and_duration(void **state)
{
	(void)state;
	static const struct {
		json_int_t minor;
		const char *cur, *want;
	} m[] = {
		{ 0, "EUR", "0.00 EUR" }, { 5, "EUR", "0.05 EUR" }, { 125, "EUR", "1.25 EUR" },
		{ 123456, "USD", "1234.56 USD" }, { -30, "EUR", "-0.30 EUR" }, { 300, "JPY", "300 JPY" },
		{ 125, "KWD", "0.125 KWD" }, { 42, NULL, "42" }, { 42, "", "42" },
		{ 7, "E\x1b", "0.07 E?" },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		buf_t b;
		buf_init(&b, 256);
		cli_money(m[i].minor, m[i].cur, &b);
		if (strcmp(cli_buf_str(&b), m[i].want) != 0)
			fail_msg("money %lld: '%s' want '%s'", (long long)m[i].minor, cli_buf_str(&b), m[i].want);
		buf_free(&b);
	}
	static const struct {
		json_int_t ms;
		const char *want;
	} d[] = {
		{ 0, "0s" }, { 499, "0s" }, { 500, "1s" }, { 45000, "45s" }, { 59499, "59s" },
		{ 60000, "1m00s" }, { 65000, "1m05s" }, { 3599000, "59m59s" }, { 3600000, "1h00m" },
		{ 3720000, "1h02m" }, { -5, "0s" }, { 1499, "1s" },
		{ INT64_MAX, "2562047788015h12m" },
	};
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		buf_t b;
		buf_init(&b, 256);
		cli_duration(d[i].ms, &b);
		if (strcmp(cli_buf_str(&b), d[i].want) != 0)
			fail_msg("duration %lld: '%s' want '%s'", (long long)d[i].ms, cli_buf_str(&b), d[i].want);
		buf_free(&b);
	}
}

static const char FAX[] = "{\"id\":\"fax_1\",\"account_id\":\"acc_1\",\"user_id\":\"usr_1\","
	"\"direction\":\"outbound\",\"status\":\"partial\",\"from\":\"+33100000001\","
	"\"to\":\"+33100000002\",\"page_count\":4,\"pages_confirmed\":2,"
	"\"pages\":[{\"page\":1,\"status\":\"confirmed\"},{\"page\":2,\"status\":\"confirmed\"},"
	"{\"page\":3,\"status\":\"failed\"},{\"page\":4,\"status\":\"pending\"}],"
	"\"resolution\":\"fine\",\"attempts_made\":2,\"next_attempt_at\":null,"
	"\"failure_class\":\"partial\",\"failure_reason\":\"the call dropped after page 2\","
	"\"estimated_cost\":40,\"cost\":20,\"currency\":\"EUR\","
	"\"created_at\":\"2026-11-23T10:00:00Z\",\"updated_at\":\"2026-11-23T10:05:00Z\","
	"\"completed_at\":\"2026-11-23T10:05:00Z\",\"attempts\":["
	"{\"id\":\"att_1\",\"attempt\":1,\"started_at\":\"2026-11-23T10:00:05Z\",\"duration_ms\":65000,"
	"\"pages_sent\":3,\"pages_confirmed\":2,\"transport\":\"t38\",\"bit_rate\":14400,\"ecm\":true,"
	"\"remote_ident\":\"+33 1 00 00 00 02\",\"t30_code\":48,\"t30_text\":\"Call dropped\","
	"\"result\":\"partial\",\"failure_class\":\"partial\"},"
	"{\"id\":\"att_2\",\"attempt\":2,\"started_at\":\"2026-11-23T10:04:00Z\",\"duration_ms\":1200,"
	"\"pages_sent\":0,\"pages_confirmed\":0,\"transport\":null,\"bit_rate\":null,\"ecm\":false,"
	"\"remote_ident\":null,\"t30_code\":null,\"t30_text\":null,\"result\":\"failed\","
	"\"failure_class\":\"busy\"}]}";

static const char FAX_GOLDEN[] =
	"ID:               fax_1\n"
	"Direction:        outbound\n"
	"Status:           partial\n"
	"From:             +33100000001\n"
	"To:               +33100000002\n"
	"Pages confirmed:  2/4\n"
	"Page status:      1-2 confirmed, 3 failed, 4 pending\n"
	"Resolution:       fine\n"
	"Attempts made:    2\n"
	"Next attempt:     -\n"
	"Failure:          partial: the call dropped after page 2\n"
	"Estimated cost:   0.40 EUR\n"
	"Cost:             0.20 EUR\n"
	"Created:          2026-11-23T10:00:00Z\n"
	"Updated:          2026-11-23T10:05:00Z\n"
	"Completed:        2026-11-23T10:05:00Z\n"
	"\n"
	"Attempts:\n"
	"#  STARTED               DURATION  PAGES  TRANSPORT  BIT RATE  ECM  REMOTE             T.30             RESULT   FAILURE\n"
	"1  2026-11-23T10:00:05Z  1m05s     2/3    t38        14400     yes  +33 1 00 00 00 02  48 Call dropped  partial  partial\n"
	"2  2026-11-23T10:04:00Z  1s        0/0    -          -         no   -                  -                failed   busy\n";

static void test_fax_format(void **state)
{
	(void)state;
	json_t *fax = json_loads(FAX, 0, NULL);
	assert_non_null(fax);
	buf_t b;
	buf_init(&b, 1 << 20);
	cli_fax_format(fax, &b);
	if (strcmp(cli_buf_str(&b), FAX_GOLDEN) != 0)
		fail_msg("got:\n%s\nwant:\n%s", cli_buf_str(&b), FAX_GOLDEN);
	/* The fax itself is left as it was (--json prints it). */
	assert_null(json_object_get(fax, "_pages"));
	buf_free(&b);

	/* A queued fax: no attempts table, dashes for what is not known yet,
	 * an amount without currency as the bare number. */
	json_t *q = json_pack("{s:s, s:s, s:i, s:i}", "id", "fax_2", "status", "queued",
		"page_count", 1, "estimated_cost", 7);
	buf_init(&b, 1 << 20);
	cli_fax_format(q, &b);
	assert_non_null(strstr(cli_buf_str(&b), "Pages confirmed:  0/1\n"));
	assert_non_null(strstr(cli_buf_str(&b), "Estimated cost:   7\n"));
	assert_non_null(strstr(cli_buf_str(&b), "Failure:          -\n"));
	assert_null(strstr(cli_buf_str(&b), "Attempts:"));
	buf_free(&b);
	json_decref(q);
	json_decref(fax);
}

/* Values a hostile server may send: wrong types, extreme numbers. */
static void test_fax_format_hostile(void **state)
{
	(void)state;
	static const char *const docs[] = {
		"{\"pages\":[{\"page\":9223372036854775807,\"status\":\"ok\"},"
			"{\"page\":-9223372036854775808,\"status\":\"ok\"}]}",
		"{\"pages\":{},\"attempts\":\"x\",\"estimated_cost\":-9223372036854775808,"
			"\"currency\":\"EUR\"}",
		"{\"pages\":[1,null,{\"page\":\"1\"}],\"attempts\":[1,{\"duration_ms\":-1,"
			"\"t30_code\":{},\"t30_text\":7}]}",
		"{\"page_count\":\"3\",\"pages_confirmed\":{},\"cost\":1.5,\"currency\":7}",
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		json_t *fax = json_loads(docs[i], 0, NULL);
		assert_non_null(fax);
		buf_t b;
		buf_init(&b, 1 << 20);
		cli_fax_format(fax, &b);
		assert_true(b.len > 0);
		buf_free(&b);
		json_decref(fax);
	}
	buf_t b;
	buf_init(&b, 256);
	cli_money(INT64_MIN, "EUR", &b);
	assert_string_equal(cli_buf_str(&b), "-92233720368547758.08 EUR");
	buf_free(&b);
}

static void test_cdr_decorate(void **state)
{
	(void)state;
	json_t *cdr = json_loads("{\"duration_ms\":125400,\"pages_sent\":3,\"pages_confirmed\":3,"
		"\"t30_code\":\"0\",\"t30_text\":\"OK\",\"cost\":30,\"currency\":\"EUR\"}", 0, NULL);
	cli_cdr_decorate(cdr);
	assert_string_equal(json_string_value(json_object_get(cdr, "_duration")), "2m05s");
	assert_string_equal(json_string_value(json_object_get(cdr, "_pages")), "3/3");
	assert_string_equal(json_string_value(json_object_get(cdr, "_t30")), "0 OK");
	assert_string_equal(json_string_value(json_object_get(cdr, "_cost")), "0.30 EUR");
	json_decref(cdr);
	/* Nothing known: no display field at all (the table shows "-"). */
	cdr = json_object();
	cli_cdr_decorate(cdr);
	assert_int_equal(json_object_size(cdr), 0);
	json_decref(cdr);
}

static void test_e164(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int ok;
	} t[] = {
		{ "+33123456789", 1 }, { "+12345678", 1 }, { "+1234567", 0 }, { "+1555", 0 },
		{ "+123456789012345", 1 }, { "+1234567890123456", 0 }, { "33123456789", 0 },
		{ "+0123456", 0 }, { "+33 1 23", 0 }, { "+33-1", 0 }, { "+", 0 }, { "", 0 }, { NULL, 0 },
		{ "++33123", 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (cli_e164_ok(t[i].s) != t[i].ok)
			fail_msg("e164(%s) != %d", t[i].s ? t[i].s : "NULL", t[i].ok);
}

static void test_numbers_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		const char *want; /* the numbers joined by ' ', or the error line */
		unsigned errline;
	} t[] = {
		{ "+33100000001\n+33100000002\n", 0, "+33100000001 +33100000002", 0 },
		{ "# loopback numbers\n\n+33100000001, +33100000002;+33100000003\r\n", 0,
			"+33100000001 +33100000002 +33100000003", 0 },
		{ "+33100000001 # the first\n\t+33100000002", 0, "+33100000001 +33100000002", 0 },
		{ "", 0, "", 0 },
		{ "# nothing\n", 0, "", 0 },
		{ "+33100000001\n0100000002\n", -1, NULL, 2 },
		{ "+33100000001\n\n\n+33 1\n", -1, NULL, 4 },
		{ "+33100000001x", -1, NULL, 1 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		json_t *arr = json_array();
		unsigned line = 0;
		int rc = cli_numbers_parse(t[i].text, strlen(t[i].text), arr, &line);
		if (rc != t[i].rc)
			fail_msg("case %zu: rc %d want %d", i, rc, t[i].rc);
		if (rc == 0) {
			buf_t b;
			buf_init(&b, 4096);
			size_t k;
			json_t *v;
			json_array_foreach(arr, k, v)
				buf_printf(&b, "%s%s", k ? " " : "", json_string_value(v));
			if (strcmp(cli_buf_str(&b), t[i].want) != 0)
				fail_msg("case %zu: '%s' want '%s'", i, cli_buf_str(&b), t[i].want);
			buf_free(&b);
		} else {
			assert_int_equal(line, t[i].errline);
			assert_int_equal(json_array_size(arr), 0);
		}
		json_decref(arr);
	}
	/* A NUL byte in the file is an error, not the end of the list. */
	static const char nul[] = "+33100000001\n\0+33100000002\n";
	json_t *arr = json_array();
	unsigned line = 0;
	assert_int_equal(cli_numbers_parse(nul, sizeof nul - 1, arr, &line), -1);
	assert_int_equal(line, 2);
	json_decref(arr);
}

/* Command lines refused before any request: the URL points at a closed
 * port, so a request would exit 7 instead of 2 (or 1 for local files). */
static void test_refused_locally(void **state)
{
	(void)state;
	char dir[] = "/tmp/fv-cli-fax-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *doc = xasprintf("%s/doc.txt", dir);
	FILE *f = fopen(doc, "w");
	fputs("hello\n", f);
	fclose(f);
	char *exists = xasprintf("%s/fax_1.pdf", dir);
	f = fopen(exists, "w");
	fclose(f);
	char *missing = xasprintf("%s/missing.pdf", dir);

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })
	const struct {
		const char *const *argv;
		int rc;
		const char *err;
	} t[] = {
		{ L("fax", "send", "--to", "+33100000002"), CLI_EXIT_USAGE, "missing argument" },
		{ L("fax", "send", doc), CLI_EXIT_USAGE, "missing option '--to" },
		{ L("fax", "send", doc, "--to", "0100000002"), CLI_EXIT_USAGE, "not an E.164 number" },
		{ L("fax", "send", doc, "--to", ","), CLI_EXIT_USAGE, "at least one number" },
		{ L("fax", "send", doc, "--to", "+33100000002", "--send-at", "tomorrow"), CLI_EXIT_USAGE,
			"RFC 3339" },
		{ L("fax", "send", doc, "--to", "+33100000002", "--retries", "two"), CLI_EXIT_USAGE,
			"--retries wants a whole number" },
		{ L("fax", "send", doc, "--to", "+33100000002", "--retry-delay", "-1"), CLI_EXIT_USAGE,
			"--retry-delay wants a whole number" },
		{ L("fax", "send", missing, "--to", "+33100000002"), CLI_EXIT_ERROR, "cannot open" },
		{ L("fax", "send", dir, "--to", "+33100000002"), CLI_EXIT_ERROR, "not a regular file" },
		{ L("fax", "list", "--inbound", "--outbound"), CLI_EXIT_USAGE, "exclude each other" },
		{ L("fax", "list", "--limit", "0"), CLI_EXIT_USAGE, "--limit" },
		{ L("fax", "status"), CLI_EXIT_USAGE, "missing argument" },
		{ L("fax", "download", "../fax_1"), CLI_EXIT_USAGE, "give --output FILE" },
		{ L("fax", "download", "fax_1", "--output", exists), CLI_EXIT_ERROR, "add --force" },
		{ L("fax", "preview", "fax_1"), CLI_EXIT_USAGE, "missing option '--page" },
		{ L("fax", "preview", "fax_1", "--page", "0"), CLI_EXIT_USAGE, "--page wants" },
		{ L("numbers", "request"), CLI_EXIT_USAGE, "missing option '--country" },
		{ L("numbers", "route", "+33100000001"), CLI_EXIT_USAGE, "missing option '--to" },
		{ L("numbers", "import", "--trunk", "loopback"), CLI_EXIT_USAGE, "not both" },
		{ L("numbers", "import", "--trunk", "loopback", "+33100000001", "--file", doc),
			CLI_EXIT_USAGE, "not both" },
		{ L("numbers", "import", "--trunk", "loopback", "33100000001"), CLI_EXIT_USAGE,
			"not an E.164 number" },
		{ L("numbers", "import", "--trunk", "loopback", "--file", doc), CLI_EXIT_USAGE,
			"line 1: not an E.164 number" },
		{ L("numbers", "import", "--trunk", "loopback", "--file", missing), CLI_EXIT_ERROR,
			"cannot open" },
		{ L("cdrs", "--direction", "sideways"), CLI_EXIT_USAGE, "inbound or outbound" },
		{ L("cdrs", "--since", "yesterday"), CLI_EXIT_USAGE, "RFC 3339" },
		{ L("cdrs", "--output", "x.csv"), CLI_EXIT_USAGE, "go with --csv" },
		{ L("cdrs", "--csv", "--all"), CLI_EXIT_USAGE, "do not apply" },
		{ L("cdrs", "--csv", "--output", exists, "--account", "acc_1"), CLI_EXIT_ERROR,
			"add --force" },
		{ L("trunks", "create", "--name", "c"), CLI_EXIT_USAGE, "missing option '--peer" },
		{ L("trunks", "create", "--name", "c", "--peer", "p", "--transport", "fast"),
			CLI_EXIT_USAGE, "--transport wants" },
		{ L("trunks", "create", "--name", "c", "--peer", "p", "--max-calls", "0"),
			CLI_EXIT_USAGE, "--max-calls wants" },
		{ L("trunks", "update", "trk_1"), CLI_EXIT_USAGE, "nothing to change" },
		{ L("trunks", "update", "trk_1", "--sip-transport", "sctp"), CLI_EXIT_USAGE, "--sip-transport wants" },
		{ L("trunks", "update", "trk_1", "--register", "maybe"), CLI_EXIT_USAGE, "--register wants" },
		{ L("webhooks", "create", "https://h.example/x"), CLI_EXIT_USAGE, "missing option '--event" },
		{ L("webhooks", "create", "ftp://h.example/x", "--event", "fax.failed"), CLI_EXIT_USAGE,
			"https://" },
		{ L("webhooks", "create", "https://h.example/x", "--event", ","), CLI_EXIT_USAGE,
			"at least one event" },
	};
#undef L
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *argv[32];
		int argc = 0;
		argv[argc++] = "faxvault";
		argv[argc++] = "--url";
		argv[argc++] = "http://127.0.0.1:1";
		for (size_t k = 0; t[i].argv[k]; k++)
			argv[argc++] = (char *)t[i].argv[k];
		argv[argc] = NULL;
		char *obuf = NULL, *ebuf = NULL;
		size_t olen = 0, elen = 0;
		FILE *fo = open_memstream(&obuf, &olen);
		FILE *fe = open_memstream(&ebuf, &elen);
		struct cli_env env = { .token = "tok1", .home = "/nonexistent-faxvault-home" };
		int rc = cli_run(argc, argv, &env, fo, fe);
		fclose(fo);
		fclose(fe);
		if (rc != t[i].rc || !strstr(ebuf, t[i].err))
			fail_msg("case %zu (%s %s): rc %d want %d, stderr:\n%s", i, t[i].argv[0],
				t[i].argv[1], rc, t[i].rc, ebuf);
		free(obuf);
		free(ebuf);
	}
	unlink(doc);
	unlink(exists);
	rmdir(dir);
	free(doc);
	free(exists);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_final_and_wait_code),
		cmocka_unit_test(test_media_type),
		cmocka_unit_test(test_money_and_duration),
		cmocka_unit_test(test_fax_format),
		cmocka_unit_test(test_fax_format_hostile),
		cmocka_unit_test(test_cdr_decorate),
		cmocka_unit_test(test_e164),
		cmocka_unit_test(test_numbers_parse),
		cmocka_unit_test(test_refused_locally),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
