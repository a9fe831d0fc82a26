/* Output of `faxvault`: aligned human tables and key/value blocks built
 * from JSON objects, and the --json form.
 *
 * Everything shown comes from the server, so text is sanitized: control
 * characters become '?' and cannot move the cursor or forge lines. */
#ifndef FV_CLI_OUT_H
#define FV_CLI_OUT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "buf.h"

/* One column of a table or one line of a key/value block: a header and a
 * dotted path into the object ("owner.email"). A path may list
 * alternatives separated by '|' ("owner.email|owner_id"): the first that
 * gives a non-empty value wins. */
struct cli_col {
	const char *header;
	const char *path;
};

/* Appends s to out with control characters (C0, DEL, C1 and invalid
 * UTF-8 bytes) replaced by '?'. */
void cli_out_sanitize(const char *s, buf_t *out);

/* 1 when s is valid UTF-8 without control characters other than tab,
 * 0 otherwise. */
int cli_out_text_ok(const char *s);

/* Display width of s: the number of UTF-8 code points. */
size_t cli_out_width(const char *s);

/* The text of the value at path in obj, for a cell: strings as they are
 * (sanitized), numbers in decimal, true/false as yes/no, arrays joined by
 * ",", missing/null/empty as "-", objects as compact JSON. Owned by the
 * caller. */
char *cli_out_cell(const json_t *obj, const char *path);

/* Renders items (a JSON array of objects) as a table: a header line, then
 * one line per item, columns separated by two spaces and padded to the
 * widest cell; the last column is not padded. */
void cli_out_table(const struct cli_col *cols, size_t ncols, const json_t *items, buf_t *out);

/* Renders obj as "Label:  value" lines with the labels aligned. */
void cli_out_kv(const struct cli_col *fields, size_t n, const json_t *obj, buf_t *out);

/* Writes j as indented JSON with a final newline. 0 / -1. */
int cli_out_json(FILE *f, const json_t *j);

/* The text of a buffer, "" when it holds nothing yet. Borrowed. */
static inline const char *cli_buf_str(const buf_t *b)
{
	return b->data ? b->data : "";
}

/* Writes a buffer's contents to f. */
void cli_out_write(FILE *f, const buf_t *b);

#endif
