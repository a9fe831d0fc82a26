/* Unit tests of the config file: parsing, default path, precedence of
 * flags, environment and file, the token-URL binding, and the file and
 * directory modes that `faxvault login` writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli_config.h"
#include "xalloc.h"

static void test_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		const char *url, *token; /* NULL: absent */
		unsigned errline;
	} cases[] = {
		{ "", 0, NULL, NULL, 0 },
		{ "url = http://a\ntoken = t1\n", 0, "http://a", "t1", 0 },
		{ "url=http://a\r\ntoken=t1", 0, "http://a", "t1", 0 },
		{ "  url   =   http://a  \n", 0, "http://a", NULL, 0 },
		{ "# comment\n; other\n\n\ttoken = t\n", 0, NULL, "t", 0 },
		{ "url = \"http://q\"\n", 0, "http://q", NULL, 0 },
		{ "url = http://a\nurl = http://b\n", 0, "http://b", NULL, 0 },
		{ "color = blue\ntoken = t\n", 0, NULL, "t", 0 },
		{ "token =\n", 0, NULL, NULL, 0 },
		{ "token = a=b\n", 0, NULL, "a=b", 0 },
		{ "url = http://a\nnonsense\n", -1, NULL, NULL, 2 },
		{ "= value\n", -1, NULL, NULL, 1 },
		{ "url = \"http://a\n", -1, NULL, NULL, 1 },
		{ "\n\n\ntoken\n", -1, NULL, NULL, 4 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *url = (char *)1, *token = (char *)1;
		unsigned line = 0;
		int rc = cli_config_parse(cases[i].text, strlen(cases[i].text), &url, &token, &line);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d", i, rc);
		if (rc == 0) {
			if (cases[i].url)
				assert_string_equal(url, cases[i].url);
			else
				assert_null(url);
			if (cases[i].token)
				assert_string_equal(token, cases[i].token);
			else
				assert_null(token);
			free(url);
			free(token);
		} else {
			assert_int_equal(line, cases[i].errline);
		}
	}
	/* An embedded NUL is not a config file. */
	char *u, *t;
	unsigned line;
	assert_int_equal(cli_config_parse("url = a\0b\n", 10, &u, &t, &line), -1);
}

static void test_default_path(void **state)
{
	(void)state;
	static const struct {
		const char *xdg, *home, *want;
	} cases[] = {
		{ "/x", "/h", "/x/faxvault/config" },
		{ NULL, "/h", "/h/.config/faxvault/config" },
		{ "", "/h", "/h/.config/faxvault/config" },
		{ "relative", "/h", "/h/.config/faxvault/config" },
		{ NULL, NULL, NULL },
		{ NULL, "", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *p = cli_config_default_path(cases[i].xdg, cases[i].home);
		if (cases[i].want)
			assert_string_equal(p, cases[i].want);
		else
			assert_null(p);
		free(p);
	}
}

static char tmpdir[] = "/tmp/fv-cli-test-XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void test_precedence(void **state)
{
	(void)state;
	char *xdg = xasprintf("%s/xdg", tmpdir);
	char *cfg = xasprintf("%s/faxvault/config", xdg);
	char *other = xasprintf("%s/other.conf", tmpdir);
	buf_t err;
	buf_init(&err, 4096);
	assert_int_equal(cli_config_save(cfg, "http://file", "tfile", &err), 0);
	write_file(other, "url = http://other\ntoken = tother\n", 0600);

	static const struct {
		const char *flag_url, *flag_token, *flag_config, *env_url, *env_token;
		int use_xdg;
		const char *url, *token;
		enum cli_src url_src, token_src;
		int withheld;
	} cases[] = {
		/* Nothing anywhere: default URL, no token. */
		{ NULL, NULL, NULL, NULL, NULL, 0, CLI_DEFAULT_URL, NULL, CLI_SRC_DEFAULT, CLI_SRC_NONE, 0 },
		/* The file alone. */
		{ NULL, NULL, NULL, NULL, NULL, 1, "http://file", "tfile", CLI_SRC_FILE, CLI_SRC_FILE, 0 },
		/* Environment beats file; a file token is not sent to another URL. */
		{ NULL, NULL, NULL, "http://env", NULL, 1, "http://env", NULL, CLI_SRC_ENV, CLI_SRC_NONE, 1 },
		{ NULL, NULL, NULL, "http://file/", NULL, 1, "http://file/", "tfile", CLI_SRC_ENV, CLI_SRC_FILE, 0 },
		{ NULL, NULL, NULL, "http://env", "tenv", 1, "http://env", "tenv", CLI_SRC_ENV, CLI_SRC_ENV, 0 },
		{ NULL, NULL, NULL, NULL, "tenv", 1, "http://file", "tenv", CLI_SRC_FILE, CLI_SRC_ENV, 0 },
		/* Flags beat environment. */
		{ "http://flag", "tflag", NULL, "http://env", "tenv", 1, "http://flag", "tflag", CLI_SRC_FLAG, CLI_SRC_FLAG, 0 },
		{ "http://flag", NULL, NULL, "http://env", "tenv", 1, "http://flag", "tenv", CLI_SRC_FLAG, CLI_SRC_ENV, 0 },
		{ "http://flag", NULL, NULL, NULL, NULL, 1, "http://flag", NULL, CLI_SRC_FLAG, CLI_SRC_NONE, 1 },
		{ NULL, "tflag", NULL, NULL, "tenv", 1, "http://file", "tflag", CLI_SRC_FILE, CLI_SRC_FLAG, 0 },
		/* Empty values count as unset. */
		{ "", "", NULL, "", "", 1, "http://file", "tfile", CLI_SRC_FILE, CLI_SRC_FILE, 0 },
		/* --config names another file. */
		{ NULL, NULL, "other", NULL, NULL, 1, "http://other", "tother", CLI_SRC_FILE, CLI_SRC_FILE, 0 },
		{ NULL, NULL, "missing", NULL, NULL, 1, CLI_DEFAULT_URL, NULL, CLI_SRC_DEFAULT, CLI_SRC_NONE, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct cli_env env = { .url = cases[i].env_url, .token = cases[i].env_token,
			.xdg_config_home = cases[i].use_xdg ? xdg : NULL, .home = "/nonexistent-home" };
		char *flag_config = NULL;
		if (cases[i].flag_config)
			flag_config = strcmp(cases[i].flag_config, "other") == 0 ? xstrdup(other)
				: xasprintf("%s/missing.conf", tmpdir);
		struct cli_conf c;
		buf_reset(&err);
		int rc = cli_config_resolve(cases[i].flag_url, cases[i].flag_token, flag_config, &env, &c, &err);
		if (rc != 0)
			fail_msg("case %zu: %s", i, err.data);
		assert_string_equal(c.url, cases[i].url);
		if (cases[i].token) {
			if (!c.token || strcmp(c.token, cases[i].token) != 0)
				fail_msg("case %zu: token %s want %s", i, c.token ? c.token : "(null)", cases[i].token);
		} else if (c.token) {
			fail_msg("case %zu: unexpected token %s", i, c.token);
		}
		if (c.url_src != cases[i].url_src || c.token_src != cases[i].token_src ||
		    c.token_withheld != cases[i].withheld)
			fail_msg("case %zu: src %d/%d withheld %d", i, c.url_src, c.token_src, c.token_withheld);
		assert_int_equal(c.file_loose, 0);
		cli_conf_free(&c);
		free(flag_config);
	}
	cli_conf_free(NULL);
	buf_free(&err);
	free(xdg);
	free(cfg);
	free(other);
}

static void test_save_modes(void **state)
{
	(void)state;
	/* Even with a permissive umask, the directory is 0700 and the file 0600. */
	mode_t old = umask(0);
	char *dir = xasprintf("%s/deep/er/faxvault", tmpdir);
	char *path = xasprintf("%s/config", dir);
	buf_t err;
	buf_init(&err, 4096);
	assert_int_equal(cli_config_save(path, "http://u", "secret-token", &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	char *url, *token;
	int loose = -1;
	assert_int_equal(cli_config_load(path, &url, &token, &loose, &err), 0);
	assert_string_equal(url, "http://u");
	assert_string_equal(token, "secret-token");
	assert_int_equal(loose, 0);
	free(url);
	free(token);

	/* Logout: same URL, no token; still 0600. */
	assert_int_equal(cli_config_save(path, "http://u", NULL, &err), 0);
	assert_int_equal(cli_config_load(path, &url, &token, &loose, &err), 0);
	assert_string_equal(url, "http://u");
	assert_null(token);
	free(url);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A file others can read is flagged. */
	chmod(path, 0644);
	assert_int_equal(cli_config_load(path, &url, &token, &loose, &err), 0);
	assert_int_equal(loose, 1);
	free(url);

	/* Line breaks cannot smuggle in a second key. */
	assert_int_equal(cli_config_save(path, "http://u\ntoken = evil", NULL, &err), -1);

	/* A malformed file is an error naming the line; a directory is refused. */
	write_file(path, "url = x\nbroken\n", 0600);
	buf_reset(&err);
	assert_int_equal(cli_config_load(path, &url, &token, &loose, &err), -1);
	assert_non_null(strstr(err.data, "line 2"));
	buf_reset(&err);
	assert_int_equal(cli_config_load(dir, &url, &token, &loose, &err), -1);
	/* A missing file is no error. */
	char *missing = xasprintf("%s/none", tmpdir);
	assert_int_equal(cli_config_load(missing, &url, &token, &loose, &err), 0);
	assert_null(url);
	assert_null(token);
	free(missing);
	umask(old);
	buf_free(&err);
	free(dir);
	free(path);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_save_modes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
