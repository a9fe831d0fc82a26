/* Fuzz target: the whole document reader over fuzzed file content, read
 * with a fixed key (fuzz_vault_key.h) from a memory file. Each input is read
 * twice: as it is, and with the header's key id and MAC recomputed under
 * the fixed key, so that mutations of the header fields and of the chunks
 * reach the size checks, the framing and secretstream. Whatever the bytes,
 * the reader must fail cleanly or return exactly the header's length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>

#include "fuzz_vault_key.h"
#include "vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_once(const vault_key_t *key, const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_vault", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	vault_reader_t *r = NULL;
	if (vault_reader_open_fd(fd, FUZZ_VAULT_DOC, key, &r) != VAULT_OK) {
		if (r)
			abort();
		return;
	}
	uint64_t want = vault_reader_size(r), have = 0;
	static uint8_t buf[4096];
	for (;;) {
		size_t got;
		vault_err_t e = vault_reader_read(r, buf, sizeof buf, &got);
		have += got;
		if (e != VAULT_OK || got == 0) {
			if (e == VAULT_OK && have != want)
				abort();
			break;
		}
	}
	vault_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vault_key_t *key;
	static uint8_t *copy;
	static size_t copy_cap;
	if (!key && !(key = fuzz_vault_key()))
		abort();
	read_once(key, data, size);
	if (size < VAULT_HEADER_LEN)
		return 0;
	if (copy_cap < size) {
		free(copy);
		copy = malloc(size);
		if (!copy)
			abort();
		copy_cap = size;
	}
	memcpy(copy, data, size);
	uint8_t mac_key[32];
	vault_subkey(key, VAULT_SUBKEY_ID, copy + 96, 16);
	vault_subkey(key, VAULT_SUBKEY_MAC, mac_key, sizeof mac_key);
	crypto_generichash(copy + 136, 32, copy, 136, mac_key, sizeof mac_key);
	read_once(key, copy, size);
	return 0;
}
