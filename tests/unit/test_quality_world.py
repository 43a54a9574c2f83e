"""The quality world: deterministic per seed, every kind present, truths internally consistent,
amount-only truths verified by brute force over every subset, JSON round-trips."""

from __future__ import annotations

import itertools
import random
import re
from collections import defaultdict
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from bench.quality import world as world_io
from bench.quality.accounts import iban_is_valid
from bench.quality.generate import generate
from bench.quality.kinds import SHARES, Kind
from bench.quality.remittance import REMITTANCE_MAX_CHARS, SEPARATORS, within_one_edit
from bench.quality.truth import Outcome, exact_count, near_count
from bench.quality.world import World

BRUTE_FORCE_MAX_INVOICES = 16


@cache
def small_world() -> World:
    return generate(seed=5, payments=1200)


def test_same_seed_gives_byte_identical_world() -> None:
    assert world_io.lines(generate(3, 300)) == world_io.lines(generate(3, 300))


def test_another_seed_gives_another_world() -> None:
    assert world_io.lines(generate(3, 300))["payments"] != world_io.lines(generate(4, 300))["payments"]


def test_every_kind_is_present() -> None:
    kinds = {truth.kind for truth in small_world().truths}
    assert kinds == {kind.value for kind in Kind}
    assert sum(SHARES.values()) == 100


def test_json_lines_round_trip(tmp_path: Path) -> None:
    world = small_world()
    world_io.write(world, tmp_path)
    back = world_io.read(tmp_path)
    assert back == world
    assert world_io.lines(back) == world_io.lines(world)
    assert {p.name for p in tmp_path.iterdir()} >= {f"{name}.jsonl" for name in world_io.FILES}


def test_payments_carry_no_customer_and_valid_accounts() -> None:
    world = small_world()
    assert all("customer_id" not in record for record in world_io.lines(world)["payments"])
    for customer in world.customers:
        for account in customer.payer_accounts:
            assert customer.country == "US" or iban_is_valid(account), account
    assert len({p.payment_id for p in world.payments}) == len(world.payments)


def test_remittance_is_cut_at_140_characters_only_where_the_kind_says_so() -> None:
    for payment, truth in zip(small_world().payments, small_world().truths, strict=True):
        if truth.kind == Kind.MULTI_REF_TRUNCATED:
            assert len(payment.remittance_info) == REMITTANCE_MAX_CHARS, payment
        else:
            assert len(payment.remittance_info) < REMITTANCE_MAX_CHARS, payment


def test_truths_are_internally_consistent() -> None:
    world = small_world()
    invoices = {i.invoice_id: i for i in world.invoices}
    memo = {m.invoice_id: m.amount_minor for m in world.credit_memos}
    payments = {p.payment_id: p for p in world.payments}
    applied: dict[str, int] = defaultdict(int)
    group_cash: dict[str, int] = defaultdict(int)
    group_amount: dict[str, int] = defaultdict(int)
    for truth in world.truths:
        payment = payments[truth.payment_id]
        if truth.outcome is Outcome.QUEUE:
            assert not truth.allocations, truth
            continue
        assert truth.allocations, truth
        customers = {invoices[i].customer_id for i in truth.allocations}
        assert len(customers) == 1, truth
        assert all(invoices[i].currency == payment.currency for i in truth.allocations)
        assert all(cash > 0 for cash in truth.allocations.values())
        if truth.group is None:
            assert sum(truth.allocations.values()) <= payment.amount_minor, truth
        else:
            group_cash[truth.group] += sum(truth.allocations.values())
            group_amount[truth.group] += payment.amount_minor
        for invoice_id, cash in truth.allocations.items():
            applied[invoice_id] += cash
    for invoice_id, cash in applied.items():
        assert cash <= invoices[invoice_id].amount_minor - memo.get(invoice_id, 0), invoice_id
    assert group_cash == group_amount  # a split group settles its invoices with all its money


def _timeline_open(world: World, upto: str) -> dict[str, dict[str, int]]:
    """Open amounts per customer just before payment `upto`, replaying the truths in order."""
    invoices = {i.invoice_id: i for i in world.invoices}
    memo = {m.invoice_id: m.amount_minor for m in world.credit_memos}
    value_date = date.fromisoformat(next(p.value_date for p in world.payments if p.payment_id == upto))
    open_: dict[str, dict[str, int]] = defaultdict(dict)
    for invoice in world.invoices:
        if date.fromisoformat(invoice.issue_date) <= value_date:
            open_[invoice.customer_id][invoice.invoice_id] = invoice.amount_minor - memo.get(
                invoice.invoice_id, 0
            )
    for truth in world.truths:
        if truth.payment_id == upto:
            break
        for invoice_id, cash in truth.allocations.items():
            customer_open = open_[invoices[invoice_id].customer_id]
            if invoice_id not in customer_open:
                continue
            if truth.kind == Kind.PARTIAL:
                customer_open[invoice_id] -= cash
            elif truth.group is None or truth.kind in (Kind.SPLIT_REF, Kind.SPLIT_NO_REF):
                # Every other applied kind settles its invoices (discount, write-off or
                # deduction close the rest; a split's transfers together).
                customer_open.pop(invoice_id, None)
    return open_


def _brute_force_subsets(amount: int, values: list[tuple[str, int]]) -> list[frozenset[str]]:
    found = []
    for size in range(1, len(values) + 1):
        for combo in itertools.combinations(values, size):
            if sum(v for _, v in combo) == amount:
                found.append(frozenset(i for i, _ in combo))
    return found


def test_unique_amount_only_truths_are_unique_by_brute_force() -> None:
    world = small_world()
    invoices = {i.invoice_id: i for i in world.invoices}
    checked = 0
    for payment, truth in zip(world.payments, world.truths, strict=True):
        if truth.kind != Kind.AMOUNT_ONLY_UNIQUE:
            continue
        customer_id = invoices[next(iter(truth.allocations))].customer_id
        view = _timeline_open(world, payment.payment_id)[customer_id]
        if len(view) > BRUTE_FORCE_MAX_INVOICES:
            continue
        subsets = _brute_force_subsets(payment.amount_minor, sorted(view.items()))
        assert subsets == [frozenset(truth.allocations)], (payment, subsets)
        checked += 1
    assert checked >= 20


def test_ambiguous_amount_only_truths_are_ambiguous_by_brute_force() -> None:
    world = small_world()
    accounts = {a: c.customer_id for c in world.customers for a in c.payer_accounts}
    checked = 0
    for payment, truth in zip(world.payments, world.truths, strict=True):
        if truth.kind != Kind.AMOUNT_ONLY_AMBIGUOUS:
            continue
        view = _timeline_open(world, payment.payment_id)[accounts[payment.payer_account]]
        if len(view) > BRUTE_FORCE_MAX_INVOICES:
            assert exact_count(payment.amount_minor, view.values()) == 2
            continue
        assert len(_brute_force_subsets(payment.amount_minor, sorted(view.items()))) >= 2, payment
        checked += 1
    assert checked >= 5


def test_no_match_amounts_meet_no_subset() -> None:
    world = small_world()
    accounts = {a: c.customer_id for c in world.customers for a in c.payer_accounts}
    for payment, truth in zip(world.payments, world.truths, strict=True):
        if truth.kind in (Kind.AMOUNT_ONLY_NO_MATCH, Kind.DISCOUNT_LATE_NO_REF):
            view = _timeline_open(world, payment.payment_id)[accounts[payment.payer_account]]
            assert exact_count(payment.amount_minor, view.values()) == 0, payment


def test_damaged_references_that_apply_have_one_neighbour_with_the_amount() -> None:
    world = small_world()
    ids = {i.invoice_id for i in world.invoices}
    for payment, truth in zip(world.payments, world.truths, strict=True):
        if truth.kind == Kind.OCR_DAMAGED and truth.outcome is Outcome.APPLY:
            (invoice_id,) = truth.allocations
            tokens = payment.remittance_info.split()
            assert invoice_id not in tokens, payment
            lookalikes_undone = [
                t.replace("O", "0").replace("I", "1").replace("S", "5").replace("B", "8") for t in tokens
            ]
            assert any(
                (t not in ids and within_one_edit(t, invoice_id)) or invoice_id.endswith(u[-6:])
                for t, u in zip(tokens, lookalikes_undone, strict=True)
            ), payment


@pytest.mark.parametrize("seed", range(30))
def test_exact_and_near_counts_agree_with_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.choice((500, 1000, 1250, 2000, rng.randint(100, 3000))) for _ in range(rng.randint(1, 10))]
    amount = sum(rng.sample(values, rng.randint(1, len(values)))) + rng.choice((0, 0, -1, 7))
    subsets = [c for n in range(1, len(values) + 1) for c in itertools.combinations(range(len(values)), n)]
    exact = sum(1 for c in subsets if sum(values[i] for i in c) == amount)
    assert exact_count(amount, values) == min(exact, 2)
    candidates = [(v, v - v // 50) for v in values]
    below = rng.choice((0, 10, 40))
    near = 0
    for c in subsets:
        for choice in itertools.product(*(sorted(set(candidates[i])) for i in c)):
            if amount - below <= sum(choice) <= amount:
                near += 1
    assert near_count(amount, candidates, below) == min(near, 2)


def test_multi_reference_texts_use_every_common_separator_and_the_glued_form() -> None:
    texts = [
        p.remittance_info
        for p, t in zip(small_world().payments, small_world().truths, strict=True)
        if t.kind in (Kind.MULTI_REF, Kind.DISCOUNT_IN_WINDOW, Kind.SPLIT_REF)
    ]
    for separator in SEPARATORS:
        assert any(separator in text for text in texts), repr(separator)
    assert any(re.search(r"INV-2026-\d{6}/\d{6}\b", text) for text in texts)  # INV-2026-004512/004513


def test_bank_spellings_of_legal_forms_appear_on_payments() -> None:
    names = " | ".join(p.payer_name for p in small_world().payments)
    for spelling in ("Gesellschaft mbH", "G.m.b.H.", "BV", "Incorporated", "Limited", "Company", " and "):
        assert spelling in names, spelling
