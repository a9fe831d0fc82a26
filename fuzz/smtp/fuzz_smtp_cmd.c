/* Fuzz target: SMTP command lines (smtp_proto.h). The input is one command
 * line; its argument is read as MAIL and RCPT paths and as a recipient of
 * the fax domain, and as a Subject of the Subject form (fax@domain). Checks that arguments lie inside the line and that
 * addresses and numbers are bounded and NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_proto.h"

#define SMTP_RCPTS_FUZZ 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > SMTP_CMD_MAX)
		return 0;
	char *line = malloc(size ? size : 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	smtp_cmd_t c;
	/* The line as a Subject of the Subject form. */
	char *subject = malloc(size + 1);
	if (!subject)
		abort();
	memcpy(subject, data, size);
	subject[size] = '\0';
	char nums[SMTP_RCPTS_FUZZ][SMTP_NUMBER_MAX + 1];
	int n = smtp_subject_numbers(subject, nums, SMTP_RCPTS_FUZZ);
	if (n < 0 || n > SMTP_RCPTS_FUZZ)
		abort();
	for (int i = 0; i < n; i++)
		if (nums[i][0] != '+' || strlen(nums[i]) > SMTP_NUMBER_MAX)
			abort();
	free(subject);
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
