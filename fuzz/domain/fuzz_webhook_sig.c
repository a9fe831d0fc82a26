/* Fuzz target: the webhook-signature header of a payment provider's
 * webhook (webhook_signature_matches), against the signature of a fixed
 * event, and the signature computed over the input as a body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify.h"

static const char SECRET[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char want[WEBHOOK_SIG_MAX];
	if (webhook_sign(SECRET, "evt_1", 1700000000, "{}", 2, want) != 0)
		abort();
	int m = webhook_signature_matches((const char *)data, size, want);
	/* A header that matches holds the expected entry. */
	if (m && !memmem(data, size, want, strlen(want)))
		abort();
	/* The input as a body: its signature is one entry and matches itself. */
	char *body = malloc(size + 1);
	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	char sig[WEBHOOK_SIG_MAX];
	if (webhook_sign(SECRET, "evt_2", 1700000000, body, size, sig) != 0 ||
	    !webhook_signature_matches(sig, strlen(sig), sig))
		abort();
	free(body);
	return 0;
}
