/* Cryptographic primitives used across faxvault, in one place:
 * SHA-256 and HMAC (OpenSSL), random tokens and ids, Argon2id password
 * hashes and constant-time comparison (libsodium). */
#ifndef FV_SEC_H
#define FV_SEC_H

#include <stddef.h>
#include <stdint.h>

#define SEC_SHA256_LEN 32
#define SEC_SHA256_HEX (SEC_SHA256_LEN * 2 + 1)
/* Argon2id encoded hash strings are at most this long, NUL included. */
#define SEC_PWHASH_MAX 128

/* Must be called once before any other function; 0 / -1. */
int sec_init(void);

void sec_sha256(const void *data, size_t len, uint8_t out[SEC_SHA256_LEN]);
/* Hex of SHA-256 into out (SEC_SHA256_HEX bytes). */
void sec_sha256_hex(const void *data, size_t len, char out[SEC_SHA256_HEX]);
void sec_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
	uint8_t out[SEC_SHA256_LEN]);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void sec_hex(const uint8_t *in, size_t n, char *out);
void sec_random(void *out, size_t n);

/* A new opaque identifier "PREFIX_" + 20 base32 chars (100 bits of entropy),
 * e.g. "acc_…". Returned string is owned by the caller. */
char *sec_new_id(const char *prefix);
/* The same shape, ordered by time: 9 chars of ms (milliseconds since the
 * epoch, modulo 2^45) in an order that sorts as bytes do, then 11 random
 * chars (55 bits). Ids made in later milliseconds sort after, so an index
 * on them grows at its right edge (audit events). Owned by the caller. */
char *sec_new_id_at(const char *prefix, int64_t ms);
/* The same with its random part from r (SEC_ID_RANDOM bytes the caller
 * drew, with other random bytes it needs: one system call for both). */
#define SEC_ID_RANDOM 11
char *sec_new_id_at_from(const char *prefix, int64_t ms, const uint8_t r[SEC_ID_RANDOM]);
/* A new secret token "PREFIX" + 43 url-safe base64 chars (256 bits),
 * e.g. "fvs_…". Owned by the caller. Store only its sec_token_hash(). */
char *sec_new_token(const char *prefix);
/* Hex SHA-256 of a token, the form in which tokens are stored. */
void sec_token_hash(const char *token, char out[SEC_SHA256_HEX]);

/* Argon2id hash of password into out (SEC_PWHASH_MAX). 0 / -1.
 * `interactive` selects libsodium's interactive limits; tests may lower
 * them with sec_pwhash_set_cost(). */
int sec_pwhash(const char *password, char out[SEC_PWHASH_MAX]);
/* 1 when password matches the encoded hash, 0 otherwise (constant time). */
int sec_pwhash_verify(const char *encoded, const char *password);
/* Sets Argon2id ops and memory (bytes); 0 keeps libsodium's interactive ones. */
void sec_pwhash_set_cost(unsigned long long ops, size_t mem);
/* A valid hash of a random password, for equal-time checks of unknown users. */
const char *sec_pwhash_dummy(void);
/* How many Argon2id hashes (sec_pwhash, sec_pwhash_verify) this process
 * has computed: what a flood of logins costs, and what tests count. */
uint64_t sec_pwhash_count(void);

/* Constant-time equality of two equal-length byte strings: 1 equal, 0 not. */
int sec_equal(const void *a, const void *b, size_t n);

#endif
