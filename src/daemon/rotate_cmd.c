/* `faxvaultd rotate-master-key` (see rotate_cmd.h).
 *
 * Order, so that a crash anywhere leaves a state the next run finishes:
 *   1. the new key file is written beside the old one (KEY.next);
 *   2. one transaction rewraps every account key and provider secret under
 *      it and records the rotation in the audit chain;
 *   3. KEY.next is renamed over KEY (atomic), the directory synced;
 *   4. the old key file's bytes are overwritten through a descriptor kept
 *      open across the rename, and synced;
 *   5. everything is opened again under the key now at KEY, and the audit
 *      chain verified.
 * A run that finds KEY.next asks the database which key its account keys
 * open under: the new one (a crash after 2: finish with 3 and 4) or the old
 * one (a crash before 2: the new file protected nothing and is removed). */
#include "rotate_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit_cmd.h"
#include "system_cmd.h"
#include "fdio.h"
#include "log.h"
#include "store_secrets.h"
#include "vault.h"
#include "xalloc.h"

struct rot {
	store_t *st;
	const char *kp;
	char *next;
	vault_key_t *old, *new;
	int lock_fd, old_fd;
	int accounts, secrets;
	char old_fp[VAULT_FINGERPRINT_LEN], new_fp[VAULT_FINGERPRINT_LEN];
};

/* Says why on stderr; -1. */
__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("faxvaultd rotate-master-key: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return -1;
}

static int hex_wrapped(const char *hex, uint8_t w[VAULT_WRAPPED_LEN])
{
	size_t n = 0;
	return hex && sodium_hex2bin(w, VAULT_WRAPPED_LEN, hex, strlen(hex), NULL, &n, NULL) == 0 &&
			n == VAULT_WRAPPED_LEN ? 0 : -1;
}

/* Whether account key row r opens under k. */
static bool account_opens(const vault_key_t *k, const json_t *r)
{
	uint8_t w[VAULT_WRAPPED_LEN];
	vault_key_t *ak = NULL;
	const char *acc = json_string_value(json_object_get(r, "account_id"));
	bool ok = hex_wrapped(json_string_value(json_object_get(r, "wrapped_key")), w) == 0 &&
		vault_account_key_unwrap(k, acc, w, sizeof w, &ak) == VAULT_OK;
	vault_key_free(ak);
	return ok;
}

/* Whether provider secret row r opens under k. */
/* The sealed part of a stored secret: a long one ("SEALED.BOX", a trunk's
 * TLS key, secrets.h) has its box encrypted under a key that SEALED holds,
 * so only SEALED is rewrapped (sealed text itself has no '.'). A new string. */
static char *sealed_part(const json_t *r, const char **rest)
{
	const char *s = json_string_value(json_object_get(r, "secret"));
	const char *dot = s ? strchr(s, '.') : NULL;
	*rest = dot ? dot : "";
	return s ? xstrndup(s, dot ? (size_t)(dot - s) : strlen(s)) : NULL;
}

static bool secret_opens(const vault_key_t *k, const json_t *r)
{
	static const vault_scope_t provider = { NULL, NULL, 0 };
	char *plain = NULL;
	const char *rest;
	char *sealed = sealed_part(r, &rest);
	bool ok = vault_secret_open(k, &provider, json_string_value(json_object_get(r, "kind")),
			  json_string_value(json_object_get(r, "id")), sealed, &plain) == VAULT_OK;
	vault_secret_free(plain);
	free(sealed);
	return ok;
}

/* Under which key the database's keys and secrets open: 1 every one under
 * k, 0 none, -1 some but not all (or a read error), 2 there is nothing to
 * ask. Counts them into r. */
static int db_opens_under(struct rot *r, const vault_key_t *k)
{
	store_tx_t *tx = store_begin(r->st, false);
	json_t *keys = tx ? store_account_keys_all(tx) : NULL;
	json_t *secs = tx ? store_secrets_provider(tx) : NULL;
	if (tx)
		store_rollback(tx);
	int yes = 0, no = 0, rc;
	size_t i;
	json_t *row;
	if (!keys || !secs) {
		rc = -1;
		goto out;
	}
	json_array_foreach(keys, i, row)
		account_opens(k, row) ? yes++ : no++;
	json_array_foreach(secs, i, row)
		secret_opens(k, row) ? yes++ : no++;
	r->accounts = (int)json_array_size(keys);
	r->secrets = (int)json_array_size(secs);
	rc = yes + no == 0 ? 2 : no == 0 ? 1 : yes == 0 ? 0 : -1;
out:
	json_decref(keys);
	json_decref(secs);
	return rc;
}

/* Rewraps every account key and provider secret from r->old to r->new and
 * records the rotation, in one transaction. 0, or -1 (rolled back). */
static int rewrap_all(struct rot *r, const char *actor)
{
	store_tx_t *tx = store_begin(r->st, true);
	if (!tx)
		return fail("the database is unreachable");
	json_t *keys = store_account_keys_all(tx), *secs = store_secrets_provider(tx);
	int rc = keys && secs ? 0 : -1;
	size_t i;
	json_t *row;
	json_array_foreach(keys, i, row) {
		const char *acc = json_string_value(json_object_get(row, "account_id"));
		uint8_t w[VAULT_WRAPPED_LEN], nw[VAULT_WRAPPED_LEN];
		char hex[2 * VAULT_WRAPPED_LEN + 1];
		if (rc != 0)
			break;
		if (hex_wrapped(json_string_value(json_object_get(row, "wrapped_key")), w) != 0 ||
		    vault_account_key_rewrap(r->old, r->new, acc, w, sizeof w, nw) != VAULT_OK) {
			rc = fail("the key of account %s does not open under the current master key", acc);
			break;
		}
		sodium_bin2hex(hex, sizeof hex, nw, sizeof nw);
		if (store_account_key_replace(tx, acc, hex) != STORE_OK)
			rc = -1;
	}
	json_array_foreach(secs, i, row) {
		const char *kind = json_string_value(json_object_get(row, "kind"));
		const char *id = json_string_value(json_object_get(row, "id"));
		char *out = NULL;
		if (rc != 0)
			break;
		const char *rest;
		char *sealed = sealed_part(row, &rest);
		if (vault_secret_rewrap(r->old, r->new, kind, id, sealed, &out) != VAULT_OK) {
			free(sealed);
			rc = fail("the %s secret of %s does not open under the current master key", kind,
				id);
			break;
		}
		free(sealed);
		char *whole = xasprintf("%s%s", out, rest);
		if (store_secret_replace(tx, kind, id, whole) != STORE_OK)
			rc = -1;
		free(whole);
		free(out);
	}
	r->accounts = (int)json_array_size(keys);
	r->secrets = (int)json_array_size(secs);
	json_decref(keys);
	json_decref(secs);
	if (rc == 0) {
		json_t *d = json_pack("{s:s, s:s, s:i, s:i}", "old_fingerprint", r->old_fp,
			"new_fingerprint", r->new_fp, "account_keys", r->accounts, "provider_secrets",
			r->secrets);
		audit_ctx_t ctx = { .actor = actor, .source = "local", .request_id = "rotate-master-key" };
		rc = audit_record(tx, &ctx, "vault.master_rotate", r->new_fp, NULL, "success", d);
		json_decref(d);
	}
	if (rc == 0 && store_commit(tx) == STORE_OK)
		return 0;
	if (rc == 0)
		fail("the transaction did not commit");
	else
		store_rollback(tx);
	return -1;
}

/* Writes zeros over the old key file through r->old_fd (its name is gone or
 * about to be) and syncs them. */
static int overwrite_old(struct rot *r)
{
	uint8_t zero[VAULT_MASTER_FILE_LEN_V2] = { 0 };
	struct stat sb;
	if (r->old_fd < 0 || fstat(r->old_fd, &sb) != 0)
		return -1;
	size_t len = (size_t)sb.st_size < sizeof zero ? (size_t)sb.st_size : sizeof zero;
	int rc = pwrite(r->old_fd, zero, len, 0) == (ssize_t)len && fsync(r->old_fd) == 0 ? 0 : -1;
	close(r->old_fd);
	r->old_fd = -1;
	return rc;
}

/* fsync of the directory holding path. */
static int sync_dir_of(const char *path)
{
	char *d = xstrdup(path);
	char *slash = strrchr(d, '/');
	int fd = open(slash ? (slash == d ? "/" : (*slash = '\0', d)) : ".",
		O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	free(d);
	return rc;
}

/* Steps 3 and 4: the new key file takes the old one's name, the old bytes
 * are overwritten. */
static int swap_files(struct rot *r)
{
	r->old_fd = open(r->kp, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (r->old_fd < 0 || rename(r->next, r->kp) != 0 || sync_dir_of(r->kp) != 0)
		return fail("cannot put %s in place of %s: finish by running the command again",
			r->next, r->kp);
	if (overwrite_old(r) != 0)
		return fail("the old key file's bytes could not be overwritten");
	return 0;
}

/* A KEY.next left by an interrupted run: finished (1: the database is
 * under it and the files were swapped), removed (0: start afresh), or -1. */
static int resume(struct rot *r)
{
	vault_err_t ve = vault_master_load(r->next, 0, &r->new);
	if (ve == VAULT_ERR_NOT_FOUND)
		return 0;
	if (ve != VAULT_OK)
		return fail("%s is left by an interrupted rotation and cannot be read: %s", r->next,
			vault_strerror(ve));
	vault_key_fingerprint(r->new, r->new_fp);
	int under_new = db_opens_under(r, r->new);
	if (under_new == 1) {
		printf("An interrupted rotation had committed: finishing it (new key %s).\n", r->new_fp);
		return swap_files(r) == 0 ? 1 : -1;
	}
	if (under_new == 0 || under_new == 2) {
		/* It never protected anything: its bytes go with it. */
		int fd = open(r->next, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		uint8_t zero[VAULT_MASTER_FILE_LEN_V2] = { 0 };
		if (fd >= 0) {
			if (pwrite(fd, zero, sizeof zero, 0) < 0 || fsync(fd) != 0)
				log_event(LOG_WARN, "vault.rotate_next", "overwrite=failed");
			close(fd);
		}
		unlink(r->next);
		vault_key_free(r->new);
		r->new = NULL;
		printf("An interrupted rotation had not committed: its new key file is removed.\n");
		return 0;
	}
	return fail("the database's keys open partly under %s: restore from a backup", r->next);
}

/* Step 5: everything opens under the key file now at KEY, and the audit
 * chain verifies. */
static int verify(struct rot *r)
{
	vault_key_t *k = NULL;
	if (vault_master_load(r->kp, 0, &k) != VAULT_OK || !vault_master_same(k, r->new)) {
		vault_key_free(k);
		return fail("%s is not the new key after the swap", r->kp);
	}
	int under = db_opens_under(r, k);
	vault_key_free(k);
	if (under != 1 && under != 2)
		return fail("some account key or secret does not open under the new key");
	char *av[] = { "audit-verify", NULL };
	int arc = audit_cmd_verify(r->st, r->kp, 1, av);
	return arc == 0 ? 0 : fail("the audit chain does not verify after the rotation");
}

static void summary(const struct rot *r, bool json)
{
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:b}", "old_fingerprint", r->old_fp,
			"new_fingerprint", r->new_fp, "account_keys", r->accounts, "provider_secrets",
			r->secrets, "verified", 1);
		char *s = json_dumps(o, JSON_COMPACT);
		printf("%s\n", s);
		free(s);
		json_decref(o);
		return;
	}
	printf("Master key rotated: %s -> %s\n"
	       "  account keys rewrapped:     %d\n"
	       "  provider secrets resealed:  %d\n"
	       "  documents:                  untouched (their keys are under the account keys)\n"
	       "  audit chain:                same keys, verified\n"
	       "The old key file's bytes were overwritten. Backups taken before now hold the old key:\n"
	       "destroy them on your retention schedule to finish the rotation.\n",
		r->old_fp, r->new_fp, r->accounts, r->secrets);
}

int rotate_cmd_run(store_t *st, const char *key_path, const char *actor, const char *stop_after,
	int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else {
			fprintf(stderr, "usage: faxvaultd [--data-dir DIR] rotate-master-key [--json]\n");
			return 2;
		}
	}
	struct rot r = { .st = st, .kp = key_path, .lock_fd = -1, .old_fd = -1 };
	r.next = xasprintf("%s.next", key_path);
	int rc = 1;
	r.lock_fd = vault_master_lock(key_path, 1);
	if (r.lock_fd < 0) {
		if (errno == EWOULDBLOCK) {
			fail("%s is in use by a running faxvaultd (its key holder): stop the service on "
			     "every node first", key_path);
			rc = 2;
		} else {
			fail("cannot open %s: %s", key_path, strerror(errno));
		}
		goto out;
	}
	vault_err_t ve = vault_master_load(key_path, 0, &r.old);
	if (ve != VAULT_OK) {
		fail("cannot read %s: %s", key_path, vault_strerror(ve));
		goto out;
	}
	vault_key_fingerprint(r.old, r.old_fp);
	int res = resume(&r);
	if (res < 0)
		goto out;
	if (res == 1) {
		rc = verify(&r) == 0 ? 0 : 1;
		if (rc == 0)
			summary(&r, json);
		goto out;
	}
	int under_old = db_opens_under(&r, r.old);
	if (under_old == -1 || under_old == 0) {
		fail("some account key or secret does not open under %s: nothing changed", key_path);
		goto out;
	}
	ve = vault_master_create_next(r.old, r.next);
	if (ve != VAULT_OK || vault_master_load(r.next, 0, &r.new) != VAULT_OK) {
		fail("cannot write %s: %s", r.next, strerror(errno));
		goto out;
	}
	vault_key_fingerprint(r.new, r.new_fp);
	if (strcmp(stop_after, "next") == 0) {
		rc = SYSTEM_CMD_STOPPED;
		goto out;
	}
	/* The rotation's own event is chained with the keys it carries over. */
	audit_keys_t *ak = audit_keys_derive(r.old);
	audit_use_keys(ak);
	int rw = ak ? rewrap_all(&r, actor) : -1;
	audit_use_keys(NULL);
	audit_keys_free(ak);
	if (rw != 0) {
		unlink(r.next);
		fail("nothing changed; the old key is still the one in use");
		goto out;
	}
	log_event(LOG_INFO, "vault.master_rotated", "old=%s new=%s accounts=%d secrets=%d", r.old_fp,
		r.new_fp, r.accounts, r.secrets);
	if (strcmp(stop_after, "commit") == 0) {
		rc = SYSTEM_CMD_STOPPED;
		goto out;
	}
	if (swap_files(&r) != 0 || verify(&r) != 0)
		goto out;
	summary(&r, json);
	rc = 0;
out:
	if (r.old_fd >= 0)
		close(r.old_fd);
	if (r.lock_fd >= 0)
		close(r.lock_fd);
	vault_key_free(r.old);
	vault_key_free(r.new);
	free(r.next);
	return rc;
}
