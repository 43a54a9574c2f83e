"""CPU seconds and peak memory of processes on this machine, read from /proc (Linux), for the
benchmarks that report what each process (server, replicas, the database) spent."""

from __future__ import annotations

import contextlib
import os
import pwd
import resource
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    # The command name in field 2 may hold spaces and parentheses: split after its last ')'.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


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
    """CPU seconds of every live process of a system user (PostgreSQL's server and its backends)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            # A process may end between listing and reading.
            with contextlib.suppress(OSError, KeyError):
                if pwd.getpwuid(entry.stat().st_uid).pw_name == user:
                    total += cpu_seconds(int(entry.name))
    return total
