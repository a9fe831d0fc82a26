#!/usr/bin/env bash
# The commands of faxvaultd follow the test clock (testing.clock_file) as the
# service does, and warn that they do. With the clock started 400 days ahead
# of the machine's: bootstrap's audit event, a reset token that
# `password-reset` issues (its expiry, its audit event) and the run that
# `audit-verify` records are on the service's clock. They once read the
# machine's time (only the backup commands followed the file): the token had
# then expired on the service's clock before it was used, and the events
# were stamped 400 days in the service's past.
. "$(dirname "$0")/lib.sh"

clock_start_at $(( $(date +%s) + 400 * 86400 ))
start_daemon
OP=$(operator_token)
[ -n "$OP" ] || { fail "the operator cannot sign in"; finish; exit 1; }

# on_test_clock TIME: TIME (RFC 3339) is within a day of the test clock's
# now, so more than 398 days from the machine's.
on_test_clock() {
	local t d
	t=$(date -u -d "$1" +%s 2>/dev/null) || return 1
	d=$(( t - $(clock_seconds) ))
	[ "${d#-}" -lt 86400 ]
}
clock_now() { date -u -d "@$(clock_seconds)" +%FT%TZ; }
# event_time TOKEN PATH ACTION: the time of the latest event ACTION of PATH.
event_time() {
	req GET "$2?action=$3" "$1"
	[ "$STATUS" = 200 ] || { echo "status $STATUS"; return; }
	jqr '.items[0].time // "none"'
}

# The provider's audit log is the security team's to read.
req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sam Security","role":"security"}'
expect_status 201 "a security staff member"
accept "$(jqr .invitation.token)" "security-password-1"
sec_token() { login sec@provider.example security-password-1; }
SEC=$(sec_token)

# --- bootstrap (run by start_daemon with the test flags)
T=$(event_time "$SEC" /v1/provider/audit-events provider.bootstrap)
on_test_clock "$T" && ok || fail "bootstrap's event is not on the test clock: $T (test clock $(clock_now))"

# --- password-reset: the token's hour and the event are the service's
new_account "$OP" "Atelier Daguerre" owner@daguerre.example "plaque argentée 1839"
ACC=$NEW_ACC
OWNER=$NEW_OWNER
reset_token() {
	"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS password-reset --email owner@daguerre.example \
		>"$TMP/reset.out" 2>"$TMP/reset.err"
	grep '^fvr_' "$TMP/reset.out"
}
RTOK=$(reset_token)
[ -n "$RTOK" ] && ok || fail "password-reset printed no token: $(cat "$TMP/reset.out" "$TMP/reset.err")"
grep -q 'event=daemon.test_clock .*command="password-reset"' "$TMP/reset.err" && ok ||
	fail "password-reset does not warn that it follows the test clock: $(cat "$TMP/reset.err")"
T=$(event_time "$OWNER" "/v1/accounts/$ACC/audit-events" password_reset.create)
on_test_clock "$T" && ok || fail "password-reset's event is not on the test clock: $T (test clock $(clock_now))"
RTOK2=$(reset_token)
advance_clock 50
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK\",\"password\":\"iodure d'argent 50\"}"
expect_status 204 "the command's token works 50 minutes later on the test clock"
advance_clock 20
req POST /v1/password-resets/complete "" "{\"token\":\"$RTOK2\",\"password\":\"iodure d'argent 70\"}"
expect_problem 404 reset-invalid "the command's token expires after 60 minutes on the test clock"

# --- audit-verify: its run is recorded on the service's clock
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS audit-verify >"$TMP/av.out" 2>"$TMP/av.err" && ok ||
	fail "audit-verify: $(cat "$TMP/av.out" "$TMP/av.err")"
grep -q 'event=daemon.test_clock .*command="audit-verify"' "$TMP/av.err" && ok ||
	fail "audit-verify does not warn that it follows the test clock: $(cat "$TMP/av.err")"
SEC=$(sec_token)
T=$(event_time "$SEC" /v1/provider/audit-events audit.verify_run)
on_test_clock "$T" && ok || fail "audit-verify's run is not on the test clock: $T (test clock $(clock_now))"

# --- checking the configuration reads no time and says nothing of it
"$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS check-config >"$TMP/cc.out" 2>&1 && ok ||
	fail "check-config: $(cat "$TMP/cc.out")"
grep -q 'daemon.test_clock' "$TMP/cc.out" && fail "check-config warns of the test clock" || ok
finish
