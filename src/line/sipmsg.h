/* SIP message parsing (RFC 3261 §7) as a pure function over bytes.
 *
 * sip_msg_parse() never allocates: every field is a slice into the caller's
 * buffer, which must outlive the sip_msg_t. Only what a fax user agent needs
 * is parsed: the start line, headers (with compact forms and folding) and a
 * body delimited by Content-Length. */
#ifndef FV_LINE_SIPMSG_H
#define FV_LINE_SIPMSG_H

#include <stddef.h>
#include <stdint.h>

#define SIP_MSG_MAX 8192   /* largest datagram we accept or build */
#define SIP_HDR_MAX 64     /* more headers than this: the message is refused */

typedef struct sip_str {
	const char *p;
	size_t n;
} sip_str_t;

typedef struct sip_hdr {
	sip_str_t name;
	sip_str_t value; /* trimmed; may contain folded CRLF+WS inside */
} sip_hdr_t;

typedef struct sip_msg {
	int is_request;
	sip_str_t method;  /* requests */
	sip_str_t uri;
	int status;        /* responses: 100..699 */
	sip_str_t reason;
	sip_hdr_t hdrs[SIP_HDR_MAX];
	size_t nhdrs;
	sip_str_t body;
	const uint8_t *raw; /* the bytes parsed (data, len) */
	size_t raw_len;
} sip_msg_t;

/* Parses data[0..len). 0 on success, -1 when the bytes are not a SIP message
 * we can trust (bad start line, header syntax, too many headers, a
 * Content-Length that disagrees with the datagram). Slices point into data. */
int sip_msg_parse(const uint8_t *data, size_t len, sip_msg_t *m);

/* 0 when the mandatory headers of RFC 3261 §8.1.1 are present and CSeq is
 * well formed (and matches the method for requests); -1 otherwise. */
int sip_msg_check(const sip_msg_t *m);

/* First header named name (case-insensitive; compact forms understood), or
 * NULL. The returned pointer is into m. */
const sip_str_t *sip_msg_header(const sip_msg_t *m, const char *name);

/* Case-insensitive comparison of a slice with a C string: 1 equal, 0 not. */
int sip_str_eq(sip_str_t s, const char *z);

/* Finds ";name=value" in a header value (outside <...>); 0 and *out set
 * (value without quotes), -1 when absent. A bare ";name" gives an empty value. */
int sip_param(sip_str_t hv, const char *name, sip_str_t *out);

/* CSeq number and method. 0 / -1. */
int sip_cseq(const sip_msg_t *m, uint32_t *num, sip_str_t *method);

/* The URI of a name-addr or addr-spec ("Bob" <sip:b@h>;tag=x -> sip:b@h). */
sip_str_t sip_addr_uri(sip_str_t hv);

/* Splits "sip:user@host:port;params" into user (may be empty), host and
 * port (5060 when absent). An IPv6 host is a reference, "[2001:db8::1]",
 * and host keeps its brackets. 0 / -1. */
int sip_uri_parse(sip_str_t uri, sip_str_t *user, sip_str_t *host, uint16_t *port);

#endif
