/* Command tree and argument parsing of `faxvault`.
 *
 * Commands form a tree (root -> groups -> leaves). Words select the path
 * through the tree; only long options (`--name VALUE`, `--name=VALUE`) and
 * `-h` exist. Global options are accepted at every level, a leaf's own
 * options only after its name. The parser is a pure function of argv and
 * the tree, so it is tested table-driven. */
#ifndef FV_CLI_ARGS_H
#define FV_CLI_ARGS_H

#include <stddef.h>

#include "buf.h"

struct cli_ctx;

enum {
	CLI_OPT_REQUIRED = 1u << 0, /* must be given */
	CLI_OPT_REPEAT = 1u << 1,   /* may be given more than once */
};

/* One option. metavar NULL means a flag that takes no value.
 * Arrays of options end with an entry whose name is NULL. */
struct cli_opt {
	const char *name;    /* without the leading "--" */
	const char *metavar; /* e.g. "ID"; NULL for flags */
	unsigned flags;
	const char *help;
};

typedef int (*cli_run_fn)(struct cli_ctx *ctx);

/* A node of the tree: a group (subs != NULL) or a leaf (run != NULL).
 * Arrays of commands end with an entry whose name is NULL. */
struct cli_cmd {
	const char *name;
	const char *summary;      /* one line, shown in the parent's list */
	const char *positional;   /* usage of positional arguments, e.g. "ID" */
	const char *description;  /* optional paragraph shown by --help */
	const struct cli_opt *opts;
	unsigned min_pos, max_pos;
	cli_run_fn run;
	const struct cli_cmd *subs;
};

#define CLI_DEPTH_MAX 8

struct cli_optval {
	const struct cli_opt *opt;
	const char *value; /* borrowed from argv; NULL for flags */
};

/* The result of parsing. Values point into argv (borrowed); the arrays
 * are owned and released with cli_args_free(). */
struct cli_args {
	const struct cli_cmd *path[CLI_DEPTH_MAX]; /* path[0] is the root */
	size_t depth;                              /* entries used in path */
	struct cli_optval *opts;
	size_t nopts;
	const char **pos;
	size_t npos;
	int help; /* -h or --help seen: the caller prints help of cli_args_cmd() */
};

/* Parses argv[1..argc) against root and the global options (NULL-terminated
 * array). On success returns 0. On a usage error returns -1 with a one-line
 * message in err; out->path still names the deepest command reached, so the
 * caller can show its usage. out must be released with cli_args_free() in
 * both cases. When --help is seen, required options and positional counts
 * are not checked. */
int cli_args_parse(const struct cli_cmd *root, const struct cli_opt *globals,
	int argc, char **argv, struct cli_args *out, buf_t *err);

/* Releases the arrays of a; a is then empty. NULL is a no-op. */
void cli_args_free(struct cli_args *a);

/* The deepest command reached. */
const struct cli_cmd *cli_args_cmd(const struct cli_args *a);

/* Full name of the command reached ("faxvault users list") into out. */
void cli_args_cmd_name(const struct cli_args *a, buf_t *out);

/* Last value of option name (borrowed), or NULL when not given. For flags
 * use cli_args_has(). */
const char *cli_args_get(const struct cli_args *a, const char *name);
int cli_args_has(const struct cli_args *a, const char *name);
/* Number of times name was given, and the i-th value (0-based). */
size_t cli_args_count(const struct cli_args *a, const char *name);
const char *cli_args_nth(const struct cli_args *a, const char *name, size_t i);

/* Writes the --help text of the command at the end of a's path into out:
 * usage line, description, sub-commands or options, global options. The
 * root's help also carries the epilogue (exit codes, configuration). */
void cli_args_help(const struct cli_args *a, const struct cli_opt *globals,
	const char *root_epilogue, buf_t *out);

#endif
