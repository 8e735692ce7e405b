#!/usr/bin/env python3
"""A program that maps and frees 1 GiB in a loop keeps the sandbox's host memory flat.

    mem_flat_test.py --runsc=PATH --guest=PATH [--platform=P] [--seconds=N] [--mib=M]
                     [--slack=MIB]

Runs `runsc do memloop N M` and samples the host memory of the whole sandbox (runsc, Gofer,
Sentry, stubs: PSS with the Sentry's memory file left out, plus the memory file's allocated
bytes; benchlib/hostmem.py) each time the guest has just freed everything (it waits for a
byte on stdin meanwhile), and every 0.2 s for the peak. Fails when memory after a round grows past the first round's by more than
--slack MiB, when the memory file keeps more than --slack MiB allocated with nothing mapped,
or when the peak passes a round's first sample by more than M MiB (a round maps M/4 MiB at
a time; a leak of a whole round would pass it). --seconds=60 is the one-minute run.
Prints `ok NAME` / `FAIL NAME: why` and ends with `N passed, N failed`.
"""

import argparse
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "benchmarks"))
sys.dont_write_bytecode = True

from benchlib.hostmem import host_memory  # noqa: E402
from benchlib.runtimes import kill_tree  # noqa: E402

MIB = 1 << 20


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runsc", required=True)
    p.add_argument("--guest", required=True, help="the static memloop binary")
    p.add_argument("--platform", default="ptrace")
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--mib", type=int, default=1024)
    p.add_argument("--slack", type=int, default=4, help="MiB of growth allowed (default 4)")
    return p.parse_args()


def mib(v):
    return f"{v / MIB:.1f} MiB"


def run(args):
    """(exit status, [(round, sample)], peak sample, stderr)."""
    cmd = [args.runsc, f"--platform={args.platform}", "do", args.guest, str(args.seconds), str(args.mib)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    rounds, peak, stop = [], {"total": 0}, threading.Event()

    def sampler():
        while not stop.wait(0.2):
            s = host_memory(proc.pid)
            if s["total"] > peak["total"]:
                peak.update(s)

    watchdog = threading.Timer(args.seconds + 120, kill_tree, [proc.pid])
    watchdog.start()
    threading.Thread(target=sampler, daemon=True).start()
    try:
        for raw in proc.stdout:
            line = raw.decode(errors="replace").split()
            if line[:1] == ["freed"]:
                rounds.append((int(line[1]), host_memory(proc.pid)))
                try:
                    proc.stdin.write(b"g")  # sampled: the guest may go on
                    proc.stdin.flush()
                except BrokenPipeError:
                    pass  # it died: its exit status tells
        err = proc.stderr.read().decode(errors="replace")
        rc = proc.wait()
    finally:
        stop.set()
        watchdog.cancel()
        kill_tree(proc.pid)
    return rc, rounds, peak, err


def main():
    args = parse_args()
    rc, rounds, peak, err = run(args)
    results = []

    def check(name, good, why):
        results.append(good)
        print(f"ok {name}" if good else f"FAIL {name}: {why}")

    for n, s in rounds:
        print(f"round {n}: total {mib(s['total'])} (processes {mib(s['pss'])}, memory file "
              f"{mib(s['memfile'])}), rss {mib(s['rss'])}")
    print(f"peak: total {mib(peak['total'])}")
    check("memloop_ran", rc == 0 and len(rounds) >= 2,
          f"exit {rc} after {len(rounds)} rounds: {err.strip()[-300:]}")
    if len(rounds) >= 2:
        first = rounds[0][1]["total"]
        worst = max(rounds[1:], key=lambda r: r[1]["total"])
        flat = worst[1]["total"] <= first + args.slack * MIB
        why = f"round {worst[0]} holds {mib(worst[1]['total'])}, the first {mib(first)}"
        check("memory_flat_after_each_round", flat, why)
        held = max(r[1]["memfile"] for r in rounds)
        check("memory_file_emptied_after_each_round", held <= args.slack * MIB,
              f"the memory file keeps {mib(held)} with nothing mapped")
        check("peak_below_one_round", peak["total"] <= first + args.mib * MIB,
              f"peak {mib(peak['total'])} for {args.mib // 4} MiB mapped at a time")
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
