"""journal hash chain and append-only money tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 15:00:00

Journal entries gain their place in the tenant's hash chain (seq, prev_hash, entry_hash) and
tenants a chain head row (journal_heads). Existing entries are chained in the order they were
written as far as the rows tell it: by create_us, then entry_id. The backfill runs in chunks
(BACKFILL_CHUNK entries and their lines at a time). Then triggers make journal entries, journal
lines, applications and returns append-only and the head forward-only (engine/storage/append_only.py):
they are created last, because the backfill itself updates journal_entries.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BACKFILL_CHUNK = 1000
CHAIN_COLUMNS = ('seq', 'prev_hash', 'entry_hash')


def upgrade() -> None:
    """Upgrade schema."""
    from engine.storage.append_only import create_statements

    op.add_column('journal_entries', sa.Column('seq', sa.BigInteger(), nullable=True))
    op.add_column('journal_entries', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('journal_entries', sa.Column('entry_hash', sa.String(length=64), nullable=True))
    op.create_table('journal_heads',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id')
    )
    _backfill()
    with op.batch_alter_table('journal_entries') as batch:
        batch.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch.alter_column('entry_hash', existing_type=sa.String(length=64), nullable=False)
    op.create_index('ux_journal_entries_seq', 'journal_entries', ['tenant_id', 'seq'], unique=True)
    for statement in create_statements(op.get_bind().dialect.name):
        op.execute(statement)


_entries = sa.table(
    'journal_entries',
    sa.column('tenant_id'), sa.column('entry_id'), sa.column('kind'), sa.column('reverses_entry_id'),
    sa.column('memo'), sa.column('create_us'), *[sa.column(c) for c in CHAIN_COLUMNS],
)
_lines = sa.table(
    'journal_lines',
    sa.column('tenant_id'), sa.column('entry_id'), sa.column('line_no'), sa.column('account'),
    sa.column('currency'), sa.column('amount_minor'), sa.column('customer_id'), sa.column('invoice_id'),
    sa.column('payment_id'),
)
_heads = sa.table('journal_heads', sa.column('tenant_id'), sa.column('seq'), sa.column('entry_hash'))


def _backfill() -> None:
    """Chains every tenant's entries, a chunk at a time, and records each tenant's head."""
    from engine import journal_chain as chain

    conn = op.get_bind()
    tenants = [r[0] for r in conn.execute(sa.select(_entries.c.tenant_id).distinct())]
    for tenant_id in tenants:
        head = chain.Head(0, chain.GENESIS_HASH)
        after: tuple[int, str] | None = None
        while True:
            entries = _chunk(conn, tenant_id, after)
            if not entries:
                break
            chained = list(chain.extend(tenant_id, head, entries))
            conn.execute(
                sa.update(_entries)
                .where(_entries.c.tenant_id == tenant_id, _entries.c.entry_id == sa.bindparam('e'))
                .values(seq=sa.bindparam('s'), prev_hash=sa.bindparam('p'), entry_hash=sa.bindparam('h')),
                [{'e': c.entry.entry_id, 's': c.seq, 'p': c.prev_hash, 'h': c.entry_hash} for c in chained],
            )
            head = chain.Head(chained[-1].seq, chained[-1].entry_hash)
            after = (entries[-1].create_us, entries[-1].entry_id)
        conn.execute(sa.insert(_heads).values(tenant_id=tenant_id, seq=head.seq, entry_hash=head.entry_hash))


def _chunk(conn, tenant_id, after):  # type: ignore[no-untyped-def]
    """The next BACKFILL_CHUNK entries of a tenant after the key `after`, with their lines."""
    from engine import journal_chain as chain

    e = _entries.c
    query = sa.select(e.entry_id, e.kind, e.reverses_entry_id, e.memo, e.create_us).where(e.tenant_id == tenant_id)
    if after is not None:
        query = query.where(sa.tuple_(e.create_us, e.entry_id) > sa.tuple_(*after))
    rows = conn.execute(query.order_by(e.create_us, e.entry_id).limit(BACKFILL_CHUNK)).all()
    if not rows:
        return []
    lines: dict[str, list] = {r.entry_id: [] for r in rows}
    ln = _lines.c
    for r in conn.execute(
        sa.select(_lines).where(ln.tenant_id == tenant_id, ln.entry_id.in_(list(lines))).order_by(ln.entry_id, ln.line_no)
    ):
        lines[r.entry_id].append(
            chain.StoredLine(r.line_no, r.account, r.currency, r.amount_minor, r.customer_id, r.invoice_id, r.payment_id)
        )
    return [
        chain.StoredEntry(r.entry_id, r.kind, r.reverses_entry_id, r.memo, r.create_us, tuple(lines[r.entry_id]))
        for r in rows
    ]


def downgrade() -> None:
    """Downgrade schema."""
    from engine.storage.append_only import drop_statements

    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index('ux_journal_entries_seq', table_name='journal_entries')
    op.drop_table('journal_heads')
    with op.batch_alter_table('journal_entries') as batch:
        for name in reversed(CHAIN_COLUMNS):
            batch.drop_column(name)
