#!/usr/bin/env bash
# Members subscribing themselves to the status board (P13): any active member
# subscribes their own address to chosen components (…/status-subscriptions/me),
# gets the confirmation in their language, reads and removes it; the owner sees
# it in the account's list; a member no longer active gets no more mail.
# Maintenance reminders on the test clock: when the 24-hour and the 1-hour
# leads are both due in one pass (the service was stopped through the first),
# each is mailed, the late one saying the time actually left. Mail goes
# through the outbox to a sendmail relay (the mails themselves through
# Postfix: tests/integ/mail/test_mail_status.sh).
. "$(dirname "$0")/lib.sh"
start_daemon_mailing --set status.check_seconds=1
OP=$(operator_token)
DB="$DATA/faxvault.db"
outbox() { sqlite3 "$DB" "SELECT count(*) FROM mail_outbox WHERE kind='$1'${2:+ AND to_addr='$2'}"; }
iso() { date -u -d "@$(( $(clock_seconds) + $1 ))" +%Y-%m-%dT%H:%M:%SZ; } # iso SECONDS-FROM-NOW

new_account "$OP" "Members Co" owner@members.example "granite-harbour-1234"
ACC=$NEW_ACC
OWNER=$NEW_OWNER
new_member "$ACC" "$OWNER" ana@members.example user "user-password-12345"
ANA=$NEW_MEMBER
new_member "$ACC" "$OWNER" ben@members.example user "user-password-67890"
BEN=$NEW_MEMBER
BEN_ID=$(sqlite3 "$DB" "SELECT id FROM principals WHERE email='ben@members.example'")
ME="/v1/accounts/$ACC/status-subscriptions/me"

# --- a plain user subscribes themselves
req POST "$ME" "$ANA" '{"components":["sending","mail"],"lang":"fr"}'
expect_status 201 "a plain user subscribes their own address"
ANA_SUB=$(jqr .id)
expect_jq '.email == "ana@members.example" and .lang == "fr" and .components == ["sending","mail"] and (.user_id | startswith("usr_"))' \
	"the member's address, their components and language"
[ "$(outbox status_subscribed ana@members.example)" = 1 ] && ok || fail "the confirmation is queued for the member"
[ "$(sqlite3 "$DB" "SELECT lang || ' ' || json_extract(params, '\$.components') FROM mail_outbox WHERE kind='status_subscribed' AND to_addr='ana@members.example'")" = "fr Envoi de fax, Notifications par e-mail" ] && ok ||
	fail "the confirmation in French with the components' French names: $(sqlite3 "$DB" "SELECT lang, params FROM mail_outbox WHERE kind='status_subscribed'")"
req POST "$ME" "$ANA" '{"components":["receiving"]}'
expect_problem 409 conflict "a member subscribes once"
req POST "$ME" "$BEN" '{"components":["nowhere"]}'
expect_problem 422 validation-failed "an unknown component"
req POST "$ME" "$BEN" '{"components":["api"],"email":"someone@else.example"}'
expect_problem 422 validation-failed "a member cannot name another address"
req POST "$ME" "$BEN" '{"components":["api"],"lang":"de"}'
expect_problem 422 validation-failed "an unknown language"
req POST "$ME" "$OP" '{"components":["api"]}'
if [ "$STATUS" = 403 ] || [ "$STATUS" = 404 ]; then ok; else fail "an operator is no member: status $STATUS"; fi
req POST "$ME" "" '{"components":["api"]}'
expect_problem 401 unauthenticated "anonymous"
req POST "$ME" "$BEN" '{"components":["sending"]}'
expect_status 201 "a second member subscribes, in English by default"
expect_jq '.lang == "en" and .email == "ben@members.example"' "ben's own address"

# --- reading and the owner's view
req GET "$ME" "$ANA"
expect_status 200 "the member reads their subscription"
expect_jq ".id == \"$ANA_SUB\"" "their own"
req GET "/v1/accounts/$ACC/status-subscriptions" "$OWNER"
expect_jq '(.items | length) == 2 and all(.items[]; .user_id != null)' "the owner lists both members' subscriptions"
req GET "/v1/accounts/$ACC/status-subscriptions" "$ANA"
expect_problem 403 forbidden "a plain user does not list the account's subscriptions"
new_account "$OP" "Elsewhere" owner@elsewhere.example "other-password-1234"
req POST "/v1/accounts/$NEW_ACC/status-subscriptions/me" "$ANA" '{"components":["api"]}'
expect_problem 404 not-found "a member of another account does not subscribe here"

# --- a maintenance window on sending in 30 hours, announced to both
START=$(iso $((30 * 3600)))
END=$(iso $((31 * 3600)))
req POST /v1/provider/incidents "$OP" "{\"kind\":\"maintenance\",\"title_en\":\"Trunk upgrade\",\"title_fr\":\"Mise à jour des lignes\",\"components\":[\"sending\"],\"message_en\":\"Sending pauses.\",\"message_fr\":\"L'envoi est suspendu.\",\"starts_at\":\"$START\",\"ends_at\":\"$END\"}"
expect_status 201 "a maintenance window on sending"
WIN=$(jqr .id)
[ "$(outbox status_update ana@members.example)" = 1 ] && [ "$(outbox status_update ben@members.example)" = 1 ] && ok ||
	fail "the window is announced to both members"

# Ben leaves the account: his subscription gets no more mail.
req DELETE "/v1/accounts/$ACC/users/$BEN_ID" "$OWNER"
expect_status 204 "the owner removes ben"

# The service's clock jumps to 55 minutes before the window: the 24-hour and
# the 1-hour leads are both due in one pass.
advance_clock $((30 * 60 - 55))
# The service reads the test clock again when a request comes in.
reminded() { req GET /status.json; [ "$(outbox status_reminder ana@members.example)" -ge 2 ]; }
if poll_until 300 reminded; then ok; else fail "both reminders are mailed: $(outbox status_reminder ana@members.example)"; grep -E "level=(warn|error)|status\.|retention|sweep" "$LOG" | tail -30; fi
sleep 2 # one pass more: nothing is mailed twice
[ "$(outbox status_reminder ana@members.example)" = 2 ] && ok || fail "each lead once: $(outbox status_reminder ana@members.example)"
LEADS=$(sqlite3 "$DB" "SELECT json_extract(params, '\$.lead') FROM mail_outbox WHERE kind='status_reminder' AND to_addr='ana@members.example' ORDER BY created_at, rowid" | tr '\n' '|')
[[ "$LEADS" =~ ^5[0-9]\ minutes\|1\ heure\|$ ]] && ok ||
	fail "the late 24-hour reminder says the time left, the 1-hour one its lead (in French): $LEADS"
[ "$(sqlite3 "$DB" "SELECT reminders FROM status_incidents WHERE id='$WIN'")" = "24h 1h" ] && ok || fail "both leads marked"
[ "$(outbox status_reminder ben@members.example)" = 0 ] && ok || fail "a member no longer active is not reminded"

# --- removing one's own subscription
ANA=$(login ana@members.example user-password-12345)
OWNER=$(login owner@members.example granite-harbour-1234)
req DELETE "$ME" "$ANA"
expect_status 204 "the member unsubscribes"
req GET "$ME" "$ANA"
expect_problem 404 not-found "no subscription any more"
req DELETE "$ME" "$ANA"
expect_problem 404 not-found "nothing to remove twice"
req GET "/v1/accounts/$ACC/audit-events?limit=200" "$OWNER"
expect_jq '[.items[] | select(.action == "status_subscription.create" and .detail.own == true)] | length == 2' \
	"each member's subscription is audited as their own"
expect_jq '[.items[] | select(.action == "status_subscription.delete")] | length == 1' "the removal is audited"
expect_jq '[.items[] | select(.action == "status_subscription.read")] | length == 1' "the read is audited"

finish
