/* E.164 numbers: validation, normalization, and the countries (with their
 * calling codes) whose numbers the inventory can hold. */
#include "numbers.h"

#include <string.h>

/* Calling codes are prefix-free (ITU-T E.164), so a number has at most one.
 * Shared codes are resolved by area code (+1) or mapped to the country that
 * holds most of the plan (+44 GB, +39 IT, +358 FI, +47 NO, +61 AU). */
static const e164_country_t countries[] = {
	/* North American Numbering Plan: +1, told apart by area code below */
	{ "US", "1", "United States" }, { "CA", "1", "Canada" },
	{ "AG", "1", "Antigua and Barbuda" }, { "AI", "1", "Anguilla" },
	{ "AS", "1", "American Samoa" }, { "BB", "1", "Barbados" }, { "BM", "1", "Bermuda" },
	{ "BS", "1", "Bahamas" }, { "DM", "1", "Dominica" }, { "DO", "1", "Dominican Republic" },
	{ "GD", "1", "Grenada" }, { "GU", "1", "Guam" }, { "JM", "1", "Jamaica" },
	{ "KN", "1", "Saint Kitts and Nevis" }, { "KY", "1", "Cayman Islands" },
	{ "LC", "1", "Saint Lucia" }, { "MP", "1", "Northern Mariana Islands" },
	{ "MS", "1", "Montserrat" }, { "PR", "1", "Puerto Rico" }, { "SX", "1", "Sint Maarten" },
	{ "TC", "1", "Turks and Caicos Islands" }, { "TT", "1", "Trinidad and Tobago" },
	{ "VC", "1", "Saint Vincent and the Grenadines" }, { "VG", "1", "British Virgin Islands" },
	{ "VI", "1", "U.S. Virgin Islands" },
	/* European Union */
	{ "AT", "43", "Austria" }, { "BE", "32", "Belgium" }, { "BG", "359", "Bulgaria" },
	{ "HR", "385", "Croatia" }, { "CY", "357", "Cyprus" }, { "CZ", "420", "Czechia" },
	{ "DK", "45", "Denmark" }, { "EE", "372", "Estonia" }, { "FI", "358", "Finland" },
	{ "FR", "33", "France" }, { "DE", "49", "Germany" }, { "GR", "30", "Greece" },
	{ "HU", "36", "Hungary" }, { "IE", "353", "Ireland" }, { "IT", "39", "Italy" },
	{ "LV", "371", "Latvia" }, { "LT", "370", "Lithuania" }, { "LU", "352", "Luxembourg" },
	{ "MT", "356", "Malta" }, { "NL", "31", "Netherlands" }, { "PL", "48", "Poland" },
	{ "PT", "351", "Portugal" }, { "RO", "40", "Romania" }, { "SK", "421", "Slovakia" },
	{ "SI", "386", "Slovenia" }, { "ES", "34", "Spain" }, { "SE", "46", "Sweden" },
	/* others */
	{ "GB", "44", "United Kingdom" }, { "CH", "41", "Switzerland" },
	{ "NO", "47", "Norway" }, { "IS", "354", "Iceland" }, { "LI", "423", "Liechtenstein" },
	{ "MC", "377", "Monaco" }, { "AU", "61", "Australia" }, { "NZ", "64", "New Zealand" },
	{ "JP", "81", "Japan" },
};
#define NCOUNTRIES (sizeof countries / sizeof countries[0])

/* Area codes of the +1 plan outside the United States. */
static const struct { const char *area; const char *iso; } nanp[] = {
	{ "204", "CA" }, { "226", "CA" }, { "236", "CA" }, { "249", "CA" }, { "250", "CA" },
	{ "257", "CA" }, { "263", "CA" }, { "289", "CA" }, { "306", "CA" }, { "343", "CA" },
	{ "354", "CA" }, { "365", "CA" }, { "367", "CA" }, { "368", "CA" }, { "382", "CA" },
	{ "403", "CA" }, { "416", "CA" }, { "418", "CA" }, { "428", "CA" }, { "431", "CA" },
	{ "437", "CA" }, { "438", "CA" }, { "450", "CA" }, { "460", "CA" }, { "468", "CA" },
	{ "474", "CA" }, { "506", "CA" }, { "514", "CA" }, { "519", "CA" }, { "548", "CA" },
	{ "579", "CA" }, { "581", "CA" }, { "584", "CA" }, { "587", "CA" }, { "604", "CA" },
	{ "613", "CA" }, { "639", "CA" }, { "647", "CA" }, { "672", "CA" }, { "683", "CA" },
	{ "705", "CA" }, { "709", "CA" }, { "742", "CA" }, { "753", "CA" }, { "778", "CA" },
	{ "780", "CA" }, { "782", "CA" }, { "807", "CA" }, { "819", "CA" }, { "825", "CA" },
	{ "867", "CA" }, { "873", "CA" }, { "879", "CA" }, { "902", "CA" }, { "905", "CA" },
	{ "242", "BS" }, { "246", "BB" }, { "264", "AI" }, { "268", "AG" }, { "284", "VG" },
	{ "340", "VI" }, { "345", "KY" }, { "441", "BM" }, { "473", "GD" }, { "649", "TC" },
	{ "658", "JM" }, { "876", "JM" }, { "664", "MS" }, { "670", "MP" }, { "671", "GU" },
	{ "684", "AS" }, { "721", "SX" }, { "758", "LC" }, { "767", "DM" }, { "784", "VC" },
	{ "787", "PR" }, { "939", "PR" }, { "809", "DO" }, { "829", "DO" }, { "849", "DO" },
	{ "868", "TT" }, { "869", "KN" },
};

int e164_valid(const char *s)
{
	if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	size_t n = 0;
	for (const char *p = s + 1; *p; p++, n++)
		if (*p < '0' || *p > '9' || n >= 15)
			return 0;
	return n >= 8;
}

int e164_normalize(const char *s, size_t len, char out[E164_MAX + 1])
{
	size_t i = 0, o = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (len > i && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
		s[len - 1] == '\n'))
		len--;
	if (i < len && s[i] == '+')
		out[o++] = s[i++];
	else
		return -1;
	for (; i < len; i++) {
		char ch = s[i];
		if (ch == ' ' || ch == '-' || ch == '.' || ch == '(' || ch == ')')
			continue;
		if (ch < '0' || ch > '9' || o >= E164_MAX)
			return -1;
		out[o++] = ch;
	}
	out[o] = '\0';
	return e164_valid(out) ? 0 : -1;
}

static const e164_country_t *by_iso(const char *iso)
{
	for (size_t i = 0; i < NCOUNTRIES; i++)
		if (strcmp(countries[i].iso, iso) == 0)
			return &countries[i];
	return NULL;
}

const e164_country_t *e164_country_by_iso(const char *iso)
{
	if (!iso || strlen(iso) != 2)
		return NULL;
	char up[3] = { 0 };
	for (int i = 0; i < 2; i++) {
		char ch = iso[i];
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (ch < 'A' || ch > 'Z')
			return NULL;
		up[i] = ch;
	}
	return by_iso(strcmp(up, "UK") == 0 ? "GB" : up);
}

const e164_country_t *e164_country_of(const char *number)
{
	if (!e164_valid(number))
		return NULL;
	const char *d = number + 1;
	if (d[0] == '1') {
		for (size_t i = 0; i < sizeof nanp / sizeof nanp[0]; i++)
			if (strncmp(d + 1, nanp[i].area, 3) == 0)
				return by_iso(nanp[i].iso);
		return by_iso("US");
	}
	for (size_t i = 0; i < NCOUNTRIES; i++) {
		size_t n = strlen(countries[i].cc);
		if (strncmp(d, countries[i].cc, n) == 0)
			return &countries[i];
	}
	return NULL;
}

int e164_in_area(const char *number, const e164_country_t *country, const char *area)
{
	if (!country || e164_country_of(number) != country)
		return 0;
	const char *rest = number + 1 + strlen(country->cc);
	return !area || strncmp(rest, area, strlen(area)) == 0;
}
