/* Unit tests of the documents-at-rest vault (src/vault): round trips of
 * several sizes, key wrapping bound to ids, detection of altered, truncated,
 * reordered and foreign files, the master key file's checks, no temporary
 * file left behind, crypto-shredding, and small secrets sealed in their
 * scope. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "vault.h"
#include "vault_int.h"
#include "xalloc.h"

#define ACC "acc_test1"
#define DOC "fax_doc1"

static vault_key_t *master, *acckey, *dockey;
static char dir[64];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void rm_rf(const char *p)
{
	nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/fv-vault-test-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char *mp = xasprintf("%s/master.key", dir);
	vault_err_t e = vault_master_load(mp, 1, &master);
	free(mp);
	if (e != VAULT_OK)
		return -1;
	uint8_t wa[VAULT_WRAPPED_LEN], wd[VAULT_WRAPPED_LEN];
	if (vault_account_key_new(master, ACC, wa, &acckey) != VAULT_OK ||
		vault_doc_key_new(acckey, ACC, DOC, wd, &dockey) != VAULT_OK)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vault_key_free(dockey);
	vault_key_free(acckey);
	vault_key_free(master);
	rm_rf(dir);
	return 0;
}

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = xmalloc(n ? n : 1);
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	return p;
}

static char *blob(const char *doc_id)
{
	return vault_blob_path(dir, doc_id);
}

static size_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (size_t)st.st_size;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	*n = file_size(path);
	uint8_t *p = xmalloc(*n + 1);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(p, 1, *n, f), *n);
	fclose(f);
	return p;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Files in dir other than master.key, excluding blob files when only_temp. */
static int count_files(const char *d, int only_temp)
{
	DIR *dd = opendir(d);
	assert_non_null(dd);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dd)) != NULL) {
		if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0)))
			continue;
		if (strcmp(e->d_name, "master.key") == 0)
			continue;
		if (only_temp && strncmp(e->d_name, VAULT_TEMP_PREFIX, strlen(VAULT_TEMP_PREFIX)) != 0)
			continue;
		n++;
	}
	closedir(dd);
	return n;
}

/* Writes n pattern bytes in uneven pieces, then reads them back in uneven
 * pieces and compares; checks the file's exact size. */
static void round_trip(size_t n)
{
	uint8_t *data = pattern(n, (unsigned)n);
	vault_writer_t *w;
	assert_int_equal(vault_writer_open(dir, DOC, dockey, &w), VAULT_OK);
	size_t off = 0, step = 1;
	while (off < n) {
		size_t k = n - off < step ? n - off : step;
		assert_int_equal(vault_writer_write(w, data + off, k), VAULT_OK);
		off += k;
		step = step * 3 + 7;
		if (step > 300000)
			step = 1;
	}
	assert_int_equal(vault_writer_close(w), VAULT_OK);
	char *p = blob(DOC);
	assert_int_equal(file_size(p), vault_blob_size(n, VAULT_CHUNK));
	free(p);
	assert_int_equal(count_files(dir, 1), 0);

	vault_reader_t *r;
	assert_int_equal(vault_reader_open(dir, DOC, dockey, &r), VAULT_OK);
	assert_int_equal(vault_reader_size(r), n);
	uint8_t *back = xmalloc(n + 1);
	size_t have = 0, got;
	for (;;) {
		size_t cap = 777 + have % 70000;
		if (cap > n + 1 - have)
			cap = n + 1 - have;
		assert_int_equal(vault_reader_read(r, back + have, cap, &got), VAULT_OK);
		if (got == 0)
			break;
		have += got;
		assert_true(have <= n);
	}
	assert_int_equal(vault_reader_read(r, back, 1, &got), VAULT_OK);
	assert_int_equal(got, 0);
	vault_reader_close(r);
	assert_int_equal(have, n);
	assert_memory_equal(back, data, n);

	uint8_t *all;
	size_t len;
	assert_int_equal(vault_blob_get(dir, DOC, dockey, n, &all, &len), VAULT_OK);
	assert_int_equal(len, n);
	assert_memory_equal(all, data, n);
	free(all);
	if (n > 0)
		assert_int_equal(vault_blob_get(dir, DOC, dockey, n - 1, &all, &len), VAULT_ERR_TOO_LARGE);
	free(back);
	free(data);
}

static void test_round_trips(void **state)
{
	(void)state;
	round_trip(0);
	round_trip(1);
	round_trip(VAULT_CHUNK - 1);
	round_trip(VAULT_CHUNK);
	round_trip(VAULT_CHUNK + 1);
	round_trip(7 * VAULT_CHUNK + 12345);
	round_trip(5 * 1000 * 1000);
	round_trip(5 * 1024 * 1024);
}

static void test_no_plaintext_on_disk(void **state)
{
	(void)state;
	static const char marker[] = "CONFIDENTIAL-FAX-PAGE-MARKER";
	size_t n = 3 * VAULT_CHUNK;
	uint8_t *data = xmalloc(n);
	for (size_t i = 0; i < n; i += sizeof marker - 1)
		memcpy(data + i, marker, n - i < sizeof marker - 1 ? n - i : sizeof marker - 1);
	assert_int_equal(vault_blob_put(dir, DOC, dockey, data, n), VAULT_OK);
	char *p = blob(DOC);
	size_t fl;
	uint8_t *file = slurp(p, &fl);
	assert_null(memmem(file, fl, marker, 8));
	/* Two writes of the same document differ (fresh stream nonce). */
	assert_int_equal(vault_blob_put(dir, DOC, dockey, data, n), VAULT_OK);
	size_t fl2;
	uint8_t *file2 = slurp(p, &fl2);
	assert_int_equal(fl, fl2);
	assert_memory_not_equal(file + VAULT_HEADER_LEN, file2 + VAULT_HEADER_LEN, 64);
	free(file);
	free(file2);
	free(p);
	free(data);
}

static void test_wrapping(void **state)
{
	(void)state;
	uint8_t wa[VAULT_WRAPPED_LEN], wd[VAULT_WRAPPED_LEN];
	vault_key_t *a = NULL, *d = NULL, *k = NULL;
	char f1[VAULT_FINGERPRINT_LEN], f2[VAULT_FINGERPRINT_LEN];
	assert_int_equal(vault_account_key_new(master, "acc_A", wa, &a), VAULT_OK);
	assert_int_equal(vault_account_key_unwrap(master, "acc_A", wa, sizeof wa, &k), VAULT_OK);
	vault_key_fingerprint(a, f1);
	vault_key_fingerprint(k, f2);
	assert_string_equal(f1, f2);
	assert_int_equal(strlen(f1), 32);
	vault_key_free(k);
	/* Another account's id, another master, altered bytes, bad form. */
	assert_int_equal(vault_account_key_unwrap(master, "acc_B", wa, sizeof wa, &k), VAULT_ERR_UNWRAP);
	assert_null(k);
	assert_int_equal(vault_account_key_unwrap(master, "acc_A", wa, sizeof wa - 1, &k),
		VAULT_ERR_WRAPPED_FORMAT);
	for (size_t i = 0; i < sizeof wa; i++) {
		wa[i] ^= 0x01;
		vault_err_t e = vault_account_key_unwrap(master, "acc_A", wa, sizeof wa, &k);
		assert_true(e == VAULT_ERR_UNWRAP || (i == 0 && e == VAULT_ERR_WRAPPED_FORMAT));
		wa[i] ^= 0x01;
	}
	assert_int_equal(vault_account_key_unwrap(acckey, "acc_A", wa, sizeof wa, &k), VAULT_ERR_UNWRAP);

	assert_int_equal(vault_doc_key_new(a, "acc_A", "fax_1", wd, &d), VAULT_OK);
	assert_int_equal(vault_doc_key_unwrap(a, "acc_A", "fax_1", wd, sizeof wd, &k), VAULT_OK);
	vault_key_fingerprint(d, f1);
	vault_key_fingerprint(k, f2);
	assert_string_equal(f1, f2);
	vault_key_free(k);
	assert_int_equal(vault_doc_key_unwrap(a, "acc_A", "fax_2", wd, sizeof wd, &k), VAULT_ERR_UNWRAP);
	assert_int_equal(vault_doc_key_unwrap(a, "acc_B", "fax_1", wd, sizeof wd, &k), VAULT_ERR_UNWRAP);
	/* Ids are delimited: ("acc_A","fax_1") is not ("acc_Af","ax_1"). */
	assert_int_equal(vault_doc_key_unwrap(a, "acc_Af", "ax_1", wd, sizeof wd, &k), VAULT_ERR_UNWRAP);
	assert_int_equal(vault_doc_key_unwrap(acckey, "acc_A", "fax_1", wd, sizeof wd, &k), VAULT_ERR_UNWRAP);
	/* A document key does not pass for an account key, nor the reverse. */
	assert_int_equal(vault_account_key_unwrap(a, "acc_A", wd, sizeof wd, &k), VAULT_ERR_UNWRAP);
	assert_int_equal(vault_doc_key_unwrap(master, "acc_A", "fax_1", wa, sizeof wa, &k), VAULT_ERR_UNWRAP);
	/* Fresh keys and nonces each time. */
	uint8_t wa2[VAULT_WRAPPED_LEN];
	assert_int_equal(vault_account_key_new(master, "acc_A", wa2, NULL), VAULT_OK);
	assert_memory_not_equal(wa, wa2, sizeof wa);
	/* Bad ids. */
	assert_int_equal(vault_account_key_new(master, "acc/../x", wa2, NULL), VAULT_ERR_ARG);
	assert_int_equal(vault_account_key_new(master, "", wa2, NULL), VAULT_ERR_ARG);
	assert_int_equal(vault_doc_key_new(a, "acc_A", NULL, wa2, NULL), VAULT_ERR_ARG);
	char longid[VAULT_ID_MAX + 2];
	memset(longid, 'a', sizeof longid - 1);
	longid[sizeof longid - 1] = 0;
	assert_int_equal(vault_account_key_new(master, longid, wa2, NULL), VAULT_ERR_ARG);
	longid[VAULT_ID_MAX] = 0;
	assert_int_equal(vault_account_key_new(master, longid, wa2, NULL), VAULT_OK);
	vault_key_free(d);
	vault_key_free(a);
}

/* A 3-record document: two full chunks and a 1000-byte final one. */
#define DAMAGE_LEN (2 * VAULT_CHUNK + 1000)
#define REC(i) (VAULT_HEADER_LEN + (size_t)(i) * (VAULT_CHUNK + 4 + 17))

static uint8_t *damage_setup(size_t *fl)
{
	uint8_t *data = pattern(DAMAGE_LEN, 99);
	assert_int_equal(vault_blob_put(dir, DOC, dockey, data, DAMAGE_LEN), VAULT_OK);
	free(data);
	char *p = blob(DOC);
	uint8_t *file = slurp(p, fl);
	free(p);
	assert_int_equal(*fl, REC(2) + 4 + 1000 + 17);
	return file;
}

static vault_err_t read_damaged(const uint8_t *file, size_t fl)
{
	char *p = blob(DOC);
	spit(p, file, fl);
	free(p);
	uint8_t *out = NULL;
	size_t len = 0;
	vault_err_t e = vault_blob_get(dir, DOC, dockey, SIZE_MAX, &out, &len);
	if (e == VAULT_OK)
		free(out);
	else
		assert_null(out);
	return e;
}

static void test_flipped_bytes(void **state)
{
	(void)state;
	size_t fl;
	uint8_t *file = damage_setup(&fl);
	assert_int_equal(read_damaged(file, fl), VAULT_OK);
	/* Every byte of the header. */
	for (size_t i = 0; i < VAULT_HEADER_LEN; i++) {
		file[i] ^= 0x40;
		vault_err_t e = read_damaged(file, fl);
		if (e == VAULT_OK)
			fail_msg("flip at header byte %zu not detected", i);
		file[i] ^= 0x40;
	}
	/* Samples over the whole file, and every byte of the final record. */
	for (size_t i = VAULT_HEADER_LEN; i < fl; i += (i >= REC(2) ? 1 : 997)) {
		file[i] ^= 0x01;
		if (read_damaged(file, fl) == VAULT_OK)
			fail_msg("flip at byte %zu not detected", i);
		file[i] ^= 0x01;
	}
	/* What each place reports. */
	struct { size_t at; vault_err_t want; } cases[] = {
		{ 0, VAULT_ERR_HEADER },                   /* magic */
		{ 9, VAULT_ERR_VERSION },                  /* version 1 -> 0x41 */
		{ 20, VAULT_ERR_TAMPERED },                /* plaintext length */
		{ 96, VAULT_ERR_WRONG_KEY },               /* key id */
		{ 120, VAULT_ERR_TAMPERED },               /* stream header */
		{ 150, VAULT_ERR_TAMPERED },               /* MAC */
		{ REC(1) + 4 + 5000, VAULT_ERR_TAMPERED }, /* middle chunk */
		{ REC(2) + 4 + 500, VAULT_ERR_TAMPERED },  /* last chunk */
		{ fl - 1, VAULT_ERR_TAMPERED },            /* last tag byte */
		{ REC(1) + 3, VAULT_ERR_REORDERED },       /* chunk index */
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		file[cases[c].at] ^= 0x40;
		vault_err_t e = read_damaged(file, fl);
		if (e != cases[c].want)
			fail_msg("flip at %zu: %s, want %s", cases[c].at, vault_strerror(e),
				vault_strerror(cases[c].want));
		file[cases[c].at] ^= 0x40;
	}
	/* The doc id in the header: another document's, or a broken one. */
	file[32 + 4] = 'X';
	assert_int_equal(read_damaged(file, fl), VAULT_ERR_BINDING);
	file[32 + 4] = '/';
	assert_int_equal(read_damaged(file, fl), VAULT_ERR_HEADER);
	free(file);
}

static void test_truncated(void **state)
{
	(void)state;
	size_t fl;
	uint8_t *file = damage_setup(&fl);
	size_t cuts[] = { fl - 1, fl - 17, REC(2), REC(2) + 3, REC(1) + 100, REC(0),
		VAULT_HEADER_LEN - 1, 20, 1 };
	for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
		vault_err_t e = read_damaged(file, cuts[c]);
		if (e != VAULT_ERR_TRUNCATED)
			fail_msg("cut at %zu: %s", cuts[c], vault_strerror(e));
	}
	assert_int_equal(read_damaged(file, 0), VAULT_ERR_HEADER);
	/* Cut while being read: the stream notices the missing final chunk. */
	assert_int_equal(read_damaged(file, fl), VAULT_OK);
	vault_reader_t *r;
	assert_int_equal(vault_reader_open(dir, DOC, dockey, &r), VAULT_OK);
	char *p = blob(DOC);
	assert_int_equal(truncate(p, (off_t)REC(2)), 0);
	free(p);
	uint8_t *buf = xmalloc(DAMAGE_LEN);
	size_t got;
	assert_int_equal(vault_reader_read(r, buf, DAMAGE_LEN, &got), VAULT_ERR_TRUNCATED);
	assert_int_equal(got, 2 * VAULT_CHUNK);
	assert_int_equal(vault_reader_read(r, buf, DAMAGE_LEN, &got), VAULT_ERR_STATE);
	vault_reader_close(r);
	/* Data appended after the final chunk. */
	uint8_t *longer = xmalloc(fl + 10);
	memcpy(longer, file, fl);
	memset(longer + fl, 0, 10);
	assert_int_equal(read_damaged(longer, fl + 10), VAULT_ERR_TRAILING);
	free(longer);
	free(buf);
	free(file);
}

static void test_swapped_chunks(void **state)
{
	(void)state;
	size_t fl;
	uint8_t *file = damage_setup(&fl);
	size_t rl = VAULT_CHUNK + 4 + 17;
	uint8_t *tmp = xmalloc(rl);
	/* Whole records swapped. */
	memcpy(tmp, file + REC(0), rl);
	memmove(file + REC(0), file + REC(1), rl);
	memcpy(file + REC(1), tmp, rl);
	assert_int_equal(read_damaged(file, fl), VAULT_ERR_REORDERED);
	/* Swapped with their indices put back: the stream's order still holds. */
	uint8_t idx[4];
	memcpy(idx, file + REC(0), 4);
	memcpy(file + REC(0), file + REC(1), 4);
	memcpy(file + REC(1), idx, 4);
	assert_int_equal(read_damaged(file, fl), VAULT_ERR_TAMPERED);
	/* The first record repeated in place of the second. */
	free(file);
	file = damage_setup(&fl);
	memcpy(file + REC(1), file + REC(0), rl);
	assert_int_equal(read_damaged(file, fl), VAULT_ERR_REORDERED);
	/* The final (short) record moved before a full one: same size. */
	free(file);
	file = damage_setup(&fl);
	size_t ll = fl - REC(2);
	uint8_t *moved = xmalloc(fl);
	memcpy(moved, file, REC(1));
	memcpy(moved + REC(1), file + REC(2), ll);
	memcpy(moved + REC(1) + ll, file + REC(1), rl);
	assert_int_equal(read_damaged(moved, fl), VAULT_ERR_REORDERED);
	free(moved);
	free(tmp);
	free(file);
}

static void test_wrong_key_and_binding(void **state)
{
	(void)state;
	uint8_t *data = pattern(5000, 3);
	assert_int_equal(vault_blob_put(dir, DOC, dockey, data, 5000), VAULT_OK);
	uint8_t wd[VAULT_WRAPPED_LEN];
	vault_key_t *other;
	assert_int_equal(vault_doc_key_new(acckey, ACC, DOC, wd, &other), VAULT_OK);
	vault_reader_t *r = NULL;
	assert_int_equal(vault_reader_open(dir, DOC, other, &r), VAULT_ERR_WRONG_KEY);
	assert_null(r);
	/* The account key in place of the document key. */
	assert_int_equal(vault_reader_open(dir, DOC, acckey, &r), VAULT_ERR_WRONG_KEY);
	/* A file moved to another document's name. */
	char *a = blob(DOC), *b = blob("fax_other");
	assert_int_equal(rename(a, b), 0);
	assert_int_equal(vault_reader_open(dir, "fax_other", dockey, &r), VAULT_ERR_BINDING);
	assert_int_equal(vault_reader_open(dir, DOC, dockey, &r), VAULT_ERR_NOT_FOUND);
	assert_int_equal(unlink(b), 0);
	free(a);
	free(b);
	vault_key_free(other);
	free(data);
	/* Not a vault file at all. */
	char *p = blob("fax_junk");
	spit(p, (const uint8_t *)"%PDF-1.7\n", 9);
	assert_int_equal(vault_reader_open(dir, "fax_junk", dockey, &r), VAULT_ERR_HEADER);
	unlink(p);
	free(p);
	assert_int_equal(vault_reader_open(dir, "../etc", dockey, &r), VAULT_ERR_ARG);
}

static void test_header_parse(void **state)
{
	(void)state;
	uint8_t *data = pattern(10, 1);
	assert_int_equal(vault_blob_put(dir, DOC, dockey, data, 10), VAULT_OK);
	free(data);
	char *p = blob(DOC);
	size_t fl;
	uint8_t *file = slurp(p, &fl);
	free(p);
	struct vault_header h;
	assert_int_equal(vault_header_parse(file, fl, &h), VAULT_OK);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.chunk_size, VAULT_CHUNK);
	assert_int_equal(h.plain_len, 10);
	assert_string_equal(h.doc_id, DOC);
	char fp[VAULT_FINGERPRINT_LEN], hex[VAULT_FINGERPRINT_LEN];
	vault_key_fingerprint(dockey, fp);
	sodium_bin2hex(hex, sizeof hex, h.key_id, sizeof h.key_id);
	assert_string_equal(fp, hex);
	assert_int_equal(vault_header_parse(file, VAULT_HEADER_LEN - 1, &h), VAULT_ERR_TRUNCATED);
	assert_int_equal(vault_header_parse(file, 3, &h), VAULT_ERR_TRUNCATED);
	assert_int_equal(vault_header_parse(file, 0, &h), VAULT_ERR_HEADER);
	assert_int_equal(vault_header_parse(NULL, 0, &h), VAULT_ERR_HEADER);
	uint8_t hdr[VAULT_HEADER_LEN];
	struct { size_t at; uint8_t v; vault_err_t want; } cases[] = {
		{ 7, 'x', VAULT_ERR_HEADER },      /* magic */
		{ 9, 2, VAULT_ERR_VERSION },       /* version 2 */
		{ 9, 0, VAULT_ERR_HEADER },        /* version 0 */
		{ 11, 169, VAULT_ERR_HEADER },     /* header length */
		{ 13, 0x20, VAULT_ERR_HEADER },    /* chunk size 2 MiB + 64 KiB */
		{ 16, 1, VAULT_ERR_HEADER },       /* length 2^56 */
		{ 24, 0, VAULT_ERR_HEADER },       /* empty id */
		{ 24, 65, VAULT_ERR_HEADER },      /* id too long */
		{ 24, 9, VAULT_ERR_HEADER },       /* id takes a padding zero */
		{ 30, 1, VAULT_ERR_HEADER },       /* reserved */
		{ 32 + 20, 'a', VAULT_ERR_HEADER }, /* padding after id */
		{ 32 + 2, ' ', VAULT_ERR_HEADER }, /* bad id character */
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		memcpy(hdr, file, sizeof hdr);
		hdr[cases[c].at] = cases[c].v;
		if (vault_header_parse(hdr, sizeof hdr, &h) != cases[c].want)
			fail_msg("case %zu", c);
	}
	memcpy(hdr, file, sizeof hdr);
	hdr[12] = hdr[13] = hdr[14] = 0;
	hdr[15] = 1; /* chunk size 1 */
	assert_int_equal(vault_header_parse(hdr, sizeof hdr, &h), VAULT_ERR_HEADER);
	free(file);
	assert_int_equal(vault_blob_size(0, VAULT_CHUNK), VAULT_HEADER_LEN + 21);
	assert_int_equal(vault_blob_size(VAULT_CHUNK, VAULT_CHUNK), VAULT_HEADER_LEN + VAULT_CHUNK + 42);
}

/* A rotated key file (version 2): a new key with another fingerprint that
 * carries the audit chain's derived keys unchanged and none of the old
 * key's bytes; carried again by a second rotation; altered, refused; an
 * exclusive lock refused while a shared one is held. */
static void test_master_rotated_file(void **state)
{
	(void)state;
	char *p1 = xasprintf("%s/r1.key", dir), *p2 = xasprintf("%s/r2.key", dir),
	     *p3 = xasprintf("%s/r3.key", dir);
	vault_key_t *k1, *k2, *k3, *again;
	assert_int_equal(vault_master_load(p1, 1, &k1), VAULT_OK);
	assert_int_equal(vault_master_create_next(k1, p2), VAULT_OK);
	assert_int_equal(vault_master_create_next(k1, p2), VAULT_ERR_IO); /* exists */
	assert_int_equal(vault_master_load(p2, 0, &k2), VAULT_OK);
	struct stat st;
	assert_int_equal(stat(p2, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, VAULT_MASTER_FILE_LEN_V2);
	char f1[VAULT_FINGERPRINT_LEN], f2[VAULT_FINGERPRINT_LEN];
	vault_key_fingerprint(k1, f1);
	vault_key_fingerprint(k2, f2);
	assert_string_not_equal(f1, f2);
	assert_false(vault_master_same(k1, k2));
	assert_int_equal(vault_master_load(p2, 0, &again), VAULT_OK);
	assert_true(vault_master_same(k2, again));
	vault_key_free(again);
	/* The audit keys follow; any other derivation is the new key's own. */
	uint8_t d1[32], d2[32], o1[32], o2[32];
	for (uint64_t id = 1; id <= 2; id++) {
		assert_int_equal(vault_key_derive(k1, "fvaudit1", id, d1, 32), VAULT_OK);
		assert_int_equal(vault_key_derive(k2, "fvaudit1", id, d2, 32), VAULT_OK);
		assert_memory_equal(d1, d2, 32);
	}
	assert_int_equal(vault_key_derive(k2, "fvaudit1", 1, d2, 16), VAULT_ERR_ARG);
	assert_int_equal(vault_key_derive(k1, "fvaudit1", 3, o1, 32), VAULT_OK);
	assert_int_equal(vault_key_derive(k2, "fvaudit1", 3, o2, 32), VAULT_OK);
	assert_memory_not_equal(o1, o2, 32);
	/* Nothing of the old key in the new file. */
	size_t l1, l2;
	uint8_t *b1 = slurp(p1, &l1), *b2 = slurp(p2, &l2);
	assert_null(memmem(b2, l2, b1 + 12, VAULT_KEY_LEN));
	/* A second rotation carries the same keys on. */
	assert_int_equal(vault_master_create_next(k2, p3), VAULT_OK);
	assert_int_equal(vault_master_load(p3, 0, &k3), VAULT_OK);
	assert_int_equal(vault_key_derive(k3, "fvaudit1", 2, d2, 32), VAULT_OK);
	assert_int_equal(vault_key_derive(k1, "fvaudit1", 2, d1, 32), VAULT_OK);
	assert_memory_equal(d1, d2, 32);
	/* Any altered byte (key, carried keys, check value) is refused. */
	for (size_t at = 12; at < l2; at += 7) {
		b2[at] ^= 0x20;
		spit(p3, b2, l2);
		assert_int_equal(chmod(p3, 0600), 0);
		vault_key_t *bad = NULL;
		if (vault_master_load(p3, 0, &bad) != VAULT_ERR_KEYFILE_FORMAT)
			fail_msg("rotated key file altered at %zu accepted", at);
		b2[at] ^= 0x20;
	}
	/* The key holder's shared lock keeps a rotation's exclusive one out. */
	int held = vault_master_lock(p2, 0);
	assert_true(held >= 0);
	errno = 0;
	assert_int_equal(vault_master_lock(p2, 1), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(held);
	int ex = vault_master_lock(p2, 1);
	assert_true(ex >= 0);
	close(ex);
	free(b1);
	free(b2);
	vault_key_free(k1);
	vault_key_free(k2);
	vault_key_free(k3);
	unlink(p1);
	unlink(p2);
	unlink(p3);
	free(p1);
	free(p2);
	free(p3);
}

static void test_master_file(void **state)
{
	(void)state;
	char *p = xasprintf("%s/m1.key", dir);
	vault_key_t *k = NULL, *k2 = NULL;
	assert_int_equal(vault_master_load(p, 0, &k), VAULT_ERR_NOT_FOUND);
	assert_null(k);
	assert_int_equal(vault_master_load(p, 1, &k), VAULT_OK);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, VAULT_MASTER_FILE_LEN);
	assert_int_equal(vault_master_load(p, 1, &k2), VAULT_OK);
	char f1[VAULT_FINGERPRINT_LEN], f2[VAULT_FINGERPRINT_LEN];
	vault_key_fingerprint(k, f1);
	vault_key_fingerprint(k2, f2);
	assert_string_equal(f1, f2);
	vault_key_free(k2);
	/* A key wrapped under it still opens after a reload. */
	uint8_t wa[VAULT_WRAPPED_LEN];
	assert_int_equal(vault_account_key_new(k, "acc_M", wa, NULL), VAULT_OK);
	assert_int_equal(vault_master_load(p, 0, &k2), VAULT_OK);
	vault_key_t *a;
	assert_int_equal(vault_account_key_unwrap(k2, "acc_M", wa, sizeof wa, &a), VAULT_OK);
	vault_key_free(a);
	vault_key_free(k2);
	/* Rotation: the account key moves to a new master, unchanged. */
	char *p2 = xasprintf("%s/m3.key", dir);
	vault_key_t *k3, *a1, *a2;
	uint8_t wa3[VAULT_WRAPPED_LEN];
	assert_int_equal(vault_master_load(p2, 1, &k3), VAULT_OK);
	assert_int_equal(vault_account_key_rewrap(k, k3, "acc_M", wa, sizeof wa, wa3), VAULT_OK);
	assert_int_equal(vault_account_key_rewrap(k, k3, "acc_N", wa, sizeof wa, wa3), VAULT_ERR_UNWRAP);
	assert_int_equal(vault_account_key_unwrap(k, "acc_M", wa3, sizeof wa3, &a1), VAULT_ERR_UNWRAP);
	assert_int_equal(vault_account_key_unwrap(k3, "acc_M", wa3, sizeof wa3, &a2), VAULT_OK);
	assert_int_equal(vault_account_key_unwrap(k, "acc_M", wa, sizeof wa, &a1), VAULT_OK);
	vault_key_fingerprint(a1, f1);
	vault_key_fingerprint(a2, f2);
	assert_string_equal(f1, f2);
	vault_key_free(a1);
	vault_key_free(a2);
	vault_key_free(k3);
	unlink(p2);
	free(p2);
	vault_key_free(k);
	/* Readable or writable by group or others: refused. */
	mode_t bad[] = { 0644, 0640, 0604, 0660, 0602 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(chmod(p, bad[i]), 0);
		k2 = (vault_key_t *)1;
		assert_int_equal(vault_master_load(p, 1, &k2), VAULT_ERR_KEYFILE_MODE);
		assert_null(k2);
	}
	assert_int_equal(chmod(p, 0400), 0);
	assert_int_equal(vault_master_load(p, 0, &k2), VAULT_OK);
	vault_key_free(k2);
	/* Short, long, garbage, altered key (check value), wrong version. */
	size_t fl;
	assert_int_equal(chmod(p, 0600), 0);
	uint8_t *good = slurp(p, &fl);
	uint8_t buf[VAULT_MASTER_FILE_LEN + 1];
	struct { size_t len; int at; uint8_t x; } cases[] = {
		{ 10, -1, 0 }, { 32, -1, 0 }, { VAULT_MASTER_FILE_LEN - 1, -1, 0 },
		{ VAULT_MASTER_FILE_LEN + 1, -1, 0 }, { 0, -1, 0 },
		{ VAULT_MASTER_FILE_LEN, 0, 1 },   /* magic */
		{ VAULT_MASTER_FILE_LEN, 9, 3 },   /* version */
		{ VAULT_MASTER_FILE_LEN, 20, 1 },  /* key byte */
		{ VAULT_MASTER_FILE_LEN, 50, 1 },  /* check value */
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		memcpy(buf, good, VAULT_MASTER_FILE_LEN);
		buf[VAULT_MASTER_FILE_LEN] = '\n';
		if (cases[c].at >= 0)
			buf[cases[c].at] ^= cases[c].x;
		spit(p, buf, cases[c].len);
		assert_int_equal(chmod(p, 0600), 0);
		if (vault_master_load(p, 1, &k2) != VAULT_ERR_KEYFILE_FORMAT)
			fail_msg("key file case %zu accepted", c);
		assert_null(k2);
	}
	uint8_t garbage[VAULT_MASTER_FILE_LEN];
	randombytes_buf(garbage, sizeof garbage);
	spit(p, garbage, sizeof garbage);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(vault_master_load(p, 1, &k2), VAULT_ERR_KEYFILE_FORMAT);
	/* A directory in its place. */
	char *dp = xasprintf("%s/m2.key", dir);
	assert_int_equal(mkdir(dp, 0700), 0);
	assert_int_equal(vault_master_load(dp, 1, &k2), VAULT_ERR_KEYFILE_MODE);
	assert_int_equal(rmdir(dp), 0);
	/* No directory to create it in. */
	char *np = xasprintf("%s/nodir/m.key", dir);
	assert_int_equal(vault_master_load(np, 1, &k2), VAULT_ERR_IO);
	assert_int_equal(vault_master_load(NULL, 1, &k2), VAULT_ERR_ARG);
	assert_int_equal(count_files(dir, 1), 0);
	unlink(p);
	free(np);
	free(dp);
	free(good);
	free(p);
}

/* Runs fn in a child (privileges dropped when root, so that modes apply);
 * returns its exit status. */
static int in_child(int (*fn)(const char *), const char *d, int drop)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (drop && geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(99);
		_exit(fn(d));
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int write_in_readonly(const char *d)
{
	vault_writer_t *w = NULL;
	vault_err_t e = vault_writer_open(d, DOC, dockey, &w);
	if (e == VAULT_OK) {
		vault_writer_abort(w);
		return 1;
	}
	return e == VAULT_ERR_IO && errno == EACCES && w == NULL ? 0 : 2;
}

static int write_past_fsize(const char *d)
{
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = { 100000, 100000 };
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 3;
	vault_writer_t *w;
	if (vault_writer_open(d, DOC, dockey, &w) != VAULT_OK)
		return 4;
	uint8_t *data = pattern(300000, 5);
	vault_err_t e = vault_writer_write(w, data, 300000);
	free(data);
	if (e != VAULT_ERR_IO)
		return 5;
	if (vault_writer_write(w, "x", 1) != VAULT_ERR_STATE)
		return 6;
	return vault_writer_close(w) == VAULT_ERR_STATE ? 0 : 7;
}

static void test_no_temp_left(void **state)
{
	(void)state;
	char *sub = xasprintf("%s/blobs", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	uint8_t *data = pattern(200000, 8);
	/* Success: only the blob file. */
	assert_int_equal(vault_blob_put(sub, DOC, dockey, data, 200000), VAULT_OK);
	assert_int_equal(count_files(sub, 0), 1);
	assert_int_equal(count_files(sub, 1), 0);
	/* Abort halfway. */
	vault_writer_t *w;
	assert_int_equal(vault_writer_open(sub, "fax_abort", dockey, &w), VAULT_OK);
	assert_int_equal(count_files(sub, 1), 1);
	assert_int_equal(vault_writer_write(w, data, 100000), VAULT_OK);
	vault_writer_abort(w);
	assert_int_equal(count_files(sub, 0), 1);
	/* Read-only directory: nothing created. */
	assert_int_equal(chmod(sub, 0555), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(in_child(write_in_readonly, sub, 1), 0);
	assert_int_equal(chmod(sub, 0700), 0);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(count_files(sub, 0), 1);
	/* A write that fails (file size limit): temp removed, no blob. */
	assert_int_equal(in_child(write_past_fsize, sub, 0), 0);
	assert_int_equal(count_files(sub, 0), 1);
	/* The rename fails (a directory holds the name): temp removed and the
	 * directory untouched. */
	char *clash = vault_blob_path(sub, "fax_clash");
	assert_int_equal(mkdir(clash, 0700), 0);
	char *inner = xasprintf("%s/x", clash);
	spit(inner, (const uint8_t *)"x", 1);
	vault_err_t e = vault_blob_put(sub, "fax_clash", dockey, data, 1000);
	assert_int_equal(e, VAULT_ERR_IO);
	assert_int_equal(count_files(sub, 1), 0);
	assert_int_equal(count_files(sub, 0), 2);
	unlink(inner);
	rmdir(clash);
	/* A directory that does not exist. */
	char *none = xasprintf("%s/none", dir);
	assert_int_equal(vault_writer_open(none, DOC, dockey, &w), VAULT_ERR_NOT_FOUND);
	/* A replaced document keeps a single file; the old one stays readable
	 * until the new one is complete. */
	assert_int_equal(vault_writer_open(sub, DOC, dockey, &w), VAULT_OK);
	assert_int_equal(vault_writer_write(w, data, 10), VAULT_OK);
	uint8_t *back;
	size_t len;
	assert_int_equal(vault_blob_get(sub, DOC, dockey, SIZE_MAX, &back, &len), VAULT_OK);
	assert_int_equal(len, 200000);
	free(back);
	assert_int_equal(vault_writer_close(w), VAULT_OK);
	assert_int_equal(vault_blob_get(sub, DOC, dockey, SIZE_MAX, &back, &len), VAULT_OK);
	assert_int_equal(len, 10);
	free(back);
	assert_int_equal(count_files(sub, 0), 1);
	/* Leftovers of a crash are swept; with an age, only the older ones (a
	 * writer of another node may be filling a fresh one). */
	char *left = xasprintf("%s/%sfax_x-abcdef", sub, VAULT_TEMP_PREFIX);
	spit(left, (const uint8_t *)"partial", 7);
	int removed = -1;
	assert_int_equal(vault_sweep_temp(sub, 3600, &removed), VAULT_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(count_files(sub, 0), 2);
	struct timespec old[2] = { { .tv_sec = time(NULL) - 3700 }, { .tv_sec = time(NULL) - 3700 } };
	assert_int_equal(utimensat(AT_FDCWD, left, old, 0), 0);
	assert_int_equal(vault_sweep_temp(sub, 3600, &removed), VAULT_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(count_files(sub, 0), 1);
	spit(left, (const uint8_t *)"partial", 7);
	assert_int_equal(vault_sweep_temp(sub, 0, &removed), VAULT_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(count_files(sub, 0), 1);
	free(left);
	free(none);
	free(inner);
	free(clash);
	free(data);
	free(sub);
}

static void test_crypto_shredding(void **state)
{
	(void)state;
	/* The caller's table: one wrapped key per document. */
	uint8_t wrapped[VAULT_WRAPPED_LEN];
	vault_key_t *k;
	assert_int_equal(vault_doc_key_new(acckey, ACC, "fax_shred", wrapped, &k), VAULT_OK);
	uint8_t *data = pattern(150000, 11);
	assert_int_equal(vault_blob_put(dir, "fax_shred", k, data, 150000), VAULT_OK);
	vault_key_free(k);
	/* A later read: unwrap from the table, then read. */
	assert_int_equal(vault_doc_key_unwrap(acckey, ACC, "fax_shred", wrapped, sizeof wrapped, &k),
		VAULT_OK);
	uint8_t *back;
	size_t len;
	assert_int_equal(vault_blob_get(dir, "fax_shred", k, SIZE_MAX, &back, &len), VAULT_OK);
	assert_memory_equal(back, data, 150000);
	free(back);
	vault_key_free(k);
	/* Shred: the row holding the wrapped key is gone. A copy of the file
	 * (a backup) is still there, but no key opens it. */
	sodium_memzero(wrapped, sizeof wrapped);
	k = (vault_key_t *)1;
	assert_int_equal(vault_doc_key_unwrap(acckey, ACC, "fax_shred", wrapped, sizeof wrapped, &k),
		VAULT_ERR_WRAPPED_FORMAT);
	assert_null(k);
	uint8_t fresh[VAULT_WRAPPED_LEN];
	assert_int_equal(vault_doc_key_new(acckey, ACC, "fax_shred", fresh, &k), VAULT_OK);
	vault_reader_t *r = (vault_reader_t *)1;
	assert_int_equal(vault_reader_open(dir, "fax_shred", k, &r), VAULT_ERR_WRONG_KEY);
	assert_null(r);
	vault_key_free(k);
	/* Then the file itself. */
	assert_int_equal(vault_blob_remove(dir, "fax_shred"), VAULT_OK);
	assert_int_equal(vault_blob_remove(dir, "fax_shred"), VAULT_ERR_NOT_FOUND);
	assert_int_equal(vault_blob_remove(dir, "../x"), VAULT_ERR_ARG);
	free(data);
}

/* Builds a version-1 file by hand (as another writer would) with chunks
 * of chunk bytes: the reader must follow the header's chunk size. */
static void handmade(size_t chunk, const uint8_t *data, size_t n)
{
	size_t records = n / chunk + 1;
	size_t fl = VAULT_HEADER_LEN + n + records * 21;
	uint8_t *f = xcalloc(1, fl);
	memcpy(f, "FVVAULT", 8);
	f[9] = 1;
	f[11] = VAULT_HEADER_LEN;
	for (int i = 0; i < 4; i++)
		f[12 + i] = (uint8_t)(chunk >> (24 - 8 * i));
	for (int i = 0; i < 8; i++)
		f[16 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	f[24] = (uint8_t)strlen(DOC);
	memcpy(f + 32, DOC, strlen(DOC));
	uint8_t sk[32], mk[32];
	vault_subkey(dockey, VAULT_SUBKEY_ID, f + 96, 16);
	vault_subkey(dockey, VAULT_SUBKEY_STREAM, sk, sizeof sk);
	vault_subkey(dockey, VAULT_SUBKEY_MAC, mk, sizeof mk);
	crypto_secretstream_xchacha20poly1305_state st;
	crypto_secretstream_xchacha20poly1305_init_push(&st, f + 112, sk);
	crypto_generichash(f + 136, 32, f, 136, mk, sizeof mk);
	uint8_t *p = f + VAULT_HEADER_LEN;
	for (size_t r = 0; r < records; r++) {
		int last = r + 1 == records;
		size_t k = last ? n % chunk : chunk;
		p[0] = (uint8_t)(r >> 24);
		p[1] = (uint8_t)(r >> 16);
		p[2] = (uint8_t)(r >> 8);
		p[3] = (uint8_t)r;
		crypto_secretstream_xchacha20poly1305_push(&st, p + 4, NULL, data + r * chunk, k, p, 4,
			last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
		p += 4 + k + 17;
	}
	assert_true(p == f + fl);
	assert_int_equal(fl, vault_blob_size(n, (uint32_t)chunk));
	char *path = blob(DOC);
	spit(path, f, fl);
	free(path);
	free(f);
}

static void test_other_chunk_sizes(void **state)
{
	(void)state;
	size_t chunks[] = { VAULT_CHUNK_MIN, 1000, VAULT_CHUNK_MAX };
	size_t sizes[] = { 0, 1, 3000, 2 * 1024 * 1024 };
	uint8_t *data = pattern(2 * 1024 * 1024, 21);
	for (size_t c = 0; c < 3; c++) {
		for (size_t i = 0; i < 4; i++) {
			handmade(chunks[c], data, sizes[i]);
			uint8_t *back;
			size_t len;
			assert_int_equal(vault_blob_get(dir, DOC, dockey, SIZE_MAX, &back, &len), VAULT_OK);
			assert_int_equal(len, sizes[i]);
			assert_memory_equal(back, data, sizes[i]);
			free(back);
		}
	}
	free(data);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = VAULT_OK; e <= VAULT_ERR_STATE; e++) {
		const char *s = vault_strerror((vault_err_t)e);
		assert_non_null(s);
		assert_string_not_equal(s, "unknown vault error");
	}
	assert_string_equal(vault_strerror((vault_err_t)999), "unknown vault error");
	assert_true(vault_id_valid("fax_0123-ABC"));
	assert_false(vault_id_valid("fax.1"));
	assert_false(vault_id_valid(NULL));
}

/* Small secrets: sealed in a scope (an account's key or the provider's),
 * opened only with the same key, scope, purpose and owner; the clear text
 * is nowhere in the sealed text; altered or malformed text is refused. */
static void test_secrets(void **state)
{
	(void)state;
	static const char *const seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
	uint8_t wa[VAULT_WRAPPED_LEN], wb[VAULT_WRAPPED_LEN];
	assert_int_equal(vault_account_key_new(master, "acc_A", wa, NULL), VAULT_OK);
	assert_int_equal(vault_account_key_new(master, "acc_B", wb, NULL), VAULT_OK);
	vault_scope_t a = { "acc_A", wa, sizeof wa }, b = { "acc_B", wb, sizeof wb };
	vault_scope_t a_with_b = { "acc_A", wb, sizeof wb }, prov = { NULL, NULL, 0 };
	char *sealed = NULL, *again = NULL, *open = NULL;

	assert_int_equal(vault_secret_seal(master, &a, "totp", "usr_1", seed, &sealed), VAULT_OK);
	assert_true(vault_secret_is_sealed(sealed));
	assert_null(strstr(sealed, seed));
	assert_null(strstr(sealed, "JBSWY3DP"));
	assert_int_equal(vault_secret_open(master, &a, "totp", "usr_1", sealed, &open), VAULT_OK);
	assert_string_equal(open, seed);
	vault_secret_free(open);
	/* A fresh nonce each time: the same secret seals differently. */
	assert_int_equal(vault_secret_seal(master, &a, "totp", "usr_1", seed, &again), VAULT_OK);
	assert_string_not_equal(sealed, again);
	free(again);

	/* Another owner, purpose, account, account key, scope or master: no. */
	struct {
		const vault_scope_t *scope;
		const char *purpose, *owner;
	} wrong[] = {
		{ &a, "totp", "usr_2" }, { &a, "webhook", "usr_1" }, { &b, "totp", "usr_1" },
		{ &prov, "totp", "usr_1" },
	};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		assert_int_equal(vault_secret_open(master, wrong[i].scope, wrong[i].purpose,
					 wrong[i].owner, sealed, &open), VAULT_ERR_UNWRAP);
		assert_null(open);
	}
	/* acc_B's wrapped key presented as acc_A's does not even unwrap. */
	assert_int_equal(vault_secret_open(master, &a_with_b, "totp", "usr_1", sealed, &open),
		VAULT_ERR_UNWRAP);
	char *mp = xasprintf("%s/other.key", dir);
	vault_key_t *other = NULL;
	assert_int_equal(vault_master_load(mp, 1, &other), VAULT_OK);
	free(mp);
	assert_int_equal(vault_secret_open(other, &prov, "trunk", "carrier", sealed, &open),
		VAULT_ERR_UNWRAP);

	/* The provider's scope: its own key, not an account's. */
	char *tp = NULL;
	assert_int_equal(vault_secret_seal(master, &prov, "trunk", "carrier", "digest-pw", &tp), VAULT_OK);
	assert_int_equal(vault_secret_open(master, &prov, "trunk", "carrier", tp, &open), VAULT_OK);
	assert_string_equal(open, "digest-pw");
	vault_secret_free(open);
	assert_int_equal(vault_secret_open(other, &prov, "trunk", "carrier", tp, &open), VAULT_ERR_UNWRAP);
	assert_int_equal(vault_secret_open(master, &a, "trunk", "carrier", tp, &open), VAULT_ERR_UNWRAP);
	vault_key_free(other);

	/* Every byte of the sealed text matters. */
	size_t pre = strlen(VAULT_SECRET_PREFIX);
	for (size_t i = pre; sealed[i]; i++) {
		char keep = sealed[i];
		sealed[i] = keep == 'A' ? 'B' : 'A';
		vault_err_t e = vault_secret_open(master, &a, "totp", "usr_1", sealed, &open);
		/* a changed last character may leave the bytes as they were
		 * (base64 without padding has spare bits there) */
		assert_true(e == VAULT_ERR_UNWRAP || e == VAULT_ERR_ARG ||
			(e == VAULT_OK && sealed[i + 1] == '\0'));
		vault_secret_free(open);
		open = NULL;
		sealed[i] = keep;
	}
	/* Truncated, extended, not sealed text, bad arguments. */
	char *cut = xstrdup(sealed);
	cut[strlen(cut) - 4] = '\0';
	assert_int_equal(vault_secret_open(master, &a, "totp", "usr_1", cut, &open), VAULT_ERR_UNWRAP);
	free(cut);
	char *longer = xasprintf("%s!", sealed);
	assert_int_equal(vault_secret_open(master, &a, "totp", "usr_1", longer, &open), VAULT_ERR_ARG);
	free(longer);
	assert_int_equal(vault_secret_open(master, &a, "totp", "usr_1", seed, &open), VAULT_ERR_ARG);
	assert_int_equal(vault_secret_open(master, &a, "totp", "usr_1", "sealed1:", &open), VAULT_ERR_ARG);
	assert_int_equal(vault_secret_open(master, &a, "totp", "usr_1", "sealed1:AAAA", &open), VAULT_ERR_ARG);
	assert_false(vault_secret_is_sealed(NULL));
	assert_int_equal(vault_secret_seal(master, &a, "totp", "usr_1", "", &again), VAULT_ERR_ARG);
	assert_int_equal(vault_secret_seal(master, &a, "TOTP", "usr_1", seed, &again), VAULT_ERR_ARG);
	assert_int_equal(vault_secret_seal(master, &a, "totp", "usr 1", seed, &again), VAULT_ERR_ARG);
	assert_int_equal(vault_secret_seal(master, &a, "totp", NULL, seed, &again), VAULT_ERR_ARG);
	assert_int_equal(vault_secret_seal(NULL, &a, "totp", "usr_1", seed, &again), VAULT_ERR_ARG);
	assert_int_equal(vault_secret_seal(master, NULL, "totp", "usr_1", seed, &again), VAULT_ERR_ARG);
	vault_scope_t short_key = { "acc_A", wa, sizeof wa - 1 };
	assert_int_equal(vault_secret_seal(master, &short_key, "totp", "usr_1", seed, &again), VAULT_ERR_ARG);
	assert_null(again);
	/* The longest secret seals and opens; one byte more is refused. */
	char big[VAULT_SECRET_MAX + 2];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(vault_secret_seal(master, &b, "webhook", "whk_1", big, &again), VAULT_ERR_ARG);
	big[VAULT_SECRET_MAX] = '\0';
	assert_int_equal(vault_secret_seal(master, &b, "webhook", "whk_1", big, &again), VAULT_OK);
	assert_int_equal(vault_secret_open(master, &b, "webhook", "whk_1", again, &open), VAULT_OK);
	assert_string_equal(open, big);
	vault_secret_free(open);
	free(again);
	free(tp);
	free(sealed);
}

/* Master key rotation: an account's secrets open under the new master once
 * the account key is rewrapped (nothing else to do); the provider's are
 * rewrapped one by one, then open under the new master only. */
static void test_secret_rotation(void **state)
{
	(void)state;
	char *mp = xasprintf("%s/rotated.key", dir);
	vault_key_t *next = NULL;
	assert_int_equal(vault_master_load(mp, 1, &next), VAULT_OK);
	free(mp);
	uint8_t wa[VAULT_WRAPPED_LEN], wa2[VAULT_WRAPPED_LEN];
	assert_int_equal(vault_account_key_new(master, "acc_R", wa, NULL), VAULT_OK);
	vault_scope_t a = { "acc_R", wa, sizeof wa }, a2 = { "acc_R", wa2, sizeof wa2 };
	char *hook = NULL, *trunk = NULL, *moved = NULL, *open = NULL;
	assert_int_equal(vault_secret_seal(master, &a, "webhook", "whk_R", "whsec_abc", &hook), VAULT_OK);
	const vault_scope_t prov = { NULL, NULL, 0 };
	assert_int_equal(vault_secret_seal(master, &prov, "trunk", "carrier", "digest-pw", &trunk),
		VAULT_OK);

	/* The account: its key rewrapped, its secret as stored opens. */
	assert_int_equal(vault_account_key_rewrap(master, next, "acc_R", wa, sizeof wa, wa2), VAULT_OK);
	assert_int_equal(vault_secret_open(next, &a2, "webhook", "whk_R", hook, &open), VAULT_OK);
	assert_string_equal(open, "whsec_abc");
	vault_secret_free(open);

	/* The provider: as stored, it does not open under the new master… */
	assert_int_equal(vault_secret_open(next, &prov, "trunk", "carrier", trunk, &open),
		VAULT_ERR_UNWRAP);
	/* …rewrapped, it does, and no longer under the old one. */
	assert_int_equal(vault_secret_rewrap(master, next, "trunk", "carrier", trunk, &moved), VAULT_OK);
	assert_true(vault_secret_is_sealed(moved));
	assert_int_equal(vault_secret_open(next, &prov, "trunk", "carrier", moved, &open), VAULT_OK);
	assert_string_equal(open, "digest-pw");
	vault_secret_free(open);
	assert_int_equal(vault_secret_open(master, &prov, "trunk", "carrier", moved, &open),
		VAULT_ERR_UNWRAP);
	free(moved);
	moved = NULL;
	/* Bound as before: another owner or purpose, or the wrong old master,
	 * gives nothing. */
	assert_int_equal(vault_secret_rewrap(master, next, "trunk", "other", trunk, &moved),
		VAULT_ERR_UNWRAP);
	assert_int_equal(vault_secret_rewrap(master, next, "totp", "carrier", trunk, &moved),
		VAULT_ERR_UNWRAP);
	assert_int_equal(vault_secret_rewrap(next, master, "trunk", "carrier", trunk, &moved),
		VAULT_ERR_UNWRAP);
	assert_int_equal(vault_secret_rewrap(master, NULL, "trunk", "carrier", trunk, &moved),
		VAULT_ERR_ARG);
	assert_null(moved);
	free(trunk);
	free(hook);
	vault_key_free(next);
}

int main(void)
{
	log_set_level(LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_no_plaintext_on_disk),
		cmocka_unit_test(test_wrapping),
		cmocka_unit_test(test_flipped_bytes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_swapped_chunks),
		cmocka_unit_test(test_wrong_key_and_binding),
		cmocka_unit_test(test_header_parse),
		cmocka_unit_test(test_master_file),
		cmocka_unit_test(test_no_temp_left),
		cmocka_unit_test(test_crypto_shredding),
		cmocka_unit_test(test_other_chunk_sizes),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_secret_rotation),
		cmocka_unit_test(test_master_rotated_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
