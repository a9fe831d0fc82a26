/* The spawner's requests and answers (see spawner.h). */
#include "spawner.h"

#include <stdint.h>
#include <string.h>

#include "ipc.h"
#include "supv.h"

void spawner_start_encode(struct ipc_out *o, uint64_t id, const char *role)
{
	ipc_out_init(o, SPAWNER_START, id);
	ipc_put_str(o, role);
}

int spawner_start_decode(const struct ipc_msg *m, char *role)
{
	static const char *const roles[] = { "service", "vault", "http", "smtp", "sip" };
	struct ipc_reader r;
	if (m->type != SPAWNER_START)
		return -1;
	ipc_reader_init(&r, m);
	if (ipc_get_str(&r, role, SUPV_ROLE_MAX + 1, SUPV_ROLE_MAX) != 0 || ipc_reader_end(&r) != 0)
		return -1;
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (strcmp(role, roles[i]) == 0)
			return m->nfds <= (size_t)(i == 0 ? 0 : SUPV_SPAWN_FDS_MAX) ? 0 : -1;
	return -1;
}

void spawner_started_encode(struct ipc_out *o, uint64_t id, uint32_t status, uint32_t pid)
{
	ipc_out_init(o, SPAWNER_STARTED, id);
	ipc_put_u32(o, status);
	ipc_put_u32(o, pid);
}

int spawner_started_decode(const struct ipc_msg *m, uint64_t id, uint32_t *status, uint32_t *pid)
{
	struct ipc_reader r;
	uint32_t st, p;
	if (m->type != SPAWNER_STARTED || m->id != id)
		return -1;
	ipc_reader_init(&r, m);
	if (ipc_get_u32(&r, &st) != 0 || ipc_get_u32(&r, &p) != 0 || ipc_reader_end(&r) != 0)
		return -1;
	if (st == 0 ? m->nfds != 1 || p == 0 || p > INT32_MAX : m->nfds != 0 || p != 0)
		return -1;
	*status = st;
	*pid = p;
	return 0;
}
