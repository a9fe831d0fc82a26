#!/usr/bin/env bash
# The fax service over IPv6 (issue 12): faxvaultd with its loopback trunk on
# [::1] (fax.loopback_sip) and a carrier-facing listener on udp:[::1]
# (fax.sip_listen); a trunk whose peer is an IPv6 literal and whose
# inbound_cidrs are IPv6. A fax between two accounts over the loopback
# trunk; a fax from a carrier (faxvault-fax send) into an account's inbox;
# a fax out to a far fax machine (faxvault-fax receive on [::1]) through the
# IPv6 trunk, its INVITE and media from [::1]. Skipped (77) without ::1.
ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' || { echo "skip: no ::1 on lo"; exit 77; }
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
fax_setup --set 'fax.loopback_sip=[::1]:0' --set 'fax.sip_listen=udp:[::1]:0'

LOOP6=$(sed -n 's/.*event=fax.loopback_listening .*sip=\(\[::1\]:[0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$LOOP6" ] && ok || { fail "the loopback trunk does not listen on [::1]: $(grep loopback_listening "$LOG")"; finish; }
CPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=udp:\[::1\]:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CPORT" ] && ok || { fail "no carrier listener on [::1]: $(grep carrier_listening "$LOG")"; finish; }
req GET /v1/provider/trunks/loopback "$OP"
expect_jq ".peer == \"$LOOP6\"" "the loopback trunk's peer is its IPv6 address"

# --- A to B over the loopback trunk, on ::1
make_pdf "$TMP/two.pdf" 2
send_fax "$USER_A" "$NUM_B" "$TMP/two.pdf"
expect_status 202 "A's user sends to B's number"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .pages_confirmed == 2 and .attempts[0].trunk == "loopback"' "delivered over the loopback trunk"
grep -q "event=fax.call_start .*target=\[::1\]:" "$LOG" && ok || fail "the call did not dial [::1]: $(grep fax.call_start "$LOG" | tail -n 1)"
wait_inbound "$USER_B" 1
expect_jq ".items[0].from == \"$NUM_A\" and .items[0].page_count == 2 and .items[0].status == \"received\"" "in B's inbox"

# --- an IPv6 carrier trunk: a far fax machine on [::1] answers its calls
receiver far 1 "[::1]"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"2001:db8::1:5060"}'
expect_status 422 "an IPv6 peer without brackets is refused"
req POST /v1/provider/trunks "$OP" '{"id":"doc6","name":"Documentation","peer":"[2001:db8::1]:5060","prefixes":["+1212"]}'
expect_status 201 "a trunk peer [2001:db8::1]:5060"
expect_jq '.peer == "[2001:db8::1]:5060"' "its peer as given"
req DELETE /v1/provider/trunks/doc6 "$OP"
req POST /v1/provider/trunks "$OP" "{\"id\":\"carrier6\",\"name\":\"Carrier over IPv6\",\"peer\":\"[::1]:$RX_PORT\",\"max_calls\":2,\"prefixes\":[\"+1415\"],\"inbound_cidrs\":[\"::1/128\"]}"
expect_status 201 "a trunk with an IPv6 peer and IPv6 inbound_cidrs"
req POST /v1/provider/numbers "$OP" '{"trunk":"carrier6","numbers":["+14155550100"]}'
expect_status 201 "a number on the IPv6 trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"415\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds it"

# --- inbound: the carrier calls the listener on [::1] from ::1
"$TIFFTOOL" mk "$TMP/in.tif" 3
"$FAXTOOL" send "sip:+14155550100@[::1]:$CPORT" "$TMP/in.tif" --clock-speed "$FAX_SPEED" \
	--from "+15550001111" --log "$TMP/tx.log" >"$TMP/tx.json" && ok || fail "the carrier's fax failed: $(cat "$TMP/tx.json")"
jq -e '.status == "done" and .pages_confirmed == 3' "$TMP/tx.json" >/dev/null && ok || fail "sender: $(cat "$TMP/tx.json")"
grep -q 'event=fax.inbound_accepted .*trunk=carrier6' "$LOG" && ok || fail "not accepted on the IPv6 trunk: $(grep inbound_ "$LOG" | tail -n 3)"
wait_inbound "$USER_A" 1
expect_jq '.items[0].to == "+14155550100" and .items[0].from == "+15550001111" and .items[0].page_count == 3' "in A's inbox, from the IPv6 carrier"
IN=$(jqr '.items[0].id')
req GET "/v1/faxes/$IN" "$USER_A"
expect_jq '.attempts[0].trunk == "carrier6" and .attempts[0].pages_confirmed == 3' "the CDR names the IPv6 trunk"

# --- outbound: A faxes a number behind the IPv6 trunk
send_fax "$USER_A" "+14155550199" "$TMP/two.pdf"
expect_status 202 "A's user sends to a number behind the IPv6 trunk"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .pages_confirmed == 2 and .attempts[0].trunk == "carrier6"' "delivered through the IPv6 trunk"
wait_receiver "$RX_PID" 120 && ok || fail "the far fax machine failed"
jq -e -s '.[0].status == "done" and .[0].pages_received == 2' "$TMP/far.json" >/dev/null && ok || fail "far end: $(cat "$TMP/far.json")"
grep -q 'event=sip_invite call="[^"]*@\[::1\]"' "$TMP/far.log" && ok || fail "the INVITE did not come from [::1]: $(grep sip_invite "$TMP/far.log")"
grep -q 'event=media_\(audio\|t38\) .*peer=\[::1\]:' "$TMP/far.log" && ok || fail "the media did not come from [::1]"
finish
