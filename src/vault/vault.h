/* Documents at rest: every fax document and page is stored encrypted, each
 * under its own random key, so that destroying that key destroys the
 * document (crypto-shredding), in backups too.
 *
 * Key hierarchy (libsodium):
 *
 *   master key    32 bytes from a key file (mode 0600), vault_master_load()
 *    └ account key  random, stored wrapped by the master key  (per account)
 *       └ document key  random, stored wrapped by the account key (per doc)
 *          └ blob file  DIR/DOC_ID.fvb, crypto_secretstream_xchacha20poly1305
 *
 * A wrapped key is VAULT_WRAPPED_LEN bytes (XChaCha20-Poly1305 with the ids
 * as associated data): the caller stores it in its own table, as a BLOB.
 * An account key wrapped for account A does not unwrap as account B's; a
 * document key wrapped for (A, d1) does not unwrap as (A, d2) or (B, d1).
 *
 * Files: the writer streams into a temporary file in DIR, fsyncs it, renames
 * it to DIR/DOC_ID.fvb and fsyncs DIR, so a crash leaves either the old
 * state or the complete new file (plus, at worst, a temporary file that
 * vault_sweep_temp() removes). The reader authenticates every chunk and
 * tells a wrong key, an altered file, reordered chunks, a truncated file and
 * trailing data apart.
 *
 * Ownership: vault_key_t values are opaque, live in guarded, locked memory
 * (sodium_malloc) and are wiped when freed with vault_key_free(). Nothing
 * here logs key material or document content. Keys are read-only once made,
 * so one key may be used by several threads at once; a writer or a reader
 * belongs to one thread at a time.
 *
 * Ids (account and document) are 1..VAULT_ID_MAX bytes of [A-Za-z0-9_-]
 * (faxvault's "acc_…", "fax_…" ids), which also keeps file names safe. */
#ifndef FV_VAULT_H
#define FV_VAULT_H

#include <stddef.h>
#include <stdint.h>

#define VAULT_KEY_LEN 32
#define VAULT_ID_MAX 64
/* A wrapped key: version (1) + nonce (24) + sealed key (32) + tag (16). */
#define VAULT_WRAPPED_LEN 73
/* Master key file: magic "FVMASTER", version u16, 2 zero bytes, key (32),
 * check value (16): exactly this many bytes (version 1). Version 2, written
 * by a rotation, carries after the key the keys derived from the first key
 * that must outlive rotations (the audit chain's two, 32 bytes each; see
 * vault_key_derive), and its check value covers them. */
#define VAULT_MASTER_FILE_LEN 60
#define VAULT_MASTER_FILE_LEN_V2 124
/* Blob file header (version 1), then the chunks. */
#define VAULT_HEADER_LEN 168
/* Plaintext bytes per chunk written (readers accept 512 .. 1 MiB). */
#define VAULT_CHUNK 65536
#define VAULT_CHUNK_MIN 512
#define VAULT_CHUNK_MAX (1u << 20)
/* Largest document (1 TiB): far above any fax, keeps size arithmetic exact. */
#define VAULT_PLAIN_MAX (UINT64_C(1) << 40)
/* Suffix of blob files and prefix of the writer's temporary files. */
#define VAULT_BLOB_SUFFIX ".fvb"
#define VAULT_TEMP_PREFIX ".fvb-tmp-"
/* Hex fingerprint of a key, NUL included (vault_key_fingerprint). */
#define VAULT_FINGERPRINT_LEN 33

typedef enum vault_err {
	VAULT_OK = 0,
	VAULT_ERR_ARG,            /* NULL where not allowed, bad id, bad size */
	VAULT_ERR_IO,             /* a system call failed; errno is kept */
	VAULT_ERR_NOT_FOUND,      /* no such key file or blob */
	VAULT_ERR_CRYPTO,         /* libsodium could not start or allocate */
	VAULT_ERR_KEYFILE_MODE,   /* key file not a regular file, or group/others have access */
	VAULT_ERR_KEYFILE_FORMAT, /* key file of the wrong size, magic, version or check value */
	VAULT_ERR_WRAPPED_FORMAT, /* wrapped key of the wrong length or version */
	VAULT_ERR_UNWRAP,         /* wrapped key does not open: other key, other ids, or altered */
	VAULT_ERR_HEADER,         /* blob file header malformed (not a vault file) */
	VAULT_ERR_VERSION,        /* blob file of a version this code does not read */
	VAULT_ERR_BINDING,        /* blob file belongs to another document */
	VAULT_ERR_WRONG_KEY,      /* blob file was encrypted under another key */
	VAULT_ERR_TAMPERED,       /* header or a chunk fails authentication: altered */
	VAULT_ERR_REORDERED,      /* chunks swapped, moved or repeated */
	VAULT_ERR_TRUNCATED,      /* file ends before its final chunk */
	VAULT_ERR_TRAILING,       /* data after the final chunk */
	VAULT_ERR_TOO_LARGE,      /* document above the limit the caller gave */
	VAULT_ERR_STATE,          /* writer or reader used after a failure */
	VAULT_ERR_UNAVAILABLE,    /* the key holder process does not answer (keyd.h) */
} vault_err_t;

/* A short English sentence for e (static storage; never NULL). */
const char *vault_strerror(vault_err_t e);

/* ---- Keys ------------------------------------------------------------ */

typedef struct vault_key vault_key_t;

/* Wipes and frees a key (sodium_free). NULL is a no-op. */
void vault_key_free(vault_key_t *k);

/* First 16 bytes of BLAKE2b(key, "faxvault key fingerprint") in hex, into
 * out: safe to log (it does not reveal the key), tells keys apart. */
void vault_key_fingerprint(const vault_key_t *k, char out[VAULT_FINGERPRINT_LEN]);

/* Derives len (16..64) bytes from k for another module's key with crypto_kdf,
 * under that module's context (exactly 8 characters, never the vault's own
 * "fvvault1") and subkey id: keys that follow the master key without being
 * stored, such as the audit chain's (context "fvaudit1", ids 1 and 2, 32
 * bytes). Those two outlive a master key rotation: a rotated key file
 * carries them as the first key made them (vault_master_create_next), and
 * they are never derived from its own key. VAULT_ERR_ARG for a bad context or
 * length. */
vault_err_t vault_key_derive(const vault_key_t *k, const char *context, uint64_t id, uint8_t *out,
	size_t len);

/* Reads the master key file at path into *out (owned by the caller, free it
 * with vault_key_free()). When the file does not exist and create is
 * non-zero, makes a new random key and writes the file with mode 0600 (via
 * a temporary file, fsync and link(), so a concurrent loader never sees a
 * partial file and two creators agree on one key), then logs
 * `vault.master_created` with its fingerprint. An existing file that is not
 * a regular file or that group or others may read or write is refused
 * (VAULT_ERR_KEYFILE_MODE), and so is one of the wrong length or content
 * (VAULT_ERR_KEYFILE_FORMAT). A missing file without create gives
 * VAULT_ERR_NOT_FOUND. *out is NULL on any error. */
vault_err_t vault_master_load(const char *path, int create, vault_key_t **out);
/* Master key rotation: writes a new key file at path (which must not exist;
 * VAULT_ERR_IO with errno EEXIST otherwise) holding a new random key and the
 * keys old carries or derives that must outlive it (version 2, mode 0600,
 * temporary file, fsync, link() and a directory fsync as vault_master_load
 * does). Nothing of old's own key is in it. */
vault_err_t vault_master_create_next(const vault_key_t *old, const char *path);
/* Whether a and b are the same key (not only the same derivation root). */
int vault_master_same(const vault_key_t *a, const vault_key_t *b);
/* Takes an advisory lock (flock) on the key file at path: shared, held by
 * the key holder while it serves, or exclusive and not waiting, taken by a
 * rotation so that it never runs beside a serving daemon. The open
 * descriptor (close it to release), or -1 with errno (EWOULDBLOCK: another
 * process holds it). */
int vault_master_lock(const char *path, int exclusive);

/* A new random account key sealed by master for account_id, into wrapped
 * (VAULT_WRAPPED_LEN bytes, the caller's memory, to be stored). When key_out
 * is not NULL, *key_out receives the clear key as well (the caller frees
 * it). */
vault_err_t vault_account_key_new(const vault_key_t *master, const char *account_id,
	uint8_t wrapped[VAULT_WRAPPED_LEN], vault_key_t **key_out);

/* Opens a wrapped account key (len must be VAULT_WRAPPED_LEN) into *out
 * (the caller frees it). VAULT_ERR_UNWRAP when it was sealed under another
 * master key or for another account id, or altered. */
vault_err_t vault_account_key_unwrap(const vault_key_t *master, const char *account_id,
	const uint8_t *wrapped, size_t len, vault_key_t **out);

/* Master key rotation: opens a wrapped account key under old_master and
 * seals the same key under new_master (fresh nonce) into out. Documents
 * need no re-encryption. The caller replaces the stored blob, and retires
 * the old key file only once every account has been rewrapped. */
vault_err_t vault_account_key_rewrap(const vault_key_t *old_master, const vault_key_t *new_master,
	const char *account_id, const uint8_t *wrapped, size_t len, uint8_t out[VAULT_WRAPPED_LEN]);

/* The same one level down: a new random document key sealed by the account
 * key, bound to (account_id, doc_id). */
vault_err_t vault_doc_key_new(const vault_key_t *account_key, const char *account_id,
	const char *doc_id, uint8_t wrapped[VAULT_WRAPPED_LEN], vault_key_t **key_out);
vault_err_t vault_doc_key_unwrap(const vault_key_t *account_key, const char *account_id,
	const char *doc_id, const uint8_t *wrapped, size_t len, vault_key_t **out);

/* 1 when id is a valid account or document id, else 0. */
int vault_id_valid(const char *id);

/* ---- Blob files ------------------------------------------------------- */

/* The header of a blob file as parsed, before any key is involved. */
struct vault_header {
	uint16_t version;
	uint32_t chunk_size;           /* plaintext bytes of every full chunk */
	uint64_t plain_len;            /* plaintext bytes of the document */
	char doc_id[VAULT_ID_MAX + 1]; /* the document it belongs to */
	uint8_t key_id[16];            /* identifies the document key */
	uint8_t stream_header[24];     /* crypto_secretstream header */
	uint8_t mac[32];               /* BLAKE2b over bytes 0..135, keyed from the doc key */
};

/* Pure: parses the first VAULT_HEADER_LEN bytes of data into *out.
 * VAULT_OK; VAULT_ERR_TRUNCATED when len is short but what is there starts
 * like a vault file; VAULT_ERR_VERSION for another version; VAULT_ERR_HEADER
 * for anything else out of place (magic, header length, chunk size, length,
 * id, non-zero padding). Does not check the MAC (that needs the key). */
vault_err_t vault_header_parse(const uint8_t *data, size_t len, struct vault_header *out);

/* Exact size of a complete blob file holding plain_len bytes in chunks of
 * chunk_size (both within the limits above). */
uint64_t vault_blob_size(uint64_t plain_len, uint32_t chunk_size);

/* DIR/DOC_ID.fvb, owned by the caller (free()); NULL when doc_id is invalid. */
char *vault_blob_path(const char *dir, const char *doc_id);

typedef struct vault_writer vault_writer_t;

/* Starts writing document doc_id encrypted with doc_key into directory dir
 * (which must exist), on a temporary file DIR/.fvb-tmp-DOC_ID-XXXXXX.
 * *out is owned by the caller until vault_writer_close() or
 * vault_writer_abort(). doc_key is only read during this call (derived
 * keys are kept), so the caller may free it afterwards. */
vault_err_t vault_writer_open(const char *dir, const char *doc_id, const vault_key_t *doc_key,
	vault_writer_t **out);

/* Encrypts and writes len bytes. After a failure every later call returns
 * VAULT_ERR_STATE; close or abort the writer anyway. */
vault_err_t vault_writer_write(vault_writer_t *w, const void *data, size_t len);

/* Writes the final chunk and the header, fsyncs, renames the temporary file
 * to DIR/DOC_ID.fvb (replacing an earlier one) and fsyncs DIR. Frees w in
 * every case. On a failure up to the rename, the temporary file is removed
 * and no blob file appears (an earlier one under that name is left as it
 * was). If only the final fsync of DIR fails (VAULT_ERR_IO), the new file is
 * in place but its name might not survive a crash: treat it as a failure
 * and write again. */
vault_err_t vault_writer_close(vault_writer_t *w);

/* Removes the temporary file and frees w (NULL is a no-op). */
void vault_writer_abort(vault_writer_t *w);

typedef struct vault_reader vault_reader_t;

/* Opens DIR/DOC_ID.fvb for reading with doc_key (only read during the call).
 * Checks, in this order: header form, document binding, key, header MAC,
 * file size (so a truncated file is refused here, before any plaintext is
 * returned). *out is the caller's until vault_reader_close(). */
vault_err_t vault_reader_open(const char *dir, const char *doc_id, const vault_key_t *doc_key,
	vault_reader_t **out);

/* The same over an open file descriptor, read from its current offset; the
 * reader takes fd over (closes it, on failure too). */
vault_err_t vault_reader_open_fd(int fd, const char *doc_id, const vault_key_t *doc_key,
	vault_reader_t **out);

/* Plaintext length of the document (from the authenticated header). */
uint64_t vault_reader_size(const vault_reader_t *r);

/* Decrypts up to cap bytes into buf; *got is how many. *got == 0 with
 * VAULT_OK means the end, reached only after the final chunk was
 * authenticated and nothing follows it. Every byte returned belongs to an
 * authenticated chunk, but a stream may still fail further on (a file
 * changed under the reader): a caller streaming to a client must abort the
 * response on an error, not end it cleanly. */
vault_err_t vault_reader_read(vault_reader_t *r, void *buf, size_t cap, size_t *got);

/* Closes and frees r, wiping its buffers and state (NULL is a no-op). */
void vault_reader_close(vault_reader_t *r);

/* Whole-document helpers. vault_blob_put: writer open + write + close.
 * vault_blob_get: reads the document into *out (malloc'd, the caller frees
 * it; *len its length; a 0-byte document gives a non-NULL *out); refuses
 * documents above max bytes with VAULT_ERR_TOO_LARGE. */
vault_err_t vault_blob_put(const char *dir, const char *doc_id, const vault_key_t *doc_key,
	const void *data, size_t len);
vault_err_t vault_blob_get(const char *dir, const char *doc_id, const vault_key_t *doc_key,
	size_t max, uint8_t **out, size_t *len);

/* Unlinks DIR/DOC_ID.fvb and fsyncs DIR. VAULT_ERR_NOT_FOUND when absent
 * (callers deleting idempotently may take it as success). Deleting the file
 * alone proves nothing (copies, backups, disk blocks): what destroys the
 * document is the caller deleting its wrapped document key; do that first,
 * in the same transaction that marks the document deleted. */
vault_err_t vault_blob_remove(const char *dir, const char *doc_id);
/* vault_blob_remove without the fsync of DIR: for a blob whose wrapped key
 * a committed transaction has already deleted. A crash may then bring the
 * file back, unreadable without its key, until the orphan sweep removes it
 * (dom_docs_sweep_orphans); the fsync made nothing more secret, and cost
 * one flush of the directory a document. */
vault_err_t vault_blob_unlink(const char *dir, const char *doc_id);

/* Removes the temporary files a crash left in dir (names starting with
 * VAULT_TEMP_PREFIX) that were last written min_age_s seconds ago or more
 * (0: all of them, when no writer can run in dir; on a directory several
 * nodes share, another node's writer may be filling one). *removed (may be
 * NULL) gets the count. */
vault_err_t vault_sweep_temp(const char *dir, int min_age_s, int *removed);

/* ---- small secrets at rest ----
 * Secrets the service must use again (TOTP seeds, webhook signing secrets,
 * SIP trunk passwords) are stored sealed, never in clear: XChaCha20-Poly1305
 * under the key of their scope, with the scope, the purpose and the owner's
 * id as associated data, so that a sealed value copied to another row,
 * owner, use or account does not open.
 *
 *   an account's secrets   a subkey of the account key (crypto_kdf, subkey
 *                          VAULT_SUBKEY_SECRET): they go with the account key
 *   the provider's secrets a subkey of the master key (the same subkey id)
 *
 * Sealed text: VAULT_SECRET_PREFIX then base64url (no padding) of nonce ||
 * ciphertext || tag. A request carries only data (the scope as stored, the
 * purpose, the owner id, the text) and needs only the master key, so that a
 * key-holding process can serve it as a message. */
#define VAULT_SECRET_PREFIX "sealed1:"
#define VAULT_SECRET_MAX 1024  /* longest secret sealed, bytes */
#define VAULT_PURPOSE_MAX 32   /* "totp", "webhook", "trunk": [a-z_] */

/* Where a secret belongs. */
typedef struct vault_scope {
	const char *account_id;     /* the account; NULL: the provider */
	const uint8_t *wrapped_key; /* with account_id: its key as stored (vault_account_key_new) */
	size_t wrapped_len;         /* VAULT_WRAPPED_LEN */
} vault_scope_t;

/* Whether text is sealed (starts with VAULT_SECRET_PREFIX). */
int vault_secret_is_sealed(const char *text);
/* Seals plain (NUL-terminated, 1..VAULT_SECRET_MAX bytes) for owner_id (a
 * valid id, vault_id_valid) and purpose in scope into *out (NUL-terminated,
 * owned by the caller, free()). VAULT_ERR_ARG for a bad argument,
 * VAULT_ERR_UNWRAP when the scope's account key does not open. */
vault_err_t vault_secret_seal(const vault_key_t *master, const vault_scope_t *scope,
	const char *purpose, const char *owner_id, const char *plain, char **out);
/* Opens sealed into *out (owned by the caller: wipe it, vault_secret_free).
 * VAULT_ERR_UNWRAP when it does not open (other key, scope, purpose or
 * owner, or altered), VAULT_ERR_ARG when it is not sealed text. */
vault_err_t vault_secret_open(const vault_key_t *master, const vault_scope_t *scope,
	const char *purpose, const char *owner_id, const char *sealed, char **out);
/* Wipes and frees an opened secret (NULL is a no-op). */
void vault_secret_free(char *plain);
/* Master key rotation of a provider's secret (scope NULL: trunk passwords,
 * staff TOTP seeds), whose key is a subkey of the master key: opens sealed
 * under old_master and seals the same text for the same purpose and owner
 * under new_master (fresh nonce) into *out (owned by the caller, free();
 * NULL on error). The clear text lives only inside this call and is wiped.
 * An account's secrets need no rewrap: their key is a subkey of the account
 * key, which vault_account_key_rewrap() keeps. VAULT_ERR_UNWRAP when sealed
 * does not open under old_master for that purpose and owner. */
vault_err_t vault_secret_rewrap(const vault_key_t *old_master, const vault_key_t *new_master,
	const char *purpose, const char *owner_id, const char *sealed, char **out);

#endif
