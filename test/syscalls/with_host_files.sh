#!/bin/bash
# Run a *_host_test with fresh host files that the sandbox reaches through the Gofer:
#   $H_LOWER_DIR       files 0..7 under /tmp: inside `runsc do` the overlay's read-only
#                      lower layer (writes copy them up; the host files never change)
#   $H_RW_DIR          a read-write bind mount (`runsc do --volume`) of the host dir
#                      rw/, holding a b c d; natively rw/ itself
#   $H_RW_HOST_VIEW    rw/ as the host has it (inside: through the overlay's lower
#                      layer, which reads the host file on every read)
# Each file of 0..7 holds 4 pages, page N filled with 'a'+N, the last one 100 bytes short
# (16284 bytes); a b c d hold 8192 bytes of 'r'. After mm_gofer_host_test the host file
# rw/munmapped must hold what it wrote into it through a shared mapping (written back at
# munmap). gofer_xattr_host_test also gets $H_RO_DIR, a read-only bind mount of the host
# dir ro/ (natively ro/ itself), and user.* attributes set on host files before the run
# and checked on the host after it.
# usage: with_host_files.sh CMD [ARGS...]   (CMD may be `runsc ... do PROGRAM`)
set -u
d=$(mktemp -d /tmp/runsc-host-XXXXXX) || exit 2
trap 'rm -rf "$d"' EXIT
chmod 755 "$d"
for c in a b c d; do head -c 4096 /dev/zero | tr '\0' "$c"; done | head -c 16284 >"$d/0"
for i in 1 2 3 4 5 6 7; do cp "$d/0" "$d/$i"; done
mkdir "$d/rw" "$d/mnt"
for f in a b c d; do head -c 8192 /dev/zero | tr '\0' r >"$d/rw/$f"; done
xattr_test=0
if [[ "$*" == *gofer_xattr_host_test* ]]; then
	xattr_test=1
	mkdir "$d/ro" "$d/romnt" && echo ro >"$d/ro/a" || exit 2
	python3 - "$d" <<'EOF' || exit 2
import os, sys
os.setxattr(sys.argv[1] + "/rw/a", "user.from_host", b"host-value")
os.setxattr(sys.argv[1] + "/ro/a", "user.ro", b"ro-value")
EOF
fi
chmod -R a+rX "$d"

# Inside the sandbox the rw dir is bind-mounted at mnt/, so rw/ stays the host's view.
. "$(dirname "$0")/rw_volume.sh"
with_rw_volume "$d/rw" "$d/mnt" "$@"
ro=$d/ro
if [ $xattr_test -eq 1 ] && [ "$rw" != "$d/rw" ]; then # in a sandbox: ro/ mounted read-only
	a2=() ro=$d/romnt
	for a in "${args[@]}"; do
		a2+=("$a")
		[ "$a" = "--volume=$d/rw:$d/mnt" ] && a2+=("--volume=$d/ro:$d/romnt:ro")
	done
	args=("${a2[@]}")
fi
# gofer_lock_host_test: a host process holds a record lock on rw/a and answers the test
# (host/lock_holder.py); H_LOCK_PID is its pid natively, 0 in the sandbox (another pid
# namespace, where Linux reports a holder's pid as 0).
export H_LOCK_PID=
if [[ "$*" == *gofer_lock_host_test* ]]; then
	"$(dirname "$0")/host/lock_holder.py" "$d/rw" "$d/held" &
	holder=$!
	for _ in $(seq 500); do [ -e "$d/held" ] || sleep 0.02; done
	[ -e "$d/held" ] || { echo "FAIL lock_holder.py did not take its lock"; exit 1; }
	H_LOCK_PID=$holder
	[ "$rw" != "$d/rw" ] && H_LOCK_PID=0
fi
H_LOWER_DIR=$d H_RW_DIR=$rw H_RW_HOST_VIEW=$d/rw H_RO_DIR=$ro "${args[@]}"
rc=$?
if [ -n "$H_LOCK_PID" ]; then
	wait $holder || { echo "FAIL lock_holder.py exited $?"; [ $rc -eq 0 ] && rc=1; }
fi
# gofer_xattr_host_test: what the sandbox set is on the host file, and nothing but user.*.
if [ $rc -eq 0 ] && [ $xattr_test -eq 1 ]; then
	python3 - "$d" <<'EOF' || exit 1
import os, sys
d = sys.argv[1]
got = os.getxattr(d + "/rw/c", "user.from_sandbox")
other = [n for f in "abcd" for n in os.listxattr(d + "/rw/" + f) if not n.startswith("user.")]
ro = os.listxattr(d + "/ro/a")
if got != b"sandbox-value" or other or ro != ["user.ro"]:
    print("FAIL host_has_sandbox_xattrs: rw/c user.from_sandbox=%r, non-user names %r, "
          "ro/a %r" % (got, other, ro))
    sys.exit(1)
print("ok host_has_sandbox_xattrs")
EOF
fi
# Only mm_gofer_host_test writes rw/munmapped through a mapping.
if [ $rc -eq 0 ] && [[ "$*" == *mm_gofer_host_test* ]]; then
	got=$(head -c 11 "$d/rw/munmapped" 2>/dev/null; echo "|$(tail -c +4097 "$d/rw/munmapped" 2>/dev/null | head -c 8)")
	if [ "$got" != "via-mapping|page-two" ]; then
		echo "FAIL host_has_mapped_writes: rw/munmapped on the host holds \`$got\`"
		exit 1
	fi
	echo "ok host_has_mapped_writes"
fi
exit $rc
