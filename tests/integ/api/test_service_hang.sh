#!/bin/bash
# A hung service is detected and started again (issue 15, P02;
# docs/postgresql.md, "A hung service"). The service's HTTP workers and
# queue workers mark themselves busy while they run a request or a job
# (liveness.h); its monitor sends the supervisor a heartbeat while none has
# been busy for service.hang_seconds (2 s here), and the supervisor kills a
# service it has not heard for that long.
#  - a slow but progressing load (many short requests from four clients,
#    for three times the limit and more) does not trigger it: no
#    service.hung, the same service throughout;
#  - one request held in a worker (testing.worker_hold_file, as a worker
#    stuck on a lock or in a loop would be), while /healthz, answered by
#    the other worker, still says 200: the supervisor logs
#    service.hung with the thread's role (http), kills the service
#    (SIGKILL) and starts it again on the same sockets; requests are then
#    answered again. The held request's client gets a 503 problem from
#    the HTTP front end or a closed connection (curl 52/56), never a hang;
#  - under systemd (NOTIFY_SOCKET, WATCHDOG_USEC: a datagram socket of the
#    test's own here), the supervisor sends READY=1 once the service is
#    ready, WATCHDOG=1 every half of WATCHDOG_USEC and STOPPING=1 at the
#    stop; the processes it starts do not see NOTIFY_SOCKET.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

HOLD="$TMP/hold"
NOTES="$TMP/notify.log"
: >"$NOTES"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode(errors="replace") + "\n")
        f.flush()
' "$TMP/notify.sock" "$NOTES" &
LISTENER=$!
trap 'kill $LISTENER 2>/dev/null; cleanup' EXIT
poll_until 60 test -S "$TMP/notify.sock" || { echo "no notification socket"; exit 1; }

NOTIFY_SOCKET="$TMP/notify.sock" WATCHDOG_USEC=400000 start_daemon --set service.hang_seconds=2 \
	--set testing.worker_hold_file="$HOLD" --set ratelimit.requests_per_minute=1000000 \
	--set ratelimit.burst=1000000
SVC=$(child_of_daemon fv-service)
OP=$(operator_token)
[ -n "$OP" ] && ok || fail "no operator session"

# ---- systemd's notifications ----
noted() { grep -qx "$1" "$NOTES"; }
poll_until 60 noted READY=1 && ok || fail "no READY=1: $(cat "$NOTES")"
two_pings() { [ "$(grep -cx WATCHDOG=1 "$NOTES")" -ge 2 ]; }
poll_until 60 two_pings && ok || fail "no WATCHDOG=1 twice: $(sort "$NOTES" | uniq -c)"
tr '\0' '\n' <"/proc/$SVC/environ" | grep -q '^NOTIFY_SOCKET=' &&
	fail "the service sees NOTIFY_SOCKET" || ok

# ---- a slow but progressing load: not hung ----
client() { # client N: short requests until told to stop, their statuses in $TMP/load.N
	while [ ! -e "$TMP/load.stop" ]; do
		curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $OP" "$BASE/v1/me"
	done >"$TMP/load.$1"
}
LPIDS=()
for i in 1 2 3 4; do client "$i" & LPIDS+=($!); done
LOAD_FROM=$SECONDS
answered() { [ "$(cat "$TMP"/load.* | grep -c '^200$')" -ge "$1" ]; }
load_done() { answered 400 && [ $((SECONDS - LOAD_FROM)) -ge 7 ]; }
poll_until 600 load_done && ok || fail "the load did not run: $(cat "$TMP"/load.* | sort | uniq -c)"
touch "$TMP/load.stop"
wait "${LPIDS[@]}"
echo "load: $(cat "$TMP"/load.* | wc -l) requests in $((SECONDS - LOAD_FROM)) s: $(cat "$TMP"/load.* | sort | uniq -c | tr '\n' ' ')"
[ "$(cat "$TMP"/load.* | grep -vc '^200$')" = 0 ] && ok || fail "requests of the load not answered 200"
grep -q 'event=service.hung' "$LOG" && fail "a progressing load was taken for a hang: $(grep service.hung "$LOG")" || ok
[ "$(child_of_daemon fv-service)" = "$SVC" ] && ok || fail "the service was restarted during the load"

# ---- one request stuck in a worker ----
touch "$HOLD"
curl -s --max-time 120 -o "$TMP/held.body" -w '%{http_code}' -H "Authorization: Bearer $OP" \
	"$BASE/v1/me" >"$TMP/held.code" 2>/dev/null &
HELD=$!
# The liveness probe does not see it: answered by the other worker (or,
# were both held, by the thread that serves the channel).
st=$(curl -s --max-time 60 -o /dev/null -w '%{http_code}' "$BASE/healthz")
[ "$st" = 200 ] && ok || fail "/healthz during the hang: $st"
hung() { grep -q "event=service.hung pid=$SVC role=http " "$LOG"; }
poll_until 120 hung && ok || fail "the hung service was not detected: $(grep -E 'supervisor|service\.' "$LOG" | tail -n 5)"
rm -f "$HOLD"
grep "event=service.hung" "$LOG"
killed() { grep -q "event=supervisor.service_exited pid=$SVC signal=9 " "$LOG"; }
poll_until 120 killed && ok || fail "the hung service was not killed: $(grep supervisor. "$LOG" | tail -n 3)"
restarted() { [ "$(grep -c 'event=supervisor.service_ready' "$LOG")" -ge 2 ]; }
poll_until 300 restarted && ok || fail "the service was not started again: $(grep supervisor. "$LOG" | tail -n 3)"
NEW=$(child_of_daemon fv-service)
[ -n "$NEW" ] && [ "$NEW" != "$SVC" ] && ok || fail "no new service: '$NEW'"
me() { req GET /v1/me "$OP"; [ "$STATUS" = 200 ]; }
poll_until 300 me && ok || fail "no answer after the restart: $STATUS $BODY"
wait "$HELD"
rc=$?
code=$(cat "$TMP/held.code")
case "$rc:$code" in
0:503) jq -e '.type == "urn:faxvault:problem:unavailable"' "$TMP/held.body" >/dev/null && ok ||
	fail "the held request's 503 is not a problem: $(cat "$TMP/held.body")"
	echo "the held request: 503 unavailable from the front end" ;;
52:* | 56:*) ok; echo "the held request: connection closed (curl $rc)" ;;
*) fail "the held request: curl exit $rc, status $code" ;;
esac
# The restarted service is watched too: a second load, no second hang.
for i in 1 2 3 4 5 6 7 8 9 10; do req GET /v1/me "$OP"; expect_status 200 "request $i after the restart"; done
[ "$(grep -c 'event=service.hung' "$LOG")" = 1 ] && ok || fail "service.hung more than once"

stop_daemon && ok || fail "faxvaultd did not stop cleanly"
poll_until 60 noted STOPPING=1 && ok || fail "no STOPPING=1: $(sort "$NOTES" | uniq -c)"
[ "$(grep -cx READY=1 "$NOTES")" = 1 ] && ok || fail "READY=1 not sent once: $(sort "$NOTES" | uniq -c)"
finish
