#!/usr/bin/env bash
# The benchmarks' far-end double (--record / --replay, see docs/line.md):
# a call recorded on each side, then each side replayed against a real
# engine, which must still get its fax through: the replayed answering side
# confirms every page a real sender sends, and a real receiver gets from a
# replayed sender the very pages that were recorded. A file that is not a
# recording is refused.
# Usage: replay.sh FAXTOOL TIFFTOOL [SPEED]
set -euo pipefail
fax=$1 tt=$2 speed=${3:-5}
dir=$(mktemp -d)
rxpid=
cleanup() { [ -n "$rxpid" ] && kill "$rxpid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL [replay]: $*"; for f in "$dir"/*.json; do echo "--- $f"; cat "$f"; done; tail -n 30 "$dir"/*.log; exit 1; }
"$tt" mk "$dir/doc.tif" 3

# receive ARGS...: starts a receiver on port 0 (log $dir/$1.log, results
# $dir/$1.json) and sets $port.
receive() {
	local name=$1
	shift
	"$fax" receive --listen 127.0.0.1:0 --clock-speed "$speed" --media-priority 10 --no-t38 --log "$dir/$name.log" "$@" >"$dir/$name.json" &
	rxpid=$!
	for _ in $(seq 3000); do grep -q line_listen "$dir/$name.log" 2>/dev/null && break; sleep 0.1; done
	port=$(sed -n 's/.*event=line_listen .* port=\([0-9]*\).*/\1/p' "$dir/$name.log" | head -n 1)
	[ -n "$port" ] && [ "$port" != 0 ] || fail "receiver $name did not report its port"
}
finish_rx() { wait "$rxpid" || true; rxpid=; }

# 1. A real call, both sides recording what they send.
mkdir -p "$dir/out1"
receive rec-rx --out "$dir/out1" --calls 1 --record "$dir/answer.g711"
"$fax" send "sip:1@127.0.0.1:$port" "$dir/doc.tif" --no-t38 --clock-speed "$speed" --media-priority 10 --log "$dir/rec-tx.log" \
	--record "$dir/caller.g711" >"$dir/rec-tx.json" || fail "the recorded call failed"
finish_rx
for f in answer caller; do
	size=$(stat -c %s "$dir/$f.g711" 2>/dev/null || echo 0)
	[ "$size" -ge 1600 ] && [ $((size % 160)) = 0 ] || fail "$f.g711 is not a recording ($size bytes)"
done
grep -q 'event=record_saved' "$dir/rec-rx.log" || fail "no record_saved event"

# 2. The answering side replayed: two real senders get every page confirmed;
#    the replaying side runs no T.30, so it keeps no fax.
mkdir -p "$dir/out2"
receive rep-rx --out "$dir/out2" --calls 2 --replay "$dir/answer.g711"
"$fax" send "sip:1@127.0.0.1:$port" "$dir/doc.tif" --calls 2 --no-t38 --clock-speed "$speed" --media-priority 10 \
	--log "$dir/rep-tx.log" >"$dir/rep-tx.json" || fail "senders against the replayed answer failed"
finish_rx
[ "$(jq -r 'select(.status == "done" and .pages_confirmed == 3) | .call_id' "$dir/rep-tx.json" | wc -l)" = 2 ] ||
	fail "the senders did not get 3 pages confirmed each"
[ -z "$(ls "$dir/out2"/*.tif 2>/dev/null)" ] || fail "the replaying side wrote a fax"

# 3. The calling side replayed: a real receiver gets the recorded pages.
mkdir -p "$dir/out3"
receive rep2-rx --out "$dir/out3" --calls 2
"$fax" send "sip:1@127.0.0.1:$port" "$dir/doc.tif" --calls 2 --clock-speed "$speed" --media-priority 10 --replay "$dir/caller.g711" \
	--log "$dir/rep2-tx.log" >"$dir/rep2-tx.json" || true
finish_rx
[ "$(jq -r 'select(.status == "done" and .pages_received == 3) | .file' "$dir/rep2-rx.json" | wc -l)" = 2 ] ||
	fail "the receiver did not get 3 pages from each replayed sender"
for f in $(jq -r .file "$dir/rep2-rx.json"); do "$tt" cmp "$dir/doc.tif" "$f" exact || fail "pages differ in $f"; done

# 4. Not a recording: refused before anything starts.
head -c 100 /dev/zero >"$dir/bad.g711"
set +e
"$fax" receive --listen 127.0.0.1:0 --out "$dir/out1" --replay "$dir/bad.g711" 2>"$dir/bad.err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "is not a recording" "$dir/bad.err" || fail "a bad recording was not refused (rc=$rc)"
set +e
"$fax" send sip:1@127.0.0.1:9 "$dir/doc.tif" --replay "$dir/missing.g711" 2>"$dir/missing.err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q "cannot read" "$dir/missing.err" || fail "a missing recording was not refused (rc=$rc)"
echo "ok: replayed answer confirmed 2x3 pages; replayed caller delivered 2x3 identical pages; bad file refused"
