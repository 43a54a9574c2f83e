"""The DSO and CEI formulas against their published check values, and the period calendar."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from engine.reports import dso
from engine.reports.as_of import bucket_of, decimal_text, effective_date
from engine.reports.statement_pdf import amount_text


def test_count_back_dso_matches_the_published_example() -> None:
    # Benji Pays, "Mastering DSO Calculation: The Count-Back Method Explained" (2024): AR
    # 212,000 against monthly sales of 100,000, 80,000, 70,000 (most recent first), 30-day
    # months: 30 + 30 + 32/70 x 30 = 73.71 days.
    days, exhausted = dso.count_back_dso(212_000_00, [(30, 100_000_00), (30, 80_000_00), (30, 70_000_00)])
    assert dso.text(days) == "73.71"
    assert not exhausted


def test_count_back_dso_with_actual_month_lengths_differs_from_thirty_days() -> None:
    # The same book as of 2026-03-31 with calendar days: 31 (March) + 28 (February) + 32/70 x 31.
    periods = dso.periods_ending(dt.date(2026, 3, 31), 1, 3, thirty=False)
    assert [p.days for p in periods] == [31, 28, 31]
    days, _ = dso.count_back_dso(212_000_00, [(31, 100_000_00), (28, 80_000_00), (31, 70_000_00)])
    assert days == 31 + 28 + Fraction(32 * 31, 70)
    assert dso.text(days) == "73.17"


def test_count_back_dso_is_a_lower_bound_when_receivables_exceed_every_period() -> None:
    days, exhausted = dso.count_back_dso(500, [(30, 100), (30, 100)])
    assert (days, exhausted) == (60, True)


def test_cei_matches_the_published_example() -> None:
    # CreditGuru, "Ratio - Collection Effectiveness Index (CEI)": January-March, N = 3,
    # credit sales 10,890, beginning AR 6,200, ending total AR 6,340, ending current 3,590.
    value = dso.cei(6_200, 10_890, 3, 6_340, 3_590)
    assert dso.text(value) == "55.93"


def test_cei_of_a_zero_denominator_is_undefined_not_zero() -> None:
    assert dso.cei(0, 0, 3, 0, 0) is None
    assert dso.text(None) == ""


def test_simple_and_best_possible_dso() -> None:
    assert dso.text(dso.simple_dso(212_000, 250_000, 90)) == "76.32"
    assert dso.simple_dso(1, 0, 90) is None


def test_months_shift_keeps_month_ends_and_clamps_other_days() -> None:
    assert dso.shift_months(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert dso.shift_months(dt.date(2026, 3, 31), 2) == dt.date(2026, 1, 31)
    assert dso.shift_months(dt.date(2026, 3, 30), 1) == dt.date(2026, 2, 28)
    assert dso.shift_months(dt.date(2026, 3, 15), 3) == dt.date(2025, 12, 15)
    quarters = dso.periods_ending(dt.date(2026, 6, 30), 3, 2, thirty=True)
    assert [(p.start, p.end, p.days) for p in quarters] == [
        (dt.date(2026, 4, 1), dt.date(2026, 6, 30), 90),
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31), 90),
    ]


def test_buckets_hold_their_edges() -> None:
    ages = [-5, 0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 4000]
    assert [bucket_of(a) for a in ages] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_effective_date_of_undated_entries_is_never_before_their_documents() -> None:
    posted_2026_12_01 = int(dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC).timestamp()) * 1_000_000
    assert effective_date("APPLICATION", posted_2026_12_01, "2026-11-01", "2026-11-05") == dt.date(
        2026, 11, 5
    )
    assert effective_date("APPLICATION_REVERSAL", posted_2026_12_01, "2026-11-01", None) == dt.date(
        2026, 12, 1
    )
    assert effective_date("CREDIT_MEMO", posted_2026_12_01, "2027-01-01", None) == dt.date(2027, 1, 1)


def test_decimals_round_half_even() -> None:
    assert decimal_text(1, 8) == "0.12"  # 0.125 -> 0.12
    assert decimal_text(3, 8) == "0.38"  # 0.375 -> 0.38
    assert decimal_text(1, 3, 100) == "33.33"
    assert decimal_text(1, 0) == ""


def test_amounts_print_exactly_in_the_currency_exponent() -> None:
    assert amount_text(123456, "EUR") == "1234.56"
    assert amount_text(-5, "EUR") == "-0.05"
    assert amount_text(1000, "JPY") == "1000"
    assert amount_text(1, "KWD") == "0.001"
