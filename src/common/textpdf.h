/* A minimal text PDF writer for documents we make ourselves (invoices): pages of
 * text placed at given points in the standard Type 1 fonts Helvetica,
 * Helvetica-Bold and Courier (which every PDF reader has, so nothing is
 * embedded), with the WinAnsi encoding, which covers French. Text is given
 * in UTF-8; characters WinAnsi lacks become '?'.
 *
 * Why our own: the documents are a page or two of text, and the libraries
 * (Cairo, libharu) would bring fonts, images and a large parser-free but
 * still large surface for what is a few hundred lines (docs/architecture.md). */
#ifndef FV_TEXTPDF_H
#define FV_TEXTPDF_H

#include <stddef.h>

/* Page size: A4 in points. */
#define TEXTPDF_WIDTH 595
#define TEXTPDF_HEIGHT 842
/* Ceiling of one document (bytes). */
#define TEXTPDF_MAX (4 * 1024 * 1024)

typedef enum textpdf_font { TEXTPDF_REGULAR, TEXTPDF_BOLD, TEXTPDF_MONO } textpdf_font_t;

typedef struct textpdf textpdf_t;

/* A new document with one empty page; textpdf_free() it. Never NULL. */
textpdf_t *textpdf_new(void);
void textpdf_free(textpdf_t *w);
/* Starts a new page; the text that follows goes on it. */
void textpdf_page(textpdf_t *w);
/* Writes text (UTF-8) with its baseline starting at x, y (points from the
 * bottom left) in font at size points. */
void textpdf_text(textpdf_t *w, double x, double y, textpdf_font_t font, double size, const char *text);
/* The same in TEXTPDF_MONO, ending at x (right-aligned). */
void textpdf_text_right(textpdf_t *w, double x, double y, double size, const char *text);
/* The document (malloc'd, the caller frees it) and its length, or NULL when
 * it would pass TEXTPDF_MAX. title (UTF-8) goes into the document's Info. */
unsigned char *textpdf_finish(textpdf_t *w, const char *title, size_t *len);

/* UTF-8 to WinAnsi (cp1252): at most cap-1 bytes into out, NUL-terminated;
 * what cp1252 lacks and invalid UTF-8 become '?'. The bytes written. Pure. */
size_t textpdf_winansi(const char *utf8, char *out, size_t cap);

#endif
