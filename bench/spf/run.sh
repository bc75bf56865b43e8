#!/bin/sh
# SPF benchmark (not part of the test suite): senderkit vs spfquery (libspf2)
# vs pyspf, and dnsperf's ceiling, all against one NSD on 127.0.0.1.
# Needs root for spfquery (a private resolv.conf via `unshare -m`; the
# host's /etc/resolv.conf is never touched).  About 2-3 minutes.
#   bench/spf/run.sh [--pairs N] [--peer-seconds S] [--keep]
# Report: bench/out/spf-<date>.md
set -eu
cd "$(dirname "$0")/../.."
./scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build src/senderkit >/dev/null
exec /usr/bin/python3 bench/spf/bench.py --senderkit build/src/senderkit "$@"
