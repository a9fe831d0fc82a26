#!/usr/bin/env bash
# Fax by e-mail (issue 13, C10) through a real Postfix in front of faxvault's
# SMTP listener, as a provider would run it: a member's mail with a PDF and
# a text body, relayed by Postfix (transport to mail.smtp_listen), becomes
# one fax (the body as its cover page) from that member's account, is
# delivered over the loopback trunk to account B, and comes back by mail as
# B's received fax; a refused mail comes back to its sender as Postfix's
# bounce. Then hostile mail straight to the listener with swaks: strangers,
# a sender off the list, a server outside the CIDRs with a forged
# "pass" header, SPF or DKIM required (test_mail_sender_auth.sh covers
# them with DNS), 40 MB, 10,000 nested multiparts,
# malformed headers, an encoded-word subject, a .docx, wrong recipients, and
# the protocol's own limits: each its reply code, nothing faxed, every
# refusal that names an account audited on it, and nothing crashes.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/smtp_lib.sh"
. "$(dirname "$0")/postfix.sh"
trap 'postfix_stop; cleanup' EXIT

FV_SMTP=$(free_port)
PF_RELAY_DOMAIN=fax.example.net PF_RELAY_TO="127.0.0.1:$FV_SMTP"
postfix_start
fax_setup --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.domain=fax.example.net --set mail.smtp_listen="127.0.0.1:$FV_SMTP" \
	--set mail.smtp_max_bytes=8388608 --set mail.smtp_max_sessions=3 --set metrics.listen=127.0.0.1:0
grep -q "event=smtp.listening .*port=$FV_SMTP" "$LOG" && ok || fail "the SMTP listener did not start"
make_pdf "$TMP/one.pdf" 1

# swaks_fv ARGS...: one mail straight to faxvault's listener; the
# conversation in SW. (swaks takes an argument that starts with + for an
# option: recipients are given as " +E164@…", which both Postfix and the
# listener read as "+E164@…".)
swaks_fv() { SW=$(swaks --server 127.0.0.1 --port "$FV_SMTP" --timeout 120 "$@" 2>&1); }
refusals() { # refusals REASON: audit events fax_by_email.refused with it on A
	req GET "/v1/accounts/$ACC_A/audit-events?action=fax_by_email.refused" "$OWNER_A"
	jqr "[.items[] | select(.detail.reason == \"$1\" and .actor.id == \"system:smtp\" and .outcome == \"failure\")] | length"
}
USER_MAIL=user@a-fax.example
TO="$NUM_B@fax.example.net"

# --- fax by e-mail is off by default: Postfix bounces the mail to its sender
swaks --server 127.0.0.1 --port "$PF_PORT" --from "$USER_MAIL" --to " $TO" \
	--header "Subject: Off" --body "nothing" --attach-type application/pdf --attach @"$TMP/one.pdf" >/dev/null 2>&1
bounce_to_user() { mail_to "$USER_MAIL" 1 && grep -q "may not send faxes by e-mail" "$MAIL"; }
if poll_until 120 bounce_to_user; then ok; else fail "no bounce reached the sender"; fi
[ "$(refusals fax_by_email_disabled)" = 1 ] && ok || fail "the refusal is not audited on A: $BODY"
[ "$(outbound_a)" = 0 ] && ok || fail "a fax was made while fax by e-mail was off"

# --- allowed: Postfix relays, faxvault faxes, B gets it by mail
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"allowed_senders":["@a-fax.example"],"allowed_servers":["127.0.0.0/8"]}'
expect_status 200 "A enables fax by e-mail for its domain, from loopback servers"
swaks --server 127.0.0.1 --port "$PF_PORT" --from "$USER_MAIL" --to " $TO" \
	--header "Subject: Invoice 42" --body "Please find the invoice attached." \
	--attach-type application/pdf --attach @"$TMP/one.pdf" >"$TMP/sw-ok.txt" 2>&1 || fail "Postfix refused the mail: $(tail -n 3 "$TMP/sw-ok.txt")"
one_fax() { [ "$(outbound_a)" = 1 ] && req GET "/v1/faxes?direction=outbound" "$ADMIN_A" && [ "$(jqr '.items[0].status')" != rendering ]; }
if poll_until 120 one_fax; then ok; else fail "no fax was made from the mail"; fi
req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
FAX=$(jqr '.items[0].id')
expect_jq ".items[0].to == \"$NUM_B\" and .items[0].user_id == \"$USER_ID_A\" and .items[0].cover_subject == \"Invoice 42\" and .items[0].page_count == 2" "one fax from the member to B's number, cover page and one page"
[ -n "$FAX" ] && [ "$FAX" != null ] && wait_fax "$USER_A" "$FAX" 180
expect_jq '.status == "delivered"' "the fax by e-mail is delivered over the loopback trunk"
mail_with_fax() { MAIL=$(grep -l "^To:.*user@b-fax.example" "$PF_MAILDIR"/new/* 2>/dev/null | xargs -r grep -l "application/pdf" | head -n 1); [ -n "$MAIL" ]; }
if poll_until 120 mail_with_fax; then ok; else fail "B did not receive the fax by mail"; fi
req GET "/v1/accounts/$ACC_A/audit-events?action=fax.submit" "$OWNER_A"
expect_jq "[.items[] | select(.actor.id == \"$USER_ID_A\")] | length == 1" "the submission is audited as the member"

# --- hostile mail straight to the listener (peer 127.0.0.1)
pdf_mail() { swaks_fv --from "${2:-$USER_MAIL}" --to " ${3:-$TO}" --header "From: ${1:-$USER_MAIL}" \
	--header "Subject: test" --body "x" --attach-type application/pdf --attach @"$TMP/one.pdf"; }
pdf_mail stranger@evil.example stranger@evil.example
expect_reply 550 "a stranger is refused"
printf '%s' "$SW" | grep -q "may not send faxes by e-mail from this server / Cet expediteur ne peut pas envoyer de fax par e-mail" && ok || fail "the stranger's refusal text, in English and French"
pdf_mail admin@a-fax.example
expect_reply 250 "an admin of A in the allowed domain is accepted"
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"allowed_senders":["admin@a-fax.example"],"allowed_servers":["127.0.0.0/8"]}'
pdf_mail
expect_reply 550 "a member off the sender list is refused"
STRANGER_TEXT=$(printf '%s\n' "$SW" | grep ' 550 ')
[ "$(refusals sender_not_allowed)" = 1 ] && ok || fail "sender_not_allowed not audited"
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"allowed_servers":["192.0.2.0/24"]}'
swaks_fv --from "$USER_MAIL" --to " $TO" --header "From: $USER_MAIL" \
	--header "Authentication-Results: mx.a-fax.example; spf=pass; dkim=pass; dmarc=pass" \
	--header "Received-SPF: pass" --body "x" --attach-type application/pdf --attach @"$TMP/one.pdf"
expect_reply 550 "a server outside the CIDRs is refused, whatever its headers claim"
[ "$(printf '%s\n' "$SW" | grep ' 550 ')" = "$STRANGER_TEXT" ] && ok || fail "the refusals say different things"
[ "$(refusals server_not_allowed)" = 1 ] && ok || fail "server_not_allowed not audited"
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"spf":"require"}'
pdf_mail
expect_reply 550 "SPF required: refused (a loopback client is not evaluated)"
[ "$(refusals spf_none)" = 1 ] && ok || fail "spf_none not audited"
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"dkim":"require"}'
pdf_mail
expect_reply 550 "DKIM required: an unsigned mail is refused"
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"allowed_servers":["127.0.0.1"]}'
req GET "/v1/accounts/$ACC_B/audit-events?action=fax_by_email.refused" "$OWNER_B"
expect_jq '.items | length == 0' "nothing about A's refusals in B's log"
BEFORE=$(outbound_a)

# 40 MB: past SIZE (8 MiB here), read and dropped.
head -c 41943040 /dev/zero >"$TMP/big.pdf"
pdf_big() { swaks_fv --from "$USER_MAIL" --to " $TO" --header "From: $USER_MAIL" --body x --attach-type application/pdf --attach @"$TMP/big.pdf"; }
pdf_big
expect_reply 552 "a 40 MB mail is refused"
printf '%s' "$SW" | grep -q "SIZE 8388608" && ok || fail "SIZE is not advertised"
rm -f "$TMP/big.pdf"
# 10,000 nested multiparts.
python3 - "$TMP/deep.eml" <<'PY'
import sys
n = 10000
with open(sys.argv[1], 'w') as f:
    f.write("From: user@a-fax.example\r\nTo: x@fax.example.net\r\nSubject: deep\r\nMIME-Version: 1.0\r\n")
    for i in range(n):
        f.write('Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
    f.write("Content-Type: text/plain\r\n\r\nhi\r\n")
    for i in reversed(range(n)):
        f.write("--b%d--\r\n" % i)
PY
swaks_fv --from "$USER_MAIL" --to " $TO" --data @"$TMP/deep.eml"
expect_reply 554 "a MIME structure 10,000 deep is refused"
# Malformed headers: no From, a header without a colon, NUL-free binary junk.
printf 'Subject: broken\r\nThis is not a header\r\n\x01\x02: \xff\xfe\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n--\r\n' >"$TMP/bad.eml"
swaks_fv --from "$USER_MAIL" --to " $TO" --data @"$TMP/bad.eml"
expect_reply 550 "malformed headers without a From are refused"
printf 'From: a@x.example, b@y.example\r\nSubject: two\r\n\r\nhello\r\n' >"$TMP/two.eml"
swaks_fv --from "$USER_MAIL" --to " $TO" --data @"$TMP/two.eml"
expect_reply 550 "two From addresses are refused"
# A .docx (a ZIP): refused with its reason, after the sender checks.
printf 'PK\003\004\024\000\000\000\010\000word/document.xml\000\001\002' >"$TMP/report.docx"
swaks_fv --from "$USER_MAIL" --to " $TO" --header "From: $USER_MAIL" --body x \
	--attach-type application/vnd.openxmlformats-officedocument.wordprocessingml.document --attach @"$TMP/report.docx"
expect_reply 554 "a .docx is refused"
printf '%s' "$SW" | grep -qi "unsupported\|not supported\|PDF" && ok || fail "the .docx refusal does not say why: $(printf '%s\n' "$SW" | grep ' 554 ')"
printf '%s\n' "$SW" | grep ' 554 ' | grep -q ' / .*[Ff]ormat\| / .*PDF' && ok || fail "the .docx refusal does not say why in French too: $(printf '%s\n' "$SW" | grep ' 554 ')"
printf '%s\n' "$SW" | grep ' 554 ' | LC_ALL=C grep -q '[^ -~]' && fail "a reply that is not ASCII" || ok
[ "$(refusals submission_refused)" -ge 1 ] && ok || fail "the .docx refusal is not audited"
[ "$(outbound_a)" = "$BEFORE" ] && ok || fail "a hostile mail was faxed"
# An encoded-word UTF-8 subject becomes the cover page's subject.
swaks_fv --from "$USER_MAIL" --to " $TO" --header "From: =?UTF-8?Q?Andr=C3=A9?= <$USER_MAIL>" \
	--header "Subject: =?UTF-8?B?RmFjdHVyZSDDqXTDqSDigqw=?=" --body "Voilà" --attach-type application/pdf --attach @"$TMP/one.pdf"
expect_reply 250 "an encoded-word subject is accepted"
req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
expect_jq '.items[0].cover_subject == "Facture été €"' "the subject decoded to UTF-8"

# --- recipients and the protocol
swaks_fv --from "$USER_MAIL" --to "someone@elsewhere.example" --body x
expect_reply 550 "another domain: no relaying"
swaks_fv --from "$USER_MAIL" --to "sales@fax.example.net" --body x
expect_reply 553 "a local part that is not a number"
raw() { python3 - "$FV_SMTP" "$@" <<'PY'
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 30)
f = s.makefile('rb')
print(f.readline().decode().strip())
for line in sys.argv[2:]:
    s.sendall(line.encode('latin-1') + b'\r\n')
    while True:
        r = f.readline().decode(errors='replace').strip()
        print(r)
        if len(r) < 4 or r[3] != '-':
            break
PY
}
OUT=$(raw "EHLO t" "VRFY user@a-fax.example" "$(printf 'A%.0s' $(seq 1 600))" "FOO" "MAIL FROM:<a@b.example> SIZE=99999999999" "MAIL FROM:<a@b.example> X=1" "RCPT TO:<+15555550102@fax.example.net>" "DATA" "QUIT")
printf '%s\n' "$OUT" | grep -q '^252 ' && ok || fail "VRFY says nothing: $OUT"
printf '%s\n' "$OUT" | grep -q '^500 5.5.2 Line too long' && ok || fail "a 600-byte command line: $OUT"
printf '%s\n' "$OUT" | grep -q '^502 ' && ok || fail "an unknown command: $OUT"
printf '%s\n' "$OUT" | grep -q '^552 ' && ok || fail "a declared SIZE over the limit: $OUT"
printf '%s\n' "$OUT" | grep -q '^555 ' && ok || fail "an unknown MAIL parameter: $OUT"
printf '%s\n' "$OUT" | grep -q '^503 ' && ok || fail "RCPT and DATA without MAIL: $OUT"
OUT=$(raw "EHLO t" X1 X2 X3 X4 X5 X6 X7 X8 X9 X10 NOOP)
printf '%s\n' "$OUT" | grep -q '^421 ' && ok || fail "ten bad commands close the session: $OUT"
# Three sessions at once (mail.smtp_max_sessions): the fourth is turned away.
python3 - "$FV_SMTP" >"$TMP/busy.txt" <<'PY'
import socket, sys
held = []
for i in range(3):
    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 30)
    s.makefile('rb').readline()
    held.append(s)
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 30)
print(s.makefile('rb').readline().decode().strip())
PY
grep -q '^421 4.3.2' "$TMP/busy.txt" && ok || fail "a fourth session at once: $(cat "$TMP/busy.txt")"
pdf_mail
expect_reply 250 "the listener still takes mail"
req GET /healthz
expect_status 200 "the daemon is alive"
MET=$(curl -s "http://127.0.0.1:$(metrics_port)/metrics")
metric() { awk -v k="$1" '$1 == k {print $2}' <<<"$MET"; }
[ "$(metric 'faxvault_smtp_mails_total{outcome="accepted"}')" -ge 4 ] 2>/dev/null && ok || fail "metrics: accepted mails: $(grep smtp <<<"$MET")"
[ "$(metric 'faxvault_smtp_mails_total{outcome="refused"}')" -ge 10 ] 2>/dev/null && ok || fail "metrics: refused mails"
[ "$(metric 'faxvault_smtp_sessions_total{outcome="busy"}')" -ge 1 ] 2>/dev/null && ok || fail "metrics: a session turned away"

stop_daemon || fail "daemon did not stop cleanly"
finish
