/* Fuzz target: digest header values a peer sends, the credentials of an
 * Authorization header (server side) and a WWW-Authenticate challenge
 * (client side); credentials that parse are checked by a verifier. */
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "sec.h"
#include "sipauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static sipauth_t *a;
	if (!a && sec_init() == 0)
		a = sipauth_new("faxvault", 30);
	sip_str_t hv = {(const char *)data, size};
	digest_cred_t cr;
	if (digest_parse_credentials(hv, &cr) == 0 && a)
		(void)sipauth_verify(a, &cr, cr.username, "pw", "INVITE", cr.uri, "192.0.2.1", 1800000000, "r");
	digest_chal_t ch;
	(void)digest_parse(hv, &ch);
	return 0;
}
