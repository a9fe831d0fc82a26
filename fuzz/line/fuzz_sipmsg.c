/* Fuzz target: SIP message parser and the header helpers the UA uses,
 * down to the hostport the UA makes of a URI's host and port (a route's
 * next hop: IPv4 or a bracketed IPv6 reference, sipaddr_parse), and the
 * response the UA builds to a request (its topmost Via rewritten with
 * received/rport). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "digest.h"
#include "buf.h"
#include "sipaddr.h"
#include "sipbuild.h"
#include "sipmsg.h"

static void hostport(sip_str_t host, uint16_t port)
{
	char hp[300];
	struct sockaddr_storage a;
	char s[SIPADDR_STR_MAX];
	if (host.n < 256 && snprintf(hp, sizeof hp, "%.*s:%u", (int)host.n, host.p, port) > 0 &&
	    sipaddr_parse(hp, &a, 0) == 0)
		sipaddr_str(&a, s, sizeof s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sip_msg_t m;
	if (sip_msg_parse(data, size, &m) != 0)
		return 0;
	sip_msg_check(&m);
	uint32_t n;
	sip_str_t meth, v;
	sip_cseq(&m, &n, &meth);
	for (size_t k = 0; k < m.nhdrs; k++) {
		sip_param(m.hdrs[k].value, "tag", &v);
		sip_param(m.hdrs[k].value, "branch", &v);
		sip_str_t u = sip_addr_uri(m.hdrs[k].value), user, host;
		uint16_t port;
		if (sip_uri_parse(u, &user, &host, &port) == 0)
			hostport(host, port);
		digest_chal_t c;
		digest_parse(m.hdrs[k].value, &c);
	}
	sip_str_t user, host;
	uint16_t port;
	if (m.is_request && sip_uri_parse(m.uri, &user, &host, &port) == 0)
		hostport(host, port);
	if (m.is_request && sip_msg_check(&m) == 0) {
		buf_t b;
		buf_init(&b, SIP_MSG_MAX);
		sip_src_t src = {size & 1 ? "2001:db8::1" : "192.0.2.1", 5060};
		sip_build_response_src(&b, &m, &src, 200, "t", "<sip:fv@[::1]:5060>", NULL, NULL);
		sip_msg_t r;
		if (b.data)
			sip_msg_parse((const uint8_t *)b.data, b.len, &r);
		buf_free(&b);
	}
	return 0;
}
