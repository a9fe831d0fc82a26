#!/usr/bin/env bash
# The decision on an INVITE runs off the SIP engine's thread (issue 12).
# The service holds its decision on each INVITE of the carrier listener
# (testing.carrier_decide_delay_ms, 20 s); meanwhile the same engine
# answers: 100 to the held INVITE, OPTIONS, a second call to the loopback
# trunk's listener (decided, 404 for a number nobody holds), a third INVITE
# whose CANCEL gets 200 and the INVITE 487; the held INVITE then gets 503
# with Retry-After (the front end's 10 s, or the engine's 15 s without
# it). Only the order of the responses is checked. With the SIP front end
# (integ_fax_decide) and without it (integ_fax_decide_inproc).
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/lib_fax.sh"
fax_setup --set fax.sip_listen=udp:127.0.0.1:0 --set testing.carrier_decide_delay_ms=20000
CPORT=$(sed -n 's/.*event=fax.carrier_listening .*sip=udp:127.0.0.1:\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
[ -n "$CPORT" ] && ok || { fail "no carrier listener in the log"; finish; exit 1; }
out=$(python3 "$(dirname "$0")/sip_held.py" "$CPORT" "${LOOPBACK_SIP##*:}" +14155550999 +15555550199)
rc=$?
echo "$out"
[ "$rc" = 0 ] && ok || fail "a response did not come: $out"
want='A 100
OPTIONS 200
B 100
B 404
C 100
C CANCEL 200
C 487
A 503 Retry-After: 5'
[ "$out" = "$want" ] && ok || fail "the responses, in order: '$out' (want '$want')"
grep -q 'event=sip_invite_deciding ' "$LOG" && ok || fail "no decision handed off in the log"
grep -q 'event=sip_invite_cancelled ' "$LOG" && ok || fail "the CANCEL of a pending INVITE is not logged"
finish
