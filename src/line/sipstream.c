/* Cutting SIP messages out of a byte stream by Content-Length (see sipstream.h). */
#include "sipstream.h"

#include <string.h>

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* 1 when line[0..n) names header h (case-insensitive) followed by optional
 * blanks and ':'; *val then points after the colon. */
static int header_is(const uint8_t *line, size_t n, const char *h, size_t *val)
{
	size_t hl = strlen(h);
	if (n < hl)
		return 0;
	for (size_t i = 0; i < hl; i++)
		if (lower(line[i]) != h[i])
			return 0;
	size_t i = hl;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i >= n || line[i] != ':')
		return 0;
	*val = i + 1;
	return 1;
}

/* The value of a Content-Length line: digits between blanks (folding
 * included), max + 1 for anything above max; -1 when malformed. */
static long length_value(const uint8_t *v, size_t n, size_t max)
{
	size_t i = 0;
	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n'))
		i++;
	if (i >= n || v[i] < '0' || v[i] > '9')
		return -1;
	long x = 0;
	for (; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
		if ((size_t)x <= max)
			x = x * 10 + (v[i] - '0');
		if ((size_t)x > max)
			x = (long)max + 1;
	}
	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n'))
		i++;
	return i == n ? x : -1;
}

static int bad(sipstream_why_t *why, sipstream_why_t w)
{
	if (why)
		*why = w;
	return SIPSTREAM_BAD;
}

int sipstream_next(const uint8_t *data, size_t len, size_t max, size_t *skip, size_t *msglen, int *pings,
		   sipstream_why_t *why)
{
	size_t s = 0;
	int np = 0;
	if (why)
		*why = SIPSTREAM_OK;
	*msglen = 0;
	/* Keep-alives and stray line ends between messages. */
	while (s < len && (data[s] == '\r' || data[s] == '\n')) {
		if (s + 4 <= len && memcmp(data + s, "\r\n\r\n", 4) == 0) {
			np++;
			s += 4;
		} else {
			s++;
		}
	}
	*skip = s;
	if (pings)
		*pings = np;
	if (s == len)
		return SIPSTREAM_MORE;
	const uint8_t *m = data + s;
	size_t n = len - s;
	/* A request starts with a method token, a response with "SIP/". */
	if (!((m[0] >= 'A' && m[0] <= 'Z') || (m[0] >= 'a' && m[0] <= 'z')))
		return bad(why, SIPSTREAM_GARBAGE);
	/* The header block ends at the first empty line. */
	size_t hend = 0;
	for (size_t i = 0; i + 3 < n; i++) {
		if (m[i] == '\0')
			return bad(why, SIPSTREAM_GARBAGE);
		if (m[i] == '\r' && m[i + 1] == '\n' && m[i + 2] == '\r' && m[i + 3] == '\n') {
			hend = i + 4;
			break;
		}
	}
	if (!hend) {
		for (size_t i = n > 3 ? n - 3 : 0; i < n; i++)
			if (m[i] == '\0')
				return bad(why, SIPSTREAM_GARBAGE);
		return n >= max ? bad(why, SIPSTREAM_TOO_LONG) : SIPSTREAM_MORE;
	}
	if (hend > max)
		return bad(why, SIPSTREAM_TOO_LONG);
	/* Content-Length (or its compact form l), each line with its folded
	 * continuations; two that differ make the message ambiguous. */
	long cl = -1;
	size_t ls = 0;
	for (size_t i = 0; i + 1 < hend; i++) {
		if (m[i] != '\r' || m[i + 1] != '\n')
			continue;
		size_t le = i; /* line [ls, le) */
		/* folded continuation: the next line starts with a blank */
		if (i + 2 < hend && (m[i + 2] == ' ' || m[i + 2] == '\t'))
			continue;
		size_t v;
		if (ls > 0 && (header_is(m + ls, le - ls, "content-length", &v) || header_is(m + ls, le - ls, "l", &v))) {
			long x = length_value(m + ls + v, le - ls - v, max);
			if (x < 0 || (cl >= 0 && x != cl))
				return bad(why, SIPSTREAM_BAD_LENGTH);
			cl = x;
		}
		ls = i + 2;
		if (ls + 2 > hend)
			break;
	}
	if (cl < 0)
		return bad(why, SIPSTREAM_NO_LENGTH);
	if (hend + (size_t)cl > max)
		return bad(why, SIPSTREAM_TOO_LONG);
	if (n < hend + (size_t)cl)
		return SIPSTREAM_MORE;
	*msglen = hend + (size_t)cl;
	return SIPSTREAM_MSG;
}

const char *sipstream_why_name(sipstream_why_t why)
{
	switch (why) {
	case SIPSTREAM_NO_LENGTH: return "no_length";
	case SIPSTREAM_BAD_LENGTH: return "bad_length";
	case SIPSTREAM_TOO_LONG: return "too_long";
	case SIPSTREAM_GARBAGE: return "garbage";
	default: return "ok";
	}
}
