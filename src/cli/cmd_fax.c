/* Faxes: `faxvault fax send|status|list|cancel|resend|download|preview`,
 * and the pieces the other commands of the fax service share (amounts,
 * durations, display fields, saving a downloaded file). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_cmd.h"
#include "cli_msg.h"
#include "i18n.h"
#include "cli_http.h"
#include "fdio.h"
#include "money.h"
#include "numparse.h"
#include "xalloc.h"

/* Files one submission may carry (the server has its own page limit). */
#define FAX_FILES_MAX 64
/* Recipients one submission may name. */
#define FAX_TO_MAX 100
/* Submitting renders every document before answering: allow for it. */
#define FAX_SEND_TIMEOUT_S 600L
/* Polling of --wait: first and longest pause between two looks. */
#define FAX_WAIT_FIRST_MS 1000
#define FAX_WAIT_MAX_MS 15000
/* Largest page number asked for by preview. */
#define FAX_PAGE_MAX 100000

static const char pdf_magic[4] = { '%', 'P', 'D', 'F' };
static const char png_magic[8] = { '\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n' };

/* ---- pure helpers ------------------------------------------------------ */

int cli_fax_final(const char *status)
{
	static const char *const finals[] = { "delivered", "received", "partial", "failed", "cancelled" };
	for (size_t i = 0; status && i < sizeof finals / sizeof finals[0]; i++)
		if (strcmp(status, finals[i]) == 0)
			return 1;
	return 0;
}

int cli_fax_wait_code(const json_t *faxes)
{
	size_t i;
	const json_t *f;
	if (!json_is_array(faxes) || json_array_size(faxes) == 0)
		return CLI_EXIT_ERROR;
	json_array_foreach(faxes, i, f) {
		const char *st = json_string_value(json_object_get(f, "status"));
		if (!st || strcmp(st, "delivered") != 0)
			return CLI_EXIT_ERROR;
	}
	return CLI_EXIT_OK;
}

const char *cli_fax_media_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "pdf", "application/pdf" }, { "tif", "image/tiff" }, { "tiff", "image/tiff" },
		{ "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
		{ "txt", "text/plain" }, { "text", "text/plain" },
	};
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base)
		return NULL;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(dot + 1, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

void cli_money(json_int_t minor, const char *currency, buf_t *out)
{
	if (!currency || !currency[0]) {
		buf_printf(out, "%" JSON_INTEGER_FORMAT, minor);
		return;
	}
	char num[32];
	buf_puts(out, money_decimal(minor, currency, num, sizeof num));
	buf_puts(out, " ");
	cli_out_sanitize(currency, out);
}

void cli_duration(json_int_t ms, buf_t *out)
{
	if (ms < 0)
		ms = 0;
	json_int_t s = ms / 1000 + (ms % 1000 >= 500);
	if (s < 60)
		buf_printf(out, "%" JSON_INTEGER_FORMAT "s", s);
	else if (s < 3600)
		buf_printf(out, "%" JSON_INTEGER_FORMAT "m%02" JSON_INTEGER_FORMAT "s", s / 60, s % 60);
	else
		buf_printf(out, "%" JSON_INTEGER_FORMAT "h%02" JSON_INTEGER_FORMAT "m", s / 3600,
			(s % 3600) / 60);
}

/* Sets key of obj to the text of b, when b holds any. */
static void set_text(json_t *obj, const char *key, buf_t *b)
{
	if (b->len)
		json_object_set_new(obj, key, json_stringn(b->data, b->len));
	buf_reset(b);
}

/* "A/B" from two integer fields; nothing when the second is missing. */
static void ratio(const json_t *obj, const char *num, const char *den, buf_t *out)
{
	const json_t *n = json_object_get(obj, num), *d = json_object_get(obj, den);
	if (!json_is_integer(d))
		return;
	buf_printf(out, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
		json_is_integer(n) ? json_integer_value(n) : (json_int_t)0, json_integer_value(d));
}

/* The amount at key with the currency of obj (or of currency_from). */
static void amount(const json_t *obj, const char *key, const char *currency, buf_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		cli_money(json_integer_value(v), currency, out);
}

/* "class: reason", or whichever of the two is there. */
static void failure(const json_t *obj, buf_t *out)
{
	const char *cls = json_string_value(json_object_get(obj, "failure_class"));
	const char *why = json_string_value(json_object_get(obj, "failure_reason"));
	if (cls && cls[0])
		cli_out_sanitize(cls, out);
	if (cls && cls[0] && why && why[0])
		buf_puts(out, ": ");
	if (why && why[0])
		cli_out_sanitize(why, out);
}

/* The per-page statuses as runs: "1-2 confirmed, 3 failed". */
static void page_runs(const json_t *pages, buf_t *out)
{
	size_t n = json_array_size(pages);
	size_t i = 0;
	while (i < n) {
		const json_t *p = json_array_get(pages, i);
		const char *st = json_string_value(json_object_get(p, "status"));
		json_int_t first = json_integer_value(json_object_get(p, "page")), last = first;
		size_t j = i + 1;
		for (; j < n; j++) {
			const json_t *q = json_array_get(pages, j);
			const char *qs = json_string_value(json_object_get(q, "status"));
			json_int_t qn = json_integer_value(json_object_get(q, "page"));
			/* The numbers come from the server: no overflow on a hostile one. */
			if (last == LLONG_MAX || qn != last + 1 || !st || !qs || strcmp(st, qs) != 0)
				break;
			last = qn;
		}
		if (i)
			buf_puts(out, ", ");
		if (last != first)
			buf_printf(out, "%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT " ", first, last);
		else
			buf_printf(out, "%" JSON_INTEGER_FORMAT " ", first);
		cli_out_sanitize(st ? st : "?", out);
		i = j;
	}
}

/* Display fields of an attempt or a CDR (they share their fields). */
static void decorate_call(json_t *a, const char *currency)
{
	buf_t b;
	buf_init(&b, 4096);
	const json_t *d = json_object_get(a, "duration_ms");
	if (json_is_integer(d))
		cli_duration(json_integer_value(d), &b);
	set_text(a, "_duration", &b);
	ratio(a, "pages_confirmed", "pages_sent", &b);
	set_text(a, "_pages", &b);
	const json_t *code = json_object_get(a, "t30_code");
	const char *text = json_string_value(json_object_get(a, "t30_text"));
	if (json_is_integer(code))
		buf_printf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(code));
	else if (json_is_string(code))
		cli_out_sanitize(json_string_value(code), &b);
	if (text && text[0]) {
		if (b.len)
			buf_puts(&b, " ");
		cli_out_sanitize(text, &b);
	}
	set_text(a, "_t30", &b);
	const char *cur = json_string_value(json_object_get(a, "currency"));
	amount(a, "cost", cur ? cur : currency, &b);
	set_text(a, "_cost", &b);
	buf_free(&b);
}

void cli_fax_decorate(json_t *fax)
{
	buf_t b;
	buf_init(&b, (size_t)1 << 20);
	const char *cur = json_string_value(json_object_get(fax, "currency"));
	ratio(fax, "pages_confirmed", "page_count", &b);
	set_text(fax, "_pages", &b);
	amount(fax, "estimated_cost", cur, &b);
	set_text(fax, "_est_cost", &b);
	amount(fax, "cost", cur, &b);
	set_text(fax, "_cost", &b);
	failure(fax, &b);
	set_text(fax, "_failure", &b);
	page_runs(json_object_get(fax, "pages"), &b);
	set_text(fax, "_page_runs", &b);
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(fax, "attempts"), i, a)
		if (json_is_object(a))
			decorate_call(a, cur);
	buf_free(&b);
}

void cli_cdr_decorate(json_t *cdr)
{
	decorate_call(cdr, NULL);
}

static const struct cli_col fax_cols[] = {
	{ "ID", "id" }, { "TO", "to" }, { "PAGES", "page_count" }, { "STATUS", "status" },
	{ "EST. COST", "_est_cost" },
};

static const struct cli_col fax_list_cols[] = {
	{ "ID", "id" }, { "DIRECTION", "direction" }, { "FROM", "from" }, { "TO", "to" },
	{ "PAGES", "_pages|page_count" }, { "STATUS", "status" }, { "CREATED", "created_at" },
};

static const struct cli_col fax_final_cols[] = {
	{ "ID", "id" }, { "TO", "to" }, { "PAGES", "_pages|page_count" }, { "STATUS", "status" },
	{ "COST", "_cost" }, { "FAILURE", "_failure" },
};

static const struct cli_col fax_fields[] = {
	{ "ID", "id" }, { "Direction", "direction" }, { "Status", "status" }, { "From", "from" },
	{ "To", "to" }, { "Pages confirmed", "_pages|page_count" }, { "Page status", "_page_runs" },
	{ "Resolution", "resolution" }, { "Attempts made", "attempts_made" },
	{ "Next attempt", "next_attempt_at" }, { "Failure", "_failure" },
	{ "Estimated cost", "_est_cost" }, { "Cost", "_cost" }, { "Created", "created_at" },
	{ "Updated", "updated_at" }, { "Completed", "completed_at" },
};

static const struct cli_col attempt_cols[] = {
	{ "#", "attempt" }, { "STARTED", "started_at" }, { "DURATION", "_duration" },
	{ "PAGES", "_pages" }, { "TRANSPORT", "transport" }, { "BIT RATE", "bit_rate" },
	{ "ECM", "ecm" }, { "REMOTE", "remote_ident" }, { "T.30", "_t30" }, { "RESULT", "result" },
	{ "FAILURE", "failure_class" },
};

void cli_fax_format(const json_t *fax, buf_t *out)
{
	json_t *f = json_deep_copy(fax);
	if (!json_is_object(f)) {
		json_decref(f);
		return;
	}
	cli_fax_decorate(f);
	cli_out_kv(fax_fields, CLI_NCOLS(fax_fields), f, out);
	const json_t *attempts = json_object_get(f, "attempts");
	if (json_array_size(attempts) > 0) {
		buf_puts(out, "\nAttempts:\n");
		cli_out_table(attempt_cols, CLI_NCOLS(attempt_cols), attempts, out);
	}
	json_decref(f);
}

/* ---- shared with the other commands ------------------------------------ */

int cli_save_ok(struct cli_ctx *ctx, const char *path, int force)
{
	struct stat st;
	if (force || strcmp(path, "-") == 0 || lstat(path, &st) != 0)
		return 0;
	return cli_fail(ctx, CLI_EXIT_ERROR, "%s exists: add --force to replace it", path);
}

int cli_save_file(struct cli_ctx *ctx, const char *path, const void *data, size_t n, int force)
{
	if (strcmp(path, "-") == 0) {
		if (n && fwrite(data, 1, n, ctx->out) != n)
			return cli_fail(ctx, CLI_EXIT_ERROR, "cannot write to standard output");
		return 0;
	}
	/* Fax documents are personal data: only the owner may read the copy. */
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL);
	int fd = open(path, flags, 0600);
	if (fd < 0 && errno == EEXIST)
		return cli_fail(ctx, CLI_EXIT_ERROR, "%s exists: add --force to replace it", path);
	if (fd < 0)
		return cli_fail(ctx, CLI_EXIT_ERROR, "cannot write %s: %s", path, strerror(errno));
	int rc = 0;
	if (n && fd_write_all(fd, data, n) != 0)
		rc = cli_fail(ctx, CLI_EXIT_ERROR, "cannot write %s: %s", path, strerror(errno));
	if (rc == 0 && fchmod(fd, 0600) != 0) /* a replaced file keeps its mode otherwise */
		rc = cli_fail(ctx, CLI_EXIT_ERROR, "cannot restrict %s: %s", path, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = cli_fail(ctx, CLI_EXIT_ERROR, "cannot write %s: %s", path, strerror(errno));
	if (rc != 0)
		unlink(path); /* no truncated copy left behind */
	return rc;
}

/* ---- commands ---------------------------------------------------------- */

/* Prints faxes (a JSON array) as a table with cols. */
static void print_faxes(struct cli_ctx *ctx, json_t *faxes, const struct cli_col *cols, size_t ncols)
{
	size_t i;
	json_t *f;
	json_array_foreach(faxes, i, f)
		if (json_is_object(f))
			cli_fax_decorate(f);
	buf_t t;
	buf_init(&t, (size_t)1 << 26);
	cli_out_table(cols, ncols, faxes, &t);
	cli_out_write(ctx->out, &t);
	buf_free(&t);
}

/* The faxes of an answer: its "items", or the answer itself as one fax.
 * A new reference, or NULL when the answer holds neither. */
static json_t *answer_faxes(json_t *res)
{
	json_t *items = json_object_get(res, "items");
	if (json_is_array(items))
		return json_incref(items);
	if (json_is_string(json_object_get(res, "id")))
		return json_pack("[O]", res);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Polls every fax of faxes (replaced in place by its latest state) until
 * each is final, noting each change of status on stderr. 0 or an exit
 * code. */
static int wait_final(struct cli_ctx *ctx, json_t *faxes)
{
	long pause = FAX_WAIT_FIRST_MS;
	for (;;) {
		int pending = 0;
		for (size_t i = 0; i < json_array_size(faxes); i++) {
			json_t *f = json_array_get(faxes, i);
			const char *st = json_string_value(json_object_get(f, "status"));
			if (cli_fax_final(st))
				continue;
			const char *id = json_string_value(json_object_get(f, "id"));
			if (!id)
				return cli_fail(ctx, CLI_EXIT_SERVER, "the server's fax has no \"id\"");
			char *path = cli_http_path("/v1/faxes/%s", id);
			json_t *now = NULL;
			int rc = cli_api(ctx, "GET", path, NULL, CLI_AUTH_REQUIRED, &now);
			free(path);
			if (rc != CLI_EXIT_OK)
				return rc;
			const char *nst = json_string_value(json_object_get(now, "status"));
			if (!nst) {
				json_decref(now);
				return cli_fail(ctx, CLI_EXIT_SERVER, "the server's fax has no \"status\"");
			}
			if (!st || strcmp(st, nst) != 0) {
				buf_t line;
				buf_init(&line, 4096);
				cli_out_sanitize(id, &line);
				buf_puts(&line, ": ");
				cli_out_sanitize(nst, &line);
				char *pages = cli_out_cell(now, "pages_confirmed");
				char *count = cli_out_cell(now, "page_count");
				/* Progress on standard error, with --json too. */
				fprintf(ctx->err, cli_tr("%s (%s/%s pages confirmed)"), cli_buf_str(&line), pages,
					count);
				fputc('\n', ctx->err);
				free(pages);
				free(count);
				buf_free(&line);
			}
			pending += !cli_fax_final(nst);
			json_array_set_new(faxes, i, now);
		}
		if (!pending)
			return 0;
		sleep_ms(pause);
		pause = pause * 2 > FAX_WAIT_MAX_MS ? FAX_WAIT_MAX_MS : pause * 2;
	}
}

static const struct cli_opt send_opts[] = {
	{ "to", "NUMBER[,NUMBER...]", CLI_OPT_REQUIRED | CLI_OPT_REPEAT,
		"a recipient, E.164 (+33123456789); one fax per recipient" },
	{ "cover-text", "TEXT", 0, "add a cover page with this text" },
	{ "cover-subject", "TEXT", 0, "subject of the cover page" },
	{ "header", "TEXT", 0, "the line printed at the top of each page" },
	{ "send-at", "TIME", 0, "send at this time (RFC 3339), not now" },
	{ "retries", "N", 0, "attempts after the first when a call fails" },
	{ "retry-delay", "SECONDS", 0, "pause before the first retry (doubles each time)" },
	{ "fine", NULL, 0, "fine resolution (196 lines per inch) instead of standard" },
	{ "wait", NULL, 0, "wait until every fax is final; exit 0 only when all are delivered" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

/* Checks that path names a regular file we can read. 0 or exit 1. */
int cli_file_readable(struct cli_ctx *ctx, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(ctx, CLI_EXIT_ERROR, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = cli_fail(ctx, CLI_EXIT_ERROR, "%s is not a regular file", path);
	close(fd);
	return rc;
}

/* Adds a text part name=value when value is not NULL. */
static void add_field(struct cli_http_part *parts, size_t *n, const char *name, const char *value)
{
	if (!value)
		return;
	parts[*n] = (struct cli_http_part){ .name = name, .value = value };
	(*n)++;
}

static int fax_send(struct cli_ctx *ctx)
{
	const struct cli_args *a = ctx->args;
	if (a->npos > FAX_FILES_MAX)
		return cli_usage(ctx, "at most %d files per fax", FAX_FILES_MAX);
	json_t *to = cli_opt_list(ctx, "to");
	int rc = 0;
	size_t i;
	json_t *v;
	if (json_array_size(to) == 0)
		rc = cli_usage(ctx, "--to needs at least one number");
	else if (json_array_size(to) > FAX_TO_MAX)
		rc = cli_usage(ctx, "at most %d recipients per submission", FAX_TO_MAX);
	json_array_foreach(to, i, v) {
		if (rc == 0 && !cli_e164_ok(json_string_value(v)))
			rc = cli_usage(ctx, "--to %s is not an E.164 number (+ and the country code, "
				"then digits: +33123456789)", json_string_value(v));
	}
	int64_t num;
	int given;
	if (rc == 0)
		rc = cli_check_time(ctx, "send-at");
	if (rc == 0)
		rc = cli_opt_int(ctx, "retries", 0, INT32_MAX, &num, &given);
	if (rc == 0)
		rc = cli_opt_int(ctx, "retry-delay", 0, INT32_MAX, &num, &given);
	for (size_t k = 0; rc == 0 && k < a->npos; k++)
		rc = cli_file_readable(ctx, a->pos[k]);
	if (rc != 0) {
		json_decref(to);
		return rc;
	}

	size_t cap = a->npos + json_array_size(to) + 8, n = 0;
	struct cli_http_part *parts = xcalloc(cap, sizeof *parts);
	for (size_t k = 0; k < a->npos; k++)
		parts[n++] = (struct cli_http_part){ .name = "file", .file = a->pos[k],
			.type = cli_fax_media_type(a->pos[k]) };
	json_array_foreach(to, i, v)
		add_field(parts, &n, "to", json_string_value(v));
	add_field(parts, &n, "cover_text", cli_opt(ctx, "cover-text"));
	add_field(parts, &n, "cover_subject", cli_opt(ctx, "cover-subject"));
	add_field(parts, &n, "header_text", cli_opt(ctx, "header"));
	add_field(parts, &n, "send_at", cli_opt(ctx, "send-at"));
	add_field(parts, &n, "retries", cli_opt(ctx, "retries"));
	add_field(parts, &n, "retry_delay_seconds", cli_opt(ctx, "retry-delay"));
	add_field(parts, &n, "resolution", cli_args_has(a, "fine") ? "fine" : NULL);

	struct cli_call call = { .method = "POST", .path = "/v1/faxes", .auth = CLI_AUTH_REQUIRED,
		.timeout_s = FAX_SEND_TIMEOUT_S, .parts = parts, .nparts = n };
	struct cli_result res;
	rc = cli_api_call(ctx, &call, &res);
	free(parts);
	json_decref(to);
	if (rc != CLI_EXIT_OK) {
		cli_result_free(&res);
		return rc;
	}
	json_t *faxes = answer_faxes(res.json);
	if (!faxes) {
		cli_result_free(&res);
		return cli_fail(ctx, CLI_EXIT_SERVER, "the server's answer has no \"items\" list");
	}
	int wait = cli_args_has(a, "wait");
	if (ctx->json && !wait) {
		cli_out_json(ctx->out, res.json);
	} else if (!ctx->json) {
		cli_say(ctx, json_array_size(faxes) == 1 ? "%zu fax accepted:" : "%zu faxes accepted:",
			json_array_size(faxes));
		print_faxes(ctx, faxes, fax_cols, CLI_NCOLS(fax_cols));
		if (!wait)
			cli_say(ctx, "Rendering: the pages are counted after this answer (until then, "
				"at least one per file); 'faxvault fax status ID' shows them.");
	}
	if (wait) {
		rc = wait_final(ctx, faxes);
		if (rc == CLI_EXIT_OK && ctx->json) {
			json_t *o = json_pack("{s:O}", "items", faxes);
			cli_out_json(ctx->out, o);
			json_decref(o);
		} else if (rc == CLI_EXIT_OK) {
			cli_say(ctx, "\nFinal:");
			print_faxes(ctx, faxes, fax_final_cols, CLI_NCOLS(fax_final_cols));
		}
		if (rc == CLI_EXIT_OK)
			rc = cli_fax_wait_code(faxes);
		if (rc == CLI_EXIT_ERROR)
			cli_fail(ctx, rc, "not every fax was delivered");
	}
	json_decref(faxes);
	cli_result_free(&res);
	return rc;
}

static int fax_status(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/faxes/%s", cli_pos(ctx, 0));
	json_t *res = NULL;
	int rc = cli_api(ctx, "GET", path, NULL, CLI_AUTH_REQUIRED, &res);
	free(path);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		buf_t t;
		buf_init(&t, (size_t)1 << 26);
		cli_fax_format(res, &t);
		cli_out_write(ctx->out, &t);
		buf_free(&t);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static const struct cli_opt list_opts[] = {
	{ "inbound", NULL, 0, "only faxes received" },
	{ "outbound", NULL, 0, "only faxes sent" },
	{ "status", "STATUS", 0, "only faxes in this status (queued, sending, delivered, ...)" },
	CLI_LIST_OPTS,
	{ NULL, NULL, 0, NULL },
};

static int fax_list(struct cli_ctx *ctx)
{
	int in = cli_args_has(ctx->args, "inbound"), outb = cli_args_has(ctx->args, "outbound");
	if (in && outb)
		return cli_usage(ctx, "--inbound and --outbound exclude each other");
	buf_t path;
	buf_init(&path, (size_t)1 << 16);
	buf_puts(&path, "/v1/faxes");
	cli_http_query_add(&path, "direction", in ? "inbound" : outb ? "outbound" : NULL);
	cli_http_query_add(&path, "status", cli_opt(ctx, "status"));
	int rc = cli_list_with(ctx, path.data, fax_list_cols, CLI_NCOLS(fax_list_cols),
		cli_fax_decorate);
	buf_free(&path);
	return rc;
}

static const struct cli_col brief_fields[] = {
	{ "ID", "id" }, { "Status", "status" }, { "To", "to" }, { "Pages", "page_count" },
};

static int fax_cancel(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/faxes/%s/cancel", cli_pos(ctx, 0));
	int rc = cli_show(ctx, "POST", path, NULL, brief_fields, CLI_NCOLS(brief_fields),
		"Fax cancelled.");
	free(path);
	return rc;
}

static const struct cli_opt resend_opts[] = {
	{ "all-pages", NULL, 0, "send every page again (default: only those not confirmed)" },
	CLI_IDEMPOTENCY_OPT,
	{ NULL, NULL, 0, NULL },
};

static int fax_resend(struct cli_ctx *ctx)
{
	char *path = cli_http_path("/v1/faxes/%s/resend", cli_pos(ctx, 0));
	json_t *body = json_pack("{s:s}", "pages",
		cli_args_has(ctx->args, "all-pages") ? "all" : "failed");
	json_t *res = NULL;
	int rc = cli_api(ctx, "POST", path, body, CLI_AUTH_REQUIRED, &res);
	free(path);
	json_decref(body);
	if (rc != CLI_EXIT_OK)
		return rc;
	json_t *faxes = answer_faxes(res);
	if (ctx->json) {
		cli_out_json(ctx->out, res);
	} else {
		cli_say(ctx, "Fax queued again.");
		if (faxes)
			print_faxes(ctx, faxes, fax_cols, CLI_NCOLS(fax_cols));
	}
	json_decref(faxes);
	json_decref(res);
	return CLI_EXIT_OK;
}

/* 1 when id can name a file in the current directory as it is. */
static int id_is_filename(const char *id)
{
	if (!id[0] || id[0] == '.' || id[0] == '-')
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			return 0;
	return 1;
}

int cli_fetch_file(struct cli_ctx *ctx, const struct cli_call *call, const char *magic,
	size_t magic_len, const char *what, const char *out)
{
	/* Before the request: each read of a document is an audit event. */
	int force = cli_args_has(ctx->args, "force");
	int rc = cli_save_ok(ctx, out, force);
	if (rc != 0)
		return rc;
	struct cli_result res;
	rc = cli_api_call(ctx, call, &res);
	if (rc == CLI_EXIT_OK && magic &&
	    (res.raw.len < magic_len || memcmp(res.raw.data, magic, magic_len) != 0))
		rc = cli_fail(ctx, CLI_EXIT_SERVER, "the server's answer is not a %s", cli_tr(what));
	if (rc == CLI_EXIT_OK)
		rc = cli_save_file(ctx, out, res.raw.data, res.raw.len, force);
	if (rc == CLI_EXIT_OK && strcmp(out, "-") != 0) {
		if (ctx->json) {
			json_t *o = json_pack("{s:s, s:I}", "file", out, (json_int_t)res.raw.len);
			cli_out_json(ctx->out, o);
			json_decref(o);
		} else {
			cli_say(ctx, "Wrote %s (%zu bytes).", out, res.raw.len);
		}
	}
	cli_result_free(&res);
	return rc;
}

/* GETs path as media type accept into --output, by default def (made
 * from the fax id, which must then be a plain name). */
static int fetch_to_file(struct cli_ctx *ctx, const char *path, const char *accept,
	const char *magic, size_t magic_len, const char *what, const char *def)
{
	const char *out = cli_opt(ctx, "output");
	if (!out && !id_is_filename(cli_pos(ctx, 0)))
		return cli_usage(ctx, "this id cannot name a file: give --output FILE");
	struct cli_call call = { .method = "GET", .path = path, .auth = CLI_AUTH_REQUIRED,
		.accept = accept };
	return cli_fetch_file(ctx, &call, magic, magic_len, what, out ? out : def);
}

static const struct cli_opt download_opts[] = {
	{ "output", "FILE", 0, "write here (default: ID.pdf; - for standard output)" },
	{ "force", NULL, 0, "replace FILE when it exists" },
	{ NULL, NULL, 0, NULL },
};

static int fax_download(struct cli_ctx *ctx)
{
	const char *id = cli_pos(ctx, 0);
	char *path = cli_http_path("/v1/faxes/%s/document", id);
	char *def = xasprintf("%s.pdf", id);
	int rc = fetch_to_file(ctx, path, "application/pdf", pdf_magic, sizeof pdf_magic,
		I18N("PDF document"), def);
	free(def);
	free(path);
	return rc;
}

static const struct cli_opt preview_opts[] = {
	{ "page", "N", CLI_OPT_REQUIRED, "the page (from 1)" },
	{ "output", "FILE", 0, "write here (default: ID-pN.png; - for standard output)" },
	{ "force", NULL, 0, "replace FILE when it exists" },
	{ NULL, NULL, 0, NULL },
};

static int fax_preview(struct cli_ctx *ctx)
{
	int64_t page;
	int given;
	int rc = cli_opt_int(ctx, "page", 1, FAX_PAGE_MAX, &page, &given);
	if (rc != 0)
		return rc;
	const char *id = cli_pos(ctx, 0);
	char *base = cli_http_path("/v1/faxes/%s/pages/", id);
	char *path = xasprintf("%s%" PRId64 ".png", base, page);
	char *def = xasprintf("%s-p%" PRId64 ".png", id, page);
	rc = fetch_to_file(ctx, path, "image/png", png_magic, sizeof png_magic, I18N("PNG image"), def);
	free(def);
	free(path);
	free(base);
	return rc;
}

const struct cli_cmd cmd_fax_subs[] = {
	{ "send", "Send one or more files as a fax to one or more numbers", "FILE...",
		"Files may be PDF, TIFF, PNG, JPEG or plain text; they are rendered in order "
		"into one fax. One fax is created per --to number. Prints the faxes accepted, "
		"still rendering: their pages are counted after the answer. With --wait, follows each fax until "
		"it is delivered, partial, failed or cancelled, and exits 0 only when every "
		"fax was delivered (1 otherwise).",
		send_opts, 1, FAX_FILES_MAX, fax_send, NULL },
	{ "status", "Show a fax: status, pages, cost and every attempt", "FAX_ID", NULL, NULL, 1, 1,
		fax_status, NULL },
	{ "list", "List faxes sent and received", NULL, NULL, list_opts, 0, 0, fax_list, NULL },
	{ "cancel", "Cancel a fax not yet sent (or end its call)", "FAX_ID", NULL, NULL, 1, 1,
		fax_cancel, NULL },
	{ "resend", "Send a fax again: the pages not confirmed, or all", "FAX_ID", NULL, resend_opts,
		1, 1, fax_resend, NULL },
	{ "download", "Save a fax's document as PDF", "FAX_ID",
		"Writes ID.pdf (or --output FILE) with mode 0600; an existing file is kept "
		"unless --force.", download_opts, 1, 1, fax_download, NULL },
	{ "preview", "Save one page of a fax as a PNG image", "FAX_ID",
		"Writes ID-pN.png (or --output FILE) with mode 0600; an existing file is kept "
		"unless --force.", preview_opts, 1, 1, fax_preview, NULL },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL },
};
