#!/bin/sh
# Install the Debian 12 packages senderkit needs to build, test, fuzz and
# benchmark, when any is missing.  Safe to run again: does nothing when all
# are present.  Needs root (or sudo) only when something must be installed.
set -eu

PKGS="meson ninja-build pkg-config gcc clang llvm libclang-rt-14-dev
libc-ares-dev libldns-dev libssl-dev libpsl-dev publicsuffix libjansson-dev
libexpat1-dev nsd dnsutils python3-yaml python3-pytest valgrind
spfquery python3-spf dnsperf go-md2man
python3-dkim python3-dnspython opendkim opendkim-tools
libmail-dmarc-perl"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "senderkit: installing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
