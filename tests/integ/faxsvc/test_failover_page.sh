#!/usr/bin/env bash
# Failover after a confirmed page (issue 12, "a dead target fails over"):
# two carriers for +44, each a Kamailio proxy on 127.0.0.1 with digest in
# front of a far fax machine (faxvault-fax receive). The call through the
# first (east, created first) dies after pages went through: the far
# machine hangs up after page 1 (BYE), or east's proxy and far machine are
# killed during the call. The keep-alive marks east down, and the retry of
# the pages not confirmed goes to west, the next trunk whose prefixes
# match: the fax is delivered with only those pages sent again, and there
# is one CDR per attempt, each with its trunk.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
KAMAILIO=$(command -v kamailio || echo /usr/sbin/kamailio)
[ -x "$KAMAILIO" ] || { echo "kamailio not installed (Debian kamailio, scripts/deps/line.txt): skipped"; exit 77; }
MODS=$(dirname "$(dpkg -L kamailio 2>/dev/null | grep '/modules/tm.so$' | head -n 1)")
[ -f "$MODS/tm.so" ] || { echo "kamailio modules not found: skipped"; exit 77; }
fax_setup --set fax.trunk_keepalive_seconds=1
KAM_PIDS=()
trap 'for p in ${KAM_PIDS[@]+"${KAM_PIDS[@]}"}; do kill "$p" 2>/dev/null; done; cleanup' EXIT

# kam_start NAME FAR_PORT: a carrier proxy in $TMP/kam-NAME that answers
# OPTIONS, challenges each INVITE (digest, user faxuser) and relays it to
# the far fax machine on FAR_PORT; sets KAM_PID and KAM_PORT.
kam_start() {
	local d="$TMP/kam-$1" try
	mkdir -p "$d"
	for try in 1 2 3 4 5; do
		KAM_PORT=$(free_port) || { fail "no free port"; finish; exit 1; }
		cat >"$d/kamailio.cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:127.0.0.1:$KAM_PORT
mpath="$MODS/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
loadmodule "htable.so"
modparam("htable", "htable", "users=>size=4;")
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
	if (!is_method("INVITE")) { sl_send_reply("405", "Not here"); exit; }
	if (!pv_proxy_authenticate("carrier.test", "\$sht(users=>\$au)", "0")) {
		proxy_challenge("carrier.test", "1");
		exit;
	}
	xlog("L_NOTICE", "kam: INVITE for \$rU authenticated as \$au\n");
	consume_credentials();
	record_route();
	\$du = "sip:127.0.0.1:$2";
	t_relay();
	exit;
}
CFG
		if [ "$try" = 1 ]; then
			"$KAMAILIO" -f "$d/kamailio.cfg" -c >"$d/check.log" 2>&1 ||
				{ fail "kamailio refused its config: $(tail -n 5 "$d/check.log")"; finish; exit 1; }
		fi
		"$KAMAILIO" -f "$d/kamailio.cfg" -DD -E -Y "$d" -w "$d" -P "$d/pid" >"$d/log" 2>&1 &
		KAM_PID=$!
		wait_bound 120 "$KAM_PID" "udp:$KAM_PORT" && { KAM_PIDS+=("$KAM_PID"); return 0; }
		kill "$KAM_PID" 2>/dev/null
		wait "$KAM_PID" 2>/dev/null
		echo "kamailio $1 did not listen on $KAM_PORT (try $try): $(grep -i 'bind\|error' "$d/log" | tail -n 3)"
	done
	fail "kamailio $1 did not start: $(tail -n 5 "$d/log")"
	finish
	exit 1
}
trunk_is() { req GET "/v1/provider/trunks/$1" "$OP"; [ "$(jqr .status)" = "$2" ]; }
kick() { req GET /v1/me "$USER_A"; }
# until fax $1 is queued again after its first attempt
requeued() { req GET "/v1/faxes/$1" "$USER_A"; [ "$(jqr .attempts_made)" = 1 ] && [ "$(jqr .status)" = queued ]; }

# west: a carrier that stays, its far machine taking both faxes' rest.
receiver west 3
WEST_PID=$RX_PID
kam_start west "$RX_PORT"
req POST /v1/provider/trunks "$OP" '{"id":"east","name":"East carrier","peer":"127.0.0.1:5999","username":"faxuser","password":"trunk-pass-123","transport":"t38_first","max_calls":2,"prefixes":["+44"]}'
expect_status 201 "trunk east (+44), created first"
req POST /v1/provider/trunks "$OP" "{\"id\":\"west\",\"name\":\"West carrier\",\"peer\":\"127.0.0.1:$KAM_PORT\",\"username\":\"faxuser\",\"password\":\"trunk-pass-123\",\"transport\":\"t38_first\",\"max_calls\":2,\"prefixes\":[\"+44\"]}"
expect_status 201 "trunk west (+44)"

# east_up N [FAR_OPTIONS...]: east's far machine (faxvault-fax receive, one
# call, FAR_OPTIONS added) and its proxy, the trunk pointed at the proxy and
# seen up.
east_up() {
	local n=$1
	shift
	# Its port is not one the kernel chose (receiver): part 3 kills it while
	# the proxy still forwards there.
	receiver "east$n" 1 127.0.0.1 "$@"
	EAST_RX=$RX_PID
	rx_listening "east$n" || { finish; exit 1; }
	kam_start "east$n" "$RX_PORT"
	EAST_KAM=$KAM_PID
	req PATCH /v1/provider/trunks/east "$OP" "{\"peer\":\"127.0.0.1:$KAM_PORT\"}"
	expect_status 200 "east points at its proxy"
	poll_until 60 trunk_is east up && ok || { fail "east not up: $BODY"; finish; exit 1; }
	poll_until 60 trunk_is west up && ok || { fail "west not up: $BODY"; finish; exit 1; }
}
east_gone() { # east's proxy killed; the keep-alive marks the trunk down
	# Kamailio's workers (its children) hold its socket and outlive their
	# parent: each is killed by its id.
	kill -KILL $(ps -o pid= --ppid "$EAST_KAM") "$EAST_KAM" "$EAST_RX" 2>/dev/null
	wait "$EAST_KAM" "$EAST_RX" 2>/dev/null
	poll_until 60 trunk_is east down && ok || fail "east not down once its proxy died: $BODY"
}

# --- 1. BYE after page 1: the far machine behind east hangs up.
make_pdf "$TMP/three.pdf" 3
east_up 1 --drop-after-pages 1
send_fax "$USER_A" "+442071234567" "$TMP/three.pdf" -F retries=2 -F retry_delay_seconds=60
expect_status 202 "a 3-page fax to +44"
F1=$FAX
poll_until 240 requeued "$F1" && ok || { fail "fax not queued again after the call through east: $BODY"; finish; exit 1; }
expect_jq '.attempts[0].trunk == "east" and .attempts[0].result == "partial" and .attempts[0].pages_confirmed == 1 and .pages_confirmed == 1' \
	"the call through east ended after page 1 (1 page confirmed)"
grep -q 'kam: INVITE for +442071234567 authenticated as faxuser' "$TMP/kam-east1/log" && ok ||
	fail "east's proxy did not authenticate the INVITE: $(tail -n 3 "$TMP/kam-east1/log")"
east_gone
advance_clock 2
kick
wait_fax "$USER_A" "$F1"
expect_jq '.status == "delivered" and .pages_confirmed == 3 and .attempts_made == 2 and (.attempts | length) == 2' \
	"delivered on the retry"
expect_jq '.attempts[1].trunk == "west" and .attempts[1].result == "ok" and .attempts[1].first_page == 2 and .attempts[1].pages_sent == 2 and .attempts[1].pages_confirmed == 2' \
	"the retry went through west with pages 2 and 3 only"
grep -q 'kam: INVITE for +442071234567 authenticated as faxuser' "$TMP/kam-west/log" && ok ||
	fail "west's proxy did not carry the retry: $(tail -n 3 "$TMP/kam-west/log")"

# --- 2. east's proxy and far machine killed during the call (after page 1).
# A fax long enough (10 pages) that a page is still to go when the test,
# polling on a loaded machine, has seen the first confirmed.
LONG=10
make_pdf "$TMP/long.pdf" $LONG
# long_to NUMBER: the long fax sent (FAX), until a page is confirmed.
page_one() { req GET "/v1/faxes/$FAX" "$USER_A"; [ "$(jqr .pages_confirmed)" -ge 1 ]; }
long_to() {
	send_fax "$USER_A" "$1" "$TMP/long.pdf" -F retries=2 -F retry_delay_seconds=60
	expect_status 202 "a $LONG-page fax to $1"
	poll_until 240 page_one && ok || { fail "no page confirmed through east: $BODY"; finish; exit 1; }
}
east_up 2
long_to +442079876543
F2=$FAX
east_gone
poll_until 240 requeued "$F2" && ok || { fail "fax not queued again after east died: $BODY"; finish; exit 1; }
K=$(jqr .pages_confirmed)
[ "$K" -ge 1 ] && [ "$K" -lt "$LONG" ] && ok || fail "pages confirmed through east: $K (want 1 to $((LONG - 1)))"
expect_jq '.attempts[0].trunk == "east" and .attempts[0].result == "partial" and .attempts[0].pages_confirmed == '"$K" \
	"the call through east is partial, with the $K page(s) confirmed"
advance_clock 2
kick
wait_fax "$USER_A" "$F2"
expect_jq '.status == "delivered" and .pages_confirmed == '"$LONG"' and (.attempts | length) == 2' "delivered on the retry"
expect_jq '.attempts[1].trunk == "west" and .attempts[1].result == "ok" and .attempts[1].first_page == '"$((K + 1))"' and .attempts[1].pages_sent == '"$((LONG - K))" \
	"the retry went through west with the $((LONG - K)) page(s) not confirmed"

# --- 3. only the far machine behind east dies during the call (after page
# 1); east's proxy stays and answers the keep-alive, so east stays up. The
# retry dials east first: the proxy finds nobody behind it, and the fax
# goes on at once to west, in that try.
east_up 3
long_to +442075550123
F3=$FAX
kill -KILL "$EAST_RX"
wait "$EAST_RX" 2>/dev/null
poll_until 240 requeued "$F3" && ok || { fail "fax not queued again after east's far machine died: $BODY"; finish; exit 1; }
K3=$(jqr .pages_confirmed)
[ "$K3" -ge 1 ] && [ "$K3" -lt "$LONG" ] && ok || fail "pages confirmed through east: $K3 (want 1 to $((LONG - 1)))"
trunk_is east up && ok || fail "east's proxy still answers, east should stay up: $BODY"
advance_clock 2
kick
wait_fax "$USER_A" "$F3"
expect_jq '.status == "delivered" and .pages_confirmed == '"$LONG"' and .attempts_made == 2 and (.attempts | length) == 3' \
	"delivered on the retry, which took two calls"
expect_jq '.attempts[1].trunk == "east" and .attempts[1].result == "failed" and .attempts[1].failover_to == "west" and .attempts[1].pages_sent == 0' \
	"the retry's call through east found nobody and failed over to west"
echo "east's proxy answered the retry's INVITE with $(jqr .attempts[1].sip_status)"
expect_jq '.attempts[2].trunk == "west" and .attempts[2].result == "ok" and .attempts[2].first_page == '"$((K3 + 1))"' and .attempts[2].pages_sent == '"$((LONG - K3))" \
	"west carried the $((LONG - K3)) page(s) not confirmed"
kill -KILL $(ps -o pid= --ppid "$EAST_KAM") "$EAST_KAM" 2>/dev/null
wait "$EAST_KAM" 2>/dev/null

# One CDR per attempt, each with its trunk.
req GET "/v1/accounts/$ACC_A/cdrs?direction=outbound" "$ADMIN_A"
expect_jq '[.items[] | select(.fax_id == "'"$F1"'") | [.trunk, .result]] | sort == [["east","partial"],["west","ok"]]' \
	"fax 1: a CDR for east (partial) and one for west (ok)"
expect_jq '[.items[] | select(.fax_id == "'"$F2"'") | [.trunk, .result]] | sort == [["east","partial"],["west","ok"]]' \
	"fax 2: a CDR for east (partial) and one for west (ok)"
expect_jq '[.items[] | select(.fax_id == "'"$F3"'") | [.trunk, .result]] | sort == [["east","failed"],["east","partial"],["west","ok"]]' \
	"fax 3: two CDRs for east (partial, failed) and one for west (ok)"
# What west's far machine received: 2 pages, then LONG - K, then LONG - K3.
wait_receiver "$WEST_PID" 120 && ok || fail "west's far machine: $(tail -n 3 "$TMP/west.log")"
[ "$(jq -sc 'map(.pages_received) | sort' "$TMP/west.json" 2>/dev/null)" = "$(jq -cn "[2, $((LONG - K)), $((LONG - K3))] | sort")" ] && ok ||
	fail "west's far machine received: $(cat "$TMP/west.json")"
grep -q 'trunk-pass-123' "$LOG" && fail "a trunk password reached the log" || ok
stop_daemon || fail "daemon did not stop cleanly"
finish
