/* Benchmark driver of src/vault (run by bench/vault/run): streams a file
 * through the vault writer (encrypt + write + fsync + rename) and back
 * through the reader (read + authenticate + decrypt), best of ROUNDS, and
 * checks that what comes back is what went in.
 * Usage: fv-vault-bench INPUT DIR [ROUNDS]
 * Prints: bytes=N write_s=S read_s=S */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "vault.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, vault_err_t e)
{
	fprintf(stderr, "fv-vault-bench: %s: %s\n", what, vault_strerror(e));
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: fv-vault-bench INPUT DIR [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	if (rounds < 1)
		rounds = 1;
	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_WARN);
	static uint8_t buf[1 << 16];
	vault_key_t *master = NULL, *acct = NULL, *doc = NULL;
	uint8_t wa[VAULT_WRAPPED_LEN], wd[VAULT_WRAPPED_LEN];
	char *mpath = NULL;
	if (asprintf(&mpath, "%s/master.key", argv[2]) < 0)
		return 1;
	vault_err_t e = vault_master_load(mpath, 1, &master);
	if (e)
		die("master key", e);
	if ((e = vault_account_key_new(master, "acc_bench", wa, &acct)) ||
		(e = vault_doc_key_new(acct, "acc_bench", "fax_bench", wd, &doc)))
		die("keys", e);

	double best_w = 1e9, best_r = 1e9;
	unsigned long long bytes = 0;
	uint8_t h_in[32], h_out[32];
	for (int round = 0; round < rounds; round++) {
		int fd = open(argv[1], O_RDONLY);
		if (fd < 0) {
			perror(argv[1]);
			return 1;
		}
		crypto_generichash_state hs;
		crypto_generichash_init(&hs, NULL, 0, 32);
		double t0 = now();
		vault_writer_t *w;
		if ((e = vault_writer_open(argv[2], "fax_bench", doc, &w)))
			die("writer", e);
		bytes = 0;
		for (;;) {
			ssize_t r = read(fd, buf, sizeof buf);
			if (r < 0) {
				perror("read");
				return 1;
			}
			if (r == 0)
				break;
			if (round == 0)
				crypto_generichash_update(&hs, buf, (size_t)r);
			if ((e = vault_writer_write(w, buf, (size_t)r)))
				die("write", e);
			bytes += (unsigned long long)r;
		}
		if ((e = vault_writer_close(w)))
			die("close", e);
		double t1 = now();
		close(fd);
		if (round == 0)
			crypto_generichash_final(&hs, h_in, 32);

		crypto_generichash_init(&hs, NULL, 0, 32);
		double t2 = now();
		vault_reader_t *rd;
		if ((e = vault_reader_open(argv[2], "fax_bench", doc, &rd)))
			die("reader", e);
		unsigned long long back = 0;
		for (;;) {
			size_t got;
			if ((e = vault_reader_read(rd, buf, sizeof buf, &got)))
				die("read", e);
			if (got == 0)
				break;
			if (round == 0)
				crypto_generichash_update(&hs, buf, got);
			back += got;
		}
		vault_reader_close(rd);
		double t3 = now();
		if (round == 0) {
			crypto_generichash_final(&hs, h_out, 32);
			if (back != bytes || memcmp(h_in, h_out, 32) != 0) {
				fprintf(stderr, "fv-vault-bench: round trip differs\n");
				return 1;
			}
		}
		if (t1 - t0 < best_w)
			best_w = t1 - t0;
		if (t3 - t2 < best_r)
			best_r = t3 - t2;
	}
	vault_blob_remove(argv[2], "fax_bench");
	unlink(mpath);
	free(mpath);
	vault_key_free(doc);
	vault_key_free(acct);
	vault_key_free(master);
	printf("bytes=%llu write_s=%.6f read_s=%.6f\n", bytes, best_w, best_r);
	return 0;
}
