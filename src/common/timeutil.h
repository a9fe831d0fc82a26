/* Time in UTC: milliseconds since the epoch inside, RFC 3339 on the wire. */
#ifndef FV_TIMEUTIL_H
#define FV_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock, ms since 1970-01-01T00:00:00Z. Tests may shift it. */
int64_t time_now_ms(void);
/* Monotonic clock in ns (durations, latency). */
int64_t time_mono_ns(void);
/* The real-time clock ms from now, as pthread_cond_timedwait takes a
 * deadline. */
struct timespec;
void time_deadline_in(int64_t ms, struct timespec *ts);
/* Test hook: add offset_ms to every later time_now_ms(). */
void time_set_offset_ms(int64_t offset_ms);
/* Test hook: fn is called (in the thread that moved it) whenever the
 * offset changes, so that waits on the shifted clock are looked at again. */
void time_on_shift(void (*fn)(void));
/* Test hook: sets the offset from a file holding it in ms (one line); 0,
 * or -1 when the file cannot be read or holds no number. */
int time_follow_file(const char *path);
/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (>= 25 bytes); returns out. */
char *time_format_rfc3339(int64_t ms, char *out, size_t outlen);
/* Parses an RFC 3339 date-time ("Z" or ±hh:mm offset, optional fraction).
 * 0 on success with *ms set, -1 when malformed. */
int time_parse_rfc3339(const char *s, int64_t *ms);

#endif
