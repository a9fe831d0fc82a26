/* Fuzz target: what faxvaultd's supervisor asks its spawner, and what
 * the spawner answers (src/daemon/spawner_wire.c). The input is one
 * datagram: decoded by ipc_msg_decode, then by spawner_start_decode and
 * by spawner_started_decode (as the answer to its own id, once without a
 * descriptor and once as if one came with it). What the first accepts
 * must name one of the five roles, what the second accepts must be a
 * start with a pid in range and its socket or a refusal with neither, and
 * each must encode again to the same payload. */
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
	for (size_t fds = 0; fds < 2; fds++) {
		uint32_t status, pid;
		m.nfds = fds; /* m.fds[0] stays -1: nothing to close */
		if (spawner_started_decode(&m, m.id, &status, &pid) != 0)
			continue;
		if (status == 0 ? fds != 1 || pid == 0 || pid > INT32_MAX : fds != 0 || pid != 0)
			abort();
		spawner_started_encode(&o, m.id, status, pid);
		if (o.len != m.len + IPC_HDR_LEN || memcmp(o.buf + IPC_HDR_LEN, m.data, m.len) != 0)
			abort();
	}
	m.nfds = 0;
	ipc_msg_free(&m);
	return 0;
}
