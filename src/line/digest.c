/* Digest authentication (see digest.h). */
#include "digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void hash_hex(digest_alg_t alg, const char *s, char out[DIGEST_HEX_MAX])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(s, strlen(s), d, &n, alg == DIGEST_SHA256 ? EVP_sha256() : EVP_md5(), NULL);
	for (unsigned i = 0; i < n && 2 * i + 2 < DIGEST_HEX_MAX; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int copy_field(sip_str_t l, const char *name, char *out, size_t cap)
{
	sip_str_t v;
	out[0] = '\0';
	if (sip_param(l, name, &v) != 0)
		return -1;
	if (v.n >= cap)
		return -2;
	for (size_t i = 0; i < v.n; i++)
		if ((unsigned char)v.p[i] < 0x20 || (unsigned char)v.p[i] > 0x7e || v.p[i] == '"' ||
		    v.p[i] == '\\')
			return -2;
	memcpy(out, v.p, v.n);
	out[v.n] = '\0';
	return 0;
}

/* The parameter list of a "Digest ..." value as ", name=..., name=..."
 * in buf (sip_param looks for ';' or ',' before a name). 0 / -1. */
static int digest_list(sip_str_t hv, char *buf, size_t cap, sip_str_t *out)
{
	if (hv.n < 7 || !sip_str_eq((sip_str_t){hv.p, 6}, "Digest") || (hv.p[6] != ' ' && hv.p[6] != '\t'))
		return -1;
	sip_str_t list = {hv.p + 6, hv.n - 6};
	if (list.n + 1 >= cap)
		return -1;
	buf[0] = ',';
	memcpy(buf + 1, list.p, list.n);
	*out = (sip_str_t){buf, list.n + 1};
	return 0;
}

int digest_parse(sip_str_t hv, digest_chal_t *c)
{
	memset(c, 0, sizeof *c);
	char with_comma[1024];
	sip_str_t l2;
	if (digest_list(hv, with_comma, sizeof with_comma, &l2) != 0)
		return -1;
	if (copy_field(l2, "realm", c->realm, DIGEST_FIELD_MAX) == -2 ||
	    copy_field(l2, "nonce", c->nonce, DIGEST_FIELD_MAX) != 0 ||
	    copy_field(l2, "opaque", c->opaque, DIGEST_FIELD_MAX) == -2)
		return -1;
	char alg[DIGEST_FIELD_MAX];
	int ar = copy_field(l2, "algorithm", alg, DIGEST_FIELD_MAX);
	if (ar == -2 || (ar == 0 && strcasecmp(alg, "MD5") != 0))
		return -1;
	char qop[DIGEST_FIELD_MAX];
	if (copy_field(l2, "qop", qop, DIGEST_FIELD_MAX) == 0) {
		/* qop="auth,auth-int": we use auth when offered. */
		const char *q = qop;
		while (*q) {
			while (*q == ' ' || *q == ',')
				q++;
			size_t k = strcspn(q, ", ");
			if (k == 4 && strncasecmp(q, "auth", 4) == 0)
				c->qop_auth = 1;
			q += k;
		}
	}
	char stale[DIGEST_FIELD_MAX];
	if (copy_field(l2, "stale", stale, DIGEST_FIELD_MAX) == 0 && strcasecmp(stale, "true") == 0)
		c->stale = 1;
	return 0;
}

int digest_parse_credentials(sip_str_t hv, digest_cred_t *c)
{
	memset(c, 0, sizeof *c);
	char buf[2048];
	sip_str_t l;
	if (digest_list(hv, buf, sizeof buf, &l) != 0)
		return -1;
	if (copy_field(l, "username", c->username, sizeof c->username) != 0 || !c->username[0] ||
	    copy_field(l, "realm", c->realm, sizeof c->realm) != 0 ||
	    copy_field(l, "nonce", c->nonce, sizeof c->nonce) != 0 || !c->nonce[0] ||
	    copy_field(l, "uri", c->uri, sizeof c->uri) != 0 || !c->uri[0] ||
	    copy_field(l, "response", c->response, sizeof c->response) != 0 ||
	    copy_field(l, "opaque", c->opaque, sizeof c->opaque) == -2 ||
	    copy_field(l, "cnonce", c->cnonce, sizeof c->cnonce) == -2)
		return -1;
	char alg[16], qop[16], nc[16];
	int r = copy_field(l, "algorithm", alg, sizeof alg);
	if (r == -2 || (r == 0 && strcasecmp(alg, "MD5") != 0 && strcasecmp(alg, "SHA-256") != 0))
		return -1;
	c->alg = r == 0 && strcasecmp(alg, "SHA-256") == 0 ? DIGEST_SHA256 : DIGEST_MD5;
	size_t want = c->alg == DIGEST_SHA256 ? 64 : 32;
	if (strlen(c->response) != want || strspn(c->response, "0123456789abcdefABCDEF") != want)
		return -1;
	r = copy_field(l, "qop", qop, sizeof qop);
	if (r == -2 || (r == 0 && strcasecmp(qop, "auth") != 0))
		return -1;
	c->qop_auth = r == 0;
	r = copy_field(l, "nc", nc, sizeof nc);
	if (r == -2 || (r == 0 && (strlen(nc) != 8 || strspn(nc, "0123456789abcdefABCDEF") != 8)))
		return -1;
	if (r == 0)
		c->nc = (unsigned)strtoul(nc, NULL, 16);
	if (c->qop_auth && (r != 0 || !c->cnonce[0]))
		return -1;
	return 0;
}

void digest_ha1(digest_alg_t alg, const char *user, const char *realm, const char *password,
		char out[DIGEST_HEX_MAX])
{
	char tmp[1024];
	snprintf(tmp, sizeof tmp, "%s:%s:%s", user, realm, password);
	hash_hex(alg, tmp, out);
	OPENSSL_cleanse(tmp, sizeof tmp);
}

void digest_compute_ha1(digest_alg_t alg, const char *ha1, const char *method, const char *uri,
			const char *nonce, const char *cnonce, unsigned nc, char out[DIGEST_HEX_MAX])
{
	char ha2[DIGEST_HEX_MAX], tmp[1024];
	snprintf(tmp, sizeof tmp, "%s:%s", method, uri);
	hash_hex(alg, tmp, ha2);
	if (cnonce)
		snprintf(tmp, sizeof tmp, "%s:%s:%08x:%s:auth:%s", ha1, nonce, nc, cnonce, ha2);
	else
		snprintf(tmp, sizeof tmp, "%s:%s:%s", ha1, nonce, ha2);
	hash_hex(alg, tmp, out);
	OPENSSL_cleanse(tmp, sizeof tmp);
}

void digest_compute(digest_alg_t alg, const char *user, const char *realm, const char *password,
		    const char *method, const char *uri, const char *nonce, const char *cnonce,
		    unsigned nc, char out[DIGEST_HEX_MAX])
{
	char ha1[DIGEST_HEX_MAX];
	digest_ha1(alg, user, realm, password, ha1);
	digest_compute_ha1(alg, ha1, method, uri, nonce, cnonce, nc, out);
	OPENSSL_cleanse(ha1, sizeof ha1);
}

void digest_response(const digest_chal_t *c, const char *user, const char *password,
		     const char *method, const char *uri, const char *cnonce, unsigned nc,
		     char out[33])
{
	char r[DIGEST_HEX_MAX];
	digest_compute(DIGEST_MD5, user, c->realm, password, method, uri, c->nonce,
		       c->qop_auth ? cnonce : NULL, nc, r);
	memcpy(out, r, 33);
}

int digest_answer_ha1(buf_t *out, const digest_chal_t *c, const char *user, const char *ha1,
		      const char *method, const char *uri, const char *cnonce, unsigned nc)
{
	char resp[DIGEST_HEX_MAX];
	digest_compute_ha1(DIGEST_MD5, ha1, method, uri, c->nonce, c->qop_auth ? cnonce : NULL, nc, resp);
	int rc = buf_printf(out, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
				 "response=\"%s\", algorithm=MD5",
			    user, c->realm, c->nonce, uri, resp);
	if (rc == 0 && c->opaque[0])
		rc = buf_printf(out, ", opaque=\"%s\"", c->opaque);
	if (rc == 0 && c->qop_auth)
		rc = buf_printf(out, ", qop=auth, nc=%08x, cnonce=\"%s\"", nc, cnonce);
	return rc;
}

int digest_answer(buf_t *out, const digest_chal_t *c, const char *user, const char *password,
		  const char *method, const char *uri, const char *cnonce, unsigned nc)
{
	char ha1[DIGEST_HEX_MAX];
	digest_ha1(DIGEST_MD5, user, c->realm, password, ha1);
	int rc = digest_answer_ha1(out, c, user, ha1, method, uri, cnonce, nc);
	OPENSSL_cleanse(ha1, sizeof ha1);
	return rc;
}
