"""The BAI2 reader: the public samples, hand-written fixtures for what they lack, and garbage."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.ingest import generate_bai2
from engine.ingest import bai2_reader, formats
from engine.ingest.records import EntryKind, IngestError, ParsedFile, entry_identity

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO.parent / "shared" / "samples" / "bai2"
FIXTURES = REPO / "tests" / "fixtures" / "ingest" / "bai2"
HEAD = b"01,B,R,261130,0600,1,,,2/\n"


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"the public sample files are not at {SAMPLES} (they live in shared/, beside the repo)")
    return SAMPLES


def fixture(name: str) -> ParsedFile:
    return bai2_reader.parse((FIXTURES / name).read_bytes())


def credits_of(parsed: ParsedFile) -> tuple[int, int]:
    payments = [e for e in parsed.entries if e.kind is EntryKind.PAYMENT]
    return len(payments), sum(e.amount_minor for e in payments)


# -- the public samples ------------------------------------------------------------------------


def test_every_sample_file_parses_and_agrees_with_its_trailers_where_they_are_right(samples: Path) -> None:
    files = sorted(samples.iterdir())
    assert len(files) == 6
    for path in files:
        parsed = bai2_reader.parse(path.read_bytes())
        assert parsed.controls, path.name
        if path.name != "moov_sample5-issue113.txt":
            assert all(control.agrees for control in parsed.controls), path.name
            assert parsed.warnings == [], path.name
        for entry in parsed.entries:
            assert entry.amount_minor > 0


def test_citi_sample_reads_the_faster_payment_with_its_payer(samples: Path) -> None:
    parsed = bai2_reader.parse((samples / "moj_example.bai2").read_bytes())
    (entry,) = parsed.entries
    assert (entry.kind, entry.currency, entry.amount_minor) == (EntryKind.PAYMENT, "GBP", 1)
    assert entry.value_date == dt.date(2015, 7, 15)
    assert (entry.bank_reference, entry.end_to_end_id) == ("1234567890", "RP12312312312312")
    assert (entry.payer_name, entry.payer_account) == ("DOE JO", "11111111")
    assert entry.account == "77777777"
    assert "BUCKINGHAM PALACE" in entry.remittance_text
    (file_total,) = [c for c in parsed.controls if c.scope == "file"]
    assert (file_total.declared_sum_minor, file_total.declared_count) == (20001, 14)


def test_natwest_sample_keeps_one_credit_and_skips_four_debits(samples: Path) -> None:
    parsed = bai2_reader.parse((samples / "moj_nwb_example.bai2").read_bytes())
    assert credits_of(parsed) == (1, 89)
    assert [s.amount_minor for s in parsed.skipped] == [971, 100, 123, 1571]
    # The 16 text continued by two 88 records reads as one text.
    assert parsed.entries[0].remittance_text.endswith("BGC INTERNATIONAL-5373 CLIE NT SECCY AC TFR")
    assert parsed.entries[0].currency == "GBP"  # the 03 currency; the 02 gives none


def test_canadian_sample_sums_match_the_account_trailers(samples: Path) -> None:
    parsed = bai2_reader.parse((samples / "moov_sample1.txt").read_bytes())
    assert credits_of(parsed) == (5, 203500 + 2500 + 2500 + 11500 + 100000)
    assert {e.currency for e in parsed.entries} == {"CAD"}
    assert parsed.entries[3].value_date == dt.date(2006, 3, 17)  # the 16's value date (funds type V)
    sums = {c.scope.split(" (")[0]: c.declared_sum_minor for c in parsed.controls}
    assert sums["file"] == 1280000


def test_several_records_on_one_line_and_wrapped_text_in_the_moov_sample(samples: Path) -> None:
    parsed = bai2_reader.parse((samples / "moov_sample3.txt").read_bytes())
    assert credits_of(parsed) == (
        13,
        2500 + 500 + 100 + 2500 + 600 + 600 + 215 + 105 + 13855 + 11521 + 4783 + 2347 + 87,
    )
    wire = next(e for e in parsed.entries if e.type_code == "195")
    assert wire.remittance_text.endswith("900 METRO CENTER BLVD FOSTER CITY CA 94404")
    assert len([c for c in parsed.controls if c.scope.startswith("account")]) == 15


def test_goldman_sample_reads_tags_returns_and_warns_of_its_wrong_trailers(samples: Path) -> None:
    parsed = bai2_reader.parse((samples / "moov_sample5-issue113.txt").read_bytes())
    returned = [e for e in parsed.entries if e.kind is EntryKind.RETURN]
    assert [(e.amount_minor, e.original_reference, e.return_reason) for e in returned] == [
        (200000, "021000080000030", "R02")
    ]
    wire = next(e for e in parsed.entries if e.bank_reference == "GI2323300007089")
    assert (wire.amount_minor, wire.payer_name, wire.payer_account) == (
        3797999624,
        "TEST AND COMPANY",
        "000001000600427",
    )
    assert wire.end_to_end_id == "20230821J1Q5040C000707"
    reasons = [s.reason for s in parsed.skipped]
    assert (
        "type code 261 (Individual Rejected Credit): our own money coming back, not a customer payment"
        in reasons
    )
    assert any("the group trailer declares 4 accounts; the group has 5" in w for w in parsed.warnings)
    assert not all(c.agrees for c in parsed.controls)


def test_fixed_width_lockbox_sample_reads_its_check(samples: Path) -> None:
    parsed = bai2_reader.parse((samples / "fundersclub_test_lockbox.bai").read_bytes())
    (check,) = parsed.entries
    assert (check.amount_minor, check.currency, check.payer_name) == (700000, "USD", "BOB E SMITH")
    assert check.value_date == dt.date(2016, 5, 23)
    assert check.remittance_text == "check 180 CE554"
    assert check.batch_id and check.bank_reference == "160523/001/001"
    assert all(control.agrees for control in parsed.controls) and len(parsed.controls) == 3


# -- hand-written fixtures ---------------------------------------------------------------------


def test_lockbox_deposit_becomes_its_items_with_invoice_text_and_the_deposits_batch_id() -> None:
    parsed = fixture("lockbox_detail.bai2")
    assert parsed.warnings == []
    assert all(control.agrees for control in parsed.controls)
    items = [e for e in parsed.entries if e.type_code == "116"]
    assert [(e.amount_minor, e.end_to_end_id, e.bank_reference) for e in items] == [
        (100000, "CHK100231", "LBX20261130001/1"),
        (75500, "CHK5531", "LBX20261130001/2"),
        (50000, "CHK88", "LBX20261130001/3"),
    ]
    assert [e.remittance_text for e in items] == [
        "CHECK 100231 NORTHWIND TRADERS INV INV-2026-0101 INV-2026-0102",
        "CHECK 5531 CONTOSO LTD INV INV-2026-0107",
        "CHECK 88 FABRIKAM INC INV INV-2026-0110 PARTIAL PAYMENT",
    ]
    assert {e.batch_id for e in items} == {"4455667788/LBX20261130001"}
    assert {e.value_date for e in items} == {dt.date(2026, 12, 1)}  # the deposit's value date
    assert parsed.skipped[0].reason == "lockbox deposit itemized by its 3 items"
    assert len({entry_identity(e) for e in parsed.entries}) == len(parsed.entries)


def test_lockbox_fixture_wire_payer_from_org_and_return_from_customer_reference() -> None:
    parsed = fixture("lockbox_detail.bai2")
    wire = next(e for e in parsed.entries if e.type_code == "195")
    assert (wire.payer_name, wire.payer_account) == ("GLOBEX GMBH", "DE89370400440532013000")
    assert wire.end_to_end_id == "INV-2026-0099"
    # The remittance is what the payer wrote for the beneficiary (OBI, then RFB), not the parties.
    assert wire.remittance_text == "INV-2026-0099 INV-2026-0100 PO 4500012345"
    returned = next(e for e in parsed.entries if e.kind is EntryKind.RETURN)
    assert (returned.amount_minor, returned.original_reference, returned.return_reason) == (
        12000,
        "CHK5531",
        "NSF",
    )
    assert returned.bank_reference == "RTN2611300007"


def test_several_records_per_line_with_crlf_and_missing_terminators() -> None:
    parsed = fixture("several_per_line.bai2")
    assert [(e.amount_minor, e.bank_reference, e.currency) for e in parsed.entries] == [
        (15050, "ACH0001", "EUR"),
        (4950, "ACH0002", "EUR"),
    ]
    assert parsed.entries[1].remittance_text == "ACH CREDIT INITECH AG"
    assert [s.reason for s in parsed.skipped] == ["debit, type code 451 (ACH Debit Received)"]
    assert [(c.counted, c.summed_minor) for c in parsed.controls] == [(5, 907000), (7, 907000), (9, 907000)]
    assert all(c.agrees for c in parsed.controls)


def test_broken_and_missing_trailers_are_warnings_with_the_entries_still_read() -> None:
    parsed = fixture("broken_trailer.bai2")
    assert credits_of(parsed) == (2, 30000)
    assert parsed.warnings == [
        "line 7: file trailer (99) missing; its control totals were not checked",
        "line 6: account 123456789 (line 3) declares 6 records and a control total of 60001; "
        "the file has 4 records summing to 60000",
        "line 7: group BANKUS33 (line 2) declares 8 records and a control total of 60000; "
        "the file has 6 records summing to 60000",
    ]
    assert [c.agrees for c in parsed.controls] == [False, False]


def test_unknown_record_type_is_an_error_naming_the_line() -> None:
    with pytest.raises(IngestError, match=r"^line 5: unknown BAI2 record type '17'") as caught:
        fixture("unknown_record.bai2")
    assert caught.value.location == "line 5"


def test_bad_amount_is_an_error_naming_the_line() -> None:
    with pytest.raises(IngestError, match=r"^line 4 \(amount\): amount '100.00' is not digits only"):
        fixture("bad_amount.bai2")


def test_unknown_type_code_is_a_warning_read_by_its_range_and_zero_is_skipped() -> None:
    data = (
        b"01,B,R,261130,0600,1,,,2/\n02,R,B,1,261130,,JPY,2/\n03,9,,/\n"
        b"16,908,5000,,X1,,BANK OWN CODE/\n16,399,0,,X2,,NOTHING/\n49,5000,4/\n98,5000,1,6/\n99,5000,1,8/\n"
    )
    parsed = bai2_reader.parse(data)
    (entry,) = parsed.entries
    assert (entry.type_code, entry.amount_minor, entry.currency) == ("908", 5000, "JPY")
    assert parsed.warnings == [
        "line 4: type code 908 is not in the BAI2 table; read as a credit by its range"
    ]
    assert [s.reason for s in parsed.skipped] == ["zero amount"]


def test_detection_routes_bai2_files_here() -> None:
    data = (FIXTURES / "lockbox_detail.bai2").read_bytes()
    assert formats.detect(data) == "bai2"
    assert formats.parse(data).entries == fixture("lockbox_detail.bai2").entries


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no BAI2 records"),
        (b"02,A,B,1,261130,,,2/\n", "starts with an 01 file header"),
        (b"01,B,R,261130,0600,1,,,2/\n\x00\x01\x02", "binary data"),
        (
            b"01,B,R,261130,0600,1,,,2/\n02,R,B,1,261399,,,2/\n03,1,,/\n49,0,2/\n98,0,1,4/\n99,0,1,6/",
            "line 2",
        ),
        (
            b"01,B,R,261130,0600,1,,,2/\n02,R,B,1,261130,,XXX,2/\n03,1,,/\n49,0,2/\n98,0,1,4/\n99,0,1,6/",
            "currency",
        ),
        (b"01,B,R,261130,0600,1,,,2/\n02,R,B,1,261130,,,2/\n03,1,,/\n16,1X9,5,,,,/\n49,0,2/", "three-digit"),
        (b"88,continuing nothing/\n", "nothing before it to continue"),
    ],
)
def test_malformed_files_are_ingest_errors(data: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message):
        bai2_reader.parse(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_only_ever_raise_ingest_error(data: bytes) -> None:
    with contextlib.suppress(IngestError):
        bai2_reader.parse(b"01," + data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_fixtures_only_ever_raise_ingest_error(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["lockbox_detail.bai2", "several_per_line.bai2", "broken_trailer.bai2"]))
    original = bytearray((FIXTURES / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.sampled_from(b",/\n0123456789AZ 8-+V\x00"))
    try:
        parsed = bai2_reader.parse(bytes(original))
    except IngestError:
        return
    assert all(entry.amount_minor > 0 for entry in parsed.entries)


def test_a_generated_thousand_entry_file_reads_back_exactly() -> None:
    data, amounts = generate_bai2.generate_with_truth(1_000, seed=7)
    parsed = formats.parse(data)
    assert parsed.format == "bai2"
    assert [e.amount_minor for e in parsed.entries] == amounts and len(amounts) == 1_000
    assert parsed.warnings == [] and all(control.agrees for control in parsed.controls)
    assert len({entry_identity(e) for e in parsed.entries}) == 1_000
    assert generate_bai2.generate(1_000, seed=7) == data  # a pure function of its arguments


def test_records_after_the_file_trailer_are_an_error() -> None:
    data = (FIXTURES / "several_per_line.bai2").read_bytes() + b"02,ACMECORP,BANKUS33,1,261130,,EUR,2/\n"
    with pytest.raises(IngestError, match=r"^line 5: a 02 record after the file trailer \(99\)"):
        bai2_reader.parse(data)


def test_tags_with_an_equals_sign_and_values_continued_on_88_records_are_read_whole() -> None:
    data = (
        b"01,BANK,CO,261201,0600,1,80,,2/\n02,CO,BANK,1,261130,2359,,2/\n03,12345,USD,100,5000,1,/\n"
        b"16,195,5000,0,BR-1,,ORG=/DE78783848372616751361 Harper Hardware\n88, GmbH OBI=Invoice SO-77005\n"
        b"49,10000,4/\n98,10000,1,6/\n99,10000,1,8/\n"
    )
    (entry,) = bai2_reader.parse(data).entries
    assert (entry.payer_name, entry.payer_account) == ("Harper Hardware GmbH", "DE78783848372616751361")
    assert entry.remittance_text == "Invoice SO-77005"
