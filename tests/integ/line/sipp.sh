#!/usr/bin/env bash
# SIPp (Debian sip-tester) scenarios against the line engine.
# Usage: sipp.sh FAXTOOL TIFFTOOL SCENARIO_DIR PORT SCENARIO
#   UAC scenarios (sipp calls `faxvault-fax receive`): invite_t38, reinvite,
#   bye_midcall, malformed, invite_no_sdp. UAS scenario (`faxvault-fax send` calls sipp):
#   uas_auth_busy (digest challenge, then 486), uas_record_route (route set),
#   uas_cancel (ringing forever: CANCEL, 487, ACK).
set -euo pipefail
fax=$1 tt=$2 sdir=$3 port=$4 scen=$5
command -v sipp >/dev/null || { echo "sipp not installed (Debian sip-tester): skipped"; exit 77; }
dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL [$scen]: $*"; cat "$dir"/*.json "$dir"/out/*.json 2>/dev/null; tail -n 30 "$dir"/*.log 2>/dev/null; exit 1; }
sippport=$((port + 1))
mkdir -p "$dir/out"
cd "$dir"

if [ "$scen" = uas_auth_busy ]; then
	"$tt" mk "$dir/doc.tif" 1
	sipp -sf "$sdir/$scen.xml" -i 127.0.0.1 -p "$port" -m 1 -nostdin -timeout 30 -timeout_error \
		-trace_err >"$dir/sipp.out" 2>&1 &
	pid=$!
	sleep 0.5
	set +e
	FV_SIP_PASSWORD=s3cret "$fax" send "sip:5551234@127.0.0.1:$port" "$dir/doc.tif" --user faxuser \
		--log "$dir/tx.log" >"$dir/tx.json"
	rc=$?
	set -e
	wait "$pid" || fail "sipp failed: $(tail -n 20 "$dir/sipp.out")"
	pid=
	[ "$rc" = 1 ] || fail "send exit code $rc, want 1"
	[ "$(jq -r .class "$dir/tx.json")" = busy ] || fail "class $(jq -r .class "$dir/tx.json"), want busy"
	[ "$(jq -r .sip_status "$dir/tx.json")" = 486 ] || fail "sip_status"
	echo "ok [$scen]: digest accepted, busy reported"
	exit 0
fi

if [ "$scen" = uas_cancel ]; then
	"$tt" mk "$dir/doc.tif" 1
	sipp -sf "$sdir/$scen.xml" -i 127.0.0.1 -p "$port" -m 1 -nostdin -timeout 30 -timeout_error -trace_err \
		>"$dir/sipp.out" 2>&1 &
	pid=$!
	sleep 0.5
	set +e
	"$fax" send "sip:5551234@127.0.0.1:$port" "$dir/doc.tif" --ring-timeout 2 --log "$dir/tx.log" >"$dir/tx.json"
	rc=$?
	set -e
	wait "$pid" || fail "sipp failed: $(tail -n 20 "$dir/sipp.out"; cat "$dir"/*errors.log 2>/dev/null | head -n 40)"
	pid=
	[ "$rc" = 1 ] || fail "send exit code $rc, want 1"
	[ "$(jq -r .class "$dir/tx.json")" = no_answer ] || fail "class $(jq -r .class "$dir/tx.json"), want no_answer"
	echo "ok [$scen]"
	exit 0
fi

if [ "$scen" = uas_record_route ]; then
	"$tt" mk "$dir/doc.tif" 1
	sipp -sf "$sdir/$scen.xml" -i 127.0.0.1 -p "$port" -mp $((port - 10000)) -m 1 -nostdin -timeout 30 \
		-timeout_error -trace_err >"$dir/sipp.out" 2>&1 &
	pid=$!
	sleep 0.5
	set +e
	"$fax" send "sip:5551234@127.0.0.1:$port" "$dir/doc.tif" --no-t38 --log "$dir/tx.log" >"$dir/tx.json"
	rc=$?
	set -e
	wait "$pid" || fail "sipp failed: $(tail -n 20 "$dir/sipp.out"; cat "$dir"/*errors.log 2>/dev/null | head -n 40)"
	pid=
	[ "$rc" = 1 ] || fail "send exit code $rc, want 1 (no fax on the far end)"
	[ "$(jq -r .class "$dir/tx.json")" = not_a_fax ] || fail "class $(jq -r .class "$dir/tx.json")"
	grep -q "sip_route_set.*routes=2" "$dir/tx.log" || fail "route set not learned"
	echo "ok [$scen]"
	exit 0
fi

calls=1
[ "$scen" = malformed ] && calls=0
"$fax" receive --listen "127.0.0.1:$port" --out "$dir/out" --calls "$calls" \
	--log "$dir/rx.log" >"$dir/rx.json" &
pid=$!
for _ in $(seq 3000); do grep -q line_listen "$dir/rx.log" 2>/dev/null && break; sleep 0.1; done
sipp -sf "$sdir/$scen.xml" -i 127.0.0.1 -p "$sippport" -mp $((port - 10000)) "127.0.0.1:$port" -m 1 -nostdin \
	-timeout 30 -timeout_error -trace_err >"$dir/sipp.out" 2>&1 ||
	fail "sipp failed: $(tail -n 20 "$dir/sipp.out"; cat "$dir"/*errors.log 2>/dev/null | head -n 60)"
if [ "$scen" = malformed ]; then
	kill -TERM "$pid"
fi
set +e
wait "$pid"
rc=$?
set -e
pid=
# The engine survived everything and ended cleanly (ASan would make it fail).
[ "$rc" -le 1 ] || fail "receiver exit code $rc"
case $scen in
invite_t38)
	[ "$(jq -r .transport "$dir/rx.json")" = t38 ] || fail "transport" ;;
reinvite)
	[ "$(jq -r .transport "$dir/rx.json")" = t38 ] || fail "transport"
	grep -q media_t38 "$dir/rx.log" || fail "no switch to T.38" ;;
invite_no_sdp)
	grep -q 'event=media_audio.*codec=PCMA' "$dir/rx.log" || fail "the answer in the ACK was not used" ;;
bye_midcall)
	[ "$(jq -r .class "$dir/rx.json")" = not_a_fax ] || fail "class $(jq -r .class "$dir/rx.json")" ;;
malformed)
	grep -q "reason=unparseable" "$dir/rx.log" || fail "garbage not seen" ;;
esac
echo "ok [$scen]"
