#!/bin/bash
# Privilege separation (docs/architecture.md, "Processes"): faxvaultd starts
# the key holder ("faxvaultd: vault") from a fresh image; the processes
# that listen on HTTP (the HTTP front end) and SIP (the SIP front end,
# "faxvaultd: sip"), and the service, have neither master.key open nor its
# bytes in memory, while the key holder does (so the scan is shown able to
# find them). kill -9 of the key holder during traffic: requests fail cleanly
# (202 or a 503 problem, never a hang), it is started again, and everything
# accepted is kept and readable.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
SCAN="python3 $(dirname "$0")/keyscan.py"

start_daemon
PW="plume encre buvard 1789"
KEY="$DATA/master.key"

# vault_pid: the key holder, a child of the daemon (its supervisor) named
# fv-vault; the service is fv-service (test_supervisor.sh).
vault_pid() { ps -o pid=,comm= --ppid "$DAEMON_PID" | awk '$2 == "fv-vault" { print $1 }'; }
SVC=$(ps -o pid=,comm= --ppid "$DAEMON_PID" | awk '$2 == "fv-service" { print $1 }')

OP=$(operator_token)
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+33100000002"]}'
expect_status 201 "numbers imported"
req POST /v1/accounts "$OP" '{"name":"Clinique A","owner":{"email":"owner@a.example","name":"Olive"}}'
expect_status 201 "account"
accept "$(jqr .owner_invitation.token)" "$PW"
OWN=$(login owner@a.example "$PW")
printf 'Bonjour,\nvoici la facture de mars.\n' >"$TMP/letter.txt"
submit() { req POST /v1/faxes "$OWN" "" -F "file=@$TMP/letter.txt" -F "to=+33100000002" --max-time 60; }
submit
expect_status 202 "a fax accepted (its document encrypted by the key holder)"
ACCEPTED=("$(jqr '.items[0].id')")
wait_rendered "$OWN" "${ACCEPTED[0]}"
req GET "/v1/faxes/${ACCEPTED[0]}/document" "$OWN" "" -o /dev/null
expect_status 200 "its document read back (decrypted by the key holder)"

# ---- roles and key absence ----
VAULT=$(vault_pid)
if [ -n "$VAULT" ]; then ok; else fail "no key holder process under the daemon"; fi
if tr '\0' ' ' <"/proc/$VAULT/cmdline" | grep -q '^faxvaultd: vault '; then ok; else
	fail "the key holder's title: $(tr '\0' ' ' <"/proc/$VAULT/cmdline")"; fi
# The HTTP port is served by the HTTP front end (test_http_front.sh); the
# service keeps the socket it bound, for the front end's restarts.
FRONT=$(ps -o pid=,comm= --ppid "$DAEMON_PID" | awk '$2 == "fv-http" { print $1 }')
if ss -ltnp 2>/dev/null | grep ":$PORT " | grep -q "pid=$FRONT,"; then ok; else
	fail "the HTTP port is not the front end's: $(ss -ltnp | grep ":$PORT ")"; fi
# The loopback trunk's SIP port is served by the SIP front end
# (test_sip_front.sh), on the socket the service bound.
SIPF=$(ps -o pid=,comm= --ppid "$DAEMON_PID" | awk '$2 == "fv-sip" { print $1 }')
SIP_PORT=$(sed -n 's/.*event=fax.loopback_listening .*sip=[0-9.]*:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
if [ -n "$SIPF" ] && ss -lunp 2>/dev/null | grep ":$SIP_PORT " | grep -q "pid=$SIPF,"; then ok; else
	fail "the SIP port is not the SIP front end's: $(ss -lunp | grep ":$SIP_PORT ")"; fi
OUT=$($SCAN "$KEY" "$SVC" "$FRONT" "$SIPF" "$VAULT")
echo "$OUT"
if [ -n "$SVC" ] && echo "$OUT" | grep -q "^$SVC mem=absent fd=absent "; then ok; else
	fail "the service process holds the master key: $OUT"; fi
if echo "$OUT" | grep -q "^$FRONT mem=absent fd=absent "; then ok; else
	fail "the HTTP front end holds the master key: $OUT"; fi
if echo "$OUT" | grep -q "^$SIPF mem=absent fd=absent "; then ok; else
	fail "the SIP front end holds the master key: $OUT"; fi
if echo "$OUT" | grep -q "^$VAULT mem=found "; then ok; else
	fail "the scan does not find the key in the key holder (it could not fail): $OUT"; fi

# ---- kill -9 of the key holder during traffic ----
kill -9 "$VAULT"
for i in 1 2 3; do
	submit
	case "$STATUS" in
	202) ok; ACCEPTED+=("$(jqr '.items[0].id')") ;;
	503) expect_problem 503 unavailable "a submission while the key holder is down" ;;
	*) fail "submission $i while the key holder is down: status $STATUS ${BODY:0:200}" ;;
	esac
done
new_vault() { V=$(vault_pid); [ -n "$V" ] && [ "$V" != "$VAULT" ]; }
if poll_until 300 new_vault; then ok; else fail "the key holder was not started again"; fi
if grep -q "event=keyd.exited pid=$VAULT signal=9" "$LOG"; then ok; else fail "the holder's death is not logged"; fi
retry_submit() { submit; [ "$STATUS" = 202 ]; }
if poll_until 300 retry_submit; then ok; ACCEPTED+=("$(jqr '.items[0].id')"); else
	fail "no submission accepted after the restart: $STATUS"; fi
for f in "${ACCEPTED[@]}"; do
	req GET "/v1/faxes/$f" "$OWN"
	expect_status 200 "accepted fax $f kept"
	# Rendered by the render job, tried again while the key holder was down.
	wait_rendered "$OWN" "$f"
	expect_jq '.page_count == 1 and .failure_class != "document"' "accepted fax $f rendered"
	req GET "/v1/faxes/$f/document" "$OWN" "" -o /dev/null
	expect_status 200 "document of $f readable after the restart"
done
OUT=$($SCAN "$KEY" "$SVC" "$V")
if echo "$OUT" | grep -q "^$SVC mem=absent fd=absent " && echo "$OUT" | grep -q "^$V mem=found "; then ok; else
	fail "after the restart: $OUT"; fi

finish
