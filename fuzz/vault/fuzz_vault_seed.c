/* Writes the seed corpus of the vault fuzz targets: valid document files
 * under the fixed fuzz key, of 0, 1, 700 and 70000 bytes.
 * Usage: fuzz-vault-seed DIR */
#include <stdio.h>
#include <string.h>

#include "fuzz_vault_key.h"
#include "vault.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz-vault-seed DIR\n");
		return 2;
	}
	vault_key_t *key = fuzz_vault_key();
	if (!key)
		return 1;
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
