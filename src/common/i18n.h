/* Messages for people, in English and French.
 *
 * The English text (a printf format, or a plain text) is the key: the
 * catalogue (i18n_fr.c) maps it to its French. A message is translated
 * where its language is known: the API formats both languages of an error
 * from the same arguments and answers the one the request asked for; the
 * CLI picks one for the whole invocation. A French format is used only
 * when its printf conversions are exactly its English format's, so a bad
 * entry falls back to English instead of reading the wrong arguments.
 * scripts/i18n-check (a CTest test) extracts every format passed to the
 * message functions and fails on a missing or mismatched entry.
 *
 * Everything here is thread-safe and allocates nothing. */
#ifndef FV_I18N_H
#define FV_I18N_H

#include <stdarg.h>
#include <stddef.h>

/* Marks a literal as a catalogue key that is translated later, where it is
 * used (i18n_fmt, i18n_msg_text): i18n-check extracts it from here. */
#define I18N(s) (s)

/* Longest message, in bytes with the NUL, of either language. */
#define I18N_MSG_MAX 320

/* One catalogue entry. */
struct i18n_entry {
	const char *en;
	const char *fr;
};
/* The French catalogue (i18n_fr.c): i18n_fr_count entries. */
extern const struct i18n_entry i18n_fr_entries[];
extern const size_t i18n_fr_count;

/* A message in both languages. */
typedef struct i18n_msg {
	char en[I18N_MSG_MAX];
	char fr[I18N_MSG_MAX];
} i18n_msg_t;

/* 1 when lang names French ("fr", "fr-CA", "fr_FR.UTF-8"), else 0 (also
 * for NULL): every other language gets English. */
int i18n_is_fr(const char *lang);

/* The French of en (a format or a text), or NULL when the catalogue has no
 * entry with the same conversions. Static storage. */
const char *i18n_fr(const char *en) __attribute__((format_arg(1)));

/* en in lang: its French when lang is French and the catalogue has it,
 * else en itself. Static storage (or en). */
const char *i18n_fmt(const char *lang, const char *en) __attribute__((format_arg(2)));

/* 1 when the printf conversions of a and b are the same, in the same
 * order ("%%" is text, not a conversion); 0 otherwise. */
int i18n_same_conversions(const char *a, const char *b);

/* Formats fmt and its French with the same arguments (the French falls
 * back to the English format when the catalogue has none). */
void i18n_msg_set(i18n_msg_t *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void i18n_msg_vset(i18n_msg_t *m, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* A plain text (not a format) and its French from the catalogue. */
void i18n_msg_text(i18n_msg_t *m, const char *en);
/* Both texts as given (a module with its own translations). fr NULL: en. */
void i18n_msg_pair(i18n_msg_t *m, const char *en, const char *fr);
/* fmt holds one "%s", filled with the text key in each language (key
 * translated by the catalogue, as i18n_msg_text does): for a sentence
 * that embeds a reason given by another module. */
void i18n_msg_sub(i18n_msg_t *m, const char *fmt, const char *key);
/* The text of m in lang. Borrowed from m. */
const char *i18n_msg_get(const i18n_msg_t *m, const char *lang);

#endif
