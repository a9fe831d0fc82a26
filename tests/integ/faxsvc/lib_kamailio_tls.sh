# Kamailio with its TLS module as a carrier's edge on 127.0.0.1 (KAM_IP,
# "[::1]" for IPv6), for the tests of trunks over TLS and TCP
# (test_trunk_tls.sh, test_trunk_tls_dns.sh) and over IPv6
# (test_trunk_ipv6_kam.sh). After lib.sh and lib_fax.sh:
#   kam_tls_check            SKIP (exit 77) without kamailio and its tls module
#   kam_tls_pki SAN [OURS]   a test CA in $TMP/pki, Kamailio's certificate
#                            (kam.pem, kam.key) for SAN (e.g. DNS:localhost)
#                            and ours (fv.pem, fv.key) for OURS (IP:127.0.0.1)
#   kam_tls_ports            KPORT (UDP), KTLS, KTCP, FAR_PORT
#   far_start [CALLS] / far_done  the far fax machine behind the carrier on
#                            KAM_IP, one call (or CALLS)
#   kam_tls_start            Kamailio listening on KAM_IP, KPORT/KTLS/KTCP
#                            (KAM_PID; new ports if one was taken meanwhile):
#                            REGISTER and INVITE with digest (users faxuser,
#                            faxtcp and faxtls, password trunk-pass-123),
#                            +1415... to the Contact registered by faxuser,
#                            +1212... by faxtcp, +1213... by faxtls, other
#                            INVITEs to the far fax machine; logs "kam: ..."
#                            lines in $TMP/kam/log; with KAM_CLIENT_CERT=yes
#                            its TLS listener asks every client for a
#                            certificate of the test CA and refuses
#                            connections without one
KAM_IP=${KAM_IP:-127.0.0.1}

kam_tls_check() {
	KAMAILIO=$(command -v kamailio || echo /usr/sbin/kamailio)
	[ -x "$KAMAILIO" ] || { echo "kamailio not installed (Debian kamailio, scripts/deps/line.txt): skipped"; exit 77; }
	MODS=$(dirname "$(dpkg -L kamailio 2>/dev/null | grep '/modules/tm.so$' | head -n 1)")
	[ -f "$MODS/tm.so" ] || { echo "kamailio modules not found: skipped"; exit 77; }
	[ -f "$MODS/tls.so" ] || { echo "kamailio-tls-modules not installed (scripts/deps/line.txt): skipped"; exit 77; }
}

kam_tls_pki() { # kam_tls_pki SAN
	mkdir -p "$TMP/pki"
	(
		cd "$TMP/pki"
		o() { openssl "$@" >/dev/null 2>&1; }
		o req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=carrier-test-ca
		for who in "kam:$1" "fv:${2:-IP:127.0.0.1}"; do
			n=${who%%:*}
			o req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$n.key" -out "$n.csr" -subj "/CN=$n"
			printf 'subjectAltName=%s\n' "${who#*:}" >"$n.ext"
			o x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$n.pem" -days 2 -extfile "$n.ext"
		done
	)
	[ -s "$TMP/pki/kam.pem" ] && [ -s "$TMP/pki/fv.pem" ] || { fail "openssl made no certificates"; finish; exit 1; }
}

kam_tls_ports() { # four free ports: Kamailio's UDP, TLS and TCP, the far fax machine's
	KPORT=$(free_port 4) || { fail "no four free ports"; finish; exit 1; }
	KTLS=$((KPORT + 1)) KTCP=$((KPORT + 2)) FAR_PORT=$((KPORT + 3))
}

FAR_PID=""
far_start() {
	rm -f "$TMP/far.log"
	"$FAXTOOL" receive --listen "$KAM_IP:$FAR_PORT" --out "$TMP/far" --calls "${1:-1}" --clock-speed "$FAX_SPEED" \
		>"$TMP/far.json" 2>"$TMP/far.log" &
	FAR_PID=$!
	listening() { grep -q 'event=line_listen' "$TMP/far.log" 2>/dev/null; }
	poll_until 60 listening || fail "far receiver did not start"
}

far_done() {
	# bounded: a far machine still waiting for a call is killed after 120 s
	wait_receiver "$FAR_PID" 120
	jq -e -s 'length > 0 and all(.[]; .status == "done")' "$TMP/far.json" >/dev/null 2>&1 && ok ||
		fail "far receiver: $(tail -n 3 "$TMP/far.log")"
}

kam_tls_config() {
	mkdir -p "$TMP/kam"
	cat >"$TMP/kam/tls.cfg" <<CFG
[server:default]
method = TLSv1.2+
verify_certificate = ${KAM_CLIENT_CERT:-no}
require_certificate = ${KAM_CLIENT_CERT:-no}
ca_list = $TMP/pki/ca.pem
private_key = $TMP/pki/kam.key
certificate = $TMP/pki/kam.pem

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
ca_list = $TMP/pki/ca.pem
CFG
	cat >"$TMP/kam/kamailio.cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
enable_tls=yes
listen=udp:$KAM_IP:$KPORT
listen=tls:$KAM_IP:$KTLS
listen=tcp:$KAM_IP:$KTCP
mpath="$MODS/"
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "htable.so"
modparam("tls", "config", "$TMP/kam/tls.cfg")
modparam("htable", "htable", "users=>size=4;")
modparam("registrar", "max_expires", 3600)

event_route[htable:mod-init] {
	\$sht(users=>faxuser) = "trunk-pass-123";
	\$sht(users=>faxtcp) = "trunk-pass-123";
	\$sht(users=>faxtls) = "trunk-pass-123";
}

request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (has_totag()) {
		if (loose_route()) { t_relay(); exit; }
		if (is_method("ACK")) { if (t_check_trans()) t_relay(); exit; }
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
	t_check_trans();
	if (is_method("OPTIONS") && \$rU == \$null) { sl_send_reply("200", "Alive"); exit; }
	if (is_method("REGISTER")) {
		if (!pv_www_authenticate("carrier.test", "\$sht(users=>\$au)", "0")) {
			www_challenge("carrier.test", "1");
			exit;
		}
		xlog("L_NOTICE", "kam: REGISTER of \$tU over \$pr authenticated, contact \$ct\n");
		if (\$pr == "tls") xlog("L_NOTICE", "kam: REGISTER over tls with client certificate \$tls_peer_subject_cn, expires \$hdr(Expires)\n");
		if (!save("location")) sl_reply_error();
		exit;
	}
	if (!is_method("INVITE")) { sl_send_reply("405", "Not here"); exit; }
	record_route();
	if (\$rU =~ "^\\\\+1(415|212|213)") {
		# A call for the fax service's numbers: to whoever registered
		# faxuser (+1415), faxtcp (+1212) or faxtls (+1213).
		\$var(n) = \$rU;
		\$ru = "sip:faxuser@carrier.test";
		if (\$var(n) =~ "^\\\\+1212") \$ru = "sip:faxtcp@carrier.test";
		if (\$var(n) =~ "^\\\\+1213") \$ru = "sip:faxtls@carrier.test";
		if (!lookup("location")) { sl_send_reply("480", "Not registered"); exit; }
		xlog("L_NOTICE", "kam: inbound for \$var(n) to \$ru\n");
		t_relay();
		exit;
	}
	# From the fax service: digest first, then to the far fax machine (UDP).
	if (!pv_proxy_authenticate("carrier.test", "\$sht(users=>\$au)", "0")) {
		proxy_challenge("carrier.test", "1");
		exit;
	}
	xlog("L_NOTICE", "kam: outbound INVITE for \$rU over \$pr authenticated as \$au\n");
	xlog("L_NOTICE", "kam: outbound INVITE via \$hdr(Via) contact \$ct from \$fu sdp \$rb\n");
	consume_credentials();
	\$du = "sip:$KAM_IP:$FAR_PORT";
	t_relay();
	exit;
}
CFG
}

# Kamailio started and listening on its three ports. Another test may take
# one of them between free_port and Kamailio's bind (Kamailio then exits):
# it starts again on new ports, up to five times.
kam_tls_start() {
	local try
	for try in 1 2 3 4 5; do
		kam_tls_config
		if [ "$try" = 1 ]; then
			"$KAMAILIO" -f "$TMP/kam/kamailio.cfg" -c >"$TMP/kam/check.log" 2>&1 ||
				{ fail "kamailio refused its config: $(tail -n 5 "$TMP/kam/check.log")"; finish; exit 1; }
		fi
		"$KAMAILIO" -f "$TMP/kam/kamailio.cfg" -DD -E -Y "$TMP/kam" -w "$TMP/kam" -P "$TMP/kam/pid" >"$TMP/kam/log" 2>&1 &
		KAM_PID=$!
		wait_bound 120 "$KAM_PID" "udp:$KPORT" "tcp:$KTLS" "tcp:$KTCP" && return 0
		kill "$KAM_PID" 2>/dev/null
		wait "$KAM_PID" 2>/dev/null
		echo "kamailio did not listen on $KPORT-$KTCP (try $try): $(grep -i 'bind\|error' "$TMP/kam/log" | tail -n 3)"
		KPORT=$(free_port 3) KTLS=$((KPORT + 1)) KTCP=$((KPORT + 2))
	done
	fail "kamailio did not start: $(tail -n 5 "$TMP/kam/log")"
	finish
	exit 1
}
