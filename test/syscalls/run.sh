#!/usr/bin/env bash
# Run the syscall suite natively (which proves each test), then under each runsc platform.
#
# usage: test/syscalls/run.sh [--build=DIR] [--tests=DIR] [--runsc=PATH]
#                             [--platform=P ...] [--native-only] [--timeout=SECS] [NAME...]
#
# DIR defaults to build/ at the repository root; --tests defaults to DIR/test/syscalls
# and --runsc to DIR/runsc/runsc. Platforms default to ptrace. NAMEs (e.g. pipe_test)
# restrict the run. The last line is always `N passed, N failed`, counting one result per
# test and platform (per test with --native-only); a test that fails natively is BROKEN
# and counts as failed on every platform, since the sandbox cannot be judged by it.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build"
tests_dir=""
runsc=""
platforms=()
native_only=0
timeout_s=120
names=()

for arg in "$@"; do
	case "$arg" in
	--build=*) build=${arg#*=} ;;
	--tests=*) tests_dir=${arg#*=} ;;
	--runsc=*) runsc=${arg#*=} ;;
	--platform=*) platforms+=("${arg#*=}") ;;
	--native-only) native_only=1 ;;
	--timeout=*) timeout_s=${arg#*=} ;;
	-h | --help) sed -n '2,11p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option \`$arg\`" >&2; exit 2 ;;
	*) names+=("$arg") ;;
	esac
done
[ -n "$tests_dir" ] || tests_dir="$build/test/syscalls"
[ -n "$runsc" ] || runsc="$build/runsc/runsc"
[ ${#platforms[@]} -gt 0 ] || platforms=(ptrace)

passed=0
failed=0
logdir=$(mktemp -d /tmp/runsc-syscalls-log-XXXXXX)
trap 'rm -rf "$logdir"' EXIT

if [ ! -d "$tests_dir" ]; then
	echo "run.sh: no test directory \`$tests_dir\` (build the syscall_tests target)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
if [ $native_only -eq 0 ] && [ ! -x "$runsc" ]; then
	echo "run.sh: no runsc binary at \`$runsc\` (use --runsc=PATH or --native-only)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

bins=()
if [ ${#names[@]} -gt 0 ]; then
	for n in "${names[@]}"; do bins+=("$tests_dir/${n%.c}"); done
else
	for b in "$tests_dir"/*_test; do [ -x "$b" ] && bins+=("$b"); done
fi
if [ ${#bins[@]} -eq 0 ]; then
	echo "run.sh: no *_test binaries in \`$tests_dir\`" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# run LOG CMD...: run with a timeout, output to LOG; returns the exit status.
run() {
	local log=$1
	shift
	timeout --kill-after=5 "$timeout_s" "$@" >"$log" 2>&1 </dev/null
}

# show_failures LOG: the failing cases and any crash text, indented.
show_failures() {
	local lines
	lines=$(grep -E '^(FAIL|  )' "$1" | head -20)
	[ -n "$lines" ] || lines=$(tail -5 "$1")
	[ -z "$lines" ] || printf '%s\n' "$lines" | sed 's/^/    /'
}

# Every platform results in one count, so a broken test weighs as much as a sandbox bug.
nplat=${#platforms[@]}
[ $native_only -eq 1 ] && nplat=1

for bin in "${bins[@]}"; do
	name=$(basename "$bin")
	nlog="$logdir/$name.native"
	if [ ! -x "$bin" ]; then
		echo "BROKEN $name: no binary at $bin"
		failed=$((failed + nplat))
		continue
	fi
	wrap=()
	case "$name" in *_host_test) wrap=("$here/with_host_files.sh") ;; esac
	run "$nlog" ${wrap[@]+"${wrap[@]}"} "$bin"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "BROKEN $name: fails natively (exit $rc), the test itself is wrong"
		show_failures "$nlog"
		failed=$((failed + nplat))
		continue
	fi
	if [ $native_only -eq 1 ]; then
		echo "ok native/$name"
		passed=$((passed + 1))
		continue
	fi
	for p in "${platforms[@]}"; do
		plog="$logdir/$name.$p"
		run "$plog" ${wrap[@]+"${wrap[@]}"} "$runsc" --platform="$p" do "$bin"
		rc=$?
		if [ $rc -eq 0 ]; then
			echo "ok $p/$name"
			passed=$((passed + 1))
		else
			[ $rc -eq 124 ] && why="timed out after ${timeout_s}s" || why="exit $rc"
			echo "FAIL $p/$name: $why"
			show_failures "$plog"
			failed=$((failed + 1))
		fi
	done
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
