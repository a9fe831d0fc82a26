/* Fuzz target: what a SAML identity provider sends that saml.c judges: the
 * base64 SAMLResponse posted to the assertion consumer service, through
 * the same entry function as the service (saml_response_check), and an
 * IdP's metadata. The first byte picks which. The IdP's key is made at
 * start and thrown away: nothing the fuzzer writes may pass. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/identity.h"

static char *sp_key, *sp_cert, *idp_md;

static void setup(void)
{
	char *idp_key, *idp_cert;
	if (saml_init() != 0 || saml_keypair_new("fuzz sp", &sp_key, &sp_cert) != 0 ||
	    saml_keypair_new("fuzz idp", &idp_key, &idp_cert) != 0)
		abort();
	free(idp_key);
	/* the certificate's base64 body */
	char body[4096];
	size_t o = 0;
	const char *p = strchr(idp_cert, '\n') + 1;
	const char *end = strstr(idp_cert, "-----END");
	for (; p < end && o + 1 < sizeof body; p++)
		if (*p != '\n')
			body[o++] = *p;
	body[o] = '\0';
	free(idp_cert);
	idp_md = malloc(8192);
	snprintf(idp_md, 8192,
		"<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\""
		" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"https://idp.example/md\">"
		"<md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
		"<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
		"</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
		"<md:SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\""
		" Location=\"https://idp.example/sso\"/></md:IDPSSODescriptor></md:EntityDescriptor>", body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!idp_md)
		setup();
	if (size < 1)
		return 0;
	char *s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	size_t n = strlen(s);
	const char *why = NULL;
	if (data[0] & 1) {
		char entity[512];
		if (saml_idp_metadata_read(s, n, entity, sizeof entity, &why) != 0 && !why)
			abort();
		free(s);
		return 0;
	}
	saml_sp_t sp = { .entity_id = "https://sp.example/md", .acs_url = "https://sp.example/acs",
		.key_pem = sp_key, .cert_pem = sp_cert, .email_attribute = "" };
	saml_expect_t x = { .request_id = "_req", .now_s = 1800000000 };
	saml_result_t r;
	int rc = saml_response_check(&sp, idp_md, s, n, &x, &r, &why);
	/* Without the IdP's private key nothing may pass; a refusal has a reason. */
	if (rc == 0 || r.claims || !why)
		abort();
	free(s);
	return 0;
}
