#!/usr/bin/env python3
"""pty_drive.py: run a command on a new pseudo-terminal and talk to it, like expect.

usage: pty_drive.py [--rows N] [--cols N] [--timeout S] STEP... -- CMD [ARGS...]

Steps run in order:
  send:TEXT      write TEXT (\\n, \\r, \\x03 escapes are decoded)
  expect:REGEX   wait until everything read so far (since the last expect) matches
  resize:R,C     set the window size of the terminal (the command gets SIGWINCH)
  sleep:S        wait S seconds
After the steps, wait for the command to end. Everything read is printed on stdout.
Exit status: the command's (128+N after signal N), 124 when an expect or the end
timed out (with `pty_drive: timeout waiting for ...` on stderr).
"""
import codecs
import fcntl
import os
import re
import select
import struct
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Session:
    def __init__(self, argv, rows, cols):
        self.pid, self.fd = os.forkpty()
        if self.pid == 0:
            try:
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        set_size(self.fd, rows, cols)
        self.seen = b""  # everything read
        self.mark = 0  # where the next expect starts looking
        self.eof = False

    def pump(self, timeout):
        if self.eof:
            time.sleep(min(timeout, 0.05))
            return
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            self.eof = True
        self.seen += data

    def expect(self, regex, deadline):
        pat = re.compile(regex.encode(), re.S)
        while True:
            m = pat.search(self.seen, self.mark)
            if m:
                self.mark = m.end()
                return True
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                return False
            self.pump(min(left, 0.1))

    def finish(self, deadline):
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while not self.eof:
                    self.pump(0.2)
                    if not select.select([self.fd], [], [], 0)[0]:
                        break
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                return None
            self.pump(0.1)


def main(args):
    rows, cols, timeout = 24, 80, 30.0
    while args and args[0].startswith("--") and args[0] != "--":
        opt = args.pop(0)
        if opt == "--rows":
            rows = int(args.pop(0))
        elif opt == "--cols":
            cols = int(args.pop(0))
        elif opt == "--timeout":
            timeout = float(args.pop(0))
        else:
            sys.exit(__doc__)
    if "--" not in args:
        sys.exit(__doc__)
    split = args.index("--")
    steps, argv = args[:split], args[split + 1:]
    s = Session(argv, rows, cols)
    deadline = time.monotonic() + timeout
    status = 0
    for step in steps:
        kind, _, val = step.partition(":")
        if kind == "send":
            os.write(s.fd, codecs.decode(val, "unicode_escape").encode("latin-1"))
        elif kind == "expect":
            if not s.expect(val, deadline):
                print(f"pty_drive: timeout waiting for `{val}`", file=sys.stderr)
                status = 124
                break
        elif kind == "resize":
            r, c = val.split(",")
            set_size(s.fd, int(r), int(c))
        elif kind == "sleep":
            end = time.monotonic() + float(val)
            while time.monotonic() < end:
                s.pump(0.05)
        else:
            sys.exit(f"pty_drive: unknown step `{step}`")
    if status == 0:
        code = s.finish(deadline)
        if code is None:
            print("pty_drive: timeout waiting for the command to end", file=sys.stderr)
            status = 124
        else:
            status = code if code >= 0 else 128 - code
    if status == 124:
        try:
            os.kill(s.pid, 9)
            os.waitpid(s.pid, 0)
        except OSError:
            pass
    sys.stdout.write(s.seen.decode("utf-8", "replace"))
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
