#!/usr/bin/env bash
# Limits on unauthenticated calls per address (429 with standard headers) and
# the per-address lockout after many failed logins, which answers exactly as
# a wrong password does, and spares the people who signed in from the
# address before.
. "$(dirname "$0")/lib.sh"
FV_TEST_FLAGS="$FV_TEST_FLAGS --set ratelimit.login_per_minute=6 --set ratelimit.login_burst=5 --set auth.source_lockout_threshold=5 --set auth.source_lockout_minutes=10"
start_daemon

PW=$(jq -r .password "$TMP/boot.json")
# The burst's six calls happen at one instant of the daemon's clock, however
# slowly a loaded machine runs them: before each call the clock's offset is
# set so that it reads the same millisecond (a token comes back every 10 s).
PIN_MS=$(( $(date +%s%3N) + $(cat "$CLOCK") ))
pin_clock() { echo $(( PIN_MS - $(date +%s%3N) )) > "$CLOCK"; }
for i in 1 2 3 4 5; do
	pin_clock
	req POST /v1/sessions "" '{"email":"op@example.com","password":"not the password"}'
done
expect_problem 401 invalid-credentials "fifth failure"
grep -qi '^ratelimit-limit: 6' "$HEADERS" && ok || fail "login calls carry RateLimit-Limit"
pin_clock
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$PW\"}"
expect_problem 429 rate-limited "the sixth call in a burst of five is refused"
grep -qi '^retry-after: [0-9]' "$HEADERS" && ok || fail "Retry-After on 429"
advance_clock 2
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$PW\"}"
expect_problem 401 invalid-credentials "the address is locked: the right password gets the usual answer"
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$PW\"}" --interface 127.0.0.2
expect_status 201 "another address is not locked"
OP=$(jqr .token)
req GET "/v1/provider/audit-events?action=session.create&limit=50" "$OP"
expect_status 403 "operators do not read the audit log (security staff do)"
advance_clock 11
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$PW\"}"
expect_status 201 "the address lockout ends"

# --- a locked address does not shut out the people who work there: whoever
# signed in from it lately (or has a second factor) still signs in with the
# right password; anyone else waits for the lock to end.
req POST /v1/provider/staff "$OP" '{"email":"sam@provider.example","name":"Sam","role":"support"}'
expect_status 201 "invite a staff member"
req POST /v1/invitations/accept "" "{\"token\":\"$(jqr .invitation.token)\",\"password\":\"support-password-1\"}" --interface 127.0.0.2
expect_status 200 "accepted from another address"
req POST /v1/sessions "" '{"email":"sam@provider.example","password":"support-password-1"}' --interface 127.0.0.2
expect_status 201 "the staff member signs in from the other address"
advance_clock 2
for i in 1 2 3 4 5; do
	req POST /v1/sessions "" "{\"email\":\"guess$i@example.com\",\"password\":\"not the password\"}"
done
advance_clock 2
req POST /v1/sessions "" "{\"email\":\"op@example.com\",\"password\":\"$PW\"}"
expect_status 201 "locked again, but the operator signed in from here before: the right password works"
req POST /v1/sessions "" '{"email":"sam@provider.example","password":"support-password-1"}'
expect_problem 401 invalid-credentials "someone who never signed in from the locked address is refused"
req POST /v1/sessions "" '{"email":"op@example.com","password":"still not the password"}'
expect_problem 401 invalid-credentials "a wrong password from there is still a failure"
finish
