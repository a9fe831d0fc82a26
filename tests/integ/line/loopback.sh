#!/usr/bin/env bash
# Loopback fax test over real sockets on 127.0.0.1 (the ipv6-* scenarios:
# on ::1): starts `faxvault-fax receive`, runs `faxvault-fax send` against
# it, checks both JSON results and compares the received pages with the
# sent ones.
# Usage: loopback.sh FAXTOOL TIFFTOOL SCENARIO [SPEED [MEDIAFORGE]]
# The receiver binds port 0 and the test reads the port it got from its
# log (line_listen ... port=N): no fixed port to collide with another run.
set -euo pipefail
fax=$1 tt=$2 scen=$3 speed=${4:-10} forge=${5:-}
dir=$(mktemp -d)
rxpid= forge_pids=()
cleanup() {
	[ -n "$rxpid" ] && kill "$rxpid" 2>/dev/null
	for p in "${forge_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT; [ -n "${KEEP:-}" ] && trap - EXIT
fail() { echo "FAIL [$scen]: $*"; echo "--- send:"; cat "$dir/tx.json" 2>/dev/null; echo "--- receive:"; cat "$dir/rx.json" 2>/dev/null; echo "--- logs:"; tail -n 40 "$dir/rx.log" "$dir/tx.log" 2>/dev/null; exit 1; }
mkdir -p "$dir/out"
"$tt" mk "$dir/doc.tif" 3

tx_opts=() rx_opts=() want_rc=0 want_transport= want_rate= want_class= want_confirmed=3 exact=exact
host=127.0.0.1
case $scen in ipv6-*)
	host='[::1]'
	ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' || { echo "skip [$scen]: no ::1 on lo"; exit 77; } ;;
esac
case $scen in
g711-ecm-14400)   tx_opts=(--no-t38 --ecm --max-rate 14400); rx_opts=(--no-t38 --ecm); want_transport=g711; want_rate=14400 ;;
g711-noecm-14400) tx_opts=(--no-t38 --no-ecm --max-rate 14400); rx_opts=(--no-t38 --no-ecm); want_transport=g711; want_rate=14400; exact=tolerant ;;
g711-ecm-9600)    tx_opts=(--no-t38 --ecm --max-rate 9600); rx_opts=(--no-t38 --ecm); want_transport=g711; want_rate=9600 ;;
g711-noecm-9600)  tx_opts=(--no-t38 --no-ecm --max-rate 9600); rx_opts=(--no-t38 --no-ecm); want_transport=g711; want_rate=9600; exact=tolerant ;;
t38-ecm-14400)    tx_opts=(--t38 --ecm --max-rate 14400); rx_opts=(--t38 --ecm); want_transport=t38; want_rate=14400 ;;
t38-noecm-14400)  tx_opts=(--t38 --no-ecm --max-rate 14400); rx_opts=(--t38 --no-ecm); want_transport=t38; want_rate=14400; exact=tolerant ;;
t38-ecm-9600)     tx_opts=(--t38 --ecm --max-rate 9600); rx_opts=(--t38 --ecm); want_transport=t38; want_rate=9600 ;;
t38-noecm-9600)   tx_opts=(--t38 --no-ecm --max-rate 9600); rx_opts=(--t38 --no-ecm); want_transport=t38; want_rate=9600; exact=tolerant ;;
t38-sender-reinvite) # the receiver accepts T.38 but leaves the re-INVITE to the sender
                  tx_opts=(--t38); rx_opts=(--t38-accept-only); want_transport=t38 ;;
t38-refresh)      # session-timer refreshes (same SDP) every 2 s of call time must not break T.38
                  tx_opts=(--t38 --refresh-ms 2000); rx_opts=(--t38); want_transport=t38 ;;
fallback-488)     # the receiver refuses T.38 with 488: the fax goes through on G.711
                  tx_opts=(--t38); rx_opts=(--no-t38); want_transport=g711 ;;
partial)          # the receiver hangs up after page 2
                  tx_opts=(--no-t38); rx_opts=(--no-t38 --drop-after-pages 2); want_rc=1; want_class=partial; want_confirmed=2 ;;
vanish)           # the receiver process is killed (SIGKILL) after page 2: no BYE, no media
                  tx_opts=(--no-t38); rx_opts=(--no-t38); want_rc=1; want_class=partial; want_confirmed=2 ;;
vanish-t38)       # the same on T.38 (the sender's T.30 timers run on its own clock)
                  tx_opts=(--t38); rx_opts=(--t38); want_rc=1; want_class=partial; want_confirmed=2 ;;
garbage-media)    # junk, bad UDPTL lengths and stale/duplicate T.38 packets hit both media ports from the switch on
                  tx_opts=(--t38); rx_opts=(--t38); want_transport=t38 ;;
forged-seq0)      # a stranger sends a valid UDPTL "sequence 0" T.38 packet to each media port every 10 ms
                  # from the first media line on: dropped for its source, the call whole
                  tx_opts=(--t38); rx_opts=(--t38); want_transport=t38 ;;
forged-hijack)    # the sender behind a "NAT" (its SDP says 127.0.0.2, its media comes from 127.0.0.1), the
                  # receiver with symmetric media learns it; then a stranger streams well-formed RTP and UDPTL
                  # with following sequence numbers at it: it never gets the receiver's media
                  tx_opts=(--t38 --public-address 127.0.0.2); rx_opts=(--t38 --symmetric-media); want_transport=t38 ;;
media-threads)    # SIP thread + media worker threads on both sides, 4 calls, T.38 with refreshes
                  tx_opts=(--t38 --calls 4 --media-threads 2 --refresh-ms 2000); rx_opts=(--t38 --media-threads 2); want_transport=t38 ;;
concurrent)       # 4 calls at once in one sender loop, to one receiver loop, T.38 on
                  tx_opts=(--t38 --calls 4); rx_opts=(--t38); want_transport=t38 ;;
shared-media)     # one media socket per media thread on both sides, 4 calls, G.711: the receiver sees the
                  # sender's 4 calls from one address and gives calls 2-4 sockets of their own
                  tx_opts=(--no-t38 --calls 4 --shared-media); rx_opts=(--no-t38 --shared-media); want_transport=g711 ;;
shared-media-t38) # the same in T.38 with session refreshes, SIP and media in one loop
                  tx_opts=(--t38 --calls 4 --shared-media --media-threads 0 --refresh-ms 2000)
                  rx_opts=(--t38 --shared-media --media-threads 0); want_transport=t38 ;;
ipv6-g711)        # SIP, SDP (c=IN IP6) and RTP over ::1
                  tx_opts=(--no-t38); rx_opts=(--no-t38); want_transport=g711 ;;
ipv6-t38)         # the same with the re-INVITE to T.38 and UDPTL over ::1
                  tx_opts=(--t38); rx_opts=(--t38); want_transport=t38 ;;
ipv6-shared-media) # one shared media socket per loop on ::1, 4 calls
                  tx_opts=(--no-t38 --calls 4 --shared-media); rx_opts=(--no-t38 --shared-media); want_transport=g711 ;;
*) echo "unknown scenario $scen"; exit 2 ;;
esac

ncalls=1
case $scen in concurrent|media-threads|shared-media*|ipv6-shared-media) ncalls=4 ;; esac
# Both ends run their media under SCHED_RR (--media-priority), as the
# service does by default, so that the rest of the machine's work cannot
# make their ticks late; as root this is allowed, and checked below.
"$fax" receive --listen "$host:0" --out "$dir/out" --calls "$ncalls" --clock-speed "$speed" \
	--media-priority 10 --log "$dir/rx.log" "${rx_opts[@]}" >"$dir/rx.json" &
rxpid=$!
for _ in $(seq 3000); do grep -q line_listen "$dir/rx.log" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*event=line_listen .* port=\([0-9]*\).*/\1/p' "$dir/rx.log" 2>/dev/null | head -n 1)
[ -n "$port" ] && [ "$port" != 0 ] || fail "the receiver did not report its port"
# Helpers that act on the call while it runs (background, end with it).
if [ "$scen" = vanish ] || [ "$scen" = vanish-t38 ]; then
	( set +e; for _ in $(seq 6000); do
		if grep -q 'event=t30_page_sent.*page=2 answer=MCF' "$dir/tx.log" 2>/dev/null; then
			sleep 0.5 # into page 3
			kill -KILL "$rxpid"
			exit 0
		fi
		sleep 0.05
	done ) &
fi
# A stranger (mediaforge MODE, a socket of its own) on the media port that
# LOG names, from when LOG has a line matching PATTERN on; its pid in
# forge_pids, what it saw in $dir/forge.<log>.out once stopped.
forge_on() {
	local log=$1 pattern=$2 mode=$3
	[ -x "$forge" ] || fail "no mediaforge given"
	( set +e; port=
	for _ in $(seq 6000); do
		port=$(sed -n 's/.*event=media_\(audio\|t38\) .*local_port=\([0-9]*\).*/\2/p' "$dir/$log.log" 2>/dev/null | head -n 1)
		[ -n "$port" ] && grep -q "$pattern" "$dir/$log.log" 2>/dev/null && break
		sleep 0.02
	done
	exec "$forge" "$mode" "${host//[\[\]]/}" "$port" >"$dir/forge.$log.out" ) &
	forge_pids+=($!)
}
if [ "$scen" = forged-seq0 ]; then
	forge_on rx 'event=media_\(audio\|t38\) ' seq0
	forge_on tx 'event=media_\(audio\|t38\) ' seq0
fi
if [ "$scen" = forged-hijack ]; then
	# once the receiver has learnt the sender's media source (and sends there)
	forge_on rx 'event=media_latched' stream
fi
if [ "$scen" = garbage-media ]; then
	# From the switch to T.38 on (both ends logged it): the junk comes from
	# sources that are not the peer's and is dropped unread (mediasrc.h).
	( set +e; for _ in $(seq 6000); do
		ports=$(sed -n 's/.*event=media_t38 .*local_port=\([0-9]*\).*/\1/p' "$dir/rx.log" "$dir/tx.log" 2>/dev/null | sort -u)
		[ "$(echo "$ports" | grep -c .)" = 2 ] && break
		sleep 0.05
	done
	for round in $(seq 20); do
		for p in $ports; do
			printf 'garbage %s' "$round" >/dev/udp/127.0.0.1/"$p"          # not UDPTL
			printf '\x00\x05\x7f\x01\x02' >/dev/udp/127.0.0.1/"$p"     # IFP length past the end
			printf '\x00\x01\x01\x09\x00\x02\x01\x07' >/dev/udp/127.0.0.1/"$p" # missing secondary
			printf '\x00\x00\x01\x09\x00\x00' >/dev/udp/127.0.0.1/"$p"     # seq 0 again: stale
			printf '\x80\x00\x00\x01' >/dev/udp/127.0.0.1/"$p"             # a torn RTP header
		done
		sleep 0.1
	done ) 2>/dev/null &
fi
set +e
"$fax" send "sip:5551234@$host:$port" "$dir/doc.tif" --clock-speed "$speed" --log "$dir/tx.log" \
	--media-priority 10 "${tx_opts[@]}" >"$dir/tx.json"
rc=$?
set -e
wait "$rxpid" 2>/dev/null || true
rxpid=
for p in "${forge_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
wait

[ "$rc" = "$want_rc" ] || fail "send exit code $rc, want $want_rc"
if [ "$host" != 127.0.0.1 ]; then
	# every address either end used or saw was ::1: SIP (Call-ID, Via), SDP and media
	grep -q 'event=sip_invite call="[0-9a-f]*@\[::1\]"' "$dir/rx.log" || fail "the INVITE did not come from [::1]"
	grep -q 'event=media_\(audio\|t38\) .*peer=\[::1\]:' "$dir/rx.log" || fail "the receiver's media peer is not [::1]"
	grep -q 'event=media_\(audio\|t38\) .*peer=\[::1\]:' "$dir/tx.log" || fail "the sender's media peer is not [::1]"
	! grep -q '127\.0\.0\.1' "$dir/rx.log" "$dir/tx.log" || fail "an IPv4 address in the logs of an IPv6 call"
fi
if [ "$(id -u)" = 0 ]; then
	grep -q 'event=media_priority .*policy=rr priority=10' "$dir/tx.log" || fail "the sender's media did not run under SCHED_RR"
	[ "$scen" = vanish ] || [ "$scen" = vanish-t38 ] ||
		grep -q 'event=media_priority .*policy=rr priority=10' "$dir/rx.log" || fail "the receiver's media did not run under SCHED_RR"
fi
if [ "$ncalls" = 4 ]; then
	[ "$(jq -r 'select(.status == "done" and .transport == "'"$want_transport"'" and .pages_confirmed == 3) | .call_id' "$dir/tx.json" | sort -u | wc -l)" = 4 ] ||
		fail "not 4 distinct calls done"
	if [ "$scen" != "${scen#shared-media}" ] || [ "$scen" = ipv6-shared-media ]; then
		grep -q 'event=media_shared ' "$dir/tx.log" && grep -q 'event=media_shared ' "$dir/rx.log" || fail "no shared media socket"
		# the receiver's 4 calls: one on the shared socket, 3 on their own
		[ "$(sed -n 's/.*event=media_\(audio\|t38\) .*local_port=\([0-9]*\).*/\2/p' "$dir/rx.log" | sort -u | wc -l)" -ge 4 ] ||
			fail "the receiver's calls did not get distinct ports"
		[ "$(sed -n 's/.*event=media_\(audio\|t38\) .*local_port=\([0-9]*\).*/\2/p' "$dir/tx.log" | sort -u | wc -l)" = 1 ] ||
			fail "the sender's calls are not on one shared port"
	fi
	[ "$(jq -r 'select(.status == "done" and .pages_received == 3) | .file' "$dir/rx.json" | wc -l)" = 4 ] || fail "receiver"
	for f in $(jq -r .file "$dir/rx.json"); do "$tt" cmp "$dir/doc.tif" "$f" exact || fail "pages differ in $f"; done
	echo "ok [$scen]: 4 calls at once"
	exit 0
fi
j() { jq -r "$1" "$dir/tx.json"; }
[ "$(j .pages_total)" = 3 ] || fail "pages_total"
[ "$(j .pages_confirmed)" = "$want_confirmed" ] || fail "pages_confirmed $(j .pages_confirmed), want $want_confirmed"
foreign() { jq -r .media.foreign_packets "$1" | head -n 1; }
case $scen in garbage-media|forged-seq0)
	# both ends dropped the stranger's datagrams for their source, and said so
	[ "$(foreign "$dir/tx.json")" -gt 0 ] && [ "$(foreign "$dir/rx.json")" -gt 0 ] ||
		fail "foreign packets: sender $(foreign "$dir/tx.json"), receiver $(foreign "$dir/rx.json")"
	grep -q 'event=media_foreign ' "$dir/rx.log" && grep -q 'event=media_foreign ' "$dir/tx.log" ||
		fail "no media_foreign line" ;;
esac
if [ "$scen" = forged-seq0 ]; then
	grep -q '^sent [1-9][0-9]* ' "$dir/forge.rx.out" && grep -q '^sent [1-9][0-9]* ' "$dir/forge.tx.out" ||
		fail "the stranger sent nothing: $(cat "$dir"/forge.*.out 2>/dev/null)"
fi
if [ "$scen" = forged-hijack ]; then
	# the receiver learnt the sender's real source (not the SDP's 127.0.0.2) ...
	txport=$(sed -n 's/.*event=media_audio .*local_port=\([0-9]*\).*/\1/p' "$dir/tx.log" | head -n 1)
	grep -q "event=media_learnt .*sdp=127.0.0.2:$txport from=127.0.0.1:$txport " "$dir/rx.log" ||
		fail "the receiver did not learn the sender's media source"
	# ... and the stranger, who sent plenty, never got a datagram of its media
	grep -q '^sent [1-9][0-9]* received 0$' "$dir/forge.rx.out" ||
		fail "the stranger: $(cat "$dir/forge.rx.out" 2>/dev/null)"
	[ "$(grep -c 'event=media_latched ' "$dir/rx.log")" = 1 ] || fail "the receiver's media moved: $(grep media_latched "$dir/rx.log")"
	[ "$(foreign "$dir/rx.json")" -gt 0 ] || fail "no foreign packet counted"
	grep -q "event=media_foreign .*locked=127.0.0.1:$txport\$" "$dir/rx.log" || fail "the stranger's packets not logged"
fi
if [ -n "$want_class" ]; then
	[ "$(j .class)" = "$want_class" ] || fail "class $(j .class), want $want_class"
	[ "$(j .status)" = failed ] || fail "status"
	echo "ok [$scen]: class $(j .class), $(j .pages_confirmed) pages confirmed"
	exit 0
fi
[ "$(j .status)" = done ] || fail "status $(j .status)"
[ "$(j .transport)" = "$want_transport" ] || fail "transport $(j .transport), want $want_transport"
[ -z "$want_rate" ] || [ "$(j .bit_rate)" = "$want_rate" ] || fail "bit_rate $(j .bit_rate), want $want_rate"
case $scen in
*-noecm-*) [ "$(j .ecm)" = false ] || fail "ecm should be off" ;;
*-ecm-*)   [ "$(j .ecm)" = true ] || fail "ecm should be on" ;;
esac
if [ "$scen" = fallback-488 ]; then [ "$(j .t38_refused)" = true ] || fail "t38_refused should be true"; fi
if [ "$scen" = t38-refresh ]; then grep -q session_refresh "$dir/tx.log" || fail "no refresh was sent"; fi
rxj=$(head -n 1 "$dir/rx.json")
[ "$(echo "$rxj" | jq -r .status)" = done ] || fail "receiver status"
[ "$(echo "$rxj" | jq -r .pages_received)" = 3 ] || fail "receiver pages"
file=$(echo "$rxj" | jq -r .file)
[ -f "${file%.tif}.json" ] || fail "no JSON file next to the TIFF"
"$tt" cmp "$dir/doc.tif" "$file" "$exact" || fail "received pages differ from the sent ones"
echo "ok [$scen]: $(j .transport) $(j .bit_rate) bps ecm=$(j .ecm), $(j .pages_confirmed) pages, $(j .duration_ms) ms"
