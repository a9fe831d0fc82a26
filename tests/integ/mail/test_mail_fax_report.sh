#!/usr/bin/env bash
# Delivery reports of faxes sent by e-mail (issue 13), end to end through a
# real Postfix: a member's mail goes in through Postfix to the SMTP
# listener, becomes a fax sent over the loopback trunk, and when the fax
# ends one report comes back to the member's mailbox (the Maildir): in
# English for a member who reads English, "delivered" with the pages and
# the time; in French for a member who reads French, "not delivered" with
# the reason in French (a number the trunk refuses); a damaged PDF taken in
# the reply and refused by the render job, its report saying why. A fax sent through the
# API gets no report. The report is queued in the transaction that ends the
# fax: with the relay down the report waits in the outbox, the daemon is
# killed (SIGKILL) and started again with the relay back, and the report
# arrives exactly once.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/smtp_lib.sh"
. "$(dirname "$0")/postfix.sh"
HERE=$(dirname "$0")
trap 'postfix_stop; cleanup' EXIT
command -v swaks >/dev/null || { echo "SKIP: swaks is not installed"; exit 77; }

FV_SMTP=$(free_port)
PF_RELAY_DOMAIN=fax.example.net PF_RELAY_TO="127.0.0.1:$FV_SMTP"
postfix_start
FLAGS=(--set mail.from=noreply@fax.example.net --set mail.web_url=https://fax.example.net
	--set mail.domain=fax.example.net --set mail.smtp_listen="127.0.0.1:$FV_SMTP")
fax_setup --set mail.relay="smtp://127.0.0.1:$PF_PORT" "${FLAGS[@]}"
grep -q "event=smtp.listening .*port=$FV_SMTP" "$LOG" && ok || fail "the SMTP listener did not start"
make_pdf "$TMP/one.pdf" 1
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"allowed_senders":["@a-fax.example"],"allowed_servers":["127.0.0.0/8"]}'
expect_status 200 "A enables fax by e-mail"
req PATCH /v1/me "$ADMIN_A" '{"lang":"fr"}'
expect_status 200 "A's admin reads French"

# mail_in FROM NUMBER SUBJECT [PDF]: a mail with a PDF (one page unless
# given) through Postfix.
mail_in() {
	swaks --server 127.0.0.1 --port "$PF_PORT" --from "$1" --to " $2@fax.example.net" \
		--header "Subject: $3" --body "Report test." --attach-type application/pdf \
		--attach @"${4:-$TMP/one.pdf}" >"$TMP/sw.txt" 2>&1 || fail "Postfix refused the mail: $(tail -n 3 "$TMP/sw.txt")"
}
# fax_of SUBJECT: A's outbound fax with that cover subject exists (id in FAXID).
fax_of() {
	req GET "/v1/faxes?direction=outbound" "$ADMIN_A"
	FAXID=$(jqr ".items[] | select(.cover_subject == \"$1\") | .id")
	[ -n "$FAXID" ]
}
# reports ID: RN, the mails in the Maildir whose text names fax ID; the
# last one parsed in PARSED.
reports() {
	local f p
	RN=0
	for f in "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/*; do
		[ -f "$f" ] || continue
		p=$(python3 "$HERE/mailpart.py" "$f") || continue
		if printf '%s' "$p" | jq -e --arg id "$1" '.text | contains($id)' >/dev/null 2>&1; then
			RN=$((RN + 1))
			PARSED=$p
		fi
	done
}
has_report() { reports "$1"; [ "$RN" -ge 1 ]; }
check_mail() { # check_mail JQ DESCRIPTION on PARSED
	if [ "$(printf '%s' "$PARSED" | jq -r "$1" 2>/dev/null)" = "true" ]; then ok; else
		fail "$2: jq '$1' is not true on ${PARSED:0:800}"; fi
}
queued_reports() { grep -c 'event=mail.queued .*kind=fax_report_' "$LOG"; }

# --- delivered, in English
mail_in user@a-fax.example "$NUM_B" "Report one"
poll_until 120 fax_of "Report one" && ok || fail "no fax was made from the first mail"
F1=$FAXID
wait_fax "$USER_A" "$F1" 180
expect_jq '.status == "delivered" and .page_count == 2' "the fax by e-mail is delivered (cover page and one page)"
poll_until 120 has_report "$F1" && ok || fail "no report of $F1 arrived"
check_mail ".to_addr == \"user@a-fax.example\" and .lang == \"en\" and .subject == \"Your fax to $NUM_B was delivered\"" "to the sender, in English"
check_mail '.text | contains("was delivered on") and contains("2 page(s)") and contains("(UTC)") and contains("https://fax.example.net")' "it gives the pages, the time and the portal"
check_mail ".images | length == 1 and .[0].type == \"image/png\" and .[0].disposition == \"inline\" and .[0].filename == \"$F1-page1.png\" and .[0].png.width == 400 and .[0].png.height > 400" "the first page as an inline PNG thumbnail, 400 pixels wide"
check_mail '.images[0].png.dark > 0.001 and .images[0].png.dark < 0.5' "the thumbnail shows the cover page's text on white"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax.document.mailed" "$OWNER_A"
expect_jq "[.items[] | select(.actor.id == \"system:mail\" and .detail.part == \"thumbnail\" and .detail.to == \"user@a-fax.example\")] | length >= 1" "the thumbnail leaving by mail is audited"

# --- failed, in French, with the reason in French
mail_in admin@a-fax.example +15555550103 "Report two"
poll_until 120 fax_of "Report two" && ok || fail "no fax was made from the second mail"
F2=$FAXID
wait_fax "$ADMIN_A" "$F2" 180
expect_jq '.status == "failed" and .failure_class == "rejected"' "the fax to a number the trunk refuses fails"
poll_until 120 has_report "$F2" && ok || fail "no report of $F2 arrived"
check_mail '.to_addr == "admin@a-fax.example" and .lang == "fr" and .subject == "Votre fax pour +15555550103 n'"'"'a pas été remis"' "to the sender, in French"
check_mail '.text | contains("n'"'"'a pas pu être remis (l'"'"'appel a été refusé)") and contains("0 page(s) reçue(s) sur 2")' "the reason and the pages in French"
check_mail '.images | length == 1 and .[0].png.width == 400' "a failed fax's report has its thumbnail too"

# --- refused after the reply: a damaged PDF is taken (only rendering can
# tell), and the render job's refusal comes back as the report of a failed
# fax, saying why (docs/mail.md)
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >"$TMP/damaged.pdf"
mail_in user@a-fax.example "$NUM_B" "Report damaged" "$TMP/damaged.pdf"
poll_until 120 fax_of "Report damaged" && ok || fail "no fax was made from the mail with a damaged PDF"
F4=$FAXID
wait_fax "$USER_A" "$F4" 180
expect_jq '.status == "failed" and .failure_class == "document" and (.attempts | length) == 0 and .page_count == 0' "its fax fails at rendering, never dialled"
poll_until 120 has_report "$F4" && ok || fail "no report of $F4 arrived"
check_mail ".to_addr == \"user@a-fax.example\" and .lang == \"en\" and .subject == \"Your fax to $NUM_B was not delivered\"" "the refusal mail after the fact, to the sender"
check_mail '.text | contains("could not be delivered (the document could not be prepared for faxing)")' "it says why"
check_mail '.images | length == 0' "no thumbnail: the fax never had a document"

# --- a fax sent through the API: no report
send_fax "$USER_A" "$NUM_B" "$TMP/one.pdf"
wait_fax "$USER_A" "$FAX" 180
expect_jq '.status == "delivered"' "a fax sent through the API is delivered"
[ "$(queued_reports)" = 3 ] && ok || fail "reports queued: $(queued_reports), want 3 (none for the API's fax)"

# --- the relay down, the daemon killed while the report waits: once
stop_daemon || fail "daemon did not stop cleanly"
DEAD=$(free_port)
relaunch() { # relaunch RELAY
	launch_daemon --set testing.media_clock_speed="$FAX_SPEED" --set fax.poll_ms=100 \
		--set fax.trunk_keepalive_seconds=0 --set mail.relay="$1" "${FLAGS[@]}"
}
relaunch "smtp://127.0.0.1:$DEAD"
mail_in user@a-fax.example "$NUM_B" "Report three"
poll_until 120 fax_of "Report three" && ok || fail "no fax was made from the third mail"
F3=$FAXID
wait_fax "$USER_A" "$F3" 180
expect_jq '.status == "delivered"' "the third fax is delivered"
deferred() { grep -q 'event=mail.attempt .*kind=fax_report_delivered .*status=pending' "$LOG"; }
poll_until 120 deferred && ok || fail "the report did not wait for the relay: $(grep mail.attempt "$LOG" | tail -n 2)"
S=$(child_pid fv-smtp)
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=""
front_gone() { [ -z "$S" ] || ! kill -0 "$S" 2>/dev/null; }
poll_until 60 front_gone || fail "the SMTP front end outlived the daemon"
relaunch "smtp://127.0.0.1:$PF_PORT"
# The report waits for its retry (a minute on the daemon's clock).
advance_clock 5
req GET /v1/me "$USER_A"
sent() { grep -q 'event=mail.attempt .*kind=fax_report_delivered .*status=sent' "$LOG" && has_report "$F3"; }
poll_until 180 sent && ok || fail "the report of $F3 did not arrive after the restart"
reports "$F3"
[ "$RN" = 1 ] && ok || fail "the report of $F3 arrived $RN times"
[ "$(queued_reports)" = 4 ] && ok || fail "reports queued: $(queued_reports), want 4 (the restart queued it again?)"
[ "$(grep -c 'event=mail.attempt .*kind=fax_report_delivered .*status=sent' "$LOG")" = 2 ] && ok ||
	fail "report deliveries: $(grep 'kind=fax_report' "$LOG" | grep mail.attempt)"
check_mail ".to_addr == \"user@a-fax.example\" and .subject == \"Your fax to $NUM_B was delivered\"" "the report after the crash"

stop_daemon || fail "daemon did not stop cleanly"
finish
