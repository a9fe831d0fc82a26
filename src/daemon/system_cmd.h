/* faxvaultd's system commands (backup, rotate-master-key, audit-verify)
 * through the operation runner (src/ops/ops.h), each as its named system
 * actor ("system:backup", "system:rotate-master-key",
 * "system:audit-verify"): every run is recorded in the provider's audit
 * chain with its outcome and the operator who ran it, a refusal as
 * "denied". audit-verify's event comes after what it verified: the next
 * run verifies it. */
#ifndef FV_SYSTEM_CMD_H
#define FV_SYSTEM_CMD_H

#include <stddef.h>

#include "config.h"

/* A command's exit code for a run a test hook stopped as a crash would
 * (testing.rotate_stop_after): not recorded, and exit code 1. */
#define SYSTEM_CMD_STOPPED 3

/* "cli:USER@HOST": who ran an administrative command of faxvaultd, as the
 * audit log records it. */
void cli_actor(char *out, size_t len);

/* A command: its exit code, 0 done, 1 failed, 2 refused (usage, or what it
 * will not do, e.g. a running service's key), or SYSTEM_CMD_STOPPED. */
typedef int (*system_cmd_fn)(const config_t *cfg, int argc, char **argv);

/* Runs fn as "system:NAME" through the runner; the run's event is action
 * (e.g. "backup.run") with {operator, exit} and, when it did not succeed,
 * its problem ("refused" or "failed"). The event is written once the
 * command is done, on its database (when there is none, nothing is). The
 * command's exit code. */
int system_cmd(const config_t *cfg, const char *name, const char *action, system_cmd_fn fn,
	int argc, char **argv);

#endif
