#!/usr/bin/env bash
# The name a trunk's carrier must show in its certificate (tls_peer_name),
# and which trunk a call is credited to when trunks share a source
# (issue 12). A test CA (the carrier's) signs Kamailio's certificate, which
# names only DNS:localhost, and the carriers' client certificates, one
# naming sip.carrier.example, one sip.other.example.
# - the API refuses a value that is not a DNS name or an address (422, the
#   field named, EN/FR) and the field on the loopback trunk; the CLI sets it
#   (--tls-peer-name) and shows it;
# - out: a trunk whose peer is Kamailio's address (127.0.0.1) registers
#   over TLS and its fax is delivered when tls_peer_name is localhost; with
#   another name, or none (the address is then checked, and the
#   certificate does not hold it), the registration fails and the trunk is
#   down;
# - in, under fax.sip_tls_verify_client=require: a carrier whose
#   certificate (of the trusted CA) names something else is refused (403,
#   counted as certificate_name); the one naming sip.carrier.example is
#   filed, the CDR naming the trunk;
# - two trunks on 127.0.0.1 (a udp: listener): a call is credited to the
#   trunk its called number is on, else to the trunk whose peer's host is
#   the Request-URI's, not to the first created.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
. "$(dirname "$0")/lib_kamailio_tls.sh"
kam_tls_check
kam_tls_pki DNS:localhost
(
	cd "$TMP/pki"
	o() { openssl "$@" >/dev/null 2>&1; }
	for who in carrier:DNS:sip.carrier.example other:DNS:sip.other.example; do
		n=${who%%:*}
		o req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$n.key" -out "$n.csr" -subj "/CN=$n"
		printf 'subjectAltName=%s\n' "${who#*:}" >"$n.ext"
		o x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$n.pem" -days 2 -extfile "$n.ext"
	done
)
[ -s "$TMP/pki/carrier.pem" ] && [ -s "$TMP/pki/other.pem" ] || { fail "openssl made no carrier certificates"; finish; exit 1; }
fax_setup --set fax.sip_listen=tls:127.0.0.1:0,udp:127.0.0.1:0 --set fax.sip_tls_verify_client=require \
	--set fax.sip_tls_cert="$TMP/pki/fv.pem" --set fax.sip_tls_key="$TMP/pki/fv.key" \
	--set fax.sip_tls_ca="$TMP/pki/ca.pem" --set fax.trunk_keepalive_seconds=1 --set metrics.listen=127.0.0.1:0
CPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=tls:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
UPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=udp:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CPORT" ] && [ -n "$UPORT" ] && ok || { fail "no carrier listeners: $(grep carrier_listen "$LOG")"; finish; exit 1; }
MPORT=$(metrics_port)
metric() { # metric NAME_WITH_LABELS: its value (0 when absent)
	curl -sf "http://127.0.0.1:$MPORT/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
fail_stop() { fail "$1"; kill "$FAR_PID" 2>/dev/null; finish; exit 1; }

kam_tls_ports
far_start
kam_tls_start
trap 'kill "$KAM_PID" "$FAR_PID" 2>/dev/null; cleanup' EXIT

TRUNK="\"name\":\"Kamailio\",\"sip_transport\":\"tls\",\"username\":\"faxuser\",\"password\":\"trunk-pass-123\",\"register\":true,\"peer\":\"127.0.0.1:$KTLS\""

# --- the API's refusals
for bad in '"not a name!"' '"[::1]"' '"sip.carrier.example:5061"' '42' '"-bad.example"'; do
	req POST /v1/provider/trunks "$OP" "{$TRUNK,\"tls_peer_name\":$bad}"
	expect_problem 422 validation-failed "tls_peer_name $bad refused"
	expect_jq '.field == "tls_peer_name"' "the field is named for $bad"
done
req POST /v1/provider/trunks "$OP" "{$TRUNK,\"tls_peer_name\":\"not a name!\"}" -H 'Accept-Language: fr'
expect_problem 422 validation-failed "refused in French"
expect_jq '.detail | test("nom DNS ou une adresse IP")' "said in French"
req PATCH /v1/provider/trunks/loopback "$OP" '{"tls_peer_name":"localhost"}'
expect_problem 422 validation-failed "no peer name on the loopback trunk"
expect_jq '.field == "tls_peer_name"' "the field is named for the loopback trunk"

# --- out: the carrier's address as peer, its certificate checked for a name
req POST /v1/provider/trunks "$OP" "{\"id\":\"kam\",$TRUNK,\"prefixes\":[\"+44\"],\"tls_peer_name\":\"localhost\"}"
expect_status 201 "a trunk whose certificate must name localhost"
expect_jq '.tls_peer_name == "localhost"' "the name answered"
req GET /v1/provider/trunks/kam "$OP"
expect_jq '.tls_peer_name == "localhost"' "the name read back"
reg_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .registration)" = "$2" ]; }
status_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .status)" = "$2" ]; }
poll_until 120 reg_is kam registered && ok ||
	fail_stop "not registered with tls_peer_name localhost: $BODY; $(grep 'trunk=kam ' "$LOG" | tail -n 3)"
poll_until 60 status_is kam up && ok || fail "the keep-alive checking localhost did not see it up: $BODY"
make_pdf "$TMP/one.pdf" 1
send_fax "$USER_A" "+442071234567" "$TMP/one.pdf" -F retries=0
expect_status 202 "fax out through the trunk"
[ -n "$FAX" ] || fail_stop "no fax id"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts[0].trunk == "kam"' "delivered, the certificate checked for localhost"
grep -q 'kam: outbound INVITE for +442071234567 over tls' "$TMP/kam/log" && ok ||
	fail "Kamailio did not take the INVITE over TLS: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
far_done

# another name: Kamailio's certificate does not hold it
req PATCH /v1/provider/trunks/kam "$OP" '{"tls_peer_name":"sip.other.example"}'
expect_status 200 "the name changed"
poll_until 120 reg_is kam failed && ok || fail "registered though the certificate does not name sip.other.example: $BODY"
poll_until 60 status_is kam down && ok || fail "up though the certificate does not name sip.other.example: $BODY"
grep -q 'event=fax.trunk_register_failed trunk=kam .*certificate' "$LOG" && ok ||
	fail "the refusal of the certificate not said: $(grep 'trunk_register_failed trunk=kam' "$LOG" | tail -n 1)"
# none: the address is checked, which the certificate does not hold either
req PATCH /v1/provider/trunks/kam "$OP" '{"tls_peer_name":null}'
expect_status 200 "the name removed"
expect_jq '.tls_peer_name == null' "removed"
# given back by the CLI: registered again
fv() { FAXVAULT_URL="$BASE" FAXVAULT_TOKEN="$OP" "$FV" "$@" >"$TMP/cli.out" 2>"$TMP/cli.err"; }
fv trunks update kam --tls-peer-name localhost && ok || fail "faxvault trunks update --tls-peer-name: $(cat "$TMP/cli.err")"
grep -q 'TLS peer name: *localhost' "$TMP/cli.out" && ok || fail "the CLI does not show the name: $(cat "$TMP/cli.out")"
poll_until 120 reg_is kam registered && ok || fail "not registered again with localhost: $BODY"
req PATCH /v1/provider/trunks/kam "$OP" '{"tls_peer_name":""}'
expect_status 200 "the name removed again"
poll_until 120 reg_is kam failed && ok || fail "registered with the address checked, which the certificate does not hold: $BODY"

# --- in: the carrier's certificate must name sip.carrier.example
req POST /v1/provider/trunks "$OP" '{"id":"carr","name":"Carrier","peer":"sip.carrier.example","prefixes":["+49"],"inbound_cidrs":["127.0.0.1/32"],"tls_peer_name":"sip.carrier.example"}'
expect_status 201 "a trunk taking calls from 127.0.0.1 named sip.carrier.example"
req POST /v1/provider/numbers "$OP" '{"trunk":"carr","numbers":["+14155550100"]}'
expect_status 201 "a number on the trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"415\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds it"
"$TIFFTOOL" mk "$TMP/in.tif" 1
carrier_send() { # carrier_send NAME PORT TO [faxvault-fax options]
	local n=$1 port=$2 to=$3
	shift 3
	timeout 300 "$FAXTOOL" send "sip:$to@127.0.0.1:$port" "$TMP/in.tif" --clock-speed "$FAX_SPEED" \
		--from "+15550001111" "$@" --log "$TMP/$n.log" >"$TMP/$n.json" 2>&1
}
carrier_send other "$CPORT" +14155550100 --transport tls --tls-ca "$TMP/pki/ca.pem" \
	--tls-cert "$TMP/pki/other.pem" --tls-key "$TMP/pki/other.key" &&
	fail "a certificate naming sip.other.example was let in" || ok
jq -e '.sip_status == 403' "$TMP/other.json" >/dev/null && ok || fail "not 403: $(cat "$TMP/other.json")"
[ "$(metric 'faxvault_fax_inbound_refused_total{reason="certificate_name"}')" = 1 ] && ok ||
	fail "the refusal is not counted as certificate_name"
grep -q 'event=fax.inbound_refused status=403 reason=certificate_name' "$LOG" && ok || fail "the refusal is not logged"
# over UDP (no certificate at all): refused the same way
carrier_send nocert "$UPORT" +14155550100 && fail "a call without a certificate was let in" || ok
jq -e '.sip_status == 403' "$TMP/nocert.json" >/dev/null && ok || fail "not 403 without a certificate: $(cat "$TMP/nocert.json")"
carrier_send right "$CPORT" +14155550100 --transport tls --tls-ca "$TMP/pki/ca.pem" \
	--tls-cert "$TMP/pki/carrier.pem" --tls-key "$TMP/pki/carrier.key" && ok ||
	fail "the carrier naming sip.carrier.example: $(cat "$TMP/right.json"); $(grep -i 'tls\|fail' "$TMP/right.log" | tail -n 3)"
wait_inbound "$USER_A" 1
expect_jq '.items[0].to == "+14155550100" and (.items | length) == 1' "its fax filed, and only it"
IN=$(jqr '.items[0].id')
req GET "/v1/faxes/$IN" "$USER_A"
expect_jq '.attempts[0].trunk == "carr"' "the CDR names the trunk"

# --- two trunks on 127.0.0.1: the number's trunk, then the Request-URI's host
req POST /v1/provider/trunks "$OP" '{"id":"sh1","name":"Shared one","peer":"localhost:9","prefixes":["+33"],"inbound_cidrs":["127.0.0.1/32"]}'
expect_status 201 "a first trunk on 127.0.0.1"
req POST /v1/provider/trunks "$OP" '{"id":"sh2","name":"Shared two","peer":"127.0.0.1:9","prefixes":["+34"],"inbound_cidrs":["127.0.0.1/32"]}'
expect_status 201 "a second trunk on 127.0.0.1"
req POST /v1/provider/numbers "$OP" '{"trunk":"sh2","numbers":["+12125550100"]}'
expect_status 201 "a number on the second"
req POST "/v1/accounts/$ACC_B/numbers" "$ADMIN_B" "{\"country\":\"US\",\"area_code\":\"212\",\"route_to\":\"$USER_ID_B\"}"
expect_status 201 "account B holds it"
carrier_send shared2 "$UPORT" +12125550100 && ok || fail "a call to the second trunk's number: $(cat "$TMP/shared2.json")"
wait_inbound "$USER_B" 1
IN=$(jqr '.items[0].id')
req GET "/v1/faxes/$IN" "$USER_B"
expect_jq '.to == "+12125550100" and .attempts[0].trunk == "sh2"' "credited to the trunk its number is on, not the first"
# a number of neither (carr's): the trunk whose peer's host (127.0.0.1) the
# Request-URI names; carr itself requires a certificate a UDP call has not
req POST /v1/provider/numbers "$OP" '{"trunk":"carr","numbers":["+12135550100"]}'
expect_status 201 "a number on the named trunk"
req POST "/v1/accounts/$ACC_B/numbers" "$ADMIN_B" "{\"country\":\"US\",\"area_code\":\"213\",\"route_to\":\"$USER_ID_B\"}"
expect_status 201 "account B holds it"
carrier_send shared3 "$UPORT" +12135550100 && ok || fail "a call to another trunk's number: $(cat "$TMP/shared3.json")"
wait_inbound "$USER_B" 2
expect_jq '[.items[] | select(.to == "+12135550100")] | length == 1' "filed"
IN=$(jqr '[.items[] | select(.to == "+12135550100")][0].id')
req GET "/v1/faxes/$IN" "$USER_B"
expect_jq '.attempts[0].trunk == "sh2"' "credited to the trunk whose peer the Request-URI names"
finish
