/* HTTP Digest authentication for SIP (RFC 2617 as used by RFC 3261 §22):
 * parse a WWW-Authenticate / Proxy-Authenticate challenge, answer it; on
 * the server side, parse an Authorization header's credentials and compute
 * the response they must carry (MD5, and SHA-256 of RFC 7616). Pure
 * functions, no allocation. */
#ifndef FV_LINE_DIGEST_H
#define FV_LINE_DIGEST_H

#include <stddef.h>

#include "buf.h"
#include "sipmsg.h"

#define DIGEST_FIELD_MAX 128
#define DIGEST_HEX_MAX 65 /* a SHA-256 response in hex, NUL included */

typedef enum { DIGEST_MD5, DIGEST_SHA256 } digest_alg_t;

typedef struct digest_chal {
	char realm[DIGEST_FIELD_MAX];
	char nonce[DIGEST_FIELD_MAX];
	char opaque[DIGEST_FIELD_MAX];
	int qop_auth;   /* the server offered qop=auth */
	int stale;
} digest_chal_t;

/* Parses a challenge header value ("Digest realm=..., nonce=..."). 0 / -1
 * (not Digest, no nonce, algorithm other than MD5, fields too long). */
int digest_parse(sip_str_t hv, digest_chal_t *c);

/* Appends the credentials value ("Digest username=..., response=...") for
 * method and uri; cnonce is used when qop=auth, with nonce count nc. 0 / -1. */
int digest_answer(buf_t *out, const digest_chal_t *c, const char *user, const char *password,
		  const char *method, const char *uri, const char *cnonce, unsigned nc);

/* As digest_answer, with the HA1 (MD5 of user:realm:password, 32 hex
 * digits) in place of the password: the realm must be c->realm's. */
int digest_answer_ha1(buf_t *out, const digest_chal_t *c, const char *user, const char *ha1,
		      const char *method, const char *uri, const char *cnonce, unsigned nc);

/* The response hash alone (32 hex + NUL into out), for tests. */
void digest_response(const digest_chal_t *c, const char *user, const char *password,
		     const char *method, const char *uri, const char *cnonce, unsigned nc,
		     char out[33]);

/* Credentials of an Authorization / Proxy-Authorization header (peer
 * text). Fields are "" when absent; nc is 0 when absent. */
typedef struct digest_cred {
	char username[DIGEST_FIELD_MAX];
	char realm[DIGEST_FIELD_MAX];
	char nonce[DIGEST_FIELD_MAX];
	char uri[DIGEST_FIELD_MAX * 2];
	char response[DIGEST_HEX_MAX];
	char cnonce[DIGEST_FIELD_MAX];
	char opaque[DIGEST_FIELD_MAX];
	digest_alg_t alg;  /* MD5 when absent */
	int qop_auth;      /* qop=auth (any other qop is refused) */
	unsigned nc;       /* nonce count, 8 hex digits */
} digest_cred_t;

/* Parses a credentials value ("Digest username=..., response=..."). 0, or -1
 * when it is not Digest, lacks username, realm, nonce, uri or response, has
 * a field too long or with a quote, backslash or control byte, names an
 * algorithm other than MD5 / SHA-256, a qop other than auth, an nc that is
 * not 8 hex digits, or qop=auth without cnonce and nc. */
int digest_parse_credentials(sip_str_t hv, digest_cred_t *c);

/* The response hash for alg into out (32 or 64 hex digits and a NUL):
 * RFC 2617 / 7616, with qop=auth when cnonce is not NULL (nonce count nc),
 * without qop (RFC 2069) when it is. */
void digest_compute(digest_alg_t alg, const char *user, const char *realm, const char *password,
		    const char *method, const char *uri, const char *nonce, const char *cnonce,
		    unsigned nc, char out[DIGEST_HEX_MAX]);

/* HA1 of RFC 2617 / 7616 (hex of alg over user:realm:password) into out. */
void digest_ha1(digest_alg_t alg, const char *user, const char *realm, const char *password,
		char out[DIGEST_HEX_MAX]);
/* digest_compute from the HA1 (hex, of alg) in place of user, realm and
 * password. */
void digest_compute_ha1(digest_alg_t alg, const char *ha1, const char *method, const char *uri,
			const char *nonce, const char *cnonce, unsigned nc, char out[DIGEST_HEX_MAX]);

#endif
