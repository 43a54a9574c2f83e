"""The control totals a camt statement declares, and how they compare with its entries.

Bal (OPBD or PRCD opening, CLBD closing) and TxsSummry (TtlNtries, TtlCdtNtries, TtlDbtNtries:
NbOfNtries, Sum) come before the entries; they are read when they end and compared when the
statement ends. A mismatch is a warning: the entries are still the bank's word on each movement,
and a person should look at the statement before trusting it.
"""

from __future__ import annotations

from engine.ingest.camt_entries import Statement
from engine.ingest.camt_fields import (
    Element,
    Names,
    amount_element,
    code_or_text,
    exponent_of,
    minor_units,
    text_of,
    where,
)
from engine.ingest.records import ControlTotal, IngestError, ParsedFile
from engine.money import Money

_OPENING = ("OPBD", "PRCD")  # opening booked; else the previous closing booked
_SUMMARIES = ("TtlNtries", "TtlCdtNtries", "TtlDbtNtries")


def read_balance(bal: Element, names: Names, st: Statement) -> None:
    """One Bal: keeps the opening and the closing booked balance, signed (DBIT is negative)."""
    location = f"{st.scope}/Bal"
    code, amount, sign = "", None, 1
    for child in bal:
        name = names[child.tag]
        if name == "Tp":
            code = code_or_text(child, names).upper()
        elif name == "Amt":
            amount = amount_element(child, location + "/Amt")
        elif name == "CdtDbtInd" and text_of(child) == "DBIT":
            sign = -1
    if amount is None:
        raise IngestError(where(location, bal), "a balance without an amount (Amt)")
    currency, minor = amount
    if code in _OPENING and (st.opening is None or code == "OPBD"):
        st.opening = (currency, sign * minor)
    elif code == "CLBD":
        st.closing = (currency, sign * minor)
    if not st.currency:
        st.currency = currency


def read_summary(summary: Element, names: Names, st: Statement) -> None:
    """TxsSummry: the declared count and sum (Sum text, read once the currency is known)."""
    for child in summary:
        name = names[child.tag]
        if name not in _SUMMARIES:
            continue
        count: int | None = None
        total: str | None = None
        for part in child:
            part_name = names[part.tag]
            if part_name == "NbOfNtries":
                raw = text_of(part)
                if not raw.isdigit():
                    raise IngestError(
                        where(f"{st.scope}/TxsSummry/{name}/NbOfNtries", part), f"{raw!r} is not a count"
                    )
                count = int(raw)
            elif part_name == "Sum":
                total = text_of(part)
        st.summary[name] = (count, total, where(f"{st.scope}/TxsSummry/{name}", child))


def finish_statement(st: Statement, out: ParsedFile) -> None:
    """The statement's controls and the warnings its entries left."""
    if st.without_status:
        out.warnings.append(f"{st.scope}: {st.without_status} entries without Sts, read as booked (BOOK)")
    if st.undated:
        out.warnings.append(
            f"{st.scope}: {st.undated} entries without ValDt or BookgDt, dated from the statement"
        )
    currency = st.currency or (next(iter(st.currencies)) if len(st.currencies) == 1 else "")
    counted = {
        "TtlNtries": (st.entries, st.entries_minor),
        "TtlCdtNtries": (st.credits, st.credits_minor),
        "TtlDbtNtries": (st.debits, st.debits_minor),
    }
    for name, (declared_count, declared_text, location) in st.summary.items():
        declared_sum = _declared_sum(declared_text, currency, st, location, out)
        count, summed = counted[name]
        _record(
            ControlTotal(f"{st.scope} {name}", count, summed, declared_count, declared_sum), currency, out
        )
    if st.opening is not None and st.closing is not None:
        if len(st.currencies - {st.opening[0]}) == 0:
            computed = st.opening[1] + st.booked_net_minor
            control = ControlTotal(f"{st.scope} balance", st.booked, computed, None, st.closing[1])
            _record(control, st.opening[0], out, "opening balance + booked credits - booked debits")
        else:
            out.warnings.append(
                f"{st.scope}: entries in a currency other than the balance's; balance not checked"
            )


def _declared_sum(
    text: str | None, currency: str, st: Statement, location: str, out: ParsedFile
) -> int | None:
    if text is None:
        return None
    if not currency or len(st.currencies) > 1:
        out.warnings.append(f"{location}: a Sum over several currencies; only the count is checked")
        return None
    return minor_units(text, exponent_of(currency, location), currency, location + "/Sum")


def _record(control: ControlTotal, currency: str, out: ParsedFile, what: str = "") -> None:
    out.controls.append(control)
    if control.agrees:
        return

    def money(minor: int | None) -> str:
        return Money(minor, currency).format() if minor is not None and currency else str(minor)

    if what:  # the balance check
        out.warnings.append(
            f"{control.scope}: {what} = {money(control.summed_minor)}, "
            f"the closing balance (CLBD) says {money(control.declared_sum_minor)}"
        )
        return
    declared = [f"{control.declared_count} entries"] if control.declared_count is not None else []
    if control.declared_sum_minor is not None:
        declared.append(f"a sum of {money(control.declared_sum_minor)}")
    out.warnings.append(
        f"{control.scope}: the file declares {' and '.join(declared)}; "
        f"it holds {control.counted} entries summing {money(control.summed_minor)}"
    )
