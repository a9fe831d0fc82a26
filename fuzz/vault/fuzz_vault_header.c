/* Fuzz target: the pure blob header parser (vault_header_parse) over any
 * bytes; a header it accepts must be self-consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vault_header h;
	vault_err_t e = vault_header_parse(data, size, &h);
	if (e == VAULT_OK) {
		if (size < VAULT_HEADER_LEN || h.version != 1 || h.chunk_size < VAULT_CHUNK_MIN ||
			h.chunk_size > VAULT_CHUNK_MAX || h.plain_len > VAULT_PLAIN_MAX ||
			!vault_id_valid(h.doc_id) ||
			vault_blob_size(h.plain_len, h.chunk_size) < VAULT_HEADER_LEN + h.plain_len)
			abort();
	} else if (e != VAULT_ERR_HEADER && e != VAULT_ERR_VERSION && e != VAULT_ERR_TRUNCATED) {
		abort();
	}
	if (strlen(vault_strerror(e)) == 0)
		abort();
	return 0;
}
