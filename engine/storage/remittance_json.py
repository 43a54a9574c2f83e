"""Structured remittance lines as stored: a JSON list in payments.remittance_lines and
remittance_advice.remittance_lines. Amounts stay integers (minor units); absent ones are null."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engine import model as m


def lines_to_json(lines: Sequence[m.RemittanceLine]) -> str:
    return json.dumps([_line(line) for line in lines], separators=(",", ":"), ensure_ascii=False)


EMPTY_LIST = "[]"


def lines_from_json(text: str) -> tuple[m.RemittanceLine, ...]:
    if not text or text == EMPTY_LIST:  # most payments: no decoder for them (rows are read by thousands)
        return ()
    return tuple(_parse(item) for item in json.loads(text))


def json_strings(text: str) -> tuple[str, ...]:
    """A stored JSON list of strings (a payment's references) as a tuple."""
    if not text or text == EMPTY_LIST:
        return ()
    return tuple(json.loads(text))


def _line(line: m.RemittanceLine) -> dict[str, Any]:
    return {
        "reference": line.reference,
        "paid_minor": line.paid_minor,
        "invoiced_minor": line.invoiced_minor,
        "discount_minor": line.discount_minor,
        "adjustments": [
            {"amount_minor": a.amount_minor, "reason_code": a.reason_code, "text": a.text}
            for a in line.adjustments
        ],
        "kind": line.kind,
    }


def _parse(item: dict[str, Any]) -> m.RemittanceLine:
    return m.RemittanceLine(
        reference=item["reference"],
        paid_minor=item.get("paid_minor"),
        invoiced_minor=item.get("invoiced_minor"),
        discount_minor=item.get("discount_minor", 0),
        adjustments=tuple(
            m.Adjustment(a["amount_minor"], a.get("reason_code", ""), a.get("text", ""))
            for a in item.get("adjustments", ())
        ),
        kind=item.get("kind", "INVOICE"),
    )
