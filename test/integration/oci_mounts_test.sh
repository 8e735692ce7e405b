#!/usr/bin/env bash
# OCI mounts: bind mounts (read-write reaching the host, read-only refusing with EROFS,
# file binds, host changes seen inside, a missing source refused at create), tmpfs with
# mode= and noexec, flags on /proc, /proc/self/mountinfo, maskedPaths and readonlyPaths.
# Bundles are built from the host's static busybox; config.json is edited with python3.
#
# usage: oci_mounts_test.sh [--runsc=PATH] [--platform=P] [--busybox=PATH]
#
# Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
set -u

IDS="m1 m2 m3 m4" PREFIX=mounts
# shellcheck source=oci_check_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/oci_check_lib.sh"

B="$work/b"
busybox_rootfs "$B/rootfs" sh echo cat ls mkdir rm mv stat cp chmod ln grep true dd
mkdir -p "$B/rootfs/secret" "$B/rootfs/rodir"
echo hidden >"$B/rootfs/secret/x"
echo hidden >"$B/rootfs/secretfile"
echo before >"$B/rootfs/rodir/y"

H="$work/host"
mkdir -p "$H/rw" "$H/ro"
echo host-ro >"$H/ro/f"
echo line1 >"$H/single"
echo gone >"$H/rw/victim"

# config ARGS-SCRIPT [PYTHON-EDIT]: config.json running sh -c SCRIPT with the standard
# mounts; PYTHON-EDIT may change the dict `c` further.
config() {
	SCRIPT=$1 EDIT=${2:-} H=$H python3 - "$B/config.json" <<'PY'
import json, os, sys
h = os.environ["H"]
c = {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "hostname": "mounts",
     "process": {"args": ["sh", "-c", os.environ["SCRIPT"]], "env": ["PATH=/bin"],
                 "cwd": "/", "user": {"uid": 0, "gid": 0}},
     "mounts": [
         {"destination": "/proc", "type": "proc", "source": "proc",
          "options": ["nosuid", "noexec", "nodev"]},
         {"destination": "/mnt/rw", "type": "bind", "source": h + "/rw",
          "options": ["rbind", "rw"]},
         {"destination": "/mnt/ro", "type": "none", "source": h + "/ro",
          "options": ["rbind", "ro"]},
         {"destination": "/etc/single", "type": "bind", "source": h + "/single",
          "options": ["bind"]},
         {"destination": "/run", "type": "tmpfs", "source": "tmpfs",
          "options": ["nosuid", "noexec", "mode=755", "size=65536k"]}],
     "linux": {"maskedPaths": ["/secret", "/secretfile", "/proc/kcore"],
               "readonlyPaths": ["/rodir", "/proc/sys"]}}
exec(os.environ["EDIT"])
json.dump(c, open(sys.argv[1], "w"))
PY
}


# --- bind mounts: rw writes reach the host, ro refuses, a file bind, host data inside ---
config '
echo written >/mnt/rw/new; echo "rw_write=$?"
echo x >/mnt/ro/g 2>/dev/null; echo "ro_write=$?"
echo x 2>&1 >/mnt/ro/g | grep -q "Read-only file system" && echo ro_erofs
cat /mnt/ro/f
cat /etc/single; echo line2 >>/etc/single; echo "file_append=$?"
mkdir /mnt/rw/d && mv /mnt/rw/new /mnt/rw/d/moved && echo renamed
rm /mnt/rw/victim && echo unlinked
ln -s target /mnt/rw/sl && echo symlinked
ln /mnt/rw/d/moved /mnt/rw/hard && echo hardlinked
stat -c "links=%h" /mnt/rw/hard
cat /mnt/rw/hostmade
stat -c "%s" /mnt/rw/hostmade
'
echo made-on-host >"$H/rw/hostmade"
run m1
out="$work/m1.out"
check run_exits_0 "exit $(cat "$work/m1.rc"): $(cat "$out")" test "$(cat "$work/m1.rc")" -eq 0
has rw_bind_write_succeeds "$out" "rw_write=0"
check rw_bind_write_reaches_host "host file: $(cat "$H/rw/d/moved" 2>&1)" test "$(cat "$H/rw/d/moved" 2>/dev/null)" == written
has ro_bind_write_fails "$out" "ro_write=1"
has ro_bind_write_is_erofs "$out" "ro_erofs"
check ro_bind_host_untouched "found $H/ro/g" test ! -e "$H/ro/g"
has ro_bind_readable "$out" "host-ro"
has file_bind_readable "$out" "line1"
has file_bind_append_succeeds "$out" "file_append=0"
check file_bind_append_reaches_host "host: $(tr '\n' '|' <"$H/single")" test "$(tr '\n' '|' <"$H/single")" == "line1|line2|"
has rw_bind_rename "$out" "renamed"
has rw_bind_unlink "$out" "unlinked"
check rw_bind_unlink_on_host "victim still there" test ! -e "$H/rw/victim"
has rw_bind_symlink "$out" "symlinked"
has rw_bind_hard_link "$out" "hardlinked"
has rw_bind_hard_link_count "$out" "links=2"
check rw_bind_hard_link_on_host "inodes $(stat -c %i "$H/rw/hard" "$H/rw/d/moved" 2>&1 | tr '\n' ' ')" test "$(stat -c %i "$H/rw/hard" 2>/dev/null)" == "$(stat -c %i "$H/rw/d/moved")"
check rw_bind_symlink_on_host "$(readlink "$H/rw/sl")" test "$(readlink "$H/rw/sl")" == target
has host_file_seen_inside "$out" "made-on-host"
has host_file_size_inside "$out" "13"

# --- tmpfs options, proc flags, mountinfo, masked and read-only paths ---
config '
stat -c "run_mode=%a" /run
stat -f -c "run_blocks=%b" /run
dd if=/dev/zero of=/run/big bs=1048576 count=80 2>&1 | grep -q "No space left on device" && echo run_enospc
echo "run_big_kib=$(($(stat -c %s /run/big) / 1024))"
rm -f /run/big; echo small >/run/small && echo run_writable_again
cp /bin/busybox /run/bb && chmod 755 /run/bb
/run/bb true 2>/dev/null; echo "noexec_exec=$?"
/run/bb true 2>&1 | grep -q "Permission denied" && echo noexec_eacces
grep " /proc " /proc/self/mountinfo | grep -q "rw,nosuid,nodev,noexec" && echo proc_flags
grep " /run " /proc/self/mountinfo | grep -q "nosuid,noexec" && echo run_flags
grep " /mnt/ro " /proc/self/mountinfo | grep -q " ro,relatime" && echo ro_in_mountinfo
grep -q " /etc/single " /proc/self/mountinfo && echo file_bind_in_mountinfo
echo "secret_entries=$(ls -A /secret | wc -l)"
echo "secretfile=[$(cat /secretfile)]"
echo x >/secretfile; echo "secretfile_write=$?"
echo "secretfile_after=[$(cat /secretfile)]"
echo z >/rodir/y 2>/dev/null; echo "rodir_write=$?"
echo z 2>&1 >/rodir/y | grep -q "Read-only file system" && echo rodir_erofs
cat /rodir/y
'
run m2
out="$work/m2.out"
check run2_exits_0 "exit $(cat "$work/m2.rc"): $(cat "$out")" test "$(cat "$work/m2.rc")" -eq 0
has tmpfs_mode_option "$out" "run_mode=755"
has tmpfs_size_in_statfs "$out" "run_blocks=16384"
has tmpfs_size_enospc "$out" "run_enospc"
has tmpfs_size_filled_to_limit "$out" "run_big_kib=65536"
has tmpfs_space_freed "$out" "run_writable_again"
has tmpfs_noexec_refuses_exec "$out" "noexec_exec=126"
has tmpfs_noexec_is_eacces "$out" "noexec_eacces"
has mountinfo_proc_flags "$out" "proc_flags"
has mountinfo_tmpfs_flags "$out" "run_flags"
has mountinfo_ro_bind "$out" "ro_in_mountinfo"
has mountinfo_file_bind "$out" "file_bind_in_mountinfo"
has masked_dir_is_empty "$out" "secret_entries=0"
has masked_file_reads_empty "$out" "secretfile=[]"
has masked_file_write_discarded "$out" "secretfile_write=0"
has masked_file_stays_empty "$out" "secretfile_after=[]"
has readonly_path_write_fails "$out" "rodir_write=1"
has readonly_path_is_erofs "$out" "rodir_erofs"
has readonly_path_readable "$out" "before"

# --- errors at create time ---
config 'true' 'c["mounts"][1]["source"] = h + "/missing"'
(cd "$B" && rs create m3 >"$work/m3.out" 2>&1)
rc=$?
check missing_source_refused "exit $rc: $(cat "$work/m3.out")" test $rc -eq 1
check missing_source_message "$(cat "$work/m3.out")" grep -q "mounts\[1\].source: .*missing.* does not exist" "$work/m3.out"
check missing_source_leaves_nothing "left: $(ls "$state" 2>/dev/null)" test ! -e "$state/m3"
config 'cat /data/f' 'c["mounts"].append({"destination": "/data", "type": "bind", "source": "../host/ro", "options": ["bind", "ro"]})'
run m4
check relative_source_is_bundle_relative "$(cat "$work/m4.out")" grep -qx host-ro "$work/m4.out"

oci_summary
