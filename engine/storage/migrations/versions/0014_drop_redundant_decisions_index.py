"""drop ix_decisions_payment: ix_decisions_payment_newest begins with the same columns

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 00:00:00

Every look-up of a payment's decisions is answered by ix_decisions_payment_newest (tenant_id,
payment_id, create_us, decision_id), whose leading columns are the whole of ix_decisions_payment;
the older index only cost an insert into one more B-tree for every decision written.
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_index('ix_decisions_payment', table_name='decisions')


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index('ix_decisions_payment', 'decisions', ['tenant_id', 'payment_id'], unique=False)
