/* Fuzz target: SMTP command lines (smtp_proto.h). The input is one command
 * line; its argument is read as MAIL and RCPT paths and as a recipient of
 * the fax domain. Checks that arguments lie inside the line and that
 * addresses and numbers are bounded and NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > SMTP_CMD_MAX)
		return 0;
	char *line = malloc(size ? size : 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	smtp_cmd_t c;
	if (smtp_cmd_parse(line, size, &c) == 0) {
		if (c.arg < line || c.arg + c.arglen > line + size)
			abort();
		char addr[SMTP_ADDR_MAX + 1], num[SMTP_NUMBER_MAX + 1];
		uint64_t sz;
		static const char *const prefixes[] = { "FROM:", "TO:" };
		for (int i = 0; i < 2; i++) {
			if (smtp_path_parse(c.arg, c.arglen, prefixes[i], addr, &sz) == 0) {
				if (strlen(addr) > SMTP_ADDR_MAX)
					abort();
				if (smtp_rcpt_number(addr, "fax.example.net", num) == 0 &&
				    (num[0] != '+' || strlen(num) > SMTP_NUMBER_MAX))
					abort();
			}
		}
	}
	free(line);
	return 0;
}
