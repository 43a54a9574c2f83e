"""bank statement import: remittance lines and link keys on payments, statement files, advice, returns

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:30:00

Payments gain remittance_lines (JSON list, default "[]"), bank_reference and end_to_end_id
(default ""), each link key with an index led by tenant_id, so a remittance advice or a return
arriving in a later file finds its payment. New tables: statement_files (one row per imported
file by SHA-256, with the import's summary, so a re-sent file is answered from it),
remittance_advice (advice HELD until its payment arrives, or LINKED) and unmatched_returns
(returns whose payment was not found: money that left the account, kept and reported).
Existing payments need no backfill: the defaults are what they carried before.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('payments', sa.Column('remittance_lines', sa.Text(), nullable=False, server_default='[]'))
    op.add_column('payments', sa.Column('bank_reference', sa.String(length=256), nullable=False, server_default=''))
    op.add_column('payments', sa.Column('end_to_end_id', sa.String(length=256), nullable=False, server_default=''))
    op.create_index('ix_payments_bank_reference', 'payments', ['tenant_id', 'bank_reference'], unique=False)
    op.create_index('ix_payments_end_to_end', 'payments', ['tenant_id', 'end_to_end_id'], unique=False)
    op.create_table('statement_files',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('file_name', sa.String(length=512), nullable=False),
    sa.Column('byte_count', sa.BigInteger(), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'sha256')
    )
    op.create_index('ix_statement_files_created', 'statement_files', ['tenant_id', 'create_us'], unique=False)
    op.create_table('remittance_advice',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('advice_id', sa.String(length=128), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('payment_id', sa.String(length=128), nullable=True),
    sa.Column('bank_reference', sa.String(length=256), nullable=False),
    sa.Column('end_to_end_id', sa.String(length=256), nullable=False),
    sa.Column('batch_id', sa.String(length=256), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('value_date', sa.String(length=10), nullable=False),
    sa.Column('remittance_lines', sa.Text(), nullable=False),
    sa.Column('remittance_text', sa.Text(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=512), nullable=False),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.Column('link_us', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_id', 'advice_id')
    )
    op.create_index('ix_remittance_advice_bank_reference', 'remittance_advice', ['tenant_id', 'state', 'bank_reference'], unique=False)
    op.create_index('ix_remittance_advice_end_to_end', 'remittance_advice', ['tenant_id', 'state', 'end_to_end_id'], unique=False)
    op.create_index('ix_remittance_advice_batch', 'remittance_advice', ['tenant_id', 'state', 'batch_id'], unique=False)
    op.create_table('unmatched_returns',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('return_id', sa.String(length=128), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('value_date', sa.String(length=10), nullable=False),
    sa.Column('original_reference', sa.String(length=256), nullable=False),
    sa.Column('return_reason', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=512), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=512), nullable=False),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'return_id')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('unmatched_returns')
    op.drop_index('ix_remittance_advice_batch', table_name='remittance_advice')
    op.drop_index('ix_remittance_advice_end_to_end', table_name='remittance_advice')
    op.drop_index('ix_remittance_advice_bank_reference', table_name='remittance_advice')
    op.drop_table('remittance_advice')
    op.drop_index('ix_statement_files_created', table_name='statement_files')
    op.drop_table('statement_files')
    op.drop_index('ix_payments_end_to_end', table_name='payments')
    op.drop_index('ix_payments_bank_reference', table_name='payments')
    op.drop_column('payments', 'end_to_end_id')
    op.drop_column('payments', 'bank_reference')
    op.drop_column('payments', 'remittance_lines')
