/* Shared definitions of the `faxvault` command-line client: exit codes,
 * the environment snapshot and the per-invocation context every command
 * receives. */
#ifndef FV_CLI_H
#define FV_CLI_H

#include <stdio.h>

/* Exit codes; documented in `faxvault --help` and docs/cli.md. Scripts
 * depend on them: never renumber. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_ERROR = 1,      /* anything else (local I/O, broken audit chain) */
	CLI_EXIT_USAGE = 2,      /* bad command line */
	CLI_EXIT_UNAUTH = 3,     /* not authenticated (401, or no token) */
	CLI_EXIT_FORBIDDEN = 4,  /* 403 */
	CLI_EXIT_NOTFOUND = 5,   /* 404, 410 */
	CLI_EXIT_INVALID = 6,    /* 400, 409, 413, 415, 422 */
	CLI_EXIT_SERVER = 7,     /* 5xx, connection or protocol failure */
	CLI_EXIT_RATELIMIT = 8,  /* 429 */
};

/* What the process environment says, captured once so that tests can run
 * the whole client with a made-up environment. Each field may be NULL;
 * empty strings count as unset. Borrowed pointers. */
struct cli_env {
	const char *url;             /* FAXVAULT_URL */
	const char *token;           /* FAXVAULT_TOKEN */
	const char *xdg_config_home; /* XDG_CONFIG_HOME */
	const char *home;            /* HOME */
	const char *lang;            /* LC_ALL, else LC_MESSAGES, else LANG */
};

struct cli_args;
struct cli_conf;

/* One invocation. Everything here is owned by cli_run(); commands borrow. */
struct cli_ctx {
	FILE *out;                   /* results (tables, JSON) */
	FILE *err;                   /* errors, prompts, notices */
	const struct cli_args *args; /* parsed command line */
	const struct cli_conf *conf; /* resolved url, token, config path */
	int json;                    /* --json given */
	char lang[8];                /* Accept-Language ("fr"), or "" */
	int warned_insecure;         /* the clear-text warning was printed */
};

/* The language tag to ask the server for, from a POSIX locale name:
 * "fr_FR.UTF-8" gives "fr"; "C", "POSIX", empty or NULL give "". Writes
 * at most outlen bytes (NUL included) into out. */
void cli_lang_from_locale(const char *locale, char *out, size_t outlen);

/* Runs the client on argv with the given environment, writing to out and
 * err. Returns an enum cli_exit value. Never calls exit(). */
int cli_run(int argc, char **argv, const struct cli_env *env, FILE *out, FILE *err);

#endif
