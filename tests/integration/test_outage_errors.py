"""The outage classification of server/errors.py, fed real exceptions from real databases.

Lost, refused and shut-down connections and a busy SQLite become UNAVAILABLE with RetryInfo and
reason DATABASE_UNAVAILABLE; constraint violations, bad SQL and data errors stay INTERNAL.
("Too many connections" is provoked end to end in test_outage.py, on a private cluster.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.rpc import code_pb2, error_details_pb2, status_pb2
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from engine.errors import Aborted
from server.errors import OUTAGE_REASON, OUTAGE_RETRY_DELAY_SECONDS, is_database_outage, status_for
from tests.databases import postgres_database
from tests.private_postgres import free_port


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_database()


def raised(statement: str, url: str) -> DBAPIError:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE TEMP TABLE t (id int PRIMARY KEY)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            conn.execute(text(statement))
    except DBAPIError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError(f"{statement!r} did not fail")


def decoded(exc: BaseException) -> status_pb2.Status:
    status = status_for(exc)
    for key, value in status.trailing_metadata:
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    raise AssertionError("no rich status")


def assert_unavailable_with_retry_info(exc: BaseException) -> None:
    assert is_database_outage(exc), repr(exc)
    status = decoded(exc)
    assert status.code == code_pb2.UNAVAILABLE
    info, retry = error_details_pb2.ErrorInfo(), error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info) and info.reason == OUTAGE_REASON and info.domain == "cashapp"
    assert any(detail.Unpack(retry) for detail in status.details)
    assert retry.retry_delay.seconds == OUTAGE_RETRY_DELAY_SECONDS
    assert "internal" not in status.message.lower() and "psycopg" not in status.message


def test_refused_connection_is_an_outage() -> None:
    engine = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    with pytest.raises(OperationalError) as refused:
        engine.connect()
    assert_unavailable_with_retry_info(refused.value)


def test_terminated_backend_is_an_outage(pg_url: str) -> None:
    # pg_terminate_backend is what `pg_ctl stop -m fast` does to every session: AdminShutdown.
    engine = create_engine(pg_url)
    victim = engine.connect()
    pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with engine.connect() as killer:
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with pytest.raises(OperationalError) as lost:
        victim.execute(text("SELECT 1"))
    victim.close()
    engine.dispose()
    assert getattr(lost.value.orig, "sqlstate", None) == "57P01"
    assert_unavailable_with_retry_info(lost.value)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO t VALUES (1)",  # unique violation
        "SELEC 1",  # syntax error
        "SELECT 1 / 0",  # data error
        "SELECT * FROM no_such_table",  # undefined table
    ],
)
def test_postgres_bugs_and_bad_data_are_not_outages(pg_url: str, statement: str) -> None:
    error = raised(statement, pg_url)
    assert not is_database_outage(error)
    assert decoded(error).code == code_pb2.INTERNAL


def test_too_many_bound_parameters_is_a_bug_not_an_outage(pg_url: str) -> None:
    """psycopg refuses a statement over the protocol's 65,535 parameters without an SQLSTATE,
    like a broken connection; answered UNAVAILABLE, a client retried a 100,000-entry import
    for minutes."""
    engine = create_engine(pg_url)
    marks = ", ".join(f":p{i}" for i in range(70_000))
    try:
        with pytest.raises(DBAPIError) as refused, engine.connect() as conn:
            conn.execute(text(f"SELECT 1 WHERE 1 IN ({marks})"), {f"p{i}": i for i in range(70_000)})
    finally:
        engine.dispose()
    assert not is_database_outage(refused.value)
    assert decoded(refused.value).code == code_pb2.INTERNAL


def test_sqlite_still_locked_after_its_busy_timeout_is_an_outage(tmp_path: Path) -> None:
    # Decided: once SQLite's busy timeout has passed the database is unusable for now, like a
    # PostgreSQL that refuses connections, and a later retry can succeed. Writes inside
    # Database.transact retry "locked" themselves and end as ABORTED; this covers the rest.
    path = tmp_path / "db.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(OperationalError) as locked, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        holder.close()
        engine.dispose()
    assert "locked" in str(locked.value)
    assert_unavailable_with_retry_info(locked.value)


def test_sqlite_constraint_violation_is_not_an_outage(tmp_path: Path) -> None:
    error = raised("INSERT INTO t VALUES (1)", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert not is_database_outage(error)


def test_a_domain_error_wrapping_an_outage_keeps_its_code() -> None:
    # Database.transact turns a conflict that outlived its retries into Aborted; that stays ABORTED.
    try:
        try:
            raise sqlite3.OperationalError("database is locked")
        except sqlite3.OperationalError as locked:
            raise Aborted("CONCURRENT_MODIFICATION", "retry the request") from locked
    except Aborted as aborted:
        assert decoded(aborted).code == code_pb2.ABORTED
