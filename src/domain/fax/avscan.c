/* Uploads scanned by clamd (see avscan.h). */
#include "fax.h"

#include <stdatomic.h>
#include <string.h>

#include "clamd.h"
#include "dom_util.h"
#include "log.h"

static atomic_ullong n_clean, n_infected, n_errors, n_open;

void dom_av_counts(unsigned long long *clean, unsigned long long *infected,
	unsigned long long *errors, unsigned long long *failed_open)
{
	*clean = atomic_load(&n_clean);
	*infected = atomic_load(&n_infected);
	*errors = atomic_load(&n_errors);
	*failed_open = atomic_load(&n_open);
}

int dom_av_check(dom_ctx_t *c, const char *account_id, const char *field, const void *data,
	size_t len, dom_err_t *e)
{
	const fax_env_t *env = c->cfg ? c->cfg->fax : NULL;
	if (!env || !env->clamd || !*env->clamd)
		return 0;
	/* The scanner reads with no lock of ours held. */
	if (dom_tx_pause(c, e) != 0)
		return -1;
	char name[CLAMD_NAME_MAX], err[160] = "";
	enum clamd_verdict v = clamd_scan(env->clamd, data, len, env->av_timeout_ms, name, err,
		sizeof err);
	if (dom_tx_resume(c, e) != 0)
		return -1;
	if (v == CLAMD_CLEAN) {
		atomic_fetch_add(&n_clean, 1);
		return 0;
	}
	if (v == CLAMD_ERROR) {
		atomic_fetch_add(&n_errors, 1);
		char q[200];
		if (env->av_fail_open) {
			atomic_fetch_add(&n_open, 1);
			log_event(LOG_WARN, "av.unavailable_accepted", "account=%s field=%s err=%s", account_id,
				field, log_quote(err, q, sizeof q));
			return 0;
		}
		log_event(LOG_ERROR, "av.unavailable", "account=%s field=%s err=%s", account_id, field,
			log_quote(err, q, sizeof q));
		return dom_fail(e, "unavailable", field, "uploads cannot be checked for malware right "
			"now; try again later");
	}
	atomic_fetch_add(&n_infected, 1);
	json_t *detail = json_pack("{s:s, s:s, s:I}", "field", field, "signature", name, "size",
		(json_int_t)len);
	int rc = dom_audit(c, "upload.malware_refused", account_id, account_id, "failure", detail);
	json_decref(detail);
	/* The refusal's audit event stays although the request fails. */
	if (rc == 0)
		c->keep_on_error = true;
	char q[160];
	log_event(LOG_WARN, "av.infected", "account=%s field=%s signature=%s", account_id, field,
		log_quote(name, q, sizeof q));
	return dom_fail(e, "malware-detected", field, "the file was refused: the scanner found %s in it",
		name);
}
