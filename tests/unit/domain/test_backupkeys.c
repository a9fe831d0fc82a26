/* Unit tests of the removal of expired backups (backupkeys.c,
 * backup_dir_remove): only a backup strictly under the backup root, found
 * where its key says without a symbolic link on the way, whose manifest
 * names that key, is removed, and only the files its manifest lists; what
 * else lies in its directory stays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "records/records.h"
#include "xalloc.h"

#define ID "bk_0123456789abcdef01234567"
#define OTHER "bk_fedcba9876543210fedcba98"

static char top[64];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A format 2 backup of key id at dir: manifest, index, two data files. */
static void make_backup(const char *dir, const char *id)
{
	char *p = xasprintf("%s/data", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	char *m = xasprintf("{\"format\":\"faxvault-backup/2\",\"backup_key\":{\"id\":\"%s\"},"
		"\"files\":[{\"path\":\"index\"},{\"path\":\"data/000001\"},{\"path\":\"data/000002\"},"
		"{\"path\":\"../outside\"},{\"path\":\"/etc/passwd\"}]}", id);
	static const char *const names[] = { "manifest.json", "index", "data/000001",
		"data/000002" };
	for (size_t i = 0; i < 4; i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		put(p, i ? "ciphertext" : m);
		free(p);
	}
	free(m);
}

/* Whether TOP/rel exists (a link counts as itself). */
static int exists(const char *rel)
{
	char *p = xasprintf("%s/%s", top, rel);
	struct stat sb;
	int rc = lstat(p, &sb) == 0;
	free(p);
	return rc;
}

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof top, "/tmp/fv-bkrm-XXXXXX");
	assert_non_null(mkdtemp(top));
	char *root = xasprintf("%s/root", top);
	assert_int_equal(mkdir(root, 0700), 0);
	/* what a manifest's "../outside" would name */
	char *o = xasprintf("%s/outside", root);
	put(o, "keep me");
	free(o);
	free(root);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", top);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void test_removed_under_root(void **state)
{
	(void)state;
	char *root = xasprintf("%s/root", top), *b = xasprintf("%s/root/b1", top);
	make_backup(b, ID);
	const char *kept = "x";
	assert_int_equal(backup_dir_remove(root, b, ID, &kept), 1);
	assert_null(kept);
	assert_false(exists("root/b1"));
	assert_true(exists("root/outside"));
	/* Again (a sweep after a crash): nothing there any more. */
	assert_int_equal(backup_dir_remove(root, b, ID, &kept), 0);
	assert_string_equal(kept, "not_found");
	free(root);
	free(b);
}

static void test_other_files_stay(void **state)
{
	(void)state;
	char *root = xasprintf("%s/root", top), *b = xasprintf("%s/root/b2", top);
	make_backup(b, ID);
	char *notes = xasprintf("%s/NOTES.txt", b);
	put(notes, "the operator's");
	const char *kept = NULL;
	assert_int_equal(backup_dir_remove(root, b, ID, &kept), 1);
	assert_string_equal(kept, "other_files_in_directory");
	assert_true(exists("root/b2/NOTES.txt"));
	assert_false(exists("root/b2/manifest.json"));
	assert_false(exists("root/b2/index"));
	assert_false(exists("root/b2/data"));
	free(notes);
	free(root);
	free(b);
}

static void test_left_alone(void **state)
{
	(void)state;
	char *root = xasprintf("%s/root", top), *out = xasprintf("%s/elsewhere", top);
	char *b3 = xasprintf("%s/root/b3", top), *link = xasprintf("%s/root/link", top);
	char *rel = xasprintf("%s/root/../root/b3", top);
	make_backup(out, ID);
	make_backup(b3, OTHER);
	const char *kept = NULL;
	/* outside the root */
	assert_int_equal(backup_dir_remove(root, out, ID, &kept), 0);
	assert_string_equal(kept, "outside_backup_root");
	assert_true(exists("elsewhere/manifest.json"));
	/* a symbolic link under the root to a backup outside it */
	assert_int_equal(symlink(out, link), 0);
	assert_int_equal(backup_dir_remove(root, link, ID, &kept), 0);
	assert_string_equal(kept, "outside_backup_root");
	assert_true(exists("elsewhere/data/000001"));
	/* the root itself, a path that is not as resolved, a relative one */
	assert_int_equal(backup_dir_remove(root, root, ID, &kept), 0);
	assert_string_equal(kept, "outside_backup_root");
	assert_int_equal(backup_dir_remove(root, rel, OTHER, &kept), 0);
	assert_string_equal(kept, "outside_backup_root");
	assert_int_equal(backup_dir_remove(root, "root/b3", OTHER, &kept), 0);
	assert_string_equal(kept, "location_unknown");
	/* a backup of another key */
	assert_int_equal(backup_dir_remove(root, b3, ID, &kept), 0);
	assert_string_equal(kept, "not_this_backup");
	assert_true(exists("root/b3/data/000002"));
	/* no root configured, no location known */
	assert_int_equal(backup_dir_remove("", b3, OTHER, &kept), 0);
	assert_string_equal(kept, "no_backup_root");
	assert_int_equal(backup_dir_remove(root, NULL, OTHER, &kept), 0);
	assert_string_equal(kept, "location_unknown");
	assert_true(exists("root/b3/manifest.json"));
	/* the manifest's "../outside" and "/etc/passwd" were never touched */
	assert_int_equal(backup_dir_remove(root, b3, OTHER, &kept), 1);
	assert_true(exists("root/outside"));
	free(root);
	free(out);
	free(b3);
	free(link);
	free(rel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_removed_under_root),
		cmocka_unit_test(test_other_files_stay),
		cmocka_unit_test(test_left_alone),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
