/* The fixed document key and id the vault fuzz targets read with, so that
 * seed files written under it get past the key check into the chunks. */
#ifndef FV_FUZZ_VAULT_KEY_H
#define FV_FUZZ_VAULT_KEY_H

#include <stdint.h>

#include "vault_int.h"

#define FUZZ_VAULT_DOC "fax_fuzz"

/* Key bytes 0, 1, …, 31 (built with the vault's internals: there is no
 * public way to make a key from chosen bytes, on purpose). */
static inline vault_key_t *fuzz_vault_key(void)
{
	vault_key_t *k = vault_key_alloc();
	if (!k)
		return NULL;
	uint8_t *raw = vault_key_raw(k);
	for (int i = 0; i < VAULT_KEY_LEN; i++)
		raw[i] = (uint8_t)i;
	vault_key_seal(k);
	return k;
}

#endif
