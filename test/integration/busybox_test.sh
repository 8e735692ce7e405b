#!/usr/bin/env bash
# First-light acceptance: `runsc do` runs the host's static busybox like the host does, isolated.
#
# usage: busybox_test.sh [--runsc=PATH] [--platform=P] [--segv=PATH] [--busybox=PATH]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
# Outputs are compared with the same busybox run natively, so the host is the reference.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
RUNSC=${RUNSC:-$root/build/runsc/runsc}
PLATFORM=ptrace
SEGV=${SEGV:-$root/build/test/integration/segv}
BB=/bin/busybox
TMO=60

# The hidden probe flag must kill the Sentry with SIGSYS: runsc reports it and
# exits 128+31. Adjust here if the flag or the reporting changes.
PROBE_FLAG=--debug-seccomp-probe
PROBE_EXPECT_RC=159
PROBE_STDERR_RE='seccomp|SIGSYS'

for arg in "$@"; do
	case "$arg" in
	--runsc=*) RUNSC=${arg#*=} ;;
	--platform=*) PLATFORM=${arg#*=} ;;
	--segv=*) SEGV=${arg#*=} ;;
	--busybox=*) BB=${arg#*=} ;;
	-h | --help) sed -n '2,7p' "$0"; exit 0 ;;
	*) echo "busybox_test.sh: unknown argument \`$arg\`" >&2; exit 2 ;;
	esac
done

passed=0
failed=0
uniq="runsc-it-$$-$RANDOM"
work=$(mktemp -d "/tmp/$uniq.XXXXXX")
# Outside /tmp on purpose: the sandbox gets a fresh /tmp, but sees /var/tmp through the overlay.
hostdir=$(mktemp -d "/var/tmp/$uniq.XXXXXX")
bgpid=""
cleanup() {
	[ -n "$bgpid" ] && kill "$bgpid" 2>/dev/null
	rm -rf "$work" "$hostdir" "/etc/$uniq" "/tmp/$uniq"
}
trap cleanup EXIT

ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

# rs ARGS...: run ARGS in the sandbox (stdin closed, bounded in time).
rs() { timeout --kill-after=5 "$TMO" "$RUNSC" --platform="$PLATFORM" do "$@" </dev/null; }

# same NAME CMD...: CMD's stdout and exit status in the sandbox equal the host's.
same() {
	local name=$1 want got wrc grc
	shift
	want=$(timeout "$TMO" "$@" </dev/null 2>/dev/null)
	wrc=$?
	got=$(rs "$@" 2>"$work/stderr")
	grc=$?
	if [ "$got" == "$want" ] && [ $grc -eq $wrc ]; then
		ok "$name"
	else
		fail "$name" "exit $grc (host $wrc); output differs from host:"
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -10 | sed 's/^/    /'
		head -5 "$work/stderr" | sed 's/^/    stderr: /'
	fi
}

# expect NAME WANT CMD...: CMD's stdout in the sandbox is WANT and it exits 0.
expect() {
	local name=$1 want=$2 got rc
	shift 2
	got=$(rs "$@" 2>"$work/stderr")
	rc=$?
	if [ "$got" == "$want" ] && [ $rc -eq 0 ]; then
		ok "$name"
	else
		fail "$name" "exit $rc, got $(printf '%q' "$got"), want $(printf '%q' "$want")"
		head -5 "$work/stderr" | sed 's/^/    stderr: /'
	fi
}

# status NAME WANT CMD...: CMD in the sandbox exits with status WANT.
status() {
	local name=$1 want=$2 rc
	shift 2
	rs "$@" >/dev/null 2>"$work/stderr"
	rc=$?
	if [ $rc -eq "$want" ]; then
		ok "$name"
	else
		fail "$name" "exit $rc, want $want"
		head -5 "$work/stderr" | sed 's/^/    stderr: /'
	fi
}

# check NAME WHY COND...: COND (a command) holds, else fail with WHY.
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then ok "$name"; else fail "$name" "$why"; fi
}

if [ ! -x "$RUNSC" ]; then
	echo "busybox_test.sh: no runsc at \`$RUNSC\` (use --runsc=PATH)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$BB" ]; then
	echo "busybox_test.sh: no static busybox at \`$BB\` (apt-get install busybox-static)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# --- the first-light command, and its /tmp isolation -------------------------------
want=$(printf 'hello\na\n%s' "$("$BB" ls /usr | "$BB" head -3)")
expect first_light_shell_pipeline "$want" \
	"$BB" sh -c "echo hello; echo a > /tmp/$uniq; cat /tmp/$uniq; ls /usr | head -3"
check sandbox_tmp_write_does_not_reach_host "/tmp/$uniq exists on the host" \
	test ! -e "/tmp/$uniq"

# --- busybox applets compared with the host ----------------------------------------
same echo_prints_arguments "$BB" echo hello world
same cat_etc_hostname "$BB" cat /etc/hostname
same cat_etc_os_release "$BB" cat /etc/os-release
same ls_l_usr_matches_host "$BB" ls -l /usr
same ls_a_root_matches_host "$BB" ls -a /
same wc_etc_passwd "$BB" wc /etc/passwd
same head_3_etc_passwd "$BB" head -3 /etc/passwd
same stat_size_and_type "$BB" stat -c '%s %F' /etc/passwd
same stat_dir_type "$BB" stat -c '%F %h' /usr
same uname_s_m "$BB" uname -s -m
same md5sum_of_host_binary "$BB" md5sum "$BB"
same find_limited_tree "$BB" sh -c 'find /etc/apt | sort'

got=$(RUNSC_IT_VAR="x y=z" rs "$BB" env 2>/dev/null)
check env_carries_custom_variable "RUNSC_IT_VAR missing from the sandbox's env" \
	grep -qx 'RUNSC_IT_VAR=x y=z' <<<"$got"
got=$(RUNSC_IT_VAR=1 rs "$BB" sh -c 'echo "$RUNSC_IT_VAR:$HOME"' 2>/dev/null)
check env_visible_to_shell "got \`$got\`, want \`1:$HOME\`" test "$got" == "1:$HOME"

expect shell_redirections_and_pipeline "$(printf '3\nA\nB\nC\nmissing\nerr')" \
	"$BB" sh -c 'printf "b\na\nc\n" | sort | tr a-z A-Z > /tmp/o-$$; wc -l < /tmp/o-$$;
		cat < /tmp/o-$$; rm /tmp/o-$$; ls /nonexistent 2>/dev/null || echo missing;
		(echo err >&2) 2>&1'
expect shell_append_and_subshell "$(printf 'one\ntwo\n2')" \
	"$BB" sh -c 'echo one > /tmp/f-$$; echo two >> /tmp/f-$$; cat /tmp/f-$$; (cd /tmp && wc -l < f-$$); rm /tmp/f-$$'

# Named pipes: a writer and a reader meet at a FIFO made by mkfifo.
expect mkfifo_carries_data_between_processes "$(printf 'through-fifo\nprw-------')" \
	"$BB" sh -c 'f=/tmp/ff-$$; mkfifo -m 600 $f && { echo through-fifo > $f & cat $f; wait; };
		ls -l $f | cut -c1-10; rm $f'
# dmesg reads the sandbox's own kernel log through syslog(2), never the host's.
expect dmesg_reads_the_sandbox_log "1" "$BB" sh -c "$BB dmesg | $BB grep -c 'runsc: a sandbox'"
# chroot into a directory holding a copy of busybox: / and .. are that directory.
expect chroot_runs_program_in_new_root "$(printf '/\nbin\nbusybox')" \
	"$BB" sh -c "d=/tmp/cr-\$\$; mkdir -p \$d/bin && cp $BB \$d/bin/busybox &&
		chroot \$d /bin/busybox sh -c 'cd /..; /bin/busybox pwd; /bin/busybox ls /; /bin/busybox ls /bin';
		rm -rf \$d"

# unshare -m: a tmpfs mounted in the new mount namespace, remounted read-only, is gone
# for the parent (mount(2), umount2(2) and CLONE_NEWNS; see test/syscalls/mount_*_test).
expect unshare_mount_tmpfs_stays_private "$(printf 'hi\nro\nparent-clean')" \
	"$BB" sh -c "D=/tmp/um-\$\$; mkdir \$D; export D; $BB unshare -m $BB sh -c '
		$BB mount -t tmpfs -o size=1m none \$D && echo hi > \$D/f && cat \$D/f &&
		$BB mount -o remount,ro \$D && { echo x 2>/dev/null > \$D/g || echo ro; }';
		$BB grep -q \" \$D \" /proc/self/mounts || echo parent-clean; ls \$D; rmdir \$D"

got=$(cd /usr/share && rs "$BB" pwd 2>/dev/null)
check cwd_carried_over "got \`$got\`, want /usr/share" test "$got" == /usr/share
got=$(cd /usr/share && rs "$BB" ls -d doc 2>/dev/null)
check relative_path_uses_cwd "got \`$got\`, want doc" test "$got" == doc

# --- exit statuses -----------------------------------------------------------------
status true_exits_0 0 "$BB" true
status false_exits_1 1 "$BB" false
status shell_exit_code_passed_through 42 "$BB" sh -c 'exit 42'
if [ -x "$SEGV" ]; then
	status sigsegv_exits_139 139 "$SEGV"
else
	fail sigsegv_exits_139 "no segv helper at \`$SEGV\` (build integration_segv)"
fi
# A process killed by SIGKILL exits 137; pid 1 itself ignores a SIGKILL sent from inside
# its pid namespace (Linux: only SIGKILL/SIGSTOP from an ancestor namespace reach init).
status sigkill_of_self_exits_137 137 "$BB" sh -c 'sh -c "kill -9 \$\$"; exit $?'
expect init_ignores_own_sigkill alive "$BB" sh -c 'kill -9 $$; echo alive'

rs /nonexistent/runsc-no-such-program >/dev/null 2>"$work/stderr"
rc=$?
check missing_program_exits_127 "exit $rc, want 127" test $rc -eq 127
check missing_program_explained_on_stderr \
	"stderr does not name the program: $(head -c 200 "$work/stderr")" \
	grep -q 'runsc-no-such-program' "$work/stderr"

# --- the overlay keeps writes away from the host ------------------------------------
expect overlay_write_visible_inside "x" "$BB" sh -c "echo x > /etc/$uniq && cat /etc/$uniq"
check overlay_write_does_not_reach_host "/etc/$uniq exists on the host" test ! -e "/etc/$uniq"

echo original > "$hostdir/keep"
echo victim > "$hostdir/victim"
expect overlay_modify_and_delete_inside "changed:gone" "$BB" sh -c \
	"echo changed > $hostdir/keep; rm $hostdir/victim; mkdir $hostdir/newdir;
	 printf '%s:' \$(cat $hostdir/keep); test -e $hostdir/victim || echo gone"
check overlay_modify_does_not_reach_host "host file changed to \`$(cat "$hostdir/keep")\`" \
	test "$(cat "$hostdir/keep")" == original
check overlay_delete_does_not_reach_host "host file was deleted" test -e "$hostdir/victim"
check overlay_mkdir_does_not_reach_host "host directory was created" test ! -e "$hostdir/newdir"

# runsc do shows the host's /tmp through the overlay (so it runs from anywhere), but a
# change made inside stays inside.
echo host > "/tmp/$uniq"
expect sandbox_tmp_shows_host_files "host" "$BB" cat "/tmp/$uniq"
status sandbox_tmp_change_stays_inside 0 "$BB" sh -c "echo changed > /tmp/$uniq"
check sandbox_tmp_change_does_not_reach_host "host /tmp file changed" \
	test "$(cat "/tmp/$uniq")" == host
rm -f "/tmp/$uniq"

# A platform that cannot run here fails at once with a message, exit 1.
timeout "$TMO" "$RUNSC" --platform=no-such-platform do "$BB" true >/dev/null 2>"$work/stderr"
rc=$?
check unknown_platform_exits_1 "exit $rc: $(head -1 "$work/stderr")" \
	test $rc -eq 1 -a -n "$(grep 'cannot run here' "$work/stderr")"

# --- the Sentry is confined: seccomp and its own namespaces -------------------------
# descendants PID: every process below PID, one per line, parents first.
# (Scans /proc: kernels without CONFIG_PROC_CHILDREN lack task/*/children.)
descendants() {
	local f line rest pid queue=("$1") i=0
	local -A kids=()
	for f in /proc/[0-9]*/stat; do
		read -r line <"$f" 2>/dev/null || continue
		pid=${line%% *}
		rest=${line##*) }
		set -- $rest
		kids[$2]+=" $pid"
	done
	while [ $i -lt ${#queue[@]} ]; do
		for pid in ${kids[${queue[$i]}]:-}; do
			echo "$pid"
			queue+=("$pid")
		done
		i=$((i + 1))
	done
}

# find_role PID WORD: the topmost descendant of PID whose argv has WORD (e.g. boot).
find_role() {
	local p args pargs ppid
	for p in $(descendants "$1"); do
		args=$(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)
		[[ " $args" == *" $2 "* ]] || continue
		ppid=$(awk '/^PPid:/ {print $2}' /proc/"$p"/status 2>/dev/null)
		pargs=$(tr '\0' ' ' </proc/"$ppid"/cmdline 2>/dev/null)
		[[ " $pargs" == *" $2 "* ]] && continue
		echo "$p"
		return 0
	done
	return 1
}

timeout "$TMO" "$RUNSC" --platform="$PLATFORM" do "$BB" sleep 3 </dev/null >/dev/null 2>&1 &
bgpid=$!
sentry=""
for _ in $(seq 50); do
	sentry=$(find_role "$bgpid" boot) && break
	sleep 0.1
done
if [ -z "$sentry" ]; then
	fail sentry_found "no \`runsc boot\` process below runsc do (pid $bgpid)"
else
	ok sentry_found
	sc=$(awk '/^Seccomp:/ {print $2}' /proc/"$sentry"/status)
	check sentry_under_seccomp_filter "Seccomp: $sc in /proc/$sentry/status, want 2" \
		test "$sc" == 2
	for ns in pid net ipc uts mnt; do
		mine=$(readlink /proc/self/ns/$ns)
		theirs=$(readlink /proc/"$sentry"/ns/$ns)
		check "sentry_in_own_${ns}_namespace" "same $ns namespace as the caller ($mine)" \
			test -n "$theirs" -a "$theirs" != "$mine"
	done
	gofer=$(find_role "$bgpid" gofer)
	if [ -n "$gofer" ]; then
		sc=$(awk '/^Seccomp:/ {print $2}' /proc/"$gofer"/status)
		check gofer_under_seccomp_filter "Seccomp: $sc for gofer $gofer, want 2" \
			test "$sc" == 2
	fi
fi
wait "$bgpid"
rc=$?
bgpid=""
check sleeping_sandbox_exits_0 "exit $rc" test $rc -eq 0

timeout "$TMO" "$RUNSC" --platform="$PLATFORM" "$PROBE_FLAG" do /bin/true \
	</dev/null >/dev/null 2>"$work/stderr"
rc=$?
check seccomp_probe_kills_sentry "exit $rc, want non-zero" test $rc -ne 0
if [ -n "$PROBE_EXPECT_RC" ]; then
	check seccomp_probe_exit_is_sigsys "exit $rc, want $PROBE_EXPECT_RC" \
		test $rc -eq "$PROBE_EXPECT_RC"
fi
check seccomp_probe_reported "stderr lacks /$PROBE_STDERR_RE/: $(head -c 200 "$work/stderr")" \
	grep -Eqi "$PROBE_STDERR_RE" "$work/stderr"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
