#!/bin/bash
# The channel between the HTTP front end and the service (src/api/http_wire.h,
# docs/architecture.md "Processes"): one socket for the front end's life,
# each request with an id that its answer carries back.
# - Answers with an id not in flight (testing.http_stray_answers: the
#   service sends each answer twice, then with an id never given) are
#   dropped and logged (http.answer_stray); every request still gets its own
#   answer, a large one (through a memfd) whole, and the front end lives on.
# - Back-pressure (testing.http_inflight_max=2, one worker, the key holder
#   stopped under a submission): with two requests in the service, a third
#   is answered 503 `unavailable` at once by the front end (http.front_busy),
#   nothing queued there; once the service answers, requests pass again.
# - A client that goes away while its request is in the service: the late
#   answer is dropped (the test build runs under ASan), the front end is
#   the same process after and answers the next requests.
# - kill -9 of the service with two requests in flight: each is
#   answered 503 `unavailable` by the front end (not cut, not left hanging),
#   and the successor's front end answers the next ones.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon --set http.threads=1 --set testing.http_inflight_max=2 --set testing.http_stray_answers=1
PW="plume encre buvard 1789"
H=$(child_of_daemon fv-http)
V=$(child_of_daemon fv-vault)
[ -n "$H" ] && [ -n "$V" ] && ok || { fail "no front end or key holder under the daemon"; finish; exit 1; }

# ---- answers twice and with unknown ids: dropped, each request answered ----
OP=$(operator_token)
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+33100000002"]}'
expect_status 201 "numbers imported"
new_account "$OP" "Clinique A" owner@a.example "$PW"
OWN=$NEW_OWNER
[ -n "$OWN" ] && [ "$OWN" != null ] && ok || fail "no session through the channel"
for i in 1 2 3 4 5; do
	req GET /v1/me "$OWN" "" -H "X-Request-Id: chan-$i"
	expect_status 200 "request $i with stray answers about"
	grep -qi "^X-Request-Id: chan-$i" "$HEADERS" && ok || fail "request $i got another's answer: $(cat "$HEADERS")"
done
curl -s -o "$TMP/openapi.json" "$BASE/v1/openapi.json"
cmp -s "$TMP/openapi.json" "$(dirname "$0")/../../../docs/openapi.json" && ok ||
	fail "the OpenAPI document (through a memfd, sent three times) did not arrive whole"
strays() { [ "$(grep -c 'event=http.answer_stray ' "$LOG")" -ge 10 ]; }
poll_until 120 strays && ok || fail "stray answers not logged: $(grep -c http.answer_stray "$LOG")"
[ "$(child_of_daemon fv-http)" = "$H" ] && ok || fail "the front end changed under stray answers"

# ---- back-pressure: two in the service, a third refused at once ----
printf 'Bonjour,\nvoici la facture de mars.\n' >"$TMP/letter.txt"
submit() { # N [curl args]: a fax; curl's exit status and the HTTP status in $TMP/sub.N.*
	local n=$1
	shift
	curl -s --max-time 120 -o "$TMP/sub.$n.body" -w '%{http_code}' -X POST "$@" \
		-H "Authorization: Bearer $OWN" -F "file=@$TMP/letter.txt" -F "to=+33100000002" \
		"$BASE/v1/faxes" >"$TMP/sub.$n.code" 2>/dev/null
	echo $? >"$TMP/sub.$n.rc"
}
# A fax first: its rendering (a queue job) asks the key holder too, done
# before the holder is stopped.
submit 0
[ "$(cat "$TMP/sub.0.code")" = 202 ] && ok || fail "a fax: $(cat "$TMP/sub.0.code")"
wait_rendered "$OWN" "$(jq -r ".items[0].id" "$TMP/sub.0.body")"
# in_service N M: submissions N and M both in the service, waiting for the
# stopped key holder: a /healthz probe (answered by the thread that serves
# the channel while the worker is held, never queued, its place freed at
# once) is refused. A submission
# that came while a probe had the second place was refused: it is made again.
P=()
in_service() {
	local n
	for n in "$@"; do
		if [ -z "${P[$n]:-}" ] || ! kill -0 "${P[$n]}" 2>/dev/null; then
			submit "$n" &
			P[$n]=$!
		fi
	done
	req GET /healthz
	[ "$STATUS" = 503 ] || return 1
	for n in "$@"; do kill -0 "${P[$n]}" 2>/dev/null || return 1; done
}
kill -STOP "$V"
poll_until 300 in_service 1 2 && ok || fail "no request refused with two in the service: $STATUS"
expect_problem 503 unavailable "a request over the channel's cap"
grep -qi '^Retry-After: 1' "$HEADERS" && ok || fail "no Retry-After on the refusal"
grep -q 'event=http.front_busy in_flight=2' "$LOG" && ok ||
	fail "the refusal is not logged: $(grep http.front_ "$LOG" | tail -n 2)"
# Any request, at once (not queued behind the two).
req GET /v1/me "$OWN" "" -H 'Accept-Language: fr' --max-time 60
expect_problem 503 unavailable "a read over the channel's cap"
expect_jq '.detail | test("trop de requêtes")' "the refusal in French"
kill -0 "${P[1]}" 2>/dev/null && kill -0 "${P[2]}" 2>/dev/null && ok || fail "the submissions did not wait for the holder"
S1=${P[1]} S2=${P[2]}

# ---- the second's client goes away; its answer comes late ----
pkill -P "$S2" -x curl 2>/dev/null || true
wait "$S2" 2>/dev/null
kill -CONT "$V" 2>/dev/null
wait "$S1"
[ "$(cat "$TMP/sub.1.code")" = 202 ] && ok || fail "the first submission once the holder is back: $(cat "$TMP/sub.1.code") $(cat "$TMP/sub.1.body")"
# The second's answer was sent (or the service is done with it): the
# in-flight count is back to 0 when both pass at once.
both_pass() {
	curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OWN" "$BASE/v1/me" >"$TMP/a.code" &
	local a=$!
	req GET /v1/me "$OWN"
	wait "$a"
	[ "$STATUS" = 200 ] && [ "$(cat "$TMP/a.code")" = 200 ]
}
poll_until 300 both_pass && ok || fail "two requests at once after the late answer: $STATUS $(cat "$TMP/a.code")"
[ "$(child_of_daemon fv-http)" = "$H" ] && ok || fail "the front end did not survive the late answer"
grep -q 'event=http.front_exited' "$LOG" && fail "the front end exited: $(grep http.front_exited "$LOG")" || ok
grep -q 'event=http.answer_malformed' "$LOG" && fail "an answer did not decode: $(grep http.answer_malformed "$LOG" | head -n 2)" || ok


# ---- the service dies with a request in flight: 503, then its successor ----
SVC=$(child_of_daemon fv-service)
V=$(child_of_daemon fv-vault)
kill -STOP "$V"
poll_until 300 in_service 3 4 && ok || fail "the third and fourth submissions are not in the service: $STATUS"
kill -9 "$SVC"
svc_gone() { grep -q "event=supervisor.service_exited pid=$SVC signal=9" "$LOG"; }
poll_until 300 svc_gone && ok || fail "the service's death is not logged"
# The holder goes on once nobody can take its answer (the supervisor ends it).
kill -CONT "$V" 2>/dev/null
wait "${P[3]}" "${P[4]}"
for i in 3 4; do
	if [ "$(cat "$TMP/sub.$i.rc"):$(cat "$TMP/sub.$i.code")" = 0:503 ] &&
		jq -e '.type == "urn:faxvault:problem:unavailable"' "$TMP/sub.$i.body" >/dev/null; then ok; else
		fail "submission $i in flight when the service died: curl exit $(cat "$TMP/sub.$i.rc"), status $(cat "$TMP/sub.$i.code"), $(cat "$TMP/sub.$i.body")"
	fi
done
successor() {
	H2=$(child_of_daemon fv-http)
	[ -n "$H2" ] && [ "$H2" != "$H" ] || return 1
	req GET /v1/me "$OWN"
	[ "$STATUS" = 200 ]
}
poll_until 300 successor && ok || fail "no answer from the successor: $STATUS"

stop_daemon && ok || fail "faxvaultd did not stop cleanly"
grep -q "event=http.front_exited pid=$H2 status=0" "$LOG" && ok || fail "the front end did not end cleanly: $(grep http.front "$LOG" | tail -n 3)"
finish
