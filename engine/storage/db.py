"""The database handle: engine setup per dialect, transactions with bounded retries, migrations."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from engine.errors import Aborted
from engine.storage.append_only import REFUSED
from engine.storage.statistics import PlannerStatistics

T = TypeVar("T")
log = logging.getLogger(__name__)

# A transaction that hits a serialization failure, a deadlock, a busy SQLite file or a
# concurrent insert of the same key is re-run from the start, at most this many times.
MAX_TRANSACTION_ATTEMPTS = 8
RETRY_BACKOFF_SECONDS = 0.01
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Pooled SQLite connections kept open: at least the server's workers (8 by default) plus the
# threads that authenticate and probe health. With SQLAlchemy's default of 5, connections beyond
# it were opened (WAL and busy-timeout pragmas) and closed again on every call under load.
SQLITE_POOL_SIZE = 16
SQLITE_POOL_OVERFLOW = 64
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


class Database:
    """One SQLAlchemy engine and the transaction discipline every write goes through."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        # Parsed, not matched as text: any URL SQLAlchemy accepts (percent-encoded passwords,
        # socket hosts in the query) means what SQLAlchemy says it means.
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine: Engine = _create_engine(url, echo=echo)
        self.statistics = PlannerStatistics(self.engine)

    def migrate(self) -> None:
        """Brings the schema to the newest Alembic revision."""
        from engine.storage.migrate import upgrade_to_head

        upgrade_to_head(self.engine)

    def ping(self) -> None:
        """One trivial query on a pooled connection; raises when the database cannot be reached.

        A read transaction: on SQLite a write one would take the write lock (BEGIN IMMEDIATE) and
        queue the ping behind every writer, so a busy server would look unreachable.
        """
        with self.reading() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only transaction (deferred on SQLite, so readers never wait for the write lock)."""
        options: dict[str, object] = {"cashapp_read_only": True}
        if not self.is_sqlite:
            # One snapshot for every statement of the read: a plan never mixes two states.
            options["isolation_level"] = "REPEATABLE READ"
        with self.engine.connect() as conn:
            conn = conn.execution_options(**options)
            with conn.begin():
                yield conn

    def transact(self, work: Callable[[Connection], T]) -> T:
        """Runs `work` in one write transaction, re-running it on transient conflicts.

        `work` must be safe to re-run: it reads its state inside the transaction. Domain errors
        propagate at once (and roll back); after the last attempt a conflict becomes Aborted.
        """
        for attempt in range(1, MAX_TRANSACTION_ATTEMPTS + 1):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except (OperationalError, IntegrityError) as exc:
                if not _is_transient(exc):
                    raise
                if attempt == MAX_TRANSACTION_ATTEMPTS:
                    raise Aborted("CONCURRENT_MODIFICATION", "retry the request") from exc
                log.debug("transaction attempt %d conflicted: %s", attempt, exc.orig)
                time.sleep(RETRY_BACKOFF_SECONDS * attempt * (1 + random.random()))
        raise AssertionError("unreachable")


def _is_transient(exc: DBAPIError) -> bool:
    if REFUSED in str(exc.orig):
        return False  # an append-only trigger (SQLite reports it as a constraint): a bug, not a race
    if isinstance(exc, IntegrityError):
        # A concurrent insert of the same primary key (two creates of one id, two uses of one
        # request_id). Re-running lets the loser see the winner's row and answer from it.
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


def _create_engine(url: str, *, echo: bool) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        database = make_url(url).database or ""
        # An in-memory database lives in one connection (SQLAlchemy's SingletonThreadPool): no sizes.
        pool: dict[str, int] = (
            {} if database in ("", ":memory:") or "mode=memory" in url
            else {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_OVERFLOW}
        )  # fmt: skip
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **pool
        )
        _configure_sqlite(engine)
        _ensure_sqlite_parent_dir(engine)
        return engine
    # No ping before every checkout (pool_pre_ping): it was one more round trip on every call
    # (a sixth of a GetInvoice's time on PostgreSQL). A connection that died (a restart, an
    # outage) fails its call once as a disconnect: SQLAlchemy then drops every pooled connection
    # of that time, the call is answered UNAVAILABLE with a RetryInfo (server/errors.py) and the
    # retry gets a fresh connection; server/health_watch.py's own ping notices the outage.
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20)


def _ensure_sqlite_parent_dir(engine: Engine) -> None:
    path = engine.url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, and BEGIN IMMEDIATE for writes (the SQLAlchemy-documented recipe).

    BEGIN IMMEDIATE takes the write lock at the start, so two writers never both read and then
    fail to upgrade; writers queue on the busy timeout instead. Reads use a deferred BEGIN.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get("cashapp_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextmanager
def sqlite_page_cache(conn: Connection, kib: int) -> Iterator[None]:
    """On SQLite, this connection's page cache at `kib` KiB for the block, then as it was (a
    no-op elsewhere). One transaction that writes more pages than the cache holds (SQLite's
    default is 2 MiB) spills dirty pages into the WAL before it commits and reads them back as
    it goes on. Set on the DB-API connection itself, which takes it inside a transaction and
    after a failed statement alike."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None  # the transaction holds its connection
    (before,) = raw.execute("PRAGMA cache_size").fetchone()
    raw.execute(f"PRAGMA cache_size={-kib}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={int(before)}")
