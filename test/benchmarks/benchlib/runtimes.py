"""Runtimes the workloads run under: native chroot, `runsc do`, and any OCI runtime (bundle + `run`).

Every runtime turns (argv, cwd, env) into a Command whose start() launches it and
whose finish() cleans up; the caller times between the two, so bundle writing and
clean-up are never part of a measurement.
"""

import copy
import itertools
import json
import os
import shlex
import shutil
import signal
import subprocess

# The read-write bind mount of the *_rw workloads: ROOTFS/bench/rw, at the same place inside.
RW_DIR = "bench/rw"

BENCH_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
}

_ids = itertools.count()


def descendants(root_pid):
    """ROOT_PID and every process below it (host pids, from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: ppid follows the last ')'.
        ppid = int(stat[stat.rfind(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def kill_tree(root_pid):
    for pid in reversed(descendants(root_pid)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Command:
    """One launch of a workload command under a runtime."""

    def __init__(self, argv, cwd=None, env=None, preexec=None, cleanup=None):
        self.argv, self.cwd, self.env = argv, cwd, env
        self.preexec, self.cleanup = preexec, cleanup
        self.proc = None

    def start(self, stdout=subprocess.PIPE, stderr=subprocess.PIPE):
        self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env,
                                     stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                     preexec_fn=self.preexec, start_new_session=True)
        return self.proc

    def wait(self, timeout):
        """(returncode, stdout, stderr); returncode None on timeout (the tree is killed)."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
            return self.proc.returncode, out, err
        except subprocess.TimeoutExpired:
            kill_tree(self.proc.pid)
            out, err = self.proc.communicate()
            return None, out, err
        except BaseException:
            # ^C or SIGTERM of the harness: leave no sandbox behind.
            kill_tree(self.proc.pid)
            self.proc.wait()
            raise

    def finish(self, failed):
        if self.cleanup:
            self.cleanup(failed)


class Runtime:
    kind = "?"

    def __init__(self, name):
        self.name = name
        self.version = ""

    def command(self, argv, cwd, env):
        raise NotImplementedError

    def describe(self):
        return {"name": self.name, "kind": self.kind, "version": self.version,
                "command": self.command_text()}

    def command_text(self):
        return ""


class Native(Runtime):
    """`chroot ROOTFS CMD`: the same files as every sandbox, no namespaces, no interposition."""
    kind = "native"

    def __init__(self, rootfs):
        super().__init__("native")
        self.rootfs = rootfs
        self.version = os.uname().release

    def command(self, argv, cwd, env):
        if cwd != "/":
            # chroot(8) always starts in /: a shell changes directory, then execs the command.
            argv = ["/bin/sh", "-c", 'cd "$1" && shift && exec "$@"', "sh", cwd, *argv]
        return Command(["chroot", self.rootfs, *argv], env=env, cleanup=self._clear_tmp)

    def _clear_tmp(self, failed):
        # Every sandbox starts with an empty /tmp; the native one is shared, so empty it.
        tmp = os.path.join(self.rootfs, "tmp")
        for name in os.listdir(tmp):
            path = os.path.join(tmp, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)

    def command_text(self):
        return f"chroot {self.rootfs} CMD"


class RunscDo(Runtime):
    """Our runsc before it has `run`: `runsc --platform=P do CMD` over the host's root."""
    kind = "runsc-do"

    def __init__(self, name, binary, platform, rootfs):
        super().__init__(name)
        self.binary, self.platform, self.rootfs = binary, platform, rootfs
        self.version = first_line([binary, "--version"])

    def command(self, argv, cwd, env):
        # `do` carries the working directory over: the host path of ROOTFS/cwd holds the
        # same files (hard links), so relative paths of the workloads resolve alike.
        host_cwd = os.path.join(self.rootfs, cwd.lstrip("/"))
        rw = os.path.join(self.rootfs, RW_DIR)
        return Command([self.binary, f"--platform={self.platform}", "do", f"--volume={rw}:{rw}",
                        *argv], cwd=host_cwd, env=env)

    def command_text(self):
        return f"{self.binary} --platform={self.platform} do CMD"


class OCI(Runtime):
    """Any OCI runtime driven like runc: `PREFIX --root STATE run --bundle B ID`."""
    kind = "oci"

    def __init__(self, name, prefix, rootfs, workdir):
        super().__init__(name)
        self.prefix, self.rootfs = list(prefix), rootfs
        self.state = os.path.join(workdir, "state", name)
        self.bundles = os.path.join(workdir, "bundles", name)
        os.makedirs(self.state, exist_ok=True)
        os.makedirs(self.bundles, exist_ok=True)
        self.version = first_line([self.prefix[0], "--version"])

    def command(self, argv, cwd, env):
        cid = f"bench-{os.getpid()}-{next(_ids)}"
        bundle = os.path.join(self.bundles, "b")
        os.makedirs(bundle, exist_ok=True)
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(oci_config(self.rootfs, argv, cwd, env), f, indent=1)

        def cleanup(failed):
            if not failed:
                return  # `run` deletes its container when it exits
            try:
                subprocess.run([*self.prefix, "--root", self.state, "delete", "--force", cid],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=15)
            except (OSError, subprocess.SubprocessError):
                pass  # a runtime that cannot even delete is reported by the failure itself
        return Command([*self.prefix, "--root", self.state, "run", "--bundle", bundle, cid],
                       cwd=bundle, env=dict(os.environ), cleanup=cleanup)

    def command_text(self):
        return f"{shlex.join(self.prefix)} run --bundle B ID"


_CONFIG = {
    "ociVersion": "1.0.2",
    "process": {
        "terminal": False, "user": {"uid": 0, "gid": 0},
        "capabilities": {k: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
                         for k in ["bounding", "effective", "permitted"]},
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
        "noNewPrivileges": True,
    },
    "hostname": "bench",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
         "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "mode=1777"]},
    ],
    "linux": {"namespaces": [{"type": t} for t in ["pid", "network", "ipc", "uts", "mount"]]},
}


def oci_config(rootfs, argv, cwd, env):
    """A runc-like config.json: read-only ROOTFS, tmpfs /tmp, fresh namespaces."""
    cfg = copy.deepcopy(_CONFIG)
    cfg["root"] = {"path": rootfs, "readonly": True}
    cfg["mounts"].append({"destination": "/" + RW_DIR, "type": "bind",
                          "source": os.path.join(rootfs, RW_DIR), "options": ["rbind", "rw"]})
    cfg["process"].update(args=list(argv), cwd=cwd, env=[f"{k}={v}" for k, v in env.items()])
    return cfg


def first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def probe(rt, timeout=30):
    """None when RT runs /bin/true, else why it does not."""
    cmd = rt.command(["/bin/true"], "/", BENCH_ENV)
    try:
        cmd.start()
    except OSError as e:
        return str(e)
    rc, _, err = cmd.wait(timeout)
    cmd.finish(rc != 0)
    if rc == 0:
        return None
    if rc is None:
        return f"timed out after {timeout} s"
    lines = err.decode(errors="replace").strip().splitlines()
    return f"exit {rc}: {lines[-1] if lines else ''}".strip()
