/* Digest authentication (see digest.h). */
#include "digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void md5_hex(const char *s, char out[33])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(s, strlen(s), d, &n, EVP_md5(), NULL);
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static int copy_param(sip_str_t hv, const char *name, char out[DIGEST_FIELD_MAX])
{
	sip_str_t v;
	out[0] = '\0';
	if (sip_param(hv, name, &v) != 0)
		return -1;
	if (v.n >= DIGEST_FIELD_MAX)
		return -2;
	for (size_t i = 0; i < v.n; i++)
		if ((unsigned char)v.p[i] < 0x20 || v.p[i] == '"' || v.p[i] == '\\')
			return -2;
	memcpy(out, v.p, v.n);
	out[v.n] = '\0';
	return 0;
}

int digest_parse(sip_str_t hv, digest_chal_t *c)
{
	memset(c, 0, sizeof *c);
	if (hv.n < 7 || !sip_str_eq((sip_str_t){hv.p, 6}, "Digest") || (hv.p[6] != ' ' && hv.p[6] != '\t'))
		return -1;
	/* sip_param looks for ';' or ',' before a name: present the list as
	 * ", realm=..., nonce=..." by starting at the space after "Digest". */
	sip_str_t list = {hv.p + 6, hv.n - 6};
	char with_comma[1024];
	if (list.n + 1 >= sizeof with_comma)
		return -1;
	with_comma[0] = ',';
	memcpy(with_comma + 1, list.p, list.n);
	sip_str_t l2 = {with_comma, list.n + 1};
	if (copy_param(l2, "realm", c->realm) == -2 || copy_param(l2, "nonce", c->nonce) != 0 ||
	    copy_param(l2, "opaque", c->opaque) == -2)
		return -1;
	char alg[DIGEST_FIELD_MAX];
	int ar = copy_param(l2, "algorithm", alg);
	if (ar == -2 || (ar == 0 && strcasecmp(alg, "MD5") != 0))
		return -1;
	char qop[DIGEST_FIELD_MAX];
	if (copy_param(l2, "qop", qop) == 0) {
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
	if (copy_param(l2, "stale", stale) == 0 && strcasecmp(stale, "true") == 0)
		c->stale = 1;
	return 0;
}

void digest_response(const digest_chal_t *c, const char *user, const char *password,
		     const char *method, const char *uri, const char *cnonce, unsigned nc,
		     char out[33])
{
	char ha1[33], ha2[33], tmp[1024];
	snprintf(tmp, sizeof tmp, "%s:%s:%s", user, c->realm, password);
	md5_hex(tmp, ha1);
	snprintf(tmp, sizeof tmp, "%s:%s", method, uri);
	md5_hex(tmp, ha2);
	if (c->qop_auth)
		snprintf(tmp, sizeof tmp, "%s:%s:%08x:%s:auth:%s", ha1, c->nonce, nc, cnonce, ha2);
	else
		snprintf(tmp, sizeof tmp, "%s:%s:%s", ha1, c->nonce, ha2);
	md5_hex(tmp, out);
}

int digest_answer(buf_t *out, const digest_chal_t *c, const char *user, const char *password,
		  const char *method, const char *uri, const char *cnonce, unsigned nc)
{
	char resp[33];
	digest_response(c, user, password, method, uri, cnonce, nc, resp);
	int rc = buf_printf(out, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
				 "response=\"%s\", algorithm=MD5",
			    user, c->realm, c->nonce, uri, resp);
	if (rc == 0 && c->opaque[0])
		rc = buf_printf(out, ", opaque=\"%s\"", c->opaque);
	if (rc == 0 && c->qop_auth)
		rc = buf_printf(out, ", qop=auth, nc=%08x, cnonce=\"%s\"", nc, cnonce);
	return rc;
}
