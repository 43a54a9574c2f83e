"""Claims on the backlog: how several `cashapp serve` replicas on one database divide it.

An AutoApply call over every payment claims the owners of the batch it takes (customers, or single
payments nobody is identified for) in a short transaction of its own before planning, skips owners
other calls hold, and releases its claims once its decisions are committed. Owners are claimed
whole because a customer's payments are decided together (split transfers, duplicates, the same
open invoices): two calls deciding one customer at once would only refuse each other's
applications. The database is the only coordinator: a claim is a row with a unique key, taken
with INSERT ... ON CONFLICT DO NOTHING (a concurrent taker waits for the first to commit, then
takes nothing), and a lease so that a crashed replica's claims lapse.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from engine.storage import tables as t
from engine.storage.decision_store import DecisionStore

# How long a claim holds when its call never releases it (a replica killed mid-call): longer than
# any AutoApply round takes, short enough that the customers are not stalled for long.
CLAIM_LEASE_US = 10 * 60 * 1_000_000


class ClaimStore(DecisionStore):
    """Claims on owners of waiting payments, by AutoApply call."""

    def owners_claimed_by_others(self, holder: str, now: int) -> frozenset[str]:
        c = t.decision_claims.c
        rows = self.conn.execute(
            select(c.owner).where(self._tenant(t.decision_claims), c.holder != holder, c.expires_us > now)
        )
        return frozenset(r.owner for r in rows)

    def claim_backlog(self, holder: str, limit: int, now: int) -> list[str]:
        """The next batch of the backlog (DecisionStore.backlog_batch) whose owners this call
        now holds: owners other calls hold are skipped, and an owner another call took between
        the read and the claim is left to it."""
        batch = self.backlog_batch(limit, self.owners_claimed_by_others(holder, now))
        held = self._claim({owner for _, owner in batch}, holder, now)
        return [pid for pid, owner in batch if owner in held]

    def _claim(self, owners: set[str], holder: str, now: int) -> set[str]:
        if not owners:
            return set()
        c = t.decision_claims.c
        expires = now + CLAIM_LEASE_US
        claim = {"tenant_id": self.tenant_id, "holder": holder, "expires_us": expires}
        rows = [{**claim, "owner": owner} for owner in sorted(owners)]
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        self.conn.execute(dialect.insert(t.decision_claims).on_conflict_do_nothing(), rows)
        # A lapsed claim (its call died) is taken over.
        self.conn.execute(
            update(t.decision_claims)
            .where(self._tenant(t.decision_claims), c.owner.in_(sorted(owners)), c.expires_us <= now)
            .values(holder=holder, expires_us=expires)
        )
        held = self.conn.execute(
            select(c.owner).where(
                self._tenant(t.decision_claims), c.holder == holder, c.owner.in_(sorted(owners))
            )
        )
        return {r.owner for r in held}

    def release_claims(self, holder: str, owners: Sequence[str] = ()) -> int:
        """Drops the call's claims (all of them, or the given owners')."""
        c = t.decision_claims.c
        where = [self._tenant(t.decision_claims), c.holder == holder]
        if owners:
            where.append(c.owner.in_(list(owners)))
        return self.conn.execute(delete(t.decision_claims).where(and_(*where))).rowcount
