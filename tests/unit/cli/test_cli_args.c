/* Unit tests of the argument parser, --help on every level of the real
 * command tree, and the exit codes of cli_run() that need no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_cmd.h"
#include "xalloc.h"

/* A small tree of our own, so the parser is tested apart from the real one. */
static int run_nop(struct cli_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct cli_opt t_globals[] = {
	{ "url", "URL", 0, "u" }, { "json", NULL, 0, "j" }, { NULL, NULL, 0, NULL },
};
static const struct cli_opt t_create_opts[] = {
	{ "account", "ID", CLI_OPT_REQUIRED, "a" },
	{ "permission", "P", CLI_OPT_REPEAT, "p" },
	{ "force", NULL, 0, "f" },
	{ NULL, NULL, 0, NULL },
};
static const struct cli_cmd t_users[] = {
	{ "create", "c", NULL, NULL, t_create_opts, 0, 0, run_nop, NULL },
	{ "show", "s", "ID", NULL, NULL, 1, 1, run_nop, NULL },
	{ "tag", "t", "ID [TAG...]", NULL, NULL, 1, 3, run_nop, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
static const struct cli_cmd t_subs[] = {
	{ "users", "u", NULL, NULL, NULL, 0, 0, NULL, t_users },
	{ "ping", "p", NULL, NULL, NULL, 0, 0, run_nop, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
static const struct cli_cmd t_root = { "fv", "root", NULL, NULL, NULL, 0, 0, NULL, t_subs };

/* Splits s at spaces into a new argv (argv[0] = "fv"); free with free(). */
static char **split(const char *s, int *argc, char **store)
{
	char *copy = xstrdup(s);
	char **argv = xcalloc(64, sizeof *argv);
	int n = 0;
	argv[n++] = "fv";
	for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " "))
		argv[n++] = tok;
	*argc = n;
	*store = copy;
	return argv;
}

static void test_parse_table(void **state)
{
	(void)state;
	static const struct {
		const char *argv;
		int rc;
		const char *cmd;      /* full name of the command reached */
		const char *err;      /* substring of the error, rc == -1 */
		const char *opt, *val; /* an option and its expected last value */
		size_t npos;
		int help;
	} cases[] = {
		{ "ping", 0, "fv ping", NULL, NULL, NULL, 0, 0 },
		{ "--json ping", 0, "fv ping", NULL, "json", NULL, 0, 0 },
		{ "ping --url http://x", 0, "fv ping", NULL, "url", "http://x", 0, 0 },
		{ "ping --url=http://y", 0, "fv ping", NULL, "url", "http://y", 0, 0 },
		{ "ping --url=", 0, "fv ping", NULL, "url", "", 0, 0 },
		{ "users create --account a1", 0, "fv users create", NULL, "account", "a1", 0, 0 },
		{ "users create --account a1 --permission p1 --permission p2", 0, "fv users create",
			NULL, "permission", "p2", 0, 0 },
		{ "users create --account=a1 --force", 0, "fv users create", NULL, "force", NULL, 0, 0 },
		{ "users show u1", 0, "fv users show", NULL, NULL, NULL, 1, 0 },
		{ "users show -- --weird", 0, "fv users show", NULL, NULL, NULL, 1, 0 },
		{ "users show -", 0, "fv users show", NULL, NULL, NULL, 1, 0 },
		{ "users tag u1 a b", 0, "fv users tag", NULL, NULL, NULL, 3, 0 },
		{ "--help", 0, "fv", NULL, NULL, NULL, 0, 1 },
		{ "users --help", 0, "fv users", NULL, NULL, NULL, 0, 1 },
		{ "users create -h", 0, "fv users create", NULL, NULL, NULL, 0, 1 },
		{ "users show --help", 0, "fv users show", NULL, NULL, NULL, 0, 1 },
		{ "", -1, "fv", "missing command", NULL, NULL, 0, 0 },
		{ "users", -1, "fv users", "missing command", NULL, NULL, 0, 0 },
		{ "nope", -1, "fv", "unknown command 'nope'", NULL, NULL, 0, 0 },
		{ "users nope", -1, "fv users", "unknown command 'nope'", NULL, NULL, 0, 0 },
		{ "users create", -1, "fv users create", "missing option '--account", NULL, NULL, 0, 0 },
		{ "users create --account", -1, "fv users create", "needs a value", NULL, NULL, 0, 0 },
		{ "users create --account a --account b", -1, "fv users create", "more than once",
			NULL, NULL, 0, 0 },
		{ "users create --account a --force=1", -1, "fv users create", "takes no value",
			NULL, NULL, 0, 0 },
		{ "users create --account a --bogus", -1, "fv users create", "unknown option '--bogus'",
			NULL, NULL, 0, 0 },
		{ "users create --account a -x", -1, "fv users create", "unknown option '-x'",
			NULL, NULL, 0, 0 },
		{ "--account a users create", -1, "fv", "unknown option '--account'", NULL, NULL, 0, 0 },
		{ "users show", -1, "fv users show", "missing argument", NULL, NULL, 0, 0 },
		{ "users show a b", -1, "fv users show", "unexpected argument 'b'", NULL, NULL, 0, 0 },
		{ "users tag a b c d", -1, "fv users tag", "unexpected argument 'd'", NULL, NULL, 0, 0 },
		{ "ping extra", -1, "fv ping", "unexpected argument 'extra'", NULL, NULL, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int argc;
		char *store;
		char **argv = split(cases[i].argv, &argc, &store);
		struct cli_args a;
		buf_t err, name;
		buf_init(&err, 4096);
		buf_init(&name, 4096);
		int rc = cli_args_parse(&t_root, t_globals, argc, argv, &a, &err);
		cli_args_cmd_name(&a, &name);
		if (rc != cases[i].rc || strcmp(name.data, cases[i].cmd) != 0)
			fail_msg("case %zu '%s': rc %d cmd '%s' err '%s'", i, cases[i].argv, rc,
				name.data, err.data ? err.data : "");
		if (cases[i].err) {
			assert_non_null(err.data);
			if (!strstr(err.data, cases[i].err))
				fail_msg("case %zu: error '%s' lacks '%s'", i, err.data, cases[i].err);
		}
		if (rc == 0) {
			assert_int_equal(a.npos, cases[i].npos);
			assert_int_equal(a.help, cases[i].help);
			if (cases[i].opt) {
				assert_true(cli_args_has(&a, cases[i].opt));
				if (cases[i].val)
					assert_string_equal(cli_args_get(&a, cases[i].opt), cases[i].val);
				else
					assert_null(cli_args_get(&a, cases[i].opt));
			}
		}
		cli_args_free(&a);
		buf_free(&err);
		buf_free(&name);
		free(argv);
		free(store);
	}
	cli_args_free(NULL);
}

static void test_repeat_values(void **state)
{
	(void)state;
	int argc;
	char *store;
	char **argv = split("users create --account a --permission x --permission y,z", &argc, &store);
	struct cli_args a;
	buf_t err;
	buf_init(&err, 4096);
	assert_int_equal(cli_args_parse(&t_root, t_globals, argc, argv, &a, &err), 0);
	assert_int_equal(cli_args_count(&a, "permission"), 2);
	assert_string_equal(cli_args_nth(&a, "permission", 0), "x");
	assert_string_equal(cli_args_nth(&a, "permission", 1), "y,z");
	assert_null(cli_args_nth(&a, "permission", 2));
	assert_int_equal(cli_args_count(&a, "force"), 0);

	/* cli_opt_list splits at commas and skips empty parts. */
	struct cli_ctx ctx = { .args = &a };
	json_t *list = cli_opt_list(&ctx, "permission");
	char *s = json_dumps(list, JSON_COMPACT);
	assert_string_equal(s, "[\"x\",\"y\",\"z\"]");
	free(s);
	json_decref(list);
	cli_args_free(&a);
	buf_free(&err);
	free(argv);
	free(store);
}

/* Runs the real client with argv (space-separated) and no environment;
 * returns the exit code, with stdout and stderr in *out and *err (owned). */
static int run(const char *line, char **out, char **err)
{
	int argc;
	char *store;
	char **argv = split(line, &argc, &store);
	argv[0] = "faxvault";
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *fo = open_memstream(&obuf, &olen);
	FILE *fe = open_memstream(&ebuf, &elen);
	/* HOME points nowhere useful so no real config is read. */
	struct cli_env env = { .home = "/nonexistent-faxvault-home", .lang = "C" };
	int rc = cli_run(argc, argv, &env, fo, fe);
	fclose(fo);
	fclose(fe);
	free(argv);
	free(store);
	*out = obuf;
	*err = ebuf;
	return rc;
}

/* Walks the tree: `PATH --help` answers 0 with a usage line on stdout,
 * and a group without its command answers 2 with its help on stderr. */
static void walk_help(const struct cli_cmd *cmd, const char *path, size_t *count)
{
	char *line = xasprintf("%s --help", path);
	char *out, *err;
	int rc = run(line, &out, &err);
	char *want = xasprintf("Usage: faxvault%s%s ", path[0] ? " " : "", path);
	if (rc != 0 || strncmp(out, want, strlen(want)) != 0)
		fail_msg("'%s': rc %d, out '%.80s'", line, rc, out);
	if (!cmd->subs && strstr(out, "Options:") == NULL && cmd->opts && cmd->opts[0].name)
		fail_msg("'%s': no options listed", line);
	assert_non_null(strstr(out, "Global options:"));
	assert_string_equal(err, "");
	free(out);
	free(err);
	free(line);
	free(want);
	(*count)++;
	if (cmd->subs) {
		if (path[0]) {
			rc = run(path, &out, &err);
			assert_int_equal(rc, CLI_EXIT_USAGE);
			assert_non_null(strstr(err, "missing command"));
			assert_non_null(strstr(err, "Commands:"));
			free(out);
			free(err);
		}
		for (const struct cli_cmd *c = cmd->subs; c->name; c++) {
			char *sub = xasprintf("%s%s%s", path, path[0] ? " " : "", c->name);
			walk_help(c, sub, count);
			free(sub);
		}
	} else {
		assert_non_null(cmd->run);
		assert_true(cmd->min_pos <= cmd->max_pos);
		/* A command's option never shadows a global one (--version would
		 * print the version instead of running the command). */
		for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
			for (const struct cli_opt *g = cli_globals; g->name; g++)
				if (strcmp(o->name, g->name) == 0)
					fail_msg("'%s' has --%s, a global option", path, o->name);
	}
}

static void test_help_every_level(void **state)
{
	(void)state;
	size_t count = 0;
	walk_help(&cli_root, "", &count);
	assert_true(count >= 40);

	char *out, *err;
	assert_int_equal(run("--help", &out, &err), 0);
	assert_non_null(strstr(out, "Exit codes:"));
	assert_non_null(strstr(out, "8  rate limited"));
	free(out);
	free(err);
}

static void test_run_exit_codes(void **state)
{
	(void)state;
	static const struct {
		const char *argv;
		int rc;
		const char *err; /* substring of stderr */
		const char *out; /* substring of stdout */
	} cases[] = {
		{ "--version", CLI_EXIT_OK, NULL, "faxvault " },
		{ "", CLI_EXIT_USAGE, "missing command", NULL },
		{ "frobnicate", CLI_EXIT_USAGE, "unknown command 'frobnicate'", NULL },
		{ "users list", CLI_EXIT_USAGE, "missing option '--account", NULL },
		{ "accounts show", CLI_EXIT_USAGE, "missing argument", NULL },
		{ "accounts update acc_1", CLI_EXIT_USAGE, "nothing to change", NULL },
		{ "users create --account a --email e --name n --role custom --token t",
			CLI_EXIT_USAGE, "needs at least one --permission", NULL },
		{ "users create --account a --email e --name n --role user --permission x --token t",
			CLI_EXIT_USAGE, "--role custom only", NULL },
		{ "api-keys create --account a --name n --permission , --token t",
			CLI_EXIT_USAGE, "at least one permission", NULL },
		{ "api-keys create --account a --name n --permission p --expires-at tomorrow --token t",
			CLI_EXIT_USAGE, "RFC 3339", NULL },
		{ "audit list --account a --since yesterday --token t", CLI_EXIT_USAGE, "RFC 3339", NULL },
		{ "accounts list --limit 0 --token t", CLI_EXIT_USAGE, "--limit", NULL },
		{ "accounts list --limit 1001 --token t", CLI_EXIT_USAGE, "--limit", NULL },
		{ "partners create --name p --idempotency-key a\tb --token t", CLI_EXIT_USAGE,
			"--idempotency-key", NULL },
		{ "accounts list --idempotency-key k", CLI_EXIT_USAGE, "unknown option", NULL },
		{ "accounts create --name \xff --owner-email e --owner-name n", CLI_EXIT_USAGE,
			"--name is not valid UTF-8", NULL },
		{ "accounts show acc\x1b[2J", CLI_EXIT_USAGE, "argument 1 is not valid", NULL },
		{ "--token bad\x01token whoami", CLI_EXIT_USAGE, "--token is not valid", NULL },
		{ "accounts list", CLI_EXIT_UNAUTH, "not logged in", NULL },
		{ "whoami", CLI_EXIT_UNAUTH, "not logged in", NULL },
		{ "login --password-stdin", CLI_EXIT_USAGE, "needs --email", NULL },
		{ "security set --account a --token t", CLI_EXIT_USAGE, "nothing to change", NULL },
		{ "security set --account a --require-upper --no-require-upper --token t", CLI_EXIT_USAGE,
			"contradict", NULL },
		{ "security set --account a --allow 10.0.0.0/8 --clear-allowlist --token t", CLI_EXIT_USAGE,
			"contradict", NULL },
		{ "security set --account a --mfa everyone --token t", CLI_EXIT_USAGE,
			"--mfa wants none, admins or all", NULL },
		{ "security set --account a --min-length -1 --token t", CLI_EXIT_USAGE,
			"--min-length wants a whole number", NULL },
		{ "security set --account a --idle-timeout 5m --token t", CLI_EXIT_USAGE,
			"--idle-timeout wants a whole number", NULL },
		{ "security set --account a --history 2 --json-patch p.json --token t", CLI_EXIT_USAGE,
			"--json-patch goes alone", NULL },
		{ "security set --account a --json-patch /nonexistent-faxvault.json --token t", CLI_EXIT_ERROR,
			"cannot open", NULL },
		{ "security show", CLI_EXIT_USAGE, "missing option '--account", NULL },
		{ "posture", CLI_EXIT_USAGE, "missing option '--account", NULL },
		{ "posture --account a", CLI_EXIT_UNAUTH, "not logged in", NULL },
		{ "users unlock --account a", CLI_EXIT_USAGE, "missing argument", NULL },
		{ "sessions revoke --account a", CLI_EXIT_USAGE, "missing argument", NULL },
		{ "mfa disable --code abc --token t", CLI_EXIT_USAGE, "6 digits", NULL },
		{ "terms accept v1 v2", CLI_EXIT_USAGE, "unexpected argument", NULL },
		{ "terms publish v1 --en a", CLI_EXIT_USAGE, "missing option '--fr", NULL },
		{ "terms publish --en a --fr b", CLI_EXIT_USAGE, "missing argument", NULL },
		{ "password reset complete", CLI_EXIT_USAGE, "missing argument", NULL },
		{ "password reset request", CLI_EXIT_USAGE, "missing option '--email", NULL },
		/* Nothing listens on port 1 of loopback. */
		{ "--url http://127.0.0.1:1 --token t accounts list", CLI_EXIT_SERVER, "cannot reach", NULL },
		{ "--url http://127.0.0.1:1 health", CLI_EXIT_SERVER, "cannot reach", NULL },
		{ "--url ftp://127.0.0.1:1 --token t whoami", CLI_EXIT_SERVER, "cannot reach", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *out, *err;
		int rc = run(cases[i].argv, &out, &err);
		if (rc != cases[i].rc)
			fail_msg("'%s': rc %d want %d; err '%s'", cases[i].argv, rc, cases[i].rc, err);
		if (cases[i].err && !strstr(err, cases[i].err))
			fail_msg("'%s': stderr '%s' lacks '%s'", cases[i].argv, err, cases[i].err);
		if (cases[i].out && !strstr(out, cases[i].out))
			fail_msg("'%s': stdout '%s' lacks '%s'", cases[i].argv, out, cases[i].out);
		/* The token given on the command line never shows up. */
		assert_null(strstr(err, "Bearer"));
		free(out);
		free(err);
	}
}

static void test_lang(void **state)
{
	(void)state;
	static const struct {
		const char *locale, *want;
	} cases[] = {
		{ "fr_FR.UTF-8", "fr" }, { "fr", "fr" }, { "en_US.UTF-8", "en" }, { "de_DE@euro", "de" },
		{ "fil_PH", "fil" }, { "C", "" }, { "POSIX", "" }, { "C.UTF-8", "" }, { "", "" },
		{ NULL, "" }, { "f", "" }, { "fr-FR", "" }, { "frenchish", "" }, { "fr\r\nX: y", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[8] = "junk";
		cli_lang_from_locale(cases[i].locale, out, sizeof out);
		assert_string_equal(out, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_repeat_values),
		cmocka_unit_test(test_help_every_level),
		cmocka_unit_test(test_run_exit_codes),
		cmocka_unit_test(test_lang),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
