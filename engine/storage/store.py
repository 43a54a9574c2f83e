"""Repository over one transaction: every read and write the engine does, scoped to one tenant.

Hot paths are set-based: bulk inserts with one executemany, candidate invoices of many customers
in one query. Balance changes are guarded updates whose row count is checked, so two writers can
never take the same cents even where row locks are not available.

One concept per module, each part building on the ones before it: customer_store, invoice_store,
application_store (applications and returns), payment_store, decision_store (decision marks,
settings, decisions, exceptions), claim_store (how AutoApply calls divide the backlog),
journal_store (journal, idempotency), case_store (deductions and disputes); beside them
alert_store (alerts), statement_store (imported bank files, held advice, unmatched returns) and
dunning_store (dunning policies, notices and their outbox).
"""

from __future__ import annotations

from engine.storage.alert_store import AlertStore
from engine.storage.case_store import CaseStore
from engine.storage.dunning_store import DunningStore
from engine.storage.statement_store import StatementStore
from engine.storage.store_base import ConcurrentChange, now_us, payer_account_key_of, reference_keys_of

__all__ = ["ConcurrentChange", "Store", "now_us", "payer_account_key_of", "reference_keys_of"]


class Store(CaseStore, AlertStore, StatementStore, DunningStore):
    """The tenant's data as seen from one transaction."""
