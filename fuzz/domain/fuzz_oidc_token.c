/* Fuzz target: what an OpenID Connect provider sends that oidc.c judges:
 * an ID token (its header, its claims, its signature) checked against a
 * fixed JWKS, and a discovery document. The first byte picks which. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity.h"

/* An EC P-256 public key (RFC 7515, appendix A.3). */
static const char jwks[] = "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k1\",\"use\":\"sig\",\"crv\":\"P-256\","
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	if (data[0] & 1) {
		oidc_meta_t m;
		const char *why;
		if (oidc_discovery_parse(s, n, "https://idp.example", &m, &why) == 0 &&
		    (!m.token_endpoint[0] || !m.jwks_uri[0]))
			abort();
		return 0;
	}
	oidc_expect_t x = { .issuer = "https://idp.example", .client_id = "faxvault",
		.nonce = "n", .now_s = 1800000000 };
	json_t *claims = NULL;
	const char *why = NULL;
	int rc = oidc_id_token_check(s, n, jwks, strlen(jwks), &x, &claims, &why);
	/* Without the private key nothing may pass; a refusal has a reason. */
	if (rc == OIDC_OK || claims || !why)
		abort();
	return 0;
}
