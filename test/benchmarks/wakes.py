#!/usr/bin/env python3
"""wakes.py: which thread wakes which, per op, from a scheduler trace of one workload.

Records `perf sched` (system-wide) while one micro workload runs natively or under a runsc
binary, keeps the events of that command's own processes and threads (followed from its
pid through forks), and prints per op: context switches, wake-ups (on the waker's CPU or
another; onto a CPU that was idle, which on a VM is a halted vCPU to wake), preemptions
by a thread of our own, migrations, and the commonest waker -> wakee pairs. Where a
round trip's time goes on an idle machine (halted-vCPU wake-ups, wake-up preemption) is
visible only here; counts.py gives the totals.

    test/benchmarks/wakes.py [--runsc BIN [--platform systrap]] [--workload pipe_roundtrip]
        [--iters 2000] [--prefix "chrt -f 10"]

Needs perf (Debian: linux-perf) and root; without perf it says so and exits 2. The
per-op figures include the start-up and exit of the sandbox: use enough iterations.
"""
import argparse
import collections
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = re.compile(r'^\s*(.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)$')
FIELD = re.compile(r'(\w+)=(\S+)')


def record(cmd, out):
    """perf sched record of cmd; returns (perf script text, the command's pid)."""
    pidfile = out + ".pid"
    wrapped = ["sh", "-c", 'echo $$ > "$0"; exec "$@"', pidfile] + cmd
    run = subprocess.run(["perf", "sched", "record", "-o", out, "--"] + wrapped,
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise RuntimeError("perf sched record failed:\n" + run.stdout + run.stderr)
    with open(pidfile) as f:
        root = int(f.read())
    script = subprocess.run(["perf", "script", "-i", out, "-F",
                             "comm,pid,tid,cpu,time,event,trace"],
                            capture_output=True, text=True, timeout=600)
    return script.stdout, root, run.stdout


def analyse(text, root):
    """Counters, per-thread switch counts and waker -> wakee pairs of root's threads."""
    ours, tgid, comm = {root}, {}, {}
    cur = {}  # cpu -> pid running there (0: idle)
    c = collections.Counter()
    pairs = collections.Counter()
    switches = collections.Counter()
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        cm, pid, tid, cpu, _, ev, rest = m.groups()
        pid, tid, cpu = int(pid), int(tid), int(cpu)
        d = dict(FIELD.findall(rest))
        if tid in ours:
            tgid[tid], comm[tid] = pid, cm
        if ev == "sched:sched_process_fork":
            if int(d["pid"]) in ours:
                ours.add(int(d["child_pid"]))
        elif ev == "sched:sched_switch":
            prev, nxt = int(d["prev_pid"]), int(d["next_pid"])
            if prev in ours:
                c["switches"] += 1
                switches[prev] += 1
                if d["prev_state"].startswith("R"):
                    c["preempted by ours" if nxt in ours else "preempted by others"] += 1
                if nxt == 0:
                    c["switches to idle"] += 1
            cur[cpu] = nxt
        elif ev == "sched:sched_waking":
            wakee = int(d["pid"])
            if wakee not in ours:
                continue
            target = int(d["target_cpu"])
            c["wake-ups"] += 1
            c["wake-ups to another CPU" if target != cpu else "wake-ups on the same CPU"] += 1
            if cur.get(target, -1) == 0:
                c["wake-ups onto an idle CPU"] += 1
            pairs[(tid if tid in ours else -1, wakee)] += 1
        elif ev == "sched:sched_migrate_task" and int(d["pid"]) in ours:
            c["migrations"] += 1
    return c, switches, pairs, tgid, comm


def name(tid, tgid, comm):
    if tid < 0:
        return "(other)"
    return "%s %d/%d" % (comm.get(tid, "?"), tgid.get(tid, 0), tid)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runsc", help="a runsc binary (default: native)")
    ap.add_argument("--platform", default="systrap")
    ap.add_argument("--micro", default=os.path.join(HERE, "..", "..", "build", "test",
                                                    "benchmarks", "micro"))
    ap.add_argument("--workload", default="pipe_roundtrip")
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--prefix", default="", help="command prefix, e.g. 'chrt -f 10'")
    ap.add_argument("--pairs", type=int, default=8, help="waker -> wakee pairs to show")
    args = ap.parse_args()
    if not shutil.which("perf"):
        print("wakes.py: perf is not installed (Debian: linux-perf): no trace",
              file=sys.stderr)
        return 2
    cmd = shlex.split(args.prefix)
    if args.runsc:
        cmd += [args.runsc, "--platform=" + args.platform, "do"]
    cmd += [args.micro, args.workload, "--iters", str(args.iters)]
    with tempfile.TemporaryDirectory() as tmp:
        text, root, out = record(cmd, os.path.join(tmp, "sched.data"))
    c, switches, pairs, tgid, comm = analyse(text, root)
    n = args.iters
    timing = re.search(r'"ns_per_op":\s*([\d.]+)', out)
    print("%s: %s us per op (traced)" % (" ".join(cmd),
                                       "%.1f" % (float(timing.group(1)) / 1000) if timing
                                       else "?"))
    for k in sorted(c):
        print("  %-28s %7.2f per op" % (k, c[k] / n))
    print("  switches by thread (comm tgid/tid):")
    for tid, k in switches.most_common(6):
        print("    %-30s %7.2f per op" % (name(tid, tgid, comm), k / n))
    print("  wake-ups, waker -> wakee:")
    for (a, b), k in pairs.most_common(args.pairs):
        print("    %-30s -> %-30s %7.2f per op" % (name(a, tgid, comm), name(b, tgid, comm),
                                                  k / n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
