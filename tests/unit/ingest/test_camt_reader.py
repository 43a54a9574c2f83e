"""The camt.053/054 reader on hand-written fixtures (tests/fixtures/ingest/camt/): the exact
records each yields, the controls it checks, and a clear IngestError for every broken file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.ingest import formats
from engine.ingest.camt_reader import parse
from engine.ingest.records import (
    Adjustment,
    ControlTotal,
    Entry,
    EntryKind,
    IngestError,
    RemittanceLine,
    Skipped,
)

# Every test here holds for the lxml reader and for its Rust twin.
pytestmark = pytest.mark.usefixtures("both_readers")

NS053 = b'xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"'
NS054 = b'xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"'
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ingest" / "camt"
D = dt.date


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_structured_remittance_becomes_one_line_per_document_with_its_amounts() -> None:
    parsed = parse(fixture("camt053_v02_remittance.xml"))
    assert parsed.format == "camt.053"
    first = parsed.entries[0]
    assert first == Entry(
        kind=EntryKind.PAYMENT,
        currency="EUR",
        amount_minor=170500,
        value_date=D(2026, 11, 2),
        location="Stmt[1]/Ntry[1]",
        booking_date=D(2026, 11, 2),
        account="DE89370400440532013000",
        payer_name="Acme Handel GmbH",
        payer_account="NL91ABNA0417164300",
        end_to_end_id="ACME-PAY-2026-0311",
        bank_reference="20261102-000101",
        remittance=(
            RemittanceLine("INV-1001", 98000, 100000, 2000, (), "INVOICE"),
            RemittanceLine("INV-1002", 50000, 50000, 0, (), "INVOICE"),
            RemittanceLine("CN-77", 5000, 5000, 0, (), "CREDIT_NOTE"),
            RemittanceLine(
                "INV-1003", 27500, 30000, 0, (Adjustment(2500, "DAMG", "two cartons damaged in transit"),)
            ),
        ),
        type_code="PMNT/RCDT/ESCT",
    )


def test_a_valid_rf_reference_is_a_line_and_an_invalid_one_text_with_a_warning() -> None:
    parsed = parse(fixture("camt053_v02_remittance.xml"))
    valid, invalid = parsed.entries[1], parsed.entries[2]
    # NOTPROVIDED is no end-to-end id; Ustrd lines are joined, whitespace normalized.
    assert (valid.end_to_end_id, valid.payer_name) == ("", "Dupont et Fils SARL")
    assert valid.remittance == (RemittanceLine("RF18539007547034", kind="CREDITOR_REFERENCE"),)
    assert valid.remittance_text == "Order 5531 second line"
    # No Dbtr: the ultimate debtor names the payer; no Ustrd: AddtlTxInf is the purpose.
    assert invalid.payer_name == "Rossi Logistica S.p.A."
    assert invalid.remittance == ()
    assert invalid.remittance_text == "RF19539007547034 SEPA credit transfer"
    assert (invalid.amount_minor, invalid.value_date, invalid.booking_date) == (
        5050,
        D(2026, 11, 3),
        D(2026, 11, 2),
    )
    assert parsed.warnings == [
        "Stmt[1]/Ntry[3]/NtryDtls/TxDtls[1]/RmtInf/Strd/CdtrRefInf/Ref: "
        "'RF19539007547034' fails the ISO 11649 check; kept as text"
    ]
    assert parsed.controls == [
        ControlTotal("Stmt[1] TtlNtries", 3, 295550, 3, 295550),
        ControlTotal("Stmt[1] TtlCdtNtries", 3, 295550, 3, 295550),
        ControlTotal("Stmt[1] balance", 3, 395550, None, 395550),
    ]


def test_a_reversed_credit_is_a_return_and_pending_entries_and_debits_are_skipped() -> None:
    parsed = parse(fixture("camt053_v02_reversal_pending.xml"))
    payment, returned = parsed.entries
    assert payment.kind is EntryKind.PAYMENT
    assert (payment.amount_minor, payment.payer_account, payment.booking_date) == (
        25000,
        "PL-0042-7781",
        D(2026, 11, 4),  # from BookgDt/DtTm
    )
    assert returned == Entry(
        kind=EntryKind.RETURN,
        currency="EUR",
        amount_minor=25000,
        value_date=D(2026, 11, 4),
        location="Stmt[1]/Ntry[2]",
        booking_date=D(2026, 11, 4),
        account="DE89370400440532013000",
        payer_name="Kowalski Sp. z o.o.",
        end_to_end_id="KOW-2026-17",
        bank_reference="20261104-000202",
        original_reference="KOW-2026-17",
        return_reason="AC04",
        type_code="PMNT/RCDT/RRTN",
    )
    assert parsed.skipped == [
        Skipped("Stmt[1]/Ntry[3]", "status PDNG: not booked", 75000, "EUR"),
        Skipped("Stmt[1]/Ntry[4]", "debit", 76000, "EUR"),
    ]
    # A debit opening balance, the pending entry outside the balance check, all controls agree.
    assert parsed.warnings == []
    assert [c.scope for c in parsed.controls] == [
        "Stmt[1] TtlNtries",
        "Stmt[1] TtlCdtNtries",
        "Stmt[1] TtlDbtNtries",
        "Stmt[1] balance",
    ]
    assert all(c.agrees for c in parsed.controls)
    assert parsed.controls[-1] == ControlTotal("Stmt[1] balance", 3, -86000, None, -86000)


def test_a_reversal_without_its_own_reference_never_takes_the_reversed_payment_s() -> None:
    data = fixture("camt053_v02_reversal_pending.xml").replace(
        b"<AcctSvcrRef>20261104-000202</AcctSvcrRef>", b""
    )
    payment, returned = parse(data).entries
    assert (returned.bank_reference, returned.original_reference) == ("", "KOW-2026-17")
    assert returned.identity != payment.identity


def test_a_v8_batch_entry_is_split_into_its_three_transactions() -> None:
    parsed = parse(fixture("camt053_v08_batch.xml"))
    batch_id = "CH9300762011623852957/ZKB-2026-11-09-7781"
    assert [(e.amount_minor, e.payer_name, e.bank_reference, e.batch_id) for e in parsed.entries] == [
        (100000, "Berg Bau AG", "ZKB-2026-11-09-7781/1", batch_id),
        (300000, "Nordwind Logistik GmbH", "ZKB-2026-11-09-7781/2", batch_id),
        (32105, "Van Dijk B.V.", "ZKB-2026-11-09-7781/3", batch_id),
    ]
    first, second, third = parsed.entries
    assert first.location == "Stmt[1]/Ntry[1]/NtryDtls/TxDtls[1]"
    assert (first.end_to_end_id, first.remittance_text, first.currency) == (
        "E2E-BERG-1",
        "Rechnung 2026-551",
        "CHF",
    )
    # DscntApldAmt as the .03+ {Tp, Amt} list; no Ustrd and no AddtlTxInf: no text (the batch's
    # AddtlNtryInf describes the batch, not this transaction).
    assert second.remittance == (RemittanceLine("2026-552", 300000, 305000, 5000),)
    assert second.remittance_text == ""
    assert (third.end_to_end_id, third.remittance_text) == ("", "Abschlag Projekt 12")
    assert len({e.identity for e in parsed.entries}) == 3
    assert parsed.warnings == []
    assert parsed.controls == [ControlTotal("Stmt[1] TtlCdtNtries", 1, 432105, 1, 432105)]


def test_a_camt054_itemizing_a_booked_batch_yields_advice_carrying_the_batch_identity() -> None:
    statement = parse(fixture("camt053_v04_batch_whole.xml"))
    (whole,) = statement.entries
    assert (whole.kind, whole.amount_minor, whole.bank_reference) == (
        EntryKind.PAYMENT,
        60000,
        "ABN-BATCH-0042",
    )
    assert whole.remittance_text == "COLLECTIVE CREDIT 3 ITEMS"
    assert statement.controls == [ControlTotal("Stmt[1] balance", 1, 60000, None, 60000)]  # PRCD opening

    notification = parse(fixture("camt054_v04_itemized.xml"))
    assert notification.format == "camt.054"
    assert {e.kind for e in notification.entries} == {EntryKind.ADVICE}
    assert {e.batch_id for e in notification.entries} == {whole.identity}
    assert [(e.amount_minor, e.bank_reference, e.end_to_end_id) for e in notification.entries] == [
        (10000, "ABN-BATCH-0042/1", "OCEAN-771"),
        (20000, "ABN-BATCH-0042/2", "OCEAN-772"),
        (30000, "ABN-BATCH-0042/3", "TECH-1"),
    ]
    assert notification.entries[0].remittance == (RemittanceLine("INV-3001", 10000),)
    assert sum(e.amount_minor for e in notification.entries) == whole.amount_minor


def test_a_camt054_credit_of_one_transaction_is_an_ordinary_payment() -> None:
    data = fixture("camt054_v04_itemized.xml")
    one = re.sub(rb"<TxDtls>.*</TxDtls>", b"", data, flags=re.S).replace(
        b"<NbOfTxs>3</NbOfTxs>", b"<NbOfTxs>1</NbOfTxs>"
    )
    (entry,) = parse(one).entries
    assert (entry.kind, entry.bank_reference, entry.batch_id) == (EntryKind.PAYMENT, "ABN-BATCH-0042", "")
    # The same movement as the camt.053 reports it: one identity, imported once.
    assert entry.identity == parse(fixture("camt053_v04_batch_whole.xml")).entries[0].identity


def test_control_totals_that_disagree_are_warnings_not_errors() -> None:
    data = fixture("camt053_v02_remittance.xml")
    data = data.replace(b'<Amt Ccy="EUR">3955.50</Amt>', b'<Amt Ccy="EUR">3955.49</Amt>')
    data = data.replace(
        b"<TtlCdtNtries><NbOfNtries>3</NbOfNtries>", b"<TtlCdtNtries><NbOfNtries>4</NbOfNtries>"
    )
    parsed = parse(data)
    assert len(parsed.entries) == 3
    assert [c.agrees for c in parsed.controls] == [True, False, False]
    assert parsed.warnings[1:] == [
        "Stmt[1] TtlCdtNtries: the file declares 4 entries and a sum of EUR 2,955.50; "
        "it holds 3 entries summing EUR 2,955.50",
        "Stmt[1] balance: opening balance + booked credits - booked debits = EUR 3,955.50, "
        "the closing balance (CLBD) says EUR 3,955.49",
    ]


def test_transactions_not_summing_to_their_batch_entry_are_a_warning() -> None:
    data = fixture("camt053_v08_batch.xml").replace(
        b'<Amt Ccy="CHF">321.05</Amt>', b'<Amt Ccy="CHF">321.00</Amt>'
    )
    parsed = parse(data)
    assert [e.amount_minor for e in parsed.entries] == [100000, 300000, 32100]
    assert parsed.warnings == [
        "Stmt[1]/Ntry[1]: its 3 transactions sum to 432100 minor units, the entry says 432105"
    ]


def test_amounts_are_exact_in_the_currency_s_minor_units() -> None:
    base = fixture("camt053_v02_reversal_pending.xml")

    def first_amount(text: bytes, currency: bytes = b"EUR") -> int:
        data = base.replace(
            b'<Amt Ccy="EUR">250.00</Amt>\n        <CdtDbtInd>CRDT',
            b'<Amt Ccy="' + currency + b'">' + text + b"</Amt>\n        <CdtDbtInd>CRDT",
            1,
        )
        return parse(data).entries[0].amount_minor

    assert first_amount(b"12.5") == 1250
    assert first_amount(b"12.500") == 1250  # trailing zeros are exact
    assert first_amount(b"7") == 700
    assert first_amount(b"1500", b"JPY") == 1500
    assert first_amount(b"1.234", b"KWD") == 1234
    assert first_amount(b" 0.01 ") == 1


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        (b"12,5", b"EUR", "amount '12,5' is not an ISO 20022 decimal"),
        (b"abc", b"EUR", "amount 'abc' is not an ISO 20022 decimal"),
        (b"-5.00", b"EUR", "amount '-5.00' is not an ISO 20022 decimal"),
        (b"", b"EUR", "amount '' is not an ISO 20022 decimal"),
        (b"1.234", b"EUR", "amount 1.234 has more decimals than EUR's 2"),
        (b"1500.5", b"JPY", "amount 1500.5 has more decimals than JPY's 0"),
        (b"10.00", b"XYZ", "unknown ISO 4217 currency code 'XYZ'"),
        (b"99999999999999999", b"EUR", "exceeds the largest amount"),
    ],
)
def test_a_bad_amount_is_an_error_naming_the_element_and_line(
    amount: bytes, currency: bytes, message: str
) -> None:
    data = fixture("camt053_v02_reversal_pending.xml").replace(
        b'<Amt Ccy="EUR">250.00</Amt>', b'<Amt Ccy="' + currency + b'">' + amount + b"</Amt>", 1
    )
    with pytest.raises(IngestError) as caught:
        parse(data)
    assert caught.value.location == "Stmt[1]/Ntry[1]/Amt (line 33)"
    assert str(caught.value).startswith("Stmt[1]/Ntry[1]/Amt (line 33): ")
    assert message in str(caught.value)


def test_a_bad_amount_in_remittance_or_a_balance_names_its_element() -> None:
    bad_doc = fixture("camt053_v02_remittance.xml").replace(
        b'<RmtdAmt Ccy="EUR">980.00', b'<RmtdAmt Ccy="EUR">980,00'
    )
    with pytest.raises(
        IngestError, match=r"^Stmt\[1\]/Ntry\[1\]/NtryDtls/TxDtls\[1\]/RmtInf/Strd/RfrdDocAmt/RmtdAmt"
    ):
        parse(bad_doc)
    bad_balance = fixture("camt053_v02_remittance.xml").replace(b"3955.50", b"3955.5x")
    with pytest.raises(IngestError, match=r"^Stmt\[1\]/Bal/Amt \(line 25\)"):
        parse(bad_balance)


@pytest.mark.parametrize("cut", [40, 300, 1500, 2500, -30])
def test_a_truncated_file_is_an_error_with_the_line_lxml_reports(cut: int) -> None:
    data = fixture("camt053_v08_batch.xml")
    with pytest.raises(IngestError, match=r"^line \d+: not well-formed XML"):
        parse(data[:cut])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>',
            "namespace 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.03'",
        ),
        (b"<Document/>", "root <Document> in namespace ''"),
        (b'<Invoice xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>', "root <Invoice>"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.01"><BkToCstmrStmt/></Document>',
            "version .001.01 is not read",
        ),
        (
            b"<Document " + NS053 + b"><BkToCstmrDbtCdtNtfctn/></Document>",
            "camt.053 must hold <BkToCstmrStmt>, not <BkToCstmrDbtCdtNtfctn>",
        ),
        (
            b"<Document " + NS054 + b"><BkToCstmrDbtCdtNtfctn><GrpHdr/></BkToCstmrDbtCdtNtfctn></Document>",
            "no Ntfctn",
        ),
    ],
)
def test_a_wrong_namespace_or_message_is_an_error_naming_what_was_found(data: bytes, message: str) -> None:
    with pytest.raises(IngestError) as caught:
        parse(data)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01\x02\xff\xfe garbage \x89PNG\r\n",
        b"PK\x03\x04" + bytes(range(256)),
        b"not xml at all",
        b"\xef\xbb\xbf",
    ],
)
def test_binary_garbage_and_empty_files_are_errors(data: bytes) -> None:
    with pytest.raises(IngestError, match=r"^line \d+: "):
        parse(data)


def test_entities_and_doctypes_are_refused_so_no_file_is_read_through_the_xml() -> None:
    xxe = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b"<Document " + NS053 + b"><BkToCstmrStmt>&x;</BkToCstmrStmt></Document>"
    )
    with pytest.raises(IngestError, match="DOCTYPE is not allowed"):
        parse(xxe)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>BOOK",
            b"<CdtDbtInd>CR</CdtDbtInd>\n        <Sts>BOOK",
            "Stmt[1]/Ntry[1]/CdtDbtInd (line 34): must be CRDT or DBIT, not 'CR'",
        ),
        (
            b"<ValDt><Dt>2026-11-04</Dt></ValDt>",
            b"<ValDt><Dt> </Dt></ValDt>",
            "Stmt[1]/Ntry[1]/ValDt (line 37): '' is not an ISO date",
        ),
        (
            b"<ValDt><Dt>2026-11-04</Dt></ValDt>",
            b"<ValDt><Dt>2026-13-04</Dt></ValDt>",
            "Stmt[1]/Ntry[1]/ValDt (line 37): '2026-13-04' is not an ISO date",
        ),
        (
            b"<Id><IBAN>DE89370400440532013000</IBAN></Id>",
            b"<Id><IBAN></IBAN></Id>",
            "Stmt[1]/Acct/Id (line 12): no IBAN or Othr/Id",
        ),
    ],
)
def test_unreadable_fields_are_errors_naming_element_and_line(old: bytes, new: bytes, message: str) -> None:
    data = fixture("camt053_v02_reversal_pending.xml")
    assert old in data
    with pytest.raises(IngestError) as caught:
        parse(data.replace(old, new, 1))
    assert str(caught.value).startswith(message)


def test_a_prefixed_namespace_reads_the_same_as_the_default_one() -> None:
    data = fixture("camt053_v08_batch.xml")
    prefixed = re.sub(rb"<(/?)([A-Za-z])", rb"<\1camt:\2", data).replace(b"xmlns=", b"xmlns:camt=")
    assert b"<camt:Document xmlns:camt=" in prefixed
    assert parse(prefixed).entries == parse(data).entries


def test_entries_of_a_statement_without_its_account_are_an_error() -> None:
    data = re.sub(rb"<Acct>.*?</Acct>", b"", fixture("camt053_v02_reversal_pending.xml"), count=1, flags=re.S)
    with pytest.raises(IngestError, match=r"^Stmt\[1\]/Acct: a Stmt without its account"):
        parse(data)


def test_the_format_registry_detects_and_reads_both_messages() -> None:
    assert formats.detect(fixture("camt053_v08_batch.xml")) == "camt.053"
    assert formats.parse(fixture("camt054_v04_itemized.xml")).format == "camt.054"
    assert len(formats.parse(fixture("camt053_v02_remittance.xml"), "camt.053").entries) == 3


_SEEDS = [fixture(name) for name in sorted(p.name for p in FIXTURES.glob("*.xml"))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(_SEEDS),
    position=st.floats(min_value=0, max_value=1),
    junk=st.binary(max_size=12),
    cut=st.booleans(),
)
def test_mutated_files_only_ever_raise_ingest_error(
    seed: bytes, position: float, junk: bytes, cut: bool
) -> None:
    at = int(position * len(seed))
    data = seed[:at] + junk if cut else seed[:at] + junk + seed[at + len(junk) :]
    _parse_or_ingest_error(data)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_only_ever_raise_ingest_error(data: bytes) -> None:
    _parse_or_ingest_error(data)


def _parse_or_ingest_error(data: bytes) -> None:
    """Any other exception fails the test; what does parse holds only well-formed records."""
    try:
        parsed = parse(data)
    except IngestError as error:
        assert str(error)
        return
    for entry in parsed.entries:
        assert entry.amount_minor > 0 and entry.currency and entry.account


def test_a_message_element_with_an_undeclared_prefix_is_a_clear_error() -> None:
    # Found by the mutation test: lxml's QName refuses such a name with a ValueError.
    data = fixture("camt054_v04_itemized.xml").replace(
        b"<BkToCstmrDbtCdtNtfctn>", b"<BkTo:stmrDbtCdtNtfctn>", 1
    )
    with pytest.raises(IngestError) as caught:
        parse(data)
    # The element is named whichever way lxml words it: "BkTo:stmrDbtCdtNtfctn" (lxml 6.1, from
    # QName) or "Namespace prefix BkTo on stmrDbtCdtNtfctn is not defined" (lxml 6.2, a parse error).
    assert "BkTo" in caught.value.message and "stmrDbtCdtNtfctn" in caught.value.message
