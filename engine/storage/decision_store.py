"""What matching decides with and what it decided: decision marks (decide once per change),
settings, decisions and the exception queue."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, insert, or_, select, true, union, update
from sqlalchemy.sql.elements import ColumnElement

from engine import model as m
from engine.errors import InvalidArgument
from engine.storage import tables as t
from engine.storage.pagination import decode_token, encode_token, page_size_or_default
from engine.storage.payment_store import PaymentStore, unapplied

# Customers whose waiting payments are fetched in one query when a batch is filled, at most, and
# the first query's count (before the owners read tell how many payments an owner waits with).
OWNERS_PER_QUERY = 200
FIRST_OWNERS = 16
# Pages of the oldest waiting payments read past owners other AutoApply calls hold.
MAX_SKIP_PAGES = 8


class _Owners:
    """Owners' waiting payments (DecisionStore._waiting_of), read in the order backlog_batch
    reaches the owners, as many owners a query as the batch's room seems to need: the room left
    over the mean waiting count of the owners read so far (FIRST_OWNERS to start), at most
    OWNERS_PER_QUERY. Which owners a query holds changes nothing but the rows read."""

    def __init__(self, store: DecisionStore, order: list[str], limit: int) -> None:
        self.store, self.order, self.limit = store, order, limit
        self.read: dict[str, list[str]] = {}
        self.next = 0  # the first owner in `order` not read yet
        self.payments = 0  # waiting payments of the owners read

    def waiting(self, owner: str, room: int) -> list[str]:
        """`owner`'s waiting payments, oldest first ([] when none are found)."""
        while owner not in self.read and self.next < len(self.order):
            mean = self.payments / len(self.read) if self.read else self.limit / FIRST_OWNERS
            count = max(1, min(OWNERS_PER_QUERY, math.ceil(max(room, 1) / max(mean, 1.0)) + 1))
            chunk = self.order[self.next : self.next + count]
            self.next += len(chunk)
            found = self.store._waiting_of(chunk)
            for one in chunk:
                self.read[one] = found.get(one, [])
                self.payments += len(self.read[one])
        return self.read.get(owner, [])


def payment_owner(payment_id: str) -> str:
    """The claim owner of a payment nobody is identified for: the payment alone."""
    return f"payment:{payment_id}"


# Ids and keys one marking UPDATE names at most (each is a bound parameter).
MARK_CHUNK = 5000


@dataclasses.dataclass(frozen=True, slots=True)
class _Criteria:
    """What mark_needs_decision selects payments by (any of them)."""

    pids: list[str]
    cids: list[str]
    akeys: list[str]
    rkeys: list[str]
    unidentified: bool = False
    every_payment: bool = False


def _is_open(state: ColumnElement[str]) -> ColumnElement[bool]:
    """An exception's state is OPEN, as a predicate no index serves: with `state = 'OPEN'` next to
    a list of payment ids, SQLite reads every open exception of the tenant on ix_exceptions_state
    (a queue that grows with the book) instead of the payments' rows on ix_exceptions_payment."""
    return func.coalesce(state, "") == m.ExceptionState.OPEN.value


class DecisionStore(PaymentStore):
    """Decision marks, settings, decisions and the exception queue."""

    @staticmethod
    def _decidable() -> ColumnElement[bool]:
        """Payments matching may still explain: unapplied cash, not on account, not returned."""
        c = t.payments.c
        return and_(unapplied(), c.returned_minor == 0, c.on_account.is_(False))

    def payments_needing_decision(
        self, *, customer_id: str = "", payment_ids: Sequence[str] = (), limit: int
    ) -> list[str]:
        """Decidable payments whose inputs changed since their last decision, at most `limit`:
        the oldest by value date (on ix_decision_marks_needed) and, over all scope, the other
        waiting payments of their customers along (oldest customer first, each customer's
        payments whole while they fit). A customer's scope includes payments not yet identified
        whose payer account is registered to the customer.

        Why customers whole: a call pays once per customer for loading its open invoices and its
        nearby payments, and in a large book the oldest 1,000 payments of a day belong to almost
        as many customers; taken together, each customer's book is read once for all its
        waiting payments, so the cost per payment stays flat as the book grows."""
        if customer_id or payment_ids:
            return [r.payment_id for r in self._oldest_needing_decision(customer_id, payment_ids, limit)]
        return [pid for pid, _ in self.backlog_batch(limit)]

    def backlog_batch(self, limit: int, skip_owners: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
        """(payment_id, owner) of the next batch of the backlog, as payments_needing_decision
        takes it, leaving out the owners in `skip_owners` (claimed by another AutoApply call).
        The owner is the payment's customer (its own, else its payer account's) or, for a
        payment nobody is identified for, "payment:<id>".

        The oldest payments are walked in order, each owner's waiting payments taken whole while
        they fit; the walk ends at the first owner that does not. Owners' waiting payments are
        read as the walk reaches them, a few owners a query (_Owners), not 200 at a time: the
        customers at the head of the backlog are the large ones (a customer with many payments
        tends to have an old one), and 200 of them held up to 8 times the batch at 50,000
        payments: rows read that the round never took, more of them the larger the book."""
        oldest, owner_of = self._oldest_unskipped(limit, skip_owners)
        owners = _Owners(self, list(dict.fromkeys(o for o in owner_of.values() if o is not None)), limit)
        chosen: list[tuple[str, str]] = []
        taken: set[str] = set()
        for r in oldest:
            if r.payment_id in taken:
                continue
            whose = owner_of[r.payment_id]
            group = [r.payment_id]
            if whose is not None:
                group = owners.waiting(whose, limit - len(chosen)) or group
            if chosen and len(chosen) + len(group) > limit:
                break
            group = [pid for pid in group if pid not in taken][: limit - len(chosen)]
            chosen += [(pid, whose or payment_owner(pid)) for pid in group]
            taken.update(group)
        return chosen

    def _oldest_unskipped(
        self, limit: int, skip_owners: frozenset[str]
    ) -> tuple[list[Row[Any]], dict[str, str | None]]:
        """The oldest waiting payments whose owner is not skipped, read page by page past the
        skipped ones (at most MAX_SKIP_PAGES pages: replicas each hold about one batch)."""
        kept: list[Row[Any]] = []
        owner_of: dict[str, str | None] = {}
        after: tuple[str, str] | None = None
        for _ in range(MAX_SKIP_PAGES if skip_owners else 1):
            page = self._oldest_needing_decision("", (), limit, after)
            owners = self._owners_of(page)
            for r in page:
                if (owners[r.payment_id] or payment_owner(r.payment_id)) not in skip_owners:
                    kept.append(r)
                    owner_of[r.payment_id] = owners[r.payment_id]
            if len(page) < limit or len(kept) >= limit:
                break
            after = (page[-1].value_date, page[-1].payment_id)
        return kept[:limit], owner_of

    def count_needing_decision(self) -> int:
        """How many payments AutoApply would still take: the backlog."""
        c, d = t.payments.c, t.decision_marks.c
        query = (
            select(func.count())
            .select_from(t.decision_marks)
            .join(t.payments, and_(c.tenant_id == d.tenant_id, c.payment_id == d.payment_id))
            .where(self._tenant(t.decision_marks), d.needs_decision.is_(True), self._decidable())
        )
        return int(self.conn.execute(query).scalar_one())

    def _oldest_needing_decision(
        self, customer_id: str, payment_ids: Sequence[str], limit: int, after: tuple[str, str] | None = None
    ) -> list[Row[Any]]:
        c, d, a = t.payments.c, t.decision_marks.c, t.payer_accounts.c
        query = (
            select(d.payment_id, d.value_date, c.customer_id, c.payer_account_key)
            .join(t.payments, and_(c.tenant_id == d.tenant_id, c.payment_id == d.payment_id))
            .where(self._tenant(t.decision_marks), d.needs_decision.is_(True), self._decidable())
        )
        if customer_id:
            accounts = select(a.account_key).where(
                self._tenant(t.payer_accounts), a.customer_id == customer_id
            )
            query = query.where(
                or_(
                    c.customer_id == customer_id,
                    and_(c.customer_id.is_(None), c.payer_account_key.in_(accounts)),
                )
            )
        if after is not None:
            day, pid = after
            query = query.where(or_(d.value_date > day, and_(d.value_date == day, d.payment_id > pid)))
        if payment_ids:
            # Named payments are looked up by key, from payments (whose key is the only index
            # the IN can use), and sorted here, not in SQL. Named on decision_marks, or ordered by
            # value_date, SQLite walks ix_decision_marks_needed over the whole backlog to find
            # them: 8,000 VM steps a payment at 1,000,000 waiting (0.28 s for a batch of 1,000,
            # against 0.009 s by key), the largest cost of the round's plan.
            named = self.conn.execute(query.where(c.payment_id.in_(list(payment_ids))))
            return sorted(named, key=lambda r: (r.value_date, r.payment_id))[:limit]
        return list(self.conn.execute(query.order_by(d.value_date, d.payment_id).limit(limit)))

    def _owners_of(self, rows: Sequence[Row[Any]]) -> dict[str, str | None]:
        """The customer each payment belongs to: its own, else its payer account's owner."""
        accounts = self.payer_account_owners(r.payer_account_key for r in rows if r.payer_account_key)
        return {r.payment_id: r.customer_id or accounts.get(r.payer_account_key) for r in rows}

    def _waiting_of(self, owners: Sequence[str]) -> dict[str, list[str]]:
        """Each customer's payments needing a decision (its own and those from its payer
        accounts not yet identified), oldest value date first."""
        c, d, a = t.payments.c, t.decision_marks.c, t.payer_accounts.c
        accounts = select(a.account_key).where(self._tenant(t.payer_accounts), a.customer_id.in_(owners))
        common = [self._tenant(t.decision_marks), d.needs_decision.is_(True), self._decidable()]
        joined = select(d.payment_id, d.value_date, c.customer_id, c.payer_account_key).join(
            t.payments, and_(c.tenant_id == d.tenant_id, c.payment_id == d.payment_id)
        )
        rows = [
            *self.conn.execute(joined.where(*common, c.customer_id.in_(owners))),
            *self.conn.execute(
                joined.where(*common, c.customer_id.is_(None), c.payer_account_key.in_(accounts))
            ),
        ]
        owner_of = self._owners_of(rows)
        out: dict[str, list[str]] = {}
        for r in sorted(rows, key=lambda r: (r.value_date, r.payment_id)):
            owner = owner_of[r.payment_id]
            if owner is not None:
                out.setdefault(owner, []).append(r.payment_id)
        return out

    def input_versions(self, payment_ids: Iterable[str]) -> dict[str, int]:
        ids = sorted(set(payment_ids))
        if not ids:
            return {}
        d = t.decision_marks.c
        rows = self.conn.execute(
            select(d.payment_id, d.input_version).where(self._tenant(t.decision_marks), d.payment_id.in_(ids))
        )
        return {r.payment_id: r.input_version for r in rows}

    def mark_needs_decision(
        self,
        *,
        payment_ids: Iterable[str] = (),
        customer_ids: Iterable[str] = (),
        account_keys: Iterable[str] = (),
        reference_keys: Iterable[str] = (),
        unidentified: bool = False,
        every_payment: bool = False,
        except_payment_ids: Iterable[str] = (),
    ) -> int:
        """Marks the decidable payments selected by any of the criteria as needing a decision
        (one UPDATE): bumps their input_version, so a plan that read the old version cannot
        clear the mark. Returns how many payments were marked (with more than MARK_CHUNK ids and
        keys, one UPDATE per chunk, and a payment two chunks select counts twice)."""
        pids, cids = sorted(set(payment_ids)), sorted(set(customer_ids))
        # First, so that a commit that read the old version either sees the new one or has
        # committed before the payments below are selected (it holds the row lock meanwhile).
        self.bump_customer_versions(cids)
        akeys, rkeys = sorted(set(account_keys) - {""}), sorted(set(reference_keys))
        excluded = sorted(set(except_payment_ids))
        if len(pids) + len(cids) + len(akeys) + len(rkeys) <= MARK_CHUNK:
            return self._mark(_Criteria(pids, cids, akeys, rkeys, unidentified, every_payment), excluded)
        # A bank file marks every payment it created: 100,000 ids in one IN list pass the
        # drivers' bound-parameter limits (65,535 for PostgreSQL's protocol).
        marked = self._mark(_Criteria([], [], [], [], unidentified, every_payment), excluded)
        for position, values in enumerate((pids, cids, akeys, rkeys)):
            for at in range(0, len(values), MARK_CHUNK):
                lists: list[list[str]] = [[], [], [], []]
                lists[position] = values[at : at + MARK_CHUNK]
                marked += self._mark(_Criteria(lists[0], lists[1], lists[2], lists[3]), excluded)
        return marked

    def _mark(self, selected_by: _Criteria, excluded: list[str]) -> int:
        c, d, k, a = t.payments.c, t.decision_marks.c, t.payment_reference_keys.c, t.payer_accounts.c
        pids, cids, akeys, rkeys = selected_by.pids, selected_by.cids, selected_by.akeys, selected_by.rkeys
        criteria: list[ColumnElement[bool]] = [true()] if selected_by.every_payment else []
        if pids:
            criteria.append(c.payment_id.in_(pids))
        if cids:
            # The customers' payments, and those not yet identified paid from their accounts.
            accounts = select(a.account_key).where(self._tenant(t.payer_accounts), a.customer_id.in_(cids))
            criteria.append(c.customer_id.in_(cids))
            criteria.append(and_(c.customer_id.is_(None), c.payer_account_key.in_(accounts)))
        if akeys:
            criteria.append(c.payer_account_key.in_(akeys))
        if rkeys:
            named = select(k.payment_id).where(self._tenant(t.payment_reference_keys), k.key.in_(rkeys))
            criteria.append(c.payment_id.in_(named))
        if selected_by.unidentified:
            criteria.append(c.customer_id.is_(None))
        if not criteria:
            return 0
        common = [self._tenant(t.payments), self._decidable()]
        if excluded:
            common.append(c.payment_id.not_in(excluded))
        # One SELECT per criterion in a UNION, not one OR: SQLite answers an OR of these by
        # walking every payment of the tenant, and each criterion alone by its index.
        selects = [select(c.payment_id).where(*common, criterion) for criterion in criteria]
        selected = selects[0] if len(selects) == 1 else union(*selects)
        result = self.conn.execute(
            update(t.decision_marks)
            .where(self._tenant(t.decision_marks), d.payment_id.in_(selected))
            .values(input_version=d.input_version + 1, needs_decision=True)
        )
        return int(result.rowcount)

    def bump_customer_versions(self, customer_ids: Sequence[str]) -> None:
        """input_version += 1 for each customer, in id order (one executemany)."""
        if not customer_ids:
            return
        c = t.customers.c
        self.conn.execute(
            update(t.customers)
            .where(self._tenant(t.customers), c.customer_id == bindparam("cid"))
            .values(input_version=c.input_version + 1),
            [{"cid": cid} for cid in sorted(customer_ids)],
        )

    def customer_versions(self, customer_ids: Iterable[str], *, lock: bool = False) -> dict[str, int]:
        """Each customer's input_version; with `lock`, row-locked in id order (PostgreSQL)."""
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        c = t.customers.c
        query = (
            select(c.customer_id, c.input_version)
            .where(self._tenant(t.customers), c.customer_id.in_(ids))
            .order_by(c.customer_id)
        )
        if lock:
            query = query.with_for_update()
        return {r.customer_id: r.input_version for r in self.conn.execute(query)}

    def mark_decided(self, versions: Mapping[str, int]) -> None:
        """Clears the mark of each payment whose input_version still equals the version its
        decision was planned with; a payment changed since keeps its mark (one executemany)."""
        if not versions:
            return
        d = t.decision_marks.c
        statement = (
            update(t.decision_marks)
            .where(
                self._tenant(t.decision_marks),
                d.payment_id == bindparam("pid"),
                d.input_version == bindparam("seen_version"),
            )
            .values(needs_decision=False)
        )
        self._update_many(statement, [{"pid": p, "seen_version": n} for p, n in sorted(versions.items())])

    def clear_undecidable_marks(self, payment_ids: Iterable[str]) -> None:
        """Clears the mark of the named payments that left the decidable set (applied in full,
        returned, put on account), so they never clutter the selection's index range. Called
        where a payment may leave it, for that payment: never a sweep of the whole backlog."""
        ids = sorted(set(payment_ids))
        if not ids:
            return
        c, d = t.payments.c, t.decision_marks.c
        gone = self.conn.execute(
            select(c.payment_id).where(
                self._tenant(t.payments),
                c.payment_id.in_(ids),
                or_(c.unapplied_minor <= 0, c.returned_minor != 0, c.on_account.is_(True)),
            )
        ).scalars()
        # One primary-key UPDATE per payment (an executemany): given the IN list or subquery,
        # SQLite walks ix_decision_marks_needed over the whole backlog instead, a cost per round
        # that grows with the book.
        keyed = [{"pid": pid} for pid in sorted(gone)]
        if keyed:
            self.conn.execute(
                update(t.decision_marks)
                .where(
                    self._tenant(t.decision_marks),
                    d.payment_id == bindparam("pid"),
                    d.needs_decision.is_(True),
                )
                .values(needs_decision=False),
                keyed,
            )

    def tenant_settings(self) -> m.TenantSettings:
        """The tenant's defaults; all zero until the tenant saves some."""
        row = self.conn.execute(select(t.tenant_settings).where(self._tenant(t.tenant_settings))).first()
        if row is None:
            return m.TenantSettings()
        return m.TenantSettings(row.write_off_tolerance_minor, row.matching_tolerance_minor, row.update_us)

    def save_tenant_settings(self, settings: m.TenantSettings) -> None:
        values = {
            "write_off_tolerance_minor": settings.write_off_tolerance_minor,
            "matching_tolerance_minor": settings.matching_tolerance_minor,
            "update_us": settings.update_us,
        }
        updated = self.conn.execute(
            update(t.tenant_settings).where(self._tenant(t.tenant_settings)).values(**values)
        )
        if updated.rowcount == 0:
            # A concurrent first save fails this insert on the primary key; the transaction is
            # re-run (Database.transact) and then takes the update path.
            self.conn.execute(insert(t.tenant_settings).values(tenant_id=self.tenant_id, **values))

    def insert_decisions(self, rows: Sequence[tuple[m.Decision, str]]) -> None:
        """(decision, its explanation as JSON) pairs, in one executemany through the driver."""
        if not rows:
            return
        self._insert_many(
            t.decisions,
            ("decision_id", "payment_id", "customer_id", "outcome", "reason", "explanation", "create_us",
             "actor", "trace_id"),
            [
                (d.decision_id, d.payment_id, d.customer_id, d.outcome.value, d.reason, explanation_json,
                 d.create_us, d.actor or None, d.trace_id or None)
                for d, explanation_json in rows
            ],
        )  # fmt: skip

    def list_decision_rows(
        self, page_size: int, page_token: str, payment_id: str
    ) -> tuple[list[Row[Any]], str]:
        """Newest first (create time, then id, both descending), keyset-paged on that pair."""
        d = t.decisions.c
        size = page_size_or_default(page_size)
        filters = {"p": payment_id, "order": "newest"}
        after = decode_token(page_token, filters)
        query = select(t.decisions).where(self._tenant(t.decisions))
        if payment_id:
            query = query.where(d.payment_id == payment_id)
        if after is not None:
            create_us, _, decision_id = after.partition(":")
            # At most 18 digits: the key must fit the BIGINT column it is compared with.
            if not create_us.isdigit() or len(create_us) > 18 or not decision_id:
                raise InvalidArgument("INVALID_PAGE_TOKEN", "page_token is malformed", "page_token")
            query = query.where(
                or_(
                    d.create_us < int(create_us),
                    and_(d.create_us == int(create_us), d.decision_id < decision_id),
                )
            )
        rows = self.conn.execute(
            query.order_by(d.create_us.desc(), d.decision_id.desc()).limit(size + 1)
        ).all()
        if len(rows) <= size:
            return list(rows), ""
        last = rows[size - 1]
        return list(rows[:size]), encode_token(f"{last.create_us}:{last.decision_id}", filters)

    def latest_decisions(self, payment_ids: Iterable[str]) -> dict[str, Row[Any]]:
        """The newest stored decision row of each payment that has one, in one query."""
        ids = sorted(set(payment_ids))
        if not ids:
            return {}
        d = t.decisions.c
        rank = func.row_number().over(
            partition_by=d.payment_id, order_by=(d.create_us.desc(), d.decision_id.desc())
        )
        ranked = (
            select(t.decisions, rank.label("newest"))
            .where(self._tenant(t.decisions), d.payment_id.in_(ids))
            .subquery()
        )
        rows = self.conn.execute(select(ranked).where(ranked.c.newest == 1))
        return {r.payment_id: r for r in rows}

    def open_exception_rows(self, payment_ids: Iterable[str]) -> dict[str, Row[Any]]:
        """The open exception of each payment that has one, in one query."""
        ids = sorted(set(payment_ids))
        if not ids:
            return {}
        x = t.match_exceptions.c
        rows = self.conn.execute(
            select(t.match_exceptions).where(
                self._tenant(t.match_exceptions),
                x.payment_id.in_(ids),
                _is_open(x.state),
            )
        )
        return {r.payment_id: r for r in rows}

    def insert_exceptions(self, rows: Sequence[tuple[m.MatchException, str]]) -> None:
        """(exception, its suggestions as JSON) pairs, in one executemany."""
        if not rows:
            return
        self.conn.execute(
            insert(t.match_exceptions),
            [
                {
                    "tenant_id": self.tenant_id,
                    "exception_id": x.exception_id,
                    "payment_id": x.payment_id,
                    "customer_id": x.customer_id,
                    "state": x.state.value,
                    "reason": x.reason,
                    "suggestions": suggestions_json,
                    "decision_id": x.decision_id,
                    "create_us": x.create_us,
                    "resolve_us": 0,
                }
                for x, suggestions_json in rows
            ],
        )

    def exception_rows(self, exception_id: str) -> Row[Any] | None:
        return self.conn.execute(
            select(t.match_exceptions).where(
                self._tenant(t.match_exceptions), t.match_exceptions.c.exception_id == exception_id
            )
        ).first()

    def list_exception_rows(
        self, page_size: int, page_token: str, state: m.ExceptionState, assignee: str = ""
    ) -> tuple[list[Row[Any]], str]:
        c = t.match_exceptions.c
        where = [c.state == state.value] + ([c.assignee == assignee] if assignee else [])
        # The filters are in the token: a page token only continues the listing it came from.
        filters = {"s": state.value, "a": assignee} if assignee else {"s": state.value}
        return self._page(t.match_exceptions, c.exception_id, where, page_size, page_token, filters)

    def assign_exception(self, exception_id: str, assignee: str) -> int:
        """Sets the assignee of an open exception ("" clears it); the rows changed (0: not open)."""
        c = t.match_exceptions.c
        result = self.conn.execute(
            update(t.match_exceptions)
            .where(self._tenant(t.match_exceptions), c.exception_id == exception_id, c.state == "OPEN")
            .values(assignee=assignee or None)
        )
        return int(result.rowcount)

    def resolve_open_exceptions(
        self, payment_ids: Iterable[str], resolve_us: int, state: m.ExceptionState = m.ExceptionState.RESOLVED
    ) -> int:
        """Closes every open exception of the payments, as RESOLVED (they were settled) or
        SUPERSEDED (a newer doubt replaces it); returns how many."""
        ids = sorted(set(payment_ids))
        if not ids:
            return 0
        c = t.match_exceptions.c
        result = self.conn.execute(
            update(t.match_exceptions)
            .where(self._tenant(t.match_exceptions), c.payment_id.in_(ids), _is_open(c.state))
            .values(state=state.value, resolve_us=resolve_us)
        )
        return int(result.rowcount)
