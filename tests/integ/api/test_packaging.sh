#!/usr/bin/env bash
# The systemd unit and its example configuration: the configuration is valid
# for faxvaultd, the unit is valid for systemd, and its exposure score stays
# low (P01). The systemd checks need systemd-analyze (Debian's systemd).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
FAXVAULTD=$(readlink -f "$FAXVAULTD")
UNIT="$ROOT/packaging/systemd/faxvaultd.service"
CONF="$ROOT/packaging/systemd/faxvault.conf"

"$FAXVAULTD" --config "$CONF" check-config >/dev/null && ok || fail "the example configuration is valid"
"$FAXVAULTD" --config "$CONF" print-config | grep -q "listen = 127.0.0.1:8080" && ok || fail "the example configuration is read"
grep -q '^ExecStart=/usr/local/bin/faxvaultd --config /etc/faxvault/faxvault.conf$' "$UNIT" && ok || fail "ExecStart"
for opt in NoNewPrivileges=true ProtectSystem=strict PrivateTmp=true MemoryDenyWriteExecute=true \
	'CapabilityBoundingSet=' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' SystemCallFilter=@system-service; do
	grep -qx "$opt" "$UNIT" && ok || fail "unit sets $opt"
done
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP/unit"
	sed "s|/usr/local/bin/faxvaultd|$FAXVAULTD|" "$UNIT" > "$TMP/unit/faxvaultd.service"
	out=$(systemd-analyze verify "$TMP/unit/faxvaultd.service" 2>&1)
	[ -z "$out" ] && ok || fail "systemd-analyze verify: $out"
	score=$(systemd-analyze security --offline=true "$TMP/unit/faxvaultd.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for faxvaultd.service: \([0-9.]*\).*/\1/p')
	awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }' && ok || fail "exposure level $score (want <= 2.0)"
else
	echo "systemd-analyze not installed: the unit's systemd checks were not run"
fi
finish
