/* Documents at rest (docs/fax-service.md, "Documents at rest"): every fax
 * document is a row of `documents` and an encrypted blob DOC_DIR/ID.fvb
 * under its own key, wrapped by the account's key (created on first use,
 * stored wrapped by the master key in account_keys). Plain files exist only
 * in private work directories (WORK_DIR/job-XXXXXX, 0700) wiped after each
 * job.
 *
 * The _tx variants serve callers without a request (the fax runner); the
 * others take the request's context and its transaction c->tx. All return
 * 0, or -1 (with e set where there is an e). Nothing here logs content. */
#ifndef FV_DOMAIN_DOCS_H
#define FV_DOMAIN_DOCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"

#define DOC_ID_MAX 64

/* Encrypts data[0..len) as a new document of account_id and inserts its row
 * in c->tx; the id ("doc_…") goes to doc_id. kind: "original", "fax",
 * "received", "loa", … */
int dom_doc_put(dom_ctx_t *c, const char *account_id, const char *kind, const void *data,
	size_t len, char doc_id[DOC_ID_MAX], dom_err_t *e);
/* The same from a file (read whole; documents are at most RENDER_INPUT_MAX). */
int dom_doc_put_file(dom_ctx_t *c, const char *account_id, const char *kind, const char *path,
	char doc_id[DOC_ID_MAX], dom_err_t *e);
/* Decrypts document doc_id of account_id into the file path (created 0600;
 * put it in a work directory). */
int dom_doc_get_file(dom_ctx_t *c, const char *account_id, const char *doc_id, const char *path,
	dom_err_t *e);
/* Destroys a document: its row (the wrapped key) in c->tx, then its blob. */
int dom_doc_shred(dom_ctx_t *c, const char *account_id, const char *doc_id, dom_err_t *e);

/* Removes the blob of a document whose row (its wrapped key) a committed
 * transaction already deleted: 0 (also when there was none), or -1. */
int doc_blob_remove(const fax_env_t *env, const char *doc_id);

/* Without a request. pages < 0: unknown. The account key is unwrapped (or
 * created) through tx. */
int doc_put_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id, const char *kind,
	const void *data, size_t len, int pages, char doc_id[DOC_ID_MAX]);
int doc_put_file_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *kind, const char *path, int pages, char doc_id[DOC_ID_MAX]);
int doc_get_file_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *doc_id, const char *path);
int doc_shred_tx(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	const char *doc_id);

/* The key of account_id as stored (wrapped by the master key) into
 * wrapped; when there is none and create is set, a new one is made and
 * stored through tx (a write transaction). 0, or -1 (no master key, no key
 * and create unset, or the store failed). */
int doc_account_key_wrapped(store_tx_t *tx, const fax_env_t *env, const char *account_id,
	bool create, uint8_t wrapped[VAULT_WRAPPED_LEN]);

/* "unavailable" when the last document or key operation of this thread
 * failed because the key holder did not answer (a 503 that a retry may
 * cure), else "internal". Static storage. */
const char *doc_failure_kind(void);

/* A new private work directory env->work_dir/job-XXXXXX (0700) into out. */
int dom_workdir_new(const fax_env_t *env, char *out, size_t outlen);
/* Removes the directory and every file in it (flat). NULL or "" is a no-op. */
void dom_workdir_wipe(const char *path);
/* At start: removes every job-* directory left in env->work_dir. Returns how many. */
int dom_workdir_sweep(const fax_env_t *env);
/* Removes blobs of env->doc_dir that have no documents row, and the
 * writer's temporary files, last written min_age_s seconds ago or more (0:
 * all, when no other writer can run; see ORPHAN_MIN_AGE_S in faxsvc.c).
 * Returns how many were removed, or -1. */
int dom_docs_sweep_orphans(store_t *st, const fax_env_t *env, int min_age_s);

#endif
