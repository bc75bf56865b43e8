# bench/lib.sh - sourced by the bench/*/run.sh scripts, from the top
# directory: builds what a benchmark runs (the meson build dir `build`).

# bench_build TARGET...: set up `build` if need be and build the ninja
# targets; on failure the last 30 lines of ninja's output and exit 1.
bench_build() {
	[ -f build/build.ninja ] || meson setup build >/dev/null
	out=$(ninja -C build "$@" 2>&1) || {
		printf '%s\n' "$out" | tail -n 30 >&2
		echo "bench: building $* failed" >&2
		exit 1
	}
}
