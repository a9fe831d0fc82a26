#!/bin/bash
# Billing through the API of the real faxvaultd: an account's plan, its
# balance and ledger; top-ups, credits and refunds recorded by operators
# with reasons; a real fax over the loopback trunk charged once from its CDR;
# the ledger balanced (every transaction's postings sum to zero) and
# append-only in the database; who may read and who may record; audit events.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon
PW="plume encre buvard 1789"
OP=$(operator_token)

req PUT /v1/provider/rates "$OP" '{"currency":"EUR","rates":[{"prefix":"+1555","price_per_page":7}]}'
expect_status 200 "rates"
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+15555550301","+15555550302"]}'
expect_status 201 "loopback numbers"

req POST /v1/accounts "$OP" '{"name":"Clinique P","owner":{"email":"owner@p.example","name":"Olive"},"billing_contacts":[{"email":"bill@p.example","name":"Bill"}]}'
expect_status 201 "account"
ACC=$(jqr .id)
INV_OWNER=$(jqr .owner_invitation.token)
INV_BILL=$(jqr '.billing_invitations[0].token')
accept "$INV_OWNER" "$PW"
accept "$INV_BILL" "$PW"
OWNER=$(login owner@p.example "$PW")
BILL=$(login bill@p.example "$PW")
req POST "/v1/accounts/$ACC/users" "$OWNER" '{"email":"u@p.example","name":"U","role":"user"}'
expect_status 201 "user"
accept "$(jqr .invitation.token)" "$PW"
USER=$(login u@p.example "$PW")

# ---- plan ----
req GET "/v1/accounts/$ACC/plan" "$BILL"
expect_status 200 "plan read by the billing contact"
expect_jq '.kind == "postpaid" and .included_pages == 0 and .currency == "EUR" and .updated_at == null' "default plan: postpaid"
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"prepaid","low_balance_minor":50}'
expect_status 200 "plan set by the operator"
expect_jq '.kind == "prepaid" and .low_balance_minor == 50 and (.updated_at | type == "string")' "prepaid plan"
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"barter"}'
expect_problem 422 validation-failed "unknown plan kind"
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"prepaid","low_balance_minor":-1}'
expect_problem 422 validation-failed "negative threshold"
req PUT "/v1/provider/accounts/$ACC/plan" "$OWNER" '{"kind":"postpaid"}'
expect_problem 403 forbidden "the owner cannot change the plan"

# ---- balance, top-up, credit, refund ----
req GET "/v1/accounts/$ACC/balance" "$BILL"
expect_status 200 "balance read by the billing contact"
expect_jq '.currency == "EUR" and .balance_minor == 0 and .kind == "prepaid" and .low == true' "empty balance, low"
req GET "/v1/accounts/$ACC/balance" "$USER"
expect_problem 403 forbidden "a user cannot read the balance"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":100,"reason":"bank transfer 2026-12-01"}'
expect_status 201 "top-up"
expect_jq '.balance_minor == 100 and .currency == "EUR" and .transaction.kind == "topup" and .transaction.delta_minor == 100 and .transaction.reason == "bank transfer 2026-12-01"' "top-up recorded"
TOPUP=$(jqr .transaction.id)
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":10,"reason":"goodwill","kind":"credit"}'
expect_jq '.balance_minor == 110 and .transaction.kind == "credit"' "credit adds"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":111,"reason":"closing","kind":"refund"}'
expect_problem 409 invalid-state "a refund larger than the balance"
expect_jq '.detail | contains("110 EUR")' "the refusal names the balance"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":5,"reason":"duplicate payment","kind":"refund"}'
expect_jq '.balance_minor == 105 and .transaction.delta_minor == -5' "refund takes"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":0,"reason":"x"}'
expect_problem 422 validation-failed "zero amount"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":5}'
expect_problem 422 validation-failed "reason required"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":5,"reason":"a\nb"}'
expect_problem 422 validation-failed "reason on one line"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":5.5,"reason":"x"}'
expect_problem 422 validation-failed "fractional amount"
req POST "/v1/provider/accounts/$ACC/credits" "$OWNER" '{"amount_minor":1000,"reason":"free money"}'
expect_problem 403 forbidden "the owner cannot top up"
req POST "/v1/provider/accounts/$ACC/credits" "$BILL" '{"amount_minor":1000,"reason":"free money"}'
expect_problem 403 forbidden "the billing contact cannot top up"

# ---- a real fax, charged once from its CDR ----
req POST "/v1/accounts/$ACC/numbers" "$OWNER" '{"country":"US","area_code":"555"}'
expect_status 201 "first number"
req POST "/v1/accounts/$ACC/numbers" "$OWNER" '{"country":"US","area_code":"555"}'
TO=$(jqr .number)
printf 'Invoice 42\n' >"$TMP/one.txt"
req POST /v1/faxes "$OWNER" "" -F "file=@$TMP/one.txt" -F "to=$TO"
expect_status 202 "fax submitted"
FAX=$(jqr '.items[0].id')
expect_jq '.items[0].estimated_cost == 7' "priced at 7"
fax_done() {
	req GET "/v1/faxes/$FAX" "$OWNER"
	case "$(jqr .status)" in delivered|partial|failed|cancelled) return 0 ;; esac
	return 1
}
poll_until 600 fax_done || fail "the fax did not end"
expect_jq '.status == "delivered" and .cost == 7' "delivered, cost 7"
CDR=$(jqr '.attempts[0].id')
req GET "/v1/accounts/$ACC/balance" "$BILL"
expect_jq '.balance_minor == 98' "charged 7 (105 - 7)"
req GET "/v1/accounts/$ACC/balance" "$BILL"
expect_jq '.balance_minor == 98' "charged once"
req GET "/v1/accounts/$ACC/ledger" "$BILL"
expect_status 200 "ledger"
expect_jq '(.items | length) == 4 and .items[0].kind == "charge" and .items[0].delta_minor == -7 and .items[0].cdr_id == "'"$CDR"'" and .items[0].actor == "system:billing"' "newest first: the charge names its CDR"
expect_jq '[.items[].delta_minor] | add == 98' "the ledger adds up to the balance"
expect_jq '.items[-1].id == "'"$TOPUP"'"' "the top-up and who recorded it"
req GET "/v1/accounts/$ACC/ledger?limit=1" "$BILL"
expect_jq '(.items | length) == 1 and (.next_cursor | type == "string")' "paged"
req GET "/v1/accounts/$ACC/ledger?limit=1&cursor=$(jqr .next_cursor)" "$BILL"
expect_jq '.items[0].kind == "refund"' "second page"
req GET "/v1/accounts/$ACC/ledger" "$USER"
expect_problem 403 forbidden "a user cannot read the ledger"

# ---- audit ----
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
for a in billing.plan.update billing.credit billing.charge billing.balance.read billing.ledger.read billing.plan.read; do
	expect_jq "[.items[].action] | index(\"$a\") != null" "audited: $a"
done

# ---- double entry, append-only ----
stop_daemon && ok || fail "daemon stop"
DB="$DATA/faxvault.db"
UNBAL=$(sqlite3 "$DB" "SELECT COUNT(*) FROM (SELECT txn_seq FROM ledger_postings GROUP BY txn_seq HAVING SUM(amount_minor) != 0 OR COUNT(*) != 2)")
[ "$UNBAL" = 0 ] && ok || fail "$UNBAL unbalanced transactions"
[ "$(sqlite3 "$DB" "SELECT SUM(amount_minor) FROM ledger_postings WHERE book='provider:revenue'")" = 7 ] && ok || fail "revenue book"
if sqlite3 "$DB" "UPDATE ledger_txns SET amount_minor=1" 2>/dev/null; then fail "ledger rows can be changed"; else ok; fi
if sqlite3 "$DB" "DELETE FROM ledger_postings" 2>/dev/null; then fail "postings can be deleted"; else ok; fi
[ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM ledger_postings")" = 8 ] && ok || fail "postings kept"

finish
