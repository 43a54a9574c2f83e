"""api tokens stored hashed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:00:00

The table behind `cashapp tokens create|list|revoke`: one row per token with its tenant, the
SHA-256 of the token (never the token), a display prefix, a description and the creation and
revocation times. Looked up by hash on every authenticated call, hence the unique index.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('api_tokens',
    sa.Column('token_id', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('description', sa.String(length=256), nullable=False),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.Column('revoke_us', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('token_id')
    )
    op.create_index('ux_api_tokens_sha256', 'api_tokens', ['token_sha256'], unique=True)
    op.create_index('ix_api_tokens_tenant', 'api_tokens', ['tenant_id', 'create_us'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_api_tokens_tenant', table_name='api_tokens')
    op.drop_index('ux_api_tokens_sha256', table_name='api_tokens')
    op.drop_table('api_tokens')
