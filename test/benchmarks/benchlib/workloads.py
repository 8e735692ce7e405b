"""The workloads: what each runs inside the sandbox and how one sample is measured."""

import json
import re
import threading
import time

from .hostmem import host_memory
from .runtimes import BENCH_ENV, descendants, kill_tree

MICRO = [
    ("getpid", "getpid(2)"),
    ("clock_gettime", "clock_gettime(CLOCK_REALTIME) through libc (vDSO natively)"),
    ("open_close", "open+close of a rootfs file"),
    ("stat", "stat(2) of a rootfs file"),
    ("pread_4k", "4 KiB pread from a /tmp file"),
    ("pwrite_4k", "4 KiB pwrite to a /tmp file"),
    ("readdir", "opendir+readdir+closedir of a 1,000-entry rootfs directory"),
    ("pipe_roundtrip", "1-byte round trip between two processes over pipes"),
    ("fork_exit_wait", "fork, child _exit, wait"),
    ("fork_exec_wait", "fork, exec of a static binary, wait"),
    ("mmap_touch_munmap", "mmap one page, touch it, munmap"),
    ("thread_create_join", "pthread_create + pthread_join"),
    ("seq_read_64m", "64 MiB sequential read of a /tmp file (1 MiB reads)"),
    ("seq_write_fsync_64m", "64 MiB sequential write (1 MiB writes) + fsync to /tmp"),
    ("stat_rw", "stat(2) of a file on a read-write bind mount (the gofer answers each)"),
    ("stat_rw_2t", "stat_rw in 2 threads at once: wall time per op of the pair"),
    ("pread_rw", "4 KiB pread of a file on a read-write bind mount"),
    ("pread_rw_2t", "pread_rw in 2 threads at once: wall time per op of the pair"),
]

# name -> (shell command for full/quick runs, shell command for --smoke)
MACRO = {
    "python_imports": ("/usr/bin/python3 imports.py", "/usr/bin/python3 imports.py"),
    "sqlite_inserts": ("/usr/bin/sqlite3 /tmp/b.db '.read sqlite.sql'",
                       "/usr/bin/sqlite3 /tmp/b.db '.read sqlite-small.sql'"),
    "tar_gzip": ("tar -czf /tmp/t.tgz -C /usr/lib/python3.11 email json http xml logging asyncio",
                 "tar -czf /tmp/t.tgz -C /usr/lib/python3.11 json"),
    "make_gcc": ("cp -r cproj /tmp/p && make -s -j2 -C /tmp/p && /tmp/p/prog",
                 "cp -r cproj-small /tmp/p && make -s -C /tmp/p && /tmp/p/prog"),
}
MACRO_DESC = {
    "python_imports": "python3 importing ~50 stdlib modules, then JSON/regex work",
    "sqlite_inserts": "sqlite3: 20000 inserts in one transaction + 200 autocommits, /tmp db",
    "tar_gzip": "tar -czf of 6 Python stdlib packages (~1900 files) to /tmp",
    "make_gcc": "make -j2 of a 13-file C project with gcc -O2",
}

STARTUP = {
    "startup_true": ["/bin/true"],
    "startup_python": ["/usr/bin/python3", "-c", "pass"],
}


class Workload:
    def __init__(self, name, group, unit, description, measure, row_names=None):
        self.name, self.group, self.unit = name, group, unit
        self.description, self.measure = description, measure
        self.row_names = row_names or [name]  # the table rows its samples fill

    def describe(self):
        return {"name": self.name, "group": self.group, "unit": self.unit,
                "description": self.description}


class Failure(Exception):
    """A workload did not produce a number: STATUS is `unsupported` or `failed`."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def run_once(rt, argv, cwd, timeout):
    cmd = rt.command(argv, cwd, BENCH_ENV)
    t0 = time.perf_counter()
    cmd.start()
    rc, out, err = cmd.wait(timeout)
    wall = time.perf_counter() - t0
    cmd.finish(rc != 0)
    return rc, out.decode(errors="replace"), err.decode(errors="replace"), wall


def last_json(out):
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def why(err):
    """The first and last lines of a failed command's stderr: usually the cause and the verdict."""
    # Runtimes' own info/warning/debug log lines (glog style "W1122 10:22:18...") are noise here.
    lines = [l.strip() for l in err.strip().splitlines()
             if l.strip() and not re.match(r"[IWD]\d{4} \d\d:\d\d:\d\d", l.strip())]
    if not lines:
        return "no output"
    text = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
    return text[:300]


def check(rc, out, err, timeout):
    """Raises Failure unless the run exited 0 with a JSON line; returns that line."""
    doc = last_json(out)
    if rc is None:
        raise Failure("failed", f"timed out after {timeout} s")
    if rc == 2 and doc and "error" in doc:
        raise Failure("unsupported", doc["error"])
    if rc != 0 or not doc or "ns_per_op" not in doc:
        raise Failure("failed", f"exit {rc}: {why(err)}")
    return doc


def micro_measure(name, cfg):
    def measure(rt):
        iters = ["--iters", str(cfg.micro_iters)] if cfg.micro_iters else ["--min-ms", str(cfg.micro_ms)]
        rc, out, err, _ = run_once(rt, ["./micro", name, *iters], "/bench", cfg.timeout)
        doc = check(rc, out, err, cfg.timeout)
        return [doc["ns_per_op"]], {"iters": doc["iters"]}
    return measure


def macro_measure(name, cfg):
    script = MACRO[name][1 if cfg.smoke else 0]

    def measure(rt):
        argv = ["./micro", "exec-time", "/bin/sh", "-c", script]
        rc, out, err, wall = run_once(rt, argv, "/bench", cfg.timeout)
        doc = check(rc, out, err, cfg.timeout)
        return [doc["ns_per_op"]], {"wall_ns": int(wall * 1e9)}
    return measure


def startup_measure(argv, cfg):
    def measure(rt):
        samples = []
        for _ in range(cfg.startup_reps):
            rc, _, err, wall = run_once(rt, argv, "/", cfg.timeout)
            if rc != 0:
                raise Failure("failed", f"exit {rc}: {why(err)}")
            samples.append(wall * 1e9)
        return samples, {}
    return measure


def smaps_rollup(pid):
    """(rss, pss) in bytes of PID, or None when it is gone or unreadable."""
    vals = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss"):
                    vals[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError):
        return None
    return (vals.get("Rss", 0), vals.get("Pss", 0)) if vals else None


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def memory_sample(root_pid):
    procs = []
    for pid in descendants(root_pid):
        m = smaps_rollup(pid)
        if m:
            procs.append({"pid": pid, "comm": comm(pid), "rss": m[0], "pss": m[1]})
    return procs


def memory_measure(cfg):
    """Sums RSS and PSS over the runtime's whole process tree while `sleep` runs inside."""
    def measure(rt):
        cmd = rt.command(["/bin/sleep", str(cfg.memory_sleep)], "/", BENCH_ENV)
        start = time.monotonic()
        proc = cmd.start()
        best = None
        try:
            for at in cfg.memory_at:
                time.sleep(max(0.0, start + at - time.monotonic()))
                if proc.poll() is not None:
                    break
                procs = memory_sample(proc.pid)
                total = sum(p["pss"] for p in procs)
                if best is None or total > best[0]:
                    best = (total, procs)
        except BaseException:
            kill_tree(proc.pid)
            proc.wait()
            raise
        rc, _, err = cmd.wait(cfg.timeout)
        cmd.finish(rc != 0)
        if rc != 0 or best is None:
            raise Failure("failed", f"exit {rc}: {why(err.decode(errors='replace'))}")
        procs = best[1]
        return {"memory_pss": [sum(p["pss"] for p in procs)],
                "memory_rss": [sum(p["rss"] for p in procs)]}, {"processes": procs}
    return measure


FORK_ROWS = [
    ("fault_touch_page", "ns", "first touch of a page of private anonymous memory (512 MiB touched)"),
    ("fork_512m", "ns", "fork of a process with 512 MiB of touched memory (the fork call only)"),
    ("fork_512m_mem_before", "bytes", "host memory of the runtime (PSS + memory file) before that fork"),
    ("fork_512m_mem_after", "bytes", "host memory of the runtime after it, parent and child alive"),
]


def fork_mem_measure(cfg):
    """`micro fork-mem 512`: host memory sampled when the guest says `touched` and `forked`."""
    def measure(rt):
        hold_ms = 400 if cfg.smoke else 1000
        cmd = rt.command(["./micro", "fork-mem", "512", str(hold_ms)], "/bench", BENCH_ENV)
        proc = cmd.start()
        samples, lines = {}, []
        watchdog = threading.Timer(cfg.timeout, kill_tree, [proc.pid])  # a guest that hangs
        watchdog.start()
        try:
            for raw in proc.stdout:  # each phase line comes while the guest holds still
                line = raw.decode(errors="replace").strip()
                lines.append(line)
                doc = json.loads(line) if line.startswith("{") else {}
                if doc.get("phase") in ("touched", "forked"):
                    samples[doc["phase"]] = host_memory(proc.pid)
        except BaseException:
            kill_tree(proc.pid)
            proc.wait()
            raise
        finally:
            watchdog.cancel()
        rc, _, err = cmd.wait(cfg.timeout)
        cmd.finish(rc != 0)
        doc = check(rc, "\n".join(lines), err.decode(errors="replace"), cfg.timeout)
        if set(samples) != {"touched", "forked"}:
            raise Failure("failed", "the guest did not report both phases")
        return ({"fault_touch_page": [doc["touch_ns_per_page"]], "fork_512m": [doc["ns_per_op"]],
                 "fork_512m_mem_before": [samples["touched"]["total"]],
                 "fork_512m_mem_after": [samples["forked"]["total"]]},
                {"before": samples["touched"], "after": samples["forked"]})
    return measure


def build(cfg):
    """Every workload in table order; memory is one measurement giving two rows."""
    ws = [Workload(n, "micro", "ns", d, micro_measure(n, cfg)) for n, d in MICRO]
    ws += [Workload("startup_true", "startup", "ns", "/bin/true, whole command timed from outside",
                    startup_measure(STARTUP["startup_true"], cfg)),
           Workload("startup_python", "startup", "ns", "python3 -c pass, whole command timed from outside",
                    startup_measure(STARTUP["startup_python"], cfg))]
    mem = memory_measure(cfg)
    ws.append(Workload("memory", "memory", "bytes",
                       f"RSS and PSS summed over every process of the runtime while sleep {cfg.memory_sleep} runs",
                       mem, ["memory_pss", "memory_rss"]))
    ws.append(Workload("fork_mem", "memory", "ns", "fork of a process with 512 MiB touched",
                       fork_mem_measure(cfg), [r[0] for r in FORK_ROWS]))
    ws += [Workload(n, "macro", "ns", MACRO_DESC[n], macro_measure(n, cfg)) for n in MACRO]
    return ws


# Rows of the tables: the memory workload yields two.
def rows(workloads):
    out = []
    for w in workloads:
        if w.name == "memory":
            out += [("memory_pss", "memory", "bytes", "PSS of the runtime's processes (sleep inside)"),
                    ("memory_rss", "memory", "bytes", "RSS of the runtime's processes (sleep inside)")]
        elif w.name == "fork_mem":
            out += [(n, "memory", unit, desc) for n, unit, desc in FORK_ROWS]
        else:
            out.append((w.name, w.group, w.unit, w.description))
    return out
