#!/usr/bin/env bash
# Inbound from a carrier trunk (issue 12): faxvaultd with a carrier-facing
# listener (fax.sip_listen). A trunk takes INVITEs only from its
# inbound_cidrs (403 otherwise), answers only numbers assigned to an account
# (404), refuses with 503 + Retry-After at the trunk's or the account's
# max_calls (the account's refusal audited), reads the called number from the
# Request-URI or a header the trunk names, rewrites it to E.164, and files
# the fax as the loopback receiver does. Refusals are counted on /metrics.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
INVITE="python3 $(dirname "$0")/sip_invite.py"
fax_setup --set fax.sip_listen=udp:127.0.0.1:0 --set fax.account_max_calls=1 \
	--set metrics.listen=127.0.0.1:0
CPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=udp:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CPORT" ] && ok || { fail "no carrier listener in the log"; finish; exit 1; }
MPORT=$(metrics_port)
metric() { # metric NAME_WITH_LABELS: its value (0 when absent)
	curl -sf "http://127.0.0.1:$MPORT/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

# A carrier trunk whose number 415-555-0100 account A holds; its INVITEs
# come from a network other than ours for now.
req POST /v1/provider/trunks "$OP" '{"id":"carrier1","name":"Carrier One","peer":"127.0.0.1:5999","max_calls":2,"prefixes":["+1415"],"inbound_cidrs":["192.0.2.0/24","2001:db8::/32"],"inbound_rewrite":[{"match":"9","replace":"+1"},{"match":"+","replace":"+"}]}'
expect_status 201 "a trunk with inbound_cidrs and rewrite rules"
expect_jq '.inbound_cidrs == ["192.0.2.0/24","2001:db8::/32"] and .called_number == "request_uri" and .inbound_rewrite[0] == {"match":"9","replace":"+1"}' "the inbound settings are answered"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"127.0.0.1:5999","inbound_cidrs":["10.0.0.1/8"]}'
expect_status 422 "a CIDR with host bits set is refused"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"127.0.0.1:5999","called_number":"header:X Bad"}'
expect_status 422 "a header name that is not a token is refused"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"127.0.0.1:5999","inbound_rewrite":[{"match":"0","replace":"33"}]}'
expect_status 422 "a rewrite that does not lead to + is refused"
req PATCH /v1/provider/trunks/loopback "$OP" '{"inbound_cidrs":["127.0.0.0/8"]}'
expect_status 422 "the loopback trunk takes no inbound_cidrs"
req POST /v1/provider/numbers "$OP" '{"trunk":"carrier1","numbers":["+14155550100"]}'
expect_status 201 "a number on the carrier trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"415\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds it"
expect_jq '.number == "+14155550100"' "the carrier number"

# --- unknown source: 403, counted
out=$($INVITE "$CPORT" 94155550100)
[ "$out" = 403 ] && ok || fail "INVITE from outside every trunk's CIDRs: $out (want 403)"
[ "$(metric 'faxvault_fax_inbound_refused_total{reason="unknown_source"}')" = 1 ] && ok ||
	fail "unknown source not counted: $(curl -s "http://127.0.0.1:$MPORT/metrics" | grep fax_inbound)"

req PATCH /v1/provider/trunks/carrier1 "$OP" '{"inbound_cidrs":["127.0.0.1/32"]}'
expect_status 200 "the trunk now takes INVITEs from 127.0.0.1"

# --- unknown number (after rewriting): 404, counted
out=$($INVITE "$CPORT" 94155559999)
[ "$out" = 404 ] && ok || fail "INVITE for a number nobody holds: $out (want 404)"
out=$($INVITE "$CPORT" 0123)
[ "$out" = 404 ] && ok || fail "INVITE for a number that is not E.164 after rewriting: $out (want 404)"
[ "$(metric 'faxvault_fax_inbound_refused_total{reason="unknown_number"}')" = 2 ] && ok || fail "unknown numbers not counted"

# --- a real fax from the carrier: 6 pages (a call long enough for the
# checks below to see it up on a loaded machine), R-URI 9 + national number
"$TIFFTOOL" mk "$TMP/doc.tif" 6
"$FAXTOOL" send "sip:94155550100@127.0.0.1:$CPORT" "$TMP/doc.tif" --clock-speed "$FAX_SPEED" \
	--from "+15550001111" --log "$TMP/tx.log" >"$TMP/tx.json" &
TX=$!
accepted() { grep -q 'event=fax.inbound_accepted .*trunk=carrier1' "$LOG"; }
poll_until 120 accepted && ok || fail "the carrier's call was not accepted: $(grep inbound_ "$LOG" | tail -n 3)"
[ "$(metric 'faxvault_fax_calls_up{trunk="carrier1",direction="inbound"}')" = 1 ] && ok || fail "the call up is not shown by trunk"
# The operators' capacity view (P05) shows it too, on the trunk, the account and in total.
req GET /v1/provider/capacity "$OP"
expect_status 200 "the capacity view"
expect_jq '([.trunks[] | select(.id == "carrier1") | .inbound_calls] == [1]) and .inbound_calls == 1' "the inbound call up on its trunk and in total"
expect_jq "[.accounts[] | select(.id == \"$ACC_A\") | .inbound_calls] == [1]" "and on the account it is for"

# While it is up: the account is at its limit (1), the trunk not (2).
out=$($INVITE "$CPORT" 94155550100 | tr '\n' ' ')
[ "$out" = "503 Retry-After: 30 " ] && ok || fail "second call over the account's max_calls: '$out' (want 503 with Retry-After)"
req PATCH /v1/provider/trunks/carrier1 "$OP" '{"max_calls":1}'
expect_status 200 "trunk max_calls 1"
out=$($INVITE "$CPORT" 94155550100 | tr '\n' ' ')
[ "$out" = "503 Retry-After: 30 " ] && ok || fail "second call over the trunk's max_calls: '$out' (want 503 with Retry-After)"
[ "$(metric 'faxvault_fax_inbound_refused_total{reason="account_max_calls"}')" = 1 ] && ok || fail "account limit not counted"
[ "$(metric 'faxvault_fax_inbound_refused_total{reason="trunk_max_calls"}')" = 1 ] && ok || fail "trunk limit not counted"

wait "$TX" && ok || fail "the carrier's fax failed: $(cat "$TMP/tx.json")"
jq -e '.status == "done" and .pages_confirmed == 6' "$TMP/tx.json" >/dev/null && ok || fail "sender: $(cat "$TMP/tx.json")"
wait_inbound "$USER_A" 1
expect_jq '.items[0].to == "+14155550100" and .items[0].from == "+15550001111" and .items[0].status == "received" and .items[0].page_count == 6' "in A's inbox: rewritten to E.164, 6 pages"
IN=$(jqr '.items[0].id')
req GET /v1/provider/capacity "$OP"
expect_jq '.inbound_calls == 0 and ([.trunks[] | select(.id == "carrier1") | .inbound_calls] == [0])' "the call over: no inbound call in the capacity view"
req GET "/v1/faxes/$IN" "$USER_A"
expect_jq '.attempts[0].trunk == "carrier1" and .attempts[0].pages_confirmed == 6' "the CDR names the carrier trunk"
# A TIFF's first four bytes (II*\0 or MM\0*): three bytes alone turn up in
# ciphertext by chance (about once in 16 million positions, so in roughly one
# run in 150 for this fax's size), four do 256 times less.
if grep -rlsaP -e 'II\*\x00' -e 'MM\x00\*' "$DATA/docs" | grep -q .; then fail "a received document is stored in clear"; else ok; fi
req GET "/v1/accounts/$ACC_A/audit-events?action=fax.inbound.refused" "$OWNER_A"
expect_jq '(.items | length) == 1 and .items[0].actor.id == "system:faxsvc" and .items[0].outcome == "failure"' "the account's refusal is audited"
req GET "/v1/accounts/$ACC_B/audit-events?action=fax.inbound.refused" "$OWNER_B"
expect_jq '(.items | length) == 0' "not in another account's log"

# --- called number from a header the trunk names
req PATCH /v1/provider/trunks/carrier1 "$OP" '{"called_number":"header:X-Called-Number"}'
expect_status 200 "the trunk reads its called number from X-Called-Number"
out=$($INVITE "$CPORT" fax "X-Called-Number: <tel:+1-415-555-0100>")
[ "$out" = 200 ] && ok || fail "INVITE with the number in the header: $out (want 200)"
wait_inbound "$USER_A" 2
expect_jq '[.items[] | select(.to == "+14155550100")] | length == 2' "the second call reached A's number"
out=$($INVITE "$CPORT" 94155550100)
[ "$out" = 404 ] && ok || fail "INVITE without the header: $out (want 404)"

# --- the fax metrics: one inbound call ok (6 pages), one with no fax heard
[ "$(metric 'faxvault_fax_calls_total{direction="inbound",class="ok"}')" = 1 ] && ok || fail "inbound ok call not counted"
[ "$(metric 'faxvault_fax_calls_total{direction="inbound",class="not_a_fax"}')" = 1 ] && ok || fail "inbound call without a fax not counted"
[ "$(metric 'faxvault_fax_pages_total{direction="received"}')" = 6 ] && ok || fail "received pages not counted"
curl -sf "http://127.0.0.1:$MPORT/metrics" | grep -q '^faxvault_fax_queue{status="queued"} 0$' && ok || fail "no queue depth on /metrics"
# the media loops' clock: the SIP front end's engine, read by the service for /metrics
mt=$(curl -sf "http://127.0.0.1:$MPORT/metrics")
echo "$mt" | awk '$1 == "faxvault_media_ticks_total{loop=\"0\"}" && $2 > 0 { f = 1 } END { exit !f }' && ok ||
	fail "no media ticks on /metrics: $(echo "$mt" | grep media_)"
echo "$mt" | grep -Eq '^faxvault_media_late_ticks_total\{loop="0"\} [0-9]+$' && ok || fail "no late media ticks on /metrics"
echo "$mt" | grep -Eq '^faxvault_media_tick_delay_max_seconds\{loop="0"\} [0-9.]+$' && ok || fail "no worst media tick delay on /metrics"

# --- junk and a burst of INVITEs from an unknown source: refused, the listener goes on
python3 - "$CPORT" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for junk in (b"", b"\x00" * 1400, b"INVITE\r\n\r\n", b"SIP/2.0 200 OK\r\n\r\n",
             b"INVITE sip:1@x SIP/2.0\r\nContent-Length: 99999\r\n\r\n", bytes(range(256)) * 5):
    s.sendto(junk, ("127.0.0.1", int(sys.argv[1])))
PY
before=$(metric 'faxvault_fax_inbound_refused_total{reason="unknown_source"}')
req PATCH /v1/provider/trunks/carrier1 "$OP" '{"inbound_cidrs":["192.0.2.0/24"]}'
pids=()
for i in $(seq 1 20); do $INVITE "$CPORT" 94155550100 >"$TMP/flood.$i" & pids+=($!); done
wait "${pids[@]}"
[ "$(cat "$TMP"/flood.* | sort | uniq -c | awk '{print $1 " " $2}')" = "20 403" ] && ok ||
	fail "a burst of 20 INVITEs from an unknown source: $(cat "$TMP"/flood.* | sort | uniq -c)"
[ "$(metric 'faxvault_fax_inbound_refused_total{reason="unknown_source"}')" = $((before + 20)) ] && ok ||
	fail "the burst was not counted"
req PATCH /v1/provider/trunks/carrier1 "$OP" '{"inbound_cidrs":["127.0.0.1/32"]}'
out=$($INVITE "$CPORT" fax "X-Called-Number: +14155550100")
[ "$out" = 200 ] && ok || fail "the listener no longer answers after junk and a burst: $out"
wait_inbound "$USER_A" 3

# --- a disabled trunk takes nothing
req PATCH /v1/provider/trunks/carrier1 "$OP" '{"status":"disabled"}'
out=$($INVITE "$CPORT" fax "X-Called-Number: +14155550100")
[ "$out" = 403 ] && ok || fail "INVITE to a disabled trunk: $out (want 403)"
finish
