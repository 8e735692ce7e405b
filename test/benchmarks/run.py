#!/usr/bin/env python3
"""The benchmark harness: builds the workloads, runs each natively, under runc, under every
runsc platform that works here and under any extra OCI runtime, round by round in
alternating order, and writes results.json, results.md and results.png.

    test/benchmarks/run.py [--quick | --smoke] [--runtime NAME=CMD ...] [--out DIR]
"""

import argparse
import os
import platform
import re
import signal
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep the source tree clean

from benchlib import report, rootfs, runtimes, workloads  # noqa: E402
from benchlib.workloads import Failure  # noqa: E402

MODES = {
    # rounds, micro min time (ms) or fixed iterations, startup runs per round, memory sampling
    "full": dict(rounds=5, micro_ms=200, micro_iters=0, startup_reps=5, memory_sleep=3,
                 memory_at=[1.0, 2.0], timeout=300),
    "quick": dict(rounds=2, micro_ms=40, micro_iters=0, startup_reps=3, memory_sleep=3,
                  memory_at=[1.5], timeout=120),
    "smoke": dict(rounds=1, micro_ms=0, micro_iters=3, startup_reps=1, memory_sleep=1,
                  memory_at=[0.5], timeout=60),
}

# Host programs each workload needs; a missing one skips the workload for every runtime.
REQUIRES = {"sqlite_inserts": ["/usr/bin/sqlite3"], "make_gcc": ["/usr/bin/make", "/usr/bin/gcc"],
            "python_imports": ["/usr/bin/python3"], "startup_python": ["/usr/bin/python3"],
            "tar_gzip": ["/bin/tar", "/bin/gzip"]}
APT = {"/usr/bin/sqlite3": "sqlite3", "gnuplot": "gnuplot-nox", "runc": "runc"}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Config:
    def __init__(self, mode, args):
        self.mode = mode
        self.smoke = mode == "smoke"
        for k, v in MODES[mode].items():
            setattr(self, k, v)
        if args.rounds:
            self.rounds = args.rounds
        if args.timeout:
            self.timeout = args.timeout


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    m = p.add_mutually_exclusive_group()
    m.add_argument("--quick", action="store_true", help="about two minutes: 2 rounds, short batches")
    m.add_argument("--smoke", action="store_true",
                   help="checks the harness works: 1 round, 3 iterations, native + runsc-ptrace")
    p.add_argument("--out", default=os.path.join(REPO, "build", "bench-results"), help="output directory")
    p.add_argument("--rootfs", default=os.path.join(REPO, "build", "bench-rootfs"))
    p.add_argument("--runsc", help="our runsc binary (default: build/runsc/runsc, built if missing)")
    p.add_argument("--micro", help="a prebuilt static micro binary (default: compile micro.c)")
    p.add_argument("--platforms", help="runsc platforms to try, comma-separated (default: all it lists)")
    p.add_argument("--runsc-mode", choices=["auto", "do", "oci"], default="auto",
                   help="how to drive our runsc: `do` or an OCI bundle + `run` (auto: run if it exists)")
    p.add_argument("--runtime", action="append", default=[], metavar="NAME=CMD",
                   help="an extra OCI runtime, e.g. 'gvisor=/usr/bin/runsc --network=none' (repeatable)")
    p.add_argument("--no-runc", action="store_true", help="do not run runc")
    p.add_argument("--no-gvisor", action="store_true", help="do not pick up Debian's gVisor runsc by itself")
    p.add_argument("--only", help="run only these runtimes (comma-separated names)")
    p.add_argument("--workloads", help="run only these workloads or groups (comma-separated)")
    p.add_argument("--rounds", type=int, help="override the number of rounds")
    p.add_argument("--timeout", type=int, help="seconds before one command is killed")
    p.add_argument("--no-install", action="store_true", help="never apt-get install anything")
    p.add_argument("--host-note", default="", help="describes the machine in the table's heading")
    return p.parse_args(argv)


def apt_install(pkgs):
    if not pkgs or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    log(f"setup: apt-get install {' '.join(pkgs)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *pkgs]):
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
            log(f"setup: `{' '.join(cmd)}` failed; going on without {' '.join(pkgs)}")
            return


def setup(cfg, args):
    """Installs what the workloads and the report use (never runc in --smoke)."""
    if args.no_install:
        return
    want = [APT["/usr/bin/sqlite3"]] if not os.path.exists("/usr/bin/sqlite3") else []
    if not cfg.smoke:
        want += [APT[t] for t in ("gnuplot", "runc") if not shutil.which(t)
                 and not (t == "runc" and args.no_runc)]
    apt_install(want)


def our_runsc(args):
    if args.runsc:
        return os.path.abspath(args.runsc)
    path = os.path.join(REPO, "build", "runsc", "runsc")
    if not os.path.exists(path):
        log("setup: building runsc into build/")
        subprocess.run(["cmake", "-S", REPO, "-B", os.path.join(REPO, "build"),
                        "-DCMAKE_BUILD_TYPE=RelWithDebInfo"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", os.path.join(REPO, "build"), "--target", "runsc",
                        f"-j{os.cpu_count()}"], check=True, stdout=subprocess.DEVNULL)
    return path


def runsc_help(binary):
    res = subprocess.run([binary, "--help"], capture_output=True, text=True)
    return res.stdout + res.stderr


def platform_candidates(help_text, wanted):
    """WANTED (comma-separated), or ptrace, systrap, kvm and whatever `--platform` lists in --help."""
    if wanted:
        return [p for p in wanted.split(",") if p]
    names = ["ptrace", "systrap", "kvm"]
    for line in help_text.splitlines():
        if line.strip().startswith("--platform"):
            for word in line.split()[2:]:
                word = word.strip("(),;")
                if re.fullmatch(r"[a-z][a-z0-9_-]*", word) and word not in names + ["auto", "default"]:
                    names.append(word)
    return names


def debian_gvisor(ours):
    for path in ("/usr/sbin/runsc", "/usr/bin/runsc"):
        if not os.path.exists(path) or os.path.realpath(path) == os.path.realpath(ours):
            continue
        owner = subprocess.run(["dpkg-query", "-S", path], capture_output=True, text=True).stdout
        if owner.startswith("runsc:"):
            return path
    return None


def make_runtimes(cfg, args, root, workdir):
    """Every runtime that runs /bin/true here, in table order; and why the others are left out."""
    ours = our_runsc(args)
    help_text = runsc_help(ours)
    oci_mode = args.runsc_mode == "oci" or (args.runsc_mode == "auto" and
                                             any(l.split()[:1] == ["run"] for l in help_text.splitlines()))
    cands = [runtimes.Native(root)]
    if not args.no_runc and shutil.which("runc"):
        cands.append(runtimes.OCI("runc", [shutil.which("runc")], root, workdir))
    elif not args.no_runc:
        cands.append(("runc", "runc is not installed (apt-get install runc)"))
    for plat in platform_candidates(help_text, args.platforms or ("ptrace" if cfg.smoke else None)):
        name = f"runsc-{plat}"
        if oci_mode:
            cands.append(runtimes.OCI(name, [ours, f"--platform={plat}"], root, workdir))
        else:
            cands.append(runtimes.RunscDo(name, ours, plat, root))
    extra = [r.split("=", 1) for r in args.runtime]
    gv = None if args.no_gvisor or cfg.smoke else debian_gvisor(ours)
    if gv and not any(n == "gvisor" for n, _ in extra):
        extra.append(("gvisor", f"{gv} --network=none"))
    for name, cmd in extra:
        cands.append(runtimes.OCI(name, cmd.split(), root, workdir))
    only = set(args.only.split(",")) if args.only else None
    if cfg.smoke and not only:
        only = {"native", "runsc-ptrace"}
    chosen, skipped = [], []
    for c in cands:
        if isinstance(c, tuple):
            skipped.append({"name": c[0], "reason": c[1]})
            continue
        if only and c.name not in only:
            continue
        why = runtimes.probe(c)
        if why:
            log(f"runtime {c.name}: left out ({why})")
            skipped.append({"name": c.name, "reason": why})
        else:
            log(f"runtime {c.name}: {c.command_text()}")
            chosen.append(c)
    return chosen, skipped


def host_info(note):
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    kvm = os.path.exists("/dev/kvm")
    summary = note or f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB, /dev/kvm {'present' if kvm else 'absent'}"
    return {"hostname": platform.node(), "kernel": platform.release(), "cpu": cpu,
            "cpus": os.cpu_count(), "mem_gib": round(mem, 1), "dev_kvm": kvm,
            "summary": f"{summary}, Linux {platform.release()}"}


def mount_tmp(root):
    """A tmpfs at ROOTFS/tmp for native runs, as every sandbox has; None if none is ours to unmount."""
    tmp = os.path.join(root, "tmp")
    rootfs.release_stale_tmp(root)
    if rootfs.mounts_under(tmp) or os.geteuid() != 0:
        return None
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777,size=2g", rootfs.TMP_SOURCE, tmp]).returncode:
        log("setup: could not mount a tmpfs at rootfs/tmp; native /tmp is on disk")
        return None
    return tmp


def select_workloads(cfg, spec):
    ws = workloads.build(cfg)
    if spec:
        keep = set(spec.split(","))
        ws = [w for w in ws if w.name in keep or w.group in keep]
    return ws


def record(results, w, rt, outcome):
    if isinstance(outcome, Failure):
        for n in w.row_names:
            results[n][rt.name] = {"status": outcome.status, "samples": [], "error": str(outcome)}
        return
    samples, extra = outcome
    if not isinstance(samples, dict):
        samples = {w.name: samples}
    for n, vals in samples.items():
        cell = results[n].setdefault(rt.name, {"status": "ok", "samples": [], "extra": []})
        cell["samples"].extend(vals)
        cell["extra"].append(extra)


def progress(r, cfg, w, results, order, unit):
    parts = []
    row = w.row_names[0]
    for rt in order:
        cell = results[row].get(rt.name, {})
        if cell.get("status") != "ok":
            parts.append(f"{rt.name} {cell.get('status', '-')}")
        else:
            parts.append(f"{rt.name} {report.fmt_value(cell['samples'][-1], unit)}")
    log(f"[round {r + 1}/{cfg.rounds}] {w.group:7} {row:20} " + " | ".join(parts))


def run_rounds(cfg, ws, rts, doc, out_dir):
    results = doc["results"]
    for r in range(cfg.rounds):
        order = rts[r % len(rts):] + rts[:r % len(rts)]
        for w in ws:
            if "skipped" in doc["workload_status"].get(w.name, ""):
                continue
            for rt in order:
                cell = results[w.row_names[0]].get(rt.name)
                if cell and cell["status"] != "ok":
                    continue  # failed once: not again in later rounds
                try:
                    outcome = w.measure(rt)
                except Failure as e:
                    outcome = e
                record(results, w, rt, outcome)
            progress(r, cfg, w, results, order, w.unit)
        report.summarize(results, rts)
        report.write_all(doc, out_dir, lambda m: None)


def main(argv):
    args = parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    cfg = Config(mode, args)
    # SIGTERM unwinds like ^C, so the rootfs tmpfs is unmounted and no command is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.time()
    setup(cfg, args)
    root = rootfs.RootfsBuilder(args.rootfs, os.path.join(HERE, "micro.c"), args.micro, log).ensure()
    out_dir = os.path.abspath(args.out)
    workdir = os.path.join(out_dir, "work")
    rts, skipped = make_runtimes(cfg, args, root, workdir)
    ws = select_workloads(cfg, args.workloads)
    rows = [dict(zip(("name", "group", "unit", "description"), r)) for r in workloads.rows(ws)]
    doc = {"schema": 1, "date": time.strftime("%Y-%m-%d"), "mode": mode, "rounds": cfg.rounds,
           "host": host_info(args.host_note), "runtimes": [rt.describe() for rt in rts],
           "skipped_runtimes": skipped, "rows": rows, "workload_status": {},
           "results": {r["name"]: {} for r in rows}}
    for w in ws:
        missing = [p for p in REQUIRES.get(w.name, []) if not os.path.exists(p)]
        if missing:
            doc["workload_status"][w.name] = f"skipped: {', '.join(missing)} not installed"
            log(f"workload {w.name}: {doc['workload_status'][w.name]}")
    log(f"bench: {mode} run, {cfg.rounds} rounds, {len(ws)} workloads, runtimes: "
        + ", ".join(rt.name for rt in rts))
    tmp = mount_tmp(root)
    try:
        run_rounds(cfg, ws, rts, doc, out_dir)
    finally:
        if tmp:
            subprocess.run(["umount", tmp])
    doc["elapsed_s"] = round(time.time() - started, 1)
    report.summarize(doc["results"], rts)
    png = report.write_all(doc, out_dir, log)
    log(f"bench: done in {doc['elapsed_s']} s: {out_dir}/results.json, results.md"
        + (", results.png" if png else ""))
    print(report.markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
