#!/usr/bin/env bash
# SIP over TCP and TLS between two faxvault-fax engines on 127.0.0.1 (or
# ::1), with a test CA made here by openssl (the receiver's certificate
# names "localhost" and the address ::1).
# Usage: stream.sh FAXTOOL TIFFTOOL SCENARIO [SPEED]
#   tls            a 3-page fax over TLS to sip:…@localhost:PORT: verified
#                  against the test CA, pixel-exact, Via/Contact say TLS
#   tcp            the same over TCP, while other connections to the
#                  receiver send a header block without Content-Length,
#                  binary garbage (a TLS hello on the TCP port) and an
#                  oversized header block: each is closed (sip_stream_bad),
#                  an OPTIONS on a connection of its own is answered, and
#                  the fax goes through
#   tls-wrong-ca   the sender trusts another CA: no call, class network,
#                  the reason names the certificate, at once (no 32 s wait)
#   tls-wrong-name the sender dials 127.0.0.1, which the certificate does
#                  not name: refused the same way
#   tls-no-cert    a TLS receiver without certificate does not start
#   tls-ipv6       the tls case on ::1, to sip:…@[::1]:PORT: the
#                  certificate checked for the address ::1
#   tcp-ipv6       the same over TCP
set -euo pipefail
fax=$1 tt=$2 scen=$3 speed=${4:-5}
dir=$(mktemp -d)
rxpid=
cleanup() { [ -n "$rxpid" ] && kill "$rxpid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT; [ -n "${KEEP:-}" ] && trap - EXIT
fail() { echo "FAIL [$scen]: $*"; echo "--- send:"; cat "$dir/tx.json" 2>/dev/null; echo "--- receive:"; cat "$dir/rx.json" 2>/dev/null; echo "--- logs:"; tail -n 40 "$dir/rx.log" "$dir/tx.log" 2>/dev/null; exit 1; }
mkdir -p "$dir/out"
"$tt" mk "$dir/doc.tif" 3
cd "$dir"
ossl() { openssl "$@" 2>/dev/null >/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=faxvault-test-ca
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem -days 2 -subj /CN=other-ca
ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost
printf 'subjectAltName=DNS:localhost,IP:::1\n' >ext
ossl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext
[ -s srv.pem ] || fail "openssl made no certificate"

transport=tls host=localhost ca=ca.pem want_rc=0 lhost=127.0.0.1
case $scen in *-ipv6)
	host='[::1]' lhost='[::1]'
	ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/' || { echo "skip [$scen]: no ::1 on lo"; exit 77; } ;;
esac
case $scen in
tls|tls-ipv6) ;;
tcp-ipv6) transport=tcp ;;
tcp) transport=tcp host=127.0.0.1 ;;
tls-wrong-ca) ca=other.pem want_rc=1 ;;
tls-wrong-name) host=127.0.0.1 want_rc=1 ;;
tls-no-cert)
	set +e
	"$fax" receive --listen 127.0.0.1:0 --out out --calls 1 --transport tls --log rx.log >rx.json
	rc=$?
	set -e
	[ "$rc" != 0 ] || fail "a TLS receiver started without a certificate"
	grep -q 'event=line_bind_failed .*certificate' rx.log || fail "no reason logged"
	echo "ok [$scen]: refused to start (exit $rc)"
	exit 0 ;;
*) echo "unknown scenario $scen"; exit 2 ;;
esac
rx_tls=()
[ "$transport" = tls ] && rx_tls=(--tls-cert srv.pem --tls-key srv.key)
"$fax" receive --listen "$lhost:0" --out out --calls 1 --clock-speed "$speed" --transport "$transport" \
	"${rx_tls[@]}" --log rx.log >rx.json &
rxpid=$!
for _ in $(seq 3000); do grep -q line_listen rx.log 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*event=line_listen .* port=\([0-9]*\).*/\1/p' rx.log 2>/dev/null | head -n 1)
[ -n "$port" ] && [ "$port" != 0 ] || fail "the receiver did not report its port"
grep -q 'event=line_listen .*transport=\(TLS\|TCP\)' rx.log || fail "the listener is not a stream one"

if [ "$scen" = tcp ]; then
	# Bad streams on connections of their own, during the call.
	( set +e
	for _ in $(seq 600); do grep -q 'event=t30_page_sent.*page=1' tx.log 2>/dev/null && break; sleep 0.05; done
	exec 4<>/dev/tcp/127.0.0.1/"$port"; printf 'OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n' >&4
	exec 5<>/dev/tcp/127.0.0.1/"$port"; printf '\x16\x03\x01\x02\x00\x01\x00' >&5
	exec 6<>/dev/tcp/127.0.0.1/"$port"; head -c 20000 /dev/zero | tr '\0' a >&6
	exec 7<>/dev/tcp/127.0.0.1/"$port"
	printf 'OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK77\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: opt1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nl: 0\r\n\r\n' >&7
	timeout 10 head -n 1 <&7 >opt.txt
	# the bad ones are closed by the receiver: reading them ends (EOF or
	# a reset, when unread bytes were left), before the timeout (124)
	for f in 4 5 6; do timeout 10 cat <&"$f" >/dev/null; [ $? = 124 ] || echo "$f" >>closed.txt; done
	) 2>/dev/null &
fi
set +e
"$fax" send "sip:5551234@$host:$port" doc.tif --clock-speed "$speed" --transport "$transport" --tls-ca "$ca" \
	--log tx.log >tx.json
rc=$?
set -e
if [ "$want_rc" = 1 ]; then
	kill "$rxpid" 2>/dev/null; wait "$rxpid" 2>/dev/null || true; rxpid=
	[ "$rc" = 1 ] || fail "send exit code $rc, want 1"
	j() { jq -r "$1" tx.json; }
	[ "$(j .class)" = network ] || fail "class $(j .class), want network"
	j .reason | grep -q '^tls: certificate refused' || fail "reason $(j .reason)"
	[ "$(j .duration_ms)" -lt 10000 ] || fail "the refusal took $(j .duration_ms) ms"
	! grep -q 'event=sip_invite ' rx.log || fail "the receiver saw an INVITE"
	echo "ok [$scen]: $(j .reason) in $(j .duration_ms) ms"
	exit 0
fi
wait "$rxpid" 2>/dev/null || true
rxpid=
wait
[ "$rc" = 0 ] || fail "send exit code $rc"
j() { jq -r "$1" tx.json; }
[ "$(j .status)" = done ] && [ "$(j .pages_confirmed)" = 3 ] || fail "status $(j .status)"
rxj=$(head -n 1 rx.json)
[ "$(echo "$rxj" | jq -r .pages_received)" = 3 ] || fail "receiver pages"
"$tt" cmp doc.tif "$(echo "$rxj" | jq -r .file)" exact || fail "received pages differ from the sent ones"
up=TCP; [ "$transport" = tls ] && up=TLS
if [ "$transport" = tls ]; then
	grep -q 'event=sip_tls_up .*accepted=0' tx.log || fail "no TLS session on the sender"
	grep -q 'event=sip_tls_up .*accepted=1' rx.log || fail "no TLS session on the receiver"
fi
if [ "$lhost" != 127.0.0.1 ]; then
	grep -q "event=sip_conn_accepted .*peer=\[::1\]:.*transport=$up" rx.log || fail "no connection from [::1]"
	grep -q 'event=sip_invite call="[0-9a-f]*@\[::1\]"' rx.log || fail "the INVITE did not come from [::1]"
	grep -q 'event=media_\(audio\|t38\) .*peer=\[::1\]:' rx.log || fail "the media peer is not [::1]"
fi
# one connection carried the whole call (INVITE, ACK, re-INVITE, BYE and answers)
[ "$(grep -c "event=sip_conn_accepted .*transport=$up" rx.log)" = "$([ "$scen" = tcp ] && echo 5 || echo 1)" ] ||
	fail "connections accepted: $(grep -c sip_conn_accepted rx.log)"
if [ "$scen" = tcp ]; then
	grep -q '^SIP/2.0 200' opt.txt || fail "the OPTIONS on its own connection was not answered"
	for w in no_length garbage too_long; do
		grep -q "event=sip_stream_bad .*why=$w" rx.log || fail "no sip_stream_bad why=$w"
	done
	[ "$(wc -l <closed.txt)" = 3 ] || fail "the receiver did not close the 3 bad connections"
fi
echo "ok [$scen]: 3 pages over $up, $(j .transport), $(j .duration_ms) ms"
