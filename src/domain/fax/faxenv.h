/* What the fax operations of the domain need from the running service:
 * where documents live, the master key of the vault, and the limits the
 * provider set. Filled by the daemon from its configuration; borrowed by
 * the domain (dom_config_t.fax) for the life of the service. */
#ifndef FV_DOMAIN_FAXENV_H
#define FV_DOMAIN_FAXENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyd.h"
#include "vault.h"

typedef struct fax_env {
	keyd_client_t *keys;       /* the key holder process (the service) */
	const vault_key_t *master; /* or the master key in this process (tests, tools);
				      neither: fax documents are unavailable (503) */
	const char *doc_dir;       /* encrypted document blobs (DOC_ID.fvb) */
	const char *work_dir;      /* parent of private per-job temporary directories (0700),
				      each wiped when its job ends */
	int max_pages;             /* page cap of one submission (cover included) */
	int render_timeout_ms;     /* wall-clock cap of rendering one document */
	const char *loopback_sip;  /* "IP:PORT" of the loopback trunk's SIP listener */
	const char *webhook_allow; /* CIDRs webhook URLs may resolve to despite being
				      loopback, private or link-local ("" : none) */
	int number_quarantine_days; /* a released number returns to inventory after this */
	const char *currency;      /* default currency of accounts (ISO 4217) */
	int account_max_calls;     /* outbound calls of one account at once (0: FAX_ACCOUNT_MAX_CALLS) */
	const char *render_helper; /* the renderer helper program (render_default_helper());
				      every render_* call of the service sets
				      render_opts.helper_path to it. NULL only in tools */
	bool mail_on;              /* mail.relay is set: received faxes are mailed (mailq.h) */
	const char *clamd;         /* the scanner of uploads (av.clamd; "" or NULL: none) */
	int av_timeout_ms;         /* one scan */
	bool av_fail_open;         /* accept uploads while the scanner is unreachable */
	int safebox_max_days;      /* ceiling of a SafeBox's expiry (0: SAFEBOX_DAYS_DEFAULT_MAX) */
	int lease_ms;              /* how long a claimed fax job stays this node's without
				      its lease renewed (fax.lease_seconds; 0: FAX_LEASE_MS_DEFAULT) */
	const char *backup_key_dir; /* the backups' keys (backup.key_dir; NULL: not swept) */
	int backup_retention_days; /* a backup expires after this (0: not said in certificates) */
	const char *backup_root;   /* expired backups under it are removed (backup.root; "": none) */
} fax_env_t;

/* The lease of a fax job when fax.lease_seconds is not given (tools, tests). */
#define FAX_LEASE_MS_DEFAULT 120000

static inline int64_t fax_env_lease_ms(const fax_env_t *env)
{
	return env && env->lease_ms > 0 ? env->lease_ms : FAX_LEASE_MS_DEFAULT;
}

/* What fax.currency defaults to; used only where no env is given (tools,
 * tests): the service always passes the provider's setting. */
#define FAX_CURRENCY_DEFAULT "EUR"

/* Whether env can reach keys (the key holder, or a master key here). */
static inline bool fax_env_has_keys(const fax_env_t *env)
{
	return env && (env->keys || env->master);
}

/* How to reach them (keyd.h). */
static inline keyd_target_t fax_env_keys(const fax_env_t *env)
{
	return (keyd_target_t){ .client = env->keys, .master = env->master, .doc_dir = env->doc_dir };
}

/* The currency of an account that has none of its own: the provider's
 * (fax.currency). Static or env's storage. */
static inline const char *fax_env_currency(const fax_env_t *env)
{
	return env && env->currency && *env->currency ? env->currency : FAX_CURRENCY_DEFAULT;
}

#endif
