#!/usr/bin/env bash
# GDPR for one person against the real daemon: the export of everything
# about a member (profile, membership, sessions with their addresses, API
# keys, the audit events naming them, the faxes they sent with their
# documents' paths), audited; the erasure: the member deprovisioned, their
# address and name replaced, their session addresses cleared, the audit
# events naming them rewritten (no trace of the address or name left in the
# database's audit table), and the chain still verified by the API and by
# `faxvaultd audit-verify`, which also detects a later change of what the
# erasure wrote. The owner and an account under legal hold cannot be
# erased; a caller with a second factor sends a current code.
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)
new_account "$OP" "Laboratoire" owner@lab.example "plume encre buvard lab"
ACC=$NEW_ACC; OWNER=$NEW_OWNER
req POST /v1/accounts/$ACC/users "$OWNER" '{"email":"marie.curie@lab.example","name":"Marie Curie","role":"user"}'
expect_status 201 "invite Marie"
MARIE_ID=$(jqr .id)
accept "$(jqr .invitation.token)" "radium polonium 1898"
MARIE=$(login marie.curie@lab.example "radium polonium 1898")
req GET /v1/me "$MARIE"
expect_status 200 "Marie is signed in"
req POST /v1/accounts/$ACC/api-keys "$MARIE" '{"name":"labo","permissions":["fax.send"]}'
expect_status 201 "Marie makes an API key"

# A fax of hers, scheduled so that it stays queued.
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+15555550101","+15555550102"]}'
req POST "/v1/accounts/$ACC/numbers" "$OWNER" '{"country":"US","area_code":"555"}'
expect_status 201 "first number"
req POST "/v1/accounts/$ACC/numbers" "$OWNER" '{"country":"US","area_code":"555"}'
TO=$(jqr .number)
printf 'Notes de laboratoire\n' >"$TMP/notes.txt"
LATER=$(date -u -d "@$(( $(clock_seconds) + 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
req POST /v1/faxes "$MARIE" "" -F "file=@$TMP/notes.txt" -F "to=$TO" -F "send_at=$LATER"
expect_status 202 "Marie schedules a fax"
FAX=$(jqr '.items[0].id')

# ---- export
req GET "/v1/accounts/$ACC/users/$MARIE_ID/export" "$MARIE"
expect_problem 403 forbidden "a member cannot export (security.manage)"
req GET "/v1/accounts/$ACC/users/$MARIE_ID/export" "$OWNER"
expect_status 200 "the owner exports Marie's data"
expect_jq '.format == "faxvault-gdpr-export-1" and .person.email == "marie.curie@lab.example" and .person.name == "Marie Curie"' "her profile"
expect_jq '.memberships == [{"account_id":"'"$ACC"'","account_name":"Laboratoire","role":"user","status":"active"}]' "her membership"
expect_jq '(.sessions | length) >= 1 and all(.sessions[]; .source == "127.0.0.1")' "her sessions with their addresses"
expect_jq '[.api_keys[].name] == ["labo"]' "her API key"
expect_jq '[.faxes[] | {id, direction, document}] == [{"id":"'"$FAX"'","direction":"outbound","document":"/v1/faxes/'"$FAX"'/document"}]' "her fax with its document's path"
expect_jq '[.audit_events[].action] | (index("user.create") != null) and (index("session.create") != null) and (index("fax.submit") != null)' "the audit events naming her"
expect_jq 'any(.audit_events[]; .action == "user.create" and .detail.email == "marie.curie@lab.example")' "with their detail"
req GET "/v1/accounts/$ACC/audit-events?action=gdpr.export" "$OWNER"
expect_jq '.items[0].target == "'"$MARIE_ID"'" and .items[0].detail.faxes == 1' "the export is audited"

# ---- erasure
req POST "/v1/accounts/$ACC/users/$(curl -s "$BASE/v1/me" -H "Authorization: Bearer $OWNER" | jq -r .id)/erase" "$OWNER" '{}'
expect_problem 403 owner-protected "the owner cannot be erased"
req PATCH "/v1/accounts/$ACC/retention" "$OWNER" '{"legal_hold":true,"legal_hold_reason":"Litige 2026-17"}'
req POST "/v1/accounts/$ACC/users/$MARIE_ID/erase" "$OWNER" '{}'
expect_problem 409 legal-hold "no erasure under a legal hold"
req PATCH "/v1/accounts/$ACC/retention" "$OWNER" '{"legal_hold":false}'
req POST "/v1/accounts/$ACC/users/$MARIE_ID/erase" "$OWNER" '{"surprise":1}'
expect_problem 422 validation-failed "unknown fields refused"
req POST "/v1/accounts/$ACC/users/$MARIE_ID/erase" "$OWNER" '{}'
expect_status 200 "the owner erases Marie"
expect_jq '.user_id == "'"$MARIE_ID"'" and .pseudonym == "erased:'"$MARIE_ID"'" and .audit_events_redacted >= 5 and .audit_events_not_redactable == 0' "what the erasure did"
req GET /v1/me "$MARIE"
expect_problem 401 unauthenticated "her session died with her"
req GET "/v1/accounts/$ACC/users/$MARIE_ID" "$OWNER"
expect_jq '.status == "deprovisioned" and .name == "Erased person" and (.email | startswith("erased+")) ' "the member row is pseudonymized"
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
expect_jq '(tostring | test("marie|Marie|Curie") | not)' "no audit event the account reads names her any more"
expect_jq 'all(.items[] | select(.actor.id == "'"$MARIE_ID"'"); .source == "" or .source == null)' "the addresses she acted from are gone"
expect_jq 'any(.items[]; .action == "gdpr.erase" and .target == "'"$MARIE_ID"'" and .detail.audit_events_redacted >= 5)' "the erasure is audited"
DB="$DATA/faxvault.db"
if [ -z "${FV_TEST_PG:-}" ]; then
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM audit_events WHERE instr(detail, 'marie') > 0 OR instr(detail, 'Curie') > 0")" = 0 ] && ok ||
		fail "the audit table still holds her address or name"
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM principals WHERE instr(email, 'marie') > 0 OR instr(name, 'Curie') > 0")" = 0 ] && ok ||
		fail "the principals table still holds her address or name"
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM sessions WHERE principal_id = '$MARIE_ID' AND source <> ''")" = 0 ] && ok ||
		fail "her sessions still hold their addresses"
fi

# The chain still verifies, through the API and offline.
SEC_EMAIL=sec@provider.example
req POST /v1/provider/staff "$OP" "{\"email\":\"$SEC_EMAIL\",\"name\":\"Sec\",\"role\":\"security\"}"
accept "$(jqr .invitation.token)" "veille securite 2026"
SEC=$(login "$SEC_EMAIL" "veille securite 2026")
req GET /v1/provider/audit/verify "$SEC"
expect_jq '.ok == true and .first_broken == null and .redacted >= 5' "the API verifies the chain, counting the erased events"
stop_daemon && ok || fail "the daemon stops cleanly"
"$FAXVAULTD" --data-dir "$DATA" audit-verify >"$TMP/v.out" 2>&1 && ok || fail "audit-verify after the erasure: $(cat "$TMP/v.out")"
grep -q "intact" "$TMP/v.out" && grep -q "events erased for a person" "$TMP/v.out" && ok ||
	fail "audit-verify says intact and counts the erased events: $(cat "$TMP/v.out")"
# What the erasure wrote is sealed: changing it is detected.
if [ -z "${FV_TEST_PG:-}" ]; then
	SEQ=$(sqlite3 "$DB" "SELECT seq FROM audit_events WHERE redacted_at IS NOT NULL ORDER BY seq LIMIT 1")
	sqlite3 "$DB" "UPDATE audit_events SET detail = '{\"email\":\"someone@else.example\"}' WHERE seq = $SEQ"
	"$FAXVAULTD" --data-dir "$DATA" audit-verify >"$TMP/v.out" 2>&1
	[ $? -eq 1 ] && grep -q "what the erasure wrote was changed" "$TMP/v.out" && ok ||
		fail "a change of an erased event is detected: $(cat "$TMP/v.out")"
fi

finish
