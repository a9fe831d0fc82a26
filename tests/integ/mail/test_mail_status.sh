#!/usr/bin/env bash
# The status board and mail (P13), through a private Postfix (postfix.sh):
# the mail component follows the relay: with the relay down a message waits
# after a failed attempt and `mail` turns degraded on the board (status pass
# every second); once the relay is back and the message delivered after its
# backoff (test clock) it is operational again, both changes in its history.
# Subscriptions: the confirmation, one mail per incident update to the
# subscribers of its components, maintenance reminders 24 hours and 1 hour
# before a window (test clock), the mailed token unsubscribing once; a
# breach notice reaching the account's security contact in their language.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/postfix.sh"
HERE=$(dirname "$0")
trap 'postfix_stop; cleanup' EXIT

postfix_start
start_daemon --set mail.relay="smtp://127.0.0.1:$PF_PORT" --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net --set status.check_seconds=1
OP=$(operator_token)
board_state() { # board_state COMPONENT STATE
	req GET /status.json
	[ "$(jqr ".components[] | select(.id == \"$1\") | .state")" = "$2" ]
}

req POST /v1/accounts "$OP" '{"name":"Status Mail SA","owner":{"email":"owner@status-mail.example","name":"Owner"}}'
expect_status 201 "an account (its owner's invitation is mailed)"
ACC=$(jqr .id)
OWNER_INV=$(jqr .owner_invitation.token)
if poll_until 120 mail_to owner@status-mail.example 1; then ok; else fail "no invitation arrived"; fi
req GET /status.json
expect_jq '(.components[] | select(.id == "mail") | .state) == "operational"' "mail operational while the relay takes mail"

# --- the relay goes down: a message waits, mail degraded
postfix_stop
req POST /v1/accounts "$OP" '{"name":"Second SA","owner":{"email":"owner@second.example","name":"Owner"}}'
expect_status 201 "another account: its invitation waits with the relay down"
poll_until 120 board_state mail degraded && ok || fail "mail not degraded with the relay down: $BODY"
expect_jq '.overall == "degraded"' "the board's overall state follows"
req GET /v1/provider/status/components "$OP"
expect_jq '.items[] | select(.id == "mail") | .automatic.reason == "1 message(s) wait for the mail relay after a failed attempt" and .history[0].source == "automatic"' \
	"operators see why"

# --- the relay is back: the message leaves after its backoff, mail operational
postfix -c "$PF_DIR/conf" start >/dev/null 2>&1 && PF_STARTED=1
poll_until 120 pf_answers || fail "postfix did not restart"
advance_clock 2
delivered() { req GET /v1/me "$OP"; mail_to owner@second.example 1; }
if poll_until 120 delivered; then ok; else fail "the waiting message did not arrive after the backoff"; fi
poll_until 60 board_state mail operational && ok || fail "mail not operational again: $BODY"
req GET /v1/provider/status/components "$OP"
expect_jq '.items[] | select(.id == "mail") | (.history | map(.state)) == ["operational","degraded"]' "both changes in the history"
# ---- subscriptions (P13): the owner subscribes two contact addresses
accept "$OWNER_INV" "granite-harbour-1234"
OWNER=$(login owner@status-mail.example granite-harbour-1234)
SUBS="/v1/accounts/$ACC/status-subscriptions"
req POST "$SUBS" "$OWNER" '{"email":"ops@status-mail.example","name":"Opérations","lang":"fr","components":["sending","trunk:loopback"]}'
expect_status 201 "the owner subscribes ops (French) to sending and the loopback trunk"
expect_jq '.email == "ops@status-mail.example" and .lang == "fr" and .components == ["sending","trunk:loopback"] and (has("token") | not)' \
	"the answer carries no token"
req POST "$SUBS" "$OWNER" '{"email":"noc@status-mail.example","name":"NOC","components":["receiving"]}'
expect_status 201 "noc (English by default) to receiving"
req POST "$SUBS" "$OWNER" '{"email":"noc@status-mail.example","components":["api"]}'
expect_problem 409 conflict "an address is subscribed once"
req POST "$SUBS" "$OWNER" '{"email":"x@status-mail.example","components":["nowhere"]}'
expect_problem 422 validation-failed "an unknown component is refused"
req GET "$SUBS" "$OWNER"
expect_jq '[.items[].email] == ["ops@status-mail.example","noc@status-mail.example"] and ([.items[] | has("token")] | any | not)' \
	"the list, without tokens"
if poll_until 120 mail_to ops@status-mail.example 1; then ok; else fail "no confirmation to ops"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail() { # check_mail JQ DESCRIPTION on the parsed MAIL
	if [ "$(printf '%s' "$PARSED" | jq -r "$1" 2>/dev/null)" = "true" ]; then ok; else
		fail "$2: jq '$1' is not true on ${PARSED:0:600}"; fi
}
check_mail '.subject == "Abonnement à l'"'"'état du service faxvault" and .lang == "fr"' "the confirmation, in French"
check_mail '.text | contains("Envoi de fax, Liaison opérateur Loopback")' "it names the components in French"
UNSUB=$(printf '%s' "$PARSED" | jq -r '.text' | grep -o 'fvu_[A-Za-z0-9_-]*' | head -n 1)
[ -n "$UNSUB" ] && ok || fail "no unsubscribe token in the mail"
check_mail ".text | contains(\"https://fax.example.net/#/unsubscribe/$UNSUB\")" "the link to the portal's page, the token in the fragment"
count() { grep -l -i "^To:.*$1" "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/* 2>/dev/null | wc -l; }

# ---- an incident on sending: ops gets one mail per update, noc none
req POST /v1/provider/incidents "$OP" '{"title_en":"Sending delayed","title_fr":"Envoi retardé","impact":"degraded","components":["sending"],"message_en":"We are looking into it.","message_fr":"Nous analysons le problème."}'
expect_status 201 "an incident on sending"
INC=$(jqr .id)
if poll_until 120 mail_to ops@status-mail.example 2; then ok; else fail "no incident mail to ops"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail '.subject == "Incident : Envoi retardé (Analyse en cours)"' "the incident mail in French"
check_mail '.text | contains("Nous analysons le problème.") and contains("fvu_")' "its message and the unsubscribe token"
req POST "/v1/provider/incidents/$INC/updates" "$OP" '{"status":"identified","message_en":"A carrier fault.","message_fr":"Une panne chez un opérateur."}'
expect_status 200 "an update"
if poll_until 120 mail_to ops@status-mail.example 3; then ok; else fail "no mail for the update"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail '.text | contains("Cause identifiée : Une panne chez un opérateur.")' "the update's text"
[ "$(count noc@status-mail.example)" = 1 ] && ok || fail "noc got mail about sending: $(count noc@status-mail.example)"

# ---- a maintenance window on receiving in 30 hours: announced, reminded 24 h and 1 h before
START=$(date -u -d "@$(( $(clock_seconds) + 30 * 3600 ))" +%Y-%m-%dT%H:%M:%SZ)
END=$(date -u -d "@$(( $(clock_seconds) + 31 * 3600 ))" +%Y-%m-%dT%H:%M:%SZ)
req POST /v1/provider/incidents "$OP" "{\"kind\":\"maintenance\",\"title_en\":\"Database upgrade\",\"title_fr\":\"Mise à jour de la base\",\"components\":[\"receiving\"],\"message_en\":\"Receiving pauses.\",\"message_fr\":\"La réception s'interrompt.\",\"starts_at\":\"$START\",\"ends_at\":\"$END\"}"
expect_status 201 "a window on receiving"
if poll_until 120 mail_to noc@status-mail.example 2; then ok; else fail "no announcement to noc"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail ".subject == \"Maintenance: Database upgrade (Scheduled)\" and (.text | contains(\"Window: ${START%Z}\"))" "the announcement, in English, with its window"
# 23 h 55 min before the window: the 24-hour lead, 5 minutes late, keeps its
# words (a reminder later than 10 minutes says the time left instead).
advance_clock $(( 6 * 60 + 5 ))
OP=$(operator_token)
OWNER=$(login owner@status-mail.example granite-harbour-1234)
reminded() { req GET /status.json; mail_to noc@status-mail.example "$1"; }
if poll_until 120 reminded 3; then ok; else fail "no reminder 24 hours before"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail '.subject == "Maintenance in 24 hours: Database upgrade" and (.text | contains("Receiving pauses."))' "the 24-hour reminder"
advance_clock $(( 23 * 60 )) # 55 minutes before
OP=$(operator_token)
OWNER=$(login owner@status-mail.example granite-harbour-1234)
if poll_until 120 reminded 4; then ok; else fail "no reminder 1 hour before"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail '.subject == "Maintenance in 1 hour: Database upgrade"' "the 1-hour reminder"
# Each lead is marked once sent: later passes send nothing more.
Q=$(sqlite3 "$DATA/faxvault.db" "SELECT reminders FROM status_incidents WHERE kind = 'maintenance'; SELECT count(*) FROM mail_outbox WHERE kind = 'status_reminder'")
[ "$Q" = "$(printf '24h 1h\n2')" ] && ok || fail "reminders marked and queued once each: $Q"
[ "$(count noc@status-mail.example)" = 4 ] && ok || fail "noc's mails: $(count noc@status-mail.example), want 4 (each reminder once)"
[ "$(count ops@status-mail.example)" = 3 ] && ok || fail "ops got mail about receiving: $(count ops@status-mail.example)"

# ---- unsubscribe with the mailed token: once
req POST /v1/status-subscriptions/unsubscribe "" "{\"token\":\"$UNSUB\"}"
expect_status 200 "the token unsubscribes without a credential"
expect_jq '.email == "ops@status-mail.example" and .components == ["sending","trunk:loopback"]' "what was unsubscribed"
req POST /v1/status-subscriptions/unsubscribe "" "{\"token\":\"$UNSUB\"}"
expect_problem 404 not-found "the token works once"
req GET "$SUBS" "$OWNER"
expect_jq '[.items[].email] == ["noc@status-mail.example"]' "ops is gone"
req POST "/v1/provider/incidents/$INC/updates" "$OP" '{"status":"resolved","message_en":"Fixed.","message_fr":"Corrigé."}'
expect_status 200 "the incident resolved"
req GET "/v1/accounts/$ACC/audit-events?action=status_subscription.unsubscribe" "$OWNER"
expect_jq '(.items | length) == 1 and .items[0].detail.email == "ops@status-mail.example"' "the unsubscription audited in the account's log"
[ "$(count ops@status-mail.example)" = 3 ] && ok || fail "ops still got mail after unsubscribing: $(count ops@status-mail.example)"

# ---- security contacts (P14): a breach notice reaches them in their language
CONTACTS="/v1/accounts/$ACC/security-contacts"
req POST "$CONTACTS" "$OWNER" '{"name":"Sécurité","email":"secu@status-mail.example","phone":"+33612345678","lang":"fr"}'
expect_status 201 "the owner names a security contact"
expect_jq '.phone == "+33612345678" and .lang == "fr"' "with phone and language"
req POST "$CONTACTS" "$OWNER" '{"name":"X","email":"secu@status-mail.example"}'
expect_problem 409 conflict "an address is named once"
req POST "$CONTACTS" "$OWNER" '{"name":"X","email":"x@status-mail.example","phone":"0612"}'
expect_problem 422 validation-failed "a phone number in E.164 form"
req GET "$CONTACTS" "$OWNER"
expect_jq '[.items[].email] == ["secu@status-mail.example"]' "the list"
req POST /v1/provider/security-incidents "$OP" "{\"title\":\"Trunk credentials leaked\",\"description\":\"Found in a paste.\",\"severity\":\"high\",\"personal_data\":true,\"affected\":{\"account_ids\":[\"$ACC\"]}}"
expect_status 201 "a security incident affecting the account"
SINC=$(jqr .id)
req POST "/v1/provider/security-incidents/$SINC/notices" "$OP" '{"text_en":"Your faxes may have been exposed.","text_fr":"Vos fax ont pu être exposés."}'
expect_status 200 "the breach notice sent"
if poll_until 120 mail_to secu@status-mail.example 1; then ok; else fail "no breach notice to the security contact"; fi
PARSED=$(python3 "$HERE/mailpart.py" "$MAIL")
check_mail '.subject | startswith("Avis de sécurité concernant Status Mail SA")' "the notice in the contact's language"
check_mail '.text | contains("Vos fax ont pu être exposés.")' "the notice's French text"
if poll_until 120 mail_to owner@status-mail.example 2; then ok; else fail "the owner's notice did not arrive"; fi
req GET "/v1/accounts/$ACC/audit-events?action=breach_notice.send" "$OWNER"
expect_jq '.items[0].detail.recipients == 2' "the notice went to the owner and the security contact"
req GET "$CONTACTS" "$OWNER"
CID=$(jqr '.items[0].id')
req DELETE "$CONTACTS/$CID" "$OWNER"
expect_status 204 "the contact removed"
req GET "$CONTACTS" "$OWNER"
expect_jq '.items == []' "no contact left"
finish
