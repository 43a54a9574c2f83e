"""SWIFT MT940 (customer statement) and MT942 (interim transaction report) -> ParsedFile.

The PyPI `mt-940` library reads each statement's tags: the :61: statement lines (dates, the
debit/credit mark, amount, type, references), :25: account, :60F:/:62F: balances, :34F: floor
limits, :90C:/:90D: sums. It sits behind an adapter: engine.ingest.mt940_lines cuts the file into
statements of tags that know their line and rebuilds a text the library reads (envelopes, bank
headers and wrapped lines removed); engine.ingest.mt940_details reads the :86: field, whose bank
dialects the library leaves to the caller.

Marks: C is money received (a PAYMENT); D a debit (skipped); RC, the reversal of a credit, takes
received money back (a RETURN); RD, the reversal of a debit, is money of ours coming back, no
customer payment (skipped). A Dutch /RTRN/ on a debit returns a collected payment (a RETURN).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import mt940
from mt940.tags import StatementASNB

from engine.errors import InvalidArgument
from engine.ingest import mt940_details, mt940_lines
from engine.ingest.mt940_lines import Statement, Tag
from engine.ingest.records import ControlTotal, Entry, EntryKind, IngestError, ParsedFile, Skipped, end_to_end
from engine.ingest.text_amounts import decimal_comma
from engine.money import currency_exponent

NO_REFERENCE = "NONREF"
# ISO 4217 codes withdrawn with the euro (and their minor units): old statements still carry
# them. Their balances are checked; their entries are skipped, since no invoice is in them.
WITHDRAWN_CURRENCIES = {"DEM": 2, "FRF": 2, "NLG": 2, "BEF": 0, "ATS": 2, "FIM": 2, "IEP": 2, "ITL": 0}
_LIBRARY_ERRORS = (RuntimeError, ValueError, ArithmeticError, KeyError, IndexError, TypeError, AttributeError)
# The library logs every tag it cannot match at ERROR before raising, and this reader retries
# some of them (wrapped lines): the IngestError says what could not be read, so the library's own
# records stay out of the service's log.
_library_log = logging.getLogger("mt940")
_library_log.addHandler(logging.NullHandler())
_library_log.propagate = False


def parse(data: bytes) -> ParsedFile:
    """Read a whole MT940 or MT942 file; IngestError naming the line when it cannot be read."""
    statements = mt940_lines.statements(mt940_lines.decode(data))
    interim = all(s.first("60F", "60M") is None and s.first("34F") is not None for s in statements)
    parsed = ParsedFile(format="mt942" if interim else "mt940")
    for statement in statements:
        _read_statement(statement, _library_parse(statement), parsed)
    return parsed


def _library_parse(statement: Statement) -> Any:
    """The library's reading of one statement; ASN and SNS bank write an IBAN (longer than the
    standard's 16 characters) as the :61: customer reference, which its ASNB variant reads."""
    text = statement.library_text()
    try:
        return _run(text, None)
    except _LIBRARY_ERRORS as first:
        try:
            return _run(text, {61: StatementASNB()})
        except _LIBRARY_ERRORS:
            raise IngestError(_failed_location(statement, first), _failure(first)) from None


def _run(text: str, tags: dict[int | str, Any] | None) -> Any:
    transactions = mt940.models.Transactions(tags=tags)
    transactions.parse(text)
    return transactions


def _failed_location(statement: Statement, error: Exception) -> str:
    """The tag the library failed on. Its RuntimeError quotes the tag's value; other errors (a
    month 13 in a date) say nothing, so the first failing prefix of the statement is searched
    for by bisection (a prefix fails exactly when it holds the bad tag)."""
    value = error.args[2] if len(error.args) > 2 and isinstance(error.args[2], str) else None
    for tag in statement.tags:
        if value is not None and tag.value.strip() == value.strip():
            return tag.location
    low, high = 1, len(statement.tags)  # the prefix of `high` tags fails
    while low < high:
        middle = (low + high) // 2
        if _reads(Statement(statement.tags[:middle]).library_text()):
            low = middle + 1
        else:
            high = middle
    return statement.tags[high - 1].location


def _reads(text: str) -> bool:
    variants: tuple[dict[int | str, Any] | None, ...] = (None, {61: StatementASNB()})
    for tags in variants:
        try:
            _run(text, tags)
            return True
        except _LIBRARY_ERRORS:
            continue
    return False


def _failure(error: Exception) -> str:
    if isinstance(error, RuntimeError) and len(error.args) > 2:
        return f"{type(error.args[1]).__name__} tag cannot be read from {str(error.args[2])[:60]!r}"
    return f"cannot be read: {str(error)[:120]}"


@dataclass(slots=True)
class _Money:
    currency: str
    exponent: int
    withdrawn: bool


def _money(currency: str, location: str) -> _Money:
    currency = (currency or "").strip().upper()
    if currency in WITHDRAWN_CURRENCIES:
        return _Money(currency, WITHDRAWN_CURRENCIES[currency], True)
    try:
        return _Money(currency, currency_exponent(currency), False)
    except InvalidArgument:
        raise IngestError(location, f"unknown currency code {currency[:10]!r}") from None


def _minor(amount: Decimal, money: _Money, location: str) -> int:
    """The library's exact Decimal (read from the file's digits) as integer minor units."""
    text = format(abs(amount), "f").replace(".", ",")
    return decimal_comma(text if "," in text else text + ",", money.exponent, location)


def _read_statement(statement: Statement, library: Any, parsed: ParsedFile) -> None:
    lines = _lines_with_details(statement)
    if len(lines) != len(library):
        raise IngestError(f"line {statement.line}", "the statement's :61: lines could not all be read")
    account_tag = statement.first("25")
    account = _account(library.data.get("account_identification") or "")
    if account_tag is None or not account:
        raise IngestError(f"line {statement.line}", "the statement has no account (:25:)")
    currency = _currency(library)
    location = statement.first("60F", "60M", "34F", "61") or account_tag
    money = _money(currency, location.location)
    amounts: dict[str, list[int]] = {"C": [], "D": []}  # by side: C and RD add, D and RC take
    for (tag, details), transaction in zip(lines, library, strict=True):
        side, amount = _statement_line(tag, details, transaction.data, account, money, parsed)
        amounts[side].append(amount)
    reference = (library.data.get("transaction_reference") or "").strip()
    net = sum(amounts["C"]) - sum(amounts["D"])
    _balance(statement, library.data, net, len(lines), money, reference, parsed)
    _interim_controls(statement, library.data, amounts, money, reference, parsed)


def _account(identification: str) -> str:
    """The :25: account: Rabobank writes "IBAN EUR", ING "IBANEUR"; the currency is not part of it."""
    account = identification.strip().split(" ")[0]
    if len(account) > 3 and account[-3:].isalpha() and mt940_details.looks_like_iban(account[:-3]):
        return account[:-3]
    return account


def _currency(library: Any) -> str:
    """The statement's currency: its opening balance's, else (MT942) its floor limit's, else its
    first entry's."""
    data = library.data
    for key in ("final_opening_balance", "intermediate_opening_balance"):
        if data.get(key) is not None:
            return str(data[key].amount.currency or "")
    for key in ("d_floor_limit", "c_floor_limit"):
        if data.get(key) is not None:
            return str(data[key].currency or "")
    return str(library[0].data["amount"].currency or "") if len(library) else ""


def _lines_with_details(statement: Statement) -> list[tuple[Tag, Tag | None]]:
    """Each :61: with the :86: right after it (its information to the account owner), if any."""
    tags = statement.tags
    return [
        (tag, tags[i + 1] if i + 1 < len(tags) and tags[i + 1].name == "86" else None)
        for i, tag in enumerate(tags)
        if tag.name == "61"
    ]


def _statement_line(
    tag: Tag, details_tag: Tag | None, data: dict[str, Any], account: str, money: _Money, parsed: ParsedFile
) -> tuple[str, int]:
    """One :61: as an Entry or a Skipped; returns its side of the balance (C adds, D takes) and
    its amount."""
    mark = str(data.get("status") or "").upper()
    amount = _minor(data["amount"].amount, money, f"{tag.location} amount")
    signed = ("C" if mark in ("C", "RD") else "D", amount)
    details = mt940_details.read(details_tag)
    parsed.warnings.extend(details.warnings)
    returned = mark == "RC" or (mark == "D" and bool(details.return_reason))
    reason = _skip_reason(mark, amount, money, returned)
    if not reason and mark == "C" and details.return_reason:
        reason = f"a payment of ours returned (/RTRN/{details.return_reason}): not a customer payment"
    if reason:
        parsed.skipped.append(Skipped(tag.location, reason, amount, money.currency))
        return signed
    customer_reference = str(data.get("customer_reference") or "").strip()
    bank_reference = str(data.get("bank_reference") or "").strip()
    supplementary = str(data.get("extra_details") or "").strip()
    payer_account, payer_name = details.payer_account, details.payer_name
    if not payer_account and mt940_details.looks_like_iban(customer_reference):
        # ASN and SNS bank: the payer's IBAN as customer reference, its name as supplementary details.
        payer_account, payer_name = customer_reference, payer_name or supplementary
    elif not payer_account and mt940_details.looks_like_iban(supplementary):
        payer_account = supplementary  # Rabobank: the payer's IBAN as supplementary details
    value_date: dt.date = data["date"]
    entry_date = data.get("entry_date")
    own_reference = "" if customer_reference.upper() in (NO_REFERENCE, "EREF") else customer_reference
    parsed.entries.append(
        Entry(
            kind=EntryKind.RETURN if returned else EntryKind.PAYMENT,
            currency=money.currency,
            amount_minor=amount,
            value_date=dt.date(value_date.year, value_date.month, value_date.day),
            location=tag.location,
            booking_date=dt.date(entry_date.year, entry_date.month, entry_date.day) if entry_date else None,
            account=account,
            payer_name=payer_name,
            payer_account=payer_account,
            end_to_end_id=end_to_end(details.end_to_end_id),
            bank_reference="" if bank_reference.upper() == NO_REFERENCE else bank_reference,
            remittance_text=details.remittance_text,
            remittance=details.remittance,
            original_reference=(own_reference or end_to_end(details.end_to_end_id)) if returned else "",
            return_reason=details.return_reason if returned else "",
            type_code=details.type_code or str(data.get("id") or "").strip(),
        )
    )
    return signed


def _skip_reason(mark: str, amount: int, money: _Money, returned: bool) -> str:
    if amount == 0:
        return "zero amount"
    if mark == "RD":
        return "reversal of a debit (RD): our own money coming back, not a customer payment"
    if mark == "C" and money.withdrawn:
        return f"{money.currency} is a withdrawn currency: no invoice is in it"
    if mark not in ("C", "D", "RC"):
        return f"debit/credit mark {mark!r} is none of C, D, RC, RD"
    if mark == "D" and not returned:
        return "debit"
    return ""


def _balance(
    statement: Statement,
    data: dict[str, Any],
    net: int,
    count: int,
    money: _Money,
    reference: str,
    parsed: ParsedFile,
) -> None:
    """Opening balance + credits - debits = closing balance, as a ControlTotal."""
    opening = data.get("final_opening_balance") or data.get("intermediate_opening_balance")
    closing = data.get("final_closing_balance") or data.get("intermediate_closing_balance")
    if opening is None and closing is None:
        return  # an MT942 has no balances
    if opening is None or closing is None:
        parsed.warnings.append(
            f"line {statement.line}: statement {reference} lacks its opening or closing balance"
        )
        return
    where = f"line {statement.line}"
    declared = _signed(closing, money, where) - _signed(opening, money, where)
    control = ControlTotal(f"statement {reference} ({where})", count, net, None, declared)
    parsed.controls.append(control)
    if not control.agrees:
        parsed.warnings.append(
            f"{where}: statement {reference}: opening {_signed(opening, money, where)} + entries {net} "
            f"is not the closing balance {_signed(closing, money, where)}"
        )


def _signed(balance: Any, money: _Money, where: str) -> int:
    minor = _minor(balance.amount.amount, money, f"{where} balance")
    return -minor if str(balance.status).upper() == "D" else minor


def _interim_controls(
    statement: Statement,
    data: dict[str, Any],
    amounts: dict[str, list[int]],
    money: _Money,
    reference: str,
    parsed: ParsedFile,
) -> None:
    """MT942: the :90C:/:90D: numbers and sums of credits and debits, and the :34F: floor limit
    (nothing under it may be reported), each a ControlTotal."""
    where = f"line {statement.line}"
    for mark, key in (("C", "sum_credit_entries"), ("D", "sum_debit_entries")):
        declared = data.get(key)
        if declared is None:
            continue
        control = ControlTotal(
            f"statement {reference} {'credits' if mark == 'C' else 'debits'} (:90{mark}:)",
            len(amounts[mark]),
            sum(amounts[mark]),
            _count(str(declared.number), f"{where} :90{mark}:"),
            _minor(declared.amount, money, f"{where} :90{mark}:"),
        )
        parsed.controls.append(control)
        if not control.agrees:
            parsed.warnings.append(
                f"{where}: statement {reference} declares {control.declared_count} "
                f"{'credits' if mark == 'C' else 'debits'} of {control.declared_sum_minor}; "
                f"it has {control.counted} of {control.summed_minor}"
            )
    _floor_limits(data, amounts, money, reference, where, parsed)


def _count(number: str, location: str) -> int | None:
    """The number of entries a :90C:/:90D: declares (it may leave it out)."""
    if not number:
        return None
    if not number.isdigit() or len(number) > 9:
        raise IngestError(location, f"the number of entries {number[:20]!r} is not a count")
    return int(number)


def _floor_limits(
    data: dict[str, Any],
    amounts: dict[str, list[int]],
    money: _Money,
    reference: str,
    where: str,
    parsed: ParsedFile,
) -> None:
    for mark, key in (("C", "c_floor_limit"), ("D", "d_floor_limit")):
        limit = data.get(key)
        if limit is None:
            continue
        floor = _minor(limit.amount, money, f"{where} :34F:")
        under = [a for a in amounts[mark] if a < floor]
        control = ControlTotal(
            f"statement {reference} {mark} floor limit {floor} (:34F:)", len(under), sum(under), 0, 0
        )
        parsed.controls.append(control)
        if not control.agrees:
            parsed.warnings.append(
                f"{where}: statement {reference} reports {len(under)} entries under its floor limit"
            )
