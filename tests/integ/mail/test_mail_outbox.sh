#!/usr/bin/env bash
# Outbound mail through a real Postfix (a private instance on loopback,
# postfix.sh): the owner's invitation of a new account arrives in the Maildir
# in the inviter's language (French), with text and HTML parts, the owner's
# hostile name encoded in To: and escaped in HTML, and the token that the
# owner then accepts, and a link to the portal's invitation page with the token
# in the fragment; a password reset arrives in English with its link and its token sets
# the password; an unknown address gets no mail; with the relay down the
# message waits, is retried after the backoff (test clock) and arrives; sent
# messages keep no token in the outbox; the attempts are counted in
# /metrics; with mail.relay = sendmail the local program (a stand-in on PATH)
# gets the envelope and the message, whose token works; no token reaches the
# daemon's log.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/postfix.sh"
HERE=$(dirname "$0")
trap 'postfix_stop; cleanup' EXIT

postfix_start
start_daemon --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net --set metrics.listen=127.0.0.1:0
OP=$(operator_token)

check_mail() { # check_mail JQ DESCRIPTION on the parsed MAIL
	if [ "$(printf '%s' "$PARSED" | jq -r "$1" 2>/dev/null)" = "true" ]; then ok; else
		fail "$2: jq '$1' is not true on ${PARSED:0:600}"; fi
}

# --- the invitation, in French (the operator's request language) ---
NAME='Zoë "<b>x</b>" Owner'
req POST /v1/accounts "$OP" "$(jq -nc --arg n "$NAME" '{name: "Mail SA", owner: {email: "owner@example.com", name: $n}}')" \
	-H 'Accept-Language: fr'
expect_status 201 "create account"
ACC=$(jqr .id)
INV=$(jqr .owner_invitation.token)
if poll_until 120 mail_to owner@example.com 1; then ok; else fail "no invitation arrived"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail '.subject == "Votre invitation à faxvault"' "French subject (RFC 2047 decoded)"
check_mail '.lang == "fr"' "Content-Language fr"
check_mail '.to_addr == "owner@example.com"' "To address"
check_mail ".to_name == $(jq -n --arg n "$NAME" '$n')" "hostile display name survives encoding"
check_mail '.from | contains("noreply@fax.example.net")' "From is mail.from"
check_mail '.type == "multipart/alternative" and (.parts | index("text/plain")) and (.parts | index("text/html"))' "text and HTML parts"
check_mail ".text | contains(\"$INV\")" "the text part carries the invitation token"
check_mail ".html | contains(\"$INV\")" "the HTML part carries the invitation token"
check_mail '.html | contains("&lt;b&gt;x&lt;/b&gt;") and (contains("<b>x</b>") | not)' "the name is escaped in HTML"
check_mail '.text | contains("https://fax.example.net")' "the body names mail.web_url"
check_mail ".text | contains(\"https://fax.example.net/#/invitation/$INV\")" "the text part links to the portal's page, the token in the fragment"
check_mail '.message_id | test("^<mail_[A-Za-z0-9_-]+@fax.example.net>$")' "Message-ID from the outbox id"
# The header block is plain ASCII: the name travels RFC 2047-encoded.
if sed '/^\r\?$/q' "$MAIL" | LC_ALL=C grep -q '[^ -~[:space:]]'; then
	fail "8-bit bytes in the header block: $(sed '/^\r\?$/q' "$MAIL" | grep '^To:')"; else ok; fi
# The owner accepts with the token read from the mail.
MTOK=$(printf '%s' "$PARSED" | jq -r '.text' | grep -o 'fvi_[A-Za-z0-9_-]*' | head -n 1)
accept "$MTOK" "plume encre buvard 1789"

# --- a password reset: nothing for an unknown address, the known one in English ---
req POST /v1/password-resets "" '{"email":"nobody@example.com"}'
expect_status 202 "reset for an unknown address"
req POST /v1/password-resets "" '{"email":"owner@example.com"}'
expect_status 202 "reset request"
if poll_until 120 mail_to owner@example.com 2; then ok; else fail "no reset mail arrived"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail '.subject == "Reset your faxvault password"' "English reset subject"
check_mail '.text | test("https://fax.example.net/#/reset/fvr_[A-Za-z0-9_-]+")' "the reset mail links to the portal's page, the token in the fragment"
RTOK=$(printf '%s' "$PARSED" | jq -r '.text' | grep -o 'fvr_[A-Za-z0-9_-]*' | head -n 1)
[ -n "$RTOK" ] && ok || fail "no reset token in the mail"
req POST /v1/password-resets/complete "" "$(jq -nc --arg t "$RTOK" '{token: $t, password: "nouveau mot de passe 1790"}')"
expect_status 204 "reset with the mailed token"
T=$(login owner@example.com "nouveau mot de passe 1790")
[ -n "$T" ] && ok || fail "login with the new password"
if mail_to nobody@example.com 1; then fail "a mail went to an unknown address"; else ok; fi

# --- the relay is down: the message waits, then arrives after the backoff ---
postfix_stop
req POST /v1/password-resets "" '{"email":"owner@example.com"}'
expect_status 202 "reset request with the relay down"
deferred() { grep -q 'event=mail.attempt .*kind=password_reset attempt=1 status=pending' "$LOG"; }
if poll_until 120 deferred; then ok; else fail "the failed attempt was not logged as pending"; fi
postfix -c "$PF_DIR/conf" start >/dev/null 2>&1 && PF_STARTED=1
poll_until 120 pf_answers || fail "postfix did not restart"
advance_clock 2
# Any API call makes the daemon follow the test clock.
wait_third() { req GET /v1/me "$T"; mail_to owner@example.com 3; }
if poll_until 120 wait_third; then ok; else fail "the deferred message did not arrive after the backoff"; fi

# The attempts are counted for /metrics.
MET=$(curl -s "http://127.0.0.1:$(metrics_port)/metrics")
for want in 'outcome="sent"} 3' 'outcome="deferred"} 1' 'outcome="failed"} 0'; do
	grep -qF "faxvault_mail_messages_total{$want" <<<"$MET" && ok || fail "metrics lack mail $want"
done

# --- the outbox is the delivery log and keeps no token ---
stop_daemon
Q=$(sqlite3 "$DATA/faxvault.db" "SELECT count(*), sum(status='sent'), sum(secret=''), max(attempts) FROM mail_outbox")
[ "$Q" = "3|3|3|2" ] && ok || fail "outbox after delivery: $Q (want 3 sent, no token kept, 2 attempts at most)"
# --- mail.relay = sendmail: the local program gets the envelope and the message ---
mkdir -p "$TMP/bin"
cat > "$TMP/bin/sendmail" <<EOS
#!/bin/sh
printf '%s\n' "\$*" > "$TMP/sendmail.args"
cat > "$TMP/sendmail.msg.part" && mv "$TMP/sendmail.msg.part" "$TMP/sendmail.msg"
EOS
chmod 755 "$TMP/bin/sendmail"
cp "$LOG" "$TMP/log.first"; : >"$LOG"
PATH="$TMP/bin:$PATH" launch_daemon --set mail.relay=sendmail --set mail.from=noreply@fax.example.net
req POST /v1/password-resets "" '{"email":"owner@example.com"}'
expect_status 202 "reset request through sendmail"
if poll_until 120 test -s "$TMP/sendmail.msg"; then ok; else fail "sendmail was not run"; fi
[ "$(cat "$TMP/sendmail.args")" = "-i -f noreply@fax.example.net -- owner@example.com" ] && ok ||
	fail "sendmail arguments: $(cat "$TMP/sendmail.args")"
STOK=$(grep -ao 'fvr_[A-Za-z0-9_-]*' "$TMP/sendmail.msg" | head -n 1)
req POST /v1/password-resets/complete "" "$(jq -nc --arg t "$STOK" '{token: $t, password: "troisième mot de passe 1791"}')"
expect_status 204 "reset with the token handed to sendmail"
sent_by_sendmail() { grep -q 'event=mail.attempt .*attempt=1 status=sent code=250 reply="sendmail accepted"' "$LOG"; }
poll_until 60 sent_by_sendmail && ok || fail "the sendmail delivery is not logged as sent"
for t in "$INV" "$RTOK" "$STOK"; do
	if grep -qF "$t" "$LOG" "$TMP/log.first"; then fail "a token reached the log"; else ok; fi
done
finish
