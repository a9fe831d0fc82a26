/* Building SIP responses (RFC 3261 §8.2.6): pure, no I/O.
 *
 * A response copies the request's Via headers (in order), From, To (with
 * our tag added when the request had none and the status is above 100),
 * Call-ID and CSeq; 1xx/2xx to an INVITE echo its Record-Route headers
 * (§12.1.1). Allow, Supported and, where they belong, Accept (405, 501,
 * body-less 200) and Warning (488) are added. */
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

#endif
