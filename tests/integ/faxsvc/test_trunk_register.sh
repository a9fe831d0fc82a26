#!/usr/bin/env bash
# REGISTER to a real carrier edge (issue 12): Kamailio on 127.0.0.1 as the
# carrier's registrar and proxy, with a config this test writes (a static
# htable of users, digest with qop=auth). faxvault registers the trunk
# (registration "registered", faxvault_trunk_registered 1), faxes out
# through Kamailio, which challenges the INVITE (407) and relays it to a far
# receiver, and Kamailio routes a carrier's call for an account's number to
# the Contact faxvault registered (its fax.sip_listen): the fax is filed in
# that account's inbox. A wrong password: registration "failed". The
# binding is removed at the registrar (REGISTER with Expires: 0) when the
# trunk stops registering and when the service stops: Kamailio then answers
# a call for the number 480 at once, not after the 600 s the binding had.
# The trunk's peer is the name "carrier.test" alone, answered by the DNS
# test double (lib_dns.sh) with two SRV targets: a dead one first (nothing
# listens there), then Kamailio. The REGISTER goes on to Kamailio when the
# first target is unreachable; the keep-alive sees that target down, so
# the fax is dialled to Kamailio first.
. "$(dirname "$0")/../api/lib_dns.sh"
dns_netns "$@"
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
dns_setup
KAMAILIO=$(command -v kamailio || echo /usr/sbin/kamailio)
[ -x "$KAMAILIO" ] || { echo "kamailio not installed (Debian kamailio, scripts/deps/line.txt): skipped"; exit 77; }
MODS=$(dirname "$(dpkg -L kamailio 2>/dev/null | grep '/modules/tm.so$' | head -n 1)")
[ -f "$MODS/tm.so" ] || { echo "kamailio modules not found: skipped"; exit 77; }
fax_setup --set fax.sip_listen=udp:127.0.0.1:0 --set metrics.listen=127.0.0.1:0 --set fax.trunk_keepalive_seconds=1
CPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=udp:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CPORT" ] && ok || { fail "no carrier listener"; finish; exit 1; }
MPORT=$(metrics_port)
fail_stop() { fail "$1"; kill "$FAR_PID" 2>/dev/null; finish; exit 1; }
metric() { curl -sf "http://127.0.0.1:$MPORT/metrics" | awk -v k="$1" '$1 == k { v = $2; f = 1 } END { print f ? v : -1 }'; }

# The far fax machine, behind the carrier.
"$FAXTOOL" receive --listen 127.0.0.1:0 --out "$TMP/far" --calls 2 --clock-speed "$FAX_SPEED" \
	>"$TMP/far.json" 2>"$TMP/far.log" &
FAR_PID=$!
listening() { grep -q 'event=line_listen' "$TMP/far.log" 2>/dev/null; }
poll_until 60 listening || fail "far receiver did not start"
FAR_PORT=$(sed -n 's/.*event=line_listen .* port=\([0-9]*\).*/\1/p' "$TMP/far.log" | head -n 1)

mkdir -p "$TMP/kam"
kam_config() {
	cat >"$TMP/kam/kamailio.cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:127.0.0.1:$KPORT
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
	\$sht(users=>faxuser) = "trunk-pass-123";
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
		xlog("L_NOTICE", "kam: REGISTER of \$tU authenticated, contact \$ct\n");
		if (!save("location")) sl_reply_error();
		exit;
	}
	if (!is_method("INVITE")) { sl_send_reply("405", "Not here"); exit; }
	record_route();
	if (\$rU =~ "^\\\\+1415") {
		# A call for the fax service's number: to whoever registered faxuser.
		\$var(n) = \$rU;
		\$ru = "sip:faxuser@127.0.0.1";
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
	xlog("L_NOTICE", "kam: outbound INVITE for \$rU authenticated as \$au\n");
	consume_credentials();
	\$du = "sip:127.0.0.1:$FAR_PORT";
	t_relay();
	exit;
}
CFG
}
# Kamailio on a free port, started again on another one if a test took it
# between the choice and the bind.
KAM_PID=""
trap 'kill $KAM_PID 2>/dev/null; dns_stop; cleanup' EXIT
for try in 1 2 3 4 5; do
	KPORT=$(free_port) || { fail "no free port"; finish; exit 1; }
	kam_config
	if [ "$try" = 1 ]; then
		"$KAMAILIO" -f "$TMP/kam/kamailio.cfg" -c >"$TMP/kam/check.log" 2>&1 ||
			{ fail "kamailio refused its config: $(tail -n 5 "$TMP/kam/check.log")"; finish; exit 1; }
	fi
	"$KAMAILIO" -f "$TMP/kam/kamailio.cfg" -DD -E -Y "$TMP/kam" -w "$TMP/kam" -P "$TMP/kam/pid" >"$TMP/kam/log" 2>&1 &
	KAM_PID=$!
	wait_bound 120 "$KAM_PID" "udp:$KPORT" && break
	kill "$KAM_PID" 2>/dev/null
	wait "$KAM_PID" 2>/dev/null
	KAM_PID=""
	echo "kamailio did not listen on $KPORT (try $try): $(grep -i 'bind\|error' "$TMP/kam/log" | tail -n 3)"
done
[ -n "$KAM_PID" ] || { fail "kamailio did not start: $(tail -n 5 "$TMP/kam/log")"; finish; exit 1; }
DEAD_PORT=$(free_port)
dns_start carrier.test --host-record=kam.carrier.test,127.0.0.1 --host-record=gone.carrier.test,127.0.0.1 \
	--srv-host=_sip._udp.carrier.test,gone.carrier.test,"$DEAD_PORT",5,10 \
	--srv-host=_sip._udp.carrier.test,kam.carrier.test,"$KPORT",10,10

req POST /v1/provider/trunks "$OP" "{\"id\":\"kam\",\"name\":\"Kamailio carrier\",\"peer\":\"carrier.test\",\"username\":\"faxuser\",\"password\":\"trunk-pass-123\",\"register\":true,\"max_calls\":4,\"prefixes\":[\"+44\"],\"inbound_cidrs\":[\"127.0.0.1/32\"],\"called_number\":\"to\"}"
expect_status 201 "a registering trunk"
expect_jq '.register == true and (.registration == "none" or .registration == "registered")' "register is answered"
req POST /v1/provider/trunks "$OP" '{"name":"No creds","peer":"127.0.0.1:5999","register":true}'
expect_problem 422 validation-failed "register without credentials"

reg_is() { req GET /v1/provider/trunks/kam "$OP"; [ "$(jqr .registration)" = "$1" ]; }
poll_until 120 reg_is registered && ok || fail_stop "not registered: $BODY; $(grep -i register "$LOG" | tail -n 3); $(tail -n 5 "$TMP/kam/log")"
grep -q "kam: REGISTER of faxuser authenticated, contact <sip:faxuser@127.0.0.1:$CPORT>" "$TMP/kam/log" && ok ||
	fail "Kamailio did not record our contact: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
[ "$(metric 'faxvault_trunk_registered{trunk="kam"}')" = 1 ] && ok || fail "faxvault_trunk_registered not 1"

kam_targets() { req GET /v1/provider/trunks/kam "$OP"; printf '%s' "$BODY" | jq -e "$1" >/dev/null; }
poll_until 60 kam_targets '[.targets[] | [.host, .port, .state]] == [["gone.carrier.test",'"$DEAD_PORT"',"down"],["kam.carrier.test",'"$KPORT"',"up"]]' &&
	ok || fail "the SRV targets in the trunk view: $BODY"

# --- out: through Kamailio, digest on the INVITE, to the far receiver.
make_pdf "$TMP/two.pdf" 2
send_fax "$USER_A" "+442071234567" "$TMP/two.pdf" -F retries=0
expect_status 202 "fax out through the carrier"
[ -n "$FAX" ] || fail_stop "no fax id"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered" and .attempts[0].trunk == "kam"' "delivered through Kamailio"
grep -q 'kam: outbound INVITE for +442071234567 authenticated as faxuser' "$TMP/kam/log" && ok ||
	fail "Kamailio did not authenticate the INVITE: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
# a second fax: the realm is known now, the SIP front end is given the
# HA1 for it, not the password (with the front end; without it the
# engine runs in the service and takes the password itself)
send_fax "$USER_A" "+442071234568" "$TMP/two.pdf" -F retries=0
expect_status 202 "a second fax out through the carrier"
wait_fax "$USER_A" "$FAX"
expect_jq '.status == "delivered"' "delivered with the HA1"
[ "$(grep -c 'kam: outbound INVITE for +44207123456[78] authenticated as faxuser' "$TMP/kam/log")" -ge 2 ] && ok ||
	fail "Kamailio did not authenticate the second INVITE: $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
if [ "${FV_SIP_FRONT:-}" != 0 ]; then
	creds=$(sed -n 's/.*event=sip.front_send .*credentials=\([a-z0-9]*\).*/\1/p' "$LOG" | tr '\n' ' ')
	[ "$creds" = "password ha1 " ] && ok || fail "the credentials given to the front end: '$creds' (want the password once, then the HA1)"
fi
wait_receiver "$FAR_PID" 120; [ "$(jq -s -r '[.[] | .status] | join(" ")' "$TMP/far.json" 2>/dev/null)" = "done done" ] && ok || fail "far receiver: $(cat "$TMP/far.json"; tail -n 3 "$TMP/far.log")"

# --- in: a carrier's call for A's number, routed by Kamailio to our contact.
req POST /v1/provider/numbers "$OP" '{"trunk":"kam","numbers":["+14155550100"]}'
expect_status 201 "a number on the Kamailio trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"415\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds it"
"$TIFFTOOL" mk "$TMP/in.tif" 2
timeout 300 "$FAXTOOL" send "sip:+14155550100@127.0.0.1:$KPORT" "$TMP/in.tif" --clock-speed "$FAX_SPEED" \
	--from "+15550001111" --log "$TMP/tx.log" >"$TMP/tx.json" || fail "the carrier's fax: $(cat "$TMP/tx.json"); $(grep 'kam:' "$TMP/kam/log" | tail -n 3)"
wait_inbound "$USER_A" 1
expect_jq '.items[0].to == "+14155550100" and .items[0].from == "+15550001111" and .items[0].status == "received" and .items[0].page_count == 2' \
	"the carrier's call filed in A's inbox"

# --- a wrong password: the registration fails.
req PATCH /v1/provider/trunks/kam "$OP" '{"password":"wrong-pass"}'
expect_status 200 "wrong password"
poll_until 120 reg_is failed && ok || fail "registration not failed with a wrong password: $BODY"
fail_metric() { [ "$(metric 'faxvault_trunk_registered{trunk="kam"}')" = 0 ]; }
poll_until 30 fail_metric && ok || fail "faxvault_trunk_registered not 0"

# --- un-REGISTER: `register` off, then the service stopping.
INVITE="python3 $(dirname "$0")/sip_invite.py"
req PATCH /v1/provider/trunks/kam "$OP" '{"password":"trunk-pass-123"}'
expect_status 200 "the right password again"
poll_until 120 reg_is registered && ok || fail_stop "not registered again: $BODY"
# The wrong password's change already removed a binding: count from here.
unreg() { grep -c 'event=fax.trunk_unregistered trunk=kam sip_status=200' "$LOG"; }
n_unreg=$(unreg)
req PATCH /v1/provider/trunks/kam "$OP" '{"register":false}'
expect_status 200 "registration turned off"
unregistered() { [ "$(unreg)" -gt "$n_unreg" ]; }
poll_until 120 unregistered && ok || fail "no un-REGISTER logged: $(grep -i 'unregister' "$LOG" | tail -n 2)"
poll_until 60 reg_is none && ok || fail "registration not none once turned off: $BODY"
[ "$($INVITE "$KPORT" +14155550100 | head -n 1)" = 480 ] && ok ||
	fail "Kamailio still routes to the binding removed: $(grep 'kam:' "$TMP/kam/log" | tail -n 2)"
req PATCH /v1/provider/trunks/kam "$OP" '{"register":true}'
expect_status 200 "registration on again"
poll_until 120 reg_is registered && ok || fail_stop "not registered after turning it on: $BODY"
n_reg=$(grep -c 'kam: REGISTER of faxuser authenticated' "$TMP/kam/log")
grep -q 'wrong-pass\|trunk-pass-123' "$LOG" && fail "a trunk password reached the log" || ok
HA1=$(printf '%s' 'faxuser:carrier.test:trunk-pass-123' | md5sum | cut -d' ' -f1)
grep -q "$HA1" "$LOG" && fail "the trunk's HA1 reached the log" || ok
n_unreg=$(unreg)
stop_daemon || fail "daemon did not stop cleanly"
[ "$(unreg)" -gt "$n_unreg" ] && ok || fail "no un-REGISTER at stop: $(tail -n 5 "$LOG")"
[ "$(grep -c 'kam: REGISTER of faxuser authenticated' "$TMP/kam/log")" -gt "$n_reg" ] && ok ||
	fail "Kamailio saw no REGISTER at stop"
[ "$($INVITE "$KPORT" +14155550100 | head -n 1)" = 480 ] && ok ||
	fail "Kamailio still routes to a stopped service's binding"
finish
