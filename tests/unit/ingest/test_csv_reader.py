"""The CSV reader: the documented header in both delimiters, exact amounts, strict cells with
errors naming line and column, and only IngestError on any bytes."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.ingest import formats
from engine.ingest.csv_reader import parse
from engine.ingest.records import Entry, EntryKind, IngestError, Skipped
from engine.model import RemittanceLine

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ingest" / "csv"
HEADER = "amount,currency,value_date"


def test_semicolon_file_with_bom_decimal_commas_and_quoted_line_breaks() -> None:
    data = (FIXTURES / "semicolon_decimal_comma.csv").read_bytes()
    assert formats.detect(data) == "csv"
    parsed = parse(data)
    account = "DE02120300000000202051"
    assert parsed.entries == [
        Entry(
            kind=EntryKind.PAYMENT,
            currency="EUR",
            amount_minor=123456,
            value_date=dt.date(2026, 11, 20),
            location="line 2",
            booking_date=dt.date(2026, 11, 19),
            account=account,
            payer_name="Müller & Söhne GmbH",
            payer_account="DE89370400440532013000",
            bank_reference="AB-2026-0001",
            remittance_text="Rechnung RE 2026/0045 danke",
            remittance=(
                RemittanceLine("RE-2026-0045", paid_minor=100000),
                RemittanceLine("RF18539007547034", kind="CREDITOR_REFERENCE"),
            ),
        ),
        Entry(
            kind=EntryKind.RETURN,
            currency="EUR",
            amount_minor=5000,
            value_date=dt.date(2026, 11, 21),
            location="line 7",
            account=account,
            end_to_end_id="E2E-77",
            bank_reference="AB-2026-0004",
            original_reference="AB-2026-0001",
            return_reason="AC04",
        ),
    ]
    assert parsed.skipped == [
        Skipped("line 4", "zero amount", 0, "EUR"),
        Skipped("line 5", "debit", 1999, "EUR"),
    ]
    assert parsed.warnings == []


def test_comma_file_with_few_columns_and_a_zero_decimal_currency() -> None:
    parsed = parse((FIXTURES / "comma_minimal.csv").read_bytes())
    first, second = parsed.entries
    assert (first.amount_minor, first.currency, first.payer_name) == (10000, "USD", "Globex Corp")
    assert first.remittance == (RemittanceLine("INV-1001"), RemittanceLine("INV-1002", paid_minor=4050))
    assert (second.amount_minor, second.currency, second.payer_name) == (7, "JPY", "Yamada, Taro")


@pytest.mark.parametrize(
    ("body", "where", "what"),
    [
        ("12.345,EUR,2026-11-20", "line 2, column amount", "more than the currency's 2 decimals"),
        ("1,000.00,EUR,2026-11-20", "line 2", "4 cells"),
        ("abc,EUR,2026-11-20", "line 2, column amount", "not a decimal amount"),
        ("1.00,EUX,2026-11-20", "line 2, column currency", "unknown ISO 4217"),
        ("1.00,EUR,2026-02-30", "line 2, column value_date", "not a date"),
        ("1.00,EUR,20261120", "line 2, column value_date", "not a date"),
        ("1,JPY,2026-11-20\n1.5,JPY,2026-11-20", "line 3, column amount", "0 decimals"),
        ("9999999999999999.00,EUR,2026-11-20", "line 2, column amount", "exceeds the maximum"),
    ],
)
def test_a_bad_cell_is_named_by_line_and_column(body: str, where: str, what: str) -> None:
    with pytest.raises(IngestError) as refused:
        parse(f"{HEADER}\n{body}\n".encode())
    assert refused.value.location == where
    assert what in refused.value.message
    assert refused.value.violations[0].field == "file"


@pytest.mark.parametrize(
    ("data", "where", "what"),
    [
        (b"amount,currency,colour\n", "line 1, column 3", "unknown column 'colour'"),
        (b"amount,currency,amount\n", "line 1, column amount", "named twice"),
        (b"amount,currency\n1.00,EUR\n", "line 1", "'value_date' is missing"),
        (b"\n", "line 1", "empty"),
        (b"amount,currency,value_date\n1.00,EUR,2026-11-20,\xff\n", "line 2", "not UTF-8"),
        (b'amount,currency,value_date\n"1.00,EUR,2026-11-20\n', "line 2", "not valid CSV"),
        (
            b"kind,amount,currency,value_date\nREFUND,1.00,EUR,2026-11-20\n",
            "line 2, column kind",
            "not PAYMENT",
        ),
        (
            b"kind,amount,currency,value_date,invoice_references\n,1.00,EUR,2026-11-20,=5\n",
            "line 2, column invoice_references[1]",
            "no reference",
        ),
    ],
)
def test_a_broken_file_is_refused_naming_where(data: bytes, where: str, what: str) -> None:
    with pytest.raises(IngestError) as refused:
        parse(data)
    assert refused.value.location == where
    assert what in refused.value.message


def test_an_rf_reference_failing_its_check_is_kept_as_an_invoice_reference_with_a_warning() -> None:
    parsed = parse(b"amount,currency,value_date,invoice_references\n1.00,EUR,2026-11-20,RF19539007547034\n")
    assert parsed.entries[0].remittance == (RemittanceLine("RF19539007547034"),)
    assert len(parsed.warnings) == 1 and "ISO 11649" in parsed.warnings[0]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_ingest_error(data: bytes) -> None:
    with contextlib.suppress(IngestError):
        parse(data)


VALID = (FIXTURES / "semicolon_decimal_comma.csv").read_bytes()


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.binary(min_size=1, max_size=4), st.booleans())
def test_mutated_files_raise_only_ingest_error(at: int, noise: bytes, cut: bool) -> None:
    data = VALID[:at] if cut else VALID[:at] + noise + VALID[at + len(noise) :]
    with contextlib.suppress(IngestError):
        parse(data)
