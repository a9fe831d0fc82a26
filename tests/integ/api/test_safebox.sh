#!/usr/bin/env bash
# SafeBoxes, the members' side (issue 16): a member creates a box for a
# guest and a colleague; files are stored encrypted and downloaded as
# attachments; every access is in the box's events and the audit chain;
# only the owner closes, extends, revokes; other tenants and members who
# take no part see nothing (404); the account's SafeBox profile bounds
# expiry and file size; a legal hold stops deletion; deletion and the
# retention sweep (safebox_days, the injected clock) crypto-shred every
# document of the box.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
start_daemon --set retention.sweep_minutes=1
OP=$(operator_token)
account "Alpha Clinic" A
account "Bravo Law" B
PW=meadow-violin-otter-55
U2=$(member "$ACC_A" "$OWNER_A" colleague@a-fax.example "Colleague A" user "$PW"); U2=${U2#* }
U3=$(member "$ACC_A" "$OWNER_A" bystander@a-fax.example "Bystander A" user "$PW"); U3=${U3#* }
relogin() {
	ADMIN_A=$(login admin@a-fax.example granite-harbour-owl-77)
	USER_A=$(login user@a-fax.example "$PW")
	USER_B=$(login user@b-fax.example "$PW")
	U2=$(login colleague@a-fax.example "$PW")
	U3=$(login bystander@a-fax.example "$PW")
}
db() { sqlite3 "$DATA/faxvault.db" "$1"; }
event_types() { jqr '[.events[].type] | join(",")'; }
# days_ahead N: the time N days after the daemon's (test) clock's now.
days_ahead() { date -u -d "@$(( $(clock_seconds) + $1 * 86400 ))" +%FT%TZ; }

# --- Creating: what is refused, then a box for a guest and a colleague.
req POST /v1/safeboxes "$USER_A" '{"participants":[{"email":"guest@outside.example"}]}'
expect_problem 422 validation-failed "a box needs a subject"
for bad in '{"subject":"x","participants":[]}' '{"subject":"x","participants":[{"email":"not-an-address"}]}' \
	'{"subject":"x","participants":[{"email":"g@o.example"},{"email":"G@o.example"}]}' \
	'{"subject":"x","participants":[{"email":"user@a-fax.example"}]}' \
	'{"subject":"x","participants":[{"email":"g@o.example"}],"expires_at":"2000-01-01T00:00:00Z"}' \
	'{"subject":"x","participants":[{"email":"g@o.example"}],"colour":"red"}'; do
	req POST /v1/safeboxes "$USER_A" "$bad"
	expect_status 422 "refused: $bad"
done
req POST /v1/safeboxes "$USER_A" "{\"subject\":\"x\",\"participants\":[{\"email\":\"g@o.example\"}],\"expires_at\":\"$(days_ahead 200)\"}"
expect_jq '.detail | test("at most 90 days")' "an expiry past the provider's ceiling names it"
req POST /v1/safeboxes "$USER_A" "{\"account_id\":\"$ACC_B\",\"subject\":\"x\",\"participants\":[{\"email\":\"g@o.example\"}]}"
expect_status 404 "no box in another account"
req POST /v1/safeboxes "$USER_B" '{"subject":"x","participants":[{"email":"g@o.example"}]}' -H 'Accept-Language: fr'
expect_status 201 "B's user creates a box in B"
BOX_B=$(jqr .id)

req POST /v1/safeboxes "$USER_A" "{\"account_id\":\"$ACC_A\",\"subject\":\"Lab results\",\"message\":\"Here are your results, secret-marker-6161.\",\"participants\":[{\"email\":\"Guest@Outside.example\"},{\"email\":\"colleague@a-fax.example\"}]}"
expect_status 201 "a member creates a SafeBox"
BOX=$(jqr .id)
expect_jq '.status == "open" and .subject == "Lab results" and (.id | startswith("sbx_"))' "the box is open"
expect_jq '[.participants[] | "\(.email):\(.kind):\(.status)"] == ["guest@outside.example:guest:active","colleague@a-fax.example:member:active"]' "a guest and a member take part"
expect_jq '.messages[0].body == "Here are your results, secret-marker-6161." and .messages[0].author.email == "user@a-fax.example"' "the first message"
expect_jq '.files == [] and [.events[].type] == ["create", "message.post"]' "no file yet; created with its first message"
expect_jq "(.expires_at[:19] + \"Z\" | fromdateiso8601) - $(clock_seconds) | . > 13*86400 and . < 15*86400" "default expiry: the profile's 14 days"
GUEST_P=$(jqr '.participants[0].id'); MEMBER_P=$(jqr '.participants[1].id')

# --- Who sees it.
req GET "/v1/safeboxes/$BOX" "$U2"
expect_status 200 "the colleague taking part reads it"
req GET /v1/safeboxes "$U2"
expect_jq "[.items[].id] == [\"$BOX\"]" "the colleague's list holds the box"
req GET "/v1/safeboxes/$BOX" "$U3"
expect_problem 404 not-found "a member taking no part does not see it"
req GET /v1/safeboxes "$U3"
expect_jq '.items == []' "nor in a list"
req GET "/v1/safeboxes/$BOX" "$USER_B"
expect_problem 404 not-found "another tenant does not see it"
req GET "/v1/safeboxes/$BOX_B" "$ADMIN_A"
expect_status 404 "not even an administrator of another account"
req GET "/v1/safeboxes/$BOX" "$ADMIN_A"
expect_status 200 "an administrator with data.read reads every box of the account"
req GET /v1/safeboxes "$ADMIN_A"
expect_jq "[.items[].id] == [\"$BOX\"]" "and lists them"
req GET "/v1/safeboxes/$BOX" "$OP"
expect_status 403 "provider staff hold no SafeBox"

# --- Files: stored encrypted, downloaded as attachments.
printf 'confidential-file-marker-7373\n%.0s' $(seq 1 200) >"$TMP/report.txt"
req POST "/v1/safeboxes/$BOX/files" "$USER_A" "" -F "file=@$TMP/report.txt;filename=../../etc/report.txt;type=text/html"
expect_status 201 "the owner uploads a file"
FILE=$(jqr .id)
expect_jq ".filename == \"report.txt\" and .size == $(stat -c %s "$TMP/report.txt") and .content_type == \"text/html\"" "the name keeps its last element; size and declared type"
req POST "/v1/safeboxes/$BOX/files" "$USER_A" "" -F "file=@$TMP/report.txt" -F "file=@$TMP/report.txt"
expect_problem 422 validation-failed "one file per upload"
req POST "/v1/safeboxes/$BOX/files" "$U3" "" -F "file=@$TMP/report.txt"
expect_status 404 "a member taking no part cannot upload"
curl -s -o "$TMP/got" -D "$TMP/h" -H "Authorization: Bearer $U2" "$BASE/v1/safeboxes/$BOX/files/$FILE"
cmp -s "$TMP/got" "$TMP/report.txt" && ok || fail "the colleague's download differs from the upload"
grep -qi '^content-type: application/octet-stream' "$TMP/h" && ok || fail "downloads are never served as the declared type"
grep -qi '^content-disposition: attachment; filename="report.txt"' "$TMP/h" && ok || fail "a download is an attachment with its name: $(grep -i disposition "$TMP/h")"
req GET "/v1/safeboxes/$BOX/files/sbf_nosuch" "$U2"
expect_status 404 "no such file"
req POST "/v1/safeboxes/$BOX/messages" "$U2" '{"message":"Thanks, received."}'
expect_status 201 "the colleague replies"
expect_jq '.body == "Thanks, received." and .author.email == "colleague@a-fax.example"' "the reply"
req POST "/v1/safeboxes/$BOX/messages" "$U2" '{"message":""}'
expect_status 422 "an empty message is refused"
if grep -rqa 'confidential-file-marker-7373\|secret-marker-6161' "$DATA"; then fail "a file or message is stored in the clear"; else ok; fi
[ "$(db "SELECT count(*) FROM documents d JOIN safebox_files f ON f.doc_id = d.id WHERE f.safebox_id='$BOX'")" = 1 ] && ok || fail "the file is not a document under its own key"

# --- The owner sees every step, in the box and in the audit chain.
req GET "/v1/safeboxes/$BOX" "$USER_A"
expect_jq '[.events[].type] | (index("file.upload") != null) and (index("file.download") != null) and (index("message.post") != null) and (index("read") != null)' "the box's events show upload, download, reply and reads"
expect_jq "[.events[] | select(.type == \"file.download\")][0] | .actor.id == \"$(jq -r .id <<<"$(req GET /v1/me "$U2"; echo "$BODY")")\" and .detail.file_id == \"$FILE\"" "the download names who and which file"
expect_jq '[.messages[].body] == ["Here are your results, secret-marker-6161.", "Thanks, received."]' "both messages, in order"
req GET "/v1/accounts/$ACC_A/audit-events?action=safebox.file.download" "$ADMIN_A"
expect_jq "[.items[] | select(.target == \"$BOX\" and .detail.file_id == \"$FILE\")] | length == 1" "the download is in the audit chain"

# --- Only the owner closes, extends, revokes.
req POST "/v1/safeboxes/$BOX/close" "$U2"
expect_problem 403 forbidden "a participant cannot close the box"
req POST "/v1/safeboxes/$BOX/extend" "$USER_A" "{\"expires_at\":\"$(days_ahead 120)\"}"
expect_status 422 "no extension past the ceiling"
NEWEXP=$(days_ahead 30)
req POST "/v1/safeboxes/$BOX/extend" "$USER_A" "{\"expires_at\":\"$NEWEXP\"}"
expect_status 200 "the owner extends the box"
expect_jq ".expires_at | startswith(\"${NEWEXP%Z}\")" "the new expiry"
req DELETE "/v1/safeboxes/$BOX/participants/$MEMBER_P" "$USER_A"
expect_status 204 "the owner revokes the colleague"
req GET "/v1/safeboxes/$BOX" "$U2"
expect_status 404 "a revoked participant sees it no more"
req DELETE "/v1/safeboxes/$BOX/participants/$MEMBER_P" "$USER_A"
expect_status 404 "revoked once"
req POST "/v1/safeboxes/$BOX/close" "$USER_A"
expect_status 200 "the owner closes it"
expect_jq '.status == "closed" and .closed_at != null' "closed"
req POST "/v1/safeboxes/$BOX/files" "$USER_A" "" -F "file=@$TMP/report.txt"
expect_problem 409 invalid-state "nothing is added to a closed box"
req POST "/v1/safeboxes/$BOX/messages" "$USER_A" '{"message":"late"}'
expect_status 409 "no message in a closed box"

# --- The account's profile.
req GET "/v1/accounts/$ACC_A/safebox-profile" "$USER_A"
expect_status 200 "members read the profile"
expect_jq '.expiry_days == 14 and .max_file_mb == 25 and .guest_download and .creators == "members" and .bounds.max_expiry_days == 90' "the defaults"
req PATCH "/v1/accounts/$ACC_A/safebox-profile" "$USER_A" '{"max_file_mb":1}'
expect_status 403 "a member cannot change it"
for bad in '{"expiry_days":91}' '{"max_file_mb":0}' '{"guest_reply":"no"}' '{"creators":"everyone"}' '{"colour":1}'; do
	req PATCH "/v1/accounts/$ACC_A/safebox-profile" "$ADMIN_A" "$bad"
	expect_status 422 "profile refused: $bad"
done
req PATCH "/v1/accounts/$ACC_A/safebox-profile" "$ADMIN_A" '{"max_file_mb":1,"expiry_days":7,"creators":"admins"}'
expect_status 200 "an administrator sets the profile"
req POST /v1/safeboxes "$USER_A" '{"subject":"Second","participants":[{"email":"guest2@outside.example"}]}'
expect_problem 403 forbidden "only administrators create boxes now"
req PATCH "/v1/accounts/$ACC_A/safebox-profile" "$ADMIN_A" '{"creators":"members"}'
req POST /v1/safeboxes "$USER_A" '{"subject":"Second","participants":[{"email":"guest2@outside.example"}]}'
expect_status 201 "members create boxes again"
BOX2=$(jqr .id)
expect_jq "(.expires_at[:19] + \"Z\" | fromdateiso8601) - $(clock_seconds) | . > 6*86400 and . < 8*86400" "expiry: the profile's 7 days"
head -c 1100000 /dev/urandom >"$TMP/big.bin"
req POST "/v1/safeboxes/$BOX2/files" "$USER_A" "" -F "file=@$TMP/big.bin"
expect_problem 413 payload-too-large "a file over the profile's size"
req POST "/v1/safeboxes/$BOX2/files" "$USER_A" "" -F "file=@$TMP/report.txt"
expect_status 201 "a file within it"
req GET "/v1/accounts/$ACC_A/audit-events?action=safebox.profile.update" "$ADMIN_A"
expect_jq '[.items[] | select(.detail.after.max_file_mb == 1 and .detail.before.max_file_mb == 25)] | length == 1' "profile changes are audited with before and after"

# --- Legal hold, then deletion: every document crypto-shredded.
DOCS=$(db "SELECT doc_id FROM safebox_messages WHERE safebox_id='$BOX' UNION ALL SELECT doc_id FROM safebox_files WHERE safebox_id='$BOX'")
[ "$(echo "$DOCS" | wc -w)" = 3 ] && ok || fail "the box should hold 3 documents: $DOCS"
req PUT "/v1/accounts/$ACC_A/safeboxes/$BOX/legal-hold" "$USER_A" '{"reason":"x"}'
expect_status 403 "a member cannot hold"
req PUT "/v1/accounts/$ACC_A/safeboxes/$BOX/legal-hold" "$ADMIN_A" '{"reason":"Case 88"}'
expect_status 200 "an administrator holds the box"
req DELETE "/v1/safeboxes/$BOX" "$USER_A"
expect_problem 409 legal-hold "a held box cannot be deleted"
req DELETE "/v1/accounts/$ACC_A/safeboxes/$BOX/legal-hold" "$ADMIN_A"
expect_status 200 "the hold is lifted"
req DELETE "/v1/safeboxes/$BOX" "$U3"
expect_status 404 "a member taking no part cannot delete it"
req DELETE "/v1/safeboxes/$BOX" "$USER_A"
expect_status 204 "the owner deletes the box"
req GET "/v1/safeboxes/$BOX" "$USER_A"
expect_status 404 "gone"
for d in $DOCS; do
	[ ! -e "$DATA/docs/$d.fvb" ] && [ "$(db "SELECT count(*) FROM documents WHERE id='$d'")" = 0 ] && ok || fail "document $d of the deleted box survives"
done
[ "$(db "SELECT count(*) FROM safebox_files WHERE safebox_id='$BOX'")$(db "SELECT count(*) FROM safebox_participants WHERE safebox_id='$BOX'")" = 00 ] && ok || fail "the box's rows survive"
req GET "/v1/accounts/$ACC_A/audit-events?action=safebox.delete" "$ADMIN_A"
expect_jq "[.items[] | select(.target == \"$BOX\" and .detail.documents_destroyed == 3)] | length == 1" "the deletion is audited with what it destroyed"

# --- Expiry and retention, by the injected clock. A third box, closed and
# held, must outlive the sweep.
req POST /v1/safeboxes "$USER_A" '{"subject":"Held","participants":[{"email":"guest3@outside.example"}]}'
expect_status 201 "a box to hold"
BOX3=$(jqr .id)
req POST "/v1/safeboxes/$BOX3/files" "$USER_A" "" -F "file=@$TMP/report.txt"
expect_status 201 "with a file"
DOC3=$(db "SELECT doc_id FROM safebox_files WHERE safebox_id='$BOX3'")
req POST "/v1/safeboxes/$BOX3/close" "$USER_A"
expect_status 200 "it is closed (ended)"
req PUT "/v1/accounts/$ACC_A/safeboxes/$BOX3/legal-hold" "$ADMIN_A" '{"reason":"Case 89"}'
expect_status 200 "and held"
advance_clock $((8 * 24 * 60))
relogin
req GET "/v1/safeboxes/$BOX2" "$USER_A"
expect_jq '.status == "expired"' "past its expiry the box is expired"
req POST "/v1/safeboxes/$BOX2/messages" "$USER_A" '{"message":"late"}'
expect_problem 409 invalid-state "nothing is added to an expired box"
DOC2=$(db "SELECT doc_id FROM safebox_files WHERE safebox_id='$BOX2'")
req PATCH "/v1/accounts/$ACC_A/retention" "$ADMIN_A" '{"safebox_days":1}'
expect_status 200 "A keeps ended boxes 1 day"
advance_clock $((2 * 24 * 60))
relogin
box2_gone() { req GET "/v1/safeboxes/$BOX2" "$USER_A"; [ "$STATUS" = 404 ]; }
poll_until 120 box2_gone && ok || fail "the sweep did not delete the due box: $STATUS ${BODY:0:200}"
[ ! -e "$DATA/docs/$DOC2.fvb" ] && ok || fail "the swept box's file blob survives"
req GET "/v1/safeboxes/$BOX3" "$USER_A"
expect_status 200 "the held box outlives the sweep"
expect_jq '.legal_hold.held == true and (.files | length) == 1' "held, with its file"
[ -e "$DATA/docs/$DOC3.fvb" ] && ok || fail "the held box's file blob was destroyed"
req GET "/v1/accounts/$ACC_A/audit-events?action=safebox.retention_delete" "$ADMIN_A"
expect_jq "[.items[] | select(.target == \"$BOX2\" and .actor.id == \"system:retention\" and .detail.rule == \"safebox_days\" and .detail.days == 1)] | length == 1" "a deletion certificate names the rule"
req GET "/v1/safeboxes/$BOX_B" "$USER_B"
expect_status 200 "B has no SafeBox retention: its box stays"
finish
