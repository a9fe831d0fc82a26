/* Fuzz target: what the service sends faxvaultd's supervisor, and what the
 * supervisor sends the service (src/ipc/supv.c). The input is one datagram:
 * decoded by ipc_msg_decode, then by each decoder of supv.h. What a decoder
 * accepts must hold its invariants (a known role, a pid in range, a
 * signal of the two a stop may send, a stalled thread's role of letters) and
 * encode again to the same payload. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supv.h"

static void same(struct ipc_out *o, const struct ipc_msg *m)
{
	if (o->len != m->len + IPC_HDR_LEN || memcmp(o->buf + IPC_HDR_LEN, m->data, m->len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	if (ipc_msg_decode(data, size, &m) != 0) {
		ipc_msg_free(&m);
		return 0;
	}
	static struct ipc_out o;
	char role[SUPV_ROLE_MAX + 1];
	if (supv_spawn_decode(&m, role) == 0) {
		if (strcmp(role, "vault") != 0 && strcmp(role, "http") != 0 && strcmp(role, "smtp") != 0 &&
		    strcmp(role, "sip") != 0)
			abort();
		supv_spawn_encode(&o, m.id, role);
		same(&o, &m);
	}
	if (supv_ready_decode(&m) == 0 && m.len != 0)
		abort();
	uint32_t a, b;
	/* m.nfds is 0 here (no descriptors in a fuzzed datagram): a spawn's
	 * answer that says it worked needs its socket, so is refused. */
	if (supv_spawned_decode(&m, &a, &b) == 0) {
		if (a == 0)
			abort();
		supv_spawned_encode(&o, m.id, a, b);
		same(&o, &m);
	}
	if (supv_kill_decode(&m, &a, &b) == 0) {
		if (a == 0 || a > INT32_MAX || (b != SIGTERM && b != SIGKILL))
			abort();
		supv_kill_encode(&o, a, b);
		same(&o, &m);
	}
	if (supv_heartbeat_decode(&m) == 0 && m.len != 0)
		abort();
	if (supv_stalled_decode(&m, role, &a) == 0) {
		if (!role[0] || strspn(role, "abcdefghijklmnopqrstuvwxyz") != strlen(role))
			abort();
		supv_stalled_encode(&o, role, a);
		same(&o, &m);
	}
	if (supv_exited_decode(&m, &a, &b) == 0) {
		if (a == 0 || a > INT32_MAX)
			abort();
		supv_exited_encode(&o, a, b);
		same(&o, &m);
	}
	ipc_msg_free(&m);
	return 0;
}
