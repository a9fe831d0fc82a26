/* The message catalogue: lookup, the conversion guard, two-language
 * messages (src/common/i18n.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"

static void test_lookup(void **state)
{
	(void)state;
	assert_string_equal(i18n_fmt("fr", "no such fax"), "cette télécopie n'existe pas");
	assert_string_equal(i18n_fmt("fr-CA", "no such fax"), "cette télécopie n'existe pas");
	assert_string_equal(i18n_fmt("fr_FR.UTF-8", "no such fax"), "cette télécopie n'existe pas");
	/* Every other language, and a text without an entry, stays English. */
	assert_string_equal(i18n_fmt("en", "no such fax"), "no such fax");
	assert_string_equal(i18n_fmt("de", "no such fax"), "no such fax");
	assert_string_equal(i18n_fmt("frx", "no such fax"), "no such fax");
	assert_string_equal(i18n_fmt(NULL, "no such fax"), "no such fax");
	assert_string_equal(i18n_fmt("fr", "not in the catalogue"), "not in the catalogue");
	assert_null(i18n_fr("not in the catalogue"));
	assert_null(i18n_fr(NULL));
}

static void test_conversions(void **state)
{
	(void)state;
	assert_true(i18n_same_conversions("a %s b %d", "x %s y %d z"));
	assert_true(i18n_same_conversions("100%% of %zu", "%zu, 100 %%"));
	assert_true(i18n_same_conversions("%.*s and %.60s", "%.*s et %.60s"));
	assert_false(i18n_same_conversions("%s %d", "%d %s"));
	assert_false(i18n_same_conversions("%s", "%s %s"));
	assert_false(i18n_same_conversions("%d", "%ld"));
	assert_false(i18n_same_conversions("%s", "%.60s"));
	assert_false(i18n_same_conversions("%s", "%n"));
	/* A malformed conversion matches nothing, itself included. */
	assert_false(i18n_same_conversions("%y", "%y"));
}

/* Every entry of the catalogue is usable: French given, same conversions. */
static void test_catalogue_entries(void **state)
{
	(void)state;
	assert_true(i18n_fr_count > 400);
	for (size_t i = 0; i < i18n_fr_count; i++) {
		const struct i18n_entry *e = &i18n_fr_entries[i];
		if (!e->fr[0] || !i18n_same_conversions(e->en, e->fr))
			fail_msg("entry %zu (%s): empty or other conversions", i, e->en);
		if (!i18n_fr(e->en))
			fail_msg("entry %zu (%s) is not found", i, e->en);
	}
}

static void test_messages(void **state)
{
	(void)state;
	i18n_msg_t m;
	i18n_msg_set(&m, "the password must have at least %d characters (it has %zu)", 12, (size_t)5);
	assert_string_equal(m.en, "the password must have at least 12 characters (it has 5)");
	assert_string_equal(m.fr, "le mot de passe doit compter au moins 12 caractères (il en a 5)");
	assert_string_equal(i18n_msg_get(&m, "fr"), m.fr);
	assert_string_equal(i18n_msg_get(&m, "en"), m.en);
	assert_string_equal(i18n_msg_get(&m, NULL), m.en);
	/* Without an entry both languages hold the English. */
	i18n_msg_set(&m, "nothing %d", 3);
	assert_string_equal(m.fr, "nothing 3");
	i18n_msg_text(&m, "the policy requires a digit");
	assert_string_equal(m.fr, "la politique exige un chiffre");
	i18n_msg_pair(&m, "en", NULL);
	assert_string_equal(m.fr, "en");
	/* A sentence around a reason, each in its language. */
	i18n_msg_sub(&m, "\"url\" is not valid: %s", "the URL must not have a fragment");
	assert_string_equal(m.en, "\"url\" is not valid: the URL must not have a fragment");
	assert_string_equal(m.fr, "« url » n'est pas valide : l'URL ne doit pas avoir de fragment");
	/* A reason outside the catalogue stays English inside the French. */
	i18n_msg_sub(&m, "\"url\" is not valid: %s", "50% off");
	assert_string_equal(m.fr, "« url » n'est pas valide : 50% off");
	/* A frame of another shape is taken as text, never as a format. */
	i18n_msg_sub(&m, "%d %s", "x");
	assert_string_equal(m.en, "%d %s");
	/* Long texts are cut, not overrun. */
	char big[1000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	i18n_msg_set(&m, "%s", big);
	assert_int_equal(strlen(m.en), I18N_MSG_MAX - 1);
	i18n_msg_sub(&m, "x %s y", big);
	assert_int_equal(strlen(m.fr), I18N_MSG_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_catalogue_entries),
		cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
