#!/usr/bin/env python3
"""counts.py: context switches, migrations and CPU time per op, A/B interleaved.

Runs a few micro workloads natively and under one or more runsc binaries, in turn.

Timings on a shared machine mean little; these counts change far less with load. Each
workload runs twice per runtime and round, with N and N/5 iterations, and the per-op
figures are the difference divided by the extra iterations: the sandbox's start-up and
exit cancel out. Medians over the rounds are printed.

    test/benchmarks/counts.py --runsc OLD --runsc NEW [--platform systrap]
        [--workloads pipe_roundtrip,getpid,fork_exit_wait] [--rounds 3]
        [--prefix "chrt -f 10"]

Needs perf (Debian: linux-perf); without it, it says so and exits 2.
"""
import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ITERS = {"pipe_roundtrip": 5000, "getpid": 100000, "fork_exit_wait": 1000,
         "fork_exec_wait": 500, "thread_create_join": 2000}
EVENTS = "context-switches,cpu-migrations,task-clock"


def perf_run(cmd, iters):
    """One run of cmd with --iters: (ns per op as timed inside, {event: total})."""
    out = subprocess.run(["perf", "stat", "-x,", "-e", EVENTS, "--"] + cmd +
                         ["--iters", str(iters)], capture_output=True, text=True,
                         timeout=600)
    ns, totals = None, {}
    for line in (out.stdout + out.stderr).splitlines():
        if '"ns_per_op"' in line:
            ns = float(line.split('"ns_per_op":')[1].strip(" }"))
            continue
        f = line.split(",")
        if len(f) > 2 and f[2] in EVENTS.split(","):
            try:
                totals[f[2]] = float(f[0])
            except ValueError:
                pass
    if ns is None or len(totals) != 3:
        raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), out.stdout + out.stderr))
    return ns, totals


def per_op(cmd, n):
    """Figures per op from a run of n and one of n/5 iterations."""
    small = max(n // 5, 1)
    ns, big = perf_run(cmd, n)
    _, little = perf_run(cmd, small)
    d = n - small
    return {"us": ns / 1000,
            "cs": (big["context-switches"] - little["context-switches"]) / d,
            "mig": (big["cpu-migrations"] - little["cpu-migrations"]) / d,
            "cpu_us": (big["task-clock"] - little["task-clock"]) * 1000 / d}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runsc", action="append", default=[],
                    help="a runsc binary (repeatable; compared in this order)")
    ap.add_argument("--platform", default="systrap")
    ap.add_argument("--micro", default=None, help="the static micro binary")
    ap.add_argument("--workloads", default="pipe_roundtrip,getpid,fork_exit_wait")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--prefix", default="", help="command prefix, e.g. 'chrt -f 10'")
    ap.add_argument("--no-native", action="store_true")
    args = ap.parse_args()
    if not shutil.which("perf"):
        print("counts.py: perf is not installed (Debian: linux-perf): no counts",
              file=sys.stderr)
        return 2
    micro = args.micro or os.path.join(HERE, "..", "..", "build", "test", "benchmarks",
                                       "micro")
    prefix = shlex.split(args.prefix)
    runtimes = [] if args.no_native else [("native", prefix + [micro])]
    for i, r in enumerate(args.runsc):
        runtimes.append(("%d:%s" % (i, r), prefix + [r, "--platform=" + args.platform,
                                                     "do", micro]))
    for w in args.workloads.split(","):
        n = ITERS.get(w, 2000)
        res = {name: [] for name, _ in runtimes}
        for _ in range(args.rounds):
            for name, cmd in runtimes:
                res[name].append(per_op(cmd + [w], n))
        print("%s (%d iterations, median of %d rounds)" % (w, n, args.rounds))
        for name, _ in runtimes:
            med = {k: statistics.median(r[k] for r in res[name]) for k in res[name][0]}
            print("  %-40s %9.2f us %7.2f cs/op %7.3f mig/op %9.2f cpu-us/op" %
                  (name[-40:], med["us"], med["cs"], med["mig"], med["cpu_us"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
