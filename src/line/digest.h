/* HTTP Digest authentication for SIP (RFC 2617 as used by RFC 3261 §22):
 * parse a WWW-Authenticate / Proxy-Authenticate challenge, answer it. */
#ifndef FV_LINE_DIGEST_H
#define FV_LINE_DIGEST_H

#include <stddef.h>

#include "buf.h"
#include "sipmsg.h"

#define DIGEST_FIELD_MAX 128

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

/* The response hash alone (32 hex + NUL into out), for tests. */
void digest_response(const digest_chal_t *c, const char *user, const char *password,
		     const char *method, const char *uri, const char *cnonce, unsigned nc,
		     char out[33]);

#endif
