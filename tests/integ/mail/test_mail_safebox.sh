#!/usr/bin/env bash
# SafeBox guests through a real Postfix (issue 16, "Done when"): a member
# creates a box for a guest; the guest's link arrives by mail; the guest asks
# for a one-time code (mailed), verifies, reads, downloads, replies with a
# message and a file; the sender sees every step in the box's events and the
# audit chain, and is told when the guest first opens it; a guest's session
# reaches its own box only (404 elsewhere); wrong codes lock the link after 5;
# a revoked guest and an expired box (injected clock) are refused; the link
# token, the code and the session are in no log line, no file of the data
# directory and no answer's headers.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/postfix.sh"
HERE=$(dirname "$0")
trap 'postfix_stop; cleanup' EXIT

postfix_start
start_daemon --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net
OP=$(operator_token)
account "Alpha Clinic" A
account "Bravo Law" B
G=guest@outside.example
JAR="$TMP/jar"
# gcurl METHOD PATH [curl args...]: a guest's browser (cookie jar); sets
# STATUS, BODY, HEADERS.
gcurl() {
	local method=$1 path=$2
	shift 2
	STATUS=$(curl -s -X "$method" -b "$JAR" -c "$JAR" -o "$TMP/gbody" -D "$TMP/gheaders" -w '%{http_code}' "$@" "$BASE$path")
	BODY=$(cat "$TMP/gbody")
	HEADERS="$TMP/gheaders"
}
has() { if grep -qF -- "$1" "$TMP/gbody"; then ok; else fail "$2: '$1' not in the page: ${BODY:0:300}"; fi; }
hasnt() { if grep -qF -- "$1" "$TMP/gbody"; then fail "$2: '$1' is in the page"; else ok; fi; }
# mail_to ADDRESS SUBJECT_PART: the newest delivered mail to ADDRESS whose
# subject holds SUBJECT_PART, parsed into PARSED.
mail_to() {
	local f
	for f in $(ls -t "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/* 2>/dev/null); do
		PARSED=$(python3 "$HERE/mailpart.py" "$f")
		if [ "$(jq -r --arg a "$1" --arg s "$2" '.to_addr == $a and (.subject | contains($s))' <<<"$PARSED")" = true ]; then
			return 0
		fi
	done
	return 1
}
mails_to() { # mails_to ADDRESS SUBJECT_PART: how many
	local f n=0
	for f in "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/*; do
		[ -e "$f" ] || continue
		[ "$(python3 "$HERE/mailpart.py" "$f" | jq -r --arg a "$1" --arg s "$2" '.to_addr == $a and (.subject | contains($s))')" = true ] && n=$((n + 1))
	done
	echo "$n"
}
code_mail_count() { [ "$(mails_to "$G" "code")" -ge "$1" ]; }

# --- A member creates a box for the guest, with a file.
req POST /v1/safeboxes "$USER_A" "{\"subject\":\"Your lab results\",\"message\":\"Dear guest, here are the results (marker-4242).\",\"participants\":[{\"email\":\"$G\"}]}"
expect_status 201 "the box is created"
BOX=$(jqr .id)
printf 'results-file-marker-5151\n' >"$TMP/results.txt"
req POST "/v1/safeboxes/$BOX/files" "$USER_A" "" -F "file=@$TMP/results.txt"
expect_status 201 "the owner adds a file"
FILE=$(jqr .id)
if poll_until 120 mail_to "$G" "Your lab results"; then ok; else fail "no invitation mail reached the guest"; fi
expect_mail() { if [ "$(jq -r "$1" <<<"$PARSED")" = true ]; then ok; else fail "$2: jq '$1' on ${PARSED:0:600}"; fi; }
expect_mail '.subject == "User A shared a SafeBox with you: Your lab results" and (.text | test("https://fax.example.net/g/fvg_[A-Za-z0-9_-]+"))' "the invitation names the sender and holds the link"
expect_mail '(.html | test("href=\"https://fax.example.net/g/fvg_"))' "the HTML part links to the box"
expect_mail '(.text | contains("marker-4242") | not)' "no content of the box in the mail"
TOKEN=$(jq -r .text <<<"$PARSED" | grep -o 'fvg_[A-Za-z0-9_-]*' | head -n 1)
[ -n "$TOKEN" ] && ok || fail "no token in the invitation"

# --- The guest opens the link: nothing of the box before the code.
gcurl GET "/g/$TOKEN" -H 'Accept-Language: fr'
expect_status 200 "the link opens a page"
grep -qi '^content-type: text/html' "$HEADERS" && ok || fail "the page is HTML"
grep -qi "^content-security-policy: default-src 'none'" "$HEADERS" && ok || fail "no script, no resource: $(grep -i content-security "$HEADERS")"
grep -qi '^referrer-policy: no-referrer' "$HEADERS" && ok || fail "the link is never sent on as a Referer"
grep -qi '^cache-control: no-store' "$HEADERS" && ok || fail "the page is not kept"
has '<html lang="fr">' "the page in French"
has "M'envoyer un code" "it offers to send a code"
hasnt "marker-4242" "no message before verification"
hasnt "Your lab results" "not even the subject"
gcurl GET "/g/$TOKEN/files/$FILE"
expect_status 401 "no download before verification"
gcurl GET "/g/fvg_NoSuchTokenAtAll0000000000000000000000000000"
expect_status 404 "an unknown link"

# --- Code: wrong ones are counted, the right one opens the box.
gcurl POST "/g/$TOKEN/code" -H 'Accept-Language: en'
expect_status 200 "a code is sent"
has 'name="code"' "the page asks for the code"
gcurl POST "/g/$TOKEN/code"
expect_status 429 "no second code within a minute"
if poll_until 120 code_mail_count 1; then ok; else fail "no code mail"; fi
mail_to "$G" "code"
CODE=$(jq -r .text <<<"$PARSED" | grep -o '\b[0-9]\{6\}\b' | head -n 1)
[ -n "$CODE" ] && ok || fail "no code in the mail: ${PARSED:0:300}"
WRONG=$(printf '%06d' $(( (10#$CODE + 1) % 1000000 )))
gcurl POST "/g/$TOKEN/verify" --data "code=$WRONG"
expect_status 422 "a wrong code"
has "4 attempt(s) left" "the page says how many attempts are left"
gcurl POST "/g/$TOKEN/verify" --data "code=$CODE"
expect_status 200 "the right code opens the box"
SETC=$(grep -i '^set-cookie:' "$HEADERS" | tr -d '\r')
[[ "$SETC" == *"fv_guest="* && "$SETC" == *"HttpOnly"* && "$SETC" == *"SameSite=Strict"* && "$SETC" == *"Path=/g/"* ]] && ok || fail "the session cookie: $SETC"
[[ "$SETC" != *"Secure"* ]] && ok || fail "no Secure flag over plain HTTP"
SESSION=$(sed -n 's/.*fv_guest=\([^;]*\);.*/\1/p' <<<"$SETC")
has "Your lab results" "the box's subject"
has "marker-4242" "the owner's message"
has "results.txt" "the file"
gcurl POST "/g/$TOKEN/verify" --data "code=$CODE"
expect_status 422 "a code works once"
gcurl GET "/g/$TOKEN/files/$FILE"
expect_status 200 "the guest downloads the file"
cmp -s "$TMP/gbody" "$TMP/results.txt" && ok || fail "the download differs from the upload"
grep -qi '^content-disposition: attachment; filename="results.txt"' "$HEADERS" && ok || fail "an attachment with its name"
gcurl POST "/g/$TOKEN/messages" --data-urlencode "message=Thank you, received <b>all</b>."
expect_status 200 "the guest replies"
has "Thank you, received &lt;b&gt;all&lt;/b&gt;." "the reply shown, escaped"
printf 'guest-reply-file\n' >"$TMP/reply.txt"
gcurl POST "/g/$TOKEN/files" -F "file=@$TMP/reply.txt"
expect_status 200 "the guest uploads a file"
has "reply.txt" "the guest's file listed"

# --- The sender sees every step.
req GET "/v1/safeboxes/$BOX" "$USER_A"
expect_jq '[.events[].type] as $t | ["guest.code_sent","guest.verify_failed","guest.verify","guest.open","guest.file.download","message.post","guest.file.upload"] | all(. as $x | $t | index($x) != null)' "every guest step is in the box's events"
expect_jq "[.events[] | select(.type == \"guest.file.download\")][0] | .actor.kind == \"guest\" and .actor.id == \"$G\" and .detail.file_id == \"$FILE\"" "the download names the guest and the file"
expect_jq "[.messages[] | select(.author.kind == \"guest\")][0].body == \"Thank you, received <b>all</b>.\"" "the reply reaches the sender as written"
expect_jq "[.files[] | select(.author.email == \"$G\")][0].filename == \"reply.txt\"" "and the guest's file"
expect_jq "[.participants[0].verified_at] | .[0] != null" "the guest is shown verified"
req GET "/v1/accounts/$ACC_A/audit-events?action=safebox.guest.file.download" "$ADMIN_A"
expect_jq "[.items[] | select(.target == \"$BOX\" and (.actor.id | startswith(\"guest:sbp_\")) and .actor.type == \"guest\")] | length == 1" "the guest's download is in the audit chain"
if poll_until 120 mail_to user@a-fax.example "opened your SafeBox"; then ok; else fail "the sender was not told of the opening"; fi

# --- A guest session reaches its own box only.
req POST /v1/safeboxes "$USER_B" "{\"subject\":\"Contract\",\"participants\":[{\"email\":\"$G\"}]}"
BOX_B=$(jqr .id)
req POST "/v1/safeboxes/$BOX_B/files" "$USER_B" "" -F "file=@$TMP/results.txt"
FILE_B=$(jqr .id)
gcurl GET "/g/$TOKEN/files/$FILE_B"
expect_status 404 "box B's file through box A's link"
if poll_until 120 mail_to "$G" "Contract"; then ok; else fail "no invitation for box B"; fi
TOKEN_B=$(jq -r .text <<<"$PARSED" | grep -o 'fvg_[A-Za-z0-9_-]*' | head -n 1)
gcurl GET "/g/$TOKEN_B"
expect_status 200 "box B's link with box A's session"
hasnt "Contract" "A's session does not open box B"
gcurl GET "/g/$TOKEN_B/files/$FILE_B"
expect_status 401 "nor its files"

# --- Five wrong codes lock the link, the right one too after that.
gcurl POST "/g/$TOKEN_B/code"
if poll_until 120 code_mail_count 2; then ok; else fail "no second code mail"; fi
mail_to "$G" "code"
CODE_B=$(jq -r .text <<<"$PARSED" | grep -o '\b[0-9]\{6\}\b' | head -n 1)
WRONG=$(printf '%06d' $(( (10#$CODE_B + 1) % 1000000 )))
for i in 1 2 3 4; do
	gcurl POST "/g/$TOKEN_B/verify" --data "code=$WRONG"
	expect_status 422 "wrong code $i"
done
gcurl POST "/g/$TOKEN_B/verify" --data "code=$WRONG"
expect_status 403 "the fifth wrong code locks the link"
gcurl POST "/g/$TOKEN_B/verify" --data "code=$CODE_B"
expect_status 403 "locked: even the right code is refused"
gcurl POST "/g/$TOKEN_B/code"
expect_status 403 "locked: no new code"
req GET "/v1/safeboxes/$BOX_B" "$USER_B"
expect_jq '[.events[].type] | index("guest.locked") != null' "the owner sees the lock"
expect_jq '.participants[0].locked_at != null' "the participant is shown locked"

# --- Revoked, then expired.
req DELETE "/v1/safeboxes/$BOX/participants/$(req GET "/v1/safeboxes/$BOX" "$USER_A"; jqr '.participants[0].id')" "$USER_A"
expect_status 204 "the owner revokes the guest"
gcurl GET "/g/$TOKEN"
expect_status 404 "a revoked guest's link is dead, session or not"
req POST /v1/safeboxes "$USER_A" "{\"subject\":\"Short\",\"participants\":[{\"email\":\"$G\"}],\"expires_at\":\"$(date -u -d '+2 days' +%FT%TZ)\"}"
if poll_until 120 mail_to "$G" "Short"; then ok; else fail "no invitation for the short box"; fi
TOKEN_C=$(jq -r .text <<<"$PARSED" | grep -o 'fvg_[A-Za-z0-9_-]*' | head -n 1)
gcurl GET "/g/$TOKEN_C"
expect_status 200 "the short box's link works"
advance_clock $((3 * 24 * 60))
gcurl GET "/g/$TOKEN_C"
expect_status 410 "an expired box is gone"

# --- No secret of the guest's anywhere.
for s in "$TOKEN" "$TOKEN_B" "$CODE" "$SESSION"; do
	if grep -qF -- "$s" "$LOG"; then fail "a guest secret is in the daemon log"; else ok; fi
	if grep -rqaF -- "$s" "$DATA"; then fail "a guest secret is in the data directory"; else ok; fi
done
grep -q 'path="/g/\[redacted\]' "$LOG" && ok || fail "the log shows guest paths redacted"
if grep -rqa 'marker-4242\|results-file-marker-5151\|guest-reply-file' "$DATA"; then fail "box content in the clear"; else ok; fi
finish
