"""The scorer: pure functions from truths and observations to verdicts and tables. No I/O.

A payment (or a split payment's whole group of transfers) is

- RIGHT: the truth says APPLY and the cash per invoice is exactly the truth's; or the truth says
  QUEUE, nothing is applied and the payment is in the open exception queue;
- WRONG: cash on an invoice, or in an amount, the truth does not say;
- MISSED: the truth says APPLY and nothing is applied (or only part of the truth's own
  allocations, each exactly right: safe, the rest is left for a clerk); or the truth says QUEUE,
  nothing is applied, but the payment is not in the exception queue;
- LOST: money not accounted for: the payment is absent from the server, or applied + unapplied
  + returned differs from its amount. A failing ledger invariant is counted as lost too (once per
  invariant, as a run-level loss).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from bench.quality.load import Observed
from bench.quality.truth import Outcome, Truth


class Verdict(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    MISSED = "missed"
    LOST = "lost"


def _units(truths: Iterable[Truth]) -> list[list[Truth]]:
    """Payments judged together: each split group as one unit, every other payment alone."""
    groups: dict[str, list[Truth]] = defaultdict(list)
    units: list[list[Truth]] = []
    for truth in truths:
        if truth.group is None:
            units.append([truth])
        else:
            if truth.group not in groups:
                units.append(groups[truth.group])
            groups[truth.group].append(truth)
    return units


def _summed(allocations: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for allocation in allocations:
        for invoice_id, cash in allocation.items():
            total[invoice_id] += cash
    return {k: v for k, v in total.items() if v}


def judge_unit(unit: list[Truth], observed: Mapping[str, Observed]) -> Verdict:
    seen = [observed.get(t.payment_id) for t in unit]
    if any(o is None for o in seen):
        return Verdict.LOST
    present = [o for o in seen if o is not None]
    if any(o.applied_minor + o.unapplied_minor + o.returned_minor != o.amount_minor for o in present):
        return Verdict.LOST
    actual = _summed(o.cash for o in present)
    expected = _summed(t.allocations for t in unit)
    if any(expected.get(invoice_id) != cash for invoice_id, cash in actual.items()):
        return Verdict.WRONG
    if unit[0].outcome is Outcome.APPLY:
        return Verdict.RIGHT if actual == expected else Verdict.MISSED
    return Verdict.RIGHT if all(o.queued for o in present) else Verdict.MISSED


def judge(truths: Iterable[Truth], observed: Mapping[str, Observed]) -> dict[str, Verdict]:
    """The verdict of every payment; a group's transfers share the group's verdict."""
    verdicts: dict[str, Verdict] = {}
    for unit in _units(truths):
        verdict = judge_unit(unit, observed)
        for truth in unit:
            verdicts[truth.payment_id] = verdict
    return verdicts


@dataclass(frozen=True)
class Row:
    label: str
    count: int
    right: int
    wrong: int
    missed: int
    lost: int

    def share(self, part: int) -> float:
        return 100.0 * part / self.count if self.count else 0.0


def _row(label: str, verdicts: list[Verdict]) -> Row:
    return Row(
        label,
        len(verdicts),
        verdicts.count(Verdict.RIGHT),
        verdicts.count(Verdict.WRONG),
        verdicts.count(Verdict.MISSED),
        verdicts.count(Verdict.LOST),
    )


@dataclass(frozen=True)
class Score:
    overall: Row
    by_kind: tuple[Row, ...]
    failed_invariants: tuple[str, ...]

    @property
    def lost(self) -> int:
        """Lost payments plus failing invariants: money that is not accounted for."""
        return self.overall.lost + len(self.failed_invariants)

    @property
    def wrong_share(self) -> float:
        return self.overall.share(self.overall.wrong)


def score(
    truths: Iterable[Truth], observed: Mapping[str, Observed], failed_invariants: Iterable[str] = ()
) -> Score:
    truth_list = list(truths)
    verdicts = judge(truth_list, observed)
    by_kind: dict[str, list[Verdict]] = defaultdict(list)
    for truth in truth_list:
        by_kind[truth.kind].append(verdicts[truth.payment_id])
    return Score(
        overall=_row("overall", [verdicts[t.payment_id] for t in truth_list]),
        by_kind=tuple(_row(kind, by_kind[kind]) for kind in sorted(by_kind)),
        failed_invariants=tuple(failed_invariants),
    )


def table(result: Score) -> str:
    """The score as a Markdown table: overall first, then per kind."""
    lines = [
        "| kind | payments | right % | wrong % | missed % | lost |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in (result.overall, *result.by_kind):
        label = f"**{row.label}**" if row is result.overall else row.label
        lines.append(
            f"| {label} | {row.count} | {row.share(row.right):.1f} | {row.share(row.wrong):.1f} | "
            f"{row.share(row.missed):.1f} | {row.lost} |"
        )
    return "\n".join(lines)
