"""Small CSV bank files for the import tests, written the way the documented header says."""

from __future__ import annotations

from collections.abc import Iterable

HEADER = (
    "kind,amount,currency,value_date,payer_name,payer_account,bank_reference,end_to_end_id,"
    "remittance_text,invoice_references,original_reference,return_reason"
)
ACCOUNT = "DE89370400440532013000"


def row(
    amount: str,
    bank_reference: str,
    *,
    kind: str = "PAYMENT",
    value_date: str = "2026-11-20",
    payer_name: str = "ACME GmbH",
    payer_account: str = ACCOUNT,
    end_to_end_id: str = "",
    text: str = "",
    references: str = "",
    original_reference: str = "",
    return_reason: str = "",
) -> str:
    cells = [kind, amount, "EUR", value_date, payer_name, payer_account, bank_reference, end_to_end_id]
    cells += [text, f'"{references}"' if references else "", original_reference, return_reason]
    return ",".join(cells)


def csv_file(rows: Iterable[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()
