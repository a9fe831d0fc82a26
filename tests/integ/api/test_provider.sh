#!/usr/bin/env bash
# Provider-side management: staff (invite, change, deprovision, never the
# last operator), partners and their staff (suspension stops them), account
# closing, and password change (other sessions end).
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)
OP_ID=$(curl -s "$BASE/v1/me" -H "Authorization: Bearer $OP" | jq -r .id)

# --- staff
req POST /v1/provider/staff "$OP" '{"email":"sup@provider.example","name":"Sue Support","role":"support"}'
expect_status 201 "invite support"
SUP_ID=$(jqr .id); accept "$(jqr .invitation.token)" "support-password-1"
SUP=$(login sup@provider.example support-password-1)
req GET "/v1/provider/staff/$SUP_ID" "$OP"
expect_jq '.role == "support" and .status == "active"' "staff record"
req GET /v1/accounts "$SUP"
expect_status 200 "support sees accounts"
req POST /v1/accounts "$SUP" '{"name":"X","owner":{"email":"x@x.example","name":"X"}}'
expect_problem 403 forbidden "support cannot create accounts"
req PATCH "/v1/provider/staff/$SUP_ID" "$OP" '{"role":"security"}'
expect_jq '.role == "security"' "role changed"
req GET /v1/provider/audit/verify "$SUP"
expect_status 200 "the new role applies at once"
req PATCH "/v1/provider/staff/$OP_ID" "$OP" '{"role":"support"}'
expect_problem 409 conflict "the last operator keeps the role"
req DELETE "/v1/provider/staff/$OP_ID" "$OP"
expect_problem 409 conflict "the last operator cannot be removed"
req PATCH "/v1/provider/staff/$SUP_ID" "$OP" '{"role":"root"}'
expect_problem 422 validation-failed "unknown staff role"
req DELETE "/v1/provider/staff/$SUP_ID" "$OP"
expect_status 204 "deprovision staff"
req GET /v1/me "$SUP"
expect_problem 401 unauthenticated "deprovisioned staff is out at once"
req GET "/v1/provider/staff/usr_nothere0000000000" "$OP"
expect_problem 404 not-found "unknown staff"

# --- partners
req POST /v1/partners "$OP" '{"name":"Reseller Inc"}'
expect_status 201 "create partner"
PRT=$(jqr .id)
req POST "/v1/partners/$PRT/staff" "$OP" '{"email":"rep@reseller.example","name":"Rep"}'
expect_status 201 "partner staff"
REP_ID=$(jqr .id); accept "$(jqr .invitation.token)" "reseller-password-1"
REP=$(login rep@reseller.example reseller-password-1)
req POST /v1/accounts "$OP" "{\"name\":\"Sold by reseller\",\"partner_id\":\"$PRT\",\"owner\":{\"email\":\"c@customer.example\",\"name\":\"C\"}}"
expect_jq ".partner_id == \"$PRT\"" "account of the partner"
PACC=$(jqr .id)
req POST /v1/accounts "$OP" '{"name":"Direct","owner":{"email":"d@direct.example","name":"D"}}'
DACC=$(jqr .id)
req GET /v1/accounts "$REP"
expect_jq "[.items[].id] == [\"$PACC\"]" "partner staff see only their partner's accounts"
req GET "/v1/accounts/$DACC" "$REP"
expect_problem 404 not-found "another account does not exist for the partner"
req GET "/v1/accounts/$PACC/users" "$REP"
expect_problem 403 forbidden "no customer data without delegation"
req GET "/v1/partners/$PRT" "$REP"
expect_status 200 "partner staff see their organization"
req PATCH "/v1/partners/$PRT" "$OP" '{"status":"suspended"}'
expect_jq '.status == "suspended"' "suspend partner"
req GET /v1/me "$REP"
expect_problem 403 account-suspended "staff of a suspended partner are stopped"
req PATCH "/v1/partners/$PRT" "$OP" '{"status":"active","name":"Reseller Ltd"}'
expect_jq '.status == "active" and .name == "Reseller Ltd"' "reactivate and rename"
req DELETE "/v1/partners/$PRT/staff/$REP_ID" "$OP"
expect_status 204 "deprovision partner staff"
req GET /v1/me "$REP"
expect_status 401 "deprovisioned partner staff is out"
req PATCH "/v1/partners/$PRT" "$OP" '{"status":"gone"}'
expect_problem 422 validation-failed "bad partner status"

# --- closing an account (its grace period and destruction:
# tests/integ/faxsvc/test_account_closure.sh)
OWNER_INV=$(curl -s -X POST "$BASE/v1/accounts" -H "Authorization: Bearer $OP" -H 'Content-Type: application/json' \
	-d '{"name":"Closing Co","owner":{"email":"o@closing.example","name":"O"}}' | tee "$TMP/c.json" | jq -r .owner_invitation.token)
CACC=$(jq -r .id "$TMP/c.json")
accept "$OWNER_INV" "closing-password-1"
CO=$(login o@closing.example closing-password-1)
req POST "/v1/accounts/$CACC/close" "$CO"
expect_problem 403 forbidden "owners do not close accounts (provider does)"
req POST "/v1/accounts/$CACC/users" "$CO" '{"email":"m@closing.example","name":"M","role":"admin"}'
accept "$(jqr .invitation.token)" "closing-password-2"
CM=$(login m@closing.example closing-password-2)
req POST "/v1/accounts/$CACC/close" "$OP"
expect_jq '.status == "closing"' "operator closes: the grace period begins"
req POST "/v1/accounts/$CACC/reactivate" "$OP"
expect_problem 409 account-closing "a closing account is not reactivated"
req GET /v1/me "$CM"
expect_problem 403 account-suspended "members of a closing account are stopped"
req GET /v1/me "$CO"
expect_status 200 "its owner may still read"
req DELETE "/v1/accounts/$CACC/closure" "$OP"
expect_jq '.state == "cancelled"' "the operator cancels the closure"
req GET /v1/me "$CM"
expect_status 200 "members are back"

# --- password change
A1=$(login op@example.com "$(jq -r .password "$TMP/boot.json")")
req POST /v1/me/password "$OP" '{"current_password":"wrong-one-123456","new_password":"a brand new passphrase"}'
expect_problem 401 invalid-credentials "wrong current password"
req POST /v1/me/password "$OP" "{\"current_password\":\"$(jq -r .password "$TMP/boot.json")\",\"new_password\":\"tiny\"}"
expect_problem 422 weak-password "weak new password"
req POST /v1/me/password "$OP" "{\"current_password\":\"$(jq -r .password "$TMP/boot.json")\",\"new_password\":\"a brand new passphrase\"}"
expect_status 204 "password changed"
req GET /v1/me "$OP"
expect_status 200 "the session that changed it stays"
req GET /v1/me "$A1"
expect_status 401 "other sessions ended"
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$(jq -r .password "$TMP/boot.json")\"}"
expect_problem 401 invalid-credentials "the one-time password no longer works"
[ -n "$(login op@example.com 'a brand new passphrase')" ] && ok || fail "new password works"
finish
