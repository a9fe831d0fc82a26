/* Fuzz target: clamd's reply to a scan, as a scanner (or whoever holds its
 * socket) may send it. The verdict is one of three, a name only with
 * INFECTED, and every kept byte printable. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clamd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[CLAMD_NAME_MAX], err[128];
	err[0] = '\0';
	enum clamd_verdict v = clamd_reply_parse((const char *)data, size, name, err, sizeof err);
	if (v != CLAMD_CLEAN && v != CLAMD_INFECTED && v != CLAMD_ERROR)
		abort();
	/* A signature name exactly when infected. */
	if ((v == CLAMD_INFECTED) != (name[0] != '\0'))
		abort();
	for (const char *p = name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
	return 0;
}
