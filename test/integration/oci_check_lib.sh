# oci_check_lib.sh: shared by the OCI tests (the bundle tests, oci_lifecycle_test.sh, and the
# real clients' podman_test.sh and containerd_test.sh): argument parsing, a scratch
# directory removed at exit, `ok`/`fail` counting, and `rs` (runsc with the test's --root
# and --platform). Source it after setting IDS (container ids to delete at exit; it may
# grow later), PREFIX (scratch directory name) and optionally TMO (seconds a command may
# take; 60). A test that has more to undo at exit defines oci_cleanup_first.
#
# Each check prints `ok NAME` or `FAIL NAME: why`; oci_summary prints `N passed, N failed`.

here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
root=$(cd "$here/../.." && pwd)
RUNSC=${RUNSC:-$root/build/runsc/runsc}
PLATFORM=ptrace
BB=/bin/busybox
TMO=${TMO:-60}

for arg in "$@"; do
	case "$arg" in
	--runsc=*) RUNSC=${arg#*=} ;;
	--platform=*) PLATFORM=${arg#*=} ;;
	--busybox=*) BB=${arg#*=} ;;
	-h | --help) awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0"; exit 0 ;;
	*) echo "$(basename "$0"): unknown argument \`$arg\`" >&2; exit 2 ;;
	esac
done
RUNSC=$(realpath "$RUNSC") # the runs cd into the bundle

passed=0
failed=0
work=$(mktemp -d "/tmp/runsc-$PREFIX-XXXXXX")
state="$work/state"
oci_cleanup() {
	if declare -F oci_cleanup_first >/dev/null; then oci_cleanup_first; fi
	for id in $IDS; do rs delete --force "$id" >/dev/null 2>&1; done
	rm -rf "$work"
}
trap oci_cleanup EXIT

ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# check NAME WHY CMD...: ok when CMD succeeds.
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then ok "$name"; else fail "$name" "$why"; fi
}
# has NAME FILE TEXT: ok when FILE holds the line TEXT.
has() { check "$1" "no line \`$3\` in: $(tr '\n' '|' <"$2")" grep -qxF -- "$3" "$2"; }

rs() { timeout --kill-after=5 "$TMO" "$RUNSC" --root "$state" --platform="$PLATFORM" "$@"; }

# run ID: runsc run in the bundle $B, output to $work/ID.out, exit code to $work/ID.rc.
run() {
	(cd "$B" && rs run "$1" >"$work/$1.out" 2>&1; echo $? >"$work/$1.rc")
	rs delete --force "$1" >/dev/null 2>&1
}

# busybox_rootfs DIR APPLET...: DIR/bin/busybox and a link per applet.
busybox_rootfs() {
	local dir=$1
	shift
	mkdir -p "$dir/bin" "$dir/tmp" "$dir/etc"
	cp "$BB" "$dir/bin/busybox"
	for c in "$@"; do ln -sf busybox "$dir/bin/$c"; done
}

oci_summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
