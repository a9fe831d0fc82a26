/* The one checked number parser: no atoi, no strtol without checks. */
#ifndef FV_NUMPARSE_H
#define FV_NUMPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parses the whole of s[0..n) as a decimal integer within [min, max].
 * No sign for unsigned, no spaces, no trailing bytes. 0 on success, -1 else. */
int parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);
int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out);
/* Same for a NUL-terminated string. */
int parse_i64z(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
