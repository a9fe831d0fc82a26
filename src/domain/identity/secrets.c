/* Secrets sealed at rest: scopes, account keys and the start-up sweep (see
 * secrets.h). */
#include "identity.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "dom_util.h"
#include "log.h"
#include "sec.h"
#include "store_secrets.h"
#include "totp.h"
#include "xalloc.h"

const char *secret_totp_scope(const json_t *person)
{
	const char *acc = json_string_value(json_object_get(person, "account_id"));
	return strcmp(rec_str(person, "kind"), "account") == 0 && acc && *acc ? acc : NULL;
}

static void log_failure(const char *what, const char *account_id, const char *purpose,
	const char *owner_id, vault_err_t ve)
{
	log_event(LOG_ERROR, what, "account=%s purpose=%s owner=%s err=\"%s\"",
		account_id ? account_id : "-", purpose ? purpose : "-", owner_id ? owner_id : "-",
		vault_strerror(ve));
}

/* Seals (seal set) or opens text with the keys of env (the key holder), in the scope
 * of account_id whose wrapped key is w (unused for the provider's). The
 * result, or NULL (logged). */
static char *vault_call(const fax_env_t *env, const char *account_id, const uint8_t *w,
	bool seal, const char *purpose, const char *owner_id, const char *text)
{
	char *out = NULL;
	keyd_target_t t = fax_env_keys(env);
	vault_err_t ve = keyd_secret(&t, seal, account_id, w, purpose, owner_id, text, &out);
	if (ve != VAULT_OK)
		log_failure(seal ? "secret.unsealed" : "secret.unopened", account_id, purpose, owner_id, ve);
	return out;
}

char *secret_seal_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *plain)
{
	uint8_t w[VAULT_WRAPPED_LEN];
	if (!fax_env_has_keys(env) ||
	    (account_id && doc_account_key_wrapped(tx, env, account_id, true, w) != 0))
		return NULL;
	return vault_call(env, account_id, w, true, purpose, owner_id, plain);
}

char *secret_open_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *sealed)
{
	uint8_t w[VAULT_WRAPPED_LEN];
	if (!fax_env_has_keys(env) || !sealed)
		return NULL;
	if (account_id && doc_account_key_wrapped(tx, env, account_id, false, w) != 0) {
		log_failure("secret.unopened", account_id, purpose, owner_id, VAULT_ERR_NOT_FOUND);
		return NULL;
	}
	return vault_call(env, account_id, w, false, purpose, owner_id, sealed);
}

char *secret_open_row(const fax_env_t *env, const char *account_id, const char *wrapped_hex,
	const char *purpose, const char *owner_id, const char *sealed)
{
	uint8_t w[VAULT_WRAPPED_LEN];
	size_t wlen = 0;
	if (!fax_env_has_keys(env) || !sealed)
		return NULL;
	if (account_id &&
	    (!wrapped_hex || sodium_hex2bin(w, sizeof w, wrapped_hex, strlen(wrapped_hex), NULL, &wlen,
				     NULL) != 0 || wlen != sizeof w)) {
		log_failure("secret.unopened", account_id, purpose, owner_id, VAULT_ERR_NOT_FOUND);
		return NULL;
	}
	return vault_call(env, account_id, w, false, purpose, owner_id, sealed);
}

/* ---- texts longer than one sealed secret ---- */

#define KEK_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define LONG_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define LONG_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING

char *secret_seal_long_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *plain)
{
	uint8_t kek[KEK_BYTES];
	char hex[KEK_BYTES * 2 + 1];
	sec_random(kek, sizeof kek);
	sodium_bin2hex(hex, sizeof hex, kek, sizeof kek);
	char *sk = secret_seal_tx(tx, env, account_id, purpose, owner_id, hex);
	sodium_memzero(hex, sizeof hex);
	if (!sk) {
		sodium_memzero(kek, sizeof kek);
		return NULL;
	}
	size_t n = strlen(plain), blen = LONG_NONCE + n + LONG_TAG;
	uint8_t *box = xmalloc(blen);
	sec_random(box, LONG_NONCE);
	unsigned long long clen;
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + LONG_NONCE, &clen, (const uint8_t *)plain, n,
		(const uint8_t *)owner_id, strlen(owner_id), NULL, box, kek);
	sodium_memzero(kek, sizeof kek);
	size_t elen = sodium_base64_encoded_len(blen, B64URL), sl = strlen(sk);
	char *out = xmalloc(sl + 1 + elen);
	memcpy(out, sk, sl);
	out[sl] = '.';
	sodium_bin2base64(out + sl + 1, elen, box, blen, B64URL);
	free(sk);
	free(box);
	return out;
}

/* The text of box (after the '.') under the opened key hex (wiped and
 * freed here), bound to owner_id; NULL when it does not open. */
static char *long_open(char *hex, const char *owner_id, const char *b64)
{
	uint8_t kek[KEK_BYTES];
	size_t kl = 0;
	int ok = hex && sodium_hex2bin(kek, sizeof kek, hex, strlen(hex), NULL, &kl, NULL) == 0 &&
		kl == sizeof kek;
	if (hex) {
		sodium_memzero(hex, strlen(hex));
		free(hex);
	}
	size_t el = strlen(b64), blen = 0;
	uint8_t *box = xmalloc(el + 1);
	char *plain = NULL;
	if (ok && sodium_base642bin(box, el + 1, b64, el, NULL, &blen, NULL, B64URL) == 0 &&
	    blen > LONG_NONCE + LONG_TAG) {
		plain = xmalloc(blen);
		unsigned long long pl;
		if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)plain, &pl, NULL, box + LONG_NONCE,
			    blen - LONG_NONCE, (const uint8_t *)owner_id, strlen(owner_id), box, kek) == 0) {
			plain[pl] = '\0';
		} else {
			free(plain);
			plain = NULL;
		}
	}
	sodium_memzero(kek, sizeof kek);
	free(box);
	return plain;
}

char *secret_open_long_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *sealed)
{
	const char *dot = sealed ? strchr(sealed, '.') : NULL;
	if (!dot)
		return NULL;
	char *sk = xstrndup(sealed, (size_t)(dot - sealed));
	char *hex = secret_open_tx(tx, env, account_id, purpose, owner_id, sk);
	free(sk);
	return long_open(hex, owner_id, dot + 1);
}

char *secret_open_long_row(const fax_env_t *env, const char *account_id, const char *wrapped_hex,
	const char *purpose, const char *owner_id, const char *sealed)
{
	const char *dot = sealed ? strchr(sealed, '.') : NULL;
	if (!dot)
		return NULL;
	char *sk = xstrndup(sealed, (size_t)(dot - sealed));
	char *hex = secret_open_row(env, account_id, wrapped_hex, purpose, owner_id, sk);
	free(sk);
	return long_open(hex, owner_id, dot + 1);
}

static const fax_env_t *env_of(const dom_ctx_t *c)
{
	return c->cfg ? c->cfg->fax : NULL;
}

char *dom_secret_seal(dom_ctx_t *c, const char *account_id, const char *purpose,
	const char *owner_id, const char *plain)
{
	return secret_seal_tx(c->tx, env_of(c), account_id, purpose, owner_id, plain);
}

char *dom_secret_open(dom_ctx_t *c, const char *account_id, const char *purpose,
	const char *owner_id, const char *sealed)
{
	return secret_open_tx(c->tx, env_of(c), account_id, purpose, owner_id, sealed);
}

int dom_totp_key(dom_ctx_t *c, const json_t *person, uint8_t *key, size_t cap)
{
	const char *stored = json_string_value(json_object_get(person, "totp_secret"));
	char *b32 = stored ? dom_secret_open(c, secret_totp_scope(person), "totp",
		rec_str(person, "id"), stored) : NULL;
	int klen = b32 ? totp_base32_decode(b32, key, cap) : -1;
	vault_secret_free(b32);
	return klen > 0 ? klen : -1;
}

/* Seals each value of rows (store_secrets_unsealed) in tx. The number
 * sealed, or -1. */
static int seal_rows(store_tx_t *tx, const fax_env_t *env, const json_t *rows)
{
	size_t i;
	const json_t *r;
	int n = 0;
	json_array_foreach(rows, i, r) {
		const char *kind = rec_str(r, "kind"), *id = rec_str(r, "id");
		const char *acc = json_string_value(json_object_get(r, "account_id"));
		char *sealed = secret_seal_tx(tx, env, acc, kind, id, rec_str(r, "secret"));
		int rc = sealed ? store_secret_replace(tx, kind, id, sealed) : STORE_ERROR;
		free(sealed);
		if (rc != STORE_OK) {
			log_event(LOG_ERROR, "secrets.seal_failed", "kind=%s id=%s", kind, id);
			return -1;
		}
		n++;
	}
	return n;
}

/* Wipes the secrets of rows before they are freed. */
static void wipe_rows(json_t *rows)
{
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		json_t *s = json_object_get(r, "secret");
		const char *v = json_string_value(s);
		if (v)
			sodium_memzero((char *)v, strlen(v));
	}
	json_decref(rows);
}

int dom_secrets_seal_all(store_t *st, const fax_env_t *env)
{
	if (!fax_env_has_keys(env))
		return -1;
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *rows = store_secrets_unsealed(tx, VAULT_SECRET_PREFIX);
	int n = rows ? seal_rows(tx, env, rows) : -1;
	if (rows)
		wipe_rows(rows);
	if (n <= 0) {
		store_rollback(tx);
		return n;
	}
	if (store_commit(tx) != STORE_OK)
		return -1;
	/* The values in clear were in the write-ahead log and in the database
	 * file: the commit overwrote them in the pages it wrote (secure_delete),
	 * the checkpoint puts those pages in the file and empties the log. */
	int cp = store_checkpoint(st);
	log_event(LOG_INFO, "secrets.sealed", "count=%d checkpoint=%s", n,
		cp == STORE_OK ? "done" : "incomplete");
	return n;
}
