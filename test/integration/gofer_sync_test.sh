#!/usr/bin/env bash
# sync(2) and syncfs(2) make what the sandbox wrote to a read-write bind mount durable on
# the host: the Sentry sends Tfsync for every file it holds a write fid of (the Gofer
# fsyncs the host file), not just the dirty pages of shared mappings. Counted in the
# Gofer's debug log (`9p: <- type 50`, Tfsync): none without a sync, one for each file
# written with sync and with syncfs (`sync -f`).
#
# usage: gofer_sync_test.sh [--runsc=PATH] [--platform=P]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
RUNSC=${RUNSC:-$root/build/runsc/runsc}
PLATFORM=ptrace

for arg in "$@"; do
	case "$arg" in
	--runsc=*) RUNSC=${arg#*=} ;;
	--platform=*) PLATFORM=${arg#*=} ;;
	-h | --help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "gofer_sync_test.sh: unknown argument \`$arg\`" >&2; exit 2 ;;
	esac
done

passed=0
failed=0
d=$(mktemp -d /tmp/runsc-sync-XXXXXX) || exit 2
trap 'rm -rf "$d"' EXIT
mkdir "$d/rw"

# check NAME WANT_TFSYNCS SCRIPT: run SCRIPT in bash in the sandbox, /mnt/rw the volume.
check() {
	local name=$1 want=$2 script=$3 got
	rm -f "$d/log" "$d/rw"/*
	if ! timeout 120 "$RUNSC" --platform="$PLATFORM" --debug --debug-log="$d/log" do \
		--volume="$d/rw:/mnt/rw" bash -c "$script" >"$d/out" 2>&1; then
		echo "FAIL $name: the sandbox failed: $(tail -3 "$d/out")"
		failed=$((failed + 1))
		return
	fi
	got=$(grep -c '9p: <- type 50 ' "$d/log")
	if [ "$got" != "$want" ]; then
		echo "FAIL $name: $got Tfsync messages, want $want"
		failed=$((failed + 1))
		return
	fi
	echo "ok $name"
	passed=$((passed + 1))
}

check no_sync_no_tfsync 0 'exec 3>/mnt/rw/a 4>/mnt/rw/b; echo x >&3; echo y >&4'
check sync_fsyncs_each_written_file 2 \
	'exec 3>/mnt/rw/a 4>/mnt/rw/b; echo x >&3; echo y >&4; sync'
check syncfs_fsyncs_the_mount 2 \
	'exec 3>/mnt/rw/a 4>/mnt/rw/b; echo x >&3; echo y >&4; sync -f /mnt/rw/a'
check syncfs_of_another_fs_does_not 0 \
	'exec 3>/mnt/rw/a; echo x >&3; sync -f /tmp'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
