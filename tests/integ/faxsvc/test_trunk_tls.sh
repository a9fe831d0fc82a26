#!/usr/bin/env bash
# SIP over TLS to a real carrier edge (issue 12): Kamailio with its TLS
# module on 127.0.0.1, a test CA made here by openssl (Kamailio's
# certificate names "localhost" only; the fax service's listener has one
# of its own). A trunk with sip_transport "tls" and peer localhost:PORT:
# faxvault registers over TLS (its Contact is its own tls: listener,
# ;transport=tls), faxes out through Kamailio over TLS with digest (407) to
# a far receiver, and a carrier's call for an account's number, routed by
# Kamailio to that Contact, arrives over TLS on fax.sip_listen's tls:
# listener and is filed in the inbox. Refusals: a trunk dialled as
# 127.0.0.1 (not in the certificate) fails at once, class network, the TLS
# reason logged, registration "failed", and the OPTIONS keep-alive (over
# TLS too) shows it "down" where the good one is "up"; a trunk over plain
# TCP registers, is up and faxes out too.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
. "$(dirname "$0")/lib_kamailio_tls.sh"
kam_tls_check
# The test CA, Kamailio's certificate (localhost) and ours (127.0.0.1).
kam_tls_pki DNS:localhost
fax_setup --set fax.sip_listen=tls:127.0.0.1:0,tcp:127.0.0.1:0 --set metrics.listen=127.0.0.1:0 \
	--set fax.sip_tls_cert="$TMP/pki/fv.pem" --set fax.sip_tls_key="$TMP/pki/fv.key" \
	--set fax.sip_tls_ca="$TMP/pki/ca.pem" --set fax.trunk_keepalive_seconds=1
CPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=tls:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
TPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=tcp:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CPORT" ] && [ -n "$TPORT" ] && ok || { fail "no tls: and tcp: carrier listeners: $(grep carrier_listen "$LOG")"; finish; exit 1; }
fail_stop() { fail "$1"; kill "$FAR_PID" 2>/dev/null; finish; exit 1; }

kam_tls_ports
far_start
kam_tls_start
trap 'kill "$KAM_PID" "$FAR_PID" 2>/dev/null; cleanup' EXIT

req POST /v1/provider/trunks "$OP" "{\"id\":\"kam\",\"name\":\"Kamailio over TLS\",\"peer\":\"localhost:$KTLS\",\"sip_transport\":\"tls\",\"username\":\"faxuser\",\"password\":\"trunk-pass-123\",\"register\":true,\"max_calls\":4,\"prefixes\":[\"+44\"],\"inbound_cidrs\":[\"127.0.0.1/32\"],\"called_number\":\"to\"}"
expect_status 201 "a trunk over TLS"
expect_jq '.sip_transport == "tls" and .transport == "t38_first"' "sip_transport answered, transport kept"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"127.0.0.1:5999","sip_transport":"sctp"}'
expect_problem 422 validation-failed "an unknown sip_transport"
req PATCH /v1/provider/trunks/loopback "$OP" '{"sip_transport":"tls"}'
expect_problem 422 validation-failed "the loopback trunk over TLS"

reg_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .registration)" = "$2" ]; }
poll_until 120 reg_is kam registered && ok || fail_stop "not registered over TLS: $BODY; $(grep -i 'register\|sip_conn' "$LOG" | tail -n 3); $(tail -n 5 "$TMP/kam/log")"
grep -q "kam: REGISTER of faxuser over tls authenticated, contact <sip:faxuser@127.0.0.1:$CPORT;transport=tls>" "$TMP/kam/log" && ok ||
	fail "Kamailio did not record our TLS contact: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"

status_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .status)" = "$2" ]; }
poll_until 60 status_is kam up && ok || fail "the OPTIONS keep-alive over TLS did not see the trunk up: $BODY"

# --- out: through Kamailio over TLS, digest on the INVITE, to the far receiver.
make_pdf "$TMP/two.pdf" 2
send_fax "$USER_A" "+442071234567" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax out through the carrier over TLS"
[ -n "$FAX" ] || fail_stop "no fax id"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts[0].trunk == "kam"' "delivered through Kamailio over TLS"
grep -q 'kam: outbound INVITE for +442071234567 over tls authenticated as faxuser' "$TMP/kam/log" && ok ||
	fail "Kamailio did not take the INVITE over TLS: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
far_done

# --- in: a carrier's call for A's number, routed by Kamailio over TLS to our tls: listener.
req POST /v1/provider/numbers "$OP" '{"trunk":"kam","numbers":["+14155550100"]}'
expect_status 201 "a number on the TLS trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"415\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds it"
n_tls=$(grep -c 'event=sip_conn_accepted .*transport=TLS' "$LOG")
"$TIFFTOOL" mk "$TMP/in.tif" 2
timeout 300 "$FAXTOOL" send "sip:+14155550100@127.0.0.1:$KPORT" "$TMP/in.tif" --clock-speed "$FAX_SPEED" \
	--from "+15550001111" --log "$TMP/tx.log" >"$TMP/tx.json" || fail "the carrier's fax: $(cat "$TMP/tx.json"); $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
wait_inbound "$USER_A" 1
expect_jq '.items[0].to == "+14155550100" and .items[0].from == "+15550001111" and .items[0].status == "received" and .items[0].page_count == 2' \
	"the carrier's call over TLS filed in A's inbox"
[ "$(grep -c 'event=sip_conn_accepted .*transport=TLS' "$LOG")" -gt "$n_tls" ] && ok || fail "the call did not come in over TLS"
grep -q 'event=sip_tls_up .*accepted=1' "$LOG" && ok || fail "no TLS session accepted by the listener"

# --- refusals: the certificate does not name 127.0.0.1.
req POST /v1/provider/trunks "$OP" "{\"id\":\"kamip\",\"name\":\"By address\",\"peer\":\"127.0.0.1:$KTLS\",\"sip_transport\":\"tls\",\"username\":\"faxuser\",\"password\":\"trunk-pass-123\",\"register\":true,\"prefixes\":[\"+49\"]}"
expect_status 201 "a TLS trunk dialled by address"
poll_until 120 reg_is kamip failed && ok || fail "registration by address not failed: $BODY"
poll_until 60 status_is kamip down && ok || fail "the trunk whose certificate does not match is not down: $BODY"
grep -q 'event=fax.trunk_register_failed trunk=kamip .*transport=TLS why="tls: certificate refused (IP address mismatch)"' "$LOG" && ok ||
	fail "no certificate reason for the registration: $(grep 'trunk=kamip' "$LOG" | tail -n 2)"
send_fax "$USER_A" "+4930123456" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax to a trunk whose certificate does not match"
wait_fax "$USER_A" "$FAX" 60
expect_jq '.status == "failed" and .attempts[0].trunk == "kamip" and .attempts[0].failure_class == "network"' "failed, class network"
grep -q 'event=sip_link_failed .*why=tls: certificate refused (IP address mismatch)' "$LOG" && ok || fail "no TLS reason for the call"
grep -q 'kam: outbound INVITE for +4930123456' "$TMP/kam/log" && fail "an INVITE passed a refused certificate" || ok

# --- plain TCP: a trunk registering and faxing out over TCP.
req PATCH /v1/provider/trunks/kamip "$OP" '{"status":"disabled"}'
expect_status 200 "the refused trunk off"
far_start
req POST /v1/provider/trunks "$OP" "{\"id\":\"kamtcp\",\"name\":\"Kamailio over TCP\",\"peer\":\"127.0.0.1:$KTCP\",\"sip_transport\":\"tcp\",\"username\":\"faxuser\",\"password\":\"trunk-pass-123\",\"register\":true,\"prefixes\":[\"+33\"]}"
expect_status 201 "a trunk over TCP"
poll_until 120 reg_is kamtcp registered && ok || fail "not registered over TCP: $BODY"
poll_until 60 status_is kamtcp up && ok || fail "the OPTIONS keep-alive over TCP did not see the trunk up: $BODY"
grep -q "kam: REGISTER of faxuser over tcp authenticated, contact <sip:faxuser@127.0.0.1:$TPORT;transport=tcp>" "$TMP/kam/log" && ok ||
	fail "Kamailio did not record our TCP contact: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
send_fax "$USER_A" "+33123456789" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax out over TCP"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts[0].trunk == "kamtcp"' "delivered through Kamailio over TCP"
grep -q 'kam: outbound INVITE for +33123456789 over tcp authenticated as faxuser' "$TMP/kam/log" && ok ||
	fail "Kamailio did not take the INVITE over TCP: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
grep -q 'trunk-pass-123' "$LOG" && fail "a trunk password reached the log" || ok
finish
