"""Reference extraction and normalization (case, separators, OCR look-alikes, RF references)."""

from __future__ import annotations

import random

from stdnum import iso11649

from engine.matching import references
from engine.matching.references import (
    cut_last_key,
    is_near,
    near_indexes,
    near_keys,
    reference_key,
    remittance_tokens,
)


def test_ocr_lookalikes_and_separators_meet_at_one_key() -> None:
    assert reference_key("INV-1001") == reference_key("inv 1OO1") == reference_key("1NV/10O1")


def test_adjacent_words_are_joined_to_catch_split_numbers() -> None:
    tokens = remittance_tokens((), "payment for INV 1001 thanks")
    assert any(t.raw == "INV1001" for t in tokens)


def test_a_valid_rf_creditor_reference_yields_its_payload() -> None:
    rf = "RF18539007547034"  # the example of ISO 11649
    assert iso11649.is_valid(rf)
    tokens = remittance_tokens((rf,), "")
    assert [(t.raw, t.how) for t in tokens] == [("539007547034", "CREDITOR_REFERENCE")]


def test_an_rf_reference_with_a_bad_checksum_is_only_a_plain_token() -> None:
    tokens = remittance_tokens(("RF19539007547034",), "")
    assert all(t.how == "EXACT" for t in tokens)


def test_tokens_shorter_than_three_characters_are_ignored() -> None:
    assert remittance_tokens(("7",), "12") == []


def _raws(text: str) -> set[str]:
    return {t.raw for t in remittance_tokens((), text)}


def test_every_common_separator_splits_invoice_numbers() -> None:
    for text in [
        "INV-1001 INV-1002",
        "INV-1001,INV-1002",
        "INV-1001;INV-1002",
        "INV-1001/INV-1002",
        "INV-1001 and INV-1002",
        "INV-1001\nINV-1002",
        "INV-1001+INV-1002",
        "INV-1001&INV-1002",
    ]:
        assert {"INV-1001", "INV-1002"} <= _raws(text), text


def test_glued_invoice_numbers_are_found_one_by_one() -> None:
    assert {"INV1001", "INV1002"} <= _raws("INV1001INV1002")


def test_a_bare_number_after_a_prefixed_one_inherits_its_prefix() -> None:
    assert "INV-1002" in _raws("INV-1001/1002")
    assert "INV-2026-0452" in _raws("INV-2026-0451, 0452")
    assert "INV-1002" in _raws("INV-1001, 02")


def test_a_slash_inside_an_invoice_number_is_kept_as_well() -> None:
    assert "2026/0045" in _raws("Rechnung RE 2026/0045")


def test_the_last_number_of_a_text_cut_at_140_characters_is_offered_as_a_prefix() -> None:
    text = ("Zahlung fuer Rechnungen: " + " ".join(f"INV-{n}" for n in range(1001, 1030)))[:140]
    assert len(text) == 140 and text.endswith("INV-101")
    cut = cut_last_key(text)
    assert cut is not None and reference_key("INV-1014").startswith(cut)
    assert cut_last_key("short text INV-10") is None


def test_near_keys_match_at_one_dropped_doubled_or_swapped_digit_only() -> None:
    key = reference_key("INV-104523")
    assert is_near(reference_key("INV-10453"), key)  # dropped
    assert is_near(reference_key("INV-1045523"), key)  # doubled
    assert is_near(reference_key("INV-104532"), key)  # swapped
    assert not is_near(key, key)
    assert not is_near(reference_key("INV-105432"), key)
    assert key in near_keys(remittance_tokens((), "ab INV-104523"))


def test_counters_like_part_1_of_2_complete_no_invoice_number() -> None:
    assert "INV-2026-004092" not in _raws("Payment INV-2026-004091 thank you part 2/2")
    assert "INV-2026-005293" not in _raws("INV-2026-005294 instalment 1 of 3")


def test_near_indexes_finds_exactly_the_keys_is_near_accepts() -> None:
    """The one-call search of many tokens over many keys agrees with is_near pair by pair
    (random keys around one invoice number: dropped, doubled, swapped and changed digits, and
    unrelated ones)."""
    rng = random.Random(7)
    base = "INV104532"

    def vary() -> str:
        key = base
        for _ in range(rng.randint(0, 2)):  # dropped, doubled, changed or swapped
            n = rng.randrange(3, len(key) - 1)
            key = rng.choice(
                [
                    key[:n] + key[n + 1 :],
                    key[:n] + key[n] + key[n:],
                    key[:n] + rng.choice("0123456789") + key[n + 1 :],
                    key[:n] + key[n + 1] + key[n] + key[n + 2 :],
                ]
            )
        return key

    pairs = 0
    for _ in range(50):
        tokens = [vary() for _ in range(5)] + [base]
        keys = [vary() for _ in range(30)] + [base]
        expected = [[n for n, k in enumerate(keys) if is_near(t, k)] for t in tokens]
        assert near_indexes(tokens, keys) == expected
        pairs += sum(map(len, expected))
    assert pairs > 50  # the random keys do land near the tokens
    assert near_indexes([], ["A"]) == []
    assert near_indexes(["INV1001"], []) == [[]]


def test_the_creditor_reference_check_agrees_with_python_stdnum() -> None:
    """The ASCII fast path of the RF check answers as iso11649.is_valid: valid references, bad
    check digits, every length around the 5..25 limits, and texts it leaves to python-stdnum."""
    rng = random.Random(11649)
    symbols = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    bodies = ["539007547034", "0000000001", "A1B2C3", "", "X", "0" * 21, "Z" * 22]
    bodies += ["".join(rng.choice(symbols) for _ in range(n)) for n in range(30)]
    texts = []
    for body in bodies:
        check = 98 - int("".join(str(int(c, 36)) for c in body + "RF00")) % 97
        valid = f"RF{check:02d}{body}"
        texts += [valid, valid[:-1] + ("1" if valid[-1] != "1" else "2"), valid.lower(), valid + "\u0663"]
    texts += [t.replace("RF", "AB", 1) for t in texts]
    texts += ["RF", "RF1", "RF18", "RF18\u20135390", "RF18.5390.0754.7034", "RF18 5390 0754 7034"]
    assert any(iso11649.is_valid(t) for t in texts) and not all(iso11649.is_valid(t) for t in texts)
    for text in texts:
        assert references._is_creditor_reference(text) == iso11649.is_valid(text), text
