"""How fast camt.053 entries are parsed, beside the floors that bound it.

    .venv/bin/python -m bench.ingest.camt_speed --entries 100000

Variants, each on the same generated file (bench/ingest/generate_camt053.py), best of --repeat:
- lxml floor: iterparse with the Ntry tag filter, clearing each entry; no Python per field. No
  reader can be faster with lxml.
- walk: the floor plus touching every element of every entry (tag and text), the least a reader
  reading every field does.
- findtext: the floor plus namespaced findtext/findall for the core fields only (amount,
  status, dates, reference, payer, remittance blocks), the usual way of writing such a reader.
- lxml reader: engine.ingest.camt_reader.parse_lxml, every field, records built.
- reader (auto): engine.ingest.camt_reader.parse as the importer calls it (Rust when installed).
- rust call: engine.ingest.camt_native.parse, the call the importer makes with the Rust reader
  (matcher_rs/camt), records built; absent when the extension is not installed.
- rust core: the Rust reader alone, no Python records (matcher_rs/camt/examples/read.rs, built
  and run with cargo on the same file, best of --repeat in its own process); absent without
  cargo or with --no-core.
- python loop: ten million integer additions, so a number here can be set beside another
  machine's (on an idle desktop it takes about 0.3 s).
CPU seconds (time.process_time) are reported beside wall seconds: on a shared machine the
wall clock also counts the time other processes held the cores.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from bench.ingest.generate_camt053 import NAMESPACE, generate
from engine.ingest import camt_native
from engine.ingest.camt_reader import parse, parse_lxml

_Q = "{" + NAMESPACE + "}"
_NS = {"c": NAMESPACE}


def _entries(data: bytes) -> etree.iterparse:
    return etree.iterparse(io.BytesIO(data), events=("end",), tag=_Q + "Ntry")


def _drop(element: etree._Element) -> None:
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def lxml_floor(data: bytes) -> int:
    count = 0
    for _, ntry in _entries(data):
        count += 1
        _drop(ntry)
    return count


def walk(data: bytes) -> int:
    count = 0
    for _, ntry in _entries(data):
        for element in ntry.iter():
            _ = element.tag, element.text
        count += 1
        _drop(ntry)
    return count


def findtext(data: bytes) -> int:
    count = 0
    for _, ntry in _entries(data):
        for path in ("c:Amt", "c:CdtDbtInd", "c:Sts/c:Cd", "c:BookgDt/c:Dt", "c:ValDt/c:Dt", "c:AcctSvcrRef"):
            ntry.findtext(path, namespaces=_NS)
        for tx in ntry.iterfind("c:NtryDtls/c:TxDtls", namespaces=_NS):
            for path in ("c:Refs/c:EndToEndId", "c:Amt", "c:RltdPties/c:Dbtr/c:Pty/c:Nm"):
                tx.findtext(path, namespaces=_NS)
            tx.findtext("c:RltdPties/c:DbtrAcct/c:Id/c:IBAN", namespaces=_NS)
            tx.findall("c:RmtInf/c:Ustrd", namespaces=_NS)
            tx.findall("c:RmtInf/c:Strd", namespaces=_NS)
        count += 1
        _drop(ntry)
    return count


def lxml_reader(data: bytes) -> int:
    return len(parse_lxml(data, NAMESPACE, "053").entries)


def reader(data: bytes) -> int:
    return len(parse(data).entries)


def rust_call(data: bytes) -> int:
    parsed = camt_native.parse(data, NAMESPACE, "053")
    assert parsed is not None, "the Rust reader declined the generated file"
    return len(parsed.entries)


def python_loop(_: bytes) -> int:
    total = 0
    for i in range(10_000_000):
        total += i
    return 0


_ROOT = Path(__file__).resolve().parents[2]
_CORE_LINE = re.compile(r"(\d+) entries: ([\d.]+) s CPU .*?, ([\d.]+) s wall")


def rust_core(data: bytes, repeat: int) -> tuple[float, float, int] | None:
    """(best CPU seconds, best wall seconds, entries) of the Rust reader alone, run by cargo
    on `data` written to a temporary file; None without cargo."""
    if shutil.which("cargo") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "camt053.xml"
        path.write_bytes(data)
        command = ["cargo", "run", "--release", "-q", "-p", "cashapp_camt", "--example", "read"]
        done = subprocess.run(
            [*command, "--", str(path), str(repeat)],
            cwd=_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=1800,
        )
    found = _CORE_LINE.search(done.stdout)
    if found is None:
        raise RuntimeError(f"the Rust core example printed no timing: {done.stdout!r}")
    return float(found[2]), float(found[3]), int(found[1])


def measure(run: Callable[[bytes], int], data: bytes, repeat: int) -> tuple[float, float, int]:
    """(best CPU seconds, best wall seconds, entries) of `repeat` runs."""
    cpu, wall, count = float("inf"), float("inf"), 0
    for _ in range(repeat):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        count = run(data)
        cpu = min(cpu, time.process_time() - start_cpu)
        wall = min(wall, time.perf_counter() - start_wall)
    return cpu, wall, count


def main() -> None:
    parser = argparse.ArgumentParser(description="camt.053 parse speed")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-core", action="store_true", help="skip the Rust core alone (cargo)")
    args = parser.parse_args()
    data = generate(args.entries, args.seed)
    print(f"{args.entries} entries, {len(data) / 1e6:.1f} MB")
    core = None if args.no_core else rust_core(data, args.repeat)
    if core is not None:
        _report("rust core", *core, args.entries)
    variants = [("lxml floor", lxml_floor), ("walk", walk), ("findtext", findtext)]
    variants.append(("lxml reader", lxml_reader))
    if camt_native.available():
        variants.append(("rust call", rust_call))
    variants.append(("reader (auto)", reader))
    for name, run in [*variants, ("python loop", python_loop)]:
        cpu, wall, count = measure(run, data, args.repeat)
        if name == "python loop":
            print(f"{name:13s} {cpu:7.2f} s CPU {wall:7.2f} s wall (10M additions)")
            continue
        _report(name, cpu, wall, count, args.entries)


def _report(name: str, cpu: float, wall: float, count: int, entries: int) -> None:
    assert count == entries, (name, count)
    print(
        f"{name:13s} {cpu:7.2f} s CPU {wall:7.2f} s wall "
        f"{count / cpu:9.0f} entries/s CPU {count / wall:9.0f} entries/s wall"
    )


if __name__ == "__main__":
    main()
