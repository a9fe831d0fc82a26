/* SIP responses built from the request they answer (see sipbuild.h). */
#include "sipbuild.h"

#include <string.h>

const char *sip_status_text(int st)
{
	switch (st) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 481: return "Call/Transaction Does Not Exist";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 491: return "Request Pending";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/* A response to req (headers copied per RFC 3261 §8.2.6). to_tag is added
 * to To when To has none and status > 100. */
void sip_build_response(buf_t *b, const sip_msg_t *req, int status, const char *to_tag,
			   const char *contact, const char *body)
{
	sip_build_response_hdrs(b, req, status, to_tag, contact, body, NULL);
}

void sip_build_response_hdrs(buf_t *b, const sip_msg_t *req, int status, const char *to_tag,
			     const char *contact, const char *body, const char *extra)
{
	buf_reset(b);
	buf_printf(b, "SIP/2.0 %d %s\r\n", status, sip_status_text(status));
	for (size_t k = 0; k < req->nhdrs; k++) {
		const sip_hdr_t *h = &req->hdrs[k];
		if (sip_str_eq(h->name, "Via") || sip_str_eq(h->name, "v"))
			buf_printf(b, "Via: %.*s\r\n", (int)h->value.n, h->value.p);
	}
	const sip_str_t *v;
	if ((v = sip_msg_header(req, "From")))
		buf_printf(b, "From: %.*s\r\n", (int)v->n, v->p);
	if ((v = sip_msg_header(req, "To"))) {
		sip_str_t t;
		if (status > 100 && to_tag && sip_param(*v, "tag", &t) != 0)
			buf_printf(b, "To: %.*s;tag=%s\r\n", (int)v->n, v->p, to_tag);
		else
			buf_printf(b, "To: %.*s\r\n", (int)v->n, v->p);
	}
	if ((v = sip_msg_header(req, "Call-ID")))
		buf_printf(b, "Call-ID: %.*s\r\n", (int)v->n, v->p);
	if ((v = sip_msg_header(req, "CSeq")))
		buf_printf(b, "CSeq: %.*s\r\n", (int)v->n, v->p);
	if (status > 100 && status < 300 && sip_str_eq(req->method, "INVITE"))
		for (size_t k = 0; k < req->nhdrs; k++)
			if (sip_str_eq(req->hdrs[k].name, "Record-Route"))
				buf_printf(b, "Record-Route: %.*s\r\n", (int)req->hdrs[k].value.n, req->hdrs[k].value.p);
	if (contact)
		buf_printf(b, "Contact: %s\r\n", contact);
	buf_puts(b, ALLOW_HDR "Supported: timer\r\nUser-Agent: faxvault/" FV_VERSION "\r\n");
	if (status == 405 || status == 501 || (status == 200 && body == NULL))
		buf_puts(b, "Accept: application/sdp\r\n");
	if (extra)
		buf_puts(b, extra);
	if (status == 488)
		buf_puts(b, "Warning: 304 faxvault \"Media type not available\"\r\n");
	if (body) {
		buf_printf(b, "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	} else {
		buf_puts(b, "Content-Length: 0\r\n\r\n");
	}
}

