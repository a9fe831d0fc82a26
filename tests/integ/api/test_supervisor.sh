#!/bin/bash
# faxvaultd's supervisor (docs/architecture.md, "Processes"): `faxvaultd`
# binds the listening sockets and starts the service (`faxvaultd: service`,
# fv-service), and for it the key holder and the front ends, all children
# of the supervisor, each with its role in its title. The supervisor holds
# no key and no database. kill -9 of the service during traffic: each
# request in flight completes or fails cleanly (a reset, or a 503 problem
# from the front end, after which the fax may exist; never a hang), the
# service's children are ended, the
# service is started again (supervisor.service_exited … signal=9
# restart_in_ms=1000) with a new key holder and new front ends under their
# roles, on the same sockets (still held by the supervisor), the next
# requests succeed and every fax accepted is kept. SIGHUP is passed on. A
# clean stop drains each process (the service stops its front ends through
# the supervisor, their parent: SUPV_KILL) and ends faxvaultd with status 0.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
SCAN="python3 $(dirname "$0")/keyscan.py"

start_daemon --set metrics.listen=127.0.0.1:0
PW="plume encre buvard 1789"
KEY="$DATA/master.key"
child_of_daemon() { ps -o pid=,comm= --ppid "$DAEMON_PID" | awk -v c="$1" '$2 == c { print $1 }'; }
MPORT=$(metrics_port)

# ---- the processes: each role a child of the supervisor ----
roles() { # the pids of the service, key holder and front ends, in $SVC $V $H $S
	SVC=$(child_of_daemon fv-service) V=$(child_of_daemon fv-vault) H=$(child_of_daemon fv-http)
	S=$(child_of_daemon fv-sip)
}
check_roles() {
	local p t
	for p in "$SVC:service" "$V:vault" "$H:http" "$S:sip"; do
		t=${p#*:}
		[ -n "${p%%:*}" ] && ps -o args= -p "${p%%:*}" | grep -q "^faxvaultd: $t --role $t " && ok ||
			fail "$1: no faxvaultd: $t under the supervisor: $(ps -o pid=,comm=,args= --ppid "$DAEMON_PID")"
	done
}
roles
check_roles "at start"
ps -o args= -p "$DAEMON_PID" | grep -q -- "--role" && fail "the supervisor has a role in its title" || ok
# The supervisor: no key, no database, the listening sockets.
OUT=$($SCAN "$KEY" "$DAEMON_PID" "$SVC" "$V")
echo "$OUT"
echo "$OUT" | grep -q "^$DAEMON_PID mem=absent fd=absent " && ok || fail "the supervisor holds the master key: $OUT"
echo "$OUT" | grep -q "^$SVC mem=absent fd=absent " && ok || fail "the service holds the master key: $OUT"
echo "$OUT" | grep -q "^$V mem=found " && ok || fail "the scan does not find the key in the key holder: $OUT"
ls -l "/proc/$DAEMON_PID/fd" | grep -q 'faxvault.db' && fail "the supervisor has the database open" || ok
ls -l "/proc/$SVC/fd" | grep -q 'faxvault.db' && ok || fail "the service does not have the database open (the check could not fail)"
held() { ss -ltnp 2>/dev/null | grep "127.0.0.1:$1 " | grep "pid=$DAEMON_PID," | grep -q "pid=$2,"; }
held "$PORT" "$H" && held "$MPORT" "$H" && ok ||
	fail "the HTTP and metrics sockets are not the supervisor's and the front end's: $(ss -ltnp | grep -E ":($PORT|$MPORT) ")"

# ---- traffic ----
OP=$(operator_token)
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+33100000002"]}'
expect_status 201 "numbers imported"
req POST /v1/accounts "$OP" '{"name":"Clinique A","owner":{"email":"owner@a.example","name":"Olive"}}'
expect_status 201 "account"
accept "$(jqr .owner_invitation.token)" "$PW"
OWN=$(login owner@a.example "$PW")
printf 'Bonjour,\nvoici la facture de mars.\n' >"$TMP/letter.txt"
ACCEPTED=()
# submit N: one fax, its result in $TMP/sub.N (curl's exit status and HTTP status)
submit() {
	curl -s --max-time 90 -o "$TMP/sub.$1.body" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $OWN" -F "file=@$TMP/letter.txt" -F "to=+33100000002" \
		"$BASE/v1/faxes" >"$TMP/sub.$1.code" 2>/dev/null
	echo $? >"$TMP/sub.$1.rc"
}
submit 0
[ "$(cat "$TMP/sub.0.code")" = 202 ] && ok || fail "a fax before the kill: $(cat "$TMP/sub.0.code")"
ACCEPTED+=("$(jq -r ".items[0].id" "$TMP/sub.0.body")")

# ---- kill -9 of the service during traffic ----
STORED=$(grep -c 'event=keyd.request kind=doc_put' "$LOG")
PIDS=()
for i in 1 2 3 4 5 6; do submit "$i" & PIDS+=($!); done
# once the service is working on them (it has stored a document of one)
took_one() { [ "$(grep -c 'event=keyd.request kind=doc_put' "$LOG")" -gt "$STORED" ]; }
poll_until 300 took_one && ok || fail "no submission reached the service"
kill -9 "$SVC"
for i in 7 8 9 10; do submit "$i" & PIDS+=($!); done
wait "${PIDS[@]}"
echo "around the kill: $(cat "$TMP"/sub.{1..10}.rc | tr '\n' ' ')(curl exits), $(cat "$TMP"/sub.{1..10}.code | tr '\n' ' ')(statuses)"
# A 503 from the front end says the service went away before it answered:
# the submission may have been carried out (like a cut one).
CUT=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	rc=$(cat "$TMP/sub.$i.rc") code=$(cat "$TMP/sub.$i.code")
	case "$rc:$code" in
	0:202) ok; ACCEPTED+=("$(jq -r ".items[0].id" "$TMP/sub.$i.body")") ;;
	0:503) jq -e '.type == "urn:faxvault:problem:unavailable"' "$TMP/sub.$i.body" >/dev/null && ok ||
		fail "submission $i: a 503 that is not a problem: $(cat "$TMP/sub.$i.body")"
		CUT=$((CUT + 1)) ;;
	52:*|55:*|56:*) ok; CUT=$((CUT + 1)) ;;
	*) fail "submission $i around the kill: curl exit $rc, status $code" ;;
	esac
done
exited() { grep -q "event=supervisor.service_exited pid=$SVC signal=9 restart_in_ms=1000" "$LOG"; }
poll_until 300 exited && ok || fail "the service's death is not logged: $(grep supervisor. "$LOG")"
OLD="$SVC $V $H $S"
restarted() { [ "$(grep -c 'event=supervisor.service_ready' "$LOG")" -ge 2 ]; }
poll_until 600 restarted && ok || fail "the service was not started again: $(grep supervisor. "$LOG")"
for p in $OLD; do
	kill -0 "$p" 2>/dev/null && fail "process $p of the dead service is still there" || ok
done
new_roles() { roles; [ -n "$SVC" ] && [ -n "$V" ] && [ -n "$H" ] && [ -n "$S" ]; }
poll_until 300 new_roles && ok || fail "not every role is back: $(ps -o pid=,comm= --ppid "$DAEMON_PID")"
check_roles "after the restart"
for p in $SVC $V $H $S; do
	case " $OLD " in *" $p "*) fail "process $p was not started again" ;; *) ok ;; esac
done
held "$PORT" "$H" && held "$MPORT" "$H" && ok ||
	fail "the restarted front end does not serve the supervisor's sockets: $(ss -ltnp | grep -E ":($PORT|$MPORT) ")"
retry_submit() { submit 11; [ "$(cat "$TMP/sub.11.code")" = 202 ]; }
poll_until 300 retry_submit && ok || fail "no submission accepted after the restart: $(cat "$TMP/sub.11.code")"
ACCEPTED+=("$(jq -r ".items[0].id" "$TMP/sub.11.body")")
# A render job the killed service was running holds its lease until it
# passes (docs/fax-service.md, "Rendering"): the test clock skips it.
advance_clock 6
for f in "${ACCEPTED[@]}"; do
	req GET "/v1/faxes/$f" "$OWN"
	expect_status 200 "accepted fax $f kept"
	wait_rendered "$OWN" "$f"
	FAXBODY=$BODY
	req GET "/v1/faxes/$f/document" "$OWN" "" -o /dev/null
	expect_status 200 "document of $f readable after the restart (the fax: $(echo "$FAXBODY" | jq -c "{status, failure_class, failure_reason, last_error}" 2>/dev/null))"
done
# A submission whose answer was cut or a 503 may exist too (its client
# retries with an Idempotency-Key).
req GET "/v1/faxes?direction=outbound&limit=200" "$OWN"
N=$(jqr '.items | length')
[ "$N" -ge "${#ACCEPTED[@]}" ] && [ "$N" -le $((${#ACCEPTED[@]} + CUT)) ] && ok ||
	fail "faxes listed: $N, accepted: ${#ACCEPTED[@]}, cut: $CUT"
OUT=$($SCAN "$KEY" "$SVC" "$H" "$V")
echo "$OUT" | grep -q "^$SVC mem=absent fd=absent " && echo "$OUT" | grep -q "^$H mem=absent fd=absent " &&
	echo "$OUT" | grep -q "^$V mem=found " && ok || fail "after the restart, the key is not in the key holder only: $OUT"

# ---- SIGHUP is passed on ----
kill -HUP "$DAEMON_PID"
reopened() { grep -q 'event=daemon.reopen_logs' "$LOG"; }
poll_until 300 reopened && ok || fail "SIGHUP did not reach the service"

# ---- a clean stop drains each ----
stop_daemon && ok || fail "faxvaultd did not stop cleanly"
grep -q "event=http.front_exited pid=$H status=0" "$LOG" && ok || fail "the HTTP front end did not end cleanly: $(grep http.front "$LOG" | tail -n 3)"
grep -q "event=sip.front_exited pid=$S status=0" "$LOG" && ok || fail "the SIP front end did not end cleanly: $(grep sip.front "$LOG" | tail -n 3)"
# The service stopped its front ends through the supervisor, their
# parent (SUPV_KILL), never by a pid of its own.
for p in "$H" "$S"; do
	grep -q "event=supervisor.signal pid=$p signal=15" "$LOG" && ok ||
		fail "front end $p was not stopped through the supervisor: $(grep 'supervisor.signal' "$LOG")"
done
grep -q "event=supervisor.signal_refused" "$LOG" && fail "the supervisor refused a stop: $(grep signal_refused "$LOG")" || ok
grep -q "event=daemon.stopped ok=1" "$LOG" && grep -q "event=supervisor.stopped status=0" "$LOG" && ok ||
	fail "the service or the supervisor did not stop cleanly: $(grep -E 'stopped' "$LOG" | tail -n 3)"
for p in $SVC $V $H $S; do
	kill -0 "$p" 2>/dev/null && fail "process $p is left after the stop" || ok
done
finish
