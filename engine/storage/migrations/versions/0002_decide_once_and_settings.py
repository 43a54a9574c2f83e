"""decide once per change, tenant settings, matching tolerance override

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00

Payments gain a "needs decision" mark (decision_marks: input_version + needs_decision, a table
of its own), the client-given customer_id in its own column, the normalized payer account key,
and their remittance reference keys in a side table; customers gain the matching tolerance
override and an input_version; tenants a settings row. Existing rows are backfilled: every payment with unapplied cash
needs one decision (an unchanged re-decision stores nothing), the given customer is taken to be
the stored one (the identified and the given customer were not told apart before), and the keys
are computed with the same functions the engine uses at import.
"""
import json
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BACKFILL_CHUNK = 1000


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column('customers', sa.Column('matching_tolerance_minor', sa.BigInteger(), nullable=True))
    op.add_column('customers', sa.Column('input_version', sa.BigInteger(), nullable=False, server_default='0'))
    op.create_table('tenant_settings',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('write_off_tolerance_minor', sa.BigInteger(), nullable=False),
    sa.Column('matching_tolerance_minor', sa.BigInteger(), nullable=False),
    sa.Column('update_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id')
    )
    op.add_column('payments', sa.Column('given_customer_id', sa.String(length=128), nullable=True))
    op.add_column('payments', sa.Column('payer_account_key', sa.String(length=64), nullable=False, server_default=''))
    op.create_index('ix_payments_account_key', 'payments', ['tenant_id', 'payer_account_key'], unique=False)
    op.create_table('decision_marks',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('payment_id', sa.String(length=128), nullable=False),
    sa.Column('value_date', sa.String(length=10), nullable=False),
    sa.Column('input_version', sa.BigInteger(), nullable=False),
    sa.Column('needs_decision', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'payment_id')
    )
    op.create_index('ix_decision_marks_needed', 'decision_marks', ['tenant_id', 'needs_decision', 'value_date', 'payment_id'], unique=False)
    op.create_table('payment_reference_keys',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('payment_id', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'key', 'payment_id')
    )
    op.create_index('ix_decisions_newest', 'decisions', ['tenant_id', 'create_us', 'decision_id'], unique=False)
    op.create_index('ix_decisions_payment_newest', 'decisions', ['tenant_id', 'payment_id', 'create_us', 'decision_id'], unique=False)
    _backfill()


def _backfill() -> None:
    from engine.storage.store import payer_account_key_of, reference_keys_of

    conn = op.get_bind()
    payments = sa.table(
        'payments',
        sa.column('tenant_id'), sa.column('payment_id'), sa.column('customer_id'),
        sa.column('given_customer_id'), sa.column('payer_account'), sa.column('payer_account_key'),
        sa.column('remittance_info'), sa.column('references'), sa.column('value_date'),
        sa.column('unapplied_minor'), sa.column('returned_minor'), sa.column('on_account'),
    )
    marks = sa.table(
        'decision_marks', sa.column('tenant_id'), sa.column('payment_id'), sa.column('value_date'),
        sa.column('input_version'), sa.column('needs_decision'),
    )
    keys_table = sa.table('payment_reference_keys', sa.column('tenant_id'), sa.column('key'), sa.column('payment_id'))
    c = payments.c
    conn.execute(sa.update(payments).values(given_customer_id=c.customer_id))
    decidable = sa.and_(c.unapplied_minor > 0, c.returned_minor == 0, c.on_account == sa.false())
    conn.execute(
        sa.insert(marks).from_select(
            ['tenant_id', 'payment_id', 'value_date', 'input_version', 'needs_decision'],
            sa.select(c.tenant_id, c.payment_id, c.value_date, sa.literal(1), decidable),
        )
    )
    rows = conn.execute(
        sa.select(c.tenant_id, c.payment_id, c.payer_account, c.remittance_info, c.references)
    ).all()
    for start in range(0, len(rows), BACKFILL_CHUNK):
        chunk = rows[start:start + BACKFILL_CHUNK]
        accounts = [
            {'t': r.tenant_id, 'p': r.payment_id, 'k': payer_account_key_of(r.payer_account)}
            for r in chunk
            if payer_account_key_of(r.payer_account)
        ]
        if accounts:
            conn.execute(
                sa.update(payments)
                .where(c.tenant_id == sa.bindparam('t'), c.payment_id == sa.bindparam('p'))
                .values(payer_account_key=sa.bindparam('k')),
                accounts,
            )
        keys = [
            {'tenant_id': r.tenant_id, 'key': key, 'payment_id': r.payment_id}
            for r in chunk
            for key in reference_keys_of(tuple(json.loads(r.references)), r.remittance_info)
        ]
        if keys:
            conn.execute(sa.insert(keys_table), keys)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_decisions_payment_newest', table_name='decisions')
    op.drop_index('ix_decisions_newest', table_name='decisions')
    op.drop_table('payment_reference_keys')
    op.drop_index('ix_decision_marks_needed', table_name='decision_marks')
    op.drop_table('decision_marks')
    op.drop_index('ix_payments_account_key', table_name='payments')
    with op.batch_alter_table('payments') as batch:
        batch.drop_column('payer_account_key')
        batch.drop_column('given_customer_id')
    op.drop_table('tenant_settings')
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('input_version')
        batch.drop_column('matching_tolerance_minor')
