/* Fuzz target: what the HTTP front end sends the service, and the answer
 * the service sends back (src/api/http_wire.c). The input is one datagram:
 * decoded by ipc_msg_decode, then as HTTPF_REQUEST by
 * http_wire_request_decode (the decoder of the untrusted side's messages)
 * and as HTTPF_ANSWER. What a decoder accepts must hold its invariants
 * (a request's id is never 0), and a request it accepts must encode again
 * to the same datagram, its id included. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_wire.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	if (ipc_msg_decode(data, size, &m) != 0) {
		ipc_msg_free(&m);
		return 0;
	}
	static http_wire_req_t w;
	if (http_wire_request_decode(&m, &w) == 0) {
		const http_in_t *in = &w.in;
		if (m.id == 0 || !http_wire_name_ok(in->method) || in->nheaders > HTTPF_HEADERS_MAX ||
		    in->nargs > HTTPF_ARGS_MAX || !in->url || in->body)
			abort();
		for (size_t i = 0; i < in->nheaders; i++)
			if (!http_wire_name_ok(in->headers[i].name) ||
			    !http_wire_value_ok(in->headers[i].value))
				abort();
		/* What the front end would send for this request is this one. */
		struct ipc_out *o = xmalloc(sizeof *o);
		http_in_t again = *in;
		static uint8_t one;
		again.body = w.body_len ? &one : NULL;
		again.len = (size_t)w.body_len;
		if (http_wire_request_encode(o, m.id, &again) != 0 || o->len != m.len + IPC_HDR_LEN ||
		    memcmp(o->buf + IPC_HDR_LEN, m.data, m.len) != 0 ||
		    memcmp(o->buf + 8, data + 8, 8) != 0 /* the id (the length is set by ipc_send) */)
			abort();
		free(o);
	}
	http_out_t a;
	bool in_fd;
	if (http_wire_answer_decode(&m, &a, &in_fd) == 0) {
		if (a.status < 100 || a.status > 599 || a.nheaders > HTTPF_ANSWER_HEADERS_MAX ||
		    (!in_fd && a.len > HTTPF_INLINE_MAX) || (in_fd && a.len <= HTTPF_INLINE_MAX))
			abort();
		for (size_t i = 0; i < a.nheaders; i++)
			if (!http_wire_name_ok(a.headers[i].name) || !http_wire_value_ok(a.headers[i].value))
				abort();
		http_out_free(&a);
	}
	ipc_msg_free(&m);
	return 0;
}
