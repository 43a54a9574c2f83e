"""Clerks take exceptions from the queue (AssignException) and list their own, on SQLite and
PostgreSQL; bad requests name their field and change nothing."""

from __future__ import annotations

import pytest

from cashapp_client import (
    Client,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    Payment,
    money,
)
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb


def _queue_of_three(client: Client) -> list[pb.MatchException]:
    """Three payments nobody can be identified for: three open exceptions."""
    client.import_payments(
        [
            Payment(payment_id=f"P{n}", amount=money(f"{n}0.00", "EUR"), value_date="2026-11-02")
            for n in (1, 2, 3)
        ]
    )
    client.auto_apply(all_payments=True)
    queue = sorted(client.list_exceptions(), key=lambda x: x.payment_id)
    assert [x.payment_id for x in queue] == ["P1", "P2", "P3"]
    return queue


def test_a_clerk_takes_exceptions_lists_their_own_and_gives_one_back(client: Client) -> None:
    first, second, third = _queue_of_three(client)
    assert client.assign_exception(first.exception_id, "anna").assignee == "anna"
    client.assign_exception(second.exception_id, "anna")
    client.assign_exception(third.exception_id, "ben")
    assert {x.exception_id for x in client.list_exceptions(assignee="anna")} == {
        first.exception_id,
        second.exception_id,
    }
    assert [x.exception_id for x in client.list_exceptions(assignee="ben")] == [third.exception_id]
    # Paged with the filter kept: a page token only continues its own listing.
    assert len(list(client.list_exceptions(assignee="anna", page_size=1))) == 2
    # Given back to the queue, then to someone else.
    assert client.assign_exception(second.exception_id, "").assignee == ""
    assert [x.exception_id for x in client.list_exceptions(assignee="anna")] == [first.exception_id]
    assert client.assign_exception(first.exception_id, "ben").assignee == "ben"
    assert not list(client.list_exceptions(assignee="anna"))
    assert len(list(client.list_exceptions())) == 3, "assigning closes nothing"


def test_a_resolved_exception_cannot_be_assigned(client: Client) -> None:
    first, _, _ = _queue_of_three(client)
    client.return_payment("R1", payment_id=first.payment_id)
    closed = [x for x in client.list_exceptions(state=pb.MATCH_EXCEPTION_STATE_RESOLVED)]
    assert [x.exception_id for x in closed] == [first.exception_id]
    with pytest.raises(FailedPreconditionError) as refused:
        client.assign_exception(first.exception_id, "anna")
    assert refused.value.reason == "EXCEPTION_NOT_OPEN"
    assert [x.assignee for x in client.list_exceptions(state=pb.MATCH_EXCEPTION_STATE_RESOLVED)] == [""]


@pytest.mark.parametrize(
    ("exception_id", "assignee", "error", "field"),
    [
        ("", "anna", InvalidArgumentError, "exception_id"),
        ("nope", "anna", NotFoundError, "exception_id"),
        (None, "x" * 301, InvalidArgumentError, "assignee"),
    ],
)
def test_bad_assignments_name_their_field_and_change_nothing(  # type: ignore[no-untyped-def]
    client: Client, exception_id, assignee, error, field
) -> None:
    first, _, _ = _queue_of_three(client)
    with pytest.raises(error) as refused:
        client.assign_exception(first.exception_id if exception_id is None else exception_id, assignee)
    if refused.value.field_violations:
        assert refused.value.field_violations[0].field == field
    assert [x.assignee for x in client.list_exceptions()] == ["", "", ""]


def test_a_too_long_assignee_filter_is_refused(client: Client) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        list(client.list_exceptions(assignee="x" * 301))
    assert refused.value.field_violations[0].field == "assignee"
