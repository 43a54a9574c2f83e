"""actor and assignee: who made each application, return and decision

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:00:00

Nullable columns only: rows written before 0010 (and with authentication off) name no actor.
The columns are written once, with their row, and never updated (append-only audit).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (table, column, type) added by this revision, in order.
COLUMNS: list[tuple[str, str, sa.types.TypeEngine[str]]] = [
    ('applications', 'actor', sa.String(length=300)),
    ('returns', 'actor', sa.String(length=300)),
    ('decisions', 'actor', sa.String(length=300)),
]


def upgrade() -> None:
    """Upgrade schema."""
    for table, column, type_ in COLUMNS:
        op.add_column(table, sa.Column(column, type_, nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    # SQLite drops a column by copying the table (batch mode); PostgreSQL alters it in place.
    for table, column, _ in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
