#!/bin/sh
# The test command (README "Quick start"): installs what is missing, then
# builds and runs every test twice, first with gcc (warnings are errors),
# then with clang under AddressSanitizer + UndefinedBehaviorSanitizer
# (that build also holds the libFuzzer targets, each run for a short smoke
# run).  Prints "N passed, N failed" and exits non-zero on any failure or
# when no test ran.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

./scripts/deps.sh

FUZZ_SECONDS=${FUZZ_SECONDS:-10}
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"

configure() { # dir, then meson options
	dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}

echo "== build 1/2: gcc, -Werror"
CC=gcc configure build --werror
ninja -C build
rm -f build/meson-logs/*.json build-asan/meson-logs/*.json # no stale counts
echo "== tests 1/2"
meson test -C build --print-errorlogs --num-processes 2 || true
echo "== unit, conformance and corpus replays under valgrind (leaks fail)"
meson test -C build --setup valgrind --print-errorlogs \
	--num-processes 2 --suite unit --suite conformance \
	--suite fuzz-replay --logbase valgrind || true

echo "== build 2/2: clang, ASan + UBSan, libFuzzer targets"
CC=clang configure build-asan --werror -Db_sanitize=address,undefined \
	-Db_lundef=false -Dfuzzing=true -Dbuildtype=debug -Doptimization=1
ninja -C build-asan
echo "== tests 2/2 (sanitizers)"
meson test -C build-asan --print-errorlogs --num-processes 2 \
	--timeout-multiplier 3 || true

echo "== fuzz smoke runs (${FUZZ_SECONDS}s each)"
fuzz_pass=0; fuzz_fail=0
mkdir -p build-asan/fuzz-smoke
for t in build-asan/fuzz/fuzz_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	name=$(basename "$t")
	corpus="$top/fuzz/corpus/${name#fuzz_}"
	work="build-asan/fuzz-smoke/$name"
	rm -rf "$work"; mkdir -p "$work"
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
	if "$t" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=0 \
		-artifact_prefix="build-asan/fuzz-smoke/$name-" "$work" \
		>"$work.log" 2>&1; then
		echo "ok   $name"
		fuzz_pass=$((fuzz_pass + 1))
	else
		echo "FAIL $name (log: $work.log)"; tail -30 "$work.log"
		fuzz_fail=$((fuzz_fail + 1))
	fi
done

/usr/bin/python3 scripts/count-tests.py build/meson-logs/testlog.json \
	build/meson-logs/valgrind-valgrind.json \
	build-asan/meson-logs/testlog.json \
	--extra-passed "$fuzz_pass" --extra-failed "$fuzz_fail"
