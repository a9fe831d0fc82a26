/* Fuzz target: sealed secrets (vault_secret_open), the text a key-holding
 * process would be handed. The first byte of the input picks the case:
 * even, the rest is taken as sealed text and opened in the provider's
 * scope and in an account's (it must be refused, or open to text without a
 * NUL); odd, the rest is taken as a secret, sealed in both scopes and
 * opened again (it must come back identical, or be refused for its
 * length), then rewrapped under a second master key. The master key is the
 * fixed fuzz key, so seeds sealed under it (made with fuzz-vault-seed)
 * reach the AEAD. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_vault_key.h"
#include "vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vault_key_t *master, *next;
static uint8_t wrapped[VAULT_WRAPPED_LEN];

static void setup(void)
{
	if (master)
		return;
	master = fuzz_vault_key();
	/* The account key is random: what is fuzzed is the sealed text. */
	if (!master || vault_account_key_new(master, "acc_fuzz", wrapped, NULL) != VAULT_OK ||
	    vault_account_key_new(master, "acc_fuzz", wrapped, &next) != VAULT_OK)
		abort();
}

static void open_any(const vault_scope_t *scope, const char *text)
{
	char *out = NULL;
	vault_err_t e = vault_secret_open(master, scope, "trunk", "carrier", text, &out);
	if (e == VAULT_OK) {
		if (!out || strlen(out) == 0 || strlen(out) > VAULT_SECRET_MAX)
			abort();
	} else if (out || (e != VAULT_ERR_ARG && e != VAULT_ERR_UNWRAP)) {
		abort();
	}
	vault_secret_free(out);
}

static void round_trip(const vault_scope_t *scope, const char *plain)
{
	size_t len = strlen(plain);
	char *sealed = NULL, *out = NULL;
	vault_err_t e = vault_secret_seal(master, scope, "trunk", "carrier", plain, &sealed);
	if (len == 0 || len > VAULT_SECRET_MAX) {
		if (e != VAULT_ERR_ARG || sealed)
			abort();
		return;
	}
	if (e != VAULT_OK || !vault_secret_is_sealed(sealed))
		abort();
	if (vault_secret_open(master, scope, "trunk", "carrier", sealed, &out) != VAULT_OK ||
	    strcmp(out, plain) != 0)
		abort();
	vault_secret_free(out);
	out = NULL;
	/* Another owner does not open it. */
	if (vault_secret_open(master, scope, "trunk", "carrier2", sealed, &out) != VAULT_ERR_UNWRAP)
		abort();
	if (!scope->account_id) {
		char *moved = NULL;
		if (vault_secret_rewrap(master, next, "trunk", "carrier", sealed, &moved) != VAULT_OK ||
		    vault_secret_open(next, scope, "trunk", "carrier", moved, &out) != VAULT_OK ||
		    strcmp(out, plain) != 0)
			abort();
		vault_secret_free(out);
		free(moved);
	}
	free(sealed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	setup();
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	const vault_scope_t provider = { NULL, NULL, 0 };
	const vault_scope_t account = { "acc_fuzz", wrapped, sizeof wrapped };
	if (data[0] % 2 == 0) {
		open_any(&provider, text);
		open_any(&account, text);
	} else {
		round_trip(&provider, text);
		round_trip(&account, text);
	}
	free(text);
	return 0;
}
