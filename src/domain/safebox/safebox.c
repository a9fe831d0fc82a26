/* SafeBoxes: the members' side (see safebox.h). */
#include "safebox.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fax/fax.h"
#include "records/records.h"
#include "fdio.h"
#include "dom_util.h"
#include "log.h"
#include "tenancy/tenancy.h"
#include "access/access.h"
#include "sec.h"
#include "store_safebox.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define DAY_MS 86400000LL

/* ---- profile ---- */

static int ceiling_days(int max_days)
{
	return max_days > 0 ? max_days : SAFEBOX_DAYS_DEFAULT_MAX;
}

static void profile_defaults(int max_days, safebox_profile_t *p)
{
	*p = (safebox_profile_t) { .expiry_days = 14, .max_file_mb = 25, .guest_download = true,
		.guest_reply = true, .notify_on_open = true, .admins_only = false };
	if (p->expiry_days > ceiling_days(max_days))
		p->expiry_days = ceiling_days(max_days);
}

static int int_in(const json_t *v, int lo, int hi, int *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = (int)json_integer_value(v);
	return 0;
}

void safebox_profile_load(store_tx_t *tx, const char *account_id, int max_days,
	safebox_profile_t *p)
{
	profile_defaults(max_days, p);
	json_t *r = store_sb_profile_get(tx, account_id);
	json_t *doc = r ? json_loads(rec_str(r, "profile"), 0, NULL) : NULL;
	json_decref(r);
	if (!doc)
		return;
	/* Values outside today's bounds keep the default (the ceiling may
	 * have been lowered since). */
	int ceil = ceiling_days(max_days);
	int d;
	if (int_in(json_object_get(doc, "expiry_days"), 1, 36500, &d) == 0)
		p->expiry_days = d < ceil ? d : ceil;
	if (int_in(json_object_get(doc, "max_file_mb"), 1, SAFEBOX_FILE_MB_MAX, &d) == 0)
		p->max_file_mb = d;
	const json_t *b;
	if (json_is_boolean(b = json_object_get(doc, "guest_download")))
		p->guest_download = json_is_true(b);
	if (json_is_boolean(b = json_object_get(doc, "guest_reply")))
		p->guest_reply = json_is_true(b);
	if (json_is_boolean(b = json_object_get(doc, "notify_on_open")))
		p->notify_on_open = json_is_true(b);
	const char *cr = rec_str(doc, "creators");
	if (*cr)
		p->admins_only = strcmp(cr, "admins") == 0;
	json_decref(doc);
}

static json_t *profile_json(const safebox_profile_t *p, int max_days)
{
	return json_pack("{s:i, s:i, s:b, s:b, s:b, s:s, s:{s:i, s:i}}", "expiry_days", p->expiry_days,
		"max_file_mb", p->max_file_mb, "guest_download", p->guest_download, "guest_reply",
		p->guest_reply, "notify_on_open", p->notify_on_open, "creators",
		p->admins_only ? "admins" : "members", "bounds", "max_expiry_days",
		ceiling_days(max_days), "max_file_mb", SAFEBOX_FILE_MB_MAX);
}

static int max_days_of(const dom_ctx_t *c)
{
	return c->cfg ? c->cfg->safebox_max_days : 0;
}

void sb_profile_of(dom_ctx_t *c, const json_t *b, safebox_profile_t *p)
{
	safebox_profile_load(c->tx, rec_str(b, "account_id"), max_days_of(c), p);
}

int dom_safebox_profile_get(dom_ctx_t *c, const json_t *account, json_t **out, dom_err_t *e)
{
	const char *id = rec_str(account, "id");
	safebox_profile_t p;
	safebox_profile_load(c->tx, id, max_days_of(c), &p);
	*out = profile_json(&p, max_days_of(c));
	return dom_read_audited(c, "safebox.profile.read", id, id, out, e);
}

int dom_safebox_profile_update(dom_ctx_t *c, const json_t *account, const json_t *body,
	json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "expiry_days", "max_file_mb", "guest_download",
		"guest_reply", "notify_on_open", "creators", NULL };
	if (body_only(body, allowed, e) != 0)
		return -1;
	const char *id = rec_str(account, "id");
	int ceil = ceiling_days(max_days_of(c));
	safebox_profile_t p, before;
	safebox_profile_load(c->tx, id, max_days_of(c), &p);
	before = p;
	const json_t *v;
	if ((v = json_object_get(body, "expiry_days")) && int_in(v, 1, ceil, &p.expiry_days) != 0)
		return dom_fail(e, "validation-failed", "expiry_days", "expiry_days must be a number of "
			"days from 1 to %d (the provider's ceiling)", ceil);
	if ((v = json_object_get(body, "max_file_mb")) &&
	    int_in(v, 1, SAFEBOX_FILE_MB_MAX, &p.max_file_mb) != 0)
		return dom_fail(e, "validation-failed", "max_file_mb", "max_file_mb must be a number of "
			"MiB from 1 to %d", SAFEBOX_FILE_MB_MAX);
	static const char *const flags[] = { "guest_download", "guest_reply", "notify_on_open" };
	bool *fp[] = { &p.guest_download, &p.guest_reply, &p.notify_on_open };
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (!(v = json_object_get(body, flags[i])))
			continue;
		if (!json_is_boolean(v))
			return dom_fail(e, "validation-failed", flags[i], "%s must be true or false",
				flags[i]);
		*fp[i] = json_is_true(v);
	}
	if ((v = json_object_get(body, "creators"))) {
		const char *s = json_string_value(v);
		if (!s || (strcmp(s, "members") != 0 && strcmp(s, "admins") != 0))
			return dom_fail(e, "validation-failed", "creators", "creators must be \"members\" "
				"or \"admins\"");
		p.admins_only = strcmp(s, "admins") == 0;
	}
	json_t *doc = profile_json(&p, max_days_of(c));
	json_object_del(doc, "bounds");
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *detail = json_pack("{s:o, s:O}", "before", profile_json(&before, max_days_of(c)),
		"after", doc);
	json_object_del(json_object_get(detail, "before"), "bounds");
	int rc = store_sb_profile_put(c->tx, id, s, time_now_ms());
	if (rc == STORE_OK)
		rc = dom_audit(c, "safebox.profile.update", id, id, "success", detail);
	free(s);
	json_decref(doc);
	json_decref(detail);
	if (rc != STORE_OK)
		return dom_fail(e, "internal", "", "the SafeBox profile could not be saved");
	*out = profile_json(&p, max_days_of(c));
	return 0;
}

/* ---- pure helpers ---- */

void safebox_filename_clean(const char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0, cap = outlen ? outlen - 1 : 0;
	if (cap > SAFEBOX_FILENAME_MAX)
		cap = SAFEBOX_FILENAME_MAX;
	/* The last path element only (browsers may send a whole path). */
	for (size_t i = len; i > 0; i--)
		if (in[i - 1] == '/' || in[i - 1] == '\\') {
			in += i;
			len -= i;
			break;
		}
	if (!valid_utf8(in, len))
		len = 0;
	size_t i = 0;
	while (i < len && (in[i] == '.' || in[i] == ' '))
		i++;
	while (i < len) {
		unsigned char ch = (unsigned char)in[i];
		size_t n = ch < 0x80 ? 1 : ch < 0xe0 ? 2 : ch < 0xf0 ? 3 : 4;
		if (n > len - i || o + n > cap)
			break;
		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == ';') {
			out[o++] = '_';
		} else {
			memcpy(out + o, in + i, n);
			o += n;
		}
		i += n;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (o == 0 && outlen > 4) {
		memcpy(out, "file", 4);
		o = 4;
	}
	if (outlen)
		out[o] = '\0';
}

/* ---- records ---- */

const char *sb_status(const json_t *box, int64_t now)
{
	const char *st = rec_str(box, "status");
	if (strcmp(st, "open") == 0 && json_integer_value(json_object_get(box, "expires_at")) <= now)
		return "expired";
	return st;
}

static json_t *author_json(const json_t *r)
{
	return json_pack("{s:s, s:s, s:s}", "kind", rec_str(r, "author_kind"), "id",
		rec_str(r, "author_id"), "email", rec_str(r, "author_email"));
}

json_t *sb_file_json(const json_t *f)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "id", rec_str(f, "id"), "filename",
		rec_str(f, "filename"), "content_type", rec_str(f, "content_type"), "size",
		(json_int_t)json_integer_value(json_object_get(f, "size")), "author", author_json(f),
		"created_at", time_json(json_object_get(f, "created_at")));
}

static json_t *participant_json(const json_t *p)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", rec_str(p, "id"), "email",
		rec_str(p, "email"), "kind", rec_str(p, "kind"), "status", rec_str(p, "status"),
		"verified_at", time_json(json_object_get(p, "verified_at")), "created_at",
		time_json(json_object_get(p, "created_at")), "revoked_at",
		time_json(json_object_get(p, "revoked_at")));
	if (json_integer_value(json_object_get(p, "locked_at")))
		json_object_set_new(o, "locked_at", time_json(json_object_get(p, "locked_at")));
	return o;
}

static json_t *box_summary(const json_t *b, int64_t now)
{
	const char *hold = rec_str(b, "legal_hold_reason");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:{s:b, s:o}}", "id",
		rec_str(b, "id"), "account_id", rec_str(b, "account_id"), "owner_id",
		rec_str(b, "owner_id"), "subject", rec_str(b, "subject"), "status", sb_status(b, now),
		"expires_at", time_json(json_object_get(b, "expires_at")), "created_at",
		time_json(json_object_get(b, "created_at")), "updated_at",
		time_json(json_object_get(b, "updated_at")), "closed_at",
		time_json(json_object_get(b, "closed_at")), "legal_hold", "held", *hold != '\0', "reason",
		*hold ? json_string(hold) : json_null());
}

static int read_whole(const char *path, unsigned char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -1;
	size_t n = fstat(fd, &st) == 0 && st.st_size >= 0 ? (size_t)st.st_size : SIZE_MAX;
	unsigned char *b = n != SIZE_MAX ? xmalloc(n ? n : 1) : NULL;
	int rc = b && fd_read_all(fd, b, n) == 0 ? 0 : -1;
	close(fd);
	if (rc != 0) {
		free(b);
		return -1;
	}
	*data = b;
	*len = n;
	return 0;
}

int sb_doc_read(store_tx_t *tx, const fax_env_t *env, const char *account_id, const char *doc_id,
	unsigned char **data, size_t *len)
{
	char dir[512];
	*data = NULL;
	*len = 0;
	if (!env || dom_workdir_new(env, dir, sizeof dir) != 0)
		return -1;
	char *path = xasprintf("%s/doc", dir);
	int rc = doc_get_file_tx(tx, env, account_id, doc_id, path);
	if (rc == 0)
		rc = read_whole(path, data, len);
	dom_workdir_wipe(dir);
	free(path);
	return rc;
}

/* A new array of fn of each row of rows (taken over, may be NULL). */
static json_t *mapped(json_t *rows, json_t *(*fn)(const json_t *))
{
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append_new(out, fn(r));
	json_decref(rows);
	return out;
}

json_t *sb_box_full(store_tx_t *tx, const fax_env_t *env, const json_t *b, bool with_events,
	int64_t now)
{
	const char *id = rec_str(b, "id"), *acc = rec_str(b, "account_id");
	json_t *o = box_summary(b, now);
	json_object_set_new(o, "participants", mapped(store_sbp_list(tx, acc, id), participant_json));
	size_t i;
	json_t *r;
	json_t *msgs = store_sbm_list(tx, acc, id), *ma = json_array();
	json_array_foreach(msgs, i, r) {
		unsigned char *body = NULL;
		size_t len = 0;
		json_t *m = json_pack("{s:s, s:o, s:o}", "id", rec_str(r, "id"), "author",
			author_json(r), "created_at", time_json(json_object_get(r, "created_at")));
		json_t *text = sb_doc_read(tx, env, acc, rec_str(r, "doc_id"), &body, &len) == 0
			? json_stringn((const char *)body, len) : NULL;
		json_object_set_new(m, "body", text ? text : json_null());
		free(body);
		json_array_append_new(ma, m);
	}
	json_decref(msgs);
	json_object_set_new(o, "messages", ma);
	json_object_set_new(o, "files", mapped(store_sbf_list(tx, acc, id), sb_file_json));
	if (with_events) {
		json_t *evs = store_sbe_list(tx, acc, id, SAFEBOX_EVENTS_SHOWN), *ea = json_array();
		json_array_foreach(evs, i, r) {
			json_t *d = json_loads(rec_str(r, "detail"), 0, NULL);
			json_array_append_new(ea, json_pack("{s:s, s:{s:s, s:s}, s:o, s:o}", "type",
				rec_str(r, "type"), "actor", "kind", rec_str(r, "actor_kind"), "id",
				rec_str(r, "actor"), "detail", d ? d : json_object(), "at",
				time_json(json_object_get(r, "created_at"))));
		}
		json_decref(evs);
		json_object_set_new(o, "events", ea);
	}
	return o;
}

int sb_record(store_tx_t *tx, const audit_ctx_t *a, const json_t *box, const char *type,
	const char *actor_kind, const char *actor, json_t *detail)
{
	const char *id = rec_str(box, "id"), *acc = rec_str(box, "account_id");
	char action[80];
	snprintf(action, sizeof action, "safebox.%s", type);
	char *ds = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "safebox_id", id, "account_id", acc,
		"type", type, "actor_kind", actor_kind, "actor", actor, "created_at",
		(json_int_t)time_now_ms());
	if (ds)
		json_object_set_new(ev, "detail", json_string(ds));
	int rc = store_sbe_insert(tx, ev);
	if (rc == STORE_OK)
		rc = audit_record(tx, a, action, id, acc, "success", detail);
	json_decref(ev);
	json_decref(detail);
	free(ds);
	return rc == STORE_OK ? 0 : -1;
}

/* A member's own action on box b, recorded (detail taken over). */
static int member_record(dom_ctx_t *c, const json_t *b, const char *type, json_t *detail)
{
	audit_ctx_t a = { .who = c->who, .actor = c->actor, .source = c->source,
		.request_id = c->request_id };
	return sb_record(c->tx, &a, b, type, "member", c->who->person_id, detail);
}

/* ---- access ---- */

static int need_member(dom_ctx_t *c, dom_err_t *e)
{
	if (!authz_is_member(c->who))
		return dom_fail(e, "forbidden", "", "SafeBoxes belong to account members and API keys");
	return 0;
}

static const fax_env_t *env_of(dom_ctx_t *c)
{
	return c->cfg && fax_env_has_keys(c->cfg->fax) ? c->cfg->fax : NULL;
}

enum sb_access { SB_READ, SB_WRITE, SB_OWN, SB_DELETE };

/* The box if the caller may act on it so: its owner always; a member
 * participant reads and adds; data.read reads and deletes any box of the
 * account. Anything else is not found (no existence leak). */
static json_t *box_for(dom_ctx_t *c, const char *box_id, enum sb_access want, dom_err_t *e)
{
	if (need_member(c, e) != 0)
		return NULL;
	const char *acc = c->who->account_id;
	json_t *b = box_id ? store_safebox_get(c->tx, acc, box_id) : NULL;
	if (!b) {
		dom_fail(e, "not-found", "", "no such SafeBox");
		return NULL;
	}
	authz_resource_t r = { .kind = AUTHZ_RES_SAFEBOX, .owner_id = rec_str(b, "owner_id") };
	bool owner = strcmp(r.owner_id, c->who->person_id) == 0;
	json_t *mp = owner ? NULL : store_sbp_member(c->tx, acc, box_id, c->who->person_id);
	r.participant = mp != NULL;
	json_decref(mp);
	static const enum authz_act acts[] = { [SB_READ] = AUTHZ_READ, [SB_WRITE] = AUTHZ_ADD,
		[SB_OWN] = AUTHZ_MANAGE, [SB_DELETE] = AUTHZ_DELETE };
	enum authz_result ok = authz_resource(c->who, acts[want], &r, NULL);
	if (ok != AUTHZ_ALLOW) {
		/* Seen but not theirs to change: forbidden; not seen: not found. */
		if (ok == AUTHZ_FORBIDDEN)
			dom_fail(e, "forbidden", "", "only the owner of the SafeBox can do this");
		else
			dom_fail(e, "not-found", "", "no such SafeBox");
		json_decref(b);
		return NULL;
	}
	return b;
}

int sb_box_open(const json_t *b, dom_err_t *e)
{
	const char *st = sb_status(b, time_now_ms());
	if (strcmp(st, "closed") == 0)
		return dom_fail(e, "invalid-state", "", "the SafeBox is closed");
	if (strcmp(st, "open") != 0)
		return dom_fail(e, "invalid-state", "", "the SafeBox has expired");
	return 0;
}

/* ---- operations ---- */

int sb_message_ok(const char *s, size_t n, dom_err_t *e)
{
	if (n == 0 || n > SAFEBOX_MESSAGE_MAX || !valid_utf8(s, n) || memchr(s, '\0', n))
		return dom_fail(e, "validation-failed", "message", "message must be UTF-8 text of 1 to %d "
			"bytes", SAFEBOX_MESSAGE_MAX);
	return 0;
}

int sb_message_store(dom_ctx_t *c, const json_t *b, const audit_ctx_t *a, const char *author_kind,
	const char *author_id, const char *author_email, const char *text, json_t **rec,
	dom_err_t *e)
{
	const char *acc = rec_str(b, "account_id");
	char doc_id[DOC_ID_MAX];
	size_t n = strlen(text);
	if (dom_doc_put(c, acc, "safebox_message", text, n, doc_id, e) != 0)
		return -1;
	char *id = sec_new_id("sbm");
	json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id, "safebox_id",
		rec_str(b, "id"), "account_id", acc, "author_kind", author_kind, "author_id", author_id,
		"author_email", author_email, "doc_id", doc_id, "size", (json_int_t)n, "created_at",
		(json_int_t)time_now_ms());
	int rc = store_sbm_insert(c->tx, m);
	if (rc == STORE_OK)
		rc = sb_record(c->tx, a, b, "message.post", author_kind, strcmp(author_kind, "guest") == 0
			? author_email : author_id, json_pack("{s:s, s:I}", "message_id", id, "size",
			(json_int_t)n));
	free(id);
	if (rc != 0) {
		json_decref(m);
		return dom_fail(e, "internal", "", "the message could not be stored");
	}
	if (rec) {
		*rec = json_pack("{s:s, s:o, s:s, s:o}", "id", rec_str(m, "id"), "author", author_json(m),
			"body", text, "created_at", time_json(json_object_get(m, "created_at")));
	}
	json_decref(m);
	return 0;
}

/* A member's own message. */
static int add_message(dom_ctx_t *c, const json_t *b, const char *text, json_t **msg,
	dom_err_t *e)
{
	audit_ctx_t a = { .who = c->who, .actor = c->actor, .source = c->source,
		.request_id = c->request_id };
	json_t *person = store_principal_get(c->tx, c->who->person_id);
	int rc = sb_message_store(c, b, &a, "member", c->who->person_id,
		person ? rec_str(person, "email") : "", text, msg, e);
	json_decref(person);
	return rc;
}

/* Reads participants [{email}] into a new array of distinct lower-cased
 * addresses, none of them owner_email. */
static json_t *participants_in(const json_t *body, const char *owner_email, dom_err_t *e)
{
	const json_t *arr = json_object_get(body, "participants");
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > SAFEBOX_PARTICIPANTS_MAX) {
		dom_fail(e, "validation-failed", "participants", "participants must list 1 to %d "
			"people as {\"email\": …}", SAFEBOX_PARTICIPANTS_MAX);
		return NULL;
	}
	json_t *out = json_array();
	size_t i;
	const json_t *p;
	json_array_foreach(arr, i, p) {
		static const char *const allowed[] = { "email", NULL };
		char email[EMAIL_MAX + 1];
		if (!json_is_object(p) || body_only(p, allowed, e) != 0 ||
		    body_email(p, "email", email, e) != 0) {
			if (!json_is_object(p))
				dom_fail(e, "validation-failed", "participants", "participants must list 1 to "
					"%d people as {\"email\": …}", SAFEBOX_PARTICIPANTS_MAX);
			snprintf(e->field, sizeof e->field, "participants");
			json_decref(out);
			return NULL;
		}
		bool dup = strcmp(email, owner_email) == 0;
		size_t j;
		json_t *q;
		json_array_foreach(out, j, q)
			dup |= strcmp(json_string_value(q), email) == 0;
		if (dup) {
			dom_fail(e, "validation-failed", "participants", "each participant must appear once "
				"and not be the SafeBox's owner");
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, json_string(email));
	}
	return out;
}

/* The participant record for email in box: a member of the account when a
 * live one has that address, else a guest. */
static json_t *participant_new(store_tx_t *tx, const char *acc, const char *box_id,
	const char *email, int64_t now)
{
	char *id = sec_new_id("sbp");
	json_t *who = store_principal_by_email(tx, email);
	bool member = who && strcmp(rec_str(who, "kind"), "account") == 0 &&
		strcmp(rec_str(who, "account_id"), acc) == 0 &&
		strcmp(rec_str(who, "status"), "active") == 0;
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", id, "safebox_id", box_id,
		"account_id", acc, "email", email, "kind", member ? "member" : "guest", "status",
		"active", "created_at", (json_int_t)now);
	if (member)
		json_object_set_new(p, "principal_id", json_string(rec_str(who, "id")));
	json_decref(who);
	free(id);
	return p;
}

int dom_safebox_create(dom_ctx_t *c, const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "account_id", "subject", "message", "participants",
		"expires_at", NULL };
	if (need_member(c, e) != 0 || body_only(body, allowed, e) != 0)
		return -1;
	const char *acc = c->who->account_id, *want_acc, *subject, *message, *exp;
	if (body_str(body, "account_id", false, &want_acc, e) != 0 ||
	    body_str(body, "subject", true, &subject, e) != 0 ||
	    body_str(body, "message", false, &message, e) != 0 ||
	    body_str(body, "expires_at", false, &exp, e) != 0)
		return -1;
	if (want_acc && strcmp(want_acc, acc) != 0)
		return dom_fail(e, "not-found", "account_id", "no such account");
	size_t sl = strlen(subject);
	if (sl == 0 || sl > SAFEBOX_SUBJECT_MAX || !valid_name(subject, sl))
		return dom_fail(e, "validation-failed", "subject", "subject must be 1 to %d bytes of text "
			"without control characters", SAFEBOX_SUBJECT_MAX);
	if (message && sb_message_ok(message, strlen(message), e) != 0)
		return -1;
	if (!env_of(c))
		return dom_fail(e, "unavailable", "", "SafeBoxes are not available on this service");
	if (dom_partner_allows(c, acc, "feature", "safebox", "", e) != 0)
		return -1;
	safebox_profile_t prof;
	safebox_profile_load(c->tx, acc, max_days_of(c), &prof);
	authz_resource_t box = { .kind = AUTHZ_RES_SAFEBOX, .restricted = prof.admins_only };
	if (authz_resource(c->who, AUTHZ_CREATE, &box, NULL) != AUTHZ_ALLOW)
		return dom_fail(e, "forbidden", "", "in this account only administrators (settings.manage) "
			"may create SafeBoxes");
	int64_t now = time_now_ms(), ceil = now + (int64_t)ceiling_days(max_days_of(c)) * DAY_MS;
	int64_t expires = now + (int64_t)prof.expiry_days * DAY_MS;
	if (exp && (time_parse_rfc3339(exp, &expires) != 0 || expires <= now || expires > ceil))
		return dom_fail(e, "validation-failed", "expires_at", "expires_at must be a future "
			"RFC 3339 time at most %d days from now", ceiling_days(max_days_of(c)));
	json_t *person = store_principal_get(c->tx, c->who->person_id);
	char owner_email[EMAIL_MAX + 1], owner_name[EMAIL_MAX + 1];
	snprintf(owner_email, sizeof owner_email, "%s", person ? rec_str(person, "email") : "");
	snprintf(owner_name, sizeof owner_name, "%s", person && *rec_str(person, "name")
		? rec_str(person, "name") : owner_email);
	json_decref(person);
	json_t *emails = participants_in(body, owner_email, e);
	if (!emails)
		return -1;

	char *id = sec_new_id("sbx");
	json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "id", id, "account_id", acc,
		"owner_id", c->who->person_id, "subject", subject, "status", "open", "expires_at",
		(json_int_t)expires, "created_at", (json_int_t)now, "updated_at", (json_int_t)now);
	free(id);
	int rc = store_safebox_insert(c->tx, b);
	size_t i;
	json_t *v;
	json_t *pids = json_array();
	json_array_foreach(emails, i, v) {
		if (rc != STORE_OK)
			break;
		json_t *p = participant_new(c->tx, acc, rec_str(b, "id"), json_string_value(v), now);
		char *token = NULL;
		if (strcmp(rec_str(p, "kind"), "guest") == 0)
			sb_guest_token(p, &token);
		rc = store_sbp_insert(c->tx, p);
		if (rc == STORE_OK && token && sb_guest_invite(c, b, p, token, owner_name) != 0)
			rc = STORE_ERROR;
		free(token);
		json_array_append_new(pids, json_string(rec_str(p, "id")));
		json_decref(p);
	}
	if (rc == STORE_OK)
		rc = member_record(c, b, "create", json_pack("{s:o, s:o}", "participants", pids,
			"expires_at", time_json(json_object_get(b, "expires_at"))));
	else
		json_decref(pids);
	json_decref(emails);
	if (rc != STORE_OK) {
		json_decref(b);
		return dom_fail(e, "internal", "", "the SafeBox could not be created");
	}
	if (message && add_message(c, b, message, NULL, e) != 0) {
		json_decref(b);
		return -1;
	}
	*out = sb_box_full(c->tx, env_of(c), b, true, now);
	json_decref(b);
	return 0;
}

int dom_safebox_list(dom_ctx_t *c, const char *cursor, int limit, json_t **out, dom_err_t *e)
{
	if (need_member(c, e) != 0)
		return -1;
	authz_resource_t box = { .kind = AUTHZ_RES_SAFEBOX };
	bool all = authz_resource(c->who, AUTHZ_READ_ALL, &box, NULL) == AUTHZ_ALLOW;
	store_page_t pg;
	if (store_safebox_list(c->tx, c->who->account_id, all ? NULL : c->who->person_id, cursor,
		    limit, &pg) != STORE_OK)
		return dom_fail(e, "internal", "", "the SafeBoxes could not be listed");
	int64_t now = time_now_ms();
	json_t *items = json_array();
	size_t i;
	json_t *b;
	json_array_foreach(pg.items, i, b)
		json_array_append_new(items, box_summary(b, now));
	*out = json_pack("{s:o, s:o}", "items", items, "next_cursor",
		pg.next_cursor ? json_string(pg.next_cursor) : json_null());
	store_page_free(&pg);
	return dom_read_audited(c, "safebox.list", c->who->account_id, c->who->account_id, out, e);
}

int dom_safebox_get(dom_ctx_t *c, const char *box_id, json_t **out, dom_err_t *e)
{
	json_t *b = box_for(c, box_id, SB_READ, e);
	if (!b)
		return -1;
	/* The read is an event first, so that the answer shows it. */
	if (member_record(c, b, "read", NULL) != 0) {
		json_decref(b);
		return dom_fail(e, "internal", "", "the read could not be recorded");
	}
	*out = sb_box_full(c->tx, env_of(c), b, true, time_now_ms());
	json_decref(b);
	return 0;
}

/* The record of file doc_id (len bytes) in box b by the author given,
 * inserted in tx (name cleaned, type kept for display): into *rec (new
 * reference). 0 / -1. */
static int file_insert(store_tx_t *tx, const json_t *b, const char *author_kind,
	const char *author_id, const char *author_email, const char *doc_id, size_t len,
	const char *filename, const char *ctype, json_t **rec)
{
	char name[SAFEBOX_FILENAME_MAX + 1];
	safebox_filename_clean(filename ? filename : "", filename ? strlen(filename) : 0, name,
		sizeof name);
	/* The declared type is kept for display only: downloads are always
	 * application/octet-stream attachments. */
	char type[128] = "application/octet-stream";
	if (ctype && *ctype && strlen(ctype) < sizeof type && valid_name(ctype, strlen(ctype)))
		snprintf(type, sizeof type, "%s", ctype);
	char *id = sec_new_id("sbf");
	json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", id,
		"safebox_id", rec_str(b, "id"), "account_id", rec_str(b, "account_id"), "author_kind",
		author_kind, "author_id", author_id, "author_email", author_email, "doc_id", doc_id,
		"filename", name, "content_type", type, "size", (json_int_t)len, "created_at",
		(json_int_t)time_now_ms());
	free(id);
	if (store_sbf_insert(tx, f) != STORE_OK) {
		json_decref(f);
		return -1;
	}
	*rec = f;
	return 0;
}

int sb_file_store(dom_ctx_t *c, const json_t *b, const char *author_kind, const char *author_id,
	const char *author_email, const void *data, size_t len, const char *filename,
	const char *ctype, json_t **rec, dom_err_t *e)
{
	char doc_id[DOC_ID_MAX];
	if (dom_doc_put(c, rec_str(b, "account_id"), "safebox_file", data, len, doc_id, e) != 0)
		return -1;
	if (file_insert(c->tx, b, author_kind, author_id, author_email, doc_id, len, filename, ctype,
		    rec) != 0)
		return dom_fail(e, "internal", "", "the file could not be stored");
	return 0;
}

int sb_upload_checks(dom_ctx_t *c, const json_t *b, size_t len, dom_err_t *e)
{
	const char *acc = rec_str(b, "account_id");
	safebox_profile_t prof;
	safebox_profile_load(c->tx, acc, max_days_of(c), &prof);
	if (len == 0)
		return dom_fail(e, "validation-failed", "file", "the file is empty");
	if (len > (size_t)prof.max_file_mb << 20)
		return dom_fail(e, "payload-too-large", "file", "a file may be at most %d MiB in this "
			"account", prof.max_file_mb);
	return 0;
}

int dom_safebox_file_add(dom_ctx_t *c, const char *box_id, const void *data, size_t len,
	const char *filename, const char *ctype, json_t **out, dom_err_t *e)
{
	json_t *b = box_for(c, box_id, SB_WRITE, e);
	if (!b)
		return -1;
	json_t *f = NULL;
	int rc = sb_box_open(b, e);
	if (rc == 0 && !env_of(c))
		rc = dom_fail(e, "unavailable", "", "SafeBoxes are not available on this service");
	if (rc == 0 && len == 0)
		rc = dom_fail(e, "validation-failed", "file", "attach one file as \"file\"");
	if (rc == 0)
		rc = sb_upload_checks(c, b, len, e);
	if (rc == 0)
		rc = dom_av_check(c, c->who->account_id, "file", data, len, e);
	/* The scan paused the transaction: the box is read again. */
	json_decref(b);
	b = NULL;
	if (rc == 0 && !(b = box_for(c, box_id, SB_WRITE, e)))
		rc = -1;
	if (rc == 0)
		rc = sb_box_open(b, e);
	if (rc == 0) {
		json_t *person = store_principal_get(c->tx, c->who->person_id);
		rc = sb_file_store(c, b, "member", c->who->person_id, person ? rec_str(person, "email")
			: "", data, len, filename, ctype, &f, e);
		json_decref(person);
	}
	if (rc == 0 && member_record(c, b, "file.upload", json_pack("{s:s, s:s, s:I}", "file_id",
			rec_str(f, "id"), "filename", rec_str(f, "filename"), "size", (json_int_t)len)) != 0)
		rc = dom_fail(e, "internal", "", "the file could not be stored");
	if (rc == 0)
		*out = sb_file_json(f);
	json_decref(f);
	json_decref(b);
	return rc;
}

int dom_safebox_attach(dom_ctx_t *c, const char *box_id, const void *data, size_t len,
	const char *filename, const char *ctype, dom_err_t *e)
{
	json_t *b = box_for(c, box_id, SB_OWN, e), *f = NULL;
	if (!b)
		return -1;
	json_t *person = store_principal_get(c->tx, c->who->person_id);
	int rc = sb_file_store(c, b, "member", c->who->person_id, person ? rec_str(person, "email")
		: "", data, len, filename, ctype, &f, e);
	json_decref(person);
	if (rc == 0 && member_record(c, b, "file.upload", json_pack("{s:s, s:s, s:I}", "file_id",
			rec_str(f, "id"), "filename", rec_str(f, "filename"), "size", (json_int_t)len)) != 0)
		rc = dom_fail(e, "internal", "", "the file could not be stored");
	json_decref(f);
	json_decref(b);
	return rc;
}

int dom_safebox_file_get(dom_ctx_t *c, const char *box_id, const char *file_id,
	unsigned char **data, size_t *len, char *name, size_t namelen, dom_err_t *e)
{
	*data = NULL;
	json_t *b = box_for(c, box_id, SB_READ, e);
	if (!b)
		return -1;
	json_t *f = store_sbf_get(c->tx, c->who->account_id, box_id, file_id);
	int rc = 0;
	if (!f)
		rc = dom_fail(e, "not-found", "", "no such file");
	if (rc == 0 && sb_doc_read(c->tx, env_of(c), rec_str(b, "account_id"), rec_str(f, "doc_id"),
			data, len) != 0)
		rc = dom_fail(e, doc_failure_kind(), "", "the file could not be read");
	if (rc == 0 && member_record(c, b, "file.download", json_pack("{s:s, s:s}", "file_id", file_id,
			"filename", rec_str(f, "filename"))) != 0) {
		free(*data);
		*data = NULL;
		rc = dom_fail(e, "internal", "", "the read could not be recorded");
	}
	if (rc == 0)
		snprintf(name, namelen, "%s", rec_str(f, "filename"));
	json_decref(f);
	json_decref(b);
	return rc;
}

int dom_safebox_message_add(dom_ctx_t *c, const char *box_id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "message", NULL };
	const char *text;
	if (body_only(body, allowed, e) != 0 || body_str(body, "message", true, &text, e) != 0 ||
	    sb_message_ok(text, strlen(text), e) != 0)
		return -1;
	json_t *b = box_for(c, box_id, SB_WRITE, e);
	if (!b)
		return -1;
	int rc = sb_box_open(b, e);
	if (rc == 0)
		rc = add_message(c, b, text, out, e);
	json_decref(b);
	return rc;
}

int dom_safebox_close(dom_ctx_t *c, const char *box_id, json_t **out, dom_err_t *e)
{
	json_t *b = box_for(c, box_id, SB_OWN, e);
	if (!b)
		return -1;
	int rc = 0;
	if (strcmp(rec_str(b, "status"), "open") != 0)
		rc = dom_fail(e, "invalid-state", "", "the SafeBox is already closed");
	int64_t now = time_now_ms();
	json_t *upd = json_pack("{s:s, s:I, s:I}", "status", "closed", "closed_at", (json_int_t)now,
		"updated_at", (json_int_t)now);
	if (rc == 0 && (store_safebox_update(c->tx, rec_str(b, "account_id"), box_id, upd) != STORE_OK ||
			member_record(c, b, "close", NULL) != 0))
		rc = dom_fail(e, "internal", "", "the SafeBox could not be closed");
	json_decref(upd);
	json_decref(b);
	if (rc == 0 && !(b = store_safebox_get(c->tx, c->who->account_id, box_id)))
		rc = dom_fail(e, "internal", "", "the SafeBox could not be closed");
	if (rc == 0)
		*out = sb_box_full(c->tx, env_of(c), b, true, now);
	json_decref(b);
	return rc;
}

int dom_safebox_extend(dom_ctx_t *c, const char *box_id, const json_t *body, json_t **out,
	dom_err_t *e)
{
	static const char *const allowed[] = { "expires_at", NULL };
	const char *exp;
	if (body_only(body, allowed, e) != 0 || body_str(body, "expires_at", true, &exp, e) != 0)
		return -1;
	json_t *b = box_for(c, box_id, SB_OWN, e);
	if (!b)
		return -1;
	int64_t now = time_now_ms(), t = 0;
	int ceil = ceiling_days(max_days_of(c));
	int64_t before = json_integer_value(json_object_get(b, "expires_at"));
	int rc = 0;
	if (strcmp(rec_str(b, "status"), "open") != 0)
		rc = dom_fail(e, "invalid-state", "", "a closed SafeBox cannot be extended");
	else if (time_parse_rfc3339(exp, &t) != 0 || t <= now || t <= before ||
		 t > now + (int64_t)ceil * DAY_MS)
		rc = dom_fail(e, "validation-failed", "expires_at", "expires_at must be later than the "
			"current expiry and at most %d days from now", ceil);
	json_t *upd = json_pack("{s:I, s:I}", "expires_at", (json_int_t)t, "updated_at",
		(json_int_t)now);
	if (rc == 0 && (store_safebox_update(c->tx, rec_str(b, "account_id"), box_id, upd) != STORE_OK ||
			member_record(c, b, "extend", json_pack("{s:o, s:o}", "before",
				time_json(json_object_get(b, "expires_at")), "after",
				time_json(json_object_get(upd, "expires_at")))) != 0))
		rc = dom_fail(e, "internal", "", "the SafeBox could not be extended");
	json_decref(upd);
	json_decref(b);
	b = NULL;
	if (rc == 0 && !(b = store_safebox_get(c->tx, c->who->account_id, box_id)))
		rc = dom_fail(e, "internal", "", "the SafeBox could not be extended");
	if (rc == 0)
		*out = sb_box_full(c->tx, env_of(c), b, true, now);
	json_decref(b);
	return rc;
}

int dom_safebox_participant_revoke(dom_ctx_t *c, const char *box_id, const char *pid,
	dom_err_t *e)
{
	json_t *b = box_for(c, box_id, SB_OWN, e);
	if (!b)
		return -1;
	const char *acc = rec_str(b, "account_id");
	int rc = store_sbp_revoke(c->tx, acc, box_id, pid, time_now_ms());
	if (rc == STORE_NOTFOUND)
		rc = dom_fail(e, "not-found", "", "no such participant, or already revoked");
	else if (rc != STORE_OK || member_record(c, b, "participant.revoke",
			json_pack("{s:s}", "participant_id", pid)) != 0)
		rc = dom_fail(e, "internal", "", "the participant could not be revoked");
	json_decref(b);
	return rc;
}

/* Deletes box b in tx: tombstone, rows gone, event and audit `action` as
 * actor (detail taken over, gains documents_destroyed), then every document
 * shredded (its wrapped key in tx, its blob once tx has committed; a crash
 * before the commit leaves the box whole, to be deleted again). 0 / -1. */
static int safebox_destroy_tx(store_tx_t *tx, const fax_env_t *env, const audit_ctx_t *actor,
	const char *actor_kind, const char *actor_id, const json_t *b, const char *action,
	json_t *detail, int64_t now)
{
	const char *id = rec_str(b, "id"), *acc = rec_str(b, "account_id");
	json_t *docs = store_safebox_docs(tx, acc, id);
	int rc = docs ? store_safebox_mark_deleted(tx, acc, id, now) : STORE_ERROR;
	if (!detail)
		detail = json_object();
	json_object_set_new(detail, "documents_destroyed",
		json_integer(docs ? (json_int_t)json_array_size(docs) : 0));
	backup_note_until(detail, env, now);
	if (rc == STORE_OK)
		rc = sb_record(tx, actor, b, action, actor_kind, actor_id, detail);
	else
		json_decref(detail);
	size_t i;
	json_t *d;
	json_array_foreach(docs, i, d)
		if (rc == 0 && doc_shred_tx(tx, env, acc, json_string_value(d)) != 0)
			rc = -1;
	json_decref(docs);
	return rc == 0 ? 0 : -1;
}

int dom_safebox_delete(dom_ctx_t *c, const char *box_id, dom_err_t *e)
{
	json_t *b = box_for(c, box_id, SB_DELETE, e);
	if (!b)
		return -1;
	int rc = 0;
	if (dom_retention_held(c->tx, b))
		rc = dom_fail(e, "legal-hold", "", "the SafeBox is under a legal hold (on the box or its "
			"account); an administrator with security.manage must lift it first");
	else if (!env_of(c))
		rc = dom_fail(e, "unavailable", "", "SafeBoxes are not available on this service");
	audit_ctx_t a = { .who = c->who, .actor = c->actor, .source = c->source,
		.request_id = c->request_id };
	if (rc == 0 && safebox_destroy_tx(c->tx, env_of(c), &a, "member", c->who->person_id, b,
			"delete", NULL, time_now_ms()) != 0)
		rc = dom_fail(e, "internal", "", "the SafeBox could not be deleted");
	json_decref(b);
	return rc;
}

int dom_safebox_hold(dom_ctx_t *c, const json_t *account, const char *box_id,
	const json_t *body, json_t **out, dom_err_t *e)
{
	static const char *const allowed[] = { "reason", NULL };
	const char *acc = rec_str(account, "id"), *reason = NULL;
	if (body && (body_only(body, allowed, e) != 0 || body_str(body, "reason", true, &reason, e) != 0))
		return -1;
	size_t n = reason ? strlen(reason) : 0;
	if (body && (n == 0 || n > RETENTION_REASON_MAX || !valid_name(reason, n)))
		return dom_fail(e, "validation-failed", "reason", "reason must be 1 to %d characters "
			"without control characters", RETENTION_REASON_MAX);
	json_t *b = box_id ? store_safebox_get(c->tx, acc, box_id) : NULL;
	if (!b)
		return dom_fail(e, "not-found", "", "no such SafeBox");
	json_t *upd = json_pack("{s:o, s:I}", "legal_hold_reason", reason ? json_string(reason)
		: json_null(), "updated_at", (json_int_t)time_now_ms());
	audit_ctx_t a = { .who = c->who, .actor = c->actor, .source = c->source,
		.request_id = c->request_id };
	int rc = store_safebox_update(c->tx, acc, box_id, upd);
	if (rc == STORE_OK)
		rc = sb_record(c->tx, &a, b, body ? "legal_hold" : "legal_hold_lifted", "member",
			c->who ? c->who->person_id : "", body ? json_pack("{s:s}", "reason", reason) : NULL);
	json_decref(upd);
	json_decref(b);
	if (rc != 0)
		return dom_fail(e, "internal", "", "the legal hold could not be saved");
	*out = json_pack("{s:s, s:b, s:o}", "safebox_id", box_id, "held", reason != NULL, "reason",
		reason ? json_string(reason) : json_null());
	return 0;
}

/* ---- received faxes ---- */

static const audit_ctx_t fax_actor = { .who = NULL, .actor = "system:faxsvc", .source = "",
	.request_id = "" };

int safebox_from_fax(store_tx_t *tx, const fax_env_t *env, const json_t *fax,
	const char *person_id, const char *subject, const void *pdf, size_t len, char box_id[64],
	char doc_id[DOC_ID_MAX])
{
	doc_id[0] = '\0';
	const char *acc = rec_str(fax, "account_id"), *fax_id = rec_str(fax, "id");
	safebox_profile_t prof;
	safebox_profile_load(tx, acc, env->safebox_max_days, &prof);
	int64_t now = time_now_ms();
	char *id = sec_new_id("sbx");
	snprintf(box_id, 64, "%s", id);
	free(id);
	char sub[SAFEBOX_SUBJECT_MAX + 1];
	snprintf(sub, sizeof sub, "%s", subject);
	json_t *b = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "id", box_id, "account_id",
		acc, "owner_id", person_id, "subject", sub, "status", "open", "expires_at",
		(json_int_t)(now + (int64_t)prof.expiry_days * DAY_MS), "created_at", (json_int_t)now,
		"updated_at", (json_int_t)now);
	char name[96];
	snprintf(name, sizeof name, "%s.pdf", fax_id);
	json_t *f = NULL;
	int rc = store_safebox_insert(tx, b) == STORE_OK ? 0 : -1;
	if (rc == 0)
		rc = sb_record(tx, &fax_actor, b, "create", "system", "system:faxsvc",
			json_pack("{s:s, s:[], s:o}", "fax_id", fax_id, "participants", "expires_at",
				time_json(json_object_get(b, "expires_at"))));
	if (rc == 0)
		rc = doc_put_tx(tx, env, acc, "safebox_file", pdf, len, -1, doc_id);
	if (rc == 0)
		rc = file_insert(tx, b, "system", "system:faxsvc", "", doc_id, len, name,
			"application/pdf", &f);
	if (rc == 0)
		rc = sb_record(tx, &fax_actor, b, "file.upload", "system", "system:faxsvc",
			json_pack("{s:s, s:s, s:s, s:I}", "fax_id", fax_id, "file_id", rec_str(f, "id"),
				"filename", rec_str(f, "filename"), "size", (json_int_t)len));
	json_decref(f);
	json_decref(b);
	return rc;
}

json_t *safebox_inbox_readers(store_tx_t *tx, const char *account_id)
{
	json_t *members = store_members_all(tx, account_id);
	if (!members)
		return NULL;
	json_t *out = json_array();
	size_t i;
	json_t *m;
	json_array_foreach(members, i, m) {
		principal_t who;
		authz_resource_t any = { .kind = AUTHZ_RES_SAFEBOX };
		if (strcmp(rec_str(m, "status"), "active") == 0 &&
		    dom_principal_from_record(tx, m, &who) == 0 &&
		    authz_resource(&who, AUTHZ_READ_ALL, &any, NULL) == AUTHZ_ALLOW)
			json_array_append_new(out, json_string(rec_str(m, "id")));
	}
	json_decref(members);
	return out;
}

/* ---- retention ---- */

static const audit_ctx_t sweeper = { .who = NULL, .actor = "system:retention", .source = "",
	.request_id = "" };

int dom_safebox_sweep_one(store_t *st, const fax_env_t *env, const json_t *due, int64_t now)
{
	store_tx_t *tx = store_begin(st, true);
	if (!tx)
		return -1;
	json_t *b = store_safebox_get(tx, rec_str(due, "account_id"), rec_str(due, "id"));
	int rc = 0;
	if (b && !dom_retention_held(tx, b)) {
		json_t *detail = json_pack("{s:s, s:I, s:o, s:o}", "rule", "safebox_days", "days",
			(json_int_t)json_integer_value(json_object_get(due, "days")), "created_at",
			time_json(json_object_get(b, "created_at")), "ended_at",
			time_json(json_object_get(due, "ended_at")));
		rc = safebox_destroy_tx(tx, env, &sweeper, "system", "system:retention", b,
			"retention_delete", detail, now) == 0 ? 1 : -1;
	}
	json_decref(b);
	if (rc >= 0 && store_commit(tx) == STORE_OK)
		return rc;
	if (rc < 0)
		store_rollback(tx);
	return -1;
}
