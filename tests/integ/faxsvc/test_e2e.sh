#!/usr/bin/env bash
# End to end on the loopback trunk (issue 4): account A's user sends a
# 3-page PDF to account B's number over real SIP on 127.0.0.1; it arrives in
# B's inbox with the same page images; statuses, per-page status and CDRs
# are right on both sides; reading it is audited; neither account sees the
# other's fax. Then the same over G.711, a forced fallback (a carrier that
# refuses T.38) and an unassigned number (refused, failed at once).
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
fax_setup

make_pdf "$TMP/three.pdf" 3

# --- A sends to B
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf" -F "header_text=Alpha Clinic" -H "Idempotency-Key: e2e-1"
expect_status 202 "A's user submits a 3-page PDF"
expect_jq '(.items | length) == 1' "one fax per recipient"
expect_jq ".items[0].status == \"rendering\" and .items[0].to == \"$NUM_B\" and .items[0].from == \"$NUM_A\"" "accepted, rendering, from A's number to B's"
FIRST_ANSWER=$BODY
OUT=$FAX
wait_rendered "$USER_A" "$OUT"
expect_jq ".page_count == 3 and .estimated_cost == 15 and .currency == \"EUR\"" "page count and estimated cost known once rendered"
expect_jq ".status | IN(\"queued\", \"sending\", \"delivered\")" "queued once rendered"
# A replay answers the first answer as it was (docs/api.md): the fax's
# state is read from the fax.
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf" -F "header_text=Alpha Clinic" -H "Idempotency-Key: e2e-1"
expect_status 202 "same Idempotency-Key: the answer again"
[ "$FAX" = "$OUT" ] && ok || fail "the replay answered another fax: $FAX (want $OUT): ${BODY:0:300}"
[ "$BODY" = "$FIRST_ANSWER" ] && grep -qi '^idempotent-replayed: true' "$HEADERS" && ok || fail "the replay is not the first answer: ${BODY:0:300}"

wait_fax "$USER_A" "$OUT"
expect_jq '.status == "delivered" and .pages_confirmed == 3' "delivered only with every page confirmed"
expect_jq '[.pages[] | select(.status == "confirmed")] | length == 3' "per-page status"
expect_jq '(.attempts | length) == 1' "one attempt"
expect_jq '.attempts[0].result == "ok" and .attempts[0].transport == "t38" and .attempts[0].pages_confirmed == 3' "attempt over T.38, 3 pages confirmed"
expect_jq '.attempts[0].bit_rate >= 9600 and (.attempts[0].ecm == true or .attempts[0].ecm == 1) and .attempts[0].duration_ms > 0' "bit rate, ECM, duration recorded"
expect_jq '.cost == 15 and .completed_at != null' "cost from the rate table"
expect_jq ".attempts[0].remote_ident == \"$NUM_B\"" "the receiver identifies itself with the number called (CSI)"

wait_inbound "$USER_B" 1
IN=$(jqr '.items[0].id')
expect_jq ".items[0].direction == \"inbound\" and .items[0].page_count == 3 and .items[0].from == \"$NUM_A\" and .items[0].to == \"$NUM_B\"" "in B's inbox with 3 pages"
expect_jq '.items[0].status == "received"' "inbound fax complete: received"

# The received pages are the sent pages, pixel for pixel (ECM).
for n in 1 2 3; do
	req GET "/v1/faxes/$OUT/pages/$n.png" "$USER_A"; cp "$TMP/body" "$TMP/out$n.png"
	expect_status 200 "A's page $n preview"
	req GET "/v1/faxes/$IN/pages/$n.png" "$USER_B"; cp "$TMP/body" "$TMP/in$n.png"
	expect_status 200 "B's page $n preview"
	if cmp -s "$TMP/out$n.png" "$TMP/in$n.png"; then ok; else
		fail "page $n differs between sent and received: $(file "$TMP/out$n.png" "$TMP/in$n.png" | tr '\n' ' ')"; fi
done
req GET "/v1/faxes/$IN/document" "$USER_B"; cp "$TMP/body" "$TMP/in.pdf"
expect_status 200 "B downloads the PDF"
if head -c 5 "$TMP/in.pdf" | grep -q '%PDF-' && [ "$(qpdf --show-npages "$TMP/in.pdf")" = 3 ]; then ok; else
	fail "the inbound PDF is not a 3-page PDF: status $STATUS $(head -c 300 "$TMP/in.pdf")"; fi

# Nothing of a fax is stored in clear.
if grep -rlsaP -e '%PDF-' -e 'II\*\x00' -e 'MM\x00\*' "$DATA/docs" | grep -q .; then fail "a document is stored in clear"; else ok; fi

# Reading is audited in B's log.
req GET "/v1/accounts/$ACC_B/audit-events?action=fax.document.read" "$OWNER_B"
expect_jq "[.items[] | select(.target == \"$IN\")] | length >= 1" "document read audited"
req GET "/v1/accounts/$ACC_B/audit-events?action=fax.page.read" "$OWNER_B"
expect_jq '(.items | length) >= 3' "page reads audited"
req GET "/v1/accounts/$ACC_B/audit-events?action=fax.receive" "$OWNER_B"
expect_jq '(.items | length) >= 1 and all(.items[]; .actor.id == "system:faxsvc" and .actor.type == "system")' "the fax service is named as the actor of a reception"

# Tenant isolation.
req GET "/v1/faxes/$IN" "$USER_A"
expect_problem 404 not-found "A cannot see B's fax"
req GET "/v1/faxes/$OUT" "$USER_B"
expect_problem 404 not-found "B cannot see A's fax"
req GET "/v1/faxes/$OUT/document" "$ADMIN_B"
expect_problem 404 not-found "B's admin cannot read A's document"
req GET "/v1/faxes?direction=inbound" "$USER_A"
expect_jq '(.items | length) == 0' "A's inbox is empty"

# CDRs on both sides.
req GET "/v1/accounts/$ACC_A/cdrs" "$OWNER_A"
expect_status 200 "A's CDRs"
expect_jq "(.items | length) == 1" "one CDR on A's side"
expect_jq ".items[0].direction == \"outbound\" and .items[0].pages_confirmed == 3 and .items[0].to == \"$NUM_B\" and .items[0].cost == 15" "A's CDR"
req GET "/v1/accounts/$ACC_B/cdrs" "$OWNER_B"
expect_jq "(.items | length) == 1 and .items[0].direction == \"inbound\" and .items[0].from == \"$NUM_A\"" "B's CDR"
req GET "/v1/accounts/$ACC_A/cdrs" "$OWNER_A" "" -H "Accept: text/csv"
expect_status 200 "CDRs as CSV"
if [ "$(printf '%s\n' "$BODY" | grep -c .)" = 2 ] && grep -qi '^content-type: text/csv' "$HEADERS"; then ok; else
	fail "CSV: header and one line expected: $BODY"; fi
req GET "/v1/accounts/$ACC_A/cdrs" "$USER_A"
expect_problem 403 forbidden "a plain user cannot read CDRs"

# --- G.711: the operator pins the loopback trunk to audio.
req PATCH /v1/provider/trunks/loopback "$OP" '{"transport":"g711_only"}'
expect_status 200 "loopback trunk to G.711"
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf"
expect_status 202 "second fax"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .pages_confirmed == 3 and .attempts[0].transport == "g711"' "delivered over G.711"
req PATCH /v1/provider/trunks/loopback "$OP" '{"transport":"t38_first"}'

# --- forced fallback: a carrier (our own engine as a test double) refuses T.38.
# Port 0: the kernel's choice, read from the log once it listens (a port
# picked before and bound later can be taken meanwhile by another test, and
# a call dialled before the carrier listens is refused).
mkdir -p "$TMP/carrier"
"$FAXTOOL" receive --listen "127.0.0.1:0" --out "$TMP/carrier" --no-t38 --calls 1 --clock-speed "$FAX_SPEED" \
	>"$TMP/carrier.json" 2>"$TMP/carrier.log" &
CARRIER=$!
poll_until 60 rx_listening carrier || { fail "the carrier did not start: $(cat "$TMP/carrier.log")"; finish; exit 1; }
CPORT=$(sed -n 's/.*event=line_listen .* port=\([0-9]*\).*/\1/p' "$TMP/carrier.log" | head -n 1)
req POST /v1/provider/trunks "$OP" "{\"id\":\"carrier\",\"name\":\"Test carrier\",\"peer\":\"127.0.0.1:$CPORT\",\"transport\":\"t38_first\",\"max_calls\":4,\"prefixes\":[\"+44\"],\"status\":\"active\"}"
expect_status 201 "carrier trunk"
send_fax "$USER_A" "+442071234567" "$TMP/three.pdf"
expect_status 202 "fax to the carrier"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts[0].transport == "g711"' "T.38 refused (488): finished over G.711"
wait_receiver "$CARRIER" 120
if jq -se 'map(select(.pages_received? == 3)) | length == 1' "$TMP/carrier.json" >/dev/null 2>&1 ||
	grep -q '"pages_received":3' "$TMP/carrier.json" "$TMP"/carrier/*.json 2>/dev/null; then ok; else
	fail "the carrier did not receive 3 pages: $(cat "$TMP/carrier.json")"; fi

# --- the number remembered (issue 12, per-destination memory): the next fax
# to it over that carrier starts over G.711 and offers no T.38 at all.
refused_before=$(grep -c 'event=t38_refused' "$LOG")
[ "$refused_before" -ge 1 ] && ok || fail "the first call's refused T.38 re-INVITE was not logged"
# The carrier again, on a port of the kernel's choice (the first one's, in
# the ephemeral range, may be taken by then), the trunk moved to it: the
# memory is the trunk's and the number's, not the peer's address.
"$FAXTOOL" receive --listen "127.0.0.1:0" --out "$TMP/carrier2" --no-t38 --calls 1 --clock-speed "$FAX_SPEED" \
	>"$TMP/carrier2.json" 2>"$TMP/carrier2.log" &
CARRIER=$!
poll_until 60 rx_listening carrier2 || { fail "the carrier did not start again: $(cat "$TMP/carrier2.log")"; finish; exit 1; }
CPORT=$(sed -n 's/.*event=line_listen .* port=\([0-9]*\).*/\1/p' "$TMP/carrier2.log" | head -n 1)
req PATCH /v1/provider/trunks/carrier "$OP" "{\"peer\":\"127.0.0.1:$CPORT\"}"
[ "$STATUS" = 200 ] || fail "the carrier trunk moved to $CPORT: $STATUS $BODY"
send_fax "$USER_A" "+442071234567" "$TMP/three.pdf"
expect_status 202 "a second fax to the same number"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts[0].transport == "g711"' "delivered over G.711"
grep -q "event=fax.call_start fax=$FAX attempt=1 .* t38=0 remembered=1" "$LOG" && ok ||
	fail "the remembered G.711 was not the first choice: $(grep "fax.call_start fax=$FAX" "$LOG")"
[ "$(grep -c 'event=t38_refused' "$LOG")" = "$refused_before" ] && ok || fail "T.38 was offered again and refused"
wait_receiver "$CARRIER" 120

# --- an unassigned number of the loopback trunk: refused (404), failed at once.
send_fax "$USER_A" "+15555550103" "$TMP/three.pdf" -F retries=3
expect_status 202 "fax to an unassigned number accepted"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "failed" and .failure_class == "rejected" and .attempts_made == 1' "refused number fails at once, no retry"
expect_jq '.failure_reason | length > 0' "with a reason"

# --- a currency per account, a rate table per currency.
req PUT /v1/provider/rates "$OP" '{"currency":"USD","rates":[{"prefix":"+1555","price_per_page":3}]}'
expect_status 200 "a rate table in USD"
req GET "/v1/provider/rates?currency=USD" "$OP"
expect_jq '.currency == "USD" and (.rates | length) == 1' "the USD table"
req GET /v1/provider/rates "$OP"
expect_jq '.currency == "EUR" and (.rates | length) == 3' "the EUR table is untouched"
req PATCH "/v1/accounts/$ACC_A" "$OWNER_A" '{"currency":"USD"}'
expect_problem 403 forbidden "an account's own people cannot change its currency"
req PATCH "/v1/accounts/$ACC_A" "$OP" '{"currency":"usd"}'
expect_problem 422 validation-failed "a currency is an ISO 4217 code"
req PATCH "/v1/accounts/$ACC_A" "$OP" '{"currency":"USD"}'
expect_status 200 "the operator sets A's currency"
expect_jq '.currency == "USD"' "the account shows it"
send_fax "$USER_A" "$NUM_B" "$TMP/three.pdf" -F "send_at=2099-01-01T00:00:00Z"
wait_rendered "$USER_A" "$FAX"
expect_jq '.currency == "USD" and .estimated_cost == 9' "priced in the account's currency"
req POST "/v1/faxes/$FAX/cancel" "$USER_A"
expect_status 200 "the scheduled fax is cancelled"
req GET "/v1/accounts/$ACC_B" "$OWNER_B"
expect_jq '.currency == "EUR"' "B keeps the provider's currency"

stop_daemon || fail "daemon did not stop cleanly"
finish
