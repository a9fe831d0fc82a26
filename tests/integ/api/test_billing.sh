#!/bin/bash
# Billing through the API of the real faxvaultd: an account's plan, its
# balance and ledger; top-ups, credits and refunds recorded by operators
# with reasons; a real fax over the loopback trunk charged once from its CDR;
# prepaid enforcement (a fax the balance cannot cover refused with 402 and
# its price and the balance, a scheduled fax priced again before dialling
# and not dialled); low-balance and zero notices mailed once each to the
# billing contact (in French) and the owner through a stand-in sendmail;
# the ledger balanced (every transaction's postings sum to zero) and
# append-only in the database; who may read and who may record; audit events.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The page quotas are per UTC day: the clock starts after the next midnight,
# so that the pages counted "today" (and the 11 minutes the clock moves)
# stay in one day (from about 23:50 UTC, the quota section failed).
clock_start_day

# Mail through a stand-in sendmail that keeps each message with its envelope.
mkdir -p "$TMP/bin" "$TMP/mails"
cat > "$TMP/bin/sendmail" <<EOS
#!/bin/sh
f="$TMP/mails/\$\$"
printf '%s\n' "\$*" > "\$f.args"
cat > "\$f.part" && mv "\$f.part" "\$f.eml"
EOS
chmod 755 "$TMP/bin/sendmail"
PATH="$TMP/bin:$PATH" start_daemon --set mail.relay=sendmail --set mail.from=noreply@fax.example.net
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
req PATCH /v1/me "$BILL" '{"lang":"fr"}'
expect_status 200 "the billing contact reads French"

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
expect_jq '.detail | contains("1.10 EUR")' "the refusal names the balance"
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

# ---- prepaid: refused for credit, notices once, priced again before dialling ----
DB="$DATA/faxvault.db"
mails() { # mails KIND -> how many mails of that kind the outbox holds
	sqlite3 "$DB" "SELECT COUNT(*) FROM mail_outbox WHERE kind='$1'"
}
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":95,"reason":"partial refund","kind":"refund"}'
expect_jq '.balance_minor == 3' "balance 3, under the threshold of 50"
[ "$(mails billing_low_balance)" = 2 ] && ok || fail "a low-balance notice to the billing contact and the owner"
[ "$(mails billing_balance_exhausted)" = 0 ] && ok || fail "no notice at zero yet"
NFAX=$(req GET /v1/faxes "$OWNER"; jqr '.items | length')
req POST /v1/faxes "$OWNER" "" -F "file=@$TMP/one.txt" -F "to=$TO"
expect_problem 402 insufficient-credit "a fax the balance cannot cover"
expect_jq '(.detail | contains("costs 0.07 EUR")) and (.detail | contains("balance is 0.03 EUR"))' "the problem names the price and the balance"
req POST /v1/faxes "$OWNER" "" -F "file=@$TMP/one.txt" -F "to=$TO" -H "Accept-Language: fr"
expect_jq '.detail | contains("coûte 0.07 EUR")' "in French too"
req GET /v1/faxes "$OWNER"
expect_jq "(.items | length) == $NFAX" "nothing of the refused faxes is kept"
req GET "/v1/accounts/$ACC/balance" "$BILL"
req GET "/v1/accounts/$ACC/balance" "$BILL"
[ "$(mails billing_low_balance)" = 2 ] && ok || fail "the low-balance notice is sent once"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":3,"reason":"closing","kind":"refund"}'
expect_jq '.balance_minor == 0' "balance 0"
[ "$(mails billing_balance_exhausted)" = 2 ] && ok || fail "one notice at zero to each contact"
req GET "/v1/accounts/$ACC/balance" "$BILL"
expect_jq '.low == true and .balance_minor == 0' "low"
[ "$(mails billing_balance_exhausted)" = 2 ] && [ "$(mails billing_low_balance)" = 2 ] && ok ||
	fail "no notice twice"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":100,"reason":"bank transfer 2026-12-05"}'
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":90,"reason":"adjustment","kind":"refund"}'
expect_jq '.balance_minor == 10' "balance 10"
[ "$(mails billing_low_balance)" = 4 ] && ok || fail "a top-up re-arms the low-balance notice"
# The notices arrive: the billing contact's in French, with the balance.
fr_notice() {
	local a
	for a in "$TMP"/mails/*.args; do
		[ "$(cat "$a")" = "-i -f noreply@fax.example.net -- bill@p.example" ] || continue
		grep -q 'Content-Language: fr' "${a%.args}.eml" 2>/dev/null &&
			grep -q '0.00 EUR' "${a%.args}.eml" && return 0
	done
	return 1
}
poll_until 120 fr_notice && ok || fail "the French notice at zero was not mailed to the billing contact"
LATER=$(date -u -d "@$(( $(clock_seconds) + 600 ))" +%Y-%m-%dT%H:%M:%SZ)
req POST /v1/faxes "$OWNER" "" -F "file=@$TMP/one.txt" -F "to=$TO" -F "send_at=$LATER"
expect_status 202 "a scheduled fax the balance covers"
SCHED=$(jqr '.items[0].id')
req POST /v1/faxes "$OWNER" "" -F "file=@$TMP/one.txt" -F "to=$TO"
expect_problem 402 insufficient-credit "the scheduled fax holds 7 of the 10"
expect_jq '.detail | contains("of which 0.03 EUR is not held")' "the problem names what is available"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":7,"reason":"adjustment","kind":"refund"}'
expect_jq '.balance_minor == 3' "balance 3 below the scheduled fax's price"
advance_clock 11
sched_done() {
	req GET "/v1/faxes/$SCHED" "$OWNER"
	[ "$(jqr .status)" = failed ]
}
poll_until 600 sched_done || fail "the scheduled fax was not refused before dialling: $BODY"
expect_jq '.failure_class == "insufficient_credit" and (.attempts | length) == 0 and .cost == 0' "not dialled: insufficient credit"
req GET "/v1/accounts/$ACC/balance" "$BILL"
expect_jq '.balance_minor == 3' "nothing charged"

# ---- quotas: pages per day of a user and of the account, notices at 80 % and 100 % ----
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"postpaid","quota_account_day":6,"quota_user_day":2}'
expect_jq '.quota_account_day == 6 and .quota_user_day == 2 and .quota_account_month == 0' "quotas set with the plan"
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"postpaid","quota_user_day":-1}'
expect_problem 422 validation-failed "a negative quota"
TOMORROW=$(date -u -d "@$(( $(clock_seconds) + 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
qfax() { req POST /v1/faxes "$1" "" -F "file=@$TMP/one.txt" -F "to=$TO" -F "send_at=$TOMORROW" "${@:2}"; }
# The account has sent 2 pages today (the delivered fax and the scheduled one).
qfax "$USER"
expect_status 202 "the user's first page (1 of 2)"
qfax "$USER"
expect_status 202 "the user's second page (2 of 2)"
[ "$(mails quota)" = 1 ] && ok || fail "one notice at 100 % of the user's quota"
[ "$(sqlite3 "$DB" "SELECT to_addr FROM mail_outbox WHERE kind='quota'")" = u@p.example ] && ok ||
	fail "the user's quota notice goes to the user"
qfax "$USER"
expect_problem 429 quota-exceeded "the user's quota is used up"
expect_jq '(.detail | contains("you may send 2 pages a day")) and (.detail | contains("resets at"))' "the problem names the quota and when it resets"
# Retry-After: the seconds until the day's reset (by the daemon's clock).
RA=$(tr -d '\r' <"$TMP/headers" | sed -n 's/^[Rr]etry-[Aa]fter: *//p')
NOW_S=$(clock_seconds); LEFT=$(( (NOW_S / 86400 + 1) * 86400 - NOW_S ))
[[ "$RA" =~ ^[0-9]+$ ]] && [ "$RA" -ge 1 ] && [ "$RA" -le 86400 ] && [ $(( RA - LEFT )) -le 300 ] &&
	[ $(( LEFT - RA )) -le 300 ] && ok || fail "Retry-After says when the quota resets (got '$RA', about $LEFT expected)"
qfax "$USER" -H "Accept-Language: fr"
expect_jq '.detail | contains("vous pouvez envoyer 2 pages par jour")' "in French too"
[ "$(mails quota)" = 1 ] && ok || fail "no second notice for the same quota and day"
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"postpaid","quota_user_day":0}'
qfax "$OWNER"
expect_status 202 "the account's fifth page (5 of 6)"
[ "$(mails quota)" = 3 ] && ok || fail "a notice at 80 % of the account's quota to the billing contact and the owner"
qfax "$OWNER"
expect_status 202 "the account's sixth page (6 of 6)"
[ "$(mails quota)" = 5 ] && ok || fail "a notice at 100 % of the account's quota to each"
qfax "$OWNER"
expect_problem 429 quota-exceeded "the account's quota is used up"
expect_jq '.detail | contains("the account may send 6 pages a day; 6 are sent today")' "the account's quota named"
[ "$(mails quota)" = 5 ] && ok || fail "each notice once"
req GET "/v1/accounts/$ACC/plan" "$BILL"
expect_jq '.quota_account_day == 6 and .quota_user_day == 0' "the billing contact reads the quotas"

# ---- audit ----
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
for a in billing.plan.update billing.credit billing.charge billing.balance.read billing.ledger.read billing.plan.read billing.notice billing.dial_refused fax.submit quota.notice; do
	expect_jq "[.items[].action] | index(\"$a\") != null" "audited: $a"
done

# ---- double entry, append-only ----
stop_daemon && ok || fail "daemon stop"
UNBAL=$(sqlite3 "$DB" "SELECT COUNT(*) FROM (SELECT txn_seq FROM ledger_postings GROUP BY txn_seq HAVING SUM(amount_minor) != 0 OR COUNT(*) != 2)")
[ "$UNBAL" = 0 ] && ok || fail "$UNBAL unbalanced transactions"
[ "$(sqlite3 "$DB" "SELECT SUM(amount_minor) FROM ledger_postings WHERE book='provider:revenue'")" = 7 ] && ok || fail "revenue book"
if sqlite3 "$DB" "UPDATE ledger_txns SET amount_minor=1" 2>/dev/null; then fail "ledger rows can be changed"; else ok; fi
if sqlite3 "$DB" "DELETE FROM ledger_postings" 2>/dev/null; then fail "postings can be deleted"; else ok; fi
[ "$(sqlite3 "$DB" "SELECT COUNT(*) FROM ledger_postings")" = 18 ] && ok || fail "postings kept"

finish
