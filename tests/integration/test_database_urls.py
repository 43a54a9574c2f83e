"""Any URL SQLAlchemy accepts works for migrate, serve and demo (issue 13): a password that must be
percent-encoded (`p@ss%w:rd/1`, over TCP to 127.0.0.1) and a Unix-socket host given in the query
(`?host=%2Fvar%2Frun%2Fpostgresql`), on PostgreSQL. Both once broke at start, because the URL went
through Alembic's configparser, where % is interpolation syntax."""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ProgrammingError

from cashapp_client import Client
from engine.storage.migrate import alembic_config
from server.cli import main
from tests.cli_process import start_serve
from tests.databases import POSTGRES_URL, REQUIRE_POSTGRES, postgres_database

pytestmark = pytest.mark.postgres

PASSWORD = "p@ss%w:rd/1"
SOCKET_DIR = Path("/var/run/postgresql")


@pytest.fixture
def admin() -> Iterator[Engine]:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("CASHAPP_REQUIRE_POSTGRES=1 but no PostgreSQL URL: run `make postgres`")
        pytest.skip("PostgreSQL tests need `make postgres` or CASHAPP_TEST_POSTGRES_URL")
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _grant_schema(database_url: str, role: str) -> None:
    """The test database belongs to the test role; the login role may create the schema in it."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'GRANT CREATE ON SCHEMA public TO "{role}"'))
    engine.dispose()


def _create_role(admin: Engine, sql: str) -> None:
    try:
        with admin.connect() as conn:
            conn.execute(text(sql))
    except ProgrammingError as exc:
        pytest.fail(f"cannot create a login role ({exc.orig}): `make postgres` grants CREATEROLE")


@pytest.fixture
def password_url(admin: Engine) -> Iterator[str]:
    """A fresh database reached as a new role whose password needs percent-encoding."""
    role = f"cashapp_pw_{uuid.uuid4().hex[:10]}"
    quoted = PASSWORD.replace("'", "''")
    _create_role(admin, f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{quoted}'")
    try:
        databases = postgres_database()
        owner_url = next(databases)
        _grant_schema(owner_url, role)
        server = make_url(POSTGRES_URL)
        url = URL.create(
            "postgresql+psycopg",
            username=role,
            password=PASSWORD,
            host="127.0.0.1",
            port=server.port or 5432,
            database=make_url(owner_url).database,
        ).render_as_string(hide_password=False)
        assert "p%40ss%25w%3Ard%2F1" in url  # the test is about exactly this encoding
        yield url
        next(databases, None)  # drops the database (and the objects the role owns in it)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


@pytest.fixture
def socket_url(admin: Engine) -> Iterator[str]:
    """A fresh database reached over the Unix socket (peer authentication: the role is named
    after the OS user running the tests; created once and kept, it owns nothing afterwards)."""
    socket = SOCKET_DIR / f".s.PGSQL.{make_url(POSTGRES_URL).port or 5432}"
    if not socket.exists():
        if REQUIRE_POSTGRES:
            pytest.fail(f"no PostgreSQL socket at {socket}")
        pytest.skip(f"no PostgreSQL socket at {socket}")
    user = getpass.getuser()
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": user}).first()
    if not exists:
        _create_role(admin, f'CREATE ROLE "{user}" LOGIN')
    databases = postgres_database()
    owner_url = next(databases)
    _grant_schema(owner_url, user)
    database = make_url(owner_url).database
    yield f"postgresql+psycopg://{user}@/{database}?host=%2Fvar%2Frun%2Fpostgresql"
    next(databases, None)


def _head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _revision(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
    finally:
        engine.dispose()


def _migrate_then_serve(url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--database-url", url]) == 0, capsys.readouterr().err
    assert "newest revision" in capsys.readouterr().out
    assert _revision(url) == _head_revision()
    url_file = tmp_path / "database-url"
    url_file.write_text(url + "\n")
    served = start_serve({"CASHAPP_DATABASE_URL_FILE": str(url_file)})
    try:
        with Client(served.target, timeout_seconds=30) as client:
            client.create_customer("C-URL", display_name="Reached through the URL")
            assert client.get_customer("C-URL").display_name == "Reached through the URL"
    finally:
        code = served.stop()
    output = "".join(served.stdout + served.stderr)
    assert code == 0, output
    assert PASSWORD not in output and "p%40ss" not in output


def test_migrate_and_serve_work_with_a_percent_encoded_password(
    password_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _migrate_then_serve(password_url, tmp_path, capsys)


def test_migrate_and_serve_work_with_a_socket_host_in_the_query(
    socket_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _migrate_then_serve(socket_url, tmp_path, capsys)


def test_the_demo_runs_on_a_percent_encoded_password_url(
    password_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--database-url", password_url]) == 0
    out = capsys.readouterr().out
    assert "All invariants hold: True" in out
    assert "p%40ss" not in out
    assert _revision(password_url) == _head_revision()
