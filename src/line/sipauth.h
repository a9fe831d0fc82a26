/* Digest authentication of the requests a carrier sends us (RFC 3261 §22,
 * RFC 2617 / 7616 from the server's side): the challenge of a 401 and the
 * check of the credentials that answer it.
 *
 * Nonces are checked statelessly: a nonce is the time it was made, a random
 * salt, and an HMAC-SHA256 over both and the source address under a key
 * drawn at random when the verifier is made (one per process: a restart
 * makes every outstanding nonce stale). A nonce is good for `ttl_s`
 * seconds, from the address it was given to only. The only state is the
 * nonce-count window: for each nonce used, the highest nc seen and the
 * request it came with, so a replayed answer is refused while a
 * retransmission of the same request (same Call-ID and CSeq, same nc)
 * passes. When the window is full its oldest entry goes, and every nonce
 * made no later than that entry's becomes stale (challenged again), so a
 * forgotten nonce can never be replayed.
 *
 * The verifier is shared by the threads of the carrier listeners: its
 * functions lock it. */
#ifndef FV_LINE_SIPAUTH_H
#define FV_LINE_SIPAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

#define SIPAUTH_TTL_S 30        /* default nonce lifetime */
#define SIPAUTH_WINDOW 1024     /* nonces remembered (nc window) */
#define SIPAUTH_CHALLENGE_MAX 256

typedef struct sipauth sipauth_t;

typedef enum {
	SIPAUTH_OK = 0,
	SIPAUTH_STALE,   /* a nonce of ours, too old (or forgotten): challenge again, stale=true */
	SIPAUTH_BAD,     /* not our nonce, not from this source, wrong user, realm, uri or response */
	SIPAUTH_REPLAY,  /* nc not above the last one seen with this nonce, for another request */
} sipauth_verdict_t;

/* A new verifier for realm (printable ASCII without quotes, at most 63
 * bytes) whose nonces live ttl_s seconds (0: SIPAUTH_TTL_S), with a new
 * random key. Owned by the caller: sipauth_free (NULL is a no-op). */
sipauth_t *sipauth_new(const char *realm, int ttl_s);
void sipauth_free(sipauth_t *a);

/* The value of a WWW-Authenticate header challenging a request from src
 * (the source address as text) at now (seconds): Digest with realm, a new
 * nonce, algorithm=MD5, qop="auth", and stale=true when stale. 0 / -1 (cap
 * too small: at least SIPAUTH_CHALLENGE_MAX). */
int sipauth_challenge(sipauth_t *a, const char *src, int64_t now, int stale, char *out, size_t cap);

/* Checks credentials cr of a request (method, request URI ruri as sent)
 * from src at now against user and password. request names the request
 * for the nc window (e.g. Call-ID and CSeq number). The response is
 * compared in constant time; the nonce must be ours, from src, not older
 * than the lifetime, and qop=auth. */
sipauth_verdict_t sipauth_verify(sipauth_t *a, const digest_cred_t *cr, const char *user,
	const char *password, const char *method, const char *ruri, const char *src, int64_t now,
	const char *request);

/* As sipauth_verify, with the HA1s of user, the verifier's realm and the
 * password (hex; MD5 and SHA-256, the one of the answer's algorithm used)
 * in place of the password: what the SIP front end is given. */
sipauth_verdict_t sipauth_verify_ha1(sipauth_t *a, const digest_cred_t *cr, const char *user,
	const char *ha1_md5, const char *ha1_sha256, const char *method, const char *ruri, const char *src,
	int64_t now, const char *request);

/* Name of a verdict for logs and metrics ("ok", "stale", "bad", "replay"). */
const char *sipauth_verdict_name(sipauth_verdict_t v);

#endif
