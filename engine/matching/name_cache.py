"""Payer-name indexes kept between AutoApply rounds, per database and tenant.

Matching a payer name compares it with every customer's names, so the index of a tenant's names
is built from all its customers: in a book of 100,000 customers, building it for each round of
1,000 payments made the cost per payment grow with the book. The index is kept and rebuilt only
when the tenant's customers changed, which the tenant's customer-name stamp tells: every write of
a customer replaces it with a fresh random token, in the writer's transaction (table
customer_name_stamps, migration 0013), so one primary-key read per round answers it whatever the
size of the book (an aggregate over every customer did, and cost ~18 µs per payment at 100,000
customers). A round that identifies every payment by account or reference never builds or checks it.

The stamp is read before the names, in the same transaction. Where that transaction is not one
snapshot (PostgreSQL's READ COMMITTED), the names may be newer than the stamp, never older: a kept
index is at worst rebuilt once more than needed. Customers written around the store (raw SQL) do
not change the stamp.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from engine.matching.identify import Identification, NameIndex
from engine.storage.store import Store

# Tenants whose index is kept, most recently used last.
MAX_TENANTS = 64

_lock = threading.Lock()
_indexes: OrderedDict[tuple[str, str], tuple[str, NameIndex]] = OrderedDict()


def _index_for(store: Store) -> NameIndex:
    stamp = store.customer_names_stamp()
    # By the database's address: engines of one database (a test's, a restarted pool) share it.
    key = (store.conn.engine.url.render_as_string(hide_password=True), store.tenant_id)
    with _lock:
        kept = _indexes.get(key)
        if kept is not None and kept[0] == stamp:
            _indexes.move_to_end(key)
            return kept[1]
    index = NameIndex(store.customer_names)
    index.load()  # in this transaction: a kept index is shared and must not load later
    with _lock:
        _indexes[key] = (stamp, index)
        _indexes.move_to_end(key)
        while len(_indexes) > MAX_TENANTS:
            _indexes.popitem(last=False)
    return index


class KeptNames:
    """NameIndex's look-up for one round, taking the kept index on its first use."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._index: NameIndex | None = None

    def best(self, payer_name: str) -> Identification:
        if self._index is None:
            self._index = _index_for(self._store)
        return self._index.best(payer_name)
