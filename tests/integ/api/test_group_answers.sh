#!/bin/bash
# An audited read's answer waits for its audit event's group commit, its
# worker does not (docs/architecture.md, "Reads in read transactions, their
# audit events in groups"): with the service's two workers (http.threads=2)
# and the group commits held (testing.group_hold_file),
# - the owner's read of a member (GET /v1/accounts/{id}/users/{user_id},
#   audited as user.read) is held writing its group: the first worker;
# - a second read comes to the second worker, which finds that group being
#   written and goes on without waiting: neither read is answered while the
#   group is held, and neither event is in the audit log yet;
# - meanwhile that second worker answers GET /readyz (no audit event), twice;
# - the hold lifted, both reads are answered 200 with the member (the second
#   by the first worker, which writes its group next), their events are in
#   the log, and the chain verifies.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

HOLD="$TMP/hold"
start_daemon --set http.threads=2 --set testing.group_hold_file="$HOLD" --set metrics.listen=127.0.0.1:0
MBASE="http://127.0.0.1:$(metrics_port)"
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

# The first read, its group held.
touch "$HOLD"
read_member() { # N: the read, its status and body in $TMP/read.N.*
	curl -s --max-time 300 -o "$TMP/read.$1.body" -w '%{http_code}' -H "Authorization: Bearer $OWN" \
		"$BASE/v1/accounts/$ACC/users/$UID_M" >"$TMP/read.$1.code" 2>/dev/null
}
read_member 1 &
READ1=$!
held() { grep -q 'event=store.group_held ' "$LOG"; }
poll_until 300 held && ok || fail "the read's group was not held"
# The second, by the other worker, which goes on: it then answers
# /metrics (the requests the workers took, faxvault_http_service_queue_seconds,
# counted as each is taken: the read and that /metrics).
taken() { curl -s --max-time 20 "$MBASE/metrics" | awk '$1 == "faxvault_http_service_queue_seconds_count" { print $2 }'; }
T0=$(taken)
[ -n "$T0" ] && ok || fail "/metrics not answered while a read's group was held"
read_member 2 &
READ2=$!
POLLS=0
second_taken() { # each poll is taken too
	local t
	POLLS=$((POLLS + 1))
	t=$(taken)
	[ -n "$t" ] && [ "$t" -ge $((T0 + POLLS + 1)) ]
}
poll_until 120 second_taken && ok || fail "the second read's worker did not go on ($POLLS polls, $T0 taken before)"

# That worker is free: /readyz answered by it while both reads wait.
readyz() { curl -s --max-time 20 -o /dev/null -w '%{http_code}' "$BASE/readyz"; }
for i in 1 2; do
	[ "$(readyz)" = 200 ] && ok || fail "/readyz ($i) not answered while the reads' audit events were held"
done
for n in 1 2; do
	P=READ$n
	kill -0 "${!P}" 2>/dev/null && ok || fail "read $n answered before its audit event was committed: $(cat "$TMP/read.$n.code")"
	[ ! -s "$TMP/read.$n.code" ] && ok || fail "read $n: an answer came before the commit: $(cat "$TMP/read.$n.code")"
done
[ "$(reads)" = 0 ] && ok || fail "user.read in the log while its group is held: $(reads)"

# The hold lifted: both answered, their events committed before.
rm -f "$HOLD"
wait "$READ1" "$READ2"
for n in 1 2; do
	[ "$(cat "$TMP/read.$n.code")" = 200 ] && ok || fail "read $n after the hold: $(cat "$TMP/read.$n.code") $(cat "$TMP/read.$n.body")"
	[ "$(jq -r .id "$TMP/read.$n.body")" = "$UID_M" ] && ok || fail "read $n's body: $(cat "$TMP/read.$n.body")"
done
[ "$(reads)" = 2 ] && ok || fail "user.read events after the two reads: $(reads)"

# Reads go on, answered in order with their events.
for i in 1 2 3; do
	req GET "/v1/accounts/$ACC/users/$UID_M" "$OWN"
	expect_status 200 "read $i"
done
[ "$(reads)" = 5 ] && ok || fail "user.read events after five reads: $(reads)"
stop_daemon && ok || fail "the daemon did not stop cleanly"
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/verify.out" 2>&1 && ok ||
	fail "audit-verify: $(cat "$TMP/verify.out")"
finish
