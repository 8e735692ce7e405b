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

# needs NAME PROGRAM...: true if each PROGRAM is installed, else a loud failure of NAME
# (scripts/setup.sh installs them; a missing one is never a silent pass).
needs() {
	local name=$1 p
	shift
	for p in "$@"; do
		if ! command -v "$p" >/dev/null; then
			echo "FAIL $name: \`$p\` is not installed (scripts/setup.sh installs it)"
			failed=$((failed + 1))
			return 1
		fi
	done
}

# same NAME CMD...: stdout+stderr and exit status under runsc equal the native run.
# With NATIVE_MUST_PASS set, a failing native run fails the test (a missing package
# would otherwise fail the same way twice and compare equal).
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
	if [ -n "${NATIVE_MUST_PASS:-}" ] && [ $wrc -ne 0 ]; then
		echo "FAIL $name: the native run itself failed (exit $wrc), nothing to compare:"
		head -5 "$work/want" | sed 's/^/    /'
		failed=$((failed + 1))
		return
	fi
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

# Issue 5's programs: files (tar, sqlite3, git, venv) and pseudo-terminals. Each script
# works in a directory of its own that it removes again, so the sandboxed run starts
# from the same (absent) state as the native one. A pts number is the host's business.
pts='s|/dev/pts/[0-9]*|/dev/pts/N|'
NATIVE_MUST_PASS=1
same tar_gzip_usr_share_doc bash "$here/programs/tar.sh" "$work/tar"
needs sqlite3_10000_rows sqlite3 &&
	same sqlite3_10000_rows bash "$here/programs/sqlite.sh" "$work/sqlite"
needs git_init_commit git && same git_init_commit bash "$here/programs/git.sh" "$work/git"
needs python3_venv /usr/bin/python3 && same python3_venv bash "$here/programs/venv.sh" "$work/venv"
needs script_pty script &&
	same script_pty sh -c "script -qc 'tty; stty -a' /dev/null | sed '$pts'"
same python3_pty_spawn sh -c "/usr/bin/python3 -c 'import pty; pty.spawn([\"/bin/sh\", \"-c\", \"tty; stty -g; ps -o stat= -p \$\$\"])' | sed '$pts'"
needs bash_job_control_tty script &&
	same bash_job_control_tty sh -c "script -qc 'bash --norc $here/programs/jobctl.sh 2>/dev/null' /dev/null"
same python3_xattrs /usr/bin/python3 "$here/programs/xattr.py" "$work/xattr"
same resource_limits sh -c 'ulimit -a'
same dd_dev_zero_1m_records sh -c 'dd if=/dev/zero bs=1M count=20 2>/dev/null | gzip -1 | gzip -d | wc -c'
# ionice: I/O priorities recorded and reported as Linux reports them (ioprio_set/get).
needs ionice ionice &&
	same ionice sh -c 'ionice; ionice -c2 -n5 -p $$; ionice -p $$; ionice -c3 ionice; ionice -c1 -n2 ionice'
# fio's libaio engine: native AIO (io_submit/io_getevents and the ring read in user space).
needs fio_libaio_verify fio && same fio_libaio_verify bash "$here/programs/fio.sh" "$work/fio"

# A sandbox started under nice runs its init at that nice value, as a container under runc.
want=$(nice -n 4 nice 2>&1)
got=$(nice -n 4 timeout "$TMO" "$RUNSC" --platform="$PLATFORM" do nice 2>&1 </dev/null)
if [ "$want" = "$got" ]; then
	echo "ok nice_inherited"
	passed=$((passed + 1))
else
	echo "FAIL nice_inherited: native \`$want\`, sandbox \`$got\`"
	failed=$((failed + 1))
fi

# CPUs as lscpu and libc see them: /sys topology, caches, nodes and vulnerabilities from
# the host's view at boot. MHz lines are read live natively and at boot in the sandbox.
same cpu_counts sh -c 'nproc; getconf _NPROCESSORS_ONLN; getconf _NPROCESSORS_CONF'
needs lscpu lscpu &&
	same lscpu sh -c "lscpu | grep -v MHz; lscpu -p=CPU,CORE,SOCKET,NODE,CACHE"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
