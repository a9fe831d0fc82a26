/* Unit tests of fax by e-mail's pure parts: SMTP command lines and paths
 * (smtp_proto.h), the MIME path (smtp_mime.h), the sender rules
 * (faxmail.h), the SMTP front end's messages (smtp_wire.h) and the
 * bilingual ASCII reply texts (smtp_server.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "fax/fax.h"
#include "smtp_dsn.h"
#include "smtp_mime.h"
#include "smtp_proto.h"
#include "smtp_server.h"
#include "smtp_wire.h"

static void test_paths(void **state)
{
	(void)state;
	static const struct {
		const char *arg, *prefix;
		int rc;
		const char *addr;
		uint64_t size;
	} cases[] = {
		{ "FROM:<User@A.Example>", "FROM:", 0, "user@a.example", 0 },
		{ "from:<a@b.example> SIZE=1000 BODY=8BITMIME", "FROM:", 0, "a@b.example", 1000 },
		{ "FROM:<>", "FROM:", 0, "", 0 },
		{ "TO:< +15551234567@fax.example.net >", "TO:", 0, "+15551234567@fax.example.net", 0 },
		{ "TO: <a@b.example>", "TO:", 0, "a@b.example", 0 },
		{ "FROM:<a@b.example> X=1", "FROM:", -2, "", 0 },
		{ "TO:<a@b.example> SIZE=1", "TO:", -2, "", 0 },
		{ "FROM:<a@b@c>", "FROM:", -1, "", 0 },
		{ "FROM:<@b.example:a@c>", "FROM:", -1, "", 0 },
		{ "FROM:a@b.example", "FROM:", -1, "", 0 },
		{ "FROM:<a@b.example", "FROM:", -1, "", 0 },
		{ "FROM:<a@b.example> SIZE=x", "FROM:", -1, "", 0 },
		{ "TO:<\"q\"@b.example>", "TO:", -1, "", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char addr[SMTP_ADDR_MAX + 1];
		uint64_t size;
		int rc = smtp_path_parse(cases[i].arg, strlen(cases[i].arg), cases[i].prefix, addr,
			&size);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_string_equal(addr, cases[i].addr);
			assert_int_equal(size, cases[i].size);
		}
	}
}

static void test_commands_and_numbers(void **state)
{
	(void)state;
	smtp_cmd_t c;
	assert_int_equal(smtp_cmd_parse("ehlo mx.example  ", 17, &c), 0);
	assert_int_equal(c.verb, SMTP_EHLO);
	assert_int_equal(c.arglen, 10);
	assert_int_equal(smtp_cmd_parse("LhLo lmtp.example", 17, &c), 0);
	assert_int_equal(c.verb, SMTP_LHLO);
	assert_int_equal(c.arglen, 12);
	assert_int_equal(smtp_cmd_parse("XYZZY", 5, &c), 0);
	assert_int_equal(c.verb, SMTP_UNKNOWN);
	assert_int_equal(smtp_cmd_parse("NOOP\0x", 6, &c), -1);
	char num[SMTP_NUMBER_MAX + 1];
	assert_int_equal(smtp_rcpt_number("+15551234567@FAX.example.net", "fax.example.net", num), 0);
	assert_string_equal(num, "+15551234567");
	assert_int_equal(smtp_rcpt_number("+15551234567@other.example", "fax.example.net", num), -1);
	assert_int_equal(smtp_rcpt_number("sales@fax.example.net", "fax.example.net", num), -2);
	/* The Subject form. */
	assert_int_equal(smtp_rcpt_number("FAX@fax.example.net", "fax.example.net", num), 1);
	assert_string_equal(num, "");
	assert_int_equal(smtp_rcpt_number("fax@other.example", "fax.example.net", num), -1);
	char subj[4][SMTP_NUMBER_MAX + 1];
	assert_int_equal(smtp_subject_numbers("Invoice +15551234567, +33142000000;+15551234567 "
		"+0555123456 +1234567 +1555123456x 15551234567", subj, 4), 2);
	assert_string_equal(subj[0], "+15551234567");
	assert_string_equal(subj[1], "+33142000000");
	assert_int_equal(smtp_subject_numbers("+15551234567 +15551234568", subj, 1), 1);
	assert_int_equal(smtp_subject_numbers(NULL, subj, 4), 0);
	assert_int_equal(smtp_rcpt_number("+0555123456@fax.example.net", "fax.example.net", num), -2);
	assert_int_equal(smtp_rcpt_number("+1234567@fax.example.net", "fax.example.net", num), -2);
	assert_int_equal(smtp_rcpt_number("+1234567890123456@fax.example.net", "fax.example.net",
		num), -2);
}

static void test_mime(void **state)
{
	(void)state;
	smtp_mime_init();
	static const char ok[] = "From: =?UTF-8?Q?Andr=C3=A9?= <Andre@A.example>\r\n"
		"Subject: =?UTF-8?B?w6l0w6k=?=\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
		"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nVoil\xe0\r\n--b\r\n"
		"Content-Type: application/pdf\r\nContent-Disposition: attachment; "
		"filename=\"../../x.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
		"JVBERi0xLjQK\r\n--b--\r\n";
	smtp_mail_t m;
	assert_int_equal(smtp_mime_parse((const uint8_t *)ok, sizeof ok - 1, &m), SMTP_MIME_OK);
	assert_string_equal(m.from, "andre@a.example");
	assert_string_equal(m.subject, "\xc3\xa9t\xc3\xa9");
	assert_non_null(strstr(m.body, "Voil\xc3\xa0"));
	assert_int_equal(m.nparts, 1);
	assert_int_equal(m.parts[0].len, 9);
	assert_memory_equal(m.parts[0].data, "%PDF-1.4\n", 9);
	assert_string_equal(m.parts[0].filename, "x.pdf");
	assert_string_equal(m.parts[0].type, "application/pdf");
	smtp_mail_free(&m);
	static const char two[] = "From: a@x.example, b@y.example\r\n\r\nhi\r\n";
	assert_int_equal(smtp_mime_parse((const uint8_t *)two, sizeof two - 1, &m), SMTP_MIME_NO_FROM);
	static const char none[] = "Subject: x\r\n\r\nhi\r\n";
	assert_int_equal(smtp_mime_parse((const uint8_t *)none, sizeof none - 1, &m), SMTP_MIME_NO_FROM);
	char deep[4096] = "From: a@x.example\r\n";
	for (int i = 0; i < 40; i++) {
		char l[80];
		snprintf(l, sizeof l, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i);
		strcat(deep, l);
	}
	assert_int_equal(smtp_mime_parse((const uint8_t *)deep, strlen(deep), &m), SMTP_MIME_TOO_DEEP);
}

static void test_sender_rules(void **state)
{
	(void)state;
	json_t *senders = json_pack("[s, s]", "alice@a.example", "@b.example");
	assert_true(faxmail_sender_allowed(senders, "Alice@A.example"));
	assert_true(faxmail_sender_allowed(senders, "bob@b.example"));
	assert_false(faxmail_sender_allowed(senders, "bob@sub.b.example"));
	assert_false(faxmail_sender_allowed(senders, "carol@a.example"));
	json_t *empty = json_array();
	assert_true(faxmail_sender_allowed(empty, "anyone@x.example"));
	json_t *servers = json_pack("[s, s]", "192.0.2.0/24", "2001:db8::/32");
	assert_true(faxmail_server_allowed(servers, "192.0.2.7"));
	assert_true(faxmail_server_allowed(servers, "::ffff:192.0.2.7"));
	assert_true(faxmail_server_allowed(servers, "2001:db8::1"));
	assert_false(faxmail_server_allowed(servers, "127.0.0.1"));
	assert_false(faxmail_server_allowed(servers, "not an address"));
	assert_true(faxmail_server_allowed(empty, "127.0.0.1"));
	json_t *body = json_pack("{s:b, s:[s, s], s:[s], s:s}", "enabled", 1, "allowed_senders",
		"A@X.example", "a@x.example", "allowed_servers", "10.1.0.0/16", "spf", "require");
	json_t *n = NULL;
	dom_err_t e;
	assert_int_equal(faxmail_settings_parse(body, &n, &e), 0);
	assert_int_equal(json_array_size(json_object_get(n, "allowed_senders")), 1);
	assert_string_equal(json_string_value(json_object_get(n, "dkim")), "ignore");
	json_decref(n);
	json_object_set_new(body, "allowed_servers", json_pack("[s]", "10.1.0.1/16"));
	assert_int_equal(faxmail_settings_parse(body, &n, &e), -1);
	assert_string_equal(e.field, "allowed_servers");
	json_decref(body);
	json_decref(servers);
	json_decref(empty);
	json_decref(senders);
}

/* The front end's message to the service: a round trip through a real
 * socketpair with its memfds, then what the decoder and the reader refuse. */
/* Refusals say why in English and in French folded to ASCII. */
static void test_replies(void **state)
{
	(void)state;
	smtp_reply_t r;
	smtp_reply_tr(&r, 550, "5.7.1", "This sender may not send faxes by e-mail from this server");
	assert_int_equal(r.code, 550);
	assert_string_equal(r.text, "5.7.1 This sender may not send faxes by e-mail from this server"
		" / Cet expediteur ne peut pas envoyer de fax par e-mail depuis ce serveur");
	/* No French: English alone; the same text: once. */
	smtp_reply_pair(&r, 250, "2.0.0", "Queued as fax_1", NULL);
	assert_string_equal(r.text, "2.0.0 Queued as fax_1");
	smtp_reply_pair(&r, 554, "5.6.0", "PDF", "PDF");
	assert_string_equal(r.text, "5.6.0 PDF");
	/* « » with their non-breaking spaces, NBSP before a colon, €, œ, ’,
	 * letters outside Latin-1, control characters. */
	char out[128];
	smtp_ascii_fold("\u00ab\u00a0Facture \u00e9t\u00e9\u00a0\u00bb\u00a0: 10\u00a0\u20ac, "
		"\u0153uvre d\u2019art \u00c0 \u00c7a \u4e2d\r\n\x01x", out, sizeof out);
	assert_string_equal(out, "\"Facture ete\" : 10 EUR, oeuvre d'art A Ca x");
	/* Cut to fit, NUL-terminated, whole sequences or nothing. */
	smtp_ascii_fold("\u00e9\u00e9\u00e9\u00e9", out, 3);
	assert_string_equal(out, "ee");
	/* Long texts keep the English whole and cut the French; every byte
	 * printable ASCII; the line stays within RFC 5321's 512 bytes. */
	char en[300], fr[700];
	memset(en, 'e', sizeof en - 1);
	en[sizeof en - 1] = '\0';
	for (size_t i = 0; i + 2 < sizeof fr; i += 2)
		memcpy(fr + i, "\u00e9", 2);
	fr[sizeof fr - 2] = '\0';
	smtp_reply_pair(&r, 554, "5.6.0", en, fr);
	assert_non_null(strstr(r.text, en));
	assert_true(strlen(r.text) < sizeof r.text && 4 + sizeof r.text + 2 <= 512);
	for (const char *p = r.text; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
}

static void test_wire(void **state)
{
	(void)state;
	smtp_envelope_t env = { .session_id = "smtp_1", .peer = "127.0.0.1", .helo = "client.test",
		.mail_from = "user@a.example", .nrcpt = 1 };
	snprintf(env.rcpt[0], sizeof env.rcpt[0], "+15555550102");
	smtp_mail_t m = { .nparts = 1 };
	snprintf(m.from, sizeof m.from, "user@a.example");
	m.subject = strdup("Facture");
	m.body = strdup("Bonjour");
	m.parts[0].data = (unsigned char *)strdup("%PDF-1.4");
	m.parts[0].len = 8;
	snprintf(m.parts[0].filename, sizeof m.parts[0].filename, "a.pdf");
	snprintf(m.parts[0].type, sizeof m.parts[0].type, "application/pdf");
	const char raw[] = "From: user@a.example\r\n\r\nBonjour\r\n";
	int rawfd = memfd_create("raw", 0), partsfd = memfd_create("parts", 0), sv[2];
	assert_true(rawfd >= 0 && partsfd >= 0 && ipc_socketpair(sv) == 0);
	assert_int_equal(write(rawfd, raw, sizeof raw - 1), (ssize_t)(sizeof raw - 1));
	assert_int_equal(smtp_wire_parts_write(partsfd, &m), 0);
	static struct ipc_out o;
	smtp_wire_mail_encode(&o, &env, sizeof raw - 1, &m);
	ipc_put_fd(&o, rawfd);
	ipc_put_fd(&o, partsfd);
	assert_int_equal(ipc_send(sv[0], &o), 0);
	struct ipc_msg in;
	assert_int_equal(ipc_recv(sv[1], &in), 0);
	static smtp_wire_mail_t w;
	assert_int_equal(smtp_wire_mail_decode(&in, &w), 0);
	assert_string_equal(w.env.rcpt[0], "+15555550102");
	assert_string_equal(w.env.helo, "client.test");
	assert_int_equal(w.nparts, 1);
	uint8_t *got = NULL;
	smtp_mail_t back;
	assert_int_equal(smtp_wire_mail_read(&w, in.fds[0], in.fds[1], 1 << 20, &got, &back), 0);
	assert_memory_equal(got, raw, sizeof raw - 1);
	assert_string_equal(back.subject, "Facture");
	assert_string_equal(back.body, "Bonjour");
	assert_int_equal(back.parts[0].len, 8);
	assert_memory_equal(back.parts[0].data, "%PDF-1.4", 8);
	assert_string_equal(back.parts[0].type, "application/pdf");
	smtp_mail_free(&back);
	free(got);
	/* A parts memfd longer than declared, or a limit below its size. */
	assert_int_equal(write(in.fds[1], "x", 1), 1);
	assert_int_equal(smtp_wire_mail_read(&w, in.fds[0], in.fds[1], 1 << 20, &got, &back), -1);
	w.parts[0].len++;
	assert_int_equal(smtp_wire_mail_read(&w, in.fds[0], in.fds[1], 8, &got, &back), -1);
	ipc_msg_free(&in);
	/* A recipient that is not E.164, and a trailing byte, are refused. */
	snprintf(env.rcpt[0], sizeof env.rcpt[0], "+1555x");
	smtp_wire_mail_encode(&o, &env, 1, &m);
	struct ipc_msg bad = { .type = SMTPF_MAIL, .data = o.buf + IPC_HDR_LEN,
		.len = o.len - IPC_HDR_LEN };
	assert_int_equal(smtp_wire_mail_decode(&bad, &w), -1);
	snprintf(env.rcpt[0], sizeof env.rcpt[0], "+15555550102");
	smtp_wire_mail_encode(&o, &env, 1, &m);
	ipc_put_u8(&o, 0);
	bad.data = o.buf + IPC_HDR_LEN;
	bad.len = o.len - IPC_HDR_LEN;
	assert_int_equal(smtp_wire_mail_decode(&bad, &w), -1);
	/* Verdicts: a code out of range is refused. */
	smtp_reply_t r = { 250, "2.0.0 Queued as fax_1" }, r2;
	smtp_wire_verdict_encode(&o, &r);
	struct ipc_msg vm = { .type = SMTPF_VERDICT, .data = o.buf + IPC_HDR_LEN,
		.len = o.len - IPC_HDR_LEN };
	assert_int_equal(smtp_wire_verdict_decode(&vm, &r2), 0);
	assert_int_equal(r2.code, 250);
	assert_string_equal(r2.text, r.text);
	r.code = 99;
	smtp_wire_verdict_encode(&o, &r);
	assert_int_equal(smtp_wire_verdict_decode(&vm, &r2), -1);
	smtp_mail_free(&m);
	close(sv[0]);
	close(sv[1]);
	close(rawfd);
	close(partsfd);
}

/* Bounce addresses, the DSN parser (RFC 3464) and its message on the wire. */
static void test_dsn(void **state)
{
	(void)state;
	smtp_mime_init();
	char id[SMTP_BOUNCE_ID_MAX + 1];
	assert_int_equal(smtp_rcpt_bounce("bounce+mail_ab2c@fax.test", "FAX.test", id), 0);
	assert_string_equal(id, "mail_ab2c");
	assert_int_equal(smtp_rcpt_bounce("bounce+@fax.test", "fax.test", id), -1);
	assert_int_equal(smtp_rcpt_bounce("bounce+mail.x@fax.test", "fax.test", id), -1);
	assert_int_equal(smtp_rcpt_bounce("bounce+mail_ab2c@other.test", "fax.test", id), -1);
	assert_int_equal(smtp_rcpt_bounce("+15555550102@fax.test", "fax.test", id), -1);
	assert_true(smtp_dsn_status_valid("5.1.1") && smtp_dsn_status_valid("4.123.0"));
	assert_false(smtp_dsn_status_valid("3.1.1") || smtp_dsn_status_valid("5.1") ||
		smtp_dsn_status_valid("5.1.1x") || smtp_dsn_status_valid("5.1234.1"));
	/* Postfix's report: folded diagnostic, CRLF, the failed recipient. */
	const char msg[] =
		"From: MAILER-DAEMON@mx.test (Mail Delivery System)\r\n"
		"To: bounce+mail_ab2c@fax.test\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"B1\"\r\n"
		"\r\n--B1\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n"
		"--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
		"Reporting-MTA: dns; mx.test\r\n\r\n"
		"Final-Recipient: rfc822; Nobody@Undeliverable.test\r\nAction: failed\r\n"
		"Status: 5.1.1\r\nDiagnostic-Code: X-Postfix; mailbox\r\n    unknown\r\n\r\n"
		"--B1\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: x\r\n\r\n--B1--\r\n";
	smtp_dsn_t d;
	assert_int_equal(smtp_dsn_parse((const uint8_t *)msg, sizeof msg - 1, &d), 0);
	assert_string_equal(d.action, "failed");
	assert_string_equal(d.status, "5.1.1");
	assert_string_equal(d.recipient, "nobody@undeliverable.test");
	assert_string_equal(d.diagnostic, "mailbox unknown");
	/* A failed recipient ranks above a delayed one; a comment after the
	 * status goes. */
	const char two[] = "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b\n"
			   "Action: delayed\nStatus: 4.4.1\n\nFinal-Recipient: rfc822; c@d\n"
			   "Action: Failed\nStatus: 5.2.2 (mailbox full)\n";
	assert_int_equal(smtp_dsn_fields(two, sizeof two - 1, &d), 0);
	assert_string_equal(d.action, "failed");
	assert_string_equal(d.status, "5.2.2");
	assert_string_equal(d.recipient, "c@d");
	const char delayed[] = "Reporting-MTA: dns; mx\n\nAction: delayed\nStatus: 4.4.1\n";
	assert_int_equal(smtp_dsn_fields(delayed, sizeof delayed - 1, &d), 0);
	assert_string_equal(d.action, "delayed");
	/* Not a DSN: plain text saying the same, a bad status, no Action. */
	const char plain[] = "From: x@y\r\nContent-Type: text/plain\r\n\r\nAction: failed\r\n"
			     "Status: 5.1.1\r\n";
	assert_int_equal(smtp_dsn_parse((const uint8_t *)plain, sizeof plain - 1, &d), -1);
	const char bad[] = "Reporting-MTA: x\n\nAction: failed\nStatus: 9.9.9\n";
	assert_int_equal(smtp_dsn_fields(bad, sizeof bad - 1, &d), -1);
	const char none[] = "Reporting-MTA: x\n\nStatus: 5.1.1\n";
	assert_int_equal(smtp_dsn_fields(none, sizeof none - 1, &d), -1);
	/* On the wire: decoded as sent; an id or action out of rule refused. */
	assert_int_equal(smtp_dsn_parse((const uint8_t *)msg, sizeof msg - 1, &d), 0);
	static struct ipc_out o;
	smtp_wire_bounce_encode(&o, "smtp_1", "127.0.0.1", "mail_ab2c", &d);
	struct ipc_msg m = { .type = SMTPF_BOUNCE, .data = o.buf + IPC_HDR_LEN,
		.len = o.len - IPC_HDR_LEN };
	smtp_wire_bounce_t b;
	assert_int_equal(smtp_wire_bounce_decode(&m, &b), 0);
	assert_int_equal(b.is_dsn, 1);
	assert_string_equal(b.mail_id, "mail_ab2c");
	assert_string_equal(b.dsn.status, "5.1.1");
	assert_string_equal(b.dsn.diagnostic, "mailbox unknown");
	smtp_wire_bounce_encode(&o, "smtp_1", "127.0.0.1", "mail_ab2c", NULL);
	m.data = o.buf + IPC_HDR_LEN;
	m.len = o.len - IPC_HDR_LEN;
	assert_int_equal(smtp_wire_bounce_decode(&m, &b), 0);
	assert_int_equal(b.is_dsn, 0);
	smtp_wire_bounce_encode(&o, "smtp_1", "127.0.0.1", "mail/../x", &d);
	m.data = o.buf + IPC_HDR_LEN;
	m.len = o.len - IPC_HDR_LEN;
	assert_int_equal(smtp_wire_bounce_decode(&m, &b), -1);
	snprintf(d.action, sizeof d.action, "exploded");
	smtp_wire_bounce_encode(&o, "smtp_1", "127.0.0.1", "mail_ab2c", &d);
	m.data = o.buf + IPC_HDR_LEN;
	m.len = o.len - IPC_HDR_LEN;
	assert_int_equal(smtp_wire_bounce_decode(&m, &b), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_commands_and_numbers),
		cmocka_unit_test(test_mime),
		cmocka_unit_test(test_sender_rules),
		cmocka_unit_test(test_wire),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
