#!/bin/sh
# Installs the Debian packages portcullis needs that are not installed yet.
#
#   contrib/install-deps.sh build   compiler, make and the four libraries
#   contrib/install-deps.sh test    build's list plus clang and what the
#                                   end-to-end tests and bench/ drive,
#                                   the man page checkers and what
#                                   `make deb` builds the package with
#
# Quiet and quick when nothing is missing (`make run` and `make check` call
# it every time).  Runs `apt-get update` at most once, and only when
# something must be installed.  Without root it only says what is missing
# and exits 1, so a developer's machine is never changed behind their back.
# POSIX sh: the GNUmakefile runs it with `sh`, which is dash on Debian.
set -eu

# libsodium-dev: BLAKE2b for 3proxy 1.0's CR:$3$ password hashes
BUILD_PKGS="gcc make libcap-dev libseccomp-dev libc-ares-dev unixodbc-dev \
libcrypt-dev libsodium-dev pkg-config"

# systemd, man-db: systemd-analyze checks the unit and its man: links
# (tests/e2e/test_unit.py); systemd need not be PID 1.
# libclang-rt-14-dev: clang 14's ASan/UBSan/libFuzzer runtimes (`make asan`,
# `make fuzz`); Debian 12's clang does not pull it in without recommends.
TEST_PKGS="$BUILD_PKGS clang libclang-rt-14-dev python3-pytest python3-socks \
python3-dnspython python3-pyftpdlib python3-aiosmtpd curl socat \
netcat-openbsd dnsutils dnsmasq-base nginx-light wrk procps iproute2 \
unixodbc libsqliteodbc odbc-postgresql postgresql mandoc groff-base \
debhelper dpkg-dev fakeroot lintian adduser python3-prometheus-client \
systemd man-db"

usage() {
	echo "usage: $0 build|test" >&2
	exit 2
}

[ $# -eq 1 ] || usage
case $1 in
build) want=$BUILD_PKGS ;;
test)  want=$TEST_PKGS ;;
*)     usage ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "$0: dpkg-query not found: this script knows Debian only;" \
	    "install the equivalents of: $want" >&2
	exit 1
fi

# "install ok installed" (or "hold ok installed"); anything else, including
# "deinstall ok config-files" and unknown names, counts as missing.
missing=
for p in $want; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case $st in
	*" ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -n "$missing" ] || exit 0
missing=${missing# }

if [ "$(id -u)" -ne 0 ]; then
	echo "$0: missing Debian packages: $missing" >&2
	echo "$0: as root, run: apt-get install --no-install-recommends" \
	    "$missing" >&2
	exit 1
fi

echo "$0: installing: $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# $missing is a list of package names: split on purpose
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
