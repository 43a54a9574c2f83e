"""ISO 20022 camt.053 (bank-to-customer statement) and camt.054 (debit/credit notification).

`parse(data) -> ParsedFile` reads message versions .001.02 to .001.13 (the namespace says which
message and version; a wrong or unknown one is an IngestError naming the root and what it found).

What becomes what:
- A booked (Sts BOOK) credit (CdtDbtInd CRDT) entry is money received: a PAYMENT.
- A booked debit with RvslInd true is a received payment going back: a RETURN, whose
  original_reference is the transaction's EndToEndId, else its AcctSvcrRef, else its TxId, and
  whose return_reason is RtrInf/Rsn/Cd.
- Everything else is Skipped with the reason: pending or information-only entries (PDNG, INFO),
  debits, credits reversing a debit, zero amounts. An entry without Sts (seen in v8 files) is
  read as booked, with a warning.
- An entry with several TxDtls is a batch: one record per transaction, with the transaction's
  own amount (TxDtls/Amt, or AmtDtls/TxAmt/Amt), bank_reference its own AcctSvcrRef (when the
  transactions have distinct ones) or the entry's AcctSvcrRef + "/<n>", and batch_id the
  identity of the entry as a whole (account + the entry's AcctSvcrRef). The transactions' sum
  differing from the entry's amount is a warning. A batch without TxDtls (NbOfTxs > 1 only) is
  one record for the whole entry, whose identity is that same batch identity.
- camt.054: a credit entry that itemizes a batch (NbOfTxs > 1 or several TxDtls) yields one
  ADVICE per transaction, with batch_id computed exactly as above: the identity of the unsplit
  batch entry the camt.053 reports for the same account and AcctSvcrRef. The importer attaches
  the items' remittance to the payment that batch became. Every other camt.054 credit entry is
  an ordinary PAYMENT (a bank may send camt.054 credit notifications only); its identity is the
  same as the camt.053 entry's, so receiving both imports it once.
- Remittance: each Strd block's referred documents (RfrdDocInf/Nb, type CINV invoice or CREN
  credit note) with the block's RfrdDocAmt (RmtdAmt paid, DuePyblAmt invoiced, DscntApldAmt,
  AdjstmntAmtAndRsn) become RemittanceLines; an RF creditor reference (CdtrRefInf/Ref) that
  passes ISO 11649 becomes a CREDITOR_REFERENCE line, a failing one text plus a warning, a
  national reference (QRR, ISR) text. Every Ustrd, joined by a space, is the remittance text;
  AddtlTxInf and AddtlNtryInf (this one not on the transactions of a batch, which it describes
  as a whole) are added only when there is no Ustrd.
- Controls: TxsSummry TtlNtries / TtlCdtNtries / TtlDbtNtries (NbOfNtries, Sum) against the
  entries, and the opening balance (OPBD, else PRCD) + booked credits - booked debits against
  the closing one (CLBD): ControlTotals, and a warning for each that disagrees.

The file is read by the Rust twin when it is installed (engine/ingest/camt_native.py), else
with lxml iterparse, element by element, and each entry is dropped once read, so
memory stays flat on large files; no DTD, no entities, no network (no XXE).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

from lxml import etree

from engine.ingest import camt_native
from engine.ingest.camt_controls import finish_statement, read_balance, read_summary
from engine.ingest.camt_entries import Statement, read_entry
from engine.ingest.camt_fields import DateCache, Element, Names, account_id, text_of
from engine.ingest.records import IngestError, ParsedFile

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.(05[34])\.001\.(\d\d)")
OLDEST_VERSION, NEWEST_VERSION = 2, 13
# message number -> (the message element under Document, the statement element under it)
_MESSAGES = {"053": ("BkToCstmrStmt", "Stmt"), "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
# No entity expansion, no network, lxml's size limits: a bank file needs none of them.
_SAFE = {"resolve_entities": False, "no_network": True, "huge_tree": False, "load_dtd": False}


def parse(data: bytes) -> ParsedFile:
    """Reads one camt.053 or camt.054 file; IngestError naming the element or line at fault.
    The Rust twin (engine.ingest.camt_native) reads it when installed, unless it declines."""
    namespace, number = _message_of(data)
    if camt_native.selected() == "rust":
        fast = camt_native.parse(data, namespace, number)
        if fast is not None:
            return fast
    return parse_lxml(data, namespace, number)


def parse_lxml(data: bytes, namespace: str, number: str) -> ParsedFile:
    """The file read by this module's lxml reader (the reference twin of the Rust one)."""
    out = ParsedFile(format=f"camt.{number}")
    _Reader(namespace, number, out).run(data)
    return out


def _message_of(data: bytes) -> tuple[str, str]:
    """(namespace, "053" | "054") from the root and the message element, read from the first
    two start tags only."""
    events = _guarded(etree.iterparse(io.BytesIO(data), events=("start",), **_SAFE))
    root = next(events, None)
    if root is None:
        raise IngestError("line 1", "no XML root element")
    doctype: str = getattr(root.getroottree().docinfo, "doctype", "")  # lxml-stubs lack it
    if doctype:
        raise IngestError("line 1", "a DOCTYPE is not allowed in a camt file")
    namespace, local = _split_tag(root.tag)
    found = _NAMESPACE.fullmatch(namespace)
    if local != "Document" or found is None:
        raise IngestError(
            f"<{local}> (line {root.sourceline})",
            f"not a camt.053/camt.054 Document: root <{local}> in namespace {namespace!r}",
            "UNKNOWN_FORMAT",
        )
    version = int(found.group(2))
    if not OLDEST_VERSION <= version <= NEWEST_VERSION:
        raise IngestError(
            "Document",
            f"namespace {namespace!r}: version .001.{version:02d} is not read "
            f"(.001.{OLDEST_VERSION:02d} to .001.{NEWEST_VERSION:02d})",
            "UNKNOWN_FORMAT",
        )
    message = next(events, None)
    expected = _MESSAGES[found.group(1)][0]
    if message is None or message.tag != "{" + namespace + "}" + expected:
        got = _local_name(message.tag) if message is not None else "nothing"
        raise IngestError("Document", f"camt.{found.group(1)} must hold <{expected}>, not <{got}>")
    return namespace, found.group(1)


def _split_tag(tag: object) -> tuple[str, str]:
    """(namespace, local name) of an element's tag, read from the text: etree.QName refuses
    the names a damaged file may hold ("BkTo:stmr" with an undeclared prefix)."""
    text = str(tag)
    if text.startswith("{") and "}" in text:
        namespace, local = text[1:].split("}", 1)
        return namespace, local
    return "", text


def _local_name(tag: object) -> str:
    return _split_tag(tag)[1]


def _guarded(events: Iterator[tuple[str, Element]]) -> Iterator[Element]:
    """The elements of an iterparse; lxml's errors become IngestError with lxml's line."""
    try:
        for _, element in events:
            yield element
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        raise IngestError(f"line {line}", f"not well-formed XML: {exc.msg}") from None
    except (etree.LxmlError, LookupError, ValueError) as exc:
        # An unknown encoding declaration, bytes invalid in the declared encoding, ...
        raise IngestError("line 1", f"unreadable XML: {exc}") from None


class _Reader:
    """One pass over the file's GrpHdr, statements and entries."""

    def __init__(self, namespace: str, number: str, out: ParsedFile) -> None:
        self.names = Names(namespace)
        self.message, self.container = _MESSAGES[number]
        self.out = out
        self.notification = number == "054"
        self.dates = DateCache()
        self.group_date: dt.date | None = None  # GrpHdr/CreDtTm: the last fallback for undated entries
        self.statements = 0
        self.current: Statement | None = None
        prefix = self.names.prefix
        self.tags = [prefix + t for t in ("GrpHdr", "Acct", "Bal", "TxsSummry", "Ntry", self.container)]
        self.container_tag = prefix + self.container

    def run(self, data: bytes) -> None:
        parser = etree.iterparse(io.BytesIO(data), events=("end",), tag=self.tags, **_SAFE)
        names = self.names
        for element in _guarded(parser):
            name = names[element.tag]
            if name == "Ntry":
                self._entry(element)
            elif name == self.container:
                self._end_statement(element)
            elif name == "GrpHdr":
                self._group_header(element)
            else:
                parent = element.getparent()
                if parent is None or parent.tag != self.container_tag:
                    continue  # an Acct or Bal nested deeper is not the statement's own
                if name == "Acct":
                    self._account(element, parent)
                elif name == "Bal":
                    read_balance(element, names, self._statement())
                elif name == "TxsSummry":
                    read_summary(element, names, self._statement())
        if self.statements == 0:
            raise IngestError(f"Document/{self.message}", f"no {self.container}: the file reports nothing")

    def _statement(self) -> Statement:
        if self.current is None:
            scope = f"{self.container}[{self.statements + 1}]"
            self.current = Statement(scope, self.notification, fallback_date=self.group_date)
        return self.current

    def _entry(self, ntry: Element) -> None:
        st = self._statement()
        if not st.account:
            raise IngestError(f"{st.scope}/Acct", f"a {self.container} without its account (Acct/Id)")
        st.number += 1
        read_entry(ntry, self.names, self.dates, st, st.number, self.out)
        # Drop what has been read so a 100,000-entry file never sits in memory whole.
        ntry.clear()
        parent = ntry.getparent()
        if parent is not None:
            while ntry.getprevious() is not None:
                del parent[0]

    def _end_statement(self, element: Element) -> None:
        st = self._statement()
        finish_statement(st, self.out)
        self.statements += 1
        self.current = None
        element.clear()
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]

    def _group_header(self, element: Element) -> None:
        for child in element:
            if self.names[child.tag] == "CreDtTm":
                self.group_date = self.dates.parse(
                    text_of(child), f"GrpHdr/CreDtTm (line {child.sourceline})"
                )

    def _account(self, acct: Element, statement: Element) -> None:
        """Acct: the statement's own account and currency, and the statement's own date (To of
        FrToDt, else CreDtTm) for entries that give none."""
        st = self._statement()
        st.account = account_id(acct, self.names)
        if not st.account:
            raise IngestError(f"{st.scope}/Acct/Id (line {acct.sourceline})", "no IBAN or Othr/Id")
        for child in acct:
            if self.names[child.tag] == "Ccy":
                st.currency = text_of(child).upper()
        for child in statement:
            name = self.names[child.tag]
            if name == "CreDtTm":
                st.fallback_date = self.dates.parse(text_of(child), f"{st.scope}/CreDtTm")
            elif name == "FrToDt":
                for part in child:
                    if self.names[part.tag] == "ToDtTm":
                        st.fallback_date = self.dates.parse(text_of(part), f"{st.scope}/FrToDt/ToDtTm")
                        return
