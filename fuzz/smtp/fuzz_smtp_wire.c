/* Fuzz target: what the SMTP front end sends the service, and the verdict
 * the service sends back (src/smtp/smtp_wire.c). The input is one datagram:
 * decoded by ipc_msg_decode, then as SMTPF_MAIL by smtp_wire_mail_decode
 * (the decoder of the untrusted side's messages), as SMTPF_BOUNCE and as
 * SMTPF_VERDICT. What
 * a decoder accepts must hold its invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_wire.h"

static void check_str(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	if (ipc_msg_decode(data, size, &m) != 0) {
		ipc_msg_free(&m);
		return 0;
	}
	static smtp_wire_mail_t w;
	if (smtp_wire_mail_decode(&m, &w) == 0) {
		if (w.env.nrcpt < 1 || w.env.nrcpt > SMTP_RCPTS_MAX || w.nparts < 0 ||
		    w.nparts > SMTP_PARTS_MAX || !w.from[0] || w.env.peer != w.peer)
			abort();
		for (int i = 0; i < w.env.nrcpt; i++)
			if (w.env.rcpt[i][0] != '+' || strlen(w.env.rcpt[i]) > SMTP_NUMBER_MAX)
				abort();
		check_str(w.subject, sizeof w.subject);
		check_str(w.helo, sizeof w.helo);
		for (int i = 0; i < w.nparts; i++)
			if (strchr(w.parts[i].filename, '/'))
				abort();
	}
	smtp_wire_bounce_t b;
	if (smtp_wire_bounce_decode(&m, &b) == 0) {
		if (!b.mail_id[0] || strspn(b.mail_id, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
			strlen(b.mail_id) || (b.is_dsn && !smtp_dsn_status_valid(b.dsn.status)))
			abort();
		check_str(b.dsn.diagnostic, sizeof b.dsn.diagnostic);
	}
	smtp_reply_t r;
	if (smtp_wire_verdict_decode(&m, &r) == 0) {
		if (r.code < 200 || r.code > 599)
			abort();
		check_str(r.text, sizeof r.text);
	}
	ipc_msg_free(&m);
	return 0;
}
