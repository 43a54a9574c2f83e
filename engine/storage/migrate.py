"""Runs the Alembic migrations shipped inside the package (works from an installed wheel)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    """The Alembic config; the engine travels in `config.attributes`, never as the
    `sqlalchemy.url` option: Alembic's configparser would read every % of a percent-encoded
    password or socket path (`?host=%2Fvar%2Frun%2Fpostgresql`) as interpolation syntax."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine) -> None:
    upgrade(engine, "head")


def upgrade(engine: Engine, revision: str) -> None:
    """Brings the schema up to `revision` (or "head"), in one transaction."""
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Takes the schema down to `revision`, in one transaction: for the migration tests, and for
    an operator rolling back one release."""
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        step(config, revision)
