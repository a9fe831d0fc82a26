/* Fuzz target: a mail to a bounce address through the DSN parser
 * (smtp_dsn.h: GMime for the multipart/report, then the delivery-status
 * fields), and the fields parser alone on the same bytes. Checks that what
 * comes out is what the wire to the service accepts: a known action, a
 * valid status, printable ASCII within bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_dsn.h"
#include "smtp_mime.h"

static void check(const smtp_dsn_t *d)
{
	if (!d->action[0] || !smtp_dsn_status_valid(d->status) ||
	    strlen(d->diagnostic) > SMTP_DSN_DIAG_MAX || strlen(d->recipient) > SMTP_ADDR_MAX)
		abort();
	for (const char *p = d->diagnostic; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			abort();
	static const char *const actions[] = { "failed", "delayed", "delivered", "relayed",
		"expanded" };
	int known = 0;
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
		known |= strcmp(d->action, actions[i]) == 0;
	if (!known) /* the service's side would refuse it and stop the front end */
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	if (!inited) {
		smtp_mime_init();
		inited = 1;
	}
	smtp_dsn_t d;
	if (smtp_dsn_parse(data, size, &d) == 0)
		check(&d);
	if (smtp_dsn_fields((const char *)data, size, &d) == 0)
		check(&d);
	return 0;
}
