#!/usr/bin/env bash
# A bad frame from the SMTP front end, as the service answers it
# (docs/architecture.md, "Processes"): the real front end, made to send one
# (testing.front_bad_frames, SIGUSR2). A mail accepted first; then for each
# kind (an empty datagram, a header of another IPC version, a message of a
# type the service does not take): the service logs smtp.front_malformed
# once (pid, type, why; nothing else), the front end is killed (signal 9)
# and a successor started, which accepts the next mail. At the end every
# mail answered 250 made its fax, the first one kept with its document
# (nothing accepted lost). Then the front end shuts its channel and stops
# itself: the service kills it once its grace has passed (smtp.front_killed)
# and a successor accepts mail. Without ipc_recv telling an empty datagram from
# the end, the first kind is not refused (taken as the front end's close:
# no log line, no kill).
# shellcheck source=../api/lib.sh
. "$(dirname "$0")/../api/lib.sh"
# shellcheck source=../faxsvc/lib_fax.sh
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
# shellcheck source=lib_bad_frame.sh
. "$(dirname "$0")/lib_bad_frame.sh"
CLIENT="python3 $(dirname "$0")/../mail/smtp_client.py"

FV_SMTP=$(free_port)
fax_setup --set mail.domain=fax.example.net --set mail.smtp_listen="127.0.0.1:$FV_SMTP" \
	--set testing.front_bad_frames=1
grep -q "event=smtp.listening .*port=$FV_SMTP" "$LOG" && ok || fail "the SMTP front end did not start"
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"allowed_senders":["@a-fax.example"],"allowed_servers":["127.0.0.0/8"]}'
expect_status 200 "A enables fax by e-mail"
make_pdf "$TMP/one.pdf" 1
outbound_a() { req GET "/v1/faxes?direction=outbound" "$ADMIN_A"; jqr '.items | length'; }
mail_taken() { [ "$($CLIENT "$FV_SMTP" user@a-fax.example "$NUM_B@fax.example.net" "$TMP/one.pdf" | cut -c1-3)" = 250 ]; }

mail_taken && ok || fail "the first mail was not accepted"
req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
FIRST=$(jqr '.items[0].id')
[ "$(jqr '.items | length')" = 1 ] && ok || fail "the first mail made $(jqr '.items | length') faxes"

MAILS=1
for kind in 0 1 2; do
	bad_frame smtp fv-smtp "$kind" || continue
	# The successor takes mail (its listener is the same socket).
	poll_until 300 mail_taken && MAILS=$((MAILS + 1)) && ok || fail "kind $kind: no mail accepted by the successor"
done
# A front end that shuts its channel and stays (stopped): killed after the
# service's grace, and a successor takes mail.
if channel_closed smtp fv-smtp; then
	poll_until 300 mail_taken && MAILS=$((MAILS + 1)) && ok || fail "no mail accepted after the shut channel"
fi
[ "$(outbound_a)" = "$MAILS" ] && ok || fail "$MAILS mails accepted, $(outbound_a) faxes: $(jqr '[.items[].id]')"
req GET "/v1/faxes/$FIRST/document" "$ADMIN_A" "" -o /dev/null
expect_status 200 "the first mail's fax kept, its document readable"
[ "$(grep -c 'event=smtp.front_malformed' "$LOG")" = 3 ] && ok ||
	fail "refusals: $(grep smtp.front_malformed "$LOG")"
finish
