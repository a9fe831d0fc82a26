/* faxvaultd's system commands through the operation runner (system_cmd.h). */
#include "system_cmd.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_cmd.h"
#include "ops.h"
#include "paths.h"
#include "store.h"

void cli_actor(char *out, size_t len)
{
	const struct passwd *pw = getpwuid(geteuid());
	char host[64] = "";
	if (gethostname(host, sizeof host - 1) != 0 || !host[0])
		snprintf(host, sizeof host, "localhost");
	if (pw && pw->pw_name)
		snprintf(out, len, "cli:%s@%s", pw->pw_name, host);
	else
		snprintf(out, len, "cli:uid%u@%s", (unsigned)geteuid(), host);
}

struct sys_call {
	const config_t *cfg;
	system_cmd_fn fn;
	int argc;
	char **argv;
	int rc;
};

static int sys_run(void *arg, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	(void)c;
	struct sys_call *sc = arg;
	*out = NULL;
	sc->rc = sc->fn(sc->cfg, sc->argc, sc->argv);
	if (sc->rc == 0)
		return 0;
	if (sc->rc == 2)
		return dom_fail(e, "refused", "", "the command refused to run (exit 2)");
	return dom_fail(e, "failed", "", "the command failed (exit %d)", sc->rc);
}

/* The command's database once it ran, to record the run: never made here
 * (a run that found none leaves none). */
static store_t *open_existing(const config_t *cfg)
{
	char err[512];
	if (strcmp(cfg->store_backend, "postgresql") == 0)
		return store_open_pg(cfg->store_pg_dsn, err, sizeof err);
	char *p = db_path(cfg);
	struct stat sb;
	store_t *st = stat(p, &sb) == 0 ? store_open(p, err, sizeof err) : NULL;
	free(p);
	return st;
}

int system_cmd(const config_t *cfg, const char *name, const char *action, system_cmd_fn fn,
	int argc, char **argv)
{
	char actor[64], op[160];
	snprintf(actor, sizeof actor, "system:%s", name);
	cli_actor(op, sizeof op);
	/* The command runs its own transactions (OP_OWN_TX); the runner
	 * records each run with its outcome (OP_AUDIT_RUN). */
	const op_spec_t spec = { .action = action, .pattern = name, .flags = OP_OWN_TX | OP_AUDIT_RUN };
	op_run_t run;
	op_begin(&run, NULL, NULL, &spec, "local", name, "en", true);
	op_as_actor(&run, actor);
	struct sys_call sc = { .cfg = cfg, .fn = fn, .argc = argc, .argv = argv, .rc = 1 };
	json_t *none = NULL;
	int called = op_call(&run, sys_run, &sc, &none);
	if (sc.rc == SYSTEM_CMD_STOPPED) {
		/* A test hook's crash: nothing more happens. */
		op_end(&run);
		return 1;
	}
	run.detail = json_pack("{s:s, s:i}", "operator", op, "exit", sc.rc);
	store_t *st = open_existing(cfg);
	run.c.store = st;
	/* The run's event is chained with the audit keys of the data
	 * directory's master key (after a rotation, the new file's: the keys
	 * are carried over). */
	char *kp = master_key_path(cfg), why[256];
	audit_keys_t *keys = st ? audit_cmd_keys(kp, 0, why, sizeof why) : NULL;
	free(kp);
	audit_use_keys(keys);
	if (called == 0)
		op_commit(&run);
	else
		op_fail(&run, NULL);
	audit_use_keys(NULL);
	audit_keys_free(keys);
	op_end(&run);
	store_close(st);
	return sc.rc;
}
