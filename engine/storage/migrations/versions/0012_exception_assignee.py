"""exception assignee: the clerk working on each open match exception

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:00:00

Nullable: nobody works on an exception until AssignException gives it to someone.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('match_exceptions', sa.Column('assignee', sa.String(length=300), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    # SQLite drops a column by copying the table (batch mode); PostgreSQL alters it in place.
    with op.batch_alter_table('match_exceptions') as batch:
        batch.drop_column('assignee')
