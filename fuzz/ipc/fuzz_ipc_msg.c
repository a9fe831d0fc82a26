/* Fuzz target: datagrams between faxvault's processes (src/ipc). Decodes the
 * header, then reads the payload as a sequence of fields chosen by the
 * message type, the way a receiver would. What decodes must encode back to
 * the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

static void read_fields(const struct ipc_msg *m)
{
	struct ipc_reader r;
	ipc_reader_init(&r, m);
	unsigned prog = m->type;
	char s[65];
	for (int i = 0; i < 8; i++, prog >>= 2) {
		uint64_t u64;
		uint32_t u32;
		const uint8_t *p;
		size_t n;
		switch (prog & 3) {
		case 0: ipc_get_u64(&r, &u64); break;
		case 1: ipc_get_u32(&r, &u32); break;
		case 2: ipc_get_bytes(&r, &p, &n, IPC_FIELD_MAX); break;
		default: ipc_get_str(&r, s, sizeof s, sizeof s - 1); break;
		}
	}
	(void)ipc_reader_end(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	if (ipc_msg_decode(data, size, &m) != 0) {
		ipc_msg_free(&m);
		return 0;
	}
	read_fields(&m);
	static struct ipc_out o;
	ipc_out_init(&o, m.type, m.id);
	if (m.len) {
		memcpy(o.buf + IPC_HDR_LEN, m.data, m.len);
		o.len += m.len;
	}
	/* The header's length field is filled by ipc_send; compare the rest. */
	if (o.len != size || memcmp(o.buf, data, 4) != 0 ||
	    memcmp(o.buf + 8, data + 8, size - 8) != 0)
		abort();
	ipc_msg_free(&m);
	return 0;
}
