/* Fuzz target: SIP message parser and the header helpers the UA uses. */
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "sipmsg.h"

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
		sip_uri_parse(u, &user, &host, &port);
		digest_chal_t c;
		digest_parse(m.hdrs[k].value, &c);
	}
	sip_str_t user, host;
	uint16_t port;
	if (m.is_request)
		sip_uri_parse(m.uri, &user, &host, &port);
	return 0;
}
