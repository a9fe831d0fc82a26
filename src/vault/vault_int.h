/* Internals shared by the files of src/vault: key storage and the
 * derivation of per-use subkeys. Not for use outside src/vault. */
#ifndef FV_VAULT_INT_H
#define FV_VAULT_INT_H

#include <stdint.h>

#include "vault.h"

/* Subkeys derived from a key with crypto_kdf (context "fvvault1"). */
enum { VAULT_SUBKEY_STREAM = 1, VAULT_SUBKEY_MAC = 2, VAULT_SUBKEY_ID = 3, VAULT_SUBKEY_SECRET = 4 };

/* 0 when libsodium is ready, -1 otherwise (idempotent, thread-safe). */
int vault_sodium_ready(void);
/* A new key in guarded, locked memory, writable until vault_key_seal().
 * NULL when libsodium cannot allocate. */
vault_key_t *vault_key_alloc(void);
/* Makes the key read-only (later writes fault). */
void vault_key_seal(vault_key_t *k);
uint8_t *vault_key_raw(vault_key_t *k);
const uint8_t *vault_key_bytes(const vault_key_t *k);
/* Derives len (16..64) bytes for subkey id from k. */
void vault_subkey(const vault_key_t *k, uint64_t id, uint8_t *out, size_t len);

#endif
