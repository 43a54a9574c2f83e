"""AutoApply over a whole backlog as one operation (AutoApplyBacklog, server streaming), through
the real server on SQLite and PostgreSQL: one progress message per committed round, the same
decisions as calling AutoApply until it runs dry, and a cancelled call keeps what it committed."""

from __future__ import annotations

from collections import Counter

import pytest

from cashapp_client import Client, InvalidArgumentError, Payment, money
from cashapp_client._proto.cashapp.v1 import reconciliation_service_pb2 as rs
from cashapp_client._proto.cashapp.v1 import resources_pb2 as pb
from engine import model as m
from engine import reconciliation
from engine.storage.store import Store
from server import servicers

BACKLOG = 2500


def _backlog(client: Client, count: int = BACKLOG) -> list[Payment]:
    client.create_customer("C-A", display_name="Alpha Trading", payer_accounts=["ACCT-A"])
    client.create_invoice("INV-A", customer_id="C-A", amount=money("30.00", "EUR"), issue_date="2026-11-01")
    payments = [
        # Amounts in 3.00 steps below 30.00 leave the unidentified ones unmatched; A-0 pays INV-A.
        Payment(payment_id=f"U-{n:05d}", amount=money("3.00", "EUR"), value_date="2026-11-20")
        for n in range(count - 1)
    ]
    payments.append(
        Payment(
            payment_id="A-0", amount=money("30.00", "EUR"), value_date="2026-11-21", payer_account="ACCT-A"
        )
    )
    client.import_payments(payments)
    return payments


def test_one_call_works_through_the_backlog_round_by_round(client: Client) -> None:
    _backlog(client)
    progress = list(client.auto_apply_backlog(include_decisions=True))

    assert [p.round for p in progress] == [1, 2, 3, 4]
    assert [p.round_payment_count for p in progress] == [1000, 1000, 500, 0]
    assert [p.remaining_count for p in progress] == [1500, 500, 0, 0]
    assert [p.done for p in progress] == [False, False, False, True]
    last = progress[-1]
    assert (last.auto_applied_count, last.unmatched_count, last.suggested_count) == (1, BACKLOG - 1, 0)
    assert_each_decided_once(client, progress)


def assert_each_decided_once(client: Client, progress: list[rs.AutoApplyProgress]) -> None:
    """Every payment of _backlog decided once by the call, nothing left, A-0 applied."""
    decided = Counter(d.payment_id for p in progress for d in p.decisions)
    assert len(decided) == BACKLOG and set(decided.values()) == {1}
    # Nothing is left for AutoApply, and nothing was decided twice.
    assert len(client.auto_apply(all_payments=True).decisions) == 0
    assert len(list(client.list_decisions(page_size=1000))) == BACKLOG
    assert client.get_payment("A-0").state == pb.PAYMENT_STATE_APPLIED


def test_counts_only_by_default_and_max_payments_stops_after_its_round(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _backlog(client)
    # Counts-only rounds skip encoding their decisions, but the decision metric still counts each.
    recorded: Counter[m.DecisionOutcome] = Counter()
    monkeypatch.setattr(
        reconciliation, "record_outcomes", lambda outcomes: recorded.update(o for o, _reason in outcomes)
    )
    first = list(client.auto_apply_backlog(max_payments=1200))
    assert [p.round_payment_count for p in first] == [1000, 1000]
    assert first[-1].done and first[-1].remaining_count == 500
    assert all(not p.decisions for p in first)
    last = first[-1]
    assert (
        sum(recorded.values())
        == 2000
        == last.auto_applied_count + last.unmatched_count + last.suggested_count
    )
    assert recorded[m.DecisionOutcome.UNMATCHED] == last.unmatched_count
    # Calling again continues where the first call stopped.
    rest = list(client.auto_apply_backlog())
    assert [p.round_payment_count for p in rest] == [500, 0]
    assert rest[-1].remaining_count == 0


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The backlog counts the server takes, each one's answer appended as it is taken."""
    count = Store.count_needing_decision

    def counted(store: Store) -> int:
        taken.append(count(store))
        return taken[-1]

    taken: list[int] = []
    monkeypatch.setattr(Store, "count_needing_decision", counted)
    return taken


def test_the_backlog_is_counted_at_most_once_a_second_and_on_the_last_round(
    client: Client, monkeypatch: pytest.MonkeyPatch, counts: list[int]
) -> None:
    """The exact count reads every waiting payment: it is not taken after each round, and the
    counts between are the last one less what the rounds since took."""
    _backlog(client)
    monkeypatch.setattr(servicers, "BACKLOG_COUNT_SECONDS", 3600.0)
    progress = list(client.auto_apply_backlog())
    assert [p.remaining_count for p in progress] == [1500, 500, 0, 0]
    assert counts == [BACKLOG, 0]  # the backlog at the start, and after the round that decided nothing


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [(1e6, [BACKLOG, 0]), (0.0, [BACKLOG, 1500, 500, 0, 0])],
    ids=["spaced-by-its-cost", "no-spacing"],
)
def test_a_count_is_spaced_by_its_own_cost(
    client: Client, monkeypatch: pytest.MonkeyPatch, counts: list[int], ratio: float, expected: list[int]
) -> None:
    """A count as slow as a round (a million waiting payments) is not repeated after each round
    even when the fixed interval has passed: the interval grows with what the last count took
    (a ratio of 1e6 puts any count's next one hours away). Without it, and with no fixed
    interval, the same backlog is counted after every round."""
    _backlog(client)
    monkeypatch.setattr(servicers, "BACKLOG_COUNT_SECONDS", 0.0)
    monkeypatch.setattr(servicers, "COUNT_COST_RATIO", ratio)
    progress = list(client.auto_apply_backlog())
    assert [p.remaining_count for p in progress] == [1500, 500, 0, 0]
    assert counts == expected


def test_a_cancelled_call_keeps_every_committed_round(client: Client) -> None:
    _backlog(client)
    stream = client.auto_apply_backlog()
    first = next(stream)
    stream.close()  # cancels the call; the round in flight may still commit
    assert first.round == 1 and not first.done
    decided = len(list(client.list_decisions(page_size=1000)))
    assert decided in (1000, 2000)
    # The rest is decided by a later call, each payment once.
    list(client.auto_apply_backlog())
    assert len(list(client.list_decisions(page_size=1000))) == BACKLOG


def test_an_empty_backlog_answers_one_done_message(client: Client) -> None:
    (only,) = list(client.auto_apply_backlog())
    assert (only.round, only.round_payment_count, only.remaining_count, only.done) == (1, 0, 0, True)


def test_a_negative_limit_is_refused_and_changes_nothing(client: Client) -> None:
    _backlog(client, 10)
    with pytest.raises(InvalidArgumentError) as caught:
        list(client.auto_apply_backlog(max_payments=-1))
    assert caught.value.field_violations[0].field == "max_payments"
    assert list(client.list_decisions()) == []
