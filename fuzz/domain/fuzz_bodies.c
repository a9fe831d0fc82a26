/* Fuzz target: request bodies as the domain receives them. The input is
 * parsed as JSON the way the HTTP layer does, then given to the operations
 * that take the richest bodies (account creation, member creation, member
 * update, API key creation) on an in-memory store, inside a transaction
 * that is rolled back. Whatever the body, the answer is a result or a
 * clean error, never a crash or a leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "access/access.h"
#include "sec.h"

static store_t *st;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!st) {
		char err[256];
		sec_init();
		sec_pwhash_set_cost(1, 8192);
		st = store_open(":memory:", err, sizeof err);
		if (!st)
			abort();
	}
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	dom_config_t cfg = { .session_idle_minutes = 30, .session_max_hours = 12, .invitation_days = 7,
		.limits = { 12, 10, 15, 30, 12, 600, 120, 12 }, .source_lock_threshold = 50,
		.source_lock_minutes = 15, .reset_minutes = 60 };
	store_tx_t *tx = store_begin(st, true);
	principal_t op = { .id = "usr_op", .type = "user", .person_id = "usr_op", .kind = "provider",
		.role = "operator", .perms = perm_role("provider", "operator") };
	dom_ctx_t c = { .store = st, .tx = tx, .who = &op, .source = "fuzz", .lang = "en", .cfg = &cfg };
	dom_err_t e = { 0 };
	json_t *out = NULL;
	if (dom_account_create(&c, body, &out, &e) == 0) {
		json_t *acc = store_account_get(tx, json_string_value(json_object_get(out, "id")), NULL);
		principal_t owner = { .id = "usr_o", .type = "user", .person_id = "usr_o", .kind = "account",
			.role = "owner", .perms = perm_role("account", "owner") };
		snprintf(owner.account_id, sizeof owner.account_id, "%s",
			json_string_value(json_object_get(acc, "id")));
		c.who = &owner;
		json_t *o2 = NULL;
		if (dom_member_create(&c, acc, body, &o2, &e) == 0) {
			json_t *o3 = NULL;
			if (dom_member_update(&c, acc, json_string_value(json_object_get(o2, "id")), body, &o3, &e) == 0)
				json_decref(o3);
			json_decref(o2);
		}
		if (dom_apikey_create(&c, acc, body, &o2, &e) == 0)
			json_decref(o2);
		json_decref(acc);
		json_decref(out);
	} else if (!e.kind) {
		abort(); /* an error must say what kind it is */
	}
	store_rollback(tx);
	json_decref(body);
	return 0;
}
