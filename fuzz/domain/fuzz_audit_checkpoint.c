/* Fuzz target: a line of an audit checkpoint file, as it comes back from
 * wherever the operator kept it (audit_checkpoint_parse), and the round
 * trip of what it accepts through the line writer and the signed text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	audit_checkpoint_t cp, back;
	const char *why = NULL;
	if (audit_checkpoint_parse((const char *)data, size, &cp, &why) != 0) {
		if (!why)
			abort();
		return 0;
	}
	char m[1024];
	if (cp.seq < 1 || cp.prev_seq < 0 || cp.prev_seq >= cp.seq ||
	    audit_checkpoint_message(&cp, m, sizeof m) < 0)
		abort();
	/* What parses is written back as a line that parses to the same. */
	char *line = audit_checkpoint_line(&cp);
	if (!line || audit_checkpoint_parse(line, strlen(line), &back, &why) != 0 ||
	    memcmp(&cp, &back, sizeof cp) != 0)
		abort();
	free(line);
	uint8_t pk[32] = { 0 };
	audit_checkpoint_signed_by(pk, &cp);
	return 0;
}
