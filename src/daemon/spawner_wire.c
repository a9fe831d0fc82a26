/* The spawner's requests (see spawner.h). */
#include "spawner.h"

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
