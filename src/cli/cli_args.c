/* Argument parsing and --help text of `faxvault` (see cli_args.h). */
#include "cli_args.h"

#include <stdlib.h>
#include <string.h>

#include "cli_msg.h"
#include "xalloc.h"

static const struct cli_opt *opt_find(const struct cli_opt *opts, const char *name, size_t n)
{
	if (!opts)
		return NULL;
	for (const struct cli_opt *o = opts; o->name; o++)
		if (strlen(o->name) == n && memcmp(o->name, name, n) == 0)
			return o;
	return NULL;
}

static const struct cli_cmd *sub_find(const struct cli_cmd *cmd, const char *name)
{
	for (const struct cli_cmd *c = cmd->subs; c && c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct cli_cmd *cli_args_cmd(const struct cli_args *a)
{
	return a->depth ? a->path[a->depth - 1] : NULL;
}

void cli_args_cmd_name(const struct cli_args *a, buf_t *out)
{
	for (size_t i = 0; i < a->depth; i++)
		buf_printf(out, "%s%s", i ? " " : "", a->path[i]->name);
}

static size_t count_opt(const struct cli_args *a, const struct cli_opt *o)
{
	size_t n = 0;
	for (size_t i = 0; i < a->nopts; i++)
		if (a->opts[i].opt == o)
			n++;
	return n;
}

int cli_args_parse(const struct cli_cmd *root, const struct cli_opt *globals,
	int argc, char **argv, struct cli_args *out, buf_t *err)
{
	memset(out, 0, sizeof *out);
	size_t cap = argc > 0 ? (size_t)argc : 1;
	out->opts = xcalloc(cap, sizeof *out->opts);
	out->pos = xcalloc(cap, sizeof *out->pos);
	out->path[0] = root;
	out->depth = 1;
	int only_pos = 0;

	for (int i = 1; i < argc; i++) {
		const char *t = argv[i];
		const struct cli_cmd *cmd = cli_args_cmd(out);
		int is_opt = !only_pos && t[0] == '-' && t[1] != '\0';
		if (is_opt && strcmp(t, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (is_opt && (strcmp(t, "-h") == 0 || strcmp(t, "--help") == 0)) {
			out->help = 1;
			continue;
		}
		if (is_opt) {
			if (t[1] != '-') {
				buf_printf(err, cli_tr("unknown option '%.64s' (options are long: --name)"), t);
				return -1;
			}
			const char *name = t + 2;
			const char *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);
			const struct cli_opt *o = NULL;
			if (!cmd->subs)
				o = opt_find(cmd->opts, name, n);
			if (!o)
				o = opt_find(globals, name, n);
			if (!o) {
				buf_printf(err, cli_tr("unknown option '--%.*s'"), (int)(n > 64 ? 64 : n), name);
				return -1;
			}
			const char *value = NULL;
			if (o->metavar) {
				if (eq) {
					value = eq + 1;
				} else if (i + 1 < argc) {
					value = argv[++i];
				} else {
					buf_printf(err, cli_tr("option '--%s' needs a value (%s)"), o->name, o->metavar);
					return -1;
				}
			} else if (eq) {
				buf_printf(err, cli_tr("option '--%s' takes no value"), o->name);
				return -1;
			}
			if (!(o->flags & CLI_OPT_REPEAT) && count_opt(out, o) > 0) {
				buf_printf(err, cli_tr("option '--%s' given more than once"), o->name);
				return -1;
			}
			out->opts[out->nopts].opt = o;
			out->opts[out->nopts].value = value;
			out->nopts++;
			continue;
		}
		if (cmd->subs) {
			const struct cli_cmd *sub = sub_find(cmd, t);
			if (!sub) {
				buf_printf(err, cli_tr("unknown command '%.64s'"), t);
				return -1;
			}
			if (out->depth >= CLI_DEPTH_MAX) {
				buf_puts(err, cli_tr("command nesting too deep"));
				return -1;
			}
			out->path[out->depth++] = sub;
			continue;
		}
		out->pos[out->npos++] = t;
	}

	if (out->help)
		return 0;
	const struct cli_cmd *cmd = cli_args_cmd(out);
	if (cmd->subs) {
		buf_puts(err, cli_tr("missing command"));
		return -1;
	}
	if (out->npos < cmd->min_pos) {
		buf_printf(err, cmd->min_pos > 1 ? cli_tr("missing arguments: %s") : cli_tr("missing argument: %s"),
			cmd->positional ? cmd->positional : "?");
		return -1;
	}
	if (out->npos > cmd->max_pos) {
		buf_printf(err, cli_tr("unexpected argument '%.64s'"), out->pos[cmd->max_pos]);
		return -1;
	}
	for (const struct cli_opt *o = cmd->opts; o && o->name; o++) {
		if ((o->flags & CLI_OPT_REQUIRED) && count_opt(out, o) == 0) {
			buf_printf(err, cli_tr("missing option '--%s %s'"), o->name, o->metavar ? o->metavar : "");
			return -1;
		}
	}
	return 0;
}

void cli_args_free(struct cli_args *a)
{
	if (!a)
		return;
	free(a->opts);
	free(a->pos);
	a->opts = NULL;
	a->pos = NULL;
	a->nopts = a->npos = 0;
}

static const struct cli_optval *nth(const struct cli_args *a, const char *name, size_t want)
{
	size_t seen = 0;
	for (size_t i = 0; i < a->nopts; i++) {
		if (strcmp(a->opts[i].opt->name, name) != 0)
			continue;
		if (seen++ == want)
			return &a->opts[i];
	}
	return NULL;
}

size_t cli_args_count(const struct cli_args *a, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].opt->name, name) == 0)
			n++;
	return n;
}

const char *cli_args_nth(const struct cli_args *a, const char *name, size_t i)
{
	const struct cli_optval *v = nth(a, name, i);
	return v ? v->value : NULL;
}

const char *cli_args_get(const struct cli_args *a, const char *name)
{
	size_t n = cli_args_count(a, name);
	return n ? cli_args_nth(a, name, n - 1) : NULL;
}

int cli_args_has(const struct cli_args *a, const char *name)
{
	return cli_args_count(a, name) > 0;
}

/* Appends "  --name METAVAR   help" lines, aligned at width. */
static void help_opts(const struct cli_opt *opts, size_t width, buf_t *out)
{
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		buf_t left;
		buf_init(&left, 256);
		buf_printf(&left, "--%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
		buf_printf(out, "  %-*s  %s%s%s\n", (int)width, left.data, o->help ? o->help : "",
			(o->flags & CLI_OPT_REQUIRED) ? " (required)" : "",
			(o->flags & CLI_OPT_REPEAT) ? " (repeatable)" : "");
		buf_free(&left);
	}
}

static size_t opts_width(const struct cli_opt *opts, size_t w)
{
	for (const struct cli_opt *o = opts; o && o->name; o++) {
		size_t n = 2 + strlen(o->name) + (o->metavar ? 1 + strlen(o->metavar) : 0);
		if (n > w)
			w = n;
	}
	return w;
}

/* Appends text wrapped at 78 columns (breaking at spaces), then "\n". */
static void wrap(const char *text, buf_t *out)
{
	const size_t cols = 78;
	const char *p = text;
	while (*p) {
		size_t n = strlen(p);
		const char *nl = strchr(p, '\n');
		size_t line = nl ? (size_t)(nl - p) : n;
		size_t take = line;
		if (take > cols) {
			take = cols;
			while (take > 0 && p[take] != ' ')
				take--;
			if (take == 0)
				take = cols;
		}
		buf_append(out, p, take);
		buf_puts(out, "\n");
		p += take;
		while (*p == ' ')
			p++;
		if (take == line && *p == '\n')
			p++;
	}
}

void cli_args_help(const struct cli_args *a, const struct cli_opt *globals,
	const char *root_epilogue, buf_t *out)
{
	const struct cli_cmd *cmd = cli_args_cmd(a);
	buf_t name;
	buf_init(&name, 512);
	cli_args_cmd_name(a, &name);

	buf_printf(out, "Usage: %s", name.data);
	if (cmd->subs) {
		buf_puts(out, " COMMAND [options]\n");
	} else {
		for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
			if (o->flags & CLI_OPT_REQUIRED)
				buf_printf(out, " --%s %s", o->name, o->metavar ? o->metavar : "");
		buf_puts(out, " [options]");
		if (cmd->positional)
			buf_printf(out, " %s", cmd->positional);
		buf_puts(out, "\n");
	}
	buf_puts(out, "\n");
	wrap(cmd->summary, out);
	if (cmd->description) {
		buf_puts(out, "\n");
		wrap(cmd->description, out);
	}

	if (cmd->subs) {
		size_t w = 0;
		for (const struct cli_cmd *c = cmd->subs; c->name; c++)
			if (strlen(c->name) > w)
				w = strlen(c->name);
		buf_puts(out, "\nCommands:\n");
		for (const struct cli_cmd *c = cmd->subs; c->name; c++)
			buf_printf(out, "  %-*s  %s\n", (int)w, c->name, c->summary);
	}
	size_t w = opts_width(globals, opts_width(cmd->subs ? NULL : cmd->opts, 0));
	if (!cmd->subs && cmd->opts && cmd->opts[0].name) {
		buf_puts(out, "\nOptions:\n");
		help_opts(cmd->opts, w, out);
	}
	buf_puts(out, "\nGlobal options:\n");
	help_opts(globals, w, out);
	buf_printf(out, "  %-*s  %s\n", (int)w, "-h, --help", "show this help");
	if (cmd->subs)
		buf_printf(out, "\nRun '%s COMMAND --help' for the options of a command.\n", name.data);
	if (a->depth == 1 && root_epilogue)
		buf_printf(out, "\n%s", root_epilogue);
	buf_free(&name);
}
