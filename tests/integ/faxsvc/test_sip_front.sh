#!/usr/bin/env bash
# The SIP front end (docs/architecture.md, "Processes"): the fax engine (the
# loopback trunk's listener, the carrier listeners and every call) runs in
# `faxvaultd: sip` (fv-sip), as daemon.sip_user (here daemon) when started
# as root, in a root of its own (a tmpfs holding only its /proc and the
# resolver's files), with no_new_privs and its own seccomp filter, without
# the master key; the carrier listeners are bound by the service and handed
# down, so a restarted front end serves the same sockets. kill -9
# of it during a call: the call ends interrupted and is tried again from
# the first page it did not confirm once the front end is back, the pages
# the receiver had are kept, later calls work, nothing is lost. A
# forbidden call (testing.sip_seccomp_probe, SIGUSR1) kills it with SIGSYS;
# it comes back. A clean stop ends it with status 0.
# The carriers' side runs there too: a trunk's REGISTER and OPTIONS leave
# from the front end (toward a registrar that never answers, the sockets
# that wait for it are the front end's, never the service's), the trunk's
# state comes back to the service (registration failed, status down); a
# carrier's digest Authorization is checked by the front end (logged as
# sip.front_auth_checked): a wrong one refused with 403, a replay too, a
# right one let through to the number's lookup, the password in no log.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
SCAN="python3 $(dirname "$0")/../api/keyscan.py"
fax_setup --set testing.sip_seccomp_probe=1 --set daemon.sip_user=daemon \
	--set fax.sip_listen=udp:127.0.0.1:0,tcp:127.0.0.1:0
CARRIER_UDP=$(sed -n 's/.*event=fax.carrier_listening sip=udp:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
CARRIER_TCP=$(sed -n 's/.*event=fax.carrier_listening sip=tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CARRIER_UDP" ] && [ -n "$CARRIER_TCP" ] && ok || fail "no carrier listeners: $(grep carrier_listening "$LOG")"
make_pdf "$TMP/three.pdf" 3
make_pdf "$TMP/six.pdf" 6
child_of_daemon() { ps -o pid=,comm= --ppid "$DAEMON_PID" | awk -v c="$1" '$2 == c { print $1 }'; }
SVC=$(child_of_daemon fv-service)

# ---- the process, its identity, its filter, no key ----
S=$(child_of_daemon fv-sip)
V=$(child_of_daemon fv-vault)
[ -n "$S" ] && ok || fail "no SIP front end under the daemon"
ps -o args= -p "$S" | grep -q '^faxvaultd: sip ' && ok || fail "ps does not show faxvaultd: sip: $(ps -o args= -p "$S")"
grep -qE '^Seccomp:[[:space:]]+2' "/proc/$S/status" && ok || fail "no seccomp filter: $(grep Seccomp "/proc/$S/status")"
grep -qE '^NoNewPrivs:[[:space:]]+1' "/proc/$S/status" && ok || fail "no_new_privs is not set"
# confined: its user, a root of its own with nothing of the file system
confined() {
	local p=$1 n
	n=$(id -u daemon)
	[ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$p/status")" = "$n$n$n$n" ] && ok ||
		fail "the SIP front end is not daemon.sip_user: $(grep -E '^(Uid|Gid|Groups):' "/proc/$p/status")"
	awk '/^Groups:/ { exit NF > 1 }' "/proc/$p/status" && ok || fail "supplementary groups: $(grep Groups "/proc/$p/status")"
	[ "$(ls -A "/proc/$p/root/" | tr '\n' ' ')" = "etc proc " ] && ok ||
		fail "its root holds more than etc and proc: $(ls -A "/proc/$p/root/" | head)"
	[ -d "/proc/$p/root/proc/self/fd" ] && [ ! -e "/proc/$p/root$DATA" ] && [ ! -e "/proc/$p/root/etc/passwd" ] &&
		[ ! -e "/proc/$p/root/proc/sys" ] && [ ! -e "/proc/$p/root/usr" ] && ok ||
		fail "its root shows the file system: $(ls "/proc/$p/root/etc" "/proc/$p/root/proc" | head -n 20)"
	[ "$(readlink /proc/$SVC/root)" = / ] && ok || fail "the service's root changed"
	# the resolver's files readable by its user (not left to root by the daemon's umask)
	[ "$(stat -c %a "/proc/$p/root/etc")" = 555 ] && ok || fail "its /etc is not 0555: $(stat -c %a "/proc/$p/root/etc")"
}
[ "$(id -u)" = 0 ] && confined "$S"
# the sockets: the loopback trunk's and the carrier listeners, each held by
# the service (which bound it) and served by the front end
held_by_both() { # PROTO PORT FRONT
	ss -"$1"lnp 2>/dev/null | grep "127.0.0.1:$2 " | grep "pid=$3," | grep -q "pid=$SVC,"
}
SIP_PORT=${LOOPBACK_SIP##*:}
for sock in "u $SIP_PORT" "u $CARRIER_UDP" "t $CARRIER_TCP"; do
	held_by_both $sock "$S" && ok || fail "socket $sock is not the service's and the front end's: $(ss -"${sock% *}"lnp | grep ":${sock#* } ")"
done
OUT=$($SCAN "$DATA/master.key" "$S" "$V")
echo "$OUT"
echo "$OUT" | grep -q "^$S mem=absent fd=absent " && ok || fail "the SIP front end holds the master key: $OUT"
echo "$OUT" | grep -q "^$V mem=found " && ok || fail "the scan does not find the key in the key holder: $OUT"

# ---- REGISTER and OPTIONS from the front end, not the service ----
# A registrar that takes datagrams and never answers: each REGISTER waits
# (retransmitting) for seconds, each OPTIONS round for two, on a socket of
# its own toward it.
SILENT_LOG="$TMP/silent.log"
silent_start() {
	SILENT=$(free_port)
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "a") as log:
    while True:
        data, _ = s.recvfrom(65535)
        log.write(data.split(b"\r\n", 1)[0].decode("ascii", "replace") + "\n")
        log.flush()
' "$SILENT" "$SILENT_LOG" &
	SILENT_PID=$!
	wait_bound 60 "$SILENT_PID" "udp:$SILENT"
}
silent_start || silent_start || { fail "the silent registrar did not start"; finish; exit 1; }
trap 'kill "$SILENT_PID" 2>/dev/null; cleanup' EXIT
req POST /v1/provider/trunks "$OP" "{\"id\":\"silent\",\"name\":\"Silent\",\"peer\":\"127.0.0.1:$SILENT\",\"prefixes\":[\"+99\"],\"username\":\"reguser\",\"password\":\"reg-pass-456\",\"register\":true}"
expect_status 201 "a trunk that registers with a silent registrar"
got_register() { grep -q "^REGISTER sip:127.0.0.1 " "$SILENT_LOG" 2>/dev/null; }
poll_until 120 got_register && ok || fail "no REGISTER reached the registrar: $(cat "$SILENT_LOG" 2>/dev/null)"
# sampled while it waits: the front end holds a socket toward it, the service never does
: >"$TMP/svc_socks"
front_holds() {
	local socks
	socks=$(ss -Hunp 2>/dev/null | grep " 127.0.0.1:$SILENT ")
	printf '%s\n' "$socks" | grep "pid=$SVC," >>"$TMP/svc_socks"
	printf '%s\n' "$socks" | grep -q "pid=$S,"
}
poll_until 120 front_holds && ok || fail "no socket of the front end toward the registrar: $(ss -Hunp | grep ":$SILENT ")"
for _ in $(seq 1 30); do front_holds; sleep 0.1; done
[ ! -s "$TMP/svc_socks" ] && ok || fail "the service held a socket toward the registrar: $(head -n 3 "$TMP/svc_socks")"
reg_failed() { req GET /v1/provider/trunks/silent "$OP"; [ "$(jqr .registration)" = failed ]; }
poll_until 120 reg_failed && ok || fail "the registration's failure did not come back to the service: $BODY"
grep -q 'event=fax.trunk_register_failed trunk=silent ' "$LOG" && ok || fail "the failure is not logged: $(grep trunk_register "$LOG" | tail -n 2)"
grep -q 'reg-pass-456' "$LOG" && fail "the trunk's password reached the log" || ok
req PATCH /v1/provider/trunks/silent "$OP" '{"status":"disabled"}'
expect_status 200 "the silent trunk off"

# ---- a carrier's digest answer checked by the front end ----
INVITE="python3 $(dirname "$0")/sip_invite.py"
req POST /v1/provider/trunks "$OP" '{"id":"digest","name":"Digest carrier","peer":"127.0.0.1:5999","prefixes":["+98"],"inbound_auth":"digest","username":"acct77","password":"in-pass-789"}'
expect_status 201 "a trunk whose INVITEs authenticate by digest"
out=$($INVITE "$CARRIER_UDP" +14155550177 --digest "acct77:wrong-pass-000" | tr '\n' ' ')
case "$out" in "401 WWW-Authenticate: Digest realm=\"faxvault\""*" 403 ") ok ;; *) fail "a wrong digest: '$out' (want 401, then 403)" ;; esac
grep -q 'event=sip.front_auth_checked src=127.0.0.1 verdict=bad' "$LOG" && ok ||
	fail "the front end did not check the wrong answer: $(grep -E 'auth_checked|inbound_auth' "$LOG" | tail -n 3)"
out=$($INVITE "$CARRIER_UDP" +14155550177 --digest "acct77:in-pass-789" --replay | tr '\n' ' ')
case "$out" in "401 WWW-Authenticate: "*" 404 403 ") ok ;; *) fail "right digest, then replayed: '$out' (want 401, 404 for the unknown number, then 403)" ;; esac
grep -q 'event=sip.front_auth_checked src=127.0.0.1 verdict=ok' "$LOG" && ok || fail "the right answer was not checked by the front end"
grep -q 'event=sip.front_auth_checked src=127.0.0.1 verdict=replay' "$LOG" && ok || fail "the replay was not refused by the front end"
grep -qE 'in-pass-789|wrong-pass-000|cnonce|response=' "$LOG" && fail "the credentials reached the log" || ok
req PATCH /v1/provider/trunks/digest "$OP" '{"status":"disabled"}'
expect_status 200 "the digest trunk off"

# ---- a call through it ----
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
expect_status 202 "fax accepted"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .pages_confirmed == 3' "delivered through the SIP front end"
wait_inbound "$USER_B" 1
expect_jq '.items[0].page_count == 3' "received through it"

# ---- kill -9 during a call, once a page is confirmed ----
send_fax "$USER_A" "$NUM_B" "$TMP/six.pdf"
expect_status 202 "fax accepted"
CALL=$FAX
page_confirmed() { req GET "/v1/faxes/$CALL" "$USER_A"; [ "$(jqr .pages_confirmed)" -ge 1 ] 2>/dev/null; }
poll_until 300 page_confirmed
kill -9 "$S"
grep_exited() { grep -q "event=sip.front_exited pid=$S signal=9 " "$LOG"; }
poll_until 300 grep_exited && ok || fail "its death is not logged: $(grep sip.front_exited "$LOG")"
new_front() { S2=$(child_of_daemon fv-sip); [ -n "$S2" ] && [ "$S2" != "$S" ]; }
poll_until 300 new_front && ok || fail "the SIP front end was not started again"
[ "$(id -u)" = 0 ] && confined "$S2"
# the same sockets, served again (the front end binds none of its listeners)
served_again() {
	for sock in "u $SIP_PORT" "u $CARRIER_UDP" "t $CARRIER_TCP"; do held_by_both $sock "$S2" || return 1; done
}
poll_until 300 served_again && ok || fail "the restarted front end does not serve the same sockets: $(ss -ulnp; ss -tlnp)"
wait_fax "$USER_A" "$CALL"
expect_jq '.status == "delivered" and .pages_confirmed == 6' "delivered after the restart"
expect_jq '.attempts[0].result == "interrupted" and .attempts[1].result == "ok"' "the first attempt recorded as interrupted"
expect_jq '.attempts[1].first_page == .attempts[0].pages_confirmed + 1 and .attempts[0].pages_confirmed >= 1' "the retry sent only the pages not confirmed"
expect_jq '.attempts_made == 1' "the interruption did not count as a try"
grep -q "event=sip.front_call_lost to=$NUM_B " "$LOG" && ok || fail "the cut inbound call is not recorded: $(grep sip.front_call_lost "$LOG")"
wait_inbound "$USER_B" 3
expect_jq '([.items[] | .page_count] | add) >= 9' "B holds every page: those received before the kill, then the rest"
expect_jq '[.items[] | select(.page_count == 6)] | length == 0' "never received twice whole"

# ---- later calls work ----
send_fax "$USER_B" "$NUM_A" "$TMP/three.pdf"
expect_status 202 "fax accepted after the restart"
wait_fax "$USER_B" "$FAX"
expect_jq '.status == "delivered" and .pages_confirmed == 3 and (.attempts | length) == 1' "a later call delivered at once"
OUT=$($SCAN "$DATA/master.key" "$S2")
echo "$OUT" | grep -q "^$S2 mem=absent fd=absent " && ok || fail "the new SIP front end holds the master key: $OUT"

# ---- seccomp: a forbidden call kills it (SIGSYS), it comes back ----
kill -USR1 "$S2"
sigsys() { grep -q "event=sip.front_exited pid=$S2 signal=31 " "$LOG"; }
poll_until 300 sigsys && ok || fail "the forbidden call did not kill the front end: $(grep sip.front_exited "$LOG" | tail -n 2)"
third_front() { S3=$(child_of_daemon fv-sip); [ -n "$S3" ] && [ "$S3" != "$S2" ]; }
poll_until 300 third_front && ok || fail "the SIP front end was not started again after SIGSYS"
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .pages_confirmed == 3' "a call after the SIGSYS restart"

# ---- a clean stop ends it ----
stop_daemon && ok || fail "faxvaultd did not stop cleanly"
grep -q "event=sip.front_exited pid=$S3 status=0" "$LOG" && ok || fail "the front end did not end cleanly: $(grep sip.front "$LOG" | tail -n 3)"
finish
