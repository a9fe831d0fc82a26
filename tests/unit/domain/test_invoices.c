/* Unit tests of the invoices' pure parts: calendar months in UTC, the text
 * PDF writer (WinAnsi for French, escaping, structure) and an invoice's PDF
 * in English and French (the labels and totals are in the content streams,
 * which the writer leaves uncompressed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "billing/billing.h"
#include "textpdf.h"

static void test_months(void **state)
{
	(void)state;
	/* 2026-12-06T02:00:00Z -> 2026-12-01, next 2027-01-01 */
	assert_int_equal(invoice_month_start(1796522400000LL), 1796083200000LL);
	assert_int_equal(invoice_month_next(1796083200000LL), 1798761600000LL);
	/* the last millisecond of a month belongs to it */
	assert_int_equal(invoice_month_start(1798761600000LL - 1), 1796083200000LL);
	/* February of a leap year */
	assert_int_equal(invoice_month_next(1832976000000LL), 1835481600000LL); /* 2028-02 -> 03 */
}

static void test_winansi(void **state)
{
	(void)state;
	char out[64];
	/* é è à ç « » € ° and NBSP map to their cp1252 bytes */
	textpdf_winansi("\xC3\xA9\xC3\xA8\xC3\xA0\xC3\xA7\xC2\xAB\xC2\xBB\xE2\x82\xAC\xC2\xB0\xC2\xA0",
		out, sizeof out);
	assert_string_equal(out, "\xE9\xE8\xE0\xE7\xAB\xBB\x80\xB0\xA0");
	/* what cp1252 lacks, invalid or overlong UTF-8, and controls: '?' */
	textpdf_winansi("\xE4\xB8\xAD" "a\xC0\xAF" "b\xFF\x01", out, sizeof out);
	assert_string_equal(out, "?a?b??");
	/* a truncated sequence at the end */
	textpdf_winansi("x\xE2\x82", out, sizeof out);
	assert_string_equal(out, "x?");
	/* bounded */
	assert_int_equal(textpdf_winansi("abcdef", out, 4), 3);
	assert_string_equal(out, "abc");
}

/* Whether needle (n bytes) is in the n bytes of hay. */
static int has(const unsigned char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

static void test_textpdf(void **state)
{
	(void)state;
	textpdf_t *w = textpdf_new();
	textpdf_text(w, 50, 800, TEXTPDF_BOLD, 12, "Facture (n\\1)");
	textpdf_page(w);
	textpdf_text_right(w, 545, 700, 10, "0,07 \xE2\x82\xAC");
	size_t len;
	unsigned char *pdf = textpdf_finish(w, "T", &len);
	textpdf_free(w);
	assert_non_null(pdf);
	assert_memory_equal(pdf, "%PDF-1.4", 8);
	assert_true(has(pdf, len, "(Facture \\(n\\\\1\\)) Tj"));
	assert_true(has(pdf, len, "(0,07 \\200) Tj"));
	assert_true(has(pdf, len, "/Count 2"));
	assert_true(has(pdf, len, "/Encoding /WinAnsiEncoding"));
	assert_true(has(pdf, len, "%%EOF"));
	/* the cross-reference table points at each object */
	const char *x = strstr((const char *)pdf, "xref\n0 11\n");
	assert_non_null(x);
	const char *e = x + strlen("xref\n0 11\n0000000000 65535 f \n");
	for (int i = 1; i <= 10; i++, e += 20) {
		long off = strtol(e, NULL, 10);
		char want[16];
		snprintf(want, sizeof want, "%d 0 obj", i);
		assert_memory_equal(pdf + off, want, strlen(want));
	}
	free(pdf);
}

static json_t *sample(void)
{
	return json_pack("{s:s, s:i, s:s, s:I, s:I, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i,"
		" s:s, s:I, s:I, s:[{s:s, s:i, s:i, s:i}, {s:s, s:i, s:i, s:i}]}",
		"id", "inv_x", "number", 42, "account_id", "acc_x", "period_start",
		(json_int_t)1796083200000LL, "period_end", (json_int_t)1798761600000LL, "currency",
		"EUR", "lang", "fr", "pages", 5, "included_pages", 2, "subtotal_minor", 35,
		"included_minor", 14, "total_minor", 21, "paid_minor", 0, "status", "issued",
		"issued_at", (json_int_t)1798762200000LL, "due_at", (json_int_t)1801354200000LL,
		"_lines", "kind", "pages", "pages", 5, "unit_minor", 7, "amount_minor", 35,
		"kind", "included", "pages", 2, "unit_minor", 0, "amount_minor", -14);
}

static void test_invoice_pdf(void **state)
{
	(void)state;
	json_t *inv = sample();
	size_t len;
	unsigned char *fr = invoice_render_pdf(inv, "Clinique \xC3\x89toile", "fr", &len);
	assert_non_null(fr);
	assert_true(has(fr, len, "(Facture n\\260 42) Tj"));
	assert_true(has(fr, len, "(Clinique \\311toile) Tj"));
	assert_true(has(fr, len, "(Pages incluses dans la formule) Tj"));
	assert_true(has(fr, len, "(Sous-total\\240:) Tj"));
	assert_true(has(fr, len, "(0,21 EUR) Tj"));
	assert_true(has(fr, len, "(-0,14) Tj"));
	assert_true(has(fr, len, "(01/12/2026 au 31/12/2026) Tj"));
	free(fr);
	unsigned char *en = invoice_render_pdf(inv, "Clinic", "en", &len);
	assert_non_null(en);
	assert_true(has(en, len, "(Invoice no. 42) Tj"));
	assert_true(has(en, len, "(Amount due:) Tj"));
	assert_true(has(en, len, "(0.21 EUR) Tj"));
	assert_true(has(en, len, "(2026-12-01 to 2026-12-31) Tj"));
	free(en);
	json_decref(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_months),
		cmocka_unit_test(test_winansi),
		cmocka_unit_test(test_textpdf),
		cmocka_unit_test(test_invoice_pdf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
