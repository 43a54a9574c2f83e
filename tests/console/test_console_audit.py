"""Who did what, as the console shows it: each clerk acts with a token of their own (stored,
described by the clerk's name), so what a clerk accepts, puts on account or returns in the
queue is recorded by the engine with that clerk as its actor and shown in the invoice's and the
payment's history; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from cashapp_client import Client, MatchException
from console.app import create_app
from console.users import Clerk, hash_password
from console.web import ConsoleConfig
from engine.storage.db import Database
from engine.storage.token_store import TokenStore
from server.app import run_in_thread
from server.config import Settings
from server.demo import load_book
from tests.console.helpers import PASSWORDS, TENANT, TEST_ROUNDS, TODAY, sign_in


@dataclass
class Audited:
    target: str
    api: Client
    clerks: dict[str, Clerk]
    actors: dict[str, str]  # clerk name -> the actor the engine records for their token


@pytest.fixture
def audited(database_url: str) -> Iterator[Audited]:
    with run_in_thread(Settings(database_url=database_url, listen="127.0.0.1:0")) as running:
        db = Database(database_url)
        try:
            store = TokenStore(db)
            issued = {name: store.create(TENANT, name) for name in ("alice", "bob", "loader")}
        finally:
            db.dispose()
        clerks = {
            name: Clerk(name, hash_password(PASSWORDS[name], iterations=TEST_ROUNDS), issued[name].secret)
            for name in ("alice", "bob")
        }
        actors = {name: f"{name} (token {token.token.token_id})" for name, token in issued.items()}
        target = f"127.0.0.1:{running.port}"
        with Client(target, token=issued["loader"].secret) as api:
            load_book(api)
            api.auto_apply(all_payments=True)
            yield Audited(target, api, clerks, actors)


@contextmanager
def console_for(audited: Audited, name: str) -> Iterator[TestClient]:
    """A console signed in as `name` (each clerk their own session)."""
    config = ConsoleConfig(
        target=audited.target, clerks=audited.clerks, secret_key="k" * 40, today=lambda: TODAY
    )
    with TestClient(create_app(config)) as http:
        http.headers["X-CSRF-Token"] = sign_in(http, name)
        yield http


def _open(audited: Audited, reason: str) -> MatchException:
    return next(e for e in audited.api.list_exceptions() if e.reason == reason)


def test_histories_show_which_clerk_accepted_and_which_returned(audited: Audited) -> None:
    with console_for(audited, "alice") as alice, console_for(audited, "bob") as bob:
        ambiguous = _open(audited, "AMBIGUOUS_AMOUNT_MATCH")
        invoice_id = ambiguous.suggestions[0].invoice_ids[0]
        assert alice.post(f"/queue/{ambiguous.exception_id}/accept", data={"rank": "1"}).status_code == 200
        applications = audited.api.get_payment(ambiguous.payment_id).applications
        assert {a.actor for a in applications} == {audited.actors["alice"]}
        history = alice.get(f"/invoices/{invoice_id}").text
        assert f'data-actor="{audited.actors["alice"]}"' in history
        assert audited.actors["bob"] not in history

        unknown = _open(audited, "NO_CUSTOMER_IDENTIFIED")
        assert (
            bob.post(f"/queue/{unknown.exception_id}/return", data={"reason_code": "R01"}).status_code == 200
        )
        page = bob.get(f"/payments/{unknown.payment_id}").text
        # Bob's return is recorded as his; the decision that queued the payment was the loader's.
        (returned,) = [r for r in audited.api.list_returns() if r.payment_id == unknown.payment_id]
        assert returned.actor == audited.actors["bob"]
        assert f'data-actor="{audited.actors["loader"]}"' in page

        duplicate = _open(audited, "POSSIBLE_DUPLICATE")
        assert bob.post(f"/queue/{duplicate.exception_id}/on-account", data={}).status_code == 200
        page = alice.get(f"/payments/{duplicate.payment_id}").text
        assert f'data-actor="{audited.actors["bob"]}"' in page  # the PUT_ON_ACCOUNT decision
        # Each decision links to the trace that made it (the embedded server always traces).
        decisions = list(audited.api.list_decisions(payment_id=duplicate.payment_id))
        assert decisions and all(len(d.trace_id) == 32 for d in decisions)
        for d in decisions:
            assert f'data-trace-id="{d.trace_id}"' in page
        report = audited.api.get_reconciliation_report()
        assert report.all_passed
