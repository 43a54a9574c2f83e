"""decision trace id: the OpenTelemetry trace that made each decision

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:55:00

Nullable: decisions made before 0011, or with no span current, name no trace.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('decisions', sa.Column('trace_id', sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    # SQLite drops a column by copying the table (batch mode); PostgreSQL alters it in place.
    with op.batch_alter_table('decisions') as batch:
        batch.drop_column('trace_id')
