#!/usr/bin/env bash
# OCI runtime lifecycle: create/start/state/kill/delete/run/exec/ps/wait/list/events/pause/
# resume/update, error paths, hooks, console socket, --log JSON, config file. Bundles are
# built from the host's static busybox.
#
# usage: oci_lifecycle_test.sh [--runsc=PATH] [--platform=P] [--busybox=PATH]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
set -u

IDS="" PREFIX=oci
# shellcheck source=oci_check_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/oci_check_lib.sh"

# bundle DIR ARGS-JSON [EXTRA-TOP-LEVEL-JSON]: a busybox rootfs and a config.json.
bundle() {
	local dir=$1 args=$2 extra=${3:-}
	mkdir -p "$dir/rootfs/bin" "$dir/rootfs/tmp" "$dir/rootfs/etc"
	cp "$BB" "$dir/rootfs/bin/busybox"
	for c in sh echo sleep cat ls id hostname true false env pwd kill trap; do
		ln -sf busybox "$dir/rootfs/bin/$c"
	done
	cat >"$dir/config.json" <<JSON
{"ociVersion":"1.0.2","root":{"path":"rootfs"},"hostname":"ocibox",
 "process":{"args":$args,"env":["PATH=/bin","HOME=/"],"cwd":"/","user":{"uid":0,"gid":0}}
 $extra}
JSON
}

status_of() { rs state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
wait_status() { # ID WANT: poll up to 10 s
	for _ in $(seq 100); do [ "$(status_of "$1")" == "$2" ] && return 0; sleep 0.1; done
	return 1
}

B="$work/b"
bundle "$B" '["sh","-c","echo started; sleep 1000"]'
cd "$B" || exit 1

# --- create / start / state / kill / delete ---
IDS+=" c1"
rs create --pid-file "$work/c1.pid" c1 >"$work/out" 2>&1
check create_exits_0 "exit $?: $(cat "$work/out")" test $? -eq 0
check create_status_created "status $(status_of c1)" test "$(status_of c1)" == created
pid=$(cat "$work/c1.pid" 2>/dev/null)
check pid_file_is_live_sandbox "pid-file $pid" kill -0 "${pid:-0}"
check state_pid_matches_pid_file "state pid" grep -q "\"pid\": $pid" <(rs state c1)
check state_has_bundle "state" grep -q "\"bundle\": \"$B\"" <(rs state c1)
rs create c1 >"$work/out" 2>&1
rc=$?
check double_create_refused "exit $rc: $(cat "$work/out")" test $rc -eq 1 -a -n "$(grep 'already exists' "$work/out")"
rs start c1 >"$work/start.out" 2>&1
check start_exits_0 "exit $?" test $? -eq 0
check start_status_running "status $(status_of c1)" test "$(status_of c1)" == running
rs start c1 >/dev/null 2>&1
check start_twice_refused "exit $?" test $? -eq 1
rs kill c1 TERM
sleep 0.5
check init_ignores_unhandled_sigterm "status $(status_of c1)" test "$(status_of c1)" == running
rs delete c1 >"$work/out" 2>&1
rc=$?
check delete_running_refused "exit $rc: $(cat "$work/out")" test $rc -eq 1 -a -n "$(grep 'not stopped: running' "$work/out")"
rs kill c1 SIGKILL
check kill_sigkill_stops "status $(status_of c1)" wait_status c1 stopped
rs kill c1 9 >"$work/out" 2>&1
check kill_stopped_not_running "$(cat "$work/out")" grep -q "container not running" "$work/out"
rs delete c1
check delete_stopped "exit $?" test $? -eq 0
check delete_removed_state "left: $(ls "$state")" test ! -e "$state/c1"
check sandbox_gone_after_delete "pid $pid alive" test ! -e "/proc/$pid" -o "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" == Z

# --- missing ids ---
for cmd in state start "kill" delete ps pause resume; do
	rs $cmd nope >"$work/out" 2>&1
	rc=$?
	check "missing_id_$cmd" "exit $rc: $(cat "$work/out")" test $rc -eq 1 -a -n "$(grep 'does not exist' "$work/out")"
done
rs delete --force nope
check delete_force_missing_is_ok "exit $?" test $? -eq 0

# --- created, then killed before start; and deleting a created container ---
IDS+=" c2 c3"
rs create c2 && rs kill c2 KILL
check kill_created_stops "status $(status_of c2)" wait_status c2 stopped
rs delete c2
rs create c3 && rs delete c3
check delete_created "exit $?" test $? -eq 0 -a ! -e "$state/c3"

# --- run: exit codes, stdio, hostname, env ---
R="$work/r"
bundle "$R" '["sh","-c","echo out:$HOME:$(hostname); echo err >&2; exit 7"]'
(cd "$R" && rs run r1 >"$work/out" 2>"$work/err")
rc=$?
check run_exit_status "exit $rc" test $rc -eq 7
check run_stdout "$(cat "$work/out")" grep -qx "out:/:ocibox" "$work/out"
check run_stderr "$(cat "$work/err")" grep -qx "err" "$work/err"
check run_deletes_after_exit "left: $(ls "$state")" test ! -e "$state/r1"
# The child dies of SIGKILL and its status comes back (pid 1 itself would ignore a
# SIGKILL sent from inside its pid namespace, as on Linux).
bundle "$R" '["sh","-c","sh -c '\''kill -9 $$'\''; exit $?"]'
(cd "$R" && rs run r2 >/dev/null 2>&1)
check run_signal_status_137 "exit $?" test $? -eq 137
bundle "$R" '["/nonexistent"]'
(cd "$R" && rs run r3 >"$work/out" 2>&1)
rc=$?
check run_missing_program "exit $rc: $(cat "$work/out")" test $rc -eq 1 -a -n "$(grep 'nonexistent' "$work/out")"
check run_missing_program_leaves_nothing "left: $(ls "$state")" test ! -e "$state/r3"

# --- process.capabilities and noNewPrivileges reach the container's process ---
# (root execs with bounding | inheritable, as after runc's capset + execve)
mkdir -p "$R/rootfs/proc"
cat >"$R/config.json" <<'JSON'
{"ociVersion":"1.0.2","root":{"path":"rootfs"},"hostname":"ocibox",
 "mounts":[{"destination":"/proc","type":"proc","source":"proc"}],
 "process":{"args":["/bin/busybox","grep","-E","^(CapEff|CapBnd|NoNewPrivs)","/proc/self/status"],
  "env":["PATH=/bin"],"cwd":"/","user":{"uid":0,"gid":0},"noNewPrivileges":true,
  "capabilities":{"bounding":["CAP_KILL","CAP_NET_BIND_SERVICE"],"effective":["CAP_KILL"],
   "permitted":["CAP_KILL"],"inheritable":[],"ambient":[]}}}
JSON
(cd "$R" && rs run r4 >"$work/out" 2>&1)
check run_caps_bounding "$(cat "$work/out")" grep -qx "CapBnd:.0000000000000420" "$work/out"
check run_caps_effective "$(cat "$work/out")" grep -qx "CapEff:.0000000000000420" "$work/out"
check run_no_new_privs "$(cat "$work/out")" grep -qx "NoNewPrivs:.1" "$work/out"

# --- exec, ps, list, events, wait, pause/resume ---
IDS+=" e1"
rs run --detach e1 >/dev/null 2>&1
check run_detach "status $(status_of e1)" test "$(status_of e1)" == running
got=$(rs exec e1 sh -c 'echo in:$(id -u); exit 5' 2>&1)
rc=$?
check exec_exit_status "exit $rc" test $rc -eq 5
check exec_stdout "$got" test "$got" == "in:0"
rs exec e1 sh -c 'kill -9 $$' 2>/dev/null
check exec_signal_status "exit $?" test $? -eq 137
rs exec --detach --pid-file "$work/e.pid" e1 sh -c 'sleep 1; exit 3'
check exec_detach_exits_0 "exit $?" test $? -eq 0
ppid=$(cat "$work/e.pid" 2>/dev/null)
check exec_detach_pid_file "pid $ppid" kill -0 "${ppid:-0}"
check ps_json_lists_exec "$(rs ps --format json e1)" grep -q '^\[1,[0-9]' <(rs ps --format json e1)
check ps_table "$(rs ps e1)" grep -q 'UID *PID *PPID' <(rs ps e1)
for _ in $(seq 50); do kill -0 "$ppid" 2>/dev/null || break; sleep 0.1; done
check exec_detach_proxy_ends "$ppid alive" test ! -e "/proc/$ppid" -o "$(awk '{print $3}' /proc/$ppid/stat 2>/dev/null)" == Z
rs exec e1 /nonexistent >"$work/out" 2>&1
rc=$?
check exec_missing_program "exit $rc: $(cat "$work/out")" test $rc -ne 0 -a -n "$(grep -i 'no such file' "$work/out")"
rs exec --process /dev/stdin e1 <<<'{"args":["sh","-c","echo $X; pwd"],"env":["X=proc"],"cwd":"/tmp"}' >"$work/out" 2>&1
check exec_process_file "$(cat "$work/out")" test "$(tr '\n' ' ' <"$work/out")" == "proc /tmp "
check list_table "$(rs list)" grep -q '^e1 .* running ' <(rs list)
check list_json "$(rs list --format json)" grep -q '"id":"e1".*"status":"running"' <(rs list --format json)
check events_stats "$(rs events --stats e1)" grep -q '"type":"stats","id":"e1".*"pids":{"current":1}' <(rs events --stats e1)
rs pause e1
check pause "status $(status_of e1)" test "$(status_of e1)" == paused
rs exec e1 true >/dev/null 2>&1
check exec_paused_refused "exit $?" test $? -eq 1
rs resume e1
check resume "status $(status_of e1)" test "$(status_of e1)" == running
check exec_after_resume "exit $?" rs exec e1 true
echo '{"memory":{"limit":268435456},"pids":{"limit":500}}' >"$work/res.json"
rs update --resources "$work/res.json" e1
check update_memory_limit "$(cat /sys/fs/cgroup/memory/runsc/e1/memory.limit_in_bytes 2>&1)" \
	test "$(cat /sys/fs/cgroup/memory/runsc/e1/memory.limit_in_bytes 2>/dev/null)" == 268435456
echo '{"pids":{"limit":400}}' | rs update --resources - e1
# The host cgroup gets 64 more for the runtime's own tasks (the Sentry enforces 400 inside).
check update_stdin_pids "$(cat /sys/fs/cgroup/pids/runsc/e1/pids.max 2>&1)" \
	test "$(cat /sys/fs/cgroup/pids/runsc/e1/pids.max 2>/dev/null)" == 464
rs wait e1 >"$work/wait.out" 2>&1 &
wpid=$!
sleep 0.5
rs kill e1 KILL
wait $wpid
check wait_reports_status "$(cat "$work/wait.out")" grep -q '"exitStatus":137' "$work/wait.out"
check sandbox_cgroup_exists "no cgroup" test -d /sys/fs/cgroup/freezer/runsc/e1
rs delete e1
check delete_removes_cgroup "cgroup left" test ! -d /sys/fs/cgroup/freezer/runsc/e1

# --- a crashed sandbox is stopped, not a hang ---
IDS+=" k1"
rs run -d k1 >/dev/null 2>&1
kpid=$(rs state k1 | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
kill -9 "$kpid"
check crashed_sandbox_stopped "status $(status_of k1)" wait_status k1 stopped
rs exec k1 true >"$work/out" 2>&1
check exec_stopped_refused "exit $?" test $? -eq 1
rs delete k1
check delete_crashed "exit $?" test $? -eq 0

# --- bad config.json: a message naming the field, exit 1, nothing left behind ---
X="$work/x"
bundle "$X" '["sh"]' ',"mounts":[{"destination":"relative"}]'
# Count only Sentries of this create (marked by its debug log): others may be running
# sandboxes on the same machine.
boots() { pgrep -c -f -- "--debug-log $work/x1.debug .*boot" || true; }
(cd "$X" && rs --debug-log "$work/x1.debug" create x1 >"$work/out" 2>&1)
rc=$?
check bad_config_exit_1 "exit $rc" test $rc -eq 1
check bad_config_names_field "$(cat "$work/out")" grep -q 'mounts\[0\].destination' "$work/out"
check bad_config_leaves_no_state "left: $(ls -A "$state")" test ! -e "$state/x1"
check bad_config_no_process "boot processes left: $(boots)" test "$(boots)" == 0
echo '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":"sh"}}' >"$X/config.json"
(cd "$X" && rs create x2 >"$work/out" 2>&1)
check bad_args_names_field "$(cat "$work/out")" grep -q 'process.args' "$work/out"
rs create --bundle /nonexistent x3 >"$work/out" 2>&1
check missing_bundle "$(cat "$work/out")" grep -q 'config.json' "$work/out"
bundle "$X" '["sh"]' ',"linux":{"intelRdt":{"closID":"x"}}'
IDS+=" x4"
(cd "$X" && rs create x4 >"$work/out" 2>&1)
check unsupported_field_warns "$(cat "$work/out")" grep -q 'linux.intelRdt' "$work/out"
rs delete --force x4

# --- --log --log-format json: errors as the last JSON line ---
rs --log "$work/log.json" --log-format json state nope >"$work/out" 2>&1
check json_log_last_line_error "$(tail -1 "$work/log.json")" grep -q '"level":"error","msg":"container `nope` does not exist"' <(tail -1 "$work/log.json")
# As runc: stderr gets the message too (conmon reads stderr even when it passes --log json).
check json_log_stderr_too "$(cat "$work/out")" grep -q 'container `nope` does not exist' "$work/out"

# --- hooks get the state on stdin ---
H="$work/h"
bundle "$H" '["sh","-c","exit 0"]' ",\"hooks\":{\"prestart\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > $work/prestart.json\"]}],\"poststart\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > $work/poststart.json\"]}],\"poststop\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > $work/poststop.json\"]}]}"
(cd "$H" && rs run h1 >/dev/null 2>&1)
check hook_prestart_state "$(cat "$work/prestart.json" 2>&1)" grep -q '"id":"h1".*"status":"created"' "$work/prestart.json"
check hook_poststart_state "$(cat "$work/poststart.json" 2>&1)" grep -q '"status":"running"' "$work/poststart.json"
check hook_poststop_state "$(cat "$work/poststop.json" 2>&1)" grep -q '"status":"stopped"' "$work/poststop.json"
bundle "$H" '["true"]' ',"hooks":{"createRuntime":[{"path":"/bin/false"}]}'
(cd "$H" && rs create h2 >"$work/out" 2>&1)
rc=$?
check failing_hook_fails_create "exit $rc: $(cat "$work/out")" test $rc -eq 1 -a -n "$(grep 'hooks.createRuntime\[0\]' "$work/out")"
check failing_hook_leaves_nothing "left" test ! -e "$state/h2"

# --- console socket: one pty master arrives; the container writes to its slave ---
T="$work/t"
bundle "$T" '["sh","-c","echo tty-ok; sleep 1000"]' ''
sed -i 's/"process":{/"process":{"terminal":true,/' "$T/config.json"
python3 - "$work/console.sock" "$work/console.out" <<'PY' &
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(60)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 256, 4)
out = open(sys.argv[2], "w")
out.write("fds=%d name=%s\n" % (len(fds), msg.decode()))
out.flush()
os.set_blocking(fds[0], True)
data = b""
while b"tty-ok" not in data:
	data += os.read(fds[0], 1024)
out.write(data.decode(errors="replace"))
PY
pypid=$!
for _ in $(seq 50); do [ -S "$work/console.sock" ] && break; sleep 0.1; done
IDS+=" t1"
(cd "$T" && rs create --console-socket "$work/console.sock" t1 >"$work/out" 2>&1)
check console_create "exit $?: $(cat "$work/out")" test $? -eq 0
rs start t1
wait $pypid
check console_one_master "$(cat "$work/console.out")" grep -q 'fds=1 name=/dev/pts/' "$work/console.out"
check console_output "$(cat "$work/console.out")" grep -q 'tty-ok' "$work/console.out"
rs delete --force t1
(cd "$T" && rs create t2 >"$work/out" 2>&1)
check terminal_needs_console_socket "$(cat "$work/out")" grep -q 'process.terminal' "$work/out"

# --- config file keys become flags; unknown --x=y flags are accepted ---
printf '[runsc_config]\nplatform = "%s"\nroot = "%s"\n' "$PLATFORM" "$work/state2" >"$work/runsc.toml"
(cd "$R" && bundle "$R" '["true"]' && timeout "$TMO" "$RUNSC" --config "$work/runsc.toml" --some-gvisor-flag=1 run cf1 >"$work/out" 2>&1)
check config_file_flags "exit $?: $(cat "$work/out")" test $? -eq 0
check config_file_root "no $work/state2" test -d "$work/state2"

# --- checkpoint, features, spec ---
rs checkpoint --help >"$work/out"
check checkpoint_help "$(head -1 "$work/out")" grep -q 'image-path' "$work/out"
rs checkpoint e9 >"$work/out" 2>&1
check checkpoint_not_supported "$(cat "$work/out")" grep -q 'not supported' "$work/out"
check features_json "$(rs features | head -3)" grep -q '"ociVersionMax"' <(rs features)
mkdir -p "$work/s" && (cd "$work/s" && rs spec)
check spec_writes_config "$(ls "$work/s")" test -s "$work/s/config.json"

oci_summary
