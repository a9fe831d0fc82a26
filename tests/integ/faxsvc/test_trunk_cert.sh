#!/usr/bin/env bash
# A client certificate per trunk (issue 12): Kamailio's TLS listener, as a
# carrier's edge that asks every client for a certificate of its CA (a test
# CA made here), refuses connections without one. The fax service's own
# certificate (fax.sip_tls_cert) comes from another CA, so that only a
# trunk's own certificate (tls_cert, tls_key) opens the carrier's door:
# - the API refuses a certificate without its key, text that is not PEM,
#   a key that does not match, and a certificate on the loopback trunk; it
#   answers the certificate and has_tls_key, never the key;
# - a trunk with its own certificate registers over TLS, its OPTIONS
#   keep-alive sees it up, and a fax goes out through Kamailio (digest on
#   the INVITE) to the far receiver;
# - turned off, the trunk's binding is removed (REGISTER with Expires: 0)
#   with the trunk's own certificate, which Kamailio logs;
# - a trunk without one (the service's certificate presented) fails to
#   register, is down, and its fax fails, class network, with no INVITE at
#   Kamailio; given its certificate by PATCH it registers; removed, it
#   fails again;
# - fax.sip_tls_verify_client=require on our tls: listener: a carrier
#   (faxvault-fax) without a client certificate, or with one of another CA,
#   is refused; with one of fax.sip_tls_ca its fax is filed;
# - the key is in no log line and not in clear in the data directory.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
. "$(dirname "$0")/lib_kamailio_tls.sh"
kam_tls_check
# The carrier's CA, Kamailio's certificate (localhost) and the trunk's
# (fv.pem, fv.key); the service's own from another CA.
kam_tls_pki DNS:localhost
(
	cd "$TMP/pki"
	o() { openssl "$@" >/dev/null 2>&1; }
	o req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=other-ca
	o req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout svc.key -out svc.csr -subj /CN=svc
	printf 'subjectAltName=IP:127.0.0.1\n' >svc.ext
	o x509 -req -in svc.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial -out svc.pem -days 2 -extfile svc.ext
)
[ -s "$TMP/pki/svc.pem" ] || { fail "openssl made no service certificate"; finish; exit 1; }
fax_setup --set fax.sip_listen=tls:127.0.0.1:0 --set fax.sip_tls_verify_client=require \
	--set fax.sip_tls_cert="$TMP/pki/svc.pem" --set fax.sip_tls_key="$TMP/pki/svc.key" \
	--set fax.sip_tls_ca="$TMP/pki/ca.pem" --set fax.trunk_keepalive_seconds=1
CPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=tls:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CPORT" ] && ok || { fail "no tls: carrier listener: $(grep carrier_listen "$LOG")"; finish; exit 1; }
fail_stop() { fail "$1"; kill "$FAR_PID" 2>/dev/null; finish; exit 1; }

KAM_CLIENT_CERT=yes
kam_tls_ports
far_start
kam_tls_start
trap 'kill "$KAM_PID" "$FAR_PID" 2>/dev/null; cleanup' EXIT

CERT=$(jq -Rs . <"$TMP/pki/fv.pem")
KEY=$(jq -Rs . <"$TMP/pki/fv.key")
SVCKEY=$(jq -Rs . <"$TMP/pki/svc.key")
# a line of the key's base64 that is the private value's (searched below)
KEYLINE=$(sed -n 2p "$TMP/pki/fv.key")
TRUNK="\"name\":\"Kamailio\",\"sip_transport\":\"tls\",\"username\":\"faxuser\",\"password\":\"trunk-pass-123\",\"register\":true"

# --- refusals of the API
req POST /v1/provider/trunks "$OP" "{$TRUNK,\"peer\":\"localhost:$KTLS\",\"tls_cert\":$CERT}"
expect_problem 422 validation-failed "a certificate without its key"
expect_jq '.field == "tls_key"' "the key is named"
req POST /v1/provider/trunks "$OP" "{$TRUNK,\"peer\":\"localhost:$KTLS\",\"tls_cert\":\"not a certificate\",\"tls_key\":$KEY}"
expect_problem 422 validation-failed "a certificate that is not PEM"
expect_jq '.field == "tls_cert"' "the certificate is named"
req POST /v1/provider/trunks "$OP" "{$TRUNK,\"peer\":\"localhost:$KTLS\",\"tls_cert\":$CERT,\"tls_key\":$SVCKEY}"
expect_problem 422 validation-failed "a key that does not match the certificate"
expect_jq '.field == "tls_key" and (.detail | test("does not match"))' "the mismatch said"
printf '%s' "$BODY" | grep -q 'PRIVATE KEY' && fail "the refusal carries the key" || ok
req PATCH /v1/provider/trunks/loopback "$OP" "{\"tls_cert\":$CERT,\"tls_key\":$KEY}"
expect_problem 422 validation-failed "a client certificate on the loopback trunk"
req POST /v1/provider/trunks "$OP" "{$TRUNK,\"peer\":\"localhost:$KTLS\",\"tls_cert\":$CERT,\"tls_key\":$SVCKEY}" -H 'Accept-Language: fr'
expect_problem 422 validation-failed "the mismatch in French"
expect_jq '.detail | test("ne correspond pas")' "said in French"

# --- a trunk with its own certificate
req POST /v1/provider/trunks "$OP" "{\"id\":\"kamc\",$TRUNK,\"peer\":\"localhost:$KTLS\",\"prefixes\":[\"+44\"],\"tls_cert\":$CERT,\"tls_key\":$KEY,\"inbound_cidrs\":[\"127.0.0.1/32\"],\"called_number\":\"to\"}"
expect_status 201 "a trunk with its own client certificate"
expect_jq ".has_tls_key == true and .tls_cert == $CERT and (has(\"tls_key\") | not)" "the certificate answered, the key not"
printf '%s' "$BODY" | grep -q 'PRIVATE KEY' && fail "the answer carries the key" || ok

reg_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .registration)" = "$2" ]; }
status_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .status)" = "$2" ]; }
poll_until 120 reg_is kamc registered && ok ||
	fail_stop "not registered with the trunk's certificate: $BODY; $(grep 'trunk=kamc' "$LOG" | tail -n 3); $(tail -n 5 "$TMP/kam/log")"
poll_until 60 status_is kamc up && ok || fail "the keep-alive with the trunk's certificate did not see it up: $BODY"
make_pdf "$TMP/two.pdf" 2
send_fax "$USER_A" "+442071234567" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax out with the trunk's certificate"
[ -n "$FAX" ] || fail_stop "no fax id"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts[0].trunk == "kamc"' "delivered through the carrier that asks for a certificate"
grep -q 'kam: outbound INVITE for +442071234567 over tls authenticated as faxuser' "$TMP/kam/log" && ok ||
	fail "Kamailio did not take the INVITE over TLS: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
far_done

# --- in: fax.sip_tls_verify_client=require on our tls: listener. A carrier
# (faxvault-fax from 127.0.0.1, a source of kamc) without a client
# certificate, or with one of a CA fax.sip_tls_ca does not hold, is refused
# at the handshake; with one of the carrier CA its fax is filed.
req POST /v1/provider/numbers "$OP" '{"trunk":"kamc","numbers":["+14155550100"]}'
expect_status 201 "a number on the trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"415\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds it"
"$TIFFTOOL" mk "$TMP/in.tif" 1
carrier_send() { # carrier_send NAME [--tls-cert C --tls-key K]
	local n=$1
	shift
	timeout 300 "$FAXTOOL" send "sip:+14155550100@127.0.0.1:$CPORT" "$TMP/in.tif" --clock-speed "$FAX_SPEED" \
		--from "+15550001111" --transport tls --tls-ca "$TMP/pki/other-ca.pem" "$@" --log "$TMP/$n.log" >"$TMP/$n.json" 2>&1
}
carrier_send nocert && fail "a carrier without a client certificate was let in" || ok
[ "$(jq -r .status "$TMP/nocert.json" 2>/dev/null)" != done ] && ok || fail "the fax without a certificate went through"
carrier_send othercert --tls-cert "$TMP/pki/svc.pem" --tls-key "$TMP/pki/svc.key" &&
	fail "a client certificate of another CA was let in" || ok
carrier_send cert --tls-cert "$TMP/pki/fv.pem" --tls-key "$TMP/pki/fv.key" && ok ||
	fail "the carrier with its certificate: $(cat "$TMP/cert.json"); $(grep -i 'tls\|fail' "$TMP/cert.log" | tail -n 3)"
wait_inbound "$USER_A" 1
expect_jq '.items[0].to == "+14155550100" and .items[0].status == "received" and (.items | length) == 1' \
	"the fax of the carrier with a certificate filed, and only it"

# --- a trunk without one: the service's certificate is refused by the carrier
req PATCH /v1/provider/trunks/kamc "$OP" '{"status":"disabled"}'
expect_status 200 "the first trunk off"
# its binding removed (Expires: 0) with the trunk's own certificate: with
# the service's, the carrier would refuse the connection
unregistered() { grep -q 'event=fax.trunk_unregistered trunk=kamc sip_status=200 client_cert=trunk' "$LOG"; }
poll_until 120 unregistered && ok || fail "the binding was not removed with the trunk's certificate: $(grep 'trunk_unreg' "$LOG" | tail -n 2)"
grep -q 'kam: REGISTER over tls with client certificate fv, expires 0' "$TMP/kam/log" && ok ||
	fail "Kamailio saw no Expires 0 with the trunk's certificate: $(grep 'kam: REGISTER over tls' "$TMP/kam/log" | tail -n 3)"
req POST /v1/provider/trunks "$OP" "{\"id\":\"kamn\",$TRUNK,\"peer\":\"localhost:$KTLS\",\"prefixes\":[\"+49\"]}"
expect_status 201 "a trunk without a certificate of its own"
expect_jq '.has_tls_key == false and .tls_cert == null' "no certificate"
poll_until 120 reg_is kamn failed && ok || fail "registration without the carrier's certificate not failed: $BODY"
poll_until 60 status_is kamn down && ok || fail "the trunk without a certificate is not down: $BODY"
send_fax "$USER_A" "+4930123456" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax through a trunk without a certificate"
wait_fax "$USER_A" "$FAX" 60
expect_jq '.status == "failed" and .attempts[0].trunk == "kamn" and .attempts[0].failure_class == "network"' "failed, class network"
grep -q 'kam: outbound INVITE for +4930123456' "$TMP/kam/log" && fail "an INVITE passed without a client certificate" || ok

# --- given its certificate by the CLI, it registers; removed, it fails again
fv() { FAXVAULT_URL="$BASE" FAXVAULT_TOKEN="$OP" "$FV" "$@" >"$TMP/cli.out" 2>"$TMP/cli.err"; }
fv trunks update kamn --tls-cert "$TMP/pki/fv.pem" && fail "--tls-cert alone not refused by the CLI" || ok
fv trunks update kamn --tls-cert "$TMP/pki/fv.pem" --tls-key "$TMP/pki/fv.key" && ok ||
	fail "faxvault trunks update --tls-cert --tls-key: $(cat "$TMP/cli.err")"
grep -q 'TLS client cert: *yes' "$TMP/cli.out" && ok || fail "the CLI does not show the certificate: $(cat "$TMP/cli.out")"
grep -q 'PRIVATE KEY' "$TMP/cli.out" && fail "the CLI printed the key" || ok
req GET /v1/provider/trunks/kamn "$OP"
expect_jq ".has_tls_key == true and .tls_cert == $CERT" "the certificate given by the CLI"
poll_until 120 reg_is kamn registered && ok || fail "not registered once given the certificate: $BODY"
poll_until 60 status_is kamn up && ok || fail "not up once given the certificate: $BODY"
fv trunks update kamn --no-tls-cert && ok || fail "faxvault trunks update --no-tls-cert: $(cat "$TMP/cli.err")"
req GET /v1/provider/trunks/kamn "$OP"
expect_jq '.has_tls_key == false and .tls_cert == null' "removed"
poll_until 120 reg_is kamn failed && ok || fail "still registered without the certificate: $BODY"

# --- the key is nowhere in clear
grep -qF "$KEYLINE" "$LOG" && fail "the trunk's key reached the log" || ok
[ "$(grep -rlF "$KEYLINE" "$DATA" 2>/dev/null | wc -l)" = 0 ] && ok || fail "the trunk's key in clear in the data directory"
grep -q 'trunk-pass-123' "$LOG" && fail "a trunk password reached the log" || ok
finish
