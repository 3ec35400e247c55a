#!/usr/bin/env python3
"""When a run's provers worked, read from the spool's done tickets (each records its enqueue, claim and end times
and its worker's pid): one Markdown table row for scripts/bench-gpu.sh, or with --seconds one line per second.

    scripts/prover-timeline.py RUN SPOOL [--seconds]

Columns: the provers (the most prove jobs inside at once); the first prove job's claim after the first ticket of
the run was queued (the provers' start-up when they start with the blocks); the mean number of provers inside a
prove job from that claim to the last job's end; the drain: from the last moment every prover was inside a job to
the last job's end (the blocks' serial tails, once the basic proofs run out)."""
import glob
import json
import signal
import sys


def tickets(spool):
    for path in glob.glob(f"{spool}/*/done/*"):
        try:
            t = json.load(open(path))
        except (OSError, ValueError):
            continue
        d = t.get("done")
        if d:
            yield t["queue"], t["key"], t["enqueued_unix_ms"], d["start_unix_ms"], d["end_unix_ms"], d["pid"]


def main():
    run, spool = sys.argv[1], sys.argv[2]
    all_jobs = list(tickets(spool))
    jobs = [j for j in all_jobs if j[0] == "prove"]
    if not jobs:
        print(f"| {run} | - | - | - | - |")
        return
    t0 = min(j[2] for j in all_jobs)
    first, last = min(j[3] for j in jobs), max(j[4] for j in jobs)
    busy = sum(j[4] - j[3] for j in jobs)
    occupancy = busy / (last - first) if last > first else 0.0
    events = sorted([(j[3], 1) for j in jobs] + [(j[4], -1) for j in jobs], key=lambda e: (e[0], -e[1]))
    # The provers: the most jobs ever inside at once (a process with --workers N is N provers; counting pids
    # would count it once); a job's end counts before another's start at the same millisecond.
    inside, provers = 0, 0
    for _, step in sorted(events):
        inside += step
        provers = max(provers, inside)
    # The drain starts the last time every prover was inside a job: after it, some prover waits for work.
    inside, all_busy = 0, first
    for t, step in events:
        inside += step
        if inside >= provers:
            all_busy = t
    drain = last - all_busy
    if "--seconds" in sys.argv:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        for s in range(int((last - t0) / 1000) + 1):
            lo, hi = t0 + s * 1000, t0 + (s + 1) * 1000
            inside = sum(max(0, min(hi, j[4]) - max(lo, j[3])) for j in jobs) / 1000
            waiting = sum(1 for j in jobs if j[2] <= hi < j[3])
            print(f"{s:4d} s: {inside:5.1f} provers inside a job, {waiting:4d} jobs waiting")
        return
    print(
        f"| {run} | {provers} | {(first - t0) / 1000:.1f} s | {occupancy:.1f} of {provers} "
        f"({occupancy / provers:.0%}) | {drain / 1000:.1f} s |"
    )


if __name__ == "__main__":
    main()
