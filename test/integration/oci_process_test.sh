#!/usr/bin/env bash
# OCI process and linux.sysctl: process.user (uid, gid, additionalGids, umask), rlimits,
# oomScoreAdj (inside the sandbox, for `runsc exec`, and on the sandbox's host processes),
# cwd and env; linux.sysctl keys the Sentry owns applied at boot, net.* warned about, a
# non-namespaced key and a bad value refused at create naming the key, leaving nothing.
# Bundles are built from the host's static busybox; config.json is written with python3.
#
# usage: oci_process_test.sh [--runsc=PATH] [--platform=P] [--busybox=PATH]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
set -u

IDS="" PREFIX=process
# shellcheck source=oci_check_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/oci_check_lib.sh"
# Ids name cgroups (/runsc/ID): one set per platform, as the platforms run in parallel.
P1=proc1-$PLATFORM P2=proc2-$PLATFORM P3=proc3-$PLATFORM P4=proc4-$PLATFORM P5=proc5-$PLATFORM
P6=proc6-$PLATFORM
IDS="$P1 $P2 $P3 $P4 $P5 $P6"

B="$work/b"
busybox_rootfs "$B/rootfs" sh id grep cat cut pwd touch stat sleep echo true ionice
mkdir -p "$B/rootfs/work"
chmod 1777 "$B/rootfs/tmp"
chown 1000:1000 "$B/rootfs/work"

# config SCRIPT [PYTHON-EDIT]: config.json running sh -c SCRIPT as uid 1000; PYTHON-EDIT
# may change the dict `c` further.
config() {
	SCRIPT=$1 EDIT=${2:-} python3 - "$B/config.json" <<'PY'
import json, os, sys
c = {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "hostname": "proc",
     "process": {"args": ["sh", "-c", os.environ["SCRIPT"]],
                 "env": ["PATH=/bin", "FOO=bar baz"], "cwd": "/work",
                 "user": {"uid": 1000, "gid": 1000, "additionalGids": [10, 20],
                          "umask": 63},
                 "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}],
                 "oomScoreAdj": 500},
     "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
     "linux": {"sysctl": {"kernel.msgmax": "4096", "kernel/sem": "10 20 30 40",
                          "fs.mqueue.msg_max": "20", "kernel.domainname": "example.org",
                          "kernel.shmmax": "0x100000"}}}
exec(os.environ["EDIT"])
json.dump(c, open(sys.argv[1], "w"))
PY
}

# --- the process: identity, umask, limits, oom_score_adj, cwd, env, sysctls ---
config '
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"
echo "status_groups=$(grep "^Groups:" /proc/self/status | cut -f2)"
echo "umask=$(umask)"
touch /tmp/f && stat -c "file_mode=%a" /tmp/f
echo "nofile=$(ulimit -n) nofile_hard=$(ulimit -Hn)"
echo "oom=$(cat /proc/self/oom_score_adj)"
echo "cwd=$(pwd)"
echo "FOO=$FOO"
echo "msgmax=$(cat /proc/sys/kernel/msgmax)"
echo "sem=$(cat /proc/sys/kernel/sem)"
echo "mq_msg_max=$(cat /proc/sys/fs/mqueue/msg_max)"
echo "shmmax=$(cat /proc/sys/kernel/shmmax)"
echo "domainname=$(cat /proc/sys/kernel/domainname)"
echo 1 >/proc/sys/kernel/msgmax 2>/dev/null; echo "nonroot_sysctl_write=$?"
'
run $P1
out="$work/$P1.out"
check run_exits_0 "exit $(cat "$work/$P1.rc"): $(cat "$out")" test "$(cat "$work/$P1.rc")" -eq 0
has user_ids "$out" "uid=1000 gid=1000 groups=1000 10 20"
check status_groups "$(grep status_groups "$out")" grep -qE "^status_groups=10 20 ?$" "$out"
has umask "$out" "umask=0077"
has umask_applies "$out" "file_mode=600"
has rlimit_nofile "$out" "nofile=512 nofile_hard=1024"
has oom_score_adj_inside "$out" "oom=500"
has cwd "$out" "cwd=/work"
has env "$out" "FOO=bar baz"
has sysctl_msgmax "$out" "msgmax=4096"
has sysctl_sem_slash_key "$out" "sem=10	20	30	40"
has sysctl_mqueue "$out" "mq_msg_max=20"
has sysctl_base0_value "$out" "shmmax=1048576"
has sysctl_domainname "$out" "domainname=example.org"
has sysctl_nonroot_write_refused "$out" "nonroot_sysctl_write=1"

# --- oomScoreAdj on the host: the Sentry and the Gofer; `runsc exec` inside ---
config 'sleep 60'
(cd "$B" && rs create $P2 >"$work/$P2.out" 2>&1)
rc=$?
check create_exits_0 "exit $rc: $(cat "$work/$P2.out")" test $rc -eq 0
pid=$(rs state $P2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
gofer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["gofer_pid"])' "$state/$P2/state.json")
check host_sentry_oom_score_adj "pid $pid: $(cat "/proc/$pid/oom_score_adj" 2>&1)" \
	test "$(cat "/proc/$pid/oom_score_adj" 2>/dev/null)" = 500
check host_gofer_oom_score_adj "pid $gofer: $(cat "/proc/$gofer/oom_score_adj" 2>&1)" \
	test "$(cat "/proc/$gofer/oom_score_adj" 2>/dev/null)" = 500
rs start $P2 >/dev/null 2>&1
# The platform's stub processes (running the container now) are the Sentry's
# children: they inherit it.
stubs=$(cat "/proc/$pid/task/"*/children 2>/dev/null)
bad=""
for s in $stubs; do
	v=$(cat "/proc/$s/oom_score_adj" 2>/dev/null) || continue # gone meanwhile
	[ "$v" = 500 ] || bad="$bad $s=$v"
done
echo "# the Sentry's child processes (platform stubs):" $stubs
check host_stubs_oom_score_adj "stubs:$stubs, not 500:$bad" test -z "$bad"
# Every host process of the sandbox (the Sentry, its stubs and theirs: systrap's stub
# zero forks the others) has an empty root and working directory: a program escaping a
# stub sees no host file.
procs="" todo="$pid"
while [ -n "$todo" ]; do
	p=${todo%% *}
	todo=$(echo ${todo#"$p"} $(cat "/proc/$p/task/"*/children 2>/dev/null))
	procs="$procs $p"
done
bad=""
for s in $procs; do
	[ -e "/proc/$s/root" ] || continue # gone meanwhile
	r=$(ls -A "/proc/$s/root/" 2>&1 | head -3 | tr '\n' ' ')
	c=$(ls -A "/proc/$s/cwd/" 2>&1 | head -3 | tr '\n' ' ')
	[ -z "$r$c" ] || bad="$bad $s(root: $r cwd: $c)"
done
echo "# the sandbox's host processes:" $procs
check host_processes_empty_root "not empty:$bad" test -z "$bad"
echo "exec_oom=$(rs exec $P2 cat /proc/self/oom_score_adj 2>&1)" >"$work/$P2.exec"
has exec_oom_score_adj "$work/$P2.exec" "exec_oom=500"
# `runsc exec` under nice: the process starts at that nice value, as runc's exec child.
want=$(nice -n 5 cut -d" " -f19 /proc/self/stat)
got=$(nice -n 5 timeout --kill-after=5 "$TMO" "$RUNSC" --root "$state" --platform="$PLATFORM" \
	exec $P2 cut -d" " -f19 /proc/self/stat 2>&1)
check exec_nice_inherited "native \`$want\`, exec \`$got\`" test "$want" = "$got"
# `runsc exec --process` with scheduler and ioPriority: applied over the inherited nice.
python3 - "$work/process.json" <<'PY'
import json, sys
json.dump({"args": ["sh", "-c", 'echo "$(cut -d" " -f19,41 /proc/self/stat) $(ionice)"'],
           "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 1000, "gid": 1000},
           "scheduler": {"policy": "SCHED_IDLE"},
           "ioPriority": {"class": "IOPRIO_CLASS_IDLE"}}, open(sys.argv[1], "w"))
PY
got=$(nice -n 5 timeout --kill-after=5 "$TMO" "$RUNSC" --root "$state" --platform="$PLATFORM" \
	exec --process "$work/process.json" $P2 2>&1)
check exec_process_scheduler "got \`$got\`" test "$got" = "5 5 idle"
rs delete --force $P2 >/dev/null 2>&1

# --- process.scheduler and ioPriority: set before the program starts, as runc ---
config 'echo "sched=$(cut -d" " -f19,41 /proc/self/stat) io=$(ionice)"' \
	'c["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7, "flags": ["SCHED_FLAG_RESET_ON_FORK"]}
c["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 3}'
run $P6
# RESET_ON_FORK keeps a positive nice and a normal policy (BATCH, 3) in the children.
has scheduler_applied "$work/$P6.out" "sched=7 3 io=best-effort: prio 3"
config 'true' 'c["process"]["scheduler"] = {"policy": "SCHED_FIFO", "priority": 0}'
(cd "$B" && rs create $P6 >"$work/$P6.out" 2>&1)
rc=$?
check scheduler_bad_priority_refused "exit $rc: $(cat "$work/$P6.out")" test $rc -eq 1
check scheduler_bad_priority_named "$(cat "$work/$P6.out")" grep -q "process.scheduler.priority" "$work/$P6.out"
config 'true' 'c["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 8}'
(cd "$B" && rs create $P6 >"$work/$P6.out" 2>&1)
rc=$?
check io_priority_bad_level_refused "exit $rc: $(cat "$work/$P6.out")" test $rc -eq 1
check io_priority_bad_level_named "$(cat "$work/$P6.out")" grep -q "process.ioPriority.priority" "$work/$P6.out"
rs delete --force $P6 >/dev/null 2>&1

# --- net.* sysctls: one warning naming the key, and the container runs ---
config 'echo ran' 'c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}'
run $P3
check net_sysctl_runs "exit $(cat "$work/$P3.rc"): $(cat "$work/$P3.out")" test "$(cat "$work/$P3.rc")" -eq 0
check net_sysctl_warned "$(cat "$work/$P3.out")" grep -q "linux.sysctl: .net.ipv4.ip_forward.*ignored" "$work/$P3.out"

# --- refused at create: a non-namespaced key, a bad value; nothing left behind ---
config 'true' 'c["linux"]["sysctl"] = {"kernel.msgmax": "100", "vm.swappiness": "10"}'
(cd "$B" && rs create $P4 >"$work/$P4.out" 2>&1)
rc=$?
check non_namespaced_refused "exit $rc: $(cat "$work/$P4.out")" test $rc -eq 1
check non_namespaced_names_key "$(cat "$work/$P4.out")" grep -q "linux.sysctl: .vm.swappiness. is not a namespaced sysctl" "$work/$P4.out"
check non_namespaced_leaves_nothing "left: $(ls "$state" 2>/dev/null)" test ! -e "$state/$P4"
config 'true' 'c["linux"]["sysctl"] = {"kernel.msgmax": "lots"}'
(cd "$B" && rs create $P5 >"$work/$P5.out" 2>&1)
rc=$?
check bad_value_refused "exit $rc: $(cat "$work/$P5.out")" test $rc -eq 1
check bad_value_names_key "$(cat "$work/$P5.out")" grep -q "kernel.msgmax.*lots" "$work/$P5.out"
check bad_value_leaves_nothing "left: $(ls "$state" 2>/dev/null)" test ! -e "$state/$P5"
# No Gofer serving this bundle is left (a failed create kills the Sentry with it).
left=$(pgrep -af -- "$work/" | grep -v "oci_process_test")
check bad_value_no_process_left "still running: $left" test -z "$left"

oci_summary
