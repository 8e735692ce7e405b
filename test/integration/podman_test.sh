#!/usr/bin/env bash
# podman drives runsc (`podman --runtime runsc`): run --rm, exit codes, -e/-w/-u, -d with
# logs/exec/kill/stop/rm, ps states, pause, init/start, --read-only, limits, and terminals
# (run -it, exec -it) through a real pty. The image is imported from the host's static
# busybox (no registry); podman keeps its storage in a private directory.
#
# usage: podman_test.sh [--runsc=PATH] [--platform=P] [--busybox=PATH]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
# podman comes from Debian (scripts/setup.sh installs it); without it every check fails.
set -u

IDS="" PREFIX=podman TMO=120
# shellcheck source=oci_check_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/oci_check_lib.sh"
DRIVE="python3 $here/pty_drive.py"

if ! command -v podman >/dev/null; then
	echo "FAIL podman_installed: podman is not installed (scripts/setup.sh installs it)"
	echo "0 passed, 1 failed"
	exit 1
fi

IMG=localhost/runsc-test-bb:latest
oci_cleanup_first() {
	local ids
	ids=$(pm ps -aq --no-trunc 2>/dev/null)
	pm rm -af -t 0 >/dev/null 2>&1
	# A sandbox podman lost track of (a client killed mid-run) must not outlive the test.
	for id in $ids; do "$RUNSC" delete --force "$id" >/dev/null 2>&1; done
	pm rmi -af >/dev/null 2>&1
	# podman leaves overlay mounts of its private storage behind; drop them first.
	grep -o " $work/[^ ]*" /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
}

# The host limits here are below podman's defaults (nofile 1048576), as with runc.
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF="$work/containers.conf"
pm() {
	timeout --kill-after=5 "$TMO" podman --root "$work/storage" --runroot "$work/run" \
		--tmpdir "$work/tmp" --runtime "$RUNSC" --runtime-flag "platform=$PLATFORM" "$@"
}
status_of() { pm inspect --format '{{.State.Status}}' "$1" 2>/dev/null; }
wait_status() { # NAME WANT: poll up to 20 s
	for _ in $(seq 100); do [ "$(status_of "$1")" == "$2" ] && return 0; sleep 0.2; done
	return 1
}

# --- the image: a static busybox with its applets ---
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,etc,tmp,proc,sys,dev,root}
cp "$BB" "$rootfs/bin/busybox"
for c in $("$BB" --list); do [ "$c" != busybox ] && ln -sf busybox "$rootfs/bin/$c"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
	>"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
tar -C "$rootfs" -cf "$work/rootfs.tar" .
pm import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
	"$work/rootfs.tar" "$IMG" >"$work/out" 2>&1
check image_import "$(cat "$work/out")" pm image exists "$IMG"

# --- run --rm, exit codes, environment ---
out=$(pm run --rm "$IMG" echo hello 2>&1)
rc=$?
check run_rm "rc $rc, output: $out" test $rc -eq 0 -a "$out" == hello
pm run --rm "$IMG" sh -c 'exit 7' >/dev/null 2>&1
rc=$?
check exit_code "rc $rc, want 7" test $rc -eq 7
# A SIGKILL'd process's status passes through (pid 1 itself ignores a SIGKILL sent from
# inside its pid namespace, with runc as here).
pm run --rm "$IMG" sh -c 'sh -c "kill -9 \$\$"; exit $?' >/dev/null 2>&1
rc=$?
check exit_signal "rc $rc, want 137" test $rc -eq 137
pm run --rm "$IMG" /no/such/program >"$work/out" 2>&1
rc=$?
check exit_not_found "rc $rc, want 127: $(cat "$work/out")" test $rc -eq 127
out=$(pm run --rm -e FOO=bar -w /tmp -u 65534:65534 "$IMG" sh -c 'echo $FOO $(pwd) $(id -u) $(id -g)' 2>&1)
check env_cwd_user "output: $out" test "$out" == "bar /tmp 65534 65534"
out=$(pm run --rm --hostname podbox "$IMG" hostname 2>&1)
check hostname "output: $out" test "$out" == podbox
out=$(echo piped | pm run --rm -i "$IMG" cat 2>&1)
check stdin_pipe "output: $out" test "$out" == piped
out=$(pm run --rm --read-only "$IMG" sh -c 'touch /x 2>/dev/null && echo wrote || echo ro' 2>&1)
check read_only "output: $out" test "$out" == ro
out=$(pm run --rm --memory 64m --pids-limit 50 "$IMG" echo limited 2>&1)
check memory_pids_limit "output: $out" test "$out" == limited
test ! -e "/run/runsc/$(pm ps -aq --no-trunc | head -1)"
check nothing_left "containers left: $(pm ps -a --format '{{.Names}}' | tr '\n' ' ')" \
	test -z "$(pm ps -aq)"

# --- run -d, logs, exec, kill -s, stop, rm ---
pm run -d --name d1 "$IMG" sh -c 'trap "echo got-term; exit 3" TERM; echo up
	while true; do sleep 0.1; done' >"$work/out" 2>&1
check run_detached "$(cat "$work/out")" wait_status d1 running
sleep 0.5
out=$(pm logs d1 2>&1)
check logs "logs: $out" test "$out" == up
out=$(pm exec d1 sh -c 'echo in-exec; exit 5' 2>&1)
rc=$?
check exec_output_and_status "rc $rc, output: $out" test $rc -eq 5 -a "$out" == in-exec
out=$(pm exec -e X=1 -w /tmp -u 65534 d1 sh -c 'echo $X $(pwd) $(id -u)' 2>&1)
check exec_env_cwd_user "output: $out" test "$out" == "1 /tmp 65534"
pm exec -d d1 sh -c 'sleep 0.2' >/dev/null 2>&1
check exec_detach "rc $?" test $? -eq 0
pm kill -s USR1 d1 >"$work/out" 2>&1
sleep 0.5
check kill_usr1_init_survives "status $(status_of d1): $(cat "$work/out")" \
	test "$(status_of d1)" == running
pm pause d1 >"$work/out" 2>&1
check pause "status $(status_of d1): $(cat "$work/out")" test "$(status_of d1)" == paused
pm unpause d1 >"$work/out" 2>&1
check unpause "status $(status_of d1): $(cat "$work/out")" test "$(status_of d1)" == running
out=$(pm ps --format '{{.Names}} {{.Status}}' 2>&1)
check ps_up "ps: $out" grep -q '^d1 Up' <<<"$out"
pm stop -t 10 d1 >"$work/out" 2>&1
check stop "status $(status_of d1): $(cat "$work/out")" test "$(status_of d1)" == exited
code=$(pm inspect --format '{{.State.ExitCode}}' d1 2>&1)
check stop_exit_code "exit code $code, want 3 (the TERM trap's)" test "$code" == 3
out=$(pm logs d1 2>&1 | tr '\n' ' ')
check logs_after_stop "logs: $out" test "$out" == "up got-term "
pm rm d1 >"$work/out" 2>&1
check rm "$(cat "$work/out")" test -z "$(pm ps -aq --filter name=d1)"

# stop escalates to SIGKILL when TERM is ignored; kill -s KILL; rm -f of a running one.
pm run -d --name d2 "$IMG" sh -c 'trap "" TERM; while true; do sleep 0.1; done' >/dev/null 2>&1
wait_status d2 running
pm stop -t 1 d2 >/dev/null 2>&1
code=$(pm inspect --format '{{.State.ExitCode}}' d2 2>&1)
check stop_escalates "exit code $code, want 137" test "$code" == 137
pm start d2 >"$work/out" 2>&1
check restart "status $(status_of d2): $(cat "$work/out")" wait_status d2 running
pm kill -s KILL d2 >/dev/null 2>&1
wait_status d2 exited
code=$(pm inspect --format '{{.State.ExitCode}}' d2 2>&1)
check kill_sigkill "exit code $code, want 137" test "$code" == 137
pm run -d --name d3 "$IMG" sleep 1000 >/dev/null 2>&1
wait_status d3 running
# top: podman reads /proc in the pid-file process's mount namespace (no runtime call), so
# it lists the sandbox's host processes (the Sentry as pid 1, stubs); descriptors psgo
# does not know (-ef) make podman run ps inside the container, which lists the program.
out=$(pm top d3 2>&1)
check top_lists_the_sandbox "output: $out" grep -q "^root *1 *0 .*runsc .* boot " <<<"$out"
out=$(pm top d3 -ef 2>&1)
check top_ps_lists_the_program "output: $out" grep -q "^ *1 .*sleep 1000" <<<"$out"
pm rm -f -t 0 d2 d3 >"$work/out" 2>&1
check rm_force "left: $(pm ps -aq | wc -l): $(cat "$work/out")" test -z "$(pm ps -aq)"

# init: created, then start.
pm create --name c1 "$IMG" sh -c 'echo created-then-started' >/dev/null 2>&1
pm init c1 >"$work/out" 2>&1
check init_created "status $(status_of c1): $(cat "$work/out")" test "$(status_of c1)" == initialized
pm start -a c1 >"$work/out" 2>&1
check start_attach "$(cat "$work/out")" grep -q created-then-started "$work/out"
pm rm -f c1 >/dev/null 2>&1

# --- terminals, through a real pty: the program's terminal is the sandbox's own
# /dev/pts/N (job control, ^C -> SIGINT, window size changes from podman's terminal) ---
$DRIVE --rows 30 --cols 100 'expect:# ' 'send:tty; stty size\n' 'expect:30 100' \
	'resize:40,120' 'sleep:1' 'send:stty size\n' 'expect:40 120' \
	'send:sleep 100\n' 'sleep:1' 'send:\x03' 'expect:# ' 'send:echo $((6*7))\n' \
	'expect:42' 'send:exit 3\n' -- podman --root "$work/storage" --runroot "$work/run" \
	--tmpdir "$work/tmp" --runtime "$RUNSC" --runtime-flag "platform=$PLATFORM" \
	run --rm -it "$IMG" sh >"$work/out" 2>&1
rc=$?
out=$(tr -d '\r' <"$work/out")
check run_it "rc $rc, want 3: $(tail -5 <<<"$out")" test $rc -eq 3
check run_it_devpts "tty said: $(grep -A1 'tty;' <<<"$out" | tail -1)" grep -q '^/dev/pts/[0-9]' <<<"$out"
check run_it_job_control "$(grep 'job control' <<<"$out")" test -z "$(grep 'job control' <<<"$out")"
check run_it_resize "$(grep -A1 'stty size' <<<"$out" | tail -2)" grep -q '^40 120' <<<"$out"
check run_it_intr "^C did not end sleep: $(tail -5 <<<"$out")" grep -q '^42' <<<"$out"
pm run -d --name t1 "$IMG" sleep 1000 >/dev/null 2>&1
wait_status t1 running
$DRIVE 'expect:# ' 'send:tty; echo exec-$((6*7))\n' 'expect:exec-42' 'send:exit 4\n' -- \
	podman --root "$work/storage" --runroot "$work/run" --tmpdir "$work/tmp" \
	--runtime "$RUNSC" --runtime-flag "platform=$PLATFORM" exec -it t1 sh >"$work/out" 2>&1
rc=$?
check exec_it "rc $rc, want 4: $(tr -d '\r' <"$work/out" | tail -5)" test $rc -eq 4
check exec_it_devpts "$(tr -d '\r' <"$work/out" | tail -5)" grep -q '^/dev/pts/[0-9]' "$work/out"
pm rm -f -t 0 t1 >/dev/null 2>&1

oci_summary
