/* SDP parser and builder (see sdp.h). */
#include "sdp.h"

#include <arpa/inet.h>
#include <string.h>

#include "numparse.h"
#include "sipmsg.h"

static int tok(const char **p, const char *end, sip_str_t *out)
{
	while (*p < end && **p == ' ')
		(*p)++;
	const char *s = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	*out = (sip_str_t){s, (size_t)(*p - s)};
	return out->n ? 0 : -1;
}

static int copy_addr(const char *v, const char *end, char out[SDP_ADDR_MAX])
{
	/* c=IN IP4 a.b.c.d[/ttl] or c=IN IP6 2001:db8::1 (RFC 4566 §5.7) */
	sip_str_t nt, at, a;
	if (tok(&v, end, &nt) || tok(&v, end, &at) || tok(&v, end, &a))
		return -1;
	int v6 = sip_str_eq(at, "IP6");
	if (!sip_str_eq(nt, "IN") || !(v6 || sip_str_eq(at, "IP4")))
		return -1;
	const char *slash = memchr(a.p, '/', a.n);
	if (slash)
		a.n = (size_t)(slash - a.p);
	if (a.n == 0 || a.n >= SDP_ADDR_MAX)
		return -1;
	char tmp[SDP_ADDR_MAX];
	memcpy(tmp, a.p, a.n);
	tmp[a.n] = '\0';
	struct in6_addr ia;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, tmp, &ia) != 1)
		return -1;
	memcpy(out, tmp, a.n + 1);
	return 0;
}

static int attr_int(sip_str_t val, int *out)
{
	int64_t v;
	if (parse_i64(val.p, val.n, 0, 1000000000, &v) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

static void parse_t38_attr(sdp_media_t *m, sip_str_t name, sip_str_t val, int has_val)
{
	sdp_t38_t *t = &m->t38;
	if (sip_str_eq(name, "T38FaxVersion") && has_val)
		attr_int(val, &t->version);
	else if (sip_str_eq(name, "T38MaxBitRate") && has_val)
		attr_int(val, &t->max_bit_rate);
	else if (sip_str_eq(name, "T38FaxMaxBuffer") && has_val)
		attr_int(val, &t->max_buffer);
	else if (sip_str_eq(name, "T38FaxMaxDatagram") && has_val)
		attr_int(val, &t->max_datagram);
	else if (sip_str_eq(name, "T38FaxUdpEC") && has_val)
		t->ec = sip_str_eq(val, "t38UDPRedundancy") ? SDP_EC_REDUNDANCY
		      : sip_str_eq(val, "t38UDPFEC")        ? SDP_EC_FEC
							    : SDP_EC_NONE;
	else if (sip_str_eq(name, "T38FaxRateManagement") && has_val)
		t->rate_transferred = sip_str_eq(val, "transferredTCF");
	else if (sip_str_eq(name, "T38FaxFillBitRemoval"))
		t->fill_bit_removal = !has_val || !sip_str_eq(val, "0");
	else if (sip_str_eq(name, "T38FaxTranscodingMMR"))
		t->mmr = !has_val || !sip_str_eq(val, "0");
	else if (sip_str_eq(name, "T38FaxTranscodingJBIG"))
		t->jbig = !has_val || !sip_str_eq(val, "0");
}

static int parse_m(const char *v, const char *end, sdp_media_t *m)
{
	sip_str_t kind, port, proto, f;
	if (tok(&v, end, &kind) || tok(&v, end, &port) || tok(&v, end, &proto))
		return -1;
	const char *slash = memchr(port.p, '/', port.n);
	if (slash)
		port.n = (size_t)(slash - port.p);
	uint64_t pv;
	if (parse_u64(port.p, port.n, 65535, &pv) != 0)
		return -1;
	m->port = (uint16_t)pv;
	m->kind = sip_str_eq(kind, "audio") ? SDP_AUDIO : sip_str_eq(kind, "image") ? SDP_IMAGE : SDP_OTHER;
	m->proto = sip_str_eq(proto, "RTP/AVP") ? SDP_RTP_AVP
		 : (sip_str_eq(proto, "udptl") || sip_str_eq(proto, "UDPTL")) ? SDP_UDPTL
									       : SDP_PROTO_OTHER;
	m->t38.ec = SDP_EC_NONE;
	int nfmt = 0;
	while (tok(&v, end, &f) == 0) {
		nfmt++;
		if (m->kind == SDP_IMAGE && sip_str_eq(f, "t38"))
			m->is_t38 = (m->proto == SDP_UDPTL);
		if (m->proto == SDP_RTP_AVP) {
			int64_t pt;
			if (parse_i64(f.p, f.n, 0, 127, &pt) != 0)
				return -1;
			if (m->nfmts < SDP_FMT_MAX)
				m->fmts[m->nfmts++] = (int)pt;
		}
	}
	return nfmt ? 0 : -1;
}

int sdp_parse(const uint8_t *data, size_t len, sdp_t *s)
{
	memset(s, 0, sizeof *s);
	if (!data || len == 0 || len > SDP_MAX)
		return -1;
	const char *p = (const char *)data, *end = p + len;
	char sess_addr[SDP_ADDR_MAX] = "";
	int seen_v = 0;
	sdp_media_t *cur = NULL;
	while (p < end) {
		const char *le = p;
		while (le < end && *le != '\r' && *le != '\n')
			le++;
		const char *next = le;
		if (next < end && *next == '\r')
			next++;
		if (next < end && *next == '\n')
			next++;
		if (le == p) {
			p = next;
			continue;
		}
		if (le - p < 2 || p[1] != '=')
			return -1;
		char type = p[0];
		const char *v = p + 2;
		for (const char *q = v; q < le; q++)
			if ((unsigned char)*q < 0x20 && *q != '\t')
				return -1;
		switch (type) {
		case 'v':
			if (le - v != 1 || *v != '0')
				return -1;
			seen_v = 1;
			break;
		case 'o': {
			sip_str_t user, id, ver;
			const char *q = v;
			if (tok(&q, le, &user) || tok(&q, le, &id) || tok(&q, le, &ver))
				return -1;
			if (parse_u64(id.p, id.n, UINT64_MAX, &s->sess_id) != 0 ||
			    parse_u64(ver.p, ver.n, UINT64_MAX, &s->sess_ver) != 0)
				return -1;
			break;
		}
		case 'c':
			if (copy_addr(v, le, cur ? cur->addr : sess_addr) != 0)
				return -1;
			break;
		case 'm':
			if (s->nm == SDP_MEDIA_MAX)
				return -1;
			cur = &s->m[s->nm++];
			if (parse_m(v, le, cur) != 0)
				return -1;
			break;
		case 'a': {
			if (!cur)
				break;
			const char *colon = memchr(v, ':', (size_t)(le - v));
			sip_str_t name = {v, colon ? (size_t)(colon - v) : (size_t)(le - v)};
			sip_str_t val = {colon ? colon + 1 : le, colon ? (size_t)(le - colon - 1) : 0};
			if (sip_str_eq(name, "ptime") && colon)
				attr_int(val, &cur->ptime);
			else if (cur->kind == SDP_IMAGE)
				parse_t38_attr(cur, name, val, colon != NULL);
			break;
		}
		default:
			break; /* s=, t=, b=, k=... not needed */
		}
		p = next;
	}
	if (!seen_v || s->nm == 0)
		return -1;
	for (size_t k = 0; k < s->nm; k++) {
		if (!s->m[k].addr[0]) {
			if (!sess_addr[0] && s->m[k].port != 0)
				return -1;
			memcpy(s->m[k].addr, sess_addr, sizeof sess_addr);
		}
	}
	return 0;
}

int sdp_find_audio(const sdp_t *s, int *pt)
{
	for (size_t k = 0; k < s->nm; k++) {
		const sdp_media_t *m = &s->m[k];
		if (m->kind != SDP_AUDIO || m->proto != SDP_RTP_AVP || m->port == 0)
			continue;
		for (size_t f = 0; f < m->nfmts; f++) {
			if (m->fmts[f] == 0 || m->fmts[f] == 8) {
				*pt = m->fmts[f];
				return (int)k;
			}
		}
	}
	return -1;
}

int sdp_find_t38(const sdp_t *s)
{
	for (size_t k = 0; k < s->nm; k++)
		if (s->m[k].is_t38 && s->m[k].port != 0)
			return (int)k;
	return -1;
}

static int build_audio(buf_t *out, uint16_t port, int pt)
{
	if (pt < 0)
		return buf_printf(out, "m=audio %u RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
				       "a=rtpmap:8 PCMA/8000\r\na=ptime:20\r\na=sendrecv\r\n", port);
	return buf_printf(out, "m=audio %u RTP/AVP %d\r\na=rtpmap:%d %s/8000\r\na=ptime:20\r\na=sendrecv\r\n",
			  port, pt, pt, pt == 8 ? "PCMA" : "PCMU");
}

static int build_t38(buf_t *out, const sdp_local_t *l)
{
	return buf_printf(out,
			  "m=image %u udptl t38\r\n"
			  "a=T38FaxVersion:0\r\n"
			  "a=T38MaxBitRate:%d\r\n"
			  "a=T38FaxRateManagement:transferredTCF\r\n"
			  "a=T38FaxMaxBuffer:2000\r\n"
			  "a=T38FaxMaxDatagram:400\r\n"
			  "a=T38FaxUdpEC:%s\r\n",
			  l->port, l->t38_max_rate > 0 ? l->t38_max_rate : 14400,
			  l->t38_redundancy ? "t38UDPRedundancy" : "t38UDPNone");
}

int sdp_build(buf_t *out, const sdp_local_t *l, const sdp_t *like)
{
	const char *fam = strchr(l->addr, ':') ? "IP6" : "IP4";
	int rc = buf_printf(out, "v=0\r\no=faxvault %llu %llu IN %s %s\r\ns=faxvault\r\nc=IN %s %s\r\nt=0 0\r\n",
			    (unsigned long long)l->sess_id, (unsigned long long)l->sess_ver, fam, l->addr, fam, l->addr);
	if (rc != 0)
		return -1;
	if (!like)
		return l->use_t38 ? build_t38(out, l) : build_audio(out, l->port, l->pt);
	int used = 0;
	for (size_t k = 0; k < like->nm; k++) {
		const sdp_media_t *m = &like->m[k];
		int want = !used && m->port != 0 &&
			   (l->use_t38 ? m->is_t38 : (m->kind == SDP_AUDIO && m->proto == SDP_RTP_AVP));
		if (want) {
			used = 1;
			rc = l->use_t38 ? build_t38(out, l) : build_audio(out, l->port, l->pt);
		} else if (m->kind == SDP_IMAGE) {
			rc = buf_printf(out, "m=image 0 udptl t38\r\n");
		} else if (m->kind == SDP_AUDIO) {
			rc = buf_printf(out, "m=audio 0 RTP/AVP 0\r\n");
		} else {
			/* Unknown media: rejected with port 0 and a harmless format. */
			rc = buf_printf(out, "m=application 0 RTP/AVP 0\r\n");
		}
		if (rc != 0)
			return -1;
	}
	return used ? 0 : -1;
}
