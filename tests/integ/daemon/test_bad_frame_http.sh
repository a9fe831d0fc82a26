#!/usr/bin/env bash
# A bad frame from the HTTP front end, as the service answers it
# (docs/architecture.md, "Processes"): the real front end, made to send one
# (testing.front_bad_frames, SIGUSR2), while three clients add members to an
# account. For each kind (an empty datagram, a header of another IPC
# version, a message of a type the service does not take), with four
# workers reading the channel: the service logs http.front_malformed once
# (pid, type, why; nothing else), the front end is killed (signal 9) and a
# successor started; every request of the load gets an answer (201, or 503
# from the dying front end, or its connection closed: never another status,
# never a hang), every member answered 201 is in the account afterwards
# (nothing accepted lost), and the successor answers twelve requests (more
# than the workers: every worker reads the new channel) and the next
# member. Without ipc_recv telling an empty datagram from the end, the
# first kind is not refused (no http.front_malformed: the channel was
# taken as closed). Then two frames refused only once they decoded: a body
# shorter than declared (kind 4), with every worker seen leaving the
# channel while the front end still runs (the supervisor stopped, so that
# the kill waits), and requests past what the service takes in flight
# (kind 5, the workers held); a member added before is kept.
# shellcheck source=../api/lib.sh
. "$(dirname "$0")/../api/lib.sh"
# shellcheck source=lib_bad_frame.sh
. "$(dirname "$0")/lib_bad_frame.sh"

start_daemon --set testing.front_bad_frames=1 --set http.threads=4 \
	--set ratelimit.requests_per_minute=1000000 --set ratelimit.burst=1000000 \
	--set testing.worker_hold_file="$TMP/hold" --set log.level=debug
OP=$(operator_token)
[ -n "$OP" ] && ok || fail "no operator session"
PW="plume encre buvard 1789"

# client KIND N: adds members to ACC until $TMP/stop.KIND exists (at most
# 60), one line "STATUS EMAIL CURL_EXIT" each in $TMP/load.KIND.N (000: no
# answer; curl 52 or 56: the connection closed, 28: no answer in 120 s).
client() {
	local i=0 email code rc
	while [ ! -e "$TMP/stop.$1" ] && [ "$i" -lt 60 ]; do
		i=$((i + 1))
		email="m$1-$2-$i@clinic.example"
		code=$(curl -s --max-time 120 -o /dev/null -w '%{http_code}' -X POST \
			-H "Authorization: Bearer $OWN" -H 'Content-Type: application/json' \
			--data-binary "{\"email\":\"$email\",\"name\":\"Member\",\"role\":\"user\"}" \
			"$BASE/v1/accounts/$ACC/users")
		rc=$?
		echo "$code $email $rc" >>"$TMP/load.$1.$2"
	done
}
added() { [ "$(cat "$TMP/load.$1".* 2>/dev/null | grep -c '^201 ')" -ge "$2" ]; }
me_twelve() {
	local i
	for i in $(seq 1 12); do
		req GET /v1/me "$OWN"
		[ "$STATUS" = 200 ] || return 1
	done
}

for kind in 0 1 2; do
	new_account "$OP" "Clinique $kind" "owner$kind@clinic.example" "$PW"
	ACC=$NEW_ACC OWN=$NEW_OWNER
	C=()
	for n in 1 2 3; do
		client "$kind" "$n" &
		C+=($!)
	done
	poll_until 120 added "$kind" 3 && ok || fail "kind $kind: the load did not start"
	if bad_frame http fv-http "$kind"; then
		# Served by the successor, every worker included.
		poll_until 120 me_twelve && ok || fail "kind $kind: the successor does not answer: $STATUS"
	fi
	touch "$TMP/stop.$kind"
	wait "${C[@]}"
	cat "$TMP/load.$kind".* >"$TMP/load.$kind"
	echo "kind $kind: $(cut -d' ' -f1 "$TMP/load.$kind" | sort | uniq -c | tr '\n' ' ')"
	ANSWERS='^((201|503) [^ ]+ 0|000 [^ ]+ (52|56))$'
	grep -vqE "$ANSWERS" "$TMP/load.$kind" && fail "kind $kind: other answers: $(grep -vE "$ANSWERS" "$TMP/load.$kind" | head -n 3)" || ok
	req GET "/v1/accounts/$ACC/users?limit=200" "$OWN"
	expect_status 200 "kind $kind: the members listed"
	jqr '.items[].email' | sort >"$TMP/members.$kind"
	grep '^201 ' "$TMP/load.$kind" | cut -d' ' -f2 | sort >"$TMP/added.$kind"
	missing=$(comm -13 "$TMP/members.$kind" "$TMP/added.$kind")
	[ -z "$missing" ] && ok || fail "kind $kind: members answered 201 and not in the account: $missing"
	req POST "/v1/accounts/$ACC/users" "$OWN" '{"email":"after'"$kind"'@clinic.example","name":"After","role":"user"}'
	expect_status 201 "kind $kind: a member added after"
done
# A front end that shuts its channel and stays (stopped): killed after the
# service's grace, and the successor answers.
if channel_closed http fv-http; then
	poll_until 120 me_twelve && ok || fail "after the shut channel, the successor does not answer: $STATUS"
fi

# ---- frames refused once they decoded ----
new_account "$OP" "Clinique 4" "owner4@clinic.example" "$PW"
ACC=$NEW_ACC OWN=$NEW_OWNER
req POST "/v1/accounts/$ACC/users" "$OWN" '{"email":"before4@clinic.example","name":"Before","role":"user"}'
expect_status 201 "a member added before kind 4"
# Kind 4 (a body shorter than declared), the daemon idle and its supervisor
# stopped, so that the kill the service asks of it waits: the refusal shuts
# the channel, and each of the four workers sees its end (http.worker_end,
# debug: read, refused or found ended) while the front end still runs.
# Without the channel's shutdown (chan_shut), the workers blocked in
# recvmsg stay there until the front end dies.
every_worker_saw_end() {
	local p=$1 rc=0
	four() {
		[ "$(grep -E "event=http\.worker_end pid=$p worker=[0-9]+ how=(read|refused|ended)\$" "$LOG" |
			sed -E 's/.* worker=([0-9]+) .*/\1/' | sort -u | wc -l)" = 4 ]
	}
	poll_until 120 four && ok || { rc=1; fail "not every worker saw the end: $(grep "http.worker_end pid=$p " "$LOG")"; }
	kill -0 "$p" && ok || { rc=1; fail "the front end ($p) was gone before the workers saw the end"; }
	kill -CONT "$DAEMON_PID"
	return $rc
}
kill -STOP "$DAEMON_PID"
BAD_FRAME_REFUSED=every_worker_saw_end
bad_frame http fv-http 4 && { poll_until 120 me_twelve && ok || fail "kind 4: the successor does not answer: $STATUS"; }
kill -CONT "$DAEMON_PID"
# Kind 5, the four workers held (testing.worker_hold_file): the first four
# requests go to them, the service's monitor reads the rest and queues 512
# (HTTPF_INFLIGHT_MAX), then refuses the next; the workers are released
# once it has.
release_workers() { rm -f "$TMP/hold"; }
touch "$TMP/hold"
BAD_FRAME_REFUSED=release_workers
bad_frame http fv-http 5 && { poll_until 120 me_twelve && ok || fail "kind 5: the successor does not answer: $STATUS"; }
BAD_FRAME_REFUSED=
rm -f "$TMP/hold"
req GET "/v1/accounts/$ACC/users?limit=200" "$OWN"
expect_status 200 "after kinds 4 and 5: the members listed"
jqr '.items[].email' | grep -qx before4@clinic.example && ok || fail "the member added before kind 4 is gone: $BODY"
req POST "/v1/accounts/$ACC/users" "$OWN" '{"email":"after5@clinic.example","name":"After","role":"user"}'
expect_status 201 "a member added after kind 5"
# The successor of the last kind lives on: nothing refused since.
[ "$(grep -c 'event=http.front_malformed' "$LOG")" = 5 ] && ok ||
	fail "refusals: $(grep http.front_malformed "$LOG")"
finish
