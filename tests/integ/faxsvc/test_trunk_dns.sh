#!/usr/bin/env bash
# Trunk peers by host name (issue 12, RFC 3263), against the DNS test double
# (dnsmasq, lib_dns.sh) and real SIP peers on loopback:
# - `faxvault-fax resolve`: NAPTR in order (a TLS record first, skipped when
#   only UDP can be dialled), then SRV by priority, SRV without NAPTR, a
#   HOST:PORT's address, an AAAA-only name (no IPv4 target), NXDOMAIN;
# - a trunk whose peer is "carrier.test" alone: its first SRV target answers
#   503, the same call goes on to the second target and the fax is
#   delivered with one CDR; GET /v1/provider/trunks/{id} shows the targets;
# - a dead first target (nothing listening): the keep-alive sees it
#   unreachable, marks it down, and the next fax goes to the live one;
# - a mute first target (answers OPTIONS, never an INVITE, not even 100):
#   the call goes on to the next target after TRUNK_TARGET_TIMEOUT_MS;
# - a peer name that does not exist: the fax fails with class "dns" and the
#   trunk shows why.
# - the lookups are the SIP front end's (the DNS answers are parsed there,
#   never in the service that holds the keys): toward a DNS server that
#   never answers, the sockets that wait for it are the front end's, never
#   the service's, and the fax fails with class "dns".
. "$(dirname "$0")/../api/lib_dns.sh"
dns_netns "$@"
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
dns_setup

receiver live 3
LIVE_PID=$RX_PID LIVE_PORT=$RX_PORT
python3 "$(dirname "$0")/sip_refuser.py" "$TMP/refuser.port" 503 300 >"$TMP/refuser.out" 2>&1 &
REF_PID=$!
have_port() { [ -s "$TMP/refuser.port" ]; }
poll_until 30 have_port || fail "the refusing carrier did not start"
REF_PORT=$(cat "$TMP/refuser.port")
python3 "$(dirname "$0")/sip_refuser.py" "$TMP/mute.port" 0 300 >"$TMP/mute.out" 2>&1 &
MUTE_PID=$!
have_mute() { [ -s "$TMP/mute.port" ]; }
poll_until 30 have_mute || fail "the mute carrier did not start"
MUTE_PORT=$(cat "$TMP/mute.port")
DEAD_PORT=$(free_port)

dns_start carrier.test \
	--host-record=a.carrier.test,127.0.0.1 --host-record=b.carrier.test,127.0.0.1 \
	--host-record=c.carrier.test,127.0.0.1 --host-record=plain.carrier.test,127.0.0.1 \
	--host-record=v6.carrier.test,::1 \
	--naptr-record=carrier.test,5,50,s,SIPS+D2T,,_sips._tcp.carrier.test \
	--naptr-record=carrier.test,10,50,s,SIP+D2U,,_sip._udp.carrier.test \
	--naptr-record=carrier.test,20,50,s,SIP+D2S,,_sip._sctp.carrier.test \
	--srv-host=_sips._tcp.carrier.test,a.carrier.test,5061,10,10 \
	--srv-host=_sip._udp.carrier.test,b.carrier.test,"$LIVE_PORT",20,10 \
	--srv-host=_sip._udp.carrier.test,a.carrier.test,"$REF_PORT",10,10 \
	--srv-host=_sip._udp.dead.carrier.test,c.carrier.test,"$DEAD_PORT",10,10 \
	--srv-host=_sip._udp.dead.carrier.test,b.carrier.test,"$LIVE_PORT",20,10 \
	--srv-host=_sip._udp.mute.carrier.test,c.carrier.test,"$MUTE_PORT",10,10 \
	--srv-host=_sip._udp.mute.carrier.test,b.carrier.test,"$LIVE_PORT",20,10

# --- the resolver alone
res() { # res ARGS...: faxvault-fax resolve into BODY and RC
	BODY=$("$FAXTOOL" resolve "$@")
	RC=$?
}
res carrier.test
[ "$RC" = 0 ] && ok || fail "resolve carrier.test: $RC $BODY"
expect_jq '.how == "naptr" and .targets[0].transport == "tls" and .targets[0].port == 5061 and .targets[0].host == "a.carrier.test"' \
	"NAPTR's first record (order 5, SIPS+D2T) is TLS when TLS may be dialled"
res carrier.test --transports udp
expect_jq '.how == "naptr" and ([.targets[] | [.host, .port, .priority, .transport, .address]] == [["a.carrier.test", '"$REF_PORT"', 10, "udp", "127.0.0.1"], ["b.carrier.test", '"$LIVE_PORT"', 20, "udp", "127.0.0.1"]])' \
	"UDP only: NAPTR's SIP+D2U record, then its SRV targets by priority"
res dead.carrier.test
expect_jq '.how == "srv" and ([.targets[].port] == ['"$DEAD_PORT"', '"$LIVE_PORT"'])' "no NAPTR: the SRV records of _sip._udp"
res plain.carrier.test
expect_jq '.how == "a" and .targets == [{"host":"plain.carrier.test","address":"127.0.0.1","port":5060,"family":4,"transport":"udp","priority":0,"weight":0}]' \
	"no NAPTR, no SRV: the host's address on 5060"
res b.carrier.test:5070
expect_jq '.how == "a" and .targets[0].address == "127.0.0.1" and .targets[0].port == 5070 and (.targets | length) == 1' \
	"HOST:PORT: the host's address, no SRV"
res v6.carrier.test:5070 --families 4,6
expect_jq '.targets == [{"host":"v6.carrier.test","address":"::1","port":5070,"family":6,"transport":"udp","priority":0,"weight":0}]' \
	"an AAAA-only name gives its IPv6 address"
res v6.carrier.test:5070 --families 4
[ "$RC" = 1 ] && ok || fail "an AAAA-only name with IPv4 only: exit $RC"
expect_jq '.error == "no_target"' "... no target that can be dialled"
res nothere.carrier.test
[ "$RC" = 1 ] && ok || fail "NXDOMAIN: exit $RC"
expect_jq '.error == "nxdomain" and (.reason | contains("NXDOMAIN"))' "a name that does not exist is NXDOMAIN"
res "not a peer"
[ "$RC" = 2 ] && ok || fail "a bad peer: exit $RC"

# --- the daemon
fax_setup --set fax.trunk_keepalive_seconds=1 --set metrics.listen=127.0.0.1:0
MPORT=$(metrics_port)
metric() { # metric NAME_WITH_LABELS: its value (-1 when absent)
	curl -sf "http://127.0.0.1:$MPORT/metrics" | awk -v k="$1" '$1 == k { v = $2; f = 1 } END { print f ? v : -1 }'
}
make_pdf "$TMP/two.pdf" 2

req POST /v1/provider/trunks "$OP" '{"id":"bad","name":"Bad","peer":"carrier test:5060","prefixes":["+4499"]}'
expect_status 422 "a peer that is no host name is refused"
req POST /v1/provider/trunks "$OP" '{"id":"srv","name":"SRV carrier","peer":"carrier.test","transport":"t38_first","max_calls":2,"prefixes":["+4420"]}'
expect_status 201 "a trunk whose peer is a host name alone"
expect_jq '.peer == "carrier.test" and .targets == [] and .resolve_error == null' "no targets before the first lookup"
trunk_targets() { # trunk_targets ID JQ: polls GET until JQ holds
	req GET "/v1/provider/trunks/$1" "$OP"
	printf '%s' "$BODY" | jq -e "$2" >/dev/null
}
poll_until 60 trunk_targets srv '.status == "up" and ([.targets[] | [.host, .address, .port, .transport, .priority, .weight]] == [["a.carrier.test","127.0.0.1",'"$REF_PORT"',"udp",10,10],["b.carrier.test","127.0.0.1",'"$LIVE_PORT"',"udp",20,10]]) and .resolved_at != null' &&
	ok || fail "the trunk's targets after the keep-alive: $BODY"
expect_jq '[.targets[].state] == ["up","up"]' "both targets answer OPTIONS"

send_fax "$USER_A" "+442071234567" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax over the SRV trunk"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts_made == 1 and (.attempts | length) == 1 and .attempts[0].trunk == "srv" and .attempts[0].sip_status == 200' \
	"the first target refused (503), the second carried it: one call, one CDR"
grep -q '^INVITE ' "$TMP/refuser.out" && ok || fail "the first target saw no INVITE"
grep -q "event=fax.target_failover .*fax=$FAX trunk=srv target=127.0.0.1:$REF_PORT next=127.0.0.1:$LIVE_PORT sip_status=503" "$LOG" &&
	ok || fail "no fax.target_failover line: $(grep target_failover "$LOG")"
grep -q "event=fax.target_down .*trunk=srv target=127.0.0.1:$REF_PORT" "$LOG" && ok || fail "the 503 target not marked down"
[ "$(metric faxvault_fax_target_failovers_total)" = 1 ] && ok || fail "faxvault_fax_target_failovers_total: $(metric faxvault_fax_target_failovers_total)"
[ "$(metric faxvault_fax_failovers_total)" = 0 ] && ok || fail "a target failover is not a trunk failover"

# --- a dead first target: unreachable, seen down by the keep-alive
req POST /v1/provider/trunks "$OP" '{"id":"dead","name":"Dead first","peer":"dead.carrier.test","transport":"t38_first","max_calls":2,"prefixes":["+4413"]}'
expect_status 201 "a trunk whose first SRV target is dead"
poll_until 60 trunk_targets dead '.status == "up" and ([.targets[] | [.port, .state]] == [['"$DEAD_PORT"',"down"],['"$LIVE_PORT"',"up"]])' &&
	ok || fail "the dead target not seen down: $BODY"
send_fax "$USER_A" "+441312345678" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax over the trunk with a dead target"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and (.attempts | length) == 1 and .attempts[0].trunk == "dead"' "delivered through the live target"
grep -q "event=fax.call_start .*fax=$FAX .*target=127.0.0.1:$LIVE_PORT" "$LOG" && ok || fail "the live target was not dialled first"
grep -q "event=fax.call_start .*fax=$FAX .*target=127.0.0.1:$DEAD_PORT" "$LOG" && fail "the dead target was dialled" || ok

# --- a mute first target: no answer at all to the INVITE, the next target
req POST /v1/provider/trunks "$OP" '{"id":"mute","name":"Mute first","peer":"mute.carrier.test","transport":"t38_first","max_calls":2,"prefixes":["+4415"]}'
expect_status 201 "a trunk whose first SRV target never answers an INVITE"
poll_until 60 trunk_targets mute '[.targets[] | [.port, .state]] == [['"$MUTE_PORT"',"up"],['"$LIVE_PORT"',"up"]]' &&
	ok || fail "the mute target should answer OPTIONS: $BODY"
send_fax "$USER_A" "+441512345678" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax over the trunk with a mute target"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and (.attempts | length) == 1 and .attempts[0].trunk == "mute"' \
	"delivered through the second target after the first said nothing"
# Timer A retransmits at 0.5, 1.5, 3.5 and 7.5 s of the sender's clock: 5
# datagrams within TRUNK_TARGET_TIMEOUT_MS (8 s), 7 before timer B (32 s).
N=$(grep -c '^INVITE ' "$TMP/mute.out")
[ "$N" -ge 1 ] && [ "$N" -le 5 ] && ok || fail "the mute target saw $N INVITE datagrams (1 to 5 expected: given up before timer B)"
grep -q "event=fax.target_failover .*fax=$FAX trunk=mute target=127.0.0.1:$MUTE_PORT next=127.0.0.1:$LIVE_PORT sip_status=0 class=network" "$LOG" &&
	ok || fail "no fax.target_failover line for the mute target: $(grep target_failover "$LOG")"
[ "$(metric faxvault_fax_target_failovers_total)" = 2 ] && ok || fail "faxvault_fax_target_failovers_total: $(metric faxvault_fax_target_failovers_total)"

# --- a name that does not exist
req POST /v1/provider/trunks "$OP" '{"id":"ghost","name":"Ghost","peer":"ghost.carrier.test:5060","transport":"t38_first","max_calls":2,"prefixes":["+4414"]}'
expect_status 201 "a trunk whose peer's name does not exist"
send_fax "$USER_A" "+441412345678" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax over it"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "failed" and .failure_class == "dns" and .attempts[0].failure_class == "dns" and .attempts[0].trunk == "ghost"' \
	"the fax fails with class dns"
poll_until 30 trunk_targets ghost '.status == "down" and .targets == [] and (.resolve_error | contains("NXDOMAIN"))' &&
	ok || fail "the trunk does not say why: $BODY"
[ "$(metric 'faxvault_fax_calls_total{direction="outbound",class="dns"}')" -ge 1 ] 2>/dev/null && ok ||
	fail "calls ended with class dns: $(curl -s "http://127.0.0.1:$MPORT/metrics" | grep class=\"dns\")"

# --- the lookups leave from the SIP front end, never from the service
child_of_daemon() { ps -o pid=,comm= --ppid "$DAEMON_PID" | awk -v c="$1" '$2 == c { print $1 }'; }
SVC=$(child_of_daemon fv-service)
S=$(child_of_daemon fv-sip)
[ -n "$SVC" ] && [ -n "$S" ] && ok || { fail "no service or SIP front end: $(ps -o pid=,comm= --ppid "$DAEMON_PID")"; finish; exit 1; }
dns_stop
# a DNS server that reads the questions and never answers (the namespace's
# resolv.conf names 127.0.0.1:53)
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
with open(sys.argv[1], "a") as log:
    while True:
        data, _ = s.recvfrom(65535)
        name, i = [], 12
        while i < len(data) and data[i]:
            name.append(data[i + 1:i + 1 + data[i]].decode("ascii", "replace"))
            i += 1 + data[i]
        log.write(".".join(name) + "\n")
        log.flush()
' "$TMP/silent_dns.log" &
SILENT_DNS=$!
wait_bound 60 "$SILENT_DNS" udp:53 || { fail "the silent DNS server did not start"; finish; exit 1; }
req POST /v1/provider/trunks "$OP" '{"id":"quiet","name":"Quiet","peer":"quiet.carrier.test","transport":"t38_first","max_calls":2,"prefixes":["+4416"]}'
expect_status 201 "a trunk whose DNS server never answers"
send_fax "$USER_A" "+441612345678" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax over it"
QUIET_FAX=$FAX
asked() { grep -q 'quiet.carrier.test' "$TMP/silent_dns.log" 2>/dev/null; }
poll_until 120 asked && ok || fail "no question for quiet.carrier.test reached the DNS server: $(cat "$TMP/silent_dns.log" 2>/dev/null)"
# sampled while the lookup waits: the front end holds a socket toward the
# DNS server, the service never does
: >"$TMP/svc_dns_socks"
front_asks() {
	local socks
	socks=$(ss -Hunp 2>/dev/null | grep " 127.0.0.1:53 ")
	printf '%s\n' "$socks" | grep "pid=$SVC," >>"$TMP/svc_dns_socks"
	printf '%s\n' "$socks" | grep -q "pid=$S,"
}
poll_until 120 front_asks && ok || fail "no socket of the front end toward the DNS server: $(ss -Hunp | grep ':53 ')"
for _ in $(seq 1 30); do front_asks; sleep 0.1; done
[ ! -s "$TMP/svc_dns_socks" ] && ok || fail "the service held a socket toward the DNS server: $(head -n 3 "$TMP/svc_dns_socks")"
wait_fax "$USER_A" "$QUIET_FAX"
expect_jq '.status == "failed" and .failure_class == "dns" and .attempts[0].trunk == "quiet"' \
	"the fax fails with class dns when the DNS does not answer"
poll_until 30 trunk_targets quiet '.targets == [] and (.resolve_error | contains("did not answer"))' &&
	ok || fail "the trunk does not say the DNS did not answer: $BODY"
kill "$SILENT_DNS" 2>/dev/null

kill "$REF_PID" "$MUTE_PID" 2>/dev/null
wait_receiver "$LIVE_PID" 120 && ok || fail "the live receiver: $(tail -n 3 "$TMP/live.log")"
finish
