/* Encrypted document files: the versioned header (parsed by a pure
 * function), the streaming writer (temporary file, fsync, rename, directory
 * fsync) and the authenticating reader, over libsodium's
 * crypto_secretstream_xchacha20poly1305.
 *
 * File layout, version 1 (integers big-endian):
 *
 *   0   magic "FVVAULT\0"          8
 *   8   version = 1                u16
 *   10  header length = 168        u16
 *   12  chunk size                 u32   plaintext bytes per full chunk
 *   16  plaintext length           u64
 *   24  document id length         u8
 *   25  zero                       7
 *   32  document id, zero-padded   64
 *   96  key id                     16    crypto_kdf subkey 3 of the doc key
 *   112 secretstream header        24
 *   136 MAC of bytes 0..135        32    BLAKE2b keyed with subkey 2
 *   168 records: chunk index (u32, also the chunk's associated data), then
 *       the secretstream ciphertext of the chunk (plaintext + 17 bytes).
 *       Records 0..n-2 hold chunk-size bytes with TAG_MESSAGE; the last one
 *       holds plaintext length mod chunk size bytes (possibly 0) with
 *       TAG_FINAL. n = plaintext length / chunk size + 1.
 *
 * The stream is keyed with subkey 1 of the document key. The plaintext
 * length is written into the header when the writer closes (the header is
 * rewritten in place before the rename), so the exact file size is known
 * and authenticated before the first chunk is read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "fdio.h"
#include "vault_int.h"
#include "xalloc.h"

static const uint8_t MAGIC[8] = { 'F', 'V', 'V', 'A', 'U', 'L', 'T', 0 };
#define VERSION 1
#define OFF_VERSION 8
#define OFF_HLEN 10
#define OFF_CHUNK 12
#define OFF_PLEN 16
#define OFF_IDLEN 24
#define OFF_ID 32
#define OFF_KEYID 96
#define OFF_SSHDR 112
#define OFF_MAC 136
#define IDX_LEN 4
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define REC_OVERHEAD (IDX_LEN + ABYTES)

_Static_assert(OFF_MAC + 32 == VAULT_HEADER_LEN, "header layout");
_Static_assert(crypto_secretstream_xchacha20poly1305_HEADERBYTES == 24, "secretstream header");
_Static_assert(crypto_secretstream_xchacha20poly1305_KEYBYTES == VAULT_KEY_LEN, "stream key");

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* ---- Header --------------------------------------------------------------- */

vault_err_t vault_header_parse(const uint8_t *data, size_t len, struct vault_header *out)
{
	if (!out)
		return VAULT_ERR_ARG;
	memset(out, 0, sizeof *out);
	if (!data && len > 0)
		return VAULT_ERR_ARG;
	if (len < VAULT_HEADER_LEN) {
		size_t n = len < sizeof MAGIC ? len : sizeof MAGIC;
		return (len > 0 && memcmp(data, MAGIC, n) == 0) ? VAULT_ERR_TRUNCATED : VAULT_ERR_HEADER;
	}
	if (memcmp(data, MAGIC, sizeof MAGIC) != 0)
		return VAULT_ERR_HEADER;
	uint16_t version = get16(data + OFF_VERSION);
	if (version != VERSION)
		return version == 0 ? VAULT_ERR_HEADER : VAULT_ERR_VERSION;
	if (get16(data + OFF_HLEN) != VAULT_HEADER_LEN)
		return VAULT_ERR_HEADER;
	uint32_t chunk = get32(data + OFF_CHUNK);
	if (chunk < VAULT_CHUNK_MIN || chunk > VAULT_CHUNK_MAX)
		return VAULT_ERR_HEADER;
	uint64_t plen = get64(data + OFF_PLEN);
	if (plen > VAULT_PLAIN_MAX)
		return VAULT_ERR_HEADER;
	size_t idlen = data[OFF_IDLEN];
	if (idlen == 0 || idlen > VAULT_ID_MAX)
		return VAULT_ERR_HEADER;
	for (size_t i = OFF_IDLEN + 1; i < OFF_ID; i++)
		if (data[i] != 0)
			return VAULT_ERR_HEADER;
	for (size_t i = idlen; i < VAULT_ID_MAX; i++)
		if (data[OFF_ID + i] != 0)
			return VAULT_ERR_HEADER;
	char id[VAULT_ID_MAX + 1];
	memcpy(id, data + OFF_ID, idlen);
	id[idlen] = '\0';
	if (strlen(id) != idlen || !vault_id_valid(id))
		return VAULT_ERR_HEADER;
	out->version = version;
	out->chunk_size = chunk;
	out->plain_len = plen;
	memcpy(out->doc_id, id, idlen + 1);
	memcpy(out->key_id, data + OFF_KEYID, sizeof out->key_id);
	memcpy(out->stream_header, data + OFF_SSHDR, sizeof out->stream_header);
	memcpy(out->mac, data + OFF_MAC, sizeof out->mac);
	return VAULT_OK;
}

uint64_t vault_blob_size(uint64_t plain_len, uint32_t chunk_size)
{
	if (chunk_size == 0)
		return 0;
	uint64_t records = plain_len / chunk_size + 1;
	return VAULT_HEADER_LEN + plain_len + records * REC_OVERHEAD;
}

static void header_mac(const uint8_t mac_key[32], const uint8_t *hdr, uint8_t out[32])
{
	crypto_generichash(out, 32, hdr, OFF_MAC, mac_key, 32);
}

char *vault_blob_path(const char *dir, const char *doc_id)
{
	if (!dir || !vault_id_valid(doc_id))
		return NULL;
	return xasprintf("%s/%s%s", dir, doc_id, VAULT_BLOB_SUFFIX);
}

/* ---- I/O helpers ------------------------------------------------------------ */

/* Reads up to n bytes, stopping only at end of file; -1 on error. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* ---- Writer ----------------------------------------------------------------- */

struct vault_writer {
	int fd;
	vault_err_t failed;  /* VAULT_OK while healthy */
	char *dir, *tmp_path, *final_path;
	char doc_id[VAULT_ID_MAX + 1];
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t mac_key[32];
	uint8_t key_id[16];
	uint8_t ss_header[24];
	uint64_t plain_len;
	uint32_t index;      /* next chunk index */
	size_t fill;         /* plaintext bytes waiting in in[] */
	uint8_t in[VAULT_CHUNK];
	uint8_t out[REC_OVERHEAD + VAULT_CHUNK];
};

static void writer_free(vault_writer_t *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->dir);
	free(w->tmp_path);
	free(w->final_path);
	/* The keys and the stream's state, and the plaintext not pushed yet
	 * (writer_push wipes what it pushed); out[] holds only ciphertext. Not
	 * the whole 128 KiB of the two buffers at every document. */
	sodium_memzero(w->in, w->fill);
	sodium_memzero(w, offsetof(struct vault_writer, in));
	free(w);
}

/* Removes the temporary file and frees w; errno is kept. */
static void writer_discard(vault_writer_t *w)
{
	int e = errno;
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
	if (w->tmp_path)
		unlink(w->tmp_path);
	writer_free(w);
	errno = e;
}

vault_err_t vault_writer_open(const char *dir, const char *doc_id, const vault_key_t *doc_key,
	vault_writer_t **out)
{
	if (!out)
		return VAULT_ERR_ARG;
	*out = NULL;
	if (!dir || !*dir || !doc_key || !vault_id_valid(doc_id))
		return VAULT_ERR_ARG;
	if (vault_sodium_ready() != 0)
		return VAULT_ERR_CRYPTO;
	vault_writer_t *w = xcalloc(1, sizeof *w);
	w->fd = -1;
	w->dir = xstrdup(dir);
	memcpy(w->doc_id, doc_id, strlen(doc_id) + 1);
	w->final_path = vault_blob_path(dir, doc_id);
	w->tmp_path = xasprintf("%s/%s%s-XXXXXX", dir, VAULT_TEMP_PREFIX, doc_id);
	w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
	if (w->fd < 0) {
		int e = errno;
		free(w->tmp_path);
		w->tmp_path = NULL; /* nothing to unlink */
		writer_free(w);
		errno = e;
		return e == ENOENT ? VAULT_ERR_NOT_FOUND : VAULT_ERR_IO;
	}
	uint8_t stream_key[VAULT_KEY_LEN];
	vault_subkey(doc_key, VAULT_SUBKEY_STREAM, stream_key, sizeof stream_key);
	vault_subkey(doc_key, VAULT_SUBKEY_MAC, w->mac_key, sizeof w->mac_key);
	vault_subkey(doc_key, VAULT_SUBKEY_ID, w->key_id, sizeof w->key_id);
	crypto_secretstream_xchacha20poly1305_init_push(&w->st, w->ss_header, stream_key);
	sodium_memzero(stream_key, sizeof stream_key);
	/* Room for the header, written for real at close. */
	uint8_t zero[VAULT_HEADER_LEN] = { 0 };
	if (fd_write_all(w->fd, zero, sizeof zero) != 0) {
		writer_discard(w);
		return VAULT_ERR_IO;
	}
	*out = w;
	return VAULT_OK;
}

static vault_err_t writer_push(vault_writer_t *w, unsigned char tag)
{
	put32(w->out, w->index);
	unsigned long long clen = 0;
	crypto_secretstream_xchacha20poly1305_push(&w->st, w->out + IDX_LEN, &clen, w->in, w->fill,
		w->out, IDX_LEN, tag);
	sodium_memzero(w->in, w->fill);
	w->fill = 0;
	w->index++;
	if (fd_write_all(w->fd, w->out, IDX_LEN + (size_t)clen) != 0) {
		w->failed = VAULT_ERR_IO;
		return VAULT_ERR_IO;
	}
	return VAULT_OK;
}

vault_err_t vault_writer_write(vault_writer_t *w, const void *data, size_t len)
{
	if (!w || (!data && len > 0))
		return VAULT_ERR_ARG;
	if (w->failed != VAULT_OK)
		return VAULT_ERR_STATE;
	if (len > VAULT_PLAIN_MAX - w->plain_len) {
		w->failed = VAULT_ERR_TOO_LARGE;
		return VAULT_ERR_TOO_LARGE;
	}
	const uint8_t *p = data;
	while (len > 0) {
		size_t n = sizeof w->in - w->fill;
		if (n > len)
			n = len;
		memcpy(w->in + w->fill, p, n);
		w->fill += n;
		w->plain_len += n;
		p += n;
		len -= n;
		/* A full chunk goes out at once, so the final one may be empty. */
		if (w->fill == sizeof w->in) {
			vault_err_t rc = writer_push(w, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
			if (rc != VAULT_OK)
				return rc;
		}
	}
	return VAULT_OK;
}

vault_err_t vault_writer_close(vault_writer_t *w)
{
	if (!w)
		return VAULT_ERR_ARG;
	if (w->failed != VAULT_OK) {
		writer_discard(w);
		return VAULT_ERR_STATE;
	}
	vault_err_t rc = writer_push(w, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	if (rc != VAULT_OK) {
		writer_discard(w);
		return rc;
	}
	uint8_t hdr[VAULT_HEADER_LEN] = { 0 };
	memcpy(hdr, MAGIC, sizeof MAGIC);
	put16(hdr + OFF_VERSION, VERSION);
	put16(hdr + OFF_HLEN, VAULT_HEADER_LEN);
	put32(hdr + OFF_CHUNK, VAULT_CHUNK);
	put64(hdr + OFF_PLEN, w->plain_len);
	size_t idlen = strlen(w->doc_id);
	hdr[OFF_IDLEN] = (uint8_t)idlen;
	memcpy(hdr + OFF_ID, w->doc_id, idlen);
	memcpy(hdr + OFF_KEYID, w->key_id, sizeof w->key_id);
	memcpy(hdr + OFF_SSHDR, w->ss_header, sizeof w->ss_header);
	header_mac(w->mac_key, hdr, hdr + OFF_MAC);
	if (pwrite(w->fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr || fsync(w->fd) != 0) {
		writer_discard(w);
		return VAULT_ERR_IO;
	}
	int fd = w->fd;
	w->fd = -1;
	if (close(fd) != 0 || rename(w->tmp_path, w->final_path) != 0) {
		writer_discard(w);
		return VAULT_ERR_IO;
	}
	/* The file is in place; only its name's durability remains. */
	rc = fsync_dir(w->dir) == 0 ? VAULT_OK : VAULT_ERR_IO;
	int e = errno;
	writer_free(w);
	errno = e;
	return rc;
}

void vault_writer_abort(vault_writer_t *w)
{
	if (w)
		writer_discard(w);
}

/* ---- Reader ------------------------------------------------------------------ */

struct vault_reader {
	int fd;
	vault_err_t failed;
	struct vault_header h;
	crypto_secretstream_xchacha20poly1305_state st;
	uint64_t records;    /* total records */
	uint64_t next;       /* next record to read */
	int done;            /* final chunk read and end of file checked */
	uint8_t *rec;        /* one record (chunk_size + REC_OVERHEAD) */
	uint8_t *plain;      /* one chunk of plaintext */
	size_t plain_fill, plain_off;
};

vault_err_t vault_reader_open_fd(int fd, const char *doc_id, const vault_key_t *doc_key,
	vault_reader_t **out)
{
	if (!out) {
		if (fd >= 0)
			close(fd);
		return VAULT_ERR_ARG;
	}
	*out = NULL;
	if (fd < 0 || !doc_key || !vault_id_valid(doc_id)) {
		if (fd >= 0)
			close(fd);
		return VAULT_ERR_ARG;
	}
	if (vault_sodium_ready() != 0) {
		close(fd);
		return VAULT_ERR_CRYPTO;
	}
	vault_err_t rc;
	uint8_t raw[VAULT_HEADER_LEN];
	struct vault_header h;
	struct stat st;
	off_t start = lseek(fd, 0, SEEK_CUR);
	ssize_t got = read_full(fd, raw, sizeof raw);
	if (got < 0) {
		rc = VAULT_ERR_IO;
		goto fail;
	}
	rc = vault_header_parse(raw, (size_t)got, &h);
	if (rc != VAULT_OK)
		goto fail;
	if (strcmp(h.doc_id, doc_id) != 0) {
		rc = VAULT_ERR_BINDING;
		goto fail;
	}
	uint8_t key_id[16], mac_key[32], mac[32];
	vault_subkey(doc_key, VAULT_SUBKEY_ID, key_id, sizeof key_id);
	vault_subkey(doc_key, VAULT_SUBKEY_MAC, mac_key, sizeof mac_key);
	header_mac(mac_key, raw, mac);
	sodium_memzero(mac_key, sizeof mac_key);
	if (sodium_memcmp(key_id, h.key_id, sizeof key_id) != 0) {
		rc = VAULT_ERR_WRONG_KEY;
		goto fail;
	}
	if (sodium_memcmp(mac, h.mac, sizeof mac) != 0) {
		rc = VAULT_ERR_TAMPERED;
		goto fail;
	}
	/* The size is authenticated now: a shorter file lost its end. */
	if (start >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		uint64_t have = (uint64_t)st.st_size - (uint64_t)start;
		uint64_t want = vault_blob_size(h.plain_len, h.chunk_size);
		if (have < want) {
			rc = VAULT_ERR_TRUNCATED;
			goto fail;
		}
		if (have > want) {
			rc = VAULT_ERR_TRAILING;
			goto fail;
		}
	}
	vault_reader_t *r = xcalloc(1, sizeof *r);
	r->fd = fd;
	r->h = h;
	r->records = h.plain_len / h.chunk_size + 1;
	r->rec = xmalloc((size_t)h.chunk_size + REC_OVERHEAD);
	r->plain = xmalloc(h.chunk_size);
	uint8_t stream_key[VAULT_KEY_LEN];
	vault_subkey(doc_key, VAULT_SUBKEY_STREAM, stream_key, sizeof stream_key);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&r->st, h.stream_header, stream_key) != 0)
		r->failed = VAULT_ERR_TAMPERED;
	sodium_memzero(stream_key, sizeof stream_key);
	if (r->failed != VAULT_OK) {
		rc = r->failed;
		vault_reader_close(r);
		return rc;
	}
	*out = r;
	return VAULT_OK;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

vault_err_t vault_reader_open(const char *dir, const char *doc_id, const vault_key_t *doc_key,
	vault_reader_t **out)
{
	if (!out)
		return VAULT_ERR_ARG;
	*out = NULL;
	char *path = vault_blob_path(dir, doc_id);
	if (!path || !doc_key) {
		free(path);
		return VAULT_ERR_ARG;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int e = errno;
	free(path);
	if (fd < 0) {
		errno = e;
		return e == ENOENT ? VAULT_ERR_NOT_FOUND : VAULT_ERR_IO;
	}
	return vault_reader_open_fd(fd, doc_id, doc_key, out);
}

uint64_t vault_reader_size(const vault_reader_t *r)
{
	return r ? r->h.plain_len : 0;
}

/* Reads, checks and decrypts the next record into plain[]. */
static vault_err_t reader_next(vault_reader_t *r)
{
	uint64_t i = r->next;
	int last = i + 1 == r->records;
	size_t plen = last ? (size_t)(r->h.plain_len % r->h.chunk_size) : r->h.chunk_size;
	size_t want = plen + REC_OVERHEAD;
	ssize_t got = read_full(r->fd, r->rec, want);
	if (got < 0)
		return VAULT_ERR_IO;
	if ((size_t)got < want)
		return VAULT_ERR_TRUNCATED;
	if (get32(r->rec) != (uint32_t)i)
		return VAULT_ERR_REORDERED;
	unsigned long long mlen = 0;
	unsigned char tag = 0;
	if (crypto_secretstream_xchacha20poly1305_pull(&r->st, r->plain, &mlen, &tag,
		    r->rec + IDX_LEN, want - IDX_LEN, r->rec, IDX_LEN) != 0)
		return VAULT_ERR_TAMPERED;
	if (mlen != plen)
		return VAULT_ERR_TAMPERED;
	if (last && tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL)
		return VAULT_ERR_TRUNCATED;
	if (!last && tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
		return VAULT_ERR_TAMPERED;
	r->plain_fill = plen;
	r->plain_off = 0;
	r->next++;
	if (last) {
		uint8_t extra;
		ssize_t x = read_full(r->fd, &extra, 1);
		if (x < 0)
			return VAULT_ERR_IO;
		if (x > 0)
			return VAULT_ERR_TRAILING;
		r->done = 1;
	}
	return VAULT_OK;
}

vault_err_t vault_reader_read(vault_reader_t *r, void *buf, size_t cap, size_t *got)
{
	if (got)
		*got = 0;
	if (!r || !got || (!buf && cap > 0))
		return VAULT_ERR_ARG;
	if (r->failed != VAULT_OK)
		return VAULT_ERR_STATE;
	uint8_t *p = buf;
	size_t n = 0;
	while (n < cap) {
		if (r->plain_off == r->plain_fill) {
			sodium_memzero(r->plain, r->plain_fill);
			r->plain_off = r->plain_fill = 0;
			if (r->done)
				break;
			vault_err_t rc = reader_next(r);
			if (rc != VAULT_OK) {
				r->failed = rc;
				/* Bytes already copied came from authenticated chunks,
				 * but the caller must learn of the failure now. */
				*got = n;
				return rc;
			}
			continue;
		}
		size_t k = r->plain_fill - r->plain_off;
		if (k > cap - n)
			k = cap - n;
		memcpy(p + n, r->plain + r->plain_off, k);
		r->plain_off += k;
		n += k;
	}
	*got = n;
	return VAULT_OK;
}

void vault_reader_close(vault_reader_t *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->plain) {
		sodium_memzero(r->plain, r->h.chunk_size);
		free(r->plain);
	}
	free(r->rec);
	sodium_memzero(r, sizeof *r);
	free(r);
}

/* ---- Whole documents, removal, sweeping ------------------------------------- */

vault_err_t vault_blob_put(const char *dir, const char *doc_id, const vault_key_t *doc_key,
	const void *data, size_t len)
{
	if (!data && len > 0)
		return VAULT_ERR_ARG;
	vault_writer_t *w;
	vault_err_t rc = vault_writer_open(dir, doc_id, doc_key, &w);
	if (rc != VAULT_OK)
		return rc;
	rc = vault_writer_write(w, data, len);
	if (rc != VAULT_OK) {
		vault_writer_abort(w);
		return rc;
	}
	return vault_writer_close(w);
}

vault_err_t vault_blob_get(const char *dir, const char *doc_id, const vault_key_t *doc_key,
	size_t max, uint8_t **out, size_t *len)
{
	if (!out || !len)
		return VAULT_ERR_ARG;
	*out = NULL;
	*len = 0;
	vault_reader_t *r;
	vault_err_t rc = vault_reader_open(dir, doc_id, doc_key, &r);
	if (rc != VAULT_OK)
		return rc;
	uint64_t size = vault_reader_size(r);
	if (size > max) {
		vault_reader_close(r);
		return VAULT_ERR_TOO_LARGE;
	}
	uint8_t *buf = xmalloc(size ? (size_t)size : 1);
	size_t have = 0;
	for (;;) {
		size_t got;
		rc = vault_reader_read(r, buf + have, (size_t)size - have, &got);
		if (rc != VAULT_OK)
			break;
		have += got;
		if (got == 0 || have == size) {
			/* The end must follow: a longer stream is refused. */
			uint8_t extra;
			rc = vault_reader_read(r, &extra, 1, &got);
			if (rc == VAULT_OK && got != 0)
				rc = VAULT_ERR_TRAILING;
			break;
		}
	}
	vault_reader_close(r);
	if (rc != VAULT_OK || have != size) {
		sodium_memzero(buf, have);
		free(buf);
		return rc != VAULT_OK ? rc : VAULT_ERR_TRUNCATED;
	}
	*out = buf;
	*len = have;
	return VAULT_OK;
}

vault_err_t vault_blob_unlink(const char *dir, const char *doc_id)
{
	char *path = vault_blob_path(dir, doc_id);
	if (!path)
		return VAULT_ERR_ARG;
	int rc = unlink(path);
	int e = errno;
	free(path);
	if (rc != 0) {
		errno = e;
		return e == ENOENT ? VAULT_ERR_NOT_FOUND : VAULT_ERR_IO;
	}
	return VAULT_OK;
}

vault_err_t vault_blob_remove(const char *dir, const char *doc_id)
{
	vault_err_t rc = vault_blob_unlink(dir, doc_id);
	if (rc != VAULT_OK)
		return rc;
	return fsync_dir(dir) == 0 ? VAULT_OK : VAULT_ERR_IO;
}

vault_err_t vault_sweep_temp(const char *dir, int min_age_s, int *removed)
{
	if (removed)
		*removed = 0;
	if (!dir)
		return VAULT_ERR_ARG;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? VAULT_ERR_NOT_FOUND : VAULT_ERR_IO;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return VAULT_ERR_IO;
	}
	vault_err_t rc = VAULT_OK;
	int n = 0;
	struct dirent *e;
	size_t plen = strlen(VAULT_TEMP_PREFIX);
	time_t before = time(NULL) - min_age_s;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, VAULT_TEMP_PREFIX, plen) != 0)
			continue;
		struct stat sb;
		if (min_age_s > 0 && (fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || sb.st_mtime > before))
			continue;
		if (unlinkat(dfd, e->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT)
			rc = VAULT_ERR_IO;
	}
	if (n > 0 && fsync(dfd) != 0)
		rc = VAULT_ERR_IO;
	closedir(d);
	if (removed)
		*removed = n;
	return rc;
}
