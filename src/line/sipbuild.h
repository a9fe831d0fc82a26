/* Building SIP responses (RFC 3261 §8.2.6): pure, no I/O.
 *
 * A response copies the request's Via headers (in order), From, To (with
 * our tag added when the request had none and the status is above 100),
 * Call-ID and CSeq; 1xx/2xx to an INVITE echo its Record-Route headers
 * (§12.1.1). Allow, Supported and, where they belong, Accept (405, 501,
 * body-less 200) and Warning (488) are added. Given the request's source,
 * the topmost Via gets received= and rport= (RFC 3261 §18.2.1, RFC 3581
 * §4), for IPv4 and IPv6 alike. */
#ifndef FV_LINE_SIPBUILD_H
#define FV_LINE_SIPBUILD_H

#include "buf.h"
#include "sipmsg.h"

#define ALLOW_HDR "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"

/* Reason phrase of a status we send ("Unknown" for others). Static string. */
const char *sip_status_text(int status);

/* Replaces b's content with the response to req. to_tag and contact may be
 * NULL; body is an SDP body or NULL. b's ceiling bounds the result. */
void sip_build_response(buf_t *b, const sip_msg_t *req, int status, const char *to_tag, const char *contact,
			const char *body);
/* The same with extra header lines (each ending in CRLF; NULL: none),
 * e.g. "Retry-After: 30\r\n". */
void sip_build_response_hdrs(buf_t *b, const sip_msg_t *req, int status, const char *to_tag,
			     const char *contact, const char *body, const char *extra);

/* Where a request came from: its address as text (IPv4, or IPv6 without
 * brackets) and port. */
typedef struct sip_src {
	const char *ip;
	unsigned port;
} sip_src_t;

/* sip_build_response_hdrs, with the topmost Via marked with the request's
 * source (src NULL: copied as it is): "rport" without a value gets the
 * source port, and "received=IP" is added when the Via asked for rport or
 * its sent-by host is not the source address. A Via that already has
 * received is left alone. */
void sip_build_response_src(buf_t *b, const sip_msg_t *req, const sip_src_t *src, int status, const char *to_tag,
			    const char *contact, const char *body, const char *extra);

#endif
