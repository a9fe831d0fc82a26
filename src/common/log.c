/* Structured key=value logging (see log.h). */
#include "log.h"
#include "xalloc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static char *out_path;
static enum log_level min_level = LOG_INFO;

static const char *level_name[] = { "debug", "info", "warn", "error", "fatal" };

int log_open(const char *path)
{
	pthread_mutex_lock(&lock);
	free(out_path);
	out_path = path ? xstrdup(path) : NULL;
	pthread_mutex_unlock(&lock);
	return log_reopen();
}

int log_reopen(void)
{
	int rc = 0;
	pthread_mutex_lock(&lock);
	if (out && out != stderr)
		fclose(out);
	out = stderr;
	if (out_path) {
		FILE *f = fopen(out_path, "a");
		if (f) {
			setvbuf(f, NULL, _IOLBF, 0);
			out = f;
		} else {
			rc = -1;
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void log_set_level(enum log_level m)
{
	min_level = m;
}

__attribute__((format(printf, 3, 0)))
static void vlog(enum log_level lvl, const char *event, const char *fmt, va_list ap)
{
	if (lvl < min_level)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[40];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	char line[2048];
	int n = snprintf(line, sizeof line, "ts=%s.%03ldZ level=%s event=%s", when,
		ts.tv_nsec / 1000000, level_name[lvl], event);
	if (n > 0 && (size_t)n < sizeof line && fmt && *fmt) {
		line[n++] = ' ';
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	}
	pthread_mutex_lock(&lock);
	FILE *f = out ? out : stderr;
	fputs(line, f);
	fputc('\n', f);
	fflush(f);
	pthread_mutex_unlock(&lock);
}

void log_event(enum log_level lvl, const char *event, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(lvl, event, fmt, ap);
	va_end(ap);
}

char *log_quote(const char *s, char *o, size_t olen)
{
	static const char hex[] = "0123456789abcdef";
	size_t j = 0;
	if (olen < 3) {
		if (olen)
			o[0] = '\0';
		return o;
	}
	o[j++] = '"';
	for (size_t i = 0; s && s[i] && i < 256; i++) {
		unsigned char c = (unsigned char)s[i];
		if (j + 6 >= olen)
			break;
		if (c == '"' || c == '\\') {
			o[j++] = '\\';
			o[j++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			o[j++] = '\\';
			o[j++] = 'x';
			o[j++] = hex[c >> 4];
			o[j++] = hex[c & 15];
		} else {
			o[j++] = (char)c;
		}
	}
	o[j++] = '"';
	o[j] = '\0';
	return o;
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char q[600];
	log_event(LOG_FATAL, "fatal", "msg=%s", log_quote(msg, q, sizeof q));
	exit(1);
}
