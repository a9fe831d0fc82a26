/* faxvaultd's backups (see backup_cmd.h).
 *
 * A backup directory holds audit-checkpoints.jsonl when the service wrote
 * one (copied first), faxvault.db (a consistent snapshot taken with the
 * service running), docs/ (the encrypted document blobs, copied after the
 * snapshot so that every blob it refers to is there unless it was deleted
 * meanwhile), and manifest.json, written last: without it a directory is
 * not a backup.
 * The manifest lists every file with its size and SHA-256, the audit head
 * at the snapshot, and the master key file sealed with a key derived from
 * the operator's passphrase (Argon2id, then XSalsa20-Poly1305): the copy
 * can be stored elsewhere without handing over the key.
 *
 * On PostgreSQL (store.backend) faxvault.pgdump replaces faxvault.db: a
 * pg_dump run in a snapshot exported from a read transaction of ours (so
 * the audit head of the manifest is the dump's), restored with pg_restore
 * into an empty database, verified in a scratch database made and dropped
 * on the configured server. The manifest then says "backend": "postgresql". */
#include "backup_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit_cmd.h"
#include "fdio.h"
#include "paths.h"
#include "store.h"
#include "store_fax.h"
#include "timeutil.h"
#include "vault.h"
#include "xalloc.h"

#define MANIFEST_FORMAT "faxvault-backup/1"
#define PASSPHRASE_MIN 12
#define PASSPHRASE_MAX 1024
#define KEYFILE_MAX 4096
#define SAMPLE_DEFAULT 20

/* ---- small file helpers ---- */

static int ensure_dir(const char *dir)
{
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* Copies src to dst (created, 0600, must not exist) and hashes what it
 * copied. 0, 1 when src does not exist, -1 on error (errno set). */
static int copy_file(const char *src, const char *dst, char sha[65], uint64_t *size)
{
	int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return errno == ENOENT ? 1 : -1;
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		int e = errno;
		close(in);
		errno = e;
		return -1;
	}
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	uint8_t buf[65536];
	uint64_t n = 0;
	int rc = 0;
	for (;;) {
		ssize_t r = read(in, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r > 0 && fd_write_all(out, buf, (size_t)r) != 0)) {
			rc = -1;
			break;
		}
		if (r == 0)
			break;
		crypto_hash_sha256_update(&h, buf, (unsigned long long)r);
		n += (uint64_t)r;
	}
	int e = errno;
	if (rc == 0 && fsync(out) != 0)
		rc = -1;
	close(in);
	if (close(out) != 0)
		rc = -1;
	if (rc != 0) {
		unlink(dst);
		errno = e;
		return -1;
	}
	uint8_t d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(sha, 65, d, sizeof d);
	*size = n;
	return 0;
}

/* SHA-256 and size of a file: 0, or -1 (errno set). */
static int hash_file(const char *path, char sha[65], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	uint8_t buf[65536];
	uint64_t n = 0;
	ssize_t r;
	while ((r = read(fd, buf, sizeof buf)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -1;
		}
		crypto_hash_sha256_update(&h, buf, (unsigned long long)r);
		n += (uint64_t)r;
	}
	close(fd);
	uint8_t d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(sha, 65, d, sizeof d);
	*size = n;
	return 0;
}

/* Reads a small file whole into buf: its length, or -1. */
static ssize_t read_small(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	size_t got = 0;
	while (got < cap) {
		ssize_t r = read(fd, (uint8_t *)buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return (ssize_t)got;
}

/* Writes data to path (0600, must not exist) and syncs it: 0 / -1. */
static int write_new(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc = fd_write_all(fd, data, len) == 0 && fsync(fd) == 0 ? 0 : -1;
	if (close(fd) != 0)
		rc = -1;
	if (rc != 0)
		unlink(path);
	return rc;
}

/* Whether name is a blob file ("doc_….fvb"), not a temporary one. */
static int is_blob_name(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && name[0] != '.' && strcmp(name + n - 4, ".fvb") == 0;
}

/* ---- arguments ---- */

struct args {
	const char *to, *from, *data_dir, *pass_file;
	int without_key, sample;
};

static int parse_args(const char *cmd, int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof *a);
	a->sample = SAMPLE_DEFAULT;
	for (int i = 1; i < argc; i++) {
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--to") == 0 && next)
			a->to = argv[++i];
		else if (strcmp(argv[i], "--from") == 0 && next)
			a->from = argv[++i];
		else if (strcmp(argv[i], "--data-dir") == 0 && next)
			a->data_dir = argv[++i];
		else if (strcmp(argv[i], "--passphrase-file") == 0 && next)
			a->pass_file = argv[++i];
		else if (strcmp(argv[i], "--without-key") == 0)
			a->without_key = 1;
		else if (strcmp(argv[i], "--sample") == 0 && next) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 0 || v > 100000) {
				fprintf(stderr, "faxvaultd %s: --sample takes 0 to 100000\n", cmd);
				return -1;
			}
			a->sample = (int)v;
		} else {
			fprintf(stderr, "faxvaultd %s: unexpected argument %s (try --help)\n", cmd, argv[i]);
			return -1;
		}
	}
	return 0;
}

/* The operator's passphrase, from --passphrase-file or the environment
 * variable FAXVAULT_BACKUP_PASSPHRASE (never from the command line, where
 * other users could read it). 0, or -1 with the reason printed. */
static int get_passphrase(const char *cmd, const char *file, char out[PASSPHRASE_MAX + 1])
{
	out[0] = '\0';
	if (file) {
		ssize_t n = read_small(file, out, PASSPHRASE_MAX);
		if (n < 0) {
			fprintf(stderr, "faxvaultd %s: cannot read %s: %s\n", cmd, file, strerror(errno));
			return -1;
		}
		out[n] = '\0';
		while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
			out[--n] = '\0';
	} else {
		const char *env = getenv("FAXVAULT_BACKUP_PASSPHRASE");
		if (env && strlen(env) <= PASSPHRASE_MAX)
			snprintf(out, PASSPHRASE_MAX + 1, "%s", env);
	}
	if (!out[0]) {
		fprintf(stderr, "faxvaultd %s: no passphrase (give --passphrase-file FILE or set "
			"FAXVAULT_BACKUP_PASSPHRASE)\n", cmd);
		return -1;
	}
	if (strlen(out) < PASSPHRASE_MIN) {
		sodium_memzero(out, PASSPHRASE_MAX + 1);
		fprintf(stderr, "faxvaultd %s: the passphrase must have at least %d characters\n", cmd,
			PASSPHRASE_MIN);
		return -1;
	}
	return 0;
}

/* ---- the sealed master key ---- */

static json_t *hex_json(const uint8_t *b, size_t n)
{
	char *h = xmalloc(2 * n + 1);
	sodium_bin2hex(h, 2 * n + 1, b, n);
	json_t *s = json_string(h);
	free(h);
	return s;
}

static int hex_field(const json_t *o, const char *k, uint8_t *out, size_t n)
{
	const char *h = json_string_value(json_object_get(o, k));
	size_t got = 0;
	return h && sodium_hex2bin(out, n, h, strlen(h), NULL, &got, NULL) == 0 && got == n ? 0 : -1;
}

static int derive(uint8_t key[crypto_secretbox_KEYBYTES], const char *pass, const uint8_t *salt,
	unsigned long long ops, size_t mem)
{
	return crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass, strlen(pass), salt, ops, mem,
		crypto_pwhash_ALG_ARGON2ID13);
}

/* The key file's bytes sealed under pass; at least libsodium's interactive
 * cost, more when the configured password cost is higher. */
static json_t *seal_key(const config_t *cfg, const uint8_t *kf, size_t len, const char *pass)
{
	unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	if ((unsigned long long)cfg->argon2_ops > ops)
		ops = (unsigned long long)cfg->argon2_ops;
	if ((size_t)cfg->argon2_mem_kib * 1024 > mem)
		mem = (size_t)cfg->argon2_mem_kib * 1024;
	uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
	uint8_t key[crypto_secretbox_KEYBYTES];
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	if (derive(key, pass, salt, ops, mem) != 0)
		return NULL;
	size_t clen = len + crypto_secretbox_MACBYTES;
	uint8_t *c = xmalloc(clen);
	crypto_secretbox_easy(c, kf, len, nonce, key);
	sodium_memzero(key, sizeof key);
	json_t *o = json_pack("{s:s, s:I, s:I, s:o, s:o, s:o}", "kdf", "argon2id13", "opslimit",
		(json_int_t)ops, "memlimit", (json_int_t)mem, "salt", hex_json(salt, sizeof salt), "nonce",
		hex_json(nonce, sizeof nonce), "sealed", hex_json(c, clen));
	free(c);
	return o;
}

/* Opens a sealed key file into out (cap bytes): its length, or -1 (wrong
 * passphrase, or the manifest was altered). */
static ssize_t unseal_key(const json_t *o, const char *pass, uint8_t *out, size_t cap)
{
	uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
	uint8_t key[crypto_secretbox_KEYBYTES];
	const char *kdf = json_string_value(json_object_get(o, "kdf"));
	json_int_t ops = json_integer_value(json_object_get(o, "opslimit"));
	json_int_t mem = json_integer_value(json_object_get(o, "memlimit"));
	const char *sh = json_string_value(json_object_get(o, "sealed"));
	if (!kdf || strcmp(kdf, "argon2id13") != 0 || ops < 1 || ops > 64 || mem < 8192 ||
	    mem > ((json_int_t)4 << 30) || !sh || hex_field(o, "salt", salt, sizeof salt) != 0 ||
	    hex_field(o, "nonce", nonce, sizeof nonce) != 0)
		return -1;
	size_t hl = strlen(sh), clen = 0;
	if (hl / 2 < crypto_secretbox_MACBYTES || hl / 2 - crypto_secretbox_MACBYTES > cap)
		return -1;
	uint8_t *c = xmalloc(hl / 2 + 1);
	ssize_t rc = -1;
	if (sodium_hex2bin(c, hl / 2 + 1, sh, hl, NULL, &clen, NULL) == 0 &&
	    clen >= crypto_secretbox_MACBYTES &&
	    derive(key, pass, salt, (unsigned long long)ops, (size_t)mem) == 0 &&
	    crypto_secretbox_open_easy(out, c, clen, nonce, key) == 0)
		rc = (ssize_t)(clen - crypto_secretbox_MACBYTES);
	sodium_memzero(key, sizeof key);
	free(c);
	return rc;
}

/* ---- backup ---- */

static json_t *file_entry(const char *rel, const char *sha, uint64_t size)
{
	return json_pack("{s:s, s:I, s:s}", "path", rel, "size", (json_int_t)size, "sha256", sha);
}

/* Copies every blob of src_docs into dst_docs, listing them in files: the
 * number copied, or -1. */
static int copy_blobs(const char *src_docs, const char *dst_docs, json_t *files)
{
	DIR *d = opendir(src_docs);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	int n = 0;
	struct dirent *de;
	while (n >= 0 && (de = readdir(d)) != NULL) {
		if (!is_blob_name(de->d_name))
			continue;
		char *s = xasprintf("%s/%s", src_docs, de->d_name);
		char *t = xasprintf("%s/%s", dst_docs, de->d_name);
		char sha[65];
		uint64_t size;
		int rc = copy_file(s, t, sha, &size);
		if (rc == 0) {
			char *rel = xasprintf("docs/%s", de->d_name);
			json_array_append_new(files, file_entry(rel, sha, size));
			free(rel);
			n++;
		} else if (rc < 0) {
			fprintf(stderr, "faxvaultd backup: cannot copy %s: %s\n", s, strerror(errno));
			n = -1;
		} /* rc 1: deleted since the snapshot, as it should be */
		free(s);
		free(t);
	}
	closedir(d);
	return n;
}

/* The audit head and number of documents of the database at path. */
static int snapshot_facts(const char *path, json_t *manifest)
{
	char err[256];
	store_t *st = store_open(path, err, sizeof err);
	if (!st)
		return -1;
	store_tx_t *tx = store_begin(st, false);
	int64_t seq = 0;
	char hash[65] = "";
	int rc = tx && store_audit_head(tx, &seq, hash, NULL) == STORE_OK ? 0 : -1;
	int64_t docs = tx ? store_doc_count(tx) : -1;
	if (tx)
		store_rollback(tx);
	store_close(st);
	if (rc != 0 || docs < 0)
		return -1;
	json_object_set_new(manifest, "audit_head", json_pack("{s:I, s:s}", "seq", (json_int_t)seq,
		"hash", hash));
	json_object_set_new(manifest, "documents", json_integer((json_int_t)docs));
	return 0;
}

/* ---- PostgreSQL (store.backend = postgresql) ---- */

#define PG_DUMP_FILE "faxvault.pgdump"

static int cfg_pg(const config_t *cfg)
{
	return strcmp(cfg->store_backend, "postgresql") == 0;
}

/* Runs a PostgreSQL client program (argv[0], found on PATH) with the
 * connection's environment entries env added to its own; its standard
 * output is discarded, its errors go to ours. 0 when it exited 0, else -1
 * with a line printed. */
static int run_pg_tool(const char *cmd, char *const argv[], char **env)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (char **e = env; e && *e; e++)
			putenv(*e);
		int dn = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (dn >= 0)
			dup2(dn, STDOUT_FILENO);
		execvp(argv[0], argv);
		fprintf(stderr, "faxvaultd %s: cannot run %s: %s (install the PostgreSQL client "
			"programs of the server's version)\n", cmd, argv[0], strerror(errno));
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	fprintf(stderr, "faxvaultd %s: %s failed (exit status %d)\n", cmd, argv[0],
		WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return -1;
}

/* pg_dump of the database in one snapshot, exported from a read
 * transaction of ours in which the audit head and the number of documents
 * are read for the manifest: they are those of the dump exactly. */
static int pg_dump_snapshot(const config_t *cfg, const char *path, json_t *manifest)
{
	char err[512], snap[128], *opt_snap = NULL, *opt_file = NULL;
	store_t *st = store_open_pg(cfg->store_pg_dsn, err, sizeof err);
	if (!st) {
		fprintf(stderr, "faxvaultd backup: %s\n", err);
		return -1;
	}
	char **env = store_pg_env(cfg->store_pg_dsn, NULL);
	store_tx_t *tx = store_begin(st, false);
	int64_t seq = 0, docs = -1;
	char hash[65] = "";
	int rc = -1;
	if (!env || !tx || store_export_snapshot(tx, snap, sizeof snap) != 0 ||
	    store_audit_head(tx, &seq, hash, NULL) != STORE_OK || (docs = store_doc_count(tx)) < 0) {
		fprintf(stderr, "faxvaultd backup: cannot take a snapshot of the database\n");
		goto out;
	}
	opt_snap = xasprintf("--snapshot=%s", snap);
	opt_file = xasprintf("--file=%s", path);
	char *argv[] = { "pg_dump", "--format=custom", "--no-owner", "--no-privileges", opt_snap,
		opt_file, NULL };
	if (run_pg_tool("backup", argv, env) != 0)
		goto out;
	json_object_set_new(manifest, "backend", json_string("postgresql"));
	json_object_set_new(manifest, "audit_head", json_pack("{s:I, s:s}", "seq", (json_int_t)seq,
		"hash", hash));
	json_object_set_new(manifest, "documents", json_integer((json_int_t)docs));
	rc = 0;
out:
	if (tx)
		store_rollback(tx);
	store_close(st);
	store_pg_env_free(env);
	free(opt_snap);
	free(opt_file);
	return rc;
}

/* pg_restore of the dump at path into the database dsn names (db: another
 * database of that server instead, or NULL), in one transaction. */
static int pg_restore_dump(const char *cmd, const char *dsn, const char *db, const char *path)
{
	char **env = store_pg_env(dsn, db);
	const char *name = NULL;
	for (char **e = env; e && *e; e++)
		if (strncmp(*e, "PGDATABASE=", 11) == 0)
			name = *e + 11;
	if (!name) {
		fprintf(stderr, "faxvaultd %s: store.postgresql_dsn names no database\n", cmd);
		store_pg_env_free(env);
		return -1;
	}
	char *opt_db = xasprintf("--dbname=%s", name), *file = xstrdup(path);
	char *argv[] = { "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
		"--single-transaction", opt_db, file, NULL };
	int rc = run_pg_tool(cmd, argv, env);
	free(opt_db);
	free(file);
	store_pg_env_free(env);
	return rc;
}

/* Writes the manifest (last, via a temporary name, so that a backup cut
 * short has none). */
static int write_manifest(const char *dir, const json_t *m)
{
	char *text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
	char *tmp = xasprintf("%s/.manifest.json.tmp", dir), *fin = xasprintf("%s/manifest.json", dir);
	int rc = text && write_new(tmp, text, strlen(text)) == 0 && rename(tmp, fin) == 0 ? 0 : -1;
	if (rc != 0)
		unlink(tmp);
	free(text);
	free(tmp);
	free(fin);
	return rc;
}

/* Whether dir can take a backup: absent (created) or empty. */
static int prepare_target(const char *dir)
{
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *de;
	int empty = 1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	if (!empty)
		errno = ENOTEMPTY;
	return empty ? 0 : -1;
}

int backup_cmd_backup(const config_t *cfg, int argc, char **argv)
{
	struct args a;
	if (parse_args("backup", argc, argv, &a) != 0)
		return 2;
	if (!a.to || a.from || a.data_dir || (a.without_key && a.pass_file)) {
		fputs("usage: faxvaultd [--data-dir DIR] backup --to DIR [--passphrase-file FILE | "
		      "--without-key]\n", stderr);
		return 2;
	}
	char pass[PASSPHRASE_MAX + 1] = "";
	if (!a.without_key && get_passphrase("backup", a.pass_file, pass) != 0)
		return 2;
	int rc = 1;
	char *db = db_path(cfg), *docs = docs_path(cfg), *cp = checkpoint_path(cfg);
	char *kp = master_key_path(cfg);
	char *to_db = xasprintf("%s/faxvault.db", a.to), *to_docs = xasprintf("%s/docs", a.to);
	char *to_cp = xasprintf("%s/audit-checkpoints.jsonl", a.to);
	json_t *m = json_object(), *files = json_array();
	uint8_t kf[KEYFILE_MAX];
	ssize_t kl = -1;
	store_t *st = NULL;
	char err[512], sha[65], fp[VAULT_FINGERPRINT_LEN] = "", when[40];
	uint64_t size;
	struct stat sb;
	int pg = cfg_pg(cfg);
	if (!pg && stat(db, &sb) != 0) {
		fprintf(stderr, "faxvaultd backup: no database at %s\n", db);
		goto out;
	}
	if (!a.without_key) {
		vault_key_t *mk = NULL;
		vault_err_t ve = vault_master_load(kp, 0, &mk);
		if (ve == VAULT_OK) {
			vault_key_fingerprint(mk, fp);
			vault_key_free(mk);
			kl = read_small(kp, kf, sizeof kf);
		}
		if (ve != VAULT_OK || kl <= 0) {
			fprintf(stderr, "faxvaultd backup: cannot read the master key %s: %s\n", kp,
				ve != VAULT_OK ? vault_strerror(ve) : strerror(errno));
			goto out;
		}
	}
	if (prepare_target(a.to) != 0 || ensure_dir(to_docs) != 0) {
		fprintf(stderr, "faxvaultd backup: %s must be a new or empty directory: %s\n", a.to,
			strerror(errno));
		goto out;
	}
	/* The checkpoints before the snapshot: each names a head the snapshot
	 * holds (copied after, one could name events it lacks). */
	int c = copy_file(cp, to_cp, sha, &size);
	if (c < 0) {
		fprintf(stderr, "faxvaultd backup: cannot copy %s: %s\n", cp, strerror(errno));
		goto out;
	}
	if (c == 0)
		json_array_append_new(files, file_entry("audit-checkpoints.jsonl", sha, size));
	if (pg) {
		free(to_db);
		to_db = xasprintf("%s/" PG_DUMP_FILE, a.to);
		if (pg_dump_snapshot(cfg, to_db, m) != 0 || hash_file(to_db, sha, &size) != 0)
			goto out;
		json_array_append_new(files, file_entry(PG_DUMP_FILE, sha, size));
	} else {
		st = store_open(db, err, sizeof err);
		if (!st || store_snapshot(st, to_db, err, sizeof err) != 0) {
			fprintf(stderr, "faxvaultd backup: %s\n", err);
			goto out;
		}
		store_close(st);
		st = NULL;
		if (snapshot_facts(to_db, m) != 0 || hash_file(to_db, sha, &size) != 0) {
			fprintf(stderr, "faxvaultd backup: the copy of the database does not open\n");
			goto out;
		}
		json_array_append_new(files, file_entry("faxvault.db", sha, size));
	}
	int blobs = copy_blobs(docs, to_docs, files);
	if (blobs < 0)
		goto out;
	json_t *sealed = NULL;
	if (!a.without_key && !(sealed = seal_key(cfg, kf, (size_t)kl, pass))) {
		fputs("faxvaultd backup: cannot derive a key from the passphrase (out of memory?)\n",
			stderr);
		goto out;
	}
	json_object_set_new(m, "format", json_string(MANIFEST_FORMAT));
	json_object_set_new(m, "version", json_string(FV_VERSION));
	json_object_set_new(m, "created_at",
		json_string(time_format_rfc3339(time_now_ms(), when, sizeof when)));
	json_object_set_new(m, "master_key", sealed ? json_pack("{s:s, s:o}", "fingerprint", fp,
		"sealed", sealed) : json_null());
	json_object_set(m, "files", files);
	if (write_manifest(a.to, m) != 0) {
		fprintf(stderr, "faxvaultd backup: cannot write %s/manifest.json: %s\n", a.to,
			strerror(errno));
		goto out;
	}
	json_t *head = json_object_get(m, "audit_head");
	printf("backup written to %s\n"
	       "  database snapshot%s, audit head %lld:%s\n"
	       "  %d document blob%s, %s\n"
	       "  master key: %s%s\n",
		a.to, pg ? " (pg_dump)" : "", (long long)json_integer_value(json_object_get(head, "seq")),
		json_string_value(json_object_get(head, "hash")), blobs, blobs == 1 ? "" : "s",
		c == 0 ? "audit checkpoints" : "no audit checkpoint file",
		sealed ? "sealed under the passphrase, fingerprint " : "NOT included (keep ",
		sealed ? fp : "the master key file safely: the copy is unreadable without it)");
	rc = 0;
out:
	sodium_memzero(pass, sizeof pass);
	sodium_memzero(kf, sizeof kf);
	store_close(st);
	json_decref(m);
	json_decref(files);
	free(db);
	free(docs);
	free(cp);
	free(kp);
	free(to_db);
	free(to_docs);
	free(to_cp);
	return rc;
}

/* ---- reading a backup ---- */

/* Whether rel is a path a manifest may name: faxvault.db (SQLite),
 * faxvault.pgdump (PostgreSQL), audit-checkpoints.jsonl or docs/BLOB. */
static int rel_ok(const char *rel)
{
	if (strcmp(rel, "faxvault.db") == 0 || strcmp(rel, PG_DUMP_FILE) == 0 ||
	    strcmp(rel, "audit-checkpoints.jsonl") == 0)
		return 1;
	return strncmp(rel, "docs/", 5) == 0 && !strchr(rel + 5, '/') && is_blob_name(rel + 5);
}

/* The manifest of the backup at dir, with every file it lists present with
 * its size and hash. NULL with the reason printed. */
static json_t *load_checked(const char *cmd, const char *dir)
{
	char *mp = xasprintf("%s/manifest.json", dir);
	json_error_t je;
	json_t *m = json_load_file(mp, 0, &je);
	free(mp);
	const char *fmt = json_string_value(json_object_get(m, "format"));
	json_t *files = json_object_get(m, "files");
	if (!m || !fmt || strcmp(fmt, MANIFEST_FORMAT) != 0 || !json_is_array(files)) {
		fprintf(stderr, "faxvaultd %s: %s holds no faxvault backup (manifest.json %s)\n", cmd,
			dir, m ? "of another format" : "missing or unreadable");
		json_decref(m);
		return NULL;
	}
	size_t i, bad = 0;
	json_t *f;
	json_array_foreach(files, i, f) {
		const char *rel = json_string_value(json_object_get(f, "path"));
		const char *want = json_string_value(json_object_get(f, "sha256"));
		if (!rel || !want || !rel_ok(rel)) {
			fprintf(stderr, "faxvaultd %s: the manifest names a file it may not\n", cmd);
			bad++;
			continue;
		}
		char *p = xasprintf("%s/%s", dir, rel), sha[65];
		uint64_t size;
		if (hash_file(p, sha, &size) != 0) {
			fprintf(stderr, "faxvaultd %s: %s is missing: %s\n", cmd, rel, strerror(errno));
			bad++;
		} else if (strcmp(sha, want) != 0 ||
			   (json_int_t)size != json_integer_value(json_object_get(f, "size"))) {
			fprintf(stderr, "faxvaultd %s: %s differs from the manifest (altered or damaged)\n",
				cmd, rel);
			bad++;
		}
		free(p);
	}
	if (bad) {
		fprintf(stderr, "faxvaultd %s: %zu of %zu files fail their check\n", cmd, bad,
			json_array_size(files));
		json_decref(m);
		return NULL;
	}
	return m;
}

/* The master key file's bytes from the manifest (kf, KEYFILE_MAX): their
 * length, 0 when the backup holds no key, or -1 with the reason printed. */
static ssize_t open_key(const char *cmd, const json_t *m, const char *pass_file, uint8_t *kf)
{
	const json_t *mk = json_object_get(m, "master_key");
	if (!json_is_object(mk))
		return 0;
	char pass[PASSPHRASE_MAX + 1];
	if (get_passphrase(cmd, pass_file, pass) != 0)
		return -1;
	ssize_t n = unseal_key(json_object_get(mk, "sealed"), pass, kf, KEYFILE_MAX);
	sodium_memzero(pass, sizeof pass);
	if (n <= 0)
		fprintf(stderr, "faxvaultd %s: the master key does not open: wrong passphrase, or the "
			"manifest was altered\n", cmd);
	return n <= 0 ? -1 : n;
}

/* Writes the key file bytes to path and checks the key is the one the
 * manifest names: 0, or -1 with the reason printed. */
static int place_key(const char *cmd, const json_t *m, const uint8_t *kf, size_t kl,
	const char *path)
{
	if (write_new(path, kf, kl) != 0) {
		fprintf(stderr, "faxvaultd %s: cannot write %s: %s\n", cmd, path, strerror(errno));
		return -1;
	}
	vault_key_t *k = NULL;
	char fp[VAULT_FINGERPRINT_LEN];
	const char *want = json_string_value(json_object_get(json_object_get(m, "master_key"),
		"fingerprint"));
	vault_err_t ve = vault_master_load(path, 0, &k);
	if (ve == VAULT_OK)
		vault_key_fingerprint(k, fp);
	vault_key_free(k);
	if (ve != VAULT_OK || !want || strcmp(fp, want) != 0) {
		fprintf(stderr, "faxvaultd %s: the restored master key is not the one backed up\n", cmd);
		unlink(path);
		return -1;
	}
	return 0;
}

/* Copies each file of the manifest from the backup at from into the data
 * directory of cfg: 0, or -1 with the reason printed. */
static int copy_out(const json_t *m, const char *from, const config_t *cfg)
{
	char *docs = docs_path(cfg);
	int rc = ensure_dir(cfg->data_dir) == 0 && ensure_dir(docs) == 0 ? 0 : -1;
	if (rc != 0)
		fprintf(stderr, "faxvaultd restore: cannot create %s: %s\n", docs, strerror(errno));
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(m, "files"), i, f) {
		if (rc != 0)
			break;
		const char *rel = json_string_value(json_object_get(f, "path"));
		if (strcmp(rel, PG_DUMP_FILE) == 0)
			continue; /* restored into the database by pg_restore */
		char *src = xasprintf("%s/%s", from, rel), *dst;
		if (strcmp(rel, "faxvault.db") == 0)
			dst = db_path(cfg);
		else if (strcmp(rel, "audit-checkpoints.jsonl") == 0)
			dst = checkpoint_path(cfg);
		else
			dst = xasprintf("%s/%s", cfg->data_dir, rel);
		char sha[65];
		uint64_t size;
		if (copy_file(src, dst, sha, &size) != 0 ||
		    strcmp(sha, json_string_value(json_object_get(f, "sha256"))) != 0) {
			fprintf(stderr, "faxvaultd restore: cannot copy %s to %s: %s\n", rel, dst,
				strerror(errno));
			rc = -1;
		}
		free(src);
		free(dst);
	}
	free(docs);
	return rc;
}

/* Whether the backup of manifest m is of a PostgreSQL database. */
static int backup_is_pg(const json_t *m)
{
	const char *b = json_string_value(json_object_get(m, "backend"));
	return b && strcmp(b, "postgresql") == 0;
}

/* The database dsn names opens (its migrations run) and its audit chain
 * ends where the manifest says: 0, or -1 with the reason printed. */
static int pg_head_check(const char *dsn, const json_t *m)
{
	char err[512], hash[65] = "";
	int64_t seq = -1;
	store_t *st = store_open_pg(dsn, err, sizeof err);
	store_tx_t *tx = st ? store_begin(st, false) : NULL;
	int rc = tx && store_audit_head(tx, &seq, hash, NULL) == STORE_OK ? 0 : -1;
	if (tx)
		store_rollback(tx);
	store_close(st);
	const json_t *h = json_object_get(m, "audit_head");
	const char *want = json_string_value(json_object_get(h, "hash"));
	if (rc != 0 || !want || seq != json_integer_value(json_object_get(h, "seq")) ||
	    strcmp(hash, want) != 0) {
		fprintf(stderr, "faxvaultd: the restored database %s\n", rc != 0 ? "does not open" :
			"does not end at the audit head of the manifest");
		return -1;
	}
	return 0;
}

int backup_cmd_restore(config_t *cfg, int argc, char **argv)
{
	struct args a;
	if (parse_args("restore", argc, argv, &a) != 0)
		return 2;
	if (!a.from || a.to || a.without_key) {
		fputs("usage: faxvaultd restore --from DIR [--data-dir DIR] [--passphrase-file FILE]\n",
			stderr);
		return 2;
	}
	char err[256];
	if (a.data_dir && config_set(cfg, "data_dir", a.data_dir, err, sizeof err) != 0) {
		fprintf(stderr, "faxvaultd restore: %s\n", err);
		return 2;
	}
	char *db = db_path(cfg), *kp = master_key_path(cfg);
	uint8_t kf[KEYFILE_MAX];
	ssize_t kl = -1;
	int rc = 1;
	struct stat sb;
	json_t *m = NULL;
	int pg = cfg_pg(cfg);
	if ((!pg && stat(db, &sb) == 0) || stat(kp, &sb) == 0) {
		fprintf(stderr, "faxvaultd restore: %s already holds a database or a master key; "
			"restore into a new data directory\n", cfg->data_dir);
		goto out;
	}
	if (!(m = load_checked("restore", a.from)))
		goto out;
	if (pg != backup_is_pg(m)) {
		fprintf(stderr, "faxvaultd restore: the backup is of a %s database and store.backend is "
			"%s\n", backup_is_pg(m) ? "PostgreSQL" : "SQLite", cfg->store_backend);
		goto out;
	}
	if (pg) {
		int e = store_pg_empty(cfg->store_pg_dsn, err, sizeof err);
		if (e != 1) {
			fprintf(stderr, "faxvaultd restore: %s\n", e < 0 ? err : "the database of "
				"store.postgresql_dsn already holds tables; restore into a new, empty database");
			goto out;
		}
	}
	if ((kl = open_key("restore", m, a.pass_file, kf)) < 0)
		goto out;
	if (pg) {
		char *dump = xasprintf("%s/" PG_DUMP_FILE, a.from);
		int prc = pg_restore_dump("restore", cfg->store_pg_dsn, NULL, dump);
		free(dump);
		if (prc != 0 || pg_head_check(cfg->store_pg_dsn, m) != 0)
			goto out;
	}
	if (copy_out(m, a.from, cfg) != 0)
		goto out;
	if (kl > 0 && place_key("restore", m, kf, (size_t)kl, kp) != 0)
		goto out;
	json_t *head = json_object_get(m, "audit_head");
	printf("restored %s into %s (backup of %s, audit head %lld)\n%s"
	       "Check it with: faxvaultd --data-dir %s audit-verify\n",
		a.from, cfg->data_dir, json_string_value(json_object_get(m, "created_at")),
		(long long)json_integer_value(json_object_get(head, "seq")),
		kl > 0 ? "" : "The backup holds no master key: put the key file in place before "
			      "starting the service.\n", cfg->data_dir);
	rc = 0;
out:
	sodium_memzero(kf, sizeof kf);
	json_decref(m);
	free(db);
	free(kp);
	return rc;
}

/* ---- verify ---- */

/* Decrypts document doc of account acc from the blobs in docs_dir: 0 read
 * whole and authentic, 1 no blob, -1 a blob that does not open. */
static int check_doc(store_tx_t *tx, const vault_key_t *master, const char *docs_dir,
	const char *acc, const char *doc)
{
	json_t *d = store_doc_get(tx, acc, doc), *ak = store_account_key_get(tx, acc);
	uint8_t wa[VAULT_WRAPPED_LEN], wd[VAULT_WRAPPED_LEN];
	vault_key_t *akey = NULL, *dkey = NULL;
	vault_reader_t *r = NULL;
	int rc = -1;
	if (d && ak && hex_field(ak, "wrapped_key", wa, sizeof wa) == 0 &&
	    hex_field(d, "wrapped_key", wd, sizeof wd) == 0 &&
	    vault_account_key_unwrap(master, acc, wa, sizeof wa, &akey) == VAULT_OK &&
	    vault_doc_key_unwrap(akey, acc, doc, wd, sizeof wd, &dkey) == VAULT_OK) {
		vault_err_t ve = vault_reader_open(docs_dir, doc, dkey, &r);
		if (ve == VAULT_ERR_NOT_FOUND) {
			rc = 1;
		} else if (ve == VAULT_OK) {
			uint8_t buf[65536];
			size_t got;
			while ((ve = vault_reader_read(r, buf, sizeof buf, &got)) == VAULT_OK && got)
				;
			sodium_memzero(buf, sizeof buf);
			rc = ve == VAULT_OK ? 0 : -1;
			if (rc != 0)
				fprintf(stderr, "faxvaultd backup-verify: document %s: %s\n", doc,
					vault_strerror(ve));
		}
	}
	vault_reader_close(r);
	vault_key_free(akey);
	vault_key_free(dkey);
	json_decref(d);
	json_decref(ak);
	return rc;
}

/* Removes the scratch directory of a verification and what is in it. */
static void scratch_wipe(const char *dir)
{
	static const char *const names[] = { "master.key", "faxvault.db", "faxvault.db-wal",
		"faxvault.db-shm" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

int backup_cmd_verify(const config_t *cfg, int argc, char **argv)
{
	struct args a;
	if (parse_args("backup-verify", argc, argv, &a) != 0)
		return 2;
	if (!a.from || a.to || a.data_dir || a.without_key) {
		fputs("usage: faxvaultd backup-verify --from DIR [--passphrase-file FILE] [--sample N]\n",
			stderr);
		return 2;
	}
	uint8_t kf[KEYFILE_MAX];
	ssize_t kl = -1;
	json_t *m = load_checked("backup-verify", a.from);
	if (!m)
		return 1;
	if ((kl = open_key("backup-verify", m, a.pass_file, kf)) < 0) {
		json_decref(m);
		return 1;
	}
	printf("files: %zu, each as the manifest says\n", json_array_size(json_object_get(m, "files")));
	/* The database is opened from a scratch copy: opening it where it lies
	 * would change the file the manifest vouches for. */
	const char *tmpd = getenv("TMPDIR");
	char *scratch = xasprintf("%s/faxvault-verify-XXXXXX", tmpd && *tmpd ? tmpd : "/tmp");
	char *src_db = xasprintf("%s/faxvault.db", a.from), *db = NULL, *kp = NULL, *cp = NULL;
	char *docs = xasprintf("%s/docs", a.from), err[256], sha[65], scratch_db[64] = "";
	char *scratch_dsn = NULL;
	uint64_t size;
	int rc = 1;
	store_t *st = NULL;
	vault_key_t *master = NULL;
	if (!mkdtemp(scratch)) {
		fprintf(stderr, "faxvaultd backup-verify: cannot make a scratch directory: %s\n",
			strerror(errno));
		free(scratch);
		scratch = NULL;
		goto out;
	}
	db = xasprintf("%s/faxvault.db", scratch);
	kp = xasprintf("%s/master.key", scratch);
	if (backup_is_pg(m)) {
		/* The dump is restored into a scratch database of the configured
		 * server, dropped at the end. */
		if (!cfg_pg(cfg)) {
			fputs("faxvaultd backup-verify: the backup is of a PostgreSQL database: set "
			      "store.backend=postgresql and store.postgresql_dsn (a scratch database is "
			      "made on that server for the check, then dropped)\n", stderr);
			goto out;
		}
		snprintf(scratch_db, sizeof scratch_db, "faxvault_verify_%ld_%08x", (long)getpid(),
			(unsigned)randombytes_random());
		char *sql = xasprintf("CREATE DATABASE %s", scratch_db), *dump =
			xasprintf("%s/" PG_DUMP_FILE, a.from);
		int crc = store_pg_admin(cfg->store_pg_dsn, sql, err, sizeof err);
		free(sql);
		if (crc != 0) {
			fprintf(stderr, "faxvaultd backup-verify: cannot make a scratch database (the role "
				"needs CREATEDB): %s\n", err);
			scratch_db[0] = '\0';
			free(dump);
			goto out;
		}
		scratch_dsn = store_pg_dsn_with_db(cfg->store_pg_dsn, scratch_db);
		int prc = pg_restore_dump("backup-verify", cfg->store_pg_dsn, scratch_db, dump);
		free(dump);
		if (prc != 0 || !scratch_dsn || !(st = store_open_pg(scratch_dsn, err, sizeof err))) {
			fprintf(stderr, "faxvaultd backup-verify: the database does not open\n");
			goto out;
		}
	} else if (copy_file(src_db, db, sha, &size) != 0 || !(st = store_open(db, err, sizeof err))) {
		fprintf(stderr, "faxvaultd backup-verify: the database does not open\n");
		goto out;
	}
	if (kl == 0) {
		puts("master key: not in the backup: the audit chain's keyed events and the documents "
		     "cannot be checked");
	} else if (place_key("backup-verify", m, kf, (size_t)kl, kp) != 0 ||
		   vault_master_load(kp, 0, &master) != VAULT_OK) {
		goto out;
	}
	/* The audit chain, against the checkpoints that came with it. */
	cp = xasprintf("%s/audit-checkpoints.jsonl", a.from);
	struct stat sb;
	char *av[] = { "audit-verify", "--checkpoint", cp, NULL };
	int arc = audit_cmd_verify(st, kp, stat(cp, &sb) == 0 ? 3 : 1, av);
	int bad = 0, missing = 0, ok = 0;
	if (master) {
		store_tx_t *tx = store_begin(st, false);
		json_t *sample = tx ? store_doc_sample(tx, a.sample) : NULL;
		size_t i;
		json_t *row;
		json_array_foreach(sample, i, row) {
			int c = check_doc(tx, master, docs, json_string_value(json_object_get(row,
				"account_id")), json_string_value(json_object_get(row, "id")));
			ok += c == 0;
			missing += c == 1;
			bad += c < 0;
		}
		json_decref(sample);
		if (tx)
			store_rollback(tx);
		printf("documents: %d of a sample of %d decrypted whole and authentic, %d without a blob "
		       "(deleted while the backup ran), %d damaged\n", ok, ok + missing + bad, missing, bad);
	}
	rc = arc == 0 && bad == 0 ? 0 : 1;
	printf("%s\n", rc == 0 ? "backup verified" : "backup FAILED its checks");
out:
	vault_key_free(master);
	store_close(st);
	if (scratch_db[0]) {
		char *sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", scratch_db);
		if (store_pg_admin(cfg->store_pg_dsn, sql, err, sizeof err) != 0)
			fprintf(stderr, "faxvaultd backup-verify: the scratch database %s is left: %s\n",
				scratch_db, err);
		free(sql);
	}
	free(scratch_dsn);
	if (scratch)
		scratch_wipe(scratch);
	sodium_memzero(kf, sizeof kf);
	json_decref(m);
	free(scratch);
	free(src_db);
	free(db);
	free(kp);
	free(cp);
	free(docs);
	return rc;
}
