"""`cashapp serve` as a child process for tests that need a given environment or flags: started on
a free loopback port (port 0, read back from the listening line), stopped with SIGTERM."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
LISTENING = re.compile(r"cashapp listening on (\S+):(\d+)")


def cashapp_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "server", *args]


def child_environment(env: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without CASHAPP_* variables, plus `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CASHAPP_")}
    return {**base, "OTEL_SDK_DISABLED": "true", **env}


@dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    port: int = 0
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    pumps: list[threading.Thread] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> int:
        """SIGTERM, then the exit code (killed after STOP_TIMEOUT_SECONDS)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for thread in self.pumps:  # everything the process wrote, up to its exit
            thread.join(STOP_TIMEOUT_SECONDS)
        return self.process.returncode


def _pump(stream: IO[str], sink: list[str], lines: queue.Queue[str] | None) -> None:
    for line in stream:
        sink.append(line)
        if lines is not None:
            lines.put(line)


def start_serve(env: Mapping[str, str], *args: str) -> ServeProcess:
    """`cashapp serve --listen 127.0.0.1:0 ARGS` with `env`; returns once it is listening."""
    process = subprocess.Popen(
        cashapp_command("serve", "--listen", "127.0.0.1:0", *args),
        cwd=REPO_ROOT,
        env=child_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = ServeProcess(process)
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None and process.stderr is not None
    for stream, sink, feed in ((process.stdout, served.stdout, lines), (process.stderr, served.stderr, None)):
        thread = threading.Thread(target=_pump, args=(stream, sink, feed), daemon=True)
        thread.start()
        served.pumps.append(thread)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            match = LISTENING.search(lines.get(timeout=0.5))
        except queue.Empty:
            continue
        if match:
            served.port = int(match.group(2))
            return served
    served.stop()
    raise RuntimeError("cashapp serve did not start:\n" + "".join(served.stdout + served.stderr))
