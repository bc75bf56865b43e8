#!/bin/sh
# Report ingest benchmark (not part of the test suite): `senderkit reports
# ingest --offline` over a generated corpus of plain XML aggregate reports
# (default 1 GB, under bench/out/, reused between runs), beside a bare
# expat parse of the same bytes, Debian's dmarc-cat and
# dmarcts-report-parser (storing into a private MariaDB server that
# bench.py starts on a unix socket in a temporary directory, networking
# off, and stops by pid); no network.
#   bench/reports/run.sh [--mb MB] [--peer-mb MB] [--seed N] [--repeat N]
# Report: bench/out/reports-<date>.md
set -eu
cd "$(dirname "$0")/../.."
./scripts/deps.sh
# The peers and the measuring tools, in the bench only.
need=""
[ -x /usr/bin/time ] || need="$need time"
command -v dmarc-cat >/dev/null 2>&1 || need="$need dmarc-cat"
command -v dmarcts-report-parser >/dev/null 2>&1 ||
    need="$need dmarcts-report-parser"
[ -f /usr/include/expat.h ] || need="$need libexpat1-dev"
# dmarcts-report-parser's store (bench only, never scripts/deps.sh).
[ -x /usr/sbin/mariadbd ] || need="$need mariadb-server"
command -v cc >/dev/null 2>&1 || need="$need gcc"
if [ -n "$need" ]; then
	echo "bench: installing$need"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need \
	    >/dev/null || echo "bench: could not install$need" >&2
fi
. bench/lib.sh
bench_build src/senderkit
mkdir -p bench/out
REPORTS_BENCH_CMD="bench/reports/run.sh $*" \
    exec /usr/bin/python3 bench/reports/bench.py --senderkit build/src/senderkit \
    "$@"
