#!/usr/bin/env python3
"""oci_pod_test.py: several containers in one sandbox, driven as containerd's CRI plugin
drives runsc: create+start of a pause-like sandbox container, then containers that join
it by the CRI annotations (io.kubernetes.cri.*) and the CRI-O ones.

usage: oci_pod_test.py --runsc=PATH --shm=PATH [--platform=P] [--busybox=PATH]

Checks: the joined containers run in the sandbox's kernel (a SysV shm segment made in
one is read in the other; one sees the other's processes in /proc), each has its own
root filesystem and hostname (or the sandbox's when its spec has none); the pid-file
holds a host proxy process whose wait status is the container's exit status (exit code,
SIGKILL); exec into each; each container's own cgroup under the pod's (its processes,
its spec's limits, runsc update, removed with it); deleting a container releases its
mounts in the Sentry (Gofer connections, host fds); runsc run in the pod; a terminal through --console-socket; ps lists each container's own processes; kill, wait, state
JSON; deleting a container leaves the others running; deleting the sandbox stops all;
bad annotations (unknown or stopped sandbox, a bad container type) fail with a clear
error and leave nothing behind. The test is a child subreaper, as containerd's shim is.
Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
"""
import ctypes
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from checks import Checks

TIMEOUT = 60
PR_SET_CHILD_SUBREAPER = 36
CRI = ("io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id")
CRIO = ("io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID")
APPLETS = ("sh", "sleep", "cat", "ls", "hostname", "touch", "true", "grep")


class Pod(Checks):
    def __init__(self, args):
        self.runsc, self.platform = args["runsc"], args["platform"]
        self.busybox, self.shm = args["busybox"], args["shm"]
        self.work = tempfile.mkdtemp(prefix="runsc-pod-")
        self.state = os.path.join(self.work, "state")
        super().__init__()

    def rs(self, *args, cwd=None, log=None):
        """runsc with the test's root; with log, its output (and the container's
        stdio: create hands it over) goes to that file, read back as stderr."""
        cmd = [self.runsc, "--root", self.state, f"--platform={self.platform}", *args]
        if not log:
            return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                                  timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        with open(log, "w") as f:
            r = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=f, timeout=TIMEOUT,
                               stdin=subprocess.DEVNULL)
        with open(log) as f:
            r.stderr = f.read()
        return r

    def bundle(self, name, args, annotations, hostname=None, terminal=False, resources=None,
               mounts=(), pid_ns=None):
        """A busybox bundle whose root holds a file named after the container, with the
        cgroup2 filesystem at /sys/fs/cgroup."""
        b = os.path.join(self.work, name)
        root = os.path.join(b, "rootfs")
        os.makedirs(os.path.join(root, "bin"))
        os.makedirs(os.path.join(root, "tmp"))
        os.makedirs(os.path.join(root, "sys", "fs", "cgroup"))
        shutil.copy(self.busybox, os.path.join(root, "bin", "busybox"))
        shutil.copy(self.shm, os.path.join(root, "bin", "pod_shm"))
        for a in APPLETS:
            os.symlink("busybox", os.path.join(root, "bin", a))
        with open(os.path.join(root, name), "w") as f:
            f.write(name + "\n")
        spec = {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
                "process": {"args": args, "env": ["PATH=/bin"], "cwd": "/",
                            "user": {"uid": 0, "gid": 0}},
                "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                           {"destination": "/sys/fs/cgroup", "type": "cgroup",
                            "source": "cgroup"}, *mounts],
                "annotations": annotations}
        if resources:
            spec["linux"] = {"resources": resources}
        if pid_ns:
            # As CRI says shareProcessNamespace: join the sandbox's pid namespace by path.
            spec.setdefault("linux", {})["namespaces"] = [{"type": "pid", "path": pid_ns}]
        if hostname:
            spec["hostname"] = hostname
        spec["process"]["terminal"] = terminal
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(spec, f)
        return b

    def create(self, name, args, annotations, hostname=None, resources=None, mounts=(),
               pid_ns=None):
        b = self.bundle(name, args, annotations, hostname, resources=resources,
                        mounts=mounts, pid_ns=pid_ns)
        pid_file = os.path.join(self.work, name + ".pid")
        r = self.rs("create", "--bundle", b, "--pid-file", pid_file, name, cwd=b,
                    log=os.path.join(self.work, name + ".log"))
        return r, pid_file

    def state_of(self, name):
        r = self.rs("state", name)
        return json.loads(r.stdout) if r.returncode == 0 else {"error": r.stderr}

    def exec_out(self, name, *cmd):
        r = self.rs("exec", name, *cmd)
        return r.stdout.strip() if r.returncode == 0 else f"rc {r.returncode}: {r.stderr}"

    def cleanup(self):
        for name in ("c1", "c2", "c3", "c4", "c5", "c6", "c7", "bad1", "bad2", "bad3", "bad4", "pod", "pod2"):
            self.rs("delete", "--force", name)
        shutil.rmtree(self.work, ignore_errors=True)


def join(kind, sandbox):
    return {kind[0]: "container", kind[1]: sandbox}


def sandbox_ann(kind, sandbox):
    return {kind[0]: "sandbox", kind[1]: sandbox}


def wait_proxy(pid):
    """The proxy is our child (we are a subreaper): its wait status."""
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        got, status = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            return status
        time.sleep(0.05)
    return None


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def start_pod(t):
    pause = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    r, _ = t.create("pod", pause, sandbox_ann(CRI, "pod"), hostname="podhost")
    t.check("sandbox_create", r.returncode == 0, r.stderr)
    r = t.rs("start", "pod")
    t.check("sandbox_start", r.returncode == 0, r.stderr)
    r, pf1 = t.create("c1", ["sleep", "31337"], join(CRI, "pod"), hostname="c1host",
                      resources={"pids": {"limit": 20}})
    t.check("c1_create", r.returncode == 0, r.stderr)
    st = t.state_of("c1")
    pid1 = int(open(pf1).read()) if os.path.exists(pf1) else -1
    t.check("c1_state_created", st.get("status") == "created", str(st))
    t.check("c1_pid_file_is_state_pid", st.get("pid") == pid1, f"{st} vs {pid1}")
    t.check("c1_pid_is_a_proxy", pid1 > 0 and alive(pid1) and
            pid1 != t.state_of("pod").get("pid"), f"pid {pid1}")
    wait_c2 = "while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 3"
    # c1 gets a pid namespace of its own (as Kubernetes gives each container); c2 shares
    # the sandbox's, named by path as containerd and CRI-O do for shareProcessNamespace.
    sandbox_ns = f"/proc/{t.state_of('pod').get('pid', 0)}/ns/pid"
    r, pf2 = t.create("c2", ["sh", "-c", wait_c2], join(CRIO, "pod"), pid_ns=sandbox_ns)
    t.check("c2_create_crio_annotations", r.returncode == 0, r.stderr)
    for c in ("c1", "c2"):
        r = t.rs("start", c)
        t.check(f"{c}_start", r.returncode == 0, r.stderr)
        st = t.state_of(c)
        t.check(f"{c}_state_running", st.get("status") == "running", str(st))
    pid2 = int(open(pf2).read()) if os.path.exists(pf2) else -1
    return pid1, pid2


def check_pod_semantics(t):
    for c, other in (("c1", "c2"), ("c2", "pod"), ("pod", "c1")):
        ls = t.exec_out(c, "ls", "/").split()
        t.check(f"{c}_own_root", c in ls and other not in ls, str(ls))
    t.check("c1_hostname_from_spec", t.exec_out("c1", "hostname") == "c1host",
            t.exec_out("c1", "hostname"))
    t.check("c2_shares_sandbox_hostname", t.exec_out("c2", "hostname") == "podhost",
            t.exec_out("c2", "hostname"))
    t.check("sandbox_hostname_kept", t.exec_out("pod", "hostname") == "podhost",
            t.exec_out("pod", "hostname"))
    r = t.rs("exec", "c1", "pod_shm", "put", "0x4242", "hello-from-c1")
    t.check("shm_put_in_c1", r.returncode == 0, r.stderr)
    t.check("shm_seen_in_c2", t.exec_out("c2", "pod_shm", "get", "0x4242") == "hello-from-c1",
            t.exec_out("c2", "pod_shm", "get", "0x4242"))
    out = t.exec_out("c2", "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
    t.check("c2_sees_c1_process", "sleep 31337" in out, out)
    t.check("c2_sees_sandbox_process", "trap" in out, out)
    check_pid_namespaces(t)
    r = t.rs("exec", "c2", "sh", "-c", "exit 7")
    t.check("exec_exit_code", r.returncode == 7, f"rc {r.returncode} {r.stderr}")


def check_pid_namespaces(t):
    """c1's main process is pid 1 of its own pid namespace and sees only its own
    processes; what `runsc exec` starts in c1 joins that namespace."""
    cmd1 = t.exec_out("c1", "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline")
    t.check("c1_main_is_pid1", cmd1.strip() == "sleep 31337", cmd1)
    out = t.exec_out("c1", "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
    t.check("c1_sees_only_its_own", "sleep 31337" in out and "trap" not in out and
            "/tmp/go" not in out, out)
    me = t.exec_out("c1", "sh", "-c", "echo $$ $PPID; grep NSpid /proc/$$/status")
    f = me.split()
    t.check("c1_exec_joins_its_ns", len(f) == 4 and f[0] == f[3] and f[0].isdigit() and
            int(f[0]) > 1 and f[1] == "0", me)
    r = t.rs("exec", "c1", "sh", "-c", "kill -0 1")
    t.check("c1_signals_its_init", r.returncode == 0, r.stderr)
    # A process of the sandbox (runsc ps numbers them as the sandbox's namespace does)
    # that has no number in c1's namespace: ESRCH there.
    r = t.rs("ps", "--format", "json", "pod")
    mine = set(t.exec_out("c1", "ls", "/proc").split())
    outside = [p for p in (json.loads(r.stdout) if r.returncode == 0 else [])
               if str(p) not in mine]
    r = t.rs("exec", "c1", "sh", "-c", f"kill -0 {outside[0] if outside else 1}")
    t.check("c1_cannot_signal_outside", outside and r.returncode != 0,
            f"{outside} {mine} rc {r.returncode}")
    # cgroup.procs lists pids as the reader's namespace numbers them.
    procs = t.exec_out("c1", "cat", "/sys/fs/cgroup/c1/cgroup.procs").split()
    t.check("c1_cgroup_procs_in_its_ns", "1" in procs and "0" not in procs, str(procs))
    # The sandbox's /proc shows c1's main process with two numbers, the last 1.
    c1_pids = json.loads(t.rs("ps", "--format", "json", "c1").stdout or "[]")
    lines = t.exec_out("pod", "grep", "NSpid", *[f"/proc/{p}/status" for p in c1_pids])
    nested = [ln.split()[-2:] for ln in lines.splitlines() if len(ln.split()) == 3]
    t.check("sandbox_sees_c1_init_nested", any(n[1] == "1" for n in nested), lines)


def check_cgroups(t):
    """Each container has its own cgroup under the pod's (the hierarchy's root), as a pod's
    containers have under the kubelet: its processes (exec'd ones too) are in it, its
    spec's limits are its own, runsc update changes them, and the root holds no process."""
    for c in ("pod", "c1", "c2"):
        out = t.exec_out(c, "cat", "/proc/self/cgroup")
        t.check(f"{c}_own_cgroup", out == f"0::/{c}", out)
    out = t.exec_out("c2", "ls", "/sys/fs/cgroup")
    t.check("pod_cgroup_lists_containers", {"pod", "c1", "c2"} <= set(out.split()), out)
    out = t.exec_out("c2", "cat", "/sys/fs/cgroup/cgroup.procs")
    t.check("pod_cgroup_holds_no_process", out == "", out)
    out = t.exec_out("c2", "cat", "/sys/fs/cgroup/c1/cgroup.procs").split()
    r = t.rs("ps", "--format", "json", "c1")
    ps = [str(p) for p in json.loads(r.stdout or "[]")]
    t.check("c1_processes_in_its_cgroup", ps and out == ps, f"ps {ps}, c1 cgroup {out}")
    out = t.exec_out("c2", "cat", "/sys/fs/cgroup/c1/pids.max")
    t.check("c1_limits_from_its_spec", out == "20", out)
    out = t.exec_out("c2", "cat", "/sys/fs/cgroup/c2/pids.max")
    t.check("c2_no_limits", out == "max", out)
    res = os.path.join(t.work, "res.json")
    with open(res, "w") as f:
        json.dump({"pids": {"limit": 33}, "memory": {"limit": 64 << 20}}, f)
    r = t.rs("update", "--resources", res, "c2")
    t.check("update_pod_container", r.returncode == 0, r.stderr)
    out = t.exec_out("c2", "sh", "-c", "cat /sys/fs/cgroup/c2/pids.max "
                     "/sys/fs/cgroup/c2/memory.max /sys/fs/cgroup/c1/pids.max")
    t.check("update_shown_in_its_cgroup", out.split() == ["33", str(64 << 20), "20"], out)
    # Enforced: c1's sleep and an exec'd shell are its 2 processes; the shell's fork is
    # refused (a pod container has no host cgroup of its own to get the limit too).
    with open(res, "w") as f:
        json.dump({"pids": {"limit": 2}}, f)
    r = t.rs("update", "--resources", res, "c1")
    out = t.exec_out("c1", "sh", "-c", "sleep 0 && echo forked; true")
    t.check("update_pids_enforced", r.returncode == 0 and "forked" not in out
            and "fork" in out, f"{r.stderr}: {out}")
    with open(res, "w") as f:
        json.dump({"pids": {"limit": 20}}, f)
    t.rs("update", "--resources", res, "c1")


def check_terminal(t):
    """A joined container with process.terminal: its pty master comes over the
    console socket, and its shell's terminal is a pty of the sandbox."""
    b = t.bundle("c5", ["sh", "-c", "tty; echo term-done"], join(CRI, "pod"),
                 terminal=True)
    path = os.path.join(t.work, "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(TIMEOUT)
    pid_file = os.path.join(t.work, "c5.pid")
    log = open(os.path.join(t.work, "c5.log"), "w")
    create = subprocess.Popen([t.runsc, "--root", t.state, f"--platform={t.platform}",
                               "create", "--bundle", b, "--pid-file", pid_file,
                               "--console-socket", path, "c5"], cwd=b, stdout=log,
                              stderr=log, stdin=subprocess.DEVNULL)
    master = None
    try:
        conn, _ = srv.accept()
        _, fds, _, _ = socket.recv_fds(conn, 256, 1)
        master = fds[0] if fds else None
        conn.close()
    except OSError as e:
        t.check("c5_console_master", False, str(e))
    rc = create.wait(timeout=TIMEOUT)
    log.close()
    t.check("c5_create_with_terminal", rc == 0 and master is not None,
            open(os.path.join(t.work, "c5.log")).read())
    if rc != 0 or master is None:
        return
    t.rs("start", "c5")
    out, deadline = b"", time.time() + TIMEOUT
    while b"term-done" not in out and time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                out += os.read(master, 4096)
            except OSError:
                break
    t.check("c5_tty_is_sandbox_pty", b"/dev/pts/" in out, repr(out))
    status = wait_proxy(int(open(pid_file).read()))
    t.check("c5_exit_0", status == 0, f"status {status}")
    os.close(master)
    r = t.rs("delete", "c5")
    t.check("delete_c5", r.returncode == 0, r.stderr)


def check_ps(t):
    ps = {}
    for c in ("pod", "c1", "c2"):
        r = t.rs("ps", "--format", "json", c)
        ps[c] = set(json.loads(r.stdout)) if r.returncode == 0 else None
        t.check(f"{c}_ps", ps[c] is not None and len(ps[c]) >= 1, r.stderr)
    if all(ps.values()):
        t.check("ps_disjoint", not (ps["c1"] & ps["c2"]) and not (ps["pod"] & ps["c1"]),
                str(ps))
        t.check("sandbox_init_in_its_ps", 1 in ps["pod"], str(ps))


def check_exits(t, pid1, pid2):
    r = t.rs("kill", "c1", "KILL")
    t.check("kill_c1", r.returncode == 0, r.stderr)
    status = wait_proxy(pid1)
    t.check("c1_proxy_killed_by_sigkill", status is not None and os.WIFSIGNALED(status)
            and os.WTERMSIG(status) == 9, f"status {status}")
    st = t.state_of("c1")
    t.check("c1_state_stopped", st.get("status") == "stopped" and not st.get("pid"), str(st))
    r = t.rs("kill", "c1", "TERM")
    t.check("kill_stopped_refused", r.returncode == 1 and "not running" in r.stderr,
            f"rc {r.returncode} {r.stderr}")
    t.check("c2_still_runs", t.exec_out("c2", "true") == "", t.exec_out("c2", "true"))
    waiter = subprocess.Popen([t.runsc, "--root", t.state, "wait", "c2"],
                              stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    t.rs("exec", "c2", "touch", "/tmp/go")
    status = wait_proxy(pid2)
    t.check("c2_proxy_exit_code", status is not None and os.WIFEXITED(status)
            and os.WEXITSTATUS(status) == 3, f"status {status}")
    out, _ = waiter.communicate(timeout=TIMEOUT)
    t.check("wait_c2", json.loads(out or "{}").get("exitStatus") == 3, out)
    r = t.rs("exec", "c2", "true")
    t.check("exec_stopped_refused", r.returncode != 0, r.stderr)


def sentry_fds(t):
    """The host fds the sandbox's Sentry holds."""
    try:
        return len(os.listdir(f"/proc/{t.state_of('pod').get('pid', 0)}/fd"))
    except OSError as e:
        return str(e)


def settled_fds(t):
    """sentry_fds once it stops changing: the steps before may still be releasing
    (an exited process's stub goes back to the pool, or is killed when it is full)."""
    last = sentry_fds(t)
    for _ in range(50):
        time.sleep(0.1)
        cur = sentry_fds(t)
        if cur == last:
            return cur
        last = cur
    return last


def check_release(t):
    """Deleting a container releases its mounts in the Sentry: the Gofer connections of
    its root and bind mount and the host fds of the files it opened are closed."""
    data = os.path.join(t.work, "c7data")
    os.makedirs(data)
    with open(os.path.join(data, "f"), "w") as f:
        f.write("bound\n")
    bind = {"destination": "/data", "type": "bind", "source": data,
            "options": ["rbind", "ro"]}
    before = settled_fds(t)
    script = "cat /c7 /data/f /bin/busybox >/dev/null; echo up >/tmp/up; sleep 1000"
    r, pid_file = t.create("c7", ["sh", "-c", script], join(CRI, "pod"), mounts=[bind])
    t.rs("start", "c7")
    for _ in range(200):
        if t.exec_out("c7", "cat", "/tmp/up") == "up":
            break
        time.sleep(0.05)
    during = sentry_fds(t)
    t.check("c7_holds_fds", r.returncode == 0 and isinstance(during, int) and
            isinstance(before, int) and during >= before + 2, f"{before} -> {during}: "
            f"{r.stderr}")
    r = t.rs("delete", "--force", "c7")
    after = settled_fds(t)
    # Not more than before (the platform may let go of fds of its own meanwhile).
    t.check("delete_releases_mounts_and_fds", r.returncode == 0 and isinstance(after, int)
            and isinstance(before, int) and after <= before,
            f"fds {before} before c7, {during} with it, {after} after: {r.stderr}")
    if os.path.exists(pid_file):
        wait_proxy(int(open(pid_file).read()))


def check_delete(t):
    with open(os.path.join(t.state, "c1", "state.json")) as f:
        gofer1 = json.load(f).get("gofer_pid", 0)
    for c in ("c1", "c2"):
        r = t.rs("delete", c)
        t.check(f"delete_{c}", r.returncode == 0 and not os.path.exists(
            os.path.join(t.state, c)), r.stderr)
    t.check("c1_gofer_gone", gofer1 > 0 and not alive(gofer1), f"gofer {gofer1}")
    out = t.exec_out("pod", "ls", "/sys/fs/cgroup").split()
    t.check("deleted_cgroups_removed", "c1" not in out and "c2" not in out and "pod" in out,
            str(out))
    t.check("sandbox_survives_deletes", t.exec_out("pod", "cat", "/pod") == "pod",
            t.exec_out("pod", "cat", "/pod"))
    r, pf3 = t.create("c3", ["sleep", "1000"], join(CRI, "pod"))
    t.rs("start", "c3")
    r = t.rs("delete", "c3")
    t.check("delete_running_refused", r.returncode == 1 and "not stopped" in r.stderr,
            f"rc {r.returncode} {r.stderr}")
    r, _ = t.create("c4", ["sleep", "1000"], join(CRI, "pod"))
    t.rs("start", "c4")
    r = t.rs("delete", "--force", "c3")
    t.check("force_delete_c3", r.returncode == 0, r.stderr)
    t.check("c4_survives_c3", t.state_of("c4").get("status") == "running",
            str(t.state_of("c4")))
    b = t.bundle("c6", ["sh", "-c", "cat /c6; exit 5"], join(CRI, "pod"))
    r = t.rs("run", "c6", cwd=b, log=os.path.join(t.work, "c6.log"))
    t.check("run_in_pod_exit_code", r.returncode == 5 and "c6" in r.stderr,
            f"rc {r.returncode}: {r.stderr}")
    t.check("run_in_pod_removed", not os.path.exists(os.path.join(t.state, "c6")),
            "state left")
    sentry = t.state_of("pod").get("pid", 0)
    r = t.rs("delete", "--force", "pod")
    t.check("delete_sandbox", r.returncode == 0, r.stderr)
    t.check("sandbox_gone", sentry > 0 and not alive(sentry), f"sentry {sentry}")
    st = t.state_of("c4")
    t.check("c4_stopped_with_sandbox", st.get("status") == "stopped", str(st))
    r = t.rs("delete", "c4")
    t.check("delete_c4_after_sandbox", r.returncode == 0, r.stderr)
    wait_proxy(int(open(pf3).read()))


def check_errors(t):
    cases = (
        ("bad1", join(CRI, "nope"), "does not exist"),
        ("bad2", {CRI[0]: "container"}, "io.kubernetes.cri.sandbox-id is missing"),
        ("bad3", {CRIO[0]: "bogus", CRIO[1]: "pod2"}, "`bogus`"),
        ("bad4", join(CRI, "pod2"), "not running"),
    )
    r, _ = t.create("pod2", ["sleep", "1000"], sandbox_ann(CRI, "pod2"))
    t.rs("start", "pod2")
    t.rs("kill", "pod2", "KILL")
    for _ in range(100):
        if t.state_of("pod2").get("status") == "stopped":
            break
        time.sleep(0.05)
    for name, ann, msg in cases:
        r, pid_file = t.create(name, ["true"], ann)
        t.check(f"{name}_refused", r.returncode == 1 and msg in r.stderr,
                f"rc {r.returncode}: {r.stderr}")
        t.check(f"{name}_nothing_left", not os.path.exists(os.path.join(t.state, name))
                and not os.path.exists(pid_file), "state or pid file left")
    t.rs("delete", "--force", "pod2")


def main(argv):
    args = {"runsc": None, "shm": None, "platform": "ptrace", "busybox": "/bin/busybox"}
    for a in argv[1:]:
        key, _, value = a.lstrip("-").partition("=")
        if key not in args or not value:
            print(__doc__)
            return 2
        args[key] = value
    if not args["runsc"] or not args["shm"]:
        print(__doc__)
        return 2
    args["runsc"] = os.path.realpath(args["runsc"])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    t = Pod(args)
    try:
        pid1, pid2 = start_pod(t)
        check_pod_semantics(t)
        check_cgroups(t)
        check_terminal(t)
        check_ps(t)
        check_exits(t, pid1, pid2)
        check_release(t)
        check_delete(t)
        check_errors(t)
    finally:
        t.cleanup()
    return t.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
