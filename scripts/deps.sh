#!/bin/sh
# Install the Debian 12 packages senderkit needs to build, test, fuzz and
# benchmark, when any is missing.  Safe to run again: does nothing when all
# are present.  Needs root (or sudo) only when something must be installed.
set -eu

PKGS="meson ninja-build pkg-config gcc clang llvm libclang-rt-14-dev
libc-ares-dev libldns-dev libssl-dev libpsl-dev publicsuffix libjansson-dev
libexpat1-dev nsd knot dnsutils python3-yaml python3-pytest valgrind
spfquery python3-spf dnsperf go-md2man
python3-dkim python3-dnspython opendkim opendkim-tools
libmail-dmarc-perl
zlib1g-dev libarchive-dev libsqlite3-dev sqlite3
nftables iptables nginx-light haproxy apache2 squid nodejs
postfix spamassassin
libcurl4-openssl-dev"

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
# The test tools include daemons (nginx, apache2, squid, haproxy, knot,
# nsd, postfix): the tests start their own instances on loopback, so the
# packages must not start system services.  policy-rc.d exit 101 tells
# invoke-rc.d not to (Debian policy 9.3.3.1); ours is removed afterwards.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	trap '$SUDO rm -f "$policy"' EXIT
fi
# postfix: only postmap is used; "No configuration" leaves main.cf
# unwritten and the MTA unconfigured.
echo "postfix postfix/main_mailer_type select No configuration" |
	$SUDO debconf-set-selections
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
