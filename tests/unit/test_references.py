"""Reference extraction and normalization (case, separators, OCR look-alikes, RF references)."""

from __future__ import annotations

from stdnum import iso11649

from engine.matching.references import reference_key, remittance_tokens


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
