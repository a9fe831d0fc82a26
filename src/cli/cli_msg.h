/* The client's messages for people, in English or French.
 *
 * Each invocation has one language: --lang, else the locale (LC_ALL, then
 * LC_MESSAGES, then LANG): "fr…" gives French, anything else English. A
 * message's English format is the key of its French in the catalogue
 * (src/common/i18n_fr.c), so callers write English and pass it to these
 * functions (or to cli_fail() and cli_usage(), which translate too);
 * scripts/i18n-check fails when a format has no French. The same language
 * is asked of the server (Accept-Language), so its problems match. */
#ifndef FV_CLI_MSG_H
#define FV_CLI_MSG_H

#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

/* Sets the language of the messages of this process ("fr": French; any
 * other value or NULL: English). cli_run() sets it for each invocation. */
void cli_msg_set_lang(const char *lang);
/* "fr" or "en". */
const char *cli_msg_lang(void);

/* en (a format or a text) in the language of the messages. Static. */
const char *cli_tr(const char *en) __attribute__((format_arg(1)));

/* Writes prefix_key (a translated "error: %s"-style format with one %s)
 * around the formatted message, then a newline, to f. */
void cli_msg_vprint(FILE *f, const char *prefix_key, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* "warning: …" on ctx->err; with --json the JSON object
 * {type: "urn:faxvault:cli:warning", detail} instead. */
void cli_warn(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "hint: …" on ctx->err; nothing with --json. */
void cli_hint(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A sentence on ctx->err (progress, what to do next); nothing with --json. */
void cli_note(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A sentence and a newline on ctx->out (the caller leaves it out with
 * --json, where the output is JSON only). */
void cli_say(struct cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
