#!/bin/sh
# SPF benchmark (not part of the test suite): senderkit vs spfquery (libspf2)
# vs pyspf, and dnsperf's ceiling, against NSD on 127.0.0.1, directly
# (0 ms) and behind bench/dnsdelay.c holding each response 1 ms.
# Needs root for spfquery (a private resolv.conf via `unshare -m`; the
# host's /etc/resolv.conf is never touched).  About 2 minutes.
#   bench/spf/run.sh [--pairs N] [--rtt-ms 0,1] [--rtt-peer-pairs N]
#                    [--concurrency LIST] [--repeat N] [--peer-seconds S] [--keep]
# Report: bench/out/spf-<date>.md
set -eu
cd "$(dirname "$0")/../.."
./scripts/deps.sh
. bench/lib.sh
bench_build src/senderkit
mkdir -p bench/out
# kept out of the main build: a bench tool, not part of senderkit
cc -O2 -Wall -Wextra -Werror -o bench/out/dnsdelay bench/dnsdelay.c
SPF_BENCH_CMD="bench/spf/run.sh $*" \
    exec /usr/bin/python3 bench/spf/bench.py --senderkit build/src/senderkit \
    --dnsdelay bench/out/dnsdelay "$@"
