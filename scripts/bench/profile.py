#!/usr/bin/env python3
"""Per-step profile of a `go test` run: where the wall time, CPU and memory go.

Usage: scripts/bench/profile.py [go test arguments...]
  e.g. scripts/bench/profile.py -count=1 ./drill
       scripts/bench/profile.py -short -count=1 ./... ./__tests__

Runs `go test -json <arguments>` and samples its process tree from /proc
every 0.2 s (Linux). Prints:
  - by command kind (terraform, jsii/Node, moto, aws CLI, go build, test
    binaries, other): processes started, user+sys CPU seconds, peak RSS of
    one process, and the peak RSS of all processes of that kind at once;
  - the whole tree's wall time, CPU seconds and peak RSS, and what was
    running at the peak (RSS by kind, the largest processes, the tests);
  - the whole tree's peak PSS: shared pages counted once (see treepeak.py),
    and what made it up (PSS by kind, the largest processes);
  - the slowest tests and subtests (steps of the drill) by wall time, each
    with when it started and ended.
With PROFILE_PROCESSES=<file>, it also writes one tab-separated line per
process seen: kind, CPU seconds, peak RSS MiB, the seconds after the start
when it was first and last sampled, the tests running when it was first
seen, and its command line (e.g. to count terraform's subcommands).
CPU is read from each process's last sample, so processes shorter than a
sampling interval are undercounted; the totals line adds the children's CPU
that the kernel reports to the root process when it exits.
"""
import json
import os
import resource
import subprocess
import sys
import threading
import time

from treepeak import Unreadable, descendants, pss_of, require_pss, snapshot

KINDS = [
    ("terraform", lambda c: os.path.basename(c[0]).startswith("terraform")),
    ("jsii/Node", lambda c: os.path.basename(c[0]) in ("node", "npm", "npx")),
    ("moto", lambda c: any("moto_server" in a for a in c[:3])),
    ("aws CLI", lambda c: any(os.path.basename(a) == "aws" for a in c[:2])),
    ("go build", lambda c: os.path.basename(c[0]) in ("go", "compile", "link", "asm", "cgo", "vet")),
    ("test binary", lambda c: c[0].endswith(".test")),
    ("trivy", lambda c: os.path.basename(c[0]) == "trivy"),
]


def kind_of(cmd):
    for name, match in KINDS:
        if cmd and match(cmd):
            return name
    return "other"


def running_tests(events):
    """The innermost tests started and not yet ended, by package."""
    started, ended = [], set()
    for e in list(events):
        key = (e.get("Package", "").rsplit("/", 1)[-1], e.get("Test"))
        if not key[1]:
            continue
        if e.get("Action") == "run":
            started.append(key)
        elif e.get("Action") in ("pass", "fail", "skip"):
            ended.add(key)
    running = [k for k in started if k not in ended]
    return [f"{pkg} {test}" for pkg, test in running
            if not any(o[0] == pkg and o[1].startswith(test + "/") for o in running)]


def main():
    try:
        require_pss()
        return profile(sys.argv[1:] or ["-count=1", "./...", "./__tests__"])
    except Unreadable as e:
        print(f"profile: cannot measure the peak PSS: {e}", file=sys.stderr)
        return 2


def profile(args):
    """Runs go test -json args, sampling it, and prints the report; go test's
    exit code. On Unreadable, go test is stopped first."""
    root_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    started = time.time()
    proc = subprocess.Popen(["go", "test", "-json", *args], cwd=root_dir, stdout=subprocess.PIPE, text=True)
    seen = {}  # pid -> [kind, cpu, peak rss]
    cmds = {}  # pid -> (command line, tests running when first seen, first seen)
    last_seen = {}
    peaks = {"total": 0, "pss": 0}
    at_peak = (0.0, {}, [], [])  # when the whole tree peaked: seconds, RSS by kind, tests running, largest processes
    at_pss_peak = (0.0, {}, {})  # when the PSS sum peaked: seconds, PSS by pid, command lines by pid
    events = []

    def reader():
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            event["Seen"] = time.time() - started  # go test streams its events as they happen
            events.append(event)

    t = threading.Thread(target=reader)
    t.start()
    while proc.poll() is None:
        procs = snapshot()
        now, biggest = {}, []
        tree = [p for p in descendants(procs, proc.pid) if p in procs]
        for pid in tree:
            _, cmd, cpu, rss = procs[pid]
            biggest.append((rss, " ".join(cmd)[:100]))
            if pid not in seen:
                cmds[pid] = (" ".join(cmd)[:300], "; ".join(running_tests(events))[:300], time.time() - started)
            last_seen[pid] = time.time() - started
            entry = seen.setdefault(pid, [kind_of(cmd), 0.0, 0])
            entry[1], entry[2] = max(entry[1], cpu), max(entry[2], rss)
            now[entry[0]] = now.get(entry[0], 0) + rss
        for kind, rss in now.items():
            peaks[kind] = max(peaks.get(kind, 0), rss)
        try:
            pss = {pid: pss_of(pid) for pid in tree}
            if sum(pss.values()) > peaks["pss"]:
                peaks["pss"] = sum(pss.values())
                at_pss_peak = (time.time() - started, pss, {pid: procs[pid][1] for pid in tree})
        except Unreadable:
            proc.kill()
            t.join()
            raise
        if sum(now.values()) > peaks["total"]:
            peaks["total"] = sum(now.values())
            at_peak = (time.time() - started, dict(now), running_tests(events), sorted(biggest, reverse=True)[:6])
        time.sleep(0.2)
    t.join()
    wall = time.time() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)

    mib = lambda b: b / 2**20
    if os.environ.get("PROFILE_PROCESSES"):
        with open(os.environ["PROFILE_PROCESSES"], "w") as f:
            for pid, (kind, cpu, rss) in seen.items():
                cmd, tests, first = cmds[pid]
                cmd = cmd.replace("\t", " ").replace("\n", " ")
                f.write(f"{kind}\t{cpu:.2f}\t{mib(rss):.0f}\t{first:.1f}\t{last_seen[pid]:.1f}\t{tests}\t{cmd}\n")
    print(f"go test {' '.join(args)}: exit {proc.returncode}")
    print(f"{'command kind':<14}{'processes':>10}{'CPU s':>9}{'peak MiB (one)':>16}{'peak MiB (all)':>16}")
    by_kind = {}
    for kind, cpu, rss in seen.values():
        k = by_kind.setdefault(kind, [0, 0.0, 0])
        k[0], k[1], k[2] = k[0] + 1, k[1] + cpu, max(k[2], rss)
    for kind, (n, cpu, rss) in sorted(by_kind.items(), key=lambda kv: -kv[1][1]):
        print(f"{kind:<14}{n:>10}{cpu:>9.1f}{mib(rss):>16.0f}{mib(peaks.get(kind, 0)):>16.0f}")
    print(f"{'whole tree':<14}{len(seen):>10}{children.ru_utime + children.ru_stime:>9.1f}{'':>16}{mib(peaks['total']):>16.0f}   wall {wall:.1f} s")
    print(f"{'whole tree, PSS':<14}{'':>10}{'':>9}{'':>16}{mib(peaks['pss']):>16.0f}   (shared pages counted once)")

    when, kinds, tests, largest = at_peak
    print(f"\nat the peak ({when:.0f} s in): " + ", ".join(f"{k} {mib(r):.0f} MiB" for k, r in sorted(kinds.items(), key=lambda kv: -kv[1])))
    for rss, cmd in largest:
        print(f"  {mib(rss):6.0f} MiB  {cmd}")
    for test in tests:
        print(f"  running: {test}")

    when, pss, cmdlines = at_pss_peak
    by_kind = {}
    for pid, b in pss.items():
        by_kind[kind_of(cmdlines[pid])] = by_kind.get(kind_of(cmdlines[pid]), 0) + b
    print(f"at the PSS peak ({when:.0f} s in): " + ", ".join(f"{k} {mib(b):.0f} MiB" for k, b in sorted(by_kind.items(), key=lambda kv: -kv[1])))
    for b, pid in sorted(((b, pid) for pid, b in pss.items()), reverse=True)[:8]:
        print(f"  {mib(b):6.0f} MiB  {' '.join(cmdlines[pid])[:100]}")

    # When a test started (its last "run" or, for a parallel test, "cont"
    # event): go test reports a parallel test's end only when all of its
    # package's parallel tests have ended, so its end is its start plus its
    # elapsed time, not when its result was seen.
    began = {}
    for e in events:
        if e.get("Test") and e.get("Action") in ("run", "cont"):
            began[(e["Package"], e["Test"])] = e["Seen"]
    steps = [(e.get("Elapsed", 0), e["Package"].rsplit("/", 1)[-1], e["Test"], e["Action"],
              began.get((e["Package"], e["Test"]), e["Seen"] - e.get("Elapsed", 0)))
             for e in events if e.get("Test") and e.get("Action") in ("pass", "fail", "skip")]
    packages = [(e.get("Elapsed", 0), e["Package"].rsplit("/", 1)[-1], e["Action"])
                for e in events if not e.get("Test") and e.get("Action") in ("pass", "fail")]
    print("\npackages by wall time (they run in parallel):")
    for el, pkg, action in sorted(packages, reverse=True)[:6]:
        print(f"  {el:7.1f} s  {pkg} ({action})")
    print("slowest tests and steps (from when to when, seconds after the start):")
    for el, pkg, test, action, start in sorted(steps, reverse=True)[:25]:
        print(f"  {el:7.1f} s  {start:6.1f}-{start + el:6.1f}  {pkg} {test}{'' if action == 'pass' else ' (' + action + ')'}")
    report_failures(events)
    return proc.returncode


def report_failures(events):
    """Prints each failed test and package, and failed build, with the
    last lines of its output, so a failed run says why."""
    output = {}
    for e in events:
        key = (e.get("ImportPath") or e.get("Package", ""), e.get("Test", ""))
        if e.get("Action") in ("output", "build-output"):
            output.setdefault(key, []).append(e.get("Output", ""))
    failed = [(e.get("ImportPath") or e.get("Package", ""), e.get("Test", "")) for e in events
              if e.get("Action") in ("fail", "build-fail")]
    if not failed:
        return
    print("\nfailed:")
    for pkg, test in failed:
        print(f"  {pkg.rsplit('/', 1)[-1]} {test}".rstrip())
        for line in "".join(output.get((pkg, test), [])).splitlines()[-12:]:
            print(f"      {line}")


if __name__ == "__main__":
    sys.exit(main())
