"""The NACHA reader: the public samples (one of 100,000 entries), hand-written CTX / CCD+ / return
fixtures, bad records, random bytes, and a generated file read back exactly."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.ingest import generate_nacha
from engine.ingest import formats, nacha_reader
from engine.ingest.records import (
    Adjustment,
    ControlTotal,
    Entry,
    EntryKind,
    IngestError,
    ParsedFile,
    RemittanceLine,
    Skipped,
)

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO.parent / "shared" / "samples" / "nacha"
FIXTURES = REPO / "tests" / "fixtures" / "ingest" / "nacha"
LARGE = "moov_CCD+addenda05-100000-entries.ach.gz"


@pytest.fixture(scope="module")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"the public sample files are not here ({SAMPLES}): they live beside the repository")
    return SAMPLES


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def lines(name: str) -> list[str]:
    return fixture(name).decode().splitlines()


def test_every_public_sample_is_known_to_the_tests(samples: Path) -> None:
    known = {"moov_20110805A_ppd.ach", "moov_ccd-debit.ach", "moov_cor-example.ach", LARGE}
    assert {p.name for p in samples.iterdir()} == known


def test_ppd_and_iat_sample_credits_are_payments_and_its_controls_agree_but_the_batch_count(
    samples: Path,
) -> None:
    data = (samples / "moov_20110805A_ppd.ach").read_bytes()
    assert formats.detect(data) == "nacha"
    parsed = formats.parse(data)
    # File control: 83 entry/addenda records, debits 51,010.00, credits 2.00; it declares 5
    # batches and holds 4 (batch numbers 1, 3, 4, 5).
    assert len(parsed.entries) == 20 and sum(e.amount_minor for e in parsed.entries) == 200
    assert [s.reason for s in parsed.skipped] == ["debit"] * 28
    assert sum(s.amount_minor for s in parsed.skipped) == 5101000
    assert parsed.warnings == ["file batches: the file declares 5, cashapp counted 4"]
    assert [c.scope for c in parsed.controls if not c.agrees] == ["file batches"]
    assert ControlTotal("file records", 83, 0, 83) in parsed.controls
    first = parsed.entries[0]
    assert (first.location, first.amount_minor, first.payer_name, first.bank_reference) == (
        "line 30",
        8,
        "EXAMPLE COMPANY",
        "042000010000001",
    )
    assert (first.remittance_text, first.type_code, first.value_date) == (
        "A251",
        "PPD 22",
        dt.date(2011, 8, 8),
    )
    assert first.payer_account == "0231380104" and first.account == "998412345"
    # IAT: the originator's name comes from addenda 11, the account from positions 40-74.
    iat = [e for e in parsed.entries if e.type_code == "IAT 22"]
    assert [(e.location, e.amount_minor, e.payer_name) for e in iat] == [
        ("line 76", 18, "EXAMPLE COMPANY"),
        ("line 84", 6, "EXAMPLE COMPANY"),
    ]


def test_debit_sample_is_skipped_with_controls_agreeing(samples: Path) -> None:
    parsed = nacha_reader.parse((samples / "moov_ccd-debit.ach").read_bytes())
    assert parsed.entries == []
    assert parsed.skipped == [
        Skipped("line 3", "debit", 500000, "USD"),
        Skipped("line 4", "debit", 125, "USD"),
    ]
    assert parsed.warnings == [] and all(c.agrees for c in parsed.controls)


def test_notification_of_change_sample_is_skipped(samples: Path) -> None:
    parsed = nacha_reader.parse((samples / "moov_cor-example.ach").read_bytes())
    assert parsed.entries == []
    assert parsed.skipped == [Skipped("line 3", "notification of change C01", 0, "USD")]
    assert parsed.warnings == [] and all(c.agrees for c in parsed.controls)


def test_the_100000_entry_sample_reads_with_all_200_batch_controls_agreeing(samples: Path) -> None:
    parsed = nacha_reader.parse(gzip.decompress((samples / LARGE).read_bytes()))
    # File control: 200 batches, 20,041 blocks, 200,000 records, debits 1,234,000.00.
    assert len(parsed.skipped) == 100_000 and parsed.entries == []
    assert parsed.warnings == [] and all(c.agrees for c in parsed.controls)
    assert ControlTotal("file debits", 100_000, 123_400_000, None, 123_400_000) in parsed.controls
    assert ControlTotal("file batches", 200, 0, 200) in parsed.controls
    assert len([c for c in parsed.controls if c.scope.endswith(" records")]) == 201


def test_ctx_addenda_carry_an_820_of_several_invoices_and_one_adjustment() -> None:
    parsed = nacha_reader.parse(fixture("ctx_rmr.ach"))
    assert parsed.entries == [
        Entry(
            kind=EntryKind.PAYMENT,
            currency="USD",
            amount_minor=158750,
            value_date=dt.date(2026, 11, 25),  # settlement day 329 of 2026
            location="line 3",
            account="987654321",
            payer_name="ACME HARDWARE SUPPLY INC",  # N1*PR in the addenda: the batch cuts it at 16
            payer_account="1234567890",
            bank_reference="021000020000001",
            remittance_text="ACME-7781",
            remittance=(
                RemittanceLine("INV-10017", 47500, 50000, 0, (Adjustment(2500, "01"),)),
                RemittanceLine("INV-10018", 101250),
                RemittanceLine("INV-10019", 10000),
            ),
            type_code="CTX 22",
        )
    ]
    assert parsed.warnings == [] and all(c.agrees for c in parsed.controls)
    assert ControlTotal("entry 021000020000001 remittance", 3, 158750, None, 158750) in parsed.controls


def test_ccd_plus_free_text_an_rmr_in_text_a_fee_debit_and_a_prenote() -> None:
    parsed = nacha_reader.parse(fixture("ccd_plus_text.ach"))
    common = {
        "kind": EntryKind.PAYMENT,
        "currency": "USD",
        "value_date": dt.date(2026, 11, 25),
        "account": "987654321",
        "payer_name": "GLOBEX CORP",
        "payer_account": "9876543210",
        "type_code": "CCD 22",
    }
    assert parsed.entries == [
        Entry(
            amount_minor=250000,
            location="line 3",
            bank_reference="021000020000001",
            remittance_text="GLX-CUST-0042 PAYMENT FOR INV-20931 AND INV-20932 THANK YOU",
            **common,  # type: ignore[arg-type]
        ),
        Entry(
            amount_minor=48000,
            location="line 5",
            bank_reference="021000020000002",
            remittance_text="GLX-CUST-0042 REMIT",
            remittance=(RemittanceLine("INV-20940", 48000),),
            **common,  # type: ignore[arg-type]
        ),
    ]
    assert parsed.skipped == [
        Skipped("line 7", "debit", 1500, "USD"),
        Skipped("line 8", "prenotification (a zero test entry)", 0, "USD"),
    ]
    assert parsed.warnings == []
    assert ControlTotal("batch 0000001 credits", 3, 298000, None, 298000) in parsed.controls
    assert ControlTotal("batch 0000001 debits", 1, 1500, None, 1500) in parsed.controls


def test_a_return_entry_names_the_original_trace_and_reason() -> None:
    parsed = nacha_reader.parse(fixture("return_r01.ach"))
    assert parsed.entries == [
        Entry(
            kind=EntryKind.RETURN,
            currency="USD",
            amount_minor=48000,
            value_date=dt.date(2026, 11, 25),
            location="line 3",
            account="987654321",
            payer_name="GLOBEX CORP",
            payer_account="9876543210",
            bank_reference="021000020000007",
            remittance_text="GLX-CUST-0042 INSUFFICIENT FUNDS",
            original_reference="021000020000002",
            return_reason="R01",
            type_code="CCD 26",
        )
    ]
    assert parsed.warnings == []


@pytest.mark.parametrize(
    ("effective", "settlement", "value_date"),
    [
        ("261124", "329", dt.date(2026, 11, 25)),  # settled the next day
        ("261231", "002", dt.date(2027, 1, 2)),  # over new year: next year's day 2
        ("261124", "   ", dt.date(2026, 11, 24)),  # no settlement date: the effective date
        ("000000", "   ", dt.date(2026, 11, 24)),  # neither: the file creation date
    ],
)
def test_the_value_date_is_the_settlement_date_when_present(
    effective: str, settlement: str, value_date: dt.date
) -> None:
    header = _ccd(2)
    changed = header[:69] + effective + settlement + header[78:]
    parsed = nacha_reader.parse(_edited("ccd_plus_text.ach", 2, changed))
    assert {e.value_date for e in parsed.entries} == {value_date}


def test_a_settlement_day_the_year_does_not_have_is_refused() -> None:
    header = _ccd(2)
    with pytest.raises(IngestError, match="no day of 2026"):
        nacha_reader.parse(_edited("ccd_plus_text.ach", 2, header[:69] + "261124366" + header[78:]))


def test_a_file_without_line_breaks_reads_the_same() -> None:
    data = fixture("ccd_plus_text.ach")
    assert nacha_reader.parse(data.replace(b"\n", b"")) == nacha_reader.parse(data)
    assert nacha_reader.parse(data.replace(b"\n", b"\r\n")) == nacha_reader.parse(data)


def _edited(name: str, number: int, new: str) -> bytes:
    records = lines(name)
    records[number - 1] = new
    return ("\n".join(records) + "\n").encode()


def _ccd(number: int) -> str:
    return lines("ccd_plus_text.ach")[number - 1]


@pytest.mark.parametrize(
    ("data", "location", "words"),
    [
        (_edited("ccd_plus_text.ach", 3, _ccd(3)[:90]), "line 3", "94 characters, this one 90"),
        (_edited("ccd_plus_text.ach", 4, "4" + _ccd(4)[1:]), "line 4", "record type '4'"),
        (_edited("ccd_plus_text.ach", 3, _ccd(3)[:29] + "00002500O0" + _ccd(3)[39:]), "line 3", "amount"),
        (_edited("ccd_plus_text.ach", 3, _ccd(3)[:1] + "62" + _ccd(3)[3:]), "line 3", "transaction code 62"),
        (_edited("ccd_plus_text.ach", 4, _ccd(4)[:1] + "06" + _ccd(4)[3:]), "line 4", "addenda type '06'"),
        (
            _edited("ccd_plus_text.ach", 2, _ccd(2)[:69] + "261340" + _ccd(2)[75:]),
            "line 2",
            "effective entry date",
        ),
        (_edited("ccd_plus_text.ach", 2, _ccd(2)[:75] + "3X9" + _ccd(2)[78:]), "line 2", "settlement date"),
        (_edited("ccd_plus_text.ach", 2, _ccd(4)), "line 2", "outside a batch"),
        (_edited("ccd_plus_text.ach", 1, _ccd(2)), "line 1", "outside a file"),
        (b"\x00" * 94, "line 1", "record type"),
        (b"101 garbage", "line 1", "94-character records"),
    ],
)
def test_bad_records_are_refused_naming_the_line(data: bytes, location: str, words: str) -> None:
    with pytest.raises(IngestError) as caught:
        nacha_reader.parse(data)
    assert caught.value.location == location
    assert words in str(caught.value)


def test_control_mismatches_and_a_missing_batch_control_are_warnings() -> None:
    control = _ccd(9)  # batch control: credit total at positions 33-44
    wrong_credit = control[:32] + "000000298001" + control[44:]
    parsed = nacha_reader.parse(_edited("ccd_plus_text.ach", 9, wrong_credit))
    assert parsed.warnings == [
        "batch 0000001 credits: the file declares USD 2,980.01, the entries sum to USD 2,980.00"
    ]
    records = lines("ccd_plus_text.ach")
    without_control = "\n".join(records[:8] + records[9:]).encode()
    parsed = nacha_reader.parse(without_control)
    assert parsed.warnings == ["line 2: batch 0000001 has no batch control"]
    assert len(parsed.entries) == 2


def test_concatenated_files_are_each_checked() -> None:
    first = lines("ccd_plus_text.ach")
    second = lines("return_r01.ach")
    without_file_control = [line for line in first if line[0] != "9"]
    parsed = nacha_reader.parse(("\n".join(without_file_control + second) + "\n").encode())
    assert [e.kind for e in parsed.entries] == [EntryKind.PAYMENT, EntryKind.PAYMENT, EntryKind.RETURN]
    assert parsed.warnings == ["line 1: the file has no file control record"]
    assert ControlTotal("file 2 batch 0000001 records", 2, 0, 2) in parsed.controls
    assert ControlTotal("file 2 debits", 1, 48000, None, 48000) in parsed.controls


def test_a_ctx_remittance_that_disagrees_with_the_entry_amount_is_a_warning() -> None:
    entry = lines("ctx_rmr.ach")[2]
    changed = entry[:29] + "0000158700" + entry[39:]
    parsed = nacha_reader.parse(_edited("ctx_rmr.ach", 3, changed))
    assert (
        "line 3: the entry is USD 1,587.00 but its RMR lines and adjustments sum to USD 1,587.50"
        in parsed.warnings
    )


def test_a_generated_file_reads_back_exactly() -> None:
    generated = generate_nacha.generate_with_totals(1000, seed=11)
    parsed = nacha_reader.parse(generated.data)
    assert len(parsed.entries) == 1000 and parsed.skipped == []
    assert sum(e.amount_minor for e in parsed.entries) == generated.sum_minor
    assert [line.reference for e in parsed.entries for line in e.remittance] == generated.references
    assert sum("PAYMENT OF INVOICE" in e.remittance_text for e in parsed.entries) > 100
    assert parsed.warnings == [] and all(c.agrees for c in parsed.controls)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_ingest_errors(data: bytes) -> None:
    _parse_or_ingest_error(data)
    _parse_or_ingest_error(fixture("ccd_plus_text.ach")[:94] + b"\n" + data)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_fixtures_raise_only_ingest_errors(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["ctx_rmr.ach", "ccd_plus_text.ach", "return_r01.ach"]))
    raw = bytearray(fixture(name))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        byte = data.draw(st.sampled_from([*b"0123456789*\\~ 56789AZ\n", 0, 255]))
        if action == "replace":
            raw[at] = byte
        elif action == "delete":
            del raw[at]
        else:
            raw.insert(at, byte)
    _parse_or_ingest_error(bytes(raw))


def _parse_or_ingest_error(data: bytes) -> None:
    try:
        parsed = nacha_reader.parse(data)
    except IngestError as error:
        assert str(error).startswith(error.location)
        return
    assert isinstance(parsed, ParsedFile)
    assert all(e.amount_minor > 0 for e in parsed.entries)
