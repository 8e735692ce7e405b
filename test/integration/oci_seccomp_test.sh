#!/usr/bin/env bash
# OCI linux.seccomp applied inside the Sentry: SCMP_ACT_ERRNO with and without errnoRet,
# TRAP and KILL_PROCESS (SIGSYS), an allowlist profile (defaultAction ERRNO), `runsc exec`
# under the same profile, TRACE and bad profiles refused at create, and podman's default
# profile when the host has it. Bundles are built from the host's static busybox.
#
# usage: oci_seccomp_test.sh [--runsc=PATH] [--platform=P] [--busybox=PATH]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
set -u

IDS="s1 s2 s3 s4 s5 s6" PREFIX=seccomp
# shellcheck source=oci_check_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/oci_check_lib.sh"

PODMAN_PROFILE=/usr/share/containers/seccomp.json
B="$work/b"
busybox_rootfs "$B/rootfs" sh echo mkdir chmod touch sync sleep true cat grep

# config SCRIPT PROFILE-PYTHON: config.json running sh -c SCRIPT with linux.seccomp set to
# the Python expression PROFILE-PYTHON.
config() {
	SCRIPT=$1 PROFILE=$2 python3 - "$B/config.json" <<'PY'
import json, os, sys
c = {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
     "process": {"args": ["sh", "-c", os.environ["SCRIPT"]], "env": ["PATH=/bin"],
                 "cwd": "/", "user": {"uid": 0, "gid": 0}},
     "linux": {"seccomp": eval(os.environ["PROFILE"])}}
json.dump(c, open(sys.argv[1], "w"))
PY
}


DENY='{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
 "syscalls": [
  {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
  {"names": ["chmod", "fchmodat", "fchmod"], "action": "SCMP_ACT_ERRNO"},
  {"names": ["sync"], "action": "SCMP_ACT_TRAP"},
  {"names": ["syncfs"], "action": "SCMP_ACT_KILL_PROCESS"},
  {"names": ["no_such_syscall_in_any_kernel"], "action": "SCMP_ACT_KILL"},
  {"names": ["dup2", "dup3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 9,
   "args": [{"index": 1, "value": 100, "op": "SCMP_CMP_EQ"}]}]}'

config '
mkdir /tmp/a 2>/dev/null; echo "mkdir=$?"
mkdir /tmp/a 2>&1 | grep -q "Permission denied" && echo mkdir_eacces
touch /tmp/f; chmod 600 /tmp/f 2>&1 | grep -q "Operation not permitted" && echo chmod_eperm
echo dup-ok 7>&1 >&7
(exec 100>&1) 2>/dev/null; echo "dup100=$?"
sync; echo "trap=$?"
echo alive
' "$DENY"
run s1
out="$work/s1.out"
check run_exits_0 "exit $(cat "$work/s1.rc"): $(cat "$out")" test "$(cat "$work/s1.rc")" -eq 0
has errno_ret_applied "$out" "mkdir=1"
has errno_ret_is_eacces "$out" "mkdir_eacces"
has errno_default_is_eperm "$out" "chmod_eperm"
has arg_condition_allows_other_values "$out" "dup-ok"
has arg_condition_denies_matching_value "$out" "dup100=1"
has trap_is_sigsys "$out" "trap=159"
has shell_survives "$out" "alive"

config 'exec sync -f /' "$DENY"
run s2
check kill_process_is_sigsys "exit $(cat "$work/s2.rc"): $(cat "$work/s2.out")" test "$(cat "$work/s2.rc")" -eq 159

# An allowlist: everything busybox's echo needs, and mkdir refused by default.
ALLOW='{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [{"names": [
 "read", "write", "writev", "exit", "exit_group", "execve", "brk", "mmap", "munmap",
 "mprotect", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64",
 "getuid", "geteuid", "getgid", "getegid", "getpid", "getppid", "getpgrp", "uname",
 "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl", "fcntl", "dup2", "close",
 "newfstatat", "fstat", "stat", "lstat", "getcwd", "wait4", "clone", "fork", "vfork",
 "openat", "open", "access", "faccessat", "faccessat2", "readlink", "sysinfo",
 "getrandom", "prctl", "futex", "statx", "pipe", "pipe2", "dup", "lseek", "poll",
 "getdents64", "sigaltstack"], "action": "SCMP_ACT_ALLOW"}]}'
config 'echo allowed; mkdir /tmp/b 2>&1 | grep -q "Operation not permitted" && echo default_denied' "$ALLOW"
run s3
has allowlist_runs "$work/s3.out" "allowed"
has allowlist_default_errno "$work/s3.out" "default_denied"

# runsc exec runs under the container's profile too.
config 'sleep 100' "$DENY"
(cd "$B" && rs create s4 >"$work/s4.create" 2>&1 && rs start s4 >/dev/null 2>&1)
rs exec s4 sh -c 'mkdir /tmp/x 2>&1 | grep -q "Permission denied" && echo exec_denied' >"$work/s4.out" 2>&1
has exec_under_profile "$work/s4.out" "exec_denied"
rs kill s4 KILL >/dev/null 2>&1
rs delete --force s4 >/dev/null 2>&1

# Refused at create, naming the field; nothing left behind.
config 'true' '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["sync"], "action": "SCMP_ACT_TRACE"}]}'
(cd "$B" && rs create s5 >"$work/s5.out" 2>&1)
rc=$?
check trace_refused "exit $rc: $(cat "$work/s5.out")" test $rc -eq 1
check trace_refused_message "$(cat "$work/s5.out")" grep -q "linux.seccomp.syscalls\[0\].action: .SCMP_ACT_TRACE. is not supported" "$work/s5.out"
check trace_refused_leaves_nothing "left: $(ls "$state" 2>/dev/null)" test ! -e "$state/s5"
config 'true' '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["sync"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "value": 1, "op": "SCMP_CMP_EQ"}]}]}'
(cd "$B" && rs create s5 >"$work/s5.out" 2>&1)
check bad_arg_index_refused "$(cat "$work/s5.out")" grep -q "linux.seccomp.syscalls\[0\].args\[0\].index" "$work/s5.out"
config 'true' '{"defaultAction": "SCMP_ACT_BOGUS"}'
(cd "$B" && rs create s5 >"$work/s5.out" 2>&1)
check bad_default_refused "$(cat "$work/s5.out")" grep -q "linux.seccomp.defaultAction: unknown action" "$work/s5.out"

# podman's default profile (containers-common), as podman passes it.
if [ -r "$PODMAN_PROFILE" ]; then
	config 'echo podman-profile-ok' "json.load(open('$PODMAN_PROFILE'))"
	run s6
	has podman_default_profile_runs "$work/s6.out" "podman-profile-ok"
else
	echo "SKIP podman_default_profile_runs: $PODMAN_PROFILE is missing (containers-common not installed); not counted"
fi

oci_summary
