/* The processes faxvaultd runs as (docs/architecture.md, "Processes"): the
 * service (HTTP, SIP, domain, store) and the key holder it starts from a
 * fresh image of this program with `--role vault` and its socket on
 * KEYD_FD. */
#ifndef FV_ROLE_H
#define FV_ROLE_H

#include "config.h"

/* Sets the process's name (prctl PR_SET_NAME, 15 bytes shown by ps -o comm
 * and top). Its command line (ps -o args) starts with the title it was
 * started under, e.g. "faxvaultd: vault". */
void role_set_name(const char *name);

/* The key holder: reads the master key (created on first start), answers
 * READY with the audit keys (or START_FAILED with the reason, exit 1), then
 * serves keyd requests on KEYD_FD until the service closes it. The exit
 * status: 0 after a clean end, 1 otherwise. */
int role_vault_main(const config_t *cfg);

#endif
