#!/usr/bin/env bash
# Fax by e-mail over LMTP (RFC 2033, mail.lmtp_listen): a real Postfix
# delivers mail for the fax domain by its lmtp transport to faxvault's LMTP
# listener (no SMTP listener configured); a member's mail becomes a fax
# delivered over the loopback trunk, one to fax@ with the number in the
# Subject (the Subject form) a fax to that number, a stranger's comes back to its sender
# as Postfix's bounce with faxvault's reply. Then a hostile client by hand:
# HELO and EHLO refused, LHLO with PIPELINING, pipelined commands, one reply
# per accepted recipient after DATA (two faxes from one mail; a stranger's
# two identical refusals), a zip bomb refused by its type, and the
# protocol's limits.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/smtp_lib.sh"
. "$(dirname "$0")/postfix.sh"
trap 'postfix_stop; cleanup' EXIT
CLIENT="python3 $(dirname "$0")/lmtp_client.py"

FV_LMTP=$(free_port)
PF_RELAY_DOMAIN=fax.example.net PF_RELAY_TO="127.0.0.1:$FV_LMTP" PF_RELAY_PROTO=lmtp
postfix_start
fax_setup --set mail.domain=fax.example.net --set mail.lmtp_listen="127.0.0.1:$FV_LMTP" \
	--set metrics.listen=127.0.0.1:0
grep -q "event=lmtp.listening .*port=$FV_LMTP" "$LOG" && ok || fail "the LMTP listener did not start"
grep -q "event=smtp.listening" "$LOG" && fail "an SMTP listener started without mail.smtp_listen" || ok
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"allowed_senders":["@a-fax.example"],"allowed_servers":["127.0.0.0/8"]}'
expect_status 200 "A enables fax by e-mail"
make_pdf "$TMP/one.pdf" 1
USER_MAIL=user@a-fax.example
TO="$NUM_B@fax.example.net"

# --- through Postfix's lmtp transport
swaks --server 127.0.0.1 --port "$PF_PORT" --from "$USER_MAIL" --to " $TO" \
	--header "Subject: By LMTP" --body "Please fax." \
	--attach-type application/pdf --attach @"$TMP/one.pdf" >"$TMP/sw-ok.txt" 2>&1 || fail "Postfix refused the mail: $(tail -n 3 "$TMP/sw-ok.txt")"
one_fax() { [ "$(outbound_a)" = 1 ]; }
if poll_until 120 one_fax; then ok; else fail "no fax was made from the mail Postfix delivered by LMTP"; fi
req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
FAX=$(jqr '.items[0].id')
expect_jq ".items[0].to == \"$NUM_B\" and .items[0].user_id == \"$USER_ID_A\" and .items[0].cover_subject == \"By LMTP\"" "one fax from the member to B's number"
lmtp_sent() { grep -q "postfix/lmtp.*relay=127.0.0.1\[127.0.0.1\]:$FV_LMTP.*status=sent (250 2.0.0 Queued as" "$PF_DIR/maillog"; }
if poll_until 60 lmtp_sent; then ok; else fail "Postfix's log does not show the LMTP delivery: $(grep lmtp "$PF_DIR/maillog" | tail -n 3)"; fi
[ -n "$FAX" ] && [ "$FAX" != null ] && wait_fax "$USER_A" "$FAX" 180
expect_jq '.status == "delivered"' "the fax by LMTP is delivered over the loopback trunk"
# The Subject form: to fax@ with the number in the Subject.
swaks --server 127.0.0.1 --port "$PF_PORT" --from "$USER_MAIL" --to "fax@fax.example.net" \
	--header "Subject: $NUM_B Subject form" --body "Please fax." \
	--attach-type application/pdf --attach @"$TMP/one.pdf" >"$TMP/sw-subj.txt" 2>&1 || fail "Postfix refused the Subject form: $(tail -n 3 "$TMP/sw-subj.txt")"
subject_fax() { req GET "/v1/faxes?direction=outbound" "$ADMIN_A"; [ "$(jqr "[.items[] | select(.cover_subject == \"$NUM_B Subject form\" and .to == \"$NUM_B\")] | length")" = 1 ]; }
if poll_until 120 subject_fax; then ok; else fail "the Subject form made no fax to the Subject's number: $BODY"; fi
# A stranger: Postfix bounces the mail to its sender with faxvault's reply.
swaks --server 127.0.0.1 --port "$PF_PORT" --from stranger@evil.example --to " $TO" \
	--header "Subject: spam" --body "x" --attach-type application/pdf --attach @"$TMP/one.pdf" >/dev/null 2>&1
bounce() { mail_to stranger@evil.example 1 && grep -q "may not send faxes by e-mail" "$MAIL"; }
if poll_until 120 bounce; then ok; else fail "no bounce reached the stranger"; fi
grep -q "Cet expediteur ne peut pas envoyer de fax par e-mail" "$MAIL" && ok || fail "the bounce does not say why in French: $(grep -i -A2 'said:' "$MAIL")"

# --- a client by hand on the LMTP listener
python3 - "$TMP" "$USER_MAIL" <<'PY'
import sys
from email.message import EmailMessage
for name, frm in (("member", sys.argv[2]), ("stranger", "stranger@evil.example")):
    m = EmailMessage()
    m["From"] = frm
    m["To"] = "fax@fax.example.net"
    m["Subject"] = "hand"
    m.set_content(".a line that starts with a dot\n")
    with open(sys.argv[1] + "/one.pdf", "rb") as fh:
        m.add_attachment(fh.read(), maintype="application", subtype="pdf", filename="one.pdf")
    open("%s/%s.eml" % (sys.argv[1], name), "wb").write(m.as_bytes())
PY
BEFORE=$(outbound_a)
cat >"$TMP/s1" <<EOS
EHLO client.test
--
HELO client.test
--
LHLO client.test
--
MAIL FROM:<$USER_MAIL>
RCPT TO:<$NUM_B@fax.example.net>
RCPT TO:<someone@elsewhere.example>
RCPT TO:<$NUM_A@fax.example.net>
DATA
--
@DATA $TMP/member.eml 2
--
QUIT
EOS
OUT=$($CLIENT "$FV_LMTP" "$TMP/s1")
printf '%s\n' "$OUT" | sed -n 1p | grep -q '^220 .* LMTP ' && ok || fail "the greeting names LMTP: $OUT"
[ "$(printf '%s\n' "$OUT" | grep -c '^500 5.5.1 This is LMTP: say LHLO')" = 2 ] && ok || fail "EHLO and HELO are refused: $OUT"
printf '%s\n' "$OUT" | grep -q '^250-PIPELINING' && ok || fail "LHLO does not advertise PIPELINING: $OUT"
printf '%s\n' "$OUT" | grep -q '^550 5.7.1 Relaying denied: this server takes mail for fax.example.net only / Relais refuse : ce serveur ne prend que le courrier pour fax.example.net$' && ok || fail "another domain's recipient is refused at RCPT, in English and French: $OUT"
printf '%s\n' "$OUT" | grep -q '^354 ' && ok || fail "no 354 after pipelined commands: $OUT"
[ "$(printf '%s\n' "$OUT" | grep -c '^250 2.0.0 Queued as ')" = 2 ] && ok || fail "one reply per accepted recipient after DATA: $OUT"
printf '%s\n' "$OUT" | tail -n 1 | grep -q '^221 ' && ok || fail "QUIT after the replies: $OUT"
[ "$(outbound_a)" = $((BEFORE + 2)) ] && ok || fail "the mail to two numbers is not two faxes: $(outbound_a) after $BEFORE"
req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
expect_jq "[.items[] | select(.cover_subject == \"hand\") | .to] | sort == ([\"$NUM_A\", \"$NUM_B\"] | sort)" "the two faxes go to the two numbers"
BEFORE=$(outbound_a)
cat >"$TMP/s2" <<EOS
LHLO client.test
--
MAIL FROM:<stranger@evil.example>
RCPT TO:<$NUM_B@fax.example.net>
RCPT TO:<$NUM_A@fax.example.net>
DATA
--
@DATA $TMP/stranger.eml 2
--
QUIT
EOS
OUT=$($CLIENT "$FV_LMTP" "$TMP/s2")
R=$(printf '%s\n' "$OUT" | grep '^550 ')
[ "$(printf '%s\n' "$R" | wc -l)" = 2 ] && [ "$(printf '%s\n' "$R" | sort -u | wc -l)" = 1 ] && ok || fail "a stranger gets two identical refusals: $OUT"
printf '%s\n' "$R" | head -n 1 | grep -q "^550 5.7.1 This sender may not send faxes by e-mail from this server / Cet expediteur ne peut pas envoyer de fax par e-mail depuis ce serveur$" && ok || fail "the stranger's refusal text, in English and French (ASCII): $R"
printf 'LHLO t\n--\nDATA\n--\nRCPT TO:<%s@fax.example.net>\n--\nMAIL FROM:<%s>\n--\nDATA\n--\nRCPT TO:<sales@fax.example.net>\n--\nMAIL FROM:<%s>\n--\nQUIT\n' "$NUM_B" "$USER_MAIL" "$USER_MAIL" >"$TMP/s3"
OUT=$($CLIENT "$FV_LMTP" "$TMP/s3")
[ "$(printf '%s\n' "$OUT" | grep -c '^503 ')" = 4 ] && ok || fail "DATA and RCPT out of order, DATA without a recipient, MAIL twice: $OUT"
printf '%s\n' "$OUT" | grep -q '^553 5.1.3' && ok || fail "a local part that is not a number: $OUT"
# The Subject form without a number in the Subject: refused, for each recipient.
printf 'LHLO t\n--\nMAIL FROM:<%s>\nRCPT TO:<fax@fax.example.net>\nDATA\n--\n@DATA %s 1\n--\nQUIT\n' "$USER_MAIL" "$TMP/member.eml" >"$TMP/s6"
OUT=$($CLIENT "$FV_LMTP" "$TMP/s6")
printf '%s\n' "$OUT" | grep -q '^553 5.1.3 Mail to fax@ needs the fax number in the Subject, in E.164 form: +15551234567 / Un courriel a fax@ doit porter le numero de fax dans l.objet' && ok || fail "the Subject form without a number: $OUT"
[ "$(outbound_a)" = "$BEFORE" ] && ok || fail "a mail without a number was faxed"
# A zip bomb (100 MB of zeros in a 100 KB ZIP) from a member: refused by
# its type, never unpacked, nothing faxed, the service still answers.
python3 - "$TMP" "$USER_MAIL" <<'PY'
import io, sys, zipfile
from email.message import EmailMessage
z = io.BytesIO()
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
    with f.open("zeros.bin", "w") as w:
        for _ in range(100):
            w.write(bytes(1 << 20))
m = EmailMessage()
m["From"] = sys.argv[2]
m["To"] = "fax@fax.example.net"
m["Subject"] = "bomb"
m.set_content("see attached")
m.add_attachment(z.getvalue(), maintype="application", subtype="zip", filename="bomb.zip")
open(sys.argv[1] + "/bomb.eml", "wb").write(m.as_bytes())
PY
[ "$(stat -c %s "$TMP/bomb.eml")" -lt 1000000 ] && ok || fail "the zip bomb is not small: $(stat -c %s "$TMP/bomb.eml")"
printf 'LHLO t\n--\nMAIL FROM:<%s>\nRCPT TO:<%s@fax.example.net>\nDATA\n--\n@DATA %s 1\n--\nQUIT\n' "$USER_MAIL" "$NUM_B" "$TMP/bomb.eml" >"$TMP/s5"
OUT=$($CLIENT "$FV_LMTP" "$TMP/s5")
printf '%s\n' "$OUT" | grep -q '^554 5.6.0 This file type cannot be faxed: .* / Ce type de fichier ne peut pas etre faxe' && ok || fail "a zip bomb is refused by its type, in English and French: $OUT"
[ "$(outbound_a)" = "$BEFORE" ] && ok || fail "the zip bomb was faxed"
{ printf 'LHLO t\n--\n%s\n--\n' "$(printf 'A%.0s' $(seq 1 600))"; for i in $(seq 1 10); do printf 'X%d\n--\n' "$i"; done; printf 'NOOP\n'; } >"$TMP/s4"
OUT=$($CLIENT "$FV_LMTP" "$TMP/s4")
printf '%s\n' "$OUT" | grep -q '^500 5.5.2 Line too long' && ok || fail "a 600-byte command line: $OUT"
printf '%s\n' "$OUT" | grep -q '^421 4.7.0' && ok || fail "ten bad commands close the session: $OUT"
[ "$(outbound_a)" = "$BEFORE" ] && ok || fail "a refused mail was faxed"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax_by_email.accepted" "$OWNER_A"
expect_jq '.items | length >= 2' "accepted mails are audited on the account"
MET=$(curl -s "http://127.0.0.1:$(metrics_port)/metrics")
awk '$1 == "faxvault_smtp_mails_total{outcome=\"accepted\"}" { exit !($2 >= 2) }' <<<"$MET" && ok || fail "metrics count LMTP mails: $(grep smtp_mails <<<"$MET")"
req GET /healthz
expect_status 200 "the daemon is alive"
stop_daemon || fail "daemon did not stop cleanly"
finish
