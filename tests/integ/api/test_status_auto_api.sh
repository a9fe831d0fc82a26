#!/usr/bin/env bash
# Automatic states of the status board's api and portal components (P13):
# the portal from its files (index.html gone: major_outage; a file its page
# names gone: partial_outage; both back: operational); the api from the share
# of requests answered 5xx over the window, made real by a database another
# process holds locked so that sign-ins are answered 503, and back to
# operational once the window passed on the test clock. Each change in the
# component's history, on the public board, and audited by system:status.
. "$(dirname "$0")/lib.sh"
HERE="$(dirname "$0")"
cp -r "$HERE/../../../portal" "$TMP/portal"
# The share is counted over every answer of the window, the test's own reads
# included (a sign-in and a poll before the lock, the two reads that check
# the degraded state after it): 25 % keeps three 503s at or above it however
# many polls a loaded machine needs, so the state cannot flip back under the
# test's own reads.
start_daemon --set http.portal_dir="$TMP/portal" --set status.check_seconds=1 \
	--set status.failure_min_calls=2 --set status.failure_percent=25 --set status.failure_window_minutes=5
OP_PW=$(jq -r .password "$TMP/boot.json")
OP=$(operator_token)
DB="$DATA/faxvault.db"
state_is() { # COMPONENT STATE: the operators' view says so
	req GET /v1/provider/status/components "$OP"
	[ "$(jqr ".items[] | select(.id == \"$1\") | .state")" = "$2" ]
}
auto_state() { sqlite3 "$DB" "SELECT state FROM status_auto WHERE id='$1'"; }

req GET /v1/provider/status/components "$OP"
expect_jq '(.items[] | select(.id == "api") | .state) == "operational" and (.items[] | select(.id == "portal") | .state) == "operational"' \
	"api and portal operational at first"

# --- the portal: its page gone, then a file the page names
mv "$TMP/portal/index.html" "$TMP/portal/index.html.away"
if poll_until 120 state_is portal major_outage; then ok; else fail "portal major_outage without its page: $BODY"; fi
expect_jq '(.items[] | select(.id == "portal") | .automatic.reason) == "the portal'"'"'s index.html cannot be read"' \
	"the reason names the page"
req GET /status.json
expect_jq '(.components[] | select(.id == "portal") | .state) == "major_outage" and .overall == "major_outage"' \
	"the public board shows it"
# app.js away before the page is back: a status pass between the two moves
# then sees the page still gone (major_outage), never every file there
# (operational, a fourth change in the history).
mv "$TMP/portal/app.js" "$TMP/portal/app.js.away"
mv "$TMP/portal/index.html.away" "$TMP/portal/index.html"
if poll_until 120 state_is portal partial_outage; then ok; else fail "portal partial_outage without app.js: $BODY"; fi
expect_jq '(.items[] | select(.id == "portal") | .automatic.reason) | test("^1 of the [0-9]+ files the portal.s page names cannot be read \\(first: /app.js\\)$")' \
	"the reason names the missing file"
mv "$TMP/portal/app.js.away" "$TMP/portal/app.js"
if poll_until 120 state_is portal operational; then ok; else fail "portal operational again: $BODY"; fi
expect_jq '[.items[] | select(.id == "portal") | .history[] | select(.source == "automatic") | .state] == ["operational","partial_outage","major_outage"]' \
	"the portal's history, newest first"

# --- the api: sign-ins answered 5xx while another process holds the database
# Past the window first, so that only what follows counts.
advance_clock 6
OP=$(operator_token)
if poll_until 60 state_is api operational; then ok; else fail "api operational before: $BODY"; fi
python3 - "$DB" "$TMP/locked" <<'EOF' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
# Until every sign-in below gave up (each waits for the lock 10 s).
while not os.path.exists(sys.argv[2] + ".done"):
    time.sleep(0.1)
c.execute("ROLLBACK")
EOF
LOCKER=$!
poll_until 60 test -e "$TMP/locked" || fail "the database could not be locked"
# One after another: each waits for the lock, then is answered 503. Each
# waits behind the service's own writers (10 s each while the lock is held),
# so a loaded machine may take minutes.
for i in 1 2 3; do
	curl -s -o /dev/null --max-time 300 -w '%{http_code}\n' -H 'Content-Type: application/json' \
		-d "{\"email\":\"op@example.com\",\"password\":\"$OP_PW\"}" "$BASE/v1/sessions" >"$TMP/code.$i"
done
touch "$TMP/locked.done"
wait "$LOCKER"
CODES=$(sort "$TMP"/code.* | uniq -c | tr -s ' ')
[ "$(cat "$TMP"/code.* | grep -c '^5')" = 3 ] && ok || fail "the three sign-ins were answered 5xx: $CODES"
api_degraded() { [ "$(auto_state api)" = degraded ]; }
if poll_until 300 api_degraded; then ok; else fail "api degraded after 3 answers 5xx: $(auto_state api)"; fi
req GET /v1/provider/status/components "$OP"
expect_jq '(.items[] | select(.id == "api")) as $a | $a.state == "degraded" and ($a.automatic.reason | test("^[0-9]+ of [0-9]+ requests answered 5xx in the last 5 minutes$"))' \
	"api degraded with its reason"
req GET /status.json
expect_jq '(.components[] | select(.id == "api") | .state) == "degraded"' "the public board shows it"

# The window passes on the test clock without failures: operational again.
advance_clock 6
OP=$(operator_token)
if poll_until 120 state_is api operational; then ok; else fail "api operational once the window passed: $BODY"; fi
expect_jq '[.items[] | select(.id == "api") | .history[] | select(.source == "automatic") | .state] == ["operational","degraded"]' \
	"the api's history, newest first"
req GET "/v1/provider/audit-events?action=status.component.auto&limit=50" "$OP"
if [ "$STATUS" = 403 ]; then
	req POST /v1/provider/staff "$OP" '{"email":"sec@provider.example","name":"Sec","role":"security"}'
	accept "$(jqr .invitation.token)" "basalt-meadow-5678"
	req GET "/v1/provider/audit-events?action=status.component.auto&limit=50" "$(login sec@provider.example basalt-meadow-5678)"
fi
expect_jq '[.items[] | select(.target == "api" or .target == "portal") | .actor.id] | length == 5 and all(. == "system:status")' \
	"the five changes audited by system:status"

finish
