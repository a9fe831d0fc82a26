#!/usr/bin/env bash
# TLS and TCP trunks given as a host name alone (issue 12, RFC 3263): the
# DNS test double (dnsmasq, lib_dns.sh) answers NAPTR and SRV records that
# lead to Kamailio with its TLS module on 127.0.0.1 (a test CA made here;
# Kamailio's certificate names the SIP domains, not the SRV targets, as
# RFC 5922 wants). NAPTR and SRV choose among the trunk's transports
# (sip_transport and sip_transports):
# - `faxvault-fax resolve`: without NAPTR the SRV names are tried TLS,
#   TCP, UDP and all kept in that order; NAPTR's records of every allowed
#   transport are kept in order; a HOST:PORT takes the transport asked;
# - a trunk "carrier.test" over TLS: REGISTER goes by _sips._tcp SRV over
#   TLS; its first TLS target refuses the connection, the same call goes
#   on to the second (Kamailio over TLS, digest) and the fax is delivered;
# - a trunk over TLS that may also use TCP: NAPTR's TLS target is dead,
#   the call goes on to its TCP target (failover across transports);
# - the same name over TLS only: no TCP target is taken (no downgrade), the
#   fax fails, class network;
# - sip_transports refused when it is not a list of udp, tcp, tls.
. "$(dirname "$0")/../api/lib_dns.sh"
dns_netns "$@"
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
. "$(dirname "$0")/lib_kamailio_tls.sh"
kam_tls_check
dns_setup

# The test CA, Kamailio's certificate (the SIP domains) and ours (127.0.0.1).
kam_tls_pki DNS:carrier.test,DNS:mixed.carrier.test,DNS:srvonly.carrier.test
kam_tls_ports
# nothing listens there: a TCP connection to it is refused at once
DEAD=$(free_port)
dns_start carrier.test \
	--host-record=kam.carrier.test,127.0.0.1 --host-record=dead.carrier.test,127.0.0.1 \
	--naptr-record=carrier.test,10,50,s,SIPS+D2T,,_sips._tcp.carrier.test \
	--naptr-record=carrier.test,20,50,s,SIP+D2T,,_sip._tcp.carrier.test \
	--naptr-record=carrier.test,30,50,s,SIP+D2U,,_sip._udp.carrier.test \
	--srv-host=_sips._tcp.carrier.test,dead.carrier.test,"$DEAD",10,10 \
	--srv-host=_sips._tcp.carrier.test,kam.carrier.test,"$KTLS",20,10 \
	--srv-host=_sip._tcp.carrier.test,kam.carrier.test,"$KTCP",10,10 \
	--srv-host=_sip._udp.carrier.test,kam.carrier.test,"$KPORT",10,10 \
	--naptr-record=mixed.carrier.test,10,50,s,SIPS+D2T,,_sips._tcp.mixed.carrier.test \
	--naptr-record=mixed.carrier.test,20,50,s,SIP+D2T,,_sip._tcp.mixed.carrier.test \
	--srv-host=_sips._tcp.mixed.carrier.test,dead.carrier.test,"$DEAD",10,10 \
	--srv-host=_sip._tcp.mixed.carrier.test,kam.carrier.test,"$KTCP",10,10 \
	--srv-host=_sip._udp.srvonly.carrier.test,kam.carrier.test,"$KPORT",10,10 \
	--srv-host=_sips._tcp.srvonly.carrier.test,kam.carrier.test,"$KTLS",10,10

# --- the resolver alone
res() { # res ARGS...: faxvault-fax resolve into BODY and RC
	BODY=$("$FAXTOOL" resolve "$@")
	RC=$?
}
targets() { printf '%s' "$BODY" | jq -c '[.targets[] | [.transport, .port]]'; }
res srvonly.carrier.test
[ "$RC" = 0 ] && [ "$(targets)" = "[[\"tls\",$KTLS],[\"udp\",$KPORT]]" ] && ok ||
	fail "no NAPTR: SRV of _sips._tcp, then _sip._udp, all kept: $BODY"
res carrier.test --transports tls,tcp
[ "$(targets)" = "[[\"tls\",$DEAD],[\"tls\",$KTLS],[\"tcp\",$KTCP]]" ] && printf '%s' "$BODY" | jq -e '.how == "naptr"' >/dev/null && ok ||
	fail "NAPTR: the TLS record's targets by priority, then the TCP record's: $BODY"
res carrier.test --transports tls
[ "$(targets)" = "[[\"tls\",$DEAD],[\"tls\",$KTLS]]" ] && ok || fail "TLS only: the SIPS+D2T record alone: $BODY"
res kam.carrier.test:5999 --transport tls
[ "$(targets)" = '[["tls",5999]]' ] && ok || fail "HOST:PORT over the transport asked: $BODY"
res 127.0.0.1:5999 --transport tcp
[ "$(targets)" = '[["tcp",5999]]' ] && ok || fail "IP:PORT over the transport asked: $BODY"
res carrier.test --transport sctp
[ "$RC" = 2 ] && ok || fail "an unknown --transport: exit $RC"

# --- Kamailio: the carrier's edge (TLS, TCP, UDP), the far fax machine behind it
fax_setup --set fax.sip_listen=tls:127.0.0.1:0,tcp:127.0.0.1:0 --set metrics.listen=127.0.0.1:0 \
	--set fax.sip_tls_cert="$TMP/pki/fv.pem" --set fax.sip_tls_key="$TMP/pki/fv.key" \
	--set fax.sip_tls_ca="$TMP/pki/ca.pem" --set fax.trunk_keepalive_seconds=3600
CPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=tls:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CPORT" ] && ok || { fail "no tls: carrier listener: $(grep carrier_listen "$LOG")"; finish; exit 1; }
kam_tls_start
trap 'kill "$KAM_PID" $FAR_PID 2>/dev/null; dns_stop; cleanup' EXIT
kam_up() { grep -q 'kam: REGISTER' "$TMP/kam/log" 2>/dev/null || [ -s "$TMP/kam/pid" ]; }
poll_until 60 kam_up || fail "kamailio did not start: $(tail -n 5 "$TMP/kam/log")"
make_pdf "$TMP/two.pdf" 2

# --- sip_transports: checked
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"carrier.test","sip_transports":["sctp"]}'
expect_problem 422 validation-failed "sip_transports naming an unknown transport"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"carrier.test","sip_transports":["tcp","tcp"]}'
expect_problem 422 validation-failed "sip_transports naming one transport twice"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"carrier.test","sip_transports":"tcp"}'
expect_problem 422 validation-failed "sip_transports not a list"
req PATCH /v1/provider/trunks/loopback "$OP" '{"sip_transports":["tls"]}'
expect_problem 422 validation-failed "the loopback trunk over TLS by DNS"

# --- a TLS trunk by host name: REGISTER by SRV over TLS; the call's first target dead, the next one carries it
req POST /v1/provider/trunks "$OP" '{"id":"tlsdns","name":"TLS by name","peer":"carrier.test","sip_transport":"tls","username":"faxuser","password":"trunk-pass-123","register":true,"max_calls":2,"prefixes":["+44"]}'
expect_status 201 "a TLS trunk whose peer is a host name alone"
expect_jq '.sip_transport == "tls" and .sip_transports == []' "sip_transports empty by default"
reg_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .registration)" = "$2" ]; }
poll_until 120 reg_is tlsdns registered && ok || fail "not registered over TLS by SRV: $BODY; $(grep -i 'trunk_register' "$LOG" | tail -n 3)"
grep -q "kam: REGISTER of faxuser over tls authenticated, contact <sip:faxuser@127.0.0.1:$CPORT;transport=tls>" "$TMP/kam/log" && ok ||
	fail "Kamailio did not take our REGISTER over TLS: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
far_start
send_fax "$USER_A" "+442071234567" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax over the TLS trunk by name"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and (.attempts | length) == 1 and .attempts[0].trunk == "tlsdns"' \
	"delivered through the second TLS target, one attempt"
grep -q "event=fax.target_failover .*fax=$FAX trunk=tlsdns target=127.0.0.1:$DEAD next=127.0.0.1:$KTLS " "$LOG" && ok ||
	fail "no failover from the dead TLS target to the live one: $(grep "fax=$FAX" "$LOG" | grep -v page | tail -n 4)"
grep -q 'kam: outbound INVITE for +442071234567 over tls authenticated as faxuser' "$TMP/kam/log" && ok ||
	fail "Kamailio did not take the INVITE over TLS: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
far_done
req GET /v1/provider/trunks/tlsdns "$OP"
expect_jq '[.targets[] | [.host, .port, .transport, .state]] == [["dead.carrier.test",'"$DEAD"',"tls","down"],["kam.carrier.test",'"$KTLS"',"tls","up"]]' \
	"the trunk shows its TLS targets, the dead one down"

# --- TLS that may fall back to TCP: NAPTR's TLS target dead, its TCP target carries the call
req POST /v1/provider/trunks "$OP" '{"id":"mixed","name":"TLS or TCP","peer":"mixed.carrier.test","sip_transport":"tls","sip_transports":["tcp"],"username":"faxuser","password":"trunk-pass-123","max_calls":2,"prefixes":["+33"]}'
expect_status 201 "a trunk over TLS that NAPTR may put on TCP"
expect_jq '.sip_transports == ["tcp"]' "sip_transports answered"
far_start
send_fax "$USER_A" "+33123456789" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax over the TLS-or-TCP trunk"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and (.attempts | length) == 1 and .attempts[0].trunk == "mixed"' "delivered over the TCP target"
grep -q "event=fax.target_failover .*fax=$FAX trunk=mixed target=127.0.0.1:$DEAD next=127.0.0.1:$KTCP " "$LOG" && ok ||
	fail "no failover from TLS to TCP: $(grep "fax=$FAX" "$LOG" | grep -v page | tail -n 4)"
grep -q 'kam: outbound INVITE for +33123456789 over tcp authenticated as faxuser' "$TMP/kam/log" && ok ||
	fail "Kamailio did not take the INVITE over TCP: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
far_done

# --- the same name over TLS only: its TCP target is not taken
req PATCH /v1/provider/trunks/mixed "$OP" '{"sip_transports":null}'
expect_status 200 "the TCP fallback removed"
expect_jq '.sip_transports == []' "sip_transports emptied"
send_fax "$USER_A" "+33123456780" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax over the TLS-only trunk"
wait_fax "$USER_A" "$FAX" 120
expect_jq '.status == "failed" and .attempts[0].trunk == "mixed" and .attempts[0].failure_class == "network"' \
	"failed, class network: no downgrade to TCP"
grep -q 'kam: outbound INVITE for +33123456780' "$TMP/kam/log" && fail "the TLS-only trunk's call went over TCP" || ok
grep -q 'trunk-pass-123' "$LOG" && fail "a trunk password reached the log" || ok
finish
