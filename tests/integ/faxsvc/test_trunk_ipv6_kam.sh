#!/usr/bin/env bash
# A carrier's edge on IPv6 (issue 12): Kamailio listening on [::1] only
# (UDP, TCP and TLS; lib_kamailio_tls.sh with KAM_IP=[::1], a test CA whose
# certificates name ::1), as registrar and proxy with digest, beside IPv4
# in the same fax service. The service has carrier listeners of both
# families (udp:127.0.0.1, udp:[::1], tcp:[::1], tls:[::1]; the IPv4 one
# first) and its loopback trunk on 127.0.0.1. Three trunks register to
# Kamailio, over UDP, TCP and TLS, each with the Contact of our listener of
# its transport AND of Kamailio's family (an IPv4 Contact could not be
# reached from [::1]); each faxes out through Kamailio with digest (407)
# to a far fax machine on [::1]; a carrier's call for an account's number,
# routed in by Kamailio over [::1] (UDP, TCP or TLS to each binding), is
# filed in that account's inbox. IPv4 keeps working at the same time: a
# fax over the loopback trunk, and a carrier's fax into the IPv4 listener.
# Skipped (77) without ::1 or Kamailio and its TLS module.
ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' || { echo "skip: no ::1 on lo"; exit 77; }
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
KAM_IP="[::1]"
. "$(dirname "$0")/lib_kamailio_tls.sh"
kam_tls_check
kam_tls_pki IP:::1 IP:::1

fax_setup --set 'fax.sip_listen=udp:127.0.0.1:0,udp:[::1]:0,tcp:[::1]:0,tls:[::1]:0' \
	--set fax.sip_tls_cert="$TMP/pki/fv.pem" --set fax.sip_tls_key="$TMP/pki/fv.key" \
	--set fax.sip_tls_ca="$TMP/pki/ca.pem" --set fax.trunk_keepalive_seconds=1
bound() { sed -n "s/.*event=fax.carrier_listening .*sip=$1:\([0-9]*\).*/\1/p" "$LOG" | tail -n 1; }
C4=$(bound 'udp:127.0.0.1') C6=$(bound 'udp:\[::1\]') C6T=$(bound 'tcp:\[::1\]') C6S=$(bound 'tls:\[::1\]')
[ -n "$C4" ] && [ -n "$C6" ] && [ -n "$C6T" ] && [ -n "$C6S" ] && ok ||
	{ fail "carrier listeners: $(grep carrier_listening "$LOG")"; finish; exit 1; }

# Kamailio on [::1] and the far fax machine behind it: three calls (one per trunk).
kam_tls_ports
far_start 3
kam_tls_start
trap 'kill "$KAM_PID" "$FAR_PID" 2>/dev/null; cleanup' EXIT
grep -q 'listen=tls:\[::1\]' "$TMP/kam/kamailio.cfg" && ! grep -q '127\.0\.0\.1' "$TMP/kam/kamailio.cfg" && ok ||
	fail "Kamailio is not on [::1] only"

# --- three registering trunks to [::1]: over UDP, TCP and TLS
trunk6() { # ID TRANSPORT PORT USER PREFIX
	req POST /v1/provider/trunks "$OP" "{\"id\":\"$1\",\"name\":\"Kamailio over IPv6, $2\",\"peer\":\"[::1]:$3\",\"sip_transport\":\"$2\",\"username\":\"$4\",\"password\":\"trunk-pass-123\",\"register\":true,\"max_calls\":4,\"prefixes\":[\"$5\"],\"inbound_cidrs\":[\"::1/128\"],\"called_number\":\"to\"}"
	expect_status 201 "a registering trunk to [::1] over $2"
}
trunk6 kam6 udp "$KPORT" faxuser +4420
trunk6 kam6tcp tcp "$KTCP" faxtcp +4413
trunk6 kam6tls tls "$KTLS" faxtls +4414
# An IPv4 carrier beside them: its calls come to the IPv4 listener.
req POST /v1/provider/trunks "$OP" '{"id":"v4","name":"IPv4 carrier","peer":"127.0.0.1:5999","max_calls":2,"prefixes":["+1800"],"inbound_cidrs":["127.0.0.1/32"]}'
expect_status 201 "an IPv4 trunk"

reg_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .registration)" = "$2" ]; }
status_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .status)" = "$2" ]; }
for t in "kam6 udp faxuser $C6 " "kam6tcp tcp faxtcp $C6T ;transport=tcp" "kam6tls tls faxtls $C6S ;transport=tls"; do
	set -- $t
	poll_until 120 reg_is "$1" registered && ok ||
		{ fail "$1 not registered: $BODY; $(grep -i register "$LOG" | tail -n 3); $(tail -n 5 "$TMP/kam/log")"; finish; exit 1; }
	grep -qF "kam: REGISTER of $3 over $2 authenticated, contact <sip:$3@[::1]:$4${5:-}>" "$TMP/kam/log" && ok ||
		fail "the $2 binding is not our [::1] $2 listener: $(grep 'kam: REGISTER' "$TMP/kam/log" | tail -n 3)"
	poll_until 60 status_is "$1" up && ok || fail "$1 not up by OPTIONS: $BODY"
done

# --- out: through Kamailio on [::1], digest on the INVITE, to the far fax machine
make_pdf "$TMP/two.pdf" 2
for t in "kam6 udp faxuser +442071234567" "kam6tcp tcp faxtcp +441312345678" "kam6tls tls faxtls +441412345678"; do
	set -- $t
	send_fax "$USER_A" "$4" "$TMP/two.pdf" -F retries=0
	expect_status 202 "fax out through the $2 trunk"
	wait_fax "$USER_A" "$FAX"
	expect_jq ".status == \"delivered\" and .pages_confirmed == 2 and .attempts[0].trunk == \"$1\"" "delivered through Kamailio over $2"
	grep -qF "kam: outbound INVITE for $4 over $2 authenticated as $3" "$TMP/kam/log" && ok ||
		fail "Kamailio did not authenticate the $2 INVITE: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
done
far_done
jq -e -s 'length == 3 and all(.[]; .pages_received == 2)' "$TMP/far.json" >/dev/null && ok || fail "far end: $(cat "$TMP/far.json")"
grep -q 'event=media_\(audio\|t38\) .*peer=\[::1\]:' "$TMP/far.log" && ok || fail "the media did not come over [::1]"

# --- in: carriers' calls routed by Kamailio to our bindings on [::1]
req POST /v1/provider/numbers "$OP" '{"trunk":"kam6","numbers":["+14155550100","+12125550100","+12135550100"]}'
expect_status 201 "numbers on the IPv6 trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"415\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds +1415..."
req POST "/v1/accounts/$ACC_B/numbers" "$ADMIN_B" "{\"country\":\"US\",\"area_code\":\"212\",\"route_to\":\"$USER_ID_B\"}"
expect_status 201 "account B holds +1212..."
req POST "/v1/accounts/$ACC_B/numbers" "$ADMIN_B" "{\"country\":\"US\",\"area_code\":\"213\",\"route_to\":\"$USER_ID_B\"}"
expect_status 201 "account B holds +1213..."
"$TIFFTOOL" mk "$TMP/in.tif" 2
n=0
for t in "+14155550100 faxuser $C6  A +15550001111" "+12125550100 faxtcp $C6T ;transport=tcp B +15550002222" \
	"+12135550100 faxtls $C6S ;transport=tls B +15550004444"; do
	set -- $t
	[ $# = 5 ] && set -- "$1" "$2" "$3" "" "$4" "$5"
	n=$((n + 1))
	timeout 300 "$FAXTOOL" send "sip:$1@[::1]:$KPORT" "$TMP/in.tif" --clock-speed "$FAX_SPEED" \
		--from "$6" --log "$TMP/tx$n.log" >"$TMP/tx$n.json" && ok ||
		fail "the carrier's fax to $1: $(cat "$TMP/tx$n.json"); $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
	grep -qF "kam: inbound for $1 to sip:$2@[::1]:$3$4" "$TMP/kam/log" && ok ||
		fail "Kamailio did not route $1 to our binding of $2: $(grep "kam: inbound" "$TMP/kam/log")"
	tok=USER_$5 IN_TO=$1 IN_FROM=$6
	in_from() { req GET "/v1/faxes?direction=inbound" "${!tok}"; printf '%s' "$BODY" | jq -e --arg f "$IN_FROM" --arg to "$IN_TO" \
		'[.items[] | select(.from == $f and .to == $to and .status == "received" and .page_count == 2)] | length == 1' >/dev/null; }
	poll_until 120 in_from && ok || fail "the carrier's call to $1 is not in $5's inbox: ${BODY:0:300}"
done

# --- IPv4 at the same time: the loopback trunk, and a carrier into udp:127.0.0.1
send_fax "$USER_A" "$NUM_B" "$TMP/two.pdf"
expect_status 202 "A's user sends to B's number"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts[0].trunk == "loopback"' "delivered over the IPv4 loopback trunk"
req POST /v1/provider/numbers "$OP" '{"trunk":"v4","numbers":["+18005550100"]}'
expect_status 201 "a number on the IPv4 trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"800\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds +1800..."
timeout 300 "$FAXTOOL" send "sip:+18005550100@127.0.0.1:$C4" "$TMP/in.tif" --clock-speed "$FAX_SPEED" \
	--from "+15550003333" --log "$TMP/tx3.log" >"$TMP/tx3.json" && ok || fail "the IPv4 carrier's fax: $(cat "$TMP/tx3.json")"
grep -q 'event=fax.inbound_accepted .*trunk=v4' "$LOG" && ok || fail "not accepted on the IPv4 trunk: $(grep inbound_ "$LOG" | tail -n 3)"
in4() { req GET "/v1/faxes?direction=inbound" "$USER_A"; printf '%s' "$BODY" | jq -e '[.items[] | select(.from == "+15550003333")] | length == 1' >/dev/null; }
poll_until 60 in4 && ok || fail "the IPv4 carrier's fax is not in A's inbox: $BODY"
grep -q 'trunk-pass-' "$LOG" && fail "a trunk password reached the log" || ok
finish
