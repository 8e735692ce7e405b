#!/usr/bin/python3
"""containerd_cri_test.py: containerd's CRI plugin (as the kubelet drives it) runs a pod
on runsc through the runc.v2 shim with the runtime option BinaryName = our runsc.

usage: containerd_cri_test.py --runsc=PATH [--platform=P] [--busybox=PATH]

A private containerd (own root, state, sockets; no CNI, host network) is configured with
a runtime handler `runsc` of type io.containerd.runc.v2 whose options are
{BinaryName = runsc, Root = a private dir}: the only way to hand the shim a runtime
binary from a config file (ctr 1.6 cannot pass those options). Its images, the pod's
sandbox (pause) image included, are OCI archives of the host's static busybox imported
with `ctr -n k8s.io images import` (no registry). cri_client.py is the kubelet's side:
RunPodSandbox, CreateContainer, StartContainer, ContainerStatus, ExecSync,
UpdateContainerResources, StopContainer, RemoveContainer, StopPodSandbox,
RemovePodSandbox.

Checks: the shim ran OUR runsc (the container reads /proc/version of our Sentry, and
runsc's state dir under the options' Root has the pod's containers), a pod's containers
share one sandbox (one kernel: each sees the other's processes), each container's own
cgroup with its memory limit and UpdateContainerResources shown there, the container
log, exit codes, ExecSync output and status, stop and remove, and nothing left
afterwards. Needs Debian's containerd and python3-grpcio (scripts/setup.sh installs
both); without them every check fails. Each check prints `ok NAME` or `FAIL NAME: why`;
the last line is `N passed, N failed`.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checks import Checks  # noqa: E402
from cri_client import (CONTAINER_EXITED, CONTAINER_RUNNING, NS_NODE, NS_POD,  # noqa: E402
                        Cri)
TIMEOUT = 120
NS = "k8s.io"
# The pod's host cgroups (cgroupsPath = parent/id), removed at the end.
CGROUP_PARENT = "/runsc-cri-test"
APPLETS = ("sh", "sleep", "cat", "ls", "tr", "echo", "hostname", "true", "grep", "ps")


class Test(Checks):
    def __init__(self, args):
        self.runsc, self.platform = args["runsc"], args["platform"]
        self.busybox = args["busybox"]
        self.work = tempfile.mkdtemp(prefix="runsc-cri-")
        self.sock = os.path.join(self.work, "containerd.sock")
        self.runc_root = os.path.join(self.work, "runc-root")
        super().__init__()
        self.ctd = None
        self.cri = None

    def ctr(self, *args):
        return subprocess.run(["ctr", "-a", self.sock, "-n", NS, *args], capture_output=True,
                              text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)

    def call(self, method, request):
        """(response, None) or (None, error text) of a CRI call."""
        import grpc
        try:
            return self.cri.call(method, request), None
        except grpc.RpcError as e:
            return None, f"{method}: {e.code()}: {e.details()}"


def write_config(t):
    cni = os.path.join(t.work, "cni")
    os.makedirs(os.path.join(cni, "bin"))
    os.makedirs(os.path.join(cni, "conf"))
    cri = '[plugins."io.containerd.grpc.v1.cri"'
    config = f"""version = 2
root = "{t.work}/root"
state = "{t.work}/state"
[grpc]
  address = "{t.sock}"
[ttrpc]
  address = "{t.sock}.ttrpc"
{cri}]
  sandbox_image = "localhost/runsc-cri-pause:1"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  restrict_oom_score_adj = true
{cri}.cni]
  bin_dir = "{cni}/bin"
  conf_dir = "{cni}/conf"
{cri}.containerd]
  default_runtime_name = "runsc"
{cri}.containerd.runtimes.runsc]
  runtime_type = "io.containerd.runc.v2"
{cri}.containerd.runtimes.runsc.options]
  BinaryName = "{t.runsc}"
  Root = "{t.runc_root}"
"""
    with open(os.path.join(t.work, "config.toml"), "w") as f:
        f.write(config)
    # The runc.v2 shim passes no runtime flags; RUNSC_CONFIG in its environment (which
    # it inherits from containerd) reaches every runsc call.
    with open(os.path.join(t.work, "runsc.toml"), "w") as f:
        f.write(f'platform = "{t.platform}"\n')


def start_containerd(t):
    env = dict(os.environ, RUNSC_CONFIG=os.path.join(t.work, "runsc.toml"))
    log = open(os.path.join(t.work, "containerd.log"), "w")
    t.ctd = subprocess.Popen(["containerd", "--config", os.path.join(t.work, "config.toml")],
                             stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
    t.cri = Cri(t.sock, TIMEOUT)
    deadline = time.time() + 30
    r, err = None, "not started"
    while time.time() < deadline and r is None:
        time.sleep(0.3)
        r, err = t.call("Version", {"version": "v1"})
    t.check("cri_version", r is not None and r.get("runtime_name") == "containerd",
            f"{r} {err}: {tail(t, 'containerd.log')}")
    return r is not None


def tail(t, name, n=5):
    try:
        with open(os.path.join(t.work, name)) as f:
            return "|".join(f.read().splitlines()[-n:])
    except OSError as e:
        return str(e)


def import_images(t):
    rootfs = os.path.join(t.work, "rootfs")
    for d in ("bin", "etc", "tmp", "proc", "sys", "dev"):
        os.makedirs(os.path.join(rootfs, d))
    shutil.copy(t.busybox, os.path.join(rootfs, "bin", "busybox"))
    for a in APPLETS:
        os.symlink("busybox", os.path.join(rootfs, "bin", a))
    with open(os.path.join(rootfs, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/:/bin/sh\n")
    images = (("localhost/runsc-cri-pause:1", ["sleep", "100000"]),
              ("localhost/runsc-cri-bb:1", ["sh"]))
    for name, cmd in images:
        tar = os.path.join(t.work, name.split("/")[1].replace(":", "-") + ".tar")
        subprocess.run([sys.executable, os.path.join(HERE, "oci_image.py"), rootfs, tar,
                        name, *cmd], check=True)
        r = t.ctr("images", "import", tar)
        t.check(f"import_{name.split('/')[1]}", r.returncode == 0 and
                name in t.ctr("images", "ls", "-q").stdout, r.stdout + r.stderr)


def pod_config(t):
    return {"metadata": {"name": "p1", "uid": "uid-p1", "namespace": "default"},
            "hostname": "p1", "log_directory": os.path.join(t.work, "logs"),
            "linux": {"cgroup_parent": CGROUP_PARENT, "security_context": {
                "namespace_options": {"network": NS_NODE, "pid": NS_POD}}}}


def container(t, pod_id, name, command, memory=0):
    """CreateContainer + StartContainer; the container's id or None."""
    req = {"pod_sandbox_id": pod_id, "sandbox_config": pod_config(t),
           "config": {"metadata": {"name": name},
                      "image": {"image": "localhost/runsc-cri-bb:1"},
                      "command": command, "log_path": name + ".log",
                      "envs": [{"key": "WHO", "value": name}]}}
    if memory:
        req["config"]["linux"] = {"resources": {"memory_limit_in_bytes": memory}}
    r, err = t.call("CreateContainer", req)
    if not t.check(f"{name}_create", r is not None, f"{err}: {tail(t, 'containerd.log')}"):
        return None
    cid = r["container_id"]
    r, err = t.call("StartContainer", {"container_id": cid})
    t.check(f"{name}_start", r is not None, f"{err}: {tail(t, 'containerd.log')}")
    return cid


def status(t, cid):
    r, err = t.call("ContainerStatus", {"container_id": cid})
    return r["status"] if r else {"error": err}


def wait_state(t, cid, state):
    deadline = time.time() + 30
    while time.time() < deadline:
        st = status(t, cid)
        if st.get("state", 0) == state:
            return st
        time.sleep(0.2)
    return status(t, cid)


def log_of(t, name):
    """The container's stdout lines (the CRI log format: TIME STREAM TAG TEXT)."""
    try:
        with open(os.path.join(t.work, "logs", name + ".log")) as f:
            return [line.split(" ", 3)[3].rstrip("\n") for line in f if line.count(" ") >= 3]
    except OSError:
        return []


def exec_sync(t, cid, *cmd):
    r, err = t.call("ExecSync", {"container_id": cid, "cmd": list(cmd), "timeout": 60})
    if r is None:
        return -1, err
    return r.get("exit_code", 0), r.get("stdout", b"").decode() + r.get("stderr", b"").decode()


def check_cgroup(t, c1):
    """c1 has its own cgroup in the pod (named by its id, as the kubelet's cgroupfs
    layout ends), with its CRI memory limit; UpdateContainerResources (runsc update
    --resources - from the shim) shows there at once."""
    rc, out = exec_sync(t, c1, "cat", "/proc/self/cgroup")
    t.check("c1_own_cgroup", rc == 0 and out.strip() == f"0::/{c1}", f"rc {rc}: {out}")
    mem = f"/sys/fs/cgroup/{c1}/memory.max"
    rc, out = exec_sync(t, c1, "cat", mem)
    t.check("c1_memory_limit", rc == 0 and out.strip() == str(256 << 20), f"rc {rc}: {out}")
    r, err = t.call("UpdateContainerResources", {
        "container_id": c1, "linux": {"memory_limit_in_bytes": 128 << 20}})
    rc, out = exec_sync(t, c1, "cat", mem)
    t.check("update_container_resources", r is not None and rc == 0 and
            out.strip() == str(128 << 20), f"{err}: rc {rc}: {out}")


def run_pod(t):
    r, err = t.call("RunPodSandbox", {"config": pod_config(t), "runtime_handler": "runsc"})
    if not t.check("run_pod_sandbox", r is not None, f"{err}: {tail(t, 'containerd.log')}"):
        return
    pod = r["pod_sandbox_id"]
    # The shim keeps runsc's --root at the options' Root/<namespace>: our runsc's state.
    root = os.path.join(t.runc_root, NS)
    t.check("shim_root_is_options_root", os.path.isdir(os.path.join(root, pod)),
            f"{root}: {os.listdir(root) if os.path.isdir(root) else 'missing'}")
    c1 = container(t, pod, "c1", ["sh", "-c", "cat /proc/version; echo $WHO; sleep 100000"],
                   memory=256 << 20)
    if c1:
        st = wait_state(t, c1, CONTAINER_RUNNING)
        t.check("c1_running", st.get("state") == CONTAINER_RUNNING, str(st))
        deadline = time.time() + 20
        while time.time() < deadline and len(log_of(t, "c1")) < 2:
            time.sleep(0.2)
        out = log_of(t, "c1")
        t.check("c1_runs_on_our_sentry", out[:1] and "runsc@sandbox" in out[0], str(out))
        t.check("c1_env", out[1:2] == ["c1"], str(out))
        t.check("c1_state_under_options_root", os.path.isdir(os.path.join(root, c1)),
                str(os.listdir(root)))
        rc, out = exec_sync(t, c1, "sh", "-c", "cat /proc/version; exit 3")
        t.check("exec_sync", rc == 3 and "runsc@sandbox" in out, f"rc {rc}: {out}")
        check_cgroup(t, c1)
        rc, out = exec_sync(t, c1, "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
        t.check("pod_one_kernel", rc == 0 and "sleep 100000" in out and
                out.count("sleep 100000") >= 2, f"rc {rc}: {out}")
    c2 = container(t, pod, "c2", ["sh", "-c", "echo bye; exit 7"])
    if c2:
        st = wait_state(t, c2, CONTAINER_EXITED)
        t.check("c2_exit_code", st.get("state") == CONTAINER_EXITED and
                st.get("exit_code") == 7, str(st))
        t.check("c2_log", log_of(t, "c2") == ["bye"], str(log_of(t, "c2")))
        r, err = t.call("RemoveContainer", {"container_id": c2})
        t.check("c2_remove", r is not None and not os.path.exists(os.path.join(root, c2)),
                str(err))
    if c1:
        # The pod shares one pid namespace (NS_POD): c1's shell is not its init, and
        # SIGTERM ends it (143), as with runc.
        r, err = t.call("StopContainer", {"container_id": c1, "timeout": 2})
        st = status(t, c1)
        t.check("c1_stop", r is not None and st.get("state") == CONTAINER_EXITED and
                st.get("exit_code") == 143, f"{err} {st}")
        r, err = t.call("RemoveContainer", {"container_id": c1})
        t.check("c1_remove", r is not None, str(err))
    r, err = t.call("StopPodSandbox", {"pod_sandbox_id": pod})
    t.check("stop_pod_sandbox", r is not None, str(err))
    r, err = t.call("RemovePodSandbox", {"pod_sandbox_id": pod})
    t.check("remove_pod_sandbox", r is not None, str(err))
    left = os.listdir(root) if os.path.isdir(root) else []
    t.check("nothing_left", not left, str(left))
    procs = subprocess.run(["pgrep", "-f", t.runc_root], capture_output=True, text=True)
    t.check("no_runsc_left", not procs.stdout.strip(), procs.stdout)


def cleanup(t):
    if t.cri:
        t.cri.close()
    if t.ctd:
        t.ctd.terminate()
        try:
            t.ctd.wait(timeout=20)
        except subprocess.TimeoutExpired:
            t.ctd.kill()
    # The runsc processes of a pod a failed check left behind, by their --root.
    for id_ in (os.listdir(os.path.join(t.runc_root, NS))
                if os.path.isdir(os.path.join(t.runc_root, NS)) else []):
        subprocess.run([t.runsc, "--root", os.path.join(t.runc_root, NS), "delete", "--force",
                        id_], capture_output=True, timeout=TIMEOUT)
    with open("/proc/mounts") as f:
        mounts = [line.split()[1] for line in f if t.work in line.split()[1]]
    for m in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    shutil.rmtree(t.work, ignore_errors=True)
    for hier in os.listdir("/sys/fs/cgroup"):
        parent = os.path.join("/sys/fs/cgroup", hier, CGROUP_PARENT.lstrip("/"))
        if os.path.isdir(parent):
            try:
                os.rmdir(parent)
            except OSError as e:
                print(f"containerd_cri_test.py: {parent} left: {e}", flush=True)


def main(argv):
    args = {"runsc": os.path.join(HERE, "../../build/runsc/runsc"), "platform": "ptrace",
            "busybox": "/bin/busybox"}
    for a in argv:
        key, _, value = a.partition("=")
        if key.lstrip("-") not in args or not value:
            sys.exit(f"containerd_cri_test.py: unknown argument `{a}`\n{__doc__}")
        args[key.lstrip("-")] = value
    args["runsc"] = os.path.realpath(args["runsc"])
    t = Test(args)
    missing = [p for p in ("containerd", "ctr") if not shutil.which(p)]
    try:
        import grpc  # noqa: F401
    except ImportError:
        missing.append("python3-grpcio")
    if missing:
        t.check("prerequisites", False, f"{missing} not installed (scripts/setup.sh)")
    else:
        try:
            write_config(t)
            if start_containerd(t):
                import_images(t)
                run_pod(t)
        finally:
            cleanup(t)
    return t.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
