/* The renderer helper (faxvault-render-helper): the program every renderer
 * child executes when the caller passes render_opts.helper_path, so the
 * child starts from a fresh process image instead of a copy of the
 * caller's memory. The parent describes the work in a sealed memfd (the
 * job: a fixed header, the document, the fonts); the helper maps it,
 * confines itself (sandbox_helper_enter) and runs the same child code as
 * the in-process fork. Internal to src/render. */
#ifndef FV_RENDER_HELPER_H
#define FV_RENDER_HELPER_H

#include <stddef.h>
#include <stdint.h>

#include "cover.h"
#include "render.h"
#include "sandbox.h"
#include "textdraw.h"

#define HELPER_NAME "faxvault-render-helper"

enum helper_op {
	HELPER_OP_RASTER = 1, /* a document to a page stream (raster.h) */
	HELPER_OP_TOPDF,      /* a received TIFF to PDF */
	HELPER_OP_PREVIEW,    /* a page of a TIFF to PNG */
	HELPER_OP_PROBE,      /* tests: copies its own memory at probe_addr to the output */
	HELPER_OP_COUNT_
};

/* What the parent asks; every field is checked by the helper, which trusts
 * only that the job was written by the same build (magic and size). */
struct helper_job {
	char magic[8];
	uint32_t size;          /* sizeof(struct helper_job) */
	int32_t op;             /* enum helper_op */
	int32_t type;           /* raster: enum render_type */
	int32_t yres;           /* raster */
	int32_t max_pages;      /* page budget of the document */
	int32_t nparts;         /* raster: children sharing the pages (child i renders part i) */
	int32_t page, width;    /* preview */
	int32_t timeout_ms, cpu_seconds;
	uint64_t mem_bytes;
	uint64_t data_off, data_len;              /* the document */
	uint64_t font_off[FONT_COUNT_], font_len[FONT_COUNT_]; /* raster of text; 0: none */
	uint64_t probe_addr, probe_len;           /* probe */
	/* Raster with compose set (render_opts.compose_in_helper): the helper
	 * finishes its pages itself, header line drawn (header set) and T.6
	 * coded, and writes them as coded pages (HELPER_CODED_*), a record of
	 * no data for page 1 when skip_first leaves it out. Page k of the
	 * document (0-based) is page before + k - skip_first of the job (the
	 * cover and earlier documents being before), of before + pages -
	 * skip_first pages. */
	int32_t compose, header, lang, skip_first;
	int32_t before;
	int64_t date_ms;
	char identity[COVER_IDENTITY_MAX + 1], number[COVER_NUMBER_MAX + 1];
	/* Without the header's face in the job (not a text document): its
	 * file, which the helper maps read-only before it confines itself,
	 * and the size the parent read (a file that changed is refused). */
	char font_path[1024];
	uint64_t font_size;
};

/* A coded page: a 16-byte header ("FVG4", u32 width, u32 rows, u32 bytes,
 * little-endian) then the T.6 data (EOFB included, padded to a byte). */
#define HELPER_CODED_HEADER 16
/* The parent's bound on a coded page's bytes (T.6 needs at most about
 * 11 bits a pixel on the worst page). */
#define HELPER_CODED_MAX(rows) ((size_t)(rows) * RENDER_WIDTH * 2 + 64)
/* Parses a coded page's header as the parent reads it from a helper (pure;
 * fuzzed): 0 with the width (RENDER_WIDTH), rows (1..rows_max) and bytes
 * (at most HELPER_CODED_MAX(rows)), -1 when bad. */
int helper_coded_parse(const uint8_t hdr[HELPER_CODED_HEADER], int rows_max, int *w, int *rows,
	size_t *len);

/* Writes h (magic, size and offsets filled here), data[0..len) and the fonts
 * (NULL: none) into a new sealed memfd. Returns it (close-on-exec), or -1
 * with errno. */
int helper_job_create(struct helper_job *h, const uint8_t *data, size_t len,
	const struct font_data *fonts);

/* Runs n children of the helper on the job h (its caps filled from lim
 * here), the document *data[0..len) and the fonts (NULL: none); child i
 * writes to out_fds[i]. Frees *data (and sets it NULL) once the job holds
 * it, so the caller's copy does not live while the children run. 0 / -1
 * with r set, as sandbox_exec_n. */
int helper_run(const char *helper, struct helper_job *h, uint8_t **data, size_t len,
	const struct font_data *fonts, int n, const int *out_fds, const struct sandbox_limits *lim,
	struct sandbox_out *outs, struct render_result *r);

/* The helper program: argv as sandbox.h says. Returns SANDBOX_EXIT_HELPER
 * when the arguments or the job are wrong (never returns otherwise: the
 * child exits from sandbox_helper_enter). */
int helper_main(int argc, char **argv);

/* Tests: runs a child (exec'd through helper, or forked in-process when
 * helper is NULL) that writes its own memory at addr[0..len) to out_fd
 * (nothing where that memory is not mapped) and reports in so->info: 1
 * when that memory was readable, the number of open descriptors below
 * 1024, the number of environment variables. 0 / -1 with r set. */
int helper_probe(const char *helper, const void *addr, size_t len, int out_fd,
	struct sandbox_out *so, struct render_result *r);

#endif
