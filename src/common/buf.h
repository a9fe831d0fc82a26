/* Growable byte buffers with a ceiling named at creation.
 *
 * A buffer that would grow past its ceiling refuses the append (returns -1)
 * and keeps what it had: callers turn that into "request too large" rather
 * than letting a peer make us allocate without bound. */
#ifndef FV_BUF_H
#define FV_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
	char *data;   /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;   /* ceiling on len */
} buf_t;

/* Starts an empty buffer that may grow to max bytes. No allocation yet. */
void buf_init(buf_t *b, size_t max);
/* Releases the storage; the buffer is empty and reusable. NULL is a no-op. */
void buf_free(buf_t *b);
void buf_reset(buf_t *b);
/* Append; 0 on success, -1 when the ceiling would be passed (nothing added). */
int buf_append(buf_t *b, const void *p, size_t n);
int buf_puts(buf_t *b, const char *s);
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s (NULL: nothing) with the characters special to HTML and XML
 * (< > & " ') written as entities. 0, or -1 at the ceiling. */
int buf_put_html(buf_t *b, const char *s);
/* Appends the whole file at path. 0; -1 with errno set when it cannot be
 * read, or EFBIG when it would pass the ceiling (then the buffer keeps
 * what it had before the call). */
int buf_read_file(buf_t *b, const char *path);
/* Hands the storage to the caller (free() it); the buffer is left empty. */
char *buf_steal(buf_t *b);

#endif
