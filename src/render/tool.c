/* The renderer's subcommands of faxvault-fax: render, topdf, preview.
 * Results go to stdout as one JSON object; failures as a JSON object with a
 * stable code, plus a sentence on stderr. Exit codes: 0 done, 1 the document
 * was refused (type, damage, caps), 2 usage, 3 I/O or internal failure. */
#include "log.h"
#include "numparse.h"
#include "render.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tool_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static int tool_exit_code(enum render_fail f)
{
	switch (f) {
	case RENDER_OK: return 0;
	case RENDER_E_USAGE: return 2;
	case RENDER_E_IO:
	case RENDER_E_INTERNAL: return 3;
	default: return 1;
	}
}

static int tool_fail(const struct render_result *r, enum render_lang lang)
{
	const char *msg = render_fail_message(r->fail, lang);
	printf("{\"error\":");
	tool_json_string(stdout, render_fail_code(r->fail));
	printf(",\"message\":");
	tool_json_string(stdout, msg);
	if (r->doc_index >= 0)
		printf(",\"document\":%d", r->doc_index + 1);
	if (r->detail[0]) {
		printf(",\"detail\":");
		tool_json_string(stdout, r->detail);
	}
	printf("}\n");
	if (r->doc_index >= 0)
		fprintf(stderr, "faxvault-fax: document %d: %s (%s)\n", r->doc_index + 1, msg, r->detail);
	else
		fprintf(stderr, "faxvault-fax: %s (%s)\n", msg, r->detail);
	return tool_exit_code(r->fail);
}

/* Usage on f; returns the exit code of a usage error. */
static int tool_usage_to(FILE *f, const char *cmd)
{
	if (strcmp(cmd, "render") == 0)
		fprintf(f, "usage: faxvault-fax render IN... -o OUT.tif [--fine] [--coding mh|mr|mmr]\n"
			"       [--cover] [--cover-subject S] [--cover-text T] [--from F] [--to T]\n"
			"       [--header NAME] [--header-number NUMBER] [--lang en|fr] [--max-pages N]\n"
			"       [--timeout SECONDS] [--workers N]\n");
	else if (strcmp(cmd, "topdf") == 0)
		fprintf(f, "usage: faxvault-fax topdf IN.tif OUT.pdf\n");
	else
		fprintf(f, "usage: faxvault-fax preview IN.tif --page N -o OUT.png [--width PIXELS]\n");
	return 2;
}

static int tool_usage(const char *cmd)
{
	return tool_usage_to(stderr, cmd);
}

static int tool_render(int argc, char **argv)
{
	struct render_opts o;
	render_opts_init(&o);
	const char *out = NULL;
	const char **inputs = xcalloc((size_t)argc + 1, sizeof(*inputs));
	size_t n = 0;
	int rc = 2;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int64_t num;
		if (strcmp(a, "--fine") == 0) {
			o.fine = 1;
		} else if (strcmp(a, "--cover") == 0) {
			o.cover = 1;
		} else if (a[0] == '-' && a[1] && !v) {
			fprintf(stderr, "faxvault-fax render: %s needs a value or is unknown\n", a);
			goto out;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			out = v, i++;
		} else if (strcmp(a, "--cover-text") == 0) {
			o.cover_text = v, i++;
		} else if (strcmp(a, "--cover-subject") == 0) {
			o.cover_subject = v, i++;
		} else if (strcmp(a, "--from") == 0) {
			o.from = v, i++;
		} else if (strcmp(a, "--to") == 0) {
			o.to = v, i++;
		} else if (strcmp(a, "--header") == 0) {
			o.header = v, i++;
		} else if (strcmp(a, "--header-number") == 0) {
			o.header_number = v, i++;
		} else if (strcmp(a, "--lang") == 0) {
			if (render_lang_parse(v, &o.lang) < 0) {
				fprintf(stderr, "faxvault-fax render: --lang is en or fr\n");
				goto out;
			}
			i++;
		} else if (strcmp(a, "--coding") == 0) {
			if (strcmp(v, "mh") == 0)
				o.coding = RENDER_CODING_MH;
			else if (strcmp(v, "mr") == 0)
				o.coding = RENDER_CODING_MR;
			else if (strcmp(v, "mmr") == 0)
				o.coding = RENDER_CODING_MMR;
			else {
				fprintf(stderr, "faxvault-fax render: --coding is mh, mr or mmr\n");
				goto out;
			}
			i++;
		} else if (strcmp(a, "--max-pages") == 0) {
			if (parse_i64z(v, 1, RENDER_PAGES_MAX, &num) < 0) {
				fprintf(stderr, "faxvault-fax render: --max-pages is 1..%d\n", RENDER_PAGES_MAX);
				goto out;
			}
			o.max_pages = (int)num, i++;
		} else if (strcmp(a, "--workers") == 0) {
			if (parse_i64z(v, 1, 8, &num) < 0) {
				fprintf(stderr, "faxvault-fax render: --workers is 1..8\n");
				goto out;
			}
			o.workers = (int)num, i++;
		} else if (strcmp(a, "--timeout") == 0) {
			if (parse_i64z(v, 1, 3600, &num) < 0) {
				fprintf(stderr, "faxvault-fax render: --timeout is 1..3600 seconds\n");
				goto out;
			}
			o.timeout_ms = (int)num * 1000, i++;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "faxvault-fax render: unknown option %s\n", a);
			goto out;
		} else {
			inputs[n++] = a;
		}
	}
	if (!out || n == 0) {
		tool_usage("render");
		goto out;
	}
	struct render_result r;
	if (render_documents(inputs, n, out, &o, &r) < 0) {
		rc = tool_fail(&r, o.lang);
		goto out;
	}
	printf("{\"pages\":%d,\"width\":%d,\"resolution\":\"%dx%d\",\"xres\":%d,\"yres\":%d}\n", r.pages,
		r.width, r.xres, r.yres, r.xres, r.yres);
	rc = 0;
out:
	free(inputs);
	return rc;
}

static int tool_topdf(int argc, char **argv)
{
	if (argc != 3)
		return tool_usage("topdf");
	struct render_result r;
	if (render_tiff_to_pdf(argv[1], argv[2], &r) < 0)
		return tool_fail(&r, RENDER_LANG_EN);
	printf("{\"pages\":%d,\"width\":%d,\"resolution\":\"%dx%d\",\"xres\":%d,\"yres\":%d}\n", r.pages,
		r.width, r.xres, r.yres, r.xres, r.yres);
	return 0;
}

static int tool_preview(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	int64_t page = 1, width = 0;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--page") == 0 && v) {
			if (parse_i64z(v, 1, 100000, &page) < 0)
				return tool_usage("preview");
			i++;
		} else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && v) {
			out = v, i++;
		} else if (strcmp(argv[i], "--width") == 0 && v) {
			if (parse_i64z(v, RENDER_PREVIEW_WIDTH_MIN, RENDER_WIDTH, &width) < 0)
				return tool_usage("preview");
			i++;
		} else if (argv[i][0] != '-' && !in) {
			in = argv[i];
		} else {
			return tool_usage("preview");
		}
	}
	if (!in || !out)
		return tool_usage("preview");
	struct render_result r;
	if (render_tiff_preview_scaled(in, (int)page, (int)width, out, &r) < 0)
		return tool_fail(&r, RENDER_LANG_EN);
	printf("{\"page\":%d,\"width\":%d,\"height\":%d}\n", (int)page, r.width, r.height);
	return 0;
}

int render_tool_main(const char *cmd, int argc, char **argv)
{
	int rc;
	if (!cmd)
		return 2;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			if (strcmp(cmd, "render") != 0 && strcmp(cmd, "topdf") != 0 &&
				strcmp(cmd, "preview") != 0)
				return 2;
			tool_usage_to(stdout, cmd);
			return 0;
		}
	}
	if (strcmp(cmd, "render") == 0)
		rc = tool_render(argc, argv);
	else if (strcmp(cmd, "topdf") == 0)
		rc = tool_topdf(argc, argv);
	else if (strcmp(cmd, "preview") == 0)
		rc = tool_preview(argc, argv);
	else
		return 2;
	fflush(stdout);
	return rc;
}
