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
for opt in NoNewPrivileges=true ProtectSystem=strict PrivateTmp=true PrivateMounts=true MemoryDenyWriteExecute=true \
	'CapabilityBoundingSet=CAP_KILL CAP_SETUID CAP_SETGID CAP_SYS_CHROOT CAP_SYS_ADMIN CAP_NET_BIND_SERVICE' \
	'AmbientCapabilities=' 'RestrictNamespaces=mnt' 'ReadWritePaths=/var/lib/faxvault -/var/log/faxvault' \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' SystemCallFilter=@system-service; do
	grep -qx "$opt" "$UNIT" && ok || fail "unit sets $opt"
done
# faxvaultd starts as root (no User=, docs/architecture.md, "Users and
# capabilities"), and no directory systemd would create for root (the
# package makes them the faxvault user's).
grep -Eq '^(User|Group|DynamicUser|StateDirectory|LogsDirectory)=' "$UNIT" &&
	fail "the unit sets $(grep -E '^(User|Group|DynamicUser|StateDirectory|LogsDirectory)=' "$UNIT")" || ok
# The system calls allowed back after ~@privileged and ~@mount: the changes
# of user and root, nothing else.
[ "$(grep '^SystemCallFilter=' "$UNIT" | tail -n 1)" = \
	"SystemCallFilter=setuid setgid setgroups setresuid setresgid setfsuid setfsgid capset capget chroot mount" ] && ok ||
	fail "the unit's last SystemCallFilter: $(grep '^SystemCallFilter=' "$UNIT" | tail -n 1)"
# The configuration names the users the package creates.
for u in service_user=faxvault http_user=faxvault-http smtp_user=faxvault-smtp sip_user=faxvault-sip; do
	"$FAXVAULTD" --config "$CONF" print-config | grep -qx "${u%%=*} = ${u#*=}" && ok ||
		fail "the example configuration does not set daemon.${u%%=*} = ${u#*=}"
done

# `make install PREFIX=DIR` is `cmake --install BUILD --prefix DIR`: the three
# programs in DIR/bin, the render helper where the installed daemon finds it,
# the manual pages (faxvault.conf(5) listing every setting), the docs and a
# unit whose ExecStart names the installed daemon. The installed engine tool
# renders a document (it finds its helper from its own place).
BUILD=$(cd "$(dirname "$FAXVAULTD")/../.." && pwd)
PFX="$TMP/prefix"
cmake --install "$BUILD" --prefix "$PFX" >"$TMP/install.out" 2>&1 && ok || fail "install: $(tail -n 5 "$TMP/install.out")"
for p in faxvaultd faxvault faxvault-fax; do [ -x "$PFX/bin/$p" ] && ok || fail "$p not in PREFIX/bin"; done
[ -x "$PFX/libexec/faxvault/faxvault-render-helper" ] && ok || fail "the render helper is not installed"
[ -s "$PFX/share/faxvault/portal/index.html" ] && [ -s "$PFX/share/faxvault/portal/i18n/fr.json" ] && ok ||
	fail "the web portal is not installed where faxvaultd finds it"
for m in man1/faxvault.1 man1/faxvault-fax.1 man5/faxvault.conf.5 man8/faxvaultd.8; do
	[ -s "$PFX/share/man/$m" ] && ok || fail "manual page $m missing"
done
for name in $("$FAXVAULTD" --print-config-reference | awk '/^\[.*\]$/ { s = substr($0, 2, length($0) - 2) "."; next } /^[a-z_0-9]+ = / { print s $1 }'); do
	grep -qxF ".B $name" "$PFX/share/man/man5/faxvault.conf.5" || { fail "faxvault.conf(5) lacks $name"; break; }
done
ok
[ -s "$PFX/share/doc/faxvault/README.md" ] && [ -s "$PFX/share/doc/faxvault/faxvault.conf.example" ] && ok || fail "docs or configuration example missing"
grep -qx "ExecStart=$PFX/bin/faxvaultd --config /etc/faxvault/faxvault.conf" "$PFX/lib/systemd/system/faxvaultd.service" && ok ||
	fail "the installed unit does not start the installed daemon: $(grep ExecStart "$PFX/lib/systemd/system/faxvaultd.service")"
# The unit is valid for systemd, its Documentation= manual pages among
# those installed, and its exposure score stays low.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP/unit"
	sed "s|/usr/local/bin/faxvaultd|$FAXVAULTD|" "$UNIT" > "$TMP/unit/faxvaultd.service"
	out=$(MANPATH="$PFX/share/man" systemd-analyze verify "$TMP/unit/faxvaultd.service" 2>&1)
	[ -z "$out" ] && ok || fail "systemd-analyze verify: $out"
	score=$(systemd-analyze security --offline=true "$TMP/unit/faxvaultd.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for faxvaultd.service: \([0-9.]*\).*/\1/p')
	# 1.6 when everything ran as faxvault without capabilities (the front
	# ends then kept its user and the real root); 2.9 with faxvaultd as
	# root holding five capabilities (0.4 for root, 0.3 CAP_SYS_ADMIN, 0.3
	# CAP_SETUID/SETGID, 0.1 each CAP_KILL, CAP_SYS_CHROOT, mount
	# namespaces, 0.2 each @privileged and @mount): the score rates the
	# unit's most privileged process, not the ones that parse the network.
	awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 3.0) }' && ok || fail "exposure level $score (want <= 3.0)"
else
	echo "systemd-analyze not installed: the unit's systemd checks were not run"
fi
# A daemon copied out of the build tree, with no helper beside it or in
# ../libexec/faxvault, refuses to start rather than run the build tree's
# helper (a path of the machine it was built on).
mkdir "$TMP/lone"
cp "$FAXVAULTD" "$TMP/lone/faxvaultd"
timeout 300 "$TMP/lone/faxvaultd" --data-dir "$TMP/lone/var" --http 127.0.0.1:0 \
	--set fax.loopback_sip=127.0.0.1:0 >/dev/null 2>"$TMP/lone.err"
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "faxvault-render-helper not found" "$TMP/lone.err" && ok ||
	fail "a daemon away from its helper: exit $rc, $(tail -n 2 "$TMP/lone.err")"
printf 'Installed.\n' > "$TMP/inst.txt"
"$PFX/bin/faxvault-fax" render "$TMP/inst.txt" -o "$TMP/inst.tif" >"$TMP/inst.json" 2>"$TMP/inst.err" &&
	jq -e '.pages == 1' "$TMP/inst.json" >/dev/null && ok || fail "the installed engine tool cannot render: $(cat "$TMP/inst.err")"
finish
