"""API tokens stored hashed and managed by `cashapp tokens create|list|revoke`, on SQLite and
PostgreSQL: a created token authenticates its tenant on the real server, a revoked one is refused
on its next call, listings never show a token, the database holds only hashes, and bad input is
refused with nothing changed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select

from cashapp_client import Client, NotFoundError, UnauthenticatedError
from engine.storage import tables as t
from server.app import Running, run_in_thread
from server.cli import main
from server.config import Settings

CALL_TIMEOUT_SECONDS = 30.0


def tokens(capsys: pytest.CaptureFixture[str], database_url: str, *args: str) -> tuple[int, str, str]:
    """Runs `cashapp tokens ...` in this process; returns exit code, stdout, stderr."""
    capsys.readouterr()
    code = main(["tokens", *args, "--database-url", database_url])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def create(capsys: pytest.CaptureFixture[str], database_url: str, tenant: str, description: str = "") -> str:
    code, out, err = tokens(capsys, database_url, "create", "--tenant", tenant, "--description", description)
    assert code == 0, err
    (token,) = out.split()
    return token


def token_id_of(capsys: pytest.CaptureFixture[str], database_url: str, tenant: str) -> str:
    code, out, _ = tokens(capsys, database_url, "list", "--tenant", tenant)
    assert code == 0
    rows = out.splitlines()[1:]
    assert len(rows) == 1, out
    return rows[0].split()[0]


def client(server: Running, token: str | None = None) -> Client:
    return Client(
        f"127.0.0.1:{server.port}", token=token, max_attempts=1, timeout_seconds=CALL_TIMEOUT_SECONDS
    )


@pytest.fixture
def server(database_url: str) -> Iterator[Running]:
    with run_in_thread(Settings(database_url=database_url, listen="127.0.0.1:0")) as running:
        yield running


def test_create_prints_the_token_once_and_list_shows_everything_but_the_token(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    code, out, err = tokens(capsys, database_url, "create", "--tenant", "acme", "--description", "ERP")
    assert code == 0
    token = out.strip()
    assert token.startswith("cashapp_") and len(token) >= 40
    assert "shown only this once" in err
    create(capsys, database_url, "globex")
    code, listing, _ = tokens(capsys, database_url, "list")
    assert code == 0
    header, *rows = listing.splitlines()
    assert header.split() == ["ID", "TENANT", "PREFIX", "CREATED", "REVOKED", "DESCRIPTION"]
    assert [row.split()[1] for row in rows] == ["acme", "globex"]
    acme = rows[0].split()
    assert acme[2] == token[:16] and acme[4] == "-" and acme[5] == "ERP"
    assert token not in listing and token[16:] not in listing
    _, only_globex, _ = tokens(capsys, database_url, "list", "--tenant", "globex")
    assert [row.split()[1] for row in only_globex.splitlines()[1:]] == ["globex"]


def test_the_database_holds_only_hashes_of_tokens(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    issued = [create(capsys, database_url, tenant, "scan me") for tenant in ("acme", "acme", "globex")]
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            # Every value of every table, not just api_tokens: a token must be nowhere in clear.
            stored = [
                str(value)
                for table in t.metadata.sorted_tables
                for row in conn.execute(select(table))
                for value in row
            ]
            hashes = set(conn.execute(select(t.api_tokens.c.token_sha256)).scalars())
    finally:
        engine.dispose()
    assert len(set(issued)) == 3
    for token in issued:
        secret = token.removeprefix("cashapp_")
        assert not [value for value in stored if secret[8:] in value], "a token is stored in clear"
    assert hashes == {hashlib.sha256(token.encode()).hexdigest() for token in issued}


def test_a_stored_token_authenticates_its_tenant_until_revoked(
    capsys: pytest.CaptureFixture[str], database_url: str, server: Running
) -> None:
    acme_token = create(capsys, database_url, "acme")
    globex_token = create(capsys, database_url, "globex")
    with client(server, acme_token) as acme, client(server, globex_token) as globex:
        acme.create_customer("C1", display_name="ACME's customer")
        with pytest.raises(NotFoundError):
            globex.get_customer("C1")
        globex.create_customer("C1", display_name="Globex's customer")
        assert acme.get_customer("C1").display_name == "ACME's customer"

        code, out, _ = tokens(capsys, database_url, "revoke", token_id_of(capsys, database_url, "acme"))
        assert code == 0 and "revoked at" in out
        # No cache in between: the very next call with the revoked token is refused.
        with pytest.raises(UnauthenticatedError):
            acme.get_customer("C1")
        assert globex.get_customer("C1").display_name == "Globex's customer"
    _, listing, _ = tokens(capsys, database_url, "list", "--tenant", "acme")
    assert listing.splitlines()[1].split()[4] != "-"


def test_once_any_token_exists_every_call_must_present_one(
    capsys: pytest.CaptureFixture[str], database_url: str, server: Running
) -> None:
    with client(server) as anonymous:
        anonymous.create_customer("C1", display_name="the default tenant's customer")
        token = create(capsys, database_url, "acme")
        with pytest.raises(UnauthenticatedError):
            anonymous.get_customer("C1")
        tokens(capsys, database_url, "revoke", token_id_of(capsys, database_url, "acme"))
        # Every token revoked: back to the single-tenant local service (loopback only).
        assert anonymous.get_customer("C1").display_name == "the default tenant's customer"
    with client(server, token) as revoked, pytest.raises(UnauthenticatedError):
        revoked.get_customer("C1")


def test_environment_tokens_keep_working_next_to_stored_ones(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    stored = create(capsys, database_url, "acme")
    settings = Settings(database_url=database_url, listen="127.0.0.1:0", tokens=(("quick-start", "acme"),))
    with (
        run_in_thread(settings) as server,
        client(server, "quick-start") as quick,
        client(server, stored) as db,
    ):
        quick.create_customer("C1", display_name="ACME's customer")
        assert db.get_customer("C1").display_name == "ACME's customer"
        with client(server, "cashapp_" + "x" * 43) as forged, pytest.raises(UnauthenticatedError):
            forged.get_customer("C1")
        with client(server) as anonymous, pytest.raises(UnauthenticatedError):
            anonymous.get_customer("C1")


def test_revoking_twice_keeps_the_first_revocation(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    create(capsys, database_url, "acme")
    token_id = token_id_of(capsys, database_url, "acme")
    _, first, _ = tokens(capsys, database_url, "revoke", token_id)
    code, second, _ = tokens(capsys, database_url, "revoke", token_id)
    assert code == 0 and "was already revoked" in second
    assert first.rsplit(" ", 1)[-1] == second.rsplit(" ", 1)[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "--tenant", ""), "tenant is required"),
        (("create", "--tenant", "a" * 65), "tenant is longer than 64 characters"),
        (("create", "--tenant", "acme\x07"), "tenant must not contain control characters"),
        (("create", "--tenant", "acme\u200b"), "tenant must not contain control characters"),
        (("create", "--tenant", " acme"), "tenant must not start or end with a space"),
        (("create", "--tenant", "acme", "--description", "d" * 257), "description is longer than 256"),
        (("create", "--tenant", "acme", "--description", "a\nb"), "description must not contain control"),
        (("revoke", "no-such-token"), "no token with id 'no-such-token'"),
        (("list", "--tenant", "a" * 65), "tenant is longer than 64 characters"),
    ],
)
def test_bad_token_input_is_refused_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], database_url: str, args: tuple[str, ...], message: str
) -> None:
    existing = create(capsys, database_url, "acme", "kept")
    _, before, _ = tokens(capsys, database_url, "list")
    code, out, err = tokens(capsys, database_url, *args)
    assert code == 2
    assert message in err and out == ""
    _, after, _ = tokens(capsys, database_url, "list")
    assert after == before and len(after.splitlines()) == 2
    assert existing not in before


def test_a_64_character_unicode_tenant_is_accepted(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    tenant = "Müller & Söhne " + "ü" * 49
    assert len(tenant) == 64
    create(capsys, database_url, tenant)
    _, listing, _ = tokens(capsys, database_url, "list")
    assert tenant in listing
