#!/usr/bin/env bash
# Real programs from the host's Debian userland: each prints under `runsc do` what it
# prints natively (issue: processes, threads and signals).
#
# usage: programs_test.sh [--runsc=PATH] [--platform=P]
# Prints `ok NAME` / `FAIL NAME: why` per program, then `N passed, N failed`.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
RUNSC=$root/build/runsc/runsc
PLATFORM=ptrace
TMO=120
for arg in "$@"; do
	case "$arg" in
	--runsc=*) RUNSC=${arg#*=} ;;
	--platform=*) PLATFORM=${arg#*=} ;;
	*) echo "programs_test.sh: unknown argument \`$arg\`" >&2; exit 2 ;;
	esac
done

passed=0
failed=0
work=$(mktemp -d /tmp/runsc-programs.XXXXXX)
trap 'rm -rf "$work"' EXIT

# same NAME CMD...: stdout+stderr and exit status under runsc equal the native run.
same() {
	local name=$1 wrc grc
	shift
	if ! command -v "$1" >/dev/null; then
		echo "FAIL $name: \`$1\` is not installed"
		failed=$((failed + 1))
		return
	fi
	timeout "$TMO" "$@" >"$work/want" 2>&1 </dev/null
	wrc=$?
	timeout "$TMO" "$RUNSC" --platform="$PLATFORM" do "$@" >"$work/got" 2>&1 </dev/null
	grc=$?
	if [ $wrc -eq $grc ] && cmp -s "$work/want" "$work/got"; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name: exit $grc (native $wrc); output differs:"
		diff "$work/want" "$work/got" | head -15 | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

same bash_script bash "$here/programs/shell.sh"
same find_sort_head sh -c "find /usr/share -name '*.txt' 2>/dev/null | sort | head"
same python_threads_subprocess_pools python3 "$here/programs/threads.py"
same perl_fork_wait perl "$here/programs/fork.pl"
same coreutils_pipeline sh -c 'seq 1 2000 | sort -n | tail -3 | tac; ls -l /usr/bin/env | cut -c1-10; du -s /usr/share/doc >/dev/null && echo du-ok'
same abort_status sh -c 'perl -e "kill q(ABRT), \$\$"; echo "status $?"'
same segv_status sh -c 'python3 -c "import ctypes; ctypes.string_at(0)"; echo "status $?"'

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
