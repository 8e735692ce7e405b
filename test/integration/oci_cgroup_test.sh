#!/usr/bin/env bash
# OCI cgroup mount: config.json's `cgroup` mount at /sys/fs/cgroup (as podman and
# containerd write it) shows the sandbox's cgroup v2 hierarchy: linux.resources as the
# root's limits (pids.max, memory.max, cpu.max, cpu.weight), the sandbox's usage, `0::/`
# in /proc/self/cgroup, read-only when the mount is ro, pids.max enforced at fork, and
# `runsc update --resources` shown inside the running container at once.
#
# usage: oci_cgroup_test.sh [--runsc=PATH] [--platform=P] [--busybox=PATH]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
set -u

IDS="c1 c2 c3" PREFIX=cgroup
# shellcheck source=oci_check_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/oci_check_lib.sh"

B="$work/b"
busybox_rootfs "$B/rootfs" sh echo cat ls mkdir grep sleep true
mkdir -p "$B/rootfs/proc" "$B/rootfs/sys"

# config SCRIPT RO PIDS: config.json running sh -c SCRIPT with a cgroup mount (read-only
# when RO is 1) and memory, cpu and pids (PIDS, none when 0) limits.
config() {
	SCRIPT=$1 RO=$2 PIDS=$3 python3 - "$B/config.json" <<'PY'
import json, os, sys
opts = ["nosuid", "noexec", "nodev", "relatime"] + (["ro"] if os.environ["RO"] == "1" else ["rw"])
c = {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "hostname": "cgroup",
     "process": {"args": ["sh", "-c", os.environ["SCRIPT"]], "env": ["PATH=/bin"],
                 "cwd": "/", "user": {"uid": 0, "gid": 0}},
     "mounts": [
         {"destination": "/proc", "type": "proc", "source": "proc"},
         {"destination": "/sys", "type": "sysfs", "source": "sysfs",
          "options": ["nosuid", "noexec", "nodev", "ro"]},
         {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
          "options": opts}],
     "linux": {"resources": {"memory": {"limit": 268435456},
                             "cpu": {"shares": 512, "quota": 50000, "period": 100000},
                             }}}
if os.environ["PIDS"] != "0":
    c["linux"]["resources"]["pids"] = {"limit": int(os.environ["PIDS"])}
json.dump(c, open(sys.argv[1], "w"))
PY
}

# --- podman's read-only mount: the limits, usage, /proc/self/cgroup ---
config '
cd /sys/fs/cgroup
echo "pids.max=$(cat pids.max)"
echo "memory.max=$(cat memory.max)"
echo "cpu.max=$(cat cpu.max)"
echo "cpu.weight=$(cat cpu.weight)"
echo "controllers=$(cat cgroup.controllers)"
echo "self=$(cat /proc/self/cgroup)"
[ "$(cat pids.current)" -ge 1 ] && echo pids_current_counts
[ "$(cat memory.current)" -gt 0 ] && echo memory_current_counts
grep -q "^usage_usec [0-9]" cpu.stat && echo cpu_stat
grep -q "^[0-9]*$" cgroup.procs && echo procs_listed
grep " /sys/fs/cgroup " /proc/self/mountinfo | grep -q " ro,.* - cgroup2 " && echo mountinfo_ro_cgroup2
mkdir /sys/fs/cgroup/x 2>&1 | grep -q "Read-only file system" && echo mkdir_erofs
echo 1 2>&1 >cgroup.procs | grep -q "Read-only file system" && echo write_erofs
' 1 50
run c1
out="$work/c1.out"
check run_exits_0 "exit $(cat "$work/c1.rc"): $(cat "$out")" test "$(cat "$work/c1.rc")" -eq 0
has pids_max_is_the_limit "$out" "pids.max=50"
has memory_max_is_the_limit "$out" "memory.max=268435456"
has cpu_max_is_quota_period "$out" "cpu.max=50000 100000"
has cpu_weight_from_shares "$out" "cpu.weight=20"
has controllers_listed "$out" "controllers=cpu memory pids"
has proc_self_cgroup_root "$out" "self=0::/"
has pids_current_counts "$out" "pids_current_counts"
has memory_current_counts "$out" "memory_current_counts"
has cpu_stat_usage "$out" "cpu_stat"
has cgroup_procs_listed "$out" "procs_listed"
has mountinfo_ro_cgroup2 "$out" "mountinfo_ro_cgroup2"
has ro_mount_mkdir_erofs "$out" "mkdir_erofs"
has ro_mount_write_erofs "$out" "write_erofs"

# --- a writable mount: child cgroups, pids enabled below the root, pids.max enforced by
# the Sentry at fork (a subshell forks until refused; its sleeps stay, so 5 remain) ---
config '
cd /sys/fs/cgroup
mkdir child && echo $$ >child/cgroup.procs && echo "self=$(cat /proc/self/cgroup)"
echo "child_procs=$(cat child/cgroup.procs)"
echo +pids >cgroup.subtree_control && echo "subtree=$(cat cgroup.subtree_control)"
echo 6 >child/pids.max
(for i in 1 2 3 4 5 6 7 8; do sleep 3 & done) 2>/dev/null
read n <child/pids.current; echo "pids.current=$n"
read e <child/pids.events; echo "pids.events=$e"
' 0 0
run c2
out="$work/c2.out"
check run2_exits_0 "exit $(cat "$work/c2.rc"): $(cat "$out")" test "$(cat "$work/c2.rc")" -eq 0
has child_cgroup_joined "$out" "self=0::/child"
check child_procs_lists_shell "$(cat "$out")" grep -q "^child_procs=1$" "$out"
has subtree_control_enabled "$out" "subtree=pids"
has pids_limit_stops_forks "$out" "pids.current=5"
has pids_events_counts_refusals "$out" "pids.events=max 1"

# --- runsc update: the running container's cgroupfs shows the new limits at once, a
# small pids.max is enforced inside (the container's sh and sleep and the exec'd shell
# are 3 of the 4 it allows: one more fork runs, the next is refused) while the sandbox
# still serves requests (the host cgroup has room for the runtime's own threads), absent
# keys are kept, -1 is "max" ---
config 'echo up; sleep 1000' 1 50
(cd "$B" && rs create c3 >"$work/c3.out" 2>&1 </dev/null)
rs start c3
limits() { rs exec c3 sh -c 'cd /sys/fs/cgroup; echo $(cat memory.max pids.max cpu.max)'; }
out=$(limits)
check update_before "$out" test "$out" == "268435456 50 50000 100000"
echo '{"memory":{"limit":134217728},"pids":{"limit":4},"cpu":{"quota":20000,"period":50000}}' |
	rs update --resources - c3 >"$work/out" 2>&1
check update_exits_0 "$(cat "$work/out")" test $? -eq 0
out=$(limits)
check update_shown_inside "$out" test "$out" == "134217728 4 20000 50000"
out=$(rs exec c3 sh -c '(sleep 1 & sleep 1 & wait) 2>&1; echo done' 2>&1)
check update_pids_enforced "$out" grep -q "can't fork" <<<"$out"
echo '{"pids":{"limit":-1}}' | rs update --resources - c3 >"$work/out" 2>&1
out=$(limits)
check update_keeps_absent_keys "$out" test "$out" == "134217728 max 20000 50000"
rs delete --force c3 >/dev/null 2>&1

oci_summary
