/* Fuzz target: requests to the key holder (src/vault/keyd.c). The first
 * byte chooses how many descriptors came with the datagram (0..2, as
 * SCM_RIGHTS would deliver them), the rest is the datagram: decoded by
 * ipc_msg_decode, then by keyd_req_decode, which must refuse or accept
 * without reading past the payload; what it accepts holds its invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct ipc_msg m;
	if (ipc_msg_decode(data + 1, size - 1, &m) != 0) {
		ipc_msg_free(&m);
		return 0;
	}
	/* Stand-ins for passed descriptors, never closed (nfds is reset). */
	m.nfds = data[0] % 3;
	for (size_t i = 0; i < m.nfds; i++)
		m.fds[i] = 1000 + (int)i;
	struct keyd_req q;
	if (keyd_req_decode(&m, &q) == 0) {
		if (strlen(q.account) > VAULT_ID_MAX || strlen(q.doc) > VAULT_ID_MAX ||
		    (q.wak_len != 0 && q.wak_len != VAULT_WRAPPED_LEN) ||
		    (q.type == KEYD_SECRET && memchr(q.text, '\0', q.text_len)))
			abort();
	}
	m.nfds = 0;
	ipc_msg_free(&m);
	return 0;
}
