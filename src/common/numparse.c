/* Checked decimal number parsing (see numparse.h). */
#include "numparse.h"

#include <string.h>

int parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	if (!s || n == 0 || n > 20)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	if (!s || n == 0)
		return -1;
	int neg = s[0] == '-';
	uint64_t mag;
	if (parse_u64(s + neg, n - (size_t)neg, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &mag) != 0)
		return -1;
	int64_t v = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_i64z(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return s ? parse_i64(s, strlen(s), min, max, out) : -1;
}
