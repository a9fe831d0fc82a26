/* Amounts of money (see money.h). */
#include "money.h"

#include <stdio.h>
#include <string.h>

int money_digits(const char *currency)
{
	static const char *const zero[] = { "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
		"PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF" };
	static const char *const three[] = { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND" };
	if (!currency)
		return 2;
	for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
		if (strcmp(currency, zero[i]) == 0)
			return 0;
	for (size_t i = 0; i < sizeof three / sizeof three[0]; i++)
		if (strcmp(currency, three[i]) == 0)
			return 3;
	return 2;
}

char *money_decimal(int64_t minor, const char *currency, char *out, size_t n)
{
	if (!n)
		return out;
	int digits = money_digits(currency);
	/* Magnitude as unsigned, so that the most negative value prints too. */
	unsigned long long mag = minor < 0 ? 0ULL - (unsigned long long)minor : (unsigned long long)minor;
	unsigned long long scale = digits == 0 ? 1 : digits == 2 ? 100 : 1000;
	if (digits)
		snprintf(out, n, "%s%llu.%0*llu", minor < 0 ? "-" : "", mag / scale, digits, mag % scale);
	else
		snprintf(out, n, "%s%llu", minor < 0 ? "-" : "", mag);
	return out;
}
