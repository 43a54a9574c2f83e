"""payments by value date: ListPayments' value_date filter and the cash-receipts report

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 00:00:00

(tenant_id, value_date, payment_id): one day's payments are read in the listing's payment_id
order without scanning the tenant's other days; a date range (cash receipts) is one index range.
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index('ix_payments_value_date', 'payments', ['tenant_id', 'value_date', 'payment_id'])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_payments_value_date', table_name='payments')
