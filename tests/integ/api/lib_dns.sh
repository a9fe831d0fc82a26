# The DNS test double shared by the tests that need names answered their
# way: dnsmasq on 127.0.0.1:53 inside a network and mount namespace of the
# test's own (unshare), where /etc/resolv.conf is replaced by one naming
# it, so every resolver of the daemon and its tools (res_nquery,
# getaddrinfo, libspf2...) asks it.
#
# At the very top of a test, before lib.sh:
#   . "$(dirname "$0")/../api/lib_dns.sh"; dns_netns "$@"
# (re-executes the test in new namespaces; SKIP, exit 77, without root,
# dnsmasq or unshare; extra commands the test needs as DNS_NEEDS="swaks ...").
# After lib.sh (TMP exists): dns_setup, then dns_start ZONE ARGS... to (re)start
# dnsmasq authoritative for ZONE with these records (dnsmasq options such as
# --srv-host=, --naptr-record=, --host-record=, --txt-record=); it waits
# until dnsmasq answers a TXT query for probe.ZONE. dns_stop at the end
# (dns_setup installs it in the EXIT trap, before cleanup).

dns_netns() {
	[ -n "${FV_NETNS:-}" ] && return 0
	[ "$(id -u)" = 0 ] || { echo "SKIP: the DNS test double needs root (namespaces)"; exit 77; }
	local c
	for c in dnsmasq unshare ip ${DNS_NEEDS:-}; do
		command -v "$c" >/dev/null || { echo "SKIP: $c missing (scripts/install-deps)"; exit 77; }
	done
	unshare -n -m true 2>/dev/null || { echo "SKIP: no network namespaces here"; exit 77; }
	FV_NETNS=1 exec unshare -n -m --propagation private bash "$0" "$@"
}

DNS_PID=""
dns_stop() {
	if [ -n "$DNS_PID" ]; then
		kill "$DNS_PID" 2>/dev/null
		wait "$DNS_PID" 2>/dev/null
	fi
	DNS_PID=""
}

dns_setup() {
	trap 'dns_stop; cleanup' EXIT
	ip link set lo up || { echo "cannot set up the namespace's loopback"; exit 1; }
	echo "nameserver 127.0.0.1" >"$TMP/resolv.conf"
	mount --bind "$TMP/resolv.conf" /etc/resolv.conf || { echo "cannot replace resolv.conf in the namespace"; exit 1; }
}

dns_start() { # dns_start ZONE [dnsmasq options...]
	local zone=$1
	shift
	dns_stop
	dnsmasq --keep-in-foreground --port=53 --listen-address=127.0.0.1 --bind-interfaces \
		--no-resolv --no-hosts --log-facility="$TMP/dnsmasq.log" --pid-file="$TMP/dnsmasq.pid" \
		--local="/$zone/" --txt-record="probe.$zone,up" "$@" &
	DNS_PID=$!
	DNS_ZONE=$zone
	poll_until 60 dns_answers || { echo "the DNS test double does not answer"; cat "$TMP/dnsmasq.log"; exit 1; }
}

dns_answers() { # a TXT query for probe.$DNS_ZONE gets an answer
	python3 - "probe.$DNS_ZONE" <<'PY'
import socket, struct, sys
q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0)
for l in sys.argv[1].encode().split(b'.'):
    q += bytes([len(l)]) + l
q += b'\0' + struct.pack('>HH', 16, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
try:
    s.sendto(q, ('127.0.0.1', 53))
    r = s.recv(4096)
except OSError:
    sys.exit(1)
sys.exit(0 if struct.unpack('>H', r[6:8])[0] >= 1 else 1)
PY
}
