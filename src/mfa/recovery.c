/* Single-use recovery codes for a lost authenticator; see totp.h. */
#include "totp.h"

#include <string.h>

#include "sec.h"

/* 32 letters, none that reads like another (no l/1, o/0). */
static const char ALPHA[] = "abcdefghijkmnpqrstuvwxyz23456789";

void totp_recovery_codes(char (*codes)[16], int n)
{
	_Static_assert(sizeof ALPHA - 1 == 32, "recovery alphabet");
	for (int i = 0; i < n; i++) {
		uint8_t r[TOTP_RECOVERY_CHARS];
		sec_random(r, sizeof r);
		int o = 0;
		for (int k = 0; k < TOTP_RECOVERY_CHARS; k++) {
			if (k && k % 4 == 0)
				codes[i][o++] = '-';
			codes[i][o++] = ALPHA[r[k] & 31]; /* 256 % 32 == 0: uniform */
		}
		codes[i][o] = '\0';
	}
}

int totp_recovery_normalize(const char *in, char *out, size_t outlen)
{
	if (!out || outlen == 0)
		return -1;
	out[0] = '\0';
	if (!in || outlen < TOTP_RECOVERY_CHARS + 1)
		return -1;
	size_t o = 0;
	for (size_t i = 0; in[i]; i++) {
		if (i >= TOTP_CODE_INPUT_MAX)
			goto bad;
		char c = in[i];
		if (c == ' ' || c == '-')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!memchr(ALPHA, c, sizeof ALPHA - 1) || o == TOTP_RECOVERY_CHARS)
			goto bad;
		out[o++] = c;
	}
	if (o != TOTP_RECOVERY_CHARS)
		goto bad;
	out[o] = '\0';
	return 0;
bad:
	out[0] = '\0';
	return -1;
}
