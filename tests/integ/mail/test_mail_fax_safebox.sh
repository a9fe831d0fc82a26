#!/usr/bin/env bash
# A received fax delivered as a SafeBox (issue 16): with the account's
# security setting received_fax_mail = safebox, a real fax over the loopback
# trunk to a number routed to a member becomes a SafeBox of that member (made
# by the fax service, not by a request) holding the fax as a one-page PDF
# under its own key; the box's events and the audit chain show who made it
# and from which fax; the member's mail (a real Postfix) is a notice naming
# the box, without the fax; another account does not see the box; the fax
# itself stays in the inbox; a member whose language is French gets a French
# box name and notice. A number routed to the shared inbox makes no box
# until the security setting shared_inbox_safebox is on; then each member
# who may read the inbox (data.read: the owner and the administrator, not
# the plain user) gets a box of their own and a notice in their Maildir.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/postfix.sh"
HERE=$(dirname "$0")
trap 'postfix_stop; cleanup' EXIT

postfix_start
fax_setup --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net
make_pdf "$TMP/one.pdf" 1

req PATCH "/v1/accounts/$ACC_B/security" "$ADMIN_B" '{"received_fax_mail":"safebox"}'
expect_status 200 "an administrator chooses delivery in a SafeBox"
expect_jq '.received_fax_mail == "safebox"' "the setting reads back"

send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered"' "the fax went through the loopback trunk"
wait_inbound "$USER_B" 1
RX=$(jqr '.items[0].id')
expect_jq '.items[0].status == "received" and .items[0].page_count == 1' "the fax is still in the member's inbox"

# The box: the member's, made by the fax service, with the PDF.
req GET /v1/safeboxes "$USER_B"
expect_status 200 "the member lists their SafeBoxes"
expect_jq "[.items[] | select(.subject == \"Fax from $NUM_A to $NUM_B\")] | length == 1" "one box named after the fax"
BOX=$(jqr "[.items[] | select(.subject == \"Fax from $NUM_A to $NUM_B\")][0].id")
req GET "/v1/safeboxes/$BOX" "$USER_B"
expect_status 200 "the member opens the box"
expect_jq ".owner_id == \"$USER_ID_B\" and .participants == [] and .status == \"open\"" "it is the member's, shared with nobody"
expect_jq ".files | length == 1 and .[0].filename == \"$RX.pdf\" and .[0].content_type == \"application/pdf\" and .[0].size > 100" "it holds the fax as a PDF"
FILE=$(jqr '.files[0].id')
expect_jq "[.events[] | select(.actor.id == \"system:faxsvc\") | .type] == [\"create\", \"file.upload\"] or [.events[] | select(.actor.id == \"system:faxsvc\") | .type] == [\"file.upload\", \"create\"]" "its events: made and filled by the fax service"
expect_jq "all(.events[] | select(.actor.id == \"system:faxsvc\"); .detail.fax_id == \"$RX\")" "each names the fax"
curl -s -o "$TMP/box.pdf" -w '%{http_code}' -H "Authorization: Bearer $USER_B" "$BASE/v1/safeboxes/$BOX/files/$FILE" >"$TMP/st"
[ "$(cat "$TMP/st")" = 200 ] && head -c 5 "$TMP/box.pdf" | grep -q '%PDF-' && ok || fail "the file downloads as a PDF: $(cat "$TMP/st")"
[ "$(pdfinfo "$TMP/box.pdf" 2>/dev/null | sed -n 's/^Pages: *//p')" = 1 ] && ok || fail "the PDF has the fax's one page"
req GET "/v1/accounts/$ACC_B/audit-events?action=safebox.create" "$ADMIN_B"
expect_jq "[.items[] | select(.target == \"$BOX\" and .actor.id == \"system:faxsvc\" and .detail.fax_id == \"$RX\")] | length == 1" "the audit chain shows the box made from the fax"
req GET "/v1/safeboxes/$BOX" "$USER_A"
expect_status 404 "another account does not see the box"

# The mail: a notice naming the box, without the fax.
if poll_until 120 mail_naming "$BOX"; then ok; else fail "no notice mail arrived"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail ".subject == \"New fax on $NUM_B, in a SafeBox\" and .to_addr == \"user@b-fax.example\"" "the notice's subject"
check_mail '(.attachments | length == 0) and .type == "multipart/alternative"' "no attachment"
check_mail ".text | contains(\"$BOX\") and contains(\"$RX\") and contains(\"https://fax.example.net\")" "it names the box, the fax and the portal"
req GET "/v1/accounts/$ACC_B/audit-events?action=fax.document.mailed" "$ADMIN_B"
expect_jq '.items | length == 0' "the document did not leave by mail"

# In French: the box and the notice.
req PATCH /v1/me "$USER_B" '{"lang":"fr"}'
expect_status 200 "the member switches to French"
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
wait_fax "$USER_A" "$FAX"
wait_inbound "$USER_B" 2
RX2=$(jqr '.items[0].id')
req GET /v1/safeboxes "$USER_B"
expect_jq "[.items[] | select(.subject == \"Fax de $NUM_A pour $NUM_B\")] | length == 1" "a French box name"
BOX2=$(jqr "[.items[] | select(.subject == \"Fax de $NUM_A pour $NUM_B\")][0].id")
if poll_until 120 mail_naming "$BOX2"; then ok; else fail "no French notice arrived"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail ".subject == \"Nouveau fax sur $NUM_B, dans une SafeBox\" and (.text | contains(\"$RX2\"))" "a French notice"

# Back to attachments: the next fax is attached again, no box is made.
req PATCH "/v1/accounts/$ACC_B/security" "$ADMIN_B" '{"received_fax_mail":"attachment"}'
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
wait_fax "$USER_A" "$FAX"
wait_inbound "$USER_B" 3
req GET /v1/safeboxes "$USER_B"
expect_jq '.items | length == 2' "no box for a fax mailed as an attachment"

# --- The shared inbox: B's number routed to it. Without
# shared_inbox_safebox (off by default) its faxes make no box.
req PATCH "/v1/accounts/$ACC_B/numbers/$NUM_B" "$ADMIN_B" '{"route_to":"shared"}'
expect_status 200 "B's number now rings the shared inbox"
req PATCH "/v1/accounts/$ACC_B/security" "$ADMIN_B" '{"received_fax_mail":"safebox"}'
expect_jq '.received_fax_mail == "safebox" and .shared_inbox_safebox == false' "the shared inbox's delivery is off by default"
ADMIN_ID_B=$(curl -s "$BASE/v1/me" -H "Authorization: Bearer $ADMIN_B" | jq -r .id)
OWNER_ID_B=$(curl -s "$BASE/v1/me" -H "Authorization: Bearer $OWNER_B" | jq -r .id)
fax_boxes() { # fax_boxes OWNER_ID: boxes of that member named after a fax to B
	req GET /v1/safeboxes "$ADMIN_B"
	jqr "[.items[] | select(.owner_id == \"$1\" and (.subject == \"Fax from $NUM_A to $NUM_B\" or .subject == \"Fax de $NUM_A pour $NUM_B\"))] | length"
}
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
wait_fax "$USER_A" "$FAX"
wait_inbound "$ADMIN_B" 4
[ "$(fax_boxes "$ADMIN_ID_B")" = 0 ] && [ "$(fax_boxes "$OWNER_ID_B")" = 0 ] && [ "$(fax_boxes "$USER_ID_B")" = 2 ] && ok ||
	fail "a fax of the shared inbox made a box while the setting is off"
req PATCH "/v1/accounts/$ACC_B/security" "$USER_B" '{"shared_inbox_safebox":true}'
expect_status 403 "a plain user cannot turn it on"
req PATCH "/v1/accounts/$ACC_B/security" "$ADMIN_B" '{"shared_inbox_safebox":"yes"}'
expect_status 422 "a boolean only"
req PATCH "/v1/accounts/$ACC_B/security" "$ADMIN_B" '{"shared_inbox_safebox":true}'
expect_status 200 "an administrator turns the shared inbox's delivery on"
expect_jq '.shared_inbox_safebox == true' "the setting reads back"
req GET "/v1/accounts/$ACC_B/audit-events?action=security.update" "$ADMIN_B"
expect_jq '.items[0].actor.id == "'"$ADMIN_ID_B"'"' "the change is audited"

# --- Now a box for each reader of the shared inbox (owner and admin, who
# hold data.read), none for the plain user; each reader mailed a notice.
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
wait_fax "$USER_A" "$FAX"
wait_inbound "$ADMIN_B" 5
RX5=$(jqr '.items[0].id')
req GET "/v1/faxes/$RX5" "$ADMIN_B"
expect_jq '.user_id == null and .status == "received"' "the fax is in the shared inbox"
[ "$(fax_boxes "$ADMIN_ID_B")" = 1 ] && [ "$(fax_boxes "$OWNER_ID_B")" = 1 ] && ok ||
	fail "each reader of the shared inbox has one box: admin $(fax_boxes "$ADMIN_ID_B"), owner $(fax_boxes "$OWNER_ID_B")"
[ "$(fax_boxes "$USER_ID_B")" = 2 ] && ok || fail "the plain user (no data.read) got a box"
req GET /v1/safeboxes "$ADMIN_B"
ABOX=$(jqr "[.items[] | select(.owner_id == \"$ADMIN_ID_B\")][0].id")
OBOX=$(jqr "[.items[] | select(.owner_id == \"$OWNER_ID_B\")][0].id")
req GET "/v1/safeboxes/$ABOX" "$ADMIN_B"
expect_jq ".files | length == 1 and .[0].filename == \"$RX5.pdf\" and .[0].content_type == \"application/pdf\"" "the admin's box holds the fax as a PDF"
expect_jq ".participants == [] and ([.events[] | select(.actor.id == \"system:faxsvc\" and .detail.fax_id == \"$RX5\")] | length) == 2" "made and filled by the fax service, shared with nobody"
req GET "/v1/safeboxes/$ABOX" "$USER_B"
expect_status 404 "the plain user does not see it"
req GET "/v1/safeboxes/$ABOX" "$USER_A"
expect_status 404 "nor does another account"
req GET "/v1/accounts/$ACC_B/audit-events?action=fax.receive" "$ADMIN_B"
expect_jq "[.items[] | select(.target == \"$RX5\" and .detail.shared_inbox_safeboxes == 2)] | length == 1" "the fax's reception counts the boxes"
req GET "/v1/accounts/$ACC_B/audit-events?action=safebox.create" "$ADMIN_B"
expect_jq "[.items[] | select((.target == \"$ABOX\" or .target == \"$OBOX\") and .actor.id == \"system:faxsvc\")] | length == 2" "each box's making is audited"
if poll_until 120 mail_naming "$ABOX"; then ok; else fail "no notice mail for the admin's box"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail ".subject == \"New fax on $NUM_B, in a SafeBox\" and .to_addr == \"admin@b-fax.example\" and (.attachments | length == 0) and (.text | contains(\"$ABOX\"))" "the admin's notice names their box, without the fax"
if poll_until 120 mail_naming "$OBOX"; then ok; else fail "no notice mail for the owner's box"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail ".to_addr == \"owner@b-fax.example\" and (.text | contains(\"$RX5\"))" "the owner's notice"

stop_daemon || fail "daemon did not stop cleanly"
finish
