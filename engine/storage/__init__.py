"""Persistence: SQLAlchemy 2.0 Core tables, a unit of work with retries, Alembic migrations."""
