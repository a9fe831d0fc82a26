#!/bin/bash
# The HTTP front end's wake-ups per request (docs/architecture.md,
# "Processes"): the thread that runs a connection also takes the answers off
# the channel to the service, so a request answered by the service costs
# the front end one wait for its answer and one for the next request, not
# a second thread's wake-up and a resume through libmicrohttpd's eventfd.
# - 300 requests one after another on one kept-alive connection
#   (http.threads=1): every one answered 200, and the front end's threads
#   block at most 2.5 times per request in all (counted by the kernel:
#   voluntary context switches; the answers' own thread made it 3 and more).
# - The same with two listener threads, and 16 clients at once: every
#   request answered, whatever thread takes its answer.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=300

# The voluntary context switches of process $1's threads, so far.
blocks() {
	cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

# N requests for /healthz on one connection: each one's status, a line each.
healthz_run() {
	local urls=() i
	for ((i = 0; i < N; i++)); do urls+=(-o /dev/null "$BASE/healthz"); done
	curl -s --max-time 120 -w '%{http_code}\n' "${urls[@]}"
}

start_daemon --set http.threads=1
H=$(child_of_daemon fv-http)
[ -n "$H" ] && ok || { fail "no front end under the daemon"; finish; exit 1; }
healthz_run >/dev/null # the connection's first requests set up what stays
b0=$(blocks "$H")
healthz_run >"$TMP/codes"
b1=$(blocks "$H")
[ "$(grep -c '^200$' "$TMP/codes")" = "$N" ] && ok ||
	fail "not every request answered 200: $(sort "$TMP/codes" | uniq -c | tr '\n' ' ')"
# Per request, times 10: at most 25.
per10=$(((b1 - b0) * 10 / N))
[ "$per10" -le 25 ] && ok ||
	fail "the front end blocked $((b1 - b0)) times for $N requests (more than 2.5 a request)"
echo "front end: $((b1 - b0)) voluntary switches for $N requests"
stop_daemon && ok || fail "the daemon did not stop cleanly"

# ---- two listener threads, 16 clients at once ----
launch_daemon --set http.threads=2
pids=()
for c in $(seq 16); do
	healthz_run >"$TMP/codes.$c" &
	pids+=($!)
done
wait "${pids[@]}"
all=$(cat "$TMP"/codes.* | grep -c '^200$' || true)
[ "$all" = $((16 * N)) ] && ok ||
	fail "$all of $((16 * N)) requests answered 200: $(cat "$TMP"/codes.* | sort | uniq -c | tr '\n' ' ')"
finish
