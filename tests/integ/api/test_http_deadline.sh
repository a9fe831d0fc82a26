#!/bin/bash
# The HTTP front end's deadline on the service's answer
# (http.service_timeout_seconds, docs/architecture.md "Processes"): a
# request whose answer does not come in time is answered 504
# `service-timeout` by the front end (English and French detail,
# Retry-After), logged http.service_timeout with its id and route (no
# credential, no query); the service still completes it, and its answer,
# when it comes, is dropped once as late (http.answer_late, not
# http.answer_stray). Other requests are answered meanwhile and after, by
# the same front end; the fax the timed-out POST made exists, and the POST
# repeated with its Idempotency-Key replays the first answer.
# The service is held by stopping the key holder under a fax submission
# (it waits for it): the deadline is a real one of a few seconds, the only
# time this test measures is the product's own timeout, and nothing bounds
# how long the 504 may take to come.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

DEADLINE=10
start_daemon --set http.service_timeout_seconds=$DEADLINE
PW="plume encre buvard 1789"
H=$(child_of_daemon fv-http)
V=$(child_of_daemon fv-vault)
[ -n "$H" ] && [ -n "$V" ] && ok || { fail "no front end or key holder under the daemon"; finish; exit 1; }

OP=$(operator_token)
req POST /v1/provider/numbers "$OP" '{"trunk":"loopback","numbers":["+33100000001","+33100000002"]}'
expect_status 201 "numbers imported"
new_account "$OP" "Clinique A" owner@a.example "$PW"
OWN=$NEW_OWNER
[ -n "$OWN" ] && [ "$OWN" != null ] && ok || { fail "no owner session"; finish; exit 1; }

# ---- a submission held in the service past the deadline: 504 ----
printf 'Bonjour,\nvoici la facture de mars.\n' >"$TMP/letter.txt"
submit() { # NAME [curl args]: a fax with Idempotency-Key dl-1; status, headers, body in $TMP/NAME.*
	local n=$1
	shift
	curl -s --max-time 300 -o "$TMP/$n.body" -D "$TMP/$n.headers" -w '%{http_code}' -X POST "$@" \
		-H "Authorization: Bearer $OWN" -H 'Idempotency-Key: dl-1' -F "file=@$TMP/letter.txt" \
		-F "to=+33100000002" "$BASE/v1/faxes?note=x" >"$TMP/$n.code" 2>/dev/null
}
kill -STOP "$V"
submit held -H 'Accept-Language: fr' -H 'X-Request-Id: held-1'
STATUS=$(cat "$TMP/held.code") BODY=$(cat "$TMP/held.body") HEADERS="$TMP/held.headers"
expect_problem 504 service-timeout "a submission held past the deadline"
expect_jq '.title == "Le service n'"'"'a pas répondu à temps"' "the title in French"
expect_jq '.detail | test("clé d.idempotence")' "the detail in French says to repeat with the key"
expect_jq '.request_id == "held-1"' "the request's own X-Request-Id"
grep -qi '^Retry-After: [0-9]' "$HEADERS" && ok || fail "no Retry-After on the 504: $(cat "$HEADERS")"
grep -qi '^X-Request-Id: held-1' "$HEADERS" && ok || fail "the 504 lacks the request's X-Request-Id"
# Logged once, with the route (no query, no credential).
timeouts() { grep 'event=http.service_timeout ' "$LOG"; }
[ "$(timeouts | wc -l)" = 1 ] && ok || fail "http.service_timeout logged $(timeouts | wc -l) times"
timeouts | grep -q "target=\"POST /v1/faxes\" after_s=$DEADLINE" && ok ||
	fail "the timeout's log line: $(timeouts)"
timeouts | grep -q "note=\|$OWN" && fail "the log line carries the query or the token: $(timeouts)" || ok
ID=$(timeouts | sed -n 's/.* id=\([0-9]*\) .*/\1/p')
[ -n "$ID" ] && ok || fail "no id in the timeout's log line"

# The front end answers others while the service still holds the first.
req GET /healthz
expect_status 200 "/healthz while the submission is held"
req GET /v1/me "$OWN"
expect_status 200 "a read while the submission is held"
[ "$(child_of_daemon fv-http)" = "$H" ] && ok || fail "the front end changed at the timeout"

# ---- the service completes it; its late answer is dropped once ----
kill -CONT "$V"
late() { grep -q "event=http.answer_late id=$ID\$" "$LOG"; }
poll_until 300 late && ok || fail "the late answer is not logged: $(grep 'http.answer' "$LOG" | tail -n 3)"
[ "$(grep -c 'event=http.answer_late ' "$LOG")" = 1 ] && ok || fail "late answers: $(grep -c http.answer_late "$LOG")"
grep -q 'event=http.answer_stray' "$LOG" && fail "the late answer logged as stray: $(grep http.answer_stray "$LOG")" || ok
req GET /v1/me "$OWN"
expect_status 200 "a request after the late answer"
# What the timed-out POST did is done: one fax, rendered in its turn.
req GET /v1/faxes "$OWN"
expect_status 200 "the faxes after the timeout"
expect_jq '.items | length == 1' "the held submission made its fax"
FAX=$(jqr '.items[0].id')
wait_rendered "$OWN" "$FAX"
# Repeated with its Idempotency-Key: the first answer, replayed; no second fax.
submit again
[ "$(cat "$TMP/again.code")" = 202 ] && ok || fail "the repeat: $(cat "$TMP/again.code") $(cat "$TMP/again.body")"
grep -qi '^Idempotent-Replayed: true' "$TMP/again.headers" && ok || fail "the repeat was not a replay: $(cat "$TMP/again.headers")"
[ "$(jq -r '.items[0].id' "$TMP/again.body")" = "$FAX" ] && ok || fail "the replay names another fax: $(cat "$TMP/again.body")"
req GET /v1/faxes "$OWN"
expect_jq '.items | length == 1' "still one fax after the repeat"

[ "$(child_of_daemon fv-http)" = "$H" ] && ok || fail "the front end changed"
grep -q 'event=http.front_exited' "$LOG" && fail "the front end exited: $(grep http.front_exited "$LOG")" || ok
stop_daemon && ok || fail "faxvaultd did not stop cleanly"
grep -q "event=http.front_exited pid=$H status=0" "$LOG" && ok || fail "the front end did not end cleanly: $(grep http.front "$LOG" | tail -n 3)"
finish
