#!/bin/sh
# The README's "main job" demo: installs what is missing, builds senderkit,
# then lints and checks the example organization's SPF policy from the zone
# files in examples/ -- no network is used (zone-file DNS backend).
set -eu
cd "$(dirname "$0")/.."

./scripts/deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build >/dev/null
fi
ninja -C build >/dev/null

sk=build/src/senderkit
zones="--zone examples/example.test.zone --zone examples/mktomail.com.zone"

run() { # expected exit codes (space-separated), then the command
	ok=$1; shift
	printf '\n$ senderkit %s\n' "$*" | sed "s#--zone [^ ]*##g; s/  */ /g"
	rc=0
	# shellcheck disable=SC2086
	"$sk" "$@" || rc=$?
	case " $ok " in
	*" $rc "*) ;;
	*) echo "demo: unexpected exit status $rc" >&2; exit 1 ;;
	esac
}

echo "== Lint the organization's SPF policy (lookup tree, findings)"
# shellcheck disable=SC2086
run "0 1" spf lint example.test $zones
echo
echo "== A policy with problems: ?all, ptr, a lookup chain"
# shellcheck disable=SC2086
run "0 1" spf lint news.example.test $zones
echo
echo "== Evaluate senders (RFC 7208 check_host)"
# shellcheck disable=SC2086
run 0 spf check --ip 192.0.2.25 --mail-from alice@example.test $zones
# shellcheck disable=SC2086
run 0 spf check --ip 199.15.212.10 --mail-from news@example.test \
	--received-spf $zones
# shellcheck disable=SC2086
run 0 spf check --ip 198.51.100.99 --mail-from bob@example.test $zones
echo
echo "== Add Marketo's include to a record (refused past 10 lookups)"
# shellcheck disable=SC2086
run "0 1" spf merge --record "v=spf1 mx ip4:192.0.2.0/24 ~all" \
	--include mktomail.com $zones
# shellcheck disable=SC2086
run "0 1" spf merge example.test --include mktomail.com $zones
echo
echo "demo: done"
