#!/usr/bin/env bash
# The README tour and the rules around it, against the real daemon:
# operator login, account with owner and billing contact, invitations,
# admins and users, custom roles, API keys, owner protections, ownership
# transfer, deprovisioning (C05), suspension, sessions, idempotency, audit.
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)
req GET /v1/me "$OP"
expect_status 200 "operator /v1/me"
expect_jq '.kind == "provider" and .role == "operator"' "operator identity"

# --- an account with its owner and a billing contact
req POST /v1/accounts "$OP" '{"name":"Clinique Saint-Luc","owner":{"email":"Owner@Clinic.example","name":"Olive Owner"},"billing_contacts":[{"email":"bill@clinic.example","name":"Bill Payer"}]}'
expect_status 201 "create account"
expect_jq '.owner.email == "owner@clinic.example" and .status == "active" and .regulatory_profile == "none"' "account body"
expect_jq '(.owner_invitation.token | startswith("fvi_")) and (.billing_invitations | length == 1)' "invitations returned"
ACC=$(jqr .id)
OWNER_INV=$(jqr .owner_invitation.token)
BILL_INV=$(jqr '.billing_invitations[0].token')

# Weak password refused, the invitation stays usable.
req POST /v1/invitations/accept "" "{\"token\":\"$OWNER_INV\",\"password\":\"short\"}"
expect_problem 422 weak-password "short password refused"
accept "$OWNER_INV" "olive-tree-lantern-12"
# The older form, token in the path, still answers (and the log redacts it).
req POST "/v1/invitations/$OWNER_INV/accept" "" '{"password":"olive-tree-lantern-12"}'
expect_problem 404 invitation-invalid "invitation is single-use"
accept "$BILL_INV" "ledger-quill-amber-12"
OWNER=$(login owner@clinic.example olive-tree-lantern-12)
BILL=$(login bill@clinic.example ledger-quill-amber-12)

# No user enumeration: unknown e-mail and wrong password answer the same.
req POST /v1/sessions "" '{"email":"nobody@clinic.example","password":"whatever-123456"}'
A="$STATUS $(jqr .type) $(jqr .detail)"
req POST /v1/sessions "" '{"email":"owner@clinic.example","password":"wrong-password-1"}'
B="$STATUS $(jqr .type) $(jqr .detail)"
[ "$A" = "$B" ] && ok || fail "login answers differ: [$A] vs [$B]"
expect_problem 401 invalid-credentials "wrong password"

# --- the owner adds an admin and a user
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"admin@clinic.example","name":"Ada Admin","role":"admin"}'
expect_status 201 "owner adds admin"
expect_jq '.role == "admin" and .status == "invited" and (.permissions | index("admins.manage") != null)' "admin record"
ADMIN_ID=$(jqr .id); accept "$(jqr .invitation.token)" "granite-harbour-1234"
ADMIN=$(login admin@clinic.example granite-harbour-1234)
req POST "/v1/accounts/$ACC/users" "$ADMIN" '{"email":"user@clinic.example","name":"Ursula User","role":"user"}'
expect_status 201 "admin adds user"
USER_ID=$(jqr .id); accept "$(jqr .invitation.token)" "meadow-violin-12345"
USER=$(login user@clinic.example meadow-violin-12345)

# Users cannot manage users; billing reads billing only.
req POST "/v1/accounts/$ACC/users" "$USER" '{"email":"x@clinic.example","name":"X","role":"user"}'
expect_problem 403 forbidden "user cannot add users"
req GET "/v1/accounts/$ACC/users" "$BILL"
expect_problem 403 forbidden "billing cannot list users"
req GET "/v1/accounts/$ACC" "$BILL"
expect_status 200 "billing reads its account"

# --- custom role: a helpdesk person who manages users only
req POST "/v1/accounts/$ACC/users" "$ADMIN" '{"email":"desk@clinic.example","name":"Desk","role":"custom","permissions":["users.manage","account.read"]}'
expect_status 201 "custom role created"
DESK_ID=$(jqr .id); accept "$(jqr .invitation.token)" "copper-kettle-12345"
DESK=$(login desk@clinic.example copper-kettle-12345)
req POST "/v1/accounts/$ACC/users" "$DESK" '{"email":"u2@clinic.example","name":"U2","role":"user"}'
expect_problem 403 permission-not-held "custom role cannot grant fax.send it lacks"
req POST "/v1/accounts/$ACC/users" "$DESK" '{"email":"u3@clinic.example","name":"U3","role":"custom","permissions":["users.manage"]}'
expect_status 201 "custom role grants what it holds"
req POST "/v1/accounts/$ACC/users" "$DESK" '{"email":"a2@clinic.example","name":"A2","role":"admin"}'
expect_problem 403 forbidden "custom role cannot create admins"
req PATCH "/v1/accounts/$ACC/users/$ADMIN_ID" "$DESK" '{"role":"user"}'
expect_problem 403 forbidden "custom role cannot demote an admin"
req POST "/v1/accounts/$ACC/users" "$DESK" '{"email":"own@clinic.example","name":"O","role":"owner"}'
expect_problem 403 owner-protected "nobody creates a second owner"

# --- owner protections
OWNER_ID=$(curl -s "$BASE/v1/me" -H "Authorization: Bearer $OWNER" | jq -r .id)
req DELETE "/v1/accounts/$ACC/users/$OWNER_ID" "$ADMIN"
expect_problem 403 owner-protected "admin cannot remove the owner"
req PATCH "/v1/accounts/$ACC/users/$OWNER_ID" "$ADMIN" '{"role":"admin"}'
expect_problem 403 owner-protected "admin cannot demote the owner"
req POST "/v1/accounts/$ACC/owner-transfer" "$ADMIN" "{\"user_id\":\"$ADMIN_ID\"}"
expect_problem 403 forbidden "admin cannot transfer ownership"

# --- API keys: shown once, hashed, scoped, revocable
req POST "/v1/accounts/$ACC/api-keys" "$USER" '{"name":"scanner","permissions":["fax.send","users.manage"]}'
expect_problem 403 permission-not-held "key cannot exceed its creator"
req POST "/v1/accounts/$ACC/api-keys" "$ADMIN" '{"name":"provisioning","permissions":["users.manage","data.read"],"expires_at":"2099-01-01T00:00:00Z"}' -H 'Idempotency-Key: key-1'
expect_status 201 "admin creates key"
expect_jq '(.secret | startswith("fvk_")) and .permissions == ["users.manage","data.read"] and .expires_at == "2099-01-01T00:00:00.000Z"' "key body"
KEY=$(jqr .secret); KEY_ID=$(jqr .id)
req POST "/v1/accounts/$ACC/api-keys" "$ADMIN" '{"name":"provisioning","permissions":["users.manage","data.read"],"expires_at":"2099-01-01T00:00:00Z"}' -H 'Idempotency-Key: key-1'
expect_status 201 "idempotent replay"
expect_jq ".id == \"$KEY_ID\"" "replay returns the same key"
grep -qi '^idempotent-replayed: true' "$HEADERS" && ok || fail "replay header"
req POST "/v1/accounts/$ACC/api-keys" "$ADMIN" '{"name":"other","permissions":["data.read"]}' -H 'Idempotency-Key: key-1'
expect_problem 422 idempotency-key-reused "key reused for another body"
req GET "/v1/accounts/$ACC/api-keys" "$ADMIN"
expect_jq '[.items[] | select(has("secret") or has("secret_hash"))] | length == 0' "secret never listed"
req GET "/v1/accounts/$ACC/users/$USER_ID" "$KEY"
expect_status 200 "key reads a user"
req DELETE "/v1/accounts/$ACC/users/$USER_ID" "$KEY"
expect_status 204 "key with users.manage deprovisions a user"
req GET "/v1/me" "$USER"
expect_problem 401 unauthenticated "deprovisioned user's session died at once (C05)"
req POST /v1/sessions "" '{"email":"user@clinic.example","password":"meadow-violin-12345"}'
expect_problem 401 invalid-credentials "deprovisioned user cannot log in"
req POST "/v1/accounts/$ACC/api-keys" "$KEY" '{"name":"child","permissions":["users.manage","admins.manage"]}'
expect_problem 403 forbidden "key without api_keys.own cannot mint keys"
req DELETE "/v1/accounts/$ACC/api-keys/$KEY_ID" "$ADMIN"
expect_status 204 "revoke key"
req GET "/v1/accounts/$ACC/users" "$KEY"
expect_problem 401 unauthenticated "revoked key is refused"

# --- deprovisioning an admin kills their keys too
req POST "/v1/accounts/$ACC/api-keys" "$ADMIN" '{"name":"k2","permissions":["data.read"]}'
KEY2=$(jqr .secret)
req GET "/v1/accounts/$ACC/users" "$KEY2"
expect_status 200 "admin key works"

# --- ownership transfer, then the former owner is an admin
req POST "/v1/accounts/$ACC/owner-transfer" "$OWNER" "{\"user_id\":\"$ADMIN_ID\"}"
expect_status 200 "owner transfers ownership"
expect_jq ".owner.id == \"$ADMIN_ID\"" "new owner recorded"
req GET "/v1/accounts/$ACC/users/$OWNER_ID" "$ADMIN"
expect_jq '.role == "admin"' "former owner is admin"
req DELETE "/v1/accounts/$ACC/users/$ADMIN_ID" "$OWNER"
expect_problem 403 owner-protected "former owner cannot remove the new owner"
req DELETE "/v1/accounts/$ACC/users/$OWNER_ID" "$ADMIN"
expect_status 204 "new owner removes the former owner (an admin now)"
req GET "/v1/accounts/$ACC/users" "$KEY2"
expect_status 200 "keys of other people survive"

# --- another tenant sees nothing of this one
req POST /v1/accounts "$OP" '{"name":"Other Firm","owner":{"email":"boss@other.example","name":"Boss"}}'
ACC2=$(jqr .id); accept "$(jqr .owner_invitation.token)" "saffron-pebble-1234"
OTHER=$(login boss@other.example saffron-pebble-1234)
req GET "/v1/accounts/$ACC" "$OTHER"
expect_problem 404 not-found "other tenant's account is not found"
req GET "/v1/accounts/$ACC/users/$ADMIN_ID" "$OTHER"
expect_problem 404 not-found "other tenant's user is not found"
req GET "/v1/accounts/$ACC2/users/$ADMIN_ID" "$OTHER"
expect_problem 404 not-found "a user id of another tenant under one's own account"
req GET "/v1/accounts/acc_doesnotexist000000" "$OTHER"
expect_problem 404 not-found "unknown account: same answer as another tenant's"
req GET /v1/accounts "$OTHER"
expect_jq "[.items[].id] == [\"$ACC2\"]" "a member lists only its own account"

# --- pagination
req GET "/v1/accounts?limit=1" "$OP"
expect_jq '(.items | length == 1) and (.next_cursor != null)' "first page"
C=$(jqr .next_cursor)
req GET "/v1/accounts?limit=1&cursor=$C" "$OP"
expect_jq "(.items | length == 1) and .items[0].id == \"$ACC2\"" "second page"

# --- sessions: list, revoke, logout
SECOND=$(login admin@clinic.example granite-harbour-1234)
req GET /v1/me/sessions "$ADMIN"
expect_jq '(.items | length >= 2) and ([.items[] | select(.current)] | length == 1)' "list own sessions"
SID=$(curl -s "$BASE/v1/me" -H "Authorization: Bearer $SECOND" | jq -r .credential.id)
req DELETE "/v1/me/sessions/$SID" "$ADMIN"
expect_status 204 "revoke another own session"
req GET /v1/me "$SECOND"
expect_status 401 "revoked session refused"
req DELETE /v1/sessions/current "$ADMIN"
expect_status 204 "logout"
req GET /v1/me "$ADMIN"
expect_status 401 "logged-out session refused"

# --- suspension stops the account's members
ADMIN=$(login admin@clinic.example granite-harbour-1234)
req POST "/v1/accounts/$ACC/suspend" "$OP"
expect_jq '.status == "suspended"' "operator suspends"
req GET /v1/me "$ADMIN"
expect_problem 403 account-suspended "members of a suspended account are stopped"
req POST "/v1/accounts/$ACC/reactivate" "$OP"
expect_jq '.status == "active"' "operator reactivates"
req GET /v1/me "$ADMIN"
expect_status 200 "member back after reactivation"

# --- the audit log tells all of it
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$ADMIN"
expect_status 200 "admin reads the audit log"
for action in account.create invitation.accept session.create user.create api_key.create \
	user.deprovision api_key.revoke account.owner_transfer account.suspend account.reactivate user.read; do
	expect_jq "[.items[].action] | index(\"$action\") != null" "audit has $action"
done
expect_jq '[.items[] | select(.outcome == "denied")] | length > 0' "denials are audited"
expect_jq '[.items[] | select(.outcome == "denied") | .target] | all(contains("{") | not)' "denials name the concrete target, not the route template"
expect_jq '[.items[] | select(.outcome == "denied") | .detail.route // empty] | length > 0' "denials keep the route template in their detail"
expect_jq "[.items[] | select(.action == \"user.read\" and .actor.type == \"api_key\" and .actor.on_behalf_of == \"$ADMIN_ID\")] | length == 1" "key reads are attributed to the key and its creator"
req GET "/v1/accounts/$ACC/audit-events?action=account.suspend" "$ADMIN"
expect_jq '(.items | length == 1) and .items[0].actor.type == "user"' "filter by action"
req GET "/v1/accounts/$ACC/audit-events" "$BILL"
expect_problem 403 forbidden "billing cannot read the audit log"
req GET "/v1/accounts/$ACC2/audit-events" "$ADMIN"
expect_problem 404 not-found "no audit of another tenant"
# --- Idempotency-Key answers expire after api.idempotency_hours (24):
# 25 hours later key-1 runs anew, even with another body, and the
# retention sweep deletes the expired answers (key-2) but not key-1's new one.
req POST "/v1/accounts/$ACC/api-keys" "$ADMIN" '{"name":"kept a day","permissions":["data.read"]}' -H 'Idempotency-Key: key-2'
expect_status 201 "a key with key-2"
[ "$(db_query "SELECT count(*) FROM idempotency_keys WHERE key IN ('key-1', 'key-2')")" = 2 ] && ok || fail "both answers stored"
advance_clock $((25 * 60))
ADMIN=$(login admin@clinic.example granite-harbour-1234)
req POST "/v1/accounts/$ACC/api-keys" "$ADMIN" '{"name":"other","permissions":["data.read"]}' -H 'Idempotency-Key: key-1'
expect_status 201 "an expired key runs as new"
expect_jq ".id != \"$KEY_ID\" and .name == \"other\"" "a new API key, not the first answer"
grep -qi '^idempotent-replayed' "$HEADERS" && fail "an expired key replayed" || ok
req POST "/v1/accounts/$ACC/api-keys" "$ADMIN" '{"name":"other","permissions":["data.read"]}' -H 'Idempotency-Key: key-1'
expect_jq ".id != \"$KEY_ID\"" "its new answer replays"
grep -qi '^idempotent-replayed: true' "$HEADERS" && ok || fail "replay header of the new answer"
idem_purged() {
	curl -s -o /dev/null "$BASE/v1/me"
	[ "$(db_query "SELECT count(*) FROM idempotency_keys WHERE key = 'key-2'")" = 0 ]
}
poll_until 120 idem_purged && ok || fail "expired answer not purged: $(grep -E 'idempotency_purged|retention' "$LOG" | tail -3)"
grep -q 'event=api.idempotency_purged' "$LOG" && ok || fail "the purge is not logged"
[ "$(db_query "SELECT count(*) FROM idempotency_keys WHERE key = 'key-1'")" = 1 ] && ok || fail "the fresh answer purged too"
finish
