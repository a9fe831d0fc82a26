/* Cutting SIP messages out of a byte stream (RFC 3261 §18.3): over TCP and
 * TLS nothing marks where a message ends but its Content-Length, which is
 * mandatory there. A pure function over bytes, no allocation (fuzzed:
 * fuzz/line/fuzz_sipstream.c).
 *
 * CRLFs between messages are skipped (RFC 5626 §3.5.1 keep-alives: a
 * "\r\n\r\n" ping is answered by the transport with "\r\n"). A header block
 * without Content-Length, with a malformed one or two that disagree, or a
 * message longer than the limit is malformed: a reader cannot find the next
 * message after it, so the connection is to be closed. */
#ifndef FV_LINE_SIPSTREAM_H
#define FV_LINE_SIPSTREAM_H

#include <stddef.h>
#include <stdint.h>

enum {
	SIPSTREAM_BAD = -1,  /* malformed: close the connection */
	SIPSTREAM_MORE = 0,  /* no complete message yet: read more */
	SIPSTREAM_MSG = 1    /* a message at data + *skip, *msglen bytes */
};

/* What makes a stream malformed, for logs. */
typedef enum {
	SIPSTREAM_OK = 0,
	SIPSTREAM_NO_LENGTH,   /* no Content-Length header */
	SIPSTREAM_BAD_LENGTH,  /* not digits, too large, or two that differ */
	SIPSTREAM_TOO_LONG,    /* header block or message past max */
	SIPSTREAM_GARBAGE      /* a byte no SIP message starts with, or a NUL in the headers */
} sipstream_why_t;

/* Looks at data[0..len): skips leading CRLFs (*skip counts them, also for
 * SIPSTREAM_MORE, so the caller may drop them), then finds the end of the
 * header block and the body by Content-Length. max bounds a whole message
 * (headers and body). *pings counts the "\r\n\r\n" keep-alives skipped
 * (may be NULL). *why says what was wrong for SIPSTREAM_BAD (may be NULL). */
int sipstream_next(const uint8_t *data, size_t len, size_t max, size_t *skip, size_t *msglen, int *pings,
		   sipstream_why_t *why);

/* A word for why ("no_length", ...). */
const char *sipstream_why_name(sipstream_why_t why);

#endif
