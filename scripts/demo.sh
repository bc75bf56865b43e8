#!/bin/sh
# The README's "main job" demo: installs what is missing, builds senderkit,
# then audits the example organization (examples/acme/acme.conf: Acme on
# Adobe Marketo Engage) against what its zone files publish, and prints the
# plan of records to publish -- no network is used (zone-file DNS backend,
# examples/acme/zones/).  The zones are part-done on purpose, so the audit
# shows passing and failing checks (exit 1: errors found).
set -eu
cd "$(dirname "$0")/.."

./scripts/deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build >/dev/null
fi
ninja -C build >/dev/null

sk=build/src/senderkit
conf=examples/acme/acme.conf
acme=""
for z in examples/acme/zones/*.zone; do
	acme="$acme --zone $z"
done
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

echo "== The main job: audit Acme's Marketo setup (what is published vs"
echo "== what the Marketo profile and Acme's config need)"
# shellcheck disable=SC2086
run 1 audit --config "$conf" $acme
echo
echo "== Every record to publish, as a diff against what is published"
# shellcheck disable=SC2086
run "0 1" plan --config "$conf" $acme
echo
echo "== The same plan as an nsupdate script (RFC 2136)"
# shellcheck disable=SC2086
run "0 1" plan --config "$conf" --format nsupdate $acme
echo
echo "== Under the hood: the SPF engine on another example zone"
# shellcheck disable=SC2086
run "0 1" spf lint example.test $zones
# shellcheck disable=SC2086
run "0 1" spf lint news.example.test $zones
# shellcheck disable=SC2086
run 0 spf check --ip 199.15.212.10 --mail-from news@example.test \
	--received-spf $zones
# shellcheck disable=SC2086
run "0 1" spf merge example.test --include mktomail.com $zones
echo
echo "demo: done"
