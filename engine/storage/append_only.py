"""Append-only money tables, enforced by the database itself: triggers refuse UPDATE, DELETE and
(PostgreSQL) TRUNCATE of journal entries, journal lines, applications and returns, and let the
journal head only move forward. The app never changes these rows: an unapply or a return is a
new row linked to what it compensates (engine.ledger), so no column transition needs allowing.

Triggers stop whoever connects with the app's role. A table owner can still drop them, which is
why the journal is also hash-chained (engine.journal_chain). On PostgreSQL the app can run as a
role that lacks UPDATE and DELETE on these tables altogether (`app_role_grants`, README).
"""

from __future__ import annotations

# Table -> its unique keys (primary key first), which SQLite's INSERT OR REPLACE would
# otherwise use to delete a row without firing a delete trigger.
APPEND_ONLY_TABLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "journal_entries": (("tenant_id", "entry_id"), ("tenant_id", "seq")),
    "journal_lines": (("tenant_id", "entry_id", "line_no"),),
    "applications": (("tenant_id", "application_id"), ("tenant_id", "reverses_application_id")),
    "returns": (("tenant_id", "return_id"), ("tenant_id", "payment_id")),
}
HEAD_TABLE = "journal_heads"
HEAD_KEYS: tuple[tuple[str, ...], ...] = (("tenant_id",),)
# The message every refusal starts with (tests and operators grep for it).
REFUSED = "APPEND_ONLY"

_PG_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION cashapp_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{REFUSED}: % on % is refused (the table is append-only)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$""",
    f"""CREATE OR REPLACE FUNCTION cashapp_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.tenant_id <> OLD.tenant_id OR NEW.seq <= OLD.seq THEN
    RAISE EXCEPTION '{REFUSED}: the journal head only moves forward' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$""",
]


def create_statements(dialect: str) -> list[str]:
    """The DDL creating every guard on `dialect` ("postgresql" or "sqlite")."""
    return _postgres_create() if dialect == "postgresql" else _sqlite_create()


def drop_statements(dialect: str) -> list[str]:
    """The DDL removing every guard (the downgrade, and tests that tamper as the owner)."""
    if dialect == "postgresql":
        drops = [
            f"DROP TRIGGER IF EXISTS {name} ON {table}"
            for table in (*APPEND_ONLY_TABLES, HEAD_TABLE)
            for name in (f"{table}_append_only", f"{table}_no_truncate", f"{table}_forward")
        ]
        return [*drops, "DROP FUNCTION IF EXISTS cashapp_refuse_change()",
                "DROP FUNCTION IF EXISTS cashapp_head_forward()"]  # fmt: skip
    return [
        f"DROP TRIGGER IF EXISTS {table}_{suffix}"
        for table in (*APPEND_ONLY_TABLES, HEAD_TABLE)
        for suffix in ("no_update", "no_delete", "no_replace", "forward")
    ]


def _postgres_create() -> list[str]:
    statements = list(_PG_FUNCTIONS)
    for table in APPEND_ONLY_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION cashapp_refuse_change()"
        )
    for table in (*APPEND_ONLY_TABLES, HEAD_TABLE):
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION cashapp_refuse_change()"
        )
    statements += [
        f"CREATE TRIGGER {HEAD_TABLE}_append_only BEFORE DELETE ON {HEAD_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION cashapp_refuse_change()",
        f"CREATE TRIGGER {HEAD_TABLE}_forward BEFORE UPDATE ON {HEAD_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION cashapp_head_forward()",
    ]
    return statements


def _sqlite_raise(message: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{REFUSED}: {message}'); END"


def _sqlite_no_replace(table: str, keys: tuple[tuple[str, ...], ...]) -> str:
    """INSERT OR REPLACE deletes the conflicting row without firing delete triggers (unless a
    connection enables recursive_triggers): refuse an insert whose unique key already exists."""
    clash = " OR ".join("(" + " AND ".join(f"{c} = NEW.{c}" for c in key) + ")" for key in keys)
    return (
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {clash}) "
        + _sqlite_raise(f"INSERT over an existing row of {table} is refused")
    )


def _sqlite_create() -> list[str]:
    statements = []
    for table, keys in APPEND_ONLY_TABLES.items():
        statements += [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            + _sqlite_raise(f"UPDATE on {table} is refused (the table is append-only)"),
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            + _sqlite_raise(f"DELETE on {table} is refused (the table is append-only)"),
            _sqlite_no_replace(table, keys),
        ]
    return [
        *statements,
        f"CREATE TRIGGER {HEAD_TABLE}_forward BEFORE UPDATE ON {HEAD_TABLE} "
        "WHEN NEW.seq <= OLD.seq OR NEW.tenant_id <> OLD.tenant_id "
        + _sqlite_raise("the journal head only moves forward"),
        f"CREATE TRIGGER {HEAD_TABLE}_no_delete BEFORE DELETE ON {HEAD_TABLE} "
        + _sqlite_raise(f"DELETE on {HEAD_TABLE} is refused"),
        _sqlite_no_replace(HEAD_TABLE, HEAD_KEYS),
    ]


def app_role_grants(role: str, schema: str = "public") -> list[str]:
    """PostgreSQL grants for a role the app connects as, in a schema a migration role owns:
    SELECT and INSERT only on the append-only tables, UPDATE on the head (the trigger lets it
    only move forward), full DML on the rest. `role` must be a plain identifier."""
    if not role.replace("_", "").isalnum():
        raise ValueError(f"role must be a plain identifier, not {role!r}")
    guarded = ", ".join(f"{schema}.{t}" for t in APPEND_ONLY_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {guarded}, {schema}.{HEAD_TABLE} FROM {role}",
        f"GRANT UPDATE ON {schema}.{HEAD_TABLE} TO {role}",
        # The app checks the schema revision at start; only the migration role may move it.
        f"REVOKE INSERT, UPDATE, DELETE ON {schema}.alembic_version FROM {role}",
    ]
