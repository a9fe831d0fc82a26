#!/usr/bin/env bash
# Postpaid invoices past their due date, through the real faxvaultd, the
# loopback trunk and a private Postfix (docs/billing.md, "Unpaid invoices"),
# on SQLite and (integ_mail_invoices_pg) on PostgreSQL.
# A postpaid account B whose invoices are in French and an account C that
# pays in USD send faxes in a month; the service is down when that month
# ends and through the next one: at its start the billing pass catches up
# and issues the missed month's invoices, once each, numbered 1 and 2, each
# at its CDRs' cost in its currency. The invoice reaches B's billing contact (not the owner) by mail in
# French with its PDF attached, which pdftotext reads. With the injected
# clock: the reminder before the due date, the overdue notice at it and the
# suspension of sending past billing.suspend_after_days each go out once
# (mailed, audited). Suspended, B's submissions get 402
# account-suspended-nonpayment (in French too) and its scheduled fax is not
# dialled, while a fax to B's number still lands in its inbox and can be
# downloaded; that fax uses up the credit of the prepaid sender A, whose
# next fax is refused (402 insufficient-credit, price and balance). A
# payment by an operator ends the suspension (mailed, audited): B sends
# again and the scheduled fax goes out.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/postfix.sh"
trap 'postfix_stop; cleanup' EXIT

postfix_start
FLAGS=(--set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100
	--set fax.trunk_keepalive_seconds=0 --set mail.relay="smtp://127.0.0.1:$PF_PORT"
	--set mail.from=noreply@fax.example.net --set mail.web_url=https://fax.example.net
	--set billing.invoice_due_days=10 --set billing.reminder_before_days=3
	--set billing.suspend_after_days=5)
fax_setup --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net --set billing.invoice_due_days=10 \
	--set billing.reminder_before_days=3 --set billing.suspend_after_days=5
make_pdf "$TMP/one.pdf" 1
make_pdf "$TMP/make3.pdf" 3
req POST "/v1/accounts/$ACC_B/users" "$OWNER_B" '{"email":"billing@b-fax.example","name":"Billing B","role":"billing"}'
expect_status 201 "B's billing contact"
accept "$(jqr .invitation.token)" "ledger-quill-abacus-31"
req PUT "/v1/provider/accounts/$ACC_B/plan" "$OP" '{"kind":"postpaid","invoice_lang":"fr"}'
expect_status 200 "B is postpaid, invoices in French"
# C pays in US dollars at the USD rate table: its invoice reconciles in its
# own currency.
req PUT /v1/provider/rates "$OP" '{"currency":"USD","rates":[{"prefix":"+1555","price_per_page":11}]}'
expect_status 200 "a USD rate table"
account "Charlie Co" C
req PATCH "/v1/accounts/$ACC_C" "$OP" '{"currency":"USD"}'
expect_jq '.currency == "USD"' "C pays in USD"
req POST "/v1/accounts/$ACC_C/numbers" "$ADMIN_C" '{"country":"US","area_code":"555"}'
expect_status 201 "C requests a number"
req PUT "/v1/provider/accounts/$ACC_A/plan" "$OP" '{"kind":"prepaid"}'
# A is prepaid with credit for exactly one page to B's number (5 per page):
# it runs out with its fax to B below.
req POST "/v1/provider/accounts/$ACC_A/credits" "$OP" '{"amount_minor":5,"reason":"top-up"}'
expect_status 201 "A is prepaid and topped up"

# set_clock EPOCH_SECONDS: the daemon's clock at that instant.
set_clock() { echo $(( ($1 - $(date +%s)) * 1000 )) >"$CLOCK"; }
month_start() { date -u -d "$(date -u -d "@$(clock_seconds)" +%Y-%m-01) +$1 month" +%s; }
relogin() {
	OP=$(operator_token)
	OWNER_B=$(login owner@b-fax.example copper-kettle-lantern-42)
	USER_B=$(login user@b-fax.example meadow-violin-otter-55)
	USER_A=$(login user@a-fax.example meadow-violin-otter-55)
}
mails() { db_query "SELECT count(*) FROM mail_outbox WHERE kind='$1' AND account_id='$ACC_B'"; }
mails_are() { [ "$(mails "$1")" = "$2" ]; }
# delivered KIND: the mail of that kind (the first) is in the Maildir; its path in MAIL.
delivered() {
	local id
	id=$(db_query "SELECT id FROM mail_outbox WHERE kind='$1' AND account_id='$ACC_B' ORDER BY created_at LIMIT 1")
	[ -n "$id" ] || return 1
	MAIL=$(grep -l -i "^Message-ID: <$id@" "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/* 2>/dev/null | head -n 1)
	[ -n "$MAIL" ]
}
audited() { # audited ACTION -> how many such events of B
	req GET "/v1/accounts/$ACC_B/audit-events?action=$1" "$OWNER_B"
	jqr '.items | length'
}

# ---- a month of traffic, then the service is down past two month ends ----
set_clock $(( $(month_start 1) + 600 ))
relogin
M1=$(date -u -d "@$(clock_seconds)" +%Y-%m)
send_fax "$USER_B" "$NUM_A" "$TMP/one.pdf"
wait_fax "$USER_B" "$FAX"
expect_jq '.status == "delivered"' "B's fax of the month delivered"
OWNER_C=$(login owner@c-fax.example copper-kettle-lantern-42)
USER_C=$(login user@c-fax.example meadow-violin-otter-55)
send_fax "$USER_C" "$NUM_A" "$TMP/make3.pdf"
wait_fax "$USER_C" "$FAX"
expect_jq '.status == "delivered" and .currency == "USD"' "C's fax of the month delivered, in USD"
req GET "/v1/accounts/$ACC_C/cdrs" "$OWNER_C"
COST_C=$(jqr '[.items[] | select(.direction == "outbound") | .cost] | add')
req GET "/v1/accounts/$ACC_B/cdrs" "$OWNER_B"
COST=$(jqr '[.items[] | select(.direction == "outbound") | .cost] | add')
stop_daemon || fail "the daemon did not stop cleanly"
set_clock $(( $(month_start 2) + 3600 ))
launch_daemon "${FLAGS[@]}"
relogin
issued() {
	req GET "/v1/accounts/$ACC_B/invoices" "$OWNER_B"
	[ "$(jqr '.items | length')" -ge 1 ] 2>/dev/null
}
poll_until 300 issued || fail "the missed month was not invoiced: $BODY"
expect_jq "(.items | length) == 1 and .items[0].period == \"$M1\" and .items[0].total_minor == $COST and .items[0].lang == \"fr\" and .items[0].status == \"issued\"" "the missed month invoiced once, at the CDRs' cost"
INV=$(jqr '.items[0].id'); NUMBER=$(jqr '.items[0].number')
OWNER_C=$(login owner@c-fax.example copper-kettle-lantern-42)
req GET "/v1/accounts/$ACC_C/invoices" "$OWNER_C"
expect_jq "(.items | length) == 1 and .items[0].currency == \"USD\" and .items[0].total_minor == $COST_C and .items[0].total_minor == 33 and .items[0].lang == \"en\"" "C's invoice in USD: 3 pages at 0.11, its CDRs' cost"
NUMBER_C=$(jqr '.items[0].number')
[ "$(printf '%s\n' "$NUMBER" "$NUMBER_C" | sort -n | tr '\n' ' ')" = "1 2 " ] && ok || fail "the catch-up numbers B and C 1 and 2: $NUMBER $NUMBER_C"
[ "$(db_query "SELECT count(*) FROM mail_outbox WHERE kind='invoice_issued' AND account_id='$ACC_C' AND lang='en'")" = 1 ] &&
	ok || fail "C's invoice mailed in English to its owner (no billing contact)"
ISSUED=$(jqr '.items[0].issued_at | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601')
DUE=$(jqr '.items[0].due_at | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601')
[ $((DUE - ISSUED)) -ge $((10 * 86400 - 1)) ] && [ $((DUE - ISSUED)) -le $((10 * 86400 + 1)) ] && ok ||
	fail "due 10 days after issue (billing.invoice_due_days): $ISSUED $DUE"

# ---- the invoice by mail, in French, its PDF attached ----
if poll_until 120 delivered invoice_issued; then ok; else fail "no invoice mail arrived"; fi
PARSED=$(python3 "$(dirname "$0")/mailpart.py" "$MAIL")
printf '%s' "$PARSED" | jq -e ".subject == \"Facture n° $NUMBER pour Bravo Law\" and .lang == \"fr\" and (.attachments | length == 1) and .attachments[0].type == \"application/pdf\" and .attachments[0].filename == \"invoice-$NUMBER.pdf\" and .attachments[0].pdf" >/dev/null &&
	ok || fail "the French invoice mail with its PDF: ${PARSED:0:600}"
printf '%s' "$PARSED" | jq -e '.text | contains("Montant dû") and contains("https://fax.example.net")' >/dev/null &&
	ok || fail "the French text names the amount due and the portal"
python3 - "$MAIL" "$TMP/inv.pdf" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
for p in m.walk():
    if p.get_content_disposition() == 'attachment':
        open(sys.argv[2], 'wb').write(p.get_payload(decode=True))
EOF
TEXT=$(pdftotext -layout "$TMP/inv.pdf" - 2>/dev/null)
case "$TEXT" in *"Facture n° $NUMBER"*"Date d'échéance"*"Reste à payer"*) ok ;; *) fail "pdftotext: ${TEXT:0:400}" ;; esac
[ "$(grep -l -i '^To:.*owner@b-fax.example' "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/* 2>/dev/null | xargs -r grep -l 'Facture' | wc -l)" = 0 ] &&
	ok || fail "the owner got the invoice although B has a billing contact"
[ "$(mails invoice_issued)" = 1 ] && ok || fail "one invoice mail queued: $(mails invoice_issued)"
req GET "/v1/accounts/$ACC_B/audit-events?action=billing.invoice.issue" "$OWNER_B"
expect_jq '.items[0].actor.id == "system:billing" and .items[0].detail.contacts == 1 and .items[0].detail.mailed == true' "the issue audited with its mail"

# ---- the reminder before the due date, once ----
set_clock $((DUE - 2 * 86400))
relogin
poll_until 120 mails_are invoice_reminder 1 || fail "no reminder before the due date"
if poll_until 120 delivered invoice_reminder; then ok; else fail "the reminder did not arrive"; fi
PARSED=$(python3 "$(dirname "$0")/mailpart.py" "$MAIL")
printf '%s' "$PARSED" | jq -e ".subject | startswith(\"La facture n° $NUMBER est à payer le\")" >/dev/null &&
	ok || fail "the French reminder: ${PARSED:0:300}"
req GET "/v1/accounts/$ACC_B/invoices/$INV" "$OWNER_B"
expect_jq '.status == "issued"' "not overdue before its due date"
set_clock $((DUE - 86400))
relogin
send_fax "$USER_B" "$NUM_A" "$TMP/one.pdf"
expect_status 202 "B sends before the due date"
wait_fax "$USER_B" "$FAX"
[ "$(mails invoice_reminder)" = 1 ] && ok || fail "the reminder went out more than once"
[ "$(audited billing.invoice.reminder)" = 1 ] && ok || fail "the reminder audited once"

# ---- overdue at the due date: a notice naming the day of suspension ----
set_clock $((DUE + 3600))
relogin
poll_until 120 mails_are invoice_overdue 1 || fail "no overdue notice"
req GET "/v1/accounts/$ACC_B/invoices/$INV" "$OWNER_B"
expect_jq '.status == "overdue"' "overdue past its due date"
req GET "/v1/accounts/$ACC_B/invoices" "$USER_B"
expect_status 403 "a user cannot read invoices"
SUSP_FR=$(date -u -d "@$((DUE + 5 * 86400))" +%d/%m/%Y)
db_query "SELECT params FROM mail_outbox WHERE kind='invoice_overdue' AND account_id='$ACC_B'" | jq -e ".policy_fr | contains(\"$SUSP_FR\")" >/dev/null &&
	ok || fail "the overdue notice names the day of suspension ($SUSP_FR)"
# A fax scheduled for after the suspension.
SEND_AT=$(date -u -d "@$((DUE + 7 * 86400))" +%Y-%m-%dT%H:%M:%SZ)
send_fax "$USER_B" "$NUM_A" "$TMP/one.pdf" -F "send_at=$SEND_AT"
expect_status 202 "B schedules a fax while overdue (not suspended yet)"
SCHEDULED=$FAX

# ---- suspended past billing.suspend_after_days ----
set_clock $((DUE + 6 * 86400))
relogin
poll_until 120 mails_are billing_suspended 1 || fail "no suspension notice"
[ "$(audited billing.suspend)" = 1 ] && ok || fail "the suspension audited"
if poll_until 120 delivered billing_suspended; then ok; else fail "the suspension notice did not arrive"; fi
PARSED=$(python3 "$(dirname "$0")/mailpart.py" "$MAIL")
printf '%s' "$PARSED" | jq -e '.subject == "Envoi de fax suspendu pour Bravo Law" and .to_addr == "billing@b-fax.example" and (.text | contains("La réception et la lecture des fax continuent"))' >/dev/null &&
	ok || fail "the French suspension notice: ${PARSED:0:300}"
send_fax "$USER_B" "$NUM_A" "$TMP/one.pdf"
expect_problem 402 account-suspended-nonpayment "a suspended account cannot send"
expect_jq ".detail | contains(\"invoice $NUMBER\")" "the problem names the invoice"
req POST /v1/faxes "$USER_B" "" -F "file=@$TMP/one.pdf" -F "to=$NUM_A" -H 'Accept-Language: fr'
expect_jq '.title == "L'"'"'envoi est suspendu pour une facture impayée" and (.detail | contains("facture"))' "the problem in French"
req GET /v1/provider/overdue-invoices "$OP"
expect_jq "(.items | length) == 2 and ([.items[] | select(.id == \"$INV\" and .account_id == \"$ACC_B\" and .suspended_at != null)] | length) == 1" "operators list the overdue invoices (B's and C's), B suspended"
req GET "/v1/accounts/$ACC_B/invoices" "$OP"
expect_jq "(.items | length) == 1 and .items[0].status == \"overdue\"" "operators read the account's invoices"
req GET /v1/provider/overdue-invoices "$OWNER_B"
expect_status 403 "an owner cannot list the provider's overdue invoices"
# Receiving and data access go on.
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
expect_status 202 "A faxes B"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered"' "the fax to the suspended account is delivered"
# A's credit is used up by that fax: its next one is refused with the price
# and the balance.
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
expect_problem 402 insufficient-credit "prepaid A ran out of credit"
expect_jq '(.detail | contains("costs 0.05 EUR")) and (.detail | contains("balance is 0.00 EUR"))' "the problem names the price and the balance"
wait_inbound "$USER_B" 1
RX=$(jqr '.items[0].id')
curl -s -o "$TMP/rx.pdf" -H "Authorization: Bearer $USER_B" "$BASE/v1/faxes/$RX/document"
[ "$(head -c 5 "$TMP/rx.pdf")" = "%PDF-" ] && ok || fail "the received fax cannot be downloaded"
# The scheduled fax is not dialled while suspended.
set_clock $((DUE + 8 * 86400))
relogin
sleep 3
req GET "/v1/faxes/$SCHEDULED" "$USER_B"
expect_jq '.status == "queued"' "the scheduled fax waits while suspended"
[ "$(mails billing_suspended)" = 1 ] && [ "$(mails invoice_overdue)" = 1 ] && ok ||
	fail "a notice went out twice"

# ---- a payment by an operator ends the suspension ----
req GET "/v1/accounts/$ACC_B/invoices/$INV" "$OWNER_B"
LEFT=$(jqr .due_minor)
req POST "/v1/provider/accounts/$ACC_B/invoices/$INV/payments" "$OP" "{\"amount_minor\":$LEFT,\"reference\":\"bank transfer 2\"}"
expect_status 201 "the operator records the payment"
expect_jq '.invoice.status == "paid"' "paid"
[ "$(mails billing_reactivated)" = 1 ] && ok || fail "the reactivation mailed in the payment's transaction"
req GET "/v1/accounts/$ACC_B/audit-events?action=billing.reactivate" "$OWNER_B"
expect_jq '(.items | length) == 1 and .items[0].actor.id != "system:billing"' "the reactivation audited with the operator as actor"
if poll_until 120 delivered billing_reactivated; then ok; else fail "the reactivation notice did not arrive"; fi
PARSED=$(python3 "$(dirname "$0")/mailpart.py" "$MAIL")
printf '%s' "$PARSED" | jq -e '.subject == "Envoi de fax rétabli pour Bravo Law"' >/dev/null &&
	ok || fail "the French reactivation notice: ${PARSED:0:300}"
# The operator's view: the overdue list is empty again.
req GET /v1/provider/overdue-invoices "$OP"
expect_jq "(.items | length) == 1 and .items[0].account_id == \"$ACC_C\"" "B's invoice is no longer overdue"
wait_fax "$USER_B" "$SCHEDULED"
expect_jq '.status == "delivered"' "the scheduled fax goes out once paid"
send_fax "$USER_B" "$NUM_A" "$TMP/one.pdf"
expect_status 202 "B sends again"
grep -q 'event=billing.suspended' "$LOG" && ok || fail "the suspension is not in the log"

# ---- the command line: faxvault invoices list|show|pdf|overdue ----
fv() { # fv TOKEN ARGS...: the CLI as that person; output in $OUT
	local tok=$1
	shift
	HOME=$TMP FAXVAULT_URL=$BASE FAXVAULT_TOKEN=$tok LC_ALL=C timeout 120 "$FAXVAULT_CLI" "$@" >"$TMP/out" 2>"$TMP/err"
}
if [ -x "${FAXVAULT_CLI:-}" ]; then
	OWNER_B=$(login owner@b-fax.example copper-kettle-lantern-42)
	fv "$OWNER_B" --json invoices list && jq -e ".items[0].id == \"$INV\" and .items[0].status == \"paid\"" "$TMP/out" >/dev/null &&
		ok || fail "faxvault invoices list: $(cat "$TMP/out" "$TMP/err")"
	fv "$OWNER_B" invoices show "$INV" && grep -q "paid" "$TMP/out" && grep -q "$M1" "$TMP/out" &&
		ok || fail "faxvault invoices show: $(cat "$TMP/out" "$TMP/err")"
	fv "$OWNER_B" invoices pdf "$INV" --pdf-lang en --output "$TMP/cli.pdf" && [ "$(head -c 5 "$TMP/cli.pdf")" = "%PDF-" ] &&
		pdftotext "$TMP/cli.pdf" - | grep -q "Amount due" && ok || fail "faxvault invoices pdf: $(cat "$TMP/err")"
	fv "$OWNER_B" invoices pdf "$INV" --output "$TMP/cli.pdf"
	[ $? = 1 ] && ok || fail "an existing file is kept without --force"
	fv "$OP" --json invoices overdue && jq -e "(.items | length) == 1 and .items[0].account_id == \"$ACC_C\"" "$TMP/out" >/dev/null &&
		ok || fail "faxvault invoices overdue: $(cat "$TMP/out" "$TMP/err")"
	fv "$OWNER_B" invoices overdue
	[ $? != 0 ] && ok || fail "an owner lists the provider's overdue invoices"
else
	fail "FAXVAULT_CLI is not set"
fi

stop_daemon || fail "daemon did not stop cleanly"
finish
