"""Split payments: two or three transfers of one customer that only together settle a set of
invoices.

With references, the transfers name overlapping invoices and together pay exactly their total
(or their total less any discount convention, or within the write-off tolerance); they are paired
before either alone is called short. Without references, transfers that no single subset explains
(or that contest one invoice) are searched together (many-to-many), with the matching tolerance
only, and a group is applied only when the all-sizes count proves its invoice set is the only one
for the group's total.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine import model as m
from engine.matching import discounts, solver
from engine.matching.by_amount import items_of
from engine.matching.decide import (
    MAX_CANDIDATE_INVOICES,
    MAX_ITEMS_PER_PAYMENT,
    MAX_PAYMENTS_PER_BUNDLE,
    SOLVER_NODE_BUDGET,
    Facts,
    Proposal,
    absorb_shortfall,
    allocation,
    money_text,
)
from engine.telemetry import tracer

MAX_SPLIT_TRANSFERS = 3  # transfers one reference-backed split may combine
MAX_GROUPS_SEEN = 64  # groups one many-to-many search may report; more and none is applied


def reference_clusters(named: dict[str, list[m.Invoice]]) -> list[list[str]]:
    """Payments (ids, in the given order) whose named invoice sets overlap, transitively; only
    clusters of two or more."""
    parent = {pid: pid for pid in named}

    def root(pid: str) -> str:
        while parent[pid] != pid:
            parent[pid] = parent[parent[pid]]
            pid = parent[pid]
        return pid

    owner: dict[str, str] = {}
    for pid, invoices in named.items():
        for inv in invoices:
            if inv.invoice_id in owner:
                parent[root(pid)] = root(owner[inv.invoice_id])
            else:
                owner[inv.invoice_id] = pid
    clusters: dict[str, list[str]] = {}
    for pid in named:
        clusters.setdefault(root(pid), []).append(pid)
    return [c for c in clusters.values() if len(c) >= 2]


def by_references(cluster: Sequence[Facts], named: dict[str, list[m.Invoice]]) -> dict[str, Proposal]:
    """The transfers of a cluster applied together when their sum settles the union of the
    invoices they name; empty when it does not (each is then decided alone)."""
    if len(cluster) > MAX_SPLIT_TRANSFERS:
        return {}
    union: dict[str, m.Invoice] = {}
    for f in cluster:
        for inv in named[f.payment.payment_id]:
            union.setdefault(inv.invoice_id, inv)
    invoices = sorted(union.values(), key=lambda i: (i.due_date, i.invoice_id))
    paid = sum(f.payment.unapplied_minor for f in cluster)
    value_date = min(f.payment.value_date for f in cluster)
    targets = _settle(invoices, paid, value_date, cluster[0].write_off_minor)
    if targets is None:
        return {}
    ids = ", ".join(i.invoice_id for i in invoices)
    first = cluster[0].payment
    summary = (
        f"{len(cluster)} transfers naming {ids} together pay {money_text(first, paid)}, which settles "
        "them; each alone would be short."
    )
    return _group_proposals(cluster, invoices, targets, summary, "REFERENCE_SPLIT_PAYMENT", ("", 0, ""))


def _settle(
    invoices: Sequence[m.Invoice], paid: int, value_date: object, write_off_minor: int
) -> list[m.Allocation] | None:
    """Targets that `paid` settles exactly: in full, under a discount convention, or short by no
    more than the write-off tolerance."""
    full = [allocation(i, False, value_date) for i in invoices]
    total = sum(i.open_minor for i in invoices)
    if paid == total:
        return full
    convention = discounts.matching_convention(invoices, value_date, paid)  # type: ignore[arg-type]
    if convention is not None:
        return discounts.allocations(invoices, convention)
    if 0 < total - paid <= write_off_minor:
        return absorb_shortfall(full, total - paid, write_off=True)
    return None


def by_amount(group: Sequence[Facts], invoices: Sequence[m.Invoice]) -> dict[str, Proposal]:
    """Amount-only transfers of one customer searched together against `invoices`.

    Every group of payments explained by a set of invoices is found (many-to-many); a group of
    two or more transfers is applied when no other group competes for any of its transfers or
    invoices, and the all-sizes count proves its invoice set the only one for its total. Several
    independent splits of one customer are applied in one run; anything else leaves the single
    decisions as they were."""
    invoices = list(invoices[:MAX_CANDIDATE_INVOICES])
    if len(group) < 2 or not invoices:
        return {}
    value_date = min(f.payment.value_date for f in group)
    items = items_of(invoices, value_date)
    tolerance = group[0].matching_minor
    limits = solver.ManyLimits(
        max_payments=min(MAX_PAYMENTS_PER_BUNDLE, len(group)),
        max_items=MAX_ITEMS_PER_PAYMENT,
        tolerance_minor=tolerance,
        node_budget=SOLVER_NODE_BUDGET,
        max_candidates=MAX_GROUPS_SEEN,
    )
    with tracer.start_as_current_span("match.solve_many") as span:
        result = solver.solve_many_to_many(items, [f.payment.unapplied_minor for f in group], limits)
        span.set_attributes({"cashapp.solver.outcome": result.outcome.value, "cashapp.payments": len(group)})
    incomplete = (solver.Outcome.BUDGET_EXHAUSTED, solver.Outcome.MEMORY_LIMIT)
    if result.outcome in incomplete or result.group_count > len(result.groups):
        return {}  # not every competing group is known
    solved = (result.algorithm, result.group_count, result.outcome.value)
    proposals: dict[str, Proposal] = {}
    for found in _uncontested(result.groups):
        total = sum(group[i].payment.unapplied_minor for i in found.payment_indices)
        if solver.count_subsets(items, total, tolerance).outcome is solver.CountOutcome.ONE:
            proposals.update(_amount_group(group, invoices, found, value_date, solved))
    return proposals


def _uncontested(found: Sequence[solver.Group]) -> list[solver.Group]:
    """Groups of two or more payments that share no payment and no item with any other group."""
    out = []
    for g in found:
        if len(g.payment_indices) < 2:
            continue
        rivals = [
            h
            for h in found
            if h is not g
            and (set(h.payment_indices) & set(g.payment_indices) or set(h.item_indices) & set(g.item_indices))
        ]
        if not rivals:
            out.append(g)
    return out


def _amount_group(
    group: Sequence[Facts],
    invoices: Sequence[m.Invoice],
    found: solver.Group,
    value_date: object,
    solved: tuple[str, int, str],
) -> dict[str, Proposal]:
    paying = sorted(
        (group[i] for i in found.payment_indices), key=lambda f: (f.payment.value_date, f.payment.payment_id)
    )
    chosen = [invoices[i] for i in found.item_indices]
    targets = [allocation(inv, d, value_date) for inv, d in zip(chosen, found.discounted, strict=True)]
    if found.residual_minor < 0:
        targets = absorb_shortfall(targets, -found.residual_minor, write_off=True)
    ids = ", ".join(i.invoice_id for i in chosen)
    summary = (
        f"{len(paying)} transfers together settle {ids}: the only combination of any size of the "
        f"{len(invoices)} open invoices for their total; no other group of the customer's unexplained "
        "transfers competes for them."
    )
    return _group_proposals(paying, chosen, targets, summary, "AMOUNT_MANY_TO_MANY_GROUP", solved)


def _group_proposals(
    paying: Sequence[Facts],
    invoices: Sequence[m.Invoice],
    targets: Sequence[m.Allocation],
    summary: str,
    rule: str,
    solved: tuple[str, int, str],
) -> dict[str, Proposal]:
    ordered = sorted(paying, key=lambda f: (f.payment.value_date, f.payment.payment_id))
    per_payment = waterfall([f.payment for f in ordered], targets)
    proposals = {}
    for f in ordered:
        allocations = tuple(per_payment[f.payment.payment_id])
        residual = sum(t.amount_minor for t in targets) - sum(p.payment.unapplied_minor for p in ordered)
        candidate = m.MatchCandidate(tuple(i.invoice_id for i in invoices), allocations, -residual, 90, rule)
        explanation = m.Explanation(summary, f.identified_by, (candidate,), None, rule, *solved)
        rest = sum(a.amount_minor for a in allocations) < f.payment.unapplied_minor
        proposals[f.payment.payment_id] = Proposal(
            f.payment.payment_id,
            f.customer_id,
            m.DecisionOutcome.AUTO_APPLIED,
            rule,
            explanation,
            allocations,
            rest,
        )
    return proposals


def waterfall(
    payments: Sequence[m.Payment], targets: Sequence[m.Allocation]
) -> dict[str, list[m.Allocation]]:
    """Pours the payments' cash into the targets in order. An invoice's discount, write-off and
    deduction travel with its first piece; a payment's allocations to one invoice stay one row."""
    out: dict[str, list[m.Allocation]] = {p.payment_id: [] for p in payments}
    remaining = {p.payment_id: p.unapplied_minor for p in payments}
    order = [p.payment_id for p in payments]
    for target in targets:
        need = target.amount_minor
        extras = (target.discount_minor, target.write_off_minor, target.deduction_minor)
        for pid in order:
            take = min(need, remaining[pid])
            if take == 0 and (need > 0 or extras == (0, 0, 0)):
                continue
            remaining[pid] -= take
            need -= take
            out[pid].append(m.Allocation(target.invoice_id, take, *extras))
            extras = (0, 0, 0)
            if need == 0:
                break
        if need:
            raise AssertionError("the payments of a group cover its invoices")
    return out
