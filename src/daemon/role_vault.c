/* The key holder process (see role.h and keyd.h). */
#include "role.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "audit.h"
#include "ipc.h"
#include "keyd.h"
#include "log.h"
#include "paths.h"
#include "vault.h"
#include "xalloc.h"

void role_set_name(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

static int start_failed(const char *why)
{
	log_event(LOG_ERROR, "keyd.start_failed", "err=\"%s\"", why);
	struct ipc_out *o = xmalloc(sizeof *o);
	ipc_out_init(o, KEYD_START_FAILED, 0);
	ipc_put_str(o, why);
	ipc_send(KEYD_FD, o);
	free(o);
	return 1;
}

int role_vault_main(const config_t *cfg)
{
	role_set_name("fv-vault");
	/* The holder ends when the service closes its socket, after the
	 * service drained its requests: a SIGTERM or ^C sent to the whole
	 * group does not end it first. If the service dies, so does it. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1)
		return 1;
	/* Only the socket and the standard streams come in (and the log file
	 * this process opened itself, opened again after). */
	close_range(KEYD_FD + 1, ~0U, 0);
	log_reopen();
	char *kp = master_key_path(cfg), *docs = docs_path(cfg), why[512];
	vault_key_t *master = NULL;
	vault_err_t ve = vault_master_load(kp, 1, &master);
	if (ve != VAULT_OK) {
		snprintf(why, sizeof why, "master key %s: %s", kp, vault_strerror(ve));
		free(kp);
		free(docs);
		return start_failed(why);
	}
	/* Held while serving: a rotation refuses to run beside it. */
	int lock_fd = vault_master_lock(kp, 0);
	char fp[VAULT_FINGERPRINT_LEN];
	vault_key_fingerprint(master, fp);
	log_event(LOG_INFO, "daemon.master_key", "file=%s fingerprint=%s pid=%d", kp, fp, (int)getpid());
	uint8_t chain[32], seed[32];
	if (audit_keys_derive_bytes(master, chain, seed) != 0) {
		vault_key_free(master);
		free(kp);
		free(docs);
		return start_failed("the audit keys could not be derived");
	}
	struct ipc_out *o = xmalloc(sizeof *o);
	ipc_out_init(o, KEYD_READY, 0);
	ipc_put_str(o, fp);
	ipc_put_bytes(o, chain, sizeof chain);
	ipc_put_bytes(o, seed, sizeof seed);
	explicit_bzero(chain, sizeof chain);
	explicit_bzero(seed, sizeof seed);
	int rc = ipc_send(KEYD_FD, o);
	explicit_bzero(o, sizeof *o);
	free(o);
	if (rc == 0)
		rc = keyd_serve(KEYD_FD, master, docs);
	vault_key_free(master);
	if (lock_fd >= 0)
		close(lock_fd);
	free(kp);
	free(docs);
	log_event(rc == 0 ? LOG_INFO : LOG_ERROR, "keyd.stopped", "ok=%d", rc == 0);
	return rc == 0 ? 0 : 1;
}
