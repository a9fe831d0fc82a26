#!/usr/bin/env bash
# Trunk state across nodes (issue 12): two faxvaultd nodes on one PostgreSQL
# database probe the same carrier trunk with the OPTIONS keep-alive. Run by
# CTest as integ_fax_pg_trunk_nodes with FV_TEST_PG (the fixture "pg").
#  - each node's view is recorded and shown in GET /v1/provider/trunks/{id}
#    (`nodes`), and in `faxvault trunks show`;
#  - the trunk's `status` is up while one node sees it up, even when the
#    other sees it down, and down only when every node that probes it does;
#  - a node that stops leaves the trunk's state (its view removed);
#  - up again when the carrier answers again.
# Node A probes every second; node B once at its start and then every hour
# (fax.trunk_keepalive_seconds=3600): its view stays "up" while A sees the
# carrier go away.
. "$(dirname "$0")/../api/lib.sh"
: "${FV_TEST_PG:?FV_TEST_PG: socket directory of the test cluster}"
: "${FV:?FV: path of faxvault (the CLI)}"
. "$(dirname "$0")/../cli/lib_cli.sh"

REF_PID=""
stop_carrier() {
	[ -n "$REF_PID" ] && kill "$REF_PID" 2>/dev/null && wait "$REF_PID" 2>/dev/null
	cleanup
}
trap stop_carrier EXIT

# carrier: answers OPTIONS 200 (and refuses calls) on a port of its own;
# sets REF_PID and CARRIER_PORT (the same port again when given).
carrier() {
	rm -f "$TMP/carrier.port"
	python3 "$(dirname "$0")/sip_refuser.py" "$TMP/carrier.port" 503 600 ${1:+"$1"} >"$TMP/carrier.out" 2>&1 &
	REF_PID=$!
	poll_until 30 test -s "$TMP/carrier.port" || { fail "the carrier did not start"; finish; exit 1; }
	CARRIER_PORT=$(cat "$TMP/carrier.port")
}
carrier

start_daemon --set fax.node_id=node-a --set fax.trunk_keepalive_seconds=1
A_BASE=$BASE
OP=$(operator_token)
req POST /v1/provider/trunks "$OP" "{\"id\":\"carrier1\",\"name\":\"Carrier One\",\"peer\":\"127.0.0.1:$CARRIER_PORT\",\"prefixes\":[\"+1415\"]}"
expect_status 201 "the carrier's trunk"

# node B: the same database, its own data directory
start_node b --set fax.node_id=node-b --set fax.trunk_keepalive_seconds=3600
B_BASE=$NODE_BASE
B_PID=$NODE_PID

# trunk_is FILTER: GET the trunk (on node A) until the filter holds.
trunk_is() {
	req GET /v1/provider/trunks/carrier1 "$OP"
	[ "$(printf '%s' "$BODY" | jq -r "$1" 2>/dev/null)" = true ]
}
node_st() { printf '(.nodes | map(select(.node == "%s")) | .[0].status == "%s")' "$1" "$2"; }

poll_until 120 trunk_is "$(node_st node-a up) and $(node_st node-b up)" && ok \
	|| fail "both nodes see the carrier up: $BODY"
expect_jq '.status == "up" and (.nodes | length == 2) and all(.nodes[]; .counted and .registration == "none" and (.seen_at | type == "string"))' \
	"the trunk up, each node's view counted"

# the CLI shows the nodes' views
export FAXVAULT_URL=$A_BASE
IN=$(jq -r .password "$TMP/boot.json") as op 0 "the operator logs in" login --email op@example.com --password-stdin
as op 0 "faxvault trunks show" trunks show carrier1
has "node-a: up" "node A's view in faxvault trunks show"
has "node-b: up" "node B's view in faxvault trunks show"

# --- the carrier goes away: node A sees it down, node B (no probe for an
# hour) still up: the trunk stays up
kill "$REF_PID"
wait "$REF_PID" 2>/dev/null
REF_PID=""
poll_until 120 trunk_is "$(node_st node-a down)" && ok || fail "node A did not see the carrier down: $BODY"
expect_jq "$(node_st node-b up) and .status == \"up\"" "up while node B sees it up"
grep -q 'event=fax.trunk_down trunk=carrier1' "$LOG" && ok || fail "node A logged the trunk down"

# --- node B stops: its view leaves, every node left sees it down
kill -TERM "$B_PID"
wait "$B_PID" && ok || fail "node B did not stop cleanly"
poll_until 60 trunk_is '.status == "down" and (.nodes | length == 1)' && ok \
	|| fail "down once node B left: $BODY"
expect_jq "$(node_st node-a down)" "node A's view"
# the status board's pass sees the decided state (a trunk down: an outage of sending)

# --- the carrier answers again on the same port
carrier "$CARRIER_PORT"
poll_until 120 trunk_is '.status == "up"' && ok || fail "up again: $BODY"

finish
