#!/usr/bin/env bash
# A request that waits for a lock on PostgreSQL past the store's deadline
# (issue 15, P02). With store.postgresql_timeout_seconds = 2, each
# session's statement_timeout (nine tenths of it) cancels the wait on a
# server that answers (SQLSTATE 57014); the request is then answered 503
# "unavailable" problem+json with Retry-After, like every other deadline:
#  - the write lock: another session holds the advisory lock the store's
#    write transactions take at BEGIN (STORE_PG_WRITE_LOCK, store_pg.c), as
#    a writer stuck on another node would; a write waits for it at BEGIN;
#  - a table lock: another session holds `accounts` in ACCESS EXCLUSIVE
#    mode (as VACUUM FULL or an ALTER TABLE would); a write waits for it at
#    a statement of its transaction (it was answered 500: the cancelled
#    statement was taken for an error of the request);
#  - each time, once the lock is released (its session ended), the same
#    daemon process, never restarted, answers the write 201; the refused
#    writes made no account; audit-verify passes.
# Run by CTest as integ_api_pg_lock_wait with FV_TEST_PG (the throw-away
# cluster of the fixture "pg"); locks are per database, and the daemon has
# a database of its own there.
. "$(dirname "$0")/lib.sh"
: "${FV_TEST_PG:?FV_TEST_PG: socket directory of the test cluster}"

start_daemon --set store.postgresql_timeout_seconds=2
SVC=$(child_of_daemon fv-service)
OP=$(operator_token)
DB=${PG_DBS##* }
req POST /v1/accounts "$OP" '{"name":"Before","owner":{"email":"before@a.example","name":"Ann"}}'
expect_status 201 "a write before any lock is taken"

# holder NAME SQL: another session runs SQL (which takes a lock), then
# sleeps, until held NAME MODE sees the lock granted to it.
holder() {
	psql -X -q "host=$FV_TEST_PG user=faxvault dbname=$DB application_name=fv_test_$1" \
		-c "BEGIN; $2; SELECT pg_sleep(600)" >/dev/null 2>&1 &
	HOLDER_PID=$!
}
held() {
	[ "$(db_query "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE a.application_name = 'fv_test_$1' AND l.mode = '$2' AND l.granted")" -ge 1 ]
}
release() {
	db_query "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fv_test_$1'" >/dev/null
	wait "$HOLDER_PID" 2>/dev/null
}
# refused NAME WHAT: a write while NAME holds its lock is answered 503
# unavailable with Retry-After; once released, the same write (its key)
# makes its account.
refused() {
	req POST /v1/accounts "$OP" "{\"name\":\"During $1\",\"owner\":{\"email\":\"$1@a.example\",\"name\":\"Bob\"}}" \
		-H "Idempotency-Key: during-$1" --max-time 120
	echo "a write while $2 is held: $STATUS $(jqr .type 2>/dev/null)"
	expect_problem 503 unavailable "a write while $2 is held"
	grep -qi '^Retry-After: [0-9]' "$HEADERS" && ok || fail "no Retry-After on the 503 ($2): $(cat "$HEADERS")"
}
written() {
	req POST /v1/accounts "$OP" "{\"name\":\"After $1\",\"owner\":{\"email\":\"after-$1@a.example\",\"name\":\"Cy\"}}" \
		-H "Idempotency-Key: after-$1"
	[ "$STATUS" = 201 ]
}

# --- the write lock (the advisory lock of every write transaction)
holder write "SELECT pg_advisory_lock($((0x66767772)))"
poll_until 120 held write ExclusiveLock && ok || fail "the other session does not hold the write lock"
refused write "the write lock"
grep -q 'event=store.begin .*statement timeout' "$LOG" && ok ||
	fail "the store did not log the cancelled wait: $(grep 'event=store' "$LOG" | tail -n 3)"
release write
poll_until 120 written write && ok || fail "no write once the write lock was released: $STATUS $BODY"

# --- a table lock (ACCESS EXCLUSIVE on accounts, as VACUUM FULL takes)
holder table "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE"
poll_until 120 held table AccessExclusiveLock && ok || fail "the other session does not hold the table lock"
refused table "a lock on the accounts table"
release table
poll_until 120 written table && ok || fail "no write once the table lock was released: $STATUS $BODY"

[ "$(db_query "SELECT count(*) FROM accounts WHERE name LIKE 'During %'")" = 0 ] && ok ||
	fail "a refused write made an account"
[ "$(child_of_daemon fv-service)" = "$SVC" ] && ok || fail "the service was restarted"
# shellcheck disable=SC2086
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/verify.out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q 'audit chain intact' "$TMP/verify.out" && ok ||
	fail "audit-verify (exit $rc): $(cat "$TMP/verify.out")"
finish
