#!/usr/bin/env bash
# The audit chain is tamper-evident: changing, removing or inserting one
# stored event makes `faxvaultd audit-verify` fail and name that event, and
# provider security staff see the same through the API.
. "$(dirname "$0")/lib.sh"
start_daemon

OP=$(operator_token)
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
expect_status 201 "invite security staff"
accept "$(jqr .invitation.token)" "security-password-1"
SEC=$(login sec@provider.example security-password-1)
for i in 1 2 3; do
	req POST /v1/accounts "$OP" "{\"name\":\"Tenant $i\",\"owner\":{\"email\":\"o$i@t.example\",\"name\":\"O$i\"}}"
	expect_status 201 "account $i"
done
req GET /v1/provider/audit/verify "$SEC"
expect_status 200 "security verifies through the API"
expect_jq '.ok == true and .events > 5 and .first_broken == null' "chain intact"
req GET /v1/provider/audit/verify "$OP"
expect_problem 403 forbidden "operators cannot verify the audit log"
req GET "/v1/provider/audit-events?action=account.create" "$SEC"
expect_jq '.items | length == 3' "security reads every account's events"
stop_daemon && ok || fail "clean stop on SIGTERM"
HEAD=$(sed -n 's/.*event=audit.head seq=\([0-9]*\) hash=\([0-9a-f]*\).*/\1:\2/p' "$LOG" | tail -n 1)
[ -n "$HEAD" ] && ok || fail "the chain's head is logged at stop"

DB="$DATA/faxvault.db"
"$FAXVAULTD" --data-dir "$DATA" audit-verify > "$TMP/v.out"
[ $? -eq 0 ] && ok || fail "audit-verify passes on an intact chain"
grep -q "intact" "$TMP/v.out" && ok || fail "audit-verify says intact"

# 0. Remove the newest events: the chain is still consistent, but it no
#    longer holds the head recorded in the log.
cp "$DB" "$TMP/before-truncation.db"
sqlite3 "$DB" "DELETE FROM audit_events WHERE seq >= ${HEAD%%:*} - 1"
"$FAXVAULTD" --data-dir "$DATA" audit-verify > "$TMP/v.out"
[ $? -eq 0 ] && ok || fail "a truncated chain is consistent on its own"
"$FAXVAULTD" --data-dir "$DATA" audit-verify --expect-head "$HEAD" > "$TMP/v.out"
[ $? -eq 1 ] && ok || fail "audit-verify --expect-head detects the truncation"
grep -q "newest events were removed" "$TMP/v.out" && ok || fail "truncation named: $(cat "$TMP/v.out")"
cp "$TMP/before-truncation.db" "$DB"; rm -f "$DB-wal" "$DB-shm"
"$FAXVAULTD" --data-dir "$DATA" audit-verify --expect-head "$HEAD" > "$TMP/v.out"
[ $? -eq 0 ] && ok || fail "the intact chain holds its recorded head"
"$FAXVAULTD" --data-dir "$DATA" audit-verify --expect-head "${HEAD%%:*}:$(printf '%064d' 7)" > "$TMP/v.out"
[ $? -eq 1 ] && ok || fail "a different head at the same place is a rewrite"

# 1. Change one event's content.
SEQ=$(sqlite3 "$DB" "SELECT seq FROM audit_events WHERE action='account.create' ORDER BY seq LIMIT 1 OFFSET 1")
ID=$(sqlite3 "$DB" "SELECT id FROM audit_events WHERE seq=$SEQ")
cp "$DB" "$TMP/pristine.db"
sqlite3 "$DB" "UPDATE audit_events SET actor_id='usr_someone_else' WHERE seq=$SEQ"
"$FAXVAULTD" --data-dir "$DATA" audit-verify > "$TMP/v.out"
RC=$?
[ $RC -eq 1 ] && ok || fail "audit-verify exits 1 on a changed event (got $RC)"
grep -q "seq=$SEQ id=$ID" "$TMP/v.out" && ok || fail "audit-verify names the changed event: $(cat "$TMP/v.out")"
"$FAXVAULTD" --data-dir "$DATA" audit-verify --json > "$TMP/v.json"
jq -e ".ok == false and .first_broken.seq == $SEQ and .first_broken.id == \"$ID\"" "$TMP/v.json" >/dev/null && ok ||
	fail "JSON report names the event: $(cat "$TMP/v.json")"

# 2. Remove one event in the middle.
cp "$TMP/pristine.db" "$DB"; rm -f "$DB-wal" "$DB-shm"
sqlite3 "$DB" "DELETE FROM audit_events WHERE seq=$SEQ"
"$FAXVAULTD" --data-dir "$DATA" audit-verify > "$TMP/v.out"
[ $? -eq 1 ] && ok || fail "audit-verify fails on a removed event"
grep -q "seq=$((SEQ + 1))" "$TMP/v.out" && ok || fail "names the event after the gap: $(cat "$TMP/v.out")"

# 3. Recompute a changed event's own hash: the next link breaks.
cp "$TMP/pristine.db" "$DB"
sqlite3 "$DB" "UPDATE audit_events SET outcome='failure', hash='$(printf '%064d' 0)' WHERE seq=$SEQ"
"$FAXVAULTD" --data-dir "$DATA" audit-verify > "$TMP/v.out"
[ $? -eq 1 ] && ok || fail "audit-verify fails on a rehashed event"

# The API reports the same break to security staff.
cp "$TMP/pristine.db" "$DB"
sqlite3 "$DB" "UPDATE audit_events SET target='x' WHERE seq=$SEQ"
start_daemon_again() {
	# shellcheck disable=SC2086
	"$FAXVAULTD" --data-dir "$DATA" --http "127.0.0.1:0" --set log.file="$LOG" $FV_TEST_FLAGS &
	DAEMON_PID=$!
	for _ in $(seq 1 3000); do
		P=$(sed -n 's/.*event=daemon.started .* port=\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
		[ -n "$P" ] && [ "$P" != "$PORT" ] && { PORT=$P; BASE="http://127.0.0.1:$PORT"; break; }
		sleep 0.1
	done
	sleep 0.2
}
start_daemon_again
SEC=$(login sec@provider.example security-password-1)
req GET /v1/provider/audit/verify "$SEC"
expect_jq ".ok == false and .first_broken.seq == $SEQ" "API names the broken event"
finish
