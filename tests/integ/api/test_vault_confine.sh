#!/usr/bin/env bash
# The key holder under its own seccomp filter (docs/architecture.md,
# "Processes"): `faxvaultd: vault` (`fv-vault`) sets no_new_privs and loads
# its filter once the master key is read; it still makes account keys (an
# account created through the API) and seals secrets (a webhook's). A call
# the filter forbids (a socket, through testing.vault_seccomp_probe and
# SIGUSR1) kills it with SIGSYS; the service starts another, and what needs
# a key works again; requests made meanwhile fail cleanly (503), never hang.
# A clean stop ends it with status 0.
. "$(dirname "$0")/lib.sh"
start_daemon --set testing.vault_seccomp_probe=1 --set webhooks.allow_cidrs=127.0.0.1/32
OP=$(operator_token)
child_of_daemon() { ps -o pid=,comm= --ppid "$DAEMON_PID" | awk -v c="$1" '$2 == c { print $1 }'; }

V=$(child_of_daemon fv-vault)
[ -n "$V" ] && ok || fail "no key holder under the daemon"
grep -qE '^Seccomp:[[:space:]]+2' "/proc/$V/status" && ok || fail "the key holder has no seccomp filter: $(grep Seccomp "/proc/$V/status")"
grep -qE '^NoNewPrivs:[[:space:]]+1' "/proc/$V/status" && ok || fail "no_new_privs is not set on the key holder"

# ---- what needs the holder works under the filter ----
new_account "$OP" "Alpha Clinic" owner@a-confine.example "granite-harbour-owl-77"
ACC=$NEW_ACC
req POST "/v1/accounts/$ACC/webhooks" "$NEW_OWNER" '{"url":"http://127.0.0.1:9/fax","events":["fax.delivered"]}'
case "$STATUS" in 201) ok ;; *) fail "a webhook (its secret sealed by the holder): $STATUS $BODY" ;; esac

# ---- a forbidden call kills it; it is started again ----
kill -USR1 "$V"
sigsys() { grep -q "event=keyd.exited pid=$V signal=31 " "$LOG"; }
poll_until 120 sigsys && ok || fail "the forbidden call did not kill the key holder: $(grep keyd.exited "$LOG" | tail -n 2)"
new_holder() { V2=$(child_of_daemon fv-vault); [ -n "$V2" ] && [ "$V2" != "$V" ]; }
poll_until 120 new_holder && ok || fail "the key holder was not started again"
grep -qE '^Seccomp:[[:space:]]+2' "/proc/$V2/status" && ok || fail "the new key holder has no seccomp filter"
created() {
	req POST /v1/accounts "$OP" '{"name":"Bravo Law","owner":{"email":"owner@b-confine.example","name":"Owner"}}'
	case "$STATUS" in 201) return 0 ;; 503) return 1 ;; *) fail "an account while the holder restarts: $STATUS $BODY"; return 0 ;; esac
}
poll_until 120 created && ok || fail "no account key after the restart: $STATUS $BODY"
expect_status 201 "an account after the restart"

# ---- a clean stop ----
stop_daemon && ok || fail "faxvaultd did not stop cleanly"
grep -q "event=keyd.stopped ok=1" "$LOG" && ok || fail "the key holder did not stop cleanly: $(grep keyd "$LOG" | tail -n 3)"
finish
