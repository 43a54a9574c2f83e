"""decision claims: replicas divide one backlog

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:30:00

One row per owner (a customer, or "payment:<id>" for a payment nobody is identified for) whose
waiting payments an AutoApply call is deciding, with the call's id and the lease's end. Several
`cashapp serve` replicas on one database skip each other's owners (engine/storage/claim_store.py).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('decision_claims',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=136), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('expires_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'owner')
    )
    op.create_index('ix_decision_claims_holder', 'decision_claims', ['tenant_id', 'holder'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_decision_claims_holder', table_name='decision_claims')
    op.drop_table('decision_claims')
