"""Payer-name indexes are kept between rounds and rebuilt only when the tenant's customers change."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from engine.matching import name_cache


class _Book:
    """What name_cache reads of a store: the customers' stamp and names, counting the loads."""

    def __init__(self, url: str, tenant: str) -> None:
        self.conn = SimpleNamespace(
            engine=SimpleNamespace(url=SimpleNamespace(render_as_string=lambda **_: url))
        )
        self.tenant_id = tenant
        self.customers: list[tuple[str, str, tuple[str, ...]]] = [("C1", "Alpha Trading GmbH", ())]
        self.updates = 1
        self.loads = 0

    def customer_names_stamp(self) -> str:
        return f"{len(self.customers)}/{self.updates}"

    def customer_names(self) -> list[tuple[str, str, tuple[str, ...]]]:
        self.loads += 1
        return list(self.customers)


def _best(book: Any, name: str) -> str | None:
    return name_cache.KeptNames(book).best(name).customer_id


def test_the_index_is_built_once_while_the_customers_stay_the_same() -> None:
    book = _Book("sqlite:///kept-1.db", "t")
    assert _best(book, "ALPHA TRADING") == "C1"
    assert _best(book, "Alpha Trading G.m.b.H.") == "C1"
    assert book.loads == 1


def test_a_new_or_changed_customer_rebuilds_it() -> None:
    book = _Book("sqlite:///kept-2.db", "t")
    assert _best(book, "BETA FOODS") is None
    book.customers.append(("C2", "Beta Foods AG", ()))
    assert _best(book, "BETA FOODS") == "C2"
    book.customers[1] = ("C2", "Beta Foods AG", ("Gamma Nutrition",))
    book.updates += 1
    assert _best(book, "GAMMA NUTRITION") == "C2"
    assert book.loads == 3


def test_tenants_and_databases_keep_their_own_index() -> None:
    one, other_tenant, other_db = (
        _Book("sqlite:///kept-3.db", "t"),
        _Book("sqlite:///kept-3.db", "u"),
        _Book("sqlite:///kept-4.db", "t"),
    )
    other_tenant.customers = [("X1", "Xeno Parts Ltd", ())]
    other_db.customers = [("Y1", "Yellow Mills Inc", ())]
    assert (
        _best(one, "ALPHA TRADING"),
        _best(other_tenant, "XENO PARTS"),
        _best(other_db, "YELLOW MILLS"),
    ) == (
        "C1",
        "X1",
        "Y1",
    )
    assert _best(one, "XENO PARTS") is None


def test_a_round_that_needs_no_name_never_reads_the_customers() -> None:
    book = _Book("sqlite:///kept-5.db", "t")
    name_cache.KeptNames(book)  # type: ignore[arg-type]
    assert book.loads == 0
