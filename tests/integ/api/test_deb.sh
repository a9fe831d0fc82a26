#!/usr/bin/env bash
# The Debian package (`make deb`, packaging/debian/build-deb) built from the
# tree under test: its content and control fields, its dependencies present
# on this Debian system, an installation with dpkg into a temporary root
# (maintainer scripts run chrootless with DPKG_ROOT: the users faxvault,
# faxvault-http, -smtp and -sip and the state and log directories are
# created and the unit enabled in that root, nothing on this machine; a
# second installation creates nothing twice), `systemd-analyze verify` on
# the unit it installed, the daemon started by hand from the installed
# files with the unit's command line as the unit starts it (root with
# no_new_privs and the unit's bounding set; the service as this machine's
# daemon user, the package's users existing only in the root), answering
# /healthz, then removal and purge. systemd is not PID 1 in every test environment, so the
# unit itself is not started here.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
FAXVAULTD=$(readlink -f "$FAXVAULTD")
BUILD=$(cd "$(dirname "$FAXVAULTD")/../.." && pwd)

for t in dpkg-deb dpkg-shlibdeps strip; do
	command -v "$t" >/dev/null || { echo "$t not installed (dpkg-dev, binutils): the package was not built"; finish; exit; }
done

mkdir -p "$TMP/deb"
DEB=$(DEB_COMPRESS=none "$ROOT/packaging/debian/build-deb" "$BUILD" "$TMP/deb" 2>"$TMP/build-deb.err") &&
	[ -f "$DEB" ] && ok || { fail "build-deb: $(tail -n 5 "$TMP/build-deb.err")"; finish; exit; }

# Content: programs, helper, unit, configuration (a conffile), manual pages,
# the copyright file; everything owned by root.
dpkg-deb -c "$DEB" > "$TMP/content"
for p in ./usr/bin/faxvaultd ./usr/bin/faxvault ./usr/bin/faxvault-fax \
	./usr/libexec/faxvault/faxvault-render-helper ./usr/lib/systemd/system/faxvaultd.service \
	./etc/faxvault/faxvault.conf ./usr/share/man/man8/faxvaultd.8.gz ./usr/share/man/man1/faxvault.1.gz \
	./usr/share/man/man1/faxvault-fax.1.gz ./usr/share/man/man5/faxvault.conf.5.gz \
	./usr/share/doc/faxvault/copyright ./usr/share/doc/faxvault/changelog.Debian.gz; do
	awk '{ print $6 }' "$TMP/content" | grep -qxF "$p" && ok || fail "the package lacks $p"
done
awk '$2 != "root/root"' "$TMP/content" | grep -q . && fail "files not owned by root: $(awk '$2 != "root/root"' "$TMP/content" | head -n 3)" || ok
[ "$(dpkg-deb -f "$DEB" Package)" = faxvault ] && ok || fail "Package field"
# MuPDF is linked in statically: the package names its source.
dpkg-deb -f "$DEB" Built-Using | grep -q '^mupdf (= ' && ok || fail "Built-Using: $(dpkg-deb -f "$DEB" Built-Using)"
dpkg-deb -I "$DEB" conffiles | grep -qx /etc/faxvault/faxvault.conf && ok || fail "the configuration is not a conffile"
for s in postinst prerm postrm; do
	dpkg-deb -I "$DEB" "$s" > "$TMP/$s" && sh -n "$TMP/$s" && ok || fail "maintainer script $s"
done

# Every dependency is installed on this system at a version that satisfies it
# (the package installs here), and the shared libraries were found.
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
for lib in libc6 libsqlite3-0 libmicrohttpd12 libsodium23 libspandsp2 fonts-dejavu-core; do
	echo "$DEPENDS" | grep -q "\(^\|, \)$lib\b" && ok || fail "Depends lacks $lib: $DEPENDS"
done
unsatisfied=""
IFS=',' read -ra deps <<< "$DEPENDS"
for d in "${deps[@]}"; do
	d=$(echo "$d" | sed 's/^ *//; s/ *$//')
	name=${d%% *}
	have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null) || { unsatisfied="$unsatisfied $d"; continue; }
	if [[ $d =~ \((\>=|\<=|=|\>\>|\<\<)\ ([^\)]*)\) ]]; then
		op=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
		case $op in '>=') op=ge ;; '<=') op=le ;; '=') op=eq ;; '>>') op=gt ;; '<<') op=lt ;; esac
		dpkg --compare-versions "$have" "$op" "$want" || unsatisfied="$unsatisfied $d (have $have)"
	fi
done
[ -z "$unsatisfied" ] && ok || fail "dependencies not satisfied here:$unsatisfied"

# Installation into a temporary root. dpkg needs root, or fakeroot.
R="$TMP/root"
AS_ROOT=()
[ "$(id -u)" -eq 0 ] || AS_ROOT=(fakeroot)
if [ "$(id -u)" -ne 0 ] && ! command -v fakeroot >/dev/null; then
	echo "neither root nor fakeroot: the package was not installed into a temporary root"
	finish
	exit
fi
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc"
touch "$R/var/lib/dpkg/status"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\n' > "$R/etc/group"
printf 'root:*:19000:0:99999:7:::\n' > "$R/etc/shadow"
printf 'root:*::\n' > "$R/etc/gshadow"
host_passwd=$(md5sum < /etc/passwd)
DPKG=("${AS_ROOT[@]}" dpkg --root="$R" --force-script-chrootless --force-depends --force-not-root)
"${DPKG[@]}" -i "$DEB" > "$TMP/dpkg-i.out" 2>&1 && ok || fail "dpkg -i: $(tail -n 5 "$TMP/dpkg-i.out")"
[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${db:Status-Abbrev}' faxvault)" = "ii " ] && ok ||
	fail "faxvault is not installed in the temporary root"
grep -qx 'faxvault:x:[0-9]*:[0-9]*:faxvault service:/var/lib/faxvault:/usr/sbin/nologin' "$R/etc/passwd" && ok ||
	fail "postinst did not create the system user: $(cat "$R/etc/passwd")"
grep -q '^faxvault:' "$R/etc/group" && ok || fail "postinst did not create the group"
uid=$(awk -F: '$1 == "faxvault" { print $3 }' "$R/etc/passwd")
[ -n "$uid" ] && [ "$uid" -lt 1000 ] && ok || fail "faxvault is not a system user (uid $uid)"
[ "$(stat -c '%a %u' "$R/var/lib/faxvault")" = "700 $uid" ] && ok ||
	fail "the state directory is $(stat -c '%a %u' "$R/var/lib/faxvault"), want 700 $uid"
[ "$(stat -c '%a %u' "$R/var/log/faxvault")" = "750 $uid" ] && ok ||
	fail "the log directory is $(stat -c '%a %u' "$R/var/log/faxvault"), want 750 $uid"
# A user per network front end, each its own group, no login.
for u in faxvault-http faxvault-smtp faxvault-sip; do
	grep -Eq "^$u:x:[0-9]+:[0-9]+:faxvault (http|smtp|sip) front end:/nonexistent:/usr/sbin/nologin\$" "$R/etc/passwd" &&
		grep -q "^$u:" "$R/etc/group" && ok || fail "postinst did not create $u: $(grep "^$u:" "$R/etc/passwd")"
done
[ "$(cut -d: -f3 "$R/etc/passwd" | sort | uniq -d)" = "" ] && ok || fail "users share a uid: $(cat "$R/etc/passwd")"
# Installed again (an upgrade): nothing created twice, nothing fails.
"${DPKG[@]}" -i "$DEB" > "$TMP/dpkg-i2.out" 2>&1 && [ "$(grep -c '^faxvault' "$R/etc/passwd")" = 4 ] && ok ||
	fail "a second installation: $(tail -n 3 "$TMP/dpkg-i2.out"), $(grep -c '^faxvault' "$R/etc/passwd") users"
[ "$(readlink "$R/etc/systemd/system/multi-user.target.wants/faxvaultd.service")" = /usr/lib/systemd/system/faxvaultd.service ] &&
	ok || fail "postinst did not enable the unit"
[ "$(md5sum < /etc/passwd)" = "$host_passwd" ] && ok || fail "the installation changed this machine's /etc/passwd"
grep -qx 'ExecStart=/usr/bin/faxvaultd --config /etc/faxvault/faxvault.conf' "$R/usr/lib/systemd/system/faxvaultd.service" &&
	ok || fail "the installed unit's ExecStart: $(grep ExecStart "$R/usr/lib/systemd/system/faxvaultd.service")"
grep -q 'file:///usr/share/doc/faxvault/README.md' "$R/usr/lib/systemd/system/faxvaultd.service" && ok ||
	fail "the installed unit's Documentation does not follow the prefix"
"$R/usr/bin/faxvaultd" --config "$R/etc/faxvault/faxvault.conf" check-config >/dev/null && ok ||
	fail "the installed configuration is not valid"

# The installed unit passes systemd-analyze verify (its daemon at the
# temporary root's path: the unit's other paths exist on any system).
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP/unit"
	sed "s|^ExecStart=/usr/bin/faxvaultd|ExecStart=$R/usr/bin/faxvaultd|" \
		"$R/usr/lib/systemd/system/faxvaultd.service" > "$TMP/unit/faxvaultd.service"
	# Its Documentation= manual pages are looked up in the root's.
	out=$(MANPATH="$R/usr/share/man" systemd-analyze verify "$TMP/unit/faxvaultd.service" 2>&1)
	[ -z "$out" ] && ok || fail "systemd-analyze verify: $out"
else
	echo "systemd-analyze not installed: the installed unit was not verified"
fi

# The unit's command line, run by hand from the installed files: the
# daemon finds its renderer helper in /usr/libexec/faxvault beside it, serves
# the API, and the installed client reaches it. Only the state directory,
# the master key and the listening ports are moved (this machine may run a
# faxvault of its own). When the test runs as root it runs as the unit
# does: root (no User=), no_new_privs, the unit's bounding set and UMask;
# the users are this machine's daemon (the service) and nobody (the front
# ends), as the package's exist only in the temporary root
# (test_service_user.sh shows the users in detail).
STATE="$TMP/state"
mkdir -m 0700 "$STATE"
RUN_AS=()
USERS=()
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	uid=$(id -u daemon)
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$R/usr/lib/systemd/system/faxvaultd.service" |
		tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
	[ "$caps" = "+kill,+setuid,+setgid,+sys_chroot,+sys_admin,+net_bind_service" ] && ok ||
		fail "the unit's bounding set: $caps"
	chmod 0711 "$TMP"
	chown daemon:daemon "$STATE"
	RUN_AS=(setpriv --nnp --inh-caps=-all --bounding-set="-all,$caps" --)
	USERS=(--set daemon.service_user=daemon --set daemon.http_user=nobody --set daemon.smtp_user=nobody
		--set daemon.sip_user=nobody)
fi
umask 077
exec_start=$(sed -n 's/^ExecStart=//p' "$R/usr/lib/systemd/system/faxvaultd.service")
read -ra argv <<< "$exec_start"
argv[0]="$R${argv[0]}"
[ "${argv[1]}" = --config ] && argv[2]="$R${argv[2]}"
"${RUN_AS[@]}" "${argv[@]}" --data-dir "$STATE" --http 127.0.0.1:0 --set fax.loopback_sip=127.0.0.1:0 \
	--set "vault.master_key_file=$STATE/master.key" ${USERS[@]+"${USERS[@]}"} 2>"$LOG" &
DAEMON_PID=$!
poll_until 300 daemon_answers && ok || fail "the installed daemon did not answer"
[ -z "${RUN_AS[*]}" ] || [ "$(stat -c %u "$STATE/faxvault.db")" = "$uid" ] && ok ||
	fail "the database is not the service user's: $(stat -c %U "$STATE/faxvault.db")"
if [ -n "${RUN_AS[*]}" ]; then
	svc=$(ps -o pid=,comm= --ppid "$DAEMON_PID" | awk '$2 == "fv-service" { print $1 }')
	[ -n "$svc" ] && [ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$svc/status")" = "$uid" ] &&
		[ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$DAEMON_PID/status")" = 0 ] && ok ||
		fail "faxvaultd is not root or the service not the service user"
fi
grep -q "event=daemon.render_helper .*path=\"\?$R/usr/libexec/faxvault/faxvault-render-helper" "$LOG" && ok ||
	fail "the installed daemon did not take the installed helper: $(grep render_helper "$LOG")"
"$R/usr/bin/faxvault" --url "$BASE" health >/dev/null && ok || fail "the installed client cannot reach the installed daemon"
stop_daemon && ok || fail "the installed daemon did not stop cleanly on SIGTERM"

# Removal keeps the configuration, purge removes it; the data stay.
"${DPKG[@]}" -r faxvault > "$TMP/dpkg-r.out" 2>&1 && ok || fail "dpkg -r: $(tail -n 5 "$TMP/dpkg-r.out")"
[ ! -e "$R/usr/bin/faxvaultd" ] && [ -f "$R/etc/faxvault/faxvault.conf" ] && ok || fail "remove: programs gone, configuration kept"
"${DPKG[@]}" -P faxvault > "$TMP/dpkg-p.out" 2>&1 && ok || fail "dpkg -P: $(tail -n 5 "$TMP/dpkg-p.out")"
[ ! -e "$R/etc/faxvault/faxvault.conf" ] && [ -d "$R/var/lib/faxvault" ] && ok || fail "purge: configuration gone, data kept"
[ ! -e "$R/etc/systemd/system/multi-user.target.wants/faxvaultd.service" ] && ok || fail "purge: the unit is still enabled"
finish
