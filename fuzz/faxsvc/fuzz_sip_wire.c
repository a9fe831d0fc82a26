/* Fuzz target: what the SIP front end sends the service
 * (src/faxsvc/sip_wire.c). The input is one datagram: decoded by
 * ipc_msg_decode, then by each decoder the service runs on the front end's
 * messages (SIPF_INVITE, SIPF_LISTENING, SIPF_PAGE, SIPF_RESULT). What a
 * decoder accepts must hold its invariants, and an INVITE it accepts must
 * encode again to the same payload. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linecall.h"
#include "sip_wire.h"
#include "xalloc.h"

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s > 0x7e || ((unsigned char)*s < 0x20 && *s != '\t'))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	if (ipc_msg_decode(data, size, &m) != 0) {
		ipc_msg_free(&m);
		return 0;
	}
	static sip_wire_invite_t w;
	if (sip_wire_invite_decode(&m, &w) == 0) {
		if (w.listener >= SIPF_LISTENERS_MAX || w.nheaders > SIPF_HEADERS_MAX ||
		    !printable(w.inv.src_ip) || !printable(w.ruri) || w.inv.msg)
			abort();
		char v[LINE_INVITE_HEADER_MAX];
		for (size_t i = 0; i < w.nheaders; i++)
			if (!printable(w.headers[i].value) ||
			    sip_wire_invite_header(&w, LINECALL_HDR_VALUE, w.headers[i].name, v, sizeof v) != 0)
				abort();
		struct ipc_out *o = xmalloc(sizeof *o);
		if (sip_wire_invite_encode(o, &w) != 0 || o->len != m.len + IPC_HDR_LEN ||
		    memcmp(o->buf + IPC_HDR_LEN, m.data, m.len) != 0)
			abort();
		free(o);
	}
	uint32_t id;
	int port, page, ok, rc;
	if (sip_wire_listening_decode(&m, &id, &port) == 0 && (id >= SIPF_LISTENERS_MAX || port < 0 ||
								  port > 65535))
		abort();
	if (sip_wire_page_decode(&m, &page, &ok) == 0 && (page < 1 || (ok != 0 && ok != 1)))
		abort();
	static fax_result_t r;
	if (sip_wire_result_decode(&m, &rc, &r) == 0) {
		if ((rc != 0 && rc != -1) || r.npages < 0 || r.npages > FAX_PAGES_MAX || !printable(r.reason) ||
		    !printable(r.fail_class) || r.call_ud)
			abort();
	}
	ipc_msg_free(&m);
	return 0;
}
