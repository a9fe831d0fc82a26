/* Fuzz target: a registrar's answer to our REGISTER (register.c): status,
 * Call-ID, CSeq, the expiry granted to our contact, the digest challenge. */
#include <stddef.h>
#include <stdint.h>

#include "register.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	register_answer_t a;
	if (register_parse_response(data, size, "127.0.0.1:5080", &a) == 0 &&
	    (a.status < 100 || a.status > 699 || a.expires < -1 || a.expires > 86400))
		__builtin_trap();
	return 0;
}
