#!/bin/sh
# Installs build/deb/portcullis_*.deb with apt-get (as root), checks the
# package's user, directories and files, starts the installed
# /usr/sbin/portcullis by hand (no systemd here) on a temporary config,
# sends one curl request through it, then purges the package (and the
# user, if this script created it) so the machine is left as it was.
set -eu
dir=$1
deb=$(readlink -f "$(ls "$dir"/portcullis_*.deb)")
had_user=0
getent passwd portcullis >/dev/null && had_user=1
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && sleep 1
	dpkg -s portcullis >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get purge -y -q portcullis >/dev/null 2>&1 || true
	[ "$had_user" = 1 ] || deluser --system --quiet portcullis 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { echo "FAILED: $1"; fail=$((fail + 1)); }

DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >/dev/null
for f in /usr/sbin/portcullis /usr/bin/portcullis-crypt \
    /usr/bin/portcullis-counters /etc/portcullis/portcullis.cfg \
    /lib/systemd/system/portcullis.service /etc/logrotate.d/portcullis \
    /usr/share/man/man8/portcullis.8.gz; do
	[ -e "$f" ] && ok "$f installed" || bad "$f missing"
done
[ -d /var/log/portcullis ] && ok "/var/log/portcullis" || bad "no /var/log/portcullis"
sh=$(getent passwd portcullis | cut -d: -f7)
home=$(getent passwd portcullis | cut -d: -f6)
[ "$sh" = /usr/sbin/nologin ] && [ "$home" = /nonexistent ] &&
    ok "user portcullis ($sh, $home)" || bad "user portcullis: $sh $home"
/usr/sbin/portcullis -t /etc/portcullis/portcullis.cfg >/dev/null &&
    ok "-t on the packaged config" || bad "-t on the packaged config"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
oport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir "$tmp/www" && echo hello-from-origin > "$tmp/www/hello"
/usr/bin/python3 -m http.server -b 127.0.0.1 -d "$tmp/www" "$oport" \
    >/dev/null 2>&1 &
opid=$!
printf 'log %s/access.log\nproxy -i127.0.0.1 -p%s\n' "$tmp" "$port" > "$tmp/p.cfg"
/usr/sbin/portcullis "$tmp/p.cfg" >"$tmp/out" 2>&1 &
pid=$!
body=
for i in $(seq 1 50); do
	body=$(curl -s --max-time 5 -x "http://127.0.0.1:$port" \
	    "http://127.0.0.1:$oport/hello" || true)
	[ "$body" = hello-from-origin ] && break
	sleep 0.2
done
[ "$body" = hello-from-origin ] && ok "request through the installed server" ||
    bad "request through the installed server: '$body' $(cat "$tmp/out")"
wuid=$(for c in /proc/[0-9]*; do
	[ "$(awk '/^PPid:/{print $2}' $c/status 2>/dev/null)" = "$pid" ] &&
	    awk '/^Uid:/{print $2}' $c/status; done | head -1)
[ "$wuid" = "$(id -u portcullis)" ] && ok "workers run as portcullis" ||
    bad "worker uid $wuid, portcullis is $(id -u portcullis)"
kill "$pid"; wait "$pid" || true; pid=
kill "$opid" 2>/dev/null || true
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q portcullis >/dev/null
[ ! -e /usr/sbin/portcullis ] && [ ! -e /etc/portcullis ] &&
    [ ! -e /var/log/portcullis ] && ok "purged" || bad "left after purge"
echo "deb_check: $pass passed, $fail failed"
[ "$fail" = 0 ]
