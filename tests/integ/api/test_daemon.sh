#!/usr/bin/env bash
# faxvaultd as a program: --help/--version, configuration errors, health,
# readiness, metrics (off the API listener by default; on a listener of
# their own, or to the bearer of a token), SIGHUP log reopening and a clean
# SIGTERM.
. "$(dirname "$0")/lib.sh"

"$FAXVAULTD" --help | grep -q "audit-verify" && ok || fail "--help lists commands"
"$FAXVAULTD" --version | grep -q "^faxvaultd [0-9]" && ok || fail "--version"
"$FAXVAULTD" --version | grep -q "^  sqlite  *3\." && ok || fail "--version reports the libraries (P01)"
# Every library that parses untrusted input, with a version.
PARSERS="sqlite microhttpd jansson sodium openssl libcurl mupdf libtiff libpng freetype spandsp"
for lib in $PARSERS; do
	"$FAXVAULTD" --version | grep -q "^  $lib  *[0-9]" && ok || fail "--version lacks $lib"
done
"$FAXVAULTD" --print-config-reference | grep -q "session_idle_minutes = 30" && ok || fail "config reference"

out=$("$FAXVAULTD" --set http.threads=0 check-config 2>&1); rc=$?
[ $rc -eq 2 ] && ok || fail "out-of-bounds setting exits 2 (got $rc)"
echo "$out" | grep -q "http.threads = 0 is out of bounds \[1, 64\]" && ok || fail "bounds named: $out"
printf '[http]\nthreads = 4\n[auth]\nsession_idle_minutes = lots\n' > "$TMP/bad.conf"
out=$("$FAXVAULTD" --config "$TMP/bad.conf" check-config 2>&1); rc=$?
[ $rc -eq 2 ] && ok || fail "bad config file exits 2"
echo "$out" | grep -q "bad.conf: line 4: auth.session_idle_minutes" && ok || fail "file and line named: $out"
printf '[http]\nlisten = 127.0.0.1:9999\nthreads = 3\n' > "$TMP/good.conf"
"$FAXVAULTD" --config "$TMP/good.conf" --http 127.0.0.1:7777 print-config | grep -q "listen = 127.0.0.1:7777" && ok ||
	fail "--http overrides the file"
"$FAXVAULTD" --config "$TMP/good.conf" print-config | grep -q "threads = 3" && ok || fail "file is read"
# print-config: each section once, and what it prints reads back the same.
"$FAXVAULTD" --config "$TMP/good.conf" print-config > "$TMP/effective.conf"
[ -z "$(grep '^\[' "$TMP/effective.conf" | sort | uniq -d)" ] && ok || fail "a section is printed twice"
"$FAXVAULTD" --config "$TMP/effective.conf" print-config | cmp -s - "$TMP/effective.conf" && ok ||
	fail "print-config's output does not read back as the same configuration"
out=$("$FAXVAULTD" --set nope=1 check-config 2>&1)
echo "$out" | grep -q 'unknown setting "nope"' && ok || fail "unknown setting named"
"$FAXVAULTD" --data-dir "$TMP/var2" bootstrap 2>/dev/null; [ $? -eq 2 ] && ok || fail "bootstrap without --operator is a usage error"

start_daemon
"$FAXVAULTD" --data-dir "$DATA" bootstrap --operator second@example.com >/dev/null 2>&1
[ $? -eq 3 ] && ok || fail "second bootstrap refused with exit 3"

req GET /healthz
expect_jq '.status == "ok"' "healthz"
req GET /readyz
expect_jq '.status == "ready" and .schema_version >= 1' "readyz"
req GET /metrics
expect_problem 404 not-found "metrics are not on the API listener by default"

# /metrics on a listener of its own, and on the API listener to the bearer
# of the metrics token only.
stop_daemon
MTOKEN="metrics-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$MTOKEN" > "$TMP/metrics.token"
chmod 600 "$TMP/metrics.token"
launch_daemon --set metrics.listen=127.0.0.1:0 --set "metrics.token_file=$TMP/metrics.token"
MBASE="http://127.0.0.1:$(metrics_port)"
mreq() { # mreq PATH [TOKEN]: like req, on the metrics listener
	local saved=$BASE
	BASE=$MBASE
	req GET "$1" "${2:-}"
	BASE=$saved
}
mreq /metrics
expect_problem 401 unauthenticated "the metrics listener asks for the token"
mreq /metrics "not-the-metrics-token"
expect_problem 401 unauthenticated "a wrong token is refused"
mreq /v1/me "$MTOKEN"
expect_problem 404 not-found "the metrics listener serves nothing else"
OP=$(operator_token)
req GET /metrics "$OP"
expect_problem 401 unauthenticated "a session is not the metrics token"
req GET /v1/me "fvs_bogus"
req GET /v1/me "$OP"
req GET /metrics "$MTOKEN"
expect_status 200 "metrics on the API listener, to the token"
mreq /metrics "$MTOKEN"
expect_status 200 "metrics"
grep -qi '^content-type: text/plain' "$HEADERS" && ok || fail "metrics content type"
echo "$BODY" | grep -q 'faxvault_http_requests_total{route="/v1/me",method="GET",status="200"} 1' && ok || fail "requests by route and status"
echo "$BODY" | grep -q 'faxvault_http_requests_total{route="/v1/me",method="GET",status="401"} 1' && ok || fail "401 counted"
echo "$BODY" | grep -q '^faxvault_auth_failures_total 1$' && ok || fail "auth failures counted"
echo "$BODY" | grep -q '^faxvault_http_request_duration_seconds_bucket{le="+Inf"}' && ok || fail "latency histogram"
# The whole way (the front end's receipt to the answer handed back to its
# HTTP server) counts every API request the front end answered, each also
# in the service's histogram; the wait for a service worker is counted too.
handled=$(echo "$BODY" | sed -n 's/^faxvault_http_request_duration_seconds_count //p')
whole=$(echo "$BODY" | sed -n 's/^faxvault_http_request_whole_seconds_count //p')
[ -n "$whole" ] && [ "$whole" -gt 0 ] && [ "$whole" = "$handled" ] && ok ||
	fail "the whole way's histogram counts each API request (whole '$whole', handled '$handled')"
echo "$BODY" | grep -q '^faxvault_http_request_whole_seconds_bucket{le="0.005"} [0-9]*$' && ok ||
	fail "the whole way's histogram has the request histogram's buckets"
queued=$(echo "$BODY" | sed -n 's/^faxvault_http_service_queue_seconds_count //p')
[ -n "$queued" ] && [ "$queued" -gt 0 ] && ok || fail "the wait for a service worker is counted (got '$queued')"
echo "$BODY" | grep -q '^faxvault_db_seconds_total [0-9.]*$' && ok || fail "db time"
echo "$BODY" | grep -q '^# TYPE faxvault_queue_jobs gauge$' && ok || fail "the job queue's depth by kind and state"
echo "$BODY" | grep -q '^faxvault_queue_runs_total{outcome="done"} 0$' && ok || fail "the job queue's runs by outcome"
# Memory: SQLite's (0 on PostgreSQL, whose memory is the server's) and the
# service's heap in use, beside what the process holds.
if [ -n "${FV_TEST_PG:-}" ]; then
	echo "$BODY" | grep -q '^faxvault_store_engine_memory_bytes 0$' && ok || fail "no SQLite memory on PostgreSQL"
else
	m=$(echo "$BODY" | sed -n 's/^faxvault_store_engine_memory_bytes \([0-9]*\)$/\1/p')
	p=$(echo "$BODY" | sed -n 's/^faxvault_store_engine_memory_peak_bytes \([0-9]*\)$/\1/p')
	[ "${m:-0}" -gt 0 ] && [ "${p:-0}" -ge "$m" ] && ok || fail "SQLite's memory and its peak (${m:-none}, ${p:-none})"
fi
h=$(echo "$BODY" | sed -n 's/^faxvault_process_heap_bytes \([0-9]*\)$/\1/p')
[ "${h:-0}" -gt 0 ] && ok || fail "the service's heap in use (${h:-none})"
echo "$BODY" | grep -q '^faxvault_build_info{version="[0-9.]*",sqlite="3\.[0-9.]*",' && ok || fail "build info with library versions"
for lib in $PARSERS; do
	echo "$BODY" | grep '^faxvault_build_info{' | grep -q "[{,]$lib=\"[0-9]" && ok || fail "faxvault_build_info lacks $lib"
done
req GET /v1/openapi.json
expect_jq '.openapi | startswith("3.1")' "OpenAPI served"

# Logs: key=value with request ids, never a token.
grep -q 'event=http.request rid=req_[a-z0-9]* method=GET path="/v1/me" route=/v1/me status=200' "$LOG" && ok || fail "request log line"
grep -q "$OP" "$LOG" && fail "a session token leaked into the log" || ok
grep -q "$(jq -r .password "$TMP/boot.json")" "$LOG" && fail "a password leaked into the log" || ok
grep -qF "$MTOKEN" "$LOG" && fail "the metrics token leaked into the log" || ok

# SIGHUP reopens the log file (rotation).
mv "$LOG" "$LOG.1"
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 3000); do [ -f "$LOG" ] && break; sleep 0.1; done
req GET /v1/openapi.json
for _ in $(seq 1 3000); do grep -q 'path="/v1/openapi.json"' "$LOG" && break; sleep 0.1; done
grep -q 'event=daemon.reopen_logs' "$LOG" && ok || fail "log reopened after SIGHUP"
grep -q 'path="/v1/openapi.json"' "$LOG" && ok || fail "new requests go to the new file"
# Health probes that succeed are not logged (a supervisor sends one every
# few seconds); everything else is.
! grep -q 'path="/healthz"' "$LOG" "$LOG.1" && ok || fail "a successful health probe was logged"

# SIGTERM drains and exits 0.
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"; rc=$?; DAEMON_PID=""
[ $rc -eq 0 ] && ok || fail "SIGTERM exits 0 (got $rc)"
grep -q 'event=daemon.stopped' "$LOG" && ok || fail "stop logged"

# The data directory is private: everything the daemon made is 0700/0600.
bad=$(find "$DATA" \( -type d -perm /077 \) -o \( -type f -perm /077 \) | head -n 5)
[ -z "$bad" ] && ok || fail "files of the data directory readable by others: $bad"
# A data directory loosened by hand (or by an older version) is tightened at
# the next start, before anything is opened, each path named in a warning
# with its old mode: the directory, the database, the master key (which the
# vault would refuse as it is), the documents' directory, a file of its own.
chmod 755 "$DATA" "$DATA/docs"; chmod 644 "$DATA/faxvault.db" "$DATA/master.key"
mkdir -p "$DATA/extra"; chmod 775 "$DATA/extra"; : > "$DATA/extra/notes"; chmod 666 "$DATA/extra/notes"
: > "$LOG"
launch_daemon 2>"$TMP/start.err"
modes=$(stat -c '%a %n' "$DATA" "$DATA/docs" "$DATA/extra" "$DATA/faxvault.db" "$DATA/master.key" "$DATA/extra/notes")
[ "$(echo "$modes" | cut -d' ' -f1 | tr '\n' ' ')" = "700 700 700 600 600 600 " ] && ok || fail "modes not fixed: $modes"
for w in "$DATA\" old_mode=0755 new_mode=0700" "$DATA/faxvault.db\" old_mode=0644 new_mode=0600" \
	"$DATA/master.key\" old_mode=0644 new_mode=0600" "$DATA/docs\" old_mode=0755 new_mode=0700" \
	"$DATA/extra\" old_mode=0775 new_mode=0700" "$DATA/extra/notes\" old_mode=0666 new_mode=0600"; do
	grep 'level=warn event=datadir.mode_fixed' "$LOG" | grep -qF "path=\"$w" && ok || fail "no warning: $w"
done
[ "$(grep -c 'event=datadir.mode_fixed' "$LOG")" = 6 ] && ok || fail "one warning per path fixed: $(grep -c 'event=datadir.mode_fixed' "$LOG")"
# While it runs, the files SQLite adds (WAL, shared memory) are private too.
req GET /readyz
bad=$(find "$DATA" \( -type d -perm /077 \) -o \( -type f -perm /077 \))
[ -z "$bad" ] && [ -e "$DATA/faxvault.db-wal" ] && ok || fail "loose while running: $bad $(ls -la "$DATA")"
stop_daemon || fail "the daemon did not stop cleanly"
# A start on a private directory warns of nothing.
: > "$LOG"
launch_daemon
! grep -q 'event=datadir.mode_fixed' "$LOG" && ok || fail "a warning on a private data directory"
stop_daemon || fail "the daemon did not stop cleanly"
# A data directory given as a symbolic link (a volume mounted elsewhere):
# its target is tightened.
REAL_DATA=$DATA
ln -s "$REAL_DATA" "$TMP/data-link"
chmod 750 "$REAL_DATA"
DATA="$TMP/data-link"
: > "$LOG"
launch_daemon
[ "$(stat -c %a "$REAL_DATA")" = 700 ] && ok || fail "the target of a linked data directory is $(stat -c %a "$REAL_DATA")"
grep 'event=datadir.mode_fixed' "$LOG" | grep -qF "path=\"$(realpath "$REAL_DATA")\" old_mode=0750" && ok ||
	fail "no warning naming the target: $(grep datadir "$LOG")"
stop_daemon || fail "the daemon did not stop cleanly"
DATA=$REAL_DATA
# A port already taken: the start stops naming the address, before the data
# directory is created, migrated or given a key.
BUSY_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("ready", flush=True); time.sleep(600)' "$BUSY_PORT" > "$TMP/holder.out" &
HOLDER=$!
for _ in $(seq 1 3000); do grep -q ready "$TMP/holder.out" 2>/dev/null && break; sleep 0.1; done
"$FAXVAULTD" --data-dir "$TMP/fresh" --http "127.0.0.1:$BUSY_PORT" --set fax.loopback_sip=127.0.0.1:0 >/dev/null 2>"$TMP/busy.err"
rc=$?
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
[ "$rc" = 1 ] && ok || fail "a taken port: exit status $rc (want 1)"
grep -q "cannot listen on 127.0.0.1:$BUSY_PORT: Address already in use" "$TMP/busy.err" && ok || fail "the error names the address: $(cat "$TMP/busy.err")"
[ ! -e "$TMP/fresh/faxvault.db" ] && [ ! -e "$TMP/fresh/master.key" ] && ok || fail "a database or key was created before the port was checked"

finish
