"""dunning: policies, contacts, holds, levels reached, notices and the delivery outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:30:00

The outbox (dunning_deliveries) holds one row per notice and channel: its primary key is what
makes a retried run or delivery never send a notice twice on one channel.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('dunning_policies',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('policy_id', sa.String(length=128), nullable=False),
    sa.Column('display_name', sa.String(length=512), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('levels', sa.Text(), nullable=False),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'policy_id')
    )
    op.create_table('dunning_contacts',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('postal_address', sa.Text(), nullable=False),
    sa.Column('update_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'customer_id')
    )
    op.create_table('dunning_holds',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('until_date', sa.String(length=10), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'customer_id', 'kind', 'currency')
    )
    op.create_table('dunning_levels',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('policy_id', sa.String(length=128), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.String(length=10), nullable=False),
    sa.Column('update_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'policy_id', 'customer_id', 'currency')
    )
    op.create_table('dunning_notices',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('notice_id', sa.String(length=64), nullable=False),
    sa.Column('policy_id', sa.String(length=128), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.String(length=10), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('fee_minor', sa.BigInteger(), nullable=False),
    sa.Column('interest_minor', sa.BigInteger(), nullable=False),
    sa.Column('channels', sa.Text(), nullable=False),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'notice_id')
    )
    op.create_index('ix_dunning_notices_customer', 'dunning_notices', ['tenant_id', 'customer_id', 'notice_id'], unique=False)
    op.create_table('dunning_deliveries',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('notice_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_us', sa.BigInteger(), nullable=False),
    sa.Column('lease_until_us', sa.BigInteger(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('sent_us', sa.BigInteger(), nullable=True),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'notice_id', 'channel')
    )
    op.create_index('ix_dunning_deliveries_due', 'dunning_deliveries', ['tenant_id', 'state', 'next_attempt_us'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_dunning_deliveries_due', table_name='dunning_deliveries')
    op.drop_table('dunning_deliveries')
    op.drop_index('ix_dunning_notices_customer', table_name='dunning_notices')
    op.drop_table('dunning_notices')
    op.drop_table('dunning_levels')
    op.drop_table('dunning_holds')
    op.drop_table('dunning_contacts')
    op.drop_table('dunning_policies')
