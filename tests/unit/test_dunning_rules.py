"""The arithmetic of dunning: backoff between attempts, informational interest, notice ids, and
how a policy's levels are checked and numbered."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.dunning.model import Channel, Level
from engine.dunning.outbox import MAX_BACKOFF_US, backoff_us
from engine.dunning.policies import check_levels
from engine.dunning.run import interest_minor, notice_id_of
from engine.errors import InvalidArgument

SECOND = 1_000_000


def test_backoff_doubles_from_thirty_seconds_and_stops_at_an_hour() -> None:
    assert [backoff_us(n) // SECOND for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert backoff_us(40) == MAX_BACKOFF_US


def test_interest_is_actual_365_rounded_half_up_once() -> None:
    # 100.00 at 8% for 61 days = 1.33698... -> 1.34; 0.005 cents round up, below do not.
    assert interest_minor(10_000, 61, 800) == 134
    assert interest_minor(10_000, 0, 800) == 0 and interest_minor(10_000, -3, 800) == 0
    assert interest_minor(3_650_000, 1, 1) == 1  # exactly 1 cent
    assert interest_minor(1_825_000, 1, 1) == 1  # exactly half a cent: up
    assert interest_minor(1_824_999, 1, 1) == 0


def test_a_notice_id_is_the_same_for_the_same_run_and_differs_otherwise() -> None:
    day = dt.date(2026, 10, 20)
    same = notice_id_of("STD", "C1", "EUR", 1, day)
    assert same == notice_id_of("STD", "C1", "EUR", 1, day) and len(same) <= 64
    others = {
        notice_id_of("STD", "C1", "EUR", 2, day),
        notice_id_of("STD", "C2", "EUR", 1, day),
        notice_id_of("STD", "C1", "EUR", 1, day + dt.timedelta(days=1)),
        notice_id_of("OTHER", "C1", "EUR", 1, day),
    }
    assert same not in others and len(others) == 4


def test_levels_are_numbered_in_order_and_must_rise() -> None:
    levels = check_levels((Level(9, -3, (Channel.EMAIL,)), Level(9, 14, (Channel.LETTER, Channel.SMS))))
    assert [(lv.level, lv.day_offset) for lv in levels] == [(1, -3), (2, 14)]
    with pytest.raises(InvalidArgument) as caught:
        check_levels((Level(1, 14, (Channel.EMAIL,)), Level(2, 14, (Channel.EMAIL,))))
    assert (caught.value.reason, caught.value.violations[0].field) == (
        "LEVELS_OUT_OF_ORDER",
        "policy.levels[1].day_offset",
    )
