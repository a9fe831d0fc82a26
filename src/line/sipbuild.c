/* SIP responses built from the request they answer (see sipbuild.h). */
#include "sipbuild.h"

#include <arpa/inet.h>
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
	sip_build_response_src(b, req, NULL, status, to_tag, contact, body, extra);
}

/* Whether the sent-by host of a via-parm ("SIP/2.0/UDP host[:port];...")
 * is the address ip (IPv6 compared as addresses, brackets dropped). */
static int sent_by_is(sip_str_t via, const char *ip)
{
	size_t i = 0;
	while (i < via.n && via.p[i] != ' ' && via.p[i] != '\t')
		i++;
	while (i < via.n && (via.p[i] == ' ' || via.p[i] == '\t'))
		i++;
	size_t s = i, e;
	char host[64];
	if (i < via.n && via.p[i] == '[') {
		s = ++i;
		while (i < via.n && via.p[i] != ']')
			i++;
		e = i;
	} else {
		while (i < via.n && via.p[i] != ':' && via.p[i] != ';' && via.p[i] != ' ' && via.p[i] != ',')
			i++;
		e = i;
	}
	if (e - s == 0 || e - s >= sizeof host)
		return 0;
	memcpy(host, via.p + s, e - s);
	host[e - s] = '\0';
	struct in6_addr a, b;
	int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, host, &a) == 1 && inet_pton(fam, ip, &b) == 1)
		return memcmp(&a, &b, fam == AF_INET6 ? 16 : 4) == 0;
	return 0;
}

/* The topmost Via (the first via-parm of the first Via header) with
 * received/rport from src; the rest of that header as it was. */
static void top_via(buf_t *b, sip_str_t v, const sip_src_t *src)
{
	size_t end = 0;
	int q = 0;
	while (end < v.n && (q || v.p[end] != ',')) {
		if (v.p[end] == '"')
			q = !q;
		end++;
	}
	sip_str_t top = {v.p, end}, rp;
	while (top.n && (top.p[top.n - 1] == ' ' || top.p[top.n - 1] == '\t'))
		top.n--;
	int has_rport = sip_param(top, "rport", &rp) == 0;
	sip_str_t rc;
	if (sip_param(top, "received", &rc) == 0 || strpbrk(src->ip, "\r\n;,\" ")) {
		buf_printf(b, "Via: %.*s\r\n", (int)v.n, v.p);
		return;
	}
	buf_puts(b, "Via: ");
	if (has_rport && rp.n == 0) {
		/* ";rport" with no value: the value goes right after the name */
		size_t at = (size_t)(rp.p - top.p);
		buf_printf(b, "%.*s=%u%.*s", (int)at, top.p, src->port, (int)(top.n - at), top.p + at);
	} else {
		buf_printf(b, "%.*s", (int)top.n, top.p);
	}
	if (has_rport || !sent_by_is(top, src->ip))
		buf_printf(b, ";received=%s", src->ip);
	buf_printf(b, "%.*s\r\n", (int)(v.n - end), v.p + end);
}

void sip_build_response_src(buf_t *b, const sip_msg_t *req, const sip_src_t *src, int status, const char *to_tag,
			    const char *contact, const char *body, const char *extra)
{
	buf_reset(b);
	buf_printf(b, "SIP/2.0 %d %s\r\n", status, sip_status_text(status));
	int first = 1;
	for (size_t k = 0; k < req->nhdrs; k++) {
		const sip_hdr_t *h = &req->hdrs[k];
		if (!sip_str_eq(h->name, "Via") && !sip_str_eq(h->name, "v"))
			continue;
		if (first && src && src->ip && src->ip[0])
			top_via(b, h->value, src);
		else
			buf_printf(b, "Via: %.*s\r\n", (int)h->value.n, h->value.p);
		first = 0;
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

