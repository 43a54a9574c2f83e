"""The world's records and their JSON-lines form.

Every record is a frozen dataclass; `write` and `read` round-trip a world through five files
(customers, invoices, credit memos, payments, truth) with sorted keys, so the same seed gives
byte-identical files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.quality.truth import Outcome, Truth


@dataclass(frozen=True)
class Terms:
    net_days: int
    discount_days: int = 0
    discount_basis_points: int = 0


@dataclass(frozen=True)
class Customer:
    customer_id: str
    display_name: str
    country: str
    currency: str
    payer_accounts: tuple[str, ...]
    terms: Terms
    name_aliases: tuple[str, ...] = ()
    tolerance_minor: int | None = None


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    customer_id: str
    amount_minor: int
    currency: str
    issue_date: str
    due_date: str


@dataclass(frozen=True)
class CreditMemo:
    """A goods return credited against an invoice before it is paid (ReturnGoods)."""

    return_id: str
    invoice_id: str
    amount_minor: int
    currency: str
    reason_code: str


@dataclass(frozen=True)
class Payment:
    """What a bank file carries: no customer id, the engine has to find the customer."""

    payment_id: str
    amount_minor: int
    currency: str
    value_date: str
    payer_account: str
    payer_name: str
    remittance_info: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class World:
    seed: int
    customers: tuple[Customer, ...]
    invoices: tuple[Invoice, ...]
    credit_memos: tuple[CreditMemo, ...]
    payments: tuple[Payment, ...]
    truths: tuple[Truth, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)

    def truth_by_payment(self) -> dict[str, Truth]:
        return {truth.payment_id: truth for truth in self.truths}


FILES = ("customers", "invoices", "credit_memos", "payments", "truth")


def _line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _truth_record(truth: Truth) -> dict[str, Any]:
    return {
        "payment_id": truth.payment_id,
        "kind": truth.kind,
        "outcome": truth.outcome.value,
        "allocations": dict(sorted(truth.allocations.items())),
        "group": truth.group,
        "note": truth.note,
    }


def lines(world: World) -> dict[str, list[str]]:
    """The JSON lines of each file, in the world's order."""
    return {
        "customers": [_line(asdict(c)) for c in world.customers],
        "invoices": [_line(asdict(i)) for i in world.invoices],
        "credit_memos": [_line(asdict(m)) for m in world.credit_memos],
        "payments": [_line(asdict(p)) for p in world.payments],
        "truth": [_line(_truth_record(t)) for t in world.truths],
    }


def write(world: World, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in lines(world).items():
        (directory / f"{name}.jsonl").write_text("".join(f"{line}\n" for line in content), encoding="utf-8")
    (directory / "meta.json").write_text(_line({"seed": world.seed, **world.meta}) + "\n", encoding="utf-8")


def _records(path: Path) -> Iterable[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line:
            yield json.loads(line)


def _customer(record: dict[str, Any]) -> Customer:
    return Customer(
        **{
            **record,
            "payer_accounts": tuple(record["payer_accounts"]),
            "name_aliases": tuple(record["name_aliases"]),
            "terms": Terms(**record["terms"]),
        }
    )


def _truth(record: dict[str, Any]) -> Truth:
    return Truth(
        payment_id=record["payment_id"],
        kind=record["kind"],
        outcome=Outcome(record["outcome"]),
        allocations={k: int(v) for k, v in record["allocations"].items()},
        group=record["group"],
        note=record["note"],
    )


def read(directory: Path) -> World:
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    seed = int(meta.pop("seed"))
    return World(
        seed=seed,
        customers=tuple(_customer(r) for r in _records(directory / "customers.jsonl")),
        invoices=tuple(Invoice(**r) for r in _records(directory / "invoices.jsonl")),
        credit_memos=tuple(CreditMemo(**r) for r in _records(directory / "credit_memos.jsonl")),
        payments=tuple(
            Payment(**{**r, "references": tuple(r["references"])})
            for r in _records(directory / "payments.jsonl")
        ),
        truths=tuple(_truth(r) for r in _records(directory / "truth.jsonl")),
        meta=meta,
    )
