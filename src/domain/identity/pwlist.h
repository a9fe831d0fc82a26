/* The list of common and breached passwords that new passwords are checked
 * against (NIST SP 800-63B 5.1.1.2). Loaded once at start, read-only after. */
#ifndef FV_PWLIST_H
#define FV_PWLIST_H

#include <stdbool.h>
#include <stddef.h>

/* Loads one entry per line from path (lower-cased), on top of a small
 * built-in list of the most common passwords. Returns the number of entries,
 * or -1 when path cannot be read (the built-in list stays in force). */
long pwlist_load(const char *path);
/* Entries loaded. */
size_t pwlist_size(void);
/* Whether pw is, or is only a light variation of, a listed password: case,
 * digits or symbols appended, common letter-for-digit substitutions, or a
 * run of one character or of consecutive characters. */
bool pwlist_is_common(const char *pw);
void pwlist_free(void);

#endif
