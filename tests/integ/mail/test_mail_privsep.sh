#!/usr/bin/env bash
# The SMTP front end (docs/architecture.md, "Processes"): faxvaultd starts
# `faxvaultd: smtp` from a fresh image; it runs the SMTP sessions and the
# MIME parse, as daemon.unprivileged_user (nobody) when started as root,
# under its own seccomp filter, without master.key open or its bytes in
# memory; the service decides and submits. kill -9 of the front end in the
# middle of a mail: the sender sees a 4xx or a dropped connection, the
# front end is started again, the next mail is accepted and nothing accepted
# before is lost. A forbidden call (testing.smtp_seccomp_probe, SIGUSR1)
# kills it with SIGSYS; it is started again. A clean stop drains it.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/smtp_lib.sh"
trap cleanup EXIT
SCAN="python3 $(dirname "$0")/../api/keyscan.py"
CLIENT="python3 $(dirname "$0")/smtp_client.py"

FV_SMTP=$(free_port)
fax_setup --set mail.domain=fax.example.net --set mail.smtp_listen="127.0.0.1:$FV_SMTP" \
	--set testing.smtp_seccomp_probe=1 --set metrics.listen=127.0.0.1:0 --set daemon.smtp_user=daemon
grep -q "event=smtp.listening .*port=$FV_SMTP" "$LOG" && ok || fail "the SMTP front end did not start"
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"allowed_senders":["@a-fax.example"],"allowed_servers":["127.0.0.0/8"]}'
expect_status 200 "A enables fax by e-mail"
make_pdf "$TMP/one.pdf" 1
USER_MAIL=user@a-fax.example
TO="$NUM_B@fax.example.net"
mail_ok() { # mail_ok DESCRIPTION: one mail is accepted (250 Queued as ...)
	local r
	r=$($CLIENT "$FV_SMTP" "$USER_MAIL" "$TO" "$TMP/one.pdf")
	case "$r" in "250 2.0.0 Queued as "*) ok ;; *) fail "$1: $r" ;; esac
}

# ---- the process, its identity, its filter, no key ----
S=$(child_pid fv-smtp)
V=$(child_pid fv-vault)
[ -n "$S" ] && ok || fail "no SMTP front end under the daemon"
tr '\0' ' ' <"/proc/$S/cmdline" | grep -q '^faxvaultd: smtp ' && ok || fail "its title: $(tr '\0' ' ' <"/proc/$S/cmdline")"
grep -qE '^Seccomp:[[:space:]]+2' "/proc/$S/status" && ok || fail "no seccomp filter: $(grep Seccomp "/proc/$S/status")"
grep -qE '^NoNewPrivs:[[:space:]]+1' "/proc/$S/status" && ok || fail "no_new_privs is not set"
if [ "$(id -u)" = 0 ]; then
	N=$(id -u daemon)
	[ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$S/status")" = "$N$N$N$N" ] && ok ||
		fail "the front end is not daemon.smtp_user: $(grep -E '^(Uid|Gid|Groups):' "/proc/$S/status")"
	[ -z "$(awk '/^Groups:/ { print $2 }' "/proc/$S/status")" ] && ok || fail "supplementary groups kept"
	# Its root: an empty directory that no longer has a name; the mail
	# below still goes through (its charsets were loaded before).
	R=$(readlink "/proc/$S/root")
	case "$R" in "/tmp/fv-empty-"*" (deleted)") ok ;; *) fail "the front end's root is $R" ;; esac
	[ -z "$(ls -A "/proc/$S/root/" 2>&1)" ] && [ ! -e "/proc/$S/root/etc/passwd" ] && ok ||
		fail "something is in view from its root: $(ls -A "/proc/$S/root/" 2>&1)"
	H=$(child_pid fv-http)
	[ -n "$H" ] && [ "$(awk '/^Uid:/ { print $2 }' "/proc/$H/status")" = "$(id -u nobody)" ] && ok ||
		fail "the HTTP front end is not daemon.unprivileged_user (nobody) when only smtp_user is set"
fi
OUT=$($SCAN "$DATA/master.key" "$S" "$V")
echo "$OUT"
echo "$OUT" | grep -q "^$S mem=absent fd=absent " && ok || fail "the SMTP front end holds the master key: $OUT"
echo "$OUT" | grep -q "^$V mem=found " && ok || fail "the scan does not find the key in the key holder: $OUT"

# ---- a mail accepted through the front end ----
mail_ok "a member's mail"
req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
FIRST=$(jqr '.items[0].id')
expect_jq '.items | length == 1' "the mail made one fax"


# ---- kill -9 in the middle of a mail ----
rm -f "$TMP/stalled"
$CLIENT "$FV_SMTP" "$USER_MAIL" "$TO" "$TMP/one.pdf" "$TMP/stalled" >"$TMP/killed.txt" &
CL=$!
stalled() { [ -e "$TMP/stalled" ]; }
poll_until 120 stalled && ok || fail "the client did not reach the middle of DATA"
kill -9 "$S"
wait "$CL"
case "$(cat "$TMP/killed.txt")" in 4*|closed) ok ;; *) fail "the sender of the cut mail saw: $(cat "$TMP/killed.txt")" ;; esac
new_front() { S2=$(child_pid fv-smtp); [ -n "$S2" ] && [ "$S2" != "$S" ] && grep -q "event=smtp.listening" "$LOG"; }
poll_until 300 new_front && ok || fail "the SMTP front end was not started again"
grep -q "event=smtp.front_exited pid=$S signal=9 restart_in_ms=1000" "$LOG" && ok || fail "its death is not logged"
retry_mail() { [ "$($CLIENT "$FV_SMTP" "$USER_MAIL" "$TO" "$TMP/one.pdf" | cut -c1-3)" = 250 ]; }
poll_until 300 retry_mail && ok || fail "no mail accepted after the restart"
[ "$(outbound_a)" = 2 ] && ok || fail "faxes after the restart: $(jqr '[.items[].id]')"
req GET "/v1/faxes/$FIRST" "$ADMIN_A"
expect_status 200 "the fax accepted before the kill is kept"
req GET "/v1/faxes/$FIRST/document" "$ADMIN_A" "" -o /dev/null
expect_status 200 "and its document readable"

# ---- seccomp: a forbidden call kills it (SIGSYS), it comes back ----
kill -USR1 "$S2"
sigsys() { grep -q "event=smtp.front_exited pid=$S2 signal=31 " "$LOG"; }
poll_until 300 sigsys && ok || fail "the forbidden call did not kill the front end: $(grep smtp.front_exited "$LOG" | tail -n 2)"
third_front() { S3=$(child_pid fv-smtp); [ -n "$S3" ] && [ "$S3" != "$S2" ]; }
poll_until 300 third_front && ok || fail "the SMTP front end was not started again after SIGSYS"
poll_until 300 retry_mail && ok || fail "no mail accepted after the SIGSYS restart"
[ "$(outbound_a)" = 3 ] && ok || fail "faxes after the second restart: $(jqr '[.items[].id]')"

# ---- a subject in ISO-8859-15, decoded in the empty root (its iconv
# module loaded before) ----
R3=$(readlink "/proc/$S3/root")
SMTP_CLIENT_SUBJECT='=?ISO-8859-15?Q?R=E9sultats_=A4_12?=' mail_ok "a mail whose subject is in ISO-8859-15"
[ "$(outbound_a)" = 4 ] && ok || fail "faxes after the ISO-8859-15 mail: $(jqr '[.items[].id]')"
req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
req GET "/v1/faxes/$(jqr '.items[0].id')" "$ADMIN_A"
expect_jq '.cover_subject == "Résultats € 12"' "its subject decoded to UTF-8: ${BODY:0:300}"
if [ "$(id -u)" = 0 ]; then
	case "$R3" in "/tmp/fv-empty-"*" (deleted)") ok ;; *) fail "the restarted front end's root is $R3" ;; esac
	grep -qE "event=smtp.front_started pid=$S3 uid=[0-9]+ charsets=[1-9][0-9]" "$LOG" && ok ||
		fail "the charsets were not loaded: $(grep smtp.front_started "$LOG" | tail -n 1)"
fi

# ---- a clean stop drains it ----
stop_daemon && ok || fail "faxvaultd did not stop cleanly"
grep -q "event=smtp.front_exited pid=$S3 status=0" "$LOG" && ok || fail "the front end did not end cleanly: $(grep smtp.front "$LOG" | tail -n 3)"
finish
