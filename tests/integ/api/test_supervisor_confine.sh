#!/usr/bin/env bash
# The supervisor and the service under seccomp filters (docs/security.md,
# "Processes"): `faxvaultd` (the supervisor) and `faxvaultd: service`
# (fv-service) run with no_new_privs and a filter (`Seccomp: 2`,
# `NoNewPrivs: 1`). The supervisor's filter forbids making sockets and
# processes: the roles are started by the spawner (fv-spawn, forked before
# that filter, under the base list only), yet remain the supervisor's
# children. Under
# the filters an account is made, a fax is accepted, rendered (the render
# helper, started by the service, inherits its filter) and read back. A call
# the service's filter forbids (testing.service_seccomp_probe and SIGUSR1:
# unshare) kills it with SIGSYS: the supervisor logs it
# (supervisor.service_exited … signal=31 restart_in_ms=1000) and starts
# another, filtered too, which answers. A call the supervisor's filter
# forbids (testing.supervisor_seccomp_probe and SIGUSR1: a socket) kills it
# with SIGSYS (exit status 159 = 128 + 31), and every process of it ends.
# Started again, a spawner killed (-9) makes the supervisor stop the
# service cleanly and exit 1 (supervisor.spawner_exited): nothing could be
# started again.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
start_daemon --set testing.service_seccomp_probe=1 --set testing.supervisor_seccomp_probe=1
PW="plume encre buvard 1789"
child_of_daemon() { ps -o pid=,comm= --ppid "$DAEMON_PID" | awk -v c="$1" '$2 == c { print $1 }'; }
status_of() { grep -E '^(Seccomp|NoNewPrivs):' "/proc/$1/status" 2>/dev/null | tr -s '\t\n' '  '; }
filtered() { grep -qE '^Seccomp:[[:space:]]+2' "/proc/$1/status" && grep -qE '^NoNewPrivs:[[:space:]]+1' "/proc/$1/status"; }
# dead PID: no such process, or one that ended and waits for its parent
dead() { [ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

SVC=$(child_of_daemon fv-service) SP=$(child_of_daemon fv-spawn) V=$(child_of_daemon fv-vault)
H=$(child_of_daemon fv-http)
[ -n "$SVC" ] && [ -n "$SP" ] && [ -n "$V" ] && [ -n "$H" ] && ok ||
	{ fail "not every process under the supervisor: $(ps -o pid=,comm= --ppid "$DAEMON_PID")"; finish; exit 1; }
filtered "$DAEMON_PID" && ok || fail "the supervisor is not filtered: $(status_of "$DAEMON_PID")"
filtered "$SVC" && ok || fail "the service is not filtered: $(status_of "$SVC")"
# What the supervisor's filter forbids, the roles need (the service starts
# the render helper below: a clone and an execve): the spawner is under the
# base list only, and the key holder and the HTTP front end under theirs.
filtered "$SP" && ok || fail "the spawner is not filtered: $(status_of "$SP")"
filtered "$V" && filtered "$H" && ok || fail "the key holder or the HTTP front end is not filtered"
grep -q "event=supervisor.confined spawner=$SP seccomp=1" "$LOG" && ok || fail "no supervisor.confined: $(grep supervisor. "$LOG" | head -n 5)"
grep -q "event=service.confined seccomp=1 " "$LOG" && ok || fail "no service.confined: $(grep service. "$LOG" | head -n 5)"

# ---- the API and a fax under the filters ----
OP=$(operator_token)
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+33100000002"]}'
expect_status 201 "numbers imported"
new_account "$OP" "Clinique A" owner@a-seccomp.example "$PW"
OWN=$NEW_OWNER
printf 'Bonjour,\nvoici la facture de mars.\n' >"$TMP/letter.txt"
req POST /v1/faxes "$OWN" "" -F "file=@$TMP/letter.txt" -F "to=+33100000002" --max-time 60
expect_status 202 "a fax accepted under the filters"
F=$(jqr '.items[0].id')
wait_rendered "$OWN" "$F"
expect_jq '.page_count == 1 and .failure_class != "document"' "the fax rendered (the render helper under the service's filter)"
req GET "/v1/faxes/$F/document" "$OWN" "" -o /dev/null
expect_status 200 "its document read back"

# ---- a forbidden call kills the service; it is started again ----
kill -USR1 "$SVC"
sigsys() { grep -q "event=supervisor.service_exited pid=$SVC signal=31 restart_in_ms=1000" "$LOG"; }
poll_until 300 sigsys && ok ||
	{ fail "the forbidden call did not kill the service: $(grep -E 'service_exited|seccomp_probe' "$LOG" | tail -n 3)"; finish; exit 1; }
grep -q "event=service.seccomp_probe call=unshare" "$LOG" && ok || fail "the service's probe is not logged"
new_service() { SVC2=$(child_of_daemon fv-service); [ -n "$SVC2" ] && [ "$SVC2" != "$SVC" ]; }
poll_until 300 new_service && ok || { fail "the service was not started again"; finish; exit 1; }
ready_again() { [ "$(grep -c 'event=supervisor.service_ready' "$LOG")" -ge 2 ]; }
poll_until 600 ready_again && ok || fail "the new service is not ready: $(grep supervisor. "$LOG" | tail -n 3)"
filtered "$SVC2" && ok || fail "the new service is not filtered: $(status_of "$SVC2")"
[ "$(child_of_daemon fv-spawn)" = "$SP" ] && ok || fail "the spawner changed: $(ps -o pid=,comm= --ppid "$DAEMON_PID")"
answered() { req GET "/v1/faxes/$F" "$OWN"; [ "$STATUS" = 200 ]; }
poll_until 300 answered && ok || fail "no answer after the service's restart: $STATUS ${BODY:0:200}"
# Its key holder and front ends may still be starting (a 503 meanwhile).
accepted_again() {
	req POST /v1/faxes "$OWN" "" -F "file=@$TMP/letter.txt" -F "to=+33100000002" --max-time 60
	[ "$STATUS" = 202 ]
}
poll_until 300 accepted_again && ok || fail "no fax accepted by the new service: $STATUS ${BODY:0:200}"

# ---- a forbidden call kills the supervisor, and everything with it ----
KIDS=$(ps -o pid= --ppid "$DAEMON_PID" | tr -d ' ' | tr '\n' ' ')
kill -USR1 "$DAEMON_PID"
sup_dead() { dead "$DAEMON_PID"; }
if poll_until 300 sup_dead; then
	wait "$DAEMON_PID"
	rc=$?
	DAEMON_PID=""
	[ "$rc" -eq 159 ] && ok || fail "the supervisor's exit status: $rc, want 159 (SIGSYS)"
else
	fail "the forbidden call did not kill the supervisor"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID"
	DAEMON_PID=""
	finish
	exit 1
fi
grep -q "event=supervisor.seccomp_probe call=socket" "$LOG" && ok || fail "the supervisor's probe is not logged"
all_dead() { local p; for p in $KIDS; do dead "$p" || return 1; done; }
poll_until 300 all_dead && ok || fail "processes left after the supervisor died: $(for p in $KIDS; do dead "$p" || ps -o pid=,comm= -p "$p"; done)"

# ---- the spawner's death stops everything: nothing could be restarted ----
launch_daemon
SP=$(child_of_daemon fv-spawn)
KIDS=$(ps -o pid= --ppid "$DAEMON_PID" | tr -d ' ' | tr '\n' ' ')
[ -n "$SP" ] && ok || { fail "no spawner after a new start: $(ps -o pid=,comm= --ppid "$DAEMON_PID")"; finish; exit 1; }
kill -9 "$SP"
if poll_until 300 sup_dead; then
	wait "$DAEMON_PID"
	rc=$?
	DAEMON_PID=""
	[ "$rc" -eq 1 ] && ok || fail "the supervisor's exit status after its spawner died: $rc, want 1"
else
	fail "the supervisor did not stop when its spawner died"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID"
	DAEMON_PID=""
	finish
	exit 1
fi
grep -q "event=supervisor.spawner_exited pid=$SP signal=9" "$LOG" && ok || fail "the spawner's death is not logged: $(grep spawner "$LOG" | tail -n 2)"
grep -q "event=daemon.stopped ok=1" "$LOG" && ok || fail "the service did not stop cleanly after the spawner's death"
poll_until 300 all_dead && ok || fail "processes left after the spawner died: $(for p in $KIDS; do dead "$p" || ps -o pid=,comm= -p "$p"; done)"
finish
