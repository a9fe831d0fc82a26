/* Fuzz target: what faxvaultd's supervisor asks its spawner
 * (src/daemon/spawner_wire.c). The input is one datagram: decoded by
 * ipc_msg_decode, then by spawner_start_decode. What it accepts must name
 * one of the five roles and encode again to the same payload. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "spawner.h"
#include "supv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	if (ipc_msg_decode(data, size, &m) != 0) {
		ipc_msg_free(&m);
		return 0;
	}
	static struct ipc_out o;
	char role[SUPV_ROLE_MAX + 1];
	if (spawner_start_decode(&m, role) == 0) {
		if (strcmp(role, "service") != 0 && strcmp(role, "vault") != 0 && strcmp(role, "http") != 0 &&
		    strcmp(role, "smtp") != 0 && strcmp(role, "sip") != 0)
			abort();
		spawner_start_encode(&o, m.id, role);
		if (o.len != m.len + IPC_HDR_LEN || memcmp(o.buf + IPC_HDR_LEN, m.data, m.len) != 0)
			abort();
	}
	ipc_msg_free(&m);
	return 0;
}
