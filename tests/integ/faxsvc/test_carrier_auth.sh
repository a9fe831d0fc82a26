#!/usr/bin/env bash
# Digest authentication of a carrier's INVITEs (issue 12): a trunk whose
# inbound_auth asks for digest is challenged with 401 and a nonce the
# service checks statelessly; the right credentials file the fax, wrong
# ones, a forged or replayed answer, and a nonce from another address get
# 403 (counted as bad_credentials); an answer whose nonce is too old (the
# test clock moved) is challenged again with stale=true. A trunk with
# inbound_auth digest takes INVITEs from any address, found by the
# username of its credentials. Callers: `faxvault-fax send --user` (our
# engine's client digest) and sip_invite.py (Python's own MD5).
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
INVITE="python3 $(dirname "$0")/sip_invite.py"
fax_setup --set fax.sip_listen=udp:127.0.0.1:0 --set metrics.listen=127.0.0.1:0
CPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=udp:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CPORT" ] && ok || { fail "no carrier listener in the log"; finish; exit 1; }
MPORT=$(metrics_port)
metric() { # metric NAME_WITH_LABELS: its value (0 when absent)
	curl -sf "http://127.0.0.1:$MPORT/metrics" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
PW='trunk-digest-pw-7Hq2'

# --- the setting and its checks
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"127.0.0.1:5999","inbound_auth":"digest"}'
expect_problem 422 validation-failed "digest without the trunk's username and password is refused"
req POST /v1/provider/trunks "$OP" '{"name":"Bad","peer":"127.0.0.1:5999","inbound_auth":"tls","username":"u","password":"p"}'
expect_status 422 "an unknown inbound_auth is refused"
req PATCH /v1/provider/trunks/loopback "$OP" '{"inbound_auth":"digest"}'
expect_status 422 "the loopback trunk takes no inbound_auth"
req POST /v1/provider/trunks "$OP" "{\"id\":\"carrier2\",\"name\":\"Carrier Two\",\"peer\":\"127.0.0.1:5999\",\"prefixes\":[\"+1415\"],\"inbound_cidrs\":[\"127.0.0.1/32\"],\"inbound_auth\":\"source_and_digest\",\"username\":\"acct42\",\"password\":\"$PW\",\"max_calls\":4}"
expect_status 201 "a trunk whose INVITEs come from 127.0.0.1 and authenticate by digest"
expect_jq '.inbound_auth == "source_and_digest" and .has_password == true and (has("password") | not)' "the setting is answered, the password is not"
req PATCH /v1/provider/trunks/carrier2 "$OP" '{"password":""}'
expect_problem 422 validation-failed "removing the password of a digest trunk is refused"
req POST /v1/provider/numbers "$OP" '{"trunk":"carrier2","numbers":["+14155550100"]}'
expect_status 201 "a number on the carrier trunk"
req POST "/v1/accounts/$ACC_A/numbers" "$ADMIN_A" "{\"country\":\"US\",\"area_code\":\"415\",\"route_to\":\"$USER_ID_A\"}"
expect_status 201 "account A holds it"

# --- no credentials: 401 with a digest challenge, counted
out=$($INVITE "$CPORT" +14155550100)
case "$out" in
"401"$'\n'"WWW-Authenticate: Digest realm=\"faxvault\", nonce=\""*'", algorithm=MD5, qop="auth"') ok ;;
*) fail "INVITE without credentials: '$out' (want 401 and a challenge)" ;;
esac
CHAL=$(printf '%s\n' "$out" | sed -n 's/^WWW-Authenticate: //p')
[ "$(metric 'faxvault_fax_inbound_challenged_total')" = 1 ] && ok || fail "the challenge is not counted"

# --- wrong password, with our engine as the carrier: 403 after the challenge
"$TIFFTOOL" mk "$TMP/doc.tif" 2
FV_SIP_PASSWORD=wrong-password "$FAXTOOL" send "sip:+14155550100@127.0.0.1:$CPORT" "$TMP/doc.tif" \
	--clock-speed "$FAX_SPEED" --user acct42 --log "$TMP/bad.log" >"$TMP/bad.json"
jq -e '.status != "done" and .sip_status == 403 and .class == "rejected"' "$TMP/bad.json" >/dev/null && ok ||
	fail "wrong password: $(cat "$TMP/bad.json")"
grep -q 'status=401' "$TMP/bad.log" && ok || fail "the sender was not challenged first"
[ "$(metric 'faxvault_fax_inbound_refused_total{reason="bad_credentials"}')" = 1 ] && ok || fail "the bad credentials are not counted"
# another username with the right password: 403
out=$($INVITE "$CPORT" +14155550100 --digest "acct43:$PW" | tr '\n' ' ')
case "$out" in "401 WWW-Authenticate: "*" 403 ") ok ;; *) fail "a wrong username: '$out' (want 401 then 403)" ;; esac

# --- the right credentials: the fax is filed in A's inbox
FV_SIP_PASSWORD="$PW" "$FAXTOOL" send "sip:+14155550100@127.0.0.1:$CPORT" "$TMP/doc.tif" \
	--clock-speed "$FAX_SPEED" --user acct42 --from "+15550001111" --log "$TMP/tx.log" >"$TMP/tx.json"
jq -e '.status == "done" and .pages_confirmed == 2' "$TMP/tx.json" >/dev/null && ok || fail "right credentials: $(cat "$TMP/tx.json")"
wait_inbound "$USER_A" 1
expect_jq '.items[0].to == "+14155550100" and .items[0].from == "+15550001111" and .items[0].page_count == 2' "the fax is in A's inbox"
IN=$(jqr '.items[0].id')
req GET "/v1/faxes/$IN" "$USER_A"
expect_jq '.attempts[0].trunk == "carrier2"' "the CDR names the trunk"

# --- an independent client (Python's MD5) is accepted; its answer replayed in another call is not
out=$($INVITE "$CPORT" +14155550100 --digest "acct42:$PW" --replay | tr '\n' ' ')
case "$out" in "401 WWW-Authenticate: "*" 200 403 ") ok ;; *) fail "answer then replay: '$out' (want 401, 200, then 403)" ;; esac
wait_inbound "$USER_A" 2
# a forged nonce (one digit changed): 403
NONCE=$(printf '%s' "$CHAL" | sed -n 's/.*nonce="\([0-9a-f]*\)".*/\1/p')
FORGED=${CHAL/$NONCE/${NONCE%?}$([ "${NONCE: -1}" = 0 ] && echo 1 || echo 0)}
[ "$FORGED" != "$CHAL" ] && ok || fail "the forged challenge is the same"
out=$($INVITE "$CPORT" +14155550100 --digest "acct42:$PW" --challenge "$FORGED" | tr '\n' ' ')
[ "$out" = "403 " ] && ok || fail "a forged nonce: '$out' (want 403)"
# the first challenge's nonce, answered a minute later (test clock, which the
# daemon reads on its next HTTP request): challenged again, stale
advance_clock 1
req GET /v1/provider/trunks/carrier2 "$OP"
expect_status 200 "the trunk, read after the clock moved"
out=$($INVITE "$CPORT" +14155550100 --digest "acct42:$PW" --challenge "$CHAL" | tr '\n' ' ')
case "$out" in "401 WWW-Authenticate: "*"stale=true ") ok ;; *) fail "an old nonce: '$out' (want 401 stale=true)" ;; esac
[ "$(metric 'faxvault_fax_inbound_refused_total{reason="bad_credentials"}')" = 4 ] && ok ||
	fail "bad credentials counted: $(metric 'faxvault_fax_inbound_refused_total{reason="bad_credentials"}') (want 4)"

# --- digest instead of the source: any address, the trunk named by the username
req PATCH /v1/provider/trunks/carrier2 "$OP" '{"inbound_auth":"digest","inbound_cidrs":[]}'
expect_status 200 "the trunk now authenticates by digest alone"
out=$($INVITE "$CPORT" +14155550100 --src 127.0.0.2 --digest "acct42:$PW" | tr '\n' ' ')
case "$out" in "401 WWW-Authenticate: "*" 200 ") ok ;; *) fail "digest from another address: '$out' (want 401 then 200)" ;; esac
wait_inbound "$USER_A" 3
# a nonce given to 127.0.0.1, answered from 127.0.0.2: 403
out=$($INVITE "$CPORT" +14155550100 --digest "acct42:$PW" | sed -n 's/^WWW-Authenticate: //p')
out=$($INVITE "$CPORT" +14155550100 --src 127.0.0.2 --digest "acct42:$PW" --challenge "$out" | tr '\n' ' ')
[ "$out" = "403 " ] && ok || fail "a nonce answered from another address: '$out' (want 403)"
# an unknown username: 403
out=$($INVITE "$CPORT" +14155550100 --digest "nobody:$PW" | tr '\n' ' ')
case "$out" in "401 WWW-Authenticate: "*" 403 ") ok ;; *) fail "an unknown username: '$out' (want 401 then 403)" ;; esac
# garbage in Authorization: 403, and the listener goes on
out=$($INVITE "$CPORT" +14155550100 'Authorization: Digest username="acct42", nonce=, response=zz')
[ "$out" = 403 ] && ok || fail "a malformed Authorization: '$out' (want 403)"
req PATCH /v1/provider/trunks/carrier2 "$OP" '{"status":"disabled"}'
out=$($INVITE "$CPORT" +14155550100)
[ "$out" = 403 ] && ok || fail "no active trunk left: '$out' (want 403, no challenge)"
if grep -q -- "$PW" "$LOG"; then fail "the trunk password is in the log"; else ok; fi
finish
