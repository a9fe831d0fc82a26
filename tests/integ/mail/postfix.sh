# A private Postfix on loopback for the mail tests: its own configuration
# directory, queue and data directories under $TMP, listening on a free
# loopback port, delivering every address of its virtual domains to one
# Maildir the test reads (every domain is accepted). It shares nothing with a system instance (none
# needs to be configured or running) and is stopped by postfix_stop.
# Needs root (Postfix's master starts as root and drops to the postfix user).
# Sourced after lib.sh; sets PF_PORT and PF_MAILDIR. With PF_RELAY_DOMAIN and
# PF_RELAY_TO (host:port) set before postfix_start, mail for that domain is
# not kept but relayed there (an upstream MTA in front of faxvault's SMTP
# listener, as a provider would run it); PF_RELAY_PROTO=lmtp relays it by
# LMTP (Postfix's lmtp transport) instead of SMTP.

PF_DIR="$TMP/postfix"

# postfix_start: starts it (exit 77, a skip, without Postfix or root).
postfix_start() {
	command -v postfix >/dev/null || { echo "SKIP: postfix is not installed"; exit 77; }
	[ "$(id -u)" = 0 ] || { echo "SKIP: a private Postfix needs root"; exit 77; }
	local pfuid pfgid
	pfuid=$(id -u postfix) && pfgid=$(id -g postfix) || { echo "no postfix user"; exit 1; }
	mkdir -p "$PF_DIR/conf" "$PF_DIR/queue" "$PF_DIR/data" "$PF_DIR/mail/inbox"
	# Postfix refuses a queue under a directory others can write or that
	# its user cannot reach.
	chmod 755 "$TMP" "$PF_DIR" "$PF_DIR/conf"
	chown "$pfuid:$pfgid" "$PF_DIR/data" "$PF_DIR/mail" "$PF_DIR/mail/inbox"
	PF_PORT=$(free_port)
	PF_MAILDIR="$PF_DIR/mail/inbox"
	cp /etc/postfix/postfix-files "$PF_DIR/conf/"
	[ -d /etc/postfix/postfix-files.d ] && cp -r /etc/postfix/postfix-files.d "$PF_DIR/conf/"
	cp /etc/postfix/dynamicmaps.cf "$PF_DIR/conf/"
	[ -d /etc/postfix/dynamicmaps.cf.d ] && cp -r /etc/postfix/dynamicmaps.cf.d "$PF_DIR/conf/"
	cat > "$PF_DIR/conf/main.cf" <<EOC
compatibility_level = 3.6
meta_directory = $PF_DIR/conf
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.faxvault.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
virtual_mailbox_domains = regexp:$PF_DIR/conf/domains
virtual_mailbox_base = $PF_DIR/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$pfuid
virtual_gid_maps = static:$pfgid
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $PF_DIR
smtputf8_enable = no
EOC
	echo '/./ OK' > "$PF_DIR/conf/domains"
	local excl=""
	[ -n "${PF_RELAY_DOMAIN:-}" ] && excl="${PF_RELAY_DOMAIN//./\\.}"
	[ -n "${PF_ERROR_DOMAIN:-}" ] && excl="${excl:+$excl|}${PF_ERROR_DOMAIN//./\\.}"
	[ -n "$excl" ] && printf '!/^(%s)$/ OK\n' "$excl" > "$PF_DIR/conf/domains"
	if [ -n "${PF_RELAY_DOMAIN:-}" ]; then
		cat >> "$PF_DIR/conf/main.cf" <<EOC
relay_domains = $PF_RELAY_DOMAIN
transport_maps = inline:{ $PF_RELAY_DOMAIN=${PF_RELAY_PROTO:-smtp}:[${PF_RELAY_TO%:*}]:${PF_RELAY_TO##*:} }
EOC
	fi
	if [ -n "${PF_ERROR_DOMAIN:-}" ]; then
		# A local domain whose recipients are not checked when the mail
		# is taken: a user that does not exist is accepted, then bounced
		# by local(8) ("unknown user", 5.1.1) with Postfix's own DSN to
		# the envelope sender.
		cat >> "$PF_DIR/conf/main.cf" <<EOC
mydestination = $PF_ERROR_DOMAIN
local_recipient_maps =
EOC
	fi
	cat > "$PF_DIR/conf/master.cf" <<EOC
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
lmtp      unix - - n - - lmtp
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
virtual   unix - n n - - virtual
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOC
	postfix -c "$PF_DIR/conf" start >"$PF_DIR/start.log" 2>&1 || {
		echo "private postfix did not start"; cat "$PF_DIR/start.log" "$PF_DIR/maillog" 2>/dev/null; exit 1; }
	PF_STARTED=1
	poll_until 120 pf_answers || { echo "private postfix does not answer"; cat "$PF_DIR/maillog" 2>/dev/null; exit 1; }
}

pf_answers() {
	python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$PF_PORT),2); sys.exit(0 if s.recv(200).startswith(b'220') else 1)" 2>/dev/null
}

postfix_stop() {
	[ -n "${PF_STARTED:-}" ] && postfix -c "$PF_DIR/conf" stop >/dev/null 2>&1
	PF_STARTED=""
}

# mail_to ADDRESS N: at least N messages to ADDRESS have arrived; the
# newest one's path in MAIL.
mail_to() {
	MAIL=""
	local n
	n=$(grep -l -i "^To:.*$1" "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/* 2>/dev/null | wc -l)
	[ "$n" -ge "$2" ] || return 1
	MAIL=$(grep -l -i "^To:.*$1" "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/* 2>/dev/null | xargs ls -t | head -n 1)
}

# mail_naming TEXT: a delivered mail holds TEXT (a fax or SafeBox id); its
# path in MAIL.
mail_naming() {
	MAIL=$(grep -l -- "$1" "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/* 2>/dev/null | head -n 1)
	[ -n "$MAIL" ]
}

PF_MAILPART="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/mailpart.py"
# with_subject ADDRESS SUBJECT N: at least N mails to ADDRESS with that
# decoded subject have arrived; the last one read (mailpart.py) in PARSED.
with_subject() {
	local f p n=0
	for f in "$PF_MAILDIR"/new/* "$PF_MAILDIR"/cur/*; do
		[ -f "$f" ] || continue
		p=$(python3 "$PF_MAILPART" "$f") || continue
		if printf '%s' "$p" | jq -e --arg a "$1" --arg s "$2" '.to_addr == $a and .subject == $s' >/dev/null; then
			n=$((n + 1))
			PARSED=$p
		fi
	done
	[ "$n" -ge "$3" ]
}

# check_mail JQ DESCRIPTION: JQ is true on PARSED (mailpart.py's reading).
check_mail() {
	if [ "$(printf '%s' "$PARSED" | jq -r "$1" 2>/dev/null)" = "true" ]; then ok; else
		fail "$2: jq '$1' is not true on ${PARSED:0:800}"; fi
}
