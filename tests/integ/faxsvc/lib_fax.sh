# Shared set-up of the fax service tests: the real faxvaultd (fax service
# on, loopback trunk on a free port, media clock FAX_SPEED times real time),
# an operator, a rate table, numbers on the loopback trunk, and two accounts
# A and B, each with an admin and a user who holds a number.
# Sourced after tests/integ/api/lib.sh. Needs FAXVAULTD (and FAXTOOL for the
# tests that play a carrier with `faxvault-fax receive`).
FAX_SPEED=${FAX_SPEED:-5}

# A 3-page PDF: three different pages of vector text and shapes (PostScript
# through Ghostscript, as a customer's office suite would make them).
make_pdf() { # make_pdf OUT.pdf PAGES
	local out=$1 pages=${2:-3} ps="$TMP/doc.ps" i
	{
		echo '%!PS'
		for i in $(seq 1 "$pages"); do
			echo "/Helvetica findfont 28 scalefont setfont"
			echo "72 720 moveto (faxvault test page $i of $pages) show"
			echo "$((60 + i * 40)) $((300 + i * 30)) $((100 + i * 20)) 0 360 arc stroke"
			echo "72 $((100 + i * 50)) moveto 540 $((650 - i * 80)) lineto 6 setlinewidth stroke"
			echo "showpage"
		done
	} >"$ps"
	gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sPAPERSIZE=a4 -o "$out" "$ps" >/dev/null
}

# member ACCOUNT_ID INVITING_TOKEN EMAIL NAME ROLE PASSWORD -> prints "ID TOKEN"
member() {
	req POST "/v1/accounts/$1/users" "$2" "{\"email\":\"$3\",\"name\":\"$4\",\"role\":\"$5\"}"
	[ "$STATUS" = 201 ] || { fail "add $3: $STATUS $BODY"; return; }
	local id inv
	id=$(jqr .id)
	inv=$(jqr .invitation.token)
	req POST /v1/invitations/accept "" "{\"token\":\"$inv\",\"password\":\"$6\"}"
	echo "$id $(login "$3" "$6")"
}

# account NAME LETTER -> sets ACC_<L>, OWNER_<L>, ADMIN_<L>, USER_<L>, USER_ID_<L>
account() {
	local name=$1 l=$2 dom
	dom=$(echo "$l" | tr 'A-Z' 'a-z')-fax.example
	req POST /v1/accounts "$OP" "{\"name\":\"$name\",\"owner\":{\"email\":\"owner@$dom\",\"name\":\"Owner $l\"}}"
	[ "$STATUS" = 201 ] || { fail "create account $name: $STATUS $BODY"; exit 1; }
	local acc inv
	acc=$(jqr .id)
	inv=$(jqr .owner_invitation.token)
	req POST /v1/invitations/accept "" "{\"token\":\"$inv\",\"password\":\"copper-kettle-lantern-42\"}"
	local owner
	owner=$(login "owner@$dom" copper-kettle-lantern-42)
	local a u
	a=$(member "$acc" "$owner" "admin@$dom" "Admin $l" admin "granite-harbour-owl-77")
	u=$(member "$acc" "$owner" "user@$dom" "User $l" user "meadow-violin-otter-55")
	eval "ACC_$l=$acc OWNER_$l=$owner ADMIN_$l=${a#* } USER_ID_$l=${u%% *} USER_$l=${u#* }"
}

# fax_setup: the daemon, operator, rates, loopback numbers, accounts A and B
# with one number each, routed to their user. Extra daemon flags as args.
# No trunk keep-alive unless a test asks for it: SIPp scenarios playing a
# carrier would take an OPTIONS for an unexpected message.
fax_setup() {
	# FV_SIP_FRONT=0 (ctest's *_inproc variants): no SIP front end, the
	# engine, REGISTER, keep-alive and digest checks in the service
	start_daemon --set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100 \
		--set fax.trunk_keepalive_seconds=0 ${FV_SIP_FRONT:+--set fax.sip_front=$FV_SIP_FRONT} "$@"
	if [ "${FV_SIP_FRONT:-}" = 0 ]; then
		ps -o comm= --ppid "$DAEMON_PID" | grep -qx fv-sip && fail "a SIP front end runs with fax.sip_front=0" || ok
	fi
	OP=$(operator_token)
	LOOPBACK_SIP=$(sed -n 's/.*event=fax.loopback_listening .*sip=\([0-9.:]*\).*/\1/p' "$LOG" | tail -n 1)
	req PUT /v1/provider/rates "$OP" '{"currency":"EUR","rates":[{"prefix":"+1","price_per_page":7},{"prefix":"+1555","price_per_page":5},{"prefix":"+44","price_per_page":9}]}'
	[ "$STATUS" = 200 ] || fail "rates: $STATUS $BODY"
	req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+15555550101","+15555550102","+15555550103"]}'
	[ "$STATUS" = 201 ] || fail "import numbers: $STATUS $BODY"
	account "Alpha Clinic" A
	account "Bravo Law" B
	req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"555\",\"route_to\":\"$USER_ID_A\"}"
	[ "$STATUS" = 201 ] || fail "A requests a number: $STATUS $BODY"
	NUM_A=$(jqr .number)
	req POST "/v1/accounts/$ACC_B/numbers" "$ADMIN_B" "{\"country\":\"US\",\"area_code\":\"555\",\"route_to\":\"$USER_ID_B\"}"
	[ "$STATUS" = 201 ] || fail "B requests a number: $STATUS $BODY"
	NUM_B=$(jqr .number)
}

# receiver NAME CALLS [IP [OPTIONS...]]: a far fax machine, `faxvault-fax
# receive` (OPTIONS added) on a free port of IP (127.0.0.1; "[::1]" for
# IPv6) answering CALLS calls into $TMP/NAME; sets RX_PID, RX_PORT (log in
# $TMP/NAME.log, results in $TMP/NAME.json). The port comes from free_port, below the kernel's
# ephemeral range: a receiver a test kills leaves its port free, and a port
# the kernel had chosen could go at once to another test's endpoint, which
# would then answer for the dead far end. Another test may pick the same
# port at the same moment: a receiver that could not bind is started again
# on another one.
rx_listening() { grep -q 'event=line_listen' "$TMP/$1.log" 2>/dev/null; }
rx_up_or_gone() { rx_listening "$1" || ! kill -0 "$RX_PID" 2>/dev/null; }
receiver() {
	local name=$1 calls=$2 ip=${3:-127.0.0.1} port
	shift 3 2>/dev/null || shift $#
	for _ in 1 2 3 4 5; do
		port=$(free_port) || port=0
		"$FAXTOOL" receive --listen "$ip:$port" --out "$TMP/$name" --calls "$calls" --clock-speed "$FAX_SPEED" "$@" \
			>"$TMP/$name.json" 2>"$TMP/$name.log" &
		RX_PID=$!
		poll_until 60 rx_up_or_gone "$name"
		rx_listening "$name" && break
		wait "$RX_PID" 2>/dev/null
	done
	rx_listening "$name" || fail "receiver $name did not start: $(cat "$TMP/$name.log")"
	RX_PORT=$(sed -n 's/.*event=line_listen .* port=\([0-9]*\).*/\1/p' "$TMP/$name.log" | head -n 1)
}

# wait_receiver PID SECONDS: the receiver's exit status once it has taken its
# calls; killed and 1 when it is still waiting after SECONDS (a call that
# went elsewhere fails the test then, not at CTest's timeout).
wait_receiver() {
	local pid=$1
	rx_gone() { ! kill -0 "$pid" 2>/dev/null; }
	if ! poll_until "$2" rx_gone; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid"
}

# send_fax TOKEN TO FILE [extra curl -F args...]: POST /v1/faxes; sets FAX (first id)
send_fax() {
	local tok=$1 to=$2 file=$3
	shift 3
	req POST /v1/faxes "$tok" "" -F "file=@$file" -F "to=$to" "$@"
	FAX=$(jqr '.items[0].id // empty' 2>/dev/null)
}

# wait_fax TOKEN ID [SECONDS]: polls until a final status; BODY is the fax.
# SECONDS (240) of wall-clock time: counted in polls, a loaded machine's
# slow requests stretched 240 s to more than CTest's 600.
wait_fax() {
	local deadline=$((SECONDS + ${3:-240}))
	while :; do
		req GET "/v1/faxes/$2" "$1"
		case "$(jqr .status)" in
		delivered | partial | failed | cancelled) return 0 ;;
		esac
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.25
	done
	fail "fax $2 not final in time: $(jqr .status)"
	return 1
}

# wait_inbound TOKEN COUNT [SECONDS]: until the inbox holds COUNT faxes
# (SECONDS, 120, of wall-clock time).
wait_inbound() {
	local deadline=$((SECONDS + ${3:-120}))
	while :; do
		req GET "/v1/faxes?direction=inbound" "$1"
		[ "$(jqr '.items | length')" -ge "$2" ] 2>/dev/null && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.25
	done
	fail "inbox does not hold $2 faxes in time: ${BODY:0:300}"
	return 1
}
