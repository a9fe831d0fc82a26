#!/usr/bin/env bash
# A received fax delivered as a SafeBox (issue 16): with the account's
# security setting received_fax_mail = safebox, a real fax over the loopback
# trunk to a number routed to a member becomes a SafeBox of that member (made
# by the fax service, not by a request) holding the fax as a one-page PDF
# under its own key; the box's events and the audit chain show who made it
# and from which fax; the member's mail (a real Postfix) is a notice naming
# the box, without the fax; another account does not see the box; the fax
# itself stays in the inbox; a member whose language is French gets a French
# box name and notice.
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

stop_daemon || fail "daemon did not stop cleanly"
finish
