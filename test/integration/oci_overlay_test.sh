#!/usr/bin/env bash
# The root filesystem's overlay and --overlay2=none (write through to the host): by default
# a file created, modified, renamed or removed in the container leaves the bundle's rootfs
# untouched; with --overlay2=none the same changes reach it; root.readonly gives EROFS
# either way; a symlink in the rootfs cannot lead a write out of it; `runsc do` writes to
# the host only with the global flag (its --no-overlay is refused).
#
# usage: oci_overlay_test.sh [--runsc=PATH] [--platform=P] [--busybox=PATH]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
set -u

IDS="ov1 ov2 ov3 ov4" PREFIX=overlay
# shellcheck source=oci_check_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/oci_check_lib.sh"

B="$work/b"
R="$B/rootfs"
H="$work/outside"

# fresh_rootfs: the bundle's rootfs as the checks expect it before each run.
fresh_rootfs() {
	rm -rf "$R" "$H"
	busybox_rootfs "$R" sh echo cat ls mkdir rm mv stat grep
	mkdir -p "$R/data" "$R/proc" "$R/dev" "$R/sys" "$H"
	echo original >"$R/data/mod"
	echo old-name >"$R/data/from"
	echo doomed >"$R/data/victim"
	# An absolute symlink to a host directory: inside, it names $H under the rootfs.
	ln -s "$H" "$R/escape"
}

# config READONLY: config.json running the change script; READONLY is True or False.
config() {
	RO=$1 python3 - "$B/config.json" <<'PY'
import json, os, sys
script = """
echo created >/data/new; echo "create=$?"
echo modified >/data/mod; echo "modify=$?"
mv /data/from /data/to; echo "rename=$?"
rm /data/victim; echo "unlink=$?"
mkdir /data/dir; echo "mkdir=$?"
echo out >/escape/leak 2>/dev/null; echo "escape=$?"
echo x 2>&1 >/data/probe | grep -q "Read-only file system" && echo erofs
cat /data/mod /data/to
"""
c = {"ociVersion": "1.0.2",
     "root": {"path": "rootfs", "readonly": os.environ["RO"] == "True"},
     "hostname": "overlay",
     "process": {"args": ["sh", "-c", script], "env": ["PATH=/bin"], "cwd": "/",
                 "user": {"uid": 0, "gid": 0}},
     "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]}
json.dump(c, open(sys.argv[1], "w"))
PY
}

# run_with ID GLOBAL-FLAGS...: runsc run in $B with extra global flags.
run_with() {
	local id=$1
	shift
	(cd "$B" && rs "$@" run "$id" >"$work/$id.out" 2>&1; echo $? >"$work/$id.rc")
	rs delete --force "$id" >/dev/null 2>&1
}

host_is() { test "$(cat "$1" 2>/dev/null)" == "$2"; }
ran_ok() {
	check "$1_exits_0" "exit $(cat "$work/$2.rc"): $(tr '\n' '|' <"$work/$2.out")" \
		test "$(cat "$work/$2.rc")" -eq 0
}
# inside_changes NAME ID: the changes succeeded inside the container.
inside_changes() {
	local o="$work/$2.out" w
	for w in create modify rename unlink mkdir; do has "$1_${w}_inside" "$o" "$w=0"; done
	has "$1_reads_own_write" "$o" modified
	has "$1_reads_renamed" "$o" old-name
}

# --- default (root:memory): the changes stay in the sandbox's memory ---
fresh_rootfs
config False
run_with ov1
ran_ok overlay ov1
inside_changes overlay ov1
check overlay_host_no_create "found $R/data/new" test ! -e "$R/data/new"
check overlay_host_not_modified "host: $(cat "$R/data/mod")" host_is "$R/data/mod" original
check overlay_host_not_renamed "host lost from or has to" \
	test -e "$R/data/from" -a ! -e "$R/data/to"
check overlay_host_not_unlinked "host lost victim" test -e "$R/data/victim"
check overlay_host_no_mkdir "found $R/data/dir" test ! -e "$R/data/dir"
check overlay_no_escape "found $H/leak" test ! -e "$H/leak"

# --- --overlay2=none: the same changes reach the bundle's rootfs on the host ---
fresh_rootfs
config False
run_with ov2 --overlay2=none
ran_ok write_through ov2
inside_changes write_through ov2
check write_through_host_create "host: $(cat "$R/data/new" 2>&1)" host_is "$R/data/new" created
check write_through_host_modify "host: $(cat "$R/data/mod")" host_is "$R/data/mod" modified
check write_through_host_rename "host: from $(ls "$R/data")" \
	test ! -e "$R/data/from" -a "$(cat "$R/data/to" 2>/dev/null)" == old-name
check write_through_host_unlink "host still has victim" test ! -e "$R/data/victim"
check write_through_host_mkdir "no $R/data/dir" test -d "$R/data/dir"
check write_through_no_escape "found $H/leak (a symlink led a write out of the rootfs)" \
	test ! -e "$H/leak"
check write_through_symlink_kept "escape is $(stat -c %F "$R/escape")" test -L "$R/escape"

# --- root.readonly: EROFS with and without the overlay; the host is untouched ---
for mode in memory none; do
	fresh_rootfs
	config True
	if [ $mode = none ]; then run_with ov3 --overlay2=none; else run_with ov3; fi
	o="$work/ov3.out"
	# Exit 1: the script's last command reads /data/to, which the refused rename left out.
	check "readonly_${mode}_exits_1" "exit $(cat "$work/ov3.rc"): $(tr '\n' '|' <"$o")" \
		test "$(cat "$work/ov3.rc")" -eq 1
	for w in create modify rename unlink mkdir; do
		has "readonly_${mode}_${w}_fails" "$o" "$w=1"
	done
	has "readonly_${mode}_is_erofs" "$o" erofs
	has "readonly_${mode}_reads_original" "$o" original
	check "readonly_${mode}_host_untouched" "host: $(ls "$R/data" | tr '\n' ' ')" \
		test ! -e "$R/data/new" -a ! -e "$R/data/probe" -a -e "$R/data/victim" \
		-a "$(cat "$R/data/mod")" == original
done

# --- flag values: gVisor's spelling; what we do not have is refused ---
"$RUNSC" --overlay2=all:self --help >"$work/bad.out" 2>&1
rc=$?
check overlay2_bad_value_refused "exit 0: $(cat "$work/bad.out")" test $rc -ne 0
check overlay2_bad_value_says_why "said: $(cat "$work/bad.out")" \
	grep -q "root:memory or none" "$work/bad.out"
"$RUNSC" --help >"$work/help.out" 2>&1
check help_mentions_overlay2 "no --overlay2 in --help" grep -q -- "--overlay2" "$work/help.out"

# --- runsc do: the host's / is written only with --overlay2=none ---
D="$work/dodir"
mkdir -p "$D"
echo original >"$D/mod"
dorun() { timeout --kill-after=5 "$TMO" "$RUNSC" --platform="$PLATFORM" "$@"; }
dorun do "$BB" sh -c "echo x >$D/new && echo y >$D/mod && echo do_ok" >"$work/do1.out" 2>&1
has do_overlay_runs "$work/do1.out" do_ok
check do_overlay_host_untouched "host: $(ls "$D" | tr '\n' ' ')" \
	test ! -e "$D/new" -a "$(cat "$D/mod")" == original
dorun do --no-overlay "$BB" true >"$work/do2.out" 2>&1
rc=$?
check do_no_overlay_refused "exit $rc: $(cat "$work/do2.out")" test $rc -eq 2
has do_no_overlay_names_flag "$work/do2.out" \
	"runsc do: --no-overlay is refused; to let the program write to the host's / use \`runsc --overlay2=none do ...\`"
dorun --overlay2=none do "$BB" sh -c "echo x >$D/new && echo y >$D/mod && mv $D/new $D/moved && echo do_ok" \
	>"$work/do3.out" 2>&1
has do_write_through_runs "$work/do3.out" do_ok
check do_write_through_reaches_host "host: $(ls "$D" | tr '\n' ' ')" \
	test ! -e "$D/new" -a "$(cat "$D/moved" 2>/dev/null)" == x -a "$(cat "$D/mod")" == y

oci_summary
