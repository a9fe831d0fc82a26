/* Writes the seed corpus of the vault fuzz targets: valid document files
 * under the fixed fuzz key, of 0, 1, 700 and 70000 bytes; with --secrets,
 * the seeds of fuzz_vault_secret instead: secrets sealed under that key in
 * the provider's scope (case byte 0), and clear secrets (case byte 1).
 * Usage: fuzz-vault-seed [--secrets] DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_vault_key.h"
#include "vault.h"

/* One seed file DIR/NAME: the case byte, then text. */
static int seed_file(const char *dir, const char *name, char kind, const char *text)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fputc(kind, f) == EOF || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

static int seed_secrets(const char *dir, const vault_key_t *key)
{
	static const char *const plain[] = { "JBSWY3DPEHPK3PXP", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"digest password" };
	const vault_scope_t provider = { NULL, NULL, 0 };
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		char *sealed = NULL, name[32];
		if (vault_secret_seal(key, &provider, "trunk", "carrier", plain[i], &sealed) != VAULT_OK)
			return 1;
		snprintf(name, sizeof name, "sealed-%zu", i);
		int rc = seed_file(dir, name, 0, sealed);
		snprintf(name, sizeof name, "clear-%zu", i);
		rc |= seed_file(dir, name, 1, plain[i]);
		free(sealed);
		if (rc)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int secrets = argc == 3 && strcmp(argv[1], "--secrets") == 0;
	if (argc != 2 && !secrets) {
		fprintf(stderr, "usage: fuzz-vault-seed [--secrets] DIR\n");
		return 2;
	}
	vault_key_t *key = fuzz_vault_key();
	if (!key)
		return 1;
	if (secrets) {
		int rc = seed_secrets(argv[2], key);
		vault_key_free(key);
		return rc;
	}
	static uint8_t data[70000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	size_t sizes[] = { 0, 1, 700, sizeof data };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		vault_err_t e = vault_blob_put(argv[1], FUZZ_VAULT_DOC, key, data, sizes[i]);
		if (e != VAULT_OK) {
			fprintf(stderr, "fuzz-vault-seed: %s\n", vault_strerror(e));
			return 1;
		}
		char from[4096], to[4096];
		snprintf(from, sizeof from, "%s/%s%s", argv[1], FUZZ_VAULT_DOC, VAULT_BLOB_SUFFIX);
		snprintf(to, sizeof to, "%s/valid-%zu", argv[1], sizes[i]);
		if (rename(from, to) != 0) {
			perror("rename");
			return 1;
		}
	}
	vault_key_free(key);
	return 0;
}
