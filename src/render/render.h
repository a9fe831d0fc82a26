/* The document renderer: hostile documents (PDF, TIFF, PNG, JPEG, UTF-8 text)
 * in, TIFF-F fax pages out; received TIFF-F out as PDF or PNG.
 *
 * Every document is opened in a child process of its own (no network, rlimits
 * on memory and CPU, a seccomp filter), with a page cap and a wall-clock cap
 * that the parent enforces: a document that breaks a cap fails with a stable
 * reason code and a message a person understands, and the caller's process
 * never parses the document. Type detection is by content, never by name.
 * A caller holding secrets passes render_opts.helper_path, so that each child
 * executes the helper and holds none of the caller's memory (see below). */
#ifndef FV_RENDER_H
#define FV_RENDER_H

#include "libver.h"
#include <stddef.h>
#include <stdint.h>

#define RENDER_WIDTH 1728          /* pixels per fax row (T.4, A4/Letter) */
#define RENDER_XRES 204            /* horizontal dpi of every fax page */
#define RENDER_YRES_STANDARD 98
#define RENDER_YRES_FINE 196
#define RENDER_PAGES_MAX 1000      /* hard ceiling on --max-pages */
#define RENDER_PAGES_DEFAULT 200   /* default page cap per job */
#define RENDER_INPUT_MAX (256u << 20) /* bytes of one input document */
#define RENDER_INPUTS_MAX 64       /* documents per job */

/* ---- Sniffing (pure, fuzzed) ---- */

enum render_type {
	RENDER_TYPE_UNKNOWN = 0,
	RENDER_TYPE_PDF,
	RENDER_TYPE_TIFF,
	RENDER_TYPE_PNG,
	RENDER_TYPE_JPEG,
	RENDER_TYPE_TEXT, /* UTF-8 (or ASCII) text, no NUL, few control bytes */
};

/* Type of the document p[0..n) from its content alone. No I/O, no globals. */
enum render_type render_sniff(const uint8_t *p, size_t n);
/* "pdf", "tiff", "png", "jpeg", "text", "unknown". Static string. */
const char *render_type_name(enum render_type t);
/* What a document that render_sniff() does not take may still be. */
enum render_text_kind {
	RENDER_TEXT_NONE = 0, /* not text (or a type render_sniff() takes) */
	RENDER_TEXT_CP1252,   /* clearly Western European text in Windows-1252 or
			       * Latin-1: render_text_cp1252() converts it */
	RENDER_TEXT_OTHER,    /* text, but not UTF-8 and not clearly Windows-1252:
			       * UTF-16 or UTF-32, another 8-bit character set,
			       * damaged UTF-8 */
};
/* Text is: no NUL and no control character other than tab, LF, CR, FF,
 * VT, ESC (UTF-16/32 aside). Clearly Windows-1252: every byte defined there,
 * no more bytes above 0x7F than ASCII letters, no valid UTF-8 sequence of
 * two bytes or more. Pure. */
enum render_text_kind render_text_kind(const uint8_t *p, size_t n);
/* Text in Windows-1252 (and so Latin-1), as older systems save it: when
 * render_text_kind() is RENDER_TEXT_CP1252, *out gets it in UTF-8 (malloc'd,
 * *outlen bytes; the caller frees) and 0 is returned; else -1 and *out is
 * NULL. Pure. */
int render_text_cp1252(const uint8_t *p, size_t n, uint8_t **out, size_t *outlen);

/* ---- Failure reasons: stable codes for programs, messages for people ---- */

enum render_fail {
	RENDER_OK = 0,
	RENDER_E_USAGE,          /* bad arguments or options */
	RENDER_E_IO,             /* cannot read an input or write the output */
	RENDER_E_UNSUPPORTED,    /* not a type we take (wrong file type) */
	RENDER_E_CORRUPT,        /* damaged document */
	RENDER_E_ENCRYPTED,      /* password-protected PDF */
	RENDER_E_EMPTY,          /* no pages */
	RENDER_E_TOO_MANY_PAGES, /* page cap */
	RENDER_E_TOO_LARGE,      /* input bytes or page dimensions beyond limits */
	RENDER_E_MEMORY,         /* memory cap */
	RENDER_E_CPU,            /* CPU-time cap */
	RENDER_E_TIMEOUT,        /* wall-clock cap */
	RENDER_E_PAGE_RANGE,     /* preview: no such page */
	RENDER_E_CRASH,          /* the renderer process died: a broken document */
	RENDER_E_INTERNAL,       /* our bug or the system's (fork, pipes) */
	RENDER_E_TEXT_ENCODING,  /* text, but neither UTF-8 nor clearly Windows-1252 */
	RENDER_E_COUNT_
};

enum render_lang { RENDER_LANG_EN = 0, RENDER_LANG_FR };

/* Stable snake_case code ("too_many_pages"), for JSON and logs. Static. */
const char *render_fail_code(enum render_fail f);
/* One-sentence message for a person, in lang. Static. */
const char *render_fail_message(enum render_fail f, enum render_lang lang);
/* "en" / "fr" to lang; 0, or -1 when unknown. */
int render_lang_parse(const char *s, enum render_lang *out);

/* ---- Options and results ---- */

enum render_coding { RENDER_CODING_MH = 0, RENDER_CODING_MR, RENDER_CODING_MMR };

struct render_opts {
	int fine;                   /* 204x196 instead of 204x98 */
	enum render_coding coding;  /* default MMR (G4) */
	enum render_lang lang;      /* cover page and header language */
	int max_pages;              /* page cap over the whole job (documents + cover) */
	int timeout_ms;             /* wall-clock cap per document */
	int cpu_seconds;            /* CPU-time cap per document */
	size_t mem_bytes;           /* memory cap per renderer process */
	int workers;                /* renderer processes per document, each a share
	                             * of its pages (1..8; default 1). More cuts a
	                             * long document's latency on an idle machine. */
	/* Cover page: drawn when cover is set or any cover field is non-NULL.
	 * Strings are UTF-8, borrowed for the call. */
	int cover;
	const char *cover_subject;
	const char *cover_text;
	const char *from;
	const char *to;
	/* Header line on every page, the cover included: date and time (UTC),
	 * "From:"/"De :" with header (the sender's name) and header_number (the
	 * sending number), "Page n/m" (m counts the cover). Both NULL: no header
	 * line. */
	const char *header;
	const char *header_number;
	int64_t date_ms;            /* header/cover date; 0 = now */
	/* Set: the first page of the first document is left out (a cover
	 * page this rendering replaces). With a rendered fax as the only
	 * input, a new cover and header give the document that rendering the
	 * originals with them would have given, the pages in between kept
	 * (a person's name erased from a stored fax). The first document must
	 * have two pages or more. */
	int replace_first_page;
	const char *font_dir;       /* NULL: the DejaVu fonts of fonts-dejavu-core */
	const char *log_id;         /* job id for the log lines ("fax_…"); NULL: none */
	/* The renderer helper program (render_default_helper()). Set: every
	 * renderer child executes it right after the fork, so it starts from a
	 * fresh process image with none of the caller's memory, descriptors or
	 * environment. NULL: the child is a plain fork of the caller, holding a
	 * copy of all its memory; only for callers that hold no secret
	 * (faxvault-fax, tests). Borrowed for the call. */
	const char *helper_path;
	/* With helper_path: the last document's helper finishes its pages
	 * itself (the header line drawn, T.6 coded) and this process only
	 * writes them into the TIFF, so that their CPU is the renderer's, not
	 * the caller's (faxvaultd). The same file. The pages are then coded
	 * by the process that renders, not on another core while the next
	 * renders: a long document takes longer in wall clock. Ignored with
	 * workers > 1, a coding other than MMR, or without helper_path. */
	int compose_in_helper;
};

/* Fills o with the defaults (standard resolution, MMR, English, 200 pages,
 * 60 s, 30 s CPU, 512 MiB, no cover, no header, no helper: forked children). */
void render_opts_init(struct render_opts *o);

struct render_result {
	int pages;               /* pages written (cover included) */
	int width;               /* always RENDER_WIDTH on success */
	int xres, yres;          /* dpi */
	int height;              /* preview: height of the PNG in pixels */
	enum render_fail fail;   /* RENDER_OK on success */
	int doc_index;           /* input that failed, or -1 */
	char detail[256];        /* technical detail for logs (English), may be "" */
};

/* ---- Operations (each opens documents only in a sandboxed child) ---- */

/* Renders n input documents, in order, into one multi-page TIFF-F file at
 * out_tif (written to a temporary name, then renamed). o NULL: defaults.
 * 0 on success with r filled; -1 with r->fail and r->detail set, and no
 * out_tif left behind. Blocks until done. With o->helper_path set it may be
 * called from several threads at once (each call starts its own children
 * and waits for them alone); without, only from a process with one thread:
 * a forked child of a threaded process may inherit a lock another thread
 * held (seen under ASan: the child hangs until the wall-clock cap). The
 * caller must not reap children it did not start (SIGCHLD set to SIG_IGN,
 * waitpid(-1)): a renderer whose exit status is lost fails the job as
 * internal. */
int render_documents(const char *const *inputs, size_t n, const char *out_tif,
	const struct render_opts *o, struct render_result *r);

/* The same from descriptors into a descriptor, no file named: each of
 * inputs[0..n) (borrowed) is read from offset 0 to its end, the TIFF-F is
 * written to out_fd (borrowed; an empty, seekable file such as a memfd)
 * from its offset. On failure out_fd may hold part of a TIFF: the caller
 * discards it. */
int render_documents_fd(const int *inputs, size_t n, int out_fd, const struct render_opts *o,
	struct render_result *r);

/* Renders n input documents (PDF, TIFF, PNG, JPEG, text) into one multi-page
 * TIFF-F file at out_tif. fine: 204x196 dpi instead of 204x98. Returns 0 and
 * sets *pages, or -1 with a person-readable reason in err. */
int render_to_tiff(const char *const *inputs, size_t n, const char *out_tif, int fine,
	int *pages, char *err, size_t errlen);

/* Received TIFF (bilevel) to PDF, one CCITTFaxDecode image per page: the
 * coded data as it is for single-strip and G3 pages (fax TIFFs), coded again
 * losslessly (T.6) for multi-strip G4 and other codings. 0 with r->pages and
 * the width and resolution of page 1; -1 with r->fail. */
int render_tiff_to_pdf(const char *in_tif, const char *out_pdf, struct render_result *r);

/* Page `page` (1-based) of a TIFF to a 1-bit PNG at the page's width (1728
 * for a fax), rows scaled so the aspect is right (height = rows * xres /
 * yres; r->height). 0 / -1 with r->fail (page_range for no such page). */
int render_tiff_preview(const char *in_tif, int page, const char *out_png,
	struct render_result *r);

/* The same, grey and `width` pixels wide (RENDER_PREVIEW_WIDTH_MIN..1728;
 * 0: the 1-bit page as above): thumbnails for a web page. */
#define RENDER_PREVIEW_WIDTH_MIN 16
int render_tiff_preview_scaled(const char *in_tif, int page, int width, const char *out_png,
	struct render_result *r);

/* The same three with options: o->helper_path (and the caps timeout_ms,
 * cpu_seconds, mem_bytes) are used; o NULL: defaults. */
int render_tiff_to_pdf_opts(const char *in_tif, const char *out_pdf, const struct render_opts *o,
	struct render_result *r);
int render_tiff_preview_opts(const char *in_tif, int page, int width, const char *out_png,
	const struct render_opts *o, struct render_result *r);

/* ---- The renderer helper ----
 *
 * A process that holds secrets (faxvaultd: the vault's master key, other
 * tenants' documents in request buffers, session tokens) must render with
 * o.helper_path = render_default_helper(), checked non-NULL at start-up
 * (fail closed: never fall back to forked children), and must keep the
 * helper's directory read-only. The helper, faxvault-render-helper, is
 * looked for next to the running executable (/proc/self/exe), then in
 * ../libexec/faxvault/ from there (where `install` puts it), then where
 * the build tree made it. Returns a static path, or NULL when none is
 * executable. Thread-safe; looked up once. */
const char *render_default_helper(void);

/* Subcommands of faxvault-fax implemented by the renderer: cmd is "render",
 * "topdf" or "preview"; argv[0] is the subcommand name, the rest its arguments
 * as in the issue. Returns the process exit code. */
int render_tool_main(const char *cmd, int argc, char **argv);

/* Appends the libraries the renderer parses documents with (MuPDF, libtiff,
 * libpng, FreeType) and their versions. */
void render_lib_versions(libvers_t *l);

#endif
