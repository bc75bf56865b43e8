#!/bin/sh
# DKIM verification benchmark (not part of the test suite): senderkit
# (the library through bench/dkim/bench_verify.c, and `dkim verify
# --batch`) vs dkimpy vs OpenDKIM, with openssl speed's rsa2048 verify/s
# as the ceiling; keys from NSD on 127.0.0.1.
# OpenDKIM only asks port 53: it runs in a private namespace (`unshare
# -mn`, needs root) with its own NSD; the host's resolv.conf is not touched.
#   bench/dkim/run.sh [--small N] [--large N] [--peer-small N]
#                     [--lib-seconds S] [--inflight K,K] [--keep]
# Report: bench/out/dkim-<date>.md
set -eu
cd "$(dirname "$0")/../.."
./scripts/deps.sh
. bench/lib.sh
bench_build src/senderkit
# The library-level benchmark: bench/dkim/bench_verify.c linked against
# the shared library (not a meson target, not in the test suite).
bench_build libsenderkit.so.0.1.0
${CC:-cc} -std=c17 -O2 -Wall -Wextra -D_GNU_SOURCE -Iinclude \
    bench/dkim/bench_verify.c -o build/bench_dkim_verify \
    -Lbuild -lsenderkit -Wl,-rpath,"$PWD/build"
DKIM_BENCH_CMD="bench/dkim/run.sh $*" \
    exec /usr/bin/python3 bench/dkim/bench.py --senderkit build/src/senderkit \
    --bench-verify build/bench_dkim_verify "$@"
