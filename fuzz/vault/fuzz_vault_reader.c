/* Fuzz target: the whole document reader over fuzzed file content, read
 * with a fixed key (fuzz_vault_key.h) from a memory file. Whatever the
 * bytes, it must fail cleanly or return exactly the header's length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_vault_key.h"
#include "vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vault_key_t *key;
	if (!key && !(key = fuzz_vault_key()))
		abort();
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
		return 0;
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
	return 0;
}
