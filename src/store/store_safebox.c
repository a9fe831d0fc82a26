/* SQL of SafeBoxes (see store_safebox.h), in the subset both backends accept. */
#include "store_safebox.h"

#include "store_int.h"
#include "xalloc.h"

#define BOX_COLS "id, account_id, owner_id, subject, status, expires_at, legal_hold_reason," \
	" created_at, updated_at, closed_at"

int store_safebox_insert(store_tx_t *tx, const json_t *box)
{
	static const char *const cols[] = { "id", "account_id", "owner_id", "subject", "status",
		"expires_at", "created_at", "updated_at", NULL };
	return sq_insert(tx, "safeboxes", cols, box);
}

json_t *store_safebox_get(store_tx_t *tx, const char *account_id, const char *id)
{
	return sq_one(tx, "SELECT " BOX_COLS " FROM safeboxes WHERE id=? AND account_id=?"
		" AND deleted_at IS NULL", "ss", id, account_id);
}

int store_safebox_update(store_tx_t *tx, const char *account_id, const char *id,
	const json_t *fields)
{
	static const char *const allowed[] = { "status", "expires_at", "updated_at", "closed_at",
		"legal_hold_reason", NULL };
	json_t *b = store_safebox_get(tx, account_id, id);
	if (!b)
		return STORE_NOTFOUND;
	json_decref(b);
	return sq_update(tx, "safeboxes", allowed, id, fields, "deleted_at IS NULL");
}

int store_safebox_list(store_tx_t *tx, const char *account_id, const char *principal_id,
	const char *cursor, int limit, store_page_t *out)
{
	return sq_page_finish(sq_rows(tx, "SELECT b.rowid AS _k, " BOX_COLS " FROM safeboxes b"
		" WHERE b.rowid < ? AND b.account_id=? AND b.deleted_at IS NULL"
		" AND (?3 IS NULL OR b.owner_id=?3 OR EXISTS (SELECT 1 FROM safebox_participants p"
		"  WHERE p.safebox_id=b.id AND p.principal_id=?3 AND p.status='active'))"
		" ORDER BY b.rowid DESC LIMIT ?4", "issn", sq_cursor(cursor, INT64_MAX), account_id,
		principal_id, limit + 1), limit, out);
}

json_t *store_safebox_docs(store_tx_t *tx, const char *account_id, const char *id)
{
	json_t *rows = sq_rows(tx, "SELECT doc_id FROM safebox_messages WHERE safebox_id=?1"
		" AND account_id=?2 UNION ALL SELECT doc_id FROM safebox_files WHERE safebox_id=?1"
		" AND account_id=?2", "ss", id, account_id);
	if (!rows)
		return NULL;
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(out, json_object_get(r, "doc_id"));
	json_decref(rows);
	return out;
}

int store_safebox_mark_deleted(store_tx_t *tx, const char *account_id, const char *id,
	int64_t now)
{
	int rc = sq_exec(tx, true, "UPDATE safeboxes SET deleted_at=?, updated_at=?, subject=''"
		" WHERE id=? AND account_id=? AND deleted_at IS NULL", "iiss", now, now, id, account_id);
	static const char *const del[] = {
		"DELETE FROM safebox_guest_sessions WHERE safebox_id=? AND account_id=?",
		"DELETE FROM safebox_messages WHERE safebox_id=? AND account_id=?",
		"DELETE FROM safebox_files WHERE safebox_id=? AND account_id=?",
		"DELETE FROM safebox_participants WHERE safebox_id=? AND account_id=?",
	};
	for (size_t i = 0; i < sizeof del / sizeof del[0] && rc == STORE_OK; i++)
		rc = sq_exec(tx, false, del[i], "ss", id, account_id);
	return rc;
}

/* When box b ended: closed, else expired (the earlier of the two). */
#define SAFEBOX_ENDED "CASE WHEN b.closed_at IS NOT NULL AND b.closed_at < b.expires_at" \
	" THEN b.closed_at ELSE b.expires_at END"

json_t *store_safebox_due(store_tx_t *tx, int64_t now, int limit)
{
	/* A box ends when it is closed, else when it expires; it is kept
	 * safebox_days after that. */
	return sq_rows(tx, "SELECT b.id, b.account_id, r.safebox_days AS days,"
		" " SAFEBOX_ENDED " AS ended_at"
		" FROM safeboxes b JOIN retention_policies r ON r.account_id = b.account_id"
		" WHERE r.legal_hold = 0 AND r.safebox_days IS NOT NULL AND b.deleted_at IS NULL"
		" AND b.legal_hold_reason IS NULL"
		" AND " SAFEBOX_ENDED
		"     <= ?1 - r.safebox_days * 86400000"
		" ORDER BY b.created_at LIMIT ?2", "in", now, limit);
}

/* --- participants --- */

#define SBP_COLS "id, safebox_id, account_id, email, kind, principal_id, status, code_attempts," \
	" locked_at, verified_at, created_at, revoked_at"

int store_sbp_insert(store_tx_t *tx, const json_t *p)
{
	static const char *const cols[] = { "id", "safebox_id", "account_id", "email", "kind",
		"principal_id", "status", "token_hash", "created_at", NULL };
	return sq_insert(tx, "safebox_participants", cols, p);
}

json_t *store_sbp_list(store_tx_t *tx, const char *account_id, const char *box_id)
{
	return sq_rows(tx, "SELECT " SBP_COLS " FROM safebox_participants WHERE safebox_id=?"
		" AND account_id=? ORDER BY rowid", "ss", box_id, account_id);
}

json_t *store_sbp_get(store_tx_t *tx, const char *account_id, const char *box_id,
	const char *id)
{
	return sq_one(tx, "SELECT " SBP_COLS " FROM safebox_participants WHERE id=? AND safebox_id=?"
		" AND account_id=?", "sss", id, box_id, account_id);
}

json_t *store_sbp_member(store_tx_t *tx, const char *account_id, const char *box_id,
	const char *principal_id)
{
	return sq_one(tx, "SELECT " SBP_COLS " FROM safebox_participants WHERE safebox_id=?"
		" AND account_id=? AND principal_id=? AND status='active'", "sss", box_id, account_id,
		principal_id);
}

int store_sbp_revoke(store_tx_t *tx, const char *account_id, const char *box_id, const char *id,
	int64_t now)
{
	int rc = sq_exec(tx, true, "UPDATE safebox_participants SET status='revoked', revoked_at=?,"
		" token_hash=NULL, code_hash=NULL WHERE id=? AND safebox_id=? AND account_id=?"
		" AND status='active'", "isss", now, id, box_id, account_id);
	if (rc == STORE_OK)
		rc = sq_exec(tx, false, "DELETE FROM safebox_guest_sessions WHERE participant_id=?",
			"s", id);
	return rc;
}

json_t *store_sbp_by_token(store_tx_t *tx, const char *token_hash)
{
	return sq_one(tx, "SELECT p.id, p.safebox_id, p.account_id, p.email, p.kind, p.status,"
		" p.code_hash, p.code_expires_at, p.code_attempts, p.locked_at, p.verified_at"
		" FROM safebox_participants p JOIN safeboxes b ON b.id = p.safebox_id"
		" WHERE p.token_hash=? AND p.status='active' AND b.deleted_at IS NULL", "s", token_hash);
}

int store_sbp_update(store_tx_t *tx, const char *id, const json_t *fields)
{
	static const char *const allowed[] = { "code_hash", "code_expires_at", "code_attempts",
		"locked_at", "verified_at", NULL };
	return sq_update(tx, "safebox_participants", allowed, id, fields, "status='active'");
}

int store_sbg_insert(store_tx_t *tx, const json_t *s)
{
	static const char *const cols[] = { "id", "token_hash", "participant_id", "safebox_id",
		"account_id", "expires_at", "created_at", NULL };
	return sq_insert(tx, "safebox_guest_sessions", cols, s);
}

char *store_sbg_find(store_tx_t *tx, const char *token_hash, int64_t now)
{
	json_t *r = sq_one(tx, "SELECT participant_id FROM safebox_guest_sessions WHERE token_hash=?"
		" AND expires_at > ?", "si", token_hash, now);
	char *id = r ? xstrdup(json_string_value(json_object_get(r, "participant_id"))) : NULL;
	json_decref(r);
	return id;
}

/* --- messages and files --- */

int store_sbm_insert(store_tx_t *tx, const json_t *m)
{
	static const char *const cols[] = { "id", "safebox_id", "account_id", "author_kind",
		"author_id", "author_email", "doc_id", "size", "created_at", NULL };
	return sq_insert(tx, "safebox_messages", cols, m);
}

json_t *store_sbm_list(store_tx_t *tx, const char *account_id, const char *box_id)
{
	return sq_rows(tx, "SELECT id, author_kind, author_id, author_email, doc_id, size,"
		" created_at FROM safebox_messages WHERE safebox_id=? AND account_id=? ORDER BY rowid",
		"ss", box_id, account_id);
}

#define SBF_COLS "id, safebox_id, author_kind, author_id, author_email, doc_id, filename," \
	" content_type, size, created_at"

int store_sbf_insert(store_tx_t *tx, const json_t *f)
{
	static const char *const cols[] = { "id", "safebox_id", "account_id", "author_kind",
		"author_id", "author_email", "doc_id", "filename", "content_type", "size", "created_at",
		NULL };
	return sq_insert(tx, "safebox_files", cols, f);
}

json_t *store_sbf_list(store_tx_t *tx, const char *account_id, const char *box_id)
{
	return sq_rows(tx, "SELECT " SBF_COLS " FROM safebox_files WHERE safebox_id=?"
		" AND account_id=? ORDER BY rowid", "ss", box_id, account_id);
}

json_t *store_sbf_get(store_tx_t *tx, const char *account_id, const char *box_id,
	const char *id)
{
	return sq_one(tx, "SELECT " SBF_COLS " FROM safebox_files WHERE id=? AND safebox_id=?"
		" AND account_id=?", "sss", id, box_id, account_id);
}

/* --- events --- */

int store_sbe_insert(store_tx_t *tx, const json_t *ev)
{
	static const char *const cols[] = { "safebox_id", "account_id", "type", "actor_kind",
		"actor", "detail", "created_at", NULL };
	return sq_insert(tx, "safebox_events", cols, ev);
}

json_t *store_sbe_list(store_tx_t *tx, const char *account_id, const char *box_id, int limit)
{
	/* PostgreSQL wants the subquery named. */
	return sq_rows(tx, "SELECT * FROM (SELECT seq, type, actor_kind, actor, detail, created_at"
		" FROM safebox_events WHERE safebox_id=? AND account_id=? ORDER BY seq DESC LIMIT ?)"
		" AS latest ORDER BY seq", "ssn", box_id, account_id, limit);
}

/* --- profile --- */

json_t *store_sb_profile_get(store_tx_t *tx, const char *account_id)
{
	return sq_one(tx, "SELECT profile, updated_at FROM safebox_profiles WHERE account_id=?", "s",
		account_id);
}

int store_sb_profile_put(store_tx_t *tx, const char *account_id, const char *profile_json,
	int64_t now)
{
	return sq_exec(tx, false, "INSERT INTO safebox_profiles (account_id, profile, updated_at)"
		" VALUES (?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET profile=excluded.profile,"
		" updated_at=excluded.updated_at", "ssi", account_id, profile_json, now);
}
