"""A real in-process gRPC server (SQLite and PostgreSQL) seeded with the demo's book, and the
console's ASGI app in front of it, signed in through its own login form."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from cashapp_client import Client
from console.app import create_app
from console.users import Clerk, hash_password
from console.web import ConsoleConfig
from server.app import run_in_thread
from server.config import Settings
from server.demo import load_book
from tests.console.helpers import PASSWORDS, TEST_ROUNDS, TODAY, TOKENS, sign_in


def clerks() -> dict[str, Clerk]:
    return {
        "alice": Clerk("alice", hash_password(PASSWORDS["alice"], iterations=TEST_ROUNDS), TOKENS[0][0]),
        "bob": Clerk("bob", hash_password(PASSWORDS["bob"], iterations=TEST_ROUNDS), TOKENS[1][0]),
    }


@dataclass
class Seeded:
    target: str
    api: Client  # the test's own view of the ledger, with a tenant token


@pytest.fixture
def seeded(database_url: str) -> Iterator[Seeded]:
    settings = Settings(database_url=database_url, listen="127.0.0.1:0", tokens=TOKENS)
    with run_in_thread(settings) as running:
        target = f"127.0.0.1:{running.port}"
        with Client(target, token=TOKENS[0][0]) as api:
            load_book(api)
            api.auto_apply(all_payments=True)
            yield Seeded(target, api)


@pytest.fixture
def console(seeded: Seeded) -> Iterator[TestClient]:
    config = ConsoleConfig(target=seeded.target, clerks=clerks(), secret_key="k" * 40, today=lambda: TODAY)
    with TestClient(create_app(config)) as http:
        http.headers["X-CSRF-Token"] = sign_in(http)
        yield http
