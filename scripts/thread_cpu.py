#!/usr/bin/env python3
"""Runs a command and says where its process's CPU time went, by thread kind.

    scripts/thread_cpu.py [--busy PREFIX] [--log FILE] -- CMD [ARGS...]

Samples /proc/<pid>/task/*/stat every 0.1 s while CMD runs (bin/sift execs its JVM, so the pid
is the JVM's) and prints CPU seconds per thread kind (the thread's name with its numbers
dropped: "sift-decode-#", "C# CompilerThre" for the JIT, "GC Thread#", "Executor task l" for
Spark's task threads, "java" for the main thread), for the whole run and, with --busy, for the
window in which threads named PREFIX... were using CPU (the scoring job: the decode pool works
only there). CMD's output goes to --log (default /dev/null). Exits with CMD's status.
Linux only; the figures are what the kernel accounted, user plus system time.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import time


def sample(pid, hz):
    snap = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return snap
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        snap[tid] = (name, (int(fields[11]) + int(fields[12])) / hz)
    return snap


def kind(name):
    return re.sub(r"\d+", "#", name)


def between(first, last):
    """CPU seconds per thread kind spent between two samples."""
    spent = collections.Counter()
    for tid, (name, cpu) in last.items():
        spent[kind(name)] += cpu - first.get(tid, (name, 0.0))[1]
    return spent


def report(label, wall, spent, top=8):
    total = sum(spent.values())
    print(f"{label}: {wall:.1f} s wall, {total:.1f} s CPU = {total / wall:.2f} cores busy")
    for name, cpu in spent.most_common(top):
        if cpu >= 0.05:
            print(f"  {cpu:7.2f} s  {100 * cpu / total:4.1f}%  {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", help="thread-name prefix whose busy window is reported apart")
    parser.add_argument("--log", default=os.devnull, help="where CMD's output goes")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("no command given")
    hz = os.sysconf("SC_CLK_TCK")
    with open(args.log, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        snaps = []
        seen = {}  # every thread's latest figure, kept after the thread ends
        while proc.poll() is None:
            snap = sample(proc.pid, hz)
            if snap:
                seen.update(snap)
                snaps.append((time.monotonic(), dict(seen)))
            time.sleep(0.1)
    if len(snaps) < 2:
        print("thread_cpu: the command ended before two samples", file=sys.stderr)
        return proc.returncode
    report("whole run", snaps[-1][0] - snaps[0][0], between(snaps[0][1], snaps[-1][1]))
    if args.busy:

        def busy_cpu(snap):
            return sum(cpu for name, cpu in snap.values() if name.startswith(args.busy))

        changed = [
            i for i in range(1, len(snaps)) if busy_cpu(snaps[i][1]) > busy_cpu(snaps[i - 1][1])
        ]
        if changed:
            a, b = changed[0] - 1, changed[-1]
            report(
                f"while {args.busy}* threads ran",
                snaps[b][0] - snaps[a][0],
                between(snaps[a][1], snaps[b][1]),
            )
        else:
            print(f"no thread named {args.busy}* used CPU")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
