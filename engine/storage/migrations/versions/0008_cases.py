"""cases: deductions and disputes, their append-only history, the tenant's case limits

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:00:00

A deduction case per active application with a deduction (existing ones are backfilled here, so
the DEDUCTIONS account equals the open deduction cases from the first report on), a dispute per
clerk's request; each case's events are append-only (triggers refuse UPDATE and DELETE).

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_PG_GUARDS = [
    "CREATE OR REPLACE FUNCTION cashapp_refuse_case_event_change() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RAISE EXCEPTION 'APPEND_ONLY: % on case_events is refused', TG_OP "
    "USING ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
    "FOR EACH ROW EXECUTE FUNCTION cashapp_refuse_case_event_change()",
]
_SQLITE_GUARDS = [
    "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events "
    "BEGIN SELECT RAISE(ABORT, 'APPEND_ONLY: UPDATE on case_events is refused'); END",
    "CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events "
    "BEGIN SELECT RAISE(ABORT, 'APPEND_ONLY: DELETE on case_events is refused'); END",
]

# Existing deductions become OPEN cases of category OTHER (their reason was never stored).
_BACKFILL_CASES = """
INSERT INTO cases (tenant_id, case_id, kind, state, category, reason_code, customer_id, invoice_id,
  payment_id, application_id, currency, original_minor, open_minor, credited_minor, written_off_minor,
  rebilled_minor, collected_minor, cancelled_minor, create_us, update_us)
SELECT a.tenant_id, 'D-' || a.application_id, 'DEDUCTION', 'OPEN', 'OTHER', '', i.customer_id,
  a.invoice_id, a.payment_id, a.application_id, a.currency, a.deduction_minor, a.deduction_minor,
  0, 0, 0, 0, 0, a.create_us, a.create_us
FROM applications a JOIN invoices i ON i.tenant_id = a.tenant_id AND i.invoice_id = a.invoice_id
WHERE a.deduction_minor > 0 AND a.reverses_application_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM applications r WHERE r.tenant_id = a.tenant_id
                  AND r.reverses_application_id = a.application_id)
"""
_BACKFILL_EVENTS = """
INSERT INTO case_events (tenant_id, case_id, seq, action, from_state, to_state, resolution,
  amount_minor, actor, note, entry_id, create_us)
SELECT tenant_id, case_id, 1, 'OPENED', '', 'OPEN', '', original_minor, 'migration:0007',
  'a deduction recorded before cases existed', '', create_us FROM cases
"""


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('cases',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('reason_code', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('invoice_id', sa.String(length=128), nullable=False),
    sa.Column('payment_id', sa.String(length=128), nullable=True),
    sa.Column('application_id', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('original_minor', sa.BigInteger(), nullable=False),
    sa.Column('open_minor', sa.BigInteger(), nullable=False),
    sa.Column('credited_minor', sa.BigInteger(), nullable=False),
    sa.Column('written_off_minor', sa.BigInteger(), nullable=False),
    sa.Column('rebilled_minor', sa.BigInteger(), nullable=False),
    sa.Column('collected_minor', sa.BigInteger(), nullable=False),
    sa.Column('cancelled_minor', sa.BigInteger(), nullable=False),
    sa.Column('pending_resolution', sa.String(length=16), nullable=True),
    sa.Column('pending_amount_minor', sa.BigInteger(), nullable=True),
    sa.Column('pending_rebill_invoice_id', sa.String(length=128), nullable=True),
    sa.Column('pending_requested_by', sa.String(length=128), nullable=True),
    sa.Column('pending_note', sa.Text(), nullable=True),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.Column('update_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'case_id')
    )
    op.create_index('ix_cases_state', 'cases', ['tenant_id', 'state', 'case_id'], unique=False)
    op.create_index('ix_cases_invoice', 'cases', ['tenant_id', 'invoice_id', 'state'], unique=False)
    op.create_index('ix_cases_customer', 'cases', ['tenant_id', 'customer_id', 'case_id'], unique=False)
    op.create_index('ux_cases_application', 'cases', ['tenant_id', 'application_id'], unique=True)
    op.create_table('case_events',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=128), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=False),
    sa.Column('to_state', sa.String(length=24), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('entry_id', sa.String(length=64), nullable=False),
    sa.Column('create_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'case_id', 'seq')
    )
    op.create_table('case_settings',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('approval_limit_minor', sa.BigInteger(), nullable=True),
    sa.Column('write_off_limit_minor', sa.BigInteger(), nullable=False),
    sa.Column('update_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id')
    )
    op.execute(_BACKFILL_CASES)
    op.execute(_BACKFILL_EVENTS)
    guards = _PG_GUARDS if op.get_bind().dialect.name == "postgresql" else _SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_events_append_only ON case_events")
        op.execute("DROP FUNCTION IF EXISTS cashapp_refuse_case_event_change()")
    op.drop_table('case_settings')
    op.drop_table('case_events')
    op.drop_index('ux_cases_application', table_name='cases')
    op.drop_index('ix_cases_customer', table_name='cases')
    op.drop_index('ix_cases_invoice', table_name='cases')
    op.drop_index('ix_cases_state', table_name='cases')
    op.drop_table('cases')
