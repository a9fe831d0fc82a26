/* `faxvaultd rotate-master-key`: a new master key for the data directory.
 * Every account key and every secret sealed in the provider's scope is
 * rewrapped under the new key in one transaction (documents are not
 * rewritten: their keys are wrapped by account keys, which do not change),
 * the audit chain's keys are carried over (the key file's derivation root,
 * vault.h), the new key file replaces the old, and the old one's bytes are
 * overwritten. See docs/vault.md, "Master key rotation". */
#ifndef FV_ROTATE_CMD_H
#define FV_ROTATE_CMD_H

#include "config.h"
#include "store.h"

/* Runs the command on st (opened by the caller, who keeps it) with the
 * master key file at key_path, recording the rotation in the audit chain as
 * actor. argv[0] is the command; `--json` prints the summary as JSON.
 * stop_after ("" normally) is the test hook testing.rotate_stop_after:
 * "next" stops once the new key file is written, "commit" once the database
 * is committed, as a crash there would (exit code SYSTEM_CMD_STOPPED,
 * system_cmd.h). The exit code: 0 rotated and verified, 1 failed (nothing
 * changed, or what to do is printed), 2 usage, or the key in use by a
 * running faxvaultd. */
int rotate_cmd_run(store_t *st, const char *key_path, const char *actor, const char *stop_after,
	int argc, char **argv);

#endif
