/* Secrets sealed at rest (docs/vault.md, "Small secrets at rest"): the
 * domain's side of vault_secret_seal / vault_secret_open. It picks each
 * secret's scope (the account of a webhook or of a member; the provider for
 * trunk passwords and for provider and partner staff), takes the account's
 * wrapped key from the store (made on first use), and at start seals the
 * values an older version stored in clear. Nothing here logs a secret.
 *
 * Purposes: "totp" (owner: the person), "webhook" (the webhook), "trunk"
 * (the trunk). Opened secrets are new strings: wipe them with
 * vault_secret_free(). */
#ifndef FV_DOMAIN_SECRETS_H
#define FV_DOMAIN_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"

/* The scope of a person's TOTP seed: the account id of an account's member,
 * NULL (the provider's) for provider and partner staff. Borrowed from
 * person. */
const char *secret_totp_scope(const json_t *person);

/* plain sealed for owner_id and purpose in the scope of account_id (NULL:
 * the provider), the account's key made on first use through tx (a write
 * transaction). A new string (free()), or NULL when there is no master key
 * (tools) or the key cannot be had (logged). */
char *secret_seal_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *plain);
/* The clear text of a sealed value, or NULL when it does not open (logged
 * as secret.unopened, with the purpose and owner only). */
char *secret_open_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *sealed);
/* The same for a caller that has the account's wrapped key as stored (hex;
 * ignored for the provider's scope), without a transaction. */
char *secret_open_row(const fax_env_t *env, const char *account_id, const char *wrapped_hex,
	const char *purpose, const char *owner_id, const char *sealed);

/* Texts longer than one sealed secret (VAULT_SECRET_MAX; a private key in
 * PEM): encrypted (XChaCha20-Poly1305, bound to owner_id) with a random key
 * that is itself sealed as above (purpose, owner_id, scope); stored as
 * "SEALED.BOX", where SEALED is a sealed secret of its own (a master key
 * rotation rewraps that part: secret_long_split). New strings the caller
 * frees (an opened one wiped first: vault_secret_free does not know its
 * length), or NULL (logged when the key does not open). */
char *secret_seal_long_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *plain);
char *secret_open_long_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *purpose, const char *owner_id, const char *sealed);
char *secret_open_long_row(const fax_env_t *env, const char *account_id, const char *wrapped_hex,
	const char *purpose, const char *owner_id, const char *sealed);

/* The request's versions (c->tx, c->cfg->fax). */
char *dom_secret_seal(dom_ctx_t *c, const char *account_id, const char *purpose,
	const char *owner_id, const char *plain);
char *dom_secret_open(dom_ctx_t *c, const char *account_id, const char *purpose,
	const char *owner_id, const char *sealed);

/* The person's TOTP key (their seed, opened and decoded) into key (cap
 * bytes): its length, or -1 when there is none or it does not open. */
int dom_totp_key(dom_ctx_t *c, const json_t *person, uint8_t *key, size_t cap);

/* At start, before any request: seals every secret an older version stored
 * in clear (each in its scope, in one transaction), then has the store
 * overwrite the superseded values (store_checkpoint). The number sealed
 * (logged as secrets.sealed when not 0), or -1 (nothing changed). */
int dom_secrets_seal_all(store_t *st, const fax_env_t *env);

#endif
