/* faxvaultd's backups (see backup_cmd.h).
 *
 * Format 2 (written since backups forget, docs/vault.md): every file of the
 * backup is encrypted under a key of the backup's own, kept only in the
 * backup key directory (backupkeys.h) and destroyed when the backup
 * expires. The directory holds manifest.json (in the clear: format, dates,
 * the backup key's id and expiry, the sealed master key, the audit head,
 * and the size and SHA-256 of each encrypted file), index (encrypted: the
 * names, sizes and SHA-256 of the files as they were) and data/NNNNNN (each
 * file encrypted: the database snapshot, the audit checkpoints, the
 * document blobs). Names of documents are only in the encrypted index.
 *
 * Format 1 (still restored; it never forgets) held, in the clear:  audit-checkpoints.jsonl when the service wrote
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
#include "records/records.h"
#include "fdio.h"
#include "paths.h"
#include "store.h"
#include "store_fax.h"
#include "timeutil.h"
#include "vault.h"
#include "xalloc.h"

#define MANIFEST_FORMAT "faxvault-backup/1"
#define MANIFEST_FORMAT2 "faxvault-backup/2"
#define ENC_MAGIC "FVBKENC1"
#define ENC_CHUNK 65536
#define PASSPHRASE_MIN 12
#define PASSPHRASE_MAX 1024
#define KEYFILE_MAX 4096
#define SAMPLE_DEFAULT 20

/* ---- small file helpers ---- */

static int ensure_dir(const char *dir)
{
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* Opens src to read and creates dst (0600, must not exist) to write: 0,
 * 1 when src does not exist, -1 on error (errno set). */
static int copy_begin(const char *src, const char *dst, int *in, int *out)
{
	*in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*in < 0)
		return errno == ENOENT ? 1 : -1;
	*out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (*out < 0) {
		int e = errno;
		close(*in);
		errno = e;
		return -1;
	}
	return 0;
}

/* Ends a copy from in to out (dst): syncs and closes both; on failure
 * (rc != 0, or the sync or close failing) removes dst and answers -1 with
 * errno as it was at the failure. */
static int copy_end(int in, int out, const char *dst, int rc)
{
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
	return 0;
}

/* SHA-256 of h into hex (65 bytes). */
static void sha_hex(crypto_hash_sha256_state *h, char hex[65])
{
	uint8_t d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(h, d);
	sodium_bin2hex(hex, 65, d, sizeof d);
}

/* Copies src to dst (created, 0600, must not exist) and hashes what it
 * copied. 0, 1 when src does not exist, -1 on error (errno set). */
static int copy_file(const char *src, const char *dst, char sha[65], uint64_t *size)
{
	int in, out, begun = copy_begin(src, dst, &in, &out);
	if (begun != 0)
		return begun;
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
	if (copy_end(in, out, dst, rc) != 0)
		return -1;
	sha_hex(&h, sha);
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
	sha_hex(&h, sha);
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

/* ---- files encrypted under the backup key ----
 *
 * ENC_MAGIC (8) ‖ secretstream header (24) ‖ records: plaintext length (u32
 * big-endian, at most ENC_CHUNK) ‖ ciphertext (length + 17); the last record
 * carries TAG_FINAL. Each record's associated data is the backup's id, a
 * NUL and the stored name, so that files cannot be swapped within a backup
 * or between backups. */

struct enc_out {
	char sha_plain[65], sha_cipher[65];
	uint64_t size_plain, size_cipher;
};

static size_t enc_ad(uint8_t *ad, size_t cap, const char *bid, const char *stored)
{
	return (size_t)snprintf((char *)ad, cap, "%s%c%s", bid, 0, stored);
}

/* Encrypts the file src into dst (created 0600, must not exist): 0, 1 when
 * src does not exist, -1 on error (errno set). */
static int enc_file(const char *src, const char *dst, const uint8_t *key, const char *bid,
	const char *stored, struct enc_out *o)
{
	int in, out, begun = copy_begin(src, dst, &in, &out);
	if (begun != 0)
		return begun;
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES], ad[200];
	size_t adlen = enc_ad(ad, sizeof ad, bid, stored);
	crypto_secretstream_xchacha20poly1305_init_push(&st, hdr, key);
	crypto_hash_sha256_state hp, hc;
	crypto_hash_sha256_init(&hp);
	crypto_hash_sha256_init(&hc);
	uint8_t *buf = xmalloc(ENC_CHUNK), *rec = xmalloc(4 + ENC_CHUNK +
		crypto_secretstream_xchacha20poly1305_ABYTES);
	int rc = fd_write_all(out, ENC_MAGIC, 8) == 0 && fd_write_all(out, hdr, sizeof hdr) == 0
		? 0 : -1;
	crypto_hash_sha256_update(&hc, (const uint8_t *)ENC_MAGIC, 8);
	crypto_hash_sha256_update(&hc, hdr, sizeof hdr);
	o->size_plain = 0;
	o->size_cipher = 8 + sizeof hdr;
	/* Read ahead by one chunk, so that the last one is known to be last. */
	size_t have = 0;
	int eof = 0;
	while (rc == 0) {
		while (!eof && have < ENC_CHUNK) {
			ssize_t r = read(in, buf + have, ENC_CHUNK - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = -1;
				break;
			}
			if (r == 0)
				eof = 1;
			have += (size_t)r;
		}
		if (rc != 0)
			break;
		uint8_t b = 0;
		int last = 0;
		if (eof) {
			last = 1;
		} else {
			/* A full chunk: last only if nothing follows. */
			ssize_t r;
			do
				r = read(in, &b, 1);
			while (r < 0 && errno == EINTR);
			if (r < 0) {
				rc = -1;
				break;
			}
			last = r == 0;
			if (r == 0)
				eof = 1;
		}
		unsigned long long clen;
		rec[0] = (uint8_t)(have >> 24);
		rec[1] = (uint8_t)(have >> 16);
		rec[2] = (uint8_t)(have >> 8);
		rec[3] = (uint8_t)have;
		crypto_secretstream_xchacha20poly1305_push(&st, rec + 4, &clen, buf, have, ad, adlen,
			last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
		crypto_hash_sha256_update(&hp, buf, have);
		crypto_hash_sha256_update(&hc, rec, 4 + clen);
		o->size_plain += have;
		o->size_cipher += 4 + clen;
		if (fd_write_all(out, rec, 4 + (size_t)clen) != 0) {
			rc = -1;
			break;
		}
		if (last)
			break;
		buf[0] = b;
		have = 1;
	}
	int e = errno;
	sodium_memzero(&st, sizeof st);
	sodium_memzero(buf, ENC_CHUNK);
	free(buf);
	free(rec);
	errno = e;
	if (copy_end(in, out, dst, rc) != 0)
		return -1;
	sha_hex(&hp, o->sha_plain);
	sha_hex(&hc, o->sha_cipher);
	return 0;
}

/* Decrypts src (stored as `stored`) into dst (created 0600, must not
 * exist), which must come out as want_sha (NULL: the stream's own
 * authentication only): 0, or -1 (a wrong key, an
 * altered or cut file, or errno). */
static int dec_file(const char *src, const char *dst, const uint8_t *key, const char *bid,
	const char *stored, const char *want_sha)
{
	int in, out;
	if (copy_begin(src, dst, &in, &out) != 0)
		return -1;
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t hdr[8 + crypto_secretstream_xchacha20poly1305_HEADERBYTES], ad[200];
	size_t adlen = enc_ad(ad, sizeof ad, bid, stored);
	uint8_t *buf = xmalloc(ENC_CHUNK), *rec = xmalloc(ENC_CHUNK +
		crypto_secretstream_xchacha20poly1305_ABYTES);
	crypto_hash_sha256_state hp;
	crypto_hash_sha256_init(&hp);
	int rc = fd_read_all(in, hdr, sizeof hdr) == 0 && memcmp(hdr, ENC_MAGIC, 8) == 0 &&
		crypto_secretstream_xchacha20poly1305_init_pull(&st, hdr + 8, key) == 0 ? 0 : -1;
	int done = 0;
	while (rc == 0 && !done) {
		uint8_t lb[4];
		if (fd_read_all(in, lb, 4) != 0) {
			rc = -1;
			break;
		}
		size_t n = (size_t)lb[0] << 24 | (size_t)lb[1] << 16 | (size_t)lb[2] << 8 | lb[3];
		unsigned char tag;
		unsigned long long mlen;
		if (n > ENC_CHUNK ||
		    fd_read_all(in, rec, n + crypto_secretstream_xchacha20poly1305_ABYTES) != 0 ||
		    crypto_secretstream_xchacha20poly1305_pull(&st, buf, &mlen, &tag, rec,
			    n + crypto_secretstream_xchacha20poly1305_ABYTES, ad, adlen) != 0 ||
		    mlen != n || fd_write_all(out, buf, n) != 0) {
			rc = -1;
			break;
		}
		crypto_hash_sha256_update(&hp, buf, n);
		done = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
	}
	uint8_t extra;
	if (rc == 0 && read(in, &extra, 1) != 0)
		rc = -1; /* something after the final record */
	sodium_memzero(&st, sizeof st);
	sodium_memzero(buf, ENC_CHUNK);
	free(buf);
	free(rec);
	char sha[65];
	sha_hex(&hp, sha);
	if (rc == 0 && want_sha && strcmp(sha, want_sha) != 0)
		rc = -1;
	return copy_end(in, out, dst, rc);
}

/* Whether name is a blob file ("doc_….fvb"), not a temporary one. */
static int is_blob_name(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && name[0] != '.' && strcmp(name + n - 4, ".fvb") == 0;
}

/* ---- arguments ---- */

struct args {
	const char *to, *from, *data_dir, *pass_file, *key_dir, *master_key;
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
		else if (strcmp(argv[i], "--key-dir") == 0 && next)
			a->key_dir = argv[++i];
		else if (strcmp(argv[i], "--master-key") == 0 && next)
			a->master_key = argv[++i];
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

/* A backup being written: where, under which key, and what it holds. */
struct bk_write {
	const char *to, *bid;
	const uint8_t *key;
	json_t *files; /* the manifest's: encrypted files */
	json_t *index; /* the index's: the files as they were */
	int next;      /* number of the next data/NNNNNN */
};

/* Encrypts src into the backup as rel: 0, 1 when src does not exist, -1
 * with the reason printed. */
static int bk_add(struct bk_write *w, const char *src, const char *rel)
{
	char stored[32];
	snprintf(stored, sizeof stored, "data/%06d", w->next);
	char *dst = xasprintf("%s/%s", w->to, stored);
	struct enc_out o;
	int rc = enc_file(src, dst, w->key, w->bid, stored, &o);
	if (rc < 0)
		fprintf(stderr, "faxvaultd backup: cannot copy %s: %s\n", src, strerror(errno));
	free(dst);
	if (rc != 0)
		return rc;
	w->next++;
	json_array_append_new(w->files, file_entry(stored, o.sha_cipher, o.size_cipher));
	json_t *e = file_entry(rel, o.sha_plain, o.size_plain);
	json_object_set_new(e, "stored", json_string(stored));
	json_array_append_new(w->index, e);
	return 0;
}

/* Encrypts every blob of src_docs into the backup: the number copied, or
 * -1. */
static int bk_add_blobs(struct bk_write *w, const char *src_docs)
{
	DIR *d = opendir(src_docs);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	int n = 0;
	struct dirent *de;
	while (n >= 0 && (de = readdir(d)) != NULL) {
		if (!is_blob_name(de->d_name))
			continue;
		char *src = xasprintf("%s/%s", src_docs, de->d_name);
		char *rel = xasprintf("docs/%s", de->d_name);
		int rc = bk_add(w, src, rel);
		if (rc == 0)
			n++;
		else if (rc < 0)
			n = -1;
		/* rc 1: deleted since the snapshot, as it should be */
		free(src);
		free(rel);
	}
	closedir(d);
	return n;
}

/* Writes the encrypted index of w: 0, or -1 with the reason printed. */
static int bk_write_index(struct bk_write *w, const char *scratch)
{
	json_t *idx = json_pack("{s:s, s:O}", "format", MANIFEST_FORMAT2, "files", w->index);
	char *text = json_dumps(idx, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(idx);
	char *plain = xasprintf("%s/index", scratch), *dst = xasprintf("%s/index", w->to);
	struct enc_out o;
	int rc = text && write_new(plain, text, strlen(text)) == 0 &&
		enc_file(plain, dst, w->key, w->bid, "index", &o) == 0 ? 0 : -1;
	if (rc == 0)
		json_array_insert_new(w->files, 0, file_entry("index", o.sha_cipher, o.size_cipher));
	else
		fprintf(stderr, "faxvaultd backup: cannot write %s: %s\n", dst, strerror(errno));
	unlink(plain);
	free(text);
	free(plain);
	free(dst);
	return rc;
}

/* Every audit chain's head {chain, seq, hash} in tx's snapshot (those that
 * hold an event), for the manifest; NULL when the store fails. */
static json_t *heads_of(store_tx_t *tx)
{
	json_t *rows = store_audit_heads(tx), *out = rows ? json_array() : NULL, *h;
	size_t i;
	json_array_foreach(rows, i, h)
		if (json_integer_value(json_object_get(h, "chain_seq")) > 0)
			json_array_append_new(out, json_pack("{s:O, s:O, s:O}", "chain",
				json_object_get(h, "chain_id"), "seq", json_object_get(h, "chain_seq"), "hash",
				json_object_get(h, "hash")));
	json_decref(rows);
	return out;
}

/* Whether st's audit chains end where the manifest's audit_heads say (a
 * manifest of a version before one chain per account has none: nothing to
 * compare): 0, or -1 with the first chain that differs printed. */
static int heads_check(const char *cmd, store_t *st, const json_t *m)
{
	const json_t *want = json_object_get(m, "audit_heads");
	if (!want)
		return 0;
	store_tx_t *tx = store_begin(st, false);
	json_t *have = tx ? heads_of(tx) : NULL;
	if (tx)
		store_rollback(tx);
	int rc = have && json_array_size(have) == json_array_size(want) ? 0 : -1;
	size_t i, j;
	const json_t *w, *h;
	json_array_foreach(want, i, w) {
		if (rc != 0)
			break;
		rc = -1;
		json_array_foreach(have, j, h)
			if (json_equal(h, w))
				rc = 0;
		if (rc != 0)
			fprintf(stderr, "faxvaultd %s: the audit chain %s does not end at seq %lld as the "
				"manifest says\n", cmd, json_string_value(json_object_get(w, "chain")),
				(long long)json_integer_value(json_object_get(w, "seq")));
	}
	if (rc != 0 && i == 0)
		fprintf(stderr, "faxvaultd %s: the audit chains are not those of the manifest\n", cmd);
	json_decref(have);
	return rc;
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
	json_t *heads = tx ? heads_of(tx) : NULL;
	int64_t docs = tx ? store_doc_count(tx) : -1;
	if (tx)
		store_rollback(tx);
	store_close(st);
	if (rc != 0 || docs < 0 || !heads) {
		json_decref(heads);
		return -1;
	}
	json_object_set_new(manifest, "audit_head", json_pack("{s:I, s:s}", "seq", (json_int_t)seq,
		"hash", hash));
	json_object_set_new(manifest, "audit_heads", heads);
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
	json_t *heads = NULL;
	if (!env || !tx || store_export_snapshot(tx, snap, sizeof snap) != 0 ||
	    store_audit_head(tx, &seq, hash, NULL) != STORE_OK || !(heads = heads_of(tx)) ||
	    (docs = store_doc_count(tx)) < 0) {
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
	json_object_set_new(manifest, "audit_heads", heads);
	heads = NULL;
	json_object_set_new(manifest, "documents", json_integer((json_int_t)docs));
	rc = 0;
out:
	if (tx)
		store_rollback(tx);
	store_close(st);
	json_decref(heads);
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

/* Removes the plain scratch directory of a backup and what is in it. */
static void scratch_remove(const char *dir)
{
	static const char *const names[] = { "faxvault.db", "faxvault.db-wal", "faxvault.db-shm",
		"index", PG_DUMP_FILE };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

int backup_cmd_backup(const config_t *cfg, int argc, char **argv)
{
	struct args a;
	if (parse_args("backup", argc, argv, &a) != 0)
		return 2;
	if (!a.to || a.from || a.data_dir || a.master_key || (a.without_key && a.pass_file)) {
		fputs("usage: faxvaultd [--data-dir DIR] backup --to DIR [--passphrase-file FILE | "
		      "--without-key] [--key-dir DIR]\n", stderr);
		return 2;
	}
	char pass[PASSPHRASE_MAX + 1] = "";
	if (!a.without_key && get_passphrase("backup", a.pass_file, pass) != 0)
		return 2;
	int rc = 1;
	char *db = db_path(cfg), *docs = docs_path(cfg), *cp = checkpoint_path(cfg);
	char *kp = master_key_path(cfg);
	char *kdir = a.key_dir ? xstrdup(a.key_dir) : backup_key_path(cfg);
	char *to_data = xasprintf("%s/data", a.to);
	char *scratch = xasprintf("%s/.backup-XXXXXX", cfg->data_dir), *snap = NULL;
	int have_scratch = 0, have_key = 0;
	json_t *m = json_object(), *files = json_array(), *index = json_array();
	uint8_t kf[KEYFILE_MAX], bkey[BACKUP_KEY_BYTES];
	char bid[BACKUP_ID_LEN] = "";
	ssize_t kl = -1;
	store_t *st = NULL;
	vault_key_t *mk = NULL;
	char err[512], fp[VAULT_FINGERPRINT_LEN] = "", when[40], until[40];
	struct stat sb;
	int pg = cfg_pg(cfg);
	if (!pg && stat(db, &sb) != 0) {
		fprintf(stderr, "faxvaultd backup: no database at %s\n", db);
		goto out;
	}
	/* The master key seals the backup's key (always) and goes into the
	 * backup sealed under the passphrase (unless --without-key). */
	vault_err_t ve = vault_master_load(kp, 0, &mk);
	if (ve == VAULT_OK) {
		vault_key_fingerprint(mk, fp);
		if (!a.without_key)
			kl = read_small(kp, kf, sizeof kf);
	}
	if (ve != VAULT_OK || (!a.without_key && kl <= 0)) {
		fprintf(stderr, "faxvaultd backup: cannot read the master key %s: %s\n", kp,
			ve != VAULT_OK ? vault_strerror(ve) : strerror(errno));
		goto out;
	}
	if (prepare_target(a.to) != 0 || ensure_dir(to_data) != 0) {
		fprintf(stderr, "faxvaultd backup: %s must be a new or empty directory: %s\n", a.to,
			strerror(errno));
		goto out;
	}
	int64_t now = time_now_ms(), expires = now + cfg->backup_retention_days * 86400000LL;
	/* Where the backup lies, for the sweep that removes it when it
	 * expires (if under backup.root). */
	char *where = realpath(a.to, NULL);
	int kc = backup_key_create(mk, kdir, now, (int)cfg->backup_retention_days, where, bid, bkey);
	free(where);
	if (kc != 0) {
		fprintf(stderr, "faxvaultd backup: cannot write the backup's key into %s: %s\n", kdir,
			strerror(errno));
		goto out;
	}
	have_key = 1;
	if (!mkdtemp(scratch)) {
		fprintf(stderr, "faxvaultd backup: cannot make a scratch directory in %s: %s\n",
			cfg->data_dir, strerror(errno));
		goto out;
	}
	have_scratch = 1;
	struct bk_write w = { .to = a.to, .bid = bid, .key = bkey, .files = files, .index = index,
		.next = 1 };
	/* The checkpoints before the snapshot: each names a head the snapshot
	 * holds (copied after, one could name events it lacks). */
	int c = bk_add(&w, cp, "audit-checkpoints.jsonl");
	if (c < 0)
		goto out;
	if (pg) {
		snap = xasprintf("%s/" PG_DUMP_FILE, scratch);
		if (pg_dump_snapshot(cfg, snap, m) != 0 || bk_add(&w, snap, PG_DUMP_FILE) != 0)
			goto out;
	} else {
		snap = xasprintf("%s/faxvault.db", scratch);
		st = store_open(db, err, sizeof err);
		if (!st || store_snapshot(st, snap, err, sizeof err) != 0) {
			fprintf(stderr, "faxvaultd backup: %s\n", err);
			goto out;
		}
		store_close(st);
		st = NULL;
		if (snapshot_facts(snap, m) != 0) {
			fprintf(stderr, "faxvaultd backup: the copy of the database does not open\n");
			goto out;
		}
		if (bk_add(&w, snap, "faxvault.db") != 0)
			goto out;
	}
	int blobs = bk_add_blobs(&w, docs);
	if (blobs < 0 || bk_write_index(&w, scratch) != 0)
		goto out;
	json_t *sealed = NULL;
	if (!a.without_key && !(sealed = seal_key(cfg, kf, (size_t)kl, pass))) {
		fputs("faxvaultd backup: cannot derive a key from the passphrase (out of memory?)\n",
			stderr);
		goto out;
	}
	json_object_set_new(m, "format", json_string(MANIFEST_FORMAT2));
	json_object_set_new(m, "version", json_string(FV_VERSION));
	json_object_set_new(m, "created_at", json_string(time_format_rfc3339(now, when, sizeof when)));
	json_object_set_new(m, "backup_key", json_pack("{s:s, s:s, s:I}", "id", bid, "expires_at",
		time_format_rfc3339(expires, until, sizeof until), "retention_days",
		(json_int_t)cfg->backup_retention_days));
	json_object_set_new(m, "master_key", sealed ? json_pack("{s:s, s:o}", "fingerprint", fp,
		"sealed", sealed) : json_pack("{s:s, s:n}", "fingerprint", fp, "sealed"));
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
	       "  encrypted under backup key %s, kept in %s; it expires on %s, when the "
	       "retention sweep destroys that key\n"
	       "  master key: %s%s\n",
		a.to, pg ? " (pg_dump)" : "", (long long)json_integer_value(json_object_get(head, "seq")),
		json_string_value(json_object_get(head, "hash")), blobs, blobs == 1 ? "" : "s",
		c == 0 ? "audit checkpoints" : "no audit checkpoint file", bid, kdir, until,
		sealed ? "sealed under the passphrase, fingerprint " : "NOT included (keep ",
		sealed ? fp : "the master key file safely: the copy is unreadable without it)");
	rc = 0;
out:
	if (rc != 0 && have_key) {
		char *kfile = xasprintf("%s/%s.key", kdir, bid);
		unlink(kfile);
		free(kfile);
	}
	if (have_scratch)
		scratch_remove(scratch);
	sodium_memzero(pass, sizeof pass);
	sodium_memzero(kf, sizeof kf);
	sodium_memzero(bkey, sizeof bkey);
	vault_key_free(mk);
	store_close(st);
	json_decref(m);
	json_decref(files);
	json_decref(index);
	free(db);
	free(docs);
	free(cp);
	free(kp);
	free(kdir);
	free(to_data);
	free(scratch);
	free(snap);
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

/* Whether stored is a name a format 2 manifest may list: index or
 * data/NNNNNN. */
static int stored_ok(const char *s)
{
	if (strcmp(s, "index") == 0)
		return 1;
	if (strncmp(s, "data/", 5) != 0 || strlen(s) != 11)
		return 0;
	for (int i = 5; i < 11; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int is_v2(const json_t *m)
{
	const char *fmt = json_string_value(json_object_get(m, "format"));
	return fmt && strcmp(fmt, MANIFEST_FORMAT2) == 0;
}

/* Whether rel may be named by the manifest m. */
static int listed_ok(const json_t *m, const char *rel)
{
	if (is_v2(m))
		return stored_ok(rel);
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
	if (!m || !fmt || (strcmp(fmt, MANIFEST_FORMAT) != 0 && strcmp(fmt, MANIFEST_FORMAT2) != 0) ||
	    !json_is_array(files)) {
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
		if (!rel || !want || !listed_ok(m, rel)) {
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
	if (!json_is_object(mk) || !json_is_object(json_object_get(mk, "sealed")))
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
/* Loads the master key file at path into *k: VAULT_OK with *same saying
 * whether it is the key the manifest m names (by fingerprint), or an
 * error. */
static vault_err_t load_named_master(const json_t *m, const char *path, vault_key_t **k,
	int *same)
{
	char fp[VAULT_FINGERPRINT_LEN];
	const char *want = json_string_value(json_object_get(json_object_get(m, "master_key"),
		"fingerprint"));
	vault_err_t ve = vault_master_load(path, 0, k);
	if (ve == VAULT_OK)
		vault_key_fingerprint(*k, fp);
	*same = ve == VAULT_OK && want && strcmp(fp, want) == 0;
	return ve;
}

static int place_key(const char *cmd, const json_t *m, const uint8_t *kf, size_t kl,
	const char *path)
{
	if (write_new(path, kf, kl) != 0) {
		fprintf(stderr, "faxvaultd %s: cannot write %s: %s\n", cmd, path, strerror(errno));
		return -1;
	}
	vault_key_t *k = NULL;
	int same;
	load_named_master(m, path, &k, &same);
	vault_key_free(k);
	if (!same) {
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
	if (rc == 0 && heads_check("restore", st, m) != 0)
		rc = -2;
	store_close(st);
	if (rc == -2)
		return -1;
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

/* ---- format 2: the backup's key and its files ---- */

/* The master key to open a format 2 backup's key with: the one the backup
 * holds (placed at path, kl > 0) or the file given with --master-key. NULL
 * with the reason printed. */
static vault_key_t *v2_master(const char *cmd, const json_t *m, const uint8_t *kf, ssize_t kl,
	const char *path, const char *given)
{
	vault_key_t *k = NULL;
	if (kl > 0) {
		if (place_key(cmd, m, kf, (size_t)kl, path) != 0)
			return NULL;
		if (vault_master_load(path, 0, &k) != VAULT_OK)
			fprintf(stderr, "faxvaultd %s: the restored master key does not load\n", cmd);
		return k;
	}
	if (!given) {
		fprintf(stderr, "faxvaultd %s: this backup holds no master key: give --master-key FILE, "
			"the master key file of the service that took it\n", cmd);
		return NULL;
	}
	int same;
	vault_err_t ve = load_named_master(m, given, &k, &same);
	if (!same) {
		fprintf(stderr, "faxvaultd %s: %s is not the master key this backup was taken with%s%s\n",
			cmd, given, ve != VAULT_OK ? ": " : "", ve != VAULT_OK ? vault_strerror(ve) : "");
		vault_key_free(k);
		return NULL;
	}
	return k;
}

/* The key of the format 2 backup m from the key directory kdir into key: 0,
 * or -1 with the reason printed (destroyed by expiry, not there, altered). */
static int v2_backup_key(const char *cmd, const json_t *m, const vault_key_t *master,
	const char *kdir, uint8_t key[BACKUP_KEY_BYTES])
{
	const json_t *bk = json_object_get(m, "backup_key");
	const char *bid = json_string_value(json_object_get(bk, "id"));
	const char *exp = json_string_value(json_object_get(bk, "expires_at"));
	int64_t expires;
	if (!bid || !exp || time_parse_rfc3339(exp, &expires) != 0) {
		fprintf(stderr, "faxvaultd %s: the manifest names no backup key\n", cmd);
		return -1;
	}
	switch (backup_key_open(master, kdir, bid, expires, time_now_ms(), key)) {
	case BACKUP_KEY_OK:
		return 0;
	case BACKUP_KEY_EXPIRED:
		fprintf(stderr, "faxvaultd %s: this backup expired on %s (backup.retention_days): its key "
			"%s is destroyed, and nothing in it can be read any more\n", cmd, exp, bid);
		break;
	case BACKUP_KEY_MISSING:
		fprintf(stderr, "faxvaultd %s: the key of this backup (%s) is not in %s: give --key-dir, "
			"the backup key directory (backup.key_dir) of the service that took it\n", cmd, bid,
			kdir);
		break;
	default:
		fprintf(stderr, "faxvaultd %s: the key of this backup (%s) in %s does not open: another "
			"master key, or the file was altered\n", cmd, bid, kdir);
	}
	return -1;
}

/* Decrypts the files of the format 2 backup at from (manifest m, key key)
 * into a data directory's places: the database to db (a PostgreSQL dump to
 * dump, for pg_restore), the checkpoints to cp, blobs into docs/; tmp is a
 * scratch name for the index. 0, or -1 with
 * the reason printed. */
static int v2_extract(const char *cmd, const json_t *m, const char *from, const uint8_t *key,
	const char *db, const char *cp, const char *docs, const char *tmp, const char *dump)
{
	const char *bid = json_string_value(json_object_get(json_object_get(m, "backup_key"), "id"));
	char *src = xasprintf("%s/index", from);
	json_error_t je;
	json_t *idx = NULL;
	if (dec_file(src, tmp, key, bid, "index", NULL) == 0)
		idx = json_load_file(tmp, 0, &je);
	unlink(tmp);
	free(src);
	json_t *files = json_object_get(idx, "files");
	if (!json_is_array(files)) {
		fprintf(stderr, "faxvaultd %s: the backup's index does not open under its key\n", cmd);
		json_decref(idx);
		return -1;
	}
	if (ensure_dir(docs) != 0) {
		fprintf(stderr, "faxvaultd %s: cannot create %s: %s\n", cmd, docs, strerror(errno));
		json_decref(idx);
		return -1;
	}
	int rc = 0;
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f) {
		const char *rel = json_string_value(json_object_get(f, "path"));
		const char *stored = json_string_value(json_object_get(f, "stored"));
		if (!rel || !stored || !rel_ok(rel) || !stored_ok(stored) || strcmp(stored, "index") == 0) {
			fprintf(stderr, "faxvaultd %s: the index names a file it may not\n", cmd);
			rc = -1;
			break;
		}
		char *s = xasprintf("%s/%s", from, stored), *dst;
		if (strcmp(rel, "faxvault.db") == 0)
			dst = xstrdup(db);
		else if (strcmp(rel, PG_DUMP_FILE) == 0)
			dst = xstrdup(dump);
		else if (strcmp(rel, "audit-checkpoints.jsonl") == 0)
			dst = xstrdup(cp);
		else
			dst = xasprintf("%s/%s", docs, rel + 5);
		if (dec_file(s, dst, key, bid, stored, json_string_value(json_object_get(f, "sha256")))
		    != 0) {
			fprintf(stderr, "faxvaultd %s: %s (%s) does not decrypt to what was backed up\n",
				cmd, stored, rel);
			rc = -1;
		}
		free(s);
		free(dst);
		if (rc != 0)
			break;
	}
	json_decref(idx);
	return rc;
}

int backup_cmd_restore(config_t *cfg, int argc, char **argv)
{
	struct args a;
	if (parse_args("restore", argc, argv, &a) != 0)
		return 2;
	if (!a.from || a.to || a.without_key) {
		fputs("usage: faxvaultd restore --from DIR [--data-dir DIR] [--passphrase-file FILE] "
		      "[--key-dir DIR] [--master-key FILE]\n", stderr);
		return 2;
	}
	/* The backup keys are the service's (taken before --data-dir names
	 * the new data directory). */
	char *kdir = a.key_dir ? xstrdup(a.key_dir) : backup_key_path(cfg);
	char err[256];
	if (a.data_dir && config_set(cfg, "data_dir", a.data_dir, err, sizeof err) != 0) {
		fprintf(stderr, "faxvaultd restore: %s\n", err);
		free(kdir);
		return 2;
	}
	char *db = db_path(cfg), *kp = master_key_path(cfg);
	vault_key_t *master = NULL;
	uint8_t bkey[BACKUP_KEY_BYTES] = { 0 };
	uint8_t kf[KEYFILE_MAX];
	ssize_t kl = -1;
	int rc = 1, v2 = 0, placed = 0;
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
	if ((kl = open_key("restore", m, a.pass_file, kf)) < 0)
		goto out;
	/* Format 2: the backup's key first (an expired backup is refused
	 * before anything else is looked at), the master key placed meanwhile
	 * and removed again if anything fails. */
	v2 = is_v2(m);
	if (v2) {
		if (ensure_dir(cfg->data_dir) != 0) {
			fprintf(stderr, "faxvaultd restore: cannot create %s: %s\n", cfg->data_dir,
				strerror(errno));
			goto out;
		}
		placed = kl > 0;
		if (!(master = v2_master("restore", m, kf, kl, kp, a.master_key)) ||
		    v2_backup_key("restore", m, master, kdir, bkey) != 0)
			goto fail;
	}
	if (pg) {
		int e = store_pg_empty(cfg->store_pg_dsn, err, sizeof err);
		if (e != 1) {
			fprintf(stderr, "faxvaultd restore: %s\n", e < 0 ? err : "the database of "
				"store.postgresql_dsn already holds tables; restore into a new, empty database");
			goto fail;
		}
	}
	if (v2) {
		char *docs = docs_path(cfg), *cp = checkpoint_path(cfg);
		char *tmp = xasprintf("%s/.restore-index", cfg->data_dir);
		char *dump = xasprintf("%s/.restore-" PG_DUMP_FILE, cfg->data_dir);
		int ok = v2_extract("restore", m, a.from, bkey, db, cp, docs, tmp, dump) == 0;
		if (ok && pg)
			ok = pg_restore_dump("restore", cfg->store_pg_dsn, NULL, dump) == 0 &&
				pg_head_check(cfg->store_pg_dsn, m) == 0;
		unlink(dump);
		free(docs);
		free(cp);
		free(tmp);
		free(dump);
		if (!ok)
			goto fail;
	} else {
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
	}
	/* A SQLite copy: its chains end where the manifest says (PostgreSQL's
	 * were checked after pg_restore). */
	if (!pg) {
		store_t *rst = store_open(db, err, sizeof err);
		int hrc = rst ? heads_check("restore", rst, m) : -1;
		store_close(rst);
		if (hrc != 0) {
			if (!rst)
				fprintf(stderr, "faxvaultd restore: the restored database does not open: %s\n",
					err);
			goto fail;
		}
	}
	json_t *head = json_object_get(m, "audit_head");
	printf("restored %s into %s (backup of %s, audit head %lld)\n%s"
	       "Check it with: faxvaultd --data-dir %s audit-verify\n",
		a.from, cfg->data_dir, json_string_value(json_object_get(m, "created_at")),
		(long long)json_integer_value(json_object_get(head, "seq")),
		kl > 0 ? "" : "The backup holds no master key: put the key file in place before "
			      "starting the service.\n", cfg->data_dir);
	rc = 0;
fail:
	if (rc != 0 && placed)
		unlink(kp); /* the target stays empty of keys */
out:
	sodium_memzero(kf, sizeof kf);
	sodium_memzero(bkey, sizeof bkey);
	vault_key_free(master);
	json_decref(m);
	free(db);
	free(kp);
	free(kdir);
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
		"faxvault.db-shm", "audit-checkpoints.jsonl", ".index" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	char *docs = xasprintf("%s/docs", dir);
	DIR *d = opendir(docs);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *p = xasprintf("%s/%s", docs, de->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(docs);
	free(docs);
	rmdir(dir);
}

/* Restores the dump at path into a scratch database of the configured
 * server (its name into scratch_db, set only once it exists, so that the
 * caller drops it) and opens it: 0, or -1 with the reason printed. */
static int pg_scratch_open(const config_t *cfg, const char *dump, char scratch_db[64],
	char **scratch_dsn, store_t **st)
{
	char name[64], err[512];
	snprintf(name, sizeof name, "faxvault_verify_%ld_%08x", (long)getpid(),
		(unsigned)randombytes_random());
	char *sql = xasprintf("CREATE DATABASE %s", name);
	int crc = store_pg_admin(cfg->store_pg_dsn, sql, err, sizeof err);
	free(sql);
	if (crc != 0) {
		fprintf(stderr, "faxvaultd backup-verify: cannot make a scratch database (the role "
			"needs CREATEDB): %s\n", err);
		return -1;
	}
	snprintf(scratch_db, 64, "%s", name);
	*scratch_dsn = store_pg_dsn_with_db(cfg->store_pg_dsn, name);
	int prc = pg_restore_dump("backup-verify", cfg->store_pg_dsn, name, dump);
	if (prc != 0 || !*scratch_dsn || !(*st = store_open_pg(*scratch_dsn, err, sizeof err))) {
		fprintf(stderr, "faxvaultd backup-verify: the database does not open\n");
		return -1;
	}
	return 0;
}

int backup_cmd_verify(const config_t *cfg, int argc, char **argv)
{
	struct args a;
	if (parse_args("backup-verify", argc, argv, &a) != 0)
		return 2;
	if (!a.from || a.to || a.data_dir || a.without_key) {
		fputs("usage: faxvaultd backup-verify --from DIR [--passphrase-file FILE] [--sample N] "
		      "[--key-dir DIR] [--master-key FILE]\n", stderr);
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
	 * would change the file the manifest vouches for. A format 2 backup is
	 * decrypted there whole. */
	const char *tmpd = getenv("TMPDIR");
	char *scratch = xasprintf("%s/faxvault-verify-XXXXXX", tmpd && *tmpd ? tmpd : "/tmp");
	char *src_db = xasprintf("%s/faxvault.db", a.from), *db = NULL, *kp = NULL, *cp = NULL;
	char *docs = NULL, *kdir = a.key_dir ? xstrdup(a.key_dir) : backup_key_path(cfg);
	char err[256], sha[65], scratch_db[64] = "";
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
	if (backup_is_pg(m) && !cfg_pg(cfg)) {
		fputs("faxvaultd backup-verify: the backup is of a PostgreSQL database: set "
		      "store.backend=postgresql and store.postgresql_dsn (a scratch database is "
		      "made on that server for the check, then dropped)\n", stderr);
		goto out;
	}
	if (is_v2(m)) {
		uint8_t bkey[BACKUP_KEY_BYTES];
		char *tmp = xasprintf("%s/.index", scratch);
		char *dump = xasprintf("%s/" PG_DUMP_FILE, scratch);
		kp = kl > 0 ? xasprintf("%s/master.key", scratch) : xstrdup(a.master_key ? a.master_key : "");
		docs = xasprintf("%s/docs", scratch);
		cp = xasprintf("%s/audit-checkpoints.jsonl", scratch);
		int ok = (master = v2_master("backup-verify", m, kf, kl, kp, a.master_key)) != NULL &&
			v2_backup_key("backup-verify", m, master, kdir, bkey) == 0 &&
			v2_extract("backup-verify", m, a.from, bkey, db, cp, docs, tmp, dump) == 0;
		sodium_memzero(bkey, sizeof bkey);
		free(tmp);
		if (ok)
			printf("backup key: %s, until %s\n", json_string_value(json_object_get(
				json_object_get(m, "backup_key"), "id")), json_string_value(json_object_get(
				json_object_get(m, "backup_key"), "expires_at")));
		if (ok && backup_is_pg(m))
			ok = pg_scratch_open(cfg, dump, scratch_db, &scratch_dsn, &st) == 0;
		else if (ok && !(st = store_open(db, err, sizeof err))) {
			fprintf(stderr, "faxvaultd backup-verify: the database does not open\n");
			ok = 0;
		}
		unlink(dump);
		free(dump);
		if (!ok)
			goto out;
	} else {
		kp = xasprintf("%s/master.key", scratch);
		docs = xasprintf("%s/docs", a.from);
		cp = xasprintf("%s/audit-checkpoints.jsonl", a.from);
		if (backup_is_pg(m)) {
			char *dump = xasprintf("%s/" PG_DUMP_FILE, a.from);
			int prc = pg_scratch_open(cfg, dump, scratch_db, &scratch_dsn, &st);
			free(dump);
			if (prc != 0)
				goto out;
		} else if (copy_file(src_db, db, sha, &size) != 0 ||
			   !(st = store_open(db, err, sizeof err))) {
			fprintf(stderr, "faxvaultd backup-verify: the database does not open\n");
			goto out;
		}
		if (kl == 0) {
			puts("master key: not in the backup: the audit chain's keyed events and the "
			     "documents cannot be checked");
		} else if (place_key("backup-verify", m, kf, (size_t)kl, kp) != 0 ||
			   vault_master_load(kp, 0, &master) != VAULT_OK) {
			goto out;
		}
	}
	/* The audit chains, where the manifest says they end, and against the
	 * checkpoints that came with them. */
	if (heads_check("backup-verify", st, m) != 0)
		goto out;
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
	free(kdir);
	return rc;
}
