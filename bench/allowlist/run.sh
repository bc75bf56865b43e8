#!/bin/sh
# `allowlist check` benchmark (not part of the test suite): 1,000,000
# random addresses against data/profiles/marketo.ini, through the library
# path (sk_allowlist_lookup: binary search of the aggregated set) beside a
# naive linear scan over the profile's blocks; both must agree address by
# address.  Then the CLI end to end: `senderkit allowlist check -` reading
# the same number of addresses from standard input.
#   bench/allowlist/run.sh [--n N] [--rounds R] [--inside PCT] [--v6 PCT]
# Report: bench/out/allowlist-<date>.md (and the JSON line on stdout).
set -eu
cd "$(dirname "$0")/../.."
. bench/lib.sh
bench_build src/senderkit libsenderkit_internal.a
# Linked against the library archive the CLI uses (same objects as
# libsenderkit.so), with its dependencies.
# shellcheck disable=SC2046
${CC:-cc} -std=c17 -O2 -Wall -Wextra -D_GNU_SOURCE -Iinclude \
    bench/allowlist/bench_allowlist.c -o build/bench_allowlist \
    build/libsenderkit_internal.a \
    $(pkg-config --libs libcares ldns libcrypto libpsl) -lm
profile=data/profiles/marketo.ini
mkdir -p bench/out
report=bench/out/allowlist-$(date +%Y-%m-%d).md
json=$(build/bench_allowlist "$@" "$profile" 2>build/bench_allowlist.txt)
# The same with 1,000 more blocks: how each way scales with list length.
json2=$(build/bench_allowlist "$@" --extra 1000 "$profile" \
    2>>build/bench_allowlist.txt)
cat build/bench_allowlist.txt >&2
# The CLI: 1,000,000 text addresses (half inside, as above) on stdin.
n=1000000
python3 - "$n" > build/bench_allowlist.in <<'PY'
import ipaddress, random, sys
random.seed(7)
blocks = [ipaddress.ip_network(b) for b in (
    "94.236.119.0/26 103.237.104.0/22 130.248.172.0/24 130.248.173.0/24 "
    "130.248.244.88/29 185.28.196.0/22 192.28.144.0/20 192.28.160.0/19 "
    "199.15.212.0/22").split()]
out = []
for i in range(int(sys.argv[1])):
    if i % 2:
        b = random.choice(blocks)
        out.append(str(b[random.randrange(b.num_addresses)]))
    else:
        out.append(str(ipaddress.IPv4Address(random.getrandbits(32))))
print("\n".join(out))
PY
t0=$(date +%s%N)
rc=0
build/src/senderkit allowlist check --profile "$profile" - \
    < build/bench_allowlist.in > build/bench_allowlist.out || rc=$?
t1=$(date +%s%N)
[ "$rc" -le 1 ] || { echo "bench: allowlist check failed ($rc)" >&2; exit 1; }
cli=$(( (t1 - t0) / 1000000 ))
inside=$(grep -vc '  outside$' build/bench_allowlist.out || true)
{
	echo "# allowlist check benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "Command: bench/allowlist/run.sh $*"
	echo
	echo '```'
	cat build/bench_allowlist.txt
	echo '```'
	echo
	echo "CLI: senderkit allowlist check - over $n addresses from stdin:"
	echo "$cli ms wall (output lines not outside: $inside)."
	echo
	echo "JSON: $json"
	echo "JSON (--extra 1000): $json2"
} > "$report"
echo "$json"
echo "$json2"
echo "bench: CLI end to end: $n addresses in $cli ms" >&2
echo "bench: report in $report" >&2
