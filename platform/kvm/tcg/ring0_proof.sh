#!/usr/bin/env bash
# ring0_proof.sh: the ring-0 mode proven with the whole Sentry (issue 7, step 6). Links a
# static runsc from BUILD_DIR's libraries, boots it under QEMU's emulated SVM (run.sh) and
# runs there, with --platform=kvm --kvm-mode=ring0:
#   - each syscall test named (default: a slice of processes, signals, memory, files);
#   - getpid_loop with 0 and with 10,000 calls under --debug: the VM exits the platform
#     counts (its "platform kvm stats" line) must not grow with the calls (exit per trap
#     would add 10,000).
# usage: ring0_proof.sh BUILD_DIR [TEST...]   (CTest: kvm-svm/ring0)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: ring0_proof.sh BUILD_DIR [TEST...]}" && pwd)
shift
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(fork_wait_test exit_status_test thread_test exec_test
	signal_test kill_test mmap_test mm_cow_test brk_test open_test read_write_test pipe_test
	stat_test)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
die() { echo "kvm-svm/ring0: FAIL: $*" >&2; exit 1; }

gcc -O2 "$build/runsc/CMakeFiles/runsc.dir/main.c.o" "$build/runsc/librunsc_cli.a" \
	"$build/sentry/librunsc_sentry.a" "$build/gofer/librunsc_gofer.a" \
	"$build/platform/librunsc_platform.a" "$build/gofer/librunsc_p9.a" \
	"$build/lib/librunsc_lib.a" -static -lseccomp -ljansson -luring -lpthread \
	-o "$work/runsc" 2> "$work/link.log" || { cat "$work/link.log"; die "linking a static runsc"; }
gcc -O2 -static "$here/getpid_loop.c" -o "$work/getpid_loop" || die "building getpid_loop"
files="$work/runsc $work/getpid_loop"
for t in "${tests[@]}"; do
	[ -x "$build/test/syscalls/$t" ] || die "no $build/test/syscalls/$t (build syscall_tests)"
	files="$files $build/test/syscalls/$t"
done

# The guest's part: busybox sh inside the TCG guest.
{
	echo '#!/bin/busybox sh'
	echo 'fails=0; R="/bin/runsc --platform=kvm --kvm-mode=ring0"'
	echo 'mkdir -p /tmp; cd /tmp'
	# SIGKILL: runsc do forwards SIGTERM to the sandbox's pid 1, which ignores it (as
	# under runc), so a stuck test would hold the whole proof until QEMU's limit.
	echo 'run1() { timeout -s KILL 120 $R do /bin/$1 > /tmp/out 2>&1; }'
	echo "for t in ${tests[*]}; do"
	echo '	if run1 $t; then echo "ring0 test PASS $t"'
	echo '	else echo "ring0 test FAIL $t"; tail -15 /tmp/out; fails=$((fails+1)); fi'
	echo 'done'
	# Through a file, not a pipe: a Sentry left behind by the kill would hold a pipe open.
	echo 'exits() { timeout -s KILL 120 $R --debug do /bin/getpid_loop $1 > /tmp/ex 2>&1
		sed -n "s/.*platform kvm stats: \(kvm exits: \([0-9]*\).*\)/\2 \1/p" /tmp/ex | tail -1; }'
	echo 'a=$(exits 0); b=$(exits 10000)'
	echo 'echo "ring0 getpid: 0 calls: ${a#* }"; echo "ring0 getpid: 10000 calls: ${b#* }"'
	echo 'n0=${a%% *}; n1=${b%% *}'
	echo 'if [ -z "$n0" ] || [ -z "$n1" ] || [ $((n1 - n0)) -ge 1000 ]; then'
	echo '	echo "ring0 getpid FAIL: exits $n0 -> $n1"; tail -15 /tmp/ex; fails=$((fails+1))'
	echo 'else echo "ring0 getpid: 10000 calls added $((n1 - n0)) exits"; fi'
	echo 'echo "ring0 proof: $fails failures"; [ $fails = 0 ]'
} > "$work/ring0_guest"
chmod +x "$work/ring0_guest"
KVM_TCG_FILES="$files" KVM_TCG_ONLY=1 KVM_TCG_MEM=1024 KVM_TCG_TIMEOUT=${KVM_TCG_TIMEOUT:-780} \
	"$here/run.sh" "$build" "$work/ring0_guest"
