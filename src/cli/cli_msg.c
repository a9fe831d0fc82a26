/* Messages in the invocation's language (see cli_msg.h). */
#include "cli_msg.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "i18n.h"

/* The client runs one invocation at a time: its language is the process's. */
static const char *msg_lang = "en";

void cli_msg_set_lang(const char *lang)
{
	msg_lang = i18n_is_fr(lang) ? "fr" : "en";
}

const char *cli_msg_lang(void)
{
	return msg_lang;
}

const char *cli_tr(const char *en)
{
	return i18n_fmt(msg_lang, en);
}

/* Writes the translated frame (text around one "%s") with text in it. */
static void put_framed(FILE *f, const char *frame_key, const char *text)
{
	const char *frame = frame_key ? cli_tr(frame_key) : "%s";
	const char *at = strstr(frame, "%s");
	if (!at) {
		fputs(text, f);
		return;
	}
	fwrite(frame, 1, (size_t)(at - frame), f);
	fputs(text, f);
	fputs(at + 2, f);
}

void cli_msg_vprint(FILE *f, const char *prefix_key, const char *fmt, va_list ap)
{
	buf_t b;
	buf_init(&b, 1 << 16);
	buf_vprintf(&b, cli_tr(fmt), ap);
	put_framed(f, prefix_key, b.data ? b.data : "");
	fputc('\n', f);
	buf_free(&b);
}

void cli_warn(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (ctx->json) {
		buf_t b;
		buf_init(&b, 1 << 16);
		buf_vprintf(&b, cli_tr(fmt), ap);
		json_t *o = json_pack("{s:s, s:s}", "type", "urn:faxvault:cli:warning", "detail",
			b.data ? b.data : "");
		char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (line)
			fprintf(ctx->err, "%s\n", line);
		free(line);
		json_decref(o);
		buf_free(&b);
	} else {
		cli_msg_vprint(ctx->err, I18N("warning: %s"), fmt, ap);
	}
	va_end(ap);
}

void cli_hint(struct cli_ctx *ctx, const char *fmt, ...)
{
	if (ctx->json)
		return;
	va_list ap;
	va_start(ap, fmt);
	cli_msg_vprint(ctx->err, I18N("hint: %s"), fmt, ap);
	va_end(ap);
}

void cli_note(struct cli_ctx *ctx, const char *fmt, ...)
{
	if (ctx->json)
		return;
	va_list ap;
	va_start(ap, fmt);
	cli_msg_vprint(ctx->err, NULL, fmt, ap);
	va_end(ap);
}

void cli_say(struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_msg_vprint(ctx->out, NULL, fmt, ap);
	va_end(ap);
}
