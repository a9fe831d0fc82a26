/* Unit tests of the configuration table: defaults, types, bounds, files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static void test_defaults(void **state)
{
	(void)state;
	config_t c;
	config_defaults(&c);
	char err[256];
	assert_int_equal(config_validate(&c, err, sizeof err), 0);
	assert_string_equal(c.http_listen, "127.0.0.1:8080");
	assert_string_equal(c.data_dir, "./var");
	assert_int_equal(c.session_idle_minutes, 30);
	assert_int_equal(c.session_max_hours, 12);
	config_free(&c);
}

static void test_set(void **state)
{
	(void)state;
	config_t c;
	config_defaults(&c);
	char err[256];
	static const struct {
		const char *name, *value;
		int ok;
		const char *msg;
	} cases[] = {
		{ "http.threads", "8", 1, NULL },
		{ "http.threads", "0", 0, "out of bounds [1, 64]" },
		{ "http.threads", "65", 0, "out of bounds" },
		{ "http.threads", "8x", 0, "not an integer" },
		{ "http.threads", "", 0, "not an integer" },
		{ "log.level", "warn", 1, NULL },
		{ "log.level", "loud", 0, "one of debug|info|warn|error" },
		{ "data_dir", "", 0, "1 to 1024 characters" },
		{ "no.such", "1", 0, "unknown setting" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		int rc = config_set(&c, cases[i].name, cases[i].value, err, sizeof err);
		if ((rc == 0) != cases[i].ok)
			fail_msg("case %zu (%s=%s): rc %d err %s", i, cases[i].name, cases[i].value, rc, err);
		if (cases[i].msg && !strstr(err, cases[i].msg))
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err, cases[i].msg);
	}
	assert_int_equal(c.http_threads, 8);
	assert_string_equal(c.log_level, "warn");
	config_free(&c);
}

static void test_file_and_cross_checks(void **state)
{
	(void)state;
	char path[] = "/tmp/fv-config-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "data_dir = /srv/fax\n[http]\nlisten = [::1]:9000\n[auth]\nsession_idle_minutes = 900\nsession_max_hours = 2\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	config_t c;
	config_defaults(&c);
	char err[256];
	assert_int_equal(config_load_file(&c, path, err, sizeof err), 0);
	assert_string_equal(c.data_dir, "/srv/fax");
	assert_string_equal(c.http_listen, "[::1]:9000");
	assert_int_equal(config_validate(&c, err, sizeof err), -1);
	assert_non_null(strstr(err, "session_idle_minutes"));
	FILE *f = fopen(path, "w");
	fputs("[http]\nthreads = 2\nthis line is not ini\n", f);
	fclose(f);
	assert_int_equal(config_load_file(&c, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "line 3"));
	unlink(path);
	assert_int_equal(config_load_file(&c, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot open"));
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_file_and_cross_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
