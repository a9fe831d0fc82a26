#!/bin/bash
# The cost estimate before sending (POST /v1/faxes/quote) and the search
# over all faxes (GET /v1/faxes?q=&since=&until=) on the real faxvaultd (the
# fax service is off, so submitted faxes stay queued):
# - a quote of documents answers 202 at once, and the queue's quote job
#   renders them as a send does (cover page included); the quote, read at
#   GET /v1/faxes/quotes/{id} by the member who asked, gives per recipient
#   the rate, pages and amount; or a quote takes a page count (200);
# - a quote of a document the renderer refuses reads as failed, with the
#   reason; its documents are shredded once it is priced;
# - it creates no fax, charges nothing, and is audited as fax.quote;
# - it says whether the account may send: an unroutable number, a prepaid
#   balance too small, a quota exceeded, each with its reason in EN and FR;
# - the search finds a fax older than the 200 newest, by number digits,
#   cover subject or id, within dates, with cursor paging, and a user sees
#   only their own faxes.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# The user's page quota is per UTC day: the clock starts after the next
# midnight, so that the fax sent before the quota's quote counts the same
# day (across a midnight, the quote was allowed).
clock_start_day

start_daemon --set fax.enabled=0 --set fax.max_pages=8
PW="plume encre buvard 1789"

printf 'Bonjour,\nvoici la facture de mars.\n' >"$TMP/letter.txt"
# Three pages of text (60 lines a page at the renderer's size is more than
# enough: 150 lines).
for i in $(seq 1 150); do echo "Ligne $i du contrat de maintenance."; done >"$TMP/long.txt"

quote() { # quote TOKEN [curl -F args...]
	local tok=$1
	shift
	req POST /v1/faxes/quote "$tok" "" "$@"
}

OP=$(operator_token)
req PUT /v1/provider/rates "$OP" '{"currency":"EUR","rates":[{"prefix":"+33","price_per_page":12},{"prefix":"+331","price_per_page":15}]}'
expect_status 200 "rates"
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+33100000002","+33200000001"]}'
expect_status 201 "numbers"
new_account "$OP" "Clinique Q" owner@q.example "$PW"
ACC=$NEW_ACC
OWN=$NEW_OWNER
new_member "$ACC" "$OWN" u1@q.example user "$PW"
U1=$NEW_MEMBER
new_member "$ACC" "$OWN" bill@q.example billing "$PW"
BILL=$NEW_MEMBER

# ---- a quote of documents: rendered, priced, nothing created ----
quote "$U1" -F "file=@$TMP/letter.txt" -F "to=+33100000001, +33200000001" -F "cover_subject=Devis"
expect_status 202 "quote of a letter with a cover page to two numbers: accepted"
expect_jq '.status == "rendering" and (.id | startswith("quo_"))' "rendered by the queue, not in the request"
QID=$(jqr .id)
grep -qi "^location: /v1/faxes/quotes/$QID" "$HEADERS" && ok || fail "no Location of the quote: $(cat "$HEADERS")"
wait_quoted "$U1" "$QID"
expect_jq ".status == \"ready\" and .id == \"$QID\"" "the quote is ready"
expect_jq '.pages == 2 and .currency == "EUR" and .total == 54' "2 pages (cover + letter), 2 x 15 + 2 x 12"
expect_jq '[.items[] | {to, price_per_page, pages, amount, reachable}] == [{"to":"+33100000001","price_per_page":15,"pages":2,"amount":30,"reachable":true},{"to":"+33200000001","price_per_page":12,"pages":2,"amount":24,"reachable":true}]' "per recipient: rate, pages, amount"
expect_jq '.allowed == true and (has("refusal") | not) and .plan == "postpaid" and (has("balance_minor") | not)' "a postpaid account may send"
# A quote is its member's own.
req GET "/v1/faxes/quotes/$QID" "$OWN"
expect_problem 404 not-found "another member of the account does not see the quote"
req GET /v1/faxes/quotes/quo_nothing "$U1"
expect_problem 404 not-found "an unknown quote"
quote "$U1" -F "file=@$TMP/long.txt" -F "file=@$TMP/letter.txt" -F "to=+33100000002"
expect_status 202 "quote of two documents"
wait_quoted "$U1" "$(jqr .id)"
LONG_PAGES=$(jqr .pages)
if [ "$LONG_PAGES" -ge 4 ] 2>/dev/null; then ok; else fail "the long text renders to several pages: $LONG_PAGES"; fi
expect_jq ".total == (15 * $LONG_PAGES) and .items[0].amount == .total" "priced by the rendered pages"
# The send of the same form has the quoted pages and cost.
req POST /v1/faxes "$U1" "" -F "file=@$TMP/long.txt" -F "file=@$TMP/letter.txt" -F "to=+33100000002"
expect_status 202 "the same form sent"
wait_rendered "$U1" "$(jqr '.items[0].id')"
expect_jq ".status == \"queued\" and .page_count == $LONG_PAGES and .estimated_cost == (15 * $LONG_PAGES)" "the send's pages and estimated cost are the quote's"
req GET "/v1/faxes?limit=200" "$OWN"
expect_jq '(.items | length) == 1' "the quotes created no fax"
if [ -z "$(ls -A "$TMP/var/work" 2>/dev/null)" ]; then ok; else fail "work directory not wiped: $(ls "$TMP/var/work")"; fi
# The quotes' documents were stored only until they were priced.
[ "$(db_query "SELECT count(*) FROM documents WHERE kind = 'original'")" = 0 ] && ok ||
	fail "originals left after the quotes: $(db_query "SELECT id, kind FROM documents WHERE kind = 'original'")"
# A document the renderer refuses: the quote fails with the reason.
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >"$TMP/corrupt.pdf"
quote "$U1" -F "file=@$TMP/corrupt.pdf" -F "to=+33100000001"
expect_status 202 "a damaged PDF is taken, as the renderer decides"
wait_quoted "$U1" "$(jqr .id)"
expect_jq '.status == "failed" and (.problem.type | startswith("document-")) and (.problem.detail | length > 0) and (has("total") | not)' "the quote of a damaged PDF fails with the renderer's reason"

# ---- a quote by page count ----
quote "$U1" -F "pages=3" -F "to=+33100000001"
expect_status 200 "quote by page count"
expect_jq '.pages == 3 and .total == 45 and .items[0].amount == 45' "3 x 15"
quote "$U1" -F "pages=9" -F "to=+33100000001"
expect_problem 422 validation-failed "more pages than a fax may carry"
quote "$U1" -F "pages=2" -F "file=@$TMP/letter.txt" -F "to=+33100000001"
expect_problem 422 validation-failed "both documents and pages"
quote "$U1" -F "to=+33100000001"
expect_problem 422 validation-failed "neither documents nor pages"
quote "$U1" -F "pages=1" -F "to=12345"
expect_problem 422 destination-not-allowed "a number that is not E.164"
quote "$U1" -F "pages=1" -F "to=+33100000001" -F "colour=yes"
expect_problem 422 validation-failed "an unknown field"

# ---- an unroutable number: priced at 0, not allowed, in EN and FR ----
quote "$U1" -F "pages=1" -F "to=+33100000001,+4930123456"
expect_status 200 "quote with a number no trunk reaches"
expect_jq '.allowed == false and .refusal.reason == "no-route" and (.refusal.detail | test("\\+4930123456"))' "no route, named"
expect_jq '([.items[] | select(.to == "+4930123456")][0] | .reachable == false)' "that recipient unreachable"
quote "$U1" -F "pages=1" -F "to=+4930123456" -H "Accept-Language: fr"
expect_jq '.refusal.reason == "no-route" and (.refusal.detail | test("Aucun|aucun"))' "the reason in French"

# ---- who may ask ----
quote "$BILL" -F "pages=1" -F "to=+33100000001"
expect_problem 403 forbidden "a billing contact cannot send, nor quote"
quote "$OP" -F "pages=1" -F "to=+33100000001"
expect_problem 403 forbidden "an operator has no account to quote for"
quote "" -F "pages=1" -F "to=+33100000001"
expect_problem 401 unauthenticated "anonymous"

# ---- prepaid: the balance decides, and the quote holds nothing ----
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"prepaid"}'
expect_status 200 "prepaid plan"
req POST "/v1/provider/accounts/$ACC/credits" "$OP" '{"amount_minor":200,"reason":"bank transfer"}'
expect_status 201 "200 cents of credit"
# The queued fax of 15 x LONG_PAGES is held against the balance.
HELD=$((15 * LONG_PAGES))
quote "$U1" -F "pages=2" -F "to=+33100000001"
expect_jq ".allowed == true and .plan == \"prepaid\" and .balance_minor == 200 and .available_minor == (200 - $HELD)" "fits; balance and what is not held"
quote "$U1" -F "pages=8" -F "to=+33100000001,+33100000002"
expect_status 200 "a quote over the balance"
expect_jq '.allowed == false and .refusal.reason == "insufficient-credit" and .total == 240' "not allowed: insufficient credit"
expect_jq '.refusal.detail | test("2[.,]40") and test("2[.,]00")' "the price and the balance in the reason"
quote "$U1" -F "pages=8" -F "to=+33100000001,+33100000002" -H "Accept-Language: fr"
expect_jq '.refusal.detail | test("solde")' "the reason in French"
req GET "/v1/accounts/$ACC/balance" "$OWN"
expect_jq '.balance_minor == 200' "the quotes charged nothing"
req GET "/v1/accounts/$ACC/audit-events?action=fax.submit" "$OWN"
expect_jq '[.items[] | select(.outcome == "failure")] | length == 0' "a refused quote is not a refused submission"

# ---- a quota ----
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"postpaid","quota_user_day":3}'
expect_status 200 "a user quota of 3 pages a day"
quote "$U1" -F "pages=3" -F "to=+33100000001"
expect_jq '.allowed == false and .refusal.reason == "quota-exceeded"' "the sent fax's pages count: over the quota"
req PUT "/v1/provider/accounts/$ACC/plan" "$OP" '{"kind":"postpaid","quota_user_day":0}'
expect_status 200 "quota lifted"

# ---- audited ----
req GET "/v1/accounts/$ACC/audit-events?action=fax.quote&limit=100" "$OWN"
expect_status 200 "audit of quotes"
expect_jq '(.items | length) == 9 and ([.items[] | .actor.id] | unique | length) == 1 and (.items[0].detail | has("allowed") and has("total") and has("recipients"))' "each quote audited with its actor"

# ---- search over all faxes ----
# 250 faxes more (five submissions to 50 numbers): the oldest, with its own
# subject and number, falls out of the 200 newest.
req POST /v1/faxes "$U1" "" -F "file=@$TMP/letter.txt" -F "to=+33200000001" -F "cover_subject=Contrat Hermès 2026"
expect_status 202 "an older fax with a subject"
OLD=$(jqr '.items[0].id')
BULK=$(seq -f '+331000001%02g' 0 49 | paste -sd,)
req POST /v1/provider/numbers "$OP" "{\"trunk\":\"loopback\",\"numbers\":$(printf '%s' "$BULK" | jq -R 'split(",")')}"
expect_status 201 "50 numbers more"
for i in 1 2 3 4 5; do
	req POST /v1/faxes "$OWN" "" -F "file=@$TMP/letter.txt" -F "to=$BULK"
	expect_jq '(.items | length) == 50' "submission $i to 50 numbers"
done
req GET "/v1/faxes?limit=200&direction=outbound" "$OWN"
expect_jq "[.items[].id] | index(\"$OLD\") == null" "the older fax is not among the 200 newest"
req GET "/v1/faxes?q=HERM%C3%A8s" "$OWN"
expect_status 200 "search by subject"
expect_jq "(.items | length) == 1 and .items[0].id == \"$OLD\"" "found by its subject, case aside"
req GET "/v1/faxes?q=%2B33%20200%20000" "$OWN"
expect_jq "(.items | length) == 1 and .items[0].id == \"$OLD\"" "found by the digits of its number"
req GET "/v1/faxes?q=${OLD^^}" "$OWN"
expect_jq "(.items | length) == 1 and .items[0].id == \"$OLD\"" "found by its id"
req GET "/v1/faxes?q=qqq200qqq" "$OWN"
expect_jq '(.items | length) == 0' "the digits of text that is not a number are not looked for in numbers"
req GET "/v1/faxes?q=%25_" "$OWN"
expect_jq '(.items | length) == 0' "a % is a character, not a wildcard"
req GET "/v1/faxes?q=hermès" "$U1"
expect_jq '(.items | length) == 1' "the user who sent it finds it"
req GET "/v1/faxes?q=331000001" "$U1"
expect_jq '(.items | length) == 0' "a user does not find the owner's faxes"
# Paging through a search.
req GET "/v1/faxes?q=331000001&limit=200" "$OWN"
expect_jq '(.items | length) == 200 and (.next_cursor | type == "string")' "first page of a search"
NEXT=$(jqr .next_cursor)
req GET "/v1/faxes?q=331000001&limit=200&cursor=$NEXT" "$OWN"
expect_jq '(.items | length) == 50 and .next_cursor == null' "second page: the 250 faxes to those numbers in all"
# Dates: the clock moves on a day; the faxes of the next day alone.
advance_clock 1440
OWN=$(login owner@q.example "$PW")
req POST /v1/faxes "$OWN" "" -F "file=@$TMP/letter.txt" -F "to=+33100000002"
expect_status 202 "a fax the next day"
NEW=$(jqr '.items[0].id')
SINCE=$(jqr '.items[0].created_at')
req GET "/v1/faxes?since=$SINCE" "$OWN"
expect_jq "(.items | length) == 1 and .items[0].id == \"$NEW\"" "since: the new fax only"
req GET "/v1/faxes?until=$(jq -rn --arg s "$SINCE" '$s | sub("\\.[0-9]+"; "") | fromdateiso8601 - 1 | todateiso8601')&q=33100000002" "$OWN"
expect_jq "(.items | length) == 1 and .items[0].id != \"$NEW\"" "until: the earlier fax to that number only"
req GET "/v1/faxes?since=yesterday" "$OWN"
expect_problem 400 invalid-parameter "a date that is not RFC 3339"
req GET "/v1/faxes?q=$(printf 'x%.0s' $(seq 1 101))" "$OWN"
expect_problem 400 invalid-parameter "a search longer than 100 bytes"
req GET "/v1/accounts/$ACC/audit-events?action=fax.list&limit=5" "$OWN"
expect_jq '.items[0].detail.filter // .items[0].detail | tostring | test("erm|33100000002|331000001") | not' "the search text is not recorded in the audit log"

finish
