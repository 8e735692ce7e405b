#!/usr/bin/env bash
# containerd drives runsc through its runc.v2 shim (`ctr run --runc-binary runsc`, i.e. the
# shim option BinaryName): run --rm, exit codes, -d, task exec, task ps, pause/resume,
# kill, delete -f, terminals (run -t, task exec -t) through a real pty, and the same shim
# registered under a name of its own (ctr run --runtime io.containerd.runsc.v2), and a pod
# (a container joining a sandbox by the CRI annotations, as CRI does). A private
# containerd (own root, state and socket) serves an image imported from an OCI archive
# of the host's static busybox (no registry).
#
# usage: containerd_test.sh [--runsc=PATH] [--platform=P] [--busybox=PATH]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
# containerd comes from Debian (scripts/setup.sh installs it); without it every check fails.
set -u

IDS="" PREFIX=ctd TMO=120
# shellcheck source=oci_check_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/oci_check_lib.sh"
DRIVE="python3 $here/pty_drive.py"

if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
	echo "FAIL containerd_installed: containerd is not installed (scripts/setup.sh installs it)"
	echo "0 passed, 1 failed"
	exit 1
fi

ns="runsc-test-$$"
IMG=localhost/runsc-test-bb:latest
ctd_pid=
oci_cleanup_first() {
	for t in $(c task ls -q 2>/dev/null); do c task delete -f "$t" >/dev/null 2>&1; done
	for t in $(c containers ls -q 2>/dev/null); do c containers rm "$t" >/dev/null 2>&1; done
	[ -n "$ctd_pid" ] && kill "$ctd_pid" 2>/dev/null && wait "$ctd_pid" 2>/dev/null
	grep -o " $work/[^ ]*" /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "/run/containerd/runc/$ns"
}

c() { timeout --kill-after=5 "$TMO" ctr -a "$work/containerd.sock" -n "$ns" "$@"; }
task_status() { c task ls 2>/dev/null | awk -v t="$1" '$1 == t {print $3}'; }
wait_task() { # ID WANT: poll up to 20 s
	for _ in $(seq 100); do [ "$(task_status "$1")" == "$2" ] && return 0; sleep 0.2; done
	return 1
}

# --- a private containerd; the shim passes its environment on, so RUNSC_CONFIG reaches
# every runsc call (the runc.v2 shim has no way to add runtime flags) ---
cat >"$work/config.toml" <<EOF
version = 2
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
EOF
echo "platform = \"$PLATFORM\"" >"$work/runsc.toml"
# A runtime of its own name, io.containerd.runsc.v2: containerd runs
# containerd-shim-runsc-v2 from its PATH, here Debian's runc.v2 shim behind a wrapper whose
# PATH resolves `runc` to our runsc (the shim's binary when no BinaryName is given).
# A BinaryName from a file cannot reach that shim with ctr 1.6: `--runtime-config-path`
# is ignored for io.containerd.runc.v2, and for any other name ctr sends
# runtimeoptions.v1.Options{ConfigPath}, which containerd-shim-runc-v2 rejects ("type
# with url runtimeoptions.v1.Options: not found"); a BinaryName in a config file is the
# CRI plugin's runtimes.<name>.options: containerd_cri_test.py tests that.
mkdir -p "$work/bin" "$work/runsc-as-runc"
ln -s "$RUNSC" "$work/runsc-as-runc/runc"
printf '#!/bin/sh\nPATH=%s:$PATH exec containerd-shim-runc-v2 "$@"\n' \
	"$work/runsc-as-runc" >"$work/bin/containerd-shim-runsc-v2"
chmod +x "$work/bin/containerd-shim-runsc-v2"
PATH="$work/bin:$PATH" RUNSC_CONFIG="$work/runsc.toml" containerd --config "$work/config.toml" \
	>"$work/containerd.log" 2>&1 &
ctd_pid=$!
for _ in $(seq 100); do c version >/dev/null 2>&1 && break; sleep 0.2; done
check containerd_up "$(tail -3 "$work/containerd.log")" c version >/dev/null 2>&1

# --- the image: a static busybox with its applets, as an OCI archive ---
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev,root}
cp "$BB" "$rootfs/bin/busybox"
for x in $("$BB" --list); do [ "$x" != busybox ] && ln -sf busybox "$rootfs/bin/$x"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
	>"$rootfs/etc/passwd"
python3 "$here/oci_image.py" "$rootfs" "$work/image.tar" "$IMG"
c images import "$work/image.tar" >"$work/out" 2>&1
check image_import "$(cat "$work/out")" grep -q "$IMG" <(c images ls -q)

run() { c run --runc-binary "$RUNSC" "$@"; }

# --- run --rm and exit codes ---
out=$(run --rm "$IMG" r1 echo hello 2>&1)
rc=$?
check run_rm "rc $rc, output: $out" test $rc -eq 0 -a "$out" == hello
run --rm "$IMG" r2 sh -c 'exit 9' >/dev/null 2>&1
rc=$?
check exit_code "rc $rc, want 9" test $rc -eq 9
out=$(run --rm --env FOO=bar --cwd /tmp "$IMG" r3 sh -c 'echo $FOO $(pwd)' 2>&1)
check env_cwd "output: $out" test "$out" == "bar /tmp"
check nothing_left "left: $(ls "/run/containerd/runc/$ns" 2>&1)" \
	test -z "$(ls "/run/containerd/runc/$ns" 2>/dev/null)"

# --- run -d, task exec, ps, pause/resume, kill, delete ---
run -d "$IMG" d1 sh -c 'trap "exit 4" TERM; while true; do sleep 0.1; done' >"$work/out" 2>&1
check run_detached "$(cat "$work/out")" wait_task d1 RUNNING
out=$(c task exec --exec-id e1 d1 sh -c 'echo in-exec; exit 6' 2>&1)
rc=$?
check task_exec "rc $rc, output: $out" test $rc -eq 6 -a "$out" == in-exec
c task exec -d --exec-id e2 d1 sleep 30 >/dev/null 2>&1
out=$(c task ps d1 2>&1)
check task_ps "ps: $out" test "$(grep -c '^[0-9]' <<<"$out")" -ge 2
c task pause d1 >"$work/out" 2>&1
check pause "status $(task_status d1): $(cat "$work/out")" test "$(task_status d1)" == PAUSED
c task resume d1 >"$work/out" 2>&1
check resume "status $(task_status d1): $(cat "$work/out")" test "$(task_status d1)" == RUNNING
c task kill -s USR1 d1 >/dev/null 2>&1
sleep 0.5
check kill_usr1_init_survives "status $(task_status d1)" test "$(task_status d1)" == RUNNING
c task kill d1 >"$work/out" 2>&1
check kill_term "status $(task_status d1): $(cat "$work/out")" wait_task d1 STOPPED
out=$(c task delete d1 2>&1)
check task_delete_status "output: $out" grep -q 'exit code 4' <<<"$out"
c containers rm d1 >/dev/null 2>&1
run -d "$IMG" d2 sleep 1000 >/dev/null 2>&1
wait_task d2 RUNNING
c task delete -f d2 >"$work/out" 2>&1
check delete_force "rc $?: $(cat "$work/out")" test -z "$(task_status d2)"
c containers rm d2 >/dev/null 2>&1

# --- terminals, through a real pty ---
$DRIVE --rows 30 --cols 90 'expect:# ' 'send:tty; stty size; echo $((6*7))\n' 'expect:42' \
	'send:exit 3\n' -- ctr -a "$work/containerd.sock" -n "$ns" run --rm -t \
	--runc-binary "$RUNSC" "$IMG" t1 sh >"$work/out" 2>&1
rc=$?
check run_tty "rc $rc, want 3: $(tr -d '\r' <"$work/out" | tail -4)" test $rc -eq 3
check run_tty_size "want 30 90: $(tr -d '\r' <"$work/out" | tail -4)" grep -q '^30 90' "$work/out"
check run_tty_devpts "$(tr -d '\r' <"$work/out" | tail -4)" grep -q '^/dev/pts/[0-9]' "$work/out"
run -d "$IMG" t2 sleep 1000 >/dev/null 2>&1
wait_task t2 RUNNING
$DRIVE 'expect:# ' 'send:tty; sleep 100\n' 'sleep:1' 'send:\x03' 'expect:# ' \
	'send:echo exec-$((6*7))\n' 'expect:exec-42' 'send:exit 5\n' -- \
	ctr -a "$work/containerd.sock" -n "$ns" task exec -t --exec-id e3 t2 sh \
	>"$work/out" 2>&1
rc=$?
check exec_tty "rc $rc, want 5: $(tr -d '\r' <"$work/out" | tail -4)" test $rc -eq 5
check exec_tty_devpts "$(tr -d '\r' <"$work/out" | tail -4)" grep -q '^/dev/pts/[0-9]' "$work/out"
c task delete -f t2 >/dev/null 2>&1
c containers rm t2 >/dev/null 2>&1

# --- a pod: a sandbox container and one joining it by the CRI annotations (as the CRI
# plugin writes them; the runc.v2 shim groups both under one shim by sandbox-id) ---
pod_ann() { echo --annotation io.kubernetes.cri.container-type="$1" \
	--annotation io.kubernetes.cri.sandbox-id=p1; }
run -d $(pod_ann sandbox) "$IMG" p1 \
	sh -c 'trap "exit 0" TERM; while true; do sleep 0.2; done' >"$work/out" 2>&1
check pod_sandbox "$(cat "$work/out")" wait_task p1 RUNNING
run -d $(pod_ann container) "$IMG" a1 sh -c 'echo $$ >/tmp/me; sleep 1000' >"$work/out" 2>&1
check pod_container "$(cat "$work/out")" wait_task a1 RUNNING
out=$(c task exec --exec-id e5 a1 hostname 2>&1)
check pod_shares_hostname "output: $out" test "$out" == p1
out=$(c task exec --exec-id e6 p1 sh -c 'cat /proc/[0-9]*/cmdline | tr "\0" " "' 2>&1)
check pod_one_kernel "output: $out" grep -q 'sleep 1000' <<<"$out"
out=$(c task exec --exec-id e7 p1 cat /tmp/me 2>&1)
check pod_own_roots "output: $out" grep -q 'No such file' <<<"$out"
c task kill -s KILL a1 >/dev/null 2>&1
check pod_container_killed "status $(task_status a1)" wait_task a1 STOPPED
out=$(c task delete a1 2>&1)
check pod_container_status "output: $out" grep -q 'exit code 137' <<<"$out"
check pod_sandbox_survives "status $(task_status p1)" test "$(task_status p1)" == RUNNING
c containers rm a1 >/dev/null 2>&1
c task delete -f p1 >"$work/out" 2>&1
check pod_sandbox_delete "rc $?: $(cat "$work/out")" test -z "$(task_status p1)"
c containers rm p1 >/dev/null 2>&1

# --- the runtime registered as io.containerd.runsc.v2 (no --runc-binary) ---
out=$(c run --rm --runtime io.containerd.runsc.v2 "$IMG" n1 cat /proc/version 2>&1)
check named_runtime_is_runsc "output: $out" grep -q 'runsc@sandbox' <<<"$out"
c run --rm --runtime io.containerd.runsc.v2 "$IMG" n2 sh -c 'exit 11' >/dev/null 2>&1
rc=$?
check named_runtime_exit_code "rc $rc, want 11" test $rc -eq 11
c run -d --runtime io.containerd.runsc.v2 "$IMG" n3 sleep 1000 >/dev/null 2>&1
wait_task n3 RUNNING
out=$(c task exec --exec-id e4 n3 sh -c 'echo named-exec; exit 2' 2>&1)
rc=$?
check named_runtime_exec "rc $rc, output: $out" test $rc -eq 2 -a "$out" == named-exec
c task delete -f n3 >"$work/out" 2>&1
check named_runtime_delete "rc $?: $(cat "$work/out")" test -z "$(task_status n3)"
c containers rm n3 >/dev/null 2>&1

oci_summary
