"""The X12 EDI 820 reader: the public samples, hand-written fixtures, bad input, random bytes,
and a generated interchange read back exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.ingest import generate_edi820
from engine.ingest import edi820_reader, formats
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
SAMPLES = REPO.parent / "shared" / "samples" / "edi820"
FIXTURES = REPO / "tests" / "fixtures" / "ingest" / "edi820"


@pytest.fixture(scope="module")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"the public sample files are not here ({SAMPLES}): they live beside the repository")
    return SAMPLES


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# What each public sample says, read by hand: BPR02, RMR04 sum, RMR count, TRN02, payer, date.
# Four samples disagree with themselves, and the reader must say so: Mortgage Bankers writes one
# RMR04 as 10167 where it means 101.67 (236.00 + 101.67 = 337.67); X218, Scana and Example 6 list
# only some of the documents paid.
SAMPLE_FACTS = {
    "edifabric_PaymentOrderRemittanceAdvice_005010X306.txt": (
        22000,
        22000,
        5,
        "78905",
        "GOVERNMENT AGENCY",
        dt.date(2014, 6, 4),
    ),
    "edifabric_PaymentOrder_005010X218.txt": (
        1900000,
        1675000,
        2,
        "12345",
        "ABC PLASTICS",
        dt.date(2007, 5, 16),
    ),
    "oopfactory_Example1_MortgageBankers.txt": (
        33767,
        1040300,
        2,
        "888999",
        "XYZ Mortgage Company",
        dt.date(1999, 1, 5),
    ),
    "oopfactory_Example2_ScanaEnergy.txt": (1000000, 500000, 1, "0001", "CUSTOMER NAME", dt.date(2003, 1, 1)),
    "oopfactory_Example5_Wikipedia.txt": (
        7777,
        7777,
        3,
        "0310162359",
        "WHIZCO OF AMERICA INC",
        dt.date(2003, 10, 16),
    ),
    "oopfactory_Example6.txt": (6655, 8860, 2, "5600516513", "VIJSHTA Business Incor", dt.date(2005, 4, 13)),
}
# A guideline template: its amounts are words ("TOTAL DOLLAR AMT OF CHECK"), so it cannot be read.
TEMPLATE = "oopfactory_Example3_HomeDepot.txt"


def test_every_public_sample_is_known_to_the_tests(samples: Path) -> None:
    assert sorted(p.name for p in samples.iterdir()) == sorted([*SAMPLE_FACTS, TEMPLATE])


@pytest.mark.parametrize("name", sorted(SAMPLE_FACTS))
def test_public_sample_reads_as_one_advice_with_its_envelopes_agreeing(samples: Path, name: str) -> None:
    amount, rmr_sum, rmr_count, trace, payer, value_date = SAMPLE_FACTS[name]
    data = (samples / name).read_bytes()
    assert formats.detect(data) == "edi820"
    parsed = formats.parse(data)
    [entry] = parsed.entries
    assert (entry.kind, entry.currency, entry.amount_minor) == (EntryKind.ADVICE, "USD", amount)
    assert (entry.bank_reference, entry.payer_name, entry.value_date) == (trace, payer, value_date)
    assert len(entry.remittance) == rmr_count
    [remittance] = [c for c in parsed.controls if c.declared_sum_minor is not None]
    assert (remittance.counted, remittance.summed_minor, remittance.declared_sum_minor) == (
        rmr_count,
        rmr_sum,
        amount,
    )
    # SE01, GE01 and IEA01 agree in every sample; only some BPR02 totals do not.
    assert all(c.agrees for c in parsed.controls if c is not remittance)
    assert [w for w in parsed.warnings if "BPR02" not in w] == []
    assert (rmr_sum != amount) == any("BPR02" in w for w in parsed.warnings)


def test_samples_spot_checks(samples: Path) -> None:
    x306 = edi820_reader.parse(
        (samples / "edifabric_PaymentOrderRemittanceAdvice_005010X306.txt").read_bytes()
    )
    # RMR*ZZ*APTC**-350: a negative RMR04 nets against the payment: a credit of 350.00.
    assert x306.entries[0].remittance[2] == RemittanceLine("APTC", 35000, kind="CREDIT_NOTE")
    assert x306.entries[0].type_code == "I/ACH/CCP"
    mortgage = edi820_reader.parse((samples / "oopfactory_Example1_MortgageBankers.txt").read_bytes())
    entry = mortgage.entries[0]
    assert entry.remittance[0] == RemittanceLine("8889444", 23600)
    assert entry.remittance_text == "8889444: LD 992222 66666789: LD 12345"
    assert (entry.account, entry.payer_account) == ("900444", "900555")
    example6 = edi820_reader.parse((samples / "oopfactory_Example6.txt").read_bytes())
    assert example6.entries[0].remittance[1] == RemittanceLine("3151535551301500", 5235, 5235)
    # Wikipedia's BPR leaves elements out: BPR14 is an account number there, so BPR15 is none.
    wikipedia = edi820_reader.parse((samples / "oopfactory_Example5_Wikipedia.txt").read_bytes())
    assert wikipedia.entries[0].account == ""


def test_the_guideline_template_is_refused_naming_its_amount(samples: Path) -> None:
    with pytest.raises(IngestError) as caught:
        edi820_reader.parse((samples / TEMPLATE).read_bytes())
    assert caught.value.location == "segment 4 (BPR02)"
    assert "TOTAL DOLLAR AMT OF CHECK" in str(caught.value)


def test_adx_deductions_credit_memo_and_entity_adjustment_without_line_breaks() -> None:
    parsed = edi820_reader.parse(fixture("adx_deductions.edi"))
    assert parsed.entries == [
        Entry(
            kind=EntryKind.ADVICE,
            currency="USD",
            amount_minor=142000,
            value_date=dt.date(2026, 11, 25),
            location="segment 3 (transaction 0001)",
            account="987654321",
            payer_name="ACME HARDWARE SUPPLY INC",
            payer_account="4432187765",
            end_to_end_id="0091234567",
            bank_reference="0091234567",
            # REF of a line, NTE, and the ENT-level ADX that belongs to no document.
            remittance_text="INV-10017: PO PO-88121 RETURNED GOODS CREDIT adjustment 04: USD -12.50",
            remittance=(
                RemittanceLine("INV-10017", 47500, 50000, 0, (Adjustment(2500, "01", "IV INV-10017"),)),
                RemittanceLine("INV-10018", 101250, 105000, 2100, (Adjustment(1650, "06"),)),
                RemittanceLine("CM-2207", 5500, kind="CREDIT_NOTE"),
            ),
            type_code="C/ACH/CTX",
        )
    ]
    assert parsed.warnings == [] and parsed.skipped == []
    assert parsed.controls == [
        ControlTotal("transaction 0001 segments", 18, 0, 18),
        # 475.00 + 1,012.50 - 55.00 (credit memo) - 12.50 (entity ADX) = BPR02 1,420.00
        ControlTotal("transaction 0001", 3, 142000, None, 142000),
        ControlTotal("group 917", 1, 142000, 1),
        ControlTotal("interchange 000000917", 1, 0, 1),
    ]


def test_newline_terminated_segments_and_a_debit_skipped() -> None:
    parsed = edi820_reader.parse(fixture("newline_terminated.edi"))
    [entry] = parsed.entries
    assert entry == Entry(
        kind=EntryKind.ADVICE,
        currency="USD",
        amount_minor=250000,
        value_date=dt.date(2026, 11, 26),
        location="segment 3 (transaction 0318001)",
        account="987654321",
        payer_name="GLOBEX CORPORATION",
        payer_account="20047781",
        end_to_end_id="GLX20261126A",
        bank_reference="GLX20261126A",
        remittance=(RemittanceLine("INV-20931", 150000, 150000), RemittanceLine("INV-20932", 100000, 100000)),
        type_code="C/ACH/CCP",
    )
    assert parsed.skipped == [
        Skipped("segment 12 (transaction 0318002)", "debit (BPR03 D): the payee is debited", 8000, "USD")
    ]
    assert parsed.warnings == []
    assert ControlTotal("group 318", 2, 250000, 2) in parsed.controls


def test_a_wrong_se_count_is_a_warning_not_an_error() -> None:
    parsed = edi820_reader.parse(fixture("wrong_se_count.edi"))
    assert [e.amount_minor for e in parsed.entries] == [31040]
    assert parsed.warnings == ["transaction 5020001 segments: the file declares 9, cashapp counted 7"]


def test_a_transaction_set_other_than_820_is_refused_naming_st01() -> None:
    with pytest.raises(IngestError) as caught:
        edi820_reader.parse(fixture("not_820.edi"))
    assert caught.value.location == "segment 3 (ST01)"
    assert "'810'" in str(caught.value)


def test_garbage_after_the_isa_is_refused_naming_the_segment() -> None:
    with pytest.raises(IngestError) as caught:
        edi820_reader.parse(fixture("garbage.edi"))
    assert caught.value.location == "segment 2"


def _edit(old: str, new: str) -> bytes:
    data = fixture("newline_terminated.edi").decode()
    assert old in data
    return data.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("data", "location", "words"),
    [
        (_edit("BPR*C*2500.00", "BPR*C*2500.005"), "segment 4 (BPR02)", "decimal places"),
        (_edit("BPR*C*2500.00", "BPR*C*25O0.00"), "segment 4 (BPR02)", "not an amount"),
        (_edit("BPR*C*2500.00", "BPR*C*-2500.00"), "segment 4 (BPR02)", "negative"),
        (
            _edit("RMR*IV*INV-20931*PI*1500.00", "RMR*IV*INV-20931*PI*1,500.00"),
            "segment 9 (RMR04)",
            "not an amount",
        ),
        (
            _edit("*20261126\nTRN*1*GLX20261126A", "*20261131\nTRN*1*GLX20261126A"),
            "segment 4 (BPR16)",
            "date",
        ),
        (
            _edit("TRN*1*GLX20261126A*9876543210\n", "TRN*1*GLX20261126A*9876543210\nCUR*PR*XYZ\n"),
            "segment 6 (CUR02)",
            "XYZ",
        ),
        (
            _edit(
                "BPR*C*2500.00*C*ACH*CCP*01*011000015*DA*20047781*9876543210**01*071000013*DA*987654321*20261126\n",
                "",
            ),
            "segment 3 (ST)",
            "BPR",
        ),
        (_edit("GS*RA*GLOBEXCORP*NORTHWIND*20261124*1400*318*X*004010\n", ""), "segment 2 (ST)", "no GS"),
        (_edit("ENT*1\n", "EN T*1\n"), "segment 8", "not an X12 segment id"),
        (b"ISA*00*   *00", "segment 1 (ISA)", "truncated"),
        (b"ISA*00*          *00*          *ZZ*A", "segment 1 (ISA)", "truncated"),
        (b"GS*RA*X~", "segment 1", "ISA"),
    ],
)
def test_bad_input_is_refused_naming_the_element(data: bytes, location: str, words: str) -> None:
    with pytest.raises(IngestError) as caught:
        edi820_reader.parse(data)
    assert caught.value.location == location
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("2500", 250000),
        ("2500.00", 250000),
        ("2500.5", 250050),
        ("2500.", 250000),
        (".75", 75),
        ("2500.100", 250010),
    ],
)
def test_x12_decimal_amounts_are_read_exactly(text: str, minor: int) -> None:
    parsed = edi820_reader.parse(_edit("BPR*C*2500.00", f"BPR*C*{text}"))
    assert parsed.entries[0].amount_minor == minor


def test_missing_trailers_are_warnings() -> None:
    data = fixture("newline_terminated.edi").decode()
    truncated = data[: data.index("ST*820*0318002")].encode()
    parsed = edi820_reader.parse(truncated)
    assert [e.amount_minor for e in parsed.entries] == [250000]
    assert parsed.warnings == [
        "segment 2 (GS): group 318 has no GE trailer",
        "segment 1 (ISA): interchange 000000318 has no IEA trailer",
    ]


def test_a_file_cut_inside_a_transaction_reads_it_once_with_warnings() -> None:
    data = fixture("newline_terminated.edi").decode()
    cut = data[: data.index("SE*9*0318001")].encode()
    parsed = edi820_reader.parse(cut)
    assert [e.amount_minor for e in parsed.entries] == [250000]
    assert parsed.warnings == [
        "segment 3 (ST): transaction 0318001 has no SE trailer",
        "segment 2 (GS): group 318 has no GE trailer",
        "segment 1 (ISA): interchange 000000318 has no IEA trailer",
    ]


def test_two_interchanges_in_one_file_are_both_read() -> None:
    data = fixture("newline_terminated.edi") + fixture("wrong_se_count.edi").replace(b"^", b"U").replace(
        b"~", b""
    )
    parsed = edi820_reader.parse(data)
    assert [e.amount_minor for e in parsed.entries] == [250000, 31040]
    assert ControlTotal("interchange 000000502", 1, 0, 1) in parsed.controls


def test_a_control_number_mismatch_is_a_warning() -> None:
    parsed = edi820_reader.parse(_edit("GE*2*318", "GE*2*319"))
    assert parsed.warnings == ["segment 17 (GE02): GE02 '319' does not match GS06 '318'"]


def test_a_remittance_total_that_disagrees_with_bpr02_is_a_warning_naming_the_transaction() -> None:
    parsed = edi820_reader.parse(_edit("RMR*IV*INV-20932*PI*1000.00", "RMR*IV*INV-20932*PI*900.00"))
    assert parsed.warnings == [
        "segment 3 (transaction 0318001): BPR02 says USD 2,500.00 "
        "but the RMR lines and adjustments sum to USD 2,400.00"
    ]
    assert len(parsed.entries) == 1


def test_an_rf_creditor_reference_is_checked() -> None:
    valid = edi820_reader.parse(_edit("RMR*IV*INV-20931", "RMR*IV*RF18 5390 0754 7034"))
    assert valid.entries[0].remittance[0].kind == "CREDITOR_REFERENCE"
    assert valid.entries[0].remittance[0].reference == "RF18539007547034"
    invalid = edi820_reader.parse(_edit("RMR*IV*INV-20931", "RMR*IV*RF19539007547034"))
    assert [line.reference for line in invalid.entries[0].remittance] == ["INV-20932"]
    assert invalid.entries[0].remittance_text == "RF19539007547034: USD 1,500.00"
    assert invalid.warnings == [
        "segment 9 (RMR02): 'RF19539007547034' fails the ISO 11649 check; kept as text"
    ]


def test_a_generated_interchange_reads_back_exactly() -> None:
    generated = generate_edi820.generate_with_totals(1000, seed=11)
    parsed = edi820_reader.parse(generated.data)
    assert len(parsed.entries) == 1000
    assert sum(e.amount_minor for e in parsed.entries) == generated.sum_minor
    assert sum(len(e.remittance) for e in parsed.entries) == generated.lines
    assert [line.reference for e in parsed.entries for line in e.remittance] == generated.references
    assert parsed.warnings == [] and all(c.agrees for c in parsed.controls)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_ingest_errors(data: bytes) -> None:
    _parse_or_ingest_error(b"ISA" + data)
    _parse_or_ingest_error(data)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_fixtures_raise_only_ingest_errors(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["adx_deductions.edi", "newline_terminated.edi", "wrong_se_count.edi"]))
    raw = bytearray(fixture(name))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        byte = data.draw(st.sampled_from([*b"*~:^>\n-.0123456789ABZ ", 0, 255]))
        if action == "replace":
            raw[at] = byte
        elif action == "delete":
            del raw[at]
        else:
            raw.insert(at, byte)
    _parse_or_ingest_error(bytes(raw))


def _parse_or_ingest_error(data: bytes) -> None:
    try:
        parsed = edi820_reader.parse(data)
    except IngestError as error:
        assert str(error).startswith(error.location)
        return
    assert isinstance(parsed, ParsedFile)
    assert all(e.amount_minor > 0 for e in parsed.entries)
