/* Backup keys (see backupkeys.h). */
#include "records.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "timeutil.h"
#include "xalloc.h"

#define KEY_FORMAT "faxvault-backup-key/1"
#define KEY_FILE_MAX 4096
#define DAY_MS 86400000LL

/* The owner id the key is sealed for: binds the expiry. */
static void owner_of(const char *id, int64_t expires_ms, char out[64])
{
	snprintf(out, 64, "%s-%lld", id, (long long)expires_ms);
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Whether name is a key file's ("bk_….key"), and its id into id. */
static int key_name(const char *name, char id[BACKUP_ID_LEN])
{
	size_t n = strlen(name);
	if (n != BACKUP_ID_LEN - 1 + 4 || strncmp(name, "bk_", 3) != 0 ||
	    strcmp(name + n - 4, ".key") != 0)
		return 0;
	for (size_t i = 3; i < BACKUP_ID_LEN - 1; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	memcpy(id, name, BACKUP_ID_LEN - 1);
	id[BACKUP_ID_LEN - 1] = '\0';
	return 1;
}

int backup_key_create(const vault_key_t *master, const char *dir, int64_t now, int days,
	const char *location, char id[BACKUP_ID_LEN], uint8_t key[BACKUP_KEY_BYTES])
{
	uint8_t rnd[12];
	randombytes_buf(rnd, sizeof rnd);
	memcpy(id, "bk_", 3);
	sodium_bin2hex(id + 3, BACKUP_ID_LEN - 3, rnd, sizeof rnd);
	randombytes_buf(key, BACKUP_KEY_BYTES);
	int64_t expires = now + (int64_t)days * DAY_MS;
	char owner[64], hex[2 * BACKUP_KEY_BYTES + 1], fp[VAULT_FINGERPRINT_LEN], c[40], x[40];
	owner_of(id, expires, owner);
	sodium_bin2hex(hex, sizeof hex, key, BACKUP_KEY_BYTES);
	char *sealed = NULL;
	vault_scope_t provider = { 0 };
	vault_err_t ve = vault_secret_seal(master, &provider, "backup", owner, hex, &sealed);
	sodium_memzero(hex, sizeof hex);
	if (ve != VAULT_OK) {
		errno = EINVAL;
		return -1;
	}
	vault_key_fingerprint(master, fp);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "format", KEY_FORMAT, "id", id,
		"created_at", time_format_rfc3339(now, c, sizeof c), "expires_at",
		time_format_rfc3339(expires, x, sizeof x), "master_fingerprint", fp, "sealed", sealed);
	free(sealed);
	if (o && location && *location)
		json_object_set_new(o, "location", json_string(location));
	char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	char *tmp = xasprintf("%s/.%s.key.tmp", dir, id), *fin = xasprintf("%s/%s.key", dir, id);
	int rc = -1, fd = -1;
	if (text && (mkdir(dir, 0700) == 0 || errno == EEXIST) &&
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0 &&
	    fd_write_all(fd, text, strlen(text)) == 0 && fsync(fd) == 0)
		rc = 0;
	if (fd >= 0 && close(fd) != 0)
		rc = -1;
	if (rc == 0 && (rename(tmp, fin) != 0 || sync_dir(dir) != 0))
		rc = -1;
	int e = errno;
	if (rc != 0) {
		unlink(tmp);
		sodium_memzero(key, BACKUP_KEY_BYTES);
	}
	free(text);
	free(tmp);
	free(fin);
	errno = e;
	return rc;
}

/* The key file DIR/ID.key parsed, or NULL (errno ENOENT when missing). */
static json_t *load_key_file(const char *dir, const char *id)
{
	char *p = xasprintf("%s/%s.key", dir, id);
	json_error_t je;
	struct stat sb;
	json_t *o = NULL;
	if (stat(p, &sb) != 0) {
		if (errno != ENOENT)
			errno = EINVAL;
	} else if (S_ISREG(sb.st_mode) && sb.st_size <= KEY_FILE_MAX) {
		o = json_load_file(p, 0, &je);
		errno = EINVAL;
	} else {
		errno = EINVAL;
	}
	free(p);
	const char *fmt = json_string_value(json_object_get(o, "format"));
	if (o && (!fmt || strcmp(fmt, KEY_FORMAT) != 0)) {
		json_decref(o);
		errno = EINVAL;
		return NULL;
	}
	return o;
}

static int64_t time_field(const json_t *o, const char *k)
{
	int64_t ms;
	const char *s = json_string_value(json_object_get(o, k));
	return s && time_parse_rfc3339(s, &ms) == 0 ? ms : -1;
}

backup_key_status_t backup_key_open(const vault_key_t *master, const char *dir, const char *id,
	int64_t expires_ms, int64_t now, uint8_t key[BACKUP_KEY_BYTES])
{
	if (!id || strlen(id) != BACKUP_ID_LEN - 1)
		return BACKUP_KEY_BAD;
	if (now >= expires_ms)
		return BACKUP_KEY_EXPIRED;
	errno = 0;
	json_t *o = load_key_file(dir, id);
	if (!o)
		return errno == ENOENT ? BACKUP_KEY_MISSING : BACKUP_KEY_BAD;
	char owner[64], *hex = NULL;
	owner_of(id, expires_ms, owner);
	vault_scope_t provider = { 0 };
	const char *sealed = json_string_value(json_object_get(o, "sealed"));
	backup_key_status_t st = BACKUP_KEY_BAD;
	size_t got = 0;
	if (time_field(o, "expires_at") == expires_ms && sealed &&
	    vault_secret_open(master, &provider, "backup", owner, sealed, &hex) == VAULT_OK &&
	    sodium_hex2bin(key, BACKUP_KEY_BYTES, hex, strlen(hex), NULL, &got, NULL) == 0 &&
	    got == BACKUP_KEY_BYTES)
		st = BACKUP_KEY_OK;
	if (hex)
		vault_secret_free(hex);
	json_decref(o);
	if (st != BACKUP_KEY_OK)
		sodium_memzero(key, BACKUP_KEY_BYTES);
	return st;
}

/* Overwrites path's bytes with zeros, syncs and removes it: 0 / -1. */
static int shred_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc = -1;
	if (fd >= 0) {
		struct stat sb;
		static const uint8_t zeros[KEY_FILE_MAX];
		rc = fstat(fd, &sb) == 0 && sb.st_size <= KEY_FILE_MAX &&
			fd_write_all(fd, zeros, (size_t)sb.st_size) == 0 && fsync(fd) == 0 ? 0 : -1;
		close(fd);
	}
	/* Removed even if the overwrite failed: what decides is that no
	 * readable copy stays. */
	if (unlink(path) != 0)
		rc = -1;
	return rc;
}

/* Whether rel is a file a format 2 manifest may list: "index" or
 * "data/" and six digits. */
static int backup_file_name(const char *rel)
{
	if (strcmp(rel, "index") == 0)
		return 1;
	if (strncmp(rel, "data/", 5) != 0 || strlen(rel) != 11)
		return 0;
	for (const char *c = rel + 5; *c; c++)
		if (*c < '0' || *c > '9')
			return 0;
	return 1;
}

/* The manifest of the backup directory dfd, or NULL. */
static json_t *manifest_at(int dfd)
{
	int fd = openat(dfd, "manifest.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	json_error_t je;
	json_t *m = json_loadfd(fd, 0, &je);
	close(fd);
	return m;
}

/* Whether path l lies strictly below directory r (both resolved). */
static int strictly_under(const char *r, const char *l)
{
	size_t n = strlen(r);
	if (strncmp(l, r, n) != 0)
		return 0;
	if (n == 1) /* r is "/" */
		return l[1] != '\0';
	return l[n] == '/' && l[n + 1] != '\0';
}

int backup_dir_remove(const char *root, const char *location, const char *id, const char **kept)
{
	*kept = NULL;
	if (!location || location[0] != '/') {
		*kept = "location_unknown";
		return 0;
	}
	if (!root || !*root) {
		*kept = "no_backup_root";
		return 0;
	}
	char *r = realpath(root, NULL), *l = realpath(location, NULL);
	int rc = 0, dfd = -1;
	json_t *m = NULL;
	if (!l) {
		*kept = errno == ENOENT ? "not_found" : "unreadable";
		goto out;
	}
	/* Resolved, the location must be itself (no link on the way) and
	 * strictly below the root. */
	if (!r || strcmp(l, location) != 0 || !strictly_under(r, l)) {
		*kept = "outside_backup_root";
		goto out;
	}
	dfd = open(l, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	m = dfd >= 0 ? manifest_at(dfd) : NULL;
	const char *mid = json_string_value(json_object_get(json_object_get(m, "backup_key"), "id"));
	if (!mid || strcmp(mid, id) != 0) {
		*kept = dfd < 0 ? "unreadable" : "not_this_backup";
		goto out;
	}
	rc = 1;
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(m, "files"), i, f) {
		const char *rel = json_string_value(json_object_get(f, "path"));
		if (rel && backup_file_name(rel) && unlinkat(dfd, rel, 0) != 0 && errno != ENOENT)
			rc = -1;
	}
	if (unlinkat(dfd, "data", AT_REMOVEDIR) != 0 && errno != ENOENT)
		*kept = "other_files_in_directory";
	/* The manifest last: until then the directory is still known as the
	 * backup of this key. */
	if (rc == 1 && unlinkat(dfd, "manifest.json", 0) != 0)
		rc = -1;
	if (rc == 1 && rmdir(l) != 0)
		*kept = "other_files_in_directory";
	if (rc < 0)
		*kept = "unreadable";
	else
		sync_dir(r);
out:
	if (dfd >= 0)
		close(dfd);
	json_decref(m);
	free(r);
	free(l);
	return rc;
}

int backup_keys_expire(const char *dir, const char *root, int64_t now, int days,
	void (*done)(void *arg, const backup_expired_t *x), void *arg)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	int n = 0;
	struct dirent *de;
	char id[BACKUP_ID_LEN];
	while ((de = readdir(d)) != NULL) {
		if (!key_name(de->d_name, id))
			continue;
		json_t *o = load_key_file(dir, id);
		int64_t created = time_field(o, "created_at"), expires = time_field(o, "expires_at");
		/* A file that cannot be read as a key opens nothing: left alone. */
		if (created < 0 || expires < 0 ||
		    (now < expires && (days <= 0 || now < created + (int64_t)days * DAY_MS))) {
			json_decref(o);
			continue;
		}
		backup_expired_t x = { .id = id, .created_ms = created, .expires_ms = expires,
			.location = json_string_value(json_object_get(o, "location")) };
		/* The backup first (ciphertext: harmless without its key), so
		 * that a crash leaves the key to be found again. */
		x.removed = root && *root && backup_dir_remove(root, x.location, id, &x.kept) == 1;
		if (!root || !*root)
			x.kept = x.location ? "no_backup_root" : "location_unknown";
		char *p = xasprintf("%s/%s", dir, de->d_name);
		if (shred_file(p) == 0 || access(p, F_OK) != 0) {
			n++;
			if (done)
				done(arg, &x);
		}
		free(p);
		json_decref(o);
	}
	closedir(d);
	if (n)
		sync_dir(dir);
	return n;
}

char *backup_hold_until(int64_t now, int days, char *out, size_t outlen)
{
	return time_format_rfc3339(now + (int64_t)days * DAY_MS, out, outlen);
}

void backup_note_until(json_t *detail, const fax_env_t *env, int64_t now)
{
	if (!detail || !env || env->backup_retention_days <= 0)
		return;
	char u[40];
	json_object_set_new(detail, "backups_until", json_string(backup_hold_until(now,
		env->backup_retention_days, u, sizeof u)));
}
