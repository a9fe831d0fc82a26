#!/usr/bin/env bash
# A node behind NAT (issue 12): fax.sip_public_address is the address the
# carrier reaches it at. Over loopback, 127.0.0.2 plays the public address
# (the loopback network's other addresses reach the node's wildcard
# sockets as a NAT's forwarded packets would), Kamailio the carrier's
# proxy and registrar, faxvault-fax the far fax machines.
# - a bad value stops the daemon at start, naming the setting;
# - the trunk's REGISTER gives a Contact at 127.0.0.2, where Kamailio then
#   routes a carrier's call in: the call reaches the carrier-facing
#   listener and its fax is filed (the 200 OK's Contact and SDP must be
#   reachable at 127.0.0.2 for the call to complete);
# - a fax out through the trunk: the INVITE's Via sent-by, Contact, From
#   and SDP c=/o= as Kamailio logs them carry 127.0.0.2, and the far fax
#   machine, sending its media to 127.0.0.2, receives the pages;
# - a fax through the loopback trunk keeps the local address.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
. "$(dirname "$0")/lib_kamailio_tls.sh"
kam_tls_check
kam_tls_pki DNS:localhost

# --- a bad value: the daemon refuses to start, naming the setting
"$FAXVAULTD" --data-dir "$TMP/bad" bootstrap --operator op@example.com --json >/dev/null 2>&1 || fail "bootstrap of the second data directory"
timeout 120 "$FAXVAULTD" --data-dir "$TMP/bad" --http 127.0.0.1:0 --set log.file="$TMP/bad.log" \
	--set fax.loopback_sip=127.0.0.1:0 --set fax.sip_public_address='not an address!' >"$TMP/bad.out" 2>&1
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] && ok || fail "the daemon with a bad fax.sip_public_address: exit $rc"
grep -q 'sip_public_address' "$TMP/bad.out" "$TMP/bad.log" 2>/dev/null && ok || fail "the bad value is not named: $(tail -n 3 "$TMP/bad.out")"

fax_setup --set fax.sip_listen=udp:0.0.0.0:0 --set fax.sip_public_address=127.0.0.2
CPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=udp:0.0.0.0:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CPORT" ] && ok || { fail "no carrier listener: $(grep carrier_listen "$LOG")"; finish; exit 1; }
fail_stop() { fail "$1"; kill "$FAR_PID" 2>/dev/null; finish; exit 1; }

kam_tls_ports
far_start
kam_tls_start
trap 'kill "$KAM_PID" "$FAR_PID" 2>/dev/null; cleanup' EXIT

# --- the registration's Contact, and a call in through it
req POST /v1/provider/trunks "$OP" "{\"id\":\"kam\",\"name\":\"Kamailio\",\"peer\":\"127.0.0.1:$KPORT\",\"username\":\"faxuser\",\"password\":\"trunk-pass-123\",\"register\":true,\"prefixes\":[\"+44\"],\"inbound_cidrs\":[\"127.0.0.1/32\"],\"called_number\":\"to\"}"
expect_status 201 "a trunk registering with Kamailio"
reg_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .registration)" = "$2" ]; }
poll_until 120 reg_is kam registered && ok || fail_stop "not registered: $BODY; $(tail -n 5 "$TMP/kam/log")"
grep -q "kam: REGISTER of faxuser over udp authenticated, contact <sip:[^@]*@127.0.0.2:$CPORT" "$TMP/kam/log" && ok ||
	fail "the registered Contact is not the public address: $(grep 'kam: REGISTER' "$TMP/kam/log" | tail -n 1)"
req POST /v1/provider/numbers "$OP" '{"trunk":"kam","numbers":["+14155550100"]}'
expect_status 201 "a number on the trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"415\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds it"
"$TIFFTOOL" mk "$TMP/in.tif" 2
timeout 300 "$FAXTOOL" send "sip:+14155550100@127.0.0.1:$KPORT" "$TMP/in.tif" --clock-speed "$FAX_SPEED" \
	--from "+15550001111" --log "$TMP/in.log" >"$TMP/in.json" 2>&1 && ok ||
	fail "the carrier's call in: $(cat "$TMP/in.json"); $(grep 'kam:' "$TMP/kam/log" | tail -n 2)"
grep -q 'kam: inbound for +14155550100 to sip:faxuser@127.0.0.2:' "$TMP/kam/log" && ok ||
	fail "Kamailio did not route to the public address: $(grep 'kam: inbound' "$TMP/kam/log" | tail -n 1)"
wait_inbound "$USER_A" 1
expect_jq '.items[0].to == "+14155550100" and .items[0].page_count == 2' "the call in filed, both pages"

# --- a fax out: Via, Contact, From and SDP at the public address
make_pdf "$TMP/two.pdf" 2
send_fax "$USER_A" "+442071234567" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax out through the trunk"
[ -n "$FAX" ] || fail_stop "no fax id"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .page_count == 2' "delivered, the far end's media sent to the public address"
INV=$(grep -a 'kam: outbound INVITE via' "$TMP/kam/log" | tail -n 1)
case "$INV" in *"via SIP/2.0/UDP 127.0.0.2:"*) ok ;; *) fail "Via sent-by not the public address: $INV" ;; esac
case "$INV" in *"contact <sip:"*"@127.0.0.2:"*) ok ;; *) fail "Contact not the public address: $INV" ;; esac
case "$INV" in *"from sip:"*"@127.0.0.2 "*) ok ;; *) fail "From not the public address: $INV" ;; esac
grep -aq 'c=IN IP4 127.0.0.2' "$TMP/kam/log" && ok || fail "SDP c= not the public address: $(grep -a 'c=IN' "$TMP/kam/log" | tail -n 1)"
grep -aq 'o=faxvault [0-9]* [0-9]* IN IP4 127.0.0.2' "$TMP/kam/log" && ok || fail "SDP o= not the public address"
far_done

# --- the loopback trunk keeps the local address (no NAT between our own numbers)
req POST /v1/faxes "$USER_A" "" -F "file=@$TMP/two.pdf" -F "to=$NUM_B"
FAX=$(jqr '.items[0].id // empty')
[ -n "$FAX" ] && ok || fail "fax to B: $BODY"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered"' "a fax between our own numbers delivered"
finish
