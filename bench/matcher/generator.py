"""Seeded instance generator for the matcher benchmarks.

Every instance is a pure function of its family parameters and a fixed seed, so each peer (the
Rust solver, the Python fallback, itertools, CP-SAT, HiGHS, flsss) solves exactly the same problem
in every process that imports this module. Amounts are integer cents. No instance uses early-payment
discounts because none of the external peers models them; the discount path is exercised by the
project's property tests, not here.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
from dataclasses import dataclass, field

import numpy as np

SEED = 20_240_601
# Invoice amounts are log-uniform between 10.00 and 10,000.00 (in cents).
AMOUNT_MIN_MINOR = 1_000
AMOUNT_MAX_MINOR = 1_000_000
# Dense instances use small amounts (1.00 to 50.00) so that very many subsets hit the payment.
DENSE_AMOUNT_MIN_MINOR = 100
DENSE_AMOUNT_MAX_MINOR = 5_000

FIND_ONE_SIZES = (10, 100, 1_000, 10_000)
FIND_ONE_MAX_ITEMS = 3
EXHAUSTIVE_SIZES = (20, 60, 100, 200)
EXHAUSTIVE_MAX_ITEMS = (3, 4, 5)
EXHAUSTIVE_TOLERANCES_MINOR = (0, 50)
NO_MATCH_SIZES = (20, 60, 100, 200)
NO_MATCH_MAX_ITEMS = 5
DENSE_SIZES = (30, 35, 40, 45)
# The dense family asks for every matching set: 26 M of them at n = 45. The project solver's
# subset_dp kernel spends about 25 nodes per set (650 M at n = 45), past the default 5 M budget,
# so the family raises the budget, as find-one does.
DENSE_NODE_BUDGET = 1_000_000_000
# Wide-range amounts: log-uniform from $0.01 to $1 bn (1 to 10^11 cents), as a bank that
# serves both retail and treasury customers sees them.
WIDE_AMOUNT_MIN_MINOR = 1
WIDE_AMOUNT_MAX_MINOR = 100_000_000_000
WIDE_RANGE_SIZES = (100, 200, 500, 1_000)
WIDE_RANGE_MAX_ITEMS = 5
# Unstructured no-match: amounts uniform on the same range (no scale to prune by), k <= 4 so
# that the sound 2 + 2 oracle stays cheap up to n = 1,000 (500 k pair sums).
UNSTRUCTURED_SIZES = (100, 200, 500, 1_000)
UNSTRUCTURED_MAX_ITEMS = 4
MANY_SHAPES = ((5, 50), (10, 100), (15, 250), (20, 500))  # (payments m, items n)
MANY_MAX_ITEMS = 3
MANY_MAX_PAYMENTS = 3
BATCH_PROBLEMS = 10_000
BATCH_ITEMS_RANGE = (40, 60)
BATCH_MAX_ITEMS = 5
CUSTOMER_BATCH_ITEMS = 100
CUSTOMER_BATCH_PAYMENTS = 200


@dataclass(frozen=True)
class Instance:
    """One one-to-many or many-to-many problem, shared by every peer.

    mode is "count" (enumerate and count every matching item set), "find" (any one matching set
    is an answer) or "nomatch" (no set matches; a peer must prove it).
    """

    id: str
    family: str
    mode: str
    amounts: tuple[int, ...]
    payments: tuple[int, ...]
    max_items: int
    tolerance_minor: int
    planted: tuple[tuple[int, ...], ...] = ()
    params: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.amounts)

    @property
    def payment(self) -> int:
        assert len(self.payments) == 1, self.id
        return self.payments[0]


@dataclass(frozen=True)
class BatchInstance:
    """Many independent one-to-many problems, stored flat like the solver's batch API."""

    id: str
    amounts: np.ndarray  # int64, all problems' items back to back
    offsets: np.ndarray  # int64, len = problems + 1
    payments: np.ndarray  # int64, one per problem
    max_items: int
    tolerance_minor: int
    planted: tuple[tuple[int, ...], ...]

    @property
    def problems(self) -> int:
        return len(self.payments)

    def problem(self, i: int) -> tuple[list[int], int]:
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return [int(a) for a in self.amounts[lo:hi]], int(self.payments[i])


def _rng(*key: object) -> random.Random:
    return random.Random(f"{SEED}:" + ":".join(map(str, key)))


def log_uniform_amounts(rng: random.Random, n: int, lo: int, hi: int) -> tuple[int, ...]:
    log_lo, log_hi = math.log(lo), math.log(hi)
    return tuple(round(math.exp(rng.uniform(log_lo, log_hi))) for _ in range(n))


def _plant(rng: random.Random, n: int, size: int) -> tuple[int, ...]:
    return tuple(sorted(rng.sample(range(n), size)))


def find_one(n: int) -> Instance:
    rng = _rng("find", n)
    amounts = log_uniform_amounts(rng, n, AMOUNT_MIN_MINOR, AMOUNT_MAX_MINOR)
    planted = _plant(rng, n, rng.randint(1, FIND_ONE_MAX_ITEMS))
    payment = sum(amounts[i] for i in planted)
    return Instance(
        f"find-one/n={n}",
        "find-one",
        "find",
        amounts,
        (payment,),
        FIND_ONE_MAX_ITEMS,
        0,
        (planted,),
        {"n": n, "k": FIND_ONE_MAX_ITEMS, "tol": 0},
    )


def exhaustive(n: int, k: int, tolerance_minor: int) -> Instance:
    # Items depend on n only, so k and tolerance vary over the same invoices and payment.
    rng = _rng("exhaustive", n)
    amounts = log_uniform_amounts(rng, n, AMOUNT_MIN_MINOR, AMOUNT_MAX_MINOR)
    planted = _plant(rng, n, 3)
    payment = sum(amounts[i] for i in planted)
    return Instance(
        f"exhaustive/n={n}/k<={k}/tol={tolerance_minor}",
        "exhaustive",
        "count",
        amounts,
        (payment,),
        k,
        tolerance_minor,
        (planted,),
        {"n": n, "k": k, "tol": tolerance_minor},
    )


def _subset_sums(amounts: np.ndarray, max_size: int) -> np.ndarray:
    """Sorted sums of every index set of size 0..max_size (the empty set included)."""
    n = len(amounts)
    parts = [np.zeros(1, dtype=np.int64)]
    for r in range(1, max_size + 1):
        flat = np.fromiter(
            itertools.chain.from_iterable(itertools.combinations(range(n), r)),
            dtype=np.int64,
            count=math.comb(n, r) * r,
        )
        parts.append(amounts[flat.reshape(-1, r)].sum(axis=1))
    return np.sort(np.concatenate(parts))


def relaxed_match_exists(amounts: tuple[int, ...], payments: list[int], k: int, tol: int) -> list[bool]:
    """Sound no-match oracle: False proves no set of <= k items sums to payment +- tol.

    It splits k into a + b (a <= b) and asks whether any sum of <= a items plus any sum of <= b
    items lands in the window, allowing the two halves to overlap. That relaxation admits every
    real solution, so "no relaxed hit" is a proof; a relaxed hit may be spurious, and the caller
    then just draws another payment.
    """
    arr = np.array(amounts, dtype=np.int64)
    a, b = k // 2, k - k // 2
    small, large = _subset_sums(arr, a), _subset_sums(arr, b)
    out = []
    for payment in payments:
        lo = np.searchsorted(large, payment - tol - small, side="left")
        hi = np.searchsorted(large, payment + tol - small, side="right")
        out.append(bool(np.any(hi > lo)))
    return out


def no_match(n: int) -> Instance:
    rng = _rng("nomatch", n)
    amounts = log_uniform_amounts(rng, n, AMOUNT_MIN_MINOR, AMOUNT_MAX_MINOR)
    k = NO_MATCH_MAX_ITEMS
    # A no-match is hard when the payment sits where matching sums start to get dense: draw
    # payments uniformly up to the largest reachable sum, keep those the sound oracle clears, and
    # take the smallest one above a quarter of that range (the tiny ones are pruned at once).
    top = sum(sorted(amounts)[-k:])
    draws = sorted(rng.randint(AMOUNT_MIN_MINOR, top) for _ in range(3_000))
    hits = relaxed_match_exists(amounts, draws, k, 0)
    cleared = [p for p, hit in zip(draws, hits, strict=True) if not hit and p >= top // 4]
    assert cleared, f"no provable no-match payment for n={n}"
    payment = min(cleared)
    return Instance(
        f"no-match/n={n}/k<={k}",
        "no-match",
        "nomatch",
        amounts,
        (payment,),
        k,
        0,
        (),
        {"n": n, "k": k, "tol": 0},
    )


def wide_range(n: int) -> Instance:
    """Count every set of <= 5 items paying a planted 3-item sum, amounts $0.01 to $1 bn."""
    rng = _rng("wide", n)
    amounts = log_uniform_amounts(rng, n, WIDE_AMOUNT_MIN_MINOR, WIDE_AMOUNT_MAX_MINOR)
    planted = _plant(rng, n, 3)
    payment = sum(amounts[i] for i in planted)
    k = WIDE_RANGE_MAX_ITEMS
    return Instance(
        f"wide-range/n={n}/k<={k}",
        "wide-range",
        "count",
        amounts,
        (payment,),
        k,
        0,
        (planted,),
        {"n": n, "k": k, "tol": 0},
    )


def unstructured_no_match(n: int) -> Instance:
    """Amounts uniform on 1..10^11 cents and a payment no set of <= 4 items reaches.

    Payments are drawn uniformly between a quarter and three quarters of the largest
    reachable sum (where sums are densest) until the sound relaxed oracle clears one.
    """
    rng = _rng("unstructured", n)
    amounts = tuple(rng.randint(WIDE_AMOUNT_MIN_MINOR, WIDE_AMOUNT_MAX_MINOR) for _ in range(n))
    k = UNSTRUCTURED_MAX_ITEMS
    top = sum(sorted(amounts)[-k:])
    payment = None
    for _ in range(64):
        draw = rng.randint(top // 4, 3 * top // 4)
        if not relaxed_match_exists(amounts, [draw], k, 0)[0]:
            payment = draw
            break
    assert payment is not None, f"no provable no-match payment for n={n}"
    return Instance(
        f"unstructured-no-match/n={n}/k<={k}",
        "unstructured-no-match",
        "nomatch",
        amounts,
        (payment,),
        k,
        0,
        (),
        {"n": n, "k": k, "tol": 0},
    )


def dense(n: int) -> Instance:
    rng = _rng("dense", n)
    amounts = log_uniform_amounts(rng, n, DENSE_AMOUNT_MIN_MINOR, DENSE_AMOUNT_MAX_MINOR)
    planted = _plant(rng, n, n // 4)
    payment = sum(amounts[i] for i in planted)
    return Instance(
        f"dense/n={n}/k<=n",
        "dense",
        "count",
        amounts,
        (payment,),
        n,
        0,
        (planted,),
        {"n": n, "k": n, "tol": 0, "node_budget": DENSE_NODE_BUDGET},
    )


def many_to_many(m: int, n: int) -> Instance:
    """m payments over n items; each payment is the sum of its own planted group of 1..3 items.

    The question is the project's many-to-many one: count every group (P, S) of <= 3 payments
    and <= 3 items with sum(P) = total(S).
    """
    rng = _rng("many", m, n)
    amounts = log_uniform_amounts(rng, n, AMOUNT_MIN_MINOR, AMOUNT_MAX_MINOR)
    pool = rng.sample(range(n), n)
    groups: list[tuple[int, ...]] = []
    for _ in range(m):
        size = rng.randint(1, MANY_MAX_ITEMS)
        groups.append(tuple(sorted(pool[:size])))
        pool = pool[size:]
    payments = tuple(sum(amounts[i] for i in g) for g in groups)
    return Instance(
        f"many-to-many/m={m}/n={n}",
        "many-to-many",
        "count",
        amounts,
        payments,
        MANY_MAX_ITEMS,
        0,
        tuple(groups),
        {"m": m, "n": n, "k": MANY_MAX_ITEMS, "max_payments": MANY_MAX_PAYMENTS, "tol": 0},
    )


def _flat_batch(
    id_: str, problems: list[tuple[tuple[int, ...], int, tuple[int, ...]]], k: int
) -> BatchInstance:
    offsets = np.zeros(len(problems) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(a) for a, _, _ in problems])
    amounts = np.fromiter((x for a, _, _ in problems for x in a), dtype=np.int64, count=int(offsets[-1]))
    payments = np.array([p for _, p, _ in problems], dtype=np.int64)
    return BatchInstance(id_, amounts, offsets, payments, k, 0, tuple(g for _, _, g in problems))


@functools.cache
def typical_batch(problems: int = BATCH_PROBLEMS) -> BatchInstance:
    """10,000 typical problems: n uniform in 40..60, k <= 5, payment = a planted 1..5 item set."""
    rng = _rng("batch", problems)
    rows = []
    for _ in range(problems):
        n = rng.randint(*BATCH_ITEMS_RANGE)
        amounts = log_uniform_amounts(rng, n, AMOUNT_MIN_MINOR, AMOUNT_MAX_MINOR)
        planted = _plant(rng, n, rng.randint(1, BATCH_MAX_ITEMS))
        rows.append((amounts, sum(amounts[i] for i in planted), planted))
    return _flat_batch(f"batch/{problems}x/n~50/k<=5", rows, BATCH_MAX_ITEMS)


@functools.cache
def customer_batch() -> BatchInstance:
    """One customer's 200 payments against the same 100 open items, exhaustive k <= 5."""
    rng = _rng("customer")
    n = CUSTOMER_BATCH_ITEMS
    amounts = log_uniform_amounts(rng, n, AMOUNT_MIN_MINOR, AMOUNT_MAX_MINOR)
    rows = []
    for _ in range(CUSTOMER_BATCH_PAYMENTS):
        planted = _plant(rng, n, rng.randint(1, BATCH_MAX_ITEMS))
        rows.append((amounts, sum(amounts[i] for i in planted), planted))
    return _flat_batch(f"customer/{CUSTOMER_BATCH_PAYMENTS}x/n={n}/k<=5", rows, BATCH_MAX_ITEMS)


@functools.cache
def all_instances() -> dict[str, list[Instance]]:
    return {
        "find-one": [find_one(n) for n in FIND_ONE_SIZES],
        "exhaustive": [
            exhaustive(n, k, tol)
            for n in EXHAUSTIVE_SIZES
            for k in EXHAUSTIVE_MAX_ITEMS
            for tol in EXHAUSTIVE_TOLERANCES_MINOR
        ],
        "no-match": [no_match(n) for n in NO_MATCH_SIZES],
        "wide-range": [wide_range(n) for n in WIDE_RANGE_SIZES],
        "unstructured-no-match": [unstructured_no_match(n) for n in UNSTRUCTURED_SIZES],
        "dense": [dense(n) for n in DENSE_SIZES],
        "many-to-many": [many_to_many(m, n) for m, n in MANY_SHAPES],
    }


def dense_count_oracle(amounts: tuple[int, ...], payment: int, tol: int) -> int:
    """Exact number of item sets (any size) summing into payment +- tol, by 0/1 counting DP."""
    top = payment + tol
    ways = np.zeros(top + 1, dtype=np.int64)
    ways[0] = 1
    for a in amounts:
        if a <= top:
            # The right side is evaluated before assignment, so each item is used at most once.
            ways[a:] = ways[a:] + ways[: top + 1 - a]
    return int(ways[max(payment - tol, 1) : top + 1].sum())


def batch_problem(batch: BatchInstance, i: int) -> Instance:
    """Problem i of a batch as a stand-alone counting instance, for peers without a batch API."""
    amounts, payment = batch.problem(i)
    return Instance(
        f"{batch.id}#{i}",
        "batch",
        "count",
        tuple(amounts),
        (payment,),
        batch.max_items,
        batch.tolerance_minor,
        (batch.planted[i],),
        {"n": len(amounts), "k": batch.max_items, "tol": batch.tolerance_minor},
    )
