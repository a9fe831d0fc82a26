#!/bin/bash
# Users and capabilities under root (docs/architecture.md, "Users and
# capabilities"; what the packaged unit does): faxvaultd started as root
# with daemon.service_user keeps only CAP_KILL, CAP_SETUID, CAP_SETGID,
# CAP_SYS_CHROOT and CAP_SYS_ADMIN (effective, permitted and bounding set);
# the service and the key holder run as the service user with no
# capability and no_new_privs; the HTTP front end runs as daemon.http_user
# (daemon), the SIP front end as daemon.sip_user (nobody), each in a root
# of its own, with no capability. A fax goes through and the API answers;
# every file of the data directory and the log belong to the service user.
# The service user, fvtest-service, is created by this test when missing
# (a system user without home or shell; it is kept). Needs root.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
SCAN="python3 $(dirname "$0")/keyscan.py"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "not root, or no setpriv: nothing to show"
	finish
	exit
fi
SU=fvtest-service
id -u "$SU" >/dev/null 2>&1 ||
	useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SU" ||
	{ fail "cannot create the user $SU"; finish; exit 1; }
SUID=$(id -u "$SU") SGID=$(id -g "$SU")
# The service user looks its programs up (the render helper next to
# faxvaultd): a build tree under a private directory (a clone in a 0700
# temporary directory) is opened for search (o+x) while the test runs, and
# closed again at its end. An installed faxvault lives under /usr.
OPENED=()
d=$(dirname "$(readlink -f "$FAXVAULTD")")
while [ "$d" != / ]; do
	if [ $(( 0$(stat -c %a "$d") & 1 )) -eq 0 ]; then
		chmod o+x "$d" && OPENED+=("$d")
	fi
	d=$(dirname "$d")
done
close_opened() { for d in ${OPENED[@]+"${OPENED[@]}"}; do chmod o-x "$d"; done; }
trap 'close_opened; cleanup' EXIT
# The service user reaches what the service reads (the test clock) and owns
# the data directory and the log's directory, as the package arranges.
chmod 0711 "$TMP"
chmod 0644 "$CLOCK"
DATA="$TMP/var"
mkdir -m 0700 "$DATA" "$TMP/log"
chown "$SU:$SU" "$DATA" "$TMP/log"
LOG="$TMP/log/faxvaultd.log"
AS_SU=(setpriv --reuid="$SU" --regid="$SU" --clear-groups --)
# shellcheck disable=SC2086
"${AS_SU[@]}" "$FAXVAULTD" --data-dir "$DATA" $FV_TEST_FLAGS bootstrap --operator op@example.com --json \
	>"$TMP/boot.json" 2>"$TMP/boot.err" || { fail "bootstrap as $SU: $(tail -n 3 "$TMP/boot.err")"; finish; exit 1; }
# A user that does not exist stops the start at once.
"$FAXVAULTD" --data-dir "$DATA" --set daemon.service_user=fvtest-nosuchuser 2>"$TMP/nouser.err"
rc=$?
[ "$rc" -eq 1 ] && grep -q 'daemon.service_user "fvtest-nosuchuser": no such user' "$TMP/nouser.err" && ok ||
	fail "an unknown service user: exit $rc, $(cat "$TMP/nouser.err")"
# Started as the packaged unit starts it: root, no_new_privs
# (NoNewPrivileges=), the unit's bounding set (CapabilityBoundingSet=).
REAL=$FAXVAULTD
FAXVAULTD="$TMP/faxvaultd-unit"
printf '#!/bin/sh\nexec setpriv --nnp --inh-caps=-all --bounding-set=-all,+kill,+setuid,+setgid,+sys_chroot,+sys_admin,+net_bind_service -- %s "$@"\n' \
	"$REAL" >"$FAXVAULTD"
chmod 0755 "$FAXVAULTD"
launch_daemon --set daemon.service_user="$SU" --set daemon.http_user=daemon --set metrics.listen=127.0.0.1:0

field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
child() { ps -o pid=,comm= --ppid "$DAEMON_PID" | awk -v c="$1" '$2 == c { print $1 }'; }
SVC=$(child fv-service) V=$(child fv-vault) H=$(child fv-http) S=$(child fv-sip)
[ -n "$SVC" ] && [ -n "$V" ] && [ -n "$H" ] && [ -n "$S" ] && ok ||
	{ fail "not every role runs: $(ps -o pid=,user=,comm= --ppid "$DAEMON_PID")"; finish; exit 1; }

# ---- the supervisor: root, only the capabilities it needs ----
# CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_SYS_CHROOT, CAP_SYS_ADMIN; the
# bounding set the unit's (CAP_NET_BIND_SERVICE too: without CAP_SETPCAP it
# cannot be cut further).
WANT=00000000002400e0
[ "$(readlink "/proc/$DAEMON_PID/exe")" = "$(readlink -f "$REAL")" ] && ok || fail "the supervisor is not faxvaultd"
[ "$(field "$DAEMON_PID" Uid)" = 0 ] && ok || fail "the supervisor is not root"
for c in CapEff CapPrm; do
	[ "$(field "$DAEMON_PID" $c)" = "$WANT" ] && ok || fail "the supervisor's $c: $(field "$DAEMON_PID" $c), want $WANT"
done
[ "$(field "$DAEMON_PID" CapBnd)" = 00000000002404e0 ] && ok || fail "the supervisor's bounding set: $(field "$DAEMON_PID" CapBnd)"
[ "$(field "$DAEMON_PID" CapAmb)" = 0000000000000000 ] && ok || fail "the supervisor has ambient capabilities"
grep -q "event=supervisor.users service_user=$SU uid=$SUID caps=0x2400e0" "$LOG" && ok ||
	fail "no supervisor.users event: $(grep supervisor. "$LOG" | head -n 3)"

# ---- the service and the key holder: the service user, no capability ----
for p in "$SVC:service" "$V:key holder"; do
	pid=${p%%:*} what=${p#*:}
	grep -Eq "^Uid:\s+$SUID\s+$SUID\s+$SUID\s+$SUID$" "/proc/$pid/status" &&
		grep -Eq "^Gid:\s+$SGID\s+$SGID\s+$SGID\s+$SGID$" "/proc/$pid/status" && ok ||
		fail "the $what is not $SU: $(grep -E '^(Uid|Gid):' "/proc/$pid/status")"
	[ "$(field "$pid" Groups)" = "" ] && ok || fail "the $what keeps groups: $(field "$pid" Groups)"
	for c in CapEff CapPrm CapAmb CapInh; do
		[ "$(field "$pid" $c)" = 0000000000000000 ] && ok || fail "the $what's $c: $(field "$pid" $c)"
	done
	[ "$(field "$pid" NoNewPrivs)" = 1 ] && ok || fail "the $what lacks no_new_privs"
done

# ---- each front end: its own user and root, no capability ----
for p in "$H:1:http" "$S:$(id -u nobody):sip"; do
	IFS=: read -r pid uid what <<<"$p"
	grep -Eq "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$" "/proc/$pid/status" && ok ||
		fail "the $what front end is not uid $uid: $(grep -E '^Uid:' "/proc/$pid/status")"
	[ "$(field "$pid" CapEff)" = 0000000000000000 ] && [ "$(field "$pid" CapPrm)" = 0000000000000000 ] && ok ||
		fail "the $what front end keeps capabilities: $(grep -E '^Cap' "/proc/$pid/status")"
	[ "$(readlink "/proc/$pid/root")" != / ] && ok || fail "the $what front end sees the real root"
	[ -e "/proc/$pid/root$DATA" ] && fail "the $what front end sees the data directory" || ok
done
# ---- every process under a seccomp filter, started as the unit starts it ----
SP=$(child fv-spawn)
for p in "$DAEMON_PID:supervisor" "${SP:-none}:spawner" "$SVC:service" "$V:key holder" "$H:HTTP front end" "$S:SIP front end"; do
	pid=${p%%:*} what=${p#*:}
	[ "$pid" != none ] && [ "$(field "$pid" Seccomp)" = 2 ] && [ "$(field "$pid" NoNewPrivs)" = 1 ] && ok ||
		fail "the $what lacks a seccomp filter or no_new_privs (pid $pid)"
done
[ "$(readlink "/proc/$SVC/root")" = / ] && ok || fail "the service's root changed"

# ---- the key in the key holder only ----
OUT=$($SCAN "$DATA/master.key" "$DAEMON_PID" "$SVC" "$H" "$S" "$V")
for p in "$DAEMON_PID" "$SVC" "$H" "$S"; do
	echo "$OUT" | grep -q "^$p mem=absent fd=absent " && ok || fail "process $p holds the master key: $OUT"
done
echo "$OUT" | grep -q "^$V mem=found " && ok || fail "the scan does not find the key in the key holder: $OUT"

# ---- an API request and a fax through every process ----
PW="plume encre buvard 1789"
OP=$(operator_token)
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+15555550401","+15555550402"]}'
expect_status 201 "loopback numbers"
new_account "$OP" "Clinique U" owner@u.example "$PW"
OWN=$NEW_OWNER ACC=$NEW_ACC
req POST "/v1/accounts/$ACC/numbers" "$OWN" '{"country":"US","area_code":"555"}'
expect_status 201 "first number"
req POST "/v1/accounts/$ACC/numbers" "$OWN" '{"country":"US","area_code":"555"}'
expect_status 201 "second number"
TO=$(jqr .number)
printf 'Bonjour,\nun fax sous son propre utilisateur.\n' >"$TMP/letter.txt"
chmod 0644 "$TMP/letter.txt"
req POST /v1/faxes "$OWN" "" -F "file=@$TMP/letter.txt" -F "to=$TO"
expect_status 202 "a fax accepted"
FAX=$(jqr '.items[0].id')
fax_done() {
	req GET "/v1/faxes/$FAX" "$OWN"
	case "$(jqr .status)" in delivered|partial|failed|cancelled) return 0 ;; esac
	return 1
}
poll_until 300 fax_done || fail "the fax did not end"
expect_jq '.status == "delivered"' "the fax delivered over the loopback trunk"
inbound() { req GET "/v1/faxes?direction=inbound" "$OWN"; [ "$(jqr '.items | length')" -ge 1 ]; }
poll_until 300 inbound && ok || fail "no inbound fax: $BODY"
# The front ends write the log the service user owns (opened as root
# without CAP_DAC_OVERRIDE, with that user's file-system ids).
grep -q "event=call_end .*ok=1" "$LOG" && grep -q "event=http.front_started" "$LOG" && ok ||
	fail "the front ends' events are not in the log"
req GET "/v1/faxes/$FAX/document" "$OWN" "" -o /dev/null
expect_status 200 "its document read back"
curl -sf "http://127.0.0.1:$(metrics_port)/metrics" | grep -q '^faxvault_build_info' && ok ||
	fail "the metrics listener does not answer"

# ---- files: the service user's ----
others=$(find "$DATA" "$TMP/log" \( ! -user "$SU" -o ! -group "$SU" \) -print)
[ -z "$others" ] && ok || fail "files not owned by $SU: $(echo "$others" | head -n 5)"
[ "$(find "$DATA" -type f | wc -l)" -ge 3 ] && ok || fail "the data directory holds nothing: $(ls -la "$DATA")"

# ---- SIGHUP: the log reopened by every process, still the service user's ----
mv "$LOG" "$LOG.1"
kill -HUP "$DAEMON_PID"
reopened() { [ -s "$LOG" ] && grep -q 'event=daemon.reopen_logs' "$LOG"; }
poll_until 300 reopened && ok || fail "the log was not reopened"
[ "$(stat -c %U "$LOG")" = "$SU" ] && ok || fail "the reopened log is $(stat -c %U "$LOG")'s"

# ---- a clean stop ----
stop_daemon && ok || fail "faxvaultd did not stop cleanly"
grep -q "event=supervisor.stopped status=0" "$LOG" && ok || fail "the supervisor did not stop cleanly"

# ---- root with every capability (no unit): the bounding set cut too ----
FAXVAULTD=$REAL
launch_daemon --set daemon.service_user="$SU" --set daemon.http_user=daemon
for c in CapEff CapPrm CapBnd; do
	[ "$(field "$DAEMON_PID" $c)" = "$WANT" ] && ok || fail "the supervisor's $c: $(field "$DAEMON_PID" $c), want $WANT"
done
SVC=$(child fv-service)
[ -n "$SVC" ] && [ "$(field "$SVC" CapBnd)" = "$WANT" ] && [ "$(field "$SVC" CapEff)" = 0000000000000000 ] && ok ||
	fail "the service's capabilities: $(grep -E '^Cap' "/proc/$SVC/status")"
stop_daemon && ok || fail "faxvaultd did not stop cleanly"
finish
