/* A fresh store for the domain's unit tests (a temporary SQLite file, or a
 * PostgreSQL database of the test cluster when FV_TEST_PG is set: see
 * ../common/test_db.h), and its removal. Header-only: each test program
 * includes it once, after cmocka.h. */
#ifndef FV_TESTS_TEMP_STORE_H
#define FV_TESTS_TEMP_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../common/test_db.h"
#include "store.h"
#include "vault.h"

/* Opens a new store at a fresh path or database (written into path, n
 * bytes). */
static store_t *temp_store(char *path, size_t n)
{
	test_db_new(path, n);
	return test_db_open(path);
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

/* Closes st and removes its files or database. */
static void drop_store(store_t *st, const char *path)
{
	store_close(st);
	test_db_remove(path);
}

#endif
