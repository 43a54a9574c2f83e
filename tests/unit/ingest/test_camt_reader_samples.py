"""The camt reader on public sample files (../shared/samples/camt053, camt054: see SOURCES.tsv)
and on the benchmark's generated statements. Counts and sums are checked against each file's
own controls; spot values were read off the files by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bench.ingest.generate_camt053 import generate
from engine.ingest.camt_reader import parse
from engine.ingest.records import EntryKind, ParsedFile

# Every test here holds for the lxml reader and for its Rust twin.
pytestmark = pytest.mark.usefixtures("both_readers")

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
SAMPLE_FILES = sorted([*SAMPLES.glob("camt053/*.xml"), *SAMPLES.glob("camt054/*.xml")])


@pytest.fixture(scope="module")
def samples() -> dict[str, ParsedFile]:
    if not SAMPLE_FILES:
        pytest.skip(f"the public sample files are not at {SAMPLES} (shared/samples beside the repository)")
    return {path.name: parse(path.read_bytes()) for path in SAMPLE_FILES}


def test_every_sample_parses_and_accounts_for_each_entry(samples: dict[str, ParsedFile]) -> None:
    assert len(samples) == 8
    for name, parsed in samples.items():
        assert parsed.format == ("camt.054" if "camt054" in name else "camt.053")
        for entry in parsed.entries:
            assert entry.amount_minor > 0 and entry.account, (name, entry)


def test_the_268_entry_belgian_statement(samples: dict[str, ParsedFile]) -> None:
    parsed = samples["subite_BE-202411_268entries.xml"]
    assert len(parsed.entries) + len(parsed.skipped) == 268
    assert [e.amount_minor for e in parsed.entries] == [5000000, 5000000, 5000000, 3000000]
    assert {s.reason for s in parsed.skipped} == {"debit"}
    first = parsed.entries[0]
    assert (first.payer_name, first.payer_account, first.end_to_end_id) == (
        "Stellar Ltd",
        "BE91516952884376",
        "E2ESEKOZLQO41354223",
    )
    assert (first.remittance_text, first.account, first.value_date) == (
        "Transfer ref HBAVHC9717",
        "BE68793230773034",
        dt.date(2024, 11, 29),  # no ValDt: the booking date
    )
    # OPBD 59,370.37 + credits - debits of the 268 booked entries = CLBD 87,539.12.
    (balance,) = parsed.controls
    assert (balance.counted, balance.summed_minor, balance.agrees) == (268, 8753912, True)
    assert parsed.warnings == []


def test_the_lithuanian_v8_statement_without_status_or_dates(samples: dict[str, ParsedFile]) -> None:
    parsed = samples["subite_LT_2024-04-11.xml"]
    assert [(e.bank_reference, e.amount_minor) for e in parsed.entries] == [
        ("REF000003666020", 4684000),
        ("REF000003705239", 89101725),
        ("REF000003923333", 264800),
    ]
    assert parsed.entries[0].account == "LT625883379695428516"  # Acct/Id/Othr/Id
    assert parsed.entries[0].value_date == dt.date(
        2024, 4, 11
    )  # GrpHdr/CreDtTm (the imported three are dated so)
    assert len(parsed.skipped) == 12
    assert [(c.scope, c.agrees) for c in parsed.controls] == [
        ("Stmt[1] balance", True),
        ("Stmt[2] balance", True),
    ]
    assert parsed.warnings == [
        "Stmt[1]: 15 entries without Sts, read as booked (BOOK)",
        "Stmt[1]: 3 entries without ValDt or BookgDt, dated from the statement",
    ]


def test_the_dutch_statement_with_a_reversed_direct_debit_batch(samples: dict[str, ParsedFile]) -> None:
    parsed = samples["oca_test-camt053.xml"]
    first, second, media = parsed.entries
    assert (first.kind, first.amount_minor, first.original_reference, first.return_reason) == (
        EntryKind.RETURN,
        56405,
        "TESTBANK/NL/20141229/01206408",
        "AC06",
    )
    assert (second.kind, second.amount_minor) == (EntryKind.RETURN, 10000)
    assert first.batch_id == second.batch_id != ""
    assert (media.payer_name, media.amount_minor, media.end_to_end_id) == ("3rd party Media", 140531, "115")
    assert media.remittance_text == "#RD PARTY MEDIA CUSNO 90782 4210773"  # AddtlTxInf, no Ustrd
    # The file's own balances do not add up: 15,568.27 - 754.25 - 664.05 + 1,405.31 != 15,121.12.
    assert parsed.warnings == [
        "Stmt[1] balance: opening balance + booked credits - booked debits = EUR 15,555.28, "
        "the closing balance (CLBD) says EUR 15,121.12"
    ]


def test_the_swiss_batch_with_transaction_details(samples: dict[str, ParsedFile]) -> None:
    parsed = samples["oca_test-camt053-txdtls.xml"]
    assert [(e.amount_minor, e.payer_account) for e in parsed.entries] == [
        (218700, "CH2222000000123456789"),
        (129600, "CH3333000000123456789"),
    ]
    # Both transactions carry the package id as AcctSvcrRef: the entry's reference + /n instead.
    assert [e.bank_reference for e in parsed.entries] == [
        "20170323001234567891234567891234/1",
        "20170323001234567891234567891234/2",
    ]
    assert {e.batch_id for e in parsed.entries} == {"CH1111000000123456789/20170323001234567891234567891234"}
    assert parsed.entries[0].remittance_text.startswith("302388292000011111111111111 ?REJECT?0")  # ISR ref
    assert [c.agrees for c in parsed.controls] == [True]


def test_the_multi_statement_file_and_the_notifications(samples: dict[str, ParsedFile]) -> None:
    multi = samples["genkgo_camt053.v2.multi.statement.xml"]
    (entry,) = multi.entries
    assert (entry.amount_minor, entry.end_to_end_id, entry.remittance_text) == (
        885,
        "000000001",
        "Transaction Description 1",
    )
    assert [s.location for s in multi.skipped] == ["Stmt[2]/Ntry[1]"]
    assert [c.scope for c in multi.controls if c.agrees] == ["Stmt[1] balance", "Stmt[2] balance"]

    for name in ("genkgo_camt054.v2.xml", "genkgo_camt054.v8.xml"):
        assert [(s.reason, s.amount_minor, s.currency) for s in samples[name].skipped] == [
            ("debit", 20000000, "SEK")
        ]
        assert samples[name].entries == []

    (credit,) = samples["oca_test-camt054.xml"].entries
    assert (credit.kind, credit.amount_minor, credit.bank_reference, credit.end_to_end_id) == (
        EntryKind.PAYMENT,
        500,
        "98888208N8",
        "ENDTOENDID-01",
    )
    assert (credit.payer_name, credit.payer_account) == ("Test Customer", "NL46ABNA0499998748")


def test_a_generated_statement_reads_back_exactly() -> None:
    parsed = parse(generate(1000, seed=7))
    assert len(parsed.entries) == 1000 and parsed.skipped == []
    assert parsed.warnings == []
    credits, balance = parsed.controls
    assert credits.declared_count == credits.counted == 1000
    assert credits.declared_sum_minor == credits.summed_minor == sum(e.amount_minor for e in parsed.entries)
    assert balance.agrees
    assert len({e.identity for e in parsed.entries}) == 1000
    kinds = {line.kind for e in parsed.entries for line in e.remittance}
    assert kinds == {"INVOICE", "CREDITOR_REFERENCE"}
    with_lines = [e for e in parsed.entries if e.remittance and e.remittance[0].kind == "INVOICE"]
    assert all(sum(line.paid_minor or 0 for line in e.remittance) == e.amount_minor for e in with_lines)
    assert parse(generate(1000, seed=7)).entries == parsed.entries  # deterministic


def test_a_notified_batch_whose_items_cannot_be_split_is_kept_whole() -> None:
    """The v8 notification's batch, made a credit: its transactions are in CHF, the entry in SEK,
    so there is no amount to give each item; the entry stays one payment, with a warning."""
    path = SAMPLES / "camt054" / "genkgo_camt054.v8.xml"
    if not path.exists():
        pytest.skip(f"the public sample files are not at {SAMPLES}")
    data = path.read_bytes().replace(
        b"<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>", b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>"
    )
    parsed = parse(data)
    (entry,) = parsed.entries
    assert (entry.kind, entry.amount_minor, entry.currency, entry.bank_reference) == (
        EntryKind.PAYMENT,
        20000000,
        "SEK",
        "ACSR160617103200001",
    )
    assert parsed.warnings == [
        "Ntfctn[1]/Ntry[1]/NtryDtls/TxDtls[1]: no transaction amount in SEK; the batch entry is kept whole"
    ]
