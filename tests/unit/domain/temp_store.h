/* A fresh store in a temporary file for the domain's unit tests, and its
 * removal with the WAL files. Header-only: each test program includes it
 * once, after cmocka.h. */
#ifndef FV_TESTS_TEMP_STORE_H
#define FV_TESTS_TEMP_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"
#include "vault.h"

/* Opens a new store at a fresh path (written into path, n bytes). */
static store_t *temp_store(char *path, size_t n)
{
	snprintf(path, n, "/tmp/fv-unit-%d-XXXXXX", getpid());
	int fd = mkstemp(path);
	close(fd);
	char err[256];
	store_t *st = store_open(path, err, sizeof err);
	if (!st)
		fail_msg("store_open: %s", err);
	return st;
}

/* A new master key of the vault (its file removed at once; free with
 * vault_key_free). */
static inline vault_key_t *temp_master(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/fv-unit-%d-master-XXXXXX", getpid());
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	vault_key_t *m = NULL;
	if (vault_master_load(path, 1, &m) != VAULT_OK)
		fail_msg("vault_master_load %s", path);
	unlink(path);
	return m;
}

/* Closes st and removes its files. */
static void drop_store(store_t *st, const char *path)
{
	store_close(st);
	char p[300];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
}

#endif
