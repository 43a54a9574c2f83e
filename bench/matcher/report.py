"""Turns the pytest-benchmark JSON in bench/results/ into bench/RESULTS.md.

Every number in RESULTS.md comes from those files; nothing is typed in by hand.
Usage: python -m bench.matcher.report bench/results bench/RESULTS.md
"""

from __future__ import annotations

import json
import math
import platform
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

SOLVER_PATHS = "matcher_rs, engine/matching"
PEERS = ("rust", "rust_multi", "rust_shared", "python", "itertools", "flsss", "cpsat", "highs")
PEER_TITLES = {
    "rust": "Rust",
    "rust_multi": "Rust, solve_one_to_many_multi (tables built once)",
    "rust_shared": "Rust, shared tables (many-to-many API, max_payments=1)",
    "python": "Python fallback",
    "itertools": "itertools",
    "flsss": "flsss",
    "cpsat": "CP-SAT",
    "highs": "HiGHS (find-one)",
}
FAMILY_NOTES = {
    "find-one": "A payment equal to a planted set of 1..3 items; k <= 3, tolerance 0. Any one "
    "matching set is an answer (each one re-summed by the suite). The project solver stops at "
    "the first set with `Limits(max_solutions=1)` (outcome SOLUTION_LIMIT; flsss likewise with "
    "`n_solutions=1`), at its default node budget; both twins stop at the same set.",
    "exhaustive": "Count every set of <= k items within tolerance of the payment (a planted "
    "3-item sum). HiGHS cannot enumerate: its column is the time to find one set.",
    "no-match": "k <= 5, tolerance 0; the payment is proved unmatched by a sound meet-in-the-"
    "middle oracle in the generator. Every peer must prove that no set matches.",
    "dense": "Amounts 1.00..50.00, unbounded k (any number of items), payment = a planted "
    "quarter of the items. Counts are checked against an exact counting DP. The project solver "
    "enumerates every set (26 M at n = 45, about 25 nodes each for its subset_dp kernel), so "
    "the node budget is raised to 1,000 M (the default 5 M runs out from n = 35 on).",
    "wide-range": "Amounts log-uniform from $0.01 to $1 bn (1 to 10^11 cents), k <= 5, "
    "tolerance 0; count every set paying a planted 3-item sum. Up to 256 items the project "
    "solver serves sets of 4 and 5 by its `sorted_bounds` kernel (bounded search over sorted "
    "positions, no pair table), above by the pair table (see matcher_rs/README.md).",
    "unstructured-no-match": "Amounts uniform on $0.01 to $1 bn (no scale to prune by), "
    "k <= 4, tolerance 0; the payment, drawn between a quarter and three quarters of the largest "
    "reachable sum, is proved unmatched by the sound 2 + 2 meet-in-the-middle oracle of the "
    "generator. Every peer must prove that no set matches.",
    "many-to-many": "m payments against n items; each payment is a planted group of 1..3 "
    "items. Every peer counts the groups (P, S) of <= 3 payments and <= 3 items with "
    "sum(P) = total(S), the project's many-to-many definition; flsss runs once per payment set; "
    "HiGHS finds one group.",
}


PEER_NOTES = [
    "## Peers",
    "",
    "- **Rust**: `engine.matching.solver.rust_backend()` (release build by run.sh); batches "
    "through `solve_batch` with an explicit thread count. The items go in as `OpenItems` "
    "(the contract's flat int64 columns, built once outside the timed call, as a caller holding "
    "a customer's items would); the time includes validation, the call and building the "
    "`Solution`.",
    "- **Python fallback**: `engine.matching.solver.python_backend()`, the same algorithm "
    "(identical node counts) on the same `OpenItems`. Skipped where the Rust run needed > 20 M "
    "nodes.",
    "- **itertools**: plain `itertools.combinations` over sizes 1..k, summing each combination; "
    "skipped where its measured rate puts one instance above 60 s.",
    "- **flsss** (PyPI `flsss`, C++ branch and bound): `flsss.gen(x, lo, hi, len=L, "
    "n_solutions=..., n_threads=1, time_limit=...)`, called once per subset size L = 1..k "
    "(`len=0`, any size, for the unbounded dense family); its solutions are counted. It installs "
    "and works.",
    "- **CP-SAT** (OR-Tools): boolean per item, linear window constraint, cardinality <= k, "
    "one worker, 10 s limit; counts by `enumerate_all_solutions`. OR-Tools pins "
    "protobuf < 6.34 while the server needs protobuf 7, so run.sh installs it with `--no-deps` "
    "(CP-SAT runs fine on protobuf 7).",
    "- **HiGHS** (highspy, MIP): the same model as a feasibility MIP, one thread, 10 s limit. "
    "It finds one set or proves there is none; it cannot enumerate, so it never counts. "
    "highspy and OR-Tools bundle clashing HiGHS builds (undefined symbol on import), so each "
    "runs in its own process.",
    "",
]


@dataclass
class Row:
    median_s: float
    info: dict[str, Any]
    rounds: int


@dataclass
class Results:
    rows: dict[tuple[str, str, str], Row] = field(default_factory=dict)  # (family, inst, peer)
    batch: dict[tuple[str, str, int], Row] = field(default_factory=dict)  # (family, peer, threads)
    skips: dict[tuple[str, str, str], str] = field(default_factory=dict)
    order: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    machine: dict[str, Any] = field(default_factory=dict)


def load(results_dir: Path) -> Results:
    res = Results()
    runs = []
    for path in sorted(results_dir.glob("*.json")):
        if path.name.endswith("meta.json"):  # meta.json, rerun.meta.json
            continue
        if path.name.endswith(".skips.json"):
            for s in json.loads(path.read_text()):
                res.skips[(s["family"], s["instance"], s["peer"])] = s["reason"]
                _note_order(res, s["family"], s["instance"])
            continue
        runs.append(json.loads(path.read_text()))
    # The latest measurement of an instance and peer wins (a re-run of some families, like
    # BENCH_RERUN's rerun.json, replaces those rows of the full run).
    for data in sorted(runs, key=lambda d: str(d.get("datetime", ""))):
        res.machine = res.machine or data.get("machine_info", {})
        for b in data["benchmarks"]:
            info = b["extra_info"]
            row = Row(b["stats"]["median"], info, b["stats"]["rounds"])
            fam = info["family"]
            if fam.startswith("batch:"):
                res.batch[(fam, info["peer"], int(info.get("threads", 1)))] = row
            else:
                res.rows[(fam, info["instance"], info["peer"])] = row
                _note_order(res, fam, info["instance"])
    return res


def _note_order(res: Results, fam: str, inst: str) -> None:
    if inst not in res.order[fam]:
        res.order[fam].append(inst)


def _sort_key(inst: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", inst)]


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def fmt_ratio(r: float) -> str:
    if r >= 100:
        return f"{r:,.0f}x"
    return f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def _status_word(row: Row) -> str:
    st = row.info.get("status")
    if st == "timeout":
        return "time-out"
    if st == "capped":
        return "capped"
    if st == "budget":
        return "budget exhausted"
    return ""


def cell(res: Results, fam: str, inst: str, peer: str) -> str:
    row = res.rows.get((fam, inst, peer))
    if row is None:
        reason = res.skips.get((fam, inst, peer))
        return reason if reason else "—"
    text = fmt_time(row.median_s)
    word = _status_word(row)
    if word:
        text = f"{word} ({text}; {row.info.get('note', '')})"
    rust = res.rows.get((fam, inst, "rust"))
    if peer != "rust" and rust is not None and rust.info.get("status") in ("matched", "no_match"):
        text += f" ({'≥' if word == 'time-out' else ''}{fmt_ratio(row.median_s / rust.median_s)})"
    return text


def cross_check(res: Results, fam: str, inst: str) -> str:
    counts = {}
    for peer in PEERS:
        row = res.rows.get((fam, inst, peer))
        if row and row.info.get("count") is not None and row.info.get("status") != "timeout":
            counts[peer] = row.info["count"]
    if not counts:
        return "found sets re-summed"
    values = set(counts.values())
    if len(values) == 1:
        return f"{values.pop():,} (agree: {', '.join(counts)})"
    return "MISMATCH " + ", ".join(f"{p}={c}" for p, c in counts.items())


def family_table(res: Results, fam: str) -> list[str]:
    peers = [p for p in PEERS if any(k[0] == fam and k[2] == p for k in res.rows)]
    peers += [p for p in PEERS if p not in peers and any(k[0] == fam and k[2] == p for k in res.skips)]
    peers = [p for p in PEERS if p in peers]
    head = ["instance", *(PEER_TITLES[p] for p in peers), "count / cross-check"]
    lines = [f"### {fam}", "", FAMILY_NOTES.get(fam, ""), ""]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for inst in sorted(res.order[fam], key=_sort_key):
        cells = [inst, *(cell(res, fam, inst, p) for p in peers), cross_check(res, fam, inst)]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return [*lines, ""]


def batch_time(row: Row) -> tuple[float, str]:
    """Whole-batch seconds; a prefix run is scaled up linearly and marked as extrapolated."""
    solved, total = row.info["solved"], row.info["problems"]
    if solved < total:
        return row.median_s * total / solved, f" (extrapolated from {solved})"
    return row.median_s, ""


def batch_tables(res: Results) -> list[str]:
    lines: list[str] = []
    for fam in sorted({k[0] for k in res.batch}):
        rows = {k: v for k, v in res.batch.items() if k[0] == fam}
        any_row = next(iter(rows.values()))
        problems = any_row.info["problems"]
        rust1 = rows.get((fam, "rust", 1))
        lines += [f"### {fam}: `{any_row.info['instance']}`", ""]
        lines += ["| peer | threads | whole batch | per problem | time / Rust 1 thread | counts |"]
        lines += ["|---|---|---|---|---|---|"]
        ref_digest = rust1.info.get("counts_digest") if rust1 else None
        for (_, peer, threads), row in sorted(rows.items(), key=lambda kv: (PEERS.index(kv[0][1]), kv[0][2])):
            total, note = batch_time(row)
            ratio = fmt_ratio(total / batch_time(rust1)[0]) if rust1 else "—"
            lines.append(
                f"| {PEER_TITLES[peer]} | {threads} | {fmt_time(total)}{note} | "
                f"{fmt_time(total / problems)} | {ratio} | {batch_agreement(row, rust1, ref_digest)} |"
            )
        lines.append("")
    return lines


def batch_agreement(row: Row, rust1: Row | None, ref: str | None) -> str:
    if row.info["peer"] == "highs":
        return "find-one only"
    if row.info["peer"] == "rust_shared":
        ref_total = rust1.info.get("total_count") if rust1 else None
        if ref_total is None:
            return f"total {row.info['total_count']:,}"
        verdict = "agree" if ref_total == row.info["total_count"] else "MISMATCH"
        return f"total {row.info['total_count']:,}: {verdict}"
    if row.info.get("unfinished"):
        return f"{row.info['unfinished']} unfinished"
    if rust1 is None or row is rust1:
        return "reference" if row is rust1 else "no Rust reference"
    solved = row.info["solved"]
    if solved == row.info["problems"]:
        mine, theirs = row.info.get("counts_digest"), ref
    else:
        mine = row.info["prefix_digests"].get(str(solved))
        theirs = rust1.info["prefix_digests"].get(str(solved))
    if mine is None or theirs is None:
        return "not compared"
    return "agree" if mine == theirs else "MISMATCH"


# ---------------------------------------------------------------- targets


def _ratios(res: Results, peer: str, pred: Any) -> list[tuple[str, float]]:
    out = []
    for (fam, inst, p), row in res.rows.items():
        rust = res.rows.get((fam, inst, "rust"))
        if p != peer or rust is None or not pred(fam, inst, row):
            continue
        if row.info.get("status") in ("matched", "no_match", "timeout") and rust.info.get("status") in (
            "matched",
            "no_match",
        ):
            out.append((inst, row.median_s / rust.median_s))
    return out


def _n(inst: str) -> int:
    m = re.search(r"n=(\d+)", inst)
    return int(m.group(1)) if m else 0


def _summary(ratios: list[tuple[str, float]]) -> str:
    def one(rs: list[tuple[str, float]]) -> str:
        worst = min(rs, key=lambda t: t[1])
        gmean = math.exp(statistics.fmean(math.log(r) for _, r in rs))
        return f"min {fmt_ratio(worst[1])} ({worst[0]}), geometric mean {fmt_ratio(gmean)}"

    by_family: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for inst, r in ratios:
        by_family[inst.split("/")[0]].append((inst, r))
    parts = "; ".join(f"{fam}: {one(rs)}" for fam, rs in by_family.items())
    return f"{one(ratios)} over {len(ratios)} instances. By family: {parts}"


def targets(res: Results) -> list[str]:
    out = ["## Targets", ""]

    def verdict(ok: bool | None) -> str:
        return "**holds**" if ok else ("**not measured**" if ok is None else "**does not hold**")

    fams_1m = ("find-one", "exhaustive", "no-match", "dense", "wide-range", "unstructured-no-match")
    r = _ratios(res, "python", lambda f, i, row: f in fams_1m)
    ok = all(x >= 30 for _, x in r) if r else None
    out.append(
        f"1. Rust >= 30x the Python fallback (same algorithm, every one-to-many instance): "
        f"{verdict(ok)}" + (f" — {_summary(r)}." if r else ".")
    )

    r = _ratios(res, "itertools", lambda f, i, row: _n(i) >= 60 and f in fams_1m)
    ok = all(x >= 1000 for _, x in r) if r else None
    out.append(
        f"2. Rust >= 1,000x itertools at n >= 60 (where itertools ran, <= 60 s est.): "
        f"{verdict(ok)}" + (f" — {_summary(r)}." if r else ".")
    )

    for peer in ("cpsat", "highs"):
        r = _ratios(res, peer, lambda f, i, row: f == "find-one")
        ok = all(x >= 100 for _, x in r) if r else None
        out.append(
            f"3{'a' if peer == 'cpsat' else 'b'}. Rust >= 100x {PEER_TITLES[peer]} on find-one: {verdict(ok)}"
            + (f" — {_summary(r)}." if r else ".")
        )
    timeouts = [
        (fam, inst, p)
        for (fam, inst, p), row in res.rows.items()
        if p in ("cpsat", "highs") and row.info.get("status") == "timeout"
    ]
    measured = [t for t in timeouts if (t[0], t[1], "rust") in res.rows]
    bad = [
        (fam, inst, p)
        for fam, inst, p in measured
        if res.rows[(fam, inst, "rust")].info.get("status") not in ("matched", "no_match")
    ]
    ok = None if not measured else not bad
    out.append(
        f"4. No Rust time-out (or budget exhaustion) where CP-SAT / HiGHS time out "
        f"({len(timeouts)} peer time-outs): {verdict(ok)}"
        + (f" — unfinished for Rust: {', '.join(i for _, i, _ in bad)}." if bad else ".")
    )

    r = _ratios(res, "flsss", lambda f, i, row: f == "exhaustive" and "k<=5" in i)
    ok = all(x > 1 for _, x in r) if r else None
    at200 = [(i, x) for i, x in r if _n(i) == 200]
    ok200 = all(x >= 2 for _, x in at200) if at200 else None
    per_n = ", ".join(f"{i}: {fmt_ratio(x)}" for i, x in sorted(r, key=lambda t: _sort_key(t[0])))
    out.append(
        f"5. Rust faster than flsss at every n on exhaustive k <= 5: {verdict(ok)}; "
        f">= 2x at n = 200: {verdict(ok200)}" + (f" — flsss/Rust: {per_n}." if r else ".")
    )

    r = _ratios(res, "flsss", lambda f, i, row: f in fams_1m)
    ok = all(x >= 1 for _, x in r) if r else None
    out.append(
        f"5b. Rust >= 1x flsss on every one-to-many family: {verdict(ok)}"
        + (f" — {_summary(r)}." if r else ".")
    )

    custs = {
        p: res.batch[("batch:customer", p, 1)]
        for p in ("rust", "rust_multi", "rust_shared")
        if ("batch:customer", p, 1) in res.batch
    }
    if custs:
        pers = {p: row.median_s / row.info["problems"] for p, row in custs.items()}
        detail = "; ".join(f"{PEER_TITLES[p]}: {fmt_time(x)}" for p, x in pers.items())
        problems = next(iter(custs.values())).info["problems"]
        out.append(
            f"6. Exhaustive k <= 5 at n = 100 <= 200 µs per payment, a customer's {problems} "
            f"payments batched (1 thread, best way): {verdict(min(pers.values()) <= 200e-6)} — "
            f"per payment: {detail}."
        )
    else:
        out.append(f"6. Exhaustive k <= 5 at n = 100 <= 200 µs per payment (batched): {verdict(None)}.")
    typ = res.batch.get(("batch:typical", "rust", 2))
    if typ:
        out.append(
            f"7. {typ.info['problems']:,} typical problems (n ~ 50, k <= 5) in < 1 s on 2 "
            f"cores: {verdict(typ.median_s < 1)} — {fmt_time(typ.median_s)} at 2 threads."
        )
    else:
        out.append(f"7. 10,000 typical problems in < 1 s on 2 cores: {verdict(None)}.")
    return [*out, ""]


# ---------------------------------------------------------------- machine


def _cmd(*args: str) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "unavailable"


def snapshot() -> dict[str, str]:
    """The machine, toolchain and sources being measured; run.sh stores it before the runs."""
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in _cmd("lscpu").splitlines() if ln.startswith("Model name")),
        "unknown",
    )

    def ver(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "not installed"

    changed = _cmd("git", "status", "--porcelain", "--", *SOLVER_PATHS.split(", "))
    # Porcelain lines are "XY path"; the first one may have lost its leading space to strip().
    paths = [ln.split(maxsplit=1)[-1] for ln in changed.splitlines()]
    return {
        "nproc": _cmd("nproc"),
        "cpu": cpu,
        "python": platform.python_version(),
        "rustc": _cmd("rustc", "--version"),
        "os": platform.platform(),
        "commit": _cmd("git", "rev-parse", "--short", "HEAD"),
        "dirty": ("uncommitted changes in " + ", ".join(paths)) if paths else "",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "peers": f"ortools {ver('ortools')}, highspy {ver('highspy')}, flsss {ver('flsss')}, "
        f"pytest-benchmark {ver('pytest-benchmark')}",
    }


def machine(results_dir: Path) -> list[str]:
    meta_path = results_dir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else snapshot()
    return [
        "## Machine",
        "",
        f"- nproc: {meta['nproc']}; CPU: {meta['cpu']}",
        f"- Python {meta['python']}; {meta['rustc']}",
        f"- OS: {meta['os']}",
        f"- measured at commit {meta['commit']} on {meta['date']}; solver sources "
        f"({SOLVER_PATHS}): {meta['dirty'] or 'clean at that commit'}",
        f"- peers: {meta['peers']}",
        *_rerun_line(results_dir),
        "",
    ]


def _rerun_line(results_dir: Path) -> list[str]:
    # BENCH_RERUN (run.sh) stores what it re-measured beside its rerun.json.
    path = results_dir / "rerun.meta.json"
    if not path.exists():
        return []
    meta = json.loads(path.read_text())
    return [
        f"- re-run `{meta.get('selection', '?')}` (rust, python, itertools, flsss; those rows replace "
        f"the full run's) at commit {meta['commit']} on {meta['date']}; solver sources: "
        f"{meta['dirty'] or 'clean at that commit'}"
    ]


def render(res: Results, results_dir: Path) -> str:
    lines = [
        "# Matcher benchmarks",
        "",
        "Generated by `bench/matcher/report.py` from `bench/results/*.json`; reproduce with "
        "`make bench` (which runs `bash bench/run.sh`). Times are medians of pytest-benchmark "
        "rounds, single-threaded (`RAYON_NUM_THREADS=1`) unless a thread count is given. A "
        "ratio in parentheses is that peer's median divided by Rust's on the same instance "
        "(`≥` when the peer timed out). Peers with a wall-clock limit (CP-SAT, HiGHS, flsss: "
        "10 s) and slow itertools scans are timed on one round. The machine is shared with other "
        "builds and test runs, so single-round numbers carry noise (tens of per cent).",
        "",
        *machine(results_dir),
        *PEER_NOTES,
        *targets(res),
        "## Results by family",
        "",
    ]
    for fam in (
        "find-one",
        "exhaustive",
        "no-match",
        "dense",
        "wide-range",
        "unstructured-no-match",
        "many-to-many",
    ):
        if res.order.get(fam):
            lines += family_table(res, fam)
    lines += ["## Batches", "", *batch_tables(res)]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    if argv[1] == "--snapshot":
        meta = snapshot() | ({"selection": argv[3]} if len(argv) > 3 else {})
        Path(argv[2]).write_text(json.dumps(meta, indent=1))
        return 0
    results_dir, out = Path(argv[1]), Path(argv[2])
    # The matcher part opens the file; the sections after it belong to other benchmarks.
    out.write_text(render(load(results_dir), results_dir) + _other_sections(out))
    return 0


# The '## ' sections render() writes; the file's first other section starts the kept tail.
MATCHER_SECTIONS = ("## Machine", "## Peers", "## Targets", "## Results by family", "## Batches")


def _other_sections(out: Path) -> str:
    if not out.exists():
        return ""
    lines = out.read_text().splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("## ") and not line.startswith(MATCHER_SECTIONS):
            return "\n" + "".join(lines[i:])
    return ""


if __name__ == "__main__":
    sys.exit(main(sys.argv))
