#!/bin/bash
# An audited read's answer waits for its audit event's group commit, its
# worker does not (docs/architecture.md, "Reads in read transactions, their
# audit events in groups"): with one service worker (http.threads=1) and the
# group commits held (testing.group_hold_file),
# - the owner's read of a member (GET /v1/accounts/{id}/users/{user_id},
#   audited as user.read) is not answered while its group is held, and its
#   event is not in the audit log yet;
# - meanwhile the same worker answers GET /readyz (no audit event) at once;
# - the hold lifted, the read is answered 200 with the member, its event is
#   in the log, and the chain verifies.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

HOLD="$TMP/hold"
start_daemon --set http.threads=1 --set testing.group_hold_file="$HOLD"
PW="plume encre buvard 1789"
OP=$(operator_token)
new_account "$OP" "Clinique A" owner@a.example "$PW"
ACC=$NEW_ACC
OWN=$NEW_OWNER
req POST "/v1/accounts/$ACC/users" "$OWN" '{"email":"membre@a.example","name":"Membre","role":"user"}'
expect_status 201 "a member"
UID_M=$(jqr .id)

reads() { db_query "SELECT count(*) FROM audit_events WHERE action = 'user.read' AND target = '$UID_M'"; }
[ "$(reads)" = 0 ] && ok || fail "user.read recorded before any read: $(reads)"

# The read, its group held.
touch "$HOLD"
curl -s --max-time 300 -o "$TMP/read.body" -w '%{http_code}' -H "Authorization: Bearer $OWN" \
	"$BASE/v1/accounts/$ACC/users/$UID_M" >"$TMP/read.code" 2>/dev/null &
READ=$!
held() { grep -q 'event=store.group_held ' "$LOG"; }
poll_until 300 held && ok || fail "the read's group was not held"

# Its worker is free: /readyz answered by it while the read waits.
readyz() { curl -s --max-time 20 -o /dev/null -w '%{http_code}' "$BASE/readyz"; }
[ "$(readyz)" = 200 ] && ok || fail "/readyz not answered while a read's audit event was held"
kill -0 "$READ" 2>/dev/null && ok || fail "the read was answered before its audit event was committed: $(cat "$TMP/read.code")"
[ ! -s "$TMP/read.code" ] && ok || fail "an answer came before the commit: $(cat "$TMP/read.code")"
[ "$(reads)" = 0 ] && ok || fail "user.read in the log while its group is held: $(reads)"
# Twice, then still unanswered.
[ "$(readyz)" = 200 ] && ok || fail "/readyz not answered a second time"
kill -0 "$READ" 2>/dev/null && ok || fail "the read was answered while its group was held"

# The hold lifted: the read answered, its event committed before.
rm -f "$HOLD"
wait "$READ"
[ "$(cat "$TMP/read.code")" = 200 ] && ok || fail "the read after the hold: $(cat "$TMP/read.code") $(cat "$TMP/read.body")"
[ "$(jq -r .id "$TMP/read.body")" = "$UID_M" ] && ok || fail "the read's body: $(cat "$TMP/read.body")"
[ "$(reads)" = 1 ] && ok || fail "user.read events after the read: $(reads)"

# Reads go on, answered in order with their events.
for i in 1 2 3; do
	req GET "/v1/accounts/$ACC/users/$UID_M" "$OWN"
	expect_status 200 "read $i"
done
[ "$(reads)" = 4 ] && ok || fail "user.read events after four reads: $(reads)"
stop_daemon && ok || fail "the daemon did not stop cleanly"
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/verify.out" 2>&1 && ok ||
	fail "audit-verify: $(cat "$TMP/verify.out")"
finish
