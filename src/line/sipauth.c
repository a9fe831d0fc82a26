/* Digest authentication of carriers' requests (see sipauth.h). */
#include "sipauth.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sec.h"
#include "xalloc.h"

#define KEY_LEN 32
#define SALT_LEN 8
#define MAC_LEN 16
#define NONCE_HEX (2 * (8 + SALT_LEN + MAC_LEN)) /* time, salt, MAC */
#define REQ_LEN 16
#define FUTURE_SLACK_S 5 /* a nonce "from the future": another clock; refused beyond this */

struct seen {
	int used;
	int64_t ts;
	uint8_t salt[SALT_LEN];
	unsigned nc;
	uint8_t req[REQ_LEN]; /* the request the highest nc came with */
};

struct sipauth {
	pthread_mutex_t mu;
	uint8_t key[KEY_LEN];
	char realm[64];
	int ttl_s;
	int64_t floor_ts; /* nonces made at or before this are stale (window overflow) */
	struct seen win[SIPAUTH_WINDOW];
};

sipauth_t *sipauth_new(const char *realm, int ttl_s)
{
	if (!realm || strlen(realm) >= sizeof ((sipauth_t *)0)->realm || strpbrk(realm, "\"\\"))
		return NULL;
	for (const char *p = realm; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return NULL;
	sipauth_t *a = xcalloc(1, sizeof *a);
	pthread_mutex_init(&a->mu, NULL);
	sec_random(a->key, sizeof a->key);
	snprintf(a->realm, sizeof a->realm, "%s", realm);
	a->ttl_s = ttl_s > 0 ? ttl_s : SIPAUTH_TTL_S;
	a->floor_ts = INT64_MIN;
	return a;
}

void sipauth_free(sipauth_t *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->mu);
	OPENSSL_cleanse(a->key, sizeof a->key);
	free(a);
}

/* The MAC of a nonce made at ts with salt for src. */
static void nonce_mac(const sipauth_t *a, uint64_t ts, const uint8_t salt[SALT_LEN], const char *src,
	uint8_t mac[MAC_LEN])
{
	char msg[128];
	char shex[2 * SALT_LEN + 1];
	sec_hex(salt, SALT_LEN, shex);
	int n = snprintf(msg, sizeof msg, "%016llx:%s:%s", (unsigned long long)ts, shex, src ? src : "");
	if (n < 0 || (size_t)n >= sizeof msg)
		n = (int)sizeof msg - 1;
	uint8_t full[SEC_SHA256_LEN];
	sec_hmac_sha256(a->key, sizeof a->key, msg, (size_t)n, full);
	memcpy(mac, full, MAC_LEN);
}

int sipauth_challenge(sipauth_t *a, const char *src, int64_t now, int stale, char *out, size_t cap)
{
	if (!a || !out || cap < SIPAUTH_CHALLENGE_MAX)
		return -1;
	uint8_t salt[SALT_LEN], mac[MAC_LEN];
	sec_random(salt, sizeof salt);
	uint64_t ts = (uint64_t)now;
	nonce_mac(a, ts, salt, src, mac);
	char shex[2 * SALT_LEN + 1], mhex[2 * MAC_LEN + 1];
	sec_hex(salt, SALT_LEN, shex);
	sec_hex(mac, MAC_LEN, mhex);
	int n = snprintf(out, cap, "Digest realm=\"%s\", nonce=\"%016llx%s%s\", algorithm=MD5, qop=\"auth\"%s",
		a->realm, (unsigned long long)ts, shex, mhex, stale ? ", stale=true" : "");
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* n bytes from exactly 2n hex digits at s: 0 / -1. */
static int unhex(const char *s, size_t n, uint8_t *out)
{
	size_t got = 0;
	return sodium_hex2bin(out, n, s, 2 * n, NULL, &got, NULL) == 0 && got == n ? 0 : -1;
}

/* Records (ts, salt) with nc for request req, under a->mu: the verdict. */
static sipauth_verdict_t window_check(sipauth_t *a, int64_t ts, const uint8_t salt[SALT_LEN], unsigned nc,
	const uint8_t req[REQ_LEN], int64_t now)
{
	struct seen *slot = NULL, *oldest = NULL;
	for (int i = 0; i < SIPAUTH_WINDOW; i++) {
		struct seen *e = &a->win[i];
		if (e->used && e->ts == ts && memcmp(e->salt, salt, SALT_LEN) == 0) {
			if (nc > e->nc) {
				e->nc = nc;
				memcpy(e->req, req, REQ_LEN);
				return SIPAUTH_OK;
			}
			return nc == e->nc && memcmp(e->req, req, REQ_LEN) == 0 ? SIPAUTH_OK : SIPAUTH_REPLAY;
		}
		if (e->used && now - e->ts > a->ttl_s + FUTURE_SLACK_S)
			e->used = 0; /* expired: its nonce is refused as stale anyway */
		if (!e->used && !slot)
			slot = e;
		if (e->used && (!oldest || e->ts < oldest->ts))
			oldest = e;
	}
	if (!slot) {
		/* Full of live nonces: forget the oldest, and make every nonce
		 * not newer than it stale, so it cannot come back as new. */
		slot = oldest;
		if (slot->ts > a->floor_ts)
			a->floor_ts = slot->ts;
		if (ts <= a->floor_ts)
			return SIPAUTH_STALE;
	}
	slot->used = 1;
	slot->ts = ts;
	memcpy(slot->salt, salt, SALT_LEN);
	slot->nc = nc;
	memcpy(slot->req, req, REQ_LEN);
	return SIPAUTH_OK;
}

sipauth_verdict_t sipauth_verify_ha1(sipauth_t *a, const digest_cred_t *cr, const char *user,
	const char *ha1_md5, const char *ha1_sha256, const char *method, const char *ruri, const char *src,
	int64_t now, const char *request)
{
	const char *ha1 = cr && cr->alg == DIGEST_SHA256 ? ha1_sha256 : ha1_md5;
	if (!a || !cr || !user || !ha1 || !*ha1 || !method || !ruri)
		return SIPAUTH_BAD;
	/* Our nonce, for this source. */
	uint8_t tsb[8], salt[SALT_LEN], mac[MAC_LEN], want[MAC_LEN];
	if (strlen(cr->nonce) != NONCE_HEX || unhex(cr->nonce, 8, tsb) != 0 ||
	    unhex(cr->nonce + 16, SALT_LEN, salt) != 0 || unhex(cr->nonce + 16 + 2 * SALT_LEN, MAC_LEN, mac) != 0)
		return SIPAUTH_BAD;
	uint64_t ts = 0;
	for (int i = 0; i < 8; i++)
		ts = ts << 8 | tsb[i];
	nonce_mac(a, ts, salt, src, want);
	if (!sec_equal(mac, want, MAC_LEN))
		return SIPAUTH_BAD;
	/* The right user, realm and request, with qop=auth and a nonce count. */
	if (strcmp(cr->username, user) != 0 || strcmp(cr->realm, a->realm) != 0 || strcmp(cr->uri, ruri) != 0 ||
	    !cr->qop_auth || cr->nc == 0)
		return SIPAUTH_BAD;
	char expect[DIGEST_HEX_MAX], got[DIGEST_HEX_MAX];
	digest_compute_ha1(cr->alg, ha1, method, ruri, cr->nonce, cr->cnonce, cr->nc, expect);
	size_t n = strlen(cr->response);
	for (size_t i = 0; i <= n; i++)
		got[i] = (char)(cr->response[i] >= 'A' && cr->response[i] <= 'F' ? cr->response[i] + 32 : cr->response[i]);
	if (n != strlen(expect) || !sec_equal(got, expect, n))
		return SIPAUTH_BAD;
	/* The right answer: now its age, then the nonce count. */
	int64_t its = (int64_t)ts;
	if (ts > (uint64_t)INT64_MAX || now - its > a->ttl_s || its - now > FUTURE_SLACK_S)
		return SIPAUTH_STALE;
	uint8_t full[SEC_SHA256_LEN], req[REQ_LEN];
	sec_sha256(request ? request : "", request ? strlen(request) : 0, full);
	memcpy(req, full, REQ_LEN);
	pthread_mutex_lock(&a->mu);
	sipauth_verdict_t v = its <= a->floor_ts ? SIPAUTH_STALE : window_check(a, its, salt, cr->nc, req, now);
	pthread_mutex_unlock(&a->mu);
	return v;
}

sipauth_verdict_t sipauth_verify(sipauth_t *a, const digest_cred_t *cr, const char *user,
	const char *password, const char *method, const char *ruri, const char *src, int64_t now,
	const char *request)
{
	if (!a || !cr || !user || !password)
		return SIPAUTH_BAD;
	char md5[DIGEST_HEX_MAX], sha[DIGEST_HEX_MAX];
	digest_ha1(DIGEST_MD5, user, a->realm, password, md5);
	digest_ha1(DIGEST_SHA256, user, a->realm, password, sha);
	sipauth_verdict_t v = sipauth_verify_ha1(a, cr, user, md5, sha, method, ruri, src, now, request);
	OPENSSL_cleanse(md5, sizeof md5);
	OPENSSL_cleanse(sha, sizeof sha);
	return v;
}

const char *sipauth_verdict_name(sipauth_verdict_t v)
{
	switch (v) {
	case SIPAUTH_OK:
		return "ok";
	case SIPAUTH_STALE:
		return "stale";
	case SIPAUTH_REPLAY:
		return "replay";
	default:
		return "bad";
	}
}
