/* Small secrets at rest, sealed under the key of their scope: an account's
 * key or the provider's subkey of the master key (see vault.h, "small
 * secrets at rest"). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "vault_int.h"
#include "xalloc.h"

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define AD_LABEL "faxvault secret"
/* label, account id, purpose and owner id, each followed by a NUL */
#define SECRET_AD_MAX (sizeof AD_LABEL + VAULT_ID_MAX + VAULT_PURPOSE_MAX + VAULT_ID_MAX + 3)

static int purpose_valid(const char *p)
{
	size_t n = p ? strnlen(p, VAULT_PURPOSE_MAX + 1) : 0;
	if (n == 0 || n > VAULT_PURPOSE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == '_'))
			return 0;
	return 1;
}

static int scope_valid(const vault_scope_t *scope)
{
	if (!scope)
		return 0;
	if (!scope->account_id)
		return 1;
	return vault_id_valid(scope->account_id) && scope->wrapped_key &&
		scope->wrapped_len == VAULT_WRAPPED_LEN;
}

/* The associated data: label, account id ("" for the provider), purpose,
 * owner id, each NUL-terminated (ids and purposes hold no NUL, so the
 * encoding is unambiguous). Its length. */
static size_t secret_ad(uint8_t ad[SECRET_AD_MAX], const vault_scope_t *scope,
	const char *purpose, const char *owner_id)
{
	const char *parts[] = { AD_LABEL, scope->account_id ? scope->account_id : "", purpose,
		owner_id };
	size_t n = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		size_t len = strlen(parts[i]) + 1;
		memcpy(ad + n, parts[i], len);
		n += len;
	}
	return n;
}

/* The sealing key of scope into key: a subkey of the account key (opened
 * with master) or of the master key. */
static vault_err_t scope_key(const vault_key_t *master, const vault_scope_t *scope,
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES])
{
	if (!scope->account_id) {
		vault_subkey(master, VAULT_SUBKEY_SECRET, key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
		return VAULT_OK;
	}
	vault_key_t *ak = NULL;
	vault_err_t rc = vault_account_key_unwrap(master, scope->account_id, scope->wrapped_key,
		scope->wrapped_len, &ak);
	if (rc != VAULT_OK)
		return rc;
	vault_subkey(ak, VAULT_SUBKEY_SECRET, key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
	vault_key_free(ak);
	return VAULT_OK;
}

int vault_secret_is_sealed(const char *text)
{
	return text && strncmp(text, VAULT_SECRET_PREFIX, strlen(VAULT_SECRET_PREFIX)) == 0;
}

/* What sealing and opening share: the arguments checked, the associated
 * data into ad (its length in *adlen) and the scope's key into key. */
static vault_err_t secret_begin(const vault_key_t *master, const vault_scope_t *scope,
	const char *purpose, const char *owner_id, uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
	uint8_t ad[SECRET_AD_MAX], size_t *adlen)
{
	if (!master || !scope_valid(scope) || !purpose_valid(purpose) || !vault_id_valid(owner_id))
		return VAULT_ERR_ARG;
	if (vault_sodium_ready() != 0)
		return VAULT_ERR_CRYPTO;
	*adlen = secret_ad(ad, scope, purpose, owner_id);
	return scope_key(master, scope, key);
}

vault_err_t vault_secret_seal(const vault_key_t *master, const vault_scope_t *scope,
	const char *purpose, const char *owner_id, const char *plain, char **out)
{
	if (!out)
		return VAULT_ERR_ARG;
	*out = NULL;
	size_t plen = plain ? strnlen(plain, VAULT_SECRET_MAX + 1) : 0;
	if (plen == 0 || plen > VAULT_SECRET_MAX)
		return VAULT_ERR_ARG;
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES], ad[SECRET_AD_MAX];
	size_t adlen = 0;
	vault_err_t rc = secret_begin(master, scope, purpose, owner_id, key, ad, &adlen);
	if (rc != VAULT_OK)
		return rc;
	uint8_t box[NONCE + VAULT_SECRET_MAX + TAG];
	size_t blen = NONCE + plen + TAG;
	randombytes_buf(box, NONCE);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE, &clen, (const uint8_t *)plain, plen,
		ad, adlen, NULL, box, key);
	sodium_memzero(key, sizeof key);
	size_t pre = strlen(VAULT_SECRET_PREFIX);
	size_t elen = sodium_base64_encoded_len(blen, B64);
	char *s = xmalloc(pre + elen);
	memcpy(s, VAULT_SECRET_PREFIX, pre);
	sodium_bin2base64(s + pre, elen, box, blen, B64);
	*out = s;
	return VAULT_OK;
}

vault_err_t vault_secret_open(const vault_key_t *master, const vault_scope_t *scope,
	const char *purpose, const char *owner_id, const char *sealed, char **out)
{
	if (!out)
		return VAULT_ERR_ARG;
	*out = NULL;
	if (!vault_secret_is_sealed(sealed))
		return VAULT_ERR_ARG;
	const char *b64 = sealed + strlen(VAULT_SECRET_PREFIX);
	size_t b64len = strnlen(b64, sodium_base64_encoded_len(NONCE + VAULT_SECRET_MAX + TAG, B64));
	uint8_t box[NONCE + VAULT_SECRET_MAX + TAG];
	size_t blen = 0;
	const char *end = NULL;
	if (sodium_base642bin(box, sizeof box, b64, b64len, NULL, &blen, &end, B64) != 0 ||
	    *end != '\0' || blen <= NONCE + TAG)
		return VAULT_ERR_ARG;
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES], ad[SECRET_AD_MAX];
	size_t adlen = 0;
	vault_err_t rc = secret_begin(master, scope, purpose, owner_id, key, ad, &adlen);
	if (rc != VAULT_OK)
		return rc;
	char *plain = xmalloc(blen - NONCE - TAG + 1);
	unsigned long long plen = 0;
	int bad = crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)plain, &plen, NULL,
		box + NONCE, blen - NONCE, ad, adlen, box, key);
	sodium_memzero(key, sizeof key);
	if (bad || memchr(plain, '\0', (size_t)plen)) {
		sodium_memzero(plain, blen - NONCE - TAG);
		free(plain);
		return VAULT_ERR_UNWRAP;
	}
	plain[plen] = '\0';
	*out = plain;
	return VAULT_OK;
}

void vault_secret_free(char *plain)
{
	if (plain) {
		sodium_memzero(plain, strlen(plain));
		free(plain);
	}
}

vault_err_t vault_secret_rewrap(const vault_key_t *old_master, const vault_key_t *new_master,
	const char *purpose, const char *owner_id, const char *sealed, char **out)
{
	if (!out)
		return VAULT_ERR_ARG;
	*out = NULL;
	if (!new_master)
		return VAULT_ERR_ARG;
	const vault_scope_t provider = { NULL, NULL, 0 };
	char *plain = NULL;
	vault_err_t rc = vault_secret_open(old_master, &provider, purpose, owner_id, sealed, &plain);
	if (rc == VAULT_OK)
		rc = vault_secret_seal(new_master, &provider, purpose, owner_id, plain, out);
	vault_secret_free(plain);
	return rc;
}
