/* Where `faxvault` finds its server URL and token, and the config file
 * that `faxvault login` writes.
 *
 * Precedence, highest first: flags (--url, --token), environment
 * (FAXVAULT_URL, FAXVAULT_TOKEN), the config file
 * ($XDG_CONFIG_HOME/faxvault/config, else ~/.config/faxvault/config, or
 * --config FILE), then the default URL. The file is INI-like:
 *
 *     # comment
 *     url = http://127.0.0.1:8080
 *     token = fvs_…
 *
 * A token stored in the file belongs to the URL stored with it: when the
 * URL comes from a flag or the environment and differs, the stored token is
 * not sent (so pointing the client elsewhere never leaks the session). */
#ifndef FV_CLI_CONFIG_H
#define FV_CLI_CONFIG_H

#include <stddef.h>

#include "buf.h"
#include "cli.h"

#define CLI_DEFAULT_URL "http://127.0.0.1:8080"
/* Longest config file we read; anything bigger is not ours. */
#define CLI_CONFIG_MAX (64 * 1024)

enum cli_src { CLI_SRC_NONE, CLI_SRC_DEFAULT, CLI_SRC_FILE, CLI_SRC_ENV, CLI_SRC_FLAG };

struct cli_conf {
	char *url;          /* owned; never NULL after cli_config_resolve() */
	char *token;        /* owned; NULL when there is none to send */
	char *path;         /* owned; config file path, NULL if none can be named */
	char *file_url;     /* owned; url stored in the file, or NULL */
	enum cli_src url_src, token_src;
	int file_loose;     /* the file is readable or writable by others */
	int token_withheld; /* the file had a token for another URL */
};

/* Parses config text text[0..n). Sets *url and *token to new strings
 * owned by the caller (NULL when absent). Blank lines and lines starting
 * with '#' or ';' are skipped; values may be quoted with "". Unknown keys
 * are ignored so that newer files still load. Returns 0, or -1 with
 * *errline set to the first malformed line (1-based) and nothing set. */
int cli_config_parse(const char *text, size_t n, char **url, char **token, unsigned *errline);

/* The default config path, owned by the caller: $XDG_CONFIG_HOME/faxvault/config
 * when xdg is an absolute path, else $HOME/.config/faxvault/config; NULL
 * when neither is usable. */
char *cli_config_default_path(const char *xdg, const char *home);

/* Reads and parses the file at path. A missing file is not an error (0,
 * nothing set). *loose is set to 1 when the file's mode lets group or
 * others read or write it. Returns 0, or -1 with a message in err. */
int cli_config_load(const char *path, char **url, char **token, int *loose, buf_t *err);

/* Writes url and token (token NULL: no token line) to path, replacing it
 * atomically: the parent directory is created with mode 0700 when missing,
 * the file is written to a temporary file with mode 0600, synced and
 * renamed. Returns 0, or -1 with a message in err. */
int cli_config_save(const char *path, const char *url, const char *token, buf_t *err);

/* Resolves url, token and config path from the flags (each may be NULL)
 * and env. Returns 0, or -1 with a message in err (malformed config file).
 * out must be released with cli_conf_free() in both cases. */
int cli_config_resolve(const char *flag_url, const char *flag_token, const char *flag_config,
	const struct cli_env *env, struct cli_conf *out, buf_t *err);

/* Releases the strings of c. NULL is a no-op. */
void cli_conf_free(struct cli_conf *c);

#endif
