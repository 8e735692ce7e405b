#!/usr/bin/env python3
"""console_test.py: the console of `runsc create --console-socket`, as a client sees it.

usage: console_test.py --runsc=PATH [--platform=P] [--busybox=PATH]

Like conmon or containerd's shim, it listens on a unix socket, runs `runsc create
--console-socket`, receives the one pty master runsc sends (SCM_RIGHTS), starts the
container and talks to a shell in it through that master: the shell's terminal is the
sandbox's own /dev/pts/N with job control, a window size set on the master reaches it
(SIGWINCH to the foreground group), ^C sends SIGINT to the foreground job only, termios
changes made inside take effect (stty -echo), and the exit status is the shell's.
Finally a second container's shell gets SIGHUP when the client closes the master.
Each check prints `ok NAME` or `FAIL NAME: why`; the last line is `N passed, N failed`.
"""
import array
import ctypes
import fcntl
import json
import os
import re
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time

from checks import Checks

TIMEOUT = 30
PR_SET_CHILD_SUBREAPER = 36


def make_bundle(work, busybox, args):
    rootfs = os.path.join(work, "rootfs")
    os.makedirs(os.path.join(rootfs, "bin"), exist_ok=True)
    shutil.copy(busybox, os.path.join(rootfs, "bin", "busybox"))
    for name in ("sh", "sleep", "stty", "tty", "echo", "ps"):
        link = os.path.join(rootfs, "bin", name)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["newinstance", "ptmxmode=0666", "mode=0620"]},
    ]
    spec = {"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "hostname": "console",
            "mounts": mounts,
            "process": {"terminal": True, "args": args, "cwd": "/",
                        "env": ["PATH=/bin", "TERM=xterm", "PS1=# "],
                        "user": {"uid": 0, "gid": 0}}}
    with open(os.path.join(work, "config.json"), "w") as f:
        json.dump(spec, f)


class Console:
    """A container created with a console socket; self.master is the pty master."""

    def __init__(self, rs, work, cid):
        self.rs, self.cid, self.seen, self.mark = rs, cid, b"", 0
        path = os.path.join(work, f"{cid}.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        srv.settimeout(TIMEOUT)
        create = subprocess.Popen(rs + ["create", "--bundle", work, "--console-socket", path,
                                        "--pid-file", os.path.join(work, f"{cid}.pid"), cid],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        conn, _ = srv.accept()
        fds = array.array("i")
        msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_LEN(fds.itemsize))
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:fds.itemsize])
        conn.close()
        srv.close()
        out, _ = create.communicate(timeout=TIMEOUT)
        self.create_rc, self.create_out, self.name = create.returncode, out.decode(), msg
        self.master = fds[0] if fds else -1
        if self.create_rc != 0:
            raise RuntimeError(f"runsc create {cid}: exit {self.create_rc}: {self.create_out}")
        with open(os.path.join(work, f"{cid}.pid")) as f:
            self.pid = int(f.read())

    def start(self):
        return subprocess.run(self.rs + ["start", self.cid], capture_output=True).returncode

    def send(self, text):
        os.write(self.master, text.encode())

    def expect(self, regex):
        pat, deadline = re.compile(regex.encode()), time.monotonic() + TIMEOUT
        while True:
            m = pat.search(self.seen, self.mark)
            if m:
                self.mark = m.end()
                return m.group(0).decode(errors="replace")
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if r:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    return None
                if not data:
                    return None
                self.seen += data

    def tail(self):
        return self.seen[-200:].decode(errors="replace")

    def wait_exit(self):
        """The Sentry is the pid-file's process, our child: its status is the shell's."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.05)
        return None


def main(argv):
    runsc, platform, busybox = None, "ptrace", "/bin/busybox"
    for arg in argv:
        if arg.startswith("--runsc="):
            runsc = arg.split("=", 1)[1]
        elif arg.startswith("--platform="):
            platform = arg.split("=", 1)[1]
        elif arg.startswith("--busybox="):
            busybox = arg.split("=", 1)[1]
        else:
            sys.exit(__doc__)
    if not runsc:
        sys.exit(__doc__)
    # Like conmon and the shim: the Sentry (runsc create's child) becomes ours to reap.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    work = tempfile.mkdtemp(prefix="runsc-console-")
    rs = [runsc, "--root", os.path.join(work, "state"), f"--platform={platform}"]
    make_bundle(work, busybox, ["sh"])
    c = Checks()
    ids = []
    try:
        ids.append("con1")
        con = Console(rs, work, "con1")
        c.check("create", con.create_rc == 0, con.create_out)
        c.check("one_master_fd", con.master >= 0, "no fd arrived")
        target = os.readlink(f"/proc/self/fd/{con.master}") if con.master >= 0 else ""
        c.check("master_is_ptmx", target in ("/dev/ptmx", "/dev/pts/ptmx"), target)
        c.check("name_payload", con.name.startswith(b"/dev/pts/"), repr(con.name))
        fcntl.ioctl(con.master, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        c.check("start", con.start() == 0)
        c.check("prompt", con.expect("# ") is not None, con.tail())
        con.send("tty; stty size\n")
        got = con.expect(r"/dev/pts/\d+\r\n33 101")
        c.check("devpts_tty_and_size", got is not None, con.tail())
        # A foreground job waiting for SIGWINCH (ash's line editor keeps its own).
        con.send("sh -c 'trap \"echo winch-\\$(stty size); exit\" WINCH; echo wait''ing; "
                 "while :; do sleep 0.1; done'\n")
        con.expect("waiting")
        fcntl.ioctl(con.master, termios.TIOCSWINSZ, struct.pack("HHHH", 44, 120, 0, 0))
        c.check("resize_sigwinch", con.expect(r"winch-44 120") is not None, con.tail())
        # ^C once the job says it runs (in the foreground: its pgrp owns the terminal
        # before it execs), not after a fixed second a loaded host may not give it.
        # ash aborts the rest of the line when a job dies of SIGINT: a new prompt then.
        con.send("sh -c 'echo sleep''ing; exec sleep 100'; echo sleep-ended-$?\n")
        c.check("job_started", con.expect("sleeping") is not None, con.tail())
        con.send("\x03")
        got = con.expect(r"sleep-ended-\d+|# ")
        c.check("ctrl_c_interrupts_job", got is not None and "sleep-ended-0" not in got,
                con.tail())
        con.send("echo shell-ali''ve\n")  # the echoed input line does not match
        c.check("shell_survives_ctrl_c", con.expect("shell-alive\r\n") is not None, con.tail())
        con.send("stty -echo; echo typed-$((6*7))\n")
        con.expect("typed-42")
        con.send("echo hidden-input\n")
        got = con.expect(r"hidden-input")
        c.check("stty_noecho_inside", got is not None and
                b"echo hidden-input" not in con.seen[-100:], con.tail())
        con.send("stty echo; exit 7\n")
        c.check("exit_status", con.wait_exit() == 7, con.tail())
        os.close(con.master)

        # Closing the master hangs up the terminal: the foreground job gets SIGHUP (init
        # itself, like any pid 1, ignores signals it has no handler for).
        make_bundle(work, busybox, ["sh", "-c", "echo ready; sleep 100; exit $?"])
        ids.append("con2")
        con = Console(rs, work, "con2")
        con.start()
        ready = con.expect("ready") is not None
        time.sleep(0.5)
        os.close(con.master)
        code = con.wait_exit()
        c.check("hangup_sighup", ready and code == 128 + 1, f"exit {code}")
    finally:
        for cid in ids:
            subprocess.run(rs + ["delete", "--force", cid], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return c.summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
