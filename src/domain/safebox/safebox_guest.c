/* SafeBoxes: the guests' side (see safebox.h). A guest is never a
 * principal: every operation here starts from the link token of one
 * participant and reaches that participant's box only. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "dom_util.h"
#include "notify/notify.h"
#include "safebox.h"
#include "sec.h"
#include "store_safebox.h"
#include "timeutil.h"
#include "xalloc.h"

#define MIN_MS 60000LL

void sb_guest_clear(sb_guest_t *g)
{
	json_decref(g->box);
	json_decref(g->part);
	memset(g, 0, sizeof *g);
}

void sb_guest_token(json_t *p, char **token)
{
	char h[SEC_SHA256_HEX];
	*token = sec_new_token("fvg_");
	sec_token_hash(*token, h);
	json_object_set_new(p, "token_hash", json_string(h));
}

int sb_guest_invite(dom_ctx_t *c, const json_t *b, const json_t *p, const char *token,
	const char *owner_name)
{
	char exp[32];
	time_format_rfc3339(json_integer_value(json_object_get(b, "expires_at")), exp, sizeof exp);
	exp[16] = '\0'; /* to the minute: "YYYY-MM-DDTHH:MM" */
	exp[10] = ' ';
	json_t *to = json_pack("{s:s, s:s, s:s}", "id", rec_str(p, "id"), "email", rec_str(p, "email"),
		"account_id", rec_str(b, "account_id"));
	json_t *params = json_pack("{s:s, s:s, s:s}", "owner", owner_name, "subject",
		rec_str(b, "subject"), "expires_at", exp);
	int rc = dom_mail_queue(c, MAIL_KIND_SAFEBOX_INVITATION, to, c->lang, params, token);
	json_decref(to);
	json_decref(params);
	return rc;
}

/* A guest's own action on its box, recorded (detail taken over). */
static int guest_record(dom_ctx_t *c, const sb_guest_t *g, const char *type, json_t *detail)
{
	audit_ctx_t a = { .who = NULL, .actor = g->actor, .source = c->source,
		.request_id = c->request_id };
	return sb_record(c->tx, &a, g->box, type, "guest", rec_str(g->part, "email"), detail);
}

/* The hash a code is kept as: bound to its participant. */
static void code_hash(const char *participant_id, const char *code, char out[SEC_SHA256_HEX])
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s:%s", participant_id, code);
	sec_sha256_hex(buf, strlen(buf), out);
	sodium_memzero(buf, sizeof buf);
}

int dom_sb_guest_open(dom_ctx_t *c, const char *token, const char *session, sb_guest_t *g,
	dom_err_t *e)
{
	memset(g, 0, sizeof *g);
	char h[SEC_SHA256_HEX];
	sec_token_hash(token ? token : "", h);
	g->part = store_sbp_by_token(c->tx, h);
	g->box = g->part ? store_safebox_get(c->tx, rec_str(g->part, "account_id"),
		rec_str(g->part, "safebox_id")) : NULL;
	if (!g->part || !g->box) {
		sb_guest_clear(g);
		return dom_fail(e, "not-found", "", "this SafeBox link is unknown or no longer valid");
	}
	snprintf(g->actor, sizeof g->actor, "guest:%s", rec_str(g->part, "id"));
	c->actor = g->actor;
	json_t *acc = store_account_get(c->tx, rec_str(g->box, "account_id"), NULL);
	bool closed = !acc || strcmp(rec_str(acc, "status"), "closed") == 0;
	json_decref(acc);
	if (closed || strcmp(sb_status(g->box, time_now_ms()), "open") != 0) {
		sb_guest_clear(g);
		return dom_fail(e, "gone", "", "this SafeBox is closed or has expired");
	}
	if (session && *session) {
		sec_token_hash(session, h);
		char *pid = store_sbg_find(c->tx, h, time_now_ms());
		g->verified = pid && strcmp(pid, rec_str(g->part, "id")) == 0;
		free(pid);
	}
	return 0;
}

static bool locked(const sb_guest_t *g)
{
	return json_integer_value(json_object_get(g->part, "locked_at")) != 0;
}

static int locked_fail(dom_err_t *e)
{
	return dom_fail(e, "forbidden", "", "too many wrong codes: this link is locked; ask the "
		"sender to share the SafeBox again");
}

int dom_sb_guest_code(dom_ctx_t *c, sb_guest_t *g, dom_err_t *e)
{
	if (locked(g))
		return locked_fail(e);
	int64_t now = time_now_ms();
	int64_t sent = json_integer_value(json_object_get(g->part, "code_expires_at")) -
		SAFEBOX_CODE_MINUTES * MIN_MS;
	if (*rec_str(g->part, "code_hash") && now - sent < SAFEBOX_CODE_RESEND_SECONDS * 1000LL)
		return dom_fail(e, "rate-limited", "", "a code was sent less than a minute ago: use it, "
			"or ask again in a minute");
	/* Six digits, uniform: 4294000000 is a multiple of 10^6. */
	uint32_t r;
	do
		sec_random(&r, sizeof r);
	while (r >= 4294000000u);
	char code[SAFEBOX_CODE_LEN + 1], h[SEC_SHA256_HEX];
	snprintf(code, sizeof code, "%06u", (unsigned)(r % 1000000u));
	code_hash(rec_str(g->part, "id"), code, h);
	json_t *upd = json_pack("{s:s, s:I}", "code_hash", h, "code_expires_at",
		(json_int_t)(now + SAFEBOX_CODE_MINUTES * MIN_MS));
	json_t *to = json_pack("{s:s, s:s, s:s}", "id", rec_str(g->part, "id"), "email",
		rec_str(g->part, "email"), "account_id", rec_str(g->box, "account_id"));
	json_t *params = json_pack("{s:s, s:i}", "subject", rec_str(g->box, "subject"), "minutes",
		SAFEBOX_CODE_MINUTES);
	int rc = store_sbp_update(c->tx, rec_str(g->part, "id"), upd) == STORE_OK &&
		dom_mail_queue(c, MAIL_KIND_SAFEBOX_CODE, to, c->lang, params, code) == 0 &&
		guest_record(c, g, "guest.code_sent", NULL) == 0 ? 0 : -1;
	sodium_memzero(code, sizeof code);
	json_decref(upd);
	json_decref(to);
	json_decref(params);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the code could not be sent");
	return 0;
}

/* A failed verification: counted, the last one locks; kept although the
 * request fails. */
static int verify_failed(dom_ctx_t *c, sb_guest_t *g, const char *why, dom_err_t *e)
{
	int n = (int)json_integer_value(json_object_get(g->part, "code_attempts")) + 1;
	bool lock = n >= SAFEBOX_CODE_ATTEMPTS;
	json_t *upd = json_pack("{s:i}", "code_attempts", n);
	if (lock) {
		json_object_set_new(upd, "locked_at", json_integer(time_now_ms()));
		json_object_set_new(upd, "code_hash", json_null());
	}
	c->keep_on_error = true;
	int rc = store_sbp_update(c->tx, rec_str(g->part, "id"), upd);
	if (rc == STORE_OK)
		rc = guest_record(c, g, lock ? "guest.locked" : "guest.verify_failed",
			json_pack("{s:s, s:i}", "reason", why, "attempts", n));
	json_decref(upd);
	if (rc != 0) {
		c->keep_on_error = false;
		return dom_fail(e, "internal", "", "the code could not be checked");
	}
	if (lock)
		return locked_fail(e);
	return dom_fail(e, "validation-failed", "code", "the code is wrong or has expired: %d "
		"attempt(s) left", SAFEBOX_CODE_ATTEMPTS - n);
}

int dom_sb_guest_verify(dom_ctx_t *c, sb_guest_t *g, const char *code, char **session,
	dom_err_t *e)
{
	*session = NULL;
	if (locked(g))
		return locked_fail(e);
	int64_t now = time_now_ms();
	const char *want = rec_str(g->part, "code_hash");
	if (!*want)
		return verify_failed(c, g, "no_code", e);
	if (json_integer_value(json_object_get(g->part, "code_expires_at")) <= now)
		return verify_failed(c, g, "expired", e);
	char h[SEC_SHA256_HEX];
	bool shape = code && strlen(code) == SAFEBOX_CODE_LEN && strspn(code, "0123456789") ==
		SAFEBOX_CODE_LEN;
	code_hash(rec_str(g->part, "id"), shape ? code : "", h);
	if (!shape || sodium_memcmp(h, want, SEC_SHA256_HEX - 1) != 0)
		return verify_failed(c, g, "wrong", e);
	bool first = json_integer_value(json_object_get(g->part, "verified_at")) == 0;
	/* The code is used up; the counter starts again. */
	json_t *upd = json_pack("{s:n, s:n, s:i, s:I}", "code_hash", "code_expires_at",
		"code_attempts", 0, "verified_at", (json_int_t)now);
	char *tok = sec_new_token("fvgs_"), *sid = sec_new_id("sbs");
	sec_token_hash(tok, h);
	json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", sid, "token_hash", h,
		"participant_id", rec_str(g->part, "id"), "safebox_id", rec_str(g->box, "id"),
		"account_id", rec_str(g->box, "account_id"), "expires_at",
		(json_int_t)(now + SAFEBOX_GUEST_SESSION_MINUTES * MIN_MS), "created_at", (json_int_t)now);
	int rc = store_sbp_update(c->tx, rec_str(g->part, "id"), upd) == STORE_OK &&
		store_sbg_insert(c->tx, s) == STORE_OK &&
		guest_record(c, g, "guest.verify", json_pack("{s:b}", "first", first)) == 0 ? 0 : -1;
	json_decref(upd);
	json_decref(s);
	free(sid);
	safebox_profile_t prof;
	sb_profile_of(c, g->box, &prof);
	if (rc == 0 && first && prof.notify_on_open) {
		json_t *owner = store_principal_get(c->tx, rec_str(g->box, "owner_id"));
		json_t *params = json_pack("{s:s, s:s, s:s}", "name", owner ? rec_str(owner, "name") : "",
			"guest", rec_str(g->part, "email"), "subject", rec_str(g->box, "subject"));
		if (owner && dom_mail_queue(c, MAIL_KIND_SAFEBOX_OPENED, owner, c->lang, params,
				NULL) != 0)
			rc = -1;
		json_decref(owner);
		json_decref(params);
	}
	if (rc != 0) {
		free(tok);
		return dom_fail(e, "internal", "", "the code could not be checked");
	}
	*session = tok;
	return 0;
}

static int need_verified(const sb_guest_t *g, dom_err_t *e)
{
	if (!g->verified)
		return dom_fail(e, "unauthenticated", "", "confirm your address with a code first");
	return 0;
}

int dom_sb_guest_view(dom_ctx_t *c, sb_guest_t *g, json_t **out, dom_err_t *e)
{
	if (need_verified(g, e) != 0)
		return -1;
	if (guest_record(c, g, "guest.open", NULL) != 0)
		return dom_fail(e, "internal", "", "the read could not be recorded");
	safebox_profile_t prof;
	sb_profile_of(c, g->box, &prof);
	json_t *o = sb_box_full(c->tx, c->cfg->fax, g->box, false, time_now_ms());
	json_t *owner = store_principal_get(c->tx, rec_str(g->box, "owner_id"));
	json_object_set_new(o, "owner", json_string(owner ? *rec_str(owner, "name")
		? rec_str(owner, "name") : rec_str(owner, "email") : ""));
	json_decref(owner);
	json_object_set_new(o, "email", json_string(rec_str(g->part, "email")));
	json_object_set_new(o, "guest_download", json_boolean(prof.guest_download));
	json_object_set_new(o, "guest_reply", json_boolean(prof.guest_reply));
	/* What a guest sees of the others: addresses, no ids or states. */
	json_object_del(o, "participants");
	json_object_del(o, "legal_hold");
	*out = o;
	return 0;
}

int dom_sb_guest_download(dom_ctx_t *c, sb_guest_t *g, const char *file_id, unsigned char **data,
	size_t *len, char *name, size_t namelen, dom_err_t *e)
{
	*data = NULL;
	if (need_verified(g, e) != 0)
		return -1;
	safebox_profile_t prof;
	sb_profile_of(c, g->box, &prof);
	if (!prof.guest_download)
		return dom_fail(e, "forbidden", "", "the sender's account lets guests read files here, "
			"not download them");
	const char *acc = rec_str(g->box, "account_id");
	json_t *f = store_sbf_get(c->tx, acc, rec_str(g->box, "id"), file_id ? file_id : "");
	int rc = 0;
	if (!f)
		rc = dom_fail(e, "not-found", "", "no such file");
	if (rc == 0 && sb_doc_read(c->tx, c->cfg->fax, acc, rec_str(f, "doc_id"), data, len) != 0)
		rc = dom_fail(e, "internal", "", "the file could not be read");
	if (rc == 0 && guest_record(c, g, "guest.file.download", json_pack("{s:s, s:s}", "file_id",
			file_id, "filename", rec_str(f, "filename"))) != 0) {
		free(*data);
		*data = NULL;
		rc = dom_fail(e, "internal", "", "the read could not be recorded");
	}
	if (rc == 0)
		snprintf(name, namelen, "%s", rec_str(f, "filename"));
	json_decref(f);
	return rc;
}

/* A verified guest may add to the box: the profile allows replies and the
 * box is open. */
static int may_add(dom_ctx_t *c, const sb_guest_t *g, dom_err_t *e)
{
	if (need_verified(g, e) != 0)
		return -1;
	safebox_profile_t prof;
	sb_profile_of(c, g->box, &prof);
	if (!prof.guest_reply)
		return dom_fail(e, "forbidden", "", "the sender's account does not take replies in "
			"SafeBoxes");
	return sb_box_open(g->box, e);
}

int dom_sb_guest_reply(dom_ctx_t *c, sb_guest_t *g, const char *text, dom_err_t *e)
{
	if (may_add(c, g, e) != 0 || sb_message_ok(text ? text : "", text ? strlen(text) : 0, e) != 0)
		return -1;
	audit_ctx_t a = { .who = NULL, .actor = g->actor, .source = c->source,
		.request_id = c->request_id };
	return sb_message_store(c, g->box, &a, "guest", rec_str(g->part, "id"),
		rec_str(g->part, "email"), text, NULL, e);
}

int dom_sb_guest_upload(dom_ctx_t *c, sb_guest_t *g, const void *data, size_t len,
	const char *filename, const char *ctype, dom_err_t *e)
{
	if (may_add(c, g, e) != 0 || sb_upload_checks(c, g->box, len, e) != 0 ||
	    dom_av_check(c, rec_str(g->box, "account_id"), "file", data, len, e) != 0)
		return -1;
	/* The scan paused the transaction: the box must still be there. */
	json_t *b = store_safebox_get(c->tx, rec_str(g->box, "account_id"), rec_str(g->box, "id"));
	if (!b)
		return dom_fail(e, "not-found", "", "no such SafeBox");
	json_decref(g->box);
	g->box = b;
	if (sb_box_open(b, e) != 0)
		return -1;
	json_t *f = NULL;
	if (sb_file_store(c, b, "guest", rec_str(g->part, "id"), rec_str(g->part, "email"), data, len,
		    filename, ctype, &f, e) != 0)
		return -1;
	int rc = guest_record(c, g, "guest.file.upload", json_pack("{s:s, s:s, s:I}", "file_id",
		rec_str(f, "id"), "filename", rec_str(f, "filename"), "size", (json_int_t)len));
	json_decref(f);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the file could not be stored");
	return 0;
}
