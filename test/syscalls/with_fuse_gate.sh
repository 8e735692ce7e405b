#!/bin/bash
# Run a *_fuse_test with $H_RW_DIR: a read-write host dir (inside `runsc do`, a bind mount
# through the Gofer) holding files a b c d (4 bytes each) and, at fuse/, the FUSE
# filesystem of fuse_gate, whose file fuse/slow blocks getattr and read from the moment
# the test creates $H_RW_DIR/arm until it creates $H_RW_DIR/go.
# usage: with_fuse_gate.sh FUSE_GATE CMD [ARGS...]   (CMD may be `runsc ... do PROGRAM`)
set -u
gate=$1
shift
if [ ! -w /dev/fuse ] || [ "$(id -u)" != 0 ]; then
	echo "FAIL fuse_gate: needs root and /dev/fuse (scripts/setup.sh installs fuse3)"
	exit 1
fi
d=$(mktemp -d /tmp/runsc-fuse-XXXXXX) || exit 2
mkdir "$d/rw" "$d/rw/fuse" "$d/mnt"
for f in a b c d; do printf '%s%s%s%s' $f $f $f $f >"$d/rw/$f"; done
chmod -R a+rX "$d"
"$gate" "$d/rw" 2>"$d/gate.log" &
gpid=$!
cleanup() {
	umount -l "$d/rw/fuse" 2>/dev/null
	kill "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
for _ in $(seq 100); do
	mountpoint -q "$d/rw/fuse" && break
	sleep 0.1
done
if ! mountpoint -q "$d/rw/fuse"; then
	echo "FAIL fuse_gate: no FUSE mount at $d/rw/fuse: $(cat "$d/gate.log")"
	exit 1
fi

# Inside the sandbox the rw dir is bind-mounted at mnt/.
. "$(dirname "$0")/rw_volume.sh"
with_rw_volume "$d/rw" "$d/mnt" "$@"
H_RW_DIR=$rw "${args[@]}"
exit $?
