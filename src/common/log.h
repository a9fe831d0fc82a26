/* Structured logs: one line per event, `key=value` fields.
 *
 * Every line starts with `ts=… level=… event=…`; callers add fields with
 * log_event(). Values that come from peers must go through log_quote() so a
 * peer cannot forge fields or lines. Never log a document, token or password. */
#ifndef FV_LOG_H
#define FV_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL };

/* Sends logs to path (appended), or to stderr when path is NULL. 0 / -1. */
int log_open(const char *path);
/* Reopens the same path (after rotation; SIGHUP). Safe to call at any time. */
int log_reopen(void);
void log_set_level(enum log_level min);
/* Writes `ts=… level=… event=EVENT` followed by the formatted fields. */
void log_event(enum log_level lvl, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Quotes s for a log value: printable ASCII kept, `"` `\` and the rest escaped,
 * cut at 256 bytes. Writes into out (size outlen), returns out. */
char *log_quote(const char *s, char *out, size_t outlen);
/* Logs and exits(1): start-up failures and broken invariants. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
