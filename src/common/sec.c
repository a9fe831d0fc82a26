/* Cryptographic primitives (see crypto.h). */
#include "sec.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

#include "xalloc.h"

static unsigned long long pw_ops;
static size_t pw_mem;
static char dummy_hash[SEC_PWHASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t pwhash_count;

int sec_init(void)
{
	if (sodium_init() < 0)
		return -1;
	if (!pw_ops) {
		pw_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		pw_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	}
	return 0;
}

void sec_sha256(const void *data, size_t len, uint8_t out[SEC_SHA256_LEN])
{
	unsigned int olen = 0;
	EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL);
}

void sec_hex(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void sec_sha256_hex(const void *data, size_t len, char out[SEC_SHA256_HEX])
{
	uint8_t md[SEC_SHA256_LEN];
	sec_sha256(data, len, md);
	sec_hex(md, sizeof md, out);
}

void sec_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
	uint8_t out[SEC_SHA256_LEN])
{
	unsigned int olen = 0;
	HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &olen);
}

void sec_random(void *out, size_t n)
{
	randombytes_buf(out, n);
}

char *sec_new_id(const char *prefix)
{
	static const char b32[] = "abcdefghijkmnpqrstuvwxyz23456789";
	uint8_t r[20];
	randombytes_buf(r, sizeof r);
	char body[21];
	for (int i = 0; i < 20; i++)
		body[i] = b32[r[i] & 31];
	body[20] = '\0';
	return xasprintf("%s_%s", prefix, body);
}

char *sec_new_id_at_from(const char *prefix, int64_t ms, const uint8_t r[SEC_ID_RANDOM])
{
	/* The alphabet of sec_new_id in byte order, so that ids sort as their
	 * times do. */
	static const char b32[] = "23456789abcdefghijkmnpqrstuvwxyz";
	uint64_t t = ms > 0 ? (uint64_t)ms : 0;
	char body[21];
	for (int i = 8; i >= 0; i--, t >>= 5)
		body[i] = b32[t & 31];
	for (int i = 0; i < SEC_ID_RANDOM; i++)
		body[9 + i] = b32[r[i] & 31];
	body[20] = '\0';
	return xasprintf("%s_%s", prefix, body);
}

char *sec_new_id_at(const char *prefix, int64_t ms)
{
	uint8_t r[SEC_ID_RANDOM];
	randombytes_buf(r, sizeof r);
	return sec_new_id_at_from(prefix, ms, r);
}

char *sec_new_token(const char *prefix)
{
	uint8_t r[32];
	randombytes_buf(r, sizeof r);
	char b64[64];
	sodium_bin2base64(b64, sizeof b64, r, sizeof r, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return xasprintf("%s%s", prefix, b64);
}

void sec_token_hash(const char *token, char out[SEC_SHA256_HEX])
{
	sec_sha256_hex(token, strlen(token), out);
}

void sec_pwhash_set_cost(unsigned long long ops, size_t mem)
{
	pw_ops = ops ? ops : crypto_pwhash_OPSLIMIT_INTERACTIVE;
	pw_mem = mem ? mem : crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

int sec_pwhash(const char *password, char out[SEC_PWHASH_MAX])
{
	_Static_assert(SEC_PWHASH_MAX >= crypto_pwhash_STRBYTES, "pwhash buffer");
	if (!pw_ops)
		sec_init();
	atomic_fetch_add(&pwhash_count, 1);
	return crypto_pwhash_str_alg(out, password, strlen(password), pw_ops, pw_mem,
		crypto_pwhash_ALG_ARGON2ID13);
}

int sec_pwhash_verify(const char *encoded, const char *password)
{
	if (!encoded || !password)
		return 0;
	atomic_fetch_add(&pwhash_count, 1);
	return crypto_pwhash_str_verify(encoded, password, strlen(password)) == 0;
}

static void make_dummy(void)
{
	char pw[33];
	uint8_t r[16];
	randombytes_buf(r, sizeof r);
	sec_hex(r, sizeof r, pw);
	if (sec_pwhash(pw, dummy_hash) != 0)
		dummy_hash[0] = '\0';
}

uint64_t sec_pwhash_count(void)
{
	return atomic_load(&pwhash_count);
}

const char *sec_pwhash_dummy(void)
{
	pthread_once(&dummy_once, make_dummy);
	return dummy_hash;
}

int sec_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}
