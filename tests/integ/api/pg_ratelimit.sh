#!/usr/bin/env bash
# Rate limits shared across nodes (issue 15): two faxvaultd nodes on one
# PostgreSQL database keep one bucket per key in the database. Run by CTest
# as integ_api_pg_ratelimit with FV_TEST_PG (the fixture "pg").
#  - a client alternating between the two nodes gets its burst (10) of
#    answers, then 429, as from one node: not twice the limit;
#  - the 429 says when to retry; another person's bucket is untouched;
#  - the buckets are rows of rate_buckets (an UNLOGGED table).
. "$(dirname "$0")/lib.sh"
: "${FV_TEST_PG:?FV_TEST_PG: socket directory of the test cluster}"

# 10 requests at once, then one a minute (a few seconds of the test refill
# nothing worth a token).
LIMITS=(--set ratelimit.requests_per_minute=1 --set ratelimit.burst=10)
start_daemon "${LIMITS[@]}"
A_BASE=$BASE
PW="plume encre buvard 1789"
OP=$(operator_token)
new_account "$OP" "Clinique A" owner@a.example "$PW"
OWNER=$NEW_OWNER
new_account "$OP" "Cabinet B" owner@b.example "$PW"
OTHER=$NEW_OWNER

start_node b "${LIMITS[@]}"
B_BASE=$NODE_BASE

# The owner's account bucket was used by the set-up (invitation, login are
# public: their address's bucket). 20 requests alternating A, B, A, B…
: >"$TMP/codes"
for i in $(seq 20); do
	[ $((i % 2)) = 1 ] && b=$A_BASE || b=$B_BASE
	curl -s -o /dev/null -D "$TMP/h$i" -w '%{http_code}\n' -H "Authorization: Bearer $OWNER" "$b/v1/me" >>"$TMP/codes"
done
OKS=$(grep -c '^200$' "$TMP/codes")
LIMITED=$(grep -c '^429$' "$TMP/codes")
# (one more token is refilled if the loop outlasts a minute on a loaded machine)
[ "$OKS" -ge 10 ] && [ "$OKS" -le 11 ] && [ $((OKS + LIMITED)) = 20 ] && ok \
	|| fail "alternating between two nodes: $OKS answered, $LIMITED refused; want the burst (10) answered, the rest 429"
# Both nodes refuse once the bucket is empty.
tail -n 2 "$TMP/codes" | grep -qv '^429$' && fail "the last requests on both nodes: $(tail -n 2 "$TMP/codes" | tr '\n' ' ')" || ok
grep -qi '^retry-after: [1-9]' "$TMP/h20" && ok || fail "the 429 says when to retry: $(cat "$TMP/h20")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OTHER" "$B_BASE/v1/me")
[ "$code" = 200 ] && ok || fail "another account's owner: $code"
n=$(db_query "SELECT count(*) FROM rate_buckets WHERE key LIKE 'acc:%'")
[ "$n" -ge 2 ] && ok || fail "rate_buckets holds $n account buckets"
[ "$(db_query "SELECT relpersistence FROM pg_class WHERE relname='rate_buckets'")" = u ] && ok \
	|| fail "rate_buckets is not UNLOGGED"

finish
