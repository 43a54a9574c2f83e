"""Stored decisions and exceptions: their JSON form in the database, and reading them back."""

from __future__ import annotations

import json
from typing import Any

from engine import model as m
from engine import validate as v
from engine.storage.store import Store
from engine.storage.tables import ASSIGNEE_MAX


def _allocation_dict(a: m.Allocation) -> dict[str, Any]:
    d = {
        "i": a.invoice_id,
        "a": a.amount_minor,
        "d": a.discount_minor,
        "w": a.write_off_minor,
        "x": a.deduction_minor,
    }
    # Only when given, so a decision stored before reasons existed still compares equal.
    return {**d, "r": a.deduction_reason} if a.deduction_reason else d


def _allocation(d: dict[str, Any]) -> m.Allocation:
    return m.Allocation(d["i"], d["a"], d["d"], d["w"], d.get("x", 0), d.get("r", ""))


def candidate_dict(c: m.MatchCandidate) -> dict[str, Any]:
    return {
        "invoice_ids": list(c.invoice_ids),
        "allocations": [_allocation_dict(a) for a in c.allocations],
        "residual_minor": c.residual_minor,
        "score": c.score,
        "rule": c.rule,
    }


def candidate(d: dict[str, Any]) -> m.MatchCandidate:
    return m.MatchCandidate(
        tuple(d["invoice_ids"]),
        tuple(_allocation(a) for a in d["allocations"]),
        d["residual_minor"],
        d["score"],
        d["rule"],
    )


def explanation_json(e: m.Explanation) -> str:
    return json.dumps(
        {
            "summary": e.summary,
            "customer_identified_by": e.customer_identified_by,
            "candidates": [candidate_dict(c) for c in e.candidates],
            "runner_up": candidate_dict(e.runner_up) if e.runner_up else None,
            "winning_rule": e.winning_rule,
            "solver_algorithm": e.solver_algorithm,
            "solver_candidate_count": e.solver_candidate_count,
            "solver_outcome": e.solver_outcome,
        }
    )


def explanation(text: str) -> m.Explanation:
    d = json.loads(text)
    return m.Explanation(
        d["summary"],
        d["customer_identified_by"],
        tuple(candidate(c) for c in d["candidates"]),
        candidate(d["runner_up"]) if d["runner_up"] else None,
        d["winning_rule"],
        d["solver_algorithm"],
        d["solver_candidate_count"],
        d["solver_outcome"],
    )


def suggestions_json(items: tuple[m.MatchCandidate, ...]) -> str:
    return json.dumps([candidate_dict(c) for c in items])


def decision_from_row(r: Any) -> m.Decision:
    return m.Decision(
        r.decision_id,
        r.payment_id,
        r.customer_id,
        m.DecisionOutcome(r.outcome),
        r.reason,
        explanation(r.explanation),
        r.create_us,
        actor=r.actor or "",
        trace_id=r.trace_id or "",
    )


def exception_from_row(r: Any) -> m.MatchException:
    return m.MatchException(
        r.exception_id,
        r.payment_id,
        r.customer_id,
        m.ExceptionState(r.state),
        r.reason,
        tuple(candidate(c) for c in json.loads(r.suggestions)),
        r.decision_id,
        r.create_us,
        r.resolve_us,
        r.assignee or "",
    )


def list_decisions(store: Store, page_size: int, page_token: str, payment_id: str) -> m.Page[m.Decision]:
    rows, token = store.list_decision_rows(page_size, page_token, payment_id)
    return m.Page([decision_from_row(r) for r in rows], token)


def list_exceptions(
    store: Store, page_size: int, page_token: str, state: m.ExceptionState, assignee: str = ""
) -> m.Page[m.MatchException]:
    """A page of the queue in one state, optionally only one clerk's exceptions."""
    if assignee:
        v.text(assignee, "assignee", ASSIGNEE_MAX)
    rows, token = store.list_exception_rows(page_size, page_token, state, assignee)
    return m.Page([exception_from_row(r) for r in rows], token)
