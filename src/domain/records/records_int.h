/* Rewriting stored fax documents (docs/vault.md, "Erasure and rendered
 * documents").
 *
 * A sent fax's document is the rendering of its originals with a cover
 * page and a header line on every page, drawn from the fax's cover subject,
 * cover text and header text. When a person named there is erased
 * (gdpr.erase), the fax rows get the pseudonym, and the document is drawn
 * again: its old cover page left out and a new one drawn (the cover text,
 * which is kept nowhere but in the document, replaced by a notice), every
 * header line drawn anew, the pages in between kept bit for bit (the
 * rendering is render_opts.replace_first_page). The new document is stored
 * under a new document key, every fax using the old one moves to it, and
 * the old one is crypto-shredded (its wrapped key deleted in the same
 * transaction, then its blob), each fax's audit event fax.document_rewritten
 * saying why, under which rule, the pages and when older backups forget the
 * old one (backups_until).
 *
 * The documents to rewrite are rows of doc_rewrites (migration 0057),
 * written in the erasure's transaction: the erasure's request rewrites them
 * at once and the retention sweep takes any left (a crash, a renderer
 * failure), so none is forgotten. */

#ifndef FV_DOMAIN_RECORDS_INT_H
#define FV_DOMAIN_RECORDS_INT_H

#include "audit/audit.h"

/* Rewrites the documents waiting in doc_rewrites (of account_id only, or
 * all when NULL), at most limit, each in transactions of its own, the
 * audit events by actor: the number rewritten or dropped (no live fax uses
 * the document any more), or -1 when one failed (left for the next run). */
int dom_doc_rewrites_run(store_t *st, const fax_env_t *env, const audit_ctx_t *actor,
	const char *account_id, int limit);

/* The notice that replaces a rewritten cover page's message, in lang. */
const char *doc_rewrite_notice(const char *lang);

#endif
