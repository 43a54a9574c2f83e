"""CPU seconds and peak memory of processes on this machine, read from /proc (Linux), for the
benchmarks that report what each process (server, replicas, the database) spent."""

from __future__ import annotations

import contextlib
import os
import pwd
import resource
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, exited_children: bool = False) -> float:
    """User + system CPU seconds of a process so far; with `exited_children`, also those of its
    children that have ended and been waited for (cutime + cstime)."""
    # The command name in field 2 may hold spaces and parentheses: split after its last ')'.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = int(fields[11]) + int(fields[12])  # utime + stime
    children = int(fields[13]) + int(fields[14]) if exited_children else 0  # cutime + cstime
    return (own + children) / TICKS


def peak_rss_mib(pid: int) -> float:
    """The resident-memory high-water mark of a process (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def own_cpu_seconds() -> float:
    """User + system CPU seconds of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def user_cpu_seconds(user: str) -> float:
    """CPU seconds of every live process of a system user (PostgreSQL's server and its backends),
    with those of their children that have ended: a backend that exits between two readings is
    counted by its parent (the postmaster reaps it), so the total never goes down."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            # A process may end between listing and reading.
            with contextlib.suppress(OSError, KeyError):
                if pwd.getpwuid(entry.stat().st_uid).pw_name == user:
                    total += cpu_seconds(int(entry.name), exited_children=True)
    return total


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (a server's decide processes), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):  # it may end meanwhile
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and of its children, live and ended (a server with its decide
    processes): what the server spent, wherever it ran."""
    total = cpu_seconds(pid, exited_children=True)
    for child in children(pid):
        with contextlib.suppress(OSError):
            total += cpu_seconds(child, exited_children=True)
    return total


def tree_peak_rss_mib(pid: int) -> float:
    """The resident high-water marks of a process and its live children, added (an upper bound of
    what they held at once)."""
    total = peak_rss_mib(pid)
    for child in children(pid):
        with contextlib.suppress(OSError):
            total += peak_rss_mib(child)
    return total
