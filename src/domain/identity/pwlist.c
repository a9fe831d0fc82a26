/* Common-password list (see pwlist.h): an open-addressing hash set of
 * lower-cased entries. */
#include "identity.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define PW_ENTRY_MAX 64

static char **slots;
static size_t nslots, nentries;

/* The most common passwords of public breach corpora that are 8 characters
 * or longer, so that even without a packaged list the worst are refused. */
static const char *const builtin[] = {
	"password", "password1", "password12", "password123", "password1234", "12345678",
	"123456789", "1234567890", "123456789012", "qwertyuiop", "qwerty123", "qwerty123456",
	"iloveyou", "sunshine", "princess", "football", "baseball", "welcome1", "welcome123",
	"abc123456", "admin123", "administrator", "letmein123", "trustno1", "passw0rd",
	"p@ssw0rd", "p@ssword", "changeme", "changeme123", "monkey123", "dragon123",
	"superman", "starwars", "whatever", "11111111", "00000000", "123123123", "987654321",
	"1q2w3e4r", "1q2w3e4r5t", "1qaz2wsx", "zaq12wsx", "qazwsxedc", "asdfghjkl",
	"zxcvbnm123", "motdepasse", "motdepasse123", "azertyuiop", "azerty123", "soleil123",
	"bonjour123", "faxvault", "faxvault123",
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void grow(void)
{
	size_t old = nslots;
	char **prev = slots;
	nslots = old ? old * 2 : 1024;
	slots = xcalloc(nslots, sizeof *slots);
	for (size_t i = 0; i < old; i++)
		if (prev[i]) {
			size_t j = hash(prev[i]) & (nslots - 1);
			while (slots[j])
				j = (j + 1) & (nslots - 1);
			slots[j] = prev[i];
		}
	free(prev);
}

static bool contains(const char *s)
{
	if (!nslots)
		return false;
	size_t j = hash(s) & (nslots - 1);
	while (slots[j]) {
		if (strcmp(slots[j], s) == 0)
			return true;
		j = (j + 1) & (nslots - 1);
	}
	return false;
}

static void add(const char *s, size_t n)
{
	if (n == 0 || n >= PW_ENTRY_MAX)
		return;
	char low[PW_ENTRY_MAX];
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[n] = '\0';
	if (contains(low))
		return;
	if ((nentries + 1) * 2 > nslots)
		grow();
	size_t j = hash(low) & (nslots - 1);
	while (slots[j])
		j = (j + 1) & (nslots - 1);
	slots[j] = xstrdup(low);
	nentries++;
}

static void load_builtin(void)
{
	if (nentries)
		return;
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		add(builtin[i], strlen(builtin[i]));
}

long pwlist_load(const char *path)
{
	load_builtin();
	FILE *f = path && *path ? fopen(path, "r") : NULL;
	if (!f)
		return -1;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\r\n");
		add(line, n);
	}
	fclose(f);
	return (long)nentries;
}

size_t pwlist_size(void)
{
	return nentries;
}

void pwlist_free(void)
{
	for (size_t i = 0; i < nslots; i++)
		free(slots[i]);
	free(slots);
	slots = NULL;
	nslots = nentries = 0;
}

/* A run of one character ("aaaaaaaa") or of consecutive ones ("12345678",
 * "abcdefgh", descending too). */
static bool trivial_run(const char *s, size_t n)
{
	if (n < 2)
		return true;
	int step = s[1] - s[0];
	if (step < -1 || step > 1)
		return false;
	for (size_t i = 2; i < n; i++)
		if (s[i] - s[i - 1] != step)
			return false;
	return true;
}

bool pwlist_is_common(const char *pw)
{
	load_builtin();
	size_t n = strlen(pw);
	if (n >= PW_ENTRY_MAX)
		return false;
	char low[PW_ENTRY_MAX], plain[PW_ENTRY_MAX];
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)pw[i]);
	if (contains(low) || trivial_run(low, n))
		return true;
	/* Undo the usual substitutions and strip what people append. */
	for (size_t i = 0; i <= n; i++) {
		char c = low[i];
		switch (c) {
		case '0': c = 'o'; break;
		case '1': c = 'i'; break;
		case '3': c = 'e'; break;
		case '4': case '@': c = 'a'; break;
		case '5': case '$': c = 's'; break;
		case '7': c = 't'; break;
		default: break;
		}
		plain[i] = c;
	}
	if (contains(plain))
		return true;
	size_t m = n;
	while (m > 0 && !isalpha((unsigned char)low[m - 1]))
		m--;
	if (m >= 4 && m < n) {
		low[m] = '\0';
		if (contains(low) || trivial_run(low, m))
			return true;
	}
	/* "1234password": digits or symbols in front. */
	size_t k = 0;
	while (k < n && !isalpha((unsigned char)pw[k]))
		k++;
	if (k > 0 && n - k >= 4) {
		for (size_t i = k; i <= n; i++)
			low[i - k] = (char)tolower((unsigned char)pw[i]);
		if (contains(low))
			return true;
	}
	return false;
}
