/* Fuzz target: a DNS answer as resolve.c reads it (SRV and NAPTR records of
 * the answer section), and a trunk's peer as text (resolve_peer_split). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	resolve_srv_t srv[RESOLVE_RECORDS_MAX];
	resolve_naptr_t nr[RESOLVE_RECORDS_MAX];
	int n = resolve_parse_srv(data, size, srv, RESOLVE_RECORDS_MAX);
	if (n > RESOLVE_RECORDS_MAX)
		__builtin_trap();
	for (int i = 0; i < n; i++)
		if (srv[i].port < 0 || srv[i].port > 65535 || strlen(srv[i].target) >= RESOLVE_NAME_MAX)
			__builtin_trap();
	if (n > 0)
		resolve_srv_order(srv, n, NULL, NULL);
	n = resolve_parse_naptr(data, size, nr, RESOLVE_RECORDS_MAX);
	if (n > RESOLVE_RECORDS_MAX)
		__builtin_trap();
	for (int i = 0; i < n; i++)
		(void)resolve_naptr_transport(nr[i].service);

	char peer[300], host[RESOLVE_NAME_MAX];
	size_t k = size < sizeof peer - 1 ? size : sizeof peer - 1;
	memcpy(peer, data, k);
	peer[k] = '\0';
	int port, literal;
	if (resolve_peer_split(peer, host, sizeof host, &port, &literal) == 0 &&
	    (port < 0 || port > 65535 || !host[0] || (literal && !port)))
		__builtin_trap();
	return 0;
}
