"""One camt <Ntry> to the records it yields: payments, returns, advice items, or a skip.

See engine/ingest/camt_reader.py for the rules (which entries are imported, how a batch is split,
when a camt.054 entry is advice). Here is how: one pass over the entry's children, one pass over
each transaction's (TxDtls), then the records.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from engine.ingest.camt_fields import (
    DateCache,
    Element,
    Names,
    Remittance,
    account_id,
    amount_element,
    bank_transaction_code,
    code_or_text,
    date_choice,
    normalized,
    party_name,
    remittance,
    text_of,
    where,
)
from engine.ingest.records import Entry, EntryKind, IngestError, ParsedFile, Skipped, end_to_end

_TRUE = ("true", "1")


@dataclass(slots=True)
class Statement:
    """What the entries of one Stmt (camt.053) or Ntfctn (camt.054) share, and their tallies
    for the statement's control totals."""

    scope: str  # "Stmt[1]", "Ntfctn[2]"
    notification: bool
    account: str = ""
    currency: str = ""  # Acct/Ccy, else the first balance's or entry's
    fallback_date: dt.date | None = None  # FrToDt/ToDtTm, CreDtTm: for entries without dates
    entries: int = 0
    entries_minor: int = 0
    credits: int = 0
    credits_minor: int = 0
    debits: int = 0
    debits_minor: int = 0
    booked_net_minor: int = 0  # credits - debits of booked entries, for the balance check
    undated: int = 0
    without_status: int = 0
    booked: int = 0
    currencies: set[str] = field(default_factory=set)
    # Declared controls: OPBD/PRCD and CLBD balances (signed minor units), and TxsSummry's
    # (NbOfNtries, Sum text, location) per total (TtlNtries, TtlCdtNtries, TtlDbtNtries).
    opening: tuple[str, int] | None = None
    closing: tuple[str, int] | None = None
    summary: dict[str, tuple[int | None, str | None, str]] = field(default_factory=dict)
    number: int = 0  # entries seen so far (Ntry[n])

    def tally(self, currency: str, amount: int, credit: bool, booked: bool) -> None:
        self.currencies.add(currency)
        self.entries += 1
        self.entries_minor += amount
        if credit:
            self.credits += 1
            self.credits_minor += amount
        else:
            self.debits += 1
            self.debits_minor += amount
        if booked:
            self.booked += 1
            self.booked_net_minor += amount if credit else -amount


@dataclass(slots=True)
class _Tx:
    """What one TxDtls says."""

    location: str
    currency: str = ""
    amount: int | None = None
    reference: str = ""  # Refs/AcctSvcrRef
    end_to_end_id: str = ""
    transaction_id: str = ""
    payer_name: str = ""
    ultimate_payer: str = ""
    payer_account: str = ""
    info: Remittance | None = None
    additional: str = ""  # AddtlTxInf
    return_reason: str = ""
    type_code: str = ""


def read_entry(
    ntry: Element, names: Names, dates: DateCache, st: Statement, number: int, out: ParsedFile
) -> None:
    """Appends what entry number `number` of statement `st` yields to `out`."""
    location = f"{st.scope}/Ntry[{number}]"
    amount_el: Element | None = None
    indicator, status, reference, addtl = "", None, "", ""
    reversal = False
    booking: dt.date | None = None
    value: dt.date | None = None
    code_el: Element | None = None
    details: list[Element] = []
    for child in ntry:
        name = names[child.tag]
        if name == "Amt":
            amount_el = child
        elif name == "CdtDbtInd":
            indicator = text_of(child)
        elif name == "RvslInd":
            reversal = text_of(child).lower() in _TRUE
        elif name == "Sts":
            status = code_or_text(child, names).upper()
        elif name == "BookgDt":
            booking = date_choice(child, names, dates, location + "/BookgDt")
        elif name == "ValDt":
            value = date_choice(child, names, dates, location + "/ValDt")
        elif name == "AcctSvcrRef":
            reference = text_of(child)
        elif name == "BkTxCd":
            code_el = child
        elif name == "NtryDtls":
            details.append(child)
        elif name == "AddtlNtryInf":
            addtl = normalized(child.text or "")
    if amount_el is None:
        raise IngestError(where(location, ntry), "an entry without an amount (Amt)")
    currency, amount = amount_element(amount_el, location + "/Amt")
    if indicator not in ("CRDT", "DBIT"):
        at = next((c for c in ntry if names[c.tag] == "CdtDbtInd"), ntry)
        raise IngestError(where(location + "/CdtDbtInd", at), f"must be CRDT or DBIT, not {indicator!r}")
    if status is None:
        # camt.053 v8 files in the wild omit Sts; a statement reports booked entries.
        st.without_status += 1
        status = "BOOK"
    credit = indicator == "CRDT"
    st.tally(currency, amount, credit, status == "BOOK")
    skip = _skip_reason(status, amount, credit, reversal)
    if skip:
        out.skipped.append(Skipped(location, skip, amount, currency))
        return
    if value is None:
        value = booking or _fallback_date(st, ntry, location)
    head = _Head(
        EntryKind.PAYMENT if credit else EntryKind.RETURN,
        currency,
        amount,
        value,
        booking,
        location,
        reference,
        addtl,
        code_el,
    )
    txs, batch_count = _transactions(details, names, location)
    for tx in txs:
        if tx.info is not None and tx.info.warnings:
            out.warnings.extend(tx.info.warnings)
    _emit(head, txs, batch_count, st, names, out)


class _Head:
    """What the entry itself says, kept until its records are built (an Entry costs more)."""

    __slots__ = (
        "addtl",
        "amount",
        "booking",
        "code_el",
        "currency",
        "kind",
        "location",
        "reference",
        "value",
    )

    def __init__(
        self,
        kind: EntryKind,
        currency: str,
        amount: int,
        value: dt.date,
        booking: dt.date | None,
        location: str,
        reference: str,
        addtl: str,
        code_el: Element | None,
    ) -> None:
        self.kind, self.currency, self.amount, self.value, self.booking = (
            kind,
            currency,
            amount,
            value,
            booking,
        )
        self.location, self.reference, self.addtl, self.code_el = location, reference, addtl, code_el

    def type_code(self, names: Names) -> str:
        return bank_transaction_code(self.code_el, names) if self.code_el is not None else ""

    def whole(self, st: Statement, names: Names) -> Entry:
        """The entry as one record: a batch without details, or the batch whose identity its
        transactions carry as batch_id (camt.053 and camt.054 alike)."""
        return Entry(
            kind=self.kind,
            currency=self.currency,
            amount_minor=self.amount,
            value_date=self.value,
            location=self.location,
            booking_date=self.booking,
            account=st.account,
            bank_reference=self.reference,
            remittance_text=self.addtl,
            type_code=self.type_code(names),
        )


def _skip_reason(status: str, amount: int, credit: bool, reversal: bool) -> str:
    if status != "BOOK":
        return f"status {status}: not booked"
    if amount == 0:
        return "zero amount"
    if credit and reversal:
        return "reversal of a debit"
    if not credit and not reversal:
        return "debit"
    return ""


def _fallback_date(st: Statement, ntry: Element, location: str) -> dt.date:
    if st.fallback_date is None:
        raise IngestError(where(location, ntry), "an entry without ValDt or BookgDt in an undated statement")
    st.undated += 1
    return st.fallback_date


def _transactions(details: list[Element], names: Names, location: str) -> tuple[list[_Tx], int]:
    """Every TxDtls of the entry's NtryDtls blocks, and the batch size the blocks declare."""
    txs: list[_Tx] = []
    declared = 0
    for block_number, block in enumerate(details, 1):
        block_location = f"{location}/NtryDtls" + (f"[{block_number}]" if len(details) > 1 else "")
        for child in block:
            name = names[child.tag]
            if name == "TxDtls":
                txs.append(_read_tx(child, names, f"{block_location}/TxDtls[{len(txs) + 1}]"))
            elif name == "Btch":
                for part in child:
                    if names[part.tag] == "NbOfTxs" and text_of(part).isdigit():
                        declared += int(text_of(part))
    return txs, declared


def _read_tx(tx: Element, names: Names, location: str) -> _Tx:
    out = _Tx(location)
    for child in tx:
        name = names[child.tag]
        if name == "Refs":
            _references(child, names, out)
        elif name == "Amt":  # .08+: the transaction's amount in the entry's currency
            out.currency, out.amount = amount_element(child, location + "/Amt")
        elif name == "AmtDtls" and out.amount is None:
            _amount_details(child, names, location + "/AmtDtls", out)
        elif name == "RltdPties":
            _parties(child, names, out)
        elif name == "RmtInf":
            out.info = remittance(child, names, location)
        elif name == "AddtlTxInf":
            out.additional = normalized(child.text or "")
        elif name == "RtrInf":
            for part in child:
                if names[part.tag] == "Rsn":
                    out.return_reason = code_or_text(part, names)
        elif name == "BkTxCd":
            out.type_code = bank_transaction_code(child, names)
    return out


def _references(refs: Element, names: Names, out: _Tx) -> None:
    for child in refs:
        name = names[child.tag]
        if name == "AcctSvcrRef":
            out.reference = text_of(child)
        elif name == "EndToEndId":
            out.end_to_end_id = end_to_end(child.text or "")
        elif name == "TxId":
            out.transaction_id = text_of(child)


def _amount_details(element: Element, names: Names, location: str, out: _Tx) -> None:
    """AmtDtls/TxAmt/Amt: the amount booked for this transaction (InstdAmt is what was ordered,
    possibly in another currency, so it is not used)."""
    for child in element:
        if names[child.tag] == "TxAmt":
            for part in child:
                if names[part.tag] == "Amt":
                    out.currency, out.amount = amount_element(part, location + "/TxAmt/Amt")


def _parties(element: Element, names: Names, out: _Tx) -> None:
    for child in element:
        name = names[child.tag]
        if name == "Dbtr":
            out.payer_name = party_name(child, names)
        elif name == "DbtrAcct":
            out.payer_account = account_id(child, names)
        elif name == "UltmtDbtr":
            out.ultimate_payer = party_name(child, names)


def _emit(
    head: _Head, txs: list[_Tx], batch_count: int, st: Statement, names: Names, out: ParsedFile
) -> None:
    """The entry as one record, or one per transaction when it is a batch with details."""
    if not txs:
        if head.kind is EntryKind.RETURN:
            out.warnings.append(
                f"{head.location}: a reversal without TxDtls; the returned payment is unnamed"
            )
        out.entries.append(head.whole(st, names))
        return
    batch = len(txs) > 1 or batch_count > 1
    advice = st.notification and batch and head.kind is EntryKind.PAYMENT
    if len(txs) == 1 and not advice:
        # A reversal's TxDtls/Refs/AcctSvcrRef may be the reversed payment's own reference: a
        # return takes only its entry's, so it never shares the payment's identity.
        returned = head.kind is EntryKind.RETURN
        reference = head.reference or ("" if returned else txs[0].reference)
        out.entries.append(_item(head, txs[0], head.amount, reference, "", st, names))
        return
    if not _splittable(head, txs, out):
        out.entries.append(head.whole(st, names))
        return
    batch_id = head.whole(st, names).identity
    references = _item_references(head.reference, [tx.reference for tx in txs])
    for tx, reference in zip(txs, references, strict=True):
        assert tx.amount is not None  # _splittable checked
        if tx.amount == 0:
            out.skipped.append(Skipped(tx.location, "zero amount", 0, tx.currency))
            continue
        item = _item(head, tx, tx.amount, reference, batch_id, st, names)
        out.entries.append(dataclasses.replace(item, kind=EntryKind.ADVICE) if advice else item)


def _splittable(head: _Head, txs: list[_Tx], out: ParsedFile) -> bool:
    """Each transaction has its own amount in the entry's currency. A sum that differs from the
    entry's is reported (the items are still the file's own word on each transaction)."""
    for tx in txs:
        if tx.amount is None or tx.currency != head.currency:
            out.warnings.append(
                f"{tx.location}: no transaction amount in {head.currency}; the batch entry is kept whole"
            )
            return False
    total = sum(tx.amount or 0 for tx in txs)
    if total != head.amount:
        out.warnings.append(
            f"{head.location}: its {len(txs)} transactions sum to {total} minor units, "
            f"the entry says {head.amount}"
        )
    return True


def _item_references(entry_reference: str, own: list[str]) -> list[str]:
    """Each transaction's AcctSvcrRef when they are its own (all given, all different, none the
    entry's); else the entry's reference + "/<n>", so transactions never share one."""
    if all(own) and len(set(own)) == len(own) and entry_reference not in own:
        return own
    if entry_reference:
        return [f"{entry_reference}/{n}" for n in range(1, len(own) + 1)]
    return own


def _item(
    head: _Head, tx: _Tx, amount: int, reference: str, batch_id: str, st: Statement, names: Names
) -> Entry:
    info = tx.info
    # Without Ustrd, banks put the purpose in AddtlTxInf / AddtlNtryInf; the AddtlNtryInf of a
    # batch describes the batch ("collective credit, 3 items"), not one of its transactions.
    purpose = [t for t in (tx.additional, "" if batch_id else head.addtl) if t]
    if info is None:
        texts = purpose
    else:
        texts = info.texts + info.extra
        if not info.texts:
            texts.extend(purpose)
    returned = head.kind is EntryKind.RETURN
    return Entry(
        kind=head.kind,
        currency=head.currency,
        amount_minor=amount,
        value_date=head.value,
        location=tx.location if batch_id else head.location,
        booking_date=head.booking,
        account=st.account,
        payer_name=tx.payer_name or tx.ultimate_payer,
        payer_account=tx.payer_account,
        end_to_end_id=tx.end_to_end_id,
        bank_reference=reference,
        remittance_text=" ".join(texts),
        remittance=tuple(info.lines) if info is not None else (),
        batch_id=batch_id,
        original_reference=(tx.end_to_end_id or tx.reference or tx.transaction_id) if returned else "",
        return_reason=tx.return_reason if returned else "",
        type_code=tx.type_code or head.type_code(names),
    )
