"""engine.journal_effects: resources posted more than once, found in one pass over the chain."""

from __future__ import annotations

from engine import journal_chain as chain
from engine.journal_effects import RepeatedEffects


def _entry(entry_id: str, kind: str, invoice_id: str | None, payment_id: str | None) -> chain.ChainedEntry:
    lines = (
        chain.StoredLine(0, "AR", "EUR", 100, "C1", invoice_id, payment_id),
        chain.StoredLine(1, "REVENUE", "EUR", -100, "C1", invoice_id, payment_id),
    )
    return chain.ChainedEntry(0, "", "", chain.StoredEntry(entry_id, kind, None, "", 0, lines))


def _repeated(entries: list[chain.ChainedEntry], limit: int = 100) -> list[tuple[str, str | None, int]]:
    effects = RepeatedEffects()
    assert list(effects.observe(entries)) == entries  # passed through unchanged
    return effects.repeated(limit)


def test_each_repeat_is_counted_per_kind_and_resource_in_report_order() -> None:
    entries = [
        _entry("r1", "PAYMENT_RECEIVED", None, "P1"),
        _entry("i1", "INVOICE_ISSUED", "I2", None),
        _entry("r2", "PAYMENT_RECEIVED", None, "P1"),
        _entry("i2", "INVOICE_ISSUED", "I2", None),
        _entry("i3", "INVOICE_ISSUED", "I2", None),
        _entry("i4", "INVOICE_ISSUED", "I1", None),
        _entry("x1", "PAYMENT_RETURNED", None, "P1"),  # a return after a receipt is not a repeat
        _entry("a1", "APPLICATION", "I1", "P1"),  # applications may be many per resource
        _entry("a2", "APPLICATION", "I1", "P1"),
    ]
    assert _repeated(entries) == [("INVOICE_ISSUED", "I2", 3), ("PAYMENT_RECEIVED", "P1", 2)]


def test_lines_naming_no_resource_count_together_and_the_limit_holds() -> None:
    entries = [_entry(f"r{n}", "PAYMENT_RECEIVED", None, None) for n in range(2)]
    entries += [_entry(f"i{n}{k}", "INVOICE_ISSUED", f"I{n}", None) for n in range(3) for k in range(2)]
    assert _repeated(entries) == [
        ("INVOICE_ISSUED", "I0", 2), ("INVOICE_ISSUED", "I1", 2), ("INVOICE_ISSUED", "I2", 2),
        ("PAYMENT_RECEIVED", None, 2),
    ]  # fmt: skip
    assert _repeated(entries, limit=2) == [("INVOICE_ISSUED", "I0", 2), ("INVOICE_ISSUED", "I1", 2)]
