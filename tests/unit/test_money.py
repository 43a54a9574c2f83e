"""Money: the exponent table, exact scale conversion, range checks, rounding and allocation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import InvalidArgument
from engine.money import (
    MAX_AMOUNT_MINOR,
    Money,
    RoundingMode,
    allocate,
    basis_points_of,
    currency_exponent,
    from_scaled,
)


def test_exponents_follow_iso_4217() -> None:
    assert [currency_exponent(c) for c in ("JPY", "EUR", "KWD", "CLF")] == [0, 2, 3, 4]


def test_unknown_currency_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidArgument) as err:
        from_scaled(100, None, "XYZ", "payment.amount")
    assert err.value.reason == "UNKNOWN_CURRENCY"
    assert err.value.violations[0].field == "payment.amount.currency_code"


@pytest.mark.parametrize(
    ("amount", "scale", "currency", "expected"),
    [(10500, 3, "EUR", 1050), (1000, 2, "JPY", 10), (12, 0, "EUR", 1200), (1050, None, "EUR", 1050)],
)
def test_scaled_amounts_convert_exactly(amount: int, scale: int | None, currency: str, expected: int) -> None:
    assert from_scaled(amount, scale, currency, "f") == Money(expected, currency)


@pytest.mark.parametrize(("amount", "scale", "currency"), [(10005, 3, "EUR"), (1050, 2, "JPY")])
def test_precision_finer_than_the_currency_is_refused(amount: int, scale: int, currency: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        from_scaled(amount, scale, currency, "invoice.amount")
    assert err.value.reason == "PRECISION_FINER_THAN_CURRENCY"
    assert err.value.violations[0].field == "invoice.amount.amount_minor"


@pytest.mark.parametrize("amount", [0, -1, MAX_AMOUNT_MINOR + 1])
def test_zero_negative_and_huge_amounts_are_refused(amount: int) -> None:
    with pytest.raises(InvalidArgument):
        from_scaled(amount, None, "EUR", "f")


def test_basis_points_round_half_even_and_down() -> None:
    assert basis_points_of(125, 200) == 2  # 2.5 -> 2 (even)
    assert basis_points_of(175, 200) == 4  # 3.5 -> 4 (even)
    assert basis_points_of(175, 200, RoundingMode.DOWN) == 3


def test_format_uses_the_currency_exponent() -> None:
    assert Money(123456, "EUR").format() == "EUR 1,234.56"
    assert Money(1234, "JPY").format() == "JPY 1,234"
    assert Money(-5, "KWD").format() == "KWD -0.005"


@given(
    total=st.integers(min_value=0, max_value=10**15),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20).filter(
        lambda w: sum(w) > 0
    ),
)
def test_allocated_parts_always_sum_to_the_whole_and_stay_within_one_unit(
    total: int, weights: list[int]
) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / sum(weights)
        assert abs(part - exact) < 1.000001
        if weight == 0:
            assert part == 0
