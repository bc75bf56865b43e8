#!/bin/sh
# Audit benchmark (not part of the test suite): `senderkit audit --domains`
# over 10,000 generated domains against NSD on 127.0.0.1, for --jobs 8, 32
# and 64, beside dnsperf's ceiling on the same server with the same
# question mix.  Loopback only.  A few minutes.
#   bench/audit/run.sh [--domains N] [--jobs 8,32,64] [--repeat N]
#                      [--dnsperf-seconds S] [--nsd-servers N] [--keep]
# Report: bench/out/audit-<date>.md
set -eu
cd "$(dirname "$0")/../.."
./scripts/deps.sh
. bench/lib.sh
bench_build src/senderkit
mkdir -p bench/out
AUDIT_BENCH_CMD="bench/audit/run.sh $*" \
    exec /usr/bin/python3 bench/audit/bench.py --senderkit build/src/senderkit \
    "$@"
