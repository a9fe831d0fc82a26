#!/usr/bin/env bash
# Two faxes mailed at once through the local sendmail program (mail.relay =
# sendmail): both mails are delivered on their first attempt, and neither
# send waits for the other's pipe. The program is a stand-in on PATH
# (sendmail_pair.py) that makes the two sends overlap for sure: each reads its
# headers only, waits until the other has started too, then reads its
# message (a fax PDF, larger than a pipe's buffer, so both senders are still
# writing) to its end and waits until the other has done the same. Each
# sender's pipe is close-on-exec: with a plain pipe(), the program started
# second inherited the first one's write end, so the first never saw the end
# of its input while the second ran (and with the timing reversed, both
# hung for ever, with the queue workers behind them). That case fails here:
# the second gives up after 60 s (fail.PID) and its mail is deferred.
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

PAIR="$TMP/pair"
mkdir -p "$PAIR" "$TMP/bin"
cat >"$TMP/bin/sendmail" <<EOS
#!/bin/sh
exec python3 "$HERE/sendmail_pair.py" "$PAIR" "\$@"
EOS
chmod 755 "$TMP/bin/sendmail"
# Four queue workers: two held by the mails while a render job still runs.
# A mail job's lease (twice mail.timeout_seconds and a minute) outlasts the
# stand-in's waits, so that no send is started again while one waits.
PATH="$TMP/bin:$PATH" fax_setup --set mail.relay=sendmail --set mail.from=noreply@fax.example.net \
	--set mail.web_url=https://fax.example.net --set queue.workers=4 --set mail.timeout_seconds=300
# A page whose fax image is large (a grey band: many black and white runs
# on each line), so that each mail is larger than a pipe's buffer.
make_grey_pdf() {
	local ps="$TMP/grey.ps"
	{
		echo '%!PS'
		echo "/Helvetica findfont 28 scalefont setfont 72 720 moveto (faxvault: two mails at once) show"
		echo "0.5 setgray 36 430 540 250 rectfill showpage"
	} >"$ps"
	gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sPAPERSIZE=a4 -o "$1" "$ps" >/dev/null
}
make_grey_pdf "$TMP/grey.pdf"

# --- two faxes at once, A to B and B to A: two fax mails, sent together
send_fax "$USER_A" "$NUM_B" "$TMP/grey.pdf"
FAX_AB=$FAX
send_fax "$USER_B" "$NUM_A" "$TMP/grey.pdf"
FAX_BA=$FAX
[ -n "$FAX_AB" ] && [ -n "$FAX_BA" ] || { fail "the faxes were not accepted: $BODY"; finish; exit 1; }
wait_fax "$USER_A" "$FAX_AB" 300
[ "$(jqr .status)" = delivered ] || { fail "A's fax: $(jqr .status)"; finish; exit 1; }
wait_fax "$USER_B" "$FAX_BA" 300
[ "$(jqr .status)" = delivered ] || { fail "B's fax: $(jqr .status)"; finish; exit 1; }

# Both sends end: each mail's first attempt is recorded (sent, or deferred
# when a send gave up waiting for the other's pipe).
attempts() { grep -c 'event=mail.attempt .*kind=fax_received attempt=1 ' "$LOG"; }
both_tried() { [ "$(attempts)" -ge 2 ]; }
poll_until 600 both_tried && ok ||
	{ fail "the two fax mails were not both tried: $(grep 'event=mail\.' "$LOG" | tail -n 6)"; finish; exit 1; }

ls "$PAIR"/fail.* >/dev/null 2>&1 && fail "a send waited for the other's pipe: $(cat "$PAIR"/fail.*)" || ok
[ "$(ls "$PAIR" | grep -c '^started\.')" = 2 ] && ok || fail "two fax mails were not being sent at once: $(ls "$PAIR")"
[ "$(ls "$PAIR" | grep -c '^eof\.')" = 2 ] && ok || fail "both mails' input did not end: $(ls "$PAIR")"
SENT=$(grep -c 'event=mail.attempt .*kind=fax_received attempt=1 status=sent code=250 reply="sendmail accepted"' "$LOG")
[ "$SENT" = 2 ] && ok || fail "both fax mails sent on their first attempt: $SENT; $(grep 'event=mail.attempt' "$LOG" | tail -n 4)"

# Each was the whole message, larger than a pipe's buffer (so its sender
# was still writing when the other program started), with the fax attached.
CAP=65536
N=0
for id in $(ls "$PAIR" | sed -n 's/^started\.//p'); do
	m="$PAIR/msg.$id"
	[ -f "$m" ] || { fail "no message kept for send $id"; continue; }
	size=$(stat -c %s "$m")
	echo "a fax mail of $size bytes"
	[ "$size" -gt "$CAP" ] && ok || fail "a fax mail of $size bytes fits in a pipe's buffer ($CAP): the sends could not overlap"
	PARSED=$(python3 "$HERE/mailpart.py" "$m")
	if printf '%s' "$PARSED" | jq -e '(.subject | startswith("Fax from ")) and (.attachments | length == 1)
		and .attachments[0].pdf and .attachments[0].pages == 1' >/dev/null; then ok; else
		fail "the mail is not a fax with its PDF: ${PARSED:0:400}"; fi
	printf '%s' "$PARSED" | jq -r .to_addr >>"$TMP/to"
	N=$((N + 1))
done
[ "$N" = 2 ] && ok || fail "two fax mails kept: $N"
[ "$(sort "$TMP/to" | tr '\n' ' ')" = "user@a-fax.example user@b-fax.example " ] && ok ||
	fail "each member got their fax: $(cat "$TMP/to")"

stop_daemon || fail "daemon did not stop cleanly"
finish
