"""money(): exact conversion of human amounts to wire Money, no server needed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cashapp_client import Money, money


def test_decimal_string_travels_as_minor_units_with_its_scale() -> None:
    assert money("12.34", "EUR") == Money(currency_code="EUR", amount_minor=1234, scale=2)


def test_three_decimal_currency_keeps_every_digit() -> None:
    assert money("12.345", "KWD") == Money(currency_code="KWD", amount_minor=12345, scale=3)


def test_decimal_instances_convert_like_strings() -> None:
    assert money(Decimal("0.05"), "USD") == Money(currency_code="USD", amount_minor=5, scale=2)


def test_int_means_minor_units_and_leaves_scale_unset() -> None:
    amount = money(1234, "EUR")
    assert amount.amount_minor == 1234
    assert not amount.HasField("scale")


def test_whole_number_strings_have_scale_zero() -> None:
    assert money("1000", "JPY") == Money(currency_code="JPY", amount_minor=1000, scale=0)


def test_positive_exponent_is_expanded_not_scaled() -> None:
    assert money(Decimal("1E+3"), "JPY") == Money(currency_code="JPY", amount_minor=1000, scale=0)


def test_trailing_zeros_are_kept_so_the_server_sees_the_written_precision() -> None:
    assert money("12.340", "EUR") == Money(currency_code="EUR", amount_minor=12340, scale=3)


def test_negative_amounts_keep_their_sign() -> None:
    assert money("-0.50", "EUR") == Money(currency_code="EUR", amount_minor=-50, scale=2)


def test_client_does_not_judge_currency_exponents() -> None:
    # Finer than the currency allows: the server refuses it, the client passes it on exactly.
    assert money("1.001", "EUR") == Money(currency_code="EUR", amount_minor=1001, scale=3)


@pytest.mark.parametrize("amount", [1.5, 0.1, True, None, [1]])
def test_floats_and_other_types_are_refused(amount: object) -> None:
    with pytest.raises(TypeError):
        money(amount, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["abc", "1,000.00", "", "NaN", "Infinity", Decimal("sNaN")])
def test_text_that_is_not_a_finite_decimal_is_refused(amount: str | Decimal) -> None:
    with pytest.raises(ValueError):
        money(amount, "EUR")


def test_amounts_beyond_int64_are_refused() -> None:
    with pytest.raises(ValueError, match="64-bit"):
        money(2**63, "EUR")
    with pytest.raises(ValueError, match="64-bit"):
        money("92233720368547758.08", "EUR")
    assert money(2**63 - 1, "EUR").amount_minor == 2**63 - 1


def test_absurd_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="decimal places"):
        money("0." + "0" * 30 + "1", "EUR")
