"""The quality scorer tells right from wrong from missed from lost, and judges a split group whole."""

from __future__ import annotations

from bench.quality.load import Observed
from bench.quality.score import Verdict, judge, score, table
from bench.quality.truth import Outcome, Truth


def _seen(
    payment_id: str, amount: int, cash: dict[str, int] | None = None, *, queued: bool = False
) -> Observed:
    applied = sum((cash or {}).values())
    return Observed(payment_id, amount, applied, amount - applied, 0, dict(cash or {}), queued)


APPLY_A = Truth("P1", "single_ref", Outcome.APPLY, {"A": 100})
QUEUE_1 = Truth("P2", "duplicate", Outcome.QUEUE)


def _verdict(truth: Truth, seen: Observed | None) -> Verdict:
    return judge([truth], {} if seen is None else {seen.payment_id: seen})[truth.payment_id]


def test_exact_cash_per_invoice_is_right() -> None:
    assert _verdict(APPLY_A, _seen("P1", 100, {"A": 100})) is Verdict.RIGHT


def test_cash_on_another_invoice_is_wrong() -> None:
    assert _verdict(APPLY_A, _seen("P1", 100, {"B": 100})) is Verdict.WRONG


def test_another_amount_on_the_right_invoice_is_wrong() -> None:
    assert _verdict(APPLY_A, _seen("P1", 100, {"A": 99})) is Verdict.WRONG


def test_extra_invoice_besides_the_right_one_is_wrong() -> None:
    truth = Truth("P1", "overpayment", Outcome.APPLY, {"A": 100})
    assert _verdict(truth, _seen("P1", 150, {"A": 100, "B": 50})) is Verdict.WRONG


def test_nothing_applied_when_the_truth_applies_is_missed_queued_or_not() -> None:
    assert _verdict(APPLY_A, _seen("P1", 100, queued=True)) is Verdict.MISSED
    assert _verdict(APPLY_A, _seen("P1", 100)) is Verdict.MISSED


def test_part_of_the_truth_exactly_right_is_missed_not_wrong() -> None:
    truth = Truth("P1", "multi_ref", Outcome.APPLY, {"A": 100, "B": 50})
    assert _verdict(truth, _seen("P1", 150, {"A": 100})) is Verdict.MISSED


def test_queue_truth_queued_and_untouched_is_right() -> None:
    assert _verdict(QUEUE_1, _seen("P2", 100, queued=True)) is Verdict.RIGHT


def test_queue_truth_not_queued_is_missed() -> None:
    assert _verdict(QUEUE_1, _seen("P2", 100)) is Verdict.MISSED


def test_any_cash_when_the_truth_queues_is_wrong() -> None:
    assert _verdict(QUEUE_1, _seen("P2", 100, {"A": 100}, queued=True)) is Verdict.WRONG


def test_payment_absent_from_the_server_is_lost() -> None:
    assert _verdict(APPLY_A, None) is Verdict.LOST


def test_unbalanced_payment_is_lost() -> None:
    seen = Observed("P1", 100, 100, 10, 0, {"A": 100}, False)
    assert _verdict(APPLY_A, seen) is Verdict.LOST


def test_failing_invariant_counts_as_lost() -> None:
    result = score([APPLY_A], {"P1": _seen("P1", 100, {"A": 100})}, ["AR_MATCHES_OPEN_INVOICES: x"])
    assert result.overall.right == 1
    assert result.lost == 1


SPLIT = [
    Truth("S1", "split_ref", Outcome.APPLY, {"A": 60}, group="G"),
    Truth("S2", "split_ref", Outcome.APPLY, {"A": 40, "B": 100}, group="G"),
]


def test_split_group_is_judged_on_its_summed_cash_per_invoice() -> None:
    # The engine spread the transfers differently over the invoices: the group's sums agree.
    seen = {"S1": _seen("S1", 60, {"B": 60}), "S2": _seen("S2", 140, {"A": 100, "B": 40})}
    assert judge(SPLIT, seen) == {"S1": Verdict.RIGHT, "S2": Verdict.RIGHT}


def test_split_group_with_one_transfer_applied_is_wrong_for_every_transfer() -> None:
    seen = {"S1": _seen("S1", 60, {"A": 60}), "S2": _seen("S2", 140, queued=True)}
    assert judge(SPLIT, seen) == {"S1": Verdict.WRONG, "S2": Verdict.WRONG}


def test_split_group_untouched_is_missed_and_one_missing_transfer_loses_the_group() -> None:
    untouched = {"S1": _seen("S1", 60, queued=True), "S2": _seen("S2", 140, queued=True)}
    assert set(judge(SPLIT, untouched).values()) == {Verdict.MISSED}
    assert set(judge(SPLIT, {"S1": _seen("S1", 60)}).values()) == {Verdict.LOST}


def test_score_counts_per_kind_and_prints_a_table() -> None:
    truths = [APPLY_A, QUEUE_1, *SPLIT]
    seen = {
        "P1": _seen("P1", 100, {"B": 100}),
        "P2": _seen("P2", 100, queued=True),
        "S1": _seen("S1", 60, {"A": 60}),
        "S2": _seen("S2", 140, {"A": 40, "B": 100}),
    }
    result = score(truths, seen)
    assert (result.overall.count, result.overall.right, result.overall.wrong) == (4, 3, 1)
    rows = {row.label: row for row in result.by_kind}
    assert rows["single_ref"].wrong == 1 and rows["split_ref"].right == 2 and rows["duplicate"].right == 1
    assert result.wrong_share == 25.0
    assert "| **overall** | 4 | 75.0 | 25.0 | 0.0 | 0 |" in table(result)
