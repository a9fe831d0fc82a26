#!/bin/bash
# The HTTP front end (docs/architecture.md, "Processes"): faxvaultd starts
# `faxvaultd: http` (`fv-http`) from a fresh image; it runs libmicrohttpd on
# the HTTP and metrics sockets the service bound, as daemon.http_user (here
# the system's `daemon`) when started as root, its root an empty directory
# without a name (nothing of the file system in view), with no_new_privs and its own seccomp filter, and neither holds
# master.key open nor has its bytes in memory; the service runs the
# pipeline. /healthz is answered while the pipeline's workers are busy
# (the key holder stopped under a submission). The client's address still reaches the service; request
# headers of 24 KB are taken and of 40 KB refused 431; a large answer
# (the OpenAPI document, through a memfd) arrives whole. kill -9 of the
# front end during traffic: every request in flight either completes or
# fails cleanly (a reset or empty reply, or a 503 problem; never a hang),
# the front end is started again on the same socket, the next requests
# succeed and every fax accepted is kept (one whose answer was cut may
# exist too). A forbidden call
# (testing.http_seccomp_probe, SIGUSR1) kills it with SIGSYS; it is
# started again. A clean stop ends it with status 0.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
SCAN="python3 $(dirname "$0")/keyscan.py"

start_daemon --set testing.http_seccomp_probe=1 --set metrics.listen=127.0.0.1:0 --set http.threads=1 \
	--set daemon.http_user=daemon
PW="plume encre buvard 1789"
KEY="$DATA/master.key"

# ---- the process, its identity, its filter, no key ----
H=$(child_of_daemon fv-http)
V=$(child_of_daemon fv-vault)
[ -n "$H" ] && ok || fail "no HTTP front end under the daemon"
tr '\0' ' ' <"/proc/$H/cmdline" | grep -q '^faxvaultd: http ' && ok || fail "its title: $(tr '\0' ' ' <"/proc/$H/cmdline")"
ps -o args= -p "$H" | grep -q '^faxvaultd: http ' && ok || fail "ps does not show faxvaultd: http"
grep -qE '^Seccomp:[[:space:]]+2' "/proc/$H/status" && ok || fail "no seccomp filter: $(grep Seccomp "/proc/$H/status")"
grep -qE '^NoNewPrivs:[[:space:]]+1' "/proc/$H/status" && ok || fail "no_new_privs is not set"
if [ "$(id -u)" = 0 ]; then
	N=$(id -u daemon)
	[ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$H/status")" = "$N$N$N$N" ] && ok ||
		fail "the front end is not daemon.http_user: $(grep -E '^(Uid|Gid|Groups):' "/proc/$H/status")"
	[ -z "$(awk '/^Groups:/ { print $2 }' "/proc/$H/status")" ] && ok || fail "supplementary groups kept"
	# Its root: an empty directory that no longer has a name.
	R=$(readlink "/proc/$H/root")
	case "$R" in "/tmp/fv-empty-"*" (deleted)") ok ;; *) fail "the front end's root is $R" ;; esac
	[ -z "$(ls -A "/proc/$H/root/" 2>&1)" ] && [ ! -e "/proc/$H/root/etc/passwd" ] && ok ||
		fail "something is in view from its root: $(ls -A "/proc/$H/root/" 2>&1)"
	[ "$(readlink "/proc/$H/cwd")" = "$R" ] && ok || fail "its working directory is outside its root"
	[ "$(readlink "/proc/$(child_of_daemon fv-service)/root")" = / ] && ok || fail "the service's root changed too"
	ls -d /tmp/fv-empty-* >/dev/null 2>&1 && fail "an empty root left a directory in /tmp" || ok
fi
MPORT=$(metrics_port)
# listen_inode PORT: the inode of the one socket listening on
# 127.0.0.1:PORT (/proc/net/tcp; empty unless exactly one).
listen_inode() {
	awk -v a="$(printf '0100007F:%04X' "$1")" '$2 == a && $4 == "0A" { print $10 }' /proc/net/tcp |
		awk '{ n++; v = $0 } END { if (n == 1) print v }'
}
# holds PID INODE: one of PID's descriptors is that socket.
holds() { [ -n "$2" ] && find "/proc/$1/fd" -lname "socket:\[$2\]" 2>/dev/null | grep -q .; }
I=$(listen_inode "$PORT") MI=$(listen_inode "$MPORT")
holds "$H" "$I" && ok || fail "the HTTP port is not the front end's: inode ${I:-none}, its fds $(ls -l "/proc/$H/fd" | grep -c socket) sockets"
holds "$H" "$MI" && ok || fail "the metrics port is not the front end's: inode ${MI:-none}"
OUT=$($SCAN "$KEY" "$H" "$V")
echo "$OUT"
echo "$OUT" | grep -q "^$H mem=absent fd=absent " && ok || fail "the HTTP front end holds the master key: $OUT"
echo "$OUT" | grep -q "^$V mem=found " && ok || fail "the scan does not find the key in the key holder: $OUT"

# ---- requests through it ----
OP=$(operator_token)
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+33100000002"]}'
expect_status 201 "numbers imported"
req POST /v1/accounts "$OP" '{"name":"Clinique A","owner":{"email":"owner@a.example","name":"Olive"}}'
expect_status 201 "account"
accept "$(jqr .owner_invitation.token)" "$PW"
OWN=$(login owner@a.example "$PW")
grep -q 'event=http.request .*route=/v1/sessions status=201 .*peer=127.0.0.1 ' "$LOG" && ok ||
	fail "the client's address does not reach the service: $(grep 'route=/v1/sessions' "$LOG" | tail -n 1)"
curl -s -o "$TMP/openapi.json" "$BASE/v1/openapi.json"
cmp -s "$TMP/openapi.json" "$(dirname "$0")/../../../docs/openapi.json" && ok ||
	fail "the OpenAPI document (some 1 MB, through a memfd) did not arrive whole: $(wc -c <"$TMP/openapi.json") bytes"
req GET /v1/me "$OWN" "" -H 'Accept-Language: fr' -H 'X-Request-Id: front-test-1'
expect_status 200 "a request with headers"
grep -qi '^X-Request-Id: front-test-1' "$HEADERS" && ok || fail "X-Request-Id not kept: $(cat "$HEADERS")"
# Headers of up to about 31 KB in all are taken (libmicrohttpd's memory of
# a connection, 32 KiB: src/api/httpd.c, HTTPD_CONN_MEMORY); more are
# refused 431, and the next request is answered.
req GET /v1/me "$OWN" "" -H "X-Padding: $(head -c 24000 /dev/zero | tr '\0' 'a')"
expect_status 200 "24 KB of headers"
req GET /v1/me "$OWN" "" -H "X-Padding: $(head -c 40000 /dev/zero | tr '\0' 'a')"
expect_status 431 "40 KB of headers"
req GET /v1/me "$OWN"
expect_status 200 "a request after headers refused"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/metrics" >"$TMP/m.code"
[ "$(cat "$TMP/m.code")" = 200 ] && ok || fail "the metrics listener through the front end: $(cat "$TMP/m.code")"

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
[ "$(cat "$TMP/sub.0.code")" = 202 ] && ok || fail "a fax through the front end: $(cat "$TMP/sub.0.code")"
ACCEPTED+=("$(jq -r ".items[0].id" "$TMP/sub.0.body")")
# Its rendering (a queue job, after the answer) asks the key holder too:
# done before the holder is stopped below, or it would be the request that
# waits for the holder (and fails after the holder's 60 s) instead of ours.
wait_rendered "$OWN" "${ACCEPTED[0]}"

# ---- /healthz while the pipeline is busy ----
# One worker (http.threads=1) and the key holder stopped: a submission holds
# the worker (it waits for the holder), another waits in the queue; the
# front end's one thread is not held by them, and /healthz is answered.
kill -STOP "$V"
submit 20 &
S20=$!
submit 21 &
S21=$!
# The key holder's channel (its fd 3): a request waits in it unread, i.e.
# its receive queue (ss's Recv-Q of the socket with that inode, exactly one
# line) is not empty.
VI=$(readlink "/proc/$V/fd/3" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
[ -n "$VI" ] && ok || fail "the key holder's fd 3 is not a socket: $(readlink "/proc/$V/fd/3")"
holder_asked() {
	local q
	q=$(ss -xn | awk -v i="$VI" '$6 == i { print $3 }')
	[ -n "$q" ] && [ "$(printf '%s\n' "$q" | wc -l)" = 1 ] && [ "$q" -gt 0 ]
}
poll_until 300 holder_asked && ok || fail "no submission reached the key holder"
curl -s --max-time 30 -o /dev/null -w '%{http_code}' "$BASE/healthz" >"$TMP/hz.code"
[ "$(cat "$TMP/hz.code")" = 200 ] && ok || fail "/healthz while the worker is busy: $(cat "$TMP/hz.code")"
kill -0 "$S20" 2>/dev/null && kill -0 "$S21" 2>/dev/null && ok || fail "the submissions did not wait for the holder"
kill -CONT "$V"
wait "$S20" "$S21"
for i in 20 21; do
	[ "$(cat "$TMP/sub.$i.code")" = 202 ] && ok || fail "submission $i once the holder is back: $(cat "$TMP/sub.$i.code")"
	[ "$(cat "$TMP/sub.$i.code")" = 202 ] && ACCEPTED+=("$(jq -r ".items[0].id" "$TMP/sub.$i.body")")
done

# ---- kill -9 during traffic ----
# A slow upload, in flight when the front end dies, and submissions around it.
head -c 400000 /dev/zero | tr '\0' 'a' | fold -w 70 >"$TMP/big.txt"
curl -s --max-time 90 --limit-rate 40k -o "$TMP/slow.body" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $OWN" -F "file=@$TMP/big.txt" -F "to=+33100000002" \
	"$BASE/v1/faxes" >"$TMP/slow.code" 2>/dev/null &
SLOW=$!
PIDS=()
for i in 1 2 3 4 5 6; do submit "$i" & PIDS+=($!); done
# The kill comes once the slow upload is connected (the 400 kB at 40 kB/s
# then take 10 s): a fixed second could pass, on a loaded machine, before
# curl even connects, and the upload would then go to the new front end.
slow_in_flight() { ss -Htnp state established "dport = :$PORT" | grep -q "pid=$SLOW,"; }
poll_until 60 slow_in_flight || fail "the slow upload did not connect"
kill -9 "$H"
for i in 7 8 9 10; do submit "$i" & PIDS+=($!); done
wait "${PIDS[@]}"
wait "$SLOW"
SLOW_RC=$?
echo "around the kill: $(cat "$TMP"/sub.{1..10}.rc | tr '\n' ' ')(curl exits), $(cat "$TMP"/sub.{1..10}.code | tr '\n' ' ')(statuses)"
case "$SLOW_RC" in 52|55|56) ok ;; *) fail "the upload cut by the kill: curl exit $SLOW_RC, status $(cat "$TMP/slow.code")" ;; esac
CUT=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	rc=$(cat "$TMP/sub.$i.rc") code=$(cat "$TMP/sub.$i.code")
	case "$rc:$code" in
	0:202) ok; ACCEPTED+=("$(jq -r ".items[0].id" "$TMP/sub.$i.body")") ;;
	0:503) jq -e '.type == "urn:faxvault:problem:unavailable"' "$TMP/sub.$i.body" >/dev/null && ok ||
		fail "submission $i: a 503 that is not a problem: $(cat "$TMP/sub.$i.body")" ;;
	52:*|55:*|56:*) ok; CUT=$((CUT + 1)) ;;
	*) fail "submission $i around the kill: curl exit $rc, status $code" ;;
	esac
done
new_front() { H2=$(child_of_daemon fv-http); [ -n "$H2" ] && [ "$H2" != "$H" ]; }
poll_until 300 new_front && ok || fail "the HTTP front end was not started again"
grep -q "event=http.front_exited pid=$H signal=9 restart_in_ms=1000" "$LOG" && ok || fail "its death is not logged"
retry_submit() { submit 11; [ "$(cat "$TMP/sub.11.code")" = 202 ]; }
poll_until 300 retry_submit && ok || fail "no submission accepted after the restart: $(cat "$TMP/sub.11.code")"
ACCEPTED+=("$(jq -r ".items[0].id" "$TMP/sub.11.body")")
for f in "${ACCEPTED[@]}"; do
	req GET "/v1/faxes/$f" "$OWN"
	expect_status 200 "accepted fax $f kept"
	wait_rendered "$OWN" "$f"
	req GET "/v1/faxes/$f/document" "$OWN" "" -o /dev/null
	expect_status 200 "document of $f readable after the restart"
done
# A submission cut after the service took it (its answer lost with the
# front end) may exist too: a client retries with an Idempotency-Key.
req GET "/v1/faxes?direction=outbound&limit=200" "$OWN"
N=$(jqr '.items | length')
[ "$N" -ge "${#ACCEPTED[@]}" ] && [ "$N" -le $((${#ACCEPTED[@]} + CUT)) ] && ok ||
	fail "faxes listed: $N, accepted: ${#ACCEPTED[@]}, cut: $CUT"
OUT=$($SCAN "$KEY" "$H2")
echo "$OUT" | grep -q "^$H2 mem=absent fd=absent " && ok || fail "the new front end holds the master key: $OUT"

# ---- seccomp: a forbidden call kills it (SIGSYS), it comes back ----
kill -USR1 "$H2"
sigsys() { grep -q "event=http.front_exited pid=$H2 signal=31 " "$LOG"; }
poll_until 300 sigsys && ok || fail "the forbidden call did not kill the front end: $(grep http.front_exited "$LOG" | tail -n 2)"
third_front() { H3=$(child_of_daemon fv-http); [ -n "$H3" ] && [ "$H3" != "$H2" ]; }
poll_until 300 third_front && ok || fail "the HTTP front end was not started again after SIGSYS"
req GET /v1/me "$OWN"
expect_status 200 "a request after the SIGSYS restart"

# ---- a clean stop drains it ----
stop_daemon && ok || fail "faxvaultd did not stop cleanly"
grep -q "event=http.front_exited pid=$H3 status=0" "$LOG" && ok || fail "the front end did not end cleanly: $(grep http.front "$LOG" | tail -n 3)"
finish
