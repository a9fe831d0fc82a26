/* Unit tests of the outbound messages (src/mail/mail_msg.c): a hostile name
 * (line breaks, a header of its own, markup) cannot add a header and is
 * escaped in HTML; non-ASCII subjects and names are encoded, so the header
 * block is ASCII; lines end in CRLF; French and English templates; the token
 * is in both bodies and in no header; an unknown kind has no message; a
 * partner's white label names the sender and adds its support line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mail_msg.h"

static const mail_site_t site = { "noreply@fax.example.net", "https://fax.example.net" };
#define TOKEN "fvi_TESTTOKEN0123456789abcdef"

static char *build(const char *kind, const char *lang, const char *name, size_t *len)
{
	json_t *p = json_pack("{s:s, s:s}", "name", name, "expires_at", "2026-12-12T10:00:00Z");
	char err[128];
	char *m = mail_msg_build(kind, lang, "mail_abc", "owner@example.com", p, TOKEN, &site, NULL, len,
		err, sizeof err);
	json_decref(p);
	return m;
}

/* The header block (up to the first empty line), a new string. */
static char *headers(const char *m)
{
	const char *end = strstr(m, "\r\n\r\n");
	assert_non_null(end);
	size_t n = (size_t)(end - m) + 2;
	char *h = malloc(n + 1);
	memcpy(h, m, n);
	h[n] = '\0';
	return h;
}

static void test_hostile_name(void **state)
{
	(void)state;
	size_t len;
	char *m = build("invitation", "en", "Eve\r\nBcc: victim@example.org\r\n<b>bold</b>", &len);
	assert_non_null(m);
	assert_int_equal(strlen(m), len);
	char *h = headers(m);
	assert_null(strstr(h, "\r\nBcc:"));
	assert_null(strstr(h, "\nBcc:"));
	for (const char *p = h; *p; p++) {
		assert_true((unsigned char)*p < 0x80);
		if (*p == '\n')
			assert_true(p > h && p[-1] == '\r');
	}
	assert_null(strstr(h, TOKEN));
	assert_non_null(strstr(h, "Message-Id: <mail_abc@fax.example.net>"));
	assert_non_null(strstr(h, "Auto-Submitted: auto-generated"));
	/* The HTML part escapes the markup (quoted-printable keeps & and ;). */
	assert_non_null(strstr(m, "&lt;b&gt;bold&lt;/b&gt;"));
	assert_non_null(strstr(m, "multipart/alternative"));
	assert_non_null(strstr(m, "text/plain"));
	assert_non_null(strstr(m, "text/html"));
	assert_non_null(strstr(m, TOKEN));
	free(h);
	free(m);
}

static void test_languages(void **state)
{
	(void)state;
	size_t len;
	char *fr = build("password_reset", "fr", "Zoë", &len);
	char *en = build("password_reset", "de", "Zoe", &len);
	assert_non_null(fr);
	assert_non_null(en);
	char *hf = headers(fr), *he = headers(en);
	assert_non_null(strstr(hf, "Subject: =?"));
	assert_non_null(strstr(hf, "Content-Language: fr"));
	assert_non_null(strstr(he, "Subject: Reset your faxvault password"));
	assert_non_null(strstr(he, "Content-Language: en"));
	for (const char *p = hf; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	free(hf);
	free(he);
	free(fr);
	free(en);
}

static void test_unknown_kind(void **state)
{
	(void)state;
	size_t len = 0;
	assert_null(build("no_such_kind", "en", "x", &len));
	assert_true(mail_msg_known("invitation"));
	assert_false(mail_msg_known("no_such_kind"));
}

/* The billing notices: both languages, every placeholder filled. */
static void test_billing_notices(void **state)
{
	(void)state;
	static const char *const kinds[] = { "billing_low_balance", "billing_balance_exhausted" };
	static const char *const langs[] = { "en", "fr" };
	for (size_t k = 0; k < 2; k++)
		for (size_t l = 0; l < 2; l++) {
			json_t *p = json_pack("{s:s, s:s, s:s, s:s}", "name", "Bea Billing", "account",
				"Clinic", "balance", "1.50 EUR", "threshold", "2.00 EUR");
			char err[128];
			size_t len;
			char *m = mail_msg_build(kinds[k], langs[l], "mail_b", "bea@example.com", p, NULL,
				&site, NULL, &len, err, sizeof err);
			json_decref(p);
			assert_non_null(m);
			char *h = headers(m);
			if (l == 0)
				assert_non_null(strstr(h, "Subject: Prepaid balance"));
			assert_non_null(strstr(m, "1.50 EUR"));
			if (k == 0)
				assert_non_null(strstr(m, "2.00 EUR"));
			assert_null(strstr(m, "{balance}"));
			assert_null(strstr(m, "{account}"));
			assert_null(strstr(m, "{threshold}"));
			free(h);
			free(m);
		}
}

/* The quota notice: both languages, every placeholder filled. */
static void test_quota_notice(void **state)
{
	(void)state;
	static const char *const langs[] = { "en", "fr" };
	for (size_t l = 0; l < 2; l++) {
		json_t *p = json_pack("{s:s, s:s, s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:s}", "name", "Uma",
			"account", "Clinic", "used", 5, "limit", 6, "percent", 80, "period_en", "today",
			"period_fr", "aujourd'hui", "scope_en", "by you", "scope_fr", "pour vous",
			"resets_at", "2026-12-06T00:00:00Z");
		char err[128];
		size_t len;
		char *m = mail_msg_build("quota", langs[l], "mail_q", "uma@example.com", p, NULL, &site,
			NULL, &len, err, sizeof err);
		json_decref(p);
		assert_non_null(m);
		assert_null(strstr(m, "{resets_at}"));
		assert_null(strstr(m, "{percent}"));
		assert_null(strstr(m, "{period_"));
		assert_null(strstr(m, "{scope_"));
		assert_null(strstr(m, "{used}"));
		free(m);
	}
}

/* The message with quoted-printable soft line breaks removed (new string). */
static char *unfold_qp(const char *m)
{
	char *o = malloc(strlen(m) + 1), *w = o;
	for (const char *p = m; *p;) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 3;
			continue;
		}
		*w++ = *p++;
	}
	*w = '\0';
	return o;
}

/* Under a partner's white label: the partner's name as the sender's, its
 * support line in the body of each language and as the signature; the
 * address stays the service's. Without one, faxvault's. */
static void test_white_label(void **state)
{
	(void)state;
	static const char *const langs[] = { "en", "fr" };
	static const char *const lines[] = { "Your service is provided by Reseller Inc. For help, contact them: "
		"help@reseller.example, +33 1 23 45 67 89.", "Votre service vous est fourni par Reseller Inc. "
		"Pour toute aide, contactez-le : help@reseller.example, +33 1 23 45 67 89." };
	for (size_t l = 0; l < 2; l++) {
		json_t *p = json_pack("{s:s, s:s, s:s, s:s}", "name", "Olga", "expires_at",
			"2026-12-12T10:00:00Z", "brand_name", "Reseller Inc", "brand_support",
			"help@reseller.example, +33 1 23 45 67 89");
		char err[128];
		size_t len;
		char *m = mail_msg_build("invitation", langs[l], "mail_w", "olga@example.com", p, TOKEN, &site,
			NULL, &len, err, sizeof err);
		json_decref(p);
		assert_non_null(m);
		char *h = headers(m), *u = unfold_qp(m);
		const char *from = strstr(h, "From: ");
		assert_non_null(from);
		const char *eol = strstr(from, "\r\n");
		const char *name = strstr(from, "Reseller Inc"), *addr = strstr(from, "<noreply@fax.example.net>");
		assert_true(name && addr && name < eol && addr < eol);
		assert_non_null(strstr(u, lines[l]));
		assert_non_null(strstr(u, "\r\nReseller Inc\r\n"));
		free(u);
		free(h);
		free(m);
	}
	size_t len;
	char *m = build("invitation", "en", "Olga", &len);
	char *h = headers(m);
	assert_non_null(strstr(h, "From: faxvault <noreply@fax.example.net>"));
	assert_non_null(strstr(m, "\r\nfaxvault\r\n"));
	assert_null(strstr(m, "provided by"));
	free(h);
	free(m);
}

int main(void)
{
	mail_msg_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_name),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_unknown_kind),
		cmocka_unit_test(test_billing_notices),
		cmocka_unit_test(test_quota_notice),
		cmocka_unit_test(test_white_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
