/* Fuzz target: a received message through the MIME path of fax by e-mail
 * (smtp_mime.h, GMime). Checks the From address, the subject and body
 * (valid UTF-8, no control characters in the subject) and the attachments'
 * bounds. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	if (!inited) {
		smtp_mime_init();
		inited = 1;
	}
	smtp_mail_t m;
	if (smtp_mime_parse(data, size, &m) != SMTP_MIME_OK)
		return 0;
	if (!m.from[0] || strlen(m.from) > SMTP_ADDR_MAX || !strchr(m.from, '@'))
		abort();
	if (m.subject && (!g_utf8_validate(m.subject, -1, NULL) || strchr(m.subject, '\n')))
		abort();
	if (m.body && !g_utf8_validate(m.body, -1, NULL))
		abort();
	if (m.nparts < 0 || m.nparts > SMTP_PARTS_MAX)
		abort();
	for (int i = 0; i < m.nparts; i++)
		if (!m.parts[i].data || strchr(m.parts[i].filename, '/'))
			abort();
	smtp_mail_free(&m);
	return 0;
}
