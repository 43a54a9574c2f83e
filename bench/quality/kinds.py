"""The kinds of payment the world contains, their shares, and what each one stands for."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    SINGLE_REF = "single_ref"
    MULTI_REF = "multi_ref"
    MULTI_REF_TRUNCATED = "multi_ref_truncated"
    AMOUNT_ONLY_UNIQUE = "amount_only_unique"
    AMOUNT_ONLY_AMBIGUOUS = "amount_only_ambiguous"
    AMOUNT_ONLY_NO_MATCH = "amount_only_no_match"
    DISCOUNT_IN_WINDOW = "discount_in_window"
    DISCOUNT_LATE_REF = "discount_late_ref"
    DISCOUNT_LATE_NO_REF = "discount_late_no_ref"
    SHORT_PAY = "short_pay"
    BANK_FEE = "bank_fee"
    OVERPAYMENT = "overpayment"
    OCR_DAMAGED = "ocr_damaged"
    NAME_VARIANT = "name_variant"
    DUPLICATE = "duplicate"
    PAID_REFERENCE = "paid_reference"
    UNKNOWN_PAYER = "unknown_payer"
    SPLIT_REF = "split_ref"
    SPLIT_NO_REF = "split_no_ref"
    CREDIT_MEMO_NET = "credit_memo_net"
    PARTIAL = "partial"
    OTHER_CURRENCY = "other_currency"


# Share of payment events (a split event yields 2-3 transfers) in percent; they sum to 100.
SHARES: dict[Kind, int] = {
    Kind.SINGLE_REF: 23,
    Kind.MULTI_REF: 8,
    Kind.MULTI_REF_TRUNCATED: 3,
    Kind.AMOUNT_ONLY_UNIQUE: 8,
    Kind.AMOUNT_ONLY_AMBIGUOUS: 4,
    Kind.AMOUNT_ONLY_NO_MATCH: 2,
    Kind.DISCOUNT_IN_WINDOW: 6,
    Kind.DISCOUNT_LATE_REF: 2,
    Kind.DISCOUNT_LATE_NO_REF: 2,
    Kind.SHORT_PAY: 4,
    Kind.BANK_FEE: 4,
    Kind.OVERPAYMENT: 3,
    Kind.OCR_DAMAGED: 5,
    Kind.NAME_VARIANT: 5,
    Kind.DUPLICATE: 3,
    Kind.PAID_REFERENCE: 2,
    Kind.UNKNOWN_PAYER: 3,
    Kind.SPLIT_REF: 3,
    Kind.SPLIT_NO_REF: 2,
    Kind.CREDIT_MEMO_NET: 3,
    Kind.PARTIAL: 3,
    Kind.OTHER_CURRENCY: 2,
}

# Kinds whose truth rests on the amount alone (or on an amount remainder): they are generated
# after every reference-backed payment is placed, because their truth depends on the whole
# timeline of the customer's open invoices.
AMOUNT_EVIDENCE_KINDS: frozenset[Kind] = frozenset(
    {
        Kind.AMOUNT_ONLY_UNIQUE,
        Kind.AMOUNT_ONLY_AMBIGUOUS,
        Kind.AMOUNT_ONLY_NO_MATCH,
        Kind.DISCOUNT_LATE_NO_REF,
        Kind.MULTI_REF_TRUNCATED,
        Kind.SPLIT_NO_REF,
    }
)

# Kinds that need an earlier applied payment (they repeat or name it): placed after the others.
FOLLOW_UP_KINDS: frozenset[Kind] = frozenset({Kind.DUPLICATE, Kind.PAID_REFERENCE})


def quotas(events: int) -> dict[Kind, int]:
    """Events per kind for a world of `events` events (largest-remainder rounding, exact total)."""
    exact = {kind: events * share / 100 for kind, share in SHARES.items()}
    counts = {kind: int(value) for kind, value in exact.items()}
    leftover = events - sum(counts.values())
    by_remainder = sorted(SHARES, key=lambda kind: (-(exact[kind] - counts[kind]), kind.value))
    for kind in by_remainder[:leftover]:
        counts[kind] += 1
    return counts
