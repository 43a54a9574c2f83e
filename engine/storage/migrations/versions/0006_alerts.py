"""alerts: fraud and billing-inconsistency findings

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:00:00

One row per finding of engine/alerts/detectors.py (a payer account paying for another customer, an
amount far outside a customer's history, a possible duplicate payment, a credit memo beyond its
invoice's open amount, terms changed after invoicing), with its evidence, until a person
acknowledges it.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('alerts',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('alert_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=160), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.Column('acknowledged_us', sa.BigInteger(), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=128), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'alert_id')
    )
    op.create_index('ix_alerts_open', 'alerts', ['tenant_id', 'acknowledged_us', 'create_us'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_alerts_open', table_name='alerts')
    op.drop_table('alerts')
