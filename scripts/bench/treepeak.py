#!/usr/bin/env python3
"""Runs a command and prints its wall time and its process tree's peak memory.

Usage: scripts/bench/treepeak.py [--out FILE] CMD [ARGS...]
Prints one line, "seconds peak_rss_kib peak_pss_kib", after the command's own
output (or writes it to FILE), and exits with the command's exit code.
The tree is sampled from /proc every 0.2 s (Linux):
  - RSS summed: each process's resident memory, added up. Pages that several
    processes share (the AWS provider's 700 MB binary, which every provider
    process maps from the same file; terraform's, node's and Python's own
    binaries and libraries) count once per process.
  - PSS summed: each process's proportional set size (/proc/PID/smaps_rollup),
    in which a shared page is split among the processes that map it, so the
    sum counts every resident page of the tree once. A page shared with a
    process outside the tree (another run's terraform provider) is split
    with it too, so on a busy machine the PSS sum is lower than what the tree
    alone would hold: measure on a quiet one.
The wall time ends when the command exits (a thread waits for it), not at
the next sample. When this kernel gives no PSS, or a live process's PSS
cannot be read (no permission), it exits 2 (stopping the command): a peak
missing a process would be wrong, not low. A process that is ending counts
0 (its memory is being released).
profile.py imports snapshot(), descendants(), pss_of(), require_pss() and
Unreadable from here.
"""
import os
import subprocess
import sys
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


class Unreadable(Exception):
    """A live process's PSS could not be read."""


def pss_of(pid):
    """The process's PSS in bytes; 0 when it has ended or is ending (its
    smaps_rollup gone or empty: its memory is being released). Raises
    Unreadable when a live process's PSS cannot be read (no permission)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
        return 0
    except (FileNotFoundError, ProcessLookupError):
        return 0
    except OSError as e:
        if ending(pid):
            return 0
        raise Unreadable(f"/proc/{pid}/smaps_rollup: {e}") from e


def ending(pid):
    """Whether the process has ended or is a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2:].split()[0] in ("Z", "X")


def require_pss():
    """Raises Unreadable when this kernel gives no PSS (no smaps_rollup):
    checked on this process, which is alive and holds memory."""
    if pss_of(os.getpid()) <= 0:
        raise Unreadable("/proc/self/smaps_rollup gives no PSS (a kernel without it?)")


def snapshot():
    """pid -> (ppid, cmdline, cpu seconds, rss bytes) of every process."""
    procs = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        ppid, utime, stime, rss = int(fields[1]), int(fields[11]), int(fields[12]), int(fields[21])
        procs[int(pid)] = (ppid, cmd, (utime + stime) / TICK, rss * PAGE)
    return procs


def descendants(procs, root):
    """root and every process below it."""
    children = {}
    for pid, (ppid, *_rest) in procs.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def main():
    args, out = sys.argv[1:], None
    if args[:1] == ["--out"] and len(args) > 1:
        args, out = args[2:], args[1]
    if not args:
        print("usage: treepeak.py [--out FILE] CMD [ARGS...]", file=sys.stderr)
        return 2
    try:
        require_pss()
        return measure(args, out)
    except Unreadable as e:
        print(f"treepeak: cannot measure the peak: {e}", file=sys.stderr)
        return 2


def measure(args, out):
    """Runs args and writes its line; the command's exit code. On Unreadable
    the command is stopped first."""
    started = time.time()
    proc = subprocess.Popen(args)
    ended, finished = threading.Event(), [0.0]

    def wait():
        proc.wait()
        finished[0] = time.time()
        ended.set()

    threading.Thread(target=wait, daemon=True).start()
    peak_rss = peak_pss = 0
    while not ended.is_set():
        procs = snapshot()
        tree = [p for p in descendants(procs, proc.pid) if p in procs]
        try:
            pss = sum(pss_of(p) for p in tree)
        except Unreadable:
            proc.kill()
            raise
        peak_rss = max(peak_rss, sum(procs[p][3] for p in tree))
        peak_pss = max(peak_pss, pss)
        ended.wait(0.2)
    line = f"{finished[0] - started:.2f} {peak_rss // 1024} {peak_pss // 1024}"
    if out:
        with open(out, "w") as f:
            f.write(line + "\n")
    else:
        print(line)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
