/* Small secrets at rest, sealed under a subkey of the master key (see
 * vault.h, "small secrets at rest"). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "vault_int.h"
#include "xalloc.h"

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

/* "purpose|owner_id" into a new string (the associated data). */
static char *assoc(const char *purpose, const char *owner_id)
{
	return xasprintf("%s|%s", purpose, owner_id);
}

int vault_secret_is_sealed(const char *text)
{
	return text && strncmp(text, VAULT_SECRET_PREFIX, strlen(VAULT_SECRET_PREFIX)) == 0;
}

vault_err_t vault_secret_seal(const vault_key_t *master, const char *purpose,
	const char *owner_id, const char *plain, char **out)
{
	*out = NULL;
	if (!master || !purpose || !owner_id || !plain || strlen(plain) > VAULT_SECRET_MAX)
		return VAULT_ERR_ARG;
	if (vault_sodium_ready() != 0)
		return VAULT_ERR_CRYPTO;
	size_t plen = strlen(plain);
	uint8_t key[32];
	vault_subkey(master, VAULT_SUBKEY_SECRET, key, sizeof key);
	size_t blen = NONCE + plen + TAG;
	uint8_t *box = xmalloc(blen);
	randombytes_buf(box, NONCE);
	char *ad = assoc(purpose, owner_id);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE, &clen, (const uint8_t *)plain, plen,
		(const uint8_t *)ad, strlen(ad), NULL, box, key);
	sodium_memzero(key, sizeof key);
	free(ad);
	size_t pre = strlen(VAULT_SECRET_PREFIX);
	size_t elen = sodium_base64_encoded_len(blen, B64);
	char *s = xmalloc(pre + elen);
	memcpy(s, VAULT_SECRET_PREFIX, pre);
	sodium_bin2base64(s + pre, elen, box, blen, B64);
	free(box);
	*out = s;
	return VAULT_OK;
}

vault_err_t vault_secret_open(const vault_key_t *master, const char *purpose,
	const char *owner_id, const char *sealed, char **out)
{
	*out = NULL;
	if (!master || !purpose || !owner_id || !vault_secret_is_sealed(sealed))
		return VAULT_ERR_ARG;
	if (vault_sodium_ready() != 0)
		return VAULT_ERR_CRYPTO;
	const char *b64 = sealed + strlen(VAULT_SECRET_PREFIX);
	size_t cap = strlen(b64) + 1, blen = 0;
	if (cap > 2 * (VAULT_SECRET_MAX + NONCE + TAG))
		return VAULT_ERR_ARG;
	uint8_t *box = xmalloc(cap);
	if (sodium_base642bin(box, cap, b64, strlen(b64), NULL, &blen, NULL, B64) != 0 ||
	    blen < NONCE + TAG) {
		free(box);
		return VAULT_ERR_ARG;
	}
	uint8_t key[32];
	vault_subkey(master, VAULT_SUBKEY_SECRET, key, sizeof key);
	char *ad = assoc(purpose, owner_id);
	char *plain = xmalloc(blen - NONCE - TAG + 1);
	unsigned long long plen = 0;
	int rc = crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)plain, &plen, NULL,
		box + NONCE, blen - NONCE, (const uint8_t *)ad, strlen(ad), box, key);
	sodium_memzero(key, sizeof key);
	free(ad);
	free(box);
	if (rc != 0) {
		free(plain);
		return VAULT_ERR_UNWRAP;
	}
	plain[plen] = '\0';
	*out = plain;
	return VAULT_OK;
}
