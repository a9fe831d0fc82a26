#!/usr/bin/env bash
# A carrier's edge on IPv6 (issue 12): Kamailio listening on [::1] only
# (UDP and TCP), as registrar and proxy with digest, beside IPv4 in the
# same fax service. The service has carrier listeners of both families
# (udp:127.0.0.1, udp:[::1], tcp:[::1]; the IPv4 one first) and its
# loopback trunk on 127.0.0.1. Two trunks register to Kamailio, one over
# UDP and one over TCP, each with the Contact of our listener of its
# transport AND of Kamailio's family (an IPv4 Contact could not be
# reached from [::1]); each faxes out through Kamailio with digest (407)
# to a far fax machine on [::1]; a carrier's call for an account's number,
# routed in by Kamailio over [::1] (UDP to one binding, TCP to the other),
# is filed in that account's inbox. IPv4 keeps working at the same time: a
# fax over the loopback trunk, and a carrier's fax into the IPv4 listener.
# Skipped (77) without ::1 or Kamailio.
ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' || { echo "skip: no ::1 on lo"; exit 77; }
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
KAMAILIO=$(command -v kamailio || echo /usr/sbin/kamailio)
[ -x "$KAMAILIO" ] || { echo "kamailio not installed (Debian kamailio, scripts/deps/line.txt): skipped"; exit 77; }
MODS=$(dirname "$(dpkg -L kamailio 2>/dev/null | grep '/modules/tm.so$' | head -n 1)")
[ -f "$MODS/tm.so" ] || { echo "kamailio modules not found: skipped"; exit 77; }

fax_setup --set 'fax.sip_listen=udp:127.0.0.1:0,udp:[::1]:0,tcp:[::1]:0' --set fax.trunk_keepalive_seconds=1
bound() { sed -n "s/.*event=fax.carrier_listening .*sip=$1:\([0-9]*\).*/\1/p" "$LOG" | tail -n 1; }
C4=$(bound 'udp:127.0.0.1') C6=$(bound 'udp:\[::1\]') C6T=$(bound 'tcp:\[::1\]')
[ -n "$C4" ] && [ -n "$C6" ] && [ -n "$C6T" ] && ok ||
	{ fail "carrier listeners: $(grep carrier_listening "$LOG")"; finish; exit 1; }

# The far fax machine behind the carrier, on [::1]: two calls (one per trunk).
receiver far 2 "[::1]"
FAR_PID=$RX_PID FAR_PORT=$RX_PORT

mkdir -p "$TMP/kam"
kam_config() {
	cat >"$TMP/kam/kamailio.cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
listen=udp:[::1]:$KPORT
listen=tcp:[::1]:$KTCP
mpath="$MODS/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "htable.so"
modparam("htable", "htable", "users=>size=4;")
modparam("registrar", "max_expires", 3600)

event_route[htable:mod-init] {
	\$sht(users=>faxudp) = "trunk-pass-udp";
	\$sht(users=>faxtcp) = "trunk-pass-tcp";
}

request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (has_totag()) {
		if (loose_route()) { t_relay(); exit; }
		if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
	t_check_trans();
	if (is_method("OPTIONS") && \$rU == \$null) { sl_send_reply("200", "Alive"); exit; }
	if (is_method("REGISTER")) {
		if (!pv_www_authenticate("carrier.test", "\$sht(users=>\$au)", "0")) {
			www_challenge("carrier.test", "1");
			exit;
		}
		xlog("L_NOTICE", "kam: REGISTER of \$tU over \$pr from \$si authenticated, contact \$ct\n");
		if (!save("location")) sl_reply_error();
		exit;
	}
	if (!is_method("INVITE")) { sl_send_reply("405", "Not here"); exit; }
	record_route();
	if (\$rU =~ "^\\\\+1415" || \$rU =~ "^\\\\+1212") {
		# A call for the fax service's numbers: +1415 to the binding of
		# faxudp, +1212 to that of faxtcp.
		\$var(n) = \$rU;
		if (\$rU =~ "^\\\\+1415") \$ru = "sip:faxudp@carrier.test"; else \$ru = "sip:faxtcp@carrier.test";
		if (!lookup("location")) { sl_send_reply("480", "Not registered"); exit; }
		xlog("L_NOTICE", "kam: inbound for \$var(n) to \$ru\n");
		t_relay();
		exit;
	}
	# From the fax service: digest first, then to the far fax machine.
	if (!pv_proxy_authenticate("carrier.test", "\$sht(users=>\$au)", "0")) {
		proxy_challenge("carrier.test", "1");
		exit;
	}
	xlog("L_NOTICE", "kam: outbound INVITE for \$rU over \$pr from \$si authenticated as \$au\n");
	consume_credentials();
	\$du = "sip:[::1]:$FAR_PORT";
	t_relay();
	exit;
}
CFG
}
# Kamailio on [::1], on free ports (free_port: below the ephemeral range),
# started again on new ones if a test took one between the choice and the
# bind; waited for until it holds both.
KAM_PID=""
trap 'kill $KAM_PID "$FAR_PID" 2>/dev/null; cleanup' EXIT
for try in 1 2 3 4 5; do
	KPORT=$(free_port 2) || { fail "no free port"; finish; exit 1; }
	KTCP=$((KPORT + 1))
	kam_config
	if [ "$try" = 1 ]; then
		"$KAMAILIO" -f "$TMP/kam/kamailio.cfg" -c >"$TMP/kam/check.log" 2>&1 ||
			{ fail "kamailio refused its config: $(tail -n 5 "$TMP/kam/check.log")"; finish; exit 1; }
	fi
	"$KAMAILIO" -f "$TMP/kam/kamailio.cfg" -DD -E -Y "$TMP/kam" -w "$TMP/kam" -P "$TMP/kam/pid" >"$TMP/kam/log" 2>&1 &
	KAM_PID=$!
	wait_bound 120 "$KAM_PID" "udp:$KPORT" "tcp:$KTCP" && break
	kill "$KAM_PID" 2>/dev/null
	wait "$KAM_PID" 2>/dev/null
	KAM_PID=""
	echo "kamailio did not listen on $KPORT/$KTCP (try $try): $(grep -i 'bind\|error' "$TMP/kam/log" | tail -n 3)"
done
[ -n "$KAM_PID" ] || { fail "kamailio did not start: $(tail -n 5 "$TMP/kam/log")"; finish; exit 1; }
grep -q 'listen=udp:\[::1\]' "$TMP/kam/kamailio.cfg" && ! grep -q '127\.0\.0\.1' "$TMP/kam/kamailio.cfg" && ok ||
	fail "Kamailio is not on [::1] only"

# --- two registering trunks to [::1], one over UDP, one over TCP
req POST /v1/provider/trunks "$OP" "{\"id\":\"kam6\",\"name\":\"Kamailio over IPv6\",\"peer\":\"[::1]:$KPORT\",\"username\":\"faxudp\",\"password\":\"trunk-pass-udp\",\"register\":true,\"max_calls\":4,\"prefixes\":[\"+4420\"],\"inbound_cidrs\":[\"::1/128\"],\"called_number\":\"to\"}"
expect_status 201 "a registering trunk to [::1] over UDP"
req POST /v1/provider/trunks "$OP" "{\"id\":\"kam6tcp\",\"name\":\"Kamailio over IPv6, TCP\",\"peer\":\"[::1]:$KTCP\",\"sip_transport\":\"tcp\",\"username\":\"faxtcp\",\"password\":\"trunk-pass-tcp\",\"register\":true,\"max_calls\":4,\"prefixes\":[\"+4413\"],\"inbound_cidrs\":[\"::1/128\"],\"called_number\":\"to\"}"
expect_status 201 "a registering trunk to [::1] over TCP"
# An IPv4 carrier beside them: its calls come to the IPv4 listener.
req POST /v1/provider/trunks "$OP" '{"id":"v4","name":"IPv4 carrier","peer":"127.0.0.1:5999","max_calls":2,"prefixes":["+1800"],"inbound_cidrs":["127.0.0.1/32"]}'
expect_status 201 "an IPv4 trunk"

reg_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .registration)" = "$2" ]; }
poll_until 120 reg_is kam6 registered && ok ||
	{ fail "kam6 not registered: $BODY; $(grep -i register "$LOG" | tail -n 3); $(tail -n 5 "$TMP/kam/log")"; finish; exit 1; }
poll_until 120 reg_is kam6tcp registered && ok ||
	{ fail "kam6tcp not registered: $BODY; $(grep -i register "$LOG" | tail -n 3); $(tail -n 5 "$TMP/kam/log")"; finish; exit 1; }
grep -q "kam: REGISTER of faxudp over udp from ::1 authenticated, contact <sip:faxudp@\[::1\]:$C6>" "$TMP/kam/log" && ok ||
	fail "the UDP binding is not our [::1] UDP listener: $(grep 'kam: REGISTER' "$TMP/kam/log" | tail -n 3)"
grep -q "kam: REGISTER of faxtcp over tcp from ::1 authenticated, contact <sip:faxtcp@\[::1\]:$C6T;transport=tcp>" "$TMP/kam/log" && ok ||
	fail "the TCP binding is not our [::1] TCP listener: $(grep 'kam: REGISTER' "$TMP/kam/log" | tail -n 3)"
status_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .status)" = "$2" ]; }
poll_until 60 status_is kam6 up && ok || fail "kam6 not up by OPTIONS: $BODY"
poll_until 60 status_is kam6tcp up && ok || fail "kam6tcp not up by OPTIONS: $BODY"

# --- out: through Kamailio on [::1], digest on the INVITE, to the far fax machine
make_pdf "$TMP/two.pdf" 2
send_fax "$USER_A" "+442071234567" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax out through the UDP trunk"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .pages_confirmed == 2 and .attempts[0].trunk == "kam6"' "delivered through Kamailio over UDP"
grep -q 'kam: outbound INVITE for +442071234567 over udp from ::1 authenticated as faxudp' "$TMP/kam/log" && ok ||
	fail "Kamailio did not authenticate the UDP INVITE: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
send_fax "$USER_A" "+441312345678" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax out through the TCP trunk"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .pages_confirmed == 2 and .attempts[0].trunk == "kam6tcp"' "delivered through Kamailio over TCP"
grep -q 'kam: outbound INVITE for +441312345678 over tcp from ::1 authenticated as faxtcp' "$TMP/kam/log" && ok ||
	fail "Kamailio did not authenticate the TCP INVITE: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
exited() { ! kill -0 "$1" 2>/dev/null; }
poll_until 120 exited "$FAR_PID"
wait "$FAR_PID" && ok || fail "the far fax machine failed: $(tail -n 3 "$TMP/far.log")"
jq -e -s 'length == 2 and all(.[]; .status == "done" and .pages_received == 2)' "$TMP/far.json" >/dev/null && ok ||
	fail "far end: $(cat "$TMP/far.json")"
grep -q 'event=media_\(audio\|t38\) .*peer=\[::1\]:' "$TMP/far.log" && ok || fail "the media did not come over [::1]"

# --- in: carriers' calls routed by Kamailio to our bindings on [::1]
req POST /v1/provider/numbers "$OP" '{"trunk":"kam6","numbers":["+14155550100","+12125550100"]}'
expect_status 201 "numbers on the IPv6 trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"415\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds +1415..."
req POST "/v1/accounts/$ACC_B/numbers" "$ADMIN_B" "{\"country\":\"US\",\"area_code\":\"212\",\"route_to\":\"$USER_ID_B\"}"
expect_status 201 "account B holds +1212..."
"$TIFFTOOL" mk "$TMP/in.tif" 2
timeout 300 "$FAXTOOL" send "sip:+14155550100@[::1]:$KPORT" "$TMP/in.tif" --clock-speed "$FAX_SPEED" \
	--from "+15550001111" --log "$TMP/tx1.log" >"$TMP/tx1.json" && ok ||
	fail "the carrier's fax to +1415: $(cat "$TMP/tx1.json"); $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
grep -q "kam: inbound for +14155550100 to sip:faxudp@\[::1\]:$C6" "$TMP/kam/log" && ok ||
	fail "Kamailio did not route +1415 to our UDP binding: $(grep 'kam: inbound' "$TMP/kam/log")"
wait_inbound "$USER_A" 1
expect_jq '.items[0].to == "+14155550100" and .items[0].from == "+15550001111" and .items[0].status == "received" and .items[0].page_count == 2' \
	"the carrier's call over UDP on [::1] filed in A's inbox"
timeout 300 "$FAXTOOL" send "sip:+12125550100@[::1]:$KPORT" "$TMP/in.tif" --clock-speed "$FAX_SPEED" \
	--from "+15550002222" --log "$TMP/tx2.log" >"$TMP/tx2.json" && ok ||
	fail "the carrier's fax to +1212: $(cat "$TMP/tx2.json"); $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
grep -q "kam: inbound for +12125550100 to sip:faxtcp@\[::1\]:$C6T;transport=tcp" "$TMP/kam/log" && ok ||
	fail "Kamailio did not route +1212 to our TCP binding: $(grep 'kam: inbound' "$TMP/kam/log")"
wait_inbound "$USER_B" 1
expect_jq '.items[0].to == "+12125550100" and .items[0].from == "+15550002222" and .items[0].status == "received" and .items[0].page_count == 2' \
	"the carrier's call over TCP on [::1] filed in B's inbox"

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
in_from() { req GET "/v1/faxes?direction=inbound" "$USER_A"; printf '%s' "$BODY" | jq -e '[.items[] | select(.from == "+15550003333")] | length == 1' >/dev/null; }
poll_until 60 in_from && ok || fail "the IPv4 carrier's fax is not in A's inbox: $BODY"
grep -q 'trunk-pass-' "$LOG" && fail "a trunk password reached the log" || ok
finish
