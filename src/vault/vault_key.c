/* Keys of the vault: the master key file, and account and document keys
 * wrapped (sealed with XChaCha20-Poly1305) by the key one level up, with the
 * ids they belong to as associated data. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fdio.h"
#include "log.h"
#include "vault_int.h"
#include "xalloc.h"

/* The keys other modules derive from the master key (vault_key_derive) and
 * that must outlive a rotation: a rotated key file carries them, made by the
 * first key, instead of deriving them from its own. Only these: the audit
 * chain's HMAC key and checkpoint signing seed. */
static const struct {
	char context[9];
	uint64_t id;
} CARRIED[] = { { "fvaudit1", 1 }, { "fvaudit1", 2 } };
#define N_CARRIED (sizeof CARRIED / sizeof CARRIED[0])
_Static_assert(VAULT_MASTER_FILE_LEN_V2 == 12 + VAULT_KEY_LEN * (1 + N_CARRIED) + 16,
	"version 2 key file layout");

struct vault_key {
	uint8_t k[VAULT_KEY_LEN];
	uint8_t carried[N_CARRIED][VAULT_KEY_LEN];
	int has_carried; /* a rotated master key file's */
};

static const char MASTER_MAGIC[8] = { 'F', 'V', 'M', 'A', 'S', 'T', 'E', 'R' };
#define MASTER_VERSION 1
#define MASTER_VERSION_ROOT 2 /* with the carried keys */
#define WRAP_VERSION 1
#define WRAP_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define WRAP_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
_Static_assert(VAULT_WRAPPED_LEN == 1 + WRAP_NONCE + VAULT_KEY_LEN + WRAP_TAG, "wrapped layout");
_Static_assert(crypto_kdf_KEYBYTES == VAULT_KEY_LEN, "kdf key size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == VAULT_KEY_LEN, "aead key size");

const char *vault_strerror(vault_err_t e)
{
	switch (e) {
	case VAULT_OK: return "success";
	case VAULT_ERR_ARG: return "invalid argument";
	case VAULT_ERR_IO: return "input/output error";
	case VAULT_ERR_NOT_FOUND: return "no such key file or document";
	case VAULT_ERR_CRYPTO: return "cryptographic library unavailable";
	case VAULT_ERR_KEYFILE_MODE:
		return "key file is not a regular file or is accessible by group or others (want mode 0600)";
	case VAULT_ERR_KEYFILE_FORMAT: return "key file is not a faxvault master key file";
	case VAULT_ERR_WRAPPED_FORMAT: return "wrapped key has the wrong length or version";
	case VAULT_ERR_UNWRAP:
		return "wrapped key does not open: another key, another account or document, or altered";
	case VAULT_ERR_HEADER: return "document file header is malformed";
	case VAULT_ERR_VERSION: return "document file has an unsupported version";
	case VAULT_ERR_BINDING: return "document file belongs to another document";
	case VAULT_ERR_WRONG_KEY: return "document file was encrypted under another key";
	case VAULT_ERR_TAMPERED: return "document file fails authentication: it was altered";
	case VAULT_ERR_REORDERED: return "document file has chunks out of order";
	case VAULT_ERR_TRUNCATED: return "document file is truncated (final chunk missing)";
	case VAULT_ERR_TRAILING: return "document file has data after its final chunk";
	case VAULT_ERR_TOO_LARGE: return "document is larger than allowed";
	case VAULT_ERR_STATE: return "document writer or reader already failed";
	case VAULT_ERR_UNAVAILABLE: return "the key holder does not answer";
	}
	return "unknown vault error";
}

int vault_sodium_ready(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* Freed keys' regions kept for the next keys, wiped and writable: each
 * request to the key holder unwraps two keys (the account's, the
 * document's), and a region of its own costs an mmap, mprotects of its
 * guard pages, an mlock, then as many calls to give it back (a quarter of
 * the key holder's CPU in bench/fax-e2e). The regions stay guarded and
 * locked while kept. */
#define KEY_POOL_MAX 8
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static vault_key_t *pool[KEY_POOL_MAX];
static int pool_n;

vault_key_t *vault_key_alloc(void)
{
	if (vault_sodium_ready() != 0)
		return NULL;
	pthread_mutex_lock(&pool_mu);
	vault_key_t *k = pool_n > 0 ? pool[--pool_n] : NULL;
	pthread_mutex_unlock(&pool_mu);
	if (k)
		return k; /* wiped and writable when it was kept */
	/* Guard pages around it, mlock()ed and excluded from core dumps. */
	k = sodium_malloc(sizeof *k);
	if (k)
		sodium_memzero(k, sizeof *k);
	return k;
}

void vault_key_seal(vault_key_t *k)
{
	sodium_mprotect_readonly(k);
}

uint8_t *vault_key_raw(vault_key_t *k)
{
	return k->k;
}

const uint8_t *vault_key_bytes(const vault_key_t *k)
{
	return k->k;
}

void vault_key_free(vault_key_t *k)
{
	if (!k)
		return;
	/* Kept: made writable (a sealed key is read-only) and wiped first. */
	if (sodium_mprotect_readwrite(k) == 0) {
		sodium_memzero(k, sizeof *k);
		pthread_mutex_lock(&pool_mu);
		bool kept = pool_n < KEY_POOL_MAX;
		if (kept)
			pool[pool_n++] = k;
		pthread_mutex_unlock(&pool_mu);
		if (kept)
			return;
	}
	/* sodium_free makes the region writable, wipes it and unmaps it. */
	sodium_free(k);
}

void vault_subkey(const vault_key_t *k, uint64_t id, uint8_t *out, size_t len)
{
	crypto_kdf_derive_from_key(out, len, id, "fvvault1", k->k);
}

vault_err_t vault_key_derive(const vault_key_t *k, const char *context, uint64_t id, uint8_t *out,
	size_t len)
{
	/* The vault's own context stays the vault's: another module deriving
	 * under it would get the vault's subkeys. */
	if (!k || !context || !out || strlen(context) != crypto_kdf_CONTEXTBYTES ||
	    strcmp(context, "fvvault1") == 0 || len < crypto_kdf_BYTES_MIN || len > crypto_kdf_BYTES_MAX)
		return VAULT_ERR_ARG;
	for (size_t i = 0; k->has_carried && i < N_CARRIED; i++) {
		if (strcmp(context, CARRIED[i].context) == 0 && id == CARRIED[i].id) {
			if (len != VAULT_KEY_LEN)
				return VAULT_ERR_ARG;
			memcpy(out, k->carried[i], len);
			return VAULT_OK;
		}
	}
	return crypto_kdf_derive_from_key(out, len, id, context, k->k) == 0 ? VAULT_OK : VAULT_ERR_CRYPTO;
}

void vault_key_fingerprint(const vault_key_t *k, char out[VAULT_FINGERPRINT_LEN])
{
	uint8_t id[16];
	vault_subkey(k, VAULT_SUBKEY_ID, id, sizeof id);
	sodium_bin2hex(out, VAULT_FINGERPRINT_LEN, id, sizeof id);
}

int vault_id_valid(const char *id)
{
	if (!id)
		return 0;
	size_t n = strnlen(id, VAULT_ID_MAX + 1);
	if (n == 0 || n > VAULT_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* ---- Master key file ---------------------------------------------------- */

/* The check value of a key file: a hash keyed with the key, of a fixed
 * text (version 1), and of the carried keys that follow the key (version
 * 2). */
static void master_check(const uint8_t *key, int version, uint8_t out[16])
{
	static const char msg1[] = "faxvault master key check v1";
	static const char msg2[] = "faxvault master key check v2";
	if (version == MASTER_VERSION) {
		crypto_generichash(out, 16, (const uint8_t *)msg1, sizeof msg1 - 1, key, VAULT_KEY_LEN);
		return;
	}
	crypto_generichash_state h;
	crypto_generichash_init(&h, key, VAULT_KEY_LEN, 16);
	crypto_generichash_update(&h, (const uint8_t *)msg2, sizeof msg2 - 1);
	crypto_generichash_update(&h, key + VAULT_KEY_LEN, VAULT_KEY_LEN * N_CARRIED);
	crypto_generichash_final(&h, out, 16);
	sodium_memzero(&h, sizeof h);
}

/* fsync of the directory holding path, so that a new name is durable. */
static int fsync_parent(const char *path)
{
	char *d = xstrdup(path);
	char *slash = strrchr(d, '/');
	const char *dir = ".";
	if (slash == d)
		dir = "/";
	else if (slash) {
		*slash = '\0';
		dir = d;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = -1;
	if (fd >= 0) {
		rc = fsync(fd);
		int e = errno;
		close(fd);
		errno = e;
	}
	free(d);
	return rc;
}

static vault_err_t master_read(int fd, vault_key_t **out)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return VAULT_ERR_IO;
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return VAULT_ERR_KEYFILE_MODE;
	uint8_t buf[VAULT_MASTER_FILE_LEN_V2 + 1];
	size_t got = 0;
	while (got < sizeof buf) {
		ssize_t r = read(fd, buf + got, sizeof buf - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			sodium_memzero(buf, sizeof buf);
			return VAULT_ERR_IO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	vault_err_t rc = VAULT_ERR_KEYFILE_FORMAT;
	uint8_t check[16];
	int version = got >= 12 && buf[8] == 0 && buf[10] == 0 && buf[11] == 0 ? buf[9] : 0;
	size_t want = version == MASTER_VERSION ? VAULT_MASTER_FILE_LEN
		: version == MASTER_VERSION_ROOT ? VAULT_MASTER_FILE_LEN_V2 : 0;
	if (want && got == want && memcmp(buf, MASTER_MAGIC, 8) == 0) {
		master_check(buf + 12, version, check);
		if (sodium_memcmp(check, buf + want - 16, 16) == 0) {
			vault_key_t *k = vault_key_alloc();
			if (!k) {
				rc = VAULT_ERR_CRYPTO;
			} else {
				memcpy(k->k, buf + 12, VAULT_KEY_LEN);
				k->has_carried = version == MASTER_VERSION_ROOT;
				if (k->has_carried)
					memcpy(k->carried, buf + 12 + VAULT_KEY_LEN, sizeof k->carried);
				vault_key_seal(k);
				*out = k;
				rc = VAULT_OK;
			}
		}
	}
	sodium_memzero(buf, sizeof buf);
	sodium_memzero(check, sizeof check);
	return rc;
}

/* Writes a new key file at path: a random key, with the keys carried from
 * the key from (version 2), or alone (version 1, from NULL). VAULT_OK with
 * *raced = 1 when another process created it first (then nothing was
 * written: load theirs). */
static vault_err_t master_create(const char *path, const vault_key_t *from, int *raced)
{
	*raced = 0;
	char *tmp = xasprintf("%s.tmp-XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		free(tmp);
		return VAULT_ERR_IO;
	}
	uint8_t buf[VAULT_MASTER_FILE_LEN_V2];
	int version = from ? MASTER_VERSION_ROOT : MASTER_VERSION;
	size_t len = from ? VAULT_MASTER_FILE_LEN_V2 : VAULT_MASTER_FILE_LEN;
	memcpy(buf, MASTER_MAGIC, 8);
	buf[8] = 0;
	buf[9] = (uint8_t)version;
	buf[10] = buf[11] = 0;
	randombytes_buf(buf + 12, VAULT_KEY_LEN);
	vault_err_t rc = VAULT_OK;
	for (size_t i = 0; from && i < N_CARRIED && rc == VAULT_OK; i++)
		rc = vault_key_derive(from, CARRIED[i].context, CARRIED[i].id,
			buf + 12 + VAULT_KEY_LEN * (1 + i), VAULT_KEY_LEN);
	master_check(buf + 12, version, buf + len - 16);
	if (rc == VAULT_OK && (fchmod(fd, 0600) != 0 || fd_write_all(fd, buf, len) != 0 ||
		fsync(fd) != 0))
		rc = VAULT_ERR_IO;
	sodium_memzero(buf, sizeof buf);
	int e = errno;
	if (close(fd) != 0 && rc == VAULT_OK) {
		e = errno;
		rc = VAULT_ERR_IO;
	}
	if (rc == VAULT_OK && link(tmp, path) != 0) {
		e = errno;
		if (errno == EEXIST)
			*raced = 1;
		else
			rc = VAULT_ERR_IO;
	}
	unlink(tmp);
	free(tmp);
	if (rc == VAULT_OK && !*raced && fsync_parent(path) != 0) {
		e = errno;
		rc = VAULT_ERR_IO;
	}
	errno = e;
	return rc;
}

vault_err_t vault_master_load(const char *path, int create, vault_key_t **out)
{
	if (!out)
		return VAULT_ERR_ARG;
	*out = NULL;
	if (!path || !*path)
		return VAULT_ERR_ARG;
	if (vault_sodium_ready() != 0)
		return VAULT_ERR_CRYPTO;
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0) {
			vault_err_t rc = master_read(fd, out);
			int e = errno;
			close(fd);
			errno = e;
			return rc;
		}
		if (errno != ENOENT)
			return VAULT_ERR_IO;
		if (!create)
			return VAULT_ERR_NOT_FOUND;
		int raced;
		vault_err_t rc = master_create(path, NULL, &raced);
		if (rc != VAULT_OK)
			return rc;
		if (raced)
			continue; /* another process made it: load theirs */
		int fd2 = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd2 < 0)
			return VAULT_ERR_IO;
		rc = master_read(fd2, out);
		close(fd2);
		if (rc == VAULT_OK) {
			char fp[VAULT_FINGERPRINT_LEN], qpath[300];
			vault_key_fingerprint(*out, fp);
			log_event(LOG_INFO, "vault.master_created", "path=%s fingerprint=%s",
				log_quote(path, qpath, sizeof qpath), fp);
		}
		return rc;
	}
	return VAULT_ERR_IO;
}

/* ---- Wrapped keys -------------------------------------------------------- */

/* Associated data: version, a label naming the level, then the ids, each
 * NUL-terminated so that ("ab","c") and ("a","bc") differ. */
static size_t wrap_ad(uint8_t *ad, const char *label, const char *id1, const char *id2)
{
	size_t n = 0;
	ad[n++] = WRAP_VERSION;
	size_t l = strlen(label) + 1;
	memcpy(ad + n, label, l);
	n += l;
	l = strlen(id1) + 1;
	memcpy(ad + n, id1, l);
	n += l;
	if (id2) {
		l = strlen(id2) + 1;
		memcpy(ad + n, id2, l);
		n += l;
	}
	return n;
}

#define AD_MAX (1 + 32 + 2 * (VAULT_ID_MAX + 1))

static vault_err_t wrap_new(const vault_key_t *kek, const uint8_t *ad, size_t adlen,
	uint8_t wrapped[VAULT_WRAPPED_LEN], vault_key_t **key_out)
{
	vault_key_t *k = vault_key_alloc();
	if (!k)
		return VAULT_ERR_CRYPTO;
	crypto_aead_xchacha20poly1305_ietf_keygen(k->k);
	wrapped[0] = WRAP_VERSION;
	randombytes_buf(wrapped + 1, WRAP_NONCE);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped + 1 + WRAP_NONCE, &clen, k->k,
		VAULT_KEY_LEN, ad, adlen, NULL, wrapped + 1, kek->k);
	vault_key_seal(k);
	if (key_out)
		*key_out = k;
	else
		vault_key_free(k);
	return VAULT_OK;
}

static vault_err_t unwrap(const vault_key_t *kek, const uint8_t *ad, size_t adlen,
	const uint8_t *wrapped, size_t len, vault_key_t **out)
{
	if (len != VAULT_WRAPPED_LEN || wrapped[0] != WRAP_VERSION)
		return VAULT_ERR_WRAPPED_FORMAT;
	vault_key_t *k = vault_key_alloc();
	if (!k)
		return VAULT_ERR_CRYPTO;
	unsigned long long mlen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(k->k, &mlen, NULL, wrapped + 1 + WRAP_NONCE,
		    VAULT_KEY_LEN + WRAP_TAG, ad, adlen, wrapped + 1, kek->k) != 0 ||
		mlen != VAULT_KEY_LEN) {
		vault_key_free(k);
		return VAULT_ERR_UNWRAP;
	}
	vault_key_seal(k);
	*out = k;
	return VAULT_OK;
}

vault_err_t vault_account_key_new(const vault_key_t *master, const char *account_id,
	uint8_t wrapped[VAULT_WRAPPED_LEN], vault_key_t **key_out)
{
	if (key_out)
		*key_out = NULL;
	if (!master || !wrapped || !vault_id_valid(account_id))
		return VAULT_ERR_ARG;
	uint8_t ad[AD_MAX];
	size_t adlen = wrap_ad(ad, "faxvault account key", account_id, NULL);
	return wrap_new(master, ad, adlen, wrapped, key_out);
}

vault_err_t vault_account_key_unwrap(const vault_key_t *master, const char *account_id,
	const uint8_t *wrapped, size_t len, vault_key_t **out)
{
	if (!out)
		return VAULT_ERR_ARG;
	*out = NULL;
	if (!master || !wrapped || !vault_id_valid(account_id))
		return VAULT_ERR_ARG;
	uint8_t ad[AD_MAX];
	size_t adlen = wrap_ad(ad, "faxvault account key", account_id, NULL);
	return unwrap(master, ad, adlen, wrapped, len, out);
}

vault_err_t vault_account_key_rewrap(const vault_key_t *old_master, const vault_key_t *new_master,
	const char *account_id, const uint8_t *wrapped, size_t len, uint8_t out[VAULT_WRAPPED_LEN])
{
	if (!old_master || !new_master || !wrapped || !out || !vault_id_valid(account_id))
		return VAULT_ERR_ARG;
	uint8_t ad[AD_MAX];
	size_t adlen = wrap_ad(ad, "faxvault account key", account_id, NULL);
	vault_key_t *k = NULL;
	vault_err_t rc = unwrap(old_master, ad, adlen, wrapped, len, &k);
	if (rc != VAULT_OK)
		return rc;
	out[0] = WRAP_VERSION;
	randombytes_buf(out + 1, WRAP_NONCE);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + WRAP_NONCE, &clen, k->k, VAULT_KEY_LEN,
		ad, adlen, NULL, out + 1, new_master->k);
	vault_key_free(k);
	return VAULT_OK;
}

vault_err_t vault_doc_key_new(const vault_key_t *account_key, const char *account_id,
	const char *doc_id, uint8_t wrapped[VAULT_WRAPPED_LEN], vault_key_t **key_out)
{
	if (key_out)
		*key_out = NULL;
	if (!account_key || !wrapped || !vault_id_valid(account_id) || !vault_id_valid(doc_id))
		return VAULT_ERR_ARG;
	uint8_t ad[AD_MAX];
	size_t adlen = wrap_ad(ad, "faxvault document key", account_id, doc_id);
	return wrap_new(account_key, ad, adlen, wrapped, key_out);
}

vault_err_t vault_doc_key_unwrap(const vault_key_t *account_key, const char *account_id,
	const char *doc_id, const uint8_t *wrapped, size_t len, vault_key_t **out)
{
	if (!out)
		return VAULT_ERR_ARG;
	*out = NULL;
	if (!account_key || !wrapped || !vault_id_valid(account_id) || !vault_id_valid(doc_id))
		return VAULT_ERR_ARG;
	uint8_t ad[AD_MAX];
	size_t adlen = wrap_ad(ad, "faxvault document key", account_id, doc_id);
	return unwrap(account_key, ad, adlen, wrapped, len, out);
}

vault_err_t vault_master_create_next(const vault_key_t *old, const char *path)
{
	if (!old || !path || !*path)
		return VAULT_ERR_ARG;
	int raced;
	vault_err_t rc = master_create(path, old, &raced);
	if (rc == VAULT_OK && raced) {
		errno = EEXIST;
		return VAULT_ERR_IO;
	}
	return rc;
}

int vault_master_same(const vault_key_t *a, const vault_key_t *b)
{
	return a && b && sodium_memcmp(a->k, b->k, VAULT_KEY_LEN) == 0;
}

int vault_master_lock(const char *path, int exclusive)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (flock(fd, exclusive ? LOCK_EX | LOCK_NB : LOCK_SH) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
