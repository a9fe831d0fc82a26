#!/usr/bin/env bash
# Anti-virus on uploads (issue 16, P08) with a real clamd: the test builds
# its signature database (the EICAR test file's hash; the official database
# needs the internet). A fax document, a port-in letter or a SafeBox file
# carrying EICAR is refused with 422 malware-detected and nothing is kept,
# the refusal is audited with the signature; so is a guest's upload into a
# SafeBox (the link and code read from the mails a stand-in sendmail
# keeps), a mail attachment faxed by e-mail (554 5.7.1 from the SMTP
# listener) and a signed consent letter
# (a PDF carrying EICAR, found by a body signature); clean files pass; with
# the scanner down uploads are refused (503) unless the provider chose
# av.fail_open; the choice shows in /readyz and on /metrics.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
. "$(dirname "$0")/../mail/smtp_lib.sh"
command -v clamd >/dev/null || { echo "SKIP: clamd is not installed"; exit 77; }
command -v swaks >/dev/null || { echo "SKIP: swaks is not installed"; exit 77; }

CL="$TMP/clamd"
mkdir -p "$CL/db"
printf '44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n' >"$CL/db/test.hdb"
# EICAR's text anywhere in a file (a PDF carrying it).
printf 'Eicar-Test-Signature-In-File:0:*:%s\n' "$(printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' | od -An -tx1 | tr -d ' \n')" >"$CL/db/test.ndb"
cat >"$CL/clamd.conf" <<CONF
LocalSocket $CL/clamd.sock
DatabaseDirectory $CL/db
Foreground yes
LogClean yes
LogFile $CL/clamd.log
PidFile $CL/clamd.pid
TemporaryDirectory $CL
User $(id -un)
CONF
CLAMD_PID=""
clamd_start() {
	clamd -c "$CL/clamd.conf" >/dev/null 2>&1 &
	CLAMD_PID=$!
	poll_until 300 test -S "$CL/clamd.sock" || { echo "clamd did not start"; cat "$CL/clamd.log"; exit 1; }
}
clamd_stop() { [ -n "$CLAMD_PID" ] && kill "$CLAMD_PID" 2>/dev/null && wait "$CLAMD_PID" 2>/dev/null; CLAMD_PID=""; rm -f "$CL/clamd.sock"; }
trap 'clamd_stop; cleanup' EXIT
clamd_start

AV="--set av.clamd=unix:$CL/clamd.sock --set metrics.listen=127.0.0.1:0"
metric() { # metric NAME_WITH_LABELS: its value (0 when absent)
	curl -sf "http://127.0.0.1:$(metrics_port)/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
# Mail through a stand-in sendmail that keeps each message: a guest's
# link and code.
mkdir -p "$TMP/bin" "$TMP/mails"
cat >"$TMP/bin/sendmail" <<EOS
#!/bin/sh
cat >"$TMP/mails/\$\$.part" && mv "$TMP/mails/\$\$.part" "$TMP/mails/\$\$.eml"
EOS
chmod 755 "$TMP/bin/sendmail"
export PATH="$TMP/bin:$PATH"
FV_SMTP=$(free_port)
AV="$AV --set mail.relay=sendmail --set mail.from=noreply@fax.example.net --set mail.web_url=https://fax.example.net"
AV="$AV --set mail.domain=fax.example.net --set mail.smtp_listen=127.0.0.1:$FV_SMTP"
# shellcheck disable=SC2086
fax_setup $AV
make_pdf "$TMP/clean.pdf" 1
printf 'X5O!P%%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$TMP/eicar.txt"
[ "$(md5sum <"$TMP/eicar.txt" | cut -c1-32)" = 44d88612fea8a8f36de82e1278abb02f ] && ok || fail "the test file is not EICAR"
faxes_of_a() { req GET "/v1/faxes?limit=200" "$USER_A"; jqr '.items | length'; }

# --- the provider's choice, visible
req GET /readyz
expect_jq '.status == "ready" and .antivirus == {"scanner":"clamd","when_unreachable":"refuse"}' "readiness shows the scanner, failing closed"
[ "$(metric faxvault_av_enabled)" = 1 ] && [ "$(metric faxvault_av_fail_open)" = 0 ] && ok ||
	fail "the metrics show the scanner, failing closed: $(metric faxvault_av_enabled) $(metric faxvault_av_fail_open)"

# --- infected: refused, nothing kept, audited
send_fax "$USER_A" "$NUM_B" "$TMP/eicar.txt"
expect_status 422 "EICAR as a fax document"
expect_jq '.type == "urn:faxvault:problem:malware-detected" and (.detail | test("Eicar-Test-Signature"))' "problem malware-detected naming the signature"
[ "$(faxes_of_a)" = 0 ] && ok || fail "a fax was created from an infected upload"
send_fax "$USER_A" "$NUM_B" "$TMP/clean.pdf" -F "file=@$TMP/eicar.txt"
expect_status 422 "one infected file among clean ones refuses the whole submission"
[ "$(find "$DATA/docs" -name '*.fvb' | wc -l)" = 0 ] && ok || fail "a blob was kept from a refused submission"
req GET "/v1/accounts/$ACC_A/audit-events?action=upload.malware_refused" "$ADMIN_A"
expect_jq '(.items | length) == 2 and all(.items[]; .outcome == "failure" and (.detail.signature | test("Eicar")) and .detail.field == "file")' "each refusal is audited with the signature"
req POST "/v1/accounts/$ACC_A/port-requests" "$ADMIN_A" "" -F numbers=+15555550199 -F losing_carrier=Acme -F "loa=@$TMP/eicar.txt;type=application/pdf"
expect_status 422 "EICAR as a port-in letter"
expect_jq '.type == "urn:faxvault:problem:malware-detected"' "the letter is refused as malware"

# --- clean: accepted
send_fax "$USER_A" "$NUM_B" "$TMP/clean.pdf"
expect_status 202 "a clean document passes the scanner"
grep -q 'instream.*OK' "$CL/clamd.log" && ok || fail "clamd did not see the clean upload: $(tail -3 "$CL/clamd.log")"
[ "$(metric 'faxvault_av_scans_total{result="infected"}')" = 3 ] && [ "$(metric 'faxvault_av_scans_total{result="clean"}')" -ge 2 ] && ok \
	|| fail "scans not counted on /metrics: infected $(metric 'faxvault_av_scans_total{result="infected"}')"

# --- SafeBox uploads go through the same scanner
req POST /v1/safeboxes "$USER_A" '{"subject":"Scan me","participants":[{"email":"guest@outside.example"}]}'
expect_status 201 "a SafeBox to upload into"
BOX=$(jqr .id)
req POST "/v1/safeboxes/$BOX/files" "$USER_A" "" -F "file=@$TMP/eicar.txt"
expect_status 422 "EICAR into a SafeBox"
expect_jq '.type == "urn:faxvault:problem:malware-detected"' "a SafeBox upload is refused as malware"
req GET "/v1/safeboxes/$BOX" "$USER_A"
expect_jq '.files == [] and ([.events[].type] | index("file.upload") == null)' "nothing of the infected file is kept"
req POST "/v1/safeboxes/$BOX/files" "$USER_A" "" -F "file=@$TMP/clean.pdf"
expect_status 201 "a clean file passes into the SafeBox"

# --- a guest's upload too
mail_text() { # mail_text SUBJECT_PART: the text of the newest mail with it
	local f
	f=$(grep -l -- "$1" "$TMP/mails"/*.eml 2>/dev/null | head -n 1)
	[ -n "$f" ] && python3 "$(dirname "$0")/../mail/mailpart.py" "$f" | jq -r .text
}
has_mail() { [ -n "$(mail_text "$1")" ]; }
gcurl() { # gcurl METHOD PATH [curl args]: the guest's browser
	local m=$1 p=$2
	shift 2
	STATUS=$(curl -s -X "$m" -b "$TMP/jar" -c "$TMP/jar" -o "$TMP/gbody" -w '%{http_code}' "$@" "$BASE$p")
	BODY=$(cat "$TMP/gbody")
}
req POST /v1/safeboxes "$USER_A" '{"subject":"Guest scan","participants":[{"email":"guest@outside.example"}]}'
expect_status 201 "a SafeBox for a guest"
GBOX=$(jqr .id)
poll_until 120 has_mail "Guest scan" && ok || fail "no invitation mail"
GTOKEN=$(mail_text "Guest scan" | grep -o 'fvg_[A-Za-z0-9_-]*' | head -n 1)
gcurl POST "/g/$GTOKEN/code"
expect_status 200 "the guest asks for a code"
poll_until 120 has_mail "code to open" && ok || fail "no code mail"
GCODE=$(mail_text "code to open" | grep -o '\b[0-9]\{6\}\b' | head -n 1)
gcurl POST "/g/$GTOKEN/verify" --data "code=$GCODE"
expect_status 200 "the guest opens the box"
gcurl POST "/g/$GTOKEN/files" -F "file=@$TMP/eicar.txt"
expect_status 422 "EICAR uploaded by a guest"
grep -q "Eicar-Test-Signature" "$TMP/gbody" && ok || fail "the page names the signature: ${BODY:0:300}"
req GET "/v1/safeboxes/$GBOX" "$USER_A"
expect_jq '.files == []' "nothing of the guest's infected file is kept"
req GET "/v1/accounts/$ACC_A/audit-events?action=upload.malware_refused" "$ADMIN_A"
expect_jq 'any(.items[]; .actor.id | startswith("guest:"))' "the guest's refusal is audited"

# --- a mail attachment faxed by e-mail
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"allowed_senders":["@a-fax.example"],"allowed_servers":["127.0.0.0/8"]}'
expect_status 200 "A faxes by e-mail"
BEFORE=$(faxes_of_a)
SW=$(swaks --server 127.0.0.1 --port "$FV_SMTP" --timeout 120 --from user@a-fax.example \
	--to " $NUM_B@fax.example.net" --header "From: user@a-fax.example" --header "Subject: scan" \
	--body "x" --attach-type application/pdf --attach @"$TMP/eicar.txt" 2>&1)
expect_reply 554 "EICAR attached to a mail is refused"
printf '%s' "$SW" | grep -q '5\.7\.1' && ok || fail "the refusal's enhanced code: $(printf '%s' "$SW" | tail -3)"
[ "$(faxes_of_a)" = "$BEFORE" ] && ok || fail "a fax was made from the infected mail"
SW=$(swaks --server 127.0.0.1 --port "$FV_SMTP" --timeout 120 --from user@a-fax.example \
	--to " $NUM_B@fax.example.net" --header "From: user@a-fax.example" --header "Subject: scan" \
	--body "x" --attach-type application/pdf --attach @"$TMP/clean.pdf" 2>&1)
expect_reply 250 "a clean attachment is accepted"

# --- a signed consent letter (a PDF) carrying EICAR
printf '%%PDF-1.4\n%% %s\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%%%EOF\n' "$(cat "$TMP/eicar.txt")" >"$TMP/letter.pdf"
req POST /v1/partners "$OP" '{"name":"Reseller Inc"}'
expect_status 201 "a partner"
PRT=$(jqr .id)
EXP=$(date -u -d "@$(( $(clock_seconds) + 30 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $OWNER_A" -F "partner_id=$PRT" \
	-F 'scope=["users.manage"]' -F "expires_at=$EXP" -F "letter=@$TMP/letter.pdf;type=application/pdf" \
	"$BASE/v1/accounts/$ACC_A/consents/letter")
BODY=$(cat "$TMP/body")
expect_status 422 "EICAR in a signed consent letter"
expect_jq '.type == "urn:faxvault:problem:malware-detected"' "the letter is refused as malware"
req GET "/v1/accounts/$ACC_A/consents" "$OWNER_A"
expect_jq '[.items[] | select(.method == "letter")] | length == 0' "no consent is kept from it"

# --- scanner down: fail closed by default
clamd_stop
send_fax "$USER_A" "$NUM_B" "$TMP/clean.pdf"
expect_status 503 "no scanner: the upload is refused"
expect_jq '.type == "urn:faxvault:problem:unavailable" and (.detail | test("malware"))' "the refusal says why"
grep -q 'event=av.unavailable ' "$LOG" && ok || fail "the outage is not logged"

# --- the provider may choose to fail open
stop_daemon || fail "daemon did not stop cleanly"
# shellcheck disable=SC2086
launch_daemon --set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100 $AV --set av.fail_open=1
USER_A=$(login user@a-fax.example meadow-violin-otter-55)
send_fax "$USER_A" "$NUM_B" "$TMP/clean.pdf"
expect_status 202 "fail open: accepted unscanned"
grep -q 'event=av.unavailable_accepted' "$LOG" && ok || fail "an unscanned upload is not logged"
req GET /readyz
expect_jq '.antivirus == {"scanner":"clamd","when_unreachable":"accept"}' "readiness shows that uploads are accepted unscanned while the scanner is unreachable"
[ "$(metric faxvault_av_fail_open)" = 1 ] && ok || fail "the metrics show fail open"
[ "$(metric faxvault_av_unscanned_total)" = 1 ] && ok || fail "the unscanned upload is not counted"

stop_daemon || fail "daemon did not stop cleanly"
finish
