"""A token issued or revoked takes effect on the very next call, on SQLite and PostgreSQL, also on
the paths that resolve the caller inside the call's own transaction (server/auth.py): batched
CreatePayment (engine/create_together.py), a write through CashApp.mutate, a read. A caller whose
token is refused only ever learns UNAUTHENTICATED, even for a request that is bad in itself."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from sqlalchemy import create_engine, func, select

from cashapp_client import Client, UnauthenticatedError, money
from engine.storage import tables as t
from server.app import Running, run_in_thread
from server.cli import main
from server.config import Settings

CALL_TIMEOUT_SECONDS = 30.0


def _tokens(capsys: pytest.CaptureFixture[str], database_url: str, *args: str) -> str:
    capsys.readouterr()
    code = main(["tokens", *args, "--database-url", database_url])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def _issue(capsys: pytest.CaptureFixture[str], database_url: str, tenant: str) -> str:
    (token,) = _tokens(capsys, database_url, "create", "--tenant", tenant).split()
    return token


def _revoke_all(capsys: pytest.CaptureFixture[str], database_url: str, tenant: str) -> None:
    for row in _tokens(capsys, database_url, "list", "--tenant", tenant).splitlines()[1:]:
        _tokens(capsys, database_url, "revoke", row.split()[0])


def _client(server: Running, token: str | None = None) -> Client:
    return Client(
        f"127.0.0.1:{server.port}", token=token, max_attempts=1, timeout_seconds=CALL_TIMEOUT_SECONDS
    )


def _payments_named(database_url: str, payment_id: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(t.payments).where(t.payments.c.payment_id == payment_id)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def server(database_url: str) -> Iterator[Running]:
    with run_in_thread(Settings(database_url=database_url, listen="127.0.0.1:0")) as running:
        yield running


def _create(client: Client, payment_id: str) -> None:
    client.create_payment(payment_id, amount=money("10.00", "EUR"), value_date="2026-11-20")


def test_an_issued_token_closes_the_open_server_on_the_next_call(
    capsys: pytest.CaptureFixture[str], database_url: str, server: Running
) -> None:
    with _client(server) as anonymous:
        _create(anonymous, "P-OPEN")  # open (loopback, no token): the default tenant
        token = _issue(capsys, database_url, "acme")
        with pytest.raises(UnauthenticatedError):
            _create(anonymous, "P-AFTER-ISSUE")  # the batched create
        with pytest.raises(UnauthenticatedError):
            anonymous.create_customer("C1", display_name="not written")  # CashApp.mutate
        with pytest.raises(UnauthenticatedError):
            anonymous.get_payment("P-OPEN")  # a read
    with _client(server, token) as acme:
        _create(acme, "P-ACME")
        assert acme.get_payment("P-ACME").payment_id == "P-ACME"
    assert _payments_named(database_url, "P-AFTER-ISSUE") == 0
    assert _payments_named(database_url, "P-ACME") == 1


def test_a_revoked_token_is_refused_on_its_next_call_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], database_url: str, server: Running
) -> None:
    token = _issue(capsys, database_url, "acme")
    other = _issue(capsys, database_url, "globex")  # still in force: the server stays closed
    with _client(server, token) as acme, _client(server, other) as globex:
        _create(acme, "P1")
        acme.create_customer("C1", display_name="ACME's customer")
        _revoke_all(capsys, database_url, "acme")
        with pytest.raises(UnauthenticatedError):
            _create(acme, "P2")
        with pytest.raises(UnauthenticatedError):
            acme.create_customer("C2", display_name="not written")
        with pytest.raises(UnauthenticatedError):
            acme.get_payment("P1")
        _create(globex, "P3")  # its neighbour in force is unaffected
    assert _payments_named(database_url, "P2") == 0
    assert _payments_named(database_url, "P3") == 1


def test_a_refused_caller_learns_nothing_about_its_bad_request(
    capsys: pytest.CaptureFixture[str], database_url: str, server: Running
) -> None:
    token = _issue(capsys, database_url, "acme")
    _revoke_all(capsys, database_url, "acme")
    _issue(capsys, database_url, "globex")  # a token in force: calls must authenticate
    with _client(server, token) as revoked:
        with pytest.raises(UnauthenticatedError):  # no amount: INVALID_ARGUMENT for a valid caller
            revoked.create_payment("P-BAD", amount=money("0.00", "EUR"), value_date="")
        with pytest.raises(UnauthenticatedError):
            revoked.get_payment("")  # a missing id
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        garbage = channel.unary_unary("/cashapp.v1.InvoiceService/GetInvoice")
        with pytest.raises(grpc.RpcError) as caught:
            garbage(b"\xff", metadata=(("authorization", f"Bearer {token}"),), timeout=CALL_TIMEOUT_SECONDS)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
