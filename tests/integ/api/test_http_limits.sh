#!/usr/bin/env bash
# Limits of the HTTP listener against the real daemon: a declared
# Content-Length above the route's ceiling is refused at once, before any of
# the body is read; a client that trickles its headers or its body a byte at
# a time is cut off at the request deadline (and counted in the metrics),
# although it is never idle long enough for the idle timeout; a steady
# client on a kept-alive connection is not.
. "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
MTOKEN="metrics-token-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$MTOKEN" > "$TMP/metrics.token"
start_daemon --set http.request_deadline_seconds=2 --set http.connection_timeout_seconds=600 \
	--set http.max_body_bytes=4096 --set "metrics.token_file=$TMP/metrics.token"

metric() { # metric NAME: its value
	curl -s -H "Authorization: Bearer $MTOKEN" "$BASE/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# --- 413 at once: only the headers are sent; an answer that waited for the
# body would never come (the deadline would cut the connection first).
raw_413() { # raw_413 EXTRA_HEADER: prints the status line of the answer
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'POST /v1/sessions HTTP/1.1\r\nHost: faxvault.test\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n%s\r\n' "$1" >&3
	local line=""
	IFS= read -r -t 120 line <&3
	exec 3<&-
	printf '%s' "${line%$'\r'}"
}
[ "$(raw_413 "" | cut -c1-13)" = "HTTP/1.1 413 " ] && ok ||
	fail "a declared length above the ceiling is answered 413 before the body"
[ "$(raw_413 $'Expect: 100-continue\r\n' | cut -c1-13)" = "HTTP/1.1 413 " ] && ok ||
	fail "with Expect: 100-continue, 413 and no 100 Continue"
req POST /v1/sessions "" "$(head -c 5000 /dev/zero | tr '\0' 'a')"
expect_problem 413 payload-too-large "a body above http.max_body_bytes"
expect_jq '.detail == "this request'"'"'s body may be at most 4096 bytes"' "the ceiling is named"
grep -q 'event=http.request .*method=POST path="/v1/sessions" route=/v1/sessions status=413' "$LOG" && ok ||
	fail "the refusal is logged like any request"

# --- slow clients
before=$(metric faxvault_http_slow_clients_total)
[ "$before" = 0 ] && ok || fail "no slow client yet (got '$before')"
out=$(python3 "$HERE/slow_client.py" "$PORT" headers 1 120)
[ "$out" = cut ] && ok || fail "a client trickling its headers is cut off: $out"
out=$(python3 "$HERE/slow_client.py" "$PORT" body 1 120)
[ "$out" = cut ] && ok || fail "a client trickling its body is cut off: $out"
n=$(metric faxvault_http_slow_clients_total)
[ "$n" = 2 ] && ok || fail "both counted in faxvault_http_slow_clients_total (got '$n')"
grep -q 'event=http.slow_client peer=127.0.0.1 limit_s=2' "$LOG" && ok || fail "slow clients are logged"

# A client that sends whole requests on one kept-alive connection is not cut,
# however many it sends (curl reuses the connection for every URL).
args=()
for _ in $(seq 1 20); do args+=(-o /dev/null "$BASE/healthz"); done
out=$(curl -s -w '%{http_code} %{num_connects}\n' "${args[@]}" | sort | uniq -c | awk '{print $1, $2, $3}')
[ "$out" = "$(printf '19 200 0\n1 200 1')" ] && ok || fail "twenty requests on one connection: $out"
req GET /healthz
expect_status 200 "the daemon still serves"
finish
