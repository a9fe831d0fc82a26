/* faxvaultd's side of the audit chain: its keys from the master key file,
 * the `audit-verify` command, and the checkpoints the service publishes at
 * intervals and at stop. */
#ifndef FV_AUDIT_CMD_H
#define FV_AUDIT_CMD_H

#include <stddef.h>

#include "audit/audit.h"
#include "store.h"
#include "vault.h"

/* The audit keys derived from the master key file at key_path (created
 * when missing and create is set). NULL with a reason in why when the file
 * cannot be read. Owned by the caller (audit_keys_free). */
audit_keys_t *audit_cmd_keys(const char *key_path, int create, char *why, size_t whylen);

/* `faxvaultd audit-verify [--json] [--checkpoint FILE]... [--expect-head
 * SEQ:HASH]` on the database st, with the master key at key_path (read,
 * never created; without it, what cannot be checked is said). argv[0] is
 * the command. Returns the exit code: 0 intact, 1 broken, 2 usage or read
 * error. */
int audit_cmd_verify(store_t *st, const char *key_path, int argc, char **argv);

#endif
