#!/usr/bin/env bash
# A local sendmail program that never answers (mail.relay = sendmail) is
# stopped after mail.timeout_seconds, as an SMTP relay's session would be:
# the attempt is recorded deferred with the reason, the program is gone,
# and once the program answers again the message is sent at its next
# attempt (after the backoff, on the test clock). Before, the sender waited
# for such a program for ever, holding a queue worker; past the job's lease
# the message was handed to another program again. No Postfix needed.
. "$(dirname "$0")/../api/lib.sh"
# The stand-ins left (a hung one sleeps at most 10 minutes) end with the test.
trap 'kill $(cat "$TMP/sendmail.pids" 2>/dev/null) 2>/dev/null; cleanup' EXIT

mkdir -p "$TMP/bin"
cat >"$TMP/bin/sendmail" <<EOS
#!/bin/sh
echo \$\$ >>"$TMP/sendmail.pids"
if [ -e "$TMP/answer" ]; then cat >"$TMP/sent.part" && mv "$TMP/sent.part" "$TMP/sent.msg"; exit 0; fi
exec sleep 600
EOS
chmod 755 "$TMP/bin/sendmail"
PATH="$TMP/bin:$PATH" start_daemon --set mail.relay=sendmail --set mail.from=noreply@fax.example.net \
	--set mail.timeout_seconds=2
OP=$(operator_token)
req POST /v1/accounts "$OP" '{"name":"Relais SA","owner":{"email":"owner@relais.example","name":"Owner"}}'
expect_status 201 "an account, whose owner's invitation is mailed"

stopped() { grep -q 'event=mail.attempt .*kind=invitation attempt=1 status=pending .*reply="sendmail: no answer within 2 s, stopped"' "$LOG"; }
poll_until 120 stopped && ok ||
	{ fail "the silent sendmail was not stopped: $(grep 'event=mail\.' "$LOG" | tail -n 3)"
	  kill $(cat "$TMP/sendmail.pids") 2>/dev/null; finish; exit 1; } # (the daemon waits for it to stop)
PID=$(head -n 1 "$TMP/sendmail.pids")
gone() { ! kill -0 "$PID" 2>/dev/null; }
poll_until 30 gone && ok || fail "the silent sendmail ($PID) still runs"
[ "$(wc -l <"$TMP/sendmail.pids")" = 1 ] && ok || fail "sendmail run again before the backoff: $(wc -l <"$TMP/sendmail.pids") runs"

# The program answers again: the next attempt, after the backoff, sends it.
touch "$TMP/answer"
advance_clock 2
req GET /v1/me "$OP" # the daemon reads its clock's file at a request
sent() { grep -q 'event=mail.attempt .*kind=invitation attempt=2 status=sent code=250 reply="sendmail accepted"' "$LOG"; }
poll_until 120 sent && ok || fail "the message was not sent at its second attempt: $(grep 'event=mail\.' "$LOG" | tail -n 3)"
grep -q '^To: .*owner@relais.example' "$TMP/sent.msg" 2>/dev/null && ok || fail "the invitation reached sendmail"
stop_daemon || fail "daemon did not stop cleanly"
finish
