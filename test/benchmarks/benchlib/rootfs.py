"""The benchmark root filesystem: a small tree made from the host's own files.

Native runs chroot into it, OCI bundles use it as their root, and `runsc do`
(which always serves the host's `/`) finds the very same files at the very same
paths, because every file here is a hard link to (or, across file systems, a copy
of) the host file at the same path. Workload inputs live under /bench, which is
the working directory of every workload in every runtime.
"""

import glob
import hashlib
import os
import shutil
import stat
import subprocess
import sys

from . import inputs

# Bump when the layout changes: a rootfs with another stamp is rebuilt.
LAYOUT_VERSION = "3"

# Programs the workloads run (their shared libraries follow through ldd).
PROGRAMS = [
    "/bin/sh", "/bin/dash", "/bin/true", "/bin/sleep", "/bin/cat", "/bin/cp",
    "/bin/mkdir", "/bin/rm", "/bin/ls", "/usr/bin/env", "/bin/tar", "/bin/gzip",
    "/usr/bin/python3", "/usr/bin/sqlite3", "/usr/bin/make",
    "/usr/bin/gcc", "/usr/bin/cc", "/usr/bin/as", "/usr/bin/ld",
    "/usr/bin/x86_64-linux-gnu-ld.bfd", "/bin/busybox",
]

# Whole trees, linked file by file (cheap: hard links).
TREES = [
    "/usr/lib/python3.11",
    "/usr/lib/python3/dist-packages",
    "/usr/local/lib/python3.11",
    "/usr/lib/gcc/x86_64-linux-gnu/12",
    "/usr/include",
]

# Single files and globs gcc's link step and the C library need.
FILES = [
    "/usr/lib/x86_64-linux-gnu/*crt*.o",
    "/usr/lib/x86_64-linux-gnu/libc.so",
    "/usr/lib/x86_64-linux-gnu/libc_nonshared.a",
    "/usr/lib/x86_64-linux-gnu/libm.so",
    "/usr/lib/x86_64-linux-gnu/libmvec.so",
    "/lib64/ld-linux-x86-64.so.2",
    "/etc/ld.so.cache",
]

# Top-level links of a merged-/usr Debian, so host paths resolve the same way.
TOP_LINKS = {"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"}


class RootfsBuilder:
    """Builds ROOT once; `ensure()` is a no-op while the stamp matches."""

    def __init__(self, root, micro_src, micro_bin=None, log=print):
        self.root = os.path.abspath(root)
        self.micro_src = micro_src
        self.micro_bin = micro_bin
        self.log = log
        self._seen = set()

    def stamp(self):
        h = hashlib.sha256()
        h.update(LAYOUT_VERSION.encode())
        for path in [__file__, inputs.__file__]:
            with open(path, "rb") as f:
                h.update(f.read())
        h.update(sys.version.encode())
        return h.hexdigest()[:16]

    def ensure(self):
        stamp_path = os.path.join(self.root, ".bench-stamp")
        try:
            with open(stamp_path) as f:
                fresh = f.read().strip() == self.stamp()
        except OSError:
            fresh = False
        if not fresh:
            self.log(f"rootfs: building {self.root} from host files")
            self._rebuild()
            with open(stamp_path, "w") as f:
                f.write(self.stamp() + "\n")
        self._install_micro()
        self._make_rw()
        return self.root

    def _make_rw(self):
        """bench/rw/file: 4 KiB on the read-write bind mount of the *_rw workloads."""
        rw = os.path.join(self.root, "bench", "rw")
        os.makedirs(rw, exist_ok=True)
        with open(os.path.join(rw, "file"), "wb") as f:
            f.write(b"r" * 4096)

    def _rebuild(self):
        release_stale_tmp(self.root)
        if mounts_under(self.root):
            raise RuntimeError(f"refusing to rebuild {self.root}: something is mounted under it")
        if os.path.lexists(self.root):
            shutil.rmtree(self.root)
        os.makedirs(self.root)
        for name, target in TOP_LINKS.items():
            os.makedirs(os.path.join(self.root, target), exist_ok=True)
            os.symlink(target, os.path.join(self.root, name))
        for d in ["etc", "proc", "sys", "dev", "tmp", "bench", "usr/sbin"]:
            os.makedirs(os.path.join(self.root, d), exist_ok=True)
        os.chmod(os.path.join(self.root, "tmp"), 0o1777)
        self._make_etc()
        self._make_dev()
        for tree in TREES:
            self.add_tree(tree)
        for pattern in FILES:
            for path in glob.glob(pattern):
                self.add(path)
        for prog in PROGRAMS:
            if os.path.lexists(prog):
                self.add(prog)
        inputs.write_all(os.path.join(self.root, "bench"))

    def _make_etc(self):
        etc = os.path.join(self.root, "etc")
        with open(os.path.join(etc, "passwd"), "w") as f:
            f.write("root:x:0:0:root:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
        with open(os.path.join(etc, "group"), "w") as f:
            f.write("root:x:0:\nnogroup:x:65534:\n")
        with open(os.path.join(etc, "hostname"), "w") as f:
            f.write("bench\n")

    def _make_dev(self):
        # Native runs see no devtmpfs: give them the few nodes programs open.
        if os.geteuid() != 0:
            return
        for name, minor in [("null", 3), ("zero", 5), ("urandom", 9)]:
            path = os.path.join(self.root, "dev", name)
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
            os.chmod(path, 0o666)

    def _dest(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def add(self, path):
        """Adds host PATH (following symlinks, each link kept as a link) and its libraries."""
        path = canonical_dir(path)
        if path in self._seen or not os.path.lexists(path):
            return
        self._seen.add(path)
        dest = self._dest(path)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.islink(path):
            target = os.readlink(path)
            if not os.path.lexists(dest):
                os.symlink(target, dest)
            self.add(os.path.normpath(os.path.join(os.path.dirname(path), target)))
            return
        if os.path.isdir(path):
            self.add_tree(path)
            return
        link_or_copy(path, dest)
        self._add_libs(path)

    def add_tree(self, top):
        if not os.path.isdir(top):
            return
        for dirpath, dirnames, filenames in os.walk(top):
            os.makedirs(self._dest(dirpath), exist_ok=True)
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                path = os.path.join(dirpath, name)
                dest = self._dest(path)
                if os.path.lexists(dest):
                    continue
                if os.path.islink(path):
                    os.symlink(os.readlink(path), dest)
                elif os.path.isfile(path):
                    link_or_copy(path, dest)
                    # Programs and plugins in trees (cc1, lto-wrapper, lib-dynload) need their libraries.
                    if os.access(path, os.X_OK) or name.endswith(".so"):
                        self._add_libs(path)
            self._seen.add(dirpath)

    def _add_libs(self, path):
        """Adds the shared libraries (and interpreter) of PATH when it is a dynamic ELF file."""
        try:
            with open(path, "rb") as f:
                if f.read(4) != b"\x7fELF":
                    return
        except OSError:
            return
        out = subprocess.run(["ldd", path], capture_output=True, text=True)
        if out.returncode != 0:
            return
        for line in out.stdout.splitlines():
            for word in line.split():
                if word.startswith("/"):
                    self.add(word)

    def _install_micro(self):
        dest = os.path.join(self.root, "bench", "micro")
        if self.micro_bin:
            shutil.copy2(self.micro_bin, dest)
            return
        if os.path.exists(dest) and os.path.getmtime(dest) >= os.path.getmtime(self.micro_src):
            return
        self.log("rootfs: compiling micro.c (static)")
        subprocess.run(["gcc", "-O2", "-static", "-D_GNU_SOURCE", "-Wall", "-Wextra",
                        "-o", dest, self.micro_src], check=True)


def canonical_dir(path):
    """PATH with its directory resolved (so /bin/x becomes /usr/bin/x), its last part kept."""
    path = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def link_or_copy(src, dest):
    if os.path.lexists(dest):
        return
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


TMP_SOURCE = "bench-tmp"  # the source name of the harness's own tmpfs at ROOTFS/tmp


def mounts_under(root, source=None):
    """Mount points at or below ROOT (from /proc/self/mounts), only SOURCE's when given."""
    root = os.path.realpath(root)
    found = []
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                src, mnt = line.split()[:2]
                mnt = mnt.replace("\\040", " ")
                if (mnt == root or mnt.startswith(root + "/")) and source in (None, src):
                    found.append(mnt)
    except OSError:
        pass
    return found


def release_stale_tmp(root):
    """Unmounts a tmpfs a killed earlier run left at ROOT/tmp (only the harness's own)."""
    for mnt in reversed(mounts_under(root, TMP_SOURCE)):
        subprocess.run(["umount", mnt])
