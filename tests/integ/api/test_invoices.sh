#!/bin/bash
# Postpaid invoices through the real faxvaultd (docs/billing.md): faxes over
# the loopback trunk in one month; at the month boundary of the test clock
# the service's billing pass invoices each postpaid account (a prepaid one
# is not invoiced). Reconciliation: an invoice's total is the sum of the
# costs of the account's CDRs of the month to the minor unit, less the
# plan's included pages. The numbers have no gap, also under two operator
# runs racing the service's pass; an operator run of a month not ended is
# refused. The PDF, extracted with pdftotext, shows the totals, in French
# with the French labels. A kill in the middle of a run (the test hook
# testing.invoice_crash_at) leaves each invoice whole or absent, and the
# next start finishes the run without a gap. Who may read. Payments by an
# operator (partial, then the rest; beyond what is due refused); the payment
# provider's signed webhook (a test double signing with openssl): forged,
# wrongly keyed, altered, old, unsigned and replayed events refused with
# nothing recorded, a good one recorded once. Audit events.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The payment provider's webhook secret (Standard Webhooks: whsec_ and base64).
SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
printf '%s\n' "$SECRET" >"$TMP/whsec"
chmod 600 "$TMP/whsec"
SPEED="--set testing.media_clock_speed=10 --set fax.poll_ms=100 --set billing.payment_webhook_provider=paytest --set billing.payment_webhook_secret_file=$TMP/whsec"
# shellcheck disable=SC2086
start_daemon $SPEED
PW="plume encre buvard 1789"
OP=$(operator_token)
DB="$DATA/faxvault.db"

req PUT /v1/provider/rates "$OP" '{"currency":"EUR","rates":[{"prefix":"+1555","price_per_page":7}]}'
expect_status 200 "rates"
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+15555550401","+15555550402","+15555550403","+15555550404"]}'
expect_status 201 "loopback numbers"

# mk_account NAME EMAIL: an account whose owner is logged in; sets ACC_ID, TOK, NUM.
mk_account() {
	req POST /v1/accounts "$OP" "{\"name\":\"$1\",\"owner\":{\"email\":\"$2\",\"name\":\"O\"}}"
	expect_status 201 "account $1"
	ACC_ID=$(jqr .id)
	accept "$(jqr .owner_invitation.token)" "$PW"
	TOK=$(login "$2" "$PW")
	req POST "/v1/accounts/$ACC_ID/numbers" "$TOK" '{"country":"US","area_code":"555"}'
	expect_status 201 "a number for $1"
	NUM=$(jqr .number)
}
mk_account "Cabinet A" owner@a.example
A=$ACC_ID; NUM_A=$NUM
mk_account "Cabinet C" owner@c.example
C=$ACC_ID; NUM_C=$NUM
mk_account "Prepaid P" owner@p.example
P=$ACC_ID; NUM_P=$NUM
relogin() {
	OP=$(operator_token)
	TA=$(login owner@a.example "$PW")
	TC=$(login owner@c.example "$PW")
	TP=$(login owner@p.example "$PW")
}
relogin
req POST "/v1/accounts/$A/users" "$TA" '{"email":"u@a.example","name":"U","role":"user"}'
accept "$(jqr .invitation.token)" "$PW"
req PUT "/v1/provider/accounts/$C/plan" "$OP" '{"kind":"postpaid","included_pages":2,"invoice_lang":"fr"}'
expect_jq '.invoice_lang == "fr" and .included_pages == 2' "C: 2 pages included, invoices in French"
req PUT "/v1/provider/accounts/$C/plan" "$OP" '{"kind":"postpaid","invoice_lang":"de"}'
expect_problem 422 validation-failed "an invoice language other than en or fr"
req PUT "/v1/provider/accounts/$P/plan" "$OP" '{"kind":"prepaid"}'
req POST "/v1/provider/accounts/$P/credits" "$OP" '{"amount_minor":1000,"reason":"bank transfer"}'
expect_status 201 "P topped up"

printf 'Page one\n' >"$TMP/one.txt"
printf 'Page one\fPage two\fPage three\n' >"$TMP/three.txt"
# send TOKEN TO FILE: submits a fax and waits until it ends delivered.
send() {
	req POST /v1/faxes "$1" "" -F "file=@$3" -F "to=$2"
	expect_status 202 "fax submitted"
	local id tok=$1
	id=$(jqr '.items[0].id')
	done_() {
		req GET "/v1/faxes/$id" "$tok"
		case "$(jqr .status)" in delivered|partial|failed|cancelled) return 0 ;; esac
		return 1
	}
	poll_until 600 done_ || fail "fax $id did not end"
	expect_jq '.status == "delivered"' "fax $id delivered"
}
# cdr_sum ACCOUNT TOKEN START END: the sum of the costs of the account's
# outbound CDRs that ended in [START, END) (RFC 3339).
cdr_sum() {
	req GET "/v1/accounts/$1/cdrs?limit=200" "$2"
	jqr "[.items[] | select(.direction == \"outbound\" and .ended_at >= \"$3\" and .ended_at < \"$4\") | .cost] | add // 0"
}
# month_start OFFSET: the first instant (RFC 3339) of the month OFFSET months
# after the daemon's current one.
month_start() { date -u -d "$(date -u -d "@$(clock_seconds)" +%Y-%m-01) +$1 month" +%Y-%m-%dT00:00:00Z; }
# next_month: moves the daemon's clock to 10 minutes into the next month.
next_month() {
	local t
	t=$(date -u -d "$(month_start 1)" +%s)
	echo $(( (t + 600 - $(date +%s)) * 1000 )) >"$CLOCK"
	curl -s -o /dev/null "$BASE/healthz"
	curl -s -o /dev/null "$BASE/v1/me"
}
# Months cross at the daemon's clock: the traffic starts at a month's start.
next_month
relogin
M1=$(month_start 0); M2=$(month_start 1)

# ---- month 1: A sends 3 pages, C 3 pages (2 included), P (prepaid) 1 page ----
send "$TA" "$NUM_C" "$TMP/three.txt"
send "$TC" "$NUM_A" "$TMP/three.txt"
send "$TP" "$NUM_A" "$TMP/one.txt"
SUM_A=$(cdr_sum "$A" "$TA" "$M1" "$M2")
SUM_C=$(cdr_sum "$C" "$TC" "$M1" "$M2")
[ "$SUM_A" = 21 ] && [ "$SUM_C" = 21 ] && ok || fail "CDR costs: A $SUM_A (21), C $SUM_C (21)"
PERIOD1=${M1:0:7}
req POST /v1/provider/invoice-runs "$OP" "{\"period\":\"$PERIOD1\"}"
expect_problem 409 invalid-state "a run of a month that has not ended"
req POST /v1/provider/invoice-runs "$OP" '{"period":"2026-13"}'
expect_problem 422 validation-failed "not a month"
req POST /v1/provider/invoice-runs "$TA" "{\"period\":\"$PERIOD1\"}"
expect_problem 403 forbidden "an owner cannot run invoices"

# ---- the month ends: the service's pass invoices A and C ----
next_month
relogin
invoiced() {
	curl -s -o /dev/null "$BASE/v1/me"
	req GET "/v1/accounts/$C/invoices" "$TC"
	[ "$(jqr '.items | length')" = 1 ] || return 1
	req GET "/v1/accounts/$A/invoices" "$TA"
	[ "$(jqr '.items | length')" = 1 ]
}
poll_until 300 invoiced || fail "the month's invoices were not issued: $BODY"
expect_jq ".items[0].total_minor == $SUM_A and .items[0].subtotal_minor == $SUM_A and .items[0].pages == 3 and .items[0].currency == \"EUR\" and .items[0].status == \"issued\" and .items[0].period == \"$PERIOD1\"" "A: the total is the sum of its CDRs' costs"
INV_A=$(jqr '.items[0].id'); NUM1_A=$(jqr '.items[0].number')
expect_jq '[.items[0].due_at, .items[0].issued_at] | map(sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) | .[0] - .[1] | . >= 30 * 86400 - 1 and . <= 30 * 86400 + 1' "due 30 days after issue (billing.invoice_due_days)"
req GET "/v1/accounts/$A/invoices/$INV_A" "$TA"
expect_status 200 "the invoice"
expect_jq '(.lines | length) == 1 and .lines[0].kind == "pages" and .lines[0].pages == 3 and .lines[0].unit_minor == 7 and .lines[0].amount_minor == 21 and (.payments | length) == 0 and .due_minor == 21' "one line: 3 pages at 0.07"
req GET "/v1/accounts/$C/invoices" "$TC"
expect_jq ".items[0].subtotal_minor == $SUM_C and .items[0].included_pages == 2 and .items[0].included_minor == 14 and .items[0].total_minor == $SUM_C - 14 and .items[0].lang == \"fr\"" "C: the CDRs' costs less 2 included pages"
INV_C=$(jqr '.items[0].id'); NUM1_C=$(jqr '.items[0].number')
[ "$(printf '%s\n' "$NUM1_A" "$NUM1_C" | sort -n | tr '\n' ' ')" = "1 2 " ] && ok || fail "numbers 1 and 2: $NUM1_A $NUM1_C"
req GET "/v1/accounts/$P/invoices" "$TP"
expect_jq '(.items | length) == 0' "the prepaid account is not invoiced"
req GET "/v1/accounts/$C/ledger" "$TC"
expect_jq '([.items[] | select(.kind == "credit" and (.reason // "" | startswith("included pages")))] | length == 1) and .items[0].delta_minor == 14' "C: the included pages credited in the ledger"
req GET "/v1/accounts/$C/balance" "$TC"
expect_jq ".balance_minor == -($SUM_C - 14)" "C owes its invoice's total"

# ---- PDF ----
curl -s -o "$TMP/a.pdf" -H "Authorization: Bearer $TA" -H "Accept: application/pdf" "$BASE/v1/accounts/$A/invoices/$INV_A"
head -c 5 "$TMP/a.pdf" | grep -q '%PDF-' && ok || fail "A's invoice as a PDF"
pdftotext -layout "$TMP/a.pdf" "$TMP/a.txt" && ok || fail "pdftotext reads the PDF"
grep -q "Invoice no. $NUM1_A" "$TMP/a.txt" && grep -q 'Total: *0.21 EUR' "$TMP/a.txt" &&
	grep -q 'Cabinet A' "$TMP/a.txt" && grep -q 'Fax pages sent' "$TMP/a.txt" && ok ||
	fail "the English PDF shows the number, the account and the total: $(cat "$TMP/a.txt")"
curl -s -o "$TMP/c.pdf" -H "Authorization: Bearer $TC" -H "Accept: application/pdf" "$BASE/v1/accounts/$C/invoices/$INV_C"
pdftotext -layout "$TMP/c.pdf" "$TMP/c.txt"
grep -q "Facture n° $NUM1_C" "$TMP/c.txt" && grep -q 'Pages incluses' "$TMP/c.txt" &&
	grep -q 'Sous-total' "$TMP/c.txt" && grep -q '0,21 EUR' "$TMP/c.txt" &&
	grep -q 'Total.*0,07 EUR' "$TMP/c.txt" && grep -q "Date d'échéance" "$TMP/c.txt" && ok ||
	fail "the French PDF shows the French labels and the totals: $(cat "$TMP/c.txt")"
curl -s -o "$TMP/c-en.pdf" -H "Authorization: Bearer $TC" -H "Accept: application/pdf" "$BASE/v1/accounts/$C/invoices/$INV_C?lang=en"
pdftotext "$TMP/c-en.pdf" - | grep -q 'Included pages' && ok || fail "?lang=en gives the English PDF"

# ---- who may read ----
TU=$(login u@a.example "$PW")
req GET "/v1/accounts/$A/invoices" "$TU"
expect_problem 403 forbidden "a user cannot read the invoices"
req GET "/v1/accounts/$A/invoices/$INV_C" "$TA"
expect_problem 404 not-found "another account's invoice"
req GET "/v1/accounts/$A/invoices" "$OP"
expect_status 200 "provider operators read an account's invoices"
expect_jq ".items[0].id == \"$INV_A\"" "the operator sees A's invoice"
req GET "/v1/accounts/$A/invoices/$INV_A" "$OP"
expect_jq ".id == \"$INV_A\" and (.lines | length) == 1" "the operator reads it with its lines"

# ---- month 2: a kill in the middle of the service's run, then two
# operator runs racing the pass of the restarted service ----
send "$TA" "$NUM_C" "$TMP/one.txt"
send "$TC" "$NUM_A" "$TMP/three.txt"
PERIOD2=${M2:0:7}
stop_daemon && ok || fail "daemon stop"
# shellcheck disable=SC2086
launch_daemon $SPEED --set testing.invoice_crash_at=2
# The hook kills the service. Its supervisor (faxvaultd) would start it
# again at once, hook and all: it is held (SIGSTOP; the front ends and the
# service run on without it) and killed once the service died, so the data
# is left as a crash of the whole daemon leaves it.
SVC=$(sed -n 's/.*event=supervisor.service_spawned pid=\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$SVC" ] && ok || { fail "no service pid in the log"; finish; exit 1; }
kill -STOP "$DAEMON_PID"
next_month
# dead: gone, or a zombie its held parent has not reaped
killed() { [ ! -e "/proc/$SVC" ] || grep -q '^State:[[:space:]]*Z' "/proc/$SVC/status" 2>/dev/null; }
poll_until 300 killed && ok || fail "the run did not reach its crash"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=""
grep -q 'event=billing.invoice_crash_test' "$LOG" && ok || fail "killed at the test hook"
[ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM invoices")" = 3 ] && ok ||
	fail "the first invoice of the run is whole, the second absent: $(sqlite3 "$DB" "SELECT number FROM invoices")"
WHOLE=$(sqlite3 "$DB" "SELECT COUNT(*) FROM invoices i WHERE i.subtotal_minor != (SELECT COALESCE(SUM(amount_minor), 0) FROM invoice_lines l WHERE l.invoice_id = i.id AND l.kind = 'pages') OR i.subtotal_minor != (SELECT SUM(t.amount_minor) FROM invoice_charges c JOIN ledger_txns t ON t.seq = c.txn_seq WHERE c.invoice_id = i.id)")
[ "$WHOLE" = 0 ] && ok || fail "$WHOLE invoices are not whole"
# shellcheck disable=SC2086
launch_daemon $SPEED
OP=$(operator_token)
RUNS=""
for i in 1 2; do
	curl -s -o "$TMP/run$i" -w '%{http_code}' -H "Authorization: Bearer $OP" -H 'Content-Type: application/json' \
		--data-binary "{\"period\":\"$PERIOD2\"}" "$BASE/v1/provider/invoice-runs" >"$TMP/run$i.code" &
	RUNS="$RUNS $!"
done
# shellcheck disable=SC2086
wait $RUNS
[ "$(cat "$TMP/run1.code")" = 200 ] && [ "$(cat "$TMP/run2.code")" = 200 ] && ok || fail "both runs answer"
four() { curl -s -o /dev/null "$BASE/v1/me"; [ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM invoices")" = 4 ]; }
poll_until 300 four || fail "the restart did not finish the run"
[ "$(sqlite3 "$DB" "SELECT group_concat(number, ',') FROM (SELECT number FROM invoices ORDER BY number)")" = "1,2,3,4" ] &&
	ok || fail "numbers without gap or double: $(sqlite3 "$DB" "SELECT number, account_id FROM invoices")"
[ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM invoices WHERE period_start = (SELECT MAX(period_start) FROM invoices)")" = 2 ] &&
	ok || fail "one invoice per account for month 2"
req POST /v1/provider/invoice-runs "$OP" "{\"period\":\"$PERIOD2\"}"
expect_jq '.issued == 0' "a run again issues nothing"
relogin
req GET "/v1/accounts/$C/invoices?limit=1" "$TC"
expect_jq '.items[0].total_minor == 21 - 14 and (.next_cursor | type == "string")' "month 2 of C: 3 pages less 2 included; paged"

# ---- payments recorded by an operator ----
OP=$(operator_token)
req POST "/v1/provider/accounts/$A/invoices/$INV_A/payments" "$OP" '{"amount_minor":10,"reference":"bank transfer 1"}'
expect_status 201 "a partial payment"
expect_jq '.invoice.paid_minor == 10 and .invoice.status == "issued" and .invoice.due_minor == 11 and .payment.source == "operator" and .payment.amount_minor == 10' "partly paid"
req POST "/v1/provider/accounts/$A/invoices/$INV_A/payments" "$OP" '{"amount_minor":12,"reference":"too much"}'
expect_problem 409 invalid-state "a payment beyond what is due"
expect_jq '.detail | contains("0.11 EUR due")' "the refusal names what is due"
req POST "/v1/provider/accounts/$A/invoices/$INV_A/payments" "$TA" '{"amount_minor":11,"reference":"self-service"}'
expect_problem 403 forbidden "the owner cannot record a payment"
req POST "/v1/provider/accounts/$A/invoices/$INV_A/payments" "$OP" '{"amount_minor":11,"reference":"a\nb"}'
expect_problem 422 validation-failed "a reference on one line"
req POST "/v1/provider/accounts/$C/invoices/$INV_A/payments" "$OP" '{"amount_minor":11,"reference":"wrong account"}'
expect_problem 404 not-found "an invoice of another account"
req POST "/v1/provider/accounts/$A/invoices/$INV_A/payments" "$OP" '{"amount_minor":11,"reference":"bank transfer 2"}'
expect_status 201 "the rest paid"
expect_jq '.invoice.status == "paid" and .invoice.due_minor == 0 and (.invoice.paid_at | type == "string")' "paid"
req POST "/v1/provider/accounts/$A/invoices/$INV_A/payments" "$OP" '{"amount_minor":1,"reference":"again"}'
expect_problem 409 invalid-state "an invoice paid already"
relogin
req GET "/v1/accounts/$A/invoices/$INV_A" "$TA"
expect_jq '(.payments | length) == 2 and ([.payments[].amount_minor] | add) == 21 and .status == "paid"' "the payments on the invoice"
req GET "/v1/accounts/$A/balance" "$TA"
expect_jq '.balance_minor == -7' "A's balance: month 2 (7) still owed"

# ---- a payment provider's webhook; the sender here is a test double that
# signs with openssl as the provider would ----
# sig ID TS BODY [SECRET]: "v1," and the base64 HMAC-SHA256 of ID.TS.BODY.
sig() {
	local key
	key=$(printf '%s' "${4:-$SECRET}" | sed 's/^whsec_//' | base64 -d | od -An -v -tx1 | tr -d ' \n')
	printf 'v1,%s' "$(printf '%s' "$1.$2.$3" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)"
}
# hook PROVIDER ID TS BODY SIGNATURE: sets STATUS, BODY, HEADERS.
hook() {
	STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "webhook-id: $2" -H "webhook-timestamp: $3" -H "webhook-signature: $5" --data-binary "$4" \
		"$BASE/v1/billing/webhooks/$1")
	BODY=$(cat "$TMP/body")
	HEADERS="$TMP/headers"
}
EV="{\"type\":\"payment.succeeded\",\"data\":{\"invoice_id\":\"$INV_C\",\"amount_minor\":7,\"currency\":\"EUR\",\"reference\":\"card 4242\"}}"
NOW=$(clock_seconds)
payments() { sqlite3 "$DB" "SELECT COUNT(*) FROM invoice_payments WHERE invoice_id='$INV_C'"; }
events() { sqlite3 "$DB" "SELECT COUNT(*) FROM payment_webhook_events"; }
hook paytest evt_1 "$NOW" "$EV" "v1,$(printf 'forged' | base64)"
expect_problem 401 invalid-signature "a forged signature"
OTHER="whsec_$(head -c 32 /dev/urandom | base64)"
hook paytest evt_1 "$NOW" "$EV" "$(sig evt_1 "$NOW" "$EV" "$OTHER")"
expect_problem 401 invalid-signature "signed with another key"
hook paytest evt_1 "$NOW" "${EV/4242/4243}" "$(sig evt_1 "$NOW" "$EV")"
expect_problem 401 invalid-signature "a body changed after signing"
OLD=$((NOW - 3600))
hook paytest evt_1 "$OLD" "$EV" "$(sig evt_1 "$OLD" "$EV")"
expect_problem 401 invalid-signature "a timestamp an hour old"
expect_jq '.detail | contains("300 seconds")' "the refusal names the tolerance"
hook paytest evt_1 "$NOW" "$EV" ""
expect_problem 401 invalid-signature "no signature"
hook otherpay evt_1 "$NOW" "$EV" "$(sig evt_1 "$NOW" "$EV")"
expect_problem 404 not-found "an unknown provider"
[ "$(payments)" = 0 ] && [ "$(events)" = 0 ] && ok || fail "nothing recorded from the hostile webhooks"
hook paytest evt_1 "$NOW" "$EV" "v1,$(printf 'stale' | base64) $(sig evt_1 "$NOW" "$EV")"
expect_status 200 "the provider's webhook (the second of two signatures matches)"
expect_jq '.status == "recorded" and .event == "evt_1"' "the payment recorded"
hook paytest evt_1 "$NOW" "$EV" "$(sig evt_1 "$NOW" "$EV")"
expect_problem 409 webhook-replayed "the same event again"
[ "$(payments)" = 1 ] && [ "$(events)" = 1 ] && ok || fail "the replay recorded nothing"
hook paytest evt_2 "$NOW" "$EV" "$(sig evt_2 "$NOW" "$EV")"
expect_problem 409 invalid-state "a second payment of a paid invoice"
[ "$(events)" = 1 ] && ok || fail "a refused event is not kept (the provider may send it again)"
IGN='{"type":"payment.refunded","data":{}}'
hook paytest evt_3 "$NOW" "$IGN" "$(sig evt_3 "$NOW" "$IGN")"
expect_jq '.status == "ignored"' "another event type acknowledged and ignored"
req GET "/v1/accounts/$C/invoices/$INV_C" "$TC"
expect_jq '.status == "paid" and .payments[0].source == "webhook:paytest" and .payments[0].reference == "card 4242"' "C's invoice paid through the webhook"
grep -q -- "${SECRET#whsec_}" "$LOG" && fail "the webhook secret is in the log" || ok
grep -rqa -- "${SECRET#whsec_}" "$DATA" && fail "the webhook secret is in the data directory" || ok

# ---- audit ----
for a in billing.invoice.issue billing.invoice.list billing.invoice.read billing.payment; do
	req GET "/v1/accounts/$A/audit-events?action=$a&limit=5" "$TA"
	expect_jq '(.items | length) >= 1' "audited: $a"
done
req GET "/v1/accounts/$A/audit-events?action=billing.invoice.issue&limit=5" "$TA"
expect_jq '[.items[].actor.id] | index("system:billing") != null' "the service's run is system:billing"
req GET "/v1/accounts/$C/audit-events?action=billing.payment&limit=5" "$TC"
expect_jq '[.items[].actor.id] | index("webhook:paytest") != null' "the webhook's payment by webhook:paytest"
finish
