"""The MT940/MT942 reader: the public samples, hand-written fixtures for what they lack, garbage."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.ingest import generate_mt940
from engine.ingest import formats, mt940_reader
from engine.ingest.records import EntryKind, IngestError, ParsedFile, RemittanceLine

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO.parent / "shared" / "samples" / "mt940"
FIXTURES = REPO / "tests" / "fixtures" / "ingest" / "mt940"
# Sample files whose own balances do not add up (made-up test data): the reader says so.
INCONSISTENT = {"wolph_jejik_abnamro.sta", "wolph_jejik_postfinance.sta", "wolph_self-provided_mt942.sta"}


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"the public sample files are not at {SAMPLES} (they live in shared/, beside the repo)")
    return SAMPLES


def sample(samples: Path, name: str) -> ParsedFile:
    return mt940_reader.parse((samples / name).read_bytes())


def fixture(name: str) -> ParsedFile:
    return mt940_reader.parse((FIXTURES / name).read_bytes())


# -- the public samples ------------------------------------------------------------------------


def test_every_sample_file_parses_and_its_balances_agree_unless_the_file_is_wrong(samples: Path) -> None:
    files = sorted(samples.iterdir())
    assert len(files) == 11
    for path in files:
        parsed = mt940_reader.parse(path.read_bytes())
        assert parsed.controls, path.name
        assert all(entry.amount_minor > 0 for entry in parsed.entries), path.name
        agree = all(control.agrees for control in parsed.controls)
        assert agree is (path.name not in INCONSISTENT), path.name


def test_inconsistent_samples_warn_with_the_numbers(samples: Path) -> None:
    parsed = sample(samples, "wolph_jejik_abnamro.sta")
    assert parsed.warnings[0] == (
        "line 4: statement ABN AMRO BANK NV: opening 323628 + entries -32144 is not the closing balance 87684"
    )
    interim = sample(samples, "wolph_self-provided_mt942.sta")
    assert interim.format == "mt942"
    assert interim.warnings == ["line 1: statement CGNGHKLI0290980 declares 1 debits of 230; it has 1 of 42"]


def test_ing_sample_reads_dutch_fields_a_return_and_a_structured_reference(samples: Path) -> None:
    parsed = sample(samples, "oca_test-ing.940")
    first = parsed.entries[0]
    assert (first.account, first.amount_minor, first.currency) == ("NL77INGB0574908765", 156, "EUR")
    assert (first.payer_name, first.payer_account) == ("ING BANK NV INZAKE WEB", "NL32INGB0000012345")
    assert (first.end_to_end_id, first.remittance_text) == (
        "EV12341REP1231456T1234",
        "EV10001REP1000000T1000",
    )
    returned = next(e for e in parsed.entries if e.kind is EntryKind.RETURN)
    assert (returned.amount_minor, returned.original_reference, returned.return_reason) == (
        1275,
        "20120501P0123478",
        "MS03",
    )
    structured = parsed.entries[-1]
    assert structured.remittance == (RemittanceLine("9001123412341234"),)
    assert structured.bank_reference == "00000000001011"
    # A credit carrying /RTRN/ is a payment of ours coming back, not a customer's.
    assert any(s.reason.startswith("a payment of ours returned (/RTRN/MS03)") for s in parsed.skipped)


def test_rabobank_sample_reads_ordering_party_and_iban_from_supplementary_details(samples: Path) -> None:
    parsed = sample(samples, "oca_test-rabo.swi")
    (entry,) = parsed.entries
    assert (entry.payer_name, entry.payer_account, entry.amount_minor) == (
        "R. SMITH",
        "NL66RABO0160878799",
        40000,
    )
    assert entry.account == "NL34RABO0142623393"
    assert entry.remittance_text == "Test money paid by other partner:"
    assert len(parsed.controls) == 4  # four statements, each balanced


def test_asn_sample_reads_iban_customer_reference_and_name(samples: Path) -> None:
    parsed = sample(samples, "wolph_ASNB_mt940.txt")
    assert [(e.amount_minor, e.payer_name, e.payer_account) for e in parsed.entries] == [
        (100000, "paulissen g j l m", "NL56ASNB9999999999"),
        (82872, "transfer solutions bv", "NL25INGB9999999999"),
        (100018, "paulissen g j l m", "NL56ASNB9999999999"),
    ]
    assert (
        parsed.entries[0].remittance_text
        == "NL56ASNB9999999999 paulissen g j l m INTERNE OVERBOEKING VIA MOBIEL"
    )


def test_sns_sample_joins_65_character_lines_and_warns_of_the_missing_closing_balance(samples: Path) -> None:
    parsed = sample(samples, "oca_test-sns.940")
    assert parsed.entries == []
    assert [s.reason for s in parsed.skipped].count("zero amount") == 1
    assert parsed.warnings == ["line 60: statement 0000000000 lacks its opening or closing balance"]


def test_cmxl_sample_reads_german_fields_and_skips_deutsche_mark_credits(samples: Path) -> None:
    parsed = sample(samples, "wolph_cmxl_mt940.sta")
    salary = parsed.entries[0]
    assert (salary.amount_minor, salary.payer_name, salary.type_code) == (300000, "MUELLER", "051")
    assert salary.payer_account == "50060400/0847564700"
    assert [e.currency for e in parsed.entries] == ["EUR", "PLN", "PLN"]
    dem = [s for s in parsed.skipped if "withdrawn currency" in s.reason]
    assert [s.amount_minor for s in dem] == [1850000, 420000, 365674, 2304000]


def test_mbank_mt942_reads_credit_sums_and_floor_limits(samples: Path) -> None:
    parsed = sample(samples, "wolph_mBank_mt942.sta")
    assert parsed.format == "mt942"
    assert [(e.amount_minor, e.bank_reference) for e in parsed.entries] == [
        (1, "MB170119012058"),
        (1, "MB170119012085"),
        (1, "MB170119012121"),
    ]
    scopes = {
        c.scope: (c.counted, c.summed_minor, c.declared_count, c.declared_sum_minor) for c in parsed.controls
    }
    assert scopes["statement ST170119CYC/0001 credits (:90C:)"] == (3, 3, 3, 3)
    assert scopes["statement ST170119CYC/0001 debits (:90D:)"] == (0, 0, 0, 0)
    assert scopes["statement ST170119CYC/0001 C floor limit 0 (:34F:)"] == (0, 0, 0, 0)


def test_postfinance_sample_has_no_bank_reference_for_nonref(samples: Path) -> None:
    parsed = sample(samples, "wolph_jejik_postfinance.sta")
    assert [(e.amount_minor, e.bank_reference, e.currency) for e in parsed.entries] == [
        (7970, "", "CHF"),
        (14950, "", "CHF"),
        (1010, "", "CHF"),
    ]
    assert parsed.entries[0].value_date == dt.date(2013, 12, 9)


# -- hand-written fixtures ---------------------------------------------------------------------


def test_german_statement_with_wrapped_subfields_in_a_swift_envelope() -> None:
    parsed = fixture("german_wrapped.sta")
    assert parsed.warnings == [] and all(c.agrees for c in parsed.controls)
    globex, mueller = parsed.entries
    assert globex.payer_name == "GLOBEX HANDELSGESELLSCHAFT MBH"
    assert globex.payer_account == "DE89370400440532013000"
    assert globex.end_to_end_id == "E2E-2026-11-0042"
    assert globex.remittance_text == "RE 2026-1001 RE 2026-1002 KD 4711 ABZUEGLICH SKONTO"
    assert (globex.amount_minor, globex.bank_reference, globex.type_code) == (119000, "0915830000009", "166")
    assert globex.account == "37040044/0532013000"
    assert (mueller.amount_minor, mueller.payer_name) == (25050, "MUELLER & SOEHNE OHG")
    assert (mueller.value_date, mueller.booking_date) == (dt.date(2026, 11, 30), dt.date(2026, 12, 1))
    assert [s.reason for s in parsed.skipped] == ["debit"]


def test_dutch_statement_with_eref_remi_and_creditor_references() -> None:
    parsed = fixture("dutch_eref_remi.sta")
    initech, hooli, umbrella = parsed.entries
    assert (initech.payer_name, initech.payer_account, initech.end_to_end_id) == (
        "Initech B.V.",
        "NL20INGB0001234567",
        "E2E-NL-77001",
    )
    assert initech.remittance_text == "Factuur 2026-0077 en 2026-0078"
    assert hooli.end_to_end_id == ""  # NOTPROVIDED
    assert (hooli.payer_name, hooli.payer_account) == ("Hooli Nederland", "NL20INGB0001234567")
    assert hooli.remittance == (RemittanceLine("RF88INV20261130", kind="CREDITOR_REFERENCE"),)
    # An RF reference failing its ISO 11649 check stays text, with a warning.
    assert (umbrella.remittance, umbrella.remittance_text) == ((), "RF19INV20261130")
    assert parsed.warnings == [
        "line 14 (:86:): 'RF19INV20261130' is not a valid RF creditor reference (ISO 11649)"
    ]
    assert initech.account == "NL91ABNA0417164300"


def test_reversal_of_a_credit_is_a_return_and_of_a_debit_is_skipped() -> None:
    parsed = fixture("reversal.sta")
    payment, returned = parsed.entries
    assert (payment.kind, payment.end_to_end_id, payment.bank_reference) == (
        EntryKind.PAYMENT,
        "CUST-REF-9",
        "B26113000001",
    )
    assert (returned.kind, returned.amount_minor, returned.original_reference) == (
        EntryKind.RETURN,
        30000,
        "CUST-REF-9",
    )
    assert [s.reason for s in parsed.skipped] == [
        "reversal of a debit (RD): our own money coming back, not a customer payment"
    ]
    assert all(c.agrees for c in parsed.controls)  # 5000 + 300 - 300 + 45 = 5045


def test_broken_balance_is_a_warning_and_the_entry_is_still_read() -> None:
    parsed = fixture("broken_balance.sta")
    assert [e.amount_minor for e in parsed.entries] == [10000]
    assert parsed.warnings == [
        "line 1: statement BAL20261130: opening 500000 + entries 10000 is not the closing balance 520000"
    ]
    (control,) = parsed.controls
    assert (control.summed_minor, control.declared_sum_minor, control.agrees) == (10000, 20000, False)


def test_garbage_statement_line_is_an_error_naming_the_line() -> None:
    with pytest.raises(IngestError, match=r"^line 5 \(:61:\): Statement tag cannot be read") as caught:
        fixture("garbage.sta")
    assert caught.value.location == "line 5 (:61:)"


def test_detection_routes_both_message_types_here() -> None:
    for name, kind in (("german_wrapped.sta", "mt940"), ("dutch_eref_remi.sta", "mt940")):
        data = (FIXTURES / name).read_bytes()
        assert formats.detect(data) == kind
        assert formats.parse(data).entries == fixture(name).entries


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no MT940/MT942 statement"),
        (b"hello world\n", "no MT940/MT942 statement"),
        (b":25:X\n:20:Y\n", "before the statement's :20:"),
        (b":20:A\n:25:B\n:60F:C261130EUR1,00\x00\x00\n", "binary data"),
        (b":20:A\n:60F:C261130EUR1,00\n:62F:C261130EUR1,00\n", "no account"),
        (b":20:A\n:25:B\n:60F:C261130XXX1,00\n:62F:C261130XXX1,00\n", "unknown currency"),
        (b":20:A\n:25:B\n:60F:C261130EUR1,001\n:62F:C261130EUR1,00\n", "more decimals"),
        (b":20:A\n:25:B\n:60F:C261130EUR1,00\n:61:261330C1,00NTRFNONREF\n:62F:C261130EUR2,00\n", "line 4"),
    ],
)
def test_malformed_files_are_ingest_errors(data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        mt940_reader.parse(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_only_ever_raise_ingest_error(data: bytes) -> None:
    with contextlib.suppress(IngestError):
        mt940_reader.parse(b":20:X\n:25:Y\n" + data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_fixtures_only_ever_raise_ingest_error(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["german_wrapped.sta", "dutch_eref_remi.sta", "reversal.sta"]))
    original = bytearray((FIXTURES / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.sampled_from(b":/?,\n0123456789CDRNZ +-\x00"))
    try:
        parsed = mt940_reader.parse(bytes(original))
    except IngestError:
        return
    assert all(entry.amount_minor > 0 for entry in parsed.entries)


def test_a_generated_thousand_entry_file_reads_back_exactly() -> None:
    data, amounts = generate_mt940.generate_with_truth(1_000, seed=7)
    parsed = formats.parse(data)
    assert parsed.format == "mt940"
    assert [e.amount_minor for e in parsed.entries] == amounts and len(amounts) == 1_000
    assert parsed.warnings == [] and all(control.agrees for control in parsed.controls)
    assert sum(1 for e in parsed.entries if e.remittance) == 167  # the Dutch STRD/CUR ones
    assert all(e.end_to_end_id and e.payer_name for e in parsed.entries)
    assert generate_mt940.generate(1_000, seed=7) == data
