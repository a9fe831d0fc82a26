#!/usr/bin/env bash
# The whole fax chain through faxvault-fax: a text document rendered to
# TIFF-F, sent over SIP (T.38 negotiated) to a receiver on 127.0.0.1, the
# received TIFF turned into a PDF. Usage: e2e_render.sh FAXTOOL
# (the receiver binds port 0; its log says which port it got)
set -euo pipefail
fax=$1
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
printf 'faxvault end-to-end test\nsecond line\n' >"$dir/in.txt"
"$fax" render "$dir/in.txt" -o "$dir/doc.tif" >"$dir/render.json"
pages=$(jq -r .pages "$dir/render.json")
mkdir "$dir/out"
"$fax" receive --listen "127.0.0.1:0" --out "$dir/out" --calls 1 --clock-speed 5 --media-priority 10 --log "$dir/rx.log" >"$dir/rx.json" &
pid=$!
for _ in $(seq 3000); do grep -q line_listen "$dir/rx.log" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*event=line_listen .* port=\([0-9]*\).*/\1/p' "$dir/rx.log" 2>/dev/null | head -n 1)
[ -n "$port" ] && [ "$port" != 0 ] || { echo "the receiver did not report its port"; exit 1; }
"$fax" send "sip:100@127.0.0.1:$port" "$dir/doc.tif" --clock-speed 5 --media-priority 10 --log "$dir/tx.log" >"$dir/tx.json" ||
	{ cat "$dir/tx.json"; tail -n 20 "$dir/tx.log"; exit 1; }
wait "$pid"
pid=
[ "$(jq -r .pages_confirmed "$dir/tx.json")" = "$pages" ] || { echo "pages"; exit 1; }
"$fax" topdf "$(jq -r .file "$dir/rx.json")" "$dir/out.pdf" >/dev/null
head -c 5 "$dir/out.pdf" | grep -q '%PDF-' || { echo "no PDF"; exit 1; }
echo "ok: $pages page(s) rendered, sent over $(jq -r .transport "$dir/tx.json"), received, converted to PDF"
