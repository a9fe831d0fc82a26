#!/usr/bin/env bash
# Trunk health and failover (issue 12): an OPTIONS keep-alive to every
# active trunk (fax.trunk_keepalive_seconds) shows each trunk's status (up,
# down, unknown; disabled when the operator turned it off) in the API and as
# faxvault_trunk_up on /metrics. Two trunks to two receivers on loopback,
# one receiver killed: its trunk goes down and the fax goes through the
# other. A trunk that answers OPTIONS but refuses INVITEs with 503: the fax
# fails over at once to the next trunk whose prefixes match, in the same
# try, and both CDRs say so (sip_status, failover_to).
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
fax_setup --set fax.trunk_keepalive_seconds=1 --set metrics.listen=127.0.0.1:0
MPORT=$(metrics_port)
metric() { # metric NAME_WITH_LABELS: its value (-1 when absent)
	curl -sf "http://127.0.0.1:$MPORT/metrics" | awk -v k="$1" '$1 == k { v = $2; f = 1 } END { print f ? v : -1 }'
}
make_pdf "$TMP/two.pdf" 2

receiver east 1
EAST_PID=$RX_PID EAST_PORT=$RX_PORT
receiver west 2
WEST_PID=$RX_PID WEST_PORT=$RX_PORT

req POST /v1/provider/trunks "$OP" "{\"id\":\"east\",\"name\":\"East carrier\",\"peer\":\"127.0.0.1:$EAST_PORT\",\"transport\":\"t38_first\",\"max_calls\":2,\"prefixes\":[\"+44\"]}"
expect_status 201 "trunk east"
expect_jq '.status == "unknown" and .enabled == true and .status_changed_at == null' "a new trunk is unknown until probed"
req POST /v1/provider/trunks "$OP" "{\"id\":\"west\",\"name\":\"West carrier\",\"peer\":\"127.0.0.1:$WEST_PORT\",\"transport\":\"t38_first\",\"max_calls\":2,\"prefixes\":[\"+44\"]}"
expect_status 201 "trunk west, same prefix"

trunk_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .status)" = "$2" ]; }
poll_until 60 trunk_is east up && ok || fail "east not up: $BODY"
expect_jq '.status_changed_at != null' "with the time it changed"
poll_until 60 trunk_is west up && ok || fail "west not up: $BODY"
poll_until 60 trunk_is loopback up && ok || fail "the loopback trunk (the service's own receiver) not up: $BODY"
[ "$(metric 'faxvault_trunk_up{trunk="east"}')" = 1 ] && ok || fail "faxvault_trunk_up east: $(curl -s "http://127.0.0.1:$MPORT/metrics" | grep trunk_up)"
req GET /v1/provider/trunks "$OP"
expect_jq '([.items[] | select(.id == "east" or .id == "west") | .status] == ["up","up"])' "the list shows the status too"

# --- the east receiver dies: east goes down, the fax goes west.
kill -KILL "$EAST_PID"
wait "$EAST_PID" 2>/dev/null
poll_until 60 trunk_is east down && ok || fail "east not down after its receiver died: $BODY"
down_metric() { [ "$(metric 'faxvault_trunk_up{trunk="east"}')" = 0 ]; }
poll_until 30 down_metric && ok || fail "faxvault_trunk_up east not 0"
grep -q 'event=fax.trunk_down .*trunk=east' "$LOG" && ok || fail "no fax.trunk_down log line"
send_fax "$USER_A" "+442071234567" "$TMP/two.pdf"
expect_status 202 "fax to +44 while east is down"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts_made == 1 and (.attempts | length) == 1 and .attempts[0].trunk == "west" and .attempts[0].result == "ok" and .attempts[0].failover_to == null' \
	"delivered over west, the trunk that is up"

# --- a trunk that is up (answers OPTIONS) but refuses calls with 503:
# longest prefix, so tried first; the fax fails over to west in the same try.
# East is turned off first: it is down, and so would be tried after west, but
# its dead receiver's port is free for any other process to bind, and one
# CI run had another test's SIP endpoint there answer the keep-alive (east
# "up" again for 8 s, the fax failed over to it and was refused). A starved
# west (down too) would also put east first: two trunks both down are tried
# in the order they were made.
req PATCH /v1/provider/trunks/east "$OP" '{"status":"disabled"}'
expect_status 200 "disable east, whose receiver is gone"
python3 "$(dirname "$0")/sip_refuser.py" "$TMP/refuser.port" 503 300 >"$TMP/refuser.out" 2>&1 &
REF_PID=$!
have_port() { [ -s "$TMP/refuser.port" ]; }
poll_until 30 have_port || fail "the refusing carrier did not start"
REF_PORT=$(cat "$TMP/refuser.port")
req POST /v1/provider/trunks "$OP" "{\"id\":\"full\",\"name\":\"Full carrier\",\"peer\":\"127.0.0.1:$REF_PORT\",\"transport\":\"t38_first\",\"max_calls\":2,\"prefixes\":[\"+4420\"]}"
expect_status 201 "trunk full (+4420)"
poll_until 60 trunk_is full up && ok || fail "full not up: $BODY"
send_fax "$USER_A" "+442079876543" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax to +4420"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts_made == 1 and (.attempts | length) == 2' "delivered in one try over two trunks"
expect_jq '.attempts[0].trunk == "full" and .attempts[0].result == "failed" and .attempts[0].sip_status == 503 and .attempts[0].failover_to == "west" and .attempts[0].failure_class == "rejected"' \
	"the first CDR: refused 503 by full, failed over to west"
expect_jq '.attempts[1].trunk == "west" and .attempts[1].result == "ok" and .attempts[1].attempt == 2 and .attempts[1].sip_status == 200' \
	"the second CDR: west carried it"
grep -q '^INVITE ' "$TMP/refuser.out" && ok || fail "the refusing carrier saw no INVITE"
[ "$(metric 'faxvault_fax_failovers_total')" = 1 ] && ok || fail "faxvault_fax_failovers_total: $(metric 'faxvault_fax_failovers_total')"
req GET "/v1/accounts/$ACC_A/cdrs?direction=outbound" "$ADMIN_A"
expect_jq '[.items[] | select(.fax_id == "'"$FAX"'") | .trunk] | sort == ["full","west"]' "the CDR list has both calls"

# --- an operator turns a trunk off: shown disabled, no longer probed.
req PATCH /v1/provider/trunks/full "$OP" '{"status":"disabled"}'
expect_status 200 "disable full"
expect_jq '.status == "disabled" and .enabled == false' "a disabled trunk says so"
gone() { [ "$(metric 'faxvault_trunk_up{trunk="full"}')" = -1 ]; }
poll_until 30 gone && ok || fail "a disabled trunk still in faxvault_trunk_up"
kill "$REF_PID" 2>/dev/null
wait_receiver "$WEST_PID" 120 && ok || fail "the west receiver: $(tail -n 3 "$TMP/west.log")"
finish
