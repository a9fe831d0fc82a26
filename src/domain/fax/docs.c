/* Encrypted documents and private work directories (see docs.h). */
#include "fax.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dom_util.h"
#include "fdio.h"
#include "log.h"
#include "render.h"
#include "sec.h"
#include "store_fax.h"
#include "timeutil.h"
#include "vault.h"
#include "xalloc.h"

static int hex_decode(const char *hex, uint8_t *out, size_t n)
{
	if (strlen(hex) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char ch = hex[2 * i + (size_t)k];
			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				v |= (unsigned)(ch - 'a' + 10);
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* The outcome of this thread's last key operation (doc_failure_kind). */
static _Thread_local vault_err_t last_err;

static vault_err_t noted(vault_err_t ve)
{
	last_err = ve;
	return ve;
}

const char *doc_failure_kind(void)
{
	return last_err == VAULT_ERR_UNAVAILABLE ? "unavailable" : "internal";
}

int doc_account_key_wrapped(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	bool create, uint8_t wrapped[VAULT_WRAPPED_LEN])
{
	last_err = VAULT_OK;
	if (!fax_env_has_keys(env))
		return -1;
	json_t *row = store_account_key_get(tx, account_id);
	if (row) {
		int bad = hex_decode(rec_str(row, "wrapped_key"), wrapped, VAULT_WRAPPED_LEN);
		json_decref(row);
		return bad ? -1 : 0;
	}
	if (!create)
		return -1;
	keyd_target_t t = fax_env_keys(env);
	vault_err_t ve = noted(keyd_account_key_new(&t, account_id, wrapped));
	if (ve != VAULT_OK) {
		log_event(LOG_ERROR, "docs.account_key", "account=%s err=\"%s\"", account_id,
			vault_strerror(ve));
		return -1;
	}
	char hex[2 * VAULT_WRAPPED_LEN + 1];
	sec_hex(wrapped, VAULT_WRAPPED_LEN, hex);
	return store_account_key_insert(tx, account_id, hex, time_now_ms()) == STORE_OK ? 0 : -1;
}

/* A new document of len bytes read from fd (borrowed, from offset 0),
 * encrypted by whoever holds the keys, and its row. */
static int doc_put_fd(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *kind, int fd, size_t len, int pages, char doc_id[DOC_ID_MAX])
{
	uint8_t wak[VAULT_WRAPPED_LEN], w[VAULT_WRAPPED_LEN];
	if (doc_account_key_wrapped(tx, env, account_id, true, wak) != 0)
		return -1;
	char *id = sec_new_id("doc");
	keyd_target_t t = fax_env_keys(env);
	vault_err_t ve = noted(keyd_doc_put(&t, account_id, wak, id, fd, w));
	if (ve != VAULT_OK) {
		log_event(LOG_ERROR, "docs.put", "account=%s doc=%s err=\"%s\"", account_id, id,
			vault_strerror(ve));
		free(id);
		return -1;
	}
	char hex[2 * VAULT_WRAPPED_LEN + 1];
	sec_hex(w, sizeof w, hex);
	json_t *row = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}", "id", id, "account_id", account_id,
		"kind", kind, "size", (json_int_t)len, "wrapped_key", hex, "created_at",
		(json_int_t)time_now_ms());
	if (pages >= 0)
		json_object_set_new(row, "pages", json_integer(pages));
	int rc = store_doc_insert(tx, row);
	json_decref(row);
	if (rc != STORE_OK) {
		vault_blob_remove(env->doc_dir, id);
		free(id);
		return -1;
	}
	snprintf(doc_id, DOC_ID_MAX, "%s", id);
	free(id);
	return 0;
}

int doc_put_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id, const char *kind,
	const void *data, size_t len, int pages, char doc_id[DOC_ID_MAX])
{
	/* The plaintext goes to the key holder as an anonymous file. */
	int fd = memfd_create("fv-doc", MFD_CLOEXEC);
	if (fd < 0 || fd_write_all(fd, data, len) != 0) {
		log_event(LOG_ERROR, "docs.put", "account=%s err=\"memfd: %s\"", account_id,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int rc = doc_put_fd(tx, env, account_id, kind, fd, len, pages, doc_id);
	close(fd);
	return rc;
}

int doc_put_fd_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *kind, int fd, int pages, char doc_id[DOC_ID_MAX])
{
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > RENDER_INPUT_MAX)
		return -1;
	return doc_put_fd(tx, env, account_id, kind, fd, (size_t)sb.st_size, pages, doc_id);
}

int doc_put_file_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *kind, const char *path, int pages, char doc_id[DOC_ID_MAX])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = doc_put_fd_tx(tx, env, account_id, kind, fd, pages, doc_id);
	close(fd);
	return rc;
}

int doc_get_fd_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *doc_id, int fd)
{
	json_t *row = store_doc_get(tx, account_id, doc_id);
	if (!row)
		return -1;
	uint8_t wdk[VAULT_WRAPPED_LEN], wak[VAULT_WRAPPED_LEN];
	int bad = hex_decode(rec_str(row, "wrapped_key"), wdk, sizeof wdk);
	json_decref(row);
	if (bad || doc_account_key_wrapped(tx, env, account_id, true, wak) != 0)
		return -1;
	keyd_target_t t = fax_env_keys(env);
	vault_err_t ve = noted(keyd_doc_get(&t, account_id, wak, doc_id, wdk, fd));
	if (ve != VAULT_OK) {
		log_event(LOG_ERROR, "docs.get", "doc=%s err=\"%s\"", doc_id, vault_strerror(ve));
		return -1;
	}
	return 0;
}

int doc_get_file_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *doc_id, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int rc = doc_get_fd_tx(tx, env, account_id, doc_id, fd);
	if (close(fd) != 0) {
		if (rc == 0)
			log_event(LOG_ERROR, "docs.get", "doc=%s err=\"write failed\"", doc_id);
		rc = -1;
	}
	if (rc != 0)
		unlink(path);
	return rc;
}

/* The blobs of the documents a transaction shredded: removed once it has
 * committed (shred_list_run), forgotten when it does not (the rows stay,
 * so must the files). One list per transaction, whatever the number of
 * documents. */
struct shred_list {
	size_t n, cap;
	struct shred_item {
		char *dir;
		char id[DOC_ID_MAX];
	} *v;
};

static void shred_list_free(void *arg)
{
	struct shred_list *l = arg;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].dir);
	free(l->v);
	free(l);
}

/* A failure leaves a file without a row: the orphan sweep removes it. The
 * keys went with the committed rows, so the removals are not made durable
 * (vault_blob_unlink: a file a crash brings back is unreadable, and swept;
 * the render job's originals cost a directory fsync a fax). */
static void shred_list_run(void *arg)
{
	struct shred_list *l = arg;
	for (size_t i = 0; i < l->n; i++) {
		vault_err_t ve = vault_blob_unlink(l->v[i].dir, l->v[i].id);
		if (ve != VAULT_OK && ve != VAULT_ERR_NOT_FOUND)
			log_event(LOG_ERROR, "docs.shred_left", "doc=%s err=\"%s\"", l->v[i].id,
				vault_strerror(ve));
	}
}

int doc_shred_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *doc_id)
{
	int rc = store_doc_delete(tx, account_id, doc_id);
	if (rc == STORE_ERROR)
		return -1;
	struct shred_list *l = store_tx_after_arg(tx, shred_list_run);
	if (!l) {
		l = xcalloc(1, sizeof *l);
		if (store_tx_after_commit_owned(tx, shred_list_run, l, shred_list_free) != 0) {
			/* The row goes all the same; its file is an orphan. */
			shred_list_free(l);
			log_event(LOG_ERROR, "docs.shred_left", "doc=%s err=\"left to the orphan sweep\"",
				doc_id);
			return 0;
		}
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].dir = xstrdup(env->doc_dir);
	snprintf(l->v[l->n].id, DOC_ID_MAX, "%s", doc_id);
	l->n++;
	return 0;
}

int doc_blob_remove(const fax_env_t *env, const char *doc_id)
{
	vault_err_t ve = vault_blob_remove(env->doc_dir, doc_id);
	return ve == VAULT_OK || ve == VAULT_ERR_NOT_FOUND ? 0 : -1;
}

static int need_env(dom_ctx_t *c, dom_err_t *e)
{
	if (!c->cfg || !fax_env_has_keys(c->cfg->fax))
		return dom_fail(e, "unavailable", "", "fax documents are not available on this service");
	return 0;
}

int dom_doc_put(dom_ctx_t *c, const char *account_id, const char *kind, const void *data,
	size_t len, char doc_id[DOC_ID_MAX], dom_err_t *e)
{
	if (need_env(c, e) != 0)
		return -1;
	if (doc_put_tx(c->tx, c->cfg->fax, account_id, kind, data, len, -1, doc_id) != 0)
		return dom_fail(e, doc_failure_kind(), "", "the document could not be stored");
	return 0;
}

int dom_doc_put_file(dom_ctx_t *c, const char *account_id, const char *kind, const char *path,
	char doc_id[DOC_ID_MAX], dom_err_t *e)
{
	if (need_env(c, e) != 0)
		return -1;
	if (doc_put_file_tx(c->tx, c->cfg->fax, account_id, kind, path, -1, doc_id) != 0)
		return dom_fail(e, doc_failure_kind(), "", "the document could not be stored");
	return 0;
}

int dom_doc_get_file(dom_ctx_t *c, const char *account_id, const char *doc_id, const char *path,
	dom_err_t *e)
{
	if (need_env(c, e) != 0)
		return -1;
	if (doc_get_file_tx(c->tx, c->cfg->fax, account_id, doc_id, path) != 0)
		return dom_fail(e, doc_failure_kind(), "", "the document could not be read");
	return 0;
}

int dom_doc_shred(dom_ctx_t *c, const char *account_id, const char *doc_id, dom_err_t *e)
{
	if (need_env(c, e) != 0)
		return -1;
	if (doc_shred_tx(c->tx, c->cfg->fax, account_id, doc_id) != 0)
		return dom_fail(e, "internal", "", "the document could not be destroyed");
	return 0;
}

/* ---- work directories ---- */

int dom_workdir_new(const fax_env_t *env, char *out, size_t outlen)
{
	if (!env || !env->work_dir)
		return -1;
	mkdir(env->work_dir, 0700);
	int n = snprintf(out, outlen, "%s/job-XXXXXX", env->work_dir);
	if (n < 0 || (size_t)n >= outlen || !mkdtemp(out)) {
		log_event(LOG_ERROR, "docs.workdir", "err=\"%s\"", strerror(errno));
		if (outlen)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

void dom_workdir_wipe(const char *path)
{
	if (!path || !*path)
		return;
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d))) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	rmdir(path);
}

int dom_workdir_sweep(const fax_env_t *env)
{
	if (!env || !env->work_dir)
		return 0;
	DIR *d = opendir(env->work_dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "job-", 4) != 0)
			continue;
		char *p = xasprintf("%s/%s", env->work_dir, de->d_name);
		dom_workdir_wipe(p);
		free(p);
		n++;
	}
	closedir(d);
	if (n)
		log_event(LOG_INFO, "docs.workdir_swept", "removed=%d", n);
	return n;
}

int dom_docs_sweep_orphans(store_t *st, const fax_env_t *env, int min_age_s)
{
	if (!env || !env->doc_dir)
		return 0;
	int tmp = 0;
	vault_sweep_temp(env->doc_dir, min_age_s, &tmp);
	DIR *d = opendir(env->doc_dir);
	if (!d)
		return tmp;
	store_tx_t *tx = store_begin(st, false);
	if (!tx) {
		closedir(d);
		return -1;
	}
	int n = 0;
	time_t before = time(NULL) - min_age_s;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), sl = strlen(VAULT_BLOB_SUFFIX);
		if (len <= sl || len - sl >= DOC_ID_MAX ||
		    strcmp(de->d_name + len - sl, VAULT_BLOB_SUFFIX) != 0)
			continue;
		char id[DOC_ID_MAX];
		memcpy(id, de->d_name, len - sl);
		id[len - sl] = '\0';
		struct stat sb;
		if (min_age_s > 0 && (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
					     sb.st_mtime > before))
			continue;
		if (store_doc_exists(tx, id) == 0 && vault_blob_remove(env->doc_dir, id) == VAULT_OK)
			n++;
	}
	store_rollback(tx);
	closedir(d);
	if (n || tmp)
		log_event(LOG_INFO, "docs.orphans_swept", "blobs=%d temp=%d", n, tmp);
	return n + tmp;
}
