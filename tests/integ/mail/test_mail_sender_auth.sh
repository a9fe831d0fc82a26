#!/usr/bin/env bash
# Fax by e-mail's SPF and DKIM checks (issue 13, C10). DNS is answered by a
# test double: dnsmasq on 127.0.0.1:53 inside a network and mount namespace
# of this test's own (unshare), where /etc/resolv.conf is replaced by one
# naming it, so the daemon's resolver (libspf2, OpenDKIM) asks it; the
# sending server is 192.0.2.10, an address added to that namespace's
# loopback interface (a loopback client is a local relay, whose SPF is not
# evaluated). Mails are signed with python3-dkim. Each case: its reply
# code, its audit event on the account with the results, nothing faxed when
# refused; "ignore" accepts what "require" refuses; /metrics counts results.
DNS_NEEDS="swaks"
. "$(dirname "$0")/../api/lib_dns.sh"
dns_netns "$@"
. "$(dirname "$0")/../api/lib.sh"
. "$(dirname "$0")/../faxsvc/lib_fax.sh"
. "$(dirname "$0")/smtp_lib.sh"
dns_setup

CLIENT=192.0.2.10
ip addr add "$CLIENT/32" dev lo || { echo "cannot set up the namespace's loopback"; exit 1; }

# Keys and the zone: SPF records for subdomains of a-fax.example (so that
# MAIL FROM user@pass.a-fax.example is aligned with From: user@a-fax.example)
# and of other.example (not aligned); DKIM keys for a-fax.example, its
# subdomain mail.a-fax.example and other.example.
openssl genrsa -out "$TMP/dkim.key" 1024 2>/dev/null
DKIM_P=$(openssl rsa -in "$TMP/dkim.key" -pubout -outform DER 2>/dev/null | base64 -w0)
dns_start a-fax.example --local=/other.example/ \
	--txt-record=pass.a-fax.example,"v=spf1 ip4:$CLIENT -all" \
	--txt-record=fail.a-fax.example,"v=spf1 ip4:192.0.2.99 -all" \
	--txt-record=soft.a-fax.example,"v=spf1 ip4:192.0.2.99 ~all" \
	--txt-record=pass.other.example,"v=spf1 ip4:$CLIENT -all" \
	--txt-record=sel1._domainkey.a-fax.example,"v=DKIM1; k=rsa; p=$DKIM_P" \
	--txt-record=sel1._domainkey.mail.a-fax.example,"v=DKIM1; k=rsa; p=$DKIM_P" \
	--txt-record=sel1._domainkey.other.example,"v=DKIM1; k=rsa; p=$DKIM_P"

FV_SMTP=$(free_port)
fax_setup --set mail.domain=fax.example.net --set mail.smtp_listen="127.0.0.1:$FV_SMTP" \
	--set metrics.listen=127.0.0.1:0
grep -q "event=smtp.listening .*port=$FV_SMTP" "$LOG" && ok || fail "the SMTP listener did not start"
TO="$NUM_B@fax.example.net"
USER_MAIL=user@a-fax.example

# send FROM_HEADER MAIL_FROM [SOURCE_IP] [swaks args...]: a text mail to B's
# number; the conversation in SW.
send() {
	local from=$1 env=$2 src=${3:-$CLIENT}
	shift 3 2>/dev/null || shift $#
	SW=$(swaks --server 127.0.0.1 --port "$FV_SMTP" --local-interface "$src" --helo mx.a-fax.example \
		--timeout 120 --from "$env" --to " $TO" --header "From: $from" --header "Subject: auth" \
		--body "Please fax this." "$@" 2>&1)
}
# send_eml FILE MAIL_FROM: a prepared message (DATA as is).
send_eml() {
	SW=$(swaks --server 127.0.0.1 --port "$FV_SMTP" --local-interface "$CLIENT" --helo mx.a-fax.example \
		--timeout 120 --from "$2" --to " $TO" --data @"$1" 2>&1)
}
# audited ACTION JQ-CONDITION: how many events ACTION on A satisfy it
audited() {
	req GET "/v1/accounts/$ACC_A/audit-events?action=$1" "$OWNER_A"
	jqr "[.items[] | select(.actor.id == \"system:smtp\") | select($2)] | length"
}
refused() { audited fax_by_email.refused ".detail.reason == \"$1\" and .outcome == \"failure\""; }
FAXED=0
accepted() { # accepted DESCRIPTION: the last mail became one more fax
	FAXED=$((FAXED + 1))
	[ "$(outbound_a)" = "$FAXED" ] && ok || fail "$1: $FAXED faxes expected, $(outbound_a)"
}
nothing_faxed() { [ "$(outbound_a)" = "$FAXED" ] && ok || fail "$1: a refused mail was faxed"; }

# ---- SPF required
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"spf":"require"}'
expect_status 200 "A requires SPF"

send "$USER_MAIL" user@pass.a-fax.example
expect_reply '250 2.0.0' "SPF pass, MAIL FROM aligned with From"
accepted "SPF pass"
[ "$(audited fax_by_email.accepted '.detail.spf.result == "pass" and .detail.spf.domain == "pass.a-fax.example" and .detail.spf.aligned == true and .outcome == "success" and (.detail.faxes | length) == 1')" = 1 ] &&
	ok || fail "SPF pass: the accepted mail's audit event: $BODY"

send "$USER_MAIL" user@fail.a-fax.example
expect_reply '550 5.7.23' "SPF fail"
nothing_faxed "SPF fail"
[ "$(refused spf_fail)" = 1 ] && ok || fail "SPF fail not audited: $BODY"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax_by_email.refused" "$OWNER_A"
expect_jq '[.items[] | select(.detail.reason == "spf_fail")][0].detail.spf.result == "fail"' "the refusal records the SPF result"

send "$USER_MAIL" user@soft.a-fax.example
expect_reply '550 5.7.1' "SPF softfail"
[ "$(refused spf_softfail)" = 1 ] && ok || fail "SPF softfail not audited"

send "$USER_MAIL" user@none.a-fax.example
expect_reply '550 5.7.1' "no SPF record"
[ "$(refused spf_none)" = 1 ] && ok || fail "SPF none not audited"

send "$USER_MAIL" user@pass.other.example
expect_reply '550 5.7.1' "SPF pass for a domain not aligned with From"
[ "$(refused spf_misaligned)" = 1 ] && ok || fail "SPF misaligned not audited"

send "$USER_MAIL" user@pass.a-fax.example 127.0.0.1
expect_reply '550 5.7.1' "a loopback client (a local relay) is not an SPF pass"
[ "$(refused spf_none)" = 2 ] && ok || fail "the loopback client's SPF is not 'none'"

# The reply depends on the SPF result, not on who the From names.
send stranger@a-fax.example user@fail.a-fax.example
expect_reply '550 5.7.23' "a stranger with SPF fail gets the member's reply"
nothing_faxed "SPF refusals"

req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"spf":"ignore"}'
send "$USER_MAIL" user@fail.a-fax.example
expect_reply '250 2.0.0' "SPF ignored: an SPF fail is accepted"
accepted "SPF ignored"
[ "$(audited fax_by_email.accepted '.detail.spf.result == "fail"')" = 1 ] && ok || fail "the ignored SPF fail is not recorded"

# ---- DKIM required
req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"dkim":"require"}'
expect_status 200 "A requires DKIM"
# sign OUT DOMAIN [TAMPER]: a message from user@a-fax.example signed for
# DOMAIN (relaxed/relaxed, From To Subject); TAMPER changes the body after.
sign() {
	/usr/bin/python3 - "$TMP/dkim.key" "$1" "$2" "$TO" "${3:-}" <<'PY'
import sys, dkim
key, out, domain, to, tamper = sys.argv[1:6]
msg = ("From: User A <user@a-fax.example>\r\nTo: %s\r\nSubject: signed\r\n"
       "Message-ID: <dkim-%s@a-fax.example>\r\n\r\nInvoice 42: pay 100 EUR.\r\n" % (to.strip(), domain)).encode()
sig = dkim.sign(msg, b'sel1', domain.encode(), open(key, 'rb').read(),
                canonicalize=(b'relaxed', b'relaxed'), include_headers=[b'From', b'To', b'Subject'])
if tamper:
    msg = msg.replace(b'100 EUR', b'900 EUR')
open(out, 'wb').write(sig + msg)
PY
}
sign "$TMP/good.eml" a-fax.example
send_eml "$TMP/good.eml" user@a-fax.example
expect_reply '250 2.0.0' "DKIM: a valid signature of the From domain"
accepted "DKIM pass"
[ "$(audited fax_by_email.accepted '.detail.dkim.result == "pass" and .detail.dkim.domain == "a-fax.example"')" = 1 ] &&
	ok || fail "DKIM pass: the accepted mail's audit event: $BODY"

sign "$TMP/sub.eml" mail.a-fax.example
send_eml "$TMP/sub.eml" user@a-fax.example
expect_reply '250 2.0.0' "DKIM: a signature of a subdomain is aligned (relaxed)"
accepted "DKIM relaxed alignment"

sign "$TMP/tampered.eml" a-fax.example tamper
send_eml "$TMP/tampered.eml" user@a-fax.example
expect_reply '550 5.7.20' "DKIM: the body changed after signing"
[ "$(refused dkim_fail)" = 1 ] && ok || fail "DKIM fail not audited: $BODY"

sign "$TMP/other.eml" other.example
send_eml "$TMP/other.eml" user@a-fax.example
expect_reply '550 5.7.22' "DKIM: a valid signature of another domain"
[ "$(refused dkim_misaligned)" = 1 ] && ok || fail "DKIM misaligned not audited"
req GET "/v1/accounts/$ACC_A/audit-events?action=fax_by_email.refused" "$OWNER_A"
expect_jq '[.items[] | select(.detail.reason == "dkim_misaligned")][0].detail.dkim.domain == "other.example"' "the refusal names the signing domain"

send "$USER_MAIL" user@a-fax.example
expect_reply '550 5.7.1' "DKIM: no signature"
[ "$(refused dkim_none)" = 1 ] && ok || fail "DKIM none not audited"
# A forged Authentication-Results header changes nothing.
send "$USER_MAIL" user@a-fax.example "$CLIENT" --header "Authentication-Results: mx.a-fax.example; dkim=pass header.d=a-fax.example"
expect_reply '550 5.7.1' "a forged Authentication-Results is ignored"
nothing_faxed "DKIM refusals"

req PUT "/v1/accounts/$ACC_A/fax-by-email" "$ADMIN_A" '{"enabled":true,"dkim":"ignore"}'
send_eml "$TMP/tampered.eml" user@a-fax.example
expect_reply '250 2.0.0' "DKIM ignored: a broken signature is accepted"
accepted "DKIM ignored"
[ "$(audited fax_by_email.accepted '.detail.dkim.result == "fail"')" = 1 ] && ok || fail "the ignored DKIM fail is not recorded"

# ---- metrics
MET=$(curl -s "http://127.0.0.1:$(metrics_port)/metrics")
metric() { awk -v k="$1" '$1 == k {print $2}' <<<"$MET"; }
[ "$(metric 'faxvault_smtp_spf_total{result="fail"}')" -ge 3 ] 2>/dev/null && ok || fail "metrics: SPF fail: $(grep smtp_spf <<<"$MET")"
[ "$(metric 'faxvault_smtp_spf_total{result="pass"}')" -ge 1 ] 2>/dev/null && ok || fail "metrics: SPF pass"
[ "$(metric 'faxvault_smtp_dkim_total{result="pass"}')" -ge 2 ] 2>/dev/null && ok || fail "metrics: DKIM pass: $(grep smtp_dkim <<<"$MET")"
[ "$(metric 'faxvault_smtp_dkim_total{result="fail"}')" -ge 2 ] 2>/dev/null && ok || fail "metrics: DKIM fail"
[ "$(metric 'faxvault_smtp_dkim_total{result="misaligned"}')" -ge 1 ] 2>/dev/null && ok || fail "metrics: DKIM misaligned"

stop_daemon || fail "daemon did not stop cleanly"
finish
