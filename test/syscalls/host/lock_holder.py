#!/usr/bin/env python3
# The host side of gofer_lock_host_test (started by with_host_files.sh): holds a POSIX
# write lock on RW/a bytes 100..199, tells STATE it holds it, then answers the test's
# requests, made by creating files in RW: `go` -> writes `answer` with what F_GETLK and
# F_SETLK say of bytes 0..99 of RW/c ("type start len pid setlk-errno"); `go2` -> the
# same in `answer2`, `go3` in `answer3`; `release` -> drops the lock on RW/a a moment later and exits.
# usage: lock_holder.py RW STATE
import errno, fcntl, os, struct, sys, time

rw, state = sys.argv[1], sys.argv[2]
FMT = "hhqqi4x"  # struct flock on x86-64


def wait_for(name):
    for _ in range(2500):
        if os.path.exists(os.path.join(rw, name)):
            return
        time.sleep(0.01)
    sys.exit("lock_holder: no %s from the test" % name)


def probe(out):
    fd = os.open(os.path.join(rw, "c"), os.O_RDWR)
    got = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(FMT, fcntl.F_WRLCK, 0, 0, 100, 0))
    typ, _, start, length, pid = struct.unpack(FMT, got)
    err = 0
    try:
        fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack(FMT, fcntl.F_WRLCK, 0, 0, 100, 0))
    except OSError as e:
        err = e.errno
    os.close(fd)  # drops a lock F_SETLK may have taken
    with open(os.path.join(rw, out + ".tmp"), "w") as f:
        f.write("%d %d %d %d %d\n" % (typ, start, length, pid, err))
    os.rename(os.path.join(rw, out + ".tmp"), os.path.join(rw, out))


fd = os.open(os.path.join(rw, "a"), os.O_RDWR)
fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack(FMT, fcntl.F_WRLCK, 0, 100, 100, 0))
open(state, "w").close()
wait_for("go")
probe("answer")
wait_for("go2")
probe("answer2")
wait_for("go3")
probe("answer3")
wait_for("release")
time.sleep(0.3)
fcntl.fcntl(fd, fcntl.F_SETLK, struct.pack(FMT, fcntl.F_UNLCK, 0, 100, 100, 0))
time.sleep(0.5)
