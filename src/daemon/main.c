/* faxvaultd: the faxvault daemon and its administrative commands.
 *
 *   faxvaultd [OPTIONS]                              serve the API
 *   faxvaultd [OPTIONS] bootstrap --operator EMAIL [--json]
 *   faxvaultd [OPTIONS] audit-verify [--json]
 *   faxvaultd [OPTIONS] check-config | print-config
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pwd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "api.h"
#include "portal.h"
#include "audit/audit.h"
#include "audit_cmd.h"
#include "buf.h"
#include "backup_cmd.h"
#include "config.h"
#include "datadir.h"
#include "domain.h"
#include "faxsvc.h"
#include "mail_sender.h"
#include "http_front.h"
#include "sip_front.h"
#include "smtp_front.h"
#include "smtp_ingress.h"
#include "libver.h"
#include "line.h"
#include "liveness.h"
#include "log.h"
#include "queue.h"
#include "sweep.h"
#include "webhook_sender.h"
#include "fax/fax.h"
#include "records/records.h"
#include "metrics.h"
#include "numparse.h"
#include "ops.h"
#include "paths.h"
#include "probe.h"
#include "numbers/numbers.h"
#include "rotate_cmd.h"
#include "role.h"
#include "keyd.h"
#include "identity/identity.h"
#include "render.h"
#include "sec.h"
#include "store.h"
#include "supv.h"
#include "system_cmd.h"
#include "timeutil.h"
#include "vault.h"
#include "xalloc.h"

struct fv_embedded {
	const char *name;
	const char *text;
};
extern const struct fv_embedded fv_openapi_doc[];

static void usage(FILE *out)
{
	fputs("usage: faxvaultd [OPTIONS] [COMMAND]\n"
	      "\n"
	      "Commands:\n"
	      "  serve (default)                     run the service\n"
	      "  bootstrap --operator EMAIL [--json]  create the first provider operator and print\n"
	      "                                      a one-time password\n"
	      "  password-reset --email EMAIL        issue a password-reset token and print it\n"
	      "  audit-verify [--json] [--checkpoint FILE]... [--expect-head SEQ:HASH]\n"
	      "                                      check the audit chain offline with its key (from\n"
	      "                                      the master key) and against checkpoints kept\n"
	      "                                      elsewhere; exit 0 when intact (saying what it could\n"
	      "                                      not rule out), 1 naming the first broken event\n"
	      "  backup --to DIR [--passphrase-file FILE | --without-key]\n"
	      "                                      copy the database (online, consistent), the\n"
	      "                                      documents and the audit checkpoints, with the\n"
	      "                                      master key sealed under a passphrase (the file,\n"
	      "                                      or FAXVAULT_BACKUP_PASSPHRASE)\n"
	      "  restore --from DIR [--data-dir DIR] [--passphrase-file FILE]\n"
	      "                                      make a new data directory of a backup\n"
	      "  backup-verify --from DIR [--passphrase-file FILE] [--sample N]\n"
	      "                                      check a backup: every file, the audit chain,\n"
	      "                                      N documents decrypted (default 20)\n"
	      "  rotate-master-key [--json]          with the service stopped: a new master key;\n"
	      "                                      account keys and provider secrets rewrapped,\n"
	      "                                      documents untouched, the old key overwritten\n"
	      "  check-config                        validate the configuration and exit\n"
	      "  print-config                        print the effective configuration\n"
	      "\n"
	      "Options:\n"
	      "  --config FILE         INI configuration file\n"
	      "  --data-dir DIR        overrides data_dir\n"
	      "  --http ADDR:PORT      overrides http.listen\n"
	      "  --set NAME=VALUE      overrides any setting (repeatable)\n"
	      "  --print-config-reference  every setting with default, bounds and help\n"
	      "  --help, --version\n"
	      "\n"
	      "Exit codes: 0 ok, 1 failure (e.g. broken audit chain), 2 usage or configuration error,\n"
	      "3 bootstrap refused (already set up).\n", out);
}

/* The command line faxvaultd was started with: the key holder is started
 * with the same one (same configuration) and its role. */
static char **saved_argv;
/* --role: "" (faxvaultd itself: the supervisor when serving, or a
 * command), "service", "vault", "http", "smtp" or "sip". */
static const char *role = "";

/* The versions of what faxvaultd is built on, for operators (P01: patching)
 * and for /metrics. */
static libvers_t libs;

/* Every library faxvaultd parses untrusted input with, and its version. */
static void collect_versions(libvers_t *l)
{
	l->n = 0;
	libver_add(l, "sqlite", "the database", "%s", sqlite3_libversion());
	libver_add(l, "microhttpd", "HTTP requests", "%s", MHD_get_version());
	libver_add(l, "jansson", "JSON bodies", "%s", jansson_version_str());
	libver_add(l, "sodium", "keys, tokens, sealed secrets", "%s", sodium_version_string());
	libver_add(l, "openssl", "TLS of webhooks", "%s", OpenSSL_version(OPENSSL_VERSION_STRING));
	libver_add(l, "libcurl", "webhook answers", "%s", curl_version_info(CURLVERSION_NOW)->version);
	render_lib_versions(l);
	line_lib_versions(l);
}

static void print_versions(FILE *out)
{
	fprintf(out, "faxvaultd %s\n", FV_VERSION);
	for (size_t i = 0; i < libs.n; i++)
		fprintf(out, "  %-12s %-22s %s\n", libs.v[i].name, libs.v[i].version, libs.v[i].parses);
}

static int ensure_dir(const char *dir)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

/* Whether the store is PostgreSQL's (store.backend) rather than the
 * SQLite file in the data directory. */
static bool store_is_pg(const config_t *cfg)
{
	return strcmp(cfg->store_backend, "postgresql") == 0;
}

static store_t *open_store(const config_t *cfg)
{
	if (ensure_dir(cfg->data_dir) != 0 || datadir_secure(cfg->data_dir) < 0) {
		fprintf(stderr, "faxvaultd: cannot create data directory %s: %s\n", cfg->data_dir,
			strerror(errno));
		return NULL;
	}
	char err[512];
	store_t *st;
	if (store_is_pg(cfg))
		st = store_open_pg(cfg->store_pg_dsn, err, sizeof err);
	else {
		char *p = db_path(cfg);
		st = store_open(p, err, sizeof err);
		free(p);
	}
	if (!st)
		fprintf(stderr, "faxvaultd: %s\n", err);
	return st;
}

/* The service's address as browsers see it, without a trailing slash:
 * sso.public_url, else mail.web_url, else http:// and http.listen. */
static const char *sso_web_url(const config_t *cfg)
{
	static char url[600];
	const char *u = *cfg->sso_public_url ? cfg->sso_public_url : cfg->mail_web_url;
	snprintf(url, sizeof url, *u ? "%s" : "http://%s", *u ? u : cfg->http_listen);
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	return url;
}

static dom_config_t dom_config(const config_t *cfg)
{
	dom_config_t d = {
		.session_idle_minutes = (int)cfg->session_idle_minutes,
		.session_max_hours = (int)cfg->session_max_hours,
		.auth_cache_ms = (int)cfg->auth_cache_ms,
		.invitation_days = (int)cfg->invitation_days,
		.apikey_max_days = (int)cfg->apikey_max_days,
		.limits = {
			.min_length = (int)cfg->password_min_length,
			.lockout_threshold = (int)cfg->lockout_threshold,
			.lockout_minutes = (int)cfg->lockout_minutes,
			.idle_minutes = (int)cfg->session_idle_minutes,
			.max_hours = (int)cfg->session_max_hours,
			.rpm = (int)cfg->rate_rpm,
			.burst = (int)cfg->rate_burst,
			.contacts_review_months = (int)cfg->contacts_review_months,
		},
		.source_lock_threshold = (int)cfg->source_lockout_threshold,
		.source_lock_minutes = (int)cfg->source_lockout_minutes,
		.reset_minutes = (int)cfg->reset_minutes,
		.mail_on = *cfg->mail_relay != '\0',
		.mail_sender_per_hour = (int)cfg->mail_sender_per_hour,
		.mail_sender_pages_per_day = (int)cfg->mail_sender_pages_per_day,
		.retention_min_days = (int)cfg->retention_min_days,
		.retention_max_days = (int)cfg->retention_max_days,
		.consent_max_days = (int)cfg->consent_max_days,
		.closure_grace_days = (int)cfg->closure_grace_days,
		.grant_max_hours = (int)cfg->grant_max_hours,
		.break_glass_max_minutes = (int)cfg->break_glass_max_minutes,
		.safebox_max_days = (int)cfg->safebox_max_days,
		.status_check_ms = (int)cfg->status_check_seconds * 1000,
		.status_failure_window_minutes = (int)cfg->status_failure_window,
		.status_failure_percent = (int)cfg->status_failure_percent,
		.status_failure_min_calls = (int)cfg->status_failure_min_calls,
		.web_url = sso_web_url(cfg),
		.sso_allow = cfg->sso_allow,
		.sso_domain_recheck_hours = (int)cfg->sso_domain_recheck_hours,
		.sso_domain_grace_hours = (int)cfg->sso_domain_grace_hours,
		.invoice_due_days = (int)cfg->invoice_due_days,
		.reminder_before_days = (int)cfg->reminder_before_days,
		.suspend_after_days = (int)cfg->suspend_after_days,
		.test_invoice_crash_at = (int)cfg->test_invoice_crash_at,
		.payment_provider = *cfg->payment_provider ? cfg->payment_provider : NULL,
		.payment_tolerance_s = (int)cfg->payment_tolerance,
		.fraud = {
			.volume_floor_pages = (int)cfg->fraud_volume_floor,
			.volume_factor = (int)cfg->fraud_volume_factor,
			.risky_prefixes = cfg->fraud_risky_prefixes,
			.sequential_calls = (int)cfg->fraud_sequential_calls,
			.new_country_after = cfg->fraud_new_country_after > 0
				? (int)cfg->fraud_new_country_after : -1,
			.window_hours = (int)cfg->fraud_window_hours,
		},
	};
	return d;
}

/* A command's operation, called by the runner (op_call). */
struct local_call {
	int (*op)(dom_ctx_t *, const char *, char **, dom_err_t *);
	const char *arg;
	char **secret;
};

static int local_run(void *p, dom_ctx_t *c, json_t **out, dom_err_t *e)
{
	struct local_call *lc = p;
	*out = NULL;
	return lc->op(c, lc->arg, lc->secret, e);
}

/* Runs one domain operation that yields a secret (a password, a token) in a
 * local transaction, as the daemon's administrative commands do. 0 with
 * *secret (caller frees), or -1 with e. */
static int local_op(const config_t *cfg, const char *what,
	int (*op)(dom_ctx_t *, const char *, char **, dom_err_t *), const char *arg, char **secret,
	dom_err_t *e)
{
	store_t *st = open_store(cfg);
	if (!st)
		return dom_fail(e, "internal", "", "the database could not be opened");
	/* The command's events are chained with the audit key like the
	 * service's (the master key is created here if this runs first). */
	char *kp = master_key_path(cfg), why[256];
	audit_keys_t *keys = audit_cmd_keys(kp, 1, why, sizeof why);
	free(kp);
	if (!keys) {
		store_close(st);
		return dom_fail(e, "internal", "", "%s", why);
	}
	audit_use_keys(keys);
	dom_config_t dc = dom_config(cfg);
	char actor[160];
	cli_actor(actor, sizeof actor);
	/* Through the operation runner (ops.h), as the machine's own actor:
	 * whoever runs faxvaultd's commands holds the database already. */
	op_spec_t spec = { .action = what, .pattern = what };
	op_run_t run;
	struct local_call lc = { .op = op, .arg = arg, .secret = secret };
	json_t *none = NULL;
	int rc = -1;
	if (op_begin(&run, st, &dc, &spec, "local", what, "en", true) == 0) {
		op_as_actor(&run, actor);
		if (op_call(&run, local_run, &lc, &none) == 0 && op_commit(&run) == 0)
			rc = 0;
	}
	if (rc != 0) {
		*e = run.e;
		op_fail(&run, NULL);
	}
	op_end(&run);
	store_close(st);
	audit_use_keys(NULL);
	audit_keys_free(keys);
	return rc;
}

static int cmd_bootstrap(const config_t *cfg, int argc, char **argv)
{
	const char *email = NULL;
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--operator") == 0 && i + 1 < argc)
			email = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else {
			fprintf(stderr, "faxvaultd bootstrap: unexpected argument %s\n", argv[i]);
			return 2;
		}
	}
	if (!email) {
		fputs("usage: faxvaultd [--data-dir DIR] bootstrap --operator EMAIL [--json]\n", stderr);
		return 2;
	}
	dom_err_t e = { 0 };
	char *pw = NULL;
	if (local_op(cfg, "bootstrap", dom_bootstrap, email, &pw, &e) != 0) {
		fprintf(stderr, "faxvaultd bootstrap: %s\n", e.detail);
		return strcmp(e.kind, "already-bootstrapped") == 0 ? 3 : 1;
	}
	if (json) {
		json_t *o = json_pack("{s:s, s:s}", "email", email, "password", pw);
		char *s = json_dumps(o, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(o);
	} else {
		printf("First provider operator created.\n"
		       "  email:    %s\n"
		       "  password: %s\n"
		       "This password is shown once and stored only as a hash.\n", email, pw);
	}
	free(pw);
	return 0;
}

static int cmd_password_reset(const config_t *cfg, int argc, char **argv)
{
	const char *email = argc == 3 && strcmp(argv[1], "--email") == 0 ? argv[2] : NULL;
	if (!email) {
		fputs("usage: faxvaultd [--data-dir DIR] password-reset --email EMAIL\n", stderr);
		return 2;
	}
	dom_err_t e = { 0 };
	char *tok = NULL;
	if (local_op(cfg, "password-reset", dom_reset_create, email, &tok, &e) != 0) {
		fprintf(stderr, "faxvaultd password-reset: %s\n", e.detail);
		return 1;
	}
	printf("Password-reset token for %s (valid %lld minutes, single use):\n%s\n"
	       "Complete with: POST /v1/password-resets/complete {\"token\": \"…\", \"password\": \"…\"}\n",
		email, (long long)cfg->reset_minutes, tok);
	free(tok);
	return 0;
}

static int cmd_audit_verify(const config_t *cfg, int argc, char **argv)
{
	char *p = db_path(cfg);
	struct stat sb;
	if (!store_is_pg(cfg) && stat(p, &sb) != 0) {
		fprintf(stderr, "faxvaultd audit-verify: no database at %s\n", p);
		free(p);
		return 2;
	}
	free(p);
	store_t *st = open_store(cfg);
	if (!st)
		return 2;
	char *kp = master_key_path(cfg);
	int rc = audit_cmd_verify(st, kp, argc, argv);
	free(kp);
	store_close(st);
	return rc;
}

static int cmd_rotate(const config_t *cfg, int argc, char **argv)
{
	store_t *st = open_store(cfg);
	if (!st)
		return 2;
	char *kp = master_key_path(cfg), actor[160];
	cli_actor(actor, sizeof actor);
	int rc = rotate_cmd_run(st, kp, actor, strcmp(cfg->test_rotate_stop, "none") == 0 ? ""
		: cfg->test_rotate_stop, argc, argv);
	free(kp);
	store_close(st);
	return rc;
}

/* This program's command line for a child: title, --role NAME,
 * then the service's own options and command (so the configuration is the
 * same). The array is the caller's (free it; the strings are borrowed). */
static char **role_argv(const char *title, const char *name)
{
	return role_argv_of(saved_argv, title, name);
}

/* What the fax service and the fax operations of the API share: the
 * vault's master key, the document and work directories, the limits. */
struct fax_runtime {
	fax_env_t env;
	keyd_client_t *keys; /* the key holder: the only process that reads master.key */
	audit_keys_t *audit; /* the audit chain's keys, derived from the master key by it */
	char *doc_dir, *work_dir, *key_path, *backup_key_dir;
	char loopback[80]; /* the loopback trunk's bound "IP:PORT" */
	char node[72];
};

static int fax_runtime_open(const config_t *cfg, struct fax_runtime *fr)
{
	memset(fr, 0, sizeof *fr);
	fr->doc_dir = docs_path(cfg);
	fr->backup_key_dir = backup_key_path(cfg);
	fr->work_dir = xasprintf("%s/work", cfg->data_dir);
	fr->key_path = master_key_path(cfg);
	if (ensure_dir(fr->doc_dir) != 0 || ensure_dir(fr->work_dir) != 0) {
		fprintf(stderr, "faxvaultd: cannot create %s or %s: %s\n", fr->doc_dir, fr->work_dir,
			strerror(errno));
		return -1;
	}
	/* The key holder, from a fresh image of this program, before anything
	 * here could read a key: this process never opens master.key. */
	char **kargv = role_argv("faxvaultd: vault", "vault");
	uint8_t chain[32], seed[32];
	char err[300];
	fr->keys = keyd_client_start("/proc/self/exe", kargv, chain, seed, err, sizeof err);
	free(kargv);
	if (!fr->keys) {
		log_event(LOG_ERROR, "daemon.key_holder", "err=\"%s\"", err);
		fprintf(stderr, "faxvaultd: %s\n", err);
		return -1;
	}
	/* Every event from here on is chained with the key held apart from
	 * the database (docs/security.md). */
	fr->audit = audit_keys_from_bytes(chain, seed);
	explicit_bzero(chain, sizeof chain);
	explicit_bzero(seed, sizeof seed);
	if (!fr->audit) {
		fprintf(stderr, "faxvaultd: the audit keys could not be made\n");
		return -1;
	}
	audit_use_keys(fr->audit);
	if (*cfg->fax_node_id) {
		snprintf(fr->node, sizeof fr->node, "%s", cfg->fax_node_id);
	} else if (gethostname(fr->node, sizeof fr->node - 1) != 0 || !fr->node[0]) {
		snprintf(fr->node, sizeof fr->node, "node");
	}
	snprintf(fr->loopback, sizeof fr->loopback, "%s", cfg->fax_loopback_sip);
	/* Documents are rendered by a helper started from a fresh image, never
	 * by a fork of this process, which holds the master key and other
	 * tenants' data: without the helper the service does not start. */
	const char *helper = render_default_helper();
	if (!helper) {
		log_event(LOG_ERROR, "daemon.render_helper", "err=\"faxvault-render-helper not found\"");
		fprintf(stderr, "faxvaultd: faxvault-render-helper not found next to faxvaultd or in "
				"../libexec/faxvault/\n");
		return -1;
	}
	log_event(LOG_INFO, "daemon.render_helper", "path=%s", helper);
	fr->env = (fax_env_t){
		.keys = fr->keys,
		.doc_dir = fr->doc_dir,
		.work_dir = fr->work_dir,
		.max_pages = (int)cfg->fax_max_pages,
		.render_timeout_ms = (int)cfg->fax_render_timeout * 1000,
		.loopback_sip = fr->loopback,
		.webhook_allow = cfg->webhook_allow,
		.number_quarantine_days = (int)cfg->fax_quarantine_days,
		.currency = cfg->fax_currency,
		.account_max_calls = (int)cfg->fax_account_max_calls,
		.lease_ms = (int)cfg->fax_lease_seconds * 1000,
		.render_helper = helper,
		.mail_on = *cfg->mail_relay != '\0',
		.clamd = cfg->av_clamd,
		.av_timeout_ms = (int)cfg->av_timeout * 1000,
		.av_fail_open = cfg->av_fail_open != 0,
		.safebox_max_days = (int)cfg->safebox_max_days,
		.backup_key_dir = fr->backup_key_dir,
		.backup_retention_days = (int)cfg->backup_retention_days,
		.backup_root = cfg->backup_root,
		.test_render_hold = cfg->test_render_hold_file,
	};
	return 0;
}

static void fax_runtime_close(struct fax_runtime *fr)
{
	keyd_client_stop(fr->keys);
	audit_use_keys(NULL);
	audit_keys_free(fr->audit);
	free(fr->doc_dir);
	free(fr->backup_key_dir);
	free(fr->work_dir);
	free(fr->key_path);
	memset(fr, 0, sizeof *fr);
}

/* The listening sockets bound at start, when the start stops before their
 * listeners own them (-1: none). */
static void close_fds(int a, int b, int c)
{
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	if (c >= 0)
		close(c);
}

/* The port a listening socket is bound to, or 0. */
static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* The audit checkpoint, a periodic sweep (sweep.h): a signed checkpoint of
 * each audit chain's head that moved, every audit.checkpoint_minutes, on
 * one node at a time. */
struct checkpoint_sweep {
	store_t *st;
	const char *file;
	int64_t every_ms;
};

static int64_t checkpoint_pass(void *arg, const queue_job_t *job, int64_t now)
{
	(void)job;
	(void)now;
	struct checkpoint_sweep *cs = arg;
	size_t n;
	audit_checkpoint_publish(cs->st, cs->file, &n);
	return cs->every_ms;
}

static int cmd_serve(const config_t *cfg)
{
	/* Signals are taken synchronously by this thread; block them before any
	 * worker thread exists so none of those receives them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Started by the supervisor (supervisor_main): ended with it, its
	 * control socket on fd 3, the listening sockets it bound (and keeps)
	 * on 4.. (not a socket: none configured). The key holder and the front
	 * ends are started through it (supv.h). */
	role_set_name("fv-service");
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Its seccomp filter before any thread (role.h). */
	char why[128];
	if (role_service_confine(why, sizeof why) != 0) {
		log_event(LOG_ERROR, "daemon.start", "err=\"%s\"", why);
		fprintf(stderr, "faxvaultd: %s\n", why);
		return 1;
	}
	if (cfg->test_service_seccomp_probe) {
		sigaddset(&set, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	}
	if (getppid() == 1 || ipc_proc_use_supervisor(SERVICE_CTL_FD) != 0)
		return 1;
	int lfd[SERVICE_LISTEN_N];
	for (int i = 0; i < SERVICE_LISTEN_N; i++) {
		struct stat sb;
		lfd[i] = SERVICE_LISTEN_FD0 + i;
		if (fstat(lfd[i], &sb) != 0 || !S_ISSOCK(sb.st_mode)) {
			close(lfd[i]);
			lfd[i] = -1;
		} else {
			fcntl(lfd[i], F_SETFD, FD_CLOEXEC);
		}
	}
	int http_fd = lfd[SERVICE_LISTEN_HTTP], metrics_fd = lfd[SERVICE_LISTEN_METRICS],
	    sip_fd = lfd[SERVICE_LISTEN_SIP], smtp_fd = lfd[SERVICE_LISTEN_SMTP],
	    lmtp_fd = lfd[SERVICE_LISTEN_LMTP];
	store_t *st = open_store(cfg);
	if (!st) {
		close_fds(http_fd, metrics_fd, sip_fd);
		close_fds(smtp_fd, lmtp_fd, -1);
		return 1;
	}
	struct fax_runtime fr;
	/* Secrets an older version stored in clear are sealed before anything
	 * can read them. */
	if (fax_runtime_open(cfg, &fr) != 0 || dom_secrets_seal_all(st, &fr.env) < 0) {
		fax_runtime_close(&fr);
		store_close(st);
		return 1;
	}
	api_config_t ac = {
		.threads = (int)cfg->http_threads,
		.max_body = (size_t)cfg->http_max_body,
		.metrics_token_file = cfg->metrics_token_file,
		.openapi = fv_openapi_doc[0].text,
		.login_rpm = (int)cfg->login_rpm,
		.login_burst = (int)cfg->login_burst,
		.clock_file = *cfg->test_clock_file ? cfg->test_clock_file : NULL,
		.dom = dom_config(cfg),
		.max_upload = (size_t)cfg->fax_max_upload,
		.log_health_probes = (int)cfg->log_health_probes,
		.portal_dir = *cfg->portal_dir ? cfg->portal_dir : portal_default_dir(),
		.secure_cookies = strncasecmp(sso_web_url(cfg), "https://", 8) == 0,
	};
	if (ac.portal_dir)
		log_event(LOG_INFO, "daemon.portal", "dir=%s", ac.portal_dir);
	else
		log_event(LOG_WARN, "daemon.portal", "note=\"no web portal found: / answers 404\"");
	ac.dom.fax = &fr.env;
	/* The status board's api and portal components follow this process's
	 * answers and the portal's files (status_auto.h). */
	ac.dom.http_totals = metrics_http_totals;
	ac.dom.portal_dir = ac.portal_dir;
	/* The payment provider's webhook secret: read once, kept in memory
	 * only (never logged). */
	static char payment_secret[256];
	if (ac.dom.payment_provider) {
		buf_t sb;
		buf_init(&sb, sizeof payment_secret - 1);
		int rr = buf_read_file(&sb, cfg->payment_secret_file);
		size_t n = rr == 0 ? sb.len : 0;
		while (n > 0 && (sb.data[n - 1] == '\n' || sb.data[n - 1] == '\r' || sb.data[n - 1] == ' '))
			n--;
		if (n > 0)
			memcpy(payment_secret, sb.data, n);
		payment_secret[n] = '\0';
		if (sb.data)
			sodium_memzero(sb.data, sb.len);
		buf_free(&sb);
		if (n < 10 || strncmp(payment_secret, "whsec_", 6) != 0) {
			log_event(LOG_ERROR, "daemon.start", "part=billing err=\"billing.payment_webhook_secret_file"
				" must hold a secret whsec_BASE64\"");
			fprintf(stderr, "faxvaultd: billing.payment_webhook_secret_file must hold a secret"
				" whsec_BASE64\n");
			fax_runtime_close(&fr);
			store_close(st);
			return 1;
		}
		ac.dom.payment_secret = payment_secret;
	}
	char *cpfile = checkpoint_path(cfg);
	ac.dom.audit_checkpoint_file = cpfile;
	ac.dom.queue_retention_ms = cfg->queue_retention_days * 86400000;
	ac.dom.idem_retention_ms = cfg->idempotency_hours * 3600000;
	if (ac.clock_file) {
		log_event(LOG_WARN, "daemon.test_clock", "file=%s note=\"the clock follows a test file; never in production\"",
			ac.clock_file);
		/* Read now, before the queue and sweeps start: a restarted
		 * service must not take leases on the real clock and then see
		 * them passed at its first request. */
		time_follow_file(ac.clock_file);
	}
	long npw = pwlist_load(cfg->common_passwords_file);
	if (npw < 0 && *cfg->common_passwords_file)
		log_event(LOG_WARN, "daemon.common_passwords", "file=%s err=unreadable entries=%zu",
			cfg->common_passwords_file, pwlist_size());
	else
		log_event(LOG_INFO, "daemon.common_passwords", "entries=%zu", pwlist_size());
	char err[256];
	/* The fax service first: it recovers what a crash left before the API
	 * takes new work, and binds the loopback trunk (whose port the API's
	 * routing needs). */
	faxsvc_t *fax = NULL;
	/* The engine (SIP and media) in a process of its own (role_sip_main):
	 * the calls the service places and the listeners it keeps run there. */
	sip_front_t *sip = NULL;
	if (cfg->fax_enabled && cfg->fax_sip_front) {
		char **pargv = role_argv("faxvaultd: sip", "sip");
		/* It changes user when started as root (role.h). */
		sip = sip_front_start("/proc/self/exe", pargv, geteuid() != 0 && !role_is_service_user()
			? NULL : *cfg->sip_user ? cfg->sip_user : cfg->unprivileged_user, err, sizeof err);
		free(pargv);
		if (!sip) {
			log_event(LOG_ERROR, "daemon.start", "part=sip err=\"%s\"", err);
			fprintf(stderr, "faxvaultd: %s\n", err);
			fax_runtime_close(&fr);
			store_close(st);
			return 1;
		}
	}
	if (cfg->fax_enabled) {
		faxsvc_config_t fc = {
			.dom = &ac.dom,
			.node_id = fr.node,
			.workers = (int)cfg->fax_workers,
			.poll_ms = (int)cfg->fax_poll_ms,
			.retention_sweep_ms = cfg->retention_sweep_minutes * 60000,
			.clock_speed = (double)cfg->test_media_speed,
			.ring_ms = (int)cfg->fax_ring_seconds * 1000,
			.max_call_ms = (int)cfg->fax_max_call_minutes * 60000,
			.media_priority = (int)cfg->fax_media_priority,
			.media_loops = (int)cfg->fax_media_loops,
			.test_store_delay_ms = (int)cfg->test_store_delay_ms,
			.test_inbound_store_fail = (int)cfg->test_inbound_store_fail,
			.test_inbound_commit_lost = (int)cfg->test_inbound_commit_lost,
			.test_decide_delay_ms = (int)cfg->test_decide_delay_ms,
			.loopback_listen = cfg->fax_loopback_sip,
			.loopback_fd = sip_fd,
			.loopback_bound = fr.loopback,
			.loopback_bound_len = sizeof fr.loopback,
			.sip_listen = cfg->fax_sip_listen,
			.sip_public_address = cfg->fax_sip_public_address,
			.sip_tls_cert = cfg->fax_sip_tls_cert,
			.sip_tls_key = cfg->fax_sip_tls_key,
			.sip_tls_ca = cfg->fax_sip_tls_ca,
			.sip_tls_verify_client = strcmp(cfg->fax_sip_tls_verify_client, "require") == 0 ? LINE_TLS_CLIENT_REQUIRE
				: strcmp(cfg->fax_sip_tls_verify_client, "optional") == 0 ? LINE_TLS_CLIENT_OPTIONAL
				: LINE_TLS_CLIENT_OFF,
			.trunk_keepalive_ms = (int)cfg->fax_trunk_keepalive * 1000,
			.line = sip ? sip_front_line(sip) : NULL,
		};
		if (cfg->test_media_speed > 1)
			log_event(LOG_WARN, "daemon.test_media_clock", "speed=%lld note=\"tests only\"",
				(long long)cfg->test_media_speed);
		fax = faxsvc_start(&fc, st, err, sizeof err);
		if (!fax) {
			log_event(LOG_ERROR, "daemon.start", "part=fax err=\"%s\"", err);
			fprintf(stderr, "faxvaultd: %s\n", err);
			sip_front_stop(sip);
			fax_runtime_close(&fr);
			store_close(st);
			return 1;
		}
	}
	metrics_set_extra(faxsvc_metrics, fax);
	dom_capacity_set_inbound(faxsvc_inbound_calls, fax);
	/* The job queue's workers (queue.h): the kinds this node runs. */
	queue_config_t qc = { .node = fr.node, .workers = (int)cfg->queue_workers,
		.lease_ms = cfg->queue_lease_seconds * 1000 };
	queue_t *jobs = queue_new(st, &qc);
	snprintf(err, sizeof err, "the queue takes no more kinds");
	webhook_sender_t *hooks = NULL;
	/* Outbound mail: queued by the operations, sent by the queue's jobs. */
	mail_sender_t *mail = NULL;
	char web_url[600];
	snprintf(web_url, sizeof web_url, *cfg->mail_web_url ? "%s" : "http://%s",
		*cfg->mail_web_url ? cfg->mail_web_url : cfg->http_listen);
	mail_sender_config_t mc = {
		.relay = cfg->mail_relay,
		.site = { .from = cfg->mail_from, .web_url = web_url },
		.timeout_ms = (int)cfg->mail_timeout * 1000,
		/* VERP: bounces come back to the listener (docs/mail.md). */
		.bounce_domain = *cfg->mail_domain && (*cfg->mail_smtp_listen ||
			*cfg->mail_lmtp_listen) ? cfg->mail_domain : NULL,
	};
	/* The periodic sweeps: one job each among every node (sweep.h). */
	sweeps_t *sweeps = sweeps_new();
	struct checkpoint_sweep cps = { .st = st, .file = cpfile,
		.every_ms = cfg->audit_checkpoint_minutes * 60000 };
	if (faxsvc_sweeps(fax, sweeps) != 0 || faxsvc_sends(fax, jobs) != 0 ||
	    sweeps_add(sweeps, "checkpoint", checkpoint_pass, &cps, cps.every_ms) != 0 ||
	    sweeps_register(sweeps, jobs, st, err, sizeof err) != 0 ||
	    gdpr_export_register(jobs, &ac.dom) != 0 || fax_render_register(jobs, &ac.dom) != 0 ||
	    fax_quote_register(jobs, &ac.dom) != 0 ||
	    !(hooks = webhook_sender_register(jobs, st, &fr.env, (int)cfg->webhook_timeout * 1000,
		      err, sizeof err)) ||
	    (*cfg->mail_relay && !(mail = mail_sender_register(jobs, &mc, st, &fr.env, err,
		      sizeof err))) ||
	    (cfg->queue_workers > 0 && queue_start(jobs, err, sizeof err) != 0)) {
		log_event(LOG_ERROR, "daemon.start", "part=queue err=\"%s\"", err);
		fprintf(stderr, "faxvaultd: %s\n", err);
		queue_stop(jobs);
		sweeps_free(sweeps);
		webhook_sender_free(hooks);
		metrics_set_extra(NULL, NULL);
		dom_capacity_set_inbound(NULL, NULL);
		mail_sender_free(mail);
		faxsvc_stop(fax);
		sip_front_stop(sip);
		fax_runtime_close(&fr);
		store_close(st);
		return 1;
	}
	if (cfg->queue_workers == 0) {
		/* No workers here, but the leases a dead predecessor of this
		 * node holds are ended, for the other nodes to claim at once. */
		queue_reclaim(jobs);
		log_event(LOG_INFO, "queue.not_started", "node=%s note=\"queue.workers=0: other nodes"
			" run the jobs\"", queue_node(jobs));
	}
	/* Single sign-on fetches from identity providers in request threads:
	 * libcurl's global state is set up once, before any of them runs. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* The pipeline here; libmicrohttpd in the HTTP front end, a process of
	 * its own (role_http_main), on the sockets bound above. */
	int http_port = bound_port(http_fd), metrics_port = bound_port(metrics_fd);
	store_group_test_hold(st, cfg->test_group_hold_file);
	api_t *api = api_new(&ac, st, err, sizeof err);
	http_front_t *http = NULL;
	if (api) {
		char **hargv = role_argv("faxvaultd: http", "http");
		http = http_front_start("/proc/self/exe", hargv, http_fd, metrics_fd, api, &ac,
			cfg->test_http_stray_answers, err, sizeof err);
		free(hargv);
		if (!http) {
			api_release(api);
			api = NULL;
		} else if (metrics_fd >= 0) {
			log_event(LOG_INFO, "http.metrics_listening", "listen=%s port=%d token=%s",
				cfg->metrics_listen, metrics_port, *cfg->metrics_token_file ? "required"
				: "none");
		}
	} else {
		close_fds(http_fd, metrics_fd, -1);
	}
	if (!api) {
		log_event(LOG_ERROR, "daemon.start", "err=\"%s\"", err);
		fprintf(stderr, "faxvaultd: %s\n", err);
		metrics_set_extra(NULL, NULL);
		dom_capacity_set_inbound(NULL, NULL);
		queue_stop(jobs);
		sweeps_free(sweeps);
		webhook_sender_free(hooks);
		mail_sender_free(mail);
		faxsvc_stop(fax);
		sip_front_stop(sip);
		fax_runtime_close(&fr);
		store_close(st);
		return 1;
	}
	/* Fax by e-mail: mail handed over by the provider's mail servers. */
	/* Its sessions and the MIME parse run in the SMTP front end, a process
	 * of its own (role_smtp_main); the decision and submission here. */
	smtp_front_t *smtp = NULL;
	smtp_ingress_t ingress = { .st = st, .cfg = &ac.dom,
		.test_verdict_delay_ms = (int)cfg->test_smtp_verdict_delay_ms };
	if (smtp_fd >= 0 || lmtp_fd >= 0) {
		char **sargv = role_argv("faxvaultd: smtp", "smtp");
		smtp = smtp_front_start("/proc/self/exe", sargv, smtp_fd, lmtp_fd,
			(size_t)cfg->mail_smtp_max_bytes, &ingress, err, sizeof err);
		free(sargv);
		if (!smtp) {
			log_event(LOG_ERROR, "daemon.start", "part=smtp err=\"%s\"", err);
			fprintf(stderr, "faxvaultd: %s\n", err);
		}
	}
	/* A listener that could not start ends the start here, through the
	 * same stop as a signal. */
	int rc = (*cfg->mail_smtp_listen || *cfg->mail_lmtp_listen) && !smtp;
	if (!rc)
		log_event(LOG_INFO, "daemon.started", "version=%s listen=%s port=%d data_dir=%s"
			" schema=%d fax=%d loopback_sip=%s"
			" sqlite=%s microhttpd=%s jansson=%s sodium=%s",
			FV_VERSION, cfg->http_listen, http_port, cfg->data_dir,
			store_schema_version(st), fax != NULL, fr.loopback[0] ? fr.loopback : "-",
			sqlite3_libversion(), MHD_get_version(), jansson_version_str(),
			sodium_version_string());
	/* From now on the supervisor starts this process again if it dies. */
	if (!rc)
		ipc_proc_ready();
	/* ... and kills it when a thread that serves is stuck (liveness.h). */
	liveness_test_hold_file(cfg->test_worker_hold_file);
	if (!rc)
		ipc_proc_watch(cfg->service_hang_seconds * 1000);
	/* The audit checkpoints between signals are a sweep of the queue
	 * (checkpoint_pass). */
	size_t ncp;
	for (; !rc;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig < 0)
			continue;
		if (sig == SIGHUP) {
			log_reopen();
			log_event(LOG_INFO, "daemon.reopen_logs", "ok=1");
			continue;
		}
		if (sig == SIGUSR1) {
			role_service_seccomp_probe();
			continue;
		}
		log_event(LOG_INFO, "daemon.stopping", "signal=%d drain_seconds=%lld", sig,
			(long long)cfg->drain_seconds);
		break;
	}
	smtp_front_stop(smtp);
	/* Requests that come now are answered 503; the front end ends those
	 * in flight (shutdown.drain_seconds), then exits. */
	api_drain(api);
	http_front_stop(http);
	api_release(api);
	metrics_set_extra(NULL, NULL);
	dom_capacity_set_inbound(NULL, NULL);
	queue_stop(jobs);
	sweeps_free(sweeps);
	webhook_sender_free(hooks);
	mail_sender_free(mail);
	faxsvc_stop(fax);
	sip_front_stop(sip);
	/* And one at every stop, once nothing else records. */
	audit_checkpoint_publish(st, cpfile, &ncp);
	free(cpfile);
	store_close(st);
	fax_runtime_close(&fr);
	pwlist_free();
	log_event(LOG_INFO, "daemon.stopped", "ok=%d", !rc);
	return rc;
}

static int run(config_t *cfg, int argc, char **argv)
{
	const char *config_file = getenv("FAXVAULT_CONFIG");
	char err[512];
	int i = 1;
	/* The config file first, so that flags override it wherever they stand. */
	for (int k = 1; k < argc; k++)
		if (strcmp(argv[k], "--config") == 0 && k + 1 < argc)
			config_file = argv[k + 1];
	if (config_file && *config_file && config_load_file(cfg, config_file, err, sizeof err) != 0) {
		fprintf(stderr, "faxvaultd: configuration: %s\n", err);
		return 2;
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			print_versions(stdout);
			return 0;
		} else if (strcmp(a, "--print-config-reference") == 0) {
			config_print_reference(stdout);
			return 0;
		} else if (strcmp(a, "--config") == 0 && next) {
			i++;
		} else if (strcmp(a, "--role") == 0 && next &&
			   (strcmp(next, "vault") == 0 || strcmp(next, "smtp") == 0 ||
			    strcmp(next, "service") == 0 ||
			    strcmp(next, "http") == 0 || strcmp(next, "sip") == 0)) {
			role = next;
			i++;
		} else if (strcmp(a, "--data-dir") == 0 && next) {
			rc = config_set(cfg, "data_dir", next, err, sizeof err);
			i++;
		} else if (strcmp(a, "--http") == 0 && next) {
			rc = config_set(cfg, "http.listen", next, err, sizeof err);
			i++;
		} else if (strcmp(a, "--set") == 0 && next) {
			char *eq = strchr(next, '=');
			if (!eq) {
				snprintf(err, sizeof err, "--set takes NAME=VALUE");
				rc = -1;
			} else {
				char *name = xstrndup(next, (size_t)(eq - next));
				rc = config_set(cfg, name, eq + 1, err, sizeof err);
				free(name);
			}
			i++;
		} else {
			fprintf(stderr, "faxvaultd: unknown option %s (try --help)\n", a);
			return 2;
		}
		if (rc != 0) {
			fprintf(stderr, "faxvaultd: %s\n", err);
			return 2;
		}
	}
	if (config_validate(cfg, err, sizeof err) != 0) {
		fprintf(stderr, "faxvaultd: configuration: %s\n", err);
		return 2;
	}
	store_pg_set_timeout((int)cfg->store_pg_timeout);
	static const char *const levels[] = { "debug", "info", "warn", "error" };
	for (int l = 0; l < 4; l++)
		if (strcmp(cfg->log_level, levels[l]) == 0)
			log_set_level((enum log_level)l);
	const char *cmd = i < argc ? argv[i] : "serve";
	/* Under root with daemon.service_user (role.h): the service and the
	 * key holder become that user before they open anything; faxvaultd
	 * itself checks the user exists before it starts anything. */
	if (strcmp(role, "service") == 0 || strcmp(role, "vault") == 0 ||
	    (!*role && strcmp(cmd, "serve") == 0)) {
		uid_t su;
		gid_t sg;
		if (*role ? role_become_service_user(cfg, err, sizeof err) != 0
			  : role_service_user(cfg, &su, &sg, err, sizeof err) < 0) {
			fprintf(stderr, "faxvaultd: %s\n", err);
			return 1;
		}
	}
	/* The log file is the service's; checking or printing the configuration
	 * (perhaps as another user) does not open it. */
	if (strcmp(cmd, "check-config") != 0 && strcmp(cmd, "print-config") != 0 && *cfg->log_file &&
	    role_log_open(cfg, 0) != 0) {
		fprintf(stderr, "faxvaultd: cannot open log file %s\n", cfg->log_file);
		return 2;
	}
	if (sec_init() != 0) {
		fputs("faxvaultd: cannot initialise libsodium\n", stderr);
		return 1;
	}
	sec_pwhash_set_cost((unsigned long long)cfg->argon2_ops, (size_t)cfg->argon2_mem_kib * 1024);

	/* Tests only: every command follows the test clock as the service does
	 * (read once: a command is short), with the service's warning, so that
	 * what it stamps (the first operator, a reset token's expiry, its audit
	 * events, a backup's date) is on the clock the service reads. The
	 * service reads it itself (cmd_serve); checking or printing the
	 * configuration reads no time. */
	if (*cfg->test_clock_file && strcmp(cmd, "serve") != 0 && strcmp(cmd, "check-config") != 0 &&
	    strcmp(cmd, "print-config") != 0) {
		char q[96];
		log_event(LOG_WARN, "daemon.test_clock",
			"file=%s command=%s note=\"the clock follows a test file; never in production\"",
			cfg->test_clock_file, log_quote(cmd, q, sizeof q));
		time_follow_file(cfg->test_clock_file);
	}
	int rc;
	if (strcmp(role, "vault") == 0)
		rc = role_vault_main(cfg);
	else if (strcmp(role, "smtp") == 0)
		rc = role_smtp_main(cfg);
	else if (strcmp(role, "http") == 0)
		rc = role_http_main(cfg);
	else if (strcmp(role, "sip") == 0)
		rc = role_sip_main(cfg);
	else if (strcmp(role, "service") == 0)
		rc = strcmp(cmd, "serve") == 0 ? cmd_serve(cfg) : 2;
	else if (strcmp(cmd, "serve") == 0)
		rc = supervisor_main(cfg, saved_argv);
	else if (strcmp(cmd, "bootstrap") == 0)
		rc = cmd_bootstrap(cfg, argc - i, argv + i);
	else if (strcmp(cmd, "password-reset") == 0)
		rc = cmd_password_reset(cfg, argc - i, argv + i);
	else if (strcmp(cmd, "audit-verify") == 0)
		rc = system_cmd(cfg, "audit-verify", "audit.verify_run", cmd_audit_verify, argc - i,
			argv + i);
	else if (strcmp(cmd, "rotate-master-key") == 0)
		rc = system_cmd(cfg, "rotate-master-key", "vault.master_rotate_run", cmd_rotate, argc - i,
			argv + i);
	else if (strcmp(cmd, "backup") == 0)
		rc = system_cmd(cfg, "backup", "backup.run", backup_cmd_backup, argc - i, argv + i);
	else if (strcmp(cmd, "restore") == 0)
		rc = backup_cmd_restore(cfg, argc - i, argv + i);
	else if (strcmp(cmd, "backup-verify") == 0)
		rc = backup_cmd_verify(cfg, argc - i, argv + i);
	else if (strcmp(cmd, "check-config") == 0) {
		puts("configuration is valid");
		rc = 0;
	} else if (strcmp(cmd, "print-config") == 0) {
		config_print(cfg, stdout);
		rc = 0;
	} else {
		fprintf(stderr, "faxvaultd: unknown command %s (try --help)\n", cmd);
		rc = 2;
	}
	return rc;
}

int main(int argc, char **argv)
{
	/* jansson allocates through xalloc.h too: running out of memory is
	 * one fatal event, never a NULL object dropped silently. */
	json_set_alloc_funcs(xmalloc, free);
	/* Every file the daemon creates (database, WAL, keys, documents, logs)
	 * is its user's alone. */
	umask(077);
	collect_versions(&libs);
	metrics_set_libs(&libs);
	saved_argv = argv;
	config_t cfg;
	config_defaults(&cfg);
	int rc = run(&cfg, argc, argv);
	config_free(&cfg);
	return rc;
}
