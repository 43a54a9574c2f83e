"""Alembic environment: migrates the connection (or engine) handed in by engine.storage.migrate.

The URL option is only a fallback for running `alembic` by hand; engine.storage.migrate never sets
it, because configparser interpolation would mangle a % in a URL.
"""

from alembic import context
from sqlalchemy import Connection, Engine, create_engine

from engine.storage.tables import metadata

config = context.config
target_metadata = metadata


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///cashapp.db")
    with engine.begin() as conn:
        _migrate(conn)


run_migrations()
