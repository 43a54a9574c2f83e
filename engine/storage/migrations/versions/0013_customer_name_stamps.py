"""customer name stamps: one token per tenant, replaced by every write of its customers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:00:00

AutoApply kept its payer-name indexes by an aggregate over every customer, read each round; a
primary-key read of this token replaces it. Each tenant that already has customers gets a token,
so a server that kept an index before the upgrade rebuilds it once.
"""
import secrets
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    stamps = op.create_table(
        'customer_name_stamps',
        sa.Column('tenant_id', sa.String(length=64), nullable=False),
        sa.Column('stamp', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id'),
    )
    tenants = op.get_bind().execute(sa.text('SELECT DISTINCT tenant_id FROM customers')).scalars().all()
    if tenants:
        op.bulk_insert(stamps, [{'tenant_id': tenant, 'stamp': secrets.token_hex(16)} for tenant in tenants])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('customer_name_stamps')
